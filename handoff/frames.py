"""Every websocket frame, both ways: one typed class per kind (docs/websocket.md lists the same).

The hub and the socket routes build outbound frames only from these classes and send them through
`encode`; inbound frames are read through `parse`, which answers an `Error` for anything unknown.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictStr, ValidationError

from app import events, inputs
from app.models import Message as MessageRow
from app.schemas import MAX_TEXT, MessageOut

# ---- server -> client ------------------------------------------------------------------------


class ServerFrame(BaseModel):
    """A frame the server sends; fields left None and optional are not sent."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str
    ephemeral: ClassVar[bool] = False  # dropped first when the client is slow


class Ready(ServerFrame):
    """Authentication succeeded: a customer's conversation and status, or an agent's name."""

    type: Literal["ready"] = "ready"
    conversation_id: str | None = None
    status: str | None = None
    role: str | None = None
    name: str | None = None


class Status(ServerFrame):
    """A status change; `agent` names who holds it now (status `agent`), and agents' consoles
    also get their colleague's `agent_id`."""

    type: Literal["status"] = "status"
    conversation_id: str
    status: str
    reason: str | None = None
    position: int | None = None
    expected_wait_seconds: int | None = None
    agents_online: bool | None = None  # while queued: is anyone from the team online now
    agent: str | None = None
    agent_id: int | None = None


class AgentMessageOut(MessageOut):
    """A message as agents see it: internal notes are marked."""

    internal: bool


class Message(ServerFrame):
    type: Literal["message"] = "message"
    conversation_id: str
    message: AgentMessageOut | MessageOut

    @classmethod
    def of(cls, row: MessageRow, *, agent: bool) -> Message:
        body = AgentMessageOut.model_validate(row) if agent else MessageOut.model_validate(row)
        return cls(conversation_id=row.conversation_id, message=body)


class Token(ServerFrame):
    type: Literal["token"] = "token"
    ephemeral: ClassVar[bool] = True
    conversation_id: str
    text: str
    reply_to: int


class DraftDiscarded(ServerFrame):
    type: Literal["draft_discarded"] = "draft_discarded"
    ephemeral: ClassVar[bool] = True
    conversation_id: str
    reply_to: int


class Typing(ServerFrame):
    type: Literal["typing"] = "typing"
    ephemeral: ClassVar[bool] = True
    conversation_id: str
    role: str
    typing: bool


class Queue(ServerFrame):
    type: Literal["queue"] = "queue"
    conversation_id: str


class Preview(ServerFrame):
    type: Literal["preview"] = "preview"
    ephemeral: ClassVar[bool] = True
    conversation_id: str
    seq: int
    text: str


class Presence(ServerFrame):
    """A colleague set their presence (agents only)."""

    type: Literal["presence"] = "presence"
    agent_id: int
    presence: str


class Resync(ServerFrame):
    type: Literal["resync"] = "resync"
    conversation_id: str
    seq: int


class Ack(ServerFrame):
    type: Literal["ack"] = "ack"
    client_id: str | None
    seq: int


class Error(ServerFrame):
    """A client frame refused: nothing of it was done unless `stored` says its message was."""

    type: Literal["error"] = "error"
    detail: str
    client_id: str | None = None
    conversation_id: str | None = None
    retry_after: int | None = None  # seconds: the refusal is temporary, send it again then
    stored: bool | None = None  # for a `message`: stored already (acked), only not answered


class Ping(ServerFrame):
    type: Literal["ping"] = "ping"
    ephemeral: ClassVar[bool] = True


class Pong(ServerFrame):
    type: Literal["pong"] = "pong"


Outbound = (
    Ready
    | Status
    | Message
    | Token
    | DraftDiscarded
    | Typing
    | Queue
    | Preview
    | Presence
    | Resync
    | Ack
    | Error
    | Ping
    | Pong
)
SERVER_FRAMES: dict[str, type[ServerFrame]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        Ready,
        Status,
        Message,
        Token,
        DraftDiscarded,
        Typing,
        Queue,
        Preview,
        Presence,
        Resync,
        Ack,
        Error,
        Ping,
        Pong,
    )
}
_OPTIONAL = {
    cls: frozenset(n for n, f in cls.model_fields.items() if not f.is_required() and n != "type")
    for cls in SERVER_FRAMES.values()
}


def encode(frame: Outbound) -> str:
    """The frame as the JSON text sent on the socket."""
    unset = {n for n in _OPTIONAL[type(frame)] if getattr(frame, n) is None}
    return frame.model_dump_json(exclude=unset or None)


