"""Layers as forward/backward pairs, in the style of CS231n.

Every layer is two functions. ``*_forward(inputs...) -> (out, cache)`` computes
the output and keeps what the backward pass needs; ``*_backward(dout, cache)``
takes the gradient of the loss with respect to ``out`` and returns the gradients
with respect to each input. A gradient is named after its value with a ``d``
in front: ``dmu`` is d(loss)/d(mu).

Shapes: N examples, D inputs, M outputs.

Every matrix product goes through ``matmul`` so that its backend can be
chosen: ``"numpy"`` (the default, ``@``) or ``"blas"``
(``scipy.linalg.blas.dgemm``, which is several times faster than ``@`` inside
Pyodide for these shapes). Select with ``set_matmul_backend``; the BLAS
functions come from ``fastblas.py``, which loads scipy.
"""

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from .checks import ParamError

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "activation_backward",
    "activation_forward",
    "affine_backward",
    "affine_forward",
    "get_matmul_backend",
    "install_gemm",
    "matmul",
    "reparam_backward",
    "reparam_forward",
    "set_matmul_backend",
]


# ---------------------------------------------------------------------------
# The one matrix product
# ---------------------------------------------------------------------------

_backend = "numpy"
_gemm = {}  # dtype -> BLAS gemm (dgemm, sgemm): filled by installing fastblas.py


def install_gemm(table):
    """Make BLAS gemm functions available to the "blas" backend: {dtype: gemm}.

    ``fastblas.py`` calls this when it is imported (it imports scipy, which costs
    seconds in the browser, so the page loads it only when training starts).
    """
    _gemm.update({np.dtype(dtype): fn for dtype, fn in table.items()})


def set_matmul_backend(name):
    """Choose how ``matmul`` multiplies: ``"numpy"`` (``@``) or ``"blas"`` (gemm).

    ``"blas"`` calls dgemm for float64 and sgemm for float32; it needs scipy's
    BLAS, installed by importing ``elbo_lab.fastblas``. Both backends give the
    same numbers up to rounding.
    """
    global _backend
    if name not in ("numpy", "blas"):
        raise ParamError("name", f'matmul backend must be "numpy" or "blas", not {name!r}')
    if name == "blas" and not _gemm:
        raise ParamError("name", 'the "blas" backend needs scipy: import elbo_lab.fastblas first')
    _backend = name


def get_matmul_backend():
    """The name of the current ``matmul`` backend."""
    return _backend


def matmul(a, b, trans_a=False, trans_b=False, out=None):
    """``op(a) @ op(b)``, where ``op`` transposes when its flag is set.

    a: (M, K), or (K, M) with trans_a. b: (K, P), or (P, K) with trans_b.
    Both float64 or both float32. Returns a C-contiguous (M, P) array: a new
    one, or ``out`` (C-contiguous, same dtype) filled in place.

    The "blas" backend calls Fortran gemm without copying C-ordered inputs: a
    C-ordered array is the Fortran-ordered array of its transpose, so it asks
    for ``(op(a) @ op(b)).T = op(b).T @ op(a).T`` and transposes the answer back.
    """
    gemm = _gemm.get(a.dtype) if _backend == "blas" else None
    if gemm is None or b.dtype != a.dtype:  # numpy, or dtypes BLAS does not take
        return np.matmul(a.T if trans_a else a, b.T if trans_b else b, out=out)
    if not a.flags.c_contiguous:
        a = np.ascontiguousarray(a)
    if not b.flags.c_contiguous:
        b = np.ascontiguousarray(b)
    if out is None:
        return gemm(1.0, b.T, a.T, trans_a=trans_b, trans_b=trans_a).T
    gemm(1.0, b.T, a.T, beta=0.0, c=out.T, overwrite_c=True, trans_a=trans_b, trans_b=trans_a)
    return out


# ---------------------------------------------------------------------------
# Affine: out = x @ w + b
# ---------------------------------------------------------------------------


def affine_forward(x, w, b):
    """Fully connected layer ``out = x @ w + b``.

    x: (N, D), w: (D, M), b: (M,). Returns out: (N, M) and cache ``(x, w)``.
    """
    out = matmul(x, w)  # (N, M)
    out += b  # bias, broadcast over the batch
    cache = (x, w)
    return out, cache


def affine_backward(dout, cache, input_grad=True):
    """Backward pass of ``affine_forward``.

    dout: (N, M). Returns ``(dx, dw, db)`` with shapes (N, D), (D, M), (M,).
    With ``input_grad=False``, dx is not computed and is returned as None (the
    first layer of a network needs no gradient for the data; it saves one
    matrix product).
    """
    x, w = cache
    dw = matmul(x, dout, trans_a=True)  # x.T @ dout, (D, M)
    db = dout.sum(axis=0)  # (M,)
    dx = matmul(dout, w, trans_b=True) if input_grad else None  # dout @ w.T, (N, D)
    return dx, dw, db


# ---------------------------------------------------------------------------
# Activations, each declared with its derivative (as in TF Playground)
# ---------------------------------------------------------------------------


class Activation(NamedTuple):
    """An elementwise nonlinearity y = output(a) and its derivative.

    ``der`` is written in terms of the OUTPUT y, so the cache keeps only y:
    tanh' = 1 - y**2 and relu' = 1 where y > 0, else 0. Both take an optional
    ``out`` array to write into (used by the allocation-free training step).
    """

    name: str
    output: Callable  # (a, out=None) -> y
    der: Callable  # (y, out=None) -> dy/da


def _tanh_der(y, out=None):
    out = np.multiply(y, y, out=out)  # y^2
    return np.subtract(1.0, out, out=out)  # 1 - y^2


def _relu(a, out=None):
    return np.maximum(a, 0.0, out=out)  # max(a, 0)


def _relu_der(y, out=None):
    if out is None:
        out = np.empty_like(y)
    # the step 1 if y > 0 else 0, written as floats (several times faster than np.heaviside)
    return np.greater(y, 0.0, out=out, casting="unsafe")


ACTIVATIONS = {
    "tanh": Activation("tanh", output=np.tanh, der=_tanh_der),
    "relu": Activation("relu", output=_relu, der=_relu_der),
}


def activation_forward(a, activation):
    """Apply an ``Activation`` elementwise. a: any shape. Returns y and cache."""
    y = activation.output(a)
    cache = (y, activation)
    return y, cache


def activation_backward(dy, cache):
    """Backward pass of ``activation_forward``: ``da = dy * der(y)``."""
    y, activation = cache
    da = dy * activation.der(y)
    return da


# ---------------------------------------------------------------------------
# Reparameterisation: z = mu + exp(log_var / 2) * eps
# ---------------------------------------------------------------------------


def reparam_forward(mu, log_var, eps):
    """Draw ``z ~ N(mu, diag(exp(log_var)))`` as a differentiable function of mu, log_var.

    mu, log_var, eps: (N, Z); eps is standard normal noise, PASSED IN and kept in
    the cache, so the backward pass uses the very same draw. Returns z: (N, Z).
    """
    std = np.exp(0.5 * log_var)  # standard deviation sigma
    z = mu + std * eps  # the sample
    cache = (std, eps)
    return z, cache


def reparam_backward(dz, cache):
    """Backward pass of ``reparam_forward``. dz: (N, Z). Returns ``(dmu, dlog_var)``.

    dz/dmu = 1 and dz/dlog_var = 0.5 * std * eps.
    """
    std, eps = cache
    dmu = dz.copy()  # a copy: the caller may accumulate into dmu
    dlog_var = dz * eps * (0.5 * std)
    return dmu, dlog_var
