"""The per-connection send queue: a client that stops reading loses ephemeral events first,
then is disconnected (1013) rather than growing the server's memory. No network: a socket
whose every send blocks stands in for a client that does not read."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, cast

from handoff import frames
from handoff.hub import SEND_QUEUE, Connection, Hub


class StuckSocket:
    """Accepts one send and never finishes it, as a full TCP buffer does."""

    def __init__(self) -> None:
        self.sends = 0
        self.closed_with: int | None = None
        self._never = asyncio.Event()

    async def send_text(self, data: str) -> None:
        self.sends += 1
        await self._never.wait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        self.closed_with = code


class FakeHub:
    def __init__(self) -> None:
        self.tasks: list[asyncio.Task[Any]] = []

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        self.tasks.append(asyncio.ensure_future(coro))


def durable(n: object) -> frames.Queue:
    """A frame that is never dropped (only typed frames go on the queue)."""
    return frames.Queue(conversation_id=str(n))


async def test_ephemeral_events_are_dropped_first_then_the_socket_is_closed() -> None:
    ws, hub = StuckSocket(), FakeHub()
    conn = Connection(cast(Any, ws), cast(Hub, hub), "customer")
    conn.push(durable(0))
    await asyncio.sleep(0)  # the writer takes the first frame and blocks on it
    assert ws.sends == 1

    for n in range(SEND_QUEUE):  # typing beyond half the queue is dropped, never queued
        conn.push(frames.Typing(conversation_id=str(n), role="agent", typing=n % 2 == 0))
    assert not conn.closed
    queued = SEND_QUEUE // 2

    for n in range(SEND_QUEUE - queued):  # durable frames fill the rest of the queue
        conn.push(durable(n))
    assert not conn.closed
    conn.push(durable("one too many"))
    assert conn.closed  # disconnected: the client resumes from its last seq

    await asyncio.gather(*hub.tasks)
    assert ws.closed_with == 1013
    conn.push(durable("after close"))  # ignored, no error
