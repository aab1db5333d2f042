"""The test digits in latent space, and the decoded manifold, for a pretrained VAE.

The left panel scatters the encoder means of the test digits of the chosen
classes (each drawn as its digit, coloured by class) with the prior's 1 and 2 sd
circles; the right panel decodes a 10 x 10 grid of z at the prior's quantiles
(``gaussian.quantile_grid``), as in Kingma & Welling (2013), Fig. 4.
values: n_points (test digits shown), mean_kl (the mean over those digits of
KL(q(z|x) || N(0, I)), nats), model.
"""

import functools

import numpy as np

from .. import pretrained
from ..gaussian import kl_diag_terms, quantile_grid
from ..params import Choice, Digits
from ..plotting.theme import THEME
from ..plotting.tiles import SIDE, mosaic

PARAMS = (
    Digits("classes", label="digits to show", control="lat-classes"),
    Choice("model", "beta1", "trained with", "lat-model",
           options=(("beta1", "β = 1 (the ELBO)"), ("beta4", "β = 4"))),
)

MANIFOLD_SIDE = 10
MODEL_TITLES = {"beta1": "β = 1", "beta4": "β = 4"}  # the models as the figure names them


@functools.cache
def manifold(model):
    """The decoded 10 x 10 quantile grid of z as one mosaic (z2 grows upwards)."""
    return mosaic(pretrained.model(model).decode(quantile_grid(MANIFOLD_SIDE)), cols=MANIFOLD_SIDE)


def compute(classes, model):
    chosen = [int(c) for c in classes]
    mu, log_var, labels = pretrained.encoded_test_set(model)
    keep = np.isin(labels, chosen)
    mean_kl = float(np.mean(np.sum(kl_diag_terms(mu[keep], log_var[keep]), axis=1)))
    n_points = int(np.sum(keep))
    summary = (f"{n_points} test digits of class{'es' if len(chosen) > 1 else ''} "
               f"{', '.join(map(str, chosen))} encoded by the model trained with {MODEL_TITLES[model]}; their mean KL "
               f"to the prior is {mean_kl:.2f} nats.")
    values = {"n_points": n_points, "mean_kl": mean_kl, "model": model}
    drawing = {"mu": mu, "labels": labels, "chosen": chosen, "model": model,
               "tiles": manifold(model)}
    return values, summary, drawing


def build(agg):
    fig, (plane, grid) = agg.panels((640, 360), [(0.08, 0.12, 0.4, 0.72), (0.56, 0.12, 0.4, 0.72)],
                                    narrow_height=6.4, height_ratios=(1.1, 1))
    agg.latent_plane(plane)
    agg.digit_axes(grid)
    groups = [plane.scatter([], [], s=30, marker=path, color=THEME["digits"][d],
                            linewidths=0.3, label=f"class {d}")
              for d, path in enumerate(agg.digit_markers())]
    legend = agg.digit_legend(plane, groups)
    picture = grid.imshow(np.zeros((SIDE, SIDE)), cmap=agg.grey_cmap(), vmin=0, vmax=1,
                          interpolation="nearest")
    grid.set_xlabel("z₁: prior quantiles 5% … 95%", color=THEME["text"],
                    fontsize=THEME["font_size"] - 1)
    grid.set_ylabel("z₂: 5% (bottom) … 95%", color=THEME["text"],
                    fontsize=THEME["font_size"] - 1)
    _titles(agg, fig, "beta1")  # here too: the narrow layout is fixed as the build leaves it
    view = agg.Blitted(fig, groups, overlay=[legend])
    view.manifold = picture
    return view


def _titles(agg, fig, model):
    plane, grid = fig.axes
    plane.set_title(f"test digits: encoder means, {MODEL_TITLES[model]}", pad=24,
                    fontsize=THEME["font_size"] - 1, color=THEME["text"])
    # level with the plane's title, above its legend; narrow: below the plane, nothing to clear
    grid.set_title(f"decoded manifold, {MODEL_TITLES[model]}", pad=6 if agg.narrow() else 24,
                   fontsize=THEME["font_size"] - 1, color=THEME["text"])


def draw(agg, view, mu, labels, chosen, model, tiles):
    """mu: (N, 2) encoder means; labels: (N,) digits; chosen: the digits to show; tiles: the
    decoded manifold, which belongs to the static layer (it depends only on the model)."""
    for d, group in enumerate(view.live):
        group.set_offsets(mu[labels == d] if d in chosen else np.empty((0, 2)))
    if view.key != model:
        agg.set_pixels(view.manifold, tiles)
        view.manifold.set_extent((-0.5, tiles.shape[1] - 0.5, tiles.shape[0] - 0.5, -0.5))
        _titles(agg, view.fig, model)
    return view.render(layer_key=model)
