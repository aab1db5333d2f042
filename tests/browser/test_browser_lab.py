"""The training lab in Chromium: the numpy VAE trains in the page's worker.

Real Chromium, real Pyodide (from the local mirror), real training. Each test
waits on what the page shows (the step count, the figures' pixels, the
numbers), never on sleeps, except where a test checks that something does
*not* change (a paused run).
"""

import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect
from test_browser_article import canvas_digest, page_format, set_range

from elbo_lab import session, widgets

from harness import READY_TIMEOUT_MS, ROOT, WAIT_TIMEOUT_MS, wait_ready

pytestmark = pytest.mark.browser

TRAIN_TIMEOUT_MS = 180_000  # two slow cores, 71 steps an epoch: a wait, not a budget


@pytest.fixture
def lab_page(context_page):
    # tall enough that the curves and the latent plot are on screen together
    return context_page(viewport={"width": 1100, "height": 1500})


def open_lab(page, url):
    page.goto(url)
    wait_ready(page)
    expect(page.locator("#lab-train")).to_be_enabled()
    expect(page.locator("#labc-epoch")).to_have_text("0")


def step(page):
    return int(page.locator("#lab-panel").get_attribute("data-step") or 0)


def wait_step_above(page, n, timeout_ms=TRAIN_TIMEOUT_MS):
    page.wait_for_function(
        f"() => Number(document.getElementById('lab-panel').dataset.step || 0) > {n}", timeout=timeout_ms)
    return step(page)


def image_paints(page, key):
    return page.evaluate(f"ELBO.metrics.paints.filter(p => p.key === {key!r} && p.image).length")


def test_train_watch_pause_reset_and_the_true_posterior(lab_page, site):
    page = lab_page
    open_lab(page, f"{site}/index.html")
    page.evaluate("document.getElementById('fig-lab_curves').scrollIntoView({block: 'start'})")
    expect(page.locator("#fig-lab_curves")).to_have_class(re.compile(r"\blive\b"))
    assert page.evaluate("ELBO.labPanel.visible.has('lab_latent')"), "the latent plot is off screen"
    curves0 = canvas_digest(page, "lab_curves-plot")
    paints0 = {key: image_paints(page, key) for key in ("lab_curves", "lab_latent")}

    page.locator("#lab-train").click()
    expect(page.locator("#lab-train")).to_have_text("Pause")
    wait_step_above(page, 0)
    expect(page.locator("#lab-progress")).to_contain_text(re.compile(r"\d+ steps/s"))

    # the curves and the latent plot (both on screen) redraw several times as it trains
    digests = {curves0}
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        digests.add(canvas_digest(page, "lab_curves-plot"))
        if len(digests) >= 4 and all(image_paints(page, k) - paints0[k] >= 3 for k in paints0):
            break
        page.wait_for_timeout(200)
    assert len(digests) >= 4, "the curves did not redraw several times while training"
    log = page.evaluate("ELBO.metrics.paints.filter(p => p.key.startsWith('lab_'))"
                        ".map(p => [p.key, Math.round(p.painted), p.image])")
    for key, before in paints0.items():
        assert image_paints(page, key) - before >= 3, f"{key} did not redraw several times: {log}"
    assert int(page.locator("#labc-epoch").inner_text()) >= 1

    # another figure's slider answers while it trains, and training goes on
    moved_at = step(page)
    set_range(page, "kl-mu", 1.5)
    set_range(page, "kl-sigma", 1)
    expect(page.get_by_test_id("kl-value")).to_have_text("1.125")  # 1/2 mu^2 for sigma = 1
    assert wait_step_above(page, moved_at) > moved_at

    # pause: the step count stops
    page.locator("#lab-train").click()
    expect(page.locator("#lab-train")).to_have_text("Resume")
    expect(page.locator("#lab-progress")).to_contain_text("paused")
    paused_at = step(page)
    page.wait_for_timeout(1500)
    assert step(page) == paused_at
    assert paused_at > 0

    # the true posterior of the trained network, with the identity check
    set_range(page, "labp-digit", 7)
    expect(page.locator("#labp-ok")).to_have_text("holds ✓", timeout=30_000)
    residual = float(page.locator("#labp-residual").inner_text())
    tolerance = float(page.locator("#labp-tol").inner_text())
    assert abs(residual) <= tolerance
    log_px, elbo, kl = (float(page.locator(f"#labp-{k}").inner_text()) for k in ("logpx", "elbo", "kl"))
    assert elbo <= log_px
    assert log_px == pytest.approx(elbo + kl, abs=tolerance + 2e-4)  # as displayed (rounded)
    page.locator("#fig-lab_posterior").scroll_into_view_if_needed()  # drawn once near the window
    expect(page.locator("#fig-lab_posterior")).to_have_class(re.compile(r"\blive\b"))

    # reset: back to epoch 0 of a fresh run, whose numbers are Python's own
    page.locator("#lab-reset").click()
    expect(page.locator("#labc-epoch")).to_have_text("0")
    expect(page.locator("#lab-train")).to_have_text("Train")
    assert step(page) == 0
    # its untrained state came from lab_start.json, and reads as that run's state computed afresh
    assert page.evaluate("() => ELBO.bridge.lab('status')")["stored_start"] is True
    fresh = session.Lab(session.defaults(session.SETTINGS), stored=False)
    start = dict(fresh.history[0], **fresh.evaluations[0])
    start["gap"] = start["subset_log_px"] - start["subset_elbo"]
    for key, element_id in (("neg_elbo", "labc-train"), ("test_neg_elbo", "labc-test"),
                            ("subset_elbo", "labc-elbo"), ("subset_log_px", "labc-logpx"),
                            ("gap", "labc-gap")):
        element = page.locator(f"#{element_id}")
        expect(element).to_have_text(page_format(start[key], element.get_attribute("data-digits")))
    session.reset()
    native = widgets.run("lab_posterior", digit=7)["values"]
    for key, element_id in (("log_px_grid", "labp-logpx"), ("elbo", "labp-elbo"),
                            ("kl_grid", "labp-kl"), ("label", "labp-label")):
        element = page.locator(f"#{element_id}")
        expect(element).to_have_text(page_format(native[key], element.get_attribute("data-digits")))


