"""The knowledge base: files parsed and chunked, documents stored, replaced and deleted."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import knowledge
from app.db import create_engine, sessionmaker
from app.embeddings import Embedder
from app.errors import Invalid
from app.models import Chunk, Document, KnowledgeVersion

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
async def sessions(kb_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(kb_url)
    yield sessionmaker(engine)
    await engine.dispose()


async def _version(s: AsyncSession) -> int:
    return (await s.scalar(select(KnowledgeVersion.version).where(KnowledgeVersion.id == 1))) or 0


async def _chunks(s: AsyncSession, document_id: int) -> list[Chunk]:
    rows = await s.scalars(select(Chunk).where(Chunk.document_id == document_id))
    return list(rows)


# --- parsing -------------------------------------------------------------------------------


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_markdown_title_sections_lists_and_tables(tmp_path: Path) -> None:
    source = (
        "Intro line.\n\n# Shipping *fast*\n\nWe ship daily.\n\n## Costs\n\n"
        "| Zone | Price |\n|---|---|\n| EU | €7.95 |\n\n### Express\n\n- next day\n- €9.95\n"
    )
    doc = knowledge.parse(_write(tmp_path, "ship.md", source))
    assert doc.title == "Shipping fast"
    assert [s.heading for s in doc.sections] == [
        "",
        "",
        "Costs",
        f"Costs{knowledge.SEPARATOR}Express",
    ]
    assert doc.sections[2].blocks == ("EU — Price: €7.95",)
    assert doc.sections[3].blocks == ("- next day\n- €9.95",)
    assert doc.text.startswith("# Shipping fast\n\nIntro line.")


@pytest.mark.parametrize(
    ("name", "source", "title"),
    [
        ("faq.md", "## Only a second level\n\ntext", "Only a second level"),
        ("opening_hours-2024.md", "no heading at all", "Opening hours 2024"),
        ("returns_policy.txt", "# not a heading in plain text\n\nBody.", "Returns policy"),
        ("p.html", "<title>Site | Pay</title><h2>Sub</h2><p>Cards.</p><h1>Pay</h1>", "Pay"),
        ("p.html", "<html><head><title>Payment</title></head><h2>Sub</h2>Cards.</html>", "Payment"),
        ("contact-us.htm", "<p>Call us.</p>", "Contact us"),
    ],
)
def test_title_rules(tmp_path: Path, name: str, source: str, title: str) -> None:
    assert knowledge.parse(_write(tmp_path, name, source)).title == title


def test_plain_text_paragraphs(tmp_path: Path) -> None:
    doc = knowledge.parse(_write(tmp_path, "notes.txt", "First  para\nline two.\n\n\nSecond."))
    assert doc.sections[0].blocks == ("First para\nline two.", "Second.")


def test_html_drops_scripts_styles_navigation_and_comments(tmp_path: Path) -> None:
    source = """<html><head><style>p { color: red }</style><script>var secret = 1;</script>
      </head><body><nav><a href="/">Home</a></nav><!-- hidden -->
      <h1>Warranty</h1><p>Two <b>years</b> of cover.</p>
      <h2>Claims</h2><ul><li>Order number</li><li>Photos</li></ul>
      <table><tr><th>Part</th><th>Years</th></tr><tr><td>Frame</td><td>5</td></tr></table>
      <noscript>Enable JS</noscript></body></html>"""
    doc = knowledge.parse(_write(tmp_path, "w.html", source))
    assert doc.title == "Warranty"
    for noise in ("color", "secret", "Home", "hidden", "Enable JS"):
        assert noise not in doc.text
    assert doc.sections[0].blocks == ("Two years of cover.",)
    assert doc.sections[1].heading == "Claims"
    assert doc.sections[1].blocks == ("- Order number\n- Photos", "Frame — Years: 5")


def test_unsupported_file_type(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match=r"x\.docx: \.docx files are not supported"):
        knowledge.parse(_write(tmp_path, "x.docx", "PK"))


# --- chunking ------------------------------------------------------------------------------


def test_chunks_keep_headings_and_stay_within_bounds(tmp_path: Path) -> None:
    long_paragraph = " ".join(f"Sentence {i} is about spokes and rims." for i in range(120))
    source = f"# Wheels\n\n## Building\n\n{long_paragraph}\n\n## Short\n\nOnly a few words here.\n"
    drafts = knowledge.chunk(knowledge.parse(_write(tmp_path, "w.md", source)))
    building = [d for d in drafts if d.heading == "Building"]
    assert len(building) >= 3
    assert all(40 <= len(d.text.split()) <= 250 for d in building)
    assert drafts[-1] == knowledge.ChunkDraft("Short", "Only a few words here.")


def test_a_sentence_without_ends_is_cut_at_words() -> None:
    doc = knowledge.parse_markdown("# T\n\n" + "word " * 600, "fallback")
    sizes = [len(d.text.split()) for d in knowledge.chunk(doc)]
    assert sum(sizes) == 600 and max(sizes) <= 250


def test_demo_documents_chunk_sensibly() -> None:
    for path in sorted(knowledge.DEMO_DIR.glob("*.md")):
        doc = knowledge.parse(path)
        drafts = knowledge.chunk(doc)
        assert doc.title and not doc.title.endswith(".md")
        assert len(drafts) >= 3, path.name
        assert all(10 <= len(d.text.split()) <= 250 for d in drafts), path.name
        assert sum(bool(d.heading) for d in drafts) >= len(drafts) - 1, path.name


# --- storage -------------------------------------------------------------------------------


async def test_ingest_stores_embedded_chunks_and_bumps_version(
    sessions: Sessions, embedder: Embedder
) -> None:
    async with sessions() as s:
        before = await _version(s)
        doc = await knowledge.ingest(
            s, "test:pay", "Paying", "# Paying\n\n## Cards\n\nVisa.", embedder
        )
        assert await _version(s) == before + 1
        chunks = await _chunks(s, doc.id)
    assert doc.title == "Paying" and doc.source == "test:pay"
    assert [(c.ordinal, c.heading, c.text) for c in chunks] == [(0, "Cards", "Visa.")]
    vector = np.frombuffer(chunks[0].embedding or b"", dtype="<f4")
    assert vector.shape == (embedder.dim,)
    assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-3


async def test_reingest_replaces_document_and_chunks(sessions: Sessions) -> None:
    async with sessions() as s:
        first = await knowledge.ingest(s, "test:hours", "Hours", "Open 9 to 5.", None)
        version = await _version(s)
        second = await knowledge.ingest(
            s, "test:hours", "Hours", "Open 8 to 6.\n\nClosed Sundays.", None
        )
        assert await _version(s) == version + 1
        chunks = await _chunks(s, second.id)
        count = await s.scalar(select(func.count()).where(Document.source == "test:hours"))
    assert second.id == first.id and count == 1
    assert [c.text for c in chunks] == ["Open 8 to 6.\n\nClosed Sundays."]
    assert all(c.embedding is None for c in chunks)


async def test_delete_document_bumps_version_only_when_found(sessions: Sessions) -> None:
    async with sessions() as s:
        doc = await knowledge.ingest(s, "test:gone", "Gone", "Soon deleted.", None)
        version = await _version(s)
        assert await knowledge.delete_document(s, doc.id) is True
        assert await _version(s) == version + 1
        assert await _chunks(s, doc.id) == []
        assert await knowledge.delete_document(s, doc.id) is False
        assert await _version(s) == version + 1


async def test_ingest_path_uses_the_resolved_path_and_lists_documents(
    sessions: Sessions, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write(tmp_path, "gift_cards.md", "Gift cards are valid for 3 years.")
    monkeypatch.chdir(tmp_path)
    async with sessions() as s:
        first = await knowledge.ingest_path(s, Path("gift_cards.md"), None)
        again = await knowledge.ingest_path(s, path, None)
        listed = {d.id: d for d in await knowledge.list_documents(s)}
    assert first.id == again.id and first.source == str(path.resolve())
    assert listed[first.id].title == "Gift cards" and listed[first.id].chunks == 1


async def test_a_path_that_cannot_be_opened_is_invalid(sessions: Sessions, tmp_path: Path) -> None:
    async with sessions() as s:
        with pytest.raises(Invalid, match="it cannot be opened"):
            await knowledge.ingest_path(s, tmp_path, None)


async def test_sources_must_fit(sessions: Sessions) -> None:
    async with sessions() as s:
        with pytest.raises(Invalid):
            await knowledge.ingest(s, "x" * 501, "T", "text", None)
