"""The agent console in a real browser (Debian's chromium): acting on a conversation never shows
a false error, a new handoff is announced, the signals read as sentences, and a phone fits."""

from __future__ import annotations

import asyncio
import re
import threading
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import update

from app.db import create_engine, sessionmaker
from app.models import Presence, User
from tests.browsing import Watched, shot
from tests.llm_stub import StubState, ThreadedServer
from tests.test_browser import start_chat, widget

pytestmark = pytest.mark.browser

ALEX = ("agent@example.com", "agent-password")
BO = ("agent2@example.com", "agent-password")
expect.set_options(timeout=15_000)
WIDE = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && e.offsetParent !== null)
  .slice(0, 15).map(e => e.tagName + '#' + e.id + '.' + e.className)"""  # what overflows


def console(
    browser: Browser,
    server: ThreadedServer,
    who: tuple[str, str],
    size: tuple[int, int] = (1280, 800),
    socket: bool = True,
) -> Watched:
    """A logged-in console; without `socket`, its websocket is refused (the polling fallback)."""
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="en-GB")
    w = Watched(context.new_page())
    if not socket:
        w.page.route_web_socket("**/api/v1/agent/ws", lambda ws: ws.close())
    w.page.goto(server.url + "/console")
    w.page.fill("#email", who[0])
    w.page.fill("#password", who[1])
    w.page.click("#login button[type=submit]")
    expect(w.page.locator("#live")).to_be_visible(visible=socket)
    expect(w.page.locator("#presence")).to_be_visible()
    return w


def waiting(http: httpx.Client, text: str | None = None) -> str:
    """A conversation handed to the team: by the button, or by asking for a person."""
    r = http.post("/api/v1/conversations", json={})
    assert r.status_code == 201, r.text
    cid, auth = r.json()["id"], {"Authorization": f"Bearer {r.json()['token']}"}
    if text is None:
        r = http.post(f"/api/v1/conversations/{cid}/handoff", headers=auth)
    else:
        r = http.post(f"/api/v1/conversations/{cid}/messages", json={"text": text}, headers=auth)
    assert r.status_code == 200 and r.json()["status"] == "queued", r.text
    return str(cid)


@pytest.fixture
def nobody_takes(db_url: str) -> Iterator[None]:
    """Both agents away with room to spare: nothing is auto-assigned to them behind a test's
    back, and a transfer finds a free slot whatever earlier tests handed them. Afterwards they
    are online, at the default capacity, and no closed console counts as connected (the next
    test would otherwise be assigned what it waits for)."""
    arrange(db_url, presence=Presence.away, max_concurrent=50)
    yield
    arrange(db_url, presence=Presence.online, max_concurrent=3, last_seen_at=None)


def arrange(db_url: str, **values: object) -> None:
    """Set these columns of every user, in a thread: Playwright's event loop is running."""

    async def write() -> None:
        engine = create_engine(db_url)
        async with sessionmaker(engine)() as s:
            await s.execute(update(User).values(**values))
            await s.commit()
        await engine.dispose()

    worker = threading.Thread(target=asyncio.run, args=(write(),))
    worker.start()
    worker.join()


def set_presence(w: Watched, value: str) -> None:
    with w.page.expect_response(
        lambda r: r.url.endswith("/agent/me") and r.request.method == "PATCH"
    ):
        w.page.select_option("#presence", value)


def open_waiting(w: Watched, cid: str) -> None:
    w.page.locator(f"#queue button[aria-label*='{cid}']").click()
    expect(w.page.locator("#view-title")).to_have_text(f"Conversation {cid}")


def quiet(w: Watched) -> None:
    """No error on screen, in the console or in a response."""
    w.page.wait_for_timeout(1500)  # events and refreshes the action set off have arrived
    expect(w.page.locator("#action-error")).to_be_empty()
    assert w.problems == []


