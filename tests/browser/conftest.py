"""Fixtures for the browser tests: real Chromium, real Pyodide from the local mirror.

One server stands in for the CDN (see harness.py), one serves the repository
over http on 127.0.0.1, and every browser test runs against both
``http://127.0.0.1:PORT/index.html`` and ``file:///.../index.html``.
"""

import pytest

import elbo_lab.plotting.agg  # noqa: F401 - native drawings to compare with the page's

import harness
from harness import EXPECT_TIMEOUT_MS, WAIT_TIMEOUT_MS, wait_ready


def pytest_configure(config):
    from playwright.sync_api import expect

    expect.set_options(timeout=EXPECT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def cdn():
    server = harness.cdn_server(harness.default_mounts())
    yield server
    harness.stop(server)


@pytest.fixture(scope="session")
def site():
    server = harness.static_server()
    yield f"http://127.0.0.1:{server.server_port}"
    harness.stop(server)


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance, cdn):
    browser = playwright_instance.chromium.launch(
        executable_path=harness.chromium_path(), args=harness.chromium_args(cdn.server_port))
    yield browser
    browser.close()


@pytest.fixture(params=["http", "file"])
def page_url(request, site):
    """The page's URL, once over http:// and once from file://."""
    if request.param == "http":
        return f"{site}/index.html"
    return (harness.ROOT / "index.html").as_uri()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(WAIT_TIMEOUT_MS)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"uncaught errors on the page: {errors}"


@pytest.fixture
def live(page, page_url):
    page.goto(page_url)
    wait_ready(page)
    return page


@pytest.fixture
def context_page(browser):
    """A factory of pages, each in a fresh context (options as for new_context), checked
    for uncaught errors at the end."""
    contexts = []

    def make(**options):
        context = browser.new_context(**{"viewport": {"width": 1100, "height": 900}, **options})
        context.set_default_timeout(WAIT_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda exc: page.errors.append(str(exc)))
        return page

    yield make
    for context in contexts:
        errors = [e for page in context.pages for e in page.errors]
        context.close()
        assert not errors, f"uncaught errors on the page: {errors}"
