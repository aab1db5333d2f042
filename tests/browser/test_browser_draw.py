"""The drawing pad and the gap split, and dragging a point on a latent figure, in real
Chromium with real Pyodide, over http and from file://."""

import re

import pytest
from playwright.sync_api import expect

from harness import wait_ready

PAD = "#draw-x-canvas"


def _number(page, selector):
    return float(page.locator(selector).text_content().replace("−", "-"))


def _pixels(page, selector):
    return page.evaluate(f"document.querySelector({selector!r}).toDataURL()")


def _wait_changed(page, selector, before, seconds=20):
    """Wait until the canvas's pixels differ from ``before`` (no eval: the page's CSP)."""
    import time
    end = time.monotonic() + seconds
    while _pixels(page, selector) == before:
        assert time.monotonic() < end, f"{selector} did not change"
        page.wait_for_timeout(100)


def _live_draw(page):
    """Wait until the figure shows the pad's drawing (its count of inked pixels)."""
    page.locator("#fig-draw").scroll_into_view_if_needed()
    expect(page.locator("#fig-draw")).to_have_class(re.compile(r"\blive\b"))
    inked = page.evaluate("ELBO.unpackImage(document.getElementById('draw-x').dataset.value)"
                          ".reduce((a, b) => a + b, 0)")
    expect(page.locator("#draw-ink")).to_have_text(str(inked))
    expect(page.locator("#draw-logpx")).not_to_have_text("–")
    return inked


def _strokes(page, points_list, move):
    """Strokes given as lists of (u, v) in [0, 1]^2 of the pad, drawn with ``move``."""
    box = page.locator(PAD).bounding_box()
    for points in points_list:
        move([(box["x"] + u * box["width"], box["y"] + v * box["height"]) for u, v in points])


def _mouse(page):
    def move(points):
        page.mouse.move(*points[0])
        page.mouse.down()
        for p in points[1:]:
            page.mouse.move(*p, steps=4)
        page.mouse.up()
    return move


def _touch(page):
    cdp = page.context.new_cdp_session(page)

    def move(points):
        x, y = points[0]
        cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
        for x, y in points[1:]:
            cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    return move


def _identity_holds(page):
    gap, approx, amort = (_number(page, s) for s in ("#draw-gap", "#draw-approx", "#draw-amort"))
    assert abs(gap - (approx + amort)) <= 0.0015, (gap, approx, amort)  # three decimals each
    assert approx >= -_number(page, "#draw-tol") and amort >= 0
    expect(page.locator("#draw-ok")).to_have_text("holds ✓")


SEVEN = [[(0.25, 0.25), (0.75, 0.25), (0.45, 0.85)]]
ZERO = [[(0.5, 0.2), (0.3, 0.5), (0.5, 0.8), (0.7, 0.5), (0.5, 0.2)]]


@pytest.mark.parametrize("input_", ["mouse", "touch"])
def test_drawing_updates_the_split_and_a_link_reproduces_it(context_page, page_url, input_):
    page = context_page(has_touch=input_ == "touch")
    page.goto(page_url)
    wait_ready(page)
    _live_draw(page)
    _identity_holds(page)
    before = (page.locator("#draw-logpx").text_content(), _pixels(page, "#draw-plot"))
    page.locator("#fig-draw [data-pad=clear]").click()
    move = _mouse(page) if input_ == "mouse" else _touch(page)
    _strokes(page, SEVEN, move)
    value = page.locator("#draw-x").get_attribute("data-value")
    inked = _live_draw(page)
    assert 20 <= inked <= 200, inked
    expect(page.locator("#draw-logpx")).not_to_have_text(before[0])
    expect(page.locator("#draw-x-canvas")).to_be_visible()
    _wait_changed(page, "#draw-plot", before[1])
    _identity_holds(page)
    shown = page.locator("#draw-logpx").text_content()
    # the drawing is in the address, and a link to it reproduces it
    # (the address follows a burst of moves at most every 200 ms, ending with the last)
    expect(page).to_have_url(re.compile(f"[?&]draw-x={re.escape(value)}(&|#|$)"))
    link = page.url
    if not page_url.startswith("file:"):
        other = context_page()
        other.goto(link)
        wait_ready(other)
        _live_draw(other)
        assert other.locator("#draw-x").get_attribute("data-value") == value
        expect(other.locator("#draw-logpx")).to_have_text(shown)
    else:  # file:// links carry their query too
        page.goto(link)
        wait_ready(page)
        _live_draw(page)
        assert page.locator("#draw-x").get_attribute("data-value") == value
        expect(page.locator("#draw-logpx")).to_have_text(shown)


