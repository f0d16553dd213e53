"""The knowledge base: documents stored with their embedded passages.

Every change bumps `knowledge_version` in the same transaction, which is how each replica's
retriever notices that it must rebuild its index (see `app.retrieval.Retriever.refresh`).
Parsing and chunking live in `app.documents` and are re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import anyio
import anyio.to_thread
import numpy as np
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.documents import (
    SEPARATOR,
    ChunkDraft,
    ParsedDocument,
    Section,
    chunk,
    humanise,
    parse,
    parse_file,
    parse_html,
    parse_markdown,
    parse_plain,
    passage_text,
)
from app.embeddings import Embedder
from app.errors import Invalid
from app.formats import MAX_FILE_BYTES
from app.models import Chunk, Document, KnowledgeVersion, utcnow

__all__ = [
    "DEMO_DIR",
    "SEPARATOR",
    "ChunkDraft",
    "DocumentInfo",
    "ParsedDocument",
    "Section",
    "chunk",
    "delete_document",
    "ingest",
    "ingest_demo",
    "ingest_file",
    "ingest_path",
    "list_documents",
    "parse",
    "parse_file",
    "parse_html",
    "parse_markdown",
    "parse_plain",
    "passage_text",
]

DEMO_DIR = Path(__file__).resolve().parent / "demo"


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    title: str
    source: str
    chunks: int
    created_at: datetime
    updated_at: datetime


async def ingest(
    session: AsyncSession, source: str, title: str, text: str, embedder: Embedder | None
) -> Document:
    """Store `text` (Markdown or plain text) as `source`'s document, replacing an older one."""
    drafts = chunk(parse_markdown(text, title))
    return await _store(session, source, title, text, drafts, embedder)


async def ingest_file(
    session: AsyncSession,
    name: str,
    data: bytes,
    embedder: Embedder | None,
    source: str,
    content_type: str | None = None,
) -> Document:
    """Ingest one file's bytes as `source`'s document, parsed as `parse_file` reads it."""
    doc = await anyio.to_thread.run_sync(parse_file, name, data, content_type)  # CPU: off the loop
    return await _store(session, source, doc.title, doc.text, chunk(doc), embedder)


async def ingest_path(
    session: AsyncSession, path: Path, embedder: Embedder | None, source: str | None = None
) -> Document:
    """Ingest one file; its resolved path is the source unless one is given."""
    try:
        async with await anyio.open_file(path, "rb") as f:
            data = await f.read(MAX_FILE_BYTES + 1)  # enough to tell that a file is too large
    except OSError as exc:  # a directory, no permission: the CLI says so and goes on
        raise Invalid(f"{path}: it cannot be opened ({exc.strerror})") from None
    source = source or str(await anyio.Path(path).resolve())
    return await ingest_file(session, str(path), data, embedder, source)


async def ingest_demo(session: AsyncSession, embedder: Embedder | None) -> list[Document]:
    """The bundled demo knowledge base (sources `demo:<file>`, so re-running replaces it)."""
    paths = sorted(DEMO_DIR.glob("*.md"))
    return [await ingest_path(session, p, embedder, source=f"demo:{p.name}") for p in paths]


async def _store(
    session: AsyncSession,
    source: str,
    title: str,
    content: str,
    drafts: Sequence[ChunkDraft],
    embedder: Embedder | None,
) -> Document:
    if not source or len(source) > 500:
        raise Invalid("a document source must be 1 to 500 characters")
    title = (" ".join(title.split()) or humanise(source))[:300]
    # Embed before touching the database: no transaction is held while the CPU works.
    vectors = await _embed(title, drafts, embedder)
    doc = await session.scalar(select(Document).where(Document.source == source))
    now = utcnow()
    if doc is None:
        doc = Document(source=source, title=title, content=content, created_at=now, updated_at=now)
        session.add(doc)
        await session.flush()
    else:
        doc.title, doc.content, doc.updated_at = title, content, now
        await session.execute(delete(Chunk).where(Chunk.document_id == doc.id))
    session.add_all(
        Chunk(
            document_id=doc.id,
            ordinal=i,
            heading=d.heading[:300],
            text=d.text,
            embedding=None if vectors is None else vectors[i].tobytes(),
        )
        for i, d in enumerate(drafts)
    )
    await _bump_version(session)
    await session.commit()
    return doc


async def _embed(
    title: str, drafts: Sequence[ChunkDraft], embedder: Embedder | None
) -> np.ndarray | None:
    if embedder is None or not drafts:
        return None
    texts = [passage_text(title, d.heading, d.text) for d in drafts]
    vectors = await anyio.to_thread.run_sync(embedder.passages, texts)
    return np.ascontiguousarray(vectors, dtype="<f4").reshape(len(drafts), embedder.dim)


async def _bump_version(session: AsyncSession) -> None:
    """One atomic upsert, so concurrent writers on any replica never lose an increment."""
    postgres = session.get_bind().dialect.name == "postgresql"
    insert = pg_insert if postgres else sqlite_insert  # both speak ON CONFLICT ... DO UPDATE
    stmt = insert(KnowledgeVersion).values(id=1, version=1)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[KnowledgeVersion.id], set_={"version": KnowledgeVersion.version + 1}
        )
    )


async def delete_document(session: AsyncSession, document_id: int) -> bool:
    """Remove a document and its passages; False when there was no such document."""
    doc = await session.get(Document, document_id)
    if doc is None:
        return False
    await session.execute(delete(Chunk).where(Chunk.document_id == document_id))
    await session.delete(doc)
    await _bump_version(session)
    await session.commit()
    return True


async def list_documents(session: AsyncSession) -> list[DocumentInfo]:
    """Every document with its number of passages, by title."""
    count = func.count(Chunk.id)
    rows = await session.execute(
        select(Document, count)
        .outerjoin(Chunk, Chunk.document_id == Document.id)
        .group_by(Document.id)
        .order_by(Document.title, Document.id)
    )
    return [
        DocumentInfo(d.id, d.title, d.source, n, d.created_at, d.updated_at) for d, n in rows.all()
    ]
