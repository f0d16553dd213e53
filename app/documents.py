"""Help-centre files as text: read Markdown, HTML, plain text and PDF, and cut them into passages.

One file is one document. Its title is the first level-1 heading (for HTML: the first <h1>,
then <title>; for PDF: the metadata title, then the first heading-like line), else the first
heading, else the file name made readable. `parse_file` is the one way in, for the CLI and the
upload route alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from bs4 import BeautifulSoup
from bs4.element import NavigableString, PreformattedString, Tag
from markdown_it import MarkdownIt
from markdown_it.token import Token

from app import formats
from app.errors import Invalid
from app.formats import Format
from app.pdf import read_pdf

MIN_WORDS, MAX_WORDS = 40, 250
SEPARATOR = " \u203a "  # a single right-pointing angle quote between heading levels
_MD = MarkdownIt("commonmark").enable("table")
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_BLOCKS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "footer",
        "aside",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "figure",
        "figcaption",
        "form",
        "address",
        "details",
        "summary",
        "hr",
    }
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
            self.add(f"{cells[0]} — {pairs}\n")
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
    """Read one file from disk as one document (see `parse_file`)."""
    return parse_file(str(path), path.read_bytes())


def parse_file(name: str, data: bytes, content_type: str | None = None) -> ParsedDocument:
    """Read one file's bytes as one document, by its name's extension or its content type.

    `Invalid` says why a file cannot be read, after its name: "guide.pdf: this PDF has no ..."
    """
    try:
        formats.check_size(data)
        kind = formats.detect(name, content_type, data)
        doc = _read(kind, data, humanise(PurePath(name).stem))
        if not doc.sections:
            raise Invalid("there is no text in it")
        formats.check_text(doc.text)
    except Invalid as exc:
        raise Invalid(f"{name}: {exc.detail}") from None
    except RecursionError:  # the HTML reader walks the tree; thousands of nested tags end it
        raise Invalid(f"{name}: it is nested too deeply to read") from None
    return doc


def _read(kind: Format, data: bytes, fallback: str) -> ParsedDocument:
    if kind is Format.PDF:
        pdf = read_pdf(data)
        return parse_plain("\n\n".join(pdf.paragraphs), pdf.title or fallback)
    reader = {Format.MARKDOWN: parse_markdown, Format.HTML: parse_html, Format.TEXT: parse_plain}
    return reader[kind](formats.decode(data), fallback)


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
    """Passages of about 40 to 250 words that never straddle two sections.

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
    return _pack(pieces, joiner="\n" if "\n" in block else " ")  # lists stay one item a line


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
