"""Publishing and reading comfort, in Chromium with real Pyodide: embeds in a sandboxed
iframe, permalinks, keyboard use, the live summaries, the dark theme, a 360 px phone,
and an exported script that runs with native Python."""

import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest
from matplotlib.image import imread
from playwright.sync_api import expect
from test_browser_article import canvas_digest, page_format

import elbo_lab.plotting.agg as agg
from elbo_lab import plotting, widgets
from elbo_lab.gaussian import kl_to_standard_normal

from harness import READY_TIMEOUT_MS, ROOT, wait_ready
from repo import RUNNER  # tests/unit/repo.py: runs a script with the repository's package hidden

pytestmark = pytest.mark.browser

HOST = """<!DOCTYPE html><html><body style="margin:0">
<p>A blog post.</p>
<iframe id="embed" src="{src}" sandbox="{sandbox}" style="width: 700px; height: 150px; border: 0"></iframe>
<script>
  window.heights = [];
  addEventListener("message", (e) => {{
    if (!e.data || e.data.type !== "elbo-lab:height") return;
    const frame = document.getElementById("embed");
    if (frame.contentWindow !== e.source) return;
    window.heights.push(e.data.height);
    frame.style.height = e.data.height + "px";
  }});
</script></body></html>"""


def pixel(page, canvas_id, x, y):
    return page.evaluate(
        f"Array.from(document.getElementById({canvas_id!r}).getContext('2d')"
        f".getImageData({x}, {y}, 1, 1).data)")


def luminance(rgba):
    return (0.2126 * rgba[0] + 0.7152 * rgba[1] + 0.0722 * rgba[2]) / 255


@pytest.mark.parametrize("sandbox", ["allow-scripts", "allow-scripts allow-same-origin"])
def test_embed_in_a_sandboxed_iframe_reports_its_height_and_goes_live(context_page, site, sandbox):
    page = context_page()
    src = f"{site}/index.html?embed=kl&kl-mu=-1.2&kl-sigma=0.5"
    page.set_content(HOST.format(src=src, sandbox=sandbox))
    frame = page.frame_locator("#embed")
    expect(frame.locator("#fig-kl")).to_have_class(re.compile(r"\blive\b"), timeout=READY_TIMEOUT_MS)
    expect(frame.get_by_test_id("kl-value")).to_have_text(f"{kl_to_standard_normal(-1.2, 0.5):.3f}")
    expect(frame.locator(".masthead")).to_be_hidden()  # no article chrome
    expect(frame.locator("#fig-posterior")).to_be_hidden()
    page.wait_for_function("() => window.heights.length > 0")
    reported = page.evaluate("window.heights[window.heights.length - 1]")
    box = page.locator("#embed").bounding_box()
    assert reported > 300 and box["height"] == pytest.approx(reported, abs=1)
    inner = page.frames[1].evaluate("document.querySelector('.embed-root').getBoundingClientRect().height")
    assert reported == pytest.approx(inner + 16, abs=2)  # fits the figure, no more


def test_a_permalink_restores_a_non_default_state(context_page, site):
    page = context_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(f"{site}/index.html?kl-mu=-1.2&kl-sigma=0.5&lat-model=beta4&lat-classes=17&gen-seed=3")
    wait_ready(page)
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl_to_standard_normal(-1.2, 0.5):.3f}")
    expect(page.locator("#kl-mu")).to_have_value("-1.2")
    expect(page.locator("#lat-model")).to_have_value("beta4")
    n_points = widgets.run("latent", classes="17", model="beta4")["values"]["n_points"]
    expect(page.locator("#lat-n")).to_have_text(str(n_points))
    expected = widgets.run("generate", n=16, seed=3)["values"]["mean_log_prior"]
    expect(page.locator("#gen-logprior")).to_have_text(page_format(expected, "2"))
    # and moving a control writes the new state into the address
    box = page.locator("#kl-sigma-num")
    box.fill("0.8")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"kl-sigma=0\.8"))
    # "link to this state" gives that address (shown to copy where the clipboard is refused)
    tools = page.locator("#fig-kl .figure-tools")
    tools.get_by_role("button", name="Link to this state").click()
    expect(tools.locator(".tool-status")).to_contain_text("link")
    link = page.evaluate("document.querySelector('#fig-kl .tool-copy') ? "
                         "document.querySelector('#fig-kl .tool-copy').value : navigator.clipboard.readText()")
    assert "kl-sigma=0.8" in link and "kl-mu=-1.2" in link and link.endswith("#fig-kl")


