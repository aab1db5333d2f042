"""Input checks for every module: each returns the checked value or raises ``ParamError``.

``ParamError`` is a ``ValueError`` that carries, as data, the name of the
parameter it is about (``.param``). The page uses that name to mark the control
a reader got wrong; no message has to start with the name for that to work.

Messages say what to change, in one vocabulary:

    "<name> must be a number, got 'x'"            (a bool: "..., not True")
    "<name> must be a finite number"
    "<name> must be between 0.1 and 2, got 7"
    "<name> must be greater than 0 (why)"         "<name> must be 0 or more (why)"
    "<name> must be in [0, 1), got 1"
    "<name> must be a whole number from 1 to 64, got 0"
    "<name> must be a whole number of at least 1, got 0"
    "<name> must be one of beta1, beta4, got 'beta2'"
"""

import math
import reprlib

import numpy as np

__all__ = [
    "ParamError",
    "binary_images",
    "choice",
    "finite",
    "generator",
    "in_range",
    "matrix",
    "number",
    "show",
    "whole",
]


class ParamError(ValueError):
    """A bad value for one named parameter: ``str(err)`` is the message, ``err.param`` the name."""

    def __init__(self, param, message):
        super().__init__(message)
        self.param = param


_BRIEF = reprlib.Repr()
_BRIEF.maxlevel, _BRIEF.maxstring, _BRIEF.maxlong, _BRIEF.maxother = 2, 40, 24, 40
_BRIEF.maxlist = _BRIEF.maxtuple = _BRIEF.maxdict = 4


def show(value):
    """A number as a reader would write it: 7 not 7.0, 1e-05 not 0.00001000. Anything else
    as a short repr (long strings, huge ints and deep lists cut with "..."), so that no
    message echoes a whole value back."""
    if isinstance(value, float) and math.isfinite(value) and value == int(value) \
            and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:g}"
    return _BRIEF.repr(value)


def number(name, value):
    """``value`` as a float (numbers and numeric strings; not bools), else ParamError."""
    if isinstance(value, (bool, np.bool_)):
        raise ParamError(name, f"{name} must be a number, not {value!r}")
    try:
        return float(value)
    except OverflowError:  # an int beyond the floats
        raise ParamError(name, f"{name} must be a finite number, got {show(value)}") from None
    except (TypeError, ValueError):
        raise ParamError(name, f"{name} must be a number, got {show(value)}") from None


def finite(name, value):
    """A finite float, else ParamError."""
    value = number(name, value)
    if not math.isfinite(value):
        raise ParamError(name, f"{name} must be a finite number")
    return value


def in_range(name, value, lo=None, hi=None, *, lo_open=False, hi_open=False, why=""):
    """A finite float within the given bounds (either may be None), else ParamError.

    lo_open / hi_open make a bound strict. ``why`` is appended to the message,
    e.g. " (it is a standard deviation)".
    """
    value = finite(name, value)
    below = lo is not None and (value <= lo if lo_open else value < lo)
    above = hi is not None and (value >= hi if hi_open else value > hi)
    if not (below or above):
        return value
    if lo is not None and hi is not None:
        if lo_open or hi_open:
            rule = f"in {'(' if lo_open else '['}{show(lo)}, {show(hi)}{')' if hi_open else ']'}"
        else:
            rule = f"between {show(lo)} and {show(hi)}"
    elif lo is not None:
        rule = f"greater than {show(lo)}" if lo_open else f"{show(lo)} or more"
    else:
        rule = f"less than {show(hi)}" if hi_open else f"{show(hi)} or less"
    if lo is not None and hi is None:  # a one-sided rule: the reason says more than the value
        raise ParamError(name, f"{name} must be {rule}{why}")
    raise ParamError(name, f"{name} must be {rule}{why}, got {show(value)}")


def whole(name, value, lo, hi=None):
    """A whole number in [lo, hi] (hi=None: no upper bound) as an int, else ParamError.

    Whole-valued floats (100.0, as a slider sends) and numeric strings are accepted.
    """
    rule = f"from {lo} to {hi}" if hi is not None else f"of at least {lo}"
    message = f"{name} must be a whole number {rule}"
    if isinstance(value, (bool, np.bool_)):
        raise ParamError(name, message)
    try:
        number_ = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ParamError(name, f"{message}, got {show(value)}") from None
    if (not math.isfinite(number_) or number_ != math.floor(number_) or number_ < lo
            or (hi is not None and number_ > hi)):
        raise ParamError(name, f"{message}, got {show(number_)}")
    return int(number_)


def choice(name, value, options):
    """``value`` if it is one of ``options`` (strings or numbers), else ParamError.

    A number given as a whole float or a numeric string matches a numeric option and
    comes back as that option (2.0 -> 2).
    """
    numeric = all(isinstance(o, (int, float)) and not isinstance(o, bool) for o in options)
    allowed = ", ".join(str(o) for o in options)
    if numeric and not isinstance(value, (bool, np.bool_)):
        try:
            as_number = float(value)
        except (TypeError, ValueError, OverflowError):
            as_number = None
        if as_number is not None:
            for option in options:
                if as_number == option:
                    return option
            raise ParamError(name, f"{name} must be one of {allowed}, got {show(as_number)}")
    elif not numeric and isinstance(value, str) and value in options:
        return value
    raise ParamError(name, f"{name} must be one of {allowed}, got {show(value)}")


def generator(value, name="rng"):
    """A ``numpy.random.Generator``, else ParamError."""
    if not isinstance(value, np.random.Generator):
        raise ParamError(name, f"{name} must be a numpy Generator, e.g. "
                               f"np.random.default_rng(0), got {show(value)}")
    return value


def matrix(name, value, cols, what):
    """``value`` as a finite float64 (N, cols) array with N >= 1, else ParamError.

    ``what`` says what a row is, for the message ("one image of 784 pixels per row").
    """
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ParamError(name, f"{name} must be an array of numbers") from None
    if a.ndim != 2 or a.shape[1] != cols or a.shape[0] < 1:
        raise ParamError(name, f"{name} must have shape (N, {cols}) with N >= 1 ({what}), "
                               f"got shape {a.shape}")
    if not np.all(np.isfinite(a)):
        raise ParamError(name, f"{name} contains NaN or infinity; every entry must be finite")
    return a


def binary_images(x, pixels, name="x"):
    """``x`` as a float64 (N, pixels) array of binary pixels (each 0 or 1), else ParamError."""
    x = matrix(name, x, pixels, f"one image of {pixels} pixels per row")
    if not np.all((x == 0.0) | (x == 1.0)):
        raise ParamError(name, f"{name} must be binary (0 or 1); use elbo_lab.data.load_digits(), "
                               "which binarises at grey level > 0.5")
    return x
