"""The training lab's reconstructions: ten test digits (the first of each class), each over
its reconstruction, beside the decoded manifold.

A reconstruction is the decoder's mean image at the encoder's mean. values:
"recon": the mean over the ten of -log p(x | z = encoder mean), nats.
"""

import math

import numpy as np

from .. import session
from ..gaussian import quantile_grid
from ..losses import bernoulli_log_pmf, sigmoid
from ..plotting.theme import THEME
from ..plotting.tiles import SIDE, mosaic, pairs_mosaic

PARAMS = ()
MANIFOLD_SIDE = 8  # the decoded manifold: 8 x 8 points at the prior's 5%..95% quantiles


def cache_key():
    return session.current().version, ()


def compute():
    lab = session.current()
    d, model = session.lab_data(), lab.model
    mu_all, _, labels = lab.encoded()
    first = np.array([np.flatnonzero(labels == c)[0] for c in range(10)])
    x = d["X_test"][first]
    logits = model.decode_logits(mu_all[first]).astype(np.float64)
    recon = float(-np.mean(bernoulli_log_pmf(logits, x.astype(np.float64))))
    v = session.principal_directions(mu_all)
    grid_z = quantile_grid(MANIFOLD_SIDE) @ v.T
    manifold = sigmoid(model.decode_logits(grid_z))
    Z = model.z_dim
    summary = (f"Ten test digits, one of each class, reconstructed from their encoder means "
               f"at {recon:.2f} nats each on average, beside the decoder's images of a grid "
               + ("of latent points." if Z == 2 else
                  "along the top two principal directions of the codes."))
    drawing = {"data": x.astype(np.float64), "recons": sigmoid(logits),
               "manifold": manifold.astype(np.float64), "z_dim": Z}
    return {"recon": recon}, summary, drawing


def build(agg):
    fig, (pairs, grid) = agg.panels((640, 320), [(0.1, 0.06, 0.38, 0.8), (0.56, 0.06, 0.4, 0.8)],
                                    narrow_height=5.2, height_ratios=(1, 1))
    for ax in (pairs, grid):
        agg.digit_axes(ax)
    left = pairs.imshow(np.zeros((SIDE, SIDE)), cmap=agg.grey_cmap(), vmin=0, vmax=1,
                        interpolation="nearest")
    right = grid.imshow(np.zeros((SIDE, SIDE)), cmap=agg.grey_cmap(), vmin=0, vmax=1,
                        interpolation="nearest")
    pairs.set_title("test digits and their reconstructions", fontsize=THEME["font_size"] - 1,
                    color=THEME["text"])
    for spine in pairs.spines.values():
        spine.set_visible(False)
    # framed now for ten digits and a 2-D latent (as compute makes at first): the narrow
    # layout is fixed as the build leaves it, with room for the row names and titles
    blank = np.zeros((10, SIDE * SIDE))
    _frame(agg, pairs, grid, pairs_mosaic(blank, blank).shape,
           mosaic(np.zeros((MANIFOLD_SIDE ** 2, SIDE * SIDE)), cols=MANIFOLD_SIDE).shape, 10, 2)
    return agg.Blitted(fig, [left, right])


def _frame(agg, pairs, grid, shape, shape_m, n, z_dim):
    """Limits, row names and titles for a pairs mosaic of ``shape`` (n digits) and a
    manifold of ``shape_m``."""
    pairs.set_xlim(-0.5, shape[1] - 0.5)
    pairs.set_ylim(shape[0] - 0.5, -0.5)
    pair_height = 2 * (SIDE + 1) - 1 + 4  # see pairs_mosaic
    pair_rows = [SIDE / 2 + k * pair_height for k in range(-(-n // 5))]
    pairs.set_yticks([y + dy for y in pair_rows for dy in (0.0, SIDE + 1.0)],
                     ["data", "recon."] * len(pair_rows))
    pairs.tick_params(axis="y", length=0, labelsize=THEME["font_size"] - 1, colors=THEME["text"])
    grid.set_xlim(-0.5, shape_m[1] - 0.5)
    grid.set_ylim(shape_m[0] - 0.5, -0.5)
    if z_dim == 2:
        title = "decoded: z₁, z₂ at the prior's\n5% … 95% quantiles"
    elif agg.narrow():  # the wide title's second line is wider than the figure
        title = f"decoded along principal directions 1, 2\n5% … 95% quantiles, the other {z_dim - 2} at 0"
    else:
        title = f"decoded along the top 2 principal\ndirections, 5% … 95% quantiles (other {z_dim - 2} at 0)"
    grid.set_title(title, fontsize=THEME["font_size"] - 1, color=THEME["text"])


def draw(agg, view, data, recons, manifold, z_dim):
    """data, recons: (10, 784) in [0, 1]; manifold: (64, 784), an 8 x 8 grid of decoded
    latent points, row-major from the top left (the second coordinate grows upwards)."""
    left, right = view.live
    pairs, grid = view.fig.axes
    tiles = pairs_mosaic(data, recons)
    agg.set_pixels(left, tiles)
    left.set_extent((-0.5, tiles.shape[1] - 0.5, tiles.shape[0] - 0.5, -0.5))
    side = int(round(math.sqrt(len(manifold))))
    tiles_m = mosaic(manifold, cols=side)
    agg.set_pixels(right, tiles_m)
    right.set_extent((-0.5, tiles_m.shape[1] - 0.5, tiles_m.shape[0] - 0.5, -0.5))
    key = (tiles.shape, tiles_m.shape, z_dim)
    if key != view.key:
        _frame(agg, pairs, grid, tiles.shape, tiles_m.shape, len(data), z_dim)
    return view.render(layer_key=key)
