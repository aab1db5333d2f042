"""Arithmetic in log space: logsumexp, and the log of a mean of weights with its error.

``log_mean_exp`` is the importance-sampling estimate behind IWAE and the ELBO
derivation's Monte Carlo step: from log weights log w_s it returns
log mean_s w_s and the delta-method standard error sd(w) / (sqrt(k) mean(w)),
computed on weights scaled by their largest, so nothing overflows.
"""

import math

import numpy as np

__all__ = ["log_mean_exp", "logsumexp"]


def logsumexp(a, axis=None):
    """log(sum(exp(a))) over ``axis`` (None: all of a), without overflow.

    Returns a float for axis=None, else an array without that axis.
    """
    a = np.asarray(a)
    top = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - top), axis=axis)) + np.squeeze(top, axis=axis)
    return float(out) if axis is None else out


def log_mean_exp(log_w, axis=0):
    """``(log mean w, se)`` over ``axis`` of log weights log_w.

    se = sd(w, ddof=1) / (sqrt(k) mean(w)), the delta-method standard error of the
    log of the mean (the ratio sd / mean is unchanged by scaling w). With one
    weight (k = 1) there is no spread: se is inf. Both have log_w's shape without
    ``axis``.
    """
    log_w = np.asarray(log_w, dtype=np.float64)
    k = log_w.shape[axis]
    top = np.max(log_w, axis=axis, keepdims=True)
    w = np.exp(log_w - top)  # the weights scaled by exp(-top)
    mean = np.mean(w, axis=axis)
    log_mean = np.log(mean) + np.squeeze(top, axis=axis)
    if k > 1:
        se = np.std(w, axis=axis, ddof=1) / (math.sqrt(k) * mean)
    else:
        se = np.full_like(mean, np.inf)
    return log_mean, se
