"""One Streamlit server and one Chromium for the whole browser-test session (for each pytest-xdist worker); a
fresh context per test.

The server runs app.py with the real pages plus the test-only fixture page (tests/fixtures/pages),
so the machinery is exercised even before any product page exists.
"""
from __future__ import annotations

import os
from urllib.parse import urlparse

import pytest

from harness import browser as driver
from tests.conftest import ARTIFACTS

SKIP_REASON = (f"Chromium not found at {driver.CHROMIUM}: install Debian's package "
               "(`apt-get install -y chromium`; `make test` does it when run as root or with sudo)")


def pytest_collection_modifyitems(items):
    missing = not driver.chromium_available()
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)
            if missing:
                item.add_marker(pytest.mark.skip(reason=SKIP_REASON))


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def monkeypatch_session():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="session")
def app_server(artifacts, monkeypatch_session):
    # every computation counts as fast enough to send its neighbours (seqviz.ui.prefetch): what a page
    # sends depends on its settings, not on how busy the machine is
    monkeypatch_session.setenv("SEQVIZ_PREFETCH_MAX_S", "inf")
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # each pytest-xdist worker serves its own app
    log = artifacts / (f"streamlit-{worker}.log" if worker else "streamlit.log")
    with driver.StreamlitServer(extra_pages=True, log_path=log) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    with driver.chromium() as chromium:
        yield chromium


@pytest.fixture(scope="session")
def tabs(browser):
    """The worker's one context whose tabs the tests get: after the first page load its cache holds Streamlit's
    and Plotly's scripts, so a test does not fetch and compile them again. Each tab is a Streamlit session of
    its own; cookies and storage are cleared after every test."""
    context = driver.new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(tabs):
    """A new tab: a new visitor of the app, with a warm cache (`cold_page` for one without)."""
    page, origins = tabs.new_page(), set()
    page.on("framenavigated", lambda frame: origins.add(urlparse(frame.url)[:2]))
    yield page
    session = tabs.new_cdp_session(page)  # works on a page whose document is gone, unlike page.evaluate
    for scheme, host in origins:
        if scheme in ("http", "https"):
            session.send("Storage.clearDataForOrigin", {"origin": f"{scheme}://{host}", "storageTypes": "all"})
    if not page.url.startswith("chrome-error:"):  # closing Chromium's error page never returns; the context's close
        page.close()                              # at the end of the session closes it
    tabs.clear_cookies()


@pytest.fixture
def cold_page(browser):
    """A page in a context of its own, as a visitor's first visit: nothing cached, no cookies."""
    context = driver.new_context(browser)
    yield context.new_page()
    context.close()


@pytest.fixture
def console(page):
    """The page's console errors; every browser test ends by asserting there are none."""
    return driver.ConsoleErrors(page)
