"""The input checks (checks.py) and parameter specs (params.py): every function, every form of
message, the parameter each error names, and what counts as a number."""

import re

import numpy as np
import pytest

from elbo_lab import checks, params
from elbo_lab.checks import ParamError
from elbo_lab.params import Choice, Digits, Real, Seed, Whole

NAN, INF = float("nan"), float("inf")


def exact(message):
    """A pattern for pytest.raises(match=...) that matches ``message`` and nothing longer."""
    return "^" + re.escape(message) + "$"


def raises(call, message, param):
    """``call()`` raises a ParamError with exactly ``message``, naming ``param``."""
    with pytest.raises(ValueError, match=exact(message)) as info:
        call()
    assert isinstance(info.value, ParamError)
    assert info.value.param == param


# -- ParamError ---------------------------------------------------------------------------


def test_param_error_is_a_value_error_that_carries_its_parameter():
    err = ParamError("beta", "beta must be 0 or more")
    assert isinstance(err, ValueError)
    assert err.param == "beta" and str(err) == "beta must be 0 or more"
    with pytest.raises(ValueError, match="^beta must be 0 or more$"):
        raise err


# -- show ---------------------------------------------------------------------------------


@pytest.mark.parametrize("value, shown", [
    (7.0, "7"), (-3.0, "-3"), (np.float64(7.0), "7"), (2.5, "2.5"), (0.1, "0.1"),
    (1e-05, "1e-05"), (1e20, "1e+20"), (INF, "inf"), (NAN, "nan"), (7, "7"), ("x", "'x'"),
])
def test_show_writes_numbers_as_a_reader_would(value, shown):
    assert checks.show(value) == shown


# -- number and finite --------------------------------------------------------------------


@pytest.mark.parametrize("value, expected", [
    (2, 2.0), (2.5, 2.5), ("2.5", 2.5), (" -1e3 ", -1000.0), (np.float32(0.5), 0.5),
    (np.int64(3), 3.0), (-0.0, 0.0),
])
def test_number_accepts_numbers_and_numeric_strings(value, expected):
    got = checks.number("a", value)
    assert type(got) is float and got == expected


def test_number_passes_nan_and_inf_on():
    assert np.isnan(checks.number("a", NAN)) and checks.number("a", "-inf") == -INF


@pytest.mark.parametrize("value, message", [
    (True, "a must be a number, not True"),
    (False, "a must be a number, not False"),
    (np.True_, "a must be a number, not np.True_"),
    ("x", "a must be a number, got 'x'"),
    ("", "a must be a number, got ''"),
    (None, "a must be a number, got None"),
    ([1, 2], "a must be a number, got [1, 2]"),
])
def test_number_rejects_bools_and_non_numbers(value, message):
    raises(lambda: checks.number("a", value), message, "a")


@pytest.mark.parametrize("value, expected", [(3, 3.0), ("3", 3.0), (-2.5, -2.5), (1e300, 1e300)])
def test_finite_accepts_finite_numbers(value, expected):
    got = checks.finite("a", value)
    assert type(got) is float and got == expected


@pytest.mark.parametrize("value, message", [
    (NAN, "a must be a finite number"),
    (INF, "a must be a finite number"),
    ("-inf", "a must be a finite number"),
    (True, "a must be a number, not True"),
    ("two", "a must be a number, got 'two'"),
])
def test_finite_rejects_nan_inf_bools_and_non_numbers(value, message):
    raises(lambda: checks.finite("a", value), message, "a")


# -- in_range -----------------------------------------------------------------------------


@pytest.mark.parametrize("value, kwargs, expected", [
    (1, dict(lo=0.1, hi=2), 1.0),
    (0.1, dict(lo=0.1, hi=2), 0.1),  # closed bounds include their ends
    (2.0, dict(lo=0.1, hi=2), 2.0),
    ("2", dict(lo=0, hi=3), 2.0),
    (1e9, dict(), 1e9),  # no bounds: any finite number
    (0.0, dict(lo=0.0), 0.0),
    (1e-300, dict(lo=0.0, lo_open=True), 1e-300),
    (0.999, dict(lo=0, hi=1, hi_open=True), 0.999),
    (-5, dict(hi=3), -5.0),
])
def test_in_range_returns_values_within_bounds_as_floats(value, kwargs, expected):
    got = checks.in_range("a", value, **kwargs)
    assert type(got) is float and got == expected