def test_claim_transfer_release_and_close_show_no_false_error(
    browser: Browser, server: ThreadedServer, llm: StubState, nobody_takes: None
) -> None:
    alex = console(browser, server, ALEX)
    bo = console(browser, server, BO)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        cid = waiting(http)
    page = alex.page
    open_waiting(alex, cid)
    expect(page.locator("#release")).to_be_disabled()
    page.click("#claim")
    expect(page.locator("#conv-status")).to_have_text("agent")
    expect(page.locator("#claim")).to_be_disabled()
    expect(page.locator("#release")).to_be_enabled()

    page.click("#transfer")  # Bo is away: nobody to pick
    expect(page.locator("#transfer-none")).to_be_visible()
    page.click("#transfer-cancel")
    set_presence(bo, "online")
    page.click("#transfer")
    expect(page.locator("#transfer-to option")).to_contain_text(["Bo Agent"])
    shot(page, "console-transfer-picker", full_page=True)
    page.click("#transfer-go")
    expect(page.locator("#conv-status")).to_have_text("agent: Bo Agent")
    expect(page.locator("#readonly")).to_contain_text("Bo Agent holds this conversation")
    for button in ("#claim", "#release", "#transfer", "#close", "#send"):
        expect(page.locator(button)).to_be_disabled()
    expect(page.locator("#transcript")).to_contain_text("Alex Agent from our team has joined")
    set_presence(bo, "away")  # online, Bo would be given the next ones
    quiet(alex)
    shot(page, "console-after-transfer", full_page=True)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        cids = [cid, waiting(http), waiting(http)]

    open_waiting(alex, cids[1])
    page.click("#claim")
    expect(page.locator("#release")).to_be_enabled()
    page.click("#release")
    expect(page.locator("#conv-status")).to_have_text("bot")
    expect(page.locator("#readonly")).to_contain_text("The AI holds this conversation again")
    quiet(alex)

    open_waiting(alex, cids[2])
    page.click("#claim")
    expect(page.locator("#close")).to_be_enabled()
    page.click("#close")
    expect(page.locator("#conv-status")).to_have_text("closed")
    expect(page.locator("#close")).to_be_disabled()
    quiet(alex)
    assert bo.problems == []


# Holds every queue list the console fetches until the page says `releaseQueue()`, after the
# server has answered it: the list then reaches the page later than news it predates.
HOLD_QUEUE_LISTS = """() => {
  const real = window.fetch;
  window.queueAnswered = 0;
  let open; const gate = new Promise((resolve) => (open = resolve));
  window.releaseQueue = open;
  window.fetch = async (url, init) => {
    const res = await real(url, init);
    if (!String(url).endsWith("/api/v1/agent/queue")) return res;
    window.queueAnswered += 1;
    await gate;
    return res;
  };
}"""


def test_a_queue_list_older_than_the_close_does_not_undo_it(
    browser: Browser, server: ThreadedServer, llm: StubState, nobody_takes: None
) -> None:
    """The flake CI saw: the Close button enabled again after a close. A queue refresh set off
    before the close was answered while the conversation was still held, and its list arrived
    after the close's answer and put the old state back."""
    alex = console(browser, server, ALEX)
    page = alex.page
    with httpx.Client(base_url=server.url, timeout=30) as http:
        cid = waiting(http)
        open_waiting(alex, cid)
        page.click("#claim")
        expect(page.locator("#close")).to_be_enabled()
        quiet(alex)
        page.evaluate(HOLD_QUEUE_LISTS)
        waiting(http)  # the queue moved: the console fetches the list, held at the door
    page.wait_for_function("() => window.queueAnswered >= 1")
    page.click("#close")
    expect(page.locator("#conv-status")).to_have_text("closed")
    page.evaluate("window.releaseQueue()")
    quiet(alex)
    expect(page.locator("#conv-status")).to_have_text("closed")
    expect(page.locator("#close")).to_be_disabled()


