"""The widget as customers meet it, in Debian's chromium: the unread badge, the rating, honest
waiting, the phone layout and the launcher's language. Several tests embed it in a host page on
another origin (http://127.0.0.1, port 80, answered by Playwright) to cross origins for real."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    Frame,
    Page,
    Route,
    expect,
    sync_playwright,
)
from sqlalchemy import update

from app.db import create_engine, sessionmaker
from app.models import Conversation, Status
from tests.browsing import Watched, launch
from tests.llm_stub import StubState, ThreadedServer
from tests.test_browser import (
    WATCH_INPUT,
    agent_bearer,
    shot,
    start_chat,
    widget,
    widget_frame,
)
from tests.test_queue_line import set_agents

pytestmark = pytest.mark.browser
HOST = "http://127.0.0.1"  # an allowed origin in the tests' settings, not Tandem's own


@pytest.fixture
def browser() -> Iterator[Browser]:
    """As in tests/test_browser.py, but letting a page Playwright answers (an unknown, so
    "public", address) load the widget from loopback, as a real shop's page would from a host."""
    with sync_playwright() as p:
        b = launch(p, "--disable-features=LocalNetworkAccessChecks")
        yield b
        b.close()


def watched(browser: Browser, **context: Any) -> Iterator[Watched]:
    ctx = browser.new_context(**{"viewport": {"width": 1100, "height": 780}, **context})
    pg = ctx.new_page()
    pg.set_default_timeout(15_000)
    w = Watched(pg)
    yield w
    ctx.close()
    assert w.problems == []


@pytest.fixture
def desk(browser: Browser) -> Iterator[Watched]:
    yield from watched(browser, locale="en-GB")


@pytest.fixture
def phone(browser: Browser) -> Iterator[Watched]:
    yield from watched(
        browser,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
    )


def agents(db_url: str, **values: Any) -> None:
    """Set agents' rows from a thread of its own: Playwright's loop owns this one."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, set_agents(db_url, **values)).result()


async def _close_open(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with sessionmaker(engine)() as s:
            held = Conversation.status.in_([Status.queued, Status.agent])
            await s.execute(
                update(Conversation).where(held).values(status=Status.closed, agent_id=None)
            )
            await s.commit()
    finally:
        await engine.dispose()


def close_open_conversations(db_url: str) -> None:
    """Earlier tests' conversations out of the shared queue, and those agents held too: with
    nobody online, a held one whose lease lapses goes back to the front of the queue."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, _close_open(db_url)).result()


@pytest.fixture
def nobody_online(db_url: str) -> Iterator[None]:
    """No agent online, none taking conversations on their own; restored afterwards."""
    agents(db_url, last_seen_at=None, max_concurrent=0)
    yield
    agents(db_url, last_seen_at=None, max_concurrent=3)


def host_page(page: Page, server: ThreadedServer, lang: str = "en", attrs: str = "") -> Frame:
    """A shop on another origin embedding the widget with its one line."""
    html = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="icon" href="data:,"><title>Shop</title></head>'
        f'<body><h1>Shop</h1><script src="{server.url}/widget.js" {attrs} defer></script>'
        "</body></html>"
    )

    def answer(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=html)

    page.route(HOST + "/shop", answer)
    page.add_init_script(WATCH_INPUT)
    page.goto(HOST + "/shop")
    return page.main_frame


def launcher(page: Page) -> Any:
    return page.locator("body > button[aria-expanded]")


def launcher_text(page: Page) -> Any:
    return launcher(page).locator("span").first


def opened(page: Page) -> Frame:
    """The widget's frame once its page has loaded."""
    handle = page.wait_for_selector("iframe")
    assert handle is not None
    frame = handle.content_frame()
    assert frame is not None
    frame.wait_for_selector("#start-btn", state="attached")
    return frame


def conversation(frame: Frame) -> dict[str, str]:
    stored: dict[str, str] = frame.evaluate(
        "JSON.parse(localStorage.getItem('tandem.conversation'))"
    )
    return stored


def hand_over_and_claim(http: httpx.Client, conv: dict[str, str]) -> dict[str, str]:
    customer = {"Authorization": f"Bearer {conv['token']}"}
    r = http.post(f"/api/v1/conversations/{conv['id']}/handoff", headers=customer)
    assert r.status_code == 200, r.text
    agent = agent_bearer(http)
    r = http.post(f"/api/v1/agent/conversations/{conv['id']}/claim", headers=agent)
    assert r.status_code == 200, r.text
    return agent


