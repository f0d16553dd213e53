"""The cap on open websockets per token and per IP, for the whole deployment.

A socket lives on one replica, but the cap is for all of them: with Redis, each key
(`sockets:token:{hash}`, `sockets:ip:{ip}`) is a sorted set of `{replica}:{socket}` members
scored by a lease's expiry. A replica renews the leases of its open sockets every third of a
lease, so the slots of a replica that dies without releasing lapse within one lease. Without
Redis (or while it is unreachable) each replica counts its own sockets."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from collections import Counter

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger("tandem.limits")

# Drop lapsed leases, count, and hold a slot in both keys, all in one step: two replicas never
# both take the last slot. Redis's own clock scores the leases, so replicas' clocks may differ.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[4])
for i = 1, 2 do redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now) end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 1 end
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 2 end
for i = 1, 2 do
  redis.call('ZADD', KEYS[i], now + lease, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], 2 * lease)
end
return 0
"""

# Renew this replica's leases: KEYS[i] holds member ARGV[i + 1]. XX: a slot released meanwhile
# stays released.
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + lease, ARGV[i + 1])
  redis.call('PEXPIRE', key, 2 * lease)
end
return #KEYS
"""


class SocketSlots:
    """`take` a slot when a socket has authenticated, `release` it when the socket ends; with
    `redis`, `start` the renewal of this replica's leases (and `stop` it at shutdown)."""

    def __init__(
        self,
        per_token: int,
        per_ip: int,
        *,
        on: bool = True,
        redis: Redis | None = None,
        prefix: str = "",
        lease: float = 60.0,
    ) -> None:
        self.per_token, self.per_ip, self.on = per_token, per_ip, on
        self.lease = lease
        self._redis = redis if on else None  # off: no Redis call at all
        self._prefix = prefix
        self._replica = secrets.token_hex(6)
        self._take = self._redis.register_script(_TAKE) if self._redis is not None else None
        self._renew = self._redis.register_script(_RENEW) if self._redis is not None else None
        self._open: Counter[str] = Counter()  # this replica's sockets, shared or not
        self._held: dict[int, tuple[str, str]] = {}
        self._shared: set[int] = set()  # the sockets that also hold a slot in Redis
        self._redis_down = False
        self._renewer: asyncio.Task[None] | None = None

    def _refusal(self, which: str) -> str:
        if which == "token":
            return f"at most {self.per_token} open connections per login or conversation"
        return f"at most {self.per_ip} open connections per address"

    async def take(self, socket_id: int, token_hash: str, ip: str) -> str | None:
        """Hold a slot for this socket; a refusal's reason (for the close frame) when full."""
        if not self.on:
            return None
        t, i = f"token:{token_hash}", f"ip:{ip}"
        shared = False
        if self._take is not None:
            try:
                refused = await self._take(
                    keys=[self._key(t), self._key(i)],
                    args=[self._member(socket_id), self.per_token, self.per_ip, self._lease_ms],
                )
            except (RedisError, OSError) as exc:
                self._went_down(exc)
            else:
                self._redis_down = False
                if int(refused):
                    return self._refusal("token" if int(refused) == 1 else "ip")
                shared = True
        if not shared:  # no Redis, or Redis unreachable: this replica's own count
            if self._open[t] >= self.per_token:
                return self._refusal("token")
            if self._open[i] >= self.per_ip:
                return self._refusal("ip")
        self._open[t] += 1
        self._open[i] += 1
        self._held[socket_id] = (t, i)
        if shared:
            self._shared.add(socket_id)
        return None

    async def release(self, socket_id: int) -> None:
        keys = self._held.pop(socket_id, ())
        for key in keys:
            self._open[key] -= 1
            if self._open[key] <= 0:
                del self._open[key]
        if socket_id in self._shared and self._redis is not None:
            self._shared.discard(socket_id)
            member = self._member(socket_id)
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for key in keys:
                        pipe.zrem(self._key(key), member)
                    await pipe.execute()
            except (RedisError, OSError) as exc:  # the lease lapses on its own
                self._went_down(exc)

    def start(self) -> None:
        """Renew this replica's leases every third of a lease (with Redis only)."""
        if self._redis is not None and self._renewer is None:
            self._renewer = asyncio.create_task(self._renew_forever(), name="socket-leases")

    async def stop(self) -> None:
        if self._renewer is not None:
            self._renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewer
            self._renewer = None

    async def _renew_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease / 3)
            await self.renew()

    async def renew(self) -> None:
        """One call: every shared slot of this replica gets a fresh lease."""
        if self._renew is None:
            return
        keys: list[str] = []
        members: list[str] = []
        for socket_id in list(self._shared):
            for key in self._held.get(socket_id, ()):
                keys.append(self._key(key))
                members.append(self._member(socket_id))
        if not keys:
            return
        try:
            await self._renew(keys=keys, args=[self._lease_ms, *members])
        except (RedisError, OSError) as exc:
            self._went_down(exc)

    def _went_down(self, exc: Exception) -> None:
        """Logged once per outage: a cap that fails must not take the sockets down with it."""
        if not self._redis_down:
            log.warning(
                "socket slots counted per replica, Redis unreachable: %s", type(exc).__name__
            )
        self._redis_down = True

    @property
    def _lease_ms(self) -> int:
        return max(1, int(self.lease * 1000))

    def _key(self, key: str) -> str:
        return f"{self._prefix}sockets:{key}"

    def _member(self, socket_id: int) -> str:
        return f"{self._replica}:{socket_id}"
