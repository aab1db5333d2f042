"""The reader's own digit: where the encoder puts it, its exact posterior, and the ELBO's gap
split into approximation and amortisation (``gap.gap_split``).

Panels: the latent plane with the test digits' encoder means and the drawing's q
and q*; the exact p(z|x) seen from q* (axes in q*'s standard deviations, so q*
is the unit circle and the encoder's q an ellipse); the reconstruction at q's
mean; and the drawing's log p(x) among the test digits' (pretrained models only:
their values are computed in advance, ``scripts/make_test_log_px.py``).

values (nats): "log_px", "elbo_encoder", "elbo_best", "approximation_gap",
"amortization_gap", "gap" (= log_px - elbo_encoder), "gap_sum" (= the two parts
added), "kl_encoder", "kl_best" (KL(q || p(z|x)) and KL(q* || p(z|x)) on the
grid; kl_encoder is null when q lies off the posterior's grid), "residual"
(log_px - elbo_encoder - kl_encoder), "residual_best"
(approximation_gap - kl_best), "tolerance", "identity_ok", "ink" (inked pixels),
"q_mu1", "q_mu2", "q_sd1", "q_sd2", "best_mu1", ..., "percentile" (the share of
test digits with a lower log p(x), in %; null for the lab's model), "model".
"""

import math
from types import SimpleNamespace

import numpy as np

from .. import data, pretrained, session
from ..gap import gap_split
from ..params import Choice, Drawing
from ..plotting.theme import THEME
from ..plotting.tiles import SIDE

PARAMS = (  # the drawing opens as test digit 300, a 3
    Drawing("x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAwAAAD_4AAD_wAAADAAAAYAAABgAAAcAAABgAAAMAAABwAAAD-"
                 "AAAAcAAAAwAAAGAAAAYAAADgAAAcAAADgAAA8AAADAAAAAAAAAAAA", "your drawing", "draw-x",
            start=300),
    Choice("model", "beta1", "the model", "draw-model",
           options=(("beta1", "pretrained, β = 1"), ("beta4", "pretrained, β = 4"),
                    ("lab", "the lab's current network"))),
)
CACHE_SIZE = 16
PLANE_LIM = 4.5  # the latent plane: [-4.5, 4.5]^2
VIEW_SD = 4.0  # the posterior panel spans +-4 of q*'s standard deviations


def cache_key(x, model):
    scope = session.current().version if model == "lab" else "pretrained"
    return scope, (x, model)


def _model(model):
    """(vae, test means, test labels, test log p(x) or None, a name for the layer)."""
    if model != "lab":
        mu, _, labels = pretrained.encoded_test_set(model)
        return pretrained.model(model), mu, labels, pretrained.test_log_px(model), model
    lab = session.current()
    if lab.model.z_dim != 2:
        raise ValueError(f"The lab's network has a {lab.model.z_dim}-D latent; the exact posterior "
                         "needs 2. Set the lab's latent size to 2 and press Reset, or choose a "
                         "pretrained model.")
    mu, _, labels = lab.encoded()
    return lab.model, mu, labels, None, ("lab", lab.version)


def compute(x, model):
    image = data.unpack_image(x)
    vae, test_mu, test_labels, test_log_px, layer = _model(model)
    r = gap_split(vae, image)
    q_mu, q_sd, best_mu, best_sd = r["encoder_mu"], r["encoder_sd"], r["best_mu"], r["best_sd"]
    percentile = None
    if test_log_px is not None:
        percentile = float(100.0 * np.mean(test_log_px < r["log_px"]))
    values = {key: float(r[key]) for key in (
        "log_px", "elbo_encoder", "elbo_best", "approximation_gap", "amortization_gap",
        "kl_encoder", "kl_best", "residual", "residual_best", "tolerance")}
    if not r["kl_encoder_checked"]:  # q lies off the posterior's grid: no independent KL
        values["kl_encoder"] = values["residual"] = None
    values.update(gap=r["log_px"] - r["elbo_encoder"],
                  gap_sum=r["approximation_gap"] + r["amortization_gap"],
                  identity_ok=r["identity_ok"], ink=int(image.sum()), percentile=percentile,
                  model=model, q_mu1=float(q_mu[0]), q_mu2=float(q_mu[1]),
                  q_sd1=float(q_sd[0]), q_sd2=float(q_sd[1]), best_mu1=float(best_mu[0]),
                  best_mu2=float(best_mu[1]), best_sd1=float(best_sd[0]),
                  best_sd2=float(best_sd[1]))
    typical = "" if percentile is None else (
        f" It is more probable than {percentile:.0f}% of the test digits.")
    summary = (f"Your drawing ({values['ink']} inked pixels) has log p(x) = {r['log_px']:.2f} "
               f"nats and an encoder ELBO of {r['elbo_encoder']:.2f}: a gap of "
               f"{values['gap']:.2f}, of which {r['approximation_gap']:.2f} is the approximation "
               f"gap (the best Gaussian still misses the posterior) and "
               f"{r['amortization_gap']:.2f} the amortisation gap (the encoder misses the best "
               f"Gaussian).{typical}")
    grid = r["grid"]
    drawing = {"layer": layer, "test_mu": test_mu, "test_labels": test_labels,
               "test_log_px": test_log_px, "log_px": r["log_px"],
               "recon": vae.decode(q_mu[None].astype(vae.dtype))[0],
               "q_mu": q_mu, "q_sd": q_sd, "best_mu": best_mu, "best_sd": best_sd,
               "z1": grid["z1"], "z2": grid["z2"], "lj": grid["lj"]}
    return values, summary, drawing


