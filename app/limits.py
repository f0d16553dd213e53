"""Every limit in one place: counters per fixed window (in this process, or shared by replicas
through Redis), the login lockout and the LLM-call budget; the cap on open websockets is in
`app/socket_slots.py`.

A limit that is reached answers 429 with `Retry-After` and a sentence (`app.errors.TooMany`).
`TANDEM_LIMITS_SCALE` multiplies every count; 0 turns every limit off."""

from __future__ import annotations

import contextlib
import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from app.errors import TooMany
from app.settings import Settings
from app.socket_slots import SocketSlots

log = logging.getLogger("tandem.limits")


@dataclass(frozen=True)
class Rule:
    """At most `limit` hits per `window` seconds for one key; `sentence` names the limit and
    takes the wait as `{wait}`."""

    name: str
    limit: int
    window: float
    sentence: str


class Counters(Protocol):
    async def hit(self, key: str, window: float) -> tuple[int, float]:
        """Count one more; the count in this window and the seconds until it ends."""

    async def peek(self, key: str) -> tuple[int, float]: ...

    async def hold(self, key: str, seconds: float) -> None:
        """Keep the current count for `seconds` from now (a lockout)."""

    async def clear(self, key: str) -> None: ...


class MemoryCounters:
    """One process: a dict of (count, end of window), pruned when it grows."""

    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}

    async def hit(self, key: str, window: float) -> tuple[int, float]:
        now = time.monotonic()
        count, until = self._counts.get(key, (0, 0.0))
        if until <= now:
            count, until = 0, now + window
        self._counts[key] = (count + 1, until)
        if len(self._counts) > 100_000:
            self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        return count + 1, until - now

    async def peek(self, key: str) -> tuple[int, float]:
        now = time.monotonic()
        count, until = self._counts.get(key, (0, 0.0))
        return (count, until - now) if until > now else (0, 0.0)

    async def hold(self, key: str, seconds: float) -> None:
        count, _ = self._counts.get(key, (0, 0.0))
        self._counts[key] = (count, time.monotonic() + seconds)

    async def clear(self, key: str) -> None:
        self._counts.pop(key, None)


# INCR and the window's expiry in one step, so that two replicas never both start a window.
_HIT = """
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
"""


