"""Live connections, each with one bounded send queue. Durable events are pointers that the
socket's writer turns into messages read from the database, so a client never sees a gap or a
duplicate; ephemeral ones (typing, tokens) are dropped first when a client is slow."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from starlette.websockets import WebSocket

from app import conversations
from app.auth import ended_logins
from app.events import (
    DraftDiscarded,
    Event,
    MessageCreated,
    PresenceChanged,
    QueueChanged,
    SessionEnded,
    StatusChanged,
    Token,
    Typing,
)
from app.models import Conversation, Message
from app.services import Services
from handoff import assignment, frames, summary, waiting

log = logging.getLogger("tandem.hub")
SEND_QUEUE = 256  # per connection; ephemeral events are dropped past half of it
MAX_GAP = 500  # beyond this, the client reloads over HTTP instead of a replay
PING_EVERY = 20.0
WAITING = ("queued", "offline")  # a customer's new message there is previewed to every agent


@dataclass
class Sync:  # send what this socket has not seen of a conversation, up to at least `seq`
    conversation_id: str
    seq: int | None  # None: up to the conversation's latest message
    message: Message | None = None  # message `seq` when this process committed it


@dataclass(frozen=True)
class Place:
    """A queued conversation's line: where it stands, how long, and whether anyone is online."""

    position: int
    expected_wait_seconds: int
    agents_online: bool


