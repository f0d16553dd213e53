"""The LLM behind an OpenAI-compatible API: streamed drafts with hard budgets and a breaker.

The SDK's own defaults (600 s, two retries) would strand a customer, so every call is one
attempt inside a first-token, a between-tokens and a turn budget, a stream that ends before
`finish_reason` or `[DONE]` is a failure, and repeated failures open a circuit breaker that
sends customers to a person at once until a probe succeeds.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx2  # the HTTP library under openai 3.x: its transport errors surface here
import openai
from openai import AsyncOpenAI

from app.settings import Settings

log = logging.getLogger("tandem.llm")

OnDelta = Callable[[str], Awaitable[None]]


@dataclass(frozen=True)
class Draft:
    """A finished answer as the model wrote it (not yet checked)."""

    text: str
    logprobs: list[float] | None
    model: str
    seconds: float


class LLMUnavailable(Exception):
    """The model did not answer within budget, failed, or the breaker is open."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass
class CircuitBreaker:
    """Closed → open after `threshold` consecutive failures → half-open probe after `cooldown`."""

    threshold: int = 5
    cooldown: float = 30.0
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False
    clock: Callable[[], float] = field(default=time.monotonic)

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.cooldown else "open"

    def allow(self) -> bool:
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self.probing:
            self.probing = True  # exactly one probe call at a time
            return True
        return False

    def success(self) -> None:
        self.failures, self.opened_at, self.probing = 0, None, False

    def failure(self) -> None:
        self.failures += 1
        self.probing = False
        if self.opened_at is not None or self.failures >= self.threshold:
            self.opened_at = self.clock()


