"""Sharing, phones and prose (issue 15), in Chromium with real Pyodide: a resample link
reopens what it showed, a linked lab figure is not hidden by the sticky bar, the loss
formula fits a phone, the derivation warns when its Monte Carlo estimate is off, and a
progress estimate that has run out says so."""

import re

import pytest
from playwright.sync_api import expect
from test_browser_article import page_format, set_range

from elbo_lab import widgets

from harness import READY_TIMEOUT_MS, wait_ready

pytestmark = pytest.mark.browser


def test_one_resample_click_gives_a_link_to_what_is_shown(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    shown = page.locator("#gen-logprior")
    expect(shown).to_have_text(page_format(widgets.run("generate")["values"]["mean_log_prior"], "2"))
    page.locator("#gen-seed").click()
    expect(page).to_have_url(re.compile(r"[?&]gen-seed=1(&|#|$)"))
    once = page_format(widgets.run("generate", seed=1)["values"]["mean_log_prior"], "2")
    expect(shown).to_have_text(once)
    again = context_page()
    again.goto(page.url)
    wait_ready(again)
    expect(again.locator("#gen-logprior")).to_have_text(once)


@pytest.mark.parametrize("width", [1280, 360])
def test_a_linked_lab_figure_lands_below_the_sticky_bar(context_page, site, width):
    page = context_page(viewport={"width": width, "height": 800})
    page.goto(f"{site}/index.html#fig-lab_posterior")
    wait_ready(page)
    page.evaluate("document.getElementById('fig-lab_posterior').scrollIntoView()")  # as a link does
    page.wait_for_function("() => document.getElementById('fig-lab_posterior').getBoundingClientRect().top < 200")
    bar = page.evaluate("document.querySelector('.lab-bar').getBoundingClientRect().bottom")
    top = page.evaluate("document.getElementById('fig-lab_posterior').getBoundingClientRect().top")
    assert top >= bar, (top, bar)


def _kl_bitmap(page):
    return page.evaluate("(() => { const c = document.querySelector('[data-widget=kl] canvas');"
                         " return [c.width, c.height, c.getBoundingClientRect().width]; })()")


def test_a_phone_gets_the_narrow_figures_and_a_wide_window_the_wide_ones(context_page, site):
    """At 360 px the figures are laid out narrow (larger text, panels stacked), before Python
    (the static images) and after (the canvases); widening the window lays them out wide."""
    import elbo_lab.plotting.agg as agg
    from elbo_lab import plotting

    def image(key, layout):
        plotting.set_layout(layout)
        try:
            return widgets.run(key)["image"]
        finally:
            plotting.set_layout("wide")

    page = context_page(viewport={"width": 360, "height": 800})
    page.goto(f"{site}/index.html")
    expect(page.locator("#kl-static")).to_have_attribute("src", "static/narrow/kl.png")
    expect(page.locator("#tension-static")).to_have_attribute("src", "static/narrow/tension.png")
    wait_ready(page)
    page.locator("#fig-kl").scroll_into_view_if_needed()  # drawn once near the window
    narrow = image("kl", "narrow")
    page.wait_for_function("() => document.querySelector('[data-widget=kl] canvas').height === "
                           f"{narrow['height']}")
    width, height, shown = _kl_bitmap(page)
    assert (width, height) == (narrow["width"], narrow["height"])
    assert (width, height) == (640, round(2.6 * agg.NARROW_PX / agg.NARROW_INCHES))
    assert shown < 340  # the phone's column
    page.set_viewport_size({"width": 1280, "height": 800})
    wide = image("kl", "wide")
    page.wait_for_function(f"() => document.querySelector('[data-widget=kl] canvas').height === {wide['height']}")
    expect(page.locator("#kl-static")).to_have_attribute("src", "static/kl.png")
    assert page.evaluate("document.documentElement.dataset.layout") == "wide"
    # the reader's move is drawn in the layout of the moment
    set_range(page, "kl-mu", 2.0)
    page.set_viewport_size({"width": 360, "height": 800})
    page.wait_for_function(f"() => document.querySelector('[data-widget=kl] canvas').height === {narrow['height']}")
    expect(page.locator("#kl-value")).to_have_text(page_format(widgets.run("kl", mu=2.0)["values"]["kl"], "3"))


def test_the_loss_formula_fits_a_phone(context_page, site):
    page = context_page(viewport={"width": 360, "height": 800})
    page.goto(f"{site}/index.html")
    page.wait_for_function("() => document.querySelectorAll('.formula .katex-display').length > 0")
    widths = page.evaluate("[...document.querySelectorAll('.katex-display')].map("
                           "(e) => [e.scrollWidth, e.clientWidth])")
    assert widths and all(scroll <= client + 1 for scroll, client in widths), widths


def test_derivation_warns_when_its_estimate_is_off_and_reads_in_full(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    note = page.locator("#der-logmean-note")
    expect(page.locator("#der-logmean")).not_to_have_text("–")
    expect(note).to_have_text("")
    set_range(page, "der-x", 2)
    set_range(page, "der-mu", 3)
    set_range(page, "der-sigma", 0.1)
    v = widgets.run("derivation", x=2.0, mu=3.0, sigma=0.1)["values"]
    expect(note).to_have_text(v["log_mean_ratio_mc_note"])
    expect(note).to_contain_text("Not to be trusted here")
    expect(page.locator("#der-elbo-split")).to_have_text(page_format(v["elbo"], "4"))
    residual = page.locator("#der-residual")
    expect(residual).to_have_text(page_format(v["identity_residual"], "e"))
    assert re.fullmatch(r"0|−?\d\.\de[+-]\d+", residual.inner_text())


def test_a_progress_estimate_that_has_run_out_says_so(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    page.wait_for_function("() => ELBO.labPanel && ELBO.labPanel.status")
    line = page.evaluate("""() => {
      const lab = ELBO.labPanel;
      lab.loadingBlas = true; lab.blasStart = performance.now() - 5100; lab.paint();
      const text = document.getElementById('lab-progress').textContent;
      lab.loadingBlas = false; lab.paint();
      return text;
    }""")
    assert "5.1 s" in line and "taking longer than the usual 3 s" in line and "of about" not in line, line


def test_a_figure_moved_before_python_says_it_waits_then_catches_up(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html?ten-beta=2.7")
    # before Python: the linked figure's shipped picture is for beta = 1, and says so
    expect(page.locator("#fig-tension")).to_have_class(re.compile(r"\bstale\b"))
    assert "py-ready" not in (page.locator("body").get_attribute("class") or "")
    box = page.locator("#kl-mu-num")
    box.fill("3")
    box.press("Enter")
    expect(page.locator("#fig-kl")).to_have_class(re.compile(r"\bstale\b"))
    badge = page.evaluate("getComputedStyle(document.querySelector('#fig-kl .plot'), '::before').content")
    assert "waiting for Python" in badge
    wait_ready(page)
    kl = widgets.run("kl", mu=3.0, sigma=0.6)["values"]["kl"]
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl:.3f}")
    expect(page.locator("#fig-kl")).not_to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("#fig-tension")).not_to_have_class(re.compile(r"\bstale\b"))


def _note(page, control_id):
    return page.locator(f"#{control_id}").locator("xpath=ancestor::div[contains(@class,'control')][1]"
                                                  "/following-sibling::p[contains(@class,'control-note')][1]")


def test_a_links_values_are_used_as_given_or_refused_with_a_note(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html?kl-sigma=500&kl-mu=2&kl-mu=-1&gen-seed=2.5&lat-model=nope"
              "&ten-beta=0.02&post-x=abc")
    # refused by the page itself: its default, and a note under the control
    expect(page.locator("#lat-model")).to_have_value("beta1")
    expect(_note(page, "lat-model")).to_contain_text('"nope"')
    expect(_note(page, "lat-model")).to_contain_text("was not used")
    expect(_note(page, "post-x")).to_contain_text("finite number")
    expect(page.locator("#post-x-num")).to_have_value("2")
    expect(_note(page, "gen-seed")).to_contain_text("whole number")
    # a repeated key: the first value, said so
    expect(page.locator("#kl-mu-num")).to_have_value("2")
    expect(_note(page, "kl-mu")).to_contain_text("2 values")
    # beyond the slider but accepted by Python: the box shows it, the thumb at the track's end
    expect(page.locator("#ten-beta-num")).to_have_value("0.02")
    expect(page.locator("#ten-beta")).to_have_value(page.locator("#ten-beta").get_attribute("min"))
    wait_ready(page)
    # refused by Python on its first call: the default, a note, and both figures that read it live
    expect(page.locator("#kl-sigma-num")).to_have_value("0.6")
    expect(_note(page, "kl-sigma")).to_contain_text("sigma must be between 0.001 and 100")
    kl = widgets.run("kl", mu=2.0, sigma=0.6)["values"]["kl"]
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl:.3f}")
    for key in ("kl", "kl_mc", "tension", "posterior", "generate", "latent"):
        page.locator(f"#fig-{key}").scroll_into_view_if_needed()  # drawn once near the window
        expect(page.locator(f"#fig-{key}")).to_have_class(re.compile(r"\blive\b"))
        expect(page.locator(f"#fig-{key} .widget-error")).to_be_hidden()
    gap = widgets.run("tension", beta=0.02)["values"]["gap"]
    expect(page.locator("#ten-gap")).to_have_text(f"{gap:.3f}")
    assert "kl-sigma=" not in page.url and "lat-model=" not in page.url


def test_a_refused_lab_setting_falls_back_and_the_panel_agrees(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html?lab-beta=NaN&lab-seed=5000")
    wait_ready(page)
    expect(_note(page, "lab-beta")).to_contain_text("was not used")
    expect(page.locator("#lab-beta-num")).to_have_value("1")
    expect(page.locator("#lab-seed-num")).to_have_value("5000")  # accepted, beyond the slider
    expect(page.locator("#lab-state")).to_have_text("ready")
    expect(page.locator("#lab-progress")).to_contain_text("Epoch 0 of")
    page.locator("#lab-train").click()
    expect(page.locator("#lab-state")).to_have_text("training")
    expect(page.locator("#lab-error")).to_be_hidden()
    page.locator("#lab-train").click()  # pause
    expect(page).to_have_url(re.compile(r"lab-seed=5000"))


def test_a_lab_setting_python_refuses_falls_back_too(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html?lab-beta=500&lab-warmup=3")
    wait_ready(page)
    expect(_note(page, "lab-beta")).to_contain_text("beta must be between 0 and 40")
    expect(page.locator("#lab-beta-num")).to_have_value("1")
    expect(page.locator("#lab-state")).to_have_text("ready")
    expect(page.locator("#lab-error")).to_be_hidden()
    expect(page).to_have_url(re.compile(r"lab-warmup=3"))
    assert "lab-beta" not in page.url
    assert page.evaluate("ELBO.labPanel.status.settings.warmup") == 3


def _set_box(page, control_id, value):
    box = page.locator(f"#{control_id}-num")
    box.fill(str(value))
    box.press("Enter")


def test_a_dead_worker_is_noticed_and_restarted_with_the_readers_values(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    page.evaluate("ELBO.bridge.unresponsiveMs = 4000")  # 6 s by default: the test need not wait that
    page.evaluate("ELBO.bridge.worker.terminate()")  # as a crashed tab process would leave it
    _set_box(page, "kl-mu", 2)
    alert = page.locator("#py-alert")
    expect(alert).to_be_visible(timeout=15_000)
    expect(alert).to_contain_text("stopped answering")
    expect(page.locator("#fig-kl")).to_have_class(re.compile(r"\bstale\b"))
    kl = widgets.run("kl", mu=2.0, sigma=0.6)["values"]["kl"]
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl:.3f}", timeout=READY_TIMEOUT_MS)
    expect(alert).to_contain_text("answering again")
    expect(page.locator("#fig-kl")).not_to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("#lab-train")).to_be_enabled()
    page.locator("#lab-train").click()
    expect(page.locator("#lab-state")).to_have_text("training")
    page.wait_for_function("() => Number(document.getElementById('lab-panel').dataset.step) > 0")
    page.locator("#lab-train").click()


def test_a_failure_after_ready_is_shown_where_the_reader_is(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    page.evaluate("ELBO.bridge.worker.dispatchEvent(new ErrorEvent('error', {message: 'RangeError: out of memory'}))")
    alert = page.locator("#py-alert")
    expect(alert).to_be_visible()
    expect(alert).to_contain_text("Python stopped with an error: RangeError: out of memory")
    expect(page.locator("#lab-train")).to_be_disabled()
    expect(page.locator("#lab-error")).to_contain_text("Python stopped")
    _set_box(page, "kl-mu", -1.5)  # a move while Python is down: marked, then drawn once it is back
    expect(page.locator("#fig-kl")).to_have_class(re.compile(r"\bstale\b"))
    page.locator("#py-alert-retry").click()
    kl = widgets.run("kl", mu=-1.5, sigma=0.6)["values"]["kl"]
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl:.3f}", timeout=READY_TIMEOUT_MS)
    expect(page.locator("#fig-kl")).not_to_have_class(re.compile(r"\bstale\b"))
    expect(page.locator("#lab-train")).to_be_enabled()
    expect(page.locator("#lab-error")).to_be_hidden()


def test_a_failed_scipy_download_names_the_file_and_a_later_train_tries_again(context_page, site):
    page = context_page()
    refused = []

    def refuse(route):
        refused.append(route.request.url)
        route.fulfill(status=404, body="not here", headers={"Access-Control-Allow-Origin": "*"})

    page.route(re.compile(r".*/scipy-[^/]*\.whl$"), refuse)
    page.goto(f"{site}/index.html")
    wait_ready(page)
    page.locator("#lab-train").click()
    error = page.locator("#lab-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("could not load the package scipy")
    expect(error).to_contain_text("scipy-1.18.0-cp314-cp314-pyemscripten_2026_0_wasm32.whl: HTTP 404")
    assert refused
    page.unroute(re.compile(r".*/scipy-[^/]*\.whl$"))
    page.locator("#lab-train").click()  # the file is back: this Train loads it
    page.wait_for_function("() => Number(document.getElementById('lab-panel').dataset.step) > 0")
    expect(error).to_be_hidden()
    page.locator("#lab-train").click()


def test_a_failed_matplotlib_download_names_the_file(context_page, site):
    page = context_page()
    page.route(re.compile(r".*/matplotlib-[^/]*\.whl$"),
               lambda route: route.fulfill(status=503, body="busy",
                                           headers={"Access-Control-Allow-Origin": "*"}))
    page.goto(f"{site}/index.html")
    error = page.locator("#boot-error")
    expect(error).to_be_visible(timeout=READY_TIMEOUT_MS)
    expect(page.locator("#boot-error-stage")).to_have_text("plotting")
    message = page.locator("#boot-error-message")
    expect(message).to_contain_text("could not load the package matplotlib")
    expect(message).to_contain_text("matplotlib-3.10.8-cp314-cp314-pyemscripten_2026_0_wasm32.whl: HTTP 503")
    assert "Traceback" not in message.inner_text() and len(message.inner_text()) < 400
    # the numbers still answer without plotting
    _set_box(page, "kl-mu", 2)
    kl = widgets.run("kl", mu=2.0, sigma=0.6)["values"]["kl"]
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl:.3f}")


def test_a_copy_of_the_page_without_its_python_code_names_the_file(context_page, site):
    """Python starts from <head>, before the page's own scripts; if js/py-bundle.js cannot load,
    the worker is never left waiting for code: the boot panel names the file."""
    page = context_page()
    page.route(re.compile(r".*/js/py-bundle\.js$"), lambda route: route.abort())
    page.goto(f"{site}/index.html")
    expect(page.locator("#boot-error")).to_be_visible(timeout=READY_TIMEOUT_MS)
    expect(page.locator("#boot-error-stage")).to_have_text("our code")
    expect(page.locator("#boot-error-message")).to_contain_text("could not load js/py-bundle.js")
    # the text and the numbers shipped with the page are still there
    expect(page.locator("#fig-kl .widget-summary")).to_contain_text("KL = 0.691 nats")


def test_a_stalled_download_is_named_and_can_be_started_again(context_page, site):
    page = context_page()
    held = []
    page.route(re.compile(r".*/matplotlib-[^/]*\.whl$"), lambda route: held.append(route))  # never answered
    page.goto(f"{site}/index.html")
    label = page.locator("#boot-label")
    expect(label).to_contain_text("is taking much longer than usual", timeout=READY_TIMEOUT_MS)
    expect(label).to_contain_text("“plotting”")
    expect(label).to_contain_text("Still waiting for matplotlib-3.10.8-cp314-cp314-pyemscripten_2026_0_wasm32.whl")
    expect(page.locator("#boot-restart")).to_be_visible()
    assert held
    page.unroute(re.compile(r".*/matplotlib-[^/]*\.whl$"))
    page.locator("#boot-restart").click()  # a new worker, and this time the file comes
    wait_ready(page)
    expect(page.locator("#boot-restart")).to_be_hidden()


def test_with_the_cdn_blocked_the_maths_reads_and_messages_say_why(context_page, site):
    page = context_page()
    page.route("https://cdn.jsdelivr.net/**", lambda route: route.abort())
    page.goto(f"{site}/index.html")
    expect(page.locator("#boot-error")).to_be_visible(timeout=READY_TIMEOUT_MS)
    expect(page.locator("#boot-error-message")).to_contain_text("could not load https://cdn.jsdelivr.net/npm/pyodide")
    # KaTeX is served with the page: the mathematics is typeset, not raw TeX
    page.wait_for_function("() => document.querySelectorAll('.katex').length > 20")
    expect(page.locator(".katex-error")).to_have_count(0)
    assert "\\mathcal L" not in page.locator("#elbo").inner_text()
    # the figures' numbers at their defaults are in the page, Python or not
    gen = widgets.run("generate")["values"]["mean_log_prior"]
    expect(page.locator("#gen-logprior")).to_have_text(page_format(gen, "2"))
    expect(page.locator("#der-logpx")).not_to_have_text("–")
    expect(page.locator("#fig-kl .widget-summary")).to_contain_text("KL = 0.691 nats")
    # what said "still loading" now says Python could not start
    expect(page.locator("#lab-progress")).to_contain_text("Python could not start")
    tools = page.locator("#fig-kl .figure-tools")
    tools.get_by_role("button", name="Export as .py").click()
    expect(tools.locator(".tool-status")).to_contain_text("Python could not start")


CSP_WATCH = """document.addEventListener('securitypolicyviolation', (e) => {
  (window.cspViolations = window.cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI);
});"""


def test_the_tight_policy_blocks_nothing_the_page_does(context_page, site):
    page = context_page()
    page.add_init_script(CSP_WATCH)
    page.goto(f"{site}/index.html")
    wait_ready(page)
    page.wait_for_function("() => document.querySelectorAll('.katex').length > 20")
    _set_box(page, "kl-mu", 1.5)
    page.locator("#lab-train").click()
    page.wait_for_function("() => Number(document.getElementById('lab-panel').dataset.step) > 0")
    page.locator("#lab-train").click()
    page.locator("#theme-toggle").click()
    page.wait_for_timeout(500)
    assert page.evaluate("window.cspViolations || []") == []
    fonts = page.evaluate("[...document.fonts].filter((f) => f.family.includes('KaTeX') "
                          "&& f.status === 'loaded').length")
    assert fonts > 0  # KaTeX's fonts, from vendor/katex, under font-src 'self'


def test_a_foreign_pyodide_is_refused_with_the_usual_message(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html?pyodide=https:%2F%2Fevil.example/")
    expect(page.locator("#boot-error-message")).to_contain_text("?pyodide= must be a path on this site")
    page.goto(f"{site}/index.html?pyodide=http://[::1")  # not a URL at all
    expect(page.locator("#boot-error-message")).to_contain_text("?pyodide= must be a path on this site")


def test_the_grid_posterior_never_waits_for_training_to_end(context_page, site):
    """A digit picked while the lab trains is answered between training chunks: the answer
    comes while the run is still going, after a small share of it."""
    page = context_page()
    page.goto(f"{site}/index.html?lab-epochs=200")
    wait_ready(page)
    page.locator("#lab-train").click()
    page.wait_for_function("() => Number(document.getElementById('lab-panel').dataset.step) > 20")
    asked_at_step = int(page.locator("#lab-panel").get_attribute("data-step"))
    total = page.evaluate("ELBO.labPanel.status.epochs * ELBO.labPanel.status.steps_per_epoch")
    t0 = page.evaluate("performance.now()")
    _set_box(page, "labp-digit", 7)
    expect(page.locator("#labp-digit-num")).to_have_value("7")
    page.wait_for_function("() => document.getElementById('fig-lab_posterior').querySelector('.widget-summary')"
                           ".textContent.startsWith('Test digit 7,')")
    waited = page.evaluate("performance.now()") - t0
    step = int(page.locator("#lab-panel").get_attribute("data-step"))
    expect(page.locator("#lab-state")).to_have_text("training")  # the run goes on
    assert step - asked_at_step < 0.2 * total, (asked_at_step, step, total)
    print(f"grid posterior answered in {waited:.0f} ms while training (steps {asked_at_step} -> {step})")
    page.locator("#lab-train").click()


def test_a_lab_link_carries_the_training_and_replays_it(context_page, site):
    page = context_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{site}/index.html?lab-epochs=5&lab-seed=4")
    wait_ready(page)
    page.locator("#lab-train").click()
    page.wait_for_function("() => Number(document.getElementById('lab-panel').dataset.step) > 120")
    page.locator("#lab-train").click()  # pause
    expect(page.locator("#lab-state")).to_have_text("paused")
    step = int(page.locator("#lab-panel").get_attribute("data-step"))
    test_elbo = page.locator("#labc-test")
    page.wait_for_function("() => !document.getElementById('fig-lab_curves').classList.contains('computing')")
    page.wait_for_timeout(1000)  # the figures' refresh after the pause
    shown = test_elbo.inner_text()
    tools = page.locator("#fig-lab_curves .figure-tools")
    tools.get_by_role("button", name="Link to this state").click()
    expect(tools.locator(".tool-status")).to_contain_text("link")
    link = page.evaluate("document.querySelector('#fig-lab_curves .tool-copy') ? "
                         "document.querySelector('#fig-lab_curves .tool-copy').value : navigator.clipboard.readText()")
    assert f"lab-step={step}" in link and "lab-seed=4" in link and "lab-epochs=5" in link, link

    other = context_page()
    other.add_init_script("""new MutationObserver(() => {
      const t = document.getElementById('lab-progress');
      if (t && t.textContent.startsWith('Replaying')) window.sawReplay = t.textContent;
    }).observe(document, { subtree: true, childList: true, characterData: true });""")
    other.goto(link)
    wait_ready(other)
    expect(other.locator("#lab-note")).to_contain_text(f"trained again to step {step}", timeout=120_000)
    assert int(other.locator("#lab-panel").get_attribute("data-step")) == step
    assert other.evaluate("window.sawReplay || ''").startswith("Replaying the linked run: step")
    expect(other.locator("#labc-test")).to_have_text(shown)  # the same network
    expect(other.locator("#lab-state")).to_have_text("paused")
    expect(other).to_have_url(re.compile(rf"lab-step={step}"))
    other.locator("#lab-train").click()  # going on leaves the link's step behind
    expect(other).not_to_have_url(re.compile(r"lab-step="))
    other.locator("#lab-train").click()


def test_a_bad_lab_step_in_a_link_is_refused_with_a_note(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html?lab-step=abc")
    wait_ready(page)
    expect(page.locator("#lab-note")).to_contain_text('training step "abc" was not used')
    expect(page.locator("#lab-state")).to_have_text("ready")


def test_a_soak_of_updates_and_runs_leaks_nothing_and_does_not_slow(context_page, site):
    """2,000 slider updates over five figures and five Train / Reset runs in one page: the page's
    JS heap and the memory in use in the worker's wasm heap grow by under 25 MB, and the last
    updates answer about as fast as the first (bench/bench_soak.py prints the same measurements).
    In use, not the heap's size: that grows by a step of up to 96 MB whenever a new peak needs
    it (a lab figure drawn while a chunk trains, say) and never shrinks, leak or not."""
    import statistics

    import soak

    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    page.evaluate("document.getElementById('fig-kl').scrollIntoView()")
    out = soak.run(page, updates=2000, runs=5)
    grown = {k: (out["after"][k] - out["before"][k]) / 2**20 for k in ("js", "wasm", "malloc")}
    assert out["before"]["malloc"] > 0, out  # the worker's heap was read
    assert grown["js"] < 25 and grown["malloc"] < 25, grown
    lat = out["latencies"]
    first, last = statistics.median(lat[:200]), statistics.median(lat[-200:])
    print(f"soak: JS heap {grown['js']:+.1f} MB, wasm in use {grown['malloc']:+.1f} MB "
          f"(heap size {grown['wasm']:+.0f} MB); "
          f"median update {first:.0f} ms first, {last:.0f} ms last")
    assert last < 2.0 * first + 20, (first, last)  # no creep (with room for a noisy machine)
    assert max(lat) < 10_000  # every update was answered


def test_a_figure_waiting_behind_a_long_computation_shows_it_is_busy(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    # three seconds of training in one call: the worker cannot answer anything meanwhile
    page.evaluate("window.longCall = ELBO.bridge.send({op: 'lab', name: 'advance', params: {ms: 3000}})")
    t0 = page.evaluate("performance.now()")
    _set_box(page, "kl-mu", 2.5)
    page.wait_for_function("() => document.getElementById('fig-kl').getAttribute('aria-busy') === 'true'")
    shown_after = page.evaluate("performance.now()") - t0
    assert shown_after < 1000, shown_after
    badge = page.evaluate("getComputedStyle(document.querySelector('#fig-kl .plot'), '::before').content")
    assert "computing" in badge
    kl = widgets.run("kl", mu=2.5, sigma=0.6)["values"]["kl"]
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl:.3f}")
    expect(page.locator("#fig-kl")).to_have_attribute("aria-busy", "false")
    assert page.evaluate("window.longCall.then((s) => s.step > 0)")
