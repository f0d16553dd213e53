"""Claims in a text: the amounts, durations, times of day and links it states, in a form
that compares across formats and languages ("€4.95" = "4,95 EUR", "2-3 days" = "2 tot 3
werkdagen", "2 weeks" = "14 days", "dertig dagen" = "30 days", "5pm" = "17:00")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from app.checks import confidence_words as lex
from app.text import fold


@lru_cache(maxsize=64)
def _known(source: str) -> frozenset[tuple[str, Decimal | str]]:
    """What the passages state. Cached: the same passages are checked per streamed sentence."""
    return frozenset(key for claim in claims(source) for key in _keys(claim, lenient=True))


def missing(text: str, source: str) -> list[str]:
    """How the claims of `text` that `source` does not state are written in `text`."""
    known = _known(source)
    return [c.surface for c in claims(text) if known.isdisjoint(_keys(c, lenient=False))]


def supported(text: str, source: str) -> tuple[int, int]:
    """How many of the claims of `text` `source` states, and how many there are."""
    known = _known(source)
    found = claims(text)
    return sum(not known.isdisjoint(_keys(c, lenient=False)) for c in found), len(found)


@dataclass(frozen=True)
class Claim:
    kind: str  # money | percent | mins | months | time | number | link
    value: Decimal | str  # in the kind's own scale: minutes, months, minutes after midnight
    surface: str
    raw: Decimal | None = None  # the number as written ("14" in "14 days")
    # Both ends, scaled, when the value is one end of a range ("1 to 2 working days"): an end
    # alone is not what the range says ("1 working day" is not "1 to 2 working days").
    span: tuple[Decimal, Decimal] | None = None
    # "most" for "within 48 hours", "least" for "as soon as 48 hours": the same value bounded
    # the other way says the opposite. Empty when no bound word stands right before it.
    bound: str = ""


_PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")  # redaction placeholders carry no facts
_NUM = r"\d+(?:[.,]\d+)*"
_CUR = r"€|\$|£|\beur\b|\busd\b|\bgbp\b"
_UNIT = rf"(?:{lex.UNIT_FILLERS}(?:{lex.UNIT_WORDS})\b|%|€|\$|£)"
_CLAIM = re.compile(
    rf"(?P<link>https?://\S+|www\.\S+|[\w.+-]+@[\w-]+\.[\w.]+)"
    rf"|\b(?P<h>\d{{1,2}})[:h](?P<m>\d{{2}})(?!\d)(?:\s*(?P<ap>[ap]\.?m\b\.?))?"
    rf"|\b(?P<h2>\d{{1,2}})\s*(?P<ap2>[ap]\.?m\b\.?)"
    rf"|(?:(?P<cur>{_CUR})\s*)?(?<![\w.,])(?P<a>{_NUM})(?:,-)?"
    rf"(?:\s*(?:-|to|tot(?: en met)?|bis|a)\s*(?:{_CUR})?\s*(?P<b>{_NUM}))?"
    rf"(?:\s*-?\s*(?P<unit>{_UNIT}))?"
)
# "between 2 and 3 days" → "2 - 3 days"; elsewhere "and" joins two numbers, not a range.
_BETWEEN = re.compile(r"\b(?:between|tussen|zwischen|entre) (\S+) (?:and|en|und|et|y) (?=\d)")
_LIST_MARKER = re.compile(r"(?m)^\s*\d{1,2}[.)]\s+")
# "a full year", "an hour": English only ("mise à jour" is no claim).
_A_UNIT = re.compile(r"\ban? ((?:full |whole |business |working )?(?:day|week|month|year|hour)\b)")
_WORD_HYPHEN = re.compile(r"(?<=[a-z])-(?=[a-z])")
_SPELLED = re.compile(rf"\b((?:[a-z]+ ){{1,4}}?)(?=(?:{lex.UNIT_WORDS}|%)\b)")
# The first end of a range written out ("two to 3 days", after the unit's number is digits).
_SPELLED_START = re.compile(r"\b([a-z]+)(?= (?:-|to|tot|bis|a) \d)")


# Bound words standing right before a number (folded: no accents). Ambiguous ones are left
# out: Dutch "voor" (before, for) and "over" (in, over), German "vor" (before, ago), French
# "dès" (folded: "des", of the).
_AT_MOST = (
    "within|in less than|less than|up to|at most|at the latest|no later than|no more than"
    "|maximum of|maximum|max|before|until|till|binnen|uiterlijk|maximaal|hoogstens|minder dan"
    "|tot|innerhalb von|innerhalb|spatestens|hochstens|bis zu|bis|maximal|weniger als"
    "|dans les|dans un delai de|au plus tard|au maximum|jusqu'a|jusqu'au|avant|en moins de"
    "|moins de|dentro de|en un plazo de|como maximo|hasta|a mas tardar|antes de|menos de"
)
_AT_LEAST = (
    "at least|as soon as|no earlier than|not before|from|after|more than|minimum of|minimum"
    "|min|starting at|ten minste|minstens|minimaal|vanaf|na|meer dan|mindestens|fruhestens"
    "|ab|nach|mehr als|uber|au moins|au plus tot|a partir de|apres|plus de|al menos"
    "|como minimo|despues de|desde|mas de"
)
_BOUND = re.compile(rf"\b(?:(?P<most>{_AT_MOST})|(?P<least>{_AT_LEAST}))\s*$")


def claims(text: str) -> list[Claim]:
    """The claims `text` states, in order."""
    return list(_claims(text))


@lru_cache(maxsize=8192)  # grounding reads the same help-centre lines for every answer
def _claims(text: str) -> tuple[Claim, ...]:
    text = _LIST_MARKER.sub(" ", _PLACEHOLDER.sub(" ", text))
    folded = _spell_out(fold(text).replace("\u2013", "-").replace("\u2014", "-"))
    found: list[Claim] = []
    for m in _CLAIM.finditer(folded):
        surface = m[0].strip().rstrip(".,;:)")
        if m["link"]:
            found.append(Claim("link", m["link"].rstrip(".,;:)").lower(), surface))
        elif m["h"] or m["h2"]:
            hour = Decimal(m["h"] or m["h2"])
            found.append(Claim("time", _minutes(m), surface, hour, bound=_bound(folded, m)))
        elif m["a"]:
            found.extend(_amounts(m, surface, _bound(folded, m)))
    return tuple(found)


def _bound(folded: str, m: re.Match[str]) -> str:
    before = _BOUND.search(folded[max(0, m.start() - 24) : m.start()])
    return "" if before is None else "most" if before["most"] else "least"


def reversed_bounds(text: str, source: str) -> list[str]:
    """Claims of `text` bounded one way that `source` states only bounded the other way:
    "as soon as 48 hours" where it says "within 48 hours", "from €1,500" for "up to €1,500"."""
    theirs = claims(source)
    found = []
    for claim in claims(text):
        if not claim.bound:
            continue
        keys = _keys(claim, lenient=False)
        same = [c for c in theirs if not keys.isdisjoint(_keys(c, lenient=True))]
        if same and all(c.bound and c.bound != claim.bound for c in same):
            found.append(f"bound the other way round: {claim.surface}")
    return found


def _amounts(m: re.Match[str], surface: str, bound: str) -> list[Claim]:
    unit = (m["unit"] or "").split()[-1] if m["unit"] else ("eur" if m["cur"] else "")
    scale, factor = lex.UNITS.get(unit, ("number", 1))
    if m["cur"]:
        scale, factor = "money", 1
    raws = [n for n in (_number(v) for v in (m["a"], m["b"]) if v) if n is not None]
    factor_ = Decimal(str(factor))
    scaled = [(v * factor_).normalize() for v in raws]
    span = (scaled[0], scaled[1]) if len(scaled) == 2 else None
    bound = "" if span else bound  # "from 1 to 2 days" is a range, not a lower bound
    return [Claim(scale, v, surface, raw, span, bound) for v, raw in zip(scaled, raws, strict=True)]


def _number(raw: str) -> Decimal | None:
    """ "4,95" and "4.95" → 4.95; "1.000" and "1,000" → 1000; "1.234,50" → 1234.5."""
    head, sep, tail = raw.rpartition("," if raw.rfind(",") > raw.rfind(".") else ".")
    if sep and len(tail) != 3:  # a decimal separator
        raw = re.sub(r"[.,]", "", head) + "." + tail
    else:
        raw = re.sub(r"[.,]", "", raw)
    try:
        return Decimal(raw).normalize()
    except InvalidOperation:
        return None


def _minutes(m: re.Match[str]) -> Decimal:
    hour = int(m["h"] or m["h2"])
    ampm = (m["ap"] or m["ap2"] or "")[:1]
    hour = hour % 12 + (12 if ampm == "p" else 0) if ampm else hour
    return Decimal(hour * 60 + int(m["m"] or 0))


def _keys(claim: Claim, lenient: bool) -> set[tuple[str, Decimal | str]]:
    """What a claim can be matched on; passages (lenient) also offer their bare numbers."""
    value: Decimal | str = claim.value if claim.span is None else f"{claim.span[0]}-{claim.span[1]}"
    keys: set[tuple[str, Decimal | str]] = {(claim.kind, value)}
    if claim.kind == "mins" and isinstance(value, Decimal) and value % 60 == 0:
        keys.add(("time", value))  # "17 uur", "9 Uhr", "9h" are also times of day
    if claim.kind == "time":
        keys.add(("mins", value))
    # A bare number in an answer ("the maximum load is 10") is not the "€10" surcharge of the
    # passage; only amounts that say what they count ("14 days") match bare ones.
    if lenient and claim.raw is not None and claim.kind not in ("money", "percent"):
        keys.add(("number", claim.raw))
    return keys


def _spell_out(folded: str) -> str:
    """Number words followed by a unit as digits ("dertig dagen" → "30 dagen")."""
    folded = _A_UNIT.sub(r"1 \1", _BETWEEN.sub(r"\1 - ", _WORD_HYPHEN.sub(" ", folded)))
    folded = _SPELLED.sub(_spelled, folded)
    return _SPELLED_START.sub(lambda m: str(lex.NUMBER_WORDS.get(m[1], m[1])), folded)


def _spelled(m: re.Match[str]) -> str:
    run = m[1].split()
    for i in range(len(run)):
        value = lex.NUMBER_WORDS.get(" ".join(run[i:]))
        if value is not None:
            return " ".join([*run[:i], str(value)]) + " "
    return m[1]