@pytest.mark.parametrize("value, kwargs, message", [
    (7, dict(lo=0.1, hi=2), "a must be between 0.1 and 2, got 7"),
    (0.05, dict(lo=0.1, hi=2), "a must be between 0.1 and 2, got 0.05"),
    (7, dict(lo=0.1, hi=2, why=" (w)"), "a must be between 0.1 and 2 (w), got 7"),
    (1, dict(lo=0, hi=1, hi_open=True), "a must be in [0, 1), got 1"),
    (0, dict(lo=0, hi=1, lo_open=True), "a must be in (0, 1], got 0"),
    (0, dict(lo=0, hi=1, lo_open=True, hi_open=True), "a must be in (0, 1), got 0"),
    (0, dict(lo=0, lo_open=True), "a must be greater than 0"),
    (-1, dict(lo=0, lo_open=True, why=" (it is a standard deviation)"),
     "a must be greater than 0 (it is a standard deviation)"),
    (-1, dict(lo=0), "a must be 0 or more"),
    (-1, dict(lo=0, why=" (it weights the KL term)"), "a must be 0 or more (it weights the KL term)"),
    (5, dict(hi=3), "a must be 3 or less, got 5"),
    (3, dict(hi=3, hi_open=True), "a must be less than 3, got 3"),
    (NAN, dict(lo=0, hi=1), "a must be a finite number"),
    (INF, dict(lo=0), "a must be a finite number"),
    (True, dict(lo=0, hi=1), "a must be a number, not True"),
    ("big", dict(lo=0), "a must be a number, got 'big'"),
])
def test_in_range_messages(value, kwargs, message):
    raises(lambda: checks.in_range("a", value, **kwargs), message, "a")


# -- whole --------------------------------------------------------------------------------


@pytest.mark.parametrize("value, lo, hi, expected", [
    (3, 1, None, 3), (3.0, 1, None, 3), ("3", 1, None, 3), ("4.0", 1, 4, 4), (np.int64(4), 1, None, 4),
    (np.float32(2.0), 0, 10, 2), (1, 1, 64, 1), (64, 1, 64, 64), (10**12, 1, None, 10**12),
])
def test_whole_accepts_whole_values_given_as_ints_floats_or_strings(value, lo, hi, expected):
    got = checks.whole("k", value, lo, hi)
    assert type(got) is int and got == expected


@pytest.mark.parametrize("value, lo, hi, message", [
    (0, 1, None, "k must be a whole number of at least 1, got 0"),
    (1, 2, None, "k must be a whole number of at least 2, got 1"),
    (-1.0, 0, None, "k must be a whole number of at least 0, got -1"),
    (2.5, 1, None, "k must be a whole number of at least 1, got 2.5"),
    ("2.5", 1, None, "k must be a whole number of at least 1, got 2.5"),
    (INF, 1, None, "k must be a whole number of at least 1, got inf"),
    (NAN, 1, None, "k must be a whole number of at least 1, got nan"),
    ("x", 1, None, "k must be a whole number of at least 1, got 'x'"),
    (None, 1, None, "k must be a whole number of at least 1, got None"),
    (True, 1, None, "k must be a whole number of at least 1"),
    (np.True_, 0, 1, "k must be a whole number from 0 to 1"),
    (65, 1, 64, "k must be a whole number from 1 to 64, got 65"),
    (0, 1, 64, "k must be a whole number from 1 to 64, got 0"),
])
def test_whole_messages(value, lo, hi, message):
    raises(lambda: checks.whole("k", value, lo, hi), message, "k")


# -- choice -------------------------------------------------------------------------------


@pytest.mark.parametrize("value, options, expected", [
    (4, (2, 4), 4), (4.0, (2, 4), 4), ("4", (2, 4), 4), (np.int64(2), (2, 4), 2),
    (0.001, (0.0003, 0.001), 0.001), ("0.001", (0.0003, 0.001), 0.001),
    ("beta4", ("beta1", "beta4"), "beta4"),
])
def test_choice_returns_the_option(value, options, expected):
    got = checks.choice("z", value, options)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("value, options, message", [
    (5, (2, 4), "z must be one of 2, 4, got 5"),
    (2.5, (2, 4), "z must be one of 2, 4, got 2.5"),
    ("x", (2, 4), "z must be one of 2, 4, got 'x'"),
    (None, (2, 4), "z must be one of 2, 4, got None"),
    (True, (1, 2), "z must be one of 1, 2, got True"),  # a bool is not the number 1
    ("beta2", ("beta1", "beta4"), "z must be one of beta1, beta4, got 'beta2'"),
    (1, ("beta1", "beta4"), "z must be one of beta1, beta4, got 1"),
    ("sigmoid", ("tanh", "relu"), "z must be one of tanh, relu, got 'sigmoid'"),
])
def test_choice_messages(value, options, message):
    raises(lambda: checks.choice("z", value, options), message, "z")


