"""Claim-level grounding: each sentence of a draft is aligned with the help-centre sentence (or,
for a list, the paragraph) that says the same thing, and every checkable claim in it must be
stated THERE, not merely somewhere in the retrieved passages. "The reset link is valid for 2
years" aligns with "The link is valid for 60 minutes"; that "2 years" appears in the privacy
passage does not save it.

Alignment, in order: shared content words (the passage's title and heading count as context,
named things such as countries, days and payment methods match across languages); else a whole
paragraph; else, for a sentence in another language that states numbers, the line of the same
kind it translates (a multilingual sentence encoder, `across`); else, with an embedder, the
cosine of the two sentences (a French answer to an English passage). Checkable claims
(`claims`: amounts, durations, times, percentages, links;
`grounding_words`: countries, days, payment methods, carriers; capitalised names; "always",
"only"; yes/no polarity) must then hold in the aligned text. With an entailment model
configured (`entailment`), it must also say the passage supports the sentence.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

import numpy as np

from app.checks import claims, sentences
from app.checks import confidence_words as lex
from app.checks.grounding_words import EXCLUSIVES, entities, with_members
from app.embeddings import Embedder, remembered_passages
from app.text import STOPWORDS, fold, language_of

ALIGN_SENTENCE = 0.5  # a passage sentence holding half the answer sentence's content words
ALIGN_CLAIMED = 0.1  # more of them when the sentence states a number
ALIGN_UNCLAIMED = 0.01  # more than half when it states none: then only its words vouch for it
SAME_LANGUAGE = 0.75  # a sentence with this share of its words in the passages is in their language
ALIGN_PARAGRAPH = 0.6  # or a paragraph (a list) holding more of them,
PARAGRAPH_GAIN = 0.25  # preferred when it holds this much more: the sentence draws on several
# A statement with no number gathered from a paragraph: its words are all that vouch for it, and
# a paragraph holds many. SmolLM2's invented "we will send a tracking confirmation with a claim
# date" found 5 of its 8 words across the four lines of the damaged-parcel paragraph.
ALIGN_PARAGRAPH_UNCLAIMED = 0.8
# multilingual-e5 query-vs-passage cosine of a sentence and its translation: 0.90-0.94 here;
# the same topic in other words: 0.80-0.85 (see tests/test_grounding.py), and up to 0.876:
# SmolLM2's "La solicitud de garantía está en 2 años." (the legal guarantee, not how long a
# claim takes) sat there with "a legal guarantee of 2 years". The suite's right answers aligned
# by meaning alone start at 0.908.
ALIGN_MEANING = 0.89
# A statement with no number aligned by meaning alone: nothing else vouches for it. SmolLM2's
# "La location de vélos est lele à l'aborder." sat at 0.871 with the Dutch workshop page; the
# suite's one right statement of that kind ("usa tu número de pedido como referencia.") at 0.95.
ALIGN_MEANING_UNCLAIMED = 0.9
MEANING_MARGIN = 0.02
# Universal Sentence Encoder Multilingual cosines of an answer sentence and the help-centre line
# it translates: 0.32-0.76 on the demo suite; unrelated lines 0.1-0.45, so the closest must
# also lead the next by a clear margin (the right lines led by 0.05-0.40), state the numbers
# (masked while ranking), and no line nearer the question may state another value.
ACROSS = 0.3
ACROSS_MARGIN = 0.05  # lines this close to the best one in meaning are rivals
AT_HOME = 0.4  # a line in the sentence's own language holding this share of its words competes
SHARED_WORDS = 0.05  # in alignment by meaning, what sharing all of a sentence's words adds
ENTAILED = 0.5  # the entailment model's probability that the passage supports the sentence
_MARKERS = EXCLUSIVES | lex.ABSOLUTES


class Entailment(Protocol):
    """An NLI or cross-encoder model (`app.checks.entailment`): for each (passage sentence,
    answer sentence) pair, the probability that the first supports the second."""

    def support(self, pairs: Sequence[tuple[str, str]]) -> list[float]: ...


class PassageLike(Protocol):
    @property
    def text(self) -> str: ...

    @property
    def title(self) -> str: ...


@dataclass(frozen=True)
class Unit:
    """A passage sentence or paragraph an answer sentence can align with."""

    passage: int  # index into the passages given
    text: str
    stems: frozenset[str]  # content stems and entity keys
    context: frozenset[str]  # the passage's title and heading, same vocabulary
    paragraph: bool
    label: str = ""  # the heading (else the title) the line stands under, as written


@dataclass(frozen=True)
class SentenceCheck:
    text: str
    substantive: bool  # states something about the help centre (not "Happy to help!")
    passage: int | None
    alignment: float
    how: str  # words | paragraph | translation | meaning | "" (unaligned or not substantive)
    problems: tuple[str, ...]

    @property
    def supported(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Grounding:
    sentences: tuple[SentenceCheck, ...]

    @property
    def substantive(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.substantive]

    @property
    def holds(self) -> bool:
        """Something grounded to say: the first statement (usually the direct answer) and at
        least half of all statements are supported; the rest are removed."""
        said = self.substantive
        return bool(said) and said[0].supported and 2 * sum(s.supported for s in said) >= len(said)

    @property
    def shown(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if s.supported] if self.holds else []

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.shown)

    @property
    def cited(self) -> list[int]:
        """The passages behind the sentences shown, in order of first use."""
        used = [s.passage for s in self.shown if s.substantive and s.passage is not None]
        return list(dict.fromkeys(used))

    @property
    def share(self) -> float:
        said = self.substantive
        return sum(s.supported for s in said) / len(said) if said else 0.0

    @property
    def problems(self) -> list[str]:
        return list(dict.fromkeys(p for s in self.sentences for p in s.problems))


@lru_cache(maxsize=8192)  # the same help-centre lines are read turn after turn
def _tokens(text: str) -> frozenset[str]:
    """Content stems plus the entity keys of named things, so "Duitsland" meets "Germany"."""
    return sentences.stems(text) | {f"@{k}" for k in entities(text)}


@lru_cache(maxsize=1024)
def _list_tokens(lines: tuple[str, ...]) -> list[frozenset[str]]:
    """`_tokens` of each line of one paragraph or list, where "Other EU countries" also names
    the member countries no other line of the list names (`with_members`)."""
    keys = with_members([entities(line) for line in lines])
    return [
        sentences.stems(line) | {f"@{k}" for k in named}
        for line, named in zip(lines, keys, strict=True)
    ]


def _named(unit: Unit) -> frozenset[str]:
    """The entity keys a unit vouches for."""
    return frozenset(t[1:] for t in unit.stems if t.startswith("@"))


class Grounder:
    """Checks answer sentences against one turn's passages; sentences are cached, so the
    streaming gate and the final check do the work once."""

    def __init__(
        self,
        passages: Sequence[PassageLike],
        embedder: Embedder | None = None,
        entailment: Entailment | None = None,
        translate: Callable[[str], str] | None = None,
        question: str = "",
        across: Embedder | None = None,
    ) -> None:
        """`translate`: a text with the help-centre words its foreign words stand for appended
        (`Retriever.bridged`), so a French sentence can align by words with an English one.
        `question`: the customer's (redacted) question, which says which of two alike lines an
        answer means. `across`: an encoder that puts a sentence and its translation together
        (`app.crosslingual.SentencesAcross`), for answers in another language than the line."""
        self.passages = passages
        self.embedder = embedder
        self.entailment = entailment
        self.translate = translate
        self.across = across
        self.question = question
        self.asked = _tokens(translate(question) if translate and question else question)
        self.units: list[Unit] = []
        for i, p in enumerate(passages):
            context = _tokens(f"{p.title} {getattr(p, 'heading', '')}")
            label = getattr(p, "heading", "") or p.title
            blocks = sentences.blocks(p.text)
            every: set[str] = set()
            for block in blocks:
                lines = _list_tokens(tuple(block))
                for s, tokens in zip(block, lines, strict=True):
                    self.units.append(Unit(i, s, tokens, context, False, label))
                every.update(*lines)
                if len(block) > 1:
                    joined = "\n".join(block)
                    self.units.append(Unit(i, joined, frozenset().union(*lines), context, True))
            if len(blocks) > 1:  # a sentence may draw on a list and the line after it
                whole = "\n".join(s for block in blocks for s in block)
                self.units.append(Unit(i, whole, frozenset(every), context, True))
        self.vocabulary = frozenset().union(*(u.stems for u in self.units))
        self.languages = [language_of(p.text) for p in passages]
        self._checked: dict[str, SentenceCheck] = {}
        self._rivals: dict[str, list[Unit]] = {}  # lines nearly as close in meaning
        self._said: dict[str, frozenset[str]] = {}  # `_words` of each statement
        self._question_vector: np.ndarray | None = None  # `across` of the question, once

    def ground(self, answer: str) -> Grounding:
        checked: list[SentenceCheck] = []
        for sentence in sentences.split(answer):
            before: SentenceCheck | None = None
            for part in sentences.statements(sentence):
                found = self.check(part)
                if before is not None and found.substantive and not found.supported:
                    found = self._continued(before, found)
                checked.append(found)
                before = found
        return Grounding(tuple(checked))

    def _continued(self, before: SentenceCheck, part: SentenceCheck) -> SentenceCheck:
        """A statement that holds only with the one before it in the same sentence: the model
        split one statement in two ("Standard shipping to the Netherlands costs €4.95; from
        €50 it is free"). Checked joined, it cites what the joined statement aligns with."""
        if not before.supported or before.passage is None:
            return part
        joined = self.check(f"{before.text} {part.text}")
        if not joined.supported or joined.passage is None:
            return part
        # Aligned by words, a part stating no number of its own would ride on the words of
        # the part before it (SmolLM2: "You can return a product within 30 days of receiving
        # it, but you must have returned the entire order before that."). Aligned as the
        # translation of a line, the whole joined statement is what the encoder vouches for.
        if joined.how != "translation" and not claims.claims(part.text):
            return part
        return SentenceCheck(part.text, True, joined.passage, joined.alignment, "joined", ())

    def check(self, sentence: str) -> SentenceCheck:
        found = self._checked.get(sentence)
        if found is None:
            found = self._checked[sentence] = self._check(sentence)
        return found

    def _check(self, sentence: str) -> SentenceCheck:
        said = _tokens(sentence)
        stated = claims.claims(sentence)
        content = said - sentences.COURTESY
        substantive = len(content) >= 2 or bool(stated) or any(t.startswith("@") for t in said)
        if sentence.rstrip().endswith("?"):  # a model echoing the question answers nothing
            return SentenceCheck(sentence, False, None, 0.0, "", ("a question, not an answer",))
        if not substantive or sentences.says_dont_know(sentence):
            return SentenceCheck(sentence, False, None, 0.0, "", ())
        unit, score, how = self._align(sentence, said)
        if unit is None and self.embedder is None and stated:
            unit, how = self._stating(sentence), "claims"
        if unit is None:
            unaligned = tuple(c.surface for c in stated) or (
                f"not in the help centre: {sentence[:60]}",
            )
            return SentenceCheck(sentence, True, None, round(score, 4), "", unaligned)
        problems = _unsupported(sentence, unit, how)
        wider = self._paragraph_of(unit) if problems and how == "words" else None
        if (
            wider is not None
            and not _unsupported(sentence, wider, "paragraph")
            and not _numbers_from_other_lines(sentence, wider)
            and (stated or self._holds_most(sentence, said, wider))
        ):
            # A sentence joining two lines of a list ("free from €50. Other EU countries: €7.95"):
            # the paragraph states both, each number checked against the line that says it.
            unit, how, problems = wider, "paragraph", []
        if not problems and stated and how != "translation":  # its words differ by design
            problems = self._mixed_up(sentence, unit, stated)
        if not problems and stated and how in ("words", "meaning"):
            problems = _ambiguous(stated, self._rivals.get(sentence, []))
        if not problems and stated and how == "words":
            # Only lines that fit the customer's question itself better than the aligned one.
            asked = len(self.asked & (unit.stems | unit.context))
            problems = _silent(
                [
                    u
                    for u in self._rivals.get(sentence, [])
                    if len(self.asked & (u.stems | u.context)) > asked
                ],
            )
        if not problems and stated and how in ("words", "paragraph"):
            problems = self._swapped_word(sentence, unit)
        if not problems and how == "words":
            problems = self._unknown_subject(sentence, unit)
        if not problems and stated:
            problems = self._added_start(sentence, unit, stated)
        model = self.entailment
        if (
            not problems
            and model is not None
            and model.support([(unit.text, sentence)])[0] < ENTAILED
        ):
            problems = ["the passage does not entail it"]
        return SentenceCheck(sentence, True, unit.passage, round(score, 4), how, tuple(problems))

    def _align(self, sentence: str, said: frozenset[str]) -> tuple[Unit | None, float, str]:
        # Claims left out: the sentence aligns by what it is about, then its claims are checked.
        own = _tokens(_masked(sentence)) or said
        words = self._words(sentence)
        claimed = bool(claims.claims(sentence))

        def coverage(u: Unit) -> float:
            return _share(words, own, u)

        # A sentence naming a country, a day or a way to pay is about the lines that name it
        # ("Austria, France and Denmark: 2 to 4 working days"), whatever else it shares.
        named = {t for t in said if t.startswith("@")}
        candidates = [u for u in self.units if named <= u.stems] if named else []
        candidates = candidates or self.units
        ranked: dict[bool, tuple[Unit | None, float]] = {False: (None, 0.0), True: (None, 0.0)}
        for u in candidates:
            c = coverage(u)
            held, best = ranked[u.paragraph]
            # Among lines of one passage that fit equally ("free from €50" fits every line of
            # the price list saying "free"), the one stating the sentence's numbers.
            tie_won = (
                c == best
                and held is not None
                and held.passage == u.passage  # never a number from another passage
                and not claims.missing(sentence, u.text)
                and bool(claims.missing(sentence, held.text))
            )
            if c > best or tie_won:
                ranked[u.paragraph] = (u, c)
        (sent, s_cov), (para, p_cov) = ranked[False], ranked[True]
        if sent is not None:
            # A line in another passage that fits the sentence and the question better, with
            # another value: which of the two it means is a guess. ("The link is valid for 60
            # minutes" fits the confirmation link's line too, but not "password reset".)
            probe = words | self.asked

            def fit(u: Unit) -> int:
                return len(probe & (u.stems | u.context))

            # Unless a line stating the same values fits at least as well: "you can return
            # most products within 30 days" is also "return products within 30 days after
            # the day you received them", which fits "...30 days after I receive it?".
            same = [
                u
                for u in candidates
                if not u.paragraph and claimed and not claims.missing(sentence, u.text)
            ]
            least = max([fit(sent), *(fit(u) for u in same)])
            self._rivals[sentence] = [
                u
                for u in candidates
                if not u.paragraph and u.passage != sent.passage and fit(u) > least
            ]
        # A sentence stating a number needs more of its words in the line that states it:
        # "you can ask me to delete your PHONE CALLS within 30 days" is not about accounts.
        more = ALIGN_CLAIMED if claimed else 0.0
        needed = ALIGN_SENTENCE + (ALIGN_CLAIMED if claimed else ALIGN_UNCLAIMED)
        if sent is not None and s_cov >= needed and p_cov - s_cov < PARAGRAPH_GAIN:
            return sent, s_cov, "words"
        if para is not None and p_cov >= (
            ALIGN_PARAGRAPH + more if claimed else ALIGN_PARAGRAPH_UNCLAIMED
        ):
            return para, p_cov, "paragraph"
        if sent is not None and s_cov >= needed:
            return sent, s_cov, "words"
        # Meaning alone vouches only across languages: in the same language a line that
        # holds too few of the sentence's words is another statement ("delete your PHONE
        # CALLS within 30 days" is close in meaning to "delete your ACCOUNT within 30 days").
        said_in = language_of(sentence)
        foreign = [u for u in candidates if self.languages[u.passage] != said_in or not said_in]
        # The line it translates must be clearly the closest of ALL lines, the sentence's own
        # language's too: "De werkplaats is open van 08:30 tot 17:30" is nearer the Dutch
        # workshop hours than the English customer-service hours it copies.
        translated, similarity = self._translation_of(sentence, candidates, foreign, coverage)
        if translated is not None:
            return translated, similarity, "translation"
        if len(own & self.vocabulary) >= SAME_LANGUAGE * len(own):
            foreign = []  # in the passages' language: closeness in meaning is no evidence
        meant, cosine = self._closest_in_meaning(sentence, foreign, coverage)
        enough = ALIGN_MEANING if claimed else ALIGN_MEANING_UNCLAIMED
        if meant is not None and cosine >= enough:
            return meant, cosine, "meaning"
        return None, max(s_cov, p_cov), ""

    def _unknown_subject(self, sentence: str, unit: Unit) -> list[str]:
        """Words the sentence repeats from the question that no passage uses: "Is there a
        student discount?" - "Yes, there is a student discount." aligns by "discount" with the
        crash-replacement line, but the help centre never says "student". Only for a sentence
        in the passages' own language (across languages, words differ by design; the word
        bridge maps "student" to "customer", so it cannot vouch here)."""
        said_in = language_of(sentence)
        if said_in not in (None, self.languages[unit.passage]):
            return []
        own = sentences.stems(sentence) - sentences.COURTESY
        if 2 * len(own & self.vocabulary) < len(own):
            return []  # mostly words the passages do not use: another language
        echoed = own & self.asked
        unknown = echoed - self.vocabulary - sentences.GENERIC
        words = {w for w in sentences.folded_words(sentence) if sentences.stem(w) in unknown}
        return [f"not in the help centre: {w}" for w in sorted(words)]

    def _mixed_up(self, sentence: str, unit: Unit, stated: Sequence[claims.Claim]) -> list[str]:
        """A number borrowed from a neighbouring line: "a LARGE service is ready the same day
        if you bring your bike before 10:00" aligns with the line about the small service,
        which says 10:00. The words the aligned line lacks ("large") lead to another line that
        states a different value of the same kind: then the sentence mixes the two up."""
        words = self._words(sentence)
        unmatched = {w for w in words - unit.stems - unit.context if not w.startswith("@")}
        if not unmatched:
            return []
        # The aligned line's own qualifier the sentence left out ("kleine" where it says
        # "grote"): without one, an unmatched word is the sentence's own phrasing.
        swapped = self._swapped_modifier(sentence, unit)
        if swapped:
            return [f"mixes up two passages: {swapped}"]
        replaced = unit.stems - words - sentences.GENERIC
        if not replaced:
            return self._out_of_place(sentence, unit, stated)
        lines = [u for u in self.units if not u.paragraph and u is not unit]
        # Only words that pick out one or two lines ("large"), not ones many use ("costs").
        telling = {
            w for w in unmatched - sentences.GENERIC if 0 < sum(w in u.stems for u in lines) <= 3
        }
        values = {(_KIND.get(c.kind, c.kind), c.value) for c in stated}
        for other in lines:
            if not telling & other.stems or replaced <= other.stems:
                continue
            theirs = {(_KIND.get(c.kind, c.kind), c.value) for c in claims.claims(other.text)}
            kinds = {k for k, _ in values}
            theirs = {(k, v) for k, v in theirs if k in kinds}
            if theirs and not theirs & values:
                word = sorted(telling & other.stems)[0]
                return [f"mixes up two passages: {word}"]
        return self._out_of_place(sentence, unit, stated)

    def _swapped_word(self, sentence: str, unit: Unit) -> list[str]:
        """One word of the line's phrasing swapped for another the help centre uses: SmolLM2
        copied "within 30 days after the day you received them" as "... the day you ORDERED
        them", which moves the deadline. Only a single word between words copied as written
        (two before, one after): elsewhere a model rephrases freely."""
        said = _WORDS.findall(fold(sentence))
        line = _WORDS.findall(fold(unit.text))
        blocks = difflib.SequenceMatcher(None, line, said, autojunk=False).get_opcodes()
        for before, (op, i1, i2, j1, j2), after in zip(
            blocks, blocks[1:], blocks[2:], strict=False
        ):
            if op != "replace" or i2 - i1 != 1 or j2 - j1 != 1:
                continue
            if before[0] != "equal" or before[2] - before[1] < 2 or after[0] != "equal":
                continue
            theirs, ours = sentences.stem(line[i1]), sentences.stem(said[j1])
            # (The line's word may be a common one: "received" → "ordered" moves a deadline.)
            if theirs == ours or theirs in STOPWORDS or ours in sentences.GENERIC | STOPWORDS:
                continue
            if ours in self.vocabulary and not ours.isdigit():
                return [f"says '{said[j1]}' where the help centre says '{line[i1]}'"]
        return []

    def _out_of_place(self, sentence: str, unit: Unit, stated: Sequence[claims.Claim]) -> list[str]:
        """The help-centre words right around a number must be the aligned line's too:
        "within 14 days after DELIVERY" is not "within 14 days after registering the return",
        when "delivery" is a word the passages use elsewhere. Words the passages never use
        ("usually", a verb of the model's own) say nothing either way."""
        own = sentences.stems(_masked(sentence))
        if unit.paragraph or len(own & unit.stems) * 2 < len(own):
            return []  # a paragraph holds several lines; across languages words differ
        folded = fold(sentences.PLACEHOLDER.sub(" ", sentence))
        found = []
        for claim in stated:
            at = folded.find(claim.surface)
            if at < 0:
                continue
            before = folded[:at].split()[-3:]
            after = folded[at + len(claim.surface) :].split()[:3]
            window = " ".join(before + after)
            for other in stated:  # "from 9h00 to 17h00": the other number is no word
                window = window.replace(other.surface, " ")
            near = sentences.stems(window) - unit.stems - unit.context
            odd = {w for w in near - sentences.GENERIC if not entities(w)}
            # Two words of its own: one is the model's paraphrase ("articles" for "returns").
            if len(odd) >= 2:
                found.append(f"{claim.surface} (said of: {' '.join(sorted(odd))})")
        return found

    def _added_start(self, sentence: str, unit: Unit, stated: Sequence[claims.Claim]) -> list[str]:
        """When a period starts, said where the help centre says nothing of it: "valid for 3
        years FROM THE DATE OF PURCHASE", "return it within 30 days OF THE DATE YOU WANT IT"
        (SmolLM2). The words after a duration's "from", "after", "of", "since" must be found in
        the passage the sentence aligns with. Only in the passage's own language: word order
        and translation ("na ontvangst terugsturen", "ab dem Zeitpunkt") defeat the words."""
        durations = [c for c in stated if c.kind in ("mins", "months")]
        if not durations or language_of(sentence) != self.languages[unit.passage]:
            return []
        folded = fold(sentence)
        passage = self.passages[unit.passage]
        held: frozenset[str] | None = None  # the passage's words, read only when needed
        for claim in durations:
            at = folded.find(claim.surface)
            start = _START.match(folded[at + len(claim.surface) :]) if at >= 0 else None
            if start is None:
                continue
            if held is None:
                heading = getattr(passage, "heading", "")
                held = sentences.stems(f"{passage.title} {heading} {passage.text}")
            if not sentences.stems(start[1]) - sentences.GENERIC <= held:
                return [f"not in the passage: {start[0].strip()}"]
        return []

    def _holds_most(self, sentence: str, said: frozenset[str], paragraph: Unit) -> bool:
        """A statement with no number may rest on a paragraph only with most of its words
        there, however it first aligned: SmolLM2's "If the product is damaged or has been used,
        we will refund the purchase price and all other costs" aligned with the refund line by
        4 of its 7 words, failed there on "all", and passed on the refunds paragraph."""
        own = _tokens(_masked(sentence)) or said
        return _share(self._words(sentence), own, paragraph) >= ALIGN_PARAGRAPH_UNCLAIMED

    def _paragraph_of(self, unit: Unit) -> Unit | None:
        """The smallest paragraph of the same passage that holds the line."""
        around = [
            u
            for u in self.units
            if u.paragraph and u.passage == unit.passage and unit.text in u.text
        ]
        return min(around, key=lambda u: len(u.text), default=None)

    def _swapped_modifier(self, sentence: str, unit: Unit) -> str | None:
        """ "The SHIPPING confirmation arrives within 15 minutes" aligned with "you receive an
        ORDER confirmation within 15 minutes": the pair "shipping confirmation" is another
        line's subject (in another passage), and this line never pairs "shipping" with it."""
        said, own = pairs(sentence), pairs(unit.text)
        for first, second in said - own:
            if (first in unit.stems) == (second in unit.stems):
                continue  # both new (a paraphrase) or both there in another order
            for other in self.units:
                if other.passage != unit.passage and (first, second) in pairs(other.text):
                    return f"{first} {second}"
        return None

    def _words(self, sentence: str) -> frozenset[str]:
        """The sentence's content words, claims left out, with their help-centre translations
        (asked for by alignment and again by the checks after it: worked out once)."""
        found = self._said.get(sentence)
        if found is None:
            own = _tokens(_masked(sentence)) or _tokens(sentence)
            if self.translate is not None:
                own = own | _tokens(self.translate(_masked(sentence)))
            found = self._said[sentence] = own
        return found

    def _stating(self, sentence: str) -> Unit | None:
        """Without an embedder a sentence in another language than the help centre cannot be
        aligned by meaning: then the one passage sentence that states all of its claims."""
        stating = (u for u in self.units if not claims.missing(sentence, u.text))
        return min(stating, key=lambda u: u.paragraph, default=None)  # sentences first

    def _translation_of(
        self,
        sentence: str,
        candidates: Sequence[Unit],
        foreign: Sequence[Unit],
        coverage: Callable[[Unit], float],
    ) -> tuple[Unit | None, float]:
        """The line a sentence in another language translates. Only sentences that state
        numbers are aligned this way, and only with lines stating numbers of the same kind (a
        price with a price line): the closest such line across languages, clearly closer than
        the next one, must state every number of the sentence. Numbers are masked on both
        sides, so a right and a wrong answer pick the same line: "Eine große Inspektion kostet
        49 €" is refused because the closest price line says €119. Closeness alone vouches for
        nothing ("I promise your order arrives tomorrow"). Lines are read alone and under their
        heading ("Delivery times: Austria, France and Denmark: # working days")."""
        stated = claims.claims(sentence)
        kinds = {_KIND.get(c.kind, c.kind) for c in stated}
        singles = [
            u
            for u in candidates
            if not u.paragraph
            and any(_KIND.get(c.kind, c.kind) in kinds for c in claims.claims(u.text))
        ]
        if self.across is None or not stated or not any(u in foreign for u in singles):
            return None, 0.0
        alone = [_masked(u.text) for u in singles]
        headed = [
            _masked(f"{u.label}: {u.text}") if u.label else alone[i] for i, u in enumerate(singles)
        ]
        texts = alone + headed
        lines = remembered_passages(self.across, texts)
        said = self.across.queries([_masked(sentence)])[0]
        n = len(singles)
        similarity = np.maximum(lines[:n] @ said, lines[n:] @ said)
        # Shared (translated) words break near-ties, as in alignment by meaning.
        ranked = similarity + SHARED_WORDS * np.array([coverage(u) for u in singles])
        order = np.argsort(-ranked)
        best = float(ranked[order[0]])
        runner_up = float(ranked[order[1]]) if n > 1 else 0.0
        line = singles[int(order[0])]
        if best < ACROSS or best - runner_up < ACROSS_MARGIN or line not in foreign:
            return None, best
        stating = self._stated_around(sentence, line, singles)
        if stating is None:
            return None, best
        line = stating
        # Rivals with another value make it a guess. First, a line in the sentence's own
        # language holding more of its words: "De werkplaats is open van 08:30 tot 17:30"
        # copies the English customer service's hours; the Dutch workshop line says 09:00.
        at_home = [
            u
            for u in self.units
            if not u.paragraph
            and u.passage not in {f.passage for f in foreign}
            and coverage(u) > max(coverage(line), AT_HOME)
        ]
        if _ambiguous(stated, at_home):
            return None, best
        # Then a line of the same page nearer the customer's question: the encoder reads
        # compounds poorly ("Bestätigungslink" lands nearer "the link is valid for 60
        # minutes" than "the confirmation link is valid for 24 hours").
        document = self._document(line)
        near = [u for u in self._near_question(singles, line) if self._document(u) == document]
        if _ambiguous(
            stated, [u for u in near if self._fits_question(u) > self._fits_question(line)]
        ):
            return None, best
        return line, best

    def _near_question(self, lines: Sequence[Unit], chosen: Unit) -> list[Unit]:
        """The lines at least about as close in meaning to the customer's question as the
        chosen one (under their headings, across languages)."""
        if self.across is None or not self.question:
            return []
        if self._question_vector is None:
            self._question_vector = self.across.queries([self.question])[0]
        asked = self._question_vector
        texts = [f"{u.label}: {u.text}" if u.label else u.text for u in [chosen, *lines]]
        closeness = remembered_passages(self.across, texts) @ asked
        return [
            u
            for u, c in zip(lines, closeness[1:], strict=True)
            if c >= closeness[0] - ACROSS_MARGIN
        ]

    def _stated_around(self, sentence: str, line: Unit, lines: Sequence[Unit]) -> Unit | None:
        """The line, when it states every number of the sentence; for a sentence naming a
        thing ("Klarna"), else the line joined with the lines of the same passage naming it
        too that state the rest: "with Klarna you pay up to €1,500 within 30 days" joins
        "available ... for orders up to €1,500" and "pay within 30 days". Else None."""
        missing = claims.missing(sentence, line.text)
        named = {t for t in _tokens(sentence) if t.startswith("@")}
        if not missing or not named:
            return None if missing else line
        naming = [u for u in lines if u.passage == line.passage and named <= u.stems]
        joined = [line]
        for m in missing:
            found = next((u for u in naming if not claims.missing(m, u.text)), None)
            if found is None:
                return None
            joined.append(found)
        text = "\n".join(dict.fromkeys(u.text for u in joined))
        stems = frozenset().union(*(u.stems for u in joined))
        return Unit(line.passage, text, stems, line.context, False, line.label)

    def _document(self, unit: Unit) -> object:
        return getattr(self.passages[unit.passage], "document_id", unit.passage)

    def _fits_question(self, unit: Unit) -> int:
        """How many of the question's words (translated) the line or its heading holds (not
        the page title: every line of a page shares it)."""
        return len(self.asked & (unit.stems | _tokens(unit.label)))

    def _closest_in_meaning(
        self, sentence: str, candidates: Sequence[Unit], coverage: Callable[[Unit], float]
    ) -> tuple[Unit | None, float]:
        singles = [u for u in candidates if not u.paragraph]
        if self.embedder is None or not singles:
            return None, 0.0
        # Numbers masked on both sides: "valid for 2 years" must align by what it is about,
        # not with the privacy sentence that happens to say "2 years".
        query = self.embedder.queries([_masked(sentence)])[0]
        matrix = remembered_passages(self.embedder, [_masked(u.text) for u in singles])
        cosines = matrix @ query
        # Shared (translated) words break near-ties: "montage ... 35 € par pièce" is about the
        # line "Montage van een onderdeel: €15", not "Wiel op maat bouwen: €35 per wiel".
        ranked = cosines + SHARED_WORDS * np.array([coverage(u) for u in singles])
        order = np.argsort(-ranked)
        best = int(order[0])
        self._rivals[sentence] = [
            singles[int(i)] for i in order[1:] if ranked[i] >= ranked[best] - MEANING_MARGIN
        ]
        return singles[best], float(cosines[best])


def _share(words: frozenset[str], own: frozenset[str], unit: Unit) -> float:
    """The share of a sentence's own words that `unit` holds (its title and heading count once
    one word is in its text)."""
    shared = words & unit.stems
    return min(1.0, len(shared | (words & unit.context)) / len(own)) if shared else 0.0


# Claim kinds that answer the same question ("how long", "when"): a time of day and a duration.
_KIND = {"time": "when", "mins": "when", "months": "when"}
# What a period counts from, right after its duration (folded): "30 days after the day you
# received them", "3 Jahre ab Kaufdatum". Not "de", "van", "von": they mostly say of what.
_START = re.compile(
    r"\s*(?:counting from|from|after|of|since|following|vanaf|na|sinds|ab|nach|seit"
    r"|a partir de|a compter de|apres|despues de|desde)\s+([^.,;:!?()]+)"
)
_DIGITS = re.compile(r"\d+(?:[.,:]\d+)*")


def _masked(text: str) -> str:
    """The text with its claims (number and unit: "2 ans", "60 minutes") as "#"."""
    folded = fold(text)
    for claim in claims.claims(text):
        folded = folded.replace(claim.surface, "#")
    return _DIGITS.sub("#", folded)


_LETTERS = re.compile(r"[a-z]+")
_WORDS = re.compile(r"\w+")


@lru_cache(maxsize=8192)
def pairs(text: str) -> frozenset[tuple[str, str]]:
    """Adjacent content stems ("shipping confirmation")."""
    found = [sentences.stem(w) for w in _LETTERS.findall(_masked(text)) if len(w) > 2]
    # Function words, everyday verbs and the words of claims ("30 days after") dropped.
    found = [s for s in found if s in sentences.stems(s) and s not in sentences.GENERIC]
    return frozenset(itertools.pairwise(found))


def _numbers_from_other_lines(sentence: str, paragraph: Unit) -> list[str]:
    """Each number's lead-in words that the paragraph uses must be on the line stating it: "a
    LARGE service costs €49" is refused when €49 is on the small service's line of the price
    list and "large" on another."""
    folded = fold(sentence)
    lines = sentences.split(paragraph.text)
    tokens = _list_tokens(tuple(lines))
    used = frozenset().union(*tokens)
    found = []
    for claim in claims.claims(sentence):
        at = folded.find(claim.surface)
        # The words and the named things ("naar Nederland kost €7,95") before the number.
        lead = _tokens(" ".join(folded[:at].split()[-3:])) & used if at >= 0 else set()
        lead -= sentences.GENERIC
        stating = [
            line_tokens
            for line, line_tokens in zip(lines, tokens, strict=True)
            if not claims.missing(claim.surface, line)
        ]
        if not any(lead <= s for s in stating):
            found.append(claim.surface)
    return found


def _ambiguous(stated: Sequence[claims.Claim], rivals: Sequence[Unit]) -> list[str]:
    """Aligned by meaning alone, with another line nearly as close that states a different
    value of the same kind ("the confirmation link is valid for 24 hours" beside "the reset
    link is valid for 60 minutes"): which one the sentence means is a guess."""
    values = {(_KIND.get(c.kind, c.kind), c.value) for c in stated}
    kinds = {k for k, _ in values}
    for rival in rivals:
        theirs = {(_KIND.get(c.kind, c.kind), c.value) for c in claims.claims(rival.text)}
        theirs = {(k, v) for k, v in theirs if k in kinds}
        if theirs and not theirs & values:
            return [f"could mean another line: {rival.text[:60]}"]
    return []


def _silent(rivals: Sequence[Unit]) -> list[str]:
    """A line of another passage fits the question better and states no number at all: the
    help centre's line about what was asked is silent on it. "How long is the link valid that
    confirms my NEW e-mail address?" - "valid for 24 hours" is the new account's link; the
    line about changing your address says nothing of how long."""
    for rival in rivals:
        # A line stating other numbers (a price row) is about those; this one states none.
        if not claims.claims(rival.text):
            return [f"the line about it says nothing of this: {rival.text[:60]}"]
    return []


def _unsupported(sentence: str, unit: Unit, how: str) -> list[str]:
    """What the sentence claims that its aligned text does not state."""
    source = unit.text
    found = claims.missing(sentence, source)
    if how == "paragraph" and not found:
        found = _claims_out_of_context(sentence, unit)
    found += [f"not in the passage: {k}" for k in sorted(entities(sentence) - _named(unit))]
    context_words = sentences.folded_words(source)
    names = {w for w in sentences.name_words(sentence) if not entities(w)}
    said_in, source_in = language_of(sentence), language_of(source)
    if how == "translation" or (said_in and source_in and said_in != source_in):
        names = set()  # across languages names differ in form; entities carry the checkable ones
    if unit.context:  # the title and heading may name the product
        context_words |= {w for w in unit.context if not w.startswith("@")}
    found += [
        f"not in the passage: {w}"
        for w in sorted(names)
        if w not in context_words and sentences.stem(w) not in context_words
    ]
    said_words = sentences.folded_words(sentence)
    if not said_words.isdisjoint(_MARKERS) and context_words.isdisjoint(_MARKERS):
        found += [f"not in the passage: {w}" for w in sorted(said_words & _MARKERS)]
    found += claims.reversed_bounds(sentence, source)
    found += _contradictions(sentence, source)
    return found


def _claims_out_of_context(sentence: str, unit: Unit) -> list[str]:
    """A paragraph states many numbers; each of the sentence's must come from a paragraph
    sentence about the same thing (sharing a content word besides the number's own words):
    "we reserve the products for 1 working day" is not supported by "the transfer takes 1
    working day" two sentences after "we reserve the products for 7 days"."""
    found = []
    parts = sentences.split(unit.text)
    for claim in claims.claims(sentence):
        around = sentences.stems(sentence.replace(claim.surface, " "))
        stating = [s for s in parts if not claims.missing(claim.surface, s)]
        if any(around & sentences.stems(s.replace(claim.surface, " ")) for s in stating):
            continue
        # Told in other words ("arrives within" for "delivery takes"): fine when only one
        # sentence of the paragraph states anything of the claim's kind.
        of_kind = [s for s in parts if any(c.kind == claim.kind for c in claims.claims(s))]
        if len(stating) == 1 and len(of_kind) == 1:
            continue
        found.append(claim.surface)
    return found


def _contradictions(sentence: str, source: str) -> list[str]:
    """Clauses whose closest source clauses all say the opposite ("opened items can be
    returned" against "opened items cannot be returned")."""
    given = [
        (sentences.stems(c), sentences.negative(c))
        for c in sentences.clauses(source)
        if not sentences.mixed(c)
    ]
    found = []
    for clause in sentences.clauses(sentence):
        said = sentences.stems(clause)
        if not said or sentences.mixed(clause):
            continue
        overlaps = [(len(said & st) / len(said), neg) for st, neg in given if len(said & st) > 1]
        best = max((o for o, _ in overlaps), default=0.0)
        if best < 0.5:
            continue
        polarity = sentences.negative(clause)
        if all(neg != polarity for o, neg in overlaps if o == best):
            found.append(f"contradicts: {clause[:80]}")
    return found