def test_same_seed_same_curves_and_the_link_reproduces_the_run(lab_page, site, browser):
    page = lab_page
    open_lab(page, f"{site}/index.html")
    set_range(page, "lab-epochs", 5)  # before the first step: applies at once
    set_range(page, "lab-seed", 3)
    expect(page).to_have_url(re.compile(r"lab-seed=3"))
    page.locator("#lab-train").click()
    expect(page.locator("#lab-progress")).to_contain_text("done", timeout=TRAIN_TIMEOUT_MS)
    expect(page.locator("#labc-epoch")).to_have_text("5")
    first = page.locator("#labc-test").inner_text()
    first_elbo = page.locator("#labc-elbo").inner_text()

    # the same settings again: the same numbers
    page.locator("#lab-reset").click()
    expect(page.locator("#labc-epoch")).to_have_text("0")
    page.locator("#lab-train").click()
    expect(page.locator("#lab-progress")).to_contain_text("done", timeout=TRAIN_TIMEOUT_MS)
    expect(page.locator("#labc-test")).to_have_text(first)
    expect(page.locator("#labc-elbo")).to_have_text(first_elbo)

    # and close to the same run done natively (float32; the browser multiplies with BLAS)
    session.reset(seed=3, epochs=5)
    while not session.status()["done"]:
        session.advance(ms=1000)
    native = widgets.run("lab_curves")["values"]["test_neg_elbo"]
    assert float(first) == pytest.approx(native, abs=0.05)

    # a shared link restores the settings and reproduces the run
    url = page.url
    query = parse_qs(urlparse(url).query)
    assert query["lab-seed"] == ["3"] and query["lab-epochs"] == ["5"]
    other = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    other.context.set_default_timeout(WAIT_TIMEOUT_MS)
    try:
        open_lab(other, url)
        expect(other.locator("#lab-seed-num")).to_have_value("3")
        other.locator("#lab-train").click()
        expect(other.locator("#lab-progress")).to_contain_text("done", timeout=TRAIN_TIMEOUT_MS)
        expect(other.locator("#labc-test")).to_have_text(first)
    finally:
        other.context.close()


def test_collapse_preset_and_bad_settings(lab_page, site):
    page = lab_page
    open_lab(page, f"{site}/index.html")
    # a bad setting is refused with Python's message, and the run is kept
    box = page.locator("#lab-beta-num")
    box.fill("50")
    box.press("Enter")
    expect(page.locator("#lab-error")).to_contain_text("beta must be between 0 and 40")
    expect(box).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#lab-train")).to_be_enabled()

    page.get_by_role("button", name="collapse (β = 32)").click()
    expect(page.locator("#lab-error")).to_be_hidden()
    expect(page.locator("#lab-beta-num")).to_have_value("32")
    expect(page.locator("#lab-note")).to_contain_text("β = 32")
    expect(page).to_have_url(re.compile(r"lab-beta=32"))
    page.locator("#lab-train").click()
    expect(page.locator("#lab-progress")).to_contain_text("done", timeout=3 * TRAIN_TIMEOUT_MS)
    expect(page.locator("#labu-active")).to_have_text("0")
    assert float(page.locator("#labu-kl").inner_text()) < 0.05


def test_training_starts_from_a_file_url(lab_page):
    page = lab_page
    open_lab(page, (ROOT / "index.html").as_uri())
    page.locator("#lab-train").click()
    wait_step_above(page, 142)  # two epochs
    expect(page.locator("#labc-epoch")).not_to_have_text("0")


def test_the_panel_answers_before_its_first_run_has_started(lab_page, site):
    """The page starts the lab's run in the background, after its first numbers.
    A preset and Train pressed the moment the panel is enabled wait for that
    start, keep their order, and are not undone by it."""
    page = lab_page
    # click in the very task that enables the panel: before any answer can arrive
    page.add_init_script("""addEventListener('DOMContentLoaded', () => {
        const train = document.getElementById('lab-train');
        new MutationObserver((_, observer) => {
            if (train.disabled) return;
            observer.disconnect();
            window.clickedBeforeStart = !ELBO.labPanel.status;
            document.querySelector('[data-preset="collapse"]').click();
            train.click();
        }).observe(train, { attributes: true });
    })""")
    page.goto(f"{site}/index.html?lab-seed=3&lab-epochs=7")  # the run the page starts
    expect(page.locator("#lab-train")).to_be_enabled(timeout=READY_TIMEOUT_MS)
    assert page.evaluate("() => window.clickedBeforeStart") is True
    wait_step_above(page, 71)  # training, and past its first epoch
    status = page.evaluate("() => ELBO.bridge.lab('status')")  # the worker's own run
    assert status["settings"]["beta"] == 32 and status["step"] > 71, status
    expect(page.locator("#lab-beta-num")).to_have_value("32")
    expect(page.locator("#lab-error")).to_be_hidden()
