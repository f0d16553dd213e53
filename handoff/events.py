"""Typed events. Durable ones point at database rows (conversation id and sequence number);
ephemeral ones (streamed tokens, typing) carry their payload and may be dropped."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, ClassVar


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


@dataclass(frozen=True)
class StatusChanged(Event):
    type: ClassVar[str] = "status"
    status: str
    reason: str | None = None


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


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (MessageCreated, StatusChanged, QueueChanged, Token, DraftDiscarded, Typing)
}


def from_dict(data: dict[str, Any]) -> Event:
    cls = EVENT_TYPES[data["type"]]
    fields = {k: v for k, v in data.items() if k != "type"}
    return cls(**fields)