def test_unread_badge_counts_replies_while_closed_and_clears_on_open(
    desk: Watched, server: ThreadedServer, llm: StubState, nobody_online: None
) -> None:
    page = desk.page
    host_page(page, server)
    button = launcher(page)
    expect(launcher_text(page)).to_have_text("Chat with us")
    button.click()
    frame = opened(page)
    start_chat(frame)
    conv = conversation(frame)
    frame.get_by_role("button", name="Close chat").click()  # the widget's own close button
    expect(page.locator("iframe")).to_be_hidden()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        agent = hand_over_and_claim(http, conv)
        for text in ("Hello, I am Alex.", "I am looking at your order now."):
            r = http.post(
                f"/api/v1/agent/conversations/{conv['id']}/messages",
                json={"text": text},
                headers=agent,
            )
            assert r.status_code == 200, r.text
    # the system notices (queued, joined) and both replies arrived while it was closed
    badge = button.locator("span").last
    expect(badge).to_have_text("4")
    expect(button).to_have_attribute("aria-label", "Open customer service chat, 4 new replies")
    shot(page, "widget-unread-badge")
    button.click()
    expect(badge).to_be_hidden()
    expect(button).to_have_attribute("aria-label", "Close chat")
    expect(frame.locator(".msg.agent").last).to_contain_text("looking at your order")


def test_rating_on_close_is_asked_once_and_counted_in_the_stats(
    desk: Watched, server: ThreadedServer, llm: StubState, nobody_online: None
) -> None:
    page = desk.page
    frame = widget(page, server)
    start_chat(frame)
    conv = conversation(frame)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post(
            "/api/v1/auth/login",
            json={"email": "operator@example.com", "password": "operator-password"},
        )
        operator = {"Authorization": f"Bearer {r.json()['token']}"}
        before = http.get("/api/v1/admin/stats", headers=operator).json()["satisfaction"]
        agent = hand_over_and_claim(http, conv)
        r = http.post(f"/api/v1/agent/conversations/{conv['id']}/close", headers=agent)
        assert r.status_code == 200, r.text
        rating = frame.get_by_role("group", name="How was your conversation?")
        expect(rating).to_be_visible()
        expect(rating.get_by_role("button")).to_have_count(5)
        shot(page, "widget-rating")
        rating.get_by_role("button", name="4 out of 5").click()
        expect(frame.locator("#rating-info")).to_have_text("Thank you for your rating.")
        expect(rating.get_by_role("button")).to_have_count(0)
        after = http.get("/api/v1/admin/stats", headers=operator).json()["satisfaction"]
    assert after["ratings"] == before["ratings"] + 1
    assert after["average"] is not None
    page.reload()
    again = widget_frame(page, server)
    assert again is not None
    expect(again.locator(".msg.system").last).to_contain_text("closed")
    expect(again.locator("#rating")).to_be_hidden()  # rated once: not asked again


def test_nobody_online_is_said_and_the_message_form_comes_first(
    desk: Watched, server: ThreadedServer, llm: StubState, nobody_online: None
) -> None:
    page = desk.page
    frame = widget(page, server)
    frame.get_by_role("button", name="Talk to a person from the start").click()
    status = frame.locator("#status")
    expect(status).to_contain_text("No one from our team is online right now.")
    expect(status).not_to_contain_text("Expected wait")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(frame.locator("#contact")).to_be_visible()
    # No e-mail replies from this server (the field is absent): no promise of an e-mail.
    expect(frame.locator("#contact-intro")).to_contain_text("come back to this chat")
    expect(frame.locator("#contact-intro")).not_to_contain_text("by e-mail")
    shot(page, "widget-nobody-online")


def test_the_position_moves_live_when_the_one_ahead_is_claimed(
    desk: Watched, server: ThreadedServer, llm: StubState, nobody_online: None, db_url: str
) -> None:
    page = desk.page
    close_open_conversations(db_url)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post(
            "/api/v1/auth/login",
            json={"email": "operator@example.com", "password": "operator-password"},
        )
        operator = {"Authorization": f"Bearer {r.json()['token']}"}
        for item in http.get("/api/v1/agent/queue", headers=operator).json()["queued"]:
            http.post(f"/api/v1/agent/conversations/{item['id']}/close", headers=operator)
        r = http.post("/api/v1/conversations", json={"ai_opt_out": True})
        ahead = r.json()["id"]
        frame = widget(page, server)
        frame.get_by_role("button", name="Talk to a person from the start").click()
        status = frame.locator("#status")
        # Number 2 behind `ahead`, unless a conversation of an earlier test came back to the
        # front of the shared queue meanwhile: then the number is higher.
        expect(status).to_contain_text(re.compile(r"You are number [2-9] in the queue\."))
        place = int(re.findall(r"number (\d+)", status.inner_text())[0])
        navigations: list[str] = []
        page.on("framenavigated", lambda f: navigations.append(f.url))
        agent = agent_bearer(http)
        r = http.post(f"/api/v1/agent/conversations/{ahead}/claim", headers=agent)
        assert r.status_code == 200, r.text
    expect(status).to_contain_text(f"You are number {place - 1} in the queue.")
    assert navigations == []  # no reload: the socket's status frame moved it
    shot(page, "widget-position-live")


