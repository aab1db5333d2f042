"""What the four toy-model figures share: their z axis, the prior on it, and x and s.

The toy model is z ~ N(0, 1), x | z ~ N(z^2, s^2) (``toy``). Every toy figure draws
over the same z axis, [-4, 4], so the eye can compare them.
"""

import numpy as np

from ..gaussian import log_normal_pdf
from ..params import Real

__all__ = ["PRIOR", "Z", "s_param", "x_param"]

Z = np.linspace(-4.0, 4.0, 1601)
PRIOR = np.exp(log_normal_pdf(Z))


def x_param(control):
    """The observation x, in [-1, 6], default 2, on the control with id ``control``."""
    return Real("x", 2.0, "x, the observation", control, lo=-1.0, hi=6.0, short="x")


def s_param(control=None):
    """The likelihood's noise s, in [0.1, 2], default 0.5 (no control unless given one)."""
    return Real("s", 0.5, "s, the noise of p(x | z)", control, lo=0.1, hi=2.0, short="s")
