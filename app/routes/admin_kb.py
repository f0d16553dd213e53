"""The operator's knowledge base: documents and files in, what retrieval finds, what is missing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from app import formats, knowledge, suggestions
from app.checks import redaction
from app.deps import OperatorDep, PathId, ServicesDep, SessionDep
from app.errors import NotFound
from app.models import Chunk, Document, utcnow
from app.retrieval import Passage
from app.schemas import SuggestionOut
from app.services import Services
from app.text import language_of

router = APIRouter(prefix="/api/v1/admin", tags=["operator"])


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=formats.MAX_TEXT_CHARS)
    source: str | None = Field(default=None, max_length=500)


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    source: str
    chunks: int
    updated_at: datetime


class DocumentAdded(BaseModel):
    id: int
    title: str
    source: str


@router.get("/kb/documents", response_model=list[DocumentOut])
async def list_documents(_: OperatorDep, session: SessionDep) -> list[DocumentOut]:
    """Every knowledge-base document with its number of passages."""
    return [DocumentOut.model_validate(d) for d in await knowledge.list_documents(session)]


@router.post("/kb/documents", status_code=201, response_model=DocumentAdded)
async def add_document(
    body: DocumentIn, _: OperatorDep, session: SessionDep, svc: ServicesDep
) -> DocumentAdded:
    """Add a Markdown or text document; the same `source` replaces the older version."""
    source = body.source or f"api:{body.title}"
    doc = await knowledge.ingest(session, source, body.title, body.text, svc.embedder)
    await session.commit()
    return DocumentAdded(id=doc.id, title=doc.title, source=doc.source)


# The file is the raw request body: nothing is read before the operator is known, and
# never more than the limit is kept (a multipart form would be spooled whole beforehand).
_FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": f"The file's bytes: {formats.ACCEPTED}, at most "
        f"{formats.MAX_FILE_BYTES // 2**20} MB.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in [*formats.MEDIA_TYPES, "application/octet-stream"]
        },
    }
}
FileName = Annotated[
    str,
    Query(
        min_length=1,
        max_length=255,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The file's name; its extension decides the type, else the Content-Type.",
    ),
]


@router.post("/kb/files", status_code=201, response_model=DocumentAdded, openapi_extra=_FILE_BODY)
async def add_file(
    request: Request,
    name: FileName,
    _: OperatorDep,
    session: SessionDep,
    svc: ServicesDep,
    source: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> DocumentAdded:
    """Add a file, parsed as `tandem kb ingest` parses it; the same `source` (by default
    `upload:NAME`) replaces the older version. A file that cannot be read gets a 422 saying why."""
    data = await _read_upload(request)
    doc = await knowledge.ingest_file(
        session,
        name,
        data,
        svc.embedder,
        source or f"upload:{name}",
        request.headers.get("content-type"),
    )
    await session.commit()
    return DocumentAdded(id=doc.id, title=doc.title, source=doc.source)


async def _read_upload(request: Request) -> bytes:
    """The body up to one byte past the limit (enough to refuse it). The rest is read and
    dropped, so that the client hears the 422 rather than a connection reset mid-upload."""
    data = bytearray()
    async for piece in request.stream():
        data += piece[: formats.MAX_FILE_BYTES + 1 - len(data)]
    return bytes(data)


@router.delete("/kb/documents/{document_id}", status_code=204)
async def delete_document(document_id: PathId, _: OperatorDep, session: SessionDep) -> None:
    """Remove a document; answers stop citing it on the next turn."""
    if not await knowledge.delete_document(session, document_id):
        raise NotFound("No such document.")


@router.get("/kb/suggestions", response_model=list[SuggestionOut])
async def kb_suggestions(
    _: OperatorDep,
    session: SessionDep,
    svc: ServicesDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> list[SuggestionOut]:
    """What the knowledge base may lack: questions of the last `days` the AI declined for low
    confidence or answered wrongly (as agents marked it), grouped by meaning, biggest group
    first, with redacted examples."""
    found = await suggestions.missed(session, utcnow() - timedelta(days=days))
    await session.commit()  # end the read before the embedding work
    grouped = await anyio.to_thread.run_sync(suggestions.suggest, found, svc.embedder)
    return [SuggestionOut.model_validate(s) for s in grouped]


class ChunkOut(BaseModel):
    ordinal: int
    heading: str
    text: str
    language: str | None  # en, nl, de, fr or es by its common words; None when unsure


class DocumentView(DocumentOut):
    content: str  # the text as stored, after parsing (HTML is stored by its structure)
    passages: list[ChunkOut]


@router.get("/kb/documents/{document_id}", response_model=DocumentView)
async def get_document(document_id: PathId, _: OperatorDep, session: SessionDep) -> DocumentView:
    """One document as retrieval sees it: its stored text and its passages in order."""
    doc = await session.get(Document, document_id)
    if doc is None:
        raise NotFound("No such document.")
    rows = await session.execute(
        select(Chunk).where(Chunk.document_id == doc.id).order_by(Chunk.ordinal)
    )
    chunks = [
        ChunkOut(ordinal=c.ordinal, heading=c.heading, text=c.text, language=language_of(c.text))
        for c in rows.scalars()
    ]
    return DocumentView(
        id=doc.id,
        title=doc.title,
        source=doc.source,
        chunks=len(chunks),
        updated_at=doc.updated_at,
        content=doc.content,
        passages=chunks,
    )


class FoundPassage(BaseModel):
    document_id: int
    title: str
    heading: str
    text: str
    score: float  # fused, 0..1: what the turn compares with the confidence threshold
    lexical: float  # keyword match, 0..1
    dense: float | None  # meaning match (cosine); None without an embedding model
    language: str | None


class SearchOut(BaseModel):
    question: str  # as retrieval read it: personal data replaced by placeholders
    searched_for: str  # with the help-centre words that foreign words stand for, if any
    language: str | None
    passages: list[FoundPassage]


Question = Annotated[str, Query(min_length=1, max_length=4000, description="A customer question.")]


@router.get("/kb/search", response_model=SearchOut)
async def search(
    q: Question,
    _: OperatorDep,
    session: SessionDep,
    svc: ServicesDep,
    k: Annotated[int, Query(ge=1, le=20)] = 4,
) -> SearchOut:
    """What retrieval returns for a question, as a customer's turn would retrieve it
    (redacted, bridged across languages, hybrid lexical and embedding scores)."""
    await svc.retriever.refresh(session)
    await session.commit()  # end the read before the CPU work
    redacted, bridged, passages = await anyio.to_thread.run_sync(_retrieve, q, svc, k)
    return SearchOut(
        question=redacted,
        searched_for=bridged,
        language=language_of(q),
        passages=[
            FoundPassage(
                document_id=p.document_id,
                title=p.title,
                heading=p.heading,
                text=p.text,
                score=round(p.score, 4),
                lexical=round(p.lexical, 4),
                dense=None if p.dense is None else round(p.dense, 4),
                language=language_of(p.text),
            )
            for p in passages
        ],
    )


def _retrieve(q: str, svc: Services, k: int) -> tuple[str, str, list[Passage]]:
    """The turn's retrieval steps (`app.analysis`): redact, embed, bridge, search (CPU)."""
    redacted = redaction.redact(q).text
    vector = svc.embedder.queries([redacted])[0] if svc.embedder is not None else None
    bridged = svc.retriever.bridged(redacted)
    return redacted, bridged, svc.retriever.search_vec(bridged, vector, k)
