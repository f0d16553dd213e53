"""The pages in a real browser (Debian's chromium through Playwright): what people actually see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Dialog, Frame, Page, expect

from tests.browsing import shot
from tests.llm_stub import StubState, ThreadedServer

pytestmark = pytest.mark.browser

expect.set_options(timeout=15_000)  # a turn may take the LLM's whole time budget

# Records, inside the widget frame, whether the disclosure was on screen when the input came on.
WATCH_INPUT = """
window.__inputEnabledAfterDisclosure = null;
document.addEventListener("DOMContentLoaded", () => {
  const input = document.getElementById("input");
  if (!input) return;
  new MutationObserver(() => {
    if (!input.disabled && window.__inputEnabledAfterDisclosure === null) {
      const notice = document.querySelector(".msg.disclosure");
      window.__inputEnabledAfterDisclosure = Boolean(notice && notice.offsetParent);
    }
  }).observe(input, { attributes: true });
});
"""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1100, "height": 780}, locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(15_000)
    yield pg
    context.close()


def widget_frame(page: Page, server: ThreadedServer) -> Frame | None:
    """The widget's frame (its address carries the embed's `?locale=`)."""
    return page.frame(url=lambda url: url.startswith(server.url + "/widget"))


def widget(page: Page, server: ThreadedServer) -> Frame:
    page.add_init_script(WATCH_INPUT)
    page.goto(server.url + "/")
    page.wait_for_selector("iframe[title='Customer service chat']")
    frame = widget_frame(page, server)
    assert frame is not None
    frame.wait_for_selector("#start-btn")
    return frame


def start_chat(frame: Frame) -> None:
    expect(frame.locator("#start-notice")).to_be_visible()
    expect(frame.locator("#input")).to_be_disabled()
    frame.click("#start-btn")
    expect(frame.locator(".msg.disclosure")).to_be_visible()
    expect(frame.locator("#input")).to_be_enabled()
    assert frame.evaluate("window.__inputEnabledAfterDisclosure") is True


def ask(frame: Frame, text: str) -> None:
    frame.fill("#input", text)
    frame.press("#input", "Enter")


def test_widget_discloses_answers_with_sources_and_hands_over(
    page: Page, server: ThreadedServer, llm: StubState
) -> None:
    frame = widget(page, server)
    shot(page, "widget-start")
    start_chat(frame)
    expect(frame.locator(".msg.disclosure")).to_contain_text("AI")
    expect(frame.get_by_role("button", name="Talk to a person")).to_be_visible()

    ask(frame, "How long does delivery take?")
    answer = frame.locator(".msg.assistant.text").last
    expect(answer.locator(".sources li").first).to_be_visible()
    expect(answer.locator(".who")).to_have_text("AI assistant")
    assert (answer.get_attribute("aria-label") or "").startswith("AI assistant: ")
    shot(page, "widget-answer")

    frame.get_by_role("button", name="Talk to a person").focus()
    page.keyboard.press("Enter")  # keyboard-accessible
    notice = frame.locator(".msg.system").last
    expect(notice).to_contain_text("person")
    expect(notice.locator(".who")).to_have_text("System")
    expect(frame.locator("#status")).to_be_visible()
    shot(page, "widget-handoff")


def test_widget_resumes_after_reload(page: Page, server: ThreadedServer, llm: StubState) -> None:
    frame = widget(page, server)
    start_chat(frame)
    ask(frame, "How long does delivery take?")
    expect(frame.locator(".msg.assistant.text")).to_have_count(1)
    page.reload()
    page.wait_for_selector("iframe[title='Customer service chat']")
    reloaded = widget_frame(page, server)
    assert reloaded is not None
    frame = reloaded
    expect(frame.locator(".msg.assistant.text")).to_have_count(1)
    expect(frame.locator(".msg.customer")).to_have_count(1)
    expect(frame.locator("#start")).to_be_hidden()


def test_widget_resumes_in_a_new_tab_after_the_first_is_closed(
    page: Page, server: ThreadedServer, llm: StubState
) -> None:
    """The chat lasts in this browser: a customer told to come back for the answer finds it."""
    frame = widget(page, server)
    start_chat(frame)
    ask(frame, "How long does delivery take?")
    expect(frame.locator(".msg.assistant.text")).to_have_count(1)
    later = page.context.new_page()
    page.close()
    later.goto(server.url + "/")
    later.wait_for_selector("iframe[title='Customer service chat']")
    resumed = widget_frame(later, server)
    assert resumed is not None
    frame = resumed
    expect(frame.locator(".msg.customer")).to_contain_text("How long does delivery take?")
    expect(frame.locator(".msg.assistant.text")).to_have_count(1)


def test_customer_downloads_then_deletes_the_conversation(
    page: Page, server: ThreadedServer, llm: StubState
) -> None:
    frame = widget(page, server)
    start_chat(frame)
    ask(frame, "How long does delivery take?")
    expect(frame.locator(".msg.assistant.text")).to_have_count(1)
    frame.click("#menu-btn")
    with page.expect_download() as download:
        frame.get_by_role("menuitem", name="Download my data").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "How long does delivery take?" in exported
    page.on("dialog", lambda d: d.accept())
    frame.click("#menu-btn")
    frame.get_by_role("menuitem", name="Delete this conversation").click()
    expect(frame.locator("#start")).to_be_visible()
    expect(frame.locator(".msg")).to_have_count(0)
    expect(frame.locator("#input")).to_be_disabled()
    assert frame.evaluate("localStorage.getItem('tandem.conversation')") is None


def test_llm_html_never_renders(page: Page, server: ThreadedServer, llm: StubState) -> None:
    """Markup in a model's reply is removed on the server and never becomes an element here."""
    llm.mode = "script"
    llm.script = (
        "Delivery times are counted in working days from the moment your parcel leaves the "
        "warehouse <img src=x onerror=alert(1)>: Netherlands, Germany, Belgium and Luxembourg: "
        "<b>1 to 2 working days</b>."
    )
    dialogs: list[str] = []

    def record(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    frame = widget(page, server)
    start_chat(frame)
    ask(frame, "How long does delivery take?")
    reply = frame.locator(".msg.assistant.text").last
    expect(reply).to_contain_text("Luxembourg: 1 to 2 working days.")
    expect(reply).not_to_contain_text("onerror")
    assert frame.locator(".w-log img, .w-log b").count() == 0
    page.wait_for_timeout(300)
    assert dialogs == []
    shot(page, "widget-xss")


def test_agent_console_shows_the_queue(page: Page, server: ThreadedServer) -> None:
    r = httpx.post(server.url + "/api/v1/conversations", json={"ai_opt_out": True}, timeout=30)
    assert r.status_code == 201, r.text
    page.goto(server.url + "/console")
    page.fill("#email", "agent@example.com")
    page.fill("#password", "agent-password")
    page.click("#login button[type=submit]")
    expect(page.locator("#me")).to_contain_text("agent")
    item = page.locator(f"#queue button[aria-label*='{r.json()['id']}']")  # tests share the queue
    expect(item).to_be_visible()
    expect(item).to_contain_text("ai opt out")
    item.click()
    expect(page.locator("#conv")).to_be_visible()
    expect(page.locator("#reason")).to_have_text("The customer chose a person instead of the AI.")
    shot(page, "console")


def test_operator_console_loads_the_policy(page: Page, server: ThreadedServer) -> None:
    page.goto(server.url + "/admin")
    page.fill("#email", "operator@example.com")
    page.fill("#password", "operator-password")
    page.click("#login button[type=submit]")
    expect(page.locator("#min_confidence")).not_to_have_value("")
    shot(page, "admin-policy")
    page.click("#preview-btn")
    expect(page.locator("#preview .summary")).to_contain_text("would end differently")
    page.click("[data-tab=decisions]")
    expect(page.locator("#decisions table")).to_be_visible()
    shot(page, "admin-decisions")
    page.click("[data-tab=stats]")
    expect(page.locator("#stats .card").first).to_be_visible()
    shot(page, "admin-stats")
    page.click("[data-tab=suggestions]")  # groups, or an empty state saying what will appear
    expect(page.locator("#suggestions > .suggestions, #suggestions > p")).to_have_count(1)
    shot(page, "admin-suggestions")


def test_operator_uploads_files_and_reads_why_one_was_refused(
    page: Page, server: ThreadedServer
) -> None:
    page.goto(server.url + "/admin")
    page.fill("#email", "operator@example.com")
    page.fill("#password", "operator-password")
    page.click("#login button[type=submit]")
    page.click("[data-tab=kb]")
    expect(page.locator("#files-help")).to_contain_text("PDF with a text layer")
    good = b"# Gift wrapping\n\nWe wrap any order as a gift for two euros."
    page.set_input_files(
        "#files",
        [
            {"name": "gift-wrapping.md", "mimeType": "text/markdown", "buffer": good},
            {"name": "setup.exe", "mimeType": "application/x-msdownload", "buffer": b"MZ\x90"},
        ],
    )
    page.click("#upload button[type=submit]")
    expect(page.locator("#kb-info .ok")).to_have_text("Added 1 document(s): Gift wrapping.")
    expect(page.locator("#kb-info li")).to_have_text(
        "setup.exe: .exe files are not supported: "
        "add Markdown (.md), plain text (.txt), HTML (.html) or PDF (.pdf)"
    )
    expect(page.locator("#documents")).to_contain_text("upload:gift-wrapping.md")
    shot(page, "admin-kb-upload")
    page.once("dialog", lambda dialog: dialog.accept())  # leave the shared knowledge base as it was
    page.click("button[aria-label='Delete Gift wrapping']")
    expect(page.locator("#kb-info")).to_have_text('Deleted "Gift wrapping".')


def agent_bearer(http: httpx.Client) -> dict[str, str]:
    r = http.post(
        "/api/v1/auth/login", json={"email": "agent@example.com", "password": "agent-password"}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def test_widget_shows_a_pushed_agent_message_without_a_request(
    page: Page, server: ThreadedServer, llm: StubState
) -> None:
    """The socket's `message` frame carries the message itself: nothing is fetched after it."""
    frame = widget(page, server)
    start_chat(frame)
    conv = frame.evaluate("JSON.parse(localStorage.getItem('tandem.conversation'))")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        customer = {"Authorization": f"Bearer {conv['token']}"}
        r = http.post(f"/api/v1/conversations/{conv['id']}/handoff", headers=customer)
        assert r.status_code == 200, r.text
        agent = agent_bearer(http)
        r = http.post(f"/api/v1/agent/conversations/{conv['id']}/claim", headers=agent)
        assert r.status_code == 200, r.text
        expect(frame.locator(".msg.system").last).to_contain_text("joined")
        page.wait_for_timeout(300)  # anything the claim set off has settled
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        r = http.post(
            f"/api/v1/agent/conversations/{conv['id']}/messages",
            json={"text": "Hello, I am looking at your order now."},
            headers=agent,
        )
        assert r.status_code == 200, r.text
    expect(frame.locator(".msg.agent").last).to_contain_text("looking at your order")
    expect(frame.locator("#status")).to_contain_text("Alex Agent")  # who answers, by name
    page.wait_for_timeout(1000)
    assert requests == []


def test_console_applies_a_customer_message_without_refetching_or_summarising(
    page: Page, server: ThreadedServer, llm: StubState
) -> None:
    """A customer message to a held conversation is appended from its frame: no conversation
    fetch by the console, and no summary from the LLM (that was written once, at the handoff)."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/api/v1/conversations", json={})
        assert r.status_code == 201, r.text
        cid, customer = r.json()["id"], {"Authorization": f"Bearer {r.json()['token']}"}
        said = {"text": "I want to talk to a human, please, my parcel is late"}
        r = http.post(f"/api/v1/conversations/{cid}/messages", json=said, headers=customer)
        assert r.status_code == 200 and r.json()["status"] == "queued", r.text
        agent = agent_bearer(http)
        detail = http.get(f"/api/v1/agent/conversations/{cid}", headers=agent).json()
        for _ in range(100):  # the summary is written in the background after the handoff
            if detail["summary"]["source"] == "llm":
                break
            page.wait_for_timeout(100)
            detail = http.get(f"/api/v1/agent/conversations/{cid}", headers=agent).json()
        assert detail["summary"]["source"] == "llm"
        r = http.post(f"/api/v1/agent/conversations/{cid}/claim", headers=agent)
        assert r.status_code == 200, r.text

        page.goto(server.url + "/console")
        page.fill("#email", "agent@example.com")
        page.fill("#password", "agent-password")
        page.click("#login button[type=submit]")
        expect(page.locator("#live")).to_be_visible()
        page.locator(f"#mine button[aria-label*='{cid}']").click()
        expect(page.locator("#transcript")).to_contain_text("my parcel is late")
        expect(page.locator("#summary")).to_contain_text("(llm)")
        page.wait_for_timeout(500)  # the console resumes the conversation on its socket
        fetches: list[str] = []
        page.on(
            "request",
            lambda request: (
                fetches.append(request.url)
                if f"/api/v1/agent/conversations/{cid}" in request.url
                else None
            ),
        )
        summaries = len(llm.requests)
        r = http.post(
            f"/api/v1/conversations/{cid}/messages", json={"text": "Any news?"}, headers=customer
        )
        assert r.status_code == 200, r.text
    expect(page.locator("#transcript li").last).to_contain_text("Any news?")
    page.wait_for_timeout(1000)
    assert fetches == []
    assert len(llm.requests) == summaries
    shot(page, "console-live")


def test_agent_marks_an_ai_answer_wrong_from_the_console(
    page: Page, server: ThreadedServer, llm: StubState
) -> None:
    """The buttons under an AI answer store the agent's mark, keyboard first; the API agrees."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        r = http.post("/api/v1/conversations", json={})
        assert r.status_code == 201, r.text
        cid, customer = r.json()["id"], {"Authorization": f"Bearer {r.json()['token']}"}
        said = {"text": "How long does delivery take?"}
        r = http.post(f"/api/v1/conversations/{cid}/messages", json=said, headers=customer)
        answer = r.json()["messages"][-1]
        assert answer["role"] == "assistant" and answer["ai"], r.text
        assert http.post(f"/api/v1/conversations/{cid}/handoff", headers=customer).is_success
        agent = agent_bearer(http)
        r = http.post(f"/api/v1/agent/conversations/{cid}/claim", headers=agent)
        assert r.status_code == 200, r.text

        page.goto(server.url + "/console")
        page.fill("#email", "agent@example.com")
        page.fill("#password", "agent-password")
        page.click("#login button[type=submit]")
        page.locator(f"#mine button[aria-label*='{cid}']").click()
        item = page.locator(f"#transcript li[data-seq='{answer['seq']}']")
        wrong = item.get_by_role("button", name="Wrong answer")
        expect(wrong).to_have_attribute("aria-pressed", "false")
        expect(page.locator("#transcript li.customer .marks")).to_have_count(0)
        wrong.focus()
        page.keyboard.press("Enter")
        expect(wrong).to_have_attribute("aria-pressed", "true")
        expect(item.get_by_role("button", name="Good answer")).to_have_attribute(
            "aria-pressed", "false"
        )
        expect(item.get_by_role("status")).to_have_text("Marked wrong by Alex Agent")
        shot(page, "console-marked")
        detail = http.get(f"/api/v1/agent/conversations/{cid}", headers=agent).json()
    mark = next(m for m in detail["messages"] if m["seq"] == answer["seq"])["mark"]
    assert (mark["verdict"], mark["by"]) == ("wrong", "Alex Agent")
