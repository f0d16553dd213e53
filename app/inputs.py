"""One input rule for every string and integer a client sends, in paths, queries, JSON bodies
and websocket frames: no NUL and no lone surrogate in text (PostgreSQL cannot store either),
and integers within what the database holds (PostgreSQL INTEGER, 32-bit signed).

`InputGuard` applies the rule to every HTTP request and websocket handshake before routing, so
no route can forget it; `DbInt` bounds the integers of paths and queries (a query value is text
until its route says it is a number); `frames.parse` applies `problem` to websocket frames.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any
from urllib.parse import parse_qsl

from annotated_types import Ge, Le
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
DbInt = Annotated[int, Ge(INT_MIN), Le(INT_MAX)]
# Decoded JSON joins surrogate pairs, so any surrogate left in a str is a lone one.
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
_JSON_TYPES = ("application/json", "+json")


def text_problem(text: str) -> str | None:
    """Why this text cannot be accepted, as a sentence; None when it can."""
    found = _UNSAFE_TEXT.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "Remove the NUL character (\\u0000): text may not contain it."
    return "Remove the unpaired surrogate (\\ud800 to \\udfff): it is not a character."


def problem(value: Any, where: str = "") -> tuple[str, str] | None:
    """The first value in decoded JSON that breaks the rule: (field path, sentence)."""
    if isinstance(value, str):
        sentence = text_problem(value)
        return (where or "body", sentence) if sentence else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
        return where or "body", f"Must be between {INT_MIN} and {INT_MAX}."
    if isinstance(value, float) and not math.isfinite(value):
        return where or "body", "Enter a finite number."
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            found = problem(str(key), path) or problem(item, path)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = problem(item, f"{where}.{index}" if where else str(index))
            if found:
                return found
    return None


def _invalid(where: str, sentence: str) -> JSONResponse:
    """The same shape as every other 422 (app/errors.py)."""
    body = {
        "error": "invalid",
        "detail": f"{where}: {sentence}",
        "fields": [{"path": where, "message": sentence}],
    }
    return JSONResponse(body, status_code=422)


def _path_name(scope: Scope) -> str:
    """The name of the path parameter that holds the bad text (from the OpenAPI templates,
    which name every documented route's parameters), or 'path'."""
    segments = scope["path"].split("/")
    for template in scope["app"].openapi().get("paths", {}):
        parts = template.split("/")
        if len(parts) != len(segments):
            continue
        names = {p[1:-1]: s for p, s in zip(parts, segments, strict=True) if p.startswith("{")}
        if all(p == s or p.startswith("{") for p, s in zip(parts, segments, strict=True)):
            for name, value in names.items():
                if text_problem(value):
                    return str(name)
    return "path"


class InputGuard:
    """ASGI middleware: the rule on the path, the query and JSON bodies of every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        found = self._url_problem(scope)
        if found is None and scope["type"] == "http" and self._is_json(scope):
            body, receive = await _buffered(receive)
            found = _json_problem(body)
        if found is None:
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # refused: 403
        else:
            await _invalid(*found)(scope, receive, send)

    @staticmethod
    def _url_problem(scope: Scope) -> tuple[str, str] | None:
        found = text_problem(scope["path"])
        if found:
            return _path_name(scope), found
        query = scope.get("query_string", b"").decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True):
            found = text_problem(name) or text_problem(value)
            if found:
                return (name if text_problem(name) is None else "query"), found
        return None

    @staticmethod
    def _is_json(scope: Scope) -> bool:
        kind = Request(scope).headers.get("content-type", "").split(";")[0].strip().lower()
        return kind.endswith(_JSON_TYPES)


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a `receive` that hands it on to the app unchanged."""
    chunks: list[bytes] = []
    message: Message = {"type": "http.request", "more_body": True}
    while message.get("more_body", False):
        message = await receive()
        if message["type"] != "http.request":
            break  # the client left: let the app see the disconnect
        chunks.append(message.get("body", b""))
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay


def _json_problem(body: bytes) -> tuple[str, str] | None:
    try:
        return problem(json.loads(body))
    except (ValueError, RecursionError):
        return None  # not JSON (or absurdly deep): the route's own validation says so
