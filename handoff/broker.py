"""Where events go after commit: subscribers in this process (Redis fans out across replicas)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

from handoff.events import Event

Listener = Callable[[Event], Awaitable[None]]
Reconnected = Callable[[], Awaitable[None]]


class Broker(Protocol):
    async def publish(self, event: Event) -> None: ...

    def subscribe(self, listener: Listener) -> None: ...

    def on_reconnect(self, callback: Reconnected) -> None:
        """Called after events may have been missed (the database replay heals the gap)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class InProcessBroker:
    """One process: publishing calls every listener directly."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def on_reconnect(self, callback: Reconnected) -> None:
        return None  # nothing between publisher and listener can drop an event

    async def publish(self, event: Event) -> None:
        for listener in list(self._listeners):
            await listener(event)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
