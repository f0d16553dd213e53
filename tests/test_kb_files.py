"""Files added through the operator API are parsed as `tandem kb ingest` parses them: HTML by its
structure, PDF by its text layer, and a file that cannot be read gets a 422 saying why."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator

import httpx
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app import formats, knowledge
from app.db import create_engine, sessionmaker
from app.errors import Invalid
from app.formats import Format
from app.models import Chunk, Document
from tests.conftest import Chat
from tests.pdf_files import make_pdf
from tests.test_turn_checks import operator

WARRANTY_HTML = b"""<!doctype html><html><head><title>Site | Warranty</title>
<style>body { color: red }</style><script>var trackingSecret = "xyzzy";</script></head>
<body><nav><a href="/">Home</a> <a href="/shop">Shop</a></nav>
<h1>Lantern warranty</h1><p>Every Glowworm lantern has a warranty of four years.</p>
<h2>Claims</h2><p>Send the order number and a photo of the broken lantern.</p>
<h2>Exclusions</h2><ul><li>Broken glass</li><li>Water damage</li></ul>
<script>document.write("injected text")</script></body></html>"""

PDF_LINES = [
    "Lamp repair service",
    "Our workshop repairs Moonbeam desk lamps of any age. A Moonbeam lamp repair",
    "costs €45 and takes three working days, including the return shipment to you.",
    "Bring the lamp to a shop or send it by post.",
]


@pytest.fixture
async def ops(quote_client: httpx.AsyncClient) -> AsyncIterator[dict[str, str]]:
    """An operator's headers; what the test uploaded is deleted afterwards, so the shared
    knowledge base answers the other tests as before."""
    headers = await operator(quote_client)
    before = await _document_ids(quote_client, headers)
    yield headers
    for document_id in await _document_ids(quote_client, headers) - before:
        r = await quote_client.delete(f"/api/v1/admin/kb/documents/{document_id}", headers=headers)
        assert r.status_code == 204


async def _document_ids(http: httpx.AsyncClient, headers: dict[str, str]) -> set[int]:
    r = await http.get("/api/v1/admin/kb/documents", headers=headers)
    return {d["id"] for d in r.json()}


async def upload(
    http: httpx.AsyncClient,
    headers: dict[str, str],
    name: str,
    data: bytes,
    content_type: str = "application/octet-stream",
) -> httpx.Response:
    return await http.post(
        "/api/v1/admin/kb/files",
        params={"name": name},
        content=data,
        headers={**headers, "Content-Type": content_type},
    )


async def _chunks(db_url: str, document_id: int) -> tuple[Document, list[Chunk]]:
    engine = create_engine(db_url)
    async with sessionmaker(engine)() as s:
        doc = await s.get(Document, document_id)
        rows = await s.scalars(
            select(Chunk).where(Chunk.document_id == document_id).order_by(Chunk.ordinal)
        )
        chunks = list(rows)
    await engine.dispose()
    assert doc is not None
    return doc, chunks


# --- through the API, on SQLite and PostgreSQL ---------------------------------------------


async def test_html_headings_become_sections_and_scripts_are_dropped(
    quote_client: httpx.AsyncClient, ops: dict[str, str], db_url: str
) -> None:
    r = await upload(quote_client, ops, "lantern-warranty.html", WARRANTY_HTML, "text/html")
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Lantern warranty"
    assert r.json()["source"] == "upload:lantern-warranty.html"
    doc, chunks = await _chunks(db_url, r.json()["id"])
    assert [(c.heading, c.text) for c in chunks] == [
        ("", "Every Glowworm lantern has a warranty of four years."),
        ("Claims", "Send the order number and a photo of the broken lantern."),
        ("Exclusions", "- Broken glass\n- Water damage"),
    ]
    for noise in ("xyzzy", "injected", "color", "Shop"):
        assert noise not in doc.content


async def test_a_pdf_is_searchable_and_titled_by_its_metadata(
    quote_client: httpx.AsyncClient, ops: dict[str, str], db_url: str
) -> None:
    data = make_pdf([PDF_LINES, []], title="Moonbeam lamp repairs")
    r = await upload(quote_client, ops, "repairs.pdf", data, "application/pdf")
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Moonbeam lamp repairs"
    doc, chunks = await _chunks(db_url, r.json()["id"])
    assert "A Moonbeam lamp repair costs €45" in doc.content  # printed lines joined again
    assert len(chunks) >= 1

    chat = Chat(quote_client)
    await chat.start()
    answer = (await chat.say("How much does a Moonbeam lamp repair cost?"))["messages"][-1]
    assert "€45" in answer["text"]
    assert answer["sources"][0]["document_id"] == r.json()["id"]


@pytest.mark.parametrize(
    ("name", "title", "expected"),
    [
        ("lamps.pdf", None, "Lamp repair service"),  # the first heading-like line
        ("lamps.pdf", "Microsoft Word - lamps.docx", "Lamp repair service"),
        ("lamp_repairs-2026.pdf", "", "Lamp repair service"),
    ],
)
async def test_a_pdf_without_a_real_metadata_title_takes_its_first_heading(
    quote_client: httpx.AsyncClient,
    ops: dict[str, str],
    name: str,
    title: str | None,
    expected: str,
) -> None:
    r = await upload(quote_client, ops, name, make_pdf([PDF_LINES], title=title))
    assert r.status_code == 201, r.text
    assert r.json()["title"] == expected


async def test_a_pdf_without_a_heading_is_titled_by_its_name(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    r = await upload(quote_client, ops, "spare_parts.pdf", make_pdf([PDF_LINES[1:]]))
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Spare parts"


async def test_the_content_type_decides_when_the_name_has_no_extension(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    r = await upload(quote_client, ops, "warranty", WARRANTY_HTML, "text/html; charset=utf-8")
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "Lantern warranty"


BAD_FILES = [
    ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog", "this PDF cannot be read"),
    ("scan.pdf", make_pdf([[], []]), "this PDF has no text layer (scanned?)"),
    ("empty.md", b"", "the file is empty"),
    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", ".exe files are not supported"),
    ("notes.docx", b"PK\x03\x04", ".docx files are not supported"),
    ("latin1.txt", "Café opening hours".encode("latin-1"), "this is not UTF-8 text"),
    ("nul.txt", b"text\x00with a NUL", "this is a binary file"),
    ("blank.html", b"<script>only code</script>   ", "there is no text in it"),
    ("deep.html", b"<div>" * 5000 + b"Deep down.", "it is nested too deeply to read"),
    ("huge.txt", b"a" * (formats.MAX_FILE_BYTES + 1), "the file is larger than the 10 MB limit"),
]


@pytest.mark.parametrize(("name", "data", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
async def test_a_file_that_cannot_be_read_gets_a_422_that_says_why(
    quote_client: httpx.AsyncClient, ops: dict[str, str], name: str, data: bytes, reason: str
) -> None:
    r = await upload(quote_client, ops, name, data)
    assert r.status_code == 422, r.text
    assert r.json() == {"error": "invalid", "detail": r.json()["detail"]}
    assert r.json()["detail"].startswith(f"{name}: {reason}")
    listed = await quote_client.get("/api/v1/admin/kb/documents", headers=ops)
    assert all(d["source"] != f"upload:{name}" for d in listed.json())


async def test_an_unsupported_content_type_and_a_bad_name_are_refused(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    r = await upload(quote_client, ops, "report", b"PK\x03\x04", "application/zip")
    assert r.status_code == 422 and "application/zip files are not supported" in r.text
    r = await upload(quote_client, ops, "a\nb.txt", b"text")
    assert r.status_code == 422 and r.json()["error"] == "invalid"


async def test_only_operators_may_upload(quote_client: httpx.AsyncClient) -> None:
    r = await upload(quote_client, {}, "x.txt", b"Some text.")
    assert r.status_code == 401


# --- the parser on its own ----------------------------------------------------------------


def test_the_test_pdf_has_a_text_layer() -> None:
    pages = PdfReader(io.BytesIO(make_pdf([PDF_LINES, []]))).pages
    assert pages[0].extract_text().splitlines() == PDF_LINES
    assert pages[1].extract_text() == ""


@pytest.mark.parametrize(
    ("name", "content_type", "data", "kind"),
    [
        ("a.MD", None, b"", Format.MARKDOWN),
        ("a.htm", "text/plain", b"", Format.HTML),  # the extension wins
        ("a.pdf", None, b"", Format.PDF),
        ("a.text", None, b"", Format.TEXT),
        ("README", "text/markdown", b"", Format.MARKDOWN),
        ("page", "application/xhtml+xml", b"", Format.HTML),
        ("scan", None, b"%PDF-1.4", Format.PDF),  # neither: the first bytes
        ("notes", "application/octet-stream", b"Plain words", Format.TEXT),
    ],
)
def test_the_format_follows_extension_then_content_type_then_content(
    name: str, content_type: str | None, data: bytes, kind: Format
) -> None:
    assert formats.detect(name, content_type, data) is kind


def test_a_byte_order_mark_is_dropped() -> None:
    doc = knowledge.parse_file("bom.txt", "\ufeffHello there.".encode())
    assert doc.sections[0].blocks == ("Hello there.",)


def test_too_much_text_is_refused() -> None:
    with pytest.raises(Invalid, match="split it into smaller files"):
        knowledge.parse_file("long.txt", b"word " * (formats.MAX_TEXT_CHARS // 4))


def test_a_printed_title_is_not_repeated_in_the_text() -> None:
    doc = knowledge.parse_file("r.pdf", make_pdf([["Returns", "Within 30 days."]], "RETURNS"))
    assert doc.text == "# RETURNS\n\nWithin 30 days."


def test_pdf_lines_become_paragraphs() -> None:
    lines = [
        "Returns",
        "You can return any lamp within thirty days of delivery, as long as it is un-",
        "used and in its box. We refund the price within five working days.",
        "Shipping",
        "Returns are free in the Netherlands and Belgium; elsewhere they cost €9.95.",
    ]
    doc = knowledge.parse_file("returns.pdf", make_pdf([lines]))
    assert doc.title == "Returns"
    assert doc.sections[0].blocks == (
        "You can return any lamp within thirty days of delivery, as long as it is unused and"
        " in its box. We refund the price within five working days.",
        "Shipping",
        "Returns are free in the Netherlands and Belgium; elsewhere they cost €9.95.",
    )
