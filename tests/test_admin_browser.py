"""The operator console in a real browser (Debian's chromium), as the demo operator of
`tandem serve --demo`: a threshold edited with its explanation in view, a field error shown
beside its field, a restricted topic added as a row, an HTML file uploaded and viewed by its
structure, the knowledge base searched, an agent created and disabled, the stats and the
history read; on a desktop and on a phone, with no sideways scroll on any tab."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browsing import DESKTOP, PHONE, launch, shot, watched
from tests.llm_stub import free_port
from tests.test_kb_files import WARRANTY_HTML

pytestmark = pytest.mark.browser
expect.set_options(timeout=20_000)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """`tandem serve --demo` on a private SQLite file: its URL and the operator login it prints
    (its output goes to a file, so that a full pipe never stalls it)."""
    folder = tmp_path_factory.mktemp("demo")
    port = free_port()
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": f"sqlite+aiosqlite:///{folder / 'demo.db'}",
        "PYTHONPATH": str(ROOT),
    }
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "TANDEM_SMTP_URL", "TANDEM_REDIS_URL"):
        env.pop(name, None)
    log = folder / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        _wait_ready(url)
        found = re.search(r"operator\s+login\s+(\S+) / (\S+)", log.read_text())
        assert found, "the demo printed no operator login:\n" + log.read_text()
        yield url, found.group(1), found.group(2)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError("the demo did not become ready")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def no_sideways_scroll(page: Page, where: str) -> None:
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert wide <= 0, f"{where}: the page scrolls sideways by {wide}px"


def open_tab(page: Page, name: str) -> None:
    page.click(f"[data-tab={name}]")
    expect(page.locator(f"#tab-{name}")).to_be_visible()


def saved_policy(url: str, email: str, password: str) -> dict[str, Any]:
    """The policy as the server holds it, read through the API."""
    with httpx.Client(base_url=url, timeout=30) as http:
        r = http.post("/api/v1/auth/login", json={"email": email, "password": password})
        token = {"Authorization": f"Bearer {r.json()['token']}"}
        policy: dict[str, Any] = http.get("/api/v1/admin/settings", headers=token).json()["policy"]
        return policy


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_operator_runs_the_console(
    browser: Browser, demo: tuple[str, str, str], size: str
) -> None:
    url, email, password = demo
    with watched(browser, DESKTOP if size == "desktop" else PHONE) as w:
        page = w.page
        page.goto(url + "/admin")
        page.fill("#email", email)
        page.fill("#password", password)
        page.click("#login button[type=submit]")
        expect(page.locator("#min_confidence")).not_to_have_value("")
        edit_policy(page, url, email, password, size)
        knowledge_base(page, size)
        team(page, url, size)
        stats_and_history(page, size)
        for name in page.eval_on_selector_all("[data-tab]", "bs => bs.map(b => b.dataset.tab)"):
            open_tab(page, name)
            no_sideways_scroll(page, f"{size} {name}")
        # The refusals the test asked for (the policy's field errors, the reversed range).
        expected = (
            "422 PUT " + url + "/api/v1/admin/settings",
            "422 GET " + url + "/api/v1/admin/stats?",
            "console: Failed to load resource: the server responded with a status of 422",
        )
        assert [p for p in w.problems if not p.startswith(expected)] == []


def edit_policy(page: Page, url: str, email: str, password: str, size: str) -> None:
    # The threshold's explanation sits with it, with what raising and lowering it does.
    help_text = page.locator("#help-min_confidence")
    expect(help_text).to_contain_text("How sure the AI must be")
    expect(page.locator("#min_confidence + p + ul.examples")).to_contain_text("Raise it to 0.7")
    no_sideways_scroll(page, f"{size} settings")

    # A value out of range: the sentence appears next to the field, nothing is saved.
    page.fill("#min_confidence", "7")
    page.click("#policy button[type=submit]")
    error = page.locator("#err-min_confidence")
    expect(error).to_have_text("Must be at most 1.0.")
    expect(page.locator("#min_confidence")).to_have_attribute("aria-invalid", "true")
    field_box, error_box = page.locator("#min_confidence").bounding_box(), error.bounding_box()
    assert field_box and error_box and 0 <= error_box["y"] - field_box["y"] < 250
    expect(page.locator("#policy-info")).to_contain_text("see the messages next to the fields")

    # Business hours with no hours: refused, and said beside the hours.
    page.check("#hours_on")
    page.fill("#min_confidence", "0.65")
    page.click("#policy button[type=submit]")
    expect(page.locator("#err-business_hours")).to_contain_text("closed all day, every day")
    expect(page.locator("#err-min_confidence")).to_be_hidden()
    shot(page, f"admin-policy-error-{size}")
    page.uncheck("#hours_on")

    # A restricted topic as a row of the list, saved with the threshold.
    label = f"Warranty claims {size}"
    page.click("#add-topic")
    row = page.locator("#topics li").last
    expect(row.locator(".topic-label")).to_be_focused()
    row.locator(".topic-label").fill(label)
    row.locator(".topic-phrases").fill("warranty claim*, garantie aanvraag")
    page.fill("#retention_days", "45")  # the purge and /ai-policy read it
    page.click("#policy button[type=submit]")
    expect(page.locator("#policy-info")).to_have_text(
        "Saved. Every conversation uses it from its next turn."
    )
    saved = saved_policy(url, email, password)
    assert saved["min_confidence"] == 0.65 and saved["business_hours"] is None
    assert saved["retention_days"] == 45
    assert "45 days" in httpx.get(f"{url}/ai-policy").text
    topic = saved["restricted_topics"][-1]
    assert topic == {
        "name": label.lower().replace(" ", "_"),
        "label": label,
        "phrases": ["warranty claim*", "garantie aanvraag"],
    }

    # The preview beside the editor answers for the policy in the form.
    page.click("#preview-btn")
    expect(page.locator("#preview .summary")).to_contain_text(
        "would end differently under this policy"
    )


def knowledge_base(page: Page, size: str) -> None:
    open_tab(page, "kb")
    page.set_input_files(
        "#files",
        files=[{"name": f"warranty-{size}.html", "mimeType": "text/html", "buffer": WARRANTY_HTML}],
    )
    page.click("#upload button[type=submit]")
    expect(page.locator("#kb-info")).to_contain_text("Added 1 document(s): Lantern warranty.")
    page.locator("#documents button.link", has_text="Lantern warranty").first.click()
    document = page.locator("#kb-document")
    expect(document.locator("h3")).to_have_text("Lantern warranty")
    expect(document).to_contain_text("Claims")
    expect(document).to_contain_text("warranty of four years")
    for noise in ("Home", "Shop", "trackingSecret", "injected text"):
        expect(document).not_to_contain_text(noise)

    page.fill("#kb-q", "How long is the delivery to Germany?")
    page.click("#kb-search button[type=submit]")
    first = page.locator("#kb-results .passage").first
    expect(first).to_contain_text("Shipping and delivery")
    expect(first.locator(".score")).to_have_text(re.compile(r"^\d{1,3}%$"))
    expect(first).to_contain_text("English")
    shot(page, f"admin-kb-search-{size}")
    no_sideways_scroll(page, f"{size} kb")


def team(page: Page, url: str, size: str) -> None:
    open_tab(page, "team")
    email = f"kai.{size}@example.com"
    page.fill("#nu-email", email)
    page.fill("#nu-name", f"Kai {size}")
    page.select_option("#nu-role", "agent")
    page.fill("#nu-password", "kai-password-1")
    page.fill("#nu-capacity", "2")
    page.click("#new-user button[type=submit]")
    expect(page.locator("#team-info")).to_contain_text(f"Added Kai {size} as an agent")
    row = page.locator("#team tr", has_text=email)
    expect(row).to_contain_text("offline")
    assert (
        httpx.post(
            url + "/api/v1/auth/login", json={"email": email, "password": "kai-password-1"}
        ).status_code
        == 200
    )
    row.get_by_role("button", name=f"Disable Kai {size}").click()
    expect(page.locator("#team-info")).to_contain_text(
        f"Kai {size} is disabled and signed out everywhere."
    )
    expect(page.locator("#team tr", has_text=email)).to_contain_text("disabled")
    assert (
        httpx.post(
            url + "/api/v1/auth/login", json={"email": email, "password": "kai-password-1"}
        ).status_code
        == 401
    )
    no_sideways_scroll(page, f"{size} team")


def stats_and_history(page: Page, size: str) -> None:
    open_tab(page, "stats")
    expect(page.locator("#stats .card").first).to_contain_text("Containment")
    expect(page.locator("#stats")).to_contain_text("resolved without a person")
    expect(page.locator("#st-from")).not_to_have_value("")
    page.fill("#st-from", "2030-01-02")
    page.fill("#st-to", "2030-01-01")
    page.click("#stats-range button[type=submit]")
    expect(page.locator("#stats-info")).to_contain_text("after it ends")
    page.fill("#st-from", "2030-01-01")
    page.click("#stats-range button[type=submit]")
    expect(page.locator("#stats")).to_contain_text("from 2030-01-01 to 2030-01-01")
    no_sideways_scroll(page, f"{size} stats")

    open_tab(page, "history")
    latest = page.locator("#history > ol > li").first
    expect(latest).to_contain_text("Olivia Operator")
    expect(latest).to_contain_text(
        "min_confidence: 0.5 → 0.65" if size == "desktop" else "restricted_topics"
    )
    no_sideways_scroll(page, f"{size} history")