# -- generator, matrix, binary_images ---------------------------------------------------


def test_generator_returns_the_generator():
    rng = np.random.default_rng(0)
    assert checks.generator(rng) is rng


@pytest.mark.parametrize("value, name, message", [
    (0, "rng", "rng must be a numpy Generator, e.g. np.random.default_rng(0), got 0"),
    (None, "noise", "noise must be a numpy Generator, e.g. np.random.default_rng(0), got None"),
])
def test_generator_messages(value, name, message):
    raises(lambda: checks.generator(value, name), message, name)


def test_generator_rejects_the_legacy_random_state():
    with pytest.raises(ValueError, match="^rng must be a numpy Generator"):
        checks.generator(np.random.RandomState(0))


def test_matrix_returns_float64():
    got = checks.matrix("x", [[1, 2], [3, 4]], 2, "one pair per row")
    assert got.dtype == np.float64 and got.shape == (2, 2)
    np.testing.assert_array_equal(got, [[1.0, 2.0], [3.0, 4.0]])


@pytest.mark.parametrize("value, message", [
    ([["a", "b"]], "x must be an array of numbers"),
    ([1, 2], "x must have shape (N, 2) with N >= 1 (one pair per row), got shape (2,)"),
    (np.zeros((3, 3)), "x must have shape (N, 2) with N >= 1 (one pair per row), got shape (3, 3)"),
    (np.zeros((0, 2)), "x must have shape (N, 2) with N >= 1 (one pair per row), got shape (0, 2)"),
    ([[1.0, NAN]], "x contains NaN or infinity; every entry must be finite"),
    ([[1.0, -INF]], "x contains NaN or infinity; every entry must be finite"),
])
def test_matrix_messages(value, message):
    raises(lambda: checks.matrix("x", value, 2, "one pair per row"), message, "x")


def test_binary_images_accepts_zeros_and_ones():
    got = checks.binary_images([[0, 1, 1], [1, 0, 0]], 3)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got, [[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])


@pytest.mark.parametrize("value, name, message", [
    ([[0, 1, 0.5]], "x", "x must be binary (0 or 1); use elbo_lab.data.load_digits(), which binarises "
                         "at grey level > 0.5"),
    ([[0, 2, 1]], "X_test", "X_test must be binary (0 or 1); use elbo_lab.data.load_digits(), which "
                            "binarises at grey level > 0.5"),
    ([[0, 1]], "x", "x must have shape (N, 3) with N >= 1 (one image of 3 pixels per row), got shape (1, 2)"),
])
def test_binary_images_messages(value, name, message):
    raises(lambda: checks.binary_images(value, 3, name=name), message, name)


# -- params: each kind's check ------------------------------------------------------------


MU = Real("mu", 0.0, "mean", "kl-mu", lo=-3, hi=3, step=0.1)
SIGMA = Real("sigma", 1.0, lo=0.0, lo_open=True, why=" (it is a standard deviation)", slider=(0.1, 3))
LR = Real("lr", 0.001, lo=0.0001, hi=0.02, options=((0.001, "0.001"), (0.01, "0.01")))
N_DRAWS = Whole("n", 10, lo=1, hi=100)
SEED = Seed("seed")
Z_DIM = Choice("z_dim", 2, options=((2, "2"), (3, "3"), (8, "8")))
WHICH = Choice("which", "a", options=(("a", "A"), ("b", "B")))
CLASSES = Digits("classes")


def test_kinds_and_defaults():
    assert (MU.kind, SIGMA.kind, LR.kind, N_DRAWS.kind, SEED.kind, Z_DIM.kind, CLASSES.kind) == (
        "range", "range", "select", "range", "counter", "select", "checkboxes")
    assert MU.slider_range == (-3, 3) and SIGMA.slider_range == (0.1, 3)
    assert N_DRAWS.step == 1 and MU.step == 0.1
    assert (SEED.default, SEED.lo, SEED.hi) == (0, 0, params.SEED_MAX) == (0, 0, 2**32 - 1)
    assert CLASSES.default == "0123456789"
    assert Z_DIM.values == (2, 3, 8) and WHICH.values == ("a", "b")