class Connection:
    """One websocket: a customer (one conversation) or an agent (the conversations they hold)."""

    def __init__(
        self,
        ws: WebSocket,
        hub: Hub,
        role: str,
        user_id: int | None = None,
        login: str | None = None,
    ) -> None:
        self.ws, self.hub, self.role, self.user_id = ws, hub, role, user_id
        self.login = login  # an agent's session-token hash: revoking it closes this socket
        self.is_agent = role == "agent"
        self.sent: dict[str, int] = {}  # conversation id -> last seq sent on this socket
        self.status: str | None = None  # a customer's conversation status, for queue positions
        self.closed = False
        # The send queue and its writer exist only while there is something to send: an idle
        # socket (most of them) holds neither (an empty deque alone is about 0.75 KiB).
        self._items: deque[frames.Outbound | Sync] | None = None
        self._writer: asyncio.Task[None] | None = None

    def push(self, item: frames.Outbound | Sync) -> None:
        """Queue a frame or a pointer; never blocks the publisher."""
        queued = 0 if self._items is None else len(self._items)
        ephemeral = not isinstance(item, Sync) and item.ephemeral
        if self.closed or (ephemeral and queued >= SEND_QUEUE // 2):
            return
        if isinstance(item, Sync):
            for pending in self._items or ():  # one pending sync per conversation reads it all
                if isinstance(pending, Sync) and pending.conversation_id == item.conversation_id:
                    if pending.seq is not None:
                        pending.seq = None if item.seq is None else max(pending.seq, item.seq)
                    pending.message = None  # a range now: read from the database
                    return
        if queued >= SEND_QUEUE:
            self.drop(1013, "try again later")
            return
        if self._items is None:
            self._items = deque()
            self._writer = asyncio.create_task(self._drain())
        self._items.append(item)

    def drop(self, code: int, reason: str) -> None:
        """Disconnect without waiting for a client that does not read."""
        if self.closed:
            return
        self.closed = True
        self._items = None
        if self._writer is not None:
            self._writer.cancel()
        self.hub.spawn(self._close(code, reason))

    async def _close(self, code: int, reason: str) -> None:
        with contextlib.suppress(Exception):  # gone already: the server's keepalive ends it
            await asyncio.wait_for(self.ws.close(code, reason), 10)

    async def _drain(self) -> None:
        try:
            while self._items and not self.closed:
                item = self._items.popleft()
                if isinstance(item, Sync):
                    await self._sync(item)
                else:
                    await self.send(item)
        except Exception:
            log.info("send failed; closing the socket", exc_info=True)
            self.drop(1011, "send failed")
        finally:
            self._writer = self._items = None

    async def send(self, frame: frames.Outbound) -> None:
        """The one way out to the client: typed frames only."""
        await self.ws.send_text(frames.encode(frame))

    async def _sync(self, item: Sync) -> None:
        cid, done = item.conversation_id, self.sent.get(item.conversation_id)
        if done is None or (item.seq is not None and item.seq <= done):
            return  # unsubscribed meanwhile, or already sent: never a duplicate
        if item.message is not None and item.seq == done + 1 and not self.is_agent:
            # The next message, committed by this process: no need to read it back.
            if not item.message.internal:
                await self.send(frames.Message.of(item.message, agent=False))
            self.sent[cid] = item.seq
            return
        # An agent reads even its own process's messages: the read checks they still hold it.
        holder = self.user_id if self.is_agent else None
        found = await self.hub.read(cid, done, item.seq, internal=self.is_agent, holder=holder)
        if found is None:  # no longer theirs
            self.hub.let_go(self, cid)
            return
        if self.sent.get(cid) != done:  # unsubscribed or resumed meanwhile: not from `done`
            return
        latest, rows = found
        if latest - done > MAX_GAP:
            self.sent[cid] = latest
            await self.send(frames.Resync(conversation_id=cid, seq=latest))
            return
        for msg in rows:
            await self.send(frames.Message.of(msg, agent=self.is_agent))
        self.sent[cid] = max([latest, *(m.seq for m in rows)])  # clamps a future last_seq


class Hub:
    """Routes broker events to this process's sockets."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.by_conv: dict[str, set[Connection]] = {}
        self.agents: set[Connection] = set()
        self.waiting: set[str] = set()
        self.holders: dict[str, int] = {}  # held conversation id -> its agent, as last heard
        self.agents_online: bool | None = None  # as last told to queued customers
        self._tasks: set[asyncio.Task[Any]] = set()

    async def start(self) -> None:
        await self._load_waiting()
        await self._load_holders()
        self.svc.broker.subscribe(self.dispatch)
        self.svc.broker.subscribe(self._summarise)
        self.svc.broker.on_reconnect(self.resync_all)
        self.spawn(self._heartbeat())

    async def stop(self) -> None:
        for conn in [*self.agents, *(c for cs in self.by_conv.values() for c in cs)]:
            conn.drop(1001, "server shutting down")
        for task in list(self._tasks):
            task.cancel()

    def spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        """Run in the background, keeping a reference so the task is not collected."""
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def attach(self, conn: Connection, conversation_id: str, last_seq: int) -> None:
        """Subscribe and replay from the database everything after `last_seq`."""
        conn.sent[conversation_id] = max(0, last_seq)
        self.by_conv.setdefault(conversation_id, set()).add(conn)
        conn.push(Sync(conversation_id, None))

    def unsubscribe(self, conn: Connection, conversation_id: str) -> None:
        """Stop sending this conversation to `conn`; a pending sync of it is skipped."""
        conn.sent.pop(conversation_id, None)
        members = self.by_conv.get(conversation_id)
        if members is not None:
            members.discard(conn)
            if not members:
                del self.by_conv[conversation_id]

    def holds(self, conn: Connection, conversation_id: str) -> bool:
        """Whether this agent socket follows a conversation its agent holds (as last heard)."""
        return conversation_id in conn.sent and self.holders.get(conversation_id) == conn.user_id

    def let_go(self, conn: Connection, conversation_id: str) -> None:
        """The database says `conn`'s agent no longer holds it: unsubscribe, unless an event
        has meanwhile handed it (back) to them."""
        if self.holders.get(conversation_id) != conn.user_id:
            self.unsubscribe(conn, conversation_id)

    def hand(self, event: StatusChanged) -> None:
        """Follow the holder: their agent sockets subscribe from `event.seq`, others leave."""
        cid, holder = event.conversation_id, event.agent_id
        if event.status == "agent" and holder is None:
            return  # from a replica older than `agent_id`: the reads still check the holder
        if holder is None:
            self.holders.pop(cid, None)
        else:
            self.holders[cid] = holder
        for conn in self._members(cid, agents=True):
            if conn.user_id != holder:
                self.unsubscribe(conn, cid)
        for conn in self.agents:
            if holder is not None and conn.user_id == holder and not conn.closed:
                if cid in conn.sent:  # resumed already (the event came late): fill the rest
                    conn.push(Sync(cid, None))
                else:
                    self.attach(conn, cid, event.seq)

    def detach(self, conn: Connection) -> None:
        conn.closed = True
        self.agents.discard(conn)
        for cid in conn.sent:
            members = self.by_conv.get(cid)
            if members is not None:
                members.discard(conn)
                if not members:
                    del self.by_conv[cid]

    def _members(self, cid: str, *, agents: bool) -> list[Connection]:
        return [c for c in self.by_conv.get(cid, ()) if c.is_agent == agents]

    async def dispatch(self, event: Event) -> None:
        """Fan one event out; anything that needs the database runs in the background."""
        cid = event.conversation_id
        if isinstance(event, SessionEnded):
            self.end_logins({event.token_hash})
        elif isinstance(event, PresenceChanged):
            for conn in self.agents:
                conn.push(frames.Presence(agent_id=event.agent_id, presence=event.presence))
            self._requeue_lines()  # "nobody is online" may no longer be true, or now be
        elif isinstance(event, MessageCreated):
            for conn in self.by_conv.get(cid, ()):
                conn.push(Sync(cid, event.seq, event.message))
            if self.agents and cid in self.waiting:
                self.spawn(self._preview(event))
        elif isinstance(event, Typing):
            for conn in self._members(cid, agents=event.role == "customer"):
                conn.push(frames.of_event(event))
        elif isinstance(event, Token | DraftDiscarded):
            for conn in self._members(cid, agents=False):
                conn.push(frames.of_event(event))
        elif isinstance(event, StatusChanged):
            (self.waiting.add if event.status in WAITING else self.waiting.discard)(cid)
            for conn in self._members(cid, agents=False):
                conn.status = event.status
            told = self._members(cid, agents=True)  # a former holder hears that it left them
            self.hand(event)
            # Agents' frames need no database read, so they go now, in the events' order: sent
            # from background tasks, a claim's frame could overtake the close that followed.
            frame = status_frame(cid, event.status, None, event)
            for conn in {*told, *self._members(cid, agents=True)}:
                conn.push(frame.model_copy(update={"agent_id": event.agent_id}))
            if self._members(cid, agents=False):
                self.spawn(self._statuses([cid], event))
        elif isinstance(event, QueueChanged):
            for conn in self.agents:
                conn.push(frames.Queue(conversation_id=cid))
            self._requeue_lines()  # positions behind it moved

    def _requeue_lines(self) -> None:
        """Send this replica's queued customers their line again (position, wait, online)."""
        if any(c.status == "queued" for c in self._customers()):
            self.spawn(self._statuses([], None))

    async def _summarise(self, event: Event) -> None:
        """A new handoff is summarised once, in the background, by the replica that claims it."""
        if isinstance(event, StatusChanged) and event.status in WAITING:
            self.spawn(summary.refresh(self.svc, event.conversation_id))

    async def resync_all(self) -> None:
        """After a lost broker link: fill every subscription from the database."""
        await self._load_waiting()
        await self._rehold()
        for cid, conns in list(self.by_conv.items()):
            for conn in conns:
                conn.push(Sync(cid, None))
        await self._statuses(list(self.by_conv), None)

    async def read(
        self, cid: str, after: int, upto: int | None, *, internal: bool, holder: int | None = None
    ) -> tuple[int, list[Message]] | None:
        """The conversation's latest seq and the messages after `after` (none if too many);
        with `holder`, only what was written while that agent held it (None if they don't)."""
        async with self.svc.sessions() as s:
            latest, last = upto, 0
            if latest is None or holder is not None:
                query = select(Conversation.last_seq, Conversation.agent_id)
                row = (await s.execute(query.where(Conversation.id == cid))).one_or_none()
                if holder is not None and (row is None or row.agent_id != holder):
                    return None
                last = row.last_seq if row is not None else 0
                latest = last if latest is None else latest
            if latest - after > MAX_GAP:
                return latest, []
            rows = await conversations.after(s, cid, after, internal=internal, limit=MAX_GAP)
        if holder is not None:  # one statement read the holder and `last`: nothing written later
            rows = [m for m in rows if m.seq <= last]
        return latest, rows

    async def _statuses(self, cids: list[str], event: StatusChanged | None) -> None:
        """Tell customers their status (with queue position: a database read)."""
        customers = [c for cid in cids for c in self._members(cid, agents=False)]
        queued = [c for c in self._customers() if c.status == "queued"] if event is None else []
        positions = await self.positions() if customers or queued else {}
        for conn in {*customers, *queued}:
            cid = next(iter(conn.sent))
            conn.push(status_frame(cid, conn.status or "", positions.get(cid), event))

    def _customers(self) -> list[Connection]:
        return [c for cs in self.by_conv.values() for c in cs if not c.is_agent]

    async def positions(self) -> dict[str, Place]:
        """Queue position (priority first, then the longest wait), expected wait in seconds,
        and whether any agent is online."""
        async with self.svc.sessions() as s:
            rows = await s.execute(
                select(Conversation.id)
                .where(Conversation.status == "queued")
                .order_by(Conversation.priority.desc(), Conversation.queued_at, Conversation.id)
            )
            ids = list(rows.scalars())
            wait = await waiting.expected_wait(s) if ids else 0
            online = bool(await assignment.online_agents(s)) if ids else False
        if ids:
            self.agents_online = online
        return {cid: Place(n, wait, online) for n, cid in enumerate(ids, start=1)}

    async def _presence_moved(self) -> bool:
        """Whether "anyone online" changed since queued customers were last told (an agent's
        presence lapses without an event; the heartbeat notices it here)."""
        if self.agents_online is None or not any(c.status == "queued" for c in self._customers()):
            return False
        async with self.svc.sessions() as s:
            online = bool(await assignment.online_agents(s))
        return online != self.agents_online

    async def _load_waiting(self) -> None:
        async with self.svc.sessions() as s:
            query = select(Conversation.id).where(Conversation.status.in_(WAITING))
            self.waiting = set((await s.execute(query)).scalars())

    async def _load_holders(self) -> dict[str, int]:
        """Who holds what, from the database; returns the held conversations' latest seqs."""
        async with self.svc.sessions() as s:
            query = select(Conversation.id, Conversation.agent_id, Conversation.last_seq).where(
                Conversation.status == "agent", Conversation.agent_id.is_not(None)
            )
            rows = (await s.execute(query)).all()
        self.holders = {row.id: row.agent_id for row in rows}
        return {row.id: row.last_seq for row in rows}

    async def _rehold(self) -> None:
        """After events may have been lost: follow the holders the database names. A socket
        subscribed this late is told to reload the transcript (`resync`) up to the latest seq."""
        latest = await self._load_holders()
        for conn in list(self.agents):
            for cid in [c for c in conn.sent if self.holders.get(c) != conn.user_id]:
                self.unsubscribe(conn, cid)
        for cid, holder in self.holders.items():
            for conn in [c for c in self.agents if c.user_id == holder and cid not in c.sent]:
                conn.push(frames.Resync(conversation_id=cid, seq=latest[cid]))
                self.attach(conn, cid, latest[cid])

    async def _preview(self, event: MessageCreated) -> None:
        """A waiting customer's new message, shown to every agent (the queue is the truth)."""
        cid, msg = event.conversation_id, event.message  # the row, if this process wrote it
        async with self.svc.sessions() as s:
            conv = await s.get(Conversation, cid)
            if msg is None:
                rows = await conversations.after(s, cid, event.seq - 1, limit=1)
                msg = rows[0] if rows else None
        if conv is None or conv.status not in WAITING or msg is None:
            return
        if msg.seq != event.seq or msg.role != "customer":
            return
        frame = frames.Preview(conversation_id=cid, seq=msg.seq, text=msg.text)
        for conn in self.agents:
            if cid not in conn.sent:
                conn.push(frame)

    def end_logins(self, token_hashes: set[str]) -> None:
        """Close the consoles connected with these (revoked) logins."""
        for conn in [c for c in self.agents if c.login in token_hashes]:
            conn.drop(1008, "this session has ended; log in again")
            self.detach(conn)  # no more events for it, even before the close completes

    async def _heartbeat(self) -> None:
        """Application pings; agent presence (and leases) kept fresh from any replica, for
        logins that are still valid (a missed logout event or a disabled account ends here)."""
        while True:
            await asyncio.sleep(PING_EVERY)
            for conn in [*self.agents, *self._customers()]:
                conn.push(frames.Ping())
            try:
                async with self.svc.sessions() as s:
                    logins = {c.login for c in self.agents if c.login}
                    self.end_logins(await ended_logins(s, logins))
                await mark_seen(self.svc, {c.user_id for c in self.agents if c.user_id is not None})
                if await self._presence_moved():
                    self.spawn(self._statuses([], None))
            except Exception:
                log.warning("could not record agent presence", exc_info=True)


def status_frame(
    cid: str, status: str, place: Place | None, event: StatusChanged | None
) -> frames.Status:
    reason = event.reason if event is not None and event.reason else None
    # Only the event that made this status names the holder (a queue move does not).
    named = event is not None and event.status == status == "agent"
    return frames.Status(
        conversation_id=cid,
        status=status,
        reason=reason,
        position=place.position if place else None,
        expected_wait_seconds=place.expected_wait_seconds if place else None,
        agents_online=place.agents_online if place else None,
        agent=event.agent_name if named and event is not None else None,
    )


async def mark_seen(svc: Services, user_ids: set[int]) -> None:
    """Agents with a live console are online; their heartbeat also renews their leases."""
    async with svc.sessions() as s:
        for user_id in sorted(user_ids):
            await assignment.mark_seen(s, user_id)
            await assignment.renew_leases(s, user_id)
        await s.commit()
