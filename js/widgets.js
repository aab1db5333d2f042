/* ELBO Lab: the widget table. One row per live figure; app.js does the rest.
 *
 *   key     the figure's id (also its URL/embed name later)
 *   call    the function in py/elbo_lab/widgets.py
 *   params  Python keyword -> the id of its range input (a number input with
 *           id "<id>-num" is its typed twin)
 *   show    a key of the result's `values` -> the id of the element showing it
 *           (digits: data-digits on that element); "image" -> the canvas
 */
window.ELBO = window.ELBO || {};
window.ELBO.WIDGETS = [
  { key: "kl", call: "kl",
    params: { mu: "kl-mu", sigma: "kl-sigma" },
    show: { kl: "kl-value", image: "kl-plot" } },
];
