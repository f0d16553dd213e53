"""The API reference pages, /docs (Swagger UI) and /redoc, with every asset from this server.

Their scripts, styles and icon are the ones the fastapi-offline wheel ships. A content-security
policy keeps each page to this origin: ReDoc's side menu would fetch its maker's logo from a
CDN, and the browser refuses it (the menu then shows the words without the logo).
"""

from __future__ import annotations

import re
from base64 import b64encode
from hashlib import sha256
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

ASSETS = Path(fastapi_offline.__file__).resolve().parent / "static"
PREFIX = "/docs/assets"
FAVICON = f"{PREFIX}/favicon.png"


def content_security_policy(inline_scripts: list[str]) -> str:
    """This origin only; the page's own inline scripts by hash, never any other."""
    hashes = " ".join(
        f"'sha256-{b64encode(sha256(s.encode()).digest()).decode()}'" for s in inline_scripts
    )
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {hashes}".strip(),
            "style-src 'self' 'unsafe-inline'",  # both UIs style their elements inline
            "img-src 'self' data:",
            "worker-src 'self' blob:",  # ReDoc's search index runs in a worker
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _confined(page: HTMLResponse) -> HTMLResponse:
    scripts = re.findall(r"<script>(.*?)</script>", bytes(page.body).decode(), flags=re.S)
    page.headers["Content-Security-Policy"] = content_security_policy(scripts)
    page.headers["X-Content-Type-Options"] = "nosniff"
    page.headers["Referrer-Policy"] = "no-referrer"
    return page


def install(app: FastAPI) -> None:
    """Mount the assets and add both pages (create_app turns FastAPI's CDN-based ones off)."""
    app.mount(PREFIX, StaticFiles(directory=ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return _confined(
            get_swagger_ui_html(
                openapi_url="/openapi.json",
                title="Tandem API",
                swagger_js_url=f"{PREFIX}/swagger-ui-bundle.js",
                swagger_css_url=f"{PREFIX}/swagger-ui.css",
                swagger_favicon_url=FAVICON,
                swagger_ui_parameters={"validatorUrl": None},  # no badge from a validator site
            )
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return _confined(
            get_redoc_html(
                openapi_url="/openapi.json",
                title="Tandem API",
                redoc_js_url=f"{PREFIX}/redoc.standalone.js",
                redoc_favicon_url=FAVICON,
                with_google_fonts=False,
            )
        )