class RedisCounters:
    """Replicas share their counts: fixed windows of INCR + PEXPIRE in one Lua script."""

    def __init__(self, url: str, prefix: str) -> None:
        self.redis = self._redis = Redis.from_url(url, socket_connect_timeout=3)
        self.prefix = self._prefix = prefix  # the socket slots share the client and prefix
        self._hit = self._redis.register_script(_HIT)

    async def hit(self, key: str, window: float) -> tuple[int, float]:
        n, ttl = await self._hit(keys=[self._prefix + key], args=[max(1, int(window * 1000))])
        return int(n), int(ttl) / 1000

    async def peek(self, key: str) -> tuple[int, float]:
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.get(self._prefix + key)
            pipe.pttl(self._prefix + key)
            count, ttl = await pipe.execute()
        return (int(count), int(ttl) / 1000) if count is not None and int(ttl) > 0 else (0, 0.0)

    async def hold(self, key: str, seconds: float) -> None:
        await self._redis.pexpire(self._prefix + key, max(1, int(seconds * 1000)))

    async def clear(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def close(self) -> None:
        await self._redis.aclose()


def wait_words(seconds: float) -> str:
    """'in 40 seconds', 'in 15 minutes', 'in 2 hours': the wait a sentence names."""
    s = max(1, math.ceil(seconds))
    if s < 120:
        return f"in {s} second{'s' if s != 1 else ''}"
    if s < 7200:
        return f"in {math.ceil(s / 60)} minutes"
    return f"in {math.ceil(s / 3600)} hours"


def scaled(count: int, scale: float) -> int:
    return max(1, math.ceil(count * scale))


class Limiter:
    """The app's limits, built once from the settings; every method is a no-op when off."""

    def __init__(self, settings: Settings, counters: Counters | None = None) -> None:
        k = settings.limits_scale
        self.on = k > 0
        if counters is None and self.on and settings.redis_url:
            counters = RedisCounters(settings.redis_url, f"{settings.redis_channel}:limits:")
        self.counters: Counters = counters or MemoryCounters()
        self.lockout = settings.login_lockout_seconds
        self.login_ip = Rule(
            "login-ip", scaled(settings.limit_login_per_ip, k), 60.0,
            "Too many login attempts from your network; try again {wait}.",
        )  # fmt: skip
        self.login_failures = Rule(
            "login-fail", scaled(settings.limit_login_failures, k), 900.0,
            "This account is locked after too many wrong passwords; try again {wait}, "
            "or ask an operator to set a new password.",
        )  # fmt: skip
        self.conversations = Rule(
            "conv-ip", scaled(settings.limit_conversations_per_ip, k), 600.0,
            "Too many new conversations from your network; try again {wait}.",
        )  # fmt: skip
        self.llm_conversation = Rule(
            "llm-conv", scaled(settings.limit_llm_calls_per_conversation, k), 86400.0, ""
        )
        self.llm_ip = Rule("llm-ip", scaled(settings.limit_llm_calls_per_ip, k), 3600.0, "")
        shared = self.counters if isinstance(self.counters, RedisCounters) else None
        self.sockets = SocketSlots(
            scaled(settings.limit_sockets_per_token, k),
            scaled(settings.limit_sockets_per_ip, k),
            on=self.on,
            redis=shared.redis if shared else None,
            prefix=shared.prefix if shared else "",
        )
        self.sessions_per_account = scaled(settings.sessions_per_account, k) if self.on else 0

    async def _hit(self, rule: Rule, key: str) -> tuple[int, float]:
        """The count after this hit; (0, 0) when Redis is unreachable: a limit that fails
        must not take the service down with it (the failure is logged)."""
        try:
            return await self.counters.hit(f"{rule.name}:{key}", rule.window)
        except (RedisError, OSError) as exc:
            log.warning("limit %s not counted: %s", rule.name, type(exc).__name__)
            return 0, 0.0

    async def charge(self, rule: Rule, key: str) -> None:
        """Count one hit; TooMany (429, Retry-After) beyond the rule's limit."""
        if not self.on:
            return
        count, wait = await self._hit(rule, key)
        if count > rule.limit:
            raise TooMany(rule.sentence.format(wait=wait_words(wait)), wait)

    async def check_login(self, email: str, ip: str) -> None:
        """Before a password is verified: the IP's rate, and the account's lockout."""
        if not self.on:
            return
        await self.charge(self.login_ip, ip)
        try:
            failures, wait = await self.counters.peek(f"{self.login_failures.name}:{email}")
        except (RedisError, OSError):
            return
        if failures >= self.login_failures.limit:
            raise TooMany(self.login_failures.sentence.format(wait=wait_words(wait)), wait)

    async def login_failed(self, email: str) -> None:
        """Count a wrong password; at the limit the account stays locked `lockout` seconds."""
        if not self.on:
            return
        failures, _ = await self._hit(self.login_failures, email)
        if failures >= self.login_failures.limit:
            with contextlib.suppress(RedisError, OSError):
                await self.counters.hold(f"{self.login_failures.name}:{email}", self.lockout)

    async def login_succeeded(self, email: str) -> None:
        if self.on:
            with contextlib.suppress(RedisError, OSError):
                await self.counters.clear(f"{self.login_failures.name}:{email}")

    async def llm_call(self, conversation_id: str, ip: str | None) -> str | None:
        """Spend one LLM call of the conversation's and the IP's budgets; None while both
        last, otherwise which one ran out ('conversation' or 'ip')."""
        if not self.on:
            return None
        spent, _ = await self._hit(self.llm_conversation, conversation_id)
        if spent > self.llm_conversation.limit:
            return "conversation"
        if ip and (await self._hit(self.llm_ip, ip))[0] > self.llm_ip.limit:
            return "ip"
        return None

    async def close(self) -> None:
        if isinstance(self.counters, RedisCounters):
            await self.counters.close()
