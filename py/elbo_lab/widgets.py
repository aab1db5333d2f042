"""One function per widget: the only module the page calls.

A widget takes keyword arguments named like its controls and returns a
JSON-safe dict: ``image`` (RGBA pixels, see figures.py, or None before
plotting is enabled), ``values`` (the numbers the page shows) and ``summary``
(one sentence for screen readers). Bad input raises
``ValueError`` with a message the reader can act on; ``call`` turns that into
``{"error": message}`` for the page.
"""

import sys

import numpy as np

from .gaussian import kl_to_standard_normal, log_normal_pdf

__all__ = ["WIDGETS", "call", "enable_plotting", "kl"]

_Z = np.linspace(-6.0, 6.0, 601)
_PRIOR = np.exp(log_normal_pdf(_Z))  # N(0, 1) on _Z: the same on every call

# In the browser, numbers go live as soon as numpy is loaded and figures once
# matplotlib is (it takes seconds more); the worker then calls enable_plotting().
# Until then widgets return "image": None. Natively, plotting is always on.
_plotting = sys.platform != "emscripten"


def enable_plotting():
    """Import the figure code (and so matplotlib) and start drawing images."""
    global _plotting
    from . import figures  # noqa: F401 - the import is the point: pay its cost now

    _plotting = True


def _draw(figure_fn, *args):
    """``figures.<figure_fn>(*args)``, or None while plotting is not enabled."""
    if not _plotting:
        return None
    from . import figures

    return getattr(figures, figure_fn)(*args)


def _number(name, value):
    """Coerce a control's value to float, or raise a ValueError naming it."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a number, not {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def kl(mu=1.0, sigma=0.6):
    """KL(q || p) for q = N(mu, sigma^2) and the prior p = N(0, 1), with both densities drawn."""
    mu, sigma = _number("mu", mu), _number("sigma", sigma)
    value = kl_to_standard_normal(mu, sigma)  # validates: finite, sigma > 0
    q = np.exp(log_normal_pdf(_Z, mu, sigma))
    if abs(mu) < 0.05 and abs(sigma - 1.0) < 0.05:
        shape = "q is almost exactly the prior"
    else:
        width = "narrower than" if sigma < 1 else ("wider than" if sigma > 1 else "as wide as")
        shape = f"q is {width} the prior and centred at {mu:.2f}"
    return {
        "image": _draw("kl_image", _Z, q, _PRIOR),
        "values": {"kl": value, "mu": mu, "sigma": sigma},
        "summary": f"KL = {value:.3f} nats; {shape}.",
    }


WIDGETS = {"kl": kl}


def call(name, params):
    """Run widget ``name`` with ``params`` (a dict); never raises.

    Returns the widget's result, or ``{"error": message}``: a ValueError's
    message as is, anything else prefixed with its type so it can be reported.
    """
    fn = WIDGETS.get(name)
    if fn is None:
        return {"error": f"unknown widget {name!r}"}
    try:
        return fn(**dict(params))
    except ValueError as exc:
        return {"error": str(exc)}
    except TypeError as exc:  # e.g. an unexpected keyword from a stale page
        return {"error": f"bad parameters for {name}: {exc}"}
    except Exception as exc:  # noqa: BLE001 - reported to the reader, not swallowed
        return {"error": f"{type(exc).__name__}: {exc}"}
