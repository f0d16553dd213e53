"""An agent's whole day in Debian's chromium, as the people in it see it.

Morning: a customer asks for a person and the console raises the alert; an agent claims, replies,
transfers to a colleague; the colleague releases to the AI, gets the customer back, closes, and
the customer rates the conversation. Evening, outside business hours set by the operator: a
customer on a phone leaves a message and an address, an agent answers from the console, and the
e-mail arrives, once, at an SMTP server on loopback. No page shows a console error or gets a 4xx.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Frame, Page, expect

from app.main import create_app
from app.models import utcnow
from app.policy import DAYS
from disclosure.texts import phrase
from tests.browsing import PHONE, Watched, shot, watched
from tests.conftest import BACKENDS, _seed, empty_database, settings_for
from tests.llm_stub import StubState, ThreadedServer, build, free_port
from tests.smtp_sink import Sink

pytestmark = pytest.mark.browser
ALEX = ("agent@example.com", "agent-password")
BO = ("agent2@example.com", "agent-password")
OPERATOR = ("operator@example.com", "operator-password")
CUSTOMER_MAIL = "kim@example.org"
# Records the console's notifications and beeps (the page's own calls, through the real APIs).
RECORD_ALERTS = """
window.__alerts = [];
const RealNotification = window.Notification;
if (RealNotification) {
  const Recorded = function (title, options) {
    window.__alerts.push({ title, body: options && options.body });
    return new RealNotification(title, options);
  };
  Object.defineProperty(Recorded, "permission", { get: () => RealNotification.permission });
  Recorded.requestPermission = (...args) => RealNotification.requestPermission(...args);
  window.Notification = Recorded;
}
const oscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__alerts.push({ beep: true });
  return oscillator.call(this);
};
"""


@dataclass
class Day:
    url: str
    sink: Sink


@pytest.fixture(scope="module", params=BACKENDS)
def day(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    """A Tandem of its own (the operator changes its business hours) with SMTP and the LLM."""
    sink, port = Sink(), free_port()
    smtp = Controller(sink, hostname="127.0.0.1", port=port)
    smtp.start()
    llm = ThreadedServer(build(StubState())).start()
    try:
        with empty_database(request.param, tmp_path_factory) as url:
            asyncio.run(_seed(url))
            settings = settings_for(
                url,
                openai_base_url=llm.url + "/v1",
                openai_api_key="test-key",
                smtp_url=f"smtp://127.0.0.1:{port}",
                public_url="http://127.0.0.1/",
                mail_retry_seconds=0.2,
            )
            server = ThreadedServer(create_app(settings)).start()
            try:
                yield Day(server.url, sink)
            finally:
                server.stop()
    finally:
        llm.stop()
        smtp.stop()


def console(page: Page, day: Day, who: tuple[str, str], presence: str) -> None:
    page.goto(day.url + "/console")
    page.fill("#email", who[0])
    page.fill("#password", who[1])
    page.click("#login button[type=submit]")
    expect(page.locator("#live")).to_be_visible()
    set_presence(page, presence)


def set_presence(page: Page, value: str) -> None:
    if page.locator("#presence").input_value() == value:
        return
    with page.expect_response(
        lambda r: r.url.endswith("/agent/me") and r.request.method == "PATCH"
    ):
        page.select_option("#presence", value)


def customer(page: Page, day: Day) -> Frame:
    page.goto(day.url + "/")  # the demo shop opens the chat by itself (data-open)
    page.wait_for_selector("iframe[src*='/widget']")  # (its title is in the customer's language)
    frame = page.frame(url=lambda url: url.startswith(day.url + "/widget"))
    assert frame is not None
    frame.click("#start-btn")
    expect(frame.locator(".msg.disclosure")).to_be_visible()
    return frame


def say(frame: Frame, text: str) -> None:
    frame.fill("#input", text)
    frame.press("#input", "Enter")
    expect(frame.locator(".msg.customer").last).to_contain_text(text)


def conversation_id(frame: Frame) -> str:
    return str(frame.evaluate("JSON.parse(localStorage.getItem('tandem.conversation')).id"))


def open_in(page: Page, pane: str, cid: str) -> None:
    page.locator(f"#{pane} button[aria-label*='{cid}']").click()
    expect(page.locator("#view-title")).to_have_text(f"Conversation {cid}")


def send_reply(page: Page, text: str) -> None:
    page.fill("#reply-text", text)
    expect(page.locator("#send")).to_have_text("Send to customer")  # not an internal note
    page.click("#send")
    expect(page.locator("#transcript li").last).to_contain_text(text)


def settled(*pages: Watched) -> None:
    """Nothing went wrong on any page: no error on screen, in the console or in an answer."""
    pages[0].page.wait_for_timeout(1000)  # what the last action set off has arrived
    for w in pages:
        if w.page.url.endswith("/console"):
            expect(w.page.locator("#action-error")).to_be_empty()
        assert w.problems == [], w.problems


def test_morning_alert_claim_reply_transfer_release_close_and_rating(
    browser: Browser, day: Day
) -> None:
    with (
        watched(browser) as alex,
        watched(browser) as bo,
        watched(browser, PHONE, is_mobile=True, has_touch=True) as kim,
    ):
        # Alex is at their desk but away (no conversation is handed to them automatically), with
        # notifications allowed and the sound on; Bo is in a meeting: away too.
        alex.page.context.grant_permissions(["notifications"], origin=day.url)
        alex.page.add_init_script(RECORD_ALERTS)
        console(alex.page, day, ALEX, "away")
        alex.page.click("#settings summary")
        expect(alex.page.locator("#notify-state")).to_have_text("Notifications are on.")
        alex.page.check("#sound")
        alex.page.evaluate("window.__alerts.length = 0")  # the sample beep of the checkbox
        alex.page.click("#settings summary")  # folded away again
        console(bo.page, day, BO, "away")
        expect(alex.page).to_have_title("Tandem — agent console")

        frame = customer(kim.page, day)
        say(frame, "I want to talk to a person about my order")
        expect(frame.locator("#status")).to_contain_text("queue")
        cid = conversation_id(frame)

        # The alert: a count in the title, a beep and a browser notification.
        expect(alex.page).to_have_title(re.compile(r"^\(1\) "))
        assert alex.page.evaluate("window.__alerts") == [
            {"beep": True},
            {"title": "Tandem: new handoff", "body": "A customer is waiting for a person."},
        ]
        shot(alex.page, "day-alert-desktop")
        open_in(alex.page, "queue", cid)
        expect(alex.page.locator("#reason")).to_have_text("The customer asked to talk to a person.")
        expect(alex.page.locator("#signals")).to_contain_text("asked for a person")
        alex.page.click("#claim")
        expect(alex.page.locator("#conv-status")).to_have_text("agent")
        expect(alex.page).to_have_title("Tandem — agent console")
        expect(frame.locator("#status")).to_contain_text("Alex Agent")

        send_reply(alex.page, "Hello, I am Alex. Let me look at your order.")
        expect(frame.locator(".msg.agent").last).to_contain_text("Let me look at your order")
        shot(kim.page, "day-customer-phone")

        # Bo is back; Alex hands the conversation over through the picker.
        set_presence(bo.page, "online")
        alex.page.click("#transfer")
        expect(alex.page.locator("#transfer-to option")).to_contain_text(["Bo Agent"])
        alex.page.click("#transfer-go")
        expect(alex.page.locator("#conv-status")).to_have_text("agent: Bo Agent")
        expect(frame.locator("#status")).to_contain_text("Bo Agent")
        expect(frame.locator(".msg.system").last).to_contain_text("Bo Agent")
        shot(alex.page, "day-after-transfer-desktop")

        open_in(bo.page, "mine", cid)
        send_reply(bo.page, "Bo here: your order left the warehouse today.")
        expect(frame.locator(".msg.agent").last).to_contain_text("left the warehouse")

        # Back to the AI, then the customer wants a person again: Bo, online, gets it.
        bo.page.click("#release")
        expect(bo.page.locator("#conv-status")).to_have_text("bot")
        expect(frame.locator(".msg.system").last).to_contain_text("AI assistant again")
        say(frame, "Actually, a person please, one more question about the invoice")
        expect(frame.locator("#status")).to_contain_text("Bo Agent")
        open_in(bo.page, "mine", cid)
        send_reply(bo.page, "The invoice is in your account. Have a nice day!")
        bo.page.click("#close")
        expect(bo.page.locator("#conv-status")).to_have_text("closed")
        assert bo.confirmed == ["Close this conversation?"]

        # The customer rates the conversation; operators see it counted.
        rating = frame.get_by_role("group", name="How was your conversation?")
        expect(rating).to_be_visible()
        shot(kim.page, "day-rating-phone")
        rating.get_by_role("button", name="5 out of 5").click()
        expect(frame.locator("#rating-info")).to_have_text("Thank you for your rating.")
        settled(alex, bo, kim)
        set_presence(bo.page, "away")
    with httpx.Client(base_url=day.url, timeout=30) as http:
        stats = http.get("/api/v1/admin/stats", headers=bearer(http, OPERATOR)).json()
    assert stats["satisfaction"]["ratings"] >= 1


def bearer(http: httpx.Client, who: tuple[str, str]) -> dict[str, str]:
    r = http.post("/api/v1/auth/login", json={"email": who[0], "password": who[1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_evening_a_left_message_is_answered_by_e_mail(browser: Browser, day: Day) -> None:
    with watched(browser) as olivia:
        # The operator closes the team for the night: business hours open only one minute,
        # three days from now (a schedule with no open hours at all is refused).
        page = olivia.page
        page.goto(day.url + "/admin")
        page.fill("#email", OPERATOR[0])
        page.fill("#password", OPERATOR[1])
        page.click("#login button[type=submit]")
        expect(page.locator("#hours_on")).to_be_visible()
        page.check("#hours_on")
        page.fill(f"#day-{DAYS[(utcnow().weekday() + 3) % 7]}", "00:00-00:01")
        page.click("#policy button[type=submit]")
        expect(page.locator("#policy-info")).to_contain_text("Saved")
        settled(olivia)

    with watched(browser, PHONE, is_mobile=True, has_touch=True, locale="nl-NL") as kim:
        frame = customer(kim.page, day)
        say(frame, "Mijn factuur klopt niet, het bedrag is te hoog")
        frame.click("#human-btn")
        expect(frame.locator("#contact")).to_be_visible()  # the form up front: nobody is in
        expect(frame.locator("#status")).to_contain_text("niet bereikbaar")  # in Dutch
        expect(frame.locator("#contact-intro")).to_contain_text("e-mail")
        frame.fill("#contact-email", CUSTOMER_MAIL)
        frame.click("#contact button[type=submit]")
        expect(frame.locator("#contact-info")).to_contain_text(CUSTOMER_MAIL)
        shot(kim.page, "day-message-left-phone")
        cid = conversation_id(frame)
        settled(kim)

    with watched(browser) as alex:
        console(alex.page, day, ALEX, "away")
        open_in(alex.page, "offline", cid)
        expect(alex.page.locator("#contact")).to_contain_text(CUSTOMER_MAIL)
        alex.page.click("#claim")
        send_reply(alex.page, "Sorry about that: we corrected your invoice today.")
        shot(alex.page, "day-offline-answered-desktop")
        settled(alex)

    deadline = time.monotonic() + 20
    while not day.sink.to(CUSTOMER_MAIL) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # a second copy, if any, would arrive in this time
    mails = day.sink.to(CUSTOMER_MAIL)
    assert len(mails) == 1
    body = mails[0].get_body(preferencelist=("plain",))
    assert body is not None
    assert "we corrected your invoice today" in body.get_content()
    assert mails[0]["Subject"] == phrase("mail_reply_subject", "nl")  # the customer's language
