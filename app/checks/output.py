"""Output checks on a drafted reply, before any of it reaches a customer.

Pure and deterministic: no model judges another model here, so the checks hold with any LLM,
including one that always misbehaves. They work on partial text too (the pipeline checks the
text released so far, sentence by sentence); a canary split across two chunks is caught once
the accumulated text is checked.
"""

from __future__ import annotations

import base64
import codecs
import functools
import math
import re
from dataclasses import dataclass

from app.checks import output_promises as lex
from app.checks import output_words as phr
from app.text import fold


@dataclass(frozen=True)
class OutputVerdict:
    ok: bool
    fired: tuple[str, ...]  # e.g. ("promise:refund", "canary", "profanity", "prompt_leak")


_SI = re.compile(r"\bsí\b")  # Spanish "yes", not the conditional "si"
_SENTENCE_END = re.compile(r"[.!?;]+(?=\s|$)|\n+")
_NON_WORD = re.compile(r"[^a-z0-9|]+")
_SIGNS = str.maketrans({"%": " pct ", "€": " eur ", "$": " usd ", "£": " gbp ", "|": " "})


def words(text: str) -> str:
    """Folded words separated by single spaces, each sentence wrapped in `| ... |`."""
    return _words(fold(_SI.sub("yes", text.casefold())))


def _words(folded: str) -> str:
    spaced = _NON_WORD.sub(" ", _SENTENCE_END.sub(" | ", folded.translate(_SIGNS)))
    return f"| {spaced.strip(' |')} |"  # one space between words: _NON_WORD took the runs


def check_output(text: str, canary: str, instructions: str = "") -> OutputVerdict:
    """Which checks a drafted reply fails; `ok` only when none fired. With `instructions`
    (the system prompt the model was given), repeating a run of them is a leak too."""
    folded = fold(_SI.sub("yes", text.casefold()))
    w = _words(folded)
    fired = list(dict.fromkeys(_promises(w, folded) + _gifts(text)))
    if _leaks_canary(text, folded, canary):
        fired.append("canary")
    if _swears(folded) or _ACCENTED.search(text.casefold()):
        fired.append("profanity")
    if _LEAK.search(w) or (instructions and _repeats(w, instructions)):
        fired.append("prompt_leak")
    return OutputVerdict(ok=not fired, fired=tuple(fired))


# --- Promises: refunds, discounts, compensation, prices, anything binding --------------------

_WORD = r"[^ |]+"
_TOPIC = "|".join(f"(?:{p})" for p in lex.TOPIC_CATEGORIES.values())
_CATEGORIES = [(name, re.compile(rf"(?:{p})$")) for name, p in lex.TOPIC_CATEGORIES.items()]


def _compile(pattern: str) -> re.Pattern[str]:
    for gap, n in (("<G>", 5), ("<G2>", 2), ("<G3>", 3), ("<G6>", 6)):
        pattern = pattern.replace(gap, f"(?:{_WORD} ){{0,{n}}}?")
    return re.compile(pattern.replace("<T>", rf"(?P<t>{_TOPIC})\b"))


# Each frame is tried only on sentences holding one of its gate words ("i", "we", "ich"...).
_ENTRIES = [(e, False) for e in lex.ALWAYS] + [(e, True) for e in lex.POLICY]
_FRAMES = [(_compile(e.partition(" ~ ")[2]), policy) for e, policy in _ENTRIES]
_FRAMES_BY_WORD: dict[str, list[int]] = {}
for _i, (_entry, _) in enumerate(_ENTRIES):
    for _gate in _entry.partition(" ~ ")[0].split():
        _FRAMES_BY_WORD.setdefault(_gate, []).append(_i)
_ANY_TOPIC = re.compile(rf"\b(?:{_TOPIC}|terug|terugbetaald|erstattet)\b")
_BINDING = re.compile(phr.BINDING)
# Cheap test before the binding phrases: every one of them contains one of these.
_BINDING_HINT = re.compile(
    r"bind|takes|deal|guarant|promis|word|woord|wort|beloof|garand|geldig|abgemacht|gebongt"
    r"|verspr|afgesproken|contraign|engageant|ferme|definitif|conclu|garantis|promet|parole"
    r"|vincul|trato"
)
_DEAL = re.compile(r"(?:^|[.!?]\s+)deal\s*,")
_COURTESY = re.compile(phr.COURTESY)
# Dutch "als" is "if" before a clause ("als je...") but "as" before a noun ("als compensatie").
_CONDITION = re.compile(
    rf"\b(?:{'|'.join(sorted(phr.CONDITIONS))})\b"
    r"|\bals (?:je|jij|u|we|wij|het|de|dit|dat|uw|jouw|er|ze|zij|hij|men|een)\b"
)
_EMBEDDING = frozenset(("whether", "if", "of", "ob", "si", "falls"))  # an embedded question
_GIFT_BEFORE = re.compile(phr.NOT_A_GIFT_BEFORE)
_LEAK = re.compile(phr.LEAK_PHRASES)


