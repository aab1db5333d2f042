"""The spine in a real browser: page -> worker -> Pyodide -> elbo_lab -> figure -> page."""

import hashlib
import re

import pytest
from playwright.sync_api import expect

import harness
from harness import READY_TIMEOUT_MS, wait_ready

pytestmark = pytest.mark.browser


def canvas_digest(page, canvas_id):
    data = page.evaluate(f"document.getElementById({canvas_id!r}).toDataURL('image/png')")
    return hashlib.sha256(data.encode()).hexdigest()


def kl_figure(page):
    return page.locator("#fig-kl")


def set_value(page, label, value):
    box = kl_figure(page).get_by_label(label, exact=True)
    box.fill(str(value))
    box.press("Enter")


def test_static_figure_shows_before_python(page, page_url):
    page.goto(page_url)
    static = page.get_by_role("img", name=re.compile("prior N\\(0, 1\\), dashed"))
    expect(static).to_be_visible()
    assert page.evaluate("document.getElementById('kl-static').naturalWidth") == 640
    expect(page.get_by_role("progressbar", name=re.compile("Python"))).to_be_visible()


def test_kl_widget_goes_live_and_answers(live):
    page = live
    figure = page.locator("#fig-kl")
    figure.scroll_into_view_if_needed()  # the page draws a figure once it is near the window
    expect(figure).to_have_class(re.compile(r"\blive\b"))  # canvas replaced the static image
    expect(page.get_by_test_id("kl-value")).to_have_text("0.691")  # 0.5 * (1 + 0.36 - 1) - log 0.6
    before = canvas_digest(page, "kl-plot")

    set_value(page, "μ value", 1.5)
    set_value(page, "σ value", 1)
    expect(page.get_by_test_id("kl-value")).to_have_text("1.125")  # 0.5 * 1.5**2
    expect(figure.locator(".widget-summary")).to_contain_text("KL = 1.125 nats")
    expect(kl_figure(page).get_by_label("μ, the mean of q")).to_have_value("1.5")  # slider follows
    assert canvas_digest(page, "kl-plot") != before, "the plot did not redraw"


def test_reader_overtakes_the_first_draws(live):
    """Right after load every figure is queued for its first draw; a reader's move
    is answered before that backlog, not after it."""
    page = live
    set_value(page, "μ value", 1.5)  # sigma stays 0.6: 0.5 * (0.36 + 2.25 - 1) - log 0.6
    expect(page.get_by_test_id("kl-value")).to_have_text("1.316")
    drawn, widgets = page.evaluate("""() => {
        const paints = ELBO.metrics.paints;
        const at = paints.findIndex((p) => p.key === 'kl' && p.input > 0);
        const drawn = new Set(paints.slice(0, at).filter((p) => p.image).map((p) => p.key));
        return [drawn.size, document.querySelectorAll('[data-widget]').length];
    }""")
    assert drawn < widgets - 3, f"the reader's move waited for {drawn} of {widgets} first draws"
    harness.scroll_through(page)  # and the others are still drawn afterwards, as they come near


