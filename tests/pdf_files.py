"""Small PDFs made in the tests, with a real text layer: a standard font and text operators,
written by pypdf's writer (it has no call that draws text, so the page content is ours)."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import ContentStream, DictionaryObject, NameObject

_FONT = DictionaryObject(
    {
        NameObject("/Type"): NameObject("/Font"),
        NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding"),  # so "€" and "é" survive
    }
)


def make_pdf(pages: list[list[str]], title: str | None = None) -> bytes:
    """One page per list of printed lines; a page with no lines has no text (as if scanned)."""
    writer = PdfWriter()
    for lines in pages:
        page = writer.add_blank_page(612, 792)
        if not lines:
            continue
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): _FONT})}
        )
        shown = [f"({_escape(line)}) Tj T*" for line in lines]
        content = ContentStream(None, writer)
        content.set_data("\n".join(["BT /F1 11 Tf 14 TL 72 720 Td", *shown, "ET"]).encode("cp1252"))
        page.replace_contents(content)
    if title is not None:
        writer.add_metadata({"/Title": title})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