def _promises(w: str, folded: str) -> list[str]:
    found = []
    if _BINDING_HINT.search(w):
        binding = _BINDING.finditer(w)
        found = ["promise:binding" for m in binding if not _negated(w, m.start(), m.end(), 2)]
    if _DEAL.search(folded):
        found.append("promise:binding")
    for sentence in w[2:-2].split(" | "):
        if _ANY_TOPIC.search(sentence):  # most sentences: nothing to promise, nothing to do
            found.extend(_sentence_promises(f"| {sentence} |"))
    return found


def _sentence_promises(s: str) -> list[str]:
    frames = sorted({i for token in s.split() for i in _FRAMES_BY_WORD.get(token, ())})
    return [
        f"promise:{_category(m['t'])}"
        for pattern, policy in (_FRAMES[i] for i in frames)
        for m in pattern.finditer(s)
        if _is_promise(s, m, policy)
    ]


def _is_promise(w: str, m: re.Match[str], policy: bool) -> bool:
    start, t_start, t_end = m.start(), m.start("t"), m.end("t")
    after = w[t_end:].split(maxsplit=2)
    if (after and after[0] in phr.NOT_A_GIFT_AFTER) or phr.NOT_A_GIFT_GLUED.search(m["t"]):
        return False  # "refund policy", "Erstattungsformular": talked about, not given
    if _GIFT_BEFORE.search(w[max(0, t_start - 30) : t_start]):
        return False  # "politique de remboursement"
    if phr.GAP_GUARDS.intersection(w[start:t_start].split()):
        return False  # "I can send you information about refunds", "...a colleague who can"
    if _negated(w, start, m.end(), before=1) or {"nicht", "niet"}.intersection(after[:2]):
        return False
    head = w[:start].rsplit("|", 1)[-1].split()
    if head and head[-1] in _EMBEDDING:
        return False  # "a colleague will check whether you are entitled to a refund"
    return not (policy and _conditional(w, start, m.end()))


def _negated(w: str, start: int, end: int, before: int) -> bool:
    head = w[:start].rsplit("|", 1)[-1].split()[-before:]
    return bool(phr.NEGATORS.intersection(head + w[start:end].split()))


def _conditional(w: str, start: int, end: int) -> bool:
    left, right = w.rfind("|", 0, start), w.find("|", end)
    sentence = w[left + 1 : right if right >= 0 else None]
    return bool(_CONDITION.search(sentence)) and not _COURTESY.search(sentence)


def _category(topic: str) -> str:
    return next((name for name, p in _CATEGORIES if p.match(topic)), "refund")


# --- Free products and gifts ----------------------------------------------------------------

_FREE, _GIFT = re.compile(lex.FREE), re.compile(lex.GIFT)
_PRODUCT, _SERVICE = re.compile(lex.PRODUCT), re.compile(lex.SERVICE)
_GIFT_PRODUCTS = re.compile(lex.GIFT_PRODUCTS)
_NO_COST = re.compile(r"\bat no (?:extra )?(?:cost|charge)\b")
# A person decides, or whether: nothing is given yet.
_DECIDED = frozenset(
    re.findall(
        r"\w+",
        "decide decides decided beslist beslissen entscheidet entscheiden decident decidera"
        " decidira whether ob",
    )
)
_LETTERS = re.compile(r"\b(?:[a-z] ){2,}[a-z]\b")  # "f r e e"


def _gifts(text: str) -> list[str]:
    """A product or compensation given away ("your next e-bike is free of charge"); the
    shop's own free services ("shipping is free from €50") are not promises."""
    w = words(text.translate(lex.CONFUSABLES))
    w = _GIFT_PRODUCTS.sub(" ", _LETTERS.sub(lambda m: m[0].replace(" ", ""), w))
    found = []
    for sentence in w[2:-2].split(" | "):
        if not _FREE.search(sentence) or _SERVICE.search(sentence):
            continue
        said = _NO_COST.sub(" ", sentence).split()  # "at no cost" gives, it does not deny
        if phr.NEGATORS.intersection(said) or _DECIDED.intersection(said):
            continue  # "I cannot promise a gift", "a person decides on gifts"
        if _GIFT.search(sentence) or _PRODUCT.search(sentence):
            found.append("promise:gift")
    return found


