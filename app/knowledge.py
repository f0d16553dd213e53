"""The knowledge base: parse help-centre files, cut them into passages, store them embedded.

Every change bumps `knowledge_version` in the same transaction, which is how each replica's
retriever notices that it must rebuild its index (see `app.retrieval.Retriever.refresh`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import anyio.to_thread
import numpy as np
from bs4 import BeautifulSoup, NavigableString, PreformattedString, Tag
from markdown_it import MarkdownIt
from markdown_it.token import Token
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.embeddings import Embedder
from app.errors import Invalid
from app.models import Chunk, Document, KnowledgeVersion, utcnow

DEMO_DIR = Path(__file__).resolve().parent / "demo"
MIN_WORDS, MAX_WORDS = 40, 250
SEPARATOR = " › "  # between the levels of a heading path
_MD = MarkdownIt("commonmark").enable("table")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = frozenset(
    "p div section article main header footer aside blockquote pre ul ol li dl dt dd table "
    "figure figcaption form address details summary hr".split()
)
# Not text a customer would read: code, styling, embedded media, site navigation.
_NOISE = ["script", "style", "noscript", "template", "svg", "iframe", "canvas", "object", "nav"]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")


@dataclass(frozen=True)
class Section:
    heading: str  # the heading path below the title, "" for text before the first heading
    blocks: tuple[str, ...]  # paragraphs, lists and tables as plain text


@dataclass(frozen=True)
class ParsedDocument:
    title: str
    text: str  # the whole document as light Markdown (stored as `Document.content`)
    sections: tuple[Section, ...]


@dataclass(frozen=True)
class ChunkDraft:
    heading: str
    text: str


@dataclass(frozen=True)
class DocumentInfo:
    id: int
    title: str
    source: str
    chunks: int
    created_at: datetime
    updated_at: datetime


class _Builder:
    """Collects headings and blocks in reading order; shared by the Markdown and HTML readers."""

    def __init__(self) -> None:
        self.headings: list[tuple[int, str]] = []
        self._path: list[tuple[int, str]] = []
        self._sections: list[tuple[tuple[str, ...], list[str]]] = [((), [])]
        self._pieces: list[str] = []
        self._header: list[str] = []

    def heading(self, level: int, text: str) -> None:
        self.end_block()
        text = " ".join(text.split())
        if text:
            self.headings.append((level, text))
            self._path = [h for h in self._path if h[0] < level] + [(level, text)]
            self._sections.append((tuple(t for _, t in self._path), []))

    def add(self, text: str) -> None:
        self._pieces.append(text)

    def row(self, cells: list[str], header: bool) -> None:
        """Label each cell with its column header, so a row still reads right on its own."""
        if header:
            self._header = cells
        elif len(self._header) == len(cells) > 1:
            pairs = "; ".join(f"{h}: {c}" for h, c in zip(self._header[1:], cells[1:], strict=True))
            self.add(f"{cells[0]}: {pairs}\n")
        else:
            self.add(" | ".join(cells) + "\n")

    def end_block(self) -> None:
        lines = (" ".join(line.split()) for line in "".join(self._pieces).splitlines())
        block = "\n".join(line for line in lines if line)
        self._pieces, self._header = [], []
        if block:
            self._sections[-1][1].append(block)

    def finish(self, fallback: str, hint: str | None = None) -> ParsedDocument:
        """Title: the first level-1 heading, else `hint` (HTML <title>), else any heading."""
        self.end_block()
        h1 = next((text for level, text in self.headings if level == 1), None)
        first = self.headings[0][1] if self.headings else None
        title = h1 or hint or first or fallback
        sections = []
        for path, blocks in self._sections:
            heading = SEPARATOR.join(path[1:] if path[:1] == (title,) else path)
            if blocks:
                sections.append(Section(heading, tuple(blocks)))
        parts = [f"# {title}"]
        for section in sections:
            parts += ([f"## {section.heading}"] if section.heading else []) + list(section.blocks)
        return ParsedDocument(title, "\n\n".join(parts), tuple(sections))


def humanise(stem: str) -> str:
    """`shipping_and-delivery` → `Shipping and delivery`."""
    words = " ".join(re.split(r"[\s_\-]+", stem)).strip()
    return words[:1].upper() + words[1:] if words else "Untitled"


def parse(path: Path) -> ParsedDocument:
    """Read one Markdown, HTML or plain-text file as one document."""
    source = path.read_text(encoding="utf-8", errors="replace")
    fallback = humanise(path.stem)
    suffix = path.suffix.lower()
    if suffix in (".md", ".markdown"):
        return parse_markdown(source, fallback)
    if suffix in (".html", ".htm"):
        return parse_html(source, fallback)
    if suffix in (".txt", ".text", ""):
        return parse_plain(source, fallback)
    raise Invalid(f"unsupported file type {suffix!r}: use Markdown, HTML or plain text")


def parse_plain(source: str, fallback: str) -> ParsedDocument:
    builder = _Builder()
    for paragraph in re.split(r"\n\s*\n", source):
        builder.add(paragraph)
        builder.end_block()
    return builder.finish(fallback)


def parse_markdown(source: str, fallback: str) -> ParsedDocument:
    builder, cells, prefix = _Builder(), list[str](), ""
    tokens = _MD.parse(source)
    for i, tok in enumerate(tokens):
        if tok.type == "heading_open":
            builder.heading(int(tok.tag[1]), _inline_text(tokens[i + 1]))
        elif tok.type == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            cells.append(_inline_text(tok).replace("\n", " "))
        elif tok.type == "inline" and tokens[i - 1].type != "heading_open":
            builder.add(prefix + _inline_text(tok) + "\n")
            prefix = ""
        elif tok.type == "list_item_open":
            prefix = f"{tok.info}{tok.markup} " if tok.info else "- "
        elif tok.type in ("fence", "code_block"):
            builder.add(tok.content)
        elif tok.type == "html_block":
            builder.add(BeautifulSoup(tok.content, "html.parser").get_text("\n"))
        elif tok.type == "tr_close":
            builder.row(cells, header=tokens[i - 1].type == "th_close")
            cells = []
        if tok.level == 0 and tok.nesting <= 0:  # a top-level block ended
            builder.end_block()
    return builder.finish(fallback)


def _inline_text(tok: Token) -> str:
    parts = []
    for child in tok.children or []:
        if child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
        elif child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
    return "".join(parts)


def parse_html(source: str, fallback: str) -> ParsedDocument:
    soup = BeautifulSoup(source, "html.parser")
    for tag in soup.find_all(_NOISE):
        tag.decompose()
    title_tag = soup.find("title")
    hint = title_tag.get_text(" ", strip=True) if title_tag else None
    if title_tag:
        title_tag.decompose()
    builder = _Builder()
    _walk_html(soup.body or soup, builder)
    return builder.finish(fallback, hint or None)


def _walk_html(node: Tag, builder: _Builder) -> None:
    for child in node.children:
        if isinstance(child, NavigableString):
            if not isinstance(child, PreformattedString):  # comments, doctypes, CDATA
                builder.add(str(child))
        elif not isinstance(child, Tag):
            continue
        elif child.name in _HEADINGS:
            builder.heading(_HEADINGS[child.name], child.get_text(" "))
        elif child.name == "br":
            builder.add("\n")
        elif child.name == "tr":
            cells = child.find_all(["td", "th"], recursive=False)
            texts = [c.get_text(" ", strip=True) for c in cells]
            builder.row(texts, header=bool(cells) and all(c.name == "th" for c in cells))
        elif child.name in _BLOCKS:
            builder.add("\n")
            builder.add("- " if child.name == "li" else "")
            _walk_html(child, builder)
            builder.add("\n")
            if child.name not in ("li", "dt", "dd", "tr"):
                builder.end_block()
        else:
            _walk_html(child, builder)


def chunk(doc: ParsedDocument) -> list[ChunkDraft]:
    """Passages of about 40–250 words that never straddle two sections.

    A section shorter than 40 words stays whole rather than borrowing a neighbour's text: a
    passage is quoted verbatim when no LLM is configured, so it must stay on one topic.
    """
    drafts = []
    for section in doc.sections:
        pieces = _pack([p for block in section.blocks for p in _split(block)])
        drafts += [ChunkDraft(section.heading, text) for text in pieces]
    return drafts


def _words(text: str) -> int:
    return len(text.split())


def _split(block: str) -> list[str]:
    """A block over the limit, cut at sentence ends (or, for a huge sentence, at words)."""
    if _words(block) <= MAX_WORDS:
        return [block]
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(block):
        words = sentence.split()
        pieces += [" ".join(words[i : i + MAX_WORDS]) for i in range(0, len(words), MAX_WORDS)]
    return _pack(pieces, joiner=" ")


def _pack(pieces: list[str], joiner: str = "\n\n") -> list[str]:
    """Greedily fill passages up to MAX_WORDS; a short tail joins the passage before it."""
    out: list[list[str]] = []
    size = 0
    for piece in pieces:
        n = _words(piece)
        if not out or size + n > MAX_WORDS:
            out.append([])
            size = 0
        out[-1].append(piece)
        size += n
    if (
        len(out) > 1
        and size < MIN_WORDS
        and _words(" ".join(out[-2])) + size <= MAX_WORDS + MIN_WORDS
    ):
        out[-2] += out.pop()
    return [joiner.join(group) for group in out]


def passage_text(title: str, heading: str, text: str) -> str:
    """What is indexed and embedded: the text under its title and heading, for context."""
    label = f"{title}{SEPARATOR}{heading}" if heading else title
    return f"{label}\n{text}"


async def ingest(
    session: AsyncSession, source: str, title: str, text: str, embedder: Embedder | None
) -> Document:
    """Store `text` (Markdown or plain text) as the document for `source`, replacing any older one."""
    drafts = chunk(parse_markdown(text, title))
    return await _store(session, source, title, text, drafts, embedder)


async def ingest_path(
    session: AsyncSession, path: Path, embedder: Embedder | None, source: str | None = None
) -> Document:
    """Ingest one file; its resolved path is the source unless one is given."""
    doc = parse(path)
    source = source or str(path.resolve())
    return await _store(session, source, doc.title, doc.text, chunk(doc), embedder)


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
    if session.get_bind().dialect.name == "postgresql":
        pg = pg_insert(KnowledgeVersion).values(id=1, version=1)
        stmt = pg.on_conflict_do_update(
            index_elements=[KnowledgeVersion.id], set_={"version": KnowledgeVersion.version + 1}
        )
    else:
        lite = sqlite_insert(KnowledgeVersion).values(id=1, version=1)
        stmt = lite.on_conflict_do_update(
            index_elements=[KnowledgeVersion.id], set_={"version": KnowledgeVersion.version + 1}
        )
    await session.execute(stmt)


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