def test_invalid_input_shows_python_error_and_keeps_state(live):
    page = live
    set_value(page, "μ value", 1.5)
    set_value(page, "σ value", 1)
    expect(page.get_by_test_id("kl-value")).to_have_text("1.125")
    drawn = canvas_digest(page, "kl-plot")

    set_value(page, "σ value", -1)
    alert = page.locator("#fig-kl").get_by_role("alert")
    expect(alert).to_have_text("sigma must be between 0.001 and 100 (a standard deviation, "
                               "drawable on the plot), got -1")
    expect(kl_figure(page).get_by_label("σ value", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("kl-value")).to_have_text("1.125")  # last good value kept
    assert canvas_digest(page, "kl-plot") == drawn  # and the last good figure

    set_value(page, "σ value", "")  # empty box: not a number
    expect(alert).to_have_text("sigma must be a finite number")

    set_value(page, "σ value", 2)  # KL = 0.5 * (2.25 + 4 - 1) - log 2
    expect(alert).to_be_hidden()
    expect(page.get_by_test_id("kl-value")).to_have_text("1.932")


def test_slider_works_from_the_keyboard(live):
    page = live
    slider = kl_figure(page).get_by_label("σ, the standard deviation of q")
    slider.focus()
    page.keyboard.press("End")  # sigma = 3, mu = 1: KL = 0.5 * (1 + 9 - 1) - log 3
    expect(kl_figure(page).get_by_label("σ value", exact=True)).to_have_value("3")
    expect(page.get_by_test_id("kl-value")).to_have_text("3.401")


def test_fast_drag_latest_wins(live):
    """100 slider events in one burst: far fewer calls, and the last value shown."""
    page = live
    page.locator("#fig-kl").scroll_into_view_if_needed()
    # the KL figure has been drawn and nothing of it is in flight
    page.wait_for_function("() => ELBO.metrics.paints.some(p => p.key === 'kl' && p.image) && "
                           "!ELBO.bridge.slots.get('kl').busy")
    sent = page.evaluate("""() => {
        const slider = document.getElementById('kl-mu');
        const before = ELBO.bridge.sent.get('kl') || 0;
        for (let i = 1; i <= 100; i++) {
            slider.value = String(i / 50);  // ends at mu = 2 (sigma stays 0.6)
            slider.dispatchEvent(new Event('input', { bubbles: true }));
        }
        return ELBO.bridge.sent.get('kl') - before;
    }""")
    assert sent == 1, "the KL widget's calls queued while one was in flight"
    expect(page.get_by_test_id("kl-value")).to_have_text("2.191")  # 0.5 * (4 + 0.36 - 1) - log 0.6
    calls = page.evaluate("ELBO.bridge.sent.get('kl')")
    assert calls < 10, f"{calls} KL calls for 100 events: latest-wins is not working"


def test_unreachable_cdn_names_the_stage(playwright_instance, page_url):
    """No host mapping: the CDN cannot be reached, as on a machine with no network."""
    args = [a for a in harness.chromium_args(0) if not a.startswith("--host-resolver-rules")]
    browser = playwright_instance.chromium.launch(executable_path=harness.chromium_path(), args=args)
    try:
        page = browser.new_page()
        page.goto(page_url)
        panel = page.get_by_role("alert").filter(has_text="Loading stopped")
        expect(panel).to_contain_text("Python core", timeout=READY_TIMEOUT_MS)
        expect(panel).to_contain_text("pyodide.mjs")
        expect(panel.get_by_role("button", name="Retry")).to_be_visible()
        expect(page.get_by_role("img", name=re.compile("prior N\\(0, 1\\), dashed"))).to_be_visible()
        page.get_by_role("button", name="Retry").click()  # tries again, fails the same way
        expect(page.locator('#boot-stages [data-stage="core"]')).to_have_class("failed",
                                                                              timeout=READY_TIMEOUT_MS)
    finally:
        browser.close()


def test_python_import_error_names_the_stage(page, page_url):
    """A broken module in the bundle: the panel names 'our code' and shows Python's message."""
    page.add_init_script("""
        Object.defineProperty(window, 'ELBO_PY_BUNDLE', {
            configurable: true,
            set(bundle) {
                bundle.files['elbo_lab/widgets/__init__.py'] = { encoding: 'utf-8',
                    data: 'raise RuntimeError("deliberately broken for a test")\\n' };
                Object.defineProperty(window, 'ELBO_PY_BUNDLE', { value: bundle });
            },
        });
    """)
    page.goto(page_url)
    panel = page.get_by_role("alert").filter(has_text="Loading stopped")
    expect(panel).to_contain_text("our code", timeout=READY_TIMEOUT_MS)
    expect(panel).to_contain_text("deliberately broken for a test")


def test_pyodide_base_override_rejects_other_sites(page, site):
    page.goto(f"{site}/index.html?pyodide=https://example.org/pyodide/")
    panel = page.get_by_role("alert").filter(has_text="Loading stopped")
    expect(panel).to_contain_text("must be a path on this site")


def test_pyodide_base_override_same_origin(page, site):
    """A same-origin base is used (and here fails visibly, since nothing is hosted there)."""
    page.goto(f"{site}/index.html?pyodide=selfhosted/")
    panel = page.get_by_role("alert").filter(has_text="Loading stopped")
    expect(panel).to_contain_text(f"{site}/selfhosted/pyodide.mjs", timeout=READY_TIMEOUT_MS)


# Changes that leave each file working, so only its Subresource Integrity can refuse it.
BENIGN_CHANGES = {
    "pyodide.mjs": b"\n// changed\n",
    "pyodide.asm.mjs": b"\n// changed\n",
    "pyodide.asm.wasm": b"\x00\x05\x04test",  # an empty custom section named "test"
    "pyodide-lock.json": b"\n",
}


@pytest.fixture
def self_hosted(tmp_path):
    """A site serving the page with a self-hosted Pyodide under /pyodide/, with the
    header Access-Control-Allow-Origin: * (see README); returns (site URL, that
    folder). The folder links the mirror's files, so a test can replace one with a
    changed copy."""
    for name in ("index.html", "js", "css", "static"):
        (tmp_path / name).symlink_to(harness.ROOT / name)
    hosted = tmp_path / "pyodide"
    hosted.mkdir()
    mirror = harness.mirror_dir()
    for path in mirror.iterdir():
        (hosted / path.name).symlink_to(path)
    server = harness.static_server(tmp_path, cors=True)
    yield f"http://127.0.0.1:{server.server_port}", hosted
    harness.stop(server)


def test_self_hosted_pyodide_goes_live(page, self_hosted):
    """An unchanged copy of the mirror, core and packages from one folder, passes the
    integrity checks and serves the page."""
    site, _ = self_hosted
    page.goto(f"{site}/index.html?pyodide=pyodide/")
    wait_ready(page)
    set_value(page, "μ value", 1.5)
    set_value(page, "σ value", 1)
    expect(page.get_by_test_id("kl-value")).to_have_text("1.125")


@pytest.mark.parametrize("name", sorted(BENIGN_CHANGES))
def test_a_changed_pyodide_core_file_is_refused(page, self_hosted, name):
    site, hosted = self_hosted
    original = (hosted / name).read_bytes()
    (hosted / name).unlink()
    (hosted / name).write_bytes(original + BENIGN_CHANGES[name])
    page.goto(f"{site}/index.html?pyodide=pyodide/")
    panel = page.get_by_role("alert").filter(has_text="Loading stopped")
    expect(panel).to_contain_text("Python core", timeout=READY_TIMEOUT_MS)
    expect(panel).to_contain_text(f"{site}/pyodide/{name} is not the file of Pyodide 314.0.3")
    expect(panel).to_contain_text("Subresource Integrity")
    expect(page.locator('#boot-stages [data-stage="core"]')).to_have_class("failed")


def test_ready_reports_every_stage(live):
    stages = live.evaluate(
        "[...document.querySelectorAll('#boot-stages li')].map(li => [li.dataset.stage, li.className])")
    assert [s for s, _ in stages] == ["core", "numpy", "code", "plotting", "ready"]
    assert all(cls == "done" for _, cls in stages)
    wait_ready(live)