def test_on_a_phone_the_open_widget_is_the_whole_screen(
    phone: Watched, server: ThreadedServer, llm: StubState
) -> None:
    page = phone.page
    frame = widget(page, server)  # the demo page opens it
    box = page.locator("iframe").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 390, "height": 844}
    expect(launcher(page)).to_be_hidden()  # the widget's own close button takes its place
    close = frame.get_by_role("button", name="Close chat")
    expect(close).to_be_in_viewport()
    start_chat(frame)
    wide = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(wide) and frame.evaluate(wide)
    shot(page, "widget-phone")
    close.click()
    expect(launcher(page)).to_be_visible()
    expect(page.locator("iframe")).to_be_hidden()


def test_desktop_layout_is_unchanged(desk: Watched, server: ThreadedServer) -> None:
    page = desk.page
    widget(page, server)
    box = page.locator("iframe").bounding_box()
    assert box is not None and box["width"] == 400 and box["x"] + box["width"] == 1100 - 20
    expect(launcher_text(page)).to_have_text("Close chat")
    shot(page, "widget-desktop")


@pytest.mark.parametrize(
    ("browser_locale", "lang", "attrs", "text", "title"),
    [
        ("nl-NL", "en", "", "Chat met ons", "Klantenservice"),  # the customer's own language
        ("pl-PL", "nl", "", "Chat met ons", "Klantenservice"),  # not spoken: the page's
        ("en-GB", "nl", 'data-locale="de"', "Chatten Sie mit uns", "Kundenservice"),
    ],
)
def test_the_launcher_speaks_the_customers_language(
    browser: Browser,
    server: ThreadedServer,
    browser_locale: str,
    lang: str,
    attrs: str,
    text: str,
    title: str,
) -> None:
    with contextmanager(watched)(browser, locale=browser_locale) as desk:
        page = desk.page
        host_page(page, server, lang, attrs)
        expect(launcher_text(page)).to_have_text(text)
        name = f"widget-launcher-{browser_locale}-{lang}-{attrs[-3:-1] or lang}"
        shot(page, name + "-closed")
        launcher(page).click()
        frame = opened(page)
        expect(frame.locator("#w-title")).to_have_text(title)  # the same locale, passed on
        shot(page, name)


def test_a_closed_chat_keeps_counting_on_the_next_page(
    desk: Watched, server: ThreadedServer, llm: StubState, nobody_online: None
) -> None:
    """The frame is rebuilt, hidden, on every page of the shop while a conversation is open, so
    its socket hears replies; the count itself survives the page change."""
    page = desk.page
    host_page(page, server)
    launcher(page).click()
    frame = opened(page)
    start_chat(frame)
    conv = conversation(frame)
    launcher(page).click()  # closed from the launcher this time
    with httpx.Client(base_url=server.url, timeout=30) as http:
        agent = hand_over_and_claim(http, conv)
        badge = launcher(page).locator("span").last
        expect(badge).to_have_text("2")  # queued, joined
        page.reload()
        expect(page.locator("iframe")).to_be_attached()
        expect(page.locator("iframe")).to_be_hidden()
        expect(badge).to_have_text("2")
        page.wait_for_timeout(1000)  # the rebuilt frame has resumed and connected
        r = http.post(
            f"/api/v1/agent/conversations/{conv['id']}/messages",
            json={"text": "Are you still there?"},
            headers=agent,
        )
        assert r.status_code == 200, r.text
    expect(badge).to_have_text("3")
    expect(launcher(page)).to_have_attribute(
        "aria-label", "Open customer service chat, 3 new replies"
    )


def test_with_email_replies_the_form_promises_an_email(
    desk: Watched, mail_server: ThreadedServer, llm: StubState, nobody_online: None
) -> None:
    """A Tandem that sends e-mail (SMTP on loopback) says so in `email_replies`, and only then
    does the widget promise an answer by e-mail."""
    page = desk.page
    server = mail_server
    frame = widget(page, server)
    frame.get_by_role("button", name="Talk to a person from the start").click()
    expect(frame.locator("#status")).to_contain_text("No one from our team is online right now.")
    intro = frame.locator("#contact-intro")
    expect(intro).to_have_text("Leave your e-mail address and we will answer by e-mail.")
    frame.fill("#contact-email", "customer@example.com")
    frame.get_by_role("button", name="Send").first.click()
    expect(frame.locator("#contact-info")).to_have_text(
        "Thank you. We will answer by e-mail at customer@example.com."
    )
    shot(page, "widget-email-replies")
