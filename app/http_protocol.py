"""uvicorn's HTTP protocol with a header-read timeout.

Neither of uvicorn's parsers times out a request head that never finishes: a client sending
partial headers holds a connection for as long as it likes (slow-headers attacks), and any byte
it sends cancels the keep-alive timer. This protocol closes a connection whose request head has
not arrived within `header_timeout` seconds of the connection or of the request's first byte.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class HeadersInTime(HttpToolsProtocol):
    """HttpToolsProtocol, closing connections whose request head is late."""

    header_timeout = 10.0
    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._head_timer is None:  # the next request on a kept-alive connection
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._head_timer = self.loop.call_later(self.header_timeout, self._late)

    def _disarm(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _late(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def headers_in_time(seconds: float) -> type[HeadersInTime]:
    """The protocol class for uvicorn's `http=` with this header timeout."""
    attributes: dict[str, Any] = {"header_timeout": seconds}
    return type("HeadersInTime", (HeadersInTime,), attributes)
