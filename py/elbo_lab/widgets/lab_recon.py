"""The training lab's reconstructions: ten test digits (the first of each class), each over
its reconstruction, beside the decoded manifold.

A reconstruction is the decoder's mean image at the encoder's mean. values:
"recon": the mean over the ten of -log p(x | z = encoder mean), nats.
"""

import math

import numpy as np

from .. import session
from ..losses import bernoulli_log_pmf, sigmoid
from ..plotting.theme import THEME
from ..plotting.tiles import mosaic, pairs_mosaic

PARAMS = ()
MANIFOLD_SIDE = 10  # the decoded manifold: 10 x 10 points over [-2.5, 2.5]^2


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
    side = np.linspace(-2.5, 2.5, MANIFOLD_SIDE)
    a, b = np.meshgrid(side, side[::-1])  # the second coordinate grows upwards
    grid_z = np.column_stack([a.ravel(), b.ravel()]) @ v.T
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
    fig = agg.new_figure(640, 320)
    pairs = fig.add_axes((0.1, 0.06, 0.38, 0.8))
    grid = fig.add_axes((0.56, 0.06, 0.4, 0.8))
    for ax in (pairs, grid):
        agg.digit_axes(ax)
    left = pairs.imshow(np.zeros((8, 8)), cmap=agg.grey_cmap(), vmin=0, vmax=1,
                        interpolation="nearest")
    right = grid.imshow(np.zeros((8, 8)), cmap=agg.grey_cmap(), vmin=0, vmax=1,
                        interpolation="nearest")
    pairs.set_title("test digits and their reconstructions", fontsize=THEME["font_size"] - 1,
                    color=THEME["text"])
    for spine in pairs.spines.values():
        spine.set_visible(False)
    return agg.Blitted(fig, [left, right])


def draw(agg, view, data, recons, manifold, z_dim):
    """data, recons: (10, 64) in [0, 1]; manifold: (100, 64), a 10 x 10 grid of decoded
    latent points, row-major from the top left (the second coordinate grows upwards)."""
    left, right = view.live
    pairs, grid = view.fig.axes
    tiles = pairs_mosaic(data, recons)
    left.set_data(tiles)
    left.set_extent((-0.5, tiles.shape[1] - 0.5, tiles.shape[0] - 0.5, -0.5))
    side = int(round(math.sqrt(len(manifold))))
    tiles_m = mosaic(manifold, cols=side)
    right.set_data(tiles_m)
    right.set_extent((-0.5, tiles_m.shape[1] - 0.5, tiles_m.shape[0] - 0.5, -0.5))
    key = (tiles.shape, tiles_m.shape, z_dim)
    if key != view.key:
        pairs.set_xlim(-0.5, tiles.shape[1] - 0.5)
        pairs.set_ylim(tiles.shape[0] - 0.5, -0.5)
        pair_rows = [4.0 + k * 21.0 for k in range(-(-len(data) // 5))]  # see pairs_mosaic
        pairs.set_yticks([y + dy for y in pair_rows for dy in (0.0, 9.0)],
                         ["data", "recon."] * len(pair_rows))
        pairs.tick_params(axis="y", length=0, labelsize=THEME["font_size"] - 1,
                          colors=THEME["text"])
        grid.set_xlim(-0.5, tiles_m.shape[1] - 0.5)
        grid.set_ylim(tiles_m.shape[0] - 0.5, -0.5)
        if z_dim == 2:
            grid.set_title("decoded: z₁, z₂ from −2.5 to 2.5", fontsize=THEME["font_size"] - 1,
                           color=THEME["text"])
        else:
            grid.set_title(f"decoded along the top 2 principal\ndirections, −2.5 to 2.5 "
                           f"(other {z_dim - 2} at 0)", fontsize=THEME["font_size"] - 1,
                           color=THEME["text"])
    return view.render(layer_key=key)
