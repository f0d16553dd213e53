"""Events shared between replicas through one Redis pub/sub channel.

Only pointers (conversation id and seq) and ephemeral payloads travel; the database stays the
truth. A publication is delivered to this process's listeners directly and skipped when it comes
back from Redis (tagged with the replica id), so it arrives once and without a round trip. Pub/sub
can lose messages while a link is down: after reconnecting, the hub replays from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.events import Event, Listener, Reconnected, from_dict

log = logging.getLogger("tandem.redis")


class RedisBroker:
    """The Broker interface across processes."""

    def __init__(self, url: str, channel: str = "tandem:events") -> None:
        self.channel = channel
        self.replica = uuid.uuid4().hex
        self._redis = Redis.from_url(url, socket_connect_timeout=3, health_check_interval=30)
        self._listeners: list[Listener] = []
        self._reconnected: list[Reconnected] = []
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def on_reconnect(self, callback: Reconnected) -> None:
        self._reconnected.append(callback)

    async def publish(self, event: Event) -> None:
        await self._deliver(event)
        payload = json.dumps({"from": self.replica, "event": event.to_dict()})
        try:
            await self._redis.publish(self.channel, payload)
        except (RedisError, OSError):
            # Other replicas heal from the database on their next event or reconnect.
            log.warning("could not publish to Redis; other replicas will catch up")

    async def start(self) -> None:
        self._task = asyncio.create_task(self._listen())
        try:  # don't serve before the subscription is live, but don't hang on a dead Redis
            await asyncio.wait_for(self._ready.wait(), 5)
        except TimeoutError:
            log.warning("Redis is not reachable yet; events stay local until it is")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._redis.aclose()

    async def _listen(self) -> None:
        delay, first = 0.2, True
        while True:
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.subscribe(self.channel)
                self._ready.set()
                delay = 0.2
                if not first:
                    await self._after_reconnect()
                first = False
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        await self._receive(message["data"])
            except (RedisError, OSError):
                log.warning("Redis link lost; reconnecting in %.1f s", delay)
                first = False
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
            finally:
                await pubsub.aclose()

    async def _receive(self, data: bytes | str) -> None:
        try:
            body = json.loads(data)
            if body.get("from") == self.replica:
                return  # already delivered locally at publish time
            event = from_dict(body["event"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed event on %s", self.channel)
            return
        await self._deliver(event)

    async def _deliver(self, event: Event) -> None:
        for listener in list(self._listeners):
            try:
                await listener(event)
            except Exception:
                log.exception("event listener failed")

    async def _after_reconnect(self) -> None:
        for callback in list(self._reconnected):
            try:
                await callback()
            except Exception:
                log.exception("reconnect callback failed")
