"""Explicit requests for a human (en, nl, de, fr, es), decided before any LLM call.

Words are tagged with concepts (HUM "medewerker", TALK "parler", WANT "quiero") and rules look
for a request frame around a human word. Only when request-like words have no frame, and nothing
reads as a question about something else, is the message embedded once and compared to anchors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from app.checks import human_request_words as lex
from app.embeddings import Embedder

# Calibrated on the dev split of tests/data/human_requests.jsonl (see its README).
SEMANTIC_THRESHOLD = 0.90
SEMANTIC_MARGIN = 0.04
# Longer messages are stories, not requests; the lexicon still reads them.
SEMANTIC_MAX_WORDS = 30

# A person named with a verb of contact or wish is stronger evidence than indirect frames.
_STRONG_RULES = frozenset({"talk_to_human", "transfer", "want_human", "bare_human"})
_CUES = frozenset({"HUM", "SERV", "BOT", "TALK", "XFER", "REAL", "STOP"})


@dataclass(frozen=True)
class HumanRequest:
    requested: bool
    score: float  # 0..1, strength of the evidence
    rule: str | None  # which lexicon rule or "semantic" fired, for the decision record


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _one_edit(a: str, b: str) -> bool:
    """Levenshtein distance 1 or one swap of neighbours (optimal string alignment)."""
    if len(a) != len(b):
        short, long_ = sorted((a, b), key=len)
        return len(long_) - len(short) == 1 and short in _deletions(long_)
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    swap = (
        len(diff) == 2
        and diff[1] == diff[0] + 1
        and a[diff[0]] + a[diff[1]] == b[diff[1]] + b[diff[0]]
    )
    return len(diff) == 1 or swap


def _plausible_typo(word: str, candidate: str, tag: str) -> bool:
    """Typos keep the first two letters (or swap them, or drop a silent h); "calls" is no typo
    of "call" and short transfer verbs sit too close to ordinary words ("still", "stell")."""
    start_ok = candidate[:2] in (word[:2], word[1::-1]) or candidate[:3] == "h" + word[:2]
    verb_s = tag != "HUM" and word == candidate + "s"
    long_enough = tag != "XFER" or len(candidate) >= 7
    return start_ok and long_enough and not verb_s and _one_edit(word, candidate)


def _fuzzy_index() -> dict[str, list[tuple[str, str]]]:
    index: dict[str, list[tuple[str, str]]] = {}
    for tag, words in lex.CONCEPTS:
        if tag in lex.FUZZY_TAGS:
            for word in sorted(w for w in words if len(w) >= 4):
                for key in {word} | _deletions(word):
                    index.setdefault(key, []).append((word, tag))
    return index


_INDEX = _fuzzy_index()


@lru_cache(maxsize=8192)
def tag_word(word: str) -> str:
    """The concept of one normalised word ("" for none), tolerating one typo in long words."""
    for tag, words in lex.CONCEPTS:
        if word in words:
            return tag
    if len(word) > 6 and word.endswith(lex.HUMAN_SUFFIXES):
        return "HUM"
    for clitic in lex.CLITICS:
        stem = word.removesuffix(clitic)
        if stem != word and stem.endswith(("ar", "er", "ir")) and tag_word(stem):
            return tag_word(stem)
    if len(word) < 5 or word in lex.NO_FUZZ or not word.isalpha():
        return ""
    for key in sorted({word} | _deletions(word)):
        for candidate, tag in _INDEX.get(key, ()):
            if _plausible_typo(word, candidate, tag):
                return tag
    return ""


def _tag_in_context(words: Sequence[str], i: int) -> str:
    """ "j'ai parle" is a report and "a transfer" a noun."""
    tag, prev = tag_word(words[i]), words[i - 1] if i else ""
    if tag == "TALK" and prev in lex.AUXILIARIES:
        return "PAST"
    return "" if tag == "XFER" and prev in lex.DETERMINERS else tag


@dataclass(frozen=True)
class Reading:
    """What the lexicon made of a message."""

    rule: str | None  # the request frame found, if any
    cue: bool  # request-like words without a frame: worth an embedding
    blocked: bool  # reads as a question about something else, or a negated request


def _is_attribute(words: Sequence[str], i: int) -> bool:
    """True when the human word names a category or thing: "travel agent", "person under 18"."""
    prev = words[i - 1] if i else ""
    if prev in lex.ATTRIBUTE or prev in lex.ATTRIBUTE_BEFORE or prev.isdigit():
        return True
    for word in words[i + 1 : i + 4]:
        if word not in lex.LINKERS:
            return word in lex.ATTRIBUTE or word in lex.ATTRIBUTE_AFTER or word.isdigit()
    return False


def _human_slots(words: Sequence[str], tags: Sequence[str]) -> tuple[set[int], set[int], bool]:
    """Positions of usable human words, of third parties ("someone else"), and any ruled out."""
    usable: set[int] = set()
    third: set[int] = set()
    ruled_out = False
    for i, tag in enumerate(tags):
        if tag not in ("HUM", "SERV"):
            continue
        if _is_attribute(words, i) or lex.NEG_NOUN.intersection(words[max(0, i - 2) : i]):
            ruled_out = True
        elif "OTHER" in tags[max(0, i - 2) : i + 3]:
            third.add(i)
            ruled_out = True
        else:
            usable.add(i)
    return usable, third, ruled_out


def _negated(words: Sequence[str], j: int) -> bool:
    """ "don't want", "ik wil niet", "ne me transferez pas"; not "can't you transfer me"."""
    after = words[j + 1] if j + 1 < len(words) else ""
    for i in range(max(0, j - 2), j):
        if words[i] in lex.NEG and words[i + 1] not in lex.SUBJECTS:
            return True
    return after in lex.NEG


def _live_verbs(words: Sequence[str], tags: Sequence[str]) -> list[str]:
    """Negated wishes and transfers marked NWANT/NXFER; TALK under a negated wish dropped."""
    live = list(tags)
    for j, tag in enumerate(tags):
        if tag in ("WANT", "XFER") and _negated(words, j):
            live[j] = "N" + tag
    for j, tag in enumerate(live):
        if tag == "TALK" and ("NWANT" in live[max(0, j - 3) : j] or _about_language(words)):
            live[j] = ""
    return live


def _about_language(words: Sequence[str]) -> bool:
    """ "Spreken jullie medewerkers Duits?" asks about a language, "someone in English" not."""
    pairs = zip(["", *words], words, strict=False)
    return any(w in lex.LANGUAGES and p not in lex.LANGUAGE_PREPOSITIONS for p, w in pairs)


def _near(j: int, positions: set[int], after: int, before: int) -> bool:
    return any(0 < k - j <= after or 0 < j - k <= before for k in positions)


def _refuses_bot(words: Sequence[str], j: int) -> bool:
    """ "no more bot", "stop the bot", "I don't want to talk to a machine"; a plain "not" needs
    a wish or a verb of talking, so "why won't the machine take my card" is no refusal."""
    for i in range(j - 1, max(-1, j - 7), -1):
        if words[i] in lex.NEG_NOUN or words[i] in lex.STOP:
            return True
        if words[i] in lex.NEG:
            return bool((lex.WANT | lex.TALK).intersection(words[max(0, i - 1) : j]))
        if words[i] not in lex.NO_BOT_GAP:
            return False
    return False


def _frame(
    words: Sequence[str], tags: Sequence[str], usable: set[int], third: set[int]
) -> str | None:
    """The first request frame in one clause, by rule name."""
    people = {k for k in usable if tags[k] == "HUM"}
    # "can someone help me?" is too vague; "someone real" or a named role is a request.
    staff = usable if "REAL" in tags else {k for k in usable if words[k] not in lex.INDEFINITE}
    for j, tag in enumerate(tags):
        final = words[j] in lex.VERB_FINAL  # nl/de: the object comes before the verb
        if tag == "TALK" and _near(j, usable | third, after=5, before=5):
            return "talk_to_human"
        if tag == "XFER" and (
            _near(j, usable, after=6, before=4 * final) or _bare_transfer(words, j)
        ):
            return "transfer"
        if tag == "WANT" and (_wants(words, j, people) or _near(j, people, 0, before=2 * final)):
            return "want_human"
        if tag == "LOOK" and _near(j, staff, after=0, before=5):
            return "human_look"
        if tag == "BOT" and _refuses_bot(words, j):
            return "no_bot"
        if words[j] in lex.AVAILABLE and _near(j, people, after=3, before=3):
            return "human_available"
    bare = all(
        t in ("HUM", "SERV", "REAL") or w in lex.BARE for w, t in zip(words, tags, strict=True)
    )
    return "bare_human" if usable and bare and len(words) <= 6 else None


def _wants(words: Sequence[str], j: int, usable: set[int]) -> bool:
    """The human (not a service: "I need support with X") is the object of the wish."""
    for k in range(j + 1, min(j + 6, len(words))):
        if k in usable:
            return True
        if words[k] not in lex.WANT_GAP:
            return False
    return False


def _bare_transfer(words: Sequence[str], j: int) -> bool:
    """ "transfer me", "verbind me door aub", "ich möchte weitergeleitet werden"."""
    rest = [*words[:j], *words[j + 1 :]]
    anchored = lex.ME | lex.WANT | lex.PASSIVE | lex.PARTICLES
    return (
        len(words) <= 6 and all(w in lex.TRANSFER_GAP for w in rest) and bool(anchored & set(rest))
    )


def read(text: str) -> Reading:
    """The lexicon's reading of a message, clause by clause."""
    cue = blocked = False
    for words in lex.clauses(text):
        tags = [_tag_in_context(words, i) for i in range(len(words))]
        usable, third, ruled_out = _human_slots(words, tags)
        live = _live_verbs(words, tags)
        negated = "NWANT" in live or "NXFER" in live
        blocked = blocked or ruled_out or negated or "PAST" in tags
        rule = _frame(words, live, usable, third)
        if rule:
            return Reading(rule, True, blocked)
        cue = cue or any(t in _CUES for t in tags)
    return Reading(None, cue, blocked)


