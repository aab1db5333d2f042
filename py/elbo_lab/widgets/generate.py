"""The generative story with the pretrained beta = 1 VAE: z ~ N(0, I), then decode.

Draws n latent points from ``default_rng(seed)`` and decodes each to its mean
image (each pixel's probability of ink). values: n, mean_log_prior (the mean of
log N(z; 0, I) over the draws, nats).
"""

import math

import numpy as np

from .. import pretrained
from ..gaussian import log_std_normal
from ..params import Seed, Whole
from ..plotting.theme import THEME
from ..plotting.tiles import SIDE, mosaic

PARAMS = (
    Whole("n", 16, "number of samples", "gen-n", lo=1, hi=64, box_label="samples value"),
    Seed("seed", label="Draw new codes", control="gen-seed"),
)


def compute(n, seed):
    z = np.random.default_rng(seed).standard_normal((n, 2))
    images = pretrained.model("beta1").decode(z)  # (n, 784) in [0, 1]
    mean_log_prior = float(np.mean(log_std_normal(z)))
    summary = (f"{n} point{'s' if n > 1 else ''} drawn from the prior N(0, I) "
               f"(mean log density {mean_log_prior:.2f} nats) and decoded into "
               f"{'digits' if n > 1 else 'a digit'} by the pretrained VAE.")
    return {"n": n, "mean_log_prior": mean_log_prior}, summary, {"z": z, "images": images}


def build(agg):
    fig, (plane, grid) = agg.panels((640, 320), [(0.08, 0.14, 0.4, 0.8), (0.55, 0.06, 0.42, 0.88)],
                                    narrow_height=5.4)
    agg.latent_plane(plane)
    agg.digit_axes(grid)
    points = agg.quick_extents(plane.scatter([], [], s=16, color=THEME["q"], zorder=3))
    narrow = agg.narrow()  # numbers a point larger: about as large on a phone as on the desktop
    labels = agg.number_labels(plane, 8 if narrow else 7, THEME["text"])
    picture = grid.imshow(np.zeros((SIDE, SIDE)), cmap=agg.grey_cmap(), vmin=0, vmax=1,
                          interpolation="nearest")
    tile_labels = agg.number_labels(grid, 7 if narrow else 6, THEME["q"], va="top")
    return agg.Blitted(fig, [points, picture, labels, tile_labels])


def draw(agg, view, z, images):
    """Left: the n latent draws, numbered, on the prior's circles. Right: their digits."""
    points, picture, labels, tile_labels = view.live
    n = len(z)
    points.set_offsets(z)
    agg.set_numbers(labels, z + 0.06)
    cols = max(1, math.ceil(math.sqrt(n)))
    tiles = mosaic(images, cols)
    agg.set_pixels(picture, tiles)
    rows, width = tiles.shape[0], tiles.shape[1]
    picture.set_extent((-0.5, width - 0.5, rows - 0.5, -0.5))
    r, c = np.divmod(np.arange(n if n <= 36 else 0), cols)  # beyond 6 x 6 they would crowd the digits
    agg.set_numbers(tile_labels, np.column_stack([c * (SIDE + 1) + 0.5, r * (SIDE + 1) + 0.5]))
    grid = view.fig.axes[1]
    agg.limits(grid, x=(-0.5, width - 0.5), y=(rows - 0.5, -1.8))
    return view.render(layer_key=(rows, width))
