"""Text folded for matching, one way everywhere: casefolded, accents dropped, ligatures and
compatibility forms spelled out, invisible format characters removed. The output checks, the
human-request lexicon, restricted topics, claims and retrieval all compare folded text."""

from __future__ import annotations

import re
import unicodedata


def _fold_table() -> dict[int, str]:
    """Latin letters with their accents dropped, ligatures and compatibility forms spelled out,
    invisible format characters (zero-width spaces, soft hyphens) removed."""
    table: dict[int, str] = {}
    spans = ((0x80, 0x250), (0x1E00, 0x1F00), (0x2000, 0x2070), (0xFB00, 0xFB07), (0xFF01, 0xFF5F))
    for code in (c for lo, hi in spans for c in range(lo, hi)):
        plain = "".join(
            c
            for c in unicodedata.normalize("NFKD", chr(code))
            if not unicodedata.combining(c) and unicodedata.category(c) != "Cf"
        )
        if plain != chr(code):
            table[code] = plain
    quotes = {"\u2018": "'", "\u2019": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"}
    extra = {"æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "\u0131": "i", **quotes}
    table.update({ord(k): v for k, v in extra.items()})
    return table


_FOLD = _fold_table()
_MARKS = re.compile("[\u0300-\u036f\u200b-\u200f\u2060-\u2064\ufeff]")  # decomposed input


def fold(text: str) -> str:
    """Casefolded, accents and invisible format characters removed ("Scheiße" → "scheisse")."""
    folded = text.casefold().translate(_FOLD)
    return folded if folded.isascii() else _MARKS.sub("", folded)
