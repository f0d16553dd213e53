"""The file types the knowledge base reads: which one a file is, and its bytes as text.

The name's extension decides; a name without one falls back on the content type, then on
the first bytes (a PDF header, else plain text). Every refusal is an `Invalid` whose detail
says why in plain words, since it reaches an operator as a 422 or a line from the CLI.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import PurePath

from app.errors import Invalid

# PDFs carry fonts and images, so the byte limit is generous; the text limit matches what the
# JSON route accepts, and keeps one file from turning into thousands of passages to embed.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_TEXT_CHARS = 500_000


class Format(StrEnum):
    MARKDOWN = "markdown"
    HTML = "html"
    TEXT = "text"
    PDF = "pdf"


_BY_SUFFIX = {
    ".md": Format.MARKDOWN,
    ".markdown": Format.MARKDOWN,
    ".html": Format.HTML,
    ".htm": Format.HTML,
    ".txt": Format.TEXT,
    ".text": Format.TEXT,
    ".pdf": Format.PDF,
}
MEDIA_TYPES = {
    "text/markdown": Format.MARKDOWN,
    "text/x-markdown": Format.MARKDOWN,
    "text/html": Format.HTML,
    "application/xhtml+xml": Format.HTML,
    "text/plain": Format.TEXT,
    "application/pdf": Format.PDF,
}
ACCEPTED = "Markdown (.md), plain text (.txt), HTML (.html) or PDF (.pdf)"


def detect(name: str, content_type: str | None, data: bytes) -> Format:
    """The format of a file called `name`, sent with `content_type` (None from the CLI)."""
    suffix = PurePath(name).suffix.lower()
    if suffix:
        if suffix in _BY_SUFFIX:
            return _BY_SUFFIX[suffix]
        raise Invalid(f"{suffix} files are not supported: add {ACCEPTED}")
    media = (content_type or "").split(";")[0].strip().lower()
    if media in MEDIA_TYPES:
        return MEDIA_TYPES[media]
    if media not in ("", "application/octet-stream"):
        raise Invalid(f"{media} files are not supported: add {ACCEPTED}")
    return Format.PDF if data.startswith(b"%PDF-") else Format.TEXT


def check_size(data: bytes) -> None:
    if not data:
        raise Invalid("the file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise Invalid(f"the file is larger than the {MAX_FILE_BYTES // 2**20} MB limit")


def decode(data: bytes) -> str:
    """UTF-8 text (a byte-order mark is dropped); binary data and other encodings refused."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"this is not UTF-8 text (byte {exc.start} is not valid UTF-8): "
            "save it as UTF-8 and add it again"
        ) from None
    if "\x00" in text:  # valid UTF-8, but no text file holds NUL bytes: a binary file
        raise Invalid("this is a binary file, not text")
    return text


def check_text(text: str) -> None:
    if len(text) > MAX_TEXT_CHARS:
        raise Invalid(
            f"its text is {len(text):,} characters, over the {MAX_TEXT_CHARS:,} limit: "
            "split it into smaller files"
        )
