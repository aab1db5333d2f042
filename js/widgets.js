/* ELBO Lab: the widget table. One row per live figure; app.js does the rest.
 *
 *   key     the figure's id (also its URL/embed name later)
 *   call    the function in py/elbo_lab/widgets.py
 *   params  Python keyword -> the id of its control: a range input (whose typed
 *           twin is "<id>-num"), a select, a fieldset of checkboxes, or a button
 *           that counts clicks (a "resample" seed). Rows may share controls.
 *   show    a key of the result's `values` -> the id of the element showing it
 *           (data-digits on that element: decimals, or "int"); "image" -> the canvas
 */
window.ELBO = window.ELBO || {};
window.ELBO.WIDGETS = [
  { key: "generate", call: "generate",
    params: { n: "gen-n", seed: "gen-seed" },
    show: { mean_log_prior: "gen-logprior", image: "generate-plot" } },
  { key: "decode_at", call: "decode_at",
    params: { z1: "dec-z1", z2: "dec-z2" },
    show: { log_prior: "dec-logprior", image: "decode_at-plot" } },
  { key: "posterior", call: "posterior",
    params: { x: "post-x", s: "post-s" },
    show: { log_evidence: "post-logpx", n_modes: "post-modes", mode: "post-mode",
            image: "posterior-plot" } },
  { key: "architecture", call: "architecture",
    params: {},
    show: { x_dim: "arch-x", hidden: "arch-hidden", z_dim: "arch-z", activation: "arch-act",
            n_params: "arch-params" } },
  { key: "reparam", call: "reparam",
    params: { mu: "rep-mu", sigma: "rep-sigma", n: "rep-n", seed: "rep-seed" },
    show: { exact_dmu: "rep-exact", rep_sd_dmu: "rep-sd", sf_sd_dmu: "sf-sd",
            variance_ratio_dmu: "rep-ratio", image: "reparam-plot" } },
  { key: "derivation", call: "derivation",
    params: { x: "der-x", mu: "der-mu", sigma: "der-sigma", seed: "der-seed" },
    show: { log_evidence: "der-logpx", log_mean_ratio_mc: "der-logmean",
            log_mean_ratio_mc_se: "der-logmean-se", elbo: "der-elbo", elbo_mc: "der-elbo-mc",
            elbo_mc_se: "der-elbo-mc-se", recon: "der-recon", kl_prior: "der-klprior",
            kl_posterior: "der-klpost", identity_residual: "der-residual",
            image: "derivation-plot" } },
  { key: "kl", call: "kl",
    params: { mu: "kl-mu", sigma: "kl-sigma" },
    show: { kl: "kl-value", image: "kl-plot" } },
  { key: "kl_mc", call: "kl_mc",
    params: { mu: "kl-mu", sigma: "kl-sigma", n: "klmc-n", seed: "klmc-seed" },
    show: { kl: "klmc-exact", kl_mc: "klmc-value", kl_mc_se: "klmc-se", image: "kl_mc-plot" } },
  { key: "tension", call: "tension",
    params: { x: "ten-x", beta: "ten-beta" },
    show: { recon: "ten-recon", kl: "ten-kl", elbo: "ten-elbo", log_evidence: "ten-logpx",
            gap: "ten-gap", image: "tension-plot" } },
  { key: "kl_direction", call: "kl_direction",
    params: { x: "dir-x" },
    show: { rev_mu: "dir-rev-mu", rev_sigma: "dir-rev-sigma", rev_gap: "dir-rev-gap",
            fwd_sigma: "dir-fwd-sigma", fwd_kl: "dir-fwd-kl", image: "kl_direction-plot" } },
  { key: "latent", call: "latent",
    params: { classes: "lat-classes", model: "lat-model" },
    show: { n_points: "lat-n", mean_kl: "lat-kl", image: "latent-plot" } },
  { key: "dynamics", call: "dynamics",
    params: { run: "dyn-run" },
    show: { epochs: "dyn-epochs", final_recon: "dyn-recon", final_kl: "dyn-kl",
            final_neg_elbo: "dyn-negelbo", image: "dynamics-plot" } },
];