def test_a_transfer_while_polling_shows_no_false_error(
    browser: Browser, server: ThreadedServer, llm: StubState, nobody_takes: None
) -> None:
    """The error users saw: with the socket down, the console polled the conversation it had
    just transferred and showed the server's (right) refusal as an error."""
    alex = console(browser, server, ALEX, socket=False)
    bo = console(browser, server, BO)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        cid = waiting(http)
    page = alex.page
    open_waiting(alex, cid)
    page.click("#claim")
    expect(page.locator("#release")).to_be_enabled()
    set_presence(bo, "online")
    page.click("#transfer")
    bo_option = page.locator("#transfer-to option", has_text="Bo Agent")
    page.select_option("#transfer-to", bo_option.get_attribute("value"))
    page.click("#transfer-go")
    expect(page.locator("#conv-status")).to_have_text("agent: Bo Agent")
    set_presence(bo, "away")
    page.wait_for_timeout(4000)  # past a polling round (every 3 s)
    quiet(alex)
    assert bo.problems == []


def test_a_new_handoff_counts_in_the_title_until_the_queue_is_looked_at(
    browser: Browser, server: ThreadedServer, llm: StubState, nobody_takes: None
) -> None:
    alex = console(browser, server, ALEX)
    page = alex.page
    expect(page).to_have_title("Tandem — agent console")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        waiting(http)
    expect(page).to_have_title(re.compile(r"^\(1\) Tandem — agent console$"))
    page.click("#tab-queue")
    expect(page).to_have_title("Tandem — agent console")
    assert alex.problems == []


def test_signals_read_as_sentences_and_the_customer_is_shown(
    browser: Browser, server: ThreadedServer, llm: StubState, nobody_takes: None
) -> None:
    alex = console(browser, server, ALEX)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        cid = waiting(http, "I want to talk to a human please, where is my parcel?")
    open_waiting(alex, cid)
    signals = alex.page.locator("#signals")
    expect(signals).to_contain_text("The customer asked for a person")
    expect(signals).to_contain_text("%")
    text = signals.inner_text()
    assert "{" not in text and "chunk" not in text and "document_id" not in text, text
    expect(alex.page.locator("#contact")).to_contain_text("Language: en")
    shot(alex.page, "console-desktop", full_page=True)
    assert alex.problems == []


def test_the_console_fits_a_phone(
    browser: Browser, server: ThreadedServer, llm: StubState, nobody_takes: None
) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as http:
        cid = waiting(http, "I want to talk to a human please, my parcel is late")
        login = {"email": ALEX[0], "password": ALEX[1]}
        token = http.post("/api/v1/auth/login", json=login).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        wide = {"shortcut": "x" * 50, "text": "A long canned reply " * 20}  # widest option
        r = http.post("/api/v1/agent/canned", json=wide, headers=bearer)
        assert r.status_code == 201, r.text
    alex = console(browser, server, ALEX, size=(390, 844))
    page = alex.page
    fits = "document.documentElement.scrollWidth <= window.innerWidth"
    assert page.evaluate(fits)
    shot(page, "console-phone-queue", full_page=True)
    open_waiting(alex, cid)
    expect(page.locator("#side-body")).to_be_hidden()  # the list folds away
    assert page.evaluate(fits), page.evaluate(WIDE)
    shot(page, "console-phone", full_page=True)
    page.click("#side-toggle")
    page.click("#tab-history")
    expect(page.locator("#history-pane")).to_be_visible()
    assert page.evaluate(fits)
    assert alex.problems == []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        http.delete(f"/api/v1/agent/canned/{r.json()['id']}", headers=bearer)


