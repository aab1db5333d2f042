"""What keeps a drag light on the page's side (issue 14), in Chromium with real Pyodide: the
address follows a burst of moves a few times, not at every frame, yet a link copied at once
has the last value; a figure that another figure's control drives waits while far off
screen, and draws as it comes near."""

import re

import pytest
from playwright.sync_api import expect
from test_browser_article import page_format

from elbo_lab import widgets

from harness import scroll_through, wait_ready

pytestmark = pytest.mark.browser

# A drag of the KL figure's mu slider: one input per frame; returns its length and last value.
DRAG_JS = """async (moves) => {
    const el = document.getElementById('kl-mu');
    const raf = () => new Promise((r) => requestAnimationFrame(r));
    const t0 = performance.now();
    for (let i = 0; i < moves; i++) {
        el.value = String(-2 + 4 * i / (moves - 1));
        el.dispatchEvent(new Event('input', { bubbles: true }));
        await raf();
    }
    return { ms: performance.now() - t0, value: el.value };
}"""

COUNT_JS = """() => {
    window.addressWrites = 0;
    const write = history.replaceState.bind(history);
    history.replaceState = (...args) => { window.addressWrites++; return write(...args); };
}"""


def test_a_drag_writes_the_address_a_few_times_and_ends_on_its_last_value(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    page.locator("#fig-kl").scroll_into_view_if_needed()
    page.evaluate(COUNT_JS)
    drag = page.evaluate(DRAG_JS, 40)
    expect(page).to_have_url(re.compile(rf"[?&]kl-mu={re.escape(drag['value'])}(&|#|$)"))
    writes = page.evaluate("window.addressWrites")
    # the first move at once, then at most one write per 200 ms, the last after the drag
    assert 2 <= writes <= drag["ms"] / 200 + 2, (writes, drag["ms"])
    assert writes < 40 / 3


def test_a_link_copied_mid_burst_has_the_last_value(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    # two moves in one task: the second is held back (200 ms), then the link tool is used
    search = page.evaluate("""() => {
        const el = document.getElementById('kl-sigma');
        for (const v of ['0.8', '1.3']) {
            el.value = v;
            el.dispatchEvent(new Event('input', { bubbles: true }));
        }
        const held = location.search;
        document.querySelector('#fig-kl [data-tool="link"]').click();
        return { held: held, after: location.search };
    }""")
    assert "kl-sigma=0.8" in search["held"]
    assert "kl-sigma=1.3" in search["after"]


def test_a_figure_far_off_screen_waits_for_a_shared_control_then_draws_near(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    page.evaluate("window.scrollTo(0, 0)")  # the KL figures are several screens down
    page.wait_for_timeout(300)
    sent = "() => ELBO.bridge.sent.get('kl_mc') || 0"
    before = page.evaluate(sent)
    exact = page.locator("#klmc-exact")
    shown = exact.text_content()
    page.evaluate("""() => {
        const el = document.getElementById('kl-mu');
        el.value = '1.5';
        el.dispatchEvent(new Event('input', { bubbles: true }));
    }""")
    kl = widgets.run("kl", mu=1.5, sigma=0.6)["values"]["kl"]
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl:.3f}")  # its own figure: at once
    page.wait_for_timeout(500)
    assert page.evaluate(sent) == before and exact.text_content() == shown
    page.locator("#fig-kl_mc").scroll_into_view_if_needed()
    want = widgets.run("kl_mc", mu=1.5, sigma=0.6)["values"]["kl"]
    expect(exact).to_have_text(page_format(want, "3"))
    assert page.evaluate(sent) == before + 1


# Every background warm-up call of one figure from now on: its parameters, in order.
RECORD_WARM_JS = """(key) => {
    window.warmCalls = [];
    const bridge = ELBO.bridge, request = bridge.request.bind(bridge);
    bridge.request = (slot, widget, params, done, background) => {
        if (slot === 'warm:' + key) window.warmCalls.push(Object.assign({}, params));
        return request(slot, widget, params, done, background);
    };
}"""


def test_a_moved_figure_is_warmed_again_at_its_new_values_once_the_reader_pauses(context_page, site):
    page = context_page()
    page.goto(f"{site}/index.html")
    wait_ready(page)
    page.wait_for_function("() => ELBO.metrics.warm && ELBO.metrics.warm.finished", timeout=180_000)
    page.locator("#fig-reparam").scroll_into_view_if_needed()
    page.evaluate(RECORD_WARM_JS, "reparam")
    control = page.locator("#rep-mu")
    control.focus()
    for _ in range(30):  # keyboard steps of mu, away from its default
        page.keyboard.press("ArrowRight")
    page.wait_for_timeout(500)  # within the pause that follows a move, nothing is warmed
    assert page.evaluate("window.warmCalls.length") == 0
    page.wait_for_function("() => ELBO.metrics.warm.finished", timeout=60_000)
    calls = page.evaluate("window.warmCalls")
    now = {p.name: p.default for p in widgets.figure("reparam").PARAMS if p.name in ("sigma", "n")}
    now["mu"] = float(control.input_value())
    assert now["mu"] > 1.0
    # 8 values of each slider, the other two as the reader left them
    assert len(calls) == 8 * len(now)
    assert all(sum(c[name] != value for name, value in now.items()) <= 1 for c in calls), calls
    for name in now:
        swept = {c[name] for c in calls if all(c[o] == v for o, v in now.items() if o != name)}
        assert len(swept) >= 7, (name, sorted(swept))


def test_before_plotting_only_the_moved_figures_are_asked_for_their_numbers(context_page, site):
    """A figure at its defaults already shows Python's numbers (build_page.py writes them), so
    until matplotlib is in the worker computes numbers only for a figure the reader moved: its
    numbers answer first, and the others' first answer is their picture."""
    page = context_page()
    page.add_init_script("""addEventListener('DOMContentLoaded', () => {
        const el = document.getElementById('kl-mu');
        el.value = '2';
        el.dispatchEvent(new Event('input', { bubbles: true }));
    })""")
    page.goto(f"{site}/index.html")
    wait_ready(page)
    for key in ("kl", "posterior", "reparam"):
        page.locator(f"#fig-{key}").scroll_into_view_if_needed()  # drawn once near the window
        page.wait_for_function(f"() => performance.getEntriesByName('elbo:{key}:drawn').length > 0")
    kl = widgets.run("kl", mu=2.0, sigma=0.6)["values"]["kl"]
    expect(page.get_by_test_id("kl-value")).to_have_text(f"{kl:.3f}")
    paints = page.evaluate("() => ELBO.metrics.paints.map((p) => [p.key, p.image])")
    ready = page.evaluate("() => performance.getEntriesByName('elbo:ready')[0].startTime")
    live = page.evaluate("() => performance.getEntriesByName('elbo:kl:live')[0].startTime")
    assert live < ready and ["kl", False] in paints, paints  # the moved figure: numbers first
    for key in ("posterior", "reparam"):  # unmoved: nothing until the picture
        assert [key, False] not in paints and [key, True] in paints, (key, paints)


BYTECODE_JS = "() => ELBO.bridge.send({ op: 'plotting', name: 'bytecode' })"


def test_matplotlib_and_the_rest_are_imported_from_bytecode_made_ahead(live):
    """js/py-bytecode.js covers every module of site-packages the page imports once matplotlib
    is in, for the very sources it loads: by the time every figure is drawn, none was compiled
    in the page (else rerun scripts/build_bytecode.py), and none of it was left unused."""
    page = live
    scroll_through(page)
    state = page.evaluate(BYTECODE_JS)
    assert state["installed"] >= 100, state["reason"]
    assert state["stale"] == [] and state["compiled"] == [], (
        "js/py-bytecode.js is stale: run python scripts/build_bytecode.py", state["stale"], state["compiled"])


def test_without_its_bytecode_the_page_compiles_the_sources_and_draws(context_page, site):
    """A copy of the page without js/py-bytecode.js (or one whose script fails) still draws."""
    page = context_page()
    page.route(re.compile(r".*/py-bytecode\.js$"), lambda route: route.abort())
    page.goto(f"{site}/index.html")
    wait_ready(page)
    page.locator("#fig-kl").scroll_into_view_if_needed()
    expect(page.locator("#fig-kl")).to_have_class(re.compile(r"\blive\b"))
    state = page.evaluate(BYTECODE_JS)
    assert (state["installed"], state["reason"]) == (0, "nothing installed")
    box = page.locator("#fig-kl").get_by_label("μ value", exact=True)
    box.fill("1.5")
    box.press("Enter")
    expect(page.get_by_test_id("kl-value")).to_have_text("1.316")  # sigma stays 0.6


def test_a_figure_far_from_the_window_keeps_its_picture_until_it_comes_near(live):
    """At load the figures within a screen of the window are drawn (the reader's, at the top);
    one far below keeps the picture shipped with the page until it is scrolled near."""
    page = live
    expect(page.locator("#fig-generate")).to_have_class(re.compile(r"\blive\b"))
    expect(page.locator("#boot-label")).to_contain_text("those further down are drawn live as you reach them")
    assert page.evaluate("ELBO.metrics.putOff.includes('dynamics')")
    assert not page.evaluate("performance.getEntriesByName('elbo:dynamics:drawn').length")
    figure = page.locator("#fig-dynamics")
    expect(figure).not_to_have_class(re.compile(r"\blive\b"))
    figure.scroll_into_view_if_needed()
    expect(figure).to_have_class(re.compile(r"\blive\b"))
    expect(page.locator("#dynamics-static")).to_be_hidden()


def test_python_starts_while_the_pages_own_scripts_are_still_loading(context_page, site):
    """js/bridge.js, in <head>, makes the worker at the first paint: Pyodide's core downloads
    while the rest of the page and its own scripts load (on a reader's network that is a
    second or more sooner: bench_page.py --throttle). Here js/py-bundle.js, our Python code,
    is held back: the worker has started all the same, and once the code comes it is
    imported and the page answers."""
    page = context_page()
    held = []
    page.route(re.compile(r".*/js/py-bundle\.js$"), lambda route: held.append(route))
    page.goto(f"{site}/index.html", wait_until="commit")
    page.wait_for_function("() => performance.getEntriesByName('elbo:worker-start').length > 0")
    assert not page.evaluate("'ELBO_PY_BUNDLE' in window")
    for _ in range(200):  # requested by now, or soon: once the parser reaches the end of <body>
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "js/py-bundle.js was never requested"
    held[0].continue_()
    wait_ready(page)
    box = page.locator("#fig-kl").get_by_label("μ value", exact=True)
    box.fill("1.5")
    box.press("Enter")
    expect(page.get_by_test_id("kl-value")).to_have_text("1.316")  # sigma stays 0.6