def _title(ax, text):
    ax.set_title(text, fontsize=THEME["font_size"] - 1, color=THEME["text"], loc="left")


def build(agg):
    fig, (plane, zoom, recon, hist) = agg.panels(
        (640, 520), [(0.09, 0.44, 0.38, 0.48), (0.59, 0.44, 0.38, 0.48), (0.04, 0.06, 0.2, 0.25),
                     (0.36, 0.1, 0.6, 0.2)],
        narrow_height=7.2, nrows=3, ncols=2, height_ratios=(3, 3, 1.2), width_ratios=(1, 2.5),
        cells=[(0, slice(None)), (1, slice(None)), (2, 0), (2, 1)])
    agg.latent_plane(plane, lim=PLANE_LIM)
    if agg.narrow():
        plane.set_xticks(range(-4, 5, 2))  # as z₂'s, not −2.5, 0.0, 2.5
    _title(plane, "where q(z|x) lands among test digits")
    scatter = plane.scatter([], [], s=7, alpha=0.5, linewidths=0)
    q_dot, = plane.plot([0], [0], "o", ms=8, color=THEME["q"], mec=THEME["background"],
                        mew=1.2, zorder=4, label="q")
    best_dot, = plane.plot([0], [0], "x", ms=8, mew=2, color=THEME["posterior"], zorder=5,
                           label="q*")
    agg.legend(plane, loc="lower right", handlelength=1.0)

    agg.style_axes(zoom)
    zoom.set_xlim(-VIEW_SD, VIEW_SD)
    zoom.set_ylim(-VIEW_SD, VIEW_SD)
    zoom.set_aspect("equal")
    agg.label_axes(zoom, "(z₁ − μ*₁) / σ*₁: seen from q*", "(z₂ − μ*₂) / σ*₂")
    cmap = agg.LinearSegmentedColormap.from_list(
        "posterior", [THEME["background"], agg.to_rgba(THEME["posterior"], 0.85)])
    density = zoom.imshow(np.zeros((2, 2)), cmap=cmap, vmin=0, vmax=1, origin="lower",
                          interpolation="bilinear", extent=(-1, 1, -1, 1), zorder=1)
    best_circles = [agg.Ellipse((0, 0), 2 * k, 2 * k, fill=False, ec=THEME["posterior"], lw=1.6,
                                ls=ls, zorder=3) for k, ls in ((1.0, "-"), (2.0, "--"))]
    for e in best_circles:
        zoom.add_patch(e)
    q_ellipses = [agg.Ellipse((0, 0), 1, 1, fill=False, ec=THEME["q"], lw=lw, ls=ls, zorder=4)
                  for lw, ls in ((2.0, "-"), (1.4, "--"))]
    for e in q_ellipses:
        zoom.add_patch(e)
    off_view = zoom.text(0.02, 0.02, "", transform=zoom.transAxes, color=THEME["q"],
                         fontsize=THEME["font_size"] - 2, zorder=5)
    # above the axes, in the static layer: the density (live) is drawn over the axes only
    agg.legend(zoom, loc="lower left", bbox_to_anchor=(-0.14, 1.0), ncol=3, borderaxespad=0.2,
               handlelength=1.2, handletextpad=0.4, columnspacing=0.8, handles=[
                   agg.Patch(color=agg.to_rgba(THEME["posterior"], 0.6)),
                   agg.Line2D([], [], color=THEME["posterior"], lw=1.6),
                   agg.Line2D([], [], color=THEME["q"], lw=2)],
               labels=["exact p(z|x)", "q* (1, 2 sd)", "q"])

    agg.digit_axes(recon)
    _title(recon, "reconstruction")
    picture = recon.imshow(np.zeros((SIDE, SIDE)), cmap=agg.grey_cmap(), vmin=0, vmax=1,
                           interpolation="nearest")

    agg.style_axes(hist)
    hist.set_yticks([])
    agg.label_axes(hist, "log p(x), nats", "")
    if agg.narrow():  # the layout is fixed as the build leaves it: room for a two-line title
        _title(hist, "the test digits'\nlog p(x)")
        hist.set_xlim(-400, 0)
    marker = hist.axvline(0, color=THEME["q"], lw=2.2, zorder=4)
    marker_text = hist.text(0, 0.96, "", transform=hist.get_xaxis_transform(), color=THEME["q"],
                            fontsize=THEME["font_size"] - 1, ha="center", va="top", zorder=5)
    # live artists are drawn over the saved layer, in this order: q*'s circles after the density
    live = [q_dot, best_dot, density, *best_circles, *q_ellipses, off_view, picture, marker,
            marker_text]
    view = agg.Blitted(fig, live)
    view.hist_limits = {}  # layer -> the histogram's x limits in it
    view.parts = SimpleNamespace(plane=plane, zoom=zoom, hist=hist, scatter=scatter, bars=None,
                                 note=None, q_dot=q_dot, best_dot=best_dot, density=density,
                                 q_ellipses=q_ellipses, off_view=off_view, picture=picture,
                                 marker=marker, marker_text=marker_text)
    return view


