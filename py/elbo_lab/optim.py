"""Adam (Kingma & Ba, 2015), with bias correction, updating parameters in place.

For each parameter p with gradient g, at step t = 1, 2, ...:

    m = beta1 m + (1 - beta1) g             running mean of g
    v = beta2 v + (1 - beta2) g^2           running mean of g^2
    p -= lr * (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + eps)

Speed: when all the parameters are views into one flat buffer (as in
``vae.VAE``) and the gradients are too, with the same layout, ``step`` updates
the whole buffer with a dozen numpy calls instead of a dozen per parameter.
The numbers are the same either way.
"""

import math

import numpy as np

from .checks import ParamError, in_range

__all__ = ["Adam", "flat_base"]


def flat_base(arrays):
    """The 1-D array that ``arrays`` (a dict) tile exactly, in order, or None.

    Returns ``base`` if every value is a C-contiguous view of the same 1-D
    floating-point array ``base`` and, taken in dict order, they cover it end to end
    without gaps or overlap. Otherwise returns None.
    """
    values = list(arrays.values())
    if not values:
        return None
    base = values[0].base
    if not isinstance(base, np.ndarray) or base.ndim != 1 or not base.flags.c_contiguous:
        return None
    if base.dtype.kind != "f":
        return None
    offset = base.__array_interface__["data"][0]
    for a in values:
        if a.base is not base or not a.flags.c_contiguous:
            return None
        if a.__array_interface__["data"][0] != offset:
            return None
        offset += a.nbytes
    if offset != base.__array_interface__["data"][0] + base.nbytes:
        return None
    return base


class Adam:
    """Adam over a dict of float arrays, updated in place by ``step(grads)``.

    params: dict name -> array (e.g. ``VAE.params``). lr > 0 is the step size;
    beta1, beta2 in [0, 1) the decay rates of the moment estimates; eps > 0.
    """

    def __init__(self, params, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        lr = in_range("lr", lr, 0.0, lo_open=True)
        beta1 = in_range("beta1", beta1, 0.0, 1.0, hi_open=True)
        beta2 = in_range("beta2", beta2, 0.0, 1.0, hi_open=True)
        eps = in_range("eps", eps, 0.0, lo_open=True)
        if not params:
            raise ParamError("params", "params is empty: there is nothing to optimise")
        self.params = params
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t = 0  # steps taken
        self._names = list(params)
        self._flat = flat_base(params)
        if self._flat is not None:
            # one flat buffer per moment, plus per-parameter views into it
            self._m_flat = np.zeros_like(self._flat)
            self._v_flat = np.zeros_like(self._flat)
            self._tmp = np.empty_like(self._flat)
            self.m = self._views_like(self._m_flat)
            self.v = self._views_like(self._v_flat)
        else:
            self.m = {k: np.zeros_like(p) for k, p in params.items()}
            self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self._grads_seen = None  # (the grad arrays, their flat base), cached

    def _views_like(self, flat):
        views, start = {}, 0
        for k in self._names:
            p = self.params[k]
            views[k] = flat[start : start + p.size].reshape(p.shape)
            start += p.size
        return views

    def _flat_grads(self, grads):
        """grads' flat base if it has the params' layout, else None (cached)."""
        if self._flat is None:
            return None
        values = [grads[k] for k in self._names] if len(grads) == len(self._names) else None
        if values is None:
            return None
        seen = self._grads_seen
        if seen is not None and all(a is b for a, b in zip(values, seen[0])):
            return seen[1]
        base = flat_base({k: grads[k] for k in self._names})
        if base is not None and (base.size != self._flat.size or base.dtype != self._flat.dtype):
            base = None
        self._grads_seen = (values, base)
        return base

    def step(self, grads):
        """One Adam update of every parameter, in place. grads: same keys and shapes."""
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        # Fold the bias corrections into two scalars (Kingma & Ba, section 2):
        # lr m_hat / (sqrt(v_hat) + eps) = lr_t m / (sqrt(v) + eps_t)
        sqrt_bc2 = math.sqrt(1.0 - b2**self.t)
        lr_t = self.lr * sqrt_bc2 / (1.0 - b1**self.t)
        eps_t = self.eps * sqrt_bc2
        g_flat = self._flat_grads(grads)
        if g_flat is not None:  # one update of the whole flat buffer
            _adam_update(self._flat, g_flat, self._m_flat, self._v_flat, self._tmp,
                         b1, b2, lr_t, eps_t)
        else:
            for k in self._names:
                p, g = self.params[k], grads[k]
                if g.shape != p.shape:
                    raise ParamError("grads", f"grads[{k!r}] has shape {g.shape}, "
                                              f"but the parameter has {p.shape}")
                _adam_update(p, g, self.m[k], self.v[k], np.empty_like(p), b1, b2, lr_t, eps_t)


def _adam_update(p, g, m, v, tmp, b1, b2, lr_t, eps_t):
    """In place: update the moments m, v with g, then p -= lr_t m / (sqrt(v) + eps_t)."""
    m *= b1
    np.multiply(g, 1.0 - b1, out=tmp)
    m += tmp  # m = b1 m + (1 - b1) g
    v *= b2
    np.multiply(g, g, out=tmp)
    tmp *= 1.0 - b2
    v += tmp  # v = b2 v + (1 - b2) g^2
    np.sqrt(v, out=tmp)
    tmp += eps_t
    np.divide(m, tmp, out=tmp)
    tmp *= lr_t
    p -= tmp  # p -= lr m_hat / (sqrt(v_hat) + eps)
