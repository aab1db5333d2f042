"""The article's prose against what its figures compute: a number or a claim in the text
must be the one the code gives (an explainer must never teach a wrong thing)."""

import html
import re

import numpy as np
import pytest

from elbo_lab import data, pretrained, widgets
from elbo_lab.widgets import reparam

from repo import ROOT

PAGE = (ROOT / "index.html").read_text(encoding="utf-8")
TEXT = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", PAGE)))


def test_the_training_set_size_is_the_one_trained_on():
    n = len(data.load_split()[0])
    assert f"trained on {n:,} handwritten digits" in TEXT


def test_the_ink_is_described_for_both_themes():
    assert "darker means" not in TEXT  # false in the dark theme, where ink is light
    assert "the stronger a pixel's ink, the more likely that pixel is inked" in TEXT


def test_the_repeated_estimates_are_counted_as_the_code_counts_them():
    assert f"shows {reparam.REPEATS} repeated estimates of each kind" in TEXT
    assert (f"above 100, fewer: as many as keep the draws within {reparam.BUDGET:,}, but never "
            f"fewer than {reparam.repeats(10**6)})") in TEXT
    assert all(n * reparam.repeats(n) <= reparam.BUDGET for n in range(101, 501))
    assert reparam.repeats(100) == reparam.REPEATS and reparam.repeats(101) < reparam.REPEATS


def test_section_08_describes_the_recorded_curves():
    h = pretrained.histories()
    plain, warm, beta4 = h["no_warmup"]["kl"], h["warmup"]["kl"], h["beta4"]["kl"]
    # "With the plain ELBO it settles within a few epochs near 5 nats per digit, then creeps up"
    assert "settles within a few epochs near 5 nats" in TEXT
    assert np.all(np.abs(plain[6:30] - 5.0) < 1.0) and plain[-1] > plain[19]
    # "the KL shoots past 100 nats, then falls as its price rises"
    assert "shoots past 100 nats" in TEXT and warm.max() > 100 and warm[-1] < 10
    # "With beta = 4 the code stays cheaper still, near 3 nats"
    assert "β = 4 the code stays cheaper still, near 3 nats" in TEXT
    assert np.all(np.abs(beta4[3:] - 3.0) < 1.0) and np.all(beta4[3:] < plain[3:])


def test_the_summary_does_not_say_the_gap_narrows():
    assert "narrows that gap" not in TEXT
    assert "does not simply close that gap" in TEXT


@pytest.mark.parametrize("x, expected", [(-1.0, "0"), (0.0, "0"), (3.5, None)])
def test_the_posterior_names_where_its_modes_are(x, expected):
    v = widgets.run("posterior", x=x, s=1.0)["values"]
    if expected is None:
        assert v["n_modes"] == 2 and v["modes_at"] == f"±{v['mode']:.2f}"
    else:
        assert v["n_modes"] == 1 and v["modes_at"] == expected
    assert "positive mode at" not in TEXT


def test_figure_text_names_no_internal_keys():
    for run in ("warmup", "no_warmup", "beta4"):
        summary = widgets.run("dynamics", run=run)["summary"]
        assert not re.search(r"\b(no_warmup|warmup|beta4|beta1)\b", summary), summary
    for model in ("beta1", "beta4"):
        out = widgets.run("latent", model=model)
        assert "beta1" not in out["summary"] and "beta4" not in out["summary"]
        from elbo_lab import plotting
        titles = [ax.get_title() for ax in plotting.view("latent").fig.axes]
        assert not any("beta" in t for t in titles), titles


def test_derivation_warns_when_its_monte_carlo_estimate_is_off():
    good = widgets.run("derivation")["values"]
    assert good["log_mean_ratio_mc_note"] == ""
    bad = widgets.run("derivation", x=2.0, mu=3.0, sigma=0.1)["values"]
    off = bad["log_evidence"] - bad["log_mean_ratio_mc"]
    assert off > 3 * bad["log_mean_ratio_mc_se"]  # the case the issue found: -51.4 against -2.17
    assert bad["log_mean_ratio_mc_note"].startswith("Not to be trusted here")
    assert f"{off:.2f} nats below" in bad["log_mean_ratio_mc_note"]
    # the effective sample size, checked against its definition from the same draws
    from elbo_lab import toy
    mc = toy.jensen_monte_carlo(2.0, 3.0, 0.1, 1000, np.random.default_rng(0))
    z = 3.0 + 0.1 * np.random.default_rng(0).standard_normal(1000)
    r = toy.log_joint(2.0, z) - (-0.5 * ((z - 3.0) / 0.1) ** 2 - np.log(0.1 * np.sqrt(2 * np.pi)))
    w = np.exp(r - r.max())
    assert mc["ess"] == pytest.approx(w.sum() ** 2 / (w * w).sum(), rel=1e-9)
    assert f"{mc['ess']:.0f} of 1,000 draws" in bad["log_mean_ratio_mc_note"]


def test_derivation_steps_4_and_5_read_in_full():
    assert re.search(r'data-show="kl_prior"[^>]*>[^<]*</output> = ELBO\s*<output[^>]*data-show="elbo"', PAGE)
    assert re.search(r'data-show="identity_residual" data-digits="e"', PAGE)


def test_section_04_does_not_promise_both_at_once():
    assert "does two useful things at once" not in TEXT
    assert "a higher ELBO need not mean a smaller gap" in TEXT
