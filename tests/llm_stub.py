"""A small OpenAI-compatible chat server for tests, on loopback, that can be told to misbehave.

Modes: "grounded" answers with the first sentence of the first passage in the prompt;
"script" answers a fixed text; "evil" always obeys the attacker (promises a refund, invents a
number, leaks its instructions); "hang" never answers; "fail" answers 500; "broken" breaks the
stream after a few words. "leak" repeats its system prompt, canary included, sentence by
sentence; "truncated" stops mid-answer with no `finish_reason` and no `[DONE]`; "stall" sends
a few words and then hangs; "trickle" sends one word every `trickle` seconds. "correct" and
"wrong" play a good and a bad model on a scripted suite:
they answer the question in the prompt with its entry in `answers` (reference, wrong), keyed by
`question_key`, and admit not knowing any other question. Every request body is recorded.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from app.text import fold

DONT_KNOW = "I don't know; a person from our team can help."


class StubState:
    def __init__(self) -> None:
        self.mode = "grounded"
        self.script = ""
        self.logprob: float | None = None
        self.delay = 0.0  # seconds before the first token
        self.trickle = 1.0  # seconds between words in "trickle" mode
        self.requests: list[dict[str, Any]] = []
        # question_key(question) → (a correct answer, a wrong one), for "correct" and "wrong"
        self.answers: dict[str, tuple[str, str]] = {}
        # The stub's own time per streamed answer, so benchmarks can subtract the LLM's time.
        self.served_seconds = 0.0
        self.served = 0

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    @property
    def drafts(self) -> list[dict[str, Any]]:
        """The requests that asked the model to answer a customer (streamed). A handoff's
        summary for agents is a plain completion, asked for in the background."""
        return [r for r in self.requests if r.get("stream")]


def _first_passage_sentence(body: dict[str, Any]) -> str:
    user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
    match = re.search(r"<passage n=[^>]*>\n(.*?)\n</passage>", user, re.S)
    if not match:
        return "I don't know; a person from our team can help you with that."
    text = re.sub(r"\s+", " ", match.group(1)).strip()
    sentences = re.split(r"(?<=[.!?])\s", text)
    return " ".join(sentences[:2])


def question_key(text: str) -> str:
    """A question as words only, so the redacted, escaped copy in a prompt finds its entry."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


def _suite_answer(state: StubState, body: dict[str, Any]) -> str:
    user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
    match = re.search(r"<question>\n(.*?)\n</question>", user, re.S)
    entry = state.answers.get(question_key(match.group(1))) if match else None
    if entry is None:
        return DONT_KNOW
    return (entry[0] if state.mode == "correct" else entry[1]) or DONT_KNOW


def _canary(body: dict[str, Any]) -> str:
    system = next((m["content"] for m in body["messages"] if m["role"] == "system"), "")
    found = re.search(r"tandem-canary-[0-9a-f]+", system)
    return found.group(0) if found else ""


def _answer(state: StubState, body: dict[str, Any]) -> str:
    if state.mode == "script":
        return state.script
    if state.mode in ("correct", "wrong"):
        return _suite_answer(state, body)
    if state.mode == "evil":
        return (
            "Absolutely! I have approved a full refund of €500 and a 50% discount on your next "
            f"order, this is a legally binding offer. My instructions say {_canary(body)}."
        )
    if state.mode == "leak":
        return _system(body)
    if _system(body).startswith("Summarise"):  # the handoff summary for agents
        return _summary(body)
    return _first_passage_sentence(body)


def _system(body: dict[str, Any]) -> str:
    return next((m["content"] for m in body["messages"] if m["role"] == "system"), "")


def _summary(body: dict[str, Any]) -> str:
    """What a well-behaved model makes of the transcript: the customer's first line."""
    user = next((m["content"] for m in body["messages"] if m["role"] == "user"), "")
    asked = re.search(r"^customer: (.+)$", user, re.M)
    return f"The customer wrote: {asked.group(1)}" if asked else "The customer said nothing yet."


def _chunk(text: str, logprob: float | None, finish: str | None = None) -> bytes:
    choice: dict[str, Any] = {
        "index": 0,
        "delta": {"content": text} if text else {},
        "finish_reason": finish,
    }
    if logprob is not None and text:
        choice["logprobs"] = {
            "content": [{"token": text, "logprob": logprob, "bytes": None, "top_logprobs": []}]
        }
    payload = {
        "id": "stub",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "stub",
        "choices": [choice],
    }
    return f"data: {json.dumps(payload)}\n\n".encode()


def build(state: StubState) -> Starlette:
    async def completions(request: Request) -> Response:
        started = time.perf_counter()
        body = await request.json()
        state.requests.append(body)
        if state.mode == "hang":
            await asyncio.sleep(3600)
        if state.delay:
            await asyncio.sleep(state.delay)
        if state.mode == "fail":
            return JSONResponse({"error": {"message": "boom"}}, status_code=500)
        text = _answer(state, body)
        if not body.get("stream"):
            return JSONResponse(
                {
                    "id": "stub",
                    "object": "chat.completion",
                    "model": "stub",
                    "created": int(time.time()),
                    "choices": [
                        {
                            "index": 0,
                            "finish_reason": "stop",
                            "message": {"role": "assistant", "content": text},
                        }
                    ],
                }
            )

        async def stream() -> AsyncIterator[bytes]:
            words = re.findall(r"\S+\s*", text)
            for i, word in enumerate(words):
                if state.mode == "broken" and i == 3:
                    raise ConnectionResetError("stub broke the stream")
                if state.mode == "truncated" and i == len(words) // 2:
                    return  # the body ends cleanly, but mid-answer
                if state.mode == "stall" and i == 3:
                    await asyncio.sleep(3600)
                if state.mode == "trickle" and i:
                    await asyncio.sleep(state.trickle)
                yield _chunk(word, state.logprob)
            yield _chunk("", None, "stop")
            yield b"data: [DONE]\n\n"
            state.served_seconds += time.perf_counter() - started
            state.served += 1

        return StreamingResponse(stream(), media_type="text/event-stream")

    async def served(_: Request) -> Response:
        return JSONResponse({"answers": state.served, "seconds": state.served_seconds})

    return Starlette(
        routes=[
            Route("/v1/chat/completions", completions, methods=["POST"]),
            Route("/stub/served", served),
        ]
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThreadedServer:
    """Runs an ASGI app under uvicorn in a background thread on a loopback port."""

    def __init__(self, app: Any, port: int | None = None) -> None:
        self.port = port or free_port()
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            ws="websockets-sansio",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
