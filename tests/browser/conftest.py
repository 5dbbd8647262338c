"""One Streamlit server and one Chromium for the whole browser-test session (for each pytest-xdist worker); a
fresh context per test.

The server runs app.py with the real pages plus the test-only fixture page (tests/fixtures/pages),
so the machinery is exercised even before any product page exists.
"""
from __future__ import annotations

import os

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


@pytest.fixture
def context(browser):
    context = driver.new_context(browser)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def console(page):
    """The page's console errors; every browser test ends by asserting there are none."""
    return driver.ConsoleErrors(page)
