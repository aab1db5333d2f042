"""The training lab's true posterior: p(z|x) of the current network for one test digit, on a
grid (``grid_posterior.encoder_identity``), with the encoder's q(z|x) drawn over it.

Only for a 2-D latent. values (nats): "digit", "label", "log_px_grid",
"grid_error", "elbo", "kl_grid", "identity_residual" (= log_px_grid - elbo -
kl_grid), "tolerance", "identity_ok", "iwae", "iwae_se" (k = grid_posterior.IWAE_K), "gap" (=
log_px_grid - elbo), "q_mu1", "q_mu2", "q_sd1", "q_sd2"; also "elbo_error" and
"kl_error", the quadrature error estimates that make up the tolerance with grid_error.
"""

import math

import numpy as np

from .. import session
from ..grid_posterior import encoder_identity
from ..params import Whole
from ..plotting.theme import THEME
from ..plotting.tiles import SIDE

PARAMS = (
    Whole("digit", 0, "test digit number", "labp-digit", lo=0, hi=999,
          box_label="test digit number"),
)
CACHE_SIZE = 32  # digits kept for the current weights


def cache_key(digit):
    return session.current().version, (digit,)


def compute(digit):
    lab = session.current()
    Z = lab.model.z_dim
    if Z != 2:
        raise ValueError(f"The grid posterior needs a 2-D latent; this run's latent has {Z} "
                         "dimensions. Set the latent size to 2 and press Reset.")
    d = session.lab_data()
    x = d["X_test"][digit]
    label = int(d["y_test"][digit])
    r = encoder_identity(lab.model, x, seed=digit)
    values = {"digit": digit, "label": label, "log_px_grid": r["log_px_grid"],
              "grid_error": r["grid_error"], "elbo": r["elbo"], "kl_grid": r["kl_grid"],
              "identity_residual": r["residual"], "tolerance": r["tolerance"],
              "identity_ok": r["identity_ok"], "iwae": r["iwae"], "iwae_se": r["iwae_se"],
              "gap": r["log_px_grid"] - r["elbo"],
              "q_mu1": float(r["q_mu"][0]), "q_mu2": float(r["q_mu"][1]),
              "q_sd1": float(r["q_sd"][0]), "q_sd2": float(r["q_sd"][1]),
              "elbo_error": r["elbo_error"], "kl_error": r["kl_error"]}
    holds = "holds" if r["identity_ok"] else "fails"
    summary = (f"Test digit {digit}, a {label}: on a grid log p(x) = {r['log_px_grid']:.3f} nats, "
               f"the ELBO is {r['elbo']:.3f} and KL(q || p(z|x)) = {r['kl_grid']:.3f}, so the "
               f"identity log p(x) = ELBO + KL {holds} to within {r['tolerance']:.4f}; "
               f"importance sampling gives {r['iwae']:.3f} ± {r['iwae_se']:.3f}.")
    drawing = {"x": x.astype(np.float64), "recon": r["recon_image"], "z1": r["z1"], "z2": r["z2"],
               "density": r["density"], "q_mu": r["q_mu"], "q_sd": r["q_sd"]}
    return values, summary, drawing


