"""Sentences and what they are about, for comparing an answer with the help centre: splitting,
content stems, names, clauses and polarity. Deterministic and language-light (five languages)."""

from __future__ import annotations

import re

from app.checks import confidence_words as lex
from app.checks.output import words
from app.checks.output_words import NEGATORS
from app.text import fold

_DONT_KNOW = re.compile(lex.DONT_KNOW)
_DONT_KNOW_ACCENTED = re.compile(lex.DONT_KNOW_ACCENTED)


def says_dont_know(text: str) -> bool:
    """The text admits it does not know or found nothing (in any of the five languages)."""
    return bool(_DONT_KNOW.search(words(text)) or _DONT_KNOW_ACCENTED.search(text.casefold()))


_SENTENCE = re.compile(r"(?<=[.!?…])\s+|\n+")
_BLOCK = re.compile(r"\n\s*\n")
_NUMBERING = re.compile(r"\d{1,2}[.)]")  # "1." left alone when a list was run together
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+")


def split(text: str) -> list[str]:
    """Sentences, list items counting as sentences; empty pieces dropped."""
    pieces = (_BULLET.sub("", p).strip() for p in _SENTENCE.split(text))
    return [s for s in pieces if s and not _NUMBERING.fullmatch(s)]


# A statement ends at a semicolon, or at a comma before a conjunction that starts a new one:
# "available up to €1,500, and you pay within 30 days" states two facts from two sentences.
_STATEMENT_END = re.compile(
    r"(?<=;)\s+|(?<=,)\s+(?=(?:and|but|so|en|maar|dus|und|aber|et|mais|donc|y|pero|e)\s)",
    re.IGNORECASE,
)


def statements(text: str) -> list[str]:
    """`split`, then each sentence cut into the statements it joins; joined with single
    spaces they give the text back."""
    return [p for s in split(text) for p in (q.strip() for q in _STATEMENT_END.split(s)) if p]


def blocks(text: str) -> list[list[str]]:
    """Paragraphs (a list is one paragraph), each as its sentences."""
    return [b for b in (split(block) for block in _BLOCK.split(text)) if b]


PLACEHOLDER = re.compile(r"<[A-Z_]+_\d+>")  # redaction placeholders carry no content
NEGATIVE = NEGATORS | lex.NEGATIVE_WORDS


def stems(text: str) -> frozenset[str]:
    """Content stems: no function words, no digits, no negators."""
    return frozenset(
        stem(w)
        for w in words(PLACEHOLDER.sub(" ", text)).split()
        if len(w) > 2 and not w.isdigit() and w not in lex.STOPWORDS and w not in NEGATIVE
    )


def stem(word: str) -> str:
    """A crude shared stem of inflected forms ("returned", "returns" → "return")."""
    for suffix in ("ingen", "ungen", "ing", "ed", "es", "en", "er", "e", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)][:6]
    if word.endswith("s") and len(word) == 4:
        return word[:3]  # "days" → "day"
    return word[:6]


# Courtesy and empathy: a sentence made only of these states nothing about the help centre.
COURTESY = frozenset(
    stem(w)
    for w in str.split(
        "sorry loss understand unfortunately apologies apologise apologize inconvenience glad"
        " welcome hope frustrating frustration annoying wish day nice"
        " spijt sorry begrijp vervelend jammer helaas excuses fijne dag"
        " leid leider verstehe entschuldigung argerlich schonen tag"
        " desole desolee comprends malheureusement excuses dommage bonne journee"
        " siento lamento entiendo desafortunadamente disculpa disculpas lastima buen dia"
    )
)


# Verbs and adverbs any answer may use around a number in its own words ("takes", "costs",
# "usually", "call"): they do not say WHICH fact the number belongs to.
GENERIC = frozenset(
    stem(w)
    for w in str.split(
        "take takes took cost costs costing usually normally typically generally mostly kept keep"
        " keeps stored store get gets receive receives received pay paid need needs make makes"
        " call email mail write contact reach arrive arrives send sent charge charged"
        " after before within until from since binnen voor tot vanaf innerhalb nach vor bis"
        " seit sous apres avant jusqu depuis dentro despues antes hasta desde"
        " duurt duren kost kosten meestal normaal gewoonlijk bewaard bewaren krijg krijgt"
        " ontvang ontvangt betaal betaalt bel mail stuur stuurt"
        " dauert dauern kostet kosten meistens normalerweise gewohnlich gespeichert bekommen"
        " bekommst erhalten erhalt bezahlen zahlen rufen anrufen schreiben senden"
        " prend prennent coute coutent generalement habituellement normalement conserve"
        " conservees recevez recevoir payez payer appelez ecrivez envoyez"
        " tarda tardan cuesta cuestan normalmente generalmente guardan guarda recibes recibir"
        " pagas pagar llama llamar escribe escribir envia"
    )
)


def clauses(text: str) -> list[str]:
    """Sentences split at coordinating conjunctions: "valid for 12 months and cannot be
    exchanged for cash" holds one positive and one negative statement."""
    return [c.strip() for c in _CLAUSE.split(words(text)) if len(c.split()) > 1]


_CLAUSE = re.compile(r"\||\b(?:and|but|however|while|whereas|maar|und|aber|et|mais|y|pero)\b")


def negative(clause: str) -> bool:
    """The (folded) clause denies something."""
    return not NEGATIVE.isdisjoint(lex.NOT_NEGATIONS.sub(" ", clause).split())


def mixed(clause: str) -> bool:
    """A rule with its exception ("cannot be returned unless faulty"): no one polarity."""
    return not lex.EXCEPTIONS.isdisjoint(clause.split())


_NAME = re.compile(r"\b(?:[A-Z]{2,}[a-z]*|[A-Z][a-z]+[A-Z]\w*)\b|(?<=[a-z,] )[A-Z][a-z]+\b")
_GERMAN = re.compile(
    r"\b(?:der|die|das|den|dem|ein|eine|und|ist|sind|nicht|haben|hat|wir|Sie|Ihre?)\b"
)


def names(sentence: str) -> list[str]:
    """Acronyms, CamelCase brands and capitalised words inside a sentence: "DHL", "PostNL",
    "Canada". German capitalises every noun, so there only acronyms and CamelCase count."""
    found = _NAME.findall(sentence)
    if len(_GERMAN.findall(sentence)) >= 2:
        found = [n for n in found if not re.fullmatch(r"[A-Z][a-z]+", n)]
    # Sentences run together ("... gift cards We do not ...") make function words look like names.
    return [n for n in found if n not in {"I", "AI", "OK", "FAQ"} and fold(n) not in lex.STOPWORDS]


def name_words(sentence: str) -> set[str]:
    """The folded words of the sentence's names."""
    return {w for n in names(sentence) for w in words(n).split() if w != "|"}


def folded_words(text: str) -> frozenset[str]:
    return frozenset(words(text).split())


def stem_of(name: str) -> str:
    return stem(fold(name))
