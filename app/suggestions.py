"""Knowledge-base suggestions: the questions the AI could not answer, grouped by meaning.

A customer question counts when the AI declined it for low confidence (its decision record
says `low_confidence`, whether the AI then offered a person or handed over) or when the
latest agent mark on the AI's answer to it is "wrong". Operators see only redacted text:
they need the gap in the knowledge base, never the customer's details.

`group` is greedy leader clustering: each question joins the group whose first (leading)
question it is most alike, or leads a new one; questions alike to the most others are taken
first, so groups form around their most typical wording. Alike means a cosine of the
query embeddings of at least COSINE_THRESHOLD or, with no embedder, a word overlap (Jaccard
on `app.retrieval.tokenize`) of at least JACCARD_THRESHOLD, which never matches across
languages.

COSINE_THRESHOLD is set for multilingual-e5-small, the default embedder, which squeezes short
questions together. On 30 hand-written shop questions in twelve topics, the same question in
English and Dutch scored 0.84 to 0.94 (half of the pairs 0.90 or more), unrelated questions
mostly 0.76 to 0.88, and neighbouring topics (gift cards and gift wrapping) up to 0.93. At 0.90
close translations and rewordings group, looser ones stay apart, and few topics merge. Apart is
the safer error: a wrong merge hides one gap behind another's examples, a split only shows the
same gap twice.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from app.checks.redaction import redact
from app.embeddings import Embedder
from app.models import AnswerMark, Author, Decision, MarkVerdict, Message
from app.retrieval import tokenize

COSINE_THRESHOLD = 0.90
JACCARD_THRESHOLD = 0.5
MAX_QUESTIONS = 200  # per source, newest first: each new one costs an embedding (~25 ms here)
CACHE_SIZE = 4096  # embeddings remembered by text: the page is read far more often than asked
EXAMPLES = 3

Reason = Literal["declined", "marked_wrong"]
Vector = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Missed:
    """A customer question the AI missed, as stored (redact it before showing it)."""

    conversation_id: str
    seq: int
    text: str
    reason: Reason
    at: datetime  # when the customer asked it


@dataclass(frozen=True)
class Suggestion:
    count: int
    examples: list[str]
    reasons: dict[str, int]
    last_seen: datetime


@dataclass
class _Question:
    text: str
    reasons: set[str] = field(default_factory=set)
    at: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))


def group(questions: Sequence[tuple[str, Vector | None]]) -> list[list[int]]:
    """Groups of alike questions as indices into `questions` (each group in input order),
    biggest first, then the group of the earliest question first."""
    close = _closeness(questions)
    alike = close >= 0
    # The questions most like others seed first, so a group forms around its most typical
    # wording, not around whichever question happened to come first.
    order = sorted(range(len(questions)), key=lambda i: -int(alike[i].sum()))
    seeds: list[int] = []
    groups: list[list[int]] = []
    for i in order:
        scores = close[i, seeds] if seeds else np.empty(0)
        if scores.size and scores.max() >= 0:
            groups[int(scores.argmax())].append(i)
        else:
            seeds.append(i)
            groups.append([i])
    return sorted((sorted(g) for g in groups), key=lambda g: (-len(g), g[0]))


def _closeness(questions: Sequence[tuple[str, Vector | None]]) -> npt.NDArray[np.float64]:
    """How far each pair's similarity is above its threshold (negative: not alike)."""
    vectors = [v for _, v in questions]
    if vectors and all(v is not None for v in vectors):
        matrix = np.stack([np.asarray(v, dtype=np.float64) for v in vectors])
        return matrix @ matrix.T - COSINE_THRESHOLD
    words = [set(tokenize(text)) for text, _ in questions]
    jaccard = [[_jaccard(a, b) for b in words] for a in words]
    return np.array(jaccard, dtype=np.float64).reshape(len(words), len(words)) - JACCARD_THRESHOLD


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def suggest(missed: Sequence[Missed], embedder: Embedder | None) -> list[Suggestion]:
    """Redact, embed and group the missed questions. CPU-bound: run it in a worker thread."""
    questions = _merge(missed)
    texts = [redact(q.text).text for q in questions]
    if embedder is None:
        groups = group([(t, None) for t in texts])
    else:
        groups = group(list(zip(texts, _embed(embedder, texts), strict=True)))
    return [_suggestion([questions[i] for i in g], [texts[i] for i in g]) for g in groups]