def build(agg):
    # narrow: the digit and its reconstruction side by side over the plane, 896 px tall: a whole
    # number, or the legend's stamp (made on whole pixels) would sit a fraction off a full draw's
    fig, (top, bottom, plane) = agg.panels(
        (640, 320), [(0.05, 0.52, 0.19, 0.36), (0.05, 0.08, 0.19, 0.36), (0.38, 0.14, 0.58, 0.74)],
        narrow_height=4.62, nrows=2, ncols=2, height_ratios=(1, 2),
        cells=[(0, 0), (0, 1), (1, slice(None))])
    for ax, name in ((top, "test digit x"), (bottom, "reconstruction")):
        agg.digit_axes(ax)
        ax.set_title(name, fontsize=THEME["font_size"] - 1, color=THEME["text"])
    pictures = [ax.imshow(np.zeros((SIDE, SIDE)), cmap=agg.grey_cmap(), vmin=0, vmax=1,
                          interpolation="nearest") for ax in (top, bottom)]
    agg.style_axes(plane)
    agg.label_axes(plane, "z₁", "z₂")
    ellipses = [agg.Ellipse((0, 0), 1, 1, fill=False, ec=THEME["q"], lw=lw, ls=ls, zorder=3)
                for lw, ls in ((2.0, "-"), (1.5, "--"))]
    for e in ellipses:
        plane.add_patch(e)
    centre, = plane.plot([0], [0], "+", color=THEME["q"], ms=9, mew=1.5, zorder=3)
    handles = [agg.Patch(color=agg.to_rgba(THEME["posterior"], 0.45), label="true p(z | x)"),
               ellipses[0], ellipses[1]]
    labels = ["exact p(z | x)", "q(z | x), 1 sd", "2 sd"]
    if agg.narrow():  # a row of three is wider than the figure: q's two ellipses on the first row
        handles, labels = [handles[1], handles[0], handles[2]], [labels[1], labels[0], labels[2]]
    legend = agg.legend(plane, loc="lower left", handles=handles, labels=labels,
                        bbox_to_anchor=(0.0, 1.0), ncol=2 if agg.narrow() else 3, borderaxespad=0.2,
                        handlelength=1.5, columnspacing=1.0)
    frames = [spine for ax in (top, bottom) for spine in ax.spines.values()]  # over the pictures
    if agg.narrow():
        # laid out (as the view is made) for ticks as wide as the plane's may get ("−12.0", one
        # at its right end), not the first digit's; and before draw reads the plane's box
        plane.set_xlim(-12.0, -10.0)
        plane.set_ylim(-12.0, -10.0)
    view = agg.LiveAxes(fig, plane, pictures + frames, overlay=[legend])
    view.pictures, view.ellipses, view.centre, view.contours = pictures, ellipses, centre, None
    return view


def draw(agg, view, x, recon, z1, z2, density, q_mu, q_sd):
    """Left: the digit x and its reconstruction ((784,) in [0, 1]). Right: p(z|x) on the grid
    (density: (len(z2), len(z1)), row i at z2[i]), shaded at 1, 2 and 3 "sd" levels
    (exp(-r^2/2) of its peak: the regions a Gaussian's sd would bound), and q's 1 and 2 sd
    ellipses. The view covers the outer contour and q's 2.5 sd box, with one unit as long
    on both axes. The plane is drawn whole each time (its contours and ticks are new), over a
    kept layer of the digit panels (``agg.LiveAxes``); the figure's results are cached on the
    weights and the digit."""
    top, bottom, plane = view.fig.axes
    agg.set_pixels(view.pictures[0], np.reshape(x, (SIDE, SIDE)))
    agg.set_pixels(view.pictures[1], np.reshape(recon, (SIDE, SIDE)))
    if view.contours is not None:
        view.contours.remove()
    peak = float(density.max())
    levels = [peak * math.exp(-0.5 * r * r) for r in (3.0, 2.0, 1.0)] + [peak * 1.001]
    colours = [agg.to_rgba(THEME["posterior"], a) for a in (0.15, 0.3, 0.5)]
    view.contours = plane.contourf(z1, z2, density, levels=levels, colors=colours,
                                   antialiased=True)
    for e, k in zip(view.ellipses, (1.0, 2.0)):
        e.set_center((float(q_mu[0]), float(q_mu[1])))
        e.width, e.height = 2.0 * k * float(q_sd[0]), 2.0 * k * float(q_sd[1])
    view.centre.set_data([q_mu[0]], [q_mu[1]])
    # the view: the posterior's outer contour and q's 2.5 sd box, padded, then widened in one
    # direction so that one unit is as long on both axes
    rows, cols = np.nonzero(density >= levels[0])
    x0 = min(float(z1[cols.min()]), float(q_mu[0] - 2.5 * q_sd[0]))
    x1 = max(float(z1[cols.max()]), float(q_mu[0] + 2.5 * q_sd[0]))
    y0 = min(float(z2[rows.min()]), float(q_mu[1] - 2.5 * q_sd[1]))
    y1 = max(float(z2[rows.max()]), float(q_mu[1] + 2.5 * q_sd[1]))
    pad = 0.12 * max(x1 - x0, y1 - y0)
    x0, x1, y0, y1 = x0 - pad, x1 + pad, y0 - pad, y1 + pad
    bbox = plane.get_window_extent()
    units_per_px = max((x1 - x0) / bbox.width, (y1 - y0) / bbox.height)
    cx, cy = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
    plane.set_xlim(cx - 0.5 * units_per_px * bbox.width, cx + 0.5 * units_per_px * bbox.width)
    plane.set_ylim(cy - 0.5 * units_per_px * bbox.height, cy + 0.5 * units_per_px * bbox.height)
    return view.render()
