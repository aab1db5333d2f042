"""Axis ranges that change rarely, and the outlines the figures fill: numpy only.

A figure's static layer is redrawn only when its axis limits change, so limits
come from ladders of round numbers: ``nice_top`` picks the first rung at or
above a value. The ladders that several figures share live here.
"""

import math

import numpy as np

__all__ = ["DENSITY_LADDER", "EPOCH_LADDER", "band", "nice_range", "nice_top", "step_outline",
           "subsample_log", "subscript"]

DENSITY_LADDER = (0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0, 32.0)
EPOCH_LADDER = (10.0, 20.0, 50.0, 100.0, 150.0, 200.0, 300.0, 500.0, 750.0, 1000.0, 1500.0,
                2000.0)


def nice_top(value, ladder=(0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.5, 10.0)):
    """The smallest rung of ``ladder`` >= value (beyond the last: value rounded up)."""
    for rung in ladder:
        if value <= rung:
            return rung
    return float(np.ceil(value))


def nice_range(lo, hi, steps=(0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0), most=8):
    """(lo, hi) widened to multiples of the smallest step giving at most ``most`` steps."""
    span = max(hi - lo, 1e-9)
    step = next((s for s in steps if span / s <= most), steps[-1])
    return step * math.floor(lo / step), step * math.ceil(hi / step)


def band(x, y):
    """Vertices of the region between the curve y(x) and zero, for a filled polygon."""
    return np.concatenate([np.column_stack([x, y]), [[x[-1], 0.0], [x[0], 0.0]]])


def step_outline(edges, counts):
    """A histogram's outline as (x, y) for a line: a closed staircase down to 0."""
    x = np.repeat(edges, 2)
    y = np.concatenate([[0.0], np.repeat(counts, 2), [0.0]])
    return x, y


def subsample_log(n, points=300):
    """About ``points`` indices 0..n-1, evenly spread on a log scale of the count 1..n."""
    if n <= points:
        return np.arange(n)
    return np.unique(np.geomspace(1, n, points).round().astype(int)) - 1


def subscript(n):
    """n in subscript digits: 12 -> "₁₂"."""
    return str(n).translate(str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉"))
