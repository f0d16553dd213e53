"""E-mails waiting to leave. A row is added in the caller's transaction (a reply and its e-mail
commit together); then one replica claims it, sends it (app/mail.py) and marks it sent, or keeps
the error and tries again later with exponential backoff, until it gives up.

Exactly once across replicas: the claim is one compare-and-set UPDATE on a due, unclaimed row,
and only the replica whose UPDATE changed the row sends it. The claim is a lease
(`claimed_until`), so a replica that dies mid-send frees its row for another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import mail, policy
from app.models import Conversation, MailKind, Outbox, User, utcnow
from app.settings import Settings

log = logging.getLogger("tandem.mail")
POLL_SECONDS = 3.0  # rows queued by another replica are found within this
CLAIM_SECONDS = 4 * mail.SEND_TIMEOUT  # longer than any one send can take
BATCH = 50
MAX_ERROR = 500


def enqueue_reply(session: AsyncSession, conv: Conversation, text: str) -> None:
    """Queue an agent's reply for the address the customer left, in the customer's language."""
    assert conv.contact_email is not None
    session.add(
        Outbox(
            conversation_id=conv.id,
            kind=MailKind.reply,
            locale=conv.locale,
            recipient=conv.contact_email,
            body=text,
        )
    )


async def enqueue_new_message(session: AsyncSession, conversation_id: str) -> int:
    """Queue the "a customer left a message" alert for every active user who opted in; the row
    holds no customer text (see app/mail.py). Returns how many were queued."""
    rows = await session.execute(
        select(User.email).where(User.active.is_(True), User.notify_new_messages.is_(True))
    )
    recipients = list(rows.scalars())
    for recipient in recipients:
        session.add(
            Outbox(
                conversation_id=conversation_id,
                kind=MailKind.new_message,
                locale="en",
                recipient=recipient,
                body="",
            )
        )
    return len(recipients)


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(
        Outbox.sent_at.is_(None),
        Outbox.failed_at.is_(None),
        or_(Outbox.claimed_until.is_(None), Outbox.claimed_until < now),
        or_(Outbox.next_attempt_at.is_(None), Outbox.next_attempt_at <= now),
    )


async def due(session: AsyncSession, now: datetime, limit: int = BATCH) -> list[int]:
    """Ids of rows that may be claimed now, oldest first."""
    rows = await session.execute(
        select(Outbox.id).where(_due(now)).order_by(Outbox.id).limit(limit)
    )
    return list(rows.scalars())


async def claim(session: AsyncSession, row_id: int, now: datetime) -> bool:
    """Take the row for one send, counting the attempt; False when another replica has it,
    it is not due, or it is done. Commit before sending: the lease is the lock, not a
    transaction held open across the network."""
    query = (
        update(Outbox)
        .where(Outbox.id == row_id, _due(now))
        .values(claimed_until=now + timedelta(seconds=CLAIM_SECONDS), attempts=Outbox.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    result = cast(CursorResult[Any], await session.execute(query))
    return result.rowcount == 1


async def record_sent(session: AsyncSession, row_id: int, now: datetime) -> None:
    await session.execute(
        update(Outbox).where(Outbox.id == row_id).values(sent_at=now, claimed_until=None)
    )


async def record_failure(
    session: AsyncSession, row: Outbox, error: mail.SendError, now: datetime, settings: Settings
) -> datetime | None:
    """Keep the error; retry after 1, 2, 4... times `mail_retry_seconds`, or give up (a
    permanent refusal, or the last attempt). Returns when the next attempt is due, if any."""
    values: dict[str, object] = {"last_error": error.detail[:MAX_ERROR], "claimed_until": None}
    retry: datetime | None = None
    if error.permanent or row.attempts >= settings.mail_max_attempts:
        values["failed_at"] = now
    else:
        retry = now + timedelta(seconds=settings.mail_retry_seconds * 2 ** (row.attempts - 1))
        values["next_attempt_at"] = retry
    await session.execute(update(Outbox).where(Outbox.id == row.id).values(**values))
    return retry


class Postman:
    """The background task that sends due rows: at once when this process queues one
    (`wake`), and every `interval` seconds for rows queued by other replicas or due again."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        settings: Settings,
        interval: float = POLL_SECONDS,
    ) -> None:
        assert settings.smtp is not None, "a Postman needs TANDEM_SMTP_URL"
        self.sessions = sessions
        self.settings = settings
        self.server = settings.smtp
        self.interval = interval
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self._stopping = False

    def wake(self) -> None:
        """Look for due rows now (call after committing a new row)."""
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-postman")

    async def stop(self, grace: float = 5.0) -> None:
        """Let the e-mail being sent finish (up to `grace` seconds), then stop: a send cut off
        midway leaves its row claimed until the lease ends, and then it is sent again."""
        for timer in self._timers:
            timer.cancel()
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), grace)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                await self.deliver_due()
            except Exception:  # the postman must outlive one bad round (a database blip)
                log.exception("outbox round crashed")
            if not self._stopping:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.interval)

    async def deliver_due(self) -> int:
        """Send every row due now; returns how many left."""
        sent = 0
        while True:
            async with self.sessions() as s:
                ids = await due(s, utcnow())
            for row_id in ids:
                if self._stopping:
                    return sent
                sent += await self.deliver(row_id)
            if len(ids) < BATCH:
                return sent

    async def deliver(self, row_id: int) -> bool:
        """Claim, compose and send one row; False when another replica had it or it failed."""
        async with self.sessions() as s:
            if not await claim(s, row_id, utcnow()):
                await s.rollback()
                return False
            row = await s.get(Outbox, row_id)
            assert row is not None
            overrides = (await policy.load(s)).disclosure.texts
            await s.commit()
        try:
            await mail.send(self.server, mail.compose(row, self.settings, overrides))
        except mail.SendError as exc:
            log.warning("e-mail %s not sent (attempt %s): %s", row_id, row.attempts, exc.detail)
            await self._failed(row, exc)
            return False
        except Exception as exc:  # a bug, not the server: give up visibly, never loop on it
            log.exception("e-mail %s could not be composed or sent", row_id)
            await self._failed(row, mail.SendError(f"{type(exc).__name__}: {exc}", True))
            return False
        async with self.sessions() as s:
            await record_sent(s, row_id, utcnow())
            await s.commit()
        return True

    async def _failed(self, row: Outbox, error: mail.SendError) -> None:
        async with self.sessions() as s:
            retry = await record_failure(s, row, error, utcnow(), self.settings)
            await s.commit()
        if retry is not None:
            self._wake_at(retry)

    def _wake_at(self, when: datetime) -> None:
        """A retry due before the next poll is not left waiting for it."""
        delay = (when - utcnow()).total_seconds()
        if delay < self.interval:
            loop = asyncio.get_running_loop()
            self._timers = [t for t in self._timers if t.when() > loop.time()]
            self._timers.append(loop.call_later(max(delay, 0.0), self.wake))
