"""Does a grounded answer answer the question asked? A weak model (SmolLM2 here) writes true
sentences that miss the point: "Express delivery is not available for bulky items" for "How
much is express delivery?", or the confirmation link's 24 hours for a question about the link
that confirms a CHANGED address. One deterministic check, in five languages: the kind of
answer asked for. "How much" wants an amount, "how long" a duration, "until what time" or
"which days" a time or a day; a shown answer without one does not answer. A true fact of that
kind about the neighbouring question is caught by `answerability.neighbour`, which needs the
passages and the sentence encoder.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.checks import claims, sentences
from app.checks.grounding import pairs
from app.checks.grounding_words import entities
from app.text import fold

_ASKS = {
    # Duration first: "how much days" (a learner's "how many days") asks for one, not a price.
    # "How quickly" and "wie schnell" ask for a time span as "how long" does, and a question
    # naming the span ("délai", "Dauer", "plazo") asks for one in every language alike.
    "duration": r"how long|how (?:many|much) (?:time|days|hours|minutes|weeks|months|years)"
    r"|how (?:quickly|fast|soon)|hoe lang|hoe snel|hoe gauw"
    r"|hoeveel (?:dagen|uur|minuten|weken|maanden|jaar)|levertijd\w*|looptijd\w*"
    r"|wie lange?|wie schnell|wie bald|wie viele (?:tage|stunden|minuten|wochen|monate|jahre)"
    r"|\w*dauer|lieferzeit\w*|combien de (?:temps|jours|heures|minutes|semaines|mois)"
    r"|delais?|duree|cuanto tiempo|cuanto (?:tarda|dura)\w*|duracion|plazos?"
    r"|cuantos (?:dias|minutos|meses|anos)|cuantas (?:horas|semanas)",
    "money": r"how much|what does .* cost|what do .* cost|price|hoeveel kost\w*|wat kost\w*"
    r"|wie ?viel kost\w*|was kost\w*|combien coute\w*|quel est le prix|prix|cuanto cuesta\w*"
    r"|precio|\w+kosten|\w+kost|shipping costs?|delivery costs?|frais de \w+|gastos de \w+"
    r"|coste de \w+|tarif\w*|tarifa\w*",
    "contact": r"(?:phone|telephone) number|telefoonnummer|telefonnummer|numero de telephone"
    r"|numero de telefono|email address|e-mail ?adres|e-mail-adresse|adresse e-mail"
    r"|correo electronico",
    "when": r"until what time|what time|which days|when .* open|opening hours|tot hoe laat"
    r"|hoe laat|welke dagen|openingstijden|bis wann|um wie viel uhr|welche tage|offnungszeiten"
    r"|jusqu'a quelle heure|a quelle heure|quels jours|horaires|hasta que hora|a que hora"
    r"|que dias|horario",
}
_ASKING = {kind: re.compile(rf"\b(?:{pattern})\b") for kind, pattern in _ASKS.items()}
_SATISFIES = {
    "money": {"money"},
    "duration": {"mins", "months"},
    "contact": {"link", "number"},  # an e-mail address, or a phone number's digits
    "when": {"time"},  # or a day of the week
}


@dataclass(frozen=True)
class Relevance:
    asks: str | None  # money | duration | when | None (no particular kind of answer)
    problems: tuple[str, ...]

    @property
    def answers(self) -> bool:
        return not self.problems


def asks_for(question: str) -> str | None:
    """The kind of answer `question` asks for, if it asks for one."""
    folded = fold(question)
    return next((kind for kind, pattern in _ASKING.items() if pattern.search(folded)), None)


def without_asking(question: str) -> str:
    """`question` without the phrase that says what kind of answer it wants ("how long"):
    compared in meaning with help-centre lines, the phrase pulls towards any line or heading
    that repeats it ("Hoe lang duurt het?") rather than the one about the same thing."""
    folded = fold(question)
    for pattern in _ASKING.values():
        if found := pattern.search(folded):
            # fold() keeps lengths unless a letter expands ("ß" → "ss"): then cut the folded text.
            text = question if len(folded) == len(question) else folded
            return " ".join(f"{text[: found.start()]} {text[found.end() :]}".split())
    return question


def check(question: str, answer: str) -> Relevance:
    """Whether `answer` (the statements to be shown, or a quoted passage) answers `question`."""
    kind = asks_for(question)
    if kind is None or gives(kind, answer, asked_days=_days(question)):
        return Relevance(kind, ())
    return Relevance(kind, (f"asked for {kind}, answered without one",))


def swapped_subject(question: str, passage: str, others: Sequence[str]) -> str | None:
    """The question's subject ("shipping confirmation") is not the passage's ("order
    confirmation") but another passage's: quoting this one would answer the neighbour."""
    here = sentences.stems(passage)
    for first, second in pairs(question) - pairs(passage):
        if (first in here) != (second in here) and any((first, second) in pairs(o) for o in others):
            return f"{first} {second}"
    return None


def gives(kind: str, answer: str, asked_days: frozenset[str] = frozenset()) -> bool:
    """`answer` states something of `kind`: an amount, a duration, a time or a day (a day only
    when the question named none: "open on Saturday?" asks for hours, and "open on Saturday,
    Monday to Friday" gives none)."""
    said = {c.kind for c in claims.claims(answer)}
    days = kind == "when" and not asked_days and bool(_days(answer))
    return bool(said & _SATISFIES[kind]) or days


def states_as(kind: str, line: str, answer: str) -> bool:
    """`answer` states what `line` states of `kind` (its amounts, durations, times or, failing
    those, its days), in any language: "€119" for "Grote onderhoudsbeurt: €119"."""
    values = " ".join(c.surface for c in claims.claims(line) if c.kind in _SATISFIES[kind])
    if values:
        return not claims.missing(values, answer)
    days = _days(line) if kind == "when" else frozenset()
    return bool(days) and days <= _days(answer)


def _days(text: str) -> frozenset[str]:
    return frozenset(k for k in entities(text) if k.startswith("day:"))
