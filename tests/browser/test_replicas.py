"""Three replicas behind nginx (harness/replicas.py), driven in Chromium: a visitor stays on one replica,
a replica that dies costs only its own visitors a reconnect (they come back on another replica with their
view, from the URL), and the other visitors never notice."""
from __future__ import annotations

import urllib.request

import pytest

from harness import browser as driver
from harness.replicas import Replicas, nginx_available

pytestmark = pytest.mark.skipif(not nginx_available(), reason="nginx missing: `make serve-replicas` installs "
                                                               "Debian's nginx (as root or with sudo)")
T = "Sequence length T"
INSTANT = f"{driver.MAIN} [data-testid='seqvizInstant']"


@pytest.fixture(scope="module")
def replicas(artifacts):
    with Replicas(3, log_dir=artifacts) as running:
        yield running


def replica_for(replicas: Replicas, cookie: str) -> int:
    request = urllib.request.Request(f"{replicas.url}/_stcore/health", headers={"Cookie": f"seqviz_visitor={cookie}"})
    with urllib.request.urlopen(request) as response:
        return replicas.replica_of(int(response.headers["X-Seqviz-Replica"].rsplit(":", 1)[1]))


def visitor_on(browser, replicas: Replicas, replica: int, taken: set[str]):
    """A browser context whose visitor cookie nginx hashes onto `replica` (so the test does not rest on
    chance), with every replica that answered it recorded, and whether its websocket ever closed."""
    cookie = next(c for c in (f"visitor-{k}" for k in range(1000)) if c not in taken
                  and replica_for(replicas, c) == replica)
    taken.add(cookie)
    context = driver.new_context(browser)
    context.add_cookies([{"name": "seqviz_visitor", "value": cookie, "url": replicas.url}])
    page = context.new_page()
    page.answered_by, page.sockets_closed = set(), []

    def record(response):
        # nginx lists every replica it tried ("dead, live"): the last one answered. Blob URLs the page makes
        # itself are answered by Chromium.
        if response.url.startswith(replicas.url):
            page.answered_by.add((response.headers.get("x-seqviz-replica") or "").split(", ")[-1])

    page.on("response", record)
    page.on("websocket", lambda ws: ws.on("close", lambda _: page.sockets_closed.append(ws.url)))
    return context, page


def set_t(page, value: int) -> None:
    field = page.locator(f"{INSTANT} input")
    field.fill(str(value))
    field.press("Enter")
    page.wait_for_url(f"**grad_T={value}**")
    driver.wait_for_app_run(page)


def test_visitors_stay_on_their_replica_and_a_dead_replica_costs_only_its_own_a_reconnect(browser, replicas):
    taken: set[str] = set()
    (context_a, a), (context_b, b) = visitor_on(browser, replicas, 0, taken), visitor_on(browser, replicas, 1, taken)
    for page, t in ((a, 150), (b, 250)):
        driver.open_page(page, f"{replicas.url}/gradient-flow?grad_H=8")
        driver.wait_for_charts(page)
        set_t(page, t)
    port = lambda k: f"127.0.0.1:{replicas.servers[k].port}"  # noqa: E731
    assert a.answered_by == {port(0)} and b.answered_by == {port(1)}  # every request, one replica each
    replicas.kill(0)
    driver.wait_for_app_run(a, 120_000)  # connected again (Streamlit's client retries the websocket)
    driver.wait_for_charts(a, 120_000)
    assert driver.control_value(a, T) == "150"  # its view, rebuilt from the URL on another replica
    assert a.sockets_closed and port(0) in a.answered_by and len(a.answered_by) == 2
    set_t(b, 260)  # the other visitor goes on as before: same replica, same websocket
    assert b.answered_by == {port(1)} and b.sockets_closed == []
    context_a.close()
    context_b.close()
