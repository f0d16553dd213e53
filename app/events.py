"""Typed events, and the broker they travel through after commit. Durable events point at
database rows (conversation id and sequence number); ephemeral ones (streamed tokens, typing)
carry their payload and may be dropped. They live on the ground floor so that storage, the
queue and the routes can all publish without importing one another."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from app.models import Message


@dataclass(frozen=True)
class Event:
    type: ClassVar[str] = "event"
    ephemeral: ClassVar[bool] = False
    conversation_id: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, **asdict(self)}


@dataclass(frozen=True)
class MessageCreated(Event):
    type: ClassVar[str] = "message"
    seq: int
    # The committed row itself, for this process's sockets only: they can send it without
    # reading it back. It never crosses to other replicas, which read the database.
    message: Message | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, message: Message) -> MessageCreated:
        """The event for a message its transaction has committed."""
        return cls(message.conversation_id, message.seq, message)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "conversation_id": self.conversation_id, "seq": self.seq}


@dataclass(frozen=True)
class StatusChanged(Event):
    """A conversation's status changed; `agent_id` holds it now (None: nobody), `agent_name`
    is their name as the customer sees it, and `seq` was its latest message before the change
    (the new holder's sockets follow it from there)."""

    type: ClassVar[str] = "status"
    status: str
    reason: str | None = None
    agent_id: int | None = None
    seq: int = 0
    agent_name: str | None = None


@dataclass(frozen=True)
class QueueChanged(Event):
    type: ClassVar[str] = "queue"


@dataclass(frozen=True)
class Token(Event):
    """A checked piece of a reply being written; the stored message replaces it."""

    type: ClassVar[str] = "token"
    ephemeral: ClassVar[bool] = True
    text: str
    reply_to: int


@dataclass(frozen=True)
class DraftDiscarded(Event):
    type: ClassVar[str] = "draft_discarded"
    ephemeral: ClassVar[bool] = True
    reply_to: int


@dataclass(frozen=True)
class Typing(Event):
    type: ClassVar[str] = "typing"
    ephemeral: ClassVar[bool] = True
    role: str
    typing: bool


@dataclass(frozen=True)
class SessionEnded(Event):
    """An agent's login was revoked: the consoles using it close, on every replica. It belongs
    to no conversation (conversation_id is empty)."""

    type: ClassVar[str] = "session_ended"
    token_hash: str

    @classmethod
    def of(cls, token_hash: str) -> SessionEnded:
        return cls("", token_hash)


@dataclass(frozen=True)
class PresenceChanged(Event):
    """An agent's presence changed (they chose online, away or offline, or their console came
    online): colleagues' consoles update their team list and transfer picker, and waiting
    customers hear whether anyone is there. It belongs to no conversation (conversation_id is
    empty)."""

    type: ClassVar[str] = "presence"
    agent_id: int
    presence: str

    @classmethod
    def of(cls, agent_id: int, presence: str) -> PresenceChanged:
        return cls("", agent_id, presence)


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        MessageCreated,
        StatusChanged,
        QueueChanged,
        Token,
        DraftDiscarded,
        Typing,
        SessionEnded,
        PresenceChanged,
    )
}


def from_dict(data: dict[str, Any]) -> Event:
    cls = EVENT_TYPES[data["type"]]
    fields = {k: v for k, v in data.items() if k != "type"}
    return cls(**fields)


Listener = Callable[[Event], Awaitable[None]]
Reconnected = Callable[[], Awaitable[None]]


class Broker(Protocol):
    """Where events go after commit: in-process, or across replicas (`handoff.broker`)."""

    async def publish(self, event: Event) -> None: ...

    def subscribe(self, listener: Listener) -> None: ...

    def on_reconnect(self, callback: Reconnected) -> None:
        """Called after events may have been missed (the database replay heals the gap)."""
        ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


async def commit_and_publish(
    session: AsyncSession, broker: Broker, events: Iterable[Event]
) -> None:
    """Commit, then publish: listeners only ever see what the database holds."""
    await session.commit()
    for event in events:
        await broker.publish(event)
