"""Nothing a page asks for leaves loopback: every page in Debian's chromium, with the guard that
tests/browsing.py puts on every browser context, and proof that the guard catches what does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests import browsing
from tests.browsing import OUTSIDE
from tests.llm_stub import ThreadedServer

pytestmark = pytest.mark.browser

expect.set_options(timeout=20_000)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 780}, locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


@pytest.mark.parametrize(
    ("url", "outside"),
    [
        ("http://127.0.0.1:8000/admin", False),
        ("http://localhost/", False),
        ("ws://127.0.0.1:5/api/v1/agent/ws", False),
        ("http://[::1]:8000/docs?x=1", False),
        ("data:,", False),
        ("blob:http://127.0.0.1:8000/5d1c", False),
        ("https://fonts.googleapis.com/css?family=Montserrat", True),
        ("https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/swagger-ui-bundle.js", True),
        ("http://127.0.0.1.example.com/x", True),
        ("http://localhost.example.com/", True),
        ("http://10.0.0.1:8000/", True),
        ("wss://example.invalid/socket", True),
    ],
)
def test_the_guard_tells_loopback_from_outside(url: str, outside: bool) -> None:
    assert bool(OUTSIDE.search(url)) is outside


def test_no_page_asks_for_anything_outside_loopback(page: Page, server: ThreadedServer) -> None:
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    page.goto(server.url + "/")
    widget = page.frame_locator("iframe[title='Customer service chat']")
    widget.locator("#start-btn").click()  # the chat starts: its API calls are seen too
    expect(widget.locator(".msg.disclosure")).to_be_visible()
    page.goto(server.url + "/console")
    page.wait_for_load_state("networkidle")
    page.goto(server.url + "/admin")
    page.fill("#email", "operator@example.com")
    page.fill("#password", "operator-password")
    page.click("#login button[type=submit]")
    expect(page.locator("#login")).to_be_hidden()
    page.wait_for_load_state("networkidle")
    page.goto(server.url + "/ai-policy")
    expect(page.locator("h1")).to_be_visible()
    page.goto(server.url + "/docs")
    expect(page.get_by_role("heading", name="Tandem 0.1.0", level=1)).to_be_visible()
    page.goto(server.url + "/redoc")
    expect(page.get_by_role("heading", name="Tandem (0.1.0)", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert browsing.LEFT_LOOPBACK == []
    # The pages loaded their own scripts: the guard had real traffic to look at.
    assert any(url.endswith("/docs/assets/swagger-ui-bundle.js") for url in seen)
    assert any(url.endswith("/docs/assets/redoc.standalone.js") for url in seen)
    assert any(url.endswith("/static/admin/admin.js") for url in seen)


TINY = """<!doctype html><title>tiny</title>
<img src="http://example.invalid/x.png" alt="">
<script>
new WebSocket("ws://example.invalid/socket").onclose = () => { document.title = "closed"; };
</script>"""


def test_the_guard_aborts_and_reports_a_request_outside_loopback(page: Page) -> None:
    page.route(  # a loopback address Playwright answers: the page itself is not outside
        "http://127.0.0.1:9/tiny",
        lambda route: route.fulfill(body=TINY, content_type="text/html"),
    )
    with page.expect_event("requestfailed") as failed:
        page.goto("http://127.0.0.1:9/tiny")
    request: Request = failed.value
    assert request.url == "http://example.invalid/x.png"
    assert (request.failure or "").startswith("net::ERR_BLOCKED_BY_CLIENT")  # not DNS
    expect(page).to_have_title("closed")  # the guard closed the socket it recorded
    assert sorted(browsing.LEFT_LOOPBACK) == [
        "GET http://example.invalid/x.png",
        "websocket ws://example.invalid/socket",
    ]
    with pytest.raises(pytest.fail.Exception, match=r"GET http://example\.invalid/x\.png"):
        browsing.assert_stayed_on_loopback()
    assert browsing.LEFT_LOOPBACK == []  # reported once, so this test's own teardown passes