@pytest.mark.parametrize("spec, value, expected", [
    (MU, 1.5, 1.5), (MU, "-3", -3.0), (MU, 3, 3.0), (SIGMA, "2", 2.0), (SIGMA, 1e-9, 1e-9),
    (LR, 0.003, 0.003),  # a select's options are presets; any value in range is valid
    (N_DRAWS, 10.0, 10), (N_DRAWS, "100", 100),
    (SEED, 0, 0), (SEED, "12", 12), (SEED, float(2**32 - 1), 2**32 - 1),
    (Z_DIM, "3", 3), (Z_DIM, 8.0, 8), (WHICH, "b", "b"),
    (CLASSES, "3310", "013"), (CLASSES, "9876543210", "0123456789"), (CLASSES, "5", "5"),
])
def test_param_check_accepts(spec, value, expected):
    got = spec.check(value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("spec, value, message", [
    (MU, 4, "mu must be between -3 and 3, got 4"),
    (MU, True, "mu must be a number, not True"),
    (MU, NAN, "mu must be a finite number"),
    (SIGMA, 0, "sigma must be greater than 0 (it is a standard deviation)"),
    (LR, 0.05, "lr must be between 0.0001 and 0.02, got 0.05"),
    (N_DRAWS, 101, "n must be a whole number from 1 to 100, got 101"),
    (N_DRAWS, 2.5, "n must be a whole number from 1 to 100, got 2.5"),
    (N_DRAWS, False, "n must be a whole number from 1 to 100"),
    (SEED, -1, "seed must be a whole number from 0 to 4294967295, got -1"),
    (SEED, 2**32, "seed must be a whole number from 0 to 4294967295, got 4294967296"),
    (Z_DIM, 4, "z_dim must be one of 2, 3, 8, got 4"),
    (Z_DIM, True, "z_dim must be one of 2, 3, 8, got True"),
    (WHICH, "c", "which must be one of a, b, got 'c'"),
    (CLASSES, 5, 'classes must be a string of digits such as "0123456789", got 5'),
    (CLASSES, ["1"], 'classes must be a string of digits such as "0123456789", got [\'1\']'),
    (CLASSES, "12a-", "classes must contain only the digits 0-9, got '-a'"),
    (CLASSES, "", "choose at least one class"),
])
def test_param_check_rejects(spec, value, message):
    raises(lambda: spec.check(value), message, spec.name)


def test_the_base_param_has_no_check():
    with pytest.raises(NotImplementedError):
        params.Param("p", 0).check(1)


# -- params: defaults and check_all -------------------------------------------------------


def test_defaults():
    assert params.defaults((MU, N_DRAWS, SEED, CLASSES)) == {
        "mu": 0.0, "n": 10, "seed": 0, "classes": "0123456789"}
    assert params.defaults(()) == {}


def test_check_all_fills_in_defaults_and_checks_what_is_given():
    specs = (MU, N_DRAWS, Z_DIM)
    assert params.check_all(specs, {}, "fig") == {"mu": 0.0, "n": 10, "z_dim": 2}
    got = params.check_all(specs, {"n": "5", "z_dim": 8.0}, "fig")
    assert got == {"mu": 0.0, "n": 5, "z_dim": 8}
    assert type(got["n"]) is int and type(got["z_dim"]) is int
    assert list(got) == ["mu", "n", "z_dim"]  # in the specs' order
    assert params.check_all((), {}, "architecture") == {}


@pytest.mark.parametrize("specs, given, owner, message, param", [
    ((MU, N_DRAWS), {"zz": 1}, "fig", "bad parameters for fig: it has no parameter 'zz' (it takes mu, n)",
     "zz"),
    ((), {"zz": 1}, "architecture",
     "bad parameters for architecture: it has no parameter 'zz' (it takes no parameters)", "zz"),
    ((MU, N_DRAWS), {"n": 0}, "fig", "n must be a whole number from 1 to 100, got 0", "n"),
    ((MU, N_DRAWS), {"mu": "x", "n": 5}, "fig", "mu must be a number, got 'x'", "mu"),
])
def test_check_all_errors_name_the_parameter(specs, given, owner, message, param):
    raises(lambda: params.check_all(specs, given, owner), message, param)


@pytest.mark.parametrize("value, expected", [
    (3, True), (3.0, True), (-2.0, True), (3.5, False), (INF, False), (NAN, False), ("3", False),
])
def test_is_whole_number(value, expected):
    assert params.is_whole_number(value) is expected