def test_keyboard_moves_a_slider_and_the_live_summary_follows(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    expect(page.locator("#fig-kl")).not_to_have_class(re.compile("awaiting-plot"))
    summary = page.locator("#fig-kl .widget-summary")
    expect(summary).to_have_attribute("aria-live", "polite")
    page.wait_for_function("() => document.querySelector('#fig-kl .widget-summary').textContent.includes('KL')")
    before_text, before_pixels = summary.inner_text(), canvas_digest(page, "kl-plot")
    # reach the slider by keyboard from the control before it
    page.locator("#fig-kl").scroll_into_view_if_needed()
    page.locator("#kl-mu").focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "kl-mu"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # focus visible
    for _ in range(30):
        page.keyboard.press("ArrowRight")  # step 0.01 each
    expect(page.locator("#kl-mu-num")).to_have_value("1.3")
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl_to_standard_normal(1.3, 0.6):.3f}")
    expect(summary).not_to_have_text(before_text)
    assert "1.30" in summary.inner_text()
    assert canvas_digest(page, "kl-plot") != before_pixels


def test_dark_theme_redraws_the_figures_dark(context_page, site):
    page = context_page(color_scheme="dark")
    page.goto(f"{site}/index.html")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert luminance([int(v) for v in re.findall(r"\d+", background)[:3]]) < 0.2
    assert page.locator("#kl-static").get_attribute("src") == "static/dark/kl.png"
    wait_ready(page)
    expect(page.locator("#fig-kl")).not_to_have_class(re.compile("awaiting-plot"))
    page.wait_for_function("() => { const d = document.getElementById('kl-plot')"
                           ".getContext('2d').getImageData(2, 2, 1, 1).data; return d[0] + d[1] + d[2] < 150; }")
    assert luminance(pixel(page, "kl-plot", 2, 2)) < 0.2
    # the toggle switches to light, figures included
    page.get_by_role("button", name="Light theme").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    page.wait_for_function("() => { const d = document.getElementById('kl-plot')"
                           ".getContext('2d').getImageData(2, 2, 1, 1).data; return d[0] + d[1] + d[2] > 600; }")


def test_a_phone_360_px_wide_has_no_sideways_scroll(context_page, site):
    page = context_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    page.goto(f"{site}/index.html")
    wait_ready(page)
    widest = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5
                     && getComputedStyle(e).visibility !== 'hidden' && e.offsetParent !== null
                     && !e.closest('.katex-display, pre, .katex-mathml, .hide-tail'))
        .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)""")
    assert widest == [], f"elements wider than the screen: {widest}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    # a slider is usable by touch: tap near its right end
    page.locator("#fig-kl").scroll_into_view_if_needed()
    box = page.locator("#kl-mu").bounding_box()
    assert box["height"] >= 24 and box["width"] >= 120
    page.touchscreen.tap(box["x"] + 0.95 * box["width"], box["y"] + box["height"] / 2)
    expect(page.locator("#kl-mu-num")).not_to_have_value("1")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_an_exported_script_runs_with_native_python(context_page, site, tmp_path, theme):
    """The script draws exactly the figure the reader sees, in the page's theme."""
    page = context_page(accept_downloads=True)
    page.goto(f"{site}/index.html?kl-mu=1.5&kl-sigma=0.8&theme={theme}")
    wait_ready(page)
    tools = page.locator("#fig-kl .figure-tools")
    tools.locator("summary").click()  # view the Python: the figure's own module
    expect(tools.locator("code")).to_contain_text("elbo_lab/widgets/kl.py")
    expect(tools.locator("code")).to_contain_text("def compute(mu, sigma):")
    expect(tools.locator("code")).to_contain_text("def draw(agg, view, q):")
    with page.expect_download() as info:
        tools.get_by_role("button", name="Export as .py").click()
    script = tmp_path / info.value.suggested_filename
    info.value.save_as(script)
    assert script.suffix == ".py"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, "-I", "-c", RUNNER, str(ROOT / "py"), script.name, "out.png"],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert script.name == f"elbo-lab-kl-mu1.5-sigma0.8{'-dark' if theme == 'dark' else ''}.py"
    got = imread(tmp_path / "out.png")
    plotting.set_theme(theme)
    try:
        want = widgets.run("kl", mu=1.5, sigma=0.8)
    finally:
        plotting.set_theme("light")
    (tmp_path / "want.png").write_bytes(agg.png_bytes(want["image"]))
    assert np.array_equal(got, imread(tmp_path / "want.png"))
    assert (got[2, 2, :3].mean() < 0.25) == (theme == "dark")  # the background's colour
    assert json.loads(done.stdout.splitlines()[0])["kl"] == pytest.approx(kl_to_standard_normal(1.5, 0.8))
