"""Typed errors and the one handler that turns them into `{"error", "detail"}` responses."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("tandem.errors")


class TandemError(Exception):
    """Base class: carries the HTTP status, a short machine code and a human sentence."""

    status = 400
    code = "bad_request"
    headers: dict[str, str] | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(TandemError):
    status = 404
    code = "not_found"


class Unauthorized(TandemError):
    status = 401
    code = "unauthorized"


class Forbidden(TandemError):
    status = 403
    code = "forbidden"


class Conflict(TandemError):
    status = 409
    code = "conflict"


class Invalid(TandemError):
    status = 422
    code = "invalid"


class TooMany(TandemError):
    """A limit was reached: the sentence says which, `Retry-After` when to come back."""

    status = 429
    code = "rate_limited"

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = max(1, math.ceil(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}


# --- The database out of reach ---------------------------------------------------------------

RETRY_AFTER_SECONDS = 5
UNREACHABLE_DETAIL = "The service cannot reach its database right now; try again in a few seconds."
# What SQLAlchemy and asyncpg raise while PostgreSQL is down, restarting or unreachable (and
# SQLite while its file is locked); handled by `database_down`, which checks the details.
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    sa.DBAPIError,  # OperationalError, InterfaceError... (a bad query too: see database_down)
    sa.TimeoutError,  # no pooled connection came free in time
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    ConnectionError,  # refused or reset while connecting
)
_DOWN_WORDS = ("connect", "closed", "terminat", "shutting down", "locked", "unable to open")


def database_down(exc: BaseException) -> bool:
    """Whether an error means the database is out of reach for now (not a bad query)."""
    if isinstance(exc, sa.DBAPIError):
        if exc.connection_invalidated:
            return True
        orig = exc.orig if exc.orig is not None else exc
        if isinstance(orig, (ConnectionError, asyncpg.PostgresConnectionError)):
            return True
        return any(word in str(orig).lower() for word in _DOWN_WORDS)
    return isinstance(exc, DATABASE_ERRORS)


def _body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


def _path(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """`("body", "policy", "min_confidence")` -> `policy.min_confidence`, as the page names it."""
    return ".".join(str(p) for p in loc if p not in ("body", "query", "path")) or "body"


# Pydantic's messages, said as sentences a person reads next to the field.
_SENTENCES = {
    "missing": "This is required.",
    "extra_forbidden": "This field is not known here.",
    "int_parsing": "Enter a whole number.",
    "int_from_float": "Enter a whole number.",
    "float_parsing": "Enter a number.",
    "bool_parsing": "Enter true or false.",
    "date_from_datetime_parsing": "Enter a date as YYYY-MM-DD.",
    "date_parsing": "Enter a date as YYYY-MM-DD.",
    "string_type": "Enter text.",
    "list_type": "Enter a list.",
    "dict_type": "Enter a set of named values.",
    "json_invalid": "The request body is not valid JSON.",
}


def sentence(err: Mapping[str, Any]) -> str:
    """One pydantic error as a sentence: 'Must be at most 1.' rather than 'Input should be…'."""
    kind = str(err.get("type", ""))
    ctx = err.get("ctx") or {}
    if kind in _SENTENCES:
        return _SENTENCES[kind]
    bounds = {
        "greater_than_equal": ("at least", "ge"),
        "greater_than": ("more than", "gt"),
        "less_than_equal": ("at most", "le"),
        "less_than": ("less than", "lt"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        return f"Must be {words} {ctx.get(key)}."
    if kind == "string_too_short":
        n = ctx.get("min_length", 1)
        return "This must not be empty." if n == 1 else f"Use at least {n} characters."
    if kind == "string_too_long":
        return f"Use at most {ctx.get('max_length')} characters."
    if kind in ("too_short", "too_long"):
        return f"This list must have {ctx.get('min_length', 0)} to {ctx.get('max_length')} items."
    if kind == "literal_error" or kind == "enum":
        return f"Choose one of {ctx.get('expected')}."
    if kind == "value_error":  # our own validators' messages: already sentences
        text = str(ctx.get("error") or err.get("msg", "")).removeprefix("Value error, ")
        return text[:1].upper() + text[1:] + ("" if text.endswith(".") else ".")
    return str(err.get("msg", "This value is invalid.")).rstrip(".") + "."


def fields(exc: RequestValidationError) -> list[dict[str, str]]:
    """Each problem with the path of the field it concerns, for the page to show beside it."""
    return [{"path": _path(e.get("loc", ())), "message": sentence(e)} for e in exc.errors()]


def _describe(exc: RequestValidationError) -> str:
    problems = fields(exc)
    if any(e.get("type") == "json_invalid" for e in exc.errors()):
        return "The request body is not valid JSON."
    parts = [f"{p['path']}: {p['message']}" for p in problems[:5]]
    return " ".join(parts) or "The request is invalid."


def install(app: FastAPI) -> None:
    """Register the handlers; nothing else in the app builds error responses."""

    @app.exception_handler(TandemError)
    async def _tandem(_: Request, exc: TandemError) -> JSONResponse:
        return JSONResponse(
            _body(exc.code, exc.detail), status_code=exc.status, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        body: dict[str, Any] = {**_body("invalid", _describe(exc)), "fields": fields(exc)}
        return JSONResponse(body, status_code=422)

    async def _database(_: Request, exc: Exception) -> JSONResponse:
        if not database_down(exc):
            raise exc  # a real fault: the server's 500, and its traceback in the log
        log.warning("database unreachable: %s", type(exc).__name__)
        return JSONResponse(
            _body("unavailable", UNREACHABLE_DETAIL),
            status_code=503,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    for kind in DATABASE_ERRORS:
        app.add_exception_handler(kind, _database)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            _body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )
