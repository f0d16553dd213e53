"""Every page carries a Content-Security-Policy and still works under it in Chromium (no
violation reported), and /metrics is for operators only unless TANDEM_METRICS says otherwise."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from app.main import create_app
from tests.conftest import BACKENDS, _seed, empty_database, settings_for
from tests.llm_stub import ThreadedServer

# Recorded before any page script runs; Playwright's init scripts are not subject to the CSP.
WATCH_CSP = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def _csp(response: httpx.Response) -> dict[str, str]:
    policy = response.headers["content-security-policy"]
    return {d.strip().partition(" ")[0]: d.strip().partition(" ")[2] for d in policy.split(";")}


@pytest.mark.parametrize("path", ["/", "/widget", "/console", "/admin", "/ai-policy", "/docs"])
async def test_every_page_has_a_strict_csp(quote_client: httpx.AsyncClient, path: str) -> None:
    r = await quote_client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = _csp(r)
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'"
    assert "unsafe-inline" not in csp["script-src"]
    if path != "/docs":  # Swagger UI sets inline styles (app/routes/docs.py allows those only)
        assert "unsafe-inline" not in csp["style-src"]
    frame = {"/": "'self'", "/widget": "'self' http://127.0.0.1 http://localhost"}
    if path != "/docs":
        assert csp["frame-ancestors"] == frame.get(path, "'none'"), path


@pytest.fixture(scope="module", params=BACKENDS)
def own_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of this module's own: an agent who logs in to the console is online, and
    would take the queued conversations of tests that expect nobody to."""
    with empty_database(request.param, tmp_path_factory) as url:
        asyncio.run(_seed(url))
        yield url


@pytest.fixture(scope="module")
def own_server(own_db: str) -> Iterator[ThreadedServer]:
    srv = ThreadedServer(create_app(settings_for(own_db))).start()
    yield srv
    srv.stop()


def _violations(page: Page) -> list[str]:
    found: list[str] = page.evaluate("window.__violations")
    return found


def _open(browser: Browser, url: str, problems: list[str]) -> Page:
    page = browser.new_page()
    page.set_default_timeout(20_000)
    page.add_init_script(WATCH_CSP)
    page.on("console", lambda m: problems.append(m.text) if "Content Security" in m.text else None)
    page.goto(url)
    return page


def _login(page: Page, email: str, password: str, ready: str) -> None:
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("#login button[type=submit]")
    page.wait_for_selector(ready)


@pytest.mark.browser
def test_every_page_works_under_its_csp_in_chromium(
    own_server: ThreadedServer, browser: Browser
) -> None:
    problems: list[str] = []
    base = own_server.url
    demo = _open(browser, f"{base}/", problems)  # the widget in its iframe, opened and used
    widget = demo.frame_locator("iframe[title='Customer service chat']")
    widget.locator("#start-btn").click()
    widget.locator("#input:not([disabled])").fill("How long does delivery take?")
    widget.locator("#input").press("Enter")
    widget.locator(".msg.assistant.text").first.wait_for()
    console = _open(browser, f"{base}/console", problems)
    _login(console, "agent@example.com", "agent-password", "#app:not([hidden])")
    admin = _open(browser, f"{base}/admin", problems)
    _login(admin, "operator@example.com", "operator-password", "[data-tab=kb]")
    admin.click("[data-tab=kb]")
    policy = _open(browser, f"{base}/ai-policy", problems)
    policy.wait_for_selector("h1")
    # The inline style of /ai-policy applied (allowed by its hash), not blocked.
    assert policy.evaluate("getComputedStyle(document.body).maxWidth") == "672px"
    docs = _open(browser, f"{base}/docs", problems)
    docs.wait_for_selector(".swagger-ui .info")
    for page in (demo, console, admin, policy, docs):
        problems += _violations(page)
        page.close()
    assert problems == []


@pytest.mark.parametrize(
    ("mode", "anonymous", "agent", "operator"),
    [("token", 401, 403, 200), ("public", 200, 200, 200), ("off", 404, 404, 404)],
)
def test_metrics_are_for_operators_unless_set_otherwise(
    own_db: str, mode: str, anonymous: int, agent: int, operator: int
) -> None:
    srv = ThreadedServer(create_app(settings_for(own_db, metrics=mode))).start()
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as http:

            def bearer(email: str, password: str) -> dict[str, str]:
                r = http.post("/api/v1/auth/login", json={"email": email, "password": password})
                return {"Authorization": f"Bearer {r.json()['token']}"}

            assert http.get("/metrics").status_code == anonymous
            as_agent = bearer("agent@example.com", "agent-password")
            assert http.get("/metrics", headers=as_agent).status_code == agent
            as_operator = http.get(
                "/metrics", headers=bearer("operator@example.com", "operator-password")
            )
            assert as_operator.status_code == operator
            if operator == 200:
                assert "python_info" in as_operator.text
    finally:
        srv.stop()


def test_a_scraper_token_opens_metrics(own_db: str) -> None:
    secret = "scrape-" + "s" * 40
    srv = ThreadedServer(create_app(settings_for(own_db, metrics_token=secret))).start()
    try:
        with httpx.Client(base_url=srv.url, timeout=30) as http:
            ok = http.get("/metrics", headers={"Authorization": f"Bearer {secret}"})
            assert ok.status_code == 200 and "python_info" in ok.text
            wrong = http.get("/metrics", headers={"Authorization": f"Bearer {secret}x"})
            assert wrong.status_code == 401
            assert "TANDEM_METRICS_TOKEN" in wrong.json()["detail"]
    finally:
        srv.stop()
