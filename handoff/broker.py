"""The in-process broker: subscribers in this process (`redis_broker` fans out across replicas)."""

from __future__ import annotations

import logging

from app.events import Event, Listener, Reconnected

log = logging.getLogger("tandem.broker")


class InProcessBroker:
    """One process: publishing calls every listener directly."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def on_reconnect(self, callback: Reconnected) -> None:
        return None  # nothing between publisher and listener can drop an event

    async def publish(self, event: Event) -> None:
        """Listeners must not block (the hub only queues pointers and spawns its reads), so
        each runs to completion here without a task per event; one failing spoils no other."""
        for listener in list(self._listeners):
            try:
                await listener(event)
            except Exception:
                log.exception("event listener failed")

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None