class LLM:
    """One client per process, created in the lifespan."""

    def __init__(self, settings: Settings) -> None:
        self.model = settings.llm_model
        self.max_tokens = settings.llm_max_tokens
        self.first_token_timeout = settings.llm_first_token_timeout
        self.stall_timeout = settings.llm_stall_timeout
        self.turn_timeout = settings.llm_turn_timeout
        timeout = openai.Timeout(
            connect=settings.llm_connect_timeout,
            read=settings.llm_first_token_timeout,
            write=5.0,
            pool=2.0,
        )
        self.client = AsyncOpenAI(
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key or "not-needed",
            timeout=timeout,
            max_retries=0,
        )
        self.breaker = CircuitBreaker()
        self.ask_logprobs = True

    async def close(self) -> None:
        await self.client.close()

    async def draft(self, messages: list[dict[str, str]], on_delta: OnDelta | None = None) -> Draft:
        """Stream one answer; raise LLMUnavailable on timeout, error or an open breaker."""
        if not self.breaker.allow():
            raise LLMUnavailable("circuit breaker open after repeated failures")
        deadline = time.monotonic() + self.turn_timeout
        try:
            draft = await self._with_retry(messages, on_delta, deadline)
        except LLMUnavailable:
            self.breaker.failure()
            raise
        self.breaker.success()
        return draft

    async def complete(self, messages: list[dict[str, str]], budget: float) -> Draft:
        """One answer in a single response: for work nobody watches being written (summaries)."""
        if not self.breaker.allow():
            raise LLMUnavailable("circuit breaker open after repeated failures")
        start = time.monotonic()
        try:
            async with asyncio.timeout(budget):
                response = await self.client.chat.completions.create(
                    model=self.model,
                    messages=messages,  # type: ignore[arg-type]
                    max_tokens=self.max_tokens,
                    temperature=0.2,
                    store=False,
                )
            text = (response.choices[0].message.content or "").strip() if response.choices else ""
            if not text:
                raise ValueError("empty answer")
        except (TimeoutError, openai.APIError, httpx2.HTTPError, OSError, ValueError) as exc:
            self.breaker.failure()
            raise LLMUnavailable(f"the language model failed ({type(exc).__name__})") from exc
        self.breaker.success()
        return Draft(text, None, self.model, time.monotonic() - start)

    async def _with_retry(
        self, messages: list[dict[str, str]], on_delta: OnDelta | None, deadline: float
    ) -> Draft:
        """One attempt: a retry after a failure would double the customer's wait for a person
        (the only second request is the same one without logprobs, for servers without them)."""
        for _ in (1, 2):
            try:
                async with asyncio.timeout(deadline - time.monotonic()):
                    return await self._stream(messages, on_delta or _ignore)
            except TimeoutError as exc:
                raise LLMUnavailable(f"the language model did not answer in time ({exc})") from exc
            except openai.BadRequestError as exc:
                if self.ask_logprobs and "logprob" in str(exc).lower():
                    self.ask_logprobs = False  # this server does not do logprobs; ask without
                    continue
                raise LLMUnavailable(
                    f"the language model refused the request ({exc.status_code})"
                ) from exc
            except (openai.APIError, httpx2.HTTPError, OSError, ValueError) as exc:
                raise LLMUnavailable(f"the language model failed ({type(exc).__name__})") from exc
        raise LLMUnavailable("the language model refused the request twice")

    async def _stream(self, messages: list[dict[str, str]], on_delta: OnDelta) -> Draft:
        start = time.monotonic()
        extra: dict[str, Any] = {"logprobs": True} if self.ask_logprobs else {}
        # The raw event stream, read with json.loads: the SDK's parsed stream builds pydantic
        # models for every token, which cost more CPU than all our per-token work (about
        # 0.4 ms a chunk here). The SDK still builds the request and maps HTTP errors.
        async with self.client.chat.completions.with_streaming_response.create(
            model=self.model,
            messages=messages,  # type: ignore[arg-type]
            stream=True,
            max_tokens=self.max_tokens,
            temperature=0.2,
            store=False,  # ask the provider not to keep the request where the API allows
            **extra,
        ) as response:  # leaving closes it: a timed-out or broken stream keeps no connection
            return await self._read(response.iter_lines(), on_delta, start)

    async def _read(self, lines: AsyncIterator[str], on_delta: OnDelta, start: float) -> Draft:
        parts: list[str] = []
        logprobs: list[float] = []
        events = _sse_data(lines).__aiter__()
        first, finished = True, False
        while True:
            try:
                wait = self.first_token_timeout if first else self.stall_timeout
                data = await asyncio.wait_for(events.__anext__(), wait)
            except StopAsyncIteration:
                break
            except TimeoutError as exc:
                raise TimeoutError("no first token" if first else "the stream stalled") from exc
            first = False
            if data.startswith("[DONE]"):
                finished = True
                async for _ in events:  # the rest of the body, so the connection is reused
                    pass
                break
            chunk = json.loads(data)
            if not isinstance(chunk, dict) or chunk.get("error"):
                raise ValueError("the stream carried an error")
            for choice in chunk.get("choices") or ():
                finished = finished or bool(choice.get("finish_reason"))
                delta = (choice.get("delta") or {}).get("content") or ""
                if delta:
                    parts.append(delta)
                    await on_delta(delta)
                for token in (choice.get("logprobs") or {}).get("content") or ():
                    value = token.get("logprob")
                    if isinstance(value, int | float) and math.isfinite(value):
                        logprobs.append(float(value))
        if not finished:  # cut off mid-answer: "E-bikes are delivered by our" is no answer
            raise ValueError("the stream ended without finish_reason or [DONE]")
        text = "".join(parts).strip()
        if not text:
            raise ValueError("empty answer")
        return Draft(text, logprobs or None, self.model, time.monotonic() - start)


async def _sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The data of each server-sent event (its `data:` lines joined), in order."""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            value = line[5:]
            data.append(value[1:] if value.startswith(" ") else value)
        # event names, ids, retry hints and comments carry nothing we use
    if data:
        yield "\n".join(data)


async def _ignore(_: str) -> None:
    return None
