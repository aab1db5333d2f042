"""A figure's parameters as data: name, kind, range, step, default, label and control.

Each figure module lists its parameters in ``PARAMS``; the training lab lists its
settings the same way. One spec serves three readers:

- Python checks every value with it (``Param.check``, raising ``checks.ParamError``);
- ``scripts/build_page.py`` writes each control into index.html from it (range,
  step, default, label), and the page's JavaScript table of controls;
- the tests read it to drive every control of every figure.

The control of a parameter is an element of the page with the id ``control``;
several figures may share one (the KL figures share μ and σ). ``control=None``
means no control: the parameter keeps its default on the page but can still be
passed to Python (the toy model's noise ``s`` in most toy figures).

Kinds of control: "range" (a slider and a number box, ``<id>`` and ``<id>-num``),
"select", "checkboxes" (a set of digits) and "counter" (a button that counts
its clicks: a "draw again" seed) and "pad" (a drawing pad: a 28 x 28 binary image,
bit-packed as base64url text, ``data.pack_image``).
"""

import math
from dataclasses import dataclass, field

from . import checks, data

__all__ = ["Choice", "Digits", "Drawing", "Param", "Real", "Seed", "Whole", "check_all", "defaults"]

SEED_MAX = 2**32 - 1


@dataclass(frozen=True)
class Param:
    """What every parameter has. ``label`` may hold inline HTML (<i>q</i>)."""

    name: str
    default: object
    label: str = ""
    control: str = None
    kind: str = field(default="range", init=False)

    def check(self, value):  # pragma: no cover - every kind overrides it
        raise NotImplementedError


@dataclass(frozen=True)
class Real(Param):
    """A real number. Valid in [lo, hi] (either None: unbounded; ``lo_open``: lo excluded).

    The control is a slider over ``slider`` (default (lo, hi)) in steps of
    ``step``, or a select of ``options`` ((value, text) pairs). ``short`` names the
    number box ("μ" gives "μ value"; by default the name); ``why`` explains a bound
    in the message.
    """

    lo: float = None
    hi: float = None
    step: float = 0.01
    slider: tuple = None
    lo_open: bool = False
    why: str = ""
    short: str = ""
    box_label: str = ""
    options: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "kind", "select" if self.options else "range")

    def check(self, value):
        return checks.in_range(self.name, value, self.lo, self.hi, lo_open=self.lo_open,
                               why=self.why)

    @property
    def slider_range(self):
        return self.slider or (self.lo, self.hi)


@dataclass(frozen=True)
class Whole(Real):
    """A whole number in [lo, hi]; returned as an int."""

    step: int = 1

    def check(self, value):
        return checks.whole(self.name, value, self.lo, self.hi)


@dataclass(frozen=True)
class Seed(Whole):
    """A random seed, from 0 to 2**32 - 1, shown as a button that draws again."""

    default: int = 0
    lo: int = 0
    hi: int = SEED_MAX

    def __post_init__(self):
        object.__setattr__(self, "kind", "counter")


@dataclass(frozen=True)
class Choice(Param):
    """One of ``options``: (value, text) pairs; the values are strings or numbers."""

    options: tuple = ()

    def __post_init__(self):
        object.__setattr__(self, "kind", "select")

    @property
    def values(self):
        return tuple(value for value, _ in self.options)

    def check(self, value):
        return checks.choice(self.name, value, self.values)


@dataclass(frozen=True)
class Digits(Param):
    """A set of the digit classes 0-9, as a string of their characters ("0137")."""

    default: str = "0123456789"

    def __post_init__(self):
        object.__setattr__(self, "kind", "checkboxes")

    def check(self, value):
        name = self.name
        if not isinstance(value, str):
            raise checks.ParamError(name, f"{name} must be a string of digits such as "
                                          f"\"0123456789\", got {checks.show(value)}")
        bad = sorted({c for c in value if c not in "0123456789"})
        if bad:
            raise checks.ParamError(name, f"{name} must contain only the digits 0-9, "
                                          f"got {checks.show(''.join(bad))}")
        if not value:
            raise checks.ParamError(name, "choose at least one class")
        return "".join(sorted(set(value)))


@dataclass(frozen=True)
class Drawing(Param):
    """A binary 28 x 28 image drawn on a pad, as the text of ``data.pack_image`` (131
    characters of base64url). Checked to be exactly that; passed on as the text. ``start``:
    the test digit that the pad offers to start from (the default is that digit)."""

    start: int = 0

    def __post_init__(self):
        object.__setattr__(self, "kind", "pad")

    def check(self, value):
        data.unpack_image(value, self.name)
        return value


def defaults(params):
    """{name: default} of a PARAMS tuple."""
    return {p.name: p.default for p in params}


def check_all(params, given, owner):
    """``given`` (a dict) checked against ``params``: a dict of every parameter's value.

    Missing parameters take their defaults. A name that is not a parameter raises a
    ParamError naming it, as "bad parameters for <owner>: ...".
    """
    known = {p.name: p for p in params}
    for name in given:
        if name not in known:
            takes = ", ".join(known) or "no parameters"
            raise checks.ParamError(name, f"bad parameters for {owner}: it has no parameter "
                                          f"{name!r} (it takes {takes})")
    return {name: p.check(given[name]) if name in given else p.default
            for name, p in known.items()}


def is_whole_number(x):
    """True for ints and whole floats (used to print numbers as the page shows them)."""
    return isinstance(x, int) or (isinstance(x, float) and math.isfinite(x) and x == int(x))
