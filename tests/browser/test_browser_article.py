"""Every figure of the article, live in Chromium over http:// and file://.

Each case moves a figure's controls, then checks that the numbers on the page
are the ones the same widget computes natively (formatted as the page formats
them), and that the figure redrew. The figures' numbers themselves are checked
against independent computations in tests/unit/test_figures.py; a few cases here also
check a number against an independent closed form directly.
"""

import hashlib
import math
import re

import pytest
from playwright.sync_api import expect

from elbo_lab import toy, widgets
from elbo_lab.gaussian import kl_to_standard_normal

from harness import ROOT, WAIT_TIMEOUT_MS, wait_ready

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module", params=["http", "file"])
def article(request, browser, site):
    """One live page per scheme, shared by this module's tests (each moves its own figure)."""
    url = f"{site}/index.html" if request.param == "http" else (ROOT / "index.html").as_uri()
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(WAIT_TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url)
    wait_ready(page)
    yield page
    context.close()
    assert not errors, f"uncaught errors on the page: {errors}"


def page_format(value, digits):
    """The page's formatting of a value (app.js): toFixed(digits), as is for "int", and one
    significant decimal in exponent form for "e" (round-off sizes)."""
    if digits == "e" and isinstance(value, float):
        text = re.sub(r"e([+-])0*(\d)", r"e\1\2", f"{value:.1e}")
        return "0" if value == 0 else text.replace("-", "−", 1 if value < 0 else 0)
    if digits == "int" or not isinstance(value, float):
        return str(value)
    text = f"{value:.{int(digits)}f}"
    return re.sub(r"^-(0\.0*)$", r"\1", text)


def canvas_digest(page, canvas_id):
    data = page.evaluate(f"document.getElementById({canvas_id!r}).toDataURL('image/png')")
    return hashlib.sha256(data.encode()).hexdigest()


def set_range(page, element_id, value):
    box = page.locator(f"#{element_id}-num")
    box.fill(str(value))
    box.press("Enter")


def expect_values(page, call, params, show):
    """The page shows what figure <call> computes natively (widgets.run)."""
    values = widgets.run(call, **params)["values"]
    for key, element_id in show.items():
        element = page.locator(f"#{element_id}")
        digits = element.get_attribute("data-digits") or "3"
        expect(element).to_have_text(page_format(values[key], digits))
    return values


def wait_drawn(page, key):
    """Wait until the figure has been drawn live at least once (it is, once near the window)."""
    page.locator(f"#fig-{key}").scroll_into_view_if_needed()
    expect(page.locator(f"#fig-{key}")).to_have_class(re.compile(r"\blive\b"))
    expect(page.locator(f"#fig-{key}")).not_to_have_class(re.compile("awaiting-plot"))


def test_posterior_splits_into_two_modes(article):
    page = article
    wait_drawn(page, "posterior")
    before = canvas_digest(page, "posterior-plot")
    set_range(page, "post-x", 3.5)
    set_range(page, "post-s", 0.4)
    values = expect_values(page, "posterior", {"x": 3.5, "s": 0.4},
                           {"log_evidence": "post-logpx", "n_modes": "post-modes", "modes_at": "post-mode"})
    assert values["log_evidence"] == pytest.approx(toy.log_evidence(3.5, s=0.4), abs=1e-9)
    expect(page.locator("#post-modes")).to_have_text("2")
    expect(page.locator("#post-mode")).to_have_text(f"±{values['mode']:.2f}")
    assert canvas_digest(page, "posterior-plot") != before
    set_range(page, "post-x", -0.5)  # below s^2/2: one mode at 0
    expect(page.locator("#post-modes")).to_have_text("1")
    expect(page.locator("#post-mode")).to_have_text("0")  # not "positive mode at 0.00"


def test_kl_monte_carlo_follows_the_shared_sliders(article):
    page = article
    wait_drawn(page, "kl_mc")
    before = canvas_digest(page, "kl_mc-plot")
    set_range(page, "kl-mu", -1.2)
    set_range(page, "kl-sigma", 0.5)
    set_range(page, "klmc-n", 2500)
    expect(page.locator("#klmc-exact")).to_have_text(f"{kl_to_standard_normal(-1.2, 0.5):.3f}")
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl_to_standard_normal(-1.2, 0.5):.3f}")
    expect_values(page, "kl_mc", {"mu": -1.2, "sigma": 0.5, "n": 2500, "seed": 0},
                  {"kl_mc": "klmc-value", "kl_mc_se": "klmc-se"})
    assert canvas_digest(page, "kl_mc-plot") != before
    page.get_by_role("button", name="Draw new samples").click()  # seed 0 -> 1
    expect_values(page, "kl_mc", {"mu": -1.2, "sigma": 0.5, "n": 2500, "seed": 1},
                  {"kl_mc": "klmc-value"})


def test_reparameterisation_beats_the_score_function(article):
    page = article
    wait_drawn(page, "reparam")
    before = canvas_digest(page, "reparam-plot")
    set_range(page, "rep-mu", -0.5)
    set_range(page, "rep-n", 32)
    expect(page.locator("#rep-exact")).to_have_text("-1.000")  # d/dmu E[z^2] = 2 mu
    values = expect_values(page, "reparam", {"mu": -0.5, "sigma": 2.0, "n": 32, "seed": 0},
                           {"rep_sd_dmu": "rep-sd", "sf_sd_dmu": "sf-sd",
                            "variance_ratio_dmu": "rep-ratio"})
    assert values["sf_sd_dmu"] > values["rep_sd_dmu"]
    assert canvas_digest(page, "reparam-plot") != before


