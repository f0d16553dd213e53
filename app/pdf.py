"""PDF files as text, through pypdf: the text layer of every page, and a title.

A PDF knows printed lines, not paragraphs or headings, so the lines are joined back into
paragraphs here. The title is the metadata title when it is a real one, else the first
heading-like line, else None (the caller then uses the file name).
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass

from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError

from app.errors import Invalid

log = logging.getLogger("tandem.pdf")

# What authoring tools leave in the title field when nobody set one.
_PLACEHOLDER_TITLE = re.compile(
    r"^(untitled.*|.*\.(docx?|odt|rtf|txt|pdf|pptx?|indd|pages|tex))$", re.IGNORECASE
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # PostgreSQL refuses NUL in text
_SENTENCE_END = (".", ",", ";", ":", "!", "?")


@dataclass(frozen=True)
class PdfText:
    title: str | None
    paragraphs: tuple[str, ...]


def read_pdf(data: bytes) -> PdfText:
    """The text of a PDF; `Invalid` when it is damaged, locked or has no text layer."""
    title, pages = _extract(data)
    lines = [line.strip() for page in pages for line in page.splitlines()]
    if not any(lines):
        raise Invalid("this PDF has no text layer (scanned?)")
    title, lines = _title_line(lines, title)
    return PdfText(title, tuple(_paragraphs(lines)))


def _extract(data: bytes) -> tuple[str | None, list[str]]:
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [_CONTROL.sub("", page.extract_text()) for page in reader.pages]
        raw = reader.metadata.title if reader.metadata else None
    except (FileNotDecryptedError, DependencyError):
        raise Invalid("this PDF is protected by a password: add an unprotected copy") from None
    except Exception as exc:  # a damaged file can fail anywhere inside the parser
        log.info("unreadable PDF: %s: %s", type(exc).__name__, exc)
        raise Invalid("this PDF cannot be read: the file is damaged or not a PDF") from None
    title = " ".join(_CONTROL.sub("", str(raw or "")).split())
    return (title if title and not _PLACEHOLDER_TITLE.match(title) else None), pages


def _heading_like(line: str) -> bool:
    """Short, with letters, and not ending like a sentence: how a printed title looks."""
    words = line.split()
    return (
        0 < len(words) <= 12
        and len(line) <= 100
        and any(c.isalpha() for c in line)
        and not line.endswith(_SENTENCE_END)
    )


def _title_line(lines: list[str], title: str | None) -> tuple[str | None, list[str]]:
    """The title printed among the first few lines, taken out of the body: the line that
    repeats the metadata title, or with no such title the first heading-like line."""
    seen = 0
    for i, line in enumerate(lines):
        if not line:
            continue
        rest = lines[:i] + lines[i + 1 :]
        found = line.casefold() == title.casefold() if title else _heading_like(line)
        if found and any(rest):  # a one-line file keeps its line as its text
            return title or line, rest
        seen += 1
        if seen == 5:
            break
    return title, lines


def _paragraphs(lines: list[str]) -> list[str]:
    """Printed lines joined back into paragraphs; a word hyphenated across two lines is whole."""
    lengths = sorted(len(line) for line in lines if line)
    full = lengths[int(0.8 * (len(lengths) - 1))]  # the width of a full line, past outliers
    paragraphs: list[str] = []
    current = ""
    for line, after in zip(lines, [*lines[1:], ""], strict=True):
        if current.endswith("-") and line[:1].islower():
            current = current[:-1] + line
        elif line:
            current = f"{current} {line}" if current else line
        if current and _ends_paragraph(line, after, full):
            paragraphs.append(current)
            current = ""
    return paragraphs + ([current] if current else [])


def _ends_paragraph(line: str, after: str, full: int) -> bool:
    """A blank line; a line well short of the full width (a paragraph's last line, a heading,
    a list item); or a full last line, told by the heading that follows it."""
    if not line or len(line) < 0.7 * full:
        return True
    return line.endswith((".", "!", "?", ":")) and _heading_like(after)