# --- The canary planted in the system prompt -------------------------------------------------


_NON_ALNUM = re.compile(r"[^a-z0-9]")
_SPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=64)
def _canary_forms(canary: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Forms searched in the alphanumeric text, and base64 fragments searched in the raw text."""
    key = _NON_ALNUM.sub("", fold(canary))
    if len(key) < 8:  # too short to tell from ordinary text: nothing planted
        return (), ()
    plain = (key, key[::-1], codecs.encode(key, "rot13"), canary.encode().hex(), key.encode().hex())
    fragments: set[str] = set()
    for variant in {canary, canary.lower(), canary.upper(), key}:
        data = variant.encode()
        for shift in range(3):  # the canary can start at any byte offset of an encoded blob
            encoded = base64.b64encode(bytes(shift) + data).decode()
            piece = encoded[math.ceil(8 * shift / 6) : (8 * (shift + len(data))) // 6]
            fragments.update({piece, piece.translate(str.maketrans("+/", "-_"))})
    return plain, tuple(fragments)


def _leaks_canary(text: str, folded: str, canary: str) -> bool:
    plain, fragments = _canary_forms(canary)
    if not plain:
        return False
    compact = _NON_ALNUM.sub("", folded)  # spaced out, split over lines, dashed
    if any(form in compact for form in plain):
        return True
    dense = _SPACE.sub("", text)
    return any(fragment in dense for fragment in fragments)


# --- The instruction text itself -------------------------------------------------------------

# Six words in a row from the instructions is a quotation, not a coincidence: the prompt's
# longest run shared with an ordinary help-centre answer is a few function words.
_RUN = 6


@functools.lru_cache(maxsize=64)
def _runs(instructions: str) -> frozenset[tuple[str, ...]]:
    tokens = words(instructions).replace("|", " ").split()
    return frozenset(tuple(tokens[i : i + _RUN]) for i in range(len(tokens) - _RUN + 1))


def _repeats(w: str, instructions: str) -> bool:
    """Whether the text holds a run of `_RUN` words of the instructions (sentence ends ignored:
    a model may re-punctuate what it quotes)."""
    runs, tokens = _runs(instructions), w.replace("|", " ").split()
    return any(tuple(tokens[i : i + _RUN]) in runs for i in range(len(tokens) - _RUN + 1))


# --- Profanity (INC-DPD) ---------------------------------------------------------------------


_ACCENTED = re.compile(phr.ACCENTED)
_SWEAR_PHRASES = re.compile(phr.SWEAR_PHRASES)
_TOKEN = re.compile(r"[\w@$!+*|]+")
_SPACED = re.compile(r"\b(?:[a-z0-9][\s.*_-]+){2,}[a-z0-9]\b")
_STRETCH = re.compile(r"([a-z])\1{2,}")


def _swears(folded: str) -> bool:
    """A swear word, also in leetspeak ("sh1t"), masked ("f**k"), spaced out or stretched."""
    if phr.SWEAR_ANYWHERE in folded or _SWEAR_PHRASES.search(folded):
        return True
    found = {t if t.isalpha() else _unmask(t) for t in _TOKEN.findall(folded)}
    found.update(_NON_ALNUM.sub("", m[0]) for m in _SPACED.finditer(folded))  # "f u c k"
    found.update([v for t in found if _STRETCH.search(t) for v in _unstretched(t)])
    return not phr.SWEAR_WORDS.isdisjoint(found) or any(
        t.startswith(phr.SWEAR_PREFIXES) or phr.SWEAR_ANYWHERE in t for t in found
    )


def _unstretched(token: str) -> tuple[str, str]:
    return _STRETCH.sub(r"\1", token), _STRETCH.sub(r"\1\1", token)  # "fuuuck", "asssss"


def _unmask(raw: str) -> str:
    """A token with leetspeak undone, or the swear word its asterisks hide ("sh*t", "F***")."""
    token = raw.strip("*") if raw.startswith("*") else raw  # markdown **bold**
    token = token.rstrip("!?")
    if "*" in token and len(token) >= 3 and token[0] != "*":
        masked = re.compile(re.escape(token.translate(phr.LEET)).replace("\\*", "[a-z]"))
        return next((t for t in phr.MASK_TARGETS.split() if masked.fullmatch(t)), token)
    return token.translate(phr.LEET)
