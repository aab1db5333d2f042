"""Gradient-check helpers shared by the layer and VAE tests (after CS231n's)."""

import numpy as np

__all__ = ["numerical_gradient", "rel_error"]


def rel_error(a, b):
    """Largest elementwise |a - b| / max(1e-8, |a| + |b|)."""
    return np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))


def numerical_gradient(f, x, h=1e-5):
    """d f() / d x by central differences; f reads x, which is probed in place."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        f_plus = f()
        x[i] = old - h
        f_minus = f()
        x[i] = old  # restore
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad
