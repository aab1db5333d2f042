"""Digit images laid out as one picture: mosaics of 28x28 tiles (numpy only).

Gaps between tiles are NaN, which the digit colour map shows as the background.
"""

import numpy as np

from ..data import SIDE

__all__ = ["SIDE", "mosaic", "pairs_mosaic"]

def mosaic(images, cols, gap=1, fill=np.nan):
    """(N, 784) images -> one array of 28x28 tiles, ``cols`` per row, ``gap`` pixels apart."""
    n = len(images)
    rows = -(-n // cols)
    size = SIDE + gap
    out = np.full((rows * size - gap, cols * size - gap), fill)
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        out[r * size : r * size + SIDE, c * size : c * size + SIDE] = img.reshape(SIDE, SIDE)
    return out


def pairs_mosaic(data, recons, cols=5, gap=1, pair_gap=4):
    """Rows of ``cols`` digits over their reconstructions, pairs of rows ``pair_gap`` apart."""
    n = len(data)
    pairs = -(-n // cols)
    size = SIDE + gap
    height = pairs * (2 * size - gap) + (pairs - 1) * pair_gap
    out = np.full((height, cols * size - gap), np.nan)
    for i in range(n):
        r, c = divmod(i, cols)
        y = r * (2 * size - gap + pair_gap)
        out[y : y + SIDE, c * size : c * size + SIDE] = data[i].reshape(SIDE, SIDE)
        out[y + size : y + size + SIDE, c * size : c * size + SIDE] = recons[i].reshape(SIDE, SIDE)
    return out
