"""The pages are served from our origin with strict security headers."""

from __future__ import annotations

import httpx
import pytest

PAGES = [
    ("/", "Velora Bikes"),
    ("/widget", 'id="composer"'),
    ("/console", "agent console"),
    ("/admin", "operator console"),
]


def _csp(response: httpx.Response) -> dict[str, str]:
    directives = response.headers["content-security-policy"].split(";")
    return {
        d.strip().split(" ", 1)[0]: d.strip().partition(" ")[2] for d in directives if d.strip()
    }


@pytest.mark.parametrize(("path", "marker"), PAGES)
async def test_page_is_html_with_security_headers(
    client: httpx.AsyncClient, path: str, marker: str
) -> None:
    r = await client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert marker in r.text
    csp = _csp(r)
    assert csp["default-src"] == "'self'"
    assert csp["object-src"] == "'none'"
    assert csp["base-uri"] == "'none'"
    assert "'unsafe-inline'" not in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


async def test_consoles_cannot_be_framed(client: httpx.AsyncClient) -> None:
    for path in ("/console", "/admin"):
        assert _csp(await client.get(path))["frame-ancestors"] == "'none'"


async def test_widget_frame_is_embeddable_by_allowed_origins_only(
    client: httpx.AsyncClient,
) -> None:
    ancestors = _csp(await client.get("/widget"))["frame-ancestors"].split()
    assert ancestors == ["'self'", "http://127.0.0.1", "http://localhost"]


async def test_widget_js_is_javascript(client: httpx.AsyncClient) -> None:
    r = await client.get("/widget.js")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/javascript")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "/widget" in r.text and "iframe" in r.text
    assert "/api/" not in r.text  # the host page never talks to the API, so never holds a token


async def test_pages_load_nothing_from_other_origins(client: httpx.AsyncClient) -> None:
    for path, _ in PAGES:
        html = (await client.get(path)).text
        assert "http://" not in html.replace("https://YOUR-TANDEM-HOST", "")
        assert "<style" not in html and " style=" not in html and "onclick=" not in html


async def test_static_assets_are_served(client: httpx.AsyncClient) -> None:
    for path in (
        "/static/shared/api.js",
        "/static/widget/widget.js",
        "/static/console/console.js",
        "/static/admin/admin.js",
    ):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert "javascript" in r.headers["content-type"]
        assert ".innerHTML" not in r.text


def test_the_pages_ship_inside_the_package() -> None:
    """An installed wheel serves the pages from any folder: they are package data of
    `frontend`, and every file a page loads is covered by the wheel's patterns."""
    import tomllib
    from pathlib import Path

    import frontend

    root = Path(__file__).resolve().parent.parent
    config = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    assert "frontend*" in setuptools["packages"]["find"]["include"]
    patterns = setuptools["package-data"]["frontend"]
    shipped = {p for pattern in patterns for p in frontend.FILES.glob(pattern)}
    files = {p for p in frontend.FILES.rglob("*") if p.is_file() and p.suffix != ".py"}
    files -= {p for p in files if "__pycache__" in p.parts}
    assert files and files <= shipped, sorted(str(p) for p in files - shipped)
    assert (frontend.FILES / "widget" / "index.html").is_file()