def test_derivation_steps_agree(article):
    page = article
    wait_drawn(page, "derivation")
    set_range(page, "der-mu", 0.3)
    set_range(page, "der-sigma", 1.2)
    values = expect_values(page, "derivation", {"x": 2.0, "mu": 0.3, "sigma": 1.2, "seed": 0},
                           {"log_evidence": "der-logpx", "elbo": "der-elbo",
                            "kl_posterior": "der-klpost", "recon": "der-recon",
                            "kl_prior": "der-klprior", "log_mean_ratio_mc": "der-logmean"})
    assert values["elbo"] + values["kl_posterior"] == pytest.approx(values["log_evidence"], abs=1e-6)
    assert values["elbo"] == pytest.approx(toy.elbo(2.0, 0.3, 1.2), abs=1e-12)
    # the tap-through shows one more step per click
    stepper = page.locator("#fig-derivation [data-stepper]")
    expect(stepper.locator("[data-where]")).to_have_text("Step 1 of 5")
    expect(page.locator("#der-elbo")).to_be_hidden()
    for _ in range(2):
        stepper.get_by_role("button", name="Next step").click()
    expect(stepper.locator("[data-where]")).to_have_text("Step 3 of 5")
    expect(page.locator("#der-elbo")).to_be_visible()


def test_tension_follows_beta(article):
    page = article
    wait_drawn(page, "tension")
    before = canvas_digest(page, "tension-plot")
    set_range(page, "ten-beta", 4)
    values = expect_values(page, "tension", {"x": 2.0, "beta": 4.0},
                           {"recon": "ten-recon", "kl": "ten-kl", "elbo": "ten-elbo",
                            "log_evidence": "ten-logpx", "gap": "ten-gap"})
    best = toy.beta_optimum(2.0, 4.0)
    assert values["kl"] == pytest.approx(best["kl"], abs=1e-9)
    assert values["gap"] == pytest.approx(values["log_evidence"] - values["elbo"], abs=1e-9)
    assert canvas_digest(page, "tension-plot") != before


def test_forward_and_reverse_kl_fits(article):
    page = article
    wait_drawn(page, "kl_direction")
    before = canvas_digest(page, "kl_direction-plot")
    set_range(page, "dir-x", 4)
    values = expect_values(page, "kl_direction", {"x": 4.0},
                           {"rev_mu": "dir-rev-mu", "rev_sigma": "dir-rev-sigma",
                            "rev_gap": "dir-rev-gap", "fwd_sigma": "dir-fwd-sigma"})
    assert values["rev_gap"] == pytest.approx(math.log(2), abs=0.01)  # one of two far modes
    assert canvas_digest(page, "kl_direction-plot") != before


def test_generative_story(article):
    page = article
    wait_drawn(page, "generate")
    before = canvas_digest(page, "generate-plot")
    set_range(page, "gen-n", 9)
    page.get_by_role("button", name="Draw new codes").click()
    expect_values(page, "generate", {"n": 9, "seed": 1}, {"mean_log_prior": "gen-logprior"})
    assert canvas_digest(page, "generate-plot") != before


def test_decode_a_chosen_code(article):
    page = article
    wait_drawn(page, "decode_at")
    before = canvas_digest(page, "decode_at-plot")
    set_range(page, "dec-z1", 1.5)
    set_range(page, "dec-z2", -0.5)
    expected = -0.5 * (1.5**2 + 0.5**2) - math.log(2 * math.pi)  # log N(z; 0, I) in 2-D
    expect(page.locator("#dec-logprior")).to_have_text(f"{expected:.3f}")
    assert canvas_digest(page, "decode_at-plot") != before


def test_latent_space_classes_and_model(article):
    page = article
    wait_drawn(page, "latent")
    before = canvas_digest(page, "latent-plot")
    classes = page.locator("#lat-classes")
    for digit in "2479":
        classes.get_by_label(digit, exact=True).uncheck()
    page.get_by_label("trained with").select_option("beta4")
    expect_values(page, "latent", {"classes": "013568", "model": "beta4"},
                  {"n_points": "lat-n", "mean_kl": "lat-kl"})
    assert canvas_digest(page, "latent-plot") != before


def test_training_dynamics_runs(article):
    page = article
    wait_drawn(page, "dynamics")
    before = canvas_digest(page, "dynamics-plot")
    page.get_by_label("run", exact=True).select_option("beta4")
    expect_values(page, "dynamics", {"run": "beta4"},
                  {"epochs": "dyn-epochs", "final_kl": "dyn-kl", "final_neg_elbo": "dyn-negelbo"})
    assert canvas_digest(page, "dynamics-plot") != before


def test_architecture_shows_the_real_sizes(article):
    page = article
    values = expect_values(page, "architecture", {},
                           {"x_dim": "arch-x", "hidden": "arch-hidden", "z_dim": "arch-z",
                            "n_params": "arch-params"})
    assert values["n_params"] == 784 * 128 + 128 + 2 * (128 * 2 + 2) + 2 * 128 + 128 + 128 * 784 + 784


def test_math_is_typeset(article):
    assert article.locator(".katex").count() > 20
    expect(article.locator(".katex-error")).to_have_count(0)