def test_undo_clear_keyboard_and_a_test_digit(live):
    page = live
    _live_draw(page)
    start = page.locator("#draw-x").get_attribute("data-value")
    page.locator("#fig-draw [data-pad=clear]").click()
    expect(page.locator("#draw-x")).not_to_have_attribute("data-value", start)
    page.locator("#fig-draw [data-pad=undo]").click()
    expect(page.locator("#draw-x")).to_have_attribute("data-value", start)
    # the keyboard: the cursor starts at the centre (row 15, column 15); Space inks a pixel
    pad = page.locator(PAD)
    pad.focus()
    for _ in range(13):
        page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#fig-draw .pad-status")).to_have_text("cursor at row 2, column 14: blank")
    page.keyboard.press("Space")
    expect(page.locator("#fig-draw .pad-status")).to_have_text("row 2, column 14 inked")
    changed = page.locator("#draw-x").get_attribute("data-value")
    assert changed != start
    _live_draw(page)
    # a test digit, by number; a bad number is refused and nothing is lost
    page.locator("#draw-x-digit").fill("1000")
    page.locator("#fig-draw [data-pad=load]").click()
    expect(page.locator("#draw-x-digit")).to_have_attribute("aria-invalid", "true")
    assert page.locator("#draw-x").get_attribute("data-value") == changed
    page.locator("#draw-x-digit").fill("7")
    page.locator("#fig-draw [data-pad=load]").click()
    expect(page.locator("#fig-draw .pad-status")).to_contain_text("Test digit 7, a 0")
    expected = page.evaluate("ELBO.bridge.send({op: 'digit', name: 'test', params: {index: 7}})")
    expect(page.locator("#draw-x")).to_have_attribute("data-value", expected["x"])
    _live_draw(page)
    _identity_holds(page)


def test_dragging_the_point_on_the_latent_plane_sets_z(live):
    page = live
    figure = page.locator("#fig-decode_at")
    figure.scroll_into_view_if_needed()
    expect(figure).to_have_class(re.compile(r"\blive\b"))
    expect(page.locator("#dec-z1-num")).to_have_value("0")
    before = _pixels(page, "#decode_at-plot")
    canvas = page.locator("#decode_at-plot").bounding_box()
    scale = canvas["width"] / 640.0
    # the plane's axes: 0.08..0.48 of the width, 0.14..0.94 of the height, square (z in +-3.5)
    left, width = 0.08 * 640 * scale, 0.4 * 640 * scale
    side = min(width, 0.8 * 320 * scale)
    cx = canvas["x"] + left + width / 2
    cy = canvas["y"] + (1 - 0.54) * 320 * scale
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + side * 0.3, cy - side * 0.2, steps=6)
    page.mouse.up()
    expect(page.locator("#dec-z1-num")).not_to_have_value("0")
    z1, z2 = float(page.locator("#dec-z1-num").input_value()), float(page.locator("#dec-z2-num").input_value())
    assert z1 == pytest.approx(0.3 * 7.0, abs=0.35) and z2 == pytest.approx(0.2 * 7.0, abs=0.35)
    assert float(page.locator("#dec-z1").input_value()) == z1  # the slider follows
    _wait_changed(page, "#decode_at-plot", before)
    expect(page).to_have_url(re.compile(r"[?&]dec-z1="))
