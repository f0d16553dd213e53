"""What every browser test shares: Debian's chromium through Playwright (never a downloaded
browser), a guard on every context that aborts and records any request leaving loopback (the
test then fails at teardown, see tests/conftest.py), pages that record every console error and
failed answer, and screenshots."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    Response,
    Route,
    WebSocketRoute,
)

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags chromium reaches for Google's hosts at every start.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parent.parent / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


# Every URL but loopback's. data:, blob: and about: never leave the browser. A regular
# expression (not a function) so that Playwright intercepts only these, not every request.
OUTSIDE = re.compile(
    r"^(?!(?:data|blob|about):)"
    r"(?!(?:https?|wss?)://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?(?:[/?#]|$))"
)
# What pages asked for outside loopback (aborted) since the last check.
LEFT_LOOPBACK: list[str] = []


def launch(p: Playwright, *extra: str) -> Browser:
    """Debian's chromium; every context it opens is guarded (see `guard`)."""
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's browser with `apt-get install chromium`"
        )
    browser = p.chromium.launch(executable_path=CHROMIUM, args=[*ARGS, *extra])
    open_context = browser.new_context

    def new_context(**options: Any) -> BrowserContext:
        return guard(open_context(**options))

    def new_page(**options: Any) -> Page:
        return new_context(**options).new_page()  # the context closes with the browser

    # On this browser object only: every test's contexts, however opened, are guarded.
    browser.new_context = new_context  # type: ignore[method-assign]
    browser.new_page = new_page  # type: ignore[method-assign]
    return browser


def guard(context: BrowserContext) -> BrowserContext:
    """Abort and record every request and websocket from `context` that would leave loopback."""

    def request(route: Route) -> None:
        LEFT_LOOPBACK.append(f"{route.request.method} {route.request.url}")
        route.abort("blockedbyclient")

    def socket(ws: WebSocketRoute) -> None:
        LEFT_LOOPBACK.append(f"websocket {ws.url}")
        ws.close()

    context.route(OUTSIDE, request)
    context.route_web_socket(OUTSIDE, socket)
    return context


def assert_stayed_on_loopback() -> None:
    """Fail, listing them, if any page asked for something outside loopback since last time."""
    left = list(LEFT_LOOPBACK)
    LEFT_LOOPBACK.clear()
    if left:
        pytest.fail("requests left loopback (aborted):\n  " + "\n  ".join(left))


class Watched:
    """A page with every console error, uncaught exception and 4xx/5xx answer it met; its
    confirmations ("Close this conversation?") are answered OK, as the person meant them."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.problems: list[str] = []
        self.confirmed: list[str] = []
        page.set_default_timeout(15_000)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"pageerror: {exc}"))
        page.on("response", self._response)
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Dialog) -> None:
        self.confirmed.append(dialog.message)
        dialog.accept()

    def _console(self, msg: ConsoleMessage) -> None:
        if msg.type == "error":
            self.problems.append(f"console: {msg.text}")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.problems.append(f"{response.status} {response.request.method} {response.url}")


@contextmanager
def watched(
    browser: Browser, viewport: dict[str, int] = DESKTOP, **context: Any
) -> Iterator[Watched]:
    """A page in a context of its own (its own storage: another person, or another device)."""
    ctx = browser.new_context(viewport=viewport, **{"locale": "en-GB", **context})
    try:
        yield Watched(ctx.new_page())
    finally:
        ctx.close()


def shot(page: Page, name: str, full_page: bool = False) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)
