"""The pages: the demo page, the embeddable widget, the agent and operator consoles.

Every page is a static file from `frontend/`, sent with strict security headers: scripts and
styles only from our origin, nothing framed except the widget (by the allowed origins).
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

import frontend

FRONTEND = frontend.FILES  # inside the package: the pages work from any install

router = APIRouter(include_in_schema=False)


def content_security_policy(frame_ancestors: str, style_src: str = "'self'") -> str:
    """Everything from our own origin; no plugins, no <base>, framing as given."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src {style_src}",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def security_headers(frame_ancestors: str = "'none'", style_src: str = "'self'") -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(frame_ancestors, style_src),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
        "Cache-Control": "no-store",
    }


@lru_cache(maxsize=16)
def _read(relative: str) -> str:
    return (FRONTEND / relative).read_text(encoding="utf-8")


def _html(relative: str, frame_ancestors: str = "'none'") -> HTMLResponse:
    return HTMLResponse(_read(relative), headers=security_headers(frame_ancestors))


def widget_frame_ancestors(request: Request) -> str:
    """The sites allowed to embed the widget: the configured origins (and us), or anyone."""
    settings = request.app.state.services.settings
    origins: list[str] = list(settings.origins)
    return " ".join(["'self'", *origins]) if origins else "*"


@router.get("/", response_class=HTMLResponse)
async def demo() -> HTMLResponse:
    """A demo shop page with the widget embedded by its one-line script."""
    return _html("demo/index.html", "'self'")


@router.get("/widget", response_class=HTMLResponse)
async def widget(request: Request) -> HTMLResponse:
    """The chat itself, framed by the embed script so the conversation token stays here."""
    return _html("widget/index.html", widget_frame_ancestors(request))


@router.get("/widget.js")
async def widget_js() -> Response:
    """The embed: `<script src="https://HOST/widget.js" defer></script>` on any page."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "public, max-age=300",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    return Response(_embed(), media_type="text/javascript", headers=headers)


@lru_cache(maxsize=1)
def _embed() -> str:
    """The launcher's labels (the widget's own table) and the embed, in one function scope so
    that nothing but `__tandemWidget` lands on the host page."""
    return f"(function () {{\n{_read('widget/i18n.js')}\n{_read('widget/embed.js')}}})();\n"


@router.get("/console", response_class=HTMLResponse)
async def console() -> HTMLResponse:
    """The agent console."""
    return _html("console/index.html")


@router.get("/admin", response_class=HTMLResponse)
async def admin() -> HTMLResponse:
    """The operator console."""
    return _html("admin/index.html")