class HumanRequestDetector:
    """Lexicon first; one embedding, only when the lexicon is unsure."""

    def __init__(self, embedder: Embedder | None) -> None:
        self._embedder = embedder
        if embedder is not None:
            self._anchors = embedder.queries(lex.ANCHORS)
            self._counter = embedder.queries(lex.COUNTER_ANCHORS)

    def detect(self, text: str) -> HumanRequest:
        """Whether the message asks for a person, with the evidence."""
        reading = read(text)
        if reading.rule is not None:
            score = 0.95 if reading.rule in _STRONG_RULES else 0.85
            return HumanRequest(True, score, reading.rule)
        unsure = reading.cue and not reading.blocked and len(text.split()) <= SEMANTIC_MAX_WORDS
        if self._embedder is None or not unsure:
            return HumanRequest(False, 0.0, None)
        return self._semantic(self._embedder, text)

    def _semantic(self, embedder: Embedder, text: str) -> HumanRequest:
        vector = embedder.queries([text[:1000]])[0]
        request = float(np.max(self._anchors @ vector))
        other = float(np.max(self._counter @ vector))
        requested = request >= SEMANTIC_THRESHOLD and request - other >= SEMANTIC_MARGIN
        # e5 cosines are compressed: the threshold maps to 0.5, 0.1 below it (unrelated) to 0;
        # a close counter-anchor keeps the score under 0.5, so score >= 0.5 iff requested.
        score = min(1.0, max(0.0, 0.5 + (request - SEMANTIC_THRESHOLD) * 5))
        score = score if requested else min(score, 0.49)
        return HumanRequest(requested, round(score, 3), "semantic" if requested else None)
