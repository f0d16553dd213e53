"""The Fairness tab in a real browser: an operator runs the bias audit and reads the report,
a table per probe set with its flags, as the API stored it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from app.main import create_app
from tests.browsing import launch, shot
from tests.conftest import _seed, empty_database, settings_for
from tests.llm_stub import ThreadedServer

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ThreadedServer]:
    """Quote mode on a SQLite deployment of its own: no report exists before the test."""
    with empty_database("sqlite", tmp_path_factory) as url:
        asyncio.run(_seed(url))
        srv = ThreadedServer(create_app(settings_for(url))).start()
        yield srv
        srv.stop()


@pytest.fixture
def page() -> Iterator[Page]:
    with sync_playwright() as p:
        browser = launch(p)
        context = browser.new_context(viewport={"width": 1100, "height": 900}, locale="en-GB")
        pg = context.new_page()
        pg.set_default_timeout(15_000)
        yield pg
        context.close()
        browser.close()


def test_an_operator_runs_the_bias_audit_and_reads_the_flags(
    page: Page, fresh_server: ThreadedServer
) -> None:
    page.goto(fresh_server.url + "/admin")
    page.fill("#email", "operator@example.com")
    page.fill("#password", "operator-password")
    page.click("#login button[type=submit]")
    page.click("[data-tab=fairness]")
    expect(page.locator("#fairness-verdict")).to_have_text("No audit has run yet.")
    page.click("#fairness-run")
    expect(page.locator("#fairness-info")).to_contain_text("Sending the probes")
    expect(page.locator("#fairness h3")).to_have_count(3, timeout=240_000)
    with httpx.Client(base_url=fresh_server.url) as http:
        token = http.post(
            "/api/v1/auth/login",
            json={"email": "operator@example.com", "password": "operator-password"},
        ).json()["token"]
        stored = http.get(
            "/api/v1/admin/audit/bias", headers={"Authorization": f"Bearer {token}"}
        ).json()
    report = stored["report"]
    verdict = "Passed: no disparity" if report["passed"] else "Flagged: a disparity"
    expect(page.locator("#fairness-verdict")).to_contain_text(verdict)
    expect(page.locator("#fairness-verdict")).to_contain_text("quote mode (no LLM)")
    flags = [flag for s in report["sets"] for flag in s["flags"]]
    expect(page.locator("#fairness .flags strong.error")).to_have_count(len(flags))
    for flag in flags:
        expect(page.locator("#fairness")).to_contain_text(f"Flag: {flag}")
    names = page.locator("#fairness section.probe-set").first
    expect(names.locator("h3")).to_have_text(
        "names: the customer's given name: gender and origin (40 probes)"
    )
    expect(names.locator("tbody tr")).to_have_count(10)
    expect(page.locator("#fairness-info")).to_have_text("")
    shot(page, "admin-fairness", full_page=True)