_cache: OrderedDict[tuple[str, str], Vector] = OrderedDict()
_cache_lock = threading.Lock()  # suggest runs in worker threads


def _embed(embedder: Embedder, texts: list[str]) -> list[Vector]:
    """Query embeddings of the texts, computing only those not remembered (least recent go)."""
    keys = [(embedder.name, t) for t in texts]
    with _cache_lock:
        known = {k: _cache[k] for k in keys if k in _cache}
        for k in known:
            _cache.move_to_end(k)
    new = list(dict.fromkeys(t for k, t in zip(keys, texts, strict=True) if k not in known))
    if new:
        vectors = embedder.queries(new)
        with _cache_lock:
            for text, vector in zip(new, vectors, strict=True):
                known[embedder.name, text] = _cache[embedder.name, text] = vector
    with _cache_lock:
        # Only what the database still holds is remembered: an erased or purged question's
        # (redacted) text leaves this index at the next read instead of lingering.
        wanted = set(keys)
        for key in [k for k in _cache if k[0] == embedder.name and k not in wanted]:
            del _cache[key]
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return [known[k] for k in keys]


def _merge(missed: Sequence[Missed]) -> list[_Question]:
    """One entry per customer message (declined and then marked wrong is one question),
    newest first."""
    merged: dict[tuple[str, int], _Question] = {}
    for m in missed:
        q = merged.setdefault((m.conversation_id, m.seq), _Question(m.text))
        q.reasons.add(m.reason)
        q.at = max(q.at, _aware(m.at))
    return sorted(merged.values(), key=lambda q: q.at, reverse=True)


def _suggestion(members: list[_Question], texts: list[str]) -> Suggestion:
    examples = list(dict.fromkeys(texts))[:EXAMPLES]  # distinct, newest first
    reasons = {r: sum(r in q.reasons for q in members) for r in ("declined", "marked_wrong")}
    return Suggestion(len(members), examples, reasons, max(q.at for q in members))


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their time zone; they are stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def missed(session: AsyncSession, since: datetime) -> list[Missed]:
    """The questions declined for low confidence since a moment, and those whose answer's
    latest mark, made since then, is wrong."""
    return [*await _declined(session, since), *await _marked_wrong(session, since)]


async def _declined(session: AsyncSession, since: datetime) -> list[Missed]:
    rows = await session.execute(
        select(Decision.conversation_id, Decision.message_seq, Message.text, Message.created_at)
        .join(
            Message,
            and_(
                Message.conversation_id == Decision.conversation_id,
                Message.seq == Decision.message_seq,
            ),
        )
        .where(
            Decision.reason == "low_confidence",
            Decision.outcome.in_(("declined", "escalated")),
            Decision.created_at >= since,
            Message.role == Author.customer,
            Message.text != "",  # purged by retention (app/retention.py)
        )
        .order_by(Decision.id.desc())
        .limit(MAX_QUESTIONS)
    )
    return [Missed(cid or "", seq, text, "declined", at) for cid, seq, text, at in rows]


async def _marked_wrong(session: AsyncSession, since: datetime) -> list[Missed]:
    answer, question = aliased(Message), aliased(Message)
    rows = await session.execute(
        select(AnswerMark.message_id, AnswerMark.verdict, question)
        .join(answer, answer.id == AnswerMark.message_id)
        .join(
            question,
            and_(
                question.conversation_id == answer.conversation_id,
                question.seq == answer.reply_to,
            ),
        )
        .where(AnswerMark.created_at >= since, question.text != "")
        .order_by(AnswerMark.created_at.desc(), AnswerMark.id.desc())
        .limit(MAX_QUESTIONS * 4)
    )
    latest: dict[int, Missed | None] = {}
    for answer_id, verdict, q in rows:
        if answer_id in latest:
            continue  # an older mark: the newest on an answer decides
        latest[answer_id] = None
        if verdict == MarkVerdict.wrong:
            latest[answer_id] = Missed(
                q.conversation_id, q.seq, q.text, "marked_wrong", q.created_at
            )
    return [m for m in latest.values() if m is not None][:MAX_QUESTIONS]