def of_event(event: events.Token | events.DraftDiscarded | events.Typing) -> Outbound:
    """The frame for an ephemeral event (its payload travels in the event itself)."""
    cid = event.conversation_id
    if isinstance(event, events.Token):
        return Token(conversation_id=cid, text=event.text, reply_to=event.reply_to)
    if isinstance(event, events.DraftDiscarded):
        return DraftDiscarded(conversation_id=cid, reply_to=event.reply_to)
    return Typing(conversation_id=cid, role=event.role, typing=event.typing)


def check(data: dict[str, Any]) -> ServerFrame:
    """Validate a received server frame (tests, clients): unknown kinds or fields raise."""
    cls = SERVER_FRAMES.get(data.get("type", ""))
    if cls is None:
        raise ValueError(f"unknown server frame type {data.get('type')!r}")
    return cls.model_validate(data)


# ---- client -> server ------------------------------------------------------------------------


def _seq_or_zero(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


LastSeq = Annotated[int, BeforeValidator(_seq_or_zero)]
Flag = Annotated[bool, BeforeValidator(bool)]


class ClientFrame(BaseModel):
    """A frame a client sends; fields we do not know are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    type: str


class Auth(ClientFrame):
    """The first frame on either socket."""

    type: Literal["auth"] = "auth"
    token: StrictStr
    last_seq: LastSeq = 0


class Say(ClientFrame):
    """A customer's message, checked like the HTTP body (`MessageIn`)."""

    type: Literal["message"] = "message"
    text: StrictStr = Field(min_length=1, max_length=MAX_TEXT)
    client_id: StrictStr | None = Field(default=None, min_length=1, max_length=64)


class CustomerTyping(ClientFrame):
    type: Literal["typing"] = "typing"
    typing: Flag = False


class AgentTyping(ClientFrame):
    type: Literal["typing"] = "typing"
    conversation_id: StrictStr
    typing: Flag = False


class Resume(ClientFrame):
    type: Literal["resume"] = "resume"
    conversation_id: StrictStr
    last_seq: LastSeq = 0


class PingIn(ClientFrame):
    type: Literal["ping"] = "ping"


class PongIn(ClientFrame):
    type: Literal["pong"] = "pong"


CustomerInbound = Say | CustomerTyping | PingIn | PongIn
AgentInbound = Resume | AgentTyping | PingIn | PongIn
CUSTOMER_FRAMES: dict[str, type[ClientFrame]] = {
    "auth": Auth,
    "message": Say,
    "typing": CustomerTyping,
    "ping": PingIn,
    "pong": PongIn,
}
AGENT_FRAMES: dict[str, type[ClientFrame]] = {
    "auth": Auth,
    "resume": Resume,
    "typing": AgentTyping,
    "ping": PingIn,
    "pong": PongIn,
}


def parse(data: Any, kinds: dict[str, type[ClientFrame]]) -> ClientFrame | Error:
    """A typed inbound frame of one of `kinds`, or the `Error` that answers it."""
    if not isinstance(data, dict) or not isinstance(data.get("type"), str) or not data["type"]:
        return Error(detail="send JSON objects with a type")
    kind = data["type"]
    cls = kinds.get(kind)
    if cls is None or cls is Auth:  # auth is the first frame only
        return Error(detail=f"unknown frame type {kind!r}")
    cid, client_id = data.get("conversation_id"), data.get("client_id")
    unsafe = inputs.problem(data)  # the HTTP rule (app/inputs.py): no NUL, ints the DB holds
    if unsafe is not None:
        return Error(
            detail=f"{unsafe[0]}: {unsafe[1]}",
            client_id=client_id
            if isinstance(client_id, str) and not inputs.problem(client_id)
            else None,
            conversation_id=cid if isinstance(cid, str) and not inputs.problem(cid) else None,
        )
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return Error(
            detail=f"{where}: {first['msg']}" if where else str(first["msg"]),
            client_id=client_id if isinstance(client_id, str) else None,
            conversation_id=cid if isinstance(cid, str) else None,
        )


def parse_auth(data: Any) -> Auth | None:
    """The first frame, if it is a well-formed auth frame."""
    if not isinstance(data, dict) or data.get("type") != "auth" or inputs.problem(data):
        return None
    try:
        return Auth.model_validate(data)
    except ValidationError:
        return None