def _static(agg, view, layer, test_mu, test_labels, test_log_px):
    """The layer that depends only on the model: the test digits' means and log p(x)."""
    p = view.parts
    p.scatter.set_offsets(test_mu)
    p.scatter.set_color([THEME["digits"][d] for d in test_labels])
    if p.bars is not None:
        p.bars.remove()
        p.bars = None
    if p.note is not None:
        p.note.remove()
        p.note = None
    if test_log_px is None:
        p.hist.set_xlim(-400, 0)
        if agg.narrow():  # a title of two lines, as for the pretrained models: the layout keeps room for it
            _title(p.hist, "the test digits' log p(x):\npretrained models only")
        else:
            p.note = p.hist.text(0.5, 0.5, "the test digits' log p(x) are computed in advance for "
                                 "the pretrained models only", transform=p.hist.transAxes,
                                 ha="center", va="center", color=THEME["prior"],
                                 fontsize=THEME["font_size"] - 2)
            p.hist.set_title("")
    else:
        lo = math.floor(min(test_log_px.min(), -300) / 50) * 50
        counts, edges = np.histogram(test_log_px, bins=np.arange(lo, 1, 10))
        p.bars = p.hist.bar(edges[:-1], counts, width=10, align="edge", color=THEME["prior"],
                            alpha=0.5, lw=0)
        p.hist.set_xlim(lo, 0)
        p.hist.set_ylim(0, counts.max() * 1.1)
        wrap = "\n" if agg.narrow() else " "  # narrow: no wider than the histogram
        _title(p.hist, f"the {len(test_log_px):,} test digits'{wrap}log p(x), and yours")
    view.key = None
    view.hist_limits[layer] = p.hist.get_xlim()


def draw(agg, view, layer, test_mu, test_labels, test_log_px, log_px, recon, q_mu, q_sd,
         best_mu, best_sd, z1, z2, lj):
    p = view.parts
    if layer not in view.layers:
        _static(agg, view, layer, test_mu, test_labels, test_log_px)
    p.hist.set_xlim(view.hist_limits[layer])  # the live marker is placed in this layer's scale
    p.q_dot.set_data([q_mu[0]], [q_mu[1]])
    p.best_dot.set_data([best_mu[0]], [best_mu[1]])
    p.density.set_data(np.exp(lj - lj.max()))
    p.density.set_extent(((z1[0] - best_mu[0]) / best_sd[0], (z1[-1] - best_mu[0]) / best_sd[0],
                          (z2[0] - best_mu[1]) / best_sd[1], (z2[-1] - best_mu[1]) / best_sd[1]))
    centre = (q_mu - best_mu) / best_sd
    for e, k in zip(p.q_ellipses, (1.0, 2.0)):
        e.set_center((float(centre[0]), float(centre[1])))
        e.width, e.height = (float(v) for v in 2.0 * k * q_sd / best_sd)
    far = np.abs(centre).max() > VIEW_SD
    wrap = "\n" if agg.narrow() else " "  # narrow: within the panel
    p.off_view.set_text(f"q's centre is off this view,{wrap}at ({centre[0]:.0f}, {centre[1]:.0f})"
                        if far else "")
    p.off_view.set_visible(bool(far))  # an empty text still costs a layout
    agg.set_pixels(p.picture, np.reshape(recon, (SIDE, SIDE)))
    lo, hi = p.hist.get_xlim()
    at = min(max(log_px, lo), hi)
    p.marker.set_xdata([at, at])
    p.marker_text.set_x(at)
    p.marker_text.set_ha("left" if at < lo + 0.5 * (hi - lo) else "right")
    p.marker_text.set_x(at + (0.01 if at < lo + 0.5 * (hi - lo) else -0.01) * (hi - lo))
    off = "\n(off the scale)" if agg.narrow() else " (off the scale)"  # narrow: within the histogram
    p.marker_text.set_text(f"yours: {log_px:.1f}" + (off if at != log_px else ""))
    return view.render(layer_key=layer)
