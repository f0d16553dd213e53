"""Typed errors and the one handler that turns them into `{"error", "detail"}` responses."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("tandem.errors")


class TandemError(Exception):
    """Base class: carries the HTTP status, a short machine code and a human sentence."""

    status = 400
    code = "bad_request"

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
    status = 429
    code = "rate_limited"


def _body(code: str, detail: str) -> dict[str, str]:
    return {"error": code, "detail": detail}


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        msg = str(err.get("msg", "is invalid"))
        if err.get("type") == "json_invalid":
            return "The request body is not valid JSON."
        parts.append(f"{where}: {msg}")
    return "; ".join(parts) or "The request is invalid."


def install(app: FastAPI) -> None:
    """Register the handlers; nothing else in the app builds error responses."""

    @app.exception_handler(TandemError)
    async def _tandem(_: Request, exc: TandemError) -> JSONResponse:
        return JSONResponse(_body(exc.code, exc.detail), status_code=exc.status)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(_body("invalid", _describe(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(
            _body(code, str(exc.detail)), status_code=exc.status_code, headers=exc.headers
        )