def test_operators_set_capacity_in_the_team_section(
    browser: Browser, server: ThreadedServer
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")
    w = Watched(context.new_page())
    page = w.page
    page.goto(server.url + "/admin")
    page.fill("#email", "operator@example.com")
    page.fill("#password", "operator-password")
    page.click("#login button[type=submit]")
    page.click("[data-tab=team]")
    box = page.get_by_label("Capacity of Bo Agent")
    expect(box).to_be_visible()
    before = box.input_value()
    box.fill("5")
    box.press("Enter")
    expect(page.locator("#team-info")).to_have_text(
        "Bo Agent now holds up to 5 conversation(s) at once."
    )
    shot(page, "admin-team", full_page=True)
    box.fill(before)
    box.press("Enter")
    expect(page.locator("#team-info")).to_contain_text(f"up to {before} ")
    assert w.problems == []


def test_canned_replies_and_the_history_in_the_console(
    browser: Browser, server: ThreadedServer, llm: StubState, nobody_takes: None
) -> None:
    alex = console(browser, server, ALEX)
    page = alex.page
    tag = uuid.uuid4().hex[:8]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        cid = waiting(http, f"I want to talk to a human please, order {tag}")
    open_waiting(alex, cid)
    expect(page.locator("#as-note")).to_be_checked()  # waiting: only notes
    page.click("#claim")
    expect(page.locator("#send")).to_be_enabled()
    expect(page.locator("#as-note")).not_to_be_checked()  # held: a reply to the customer

    page.click("#canned-manage")
    page.fill("#canned-shortcut", f"thx-{tag}")
    page.fill("#canned-text", "Thanks for waiting.")
    page.click("#canned-save")
    page.get_by_role("button", name=f"Edit /thx-{tag}").click()
    page.fill("#canned-text", f"Thanks for waiting, order {tag} is on its way.")
    page.click("#canned-save")
    expect(page.locator("#canned-list")).to_contain_text(f"order {tag} is on its way")
    shot(page, "console-canned", full_page=True)
    page.click("#canned-done")

    page.locator("#reply-text").press_sequentially(f"/thx-{tag} ")
    expect(page.locator("#reply-text")).to_have_value(
        f"Thanks for waiting, order {tag} is on its way."
    )
    page.click("#send")
    expect(page.locator("#transcript li.agent:not(.note)").last).to_contain_text("is on its way")
    page.click("#close")
    expect(page.locator("#conv-status")).to_have_text("closed")

    page.click("#tab-history")
    page.fill("#history-q", tag.upper())
    page.click("#history-search button[type=submit]")
    found = page.locator(f"#history li[data-id='{cid}'] button")
    expect(found).to_be_visible()
    found.click()
    expect(page.locator("#view-title")).to_have_text(f"Conversation {cid}")
    expect(page.locator("#readonly")).to_contain_text("closed")
    expect(page.locator("#claim")).to_be_disabled()
    shot(page, "console-history", full_page=True)

    page.click("#canned-manage")
    page.get_by_role("button", name=f"Delete /thx-{tag}").click()
    expect(page.locator("#canned-list")).not_to_contain_text(f"thx-{tag}")
    page.click("#canned-done")
    quiet(alex)


def test_after_a_transfer_the_widget_names_the_new_agent(
    browser: Browser, server: ThreadedServer, llm: StubState, nobody_takes: None
) -> None:
    """The customer reads "Bo Agent ... has joined" and a status line naming Bo, not Alex."""
    customer = Watched(browser.new_context(viewport={"width": 1100, "height": 780}).new_page())
    frame = widget(customer.page, server)
    start_chat(frame)
    conv = frame.evaluate("JSON.parse(localStorage.getItem('tandem.conversation'))")
    bo = console(browser, server, BO)  # away (nobody_takes) until Alex holds the conversation
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post(
            f"/api/v1/conversations/{conv['id']}/handoff",
            headers={"Authorization": f"Bearer {conv['token']}"},
        )
        assert r.status_code == 200, r.text
        login = {"email": ALEX[0], "password": ALEX[1]}
        alex = {
            "Authorization": f"Bearer {http.post('/api/v1/auth/login', json=login).json()['token']}"
        }
        r = http.post(f"/api/v1/agent/conversations/{conv['id']}/claim", headers=alex)
        assert r.status_code == 200, r.text
        expect(frame.locator("#status")).to_contain_text("Alex Agent")
        set_presence(bo, "online")  # earlier, the clock would have given it to Bo at once
        team = http.get("/api/v1/agent/agents", headers=alex).json()
        bo_id = next(a["id"] for a in team if a["name"] == "Bo Agent")
        r = http.post(
            f"/api/v1/agent/conversations/{conv['id']}/transfer",
            json={"agent_id": bo_id},
            headers=alex,
        )
        assert r.status_code == 200, r.text
    set_presence(bo, "away")
    expect(frame.locator(".msg.system").last).to_contain_text("Bo Agent")
    expect(frame.locator("#status")).to_contain_text("Bo Agent")
    shot(customer.page, "widget-after-transfer", full_page=True)
    assert customer.problems == [] and bo.problems == []
