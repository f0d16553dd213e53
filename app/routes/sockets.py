"""The two websockets: a customer's conversation, and an agent's console.

Both authenticate with a first frame `{"type": "auth", "token": ...}` (never a URL), check the
Origin before accepting, limit frames to 64 KiB and speak typed JSON. See docs/websocket.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket
from starlette.websockets import WebSocketDisconnect

from app import conversations, pipeline
from app.auth import Lifetimes, user_for_token
from app.errors import (
    DATABASE_ERRORS,
    RETRY_AFTER_SECONDS,
    UNREACHABLE_DETAIL,
    NotFound,
    Unauthorized,
    database_down,
)
from app.events import PresenceChanged, Typing
from app.models import Conversation, Message
from app.security import hash_token
from handoff import assignment, frames
from handoff.hub import Connection, Hub, mark_seen, status_frame

router = APIRouter()
log = logging.getLogger("tandem.sockets")
_GONE = object()  # `_read`'s answer once the socket is closed
MAX_FRAME = 64 * 1024
AUTH_TIMEOUT = 5.0


def _hub(ws: WebSocket) -> Hub:
    hub: Hub = ws.app.state.hub
    return hub


def _same_origin(ws: WebSocket, origin: str) -> bool:
    """Tandem's own pages (the widget frame, the consoles) may always connect."""
    return urlsplit(origin).netloc.lower() == ws.headers.get("host", "").lower()


async def _open(ws: WebSocket) -> frames.Auth | None:
    """Check the Origin, accept, and wait for the auth frame; None when the socket is closed."""
    origin, allowed = ws.headers.get("origin"), _hub(ws).svc.settings.origins
    if origin is not None and allowed and origin not in allowed and not _same_origin(ws, origin):
        await ws.close(1008)  # before accept: the handshake is refused with 403
        return None
    await ws.accept()
    try:
        first = frames.parse_auth(await asyncio.wait_for(_read(ws), AUTH_TIMEOUT))
    except TimeoutError:
        first = None
    if first is None:
        await _close(ws, 1008, "authenticate with a first frame {type: auth, token}")
        return None
    # Open sockets per token and per address are capped; the slot is given back in _release.
    refused = await _hub(ws).svc.limits.sockets.take(id(ws), hash_token(first.token), _ip(ws))
    if refused is not None:
        await _close(ws, 1008, refused)
        return None
    return first


def _ip(ws: WebSocket) -> str:
    return ws.client.host if ws.client else "unknown"


async def _release(ws: WebSocket) -> None:
    await _hub(ws).svc.limits.sockets.release(id(ws))


async def _read(ws: WebSocket) -> object:
    """The next inbound frame's JSON (None if it is not JSON); `_GONE` once the client is gone
    or after closing 1009 for an oversize frame."""
    try:
        raw = await ws.receive_text()
    except (WebSocketDisconnect, RuntimeError, KeyError):
        return _GONE
    if len(raw) > MAX_FRAME or len(raw.encode()) > MAX_FRAME:
        await _close(ws, 1009, "frames are limited to 64 KiB")
        return _GONE
    try:
        data: object = json.loads(raw)
    except ValueError:
        data = None
    return data


async def _next(
    conn: Connection, kinds: dict[str, type[frames.ClientFrame]]
) -> frames.ClientFrame | None:
    """The next well-formed inbound frame of `kinds`, answering the others with an error; None
    once the client is gone. (A plain coroutine rather than an async generator: an idle socket
    then holds one suspended frame less.)"""
    while (data := await _read(conn.ws)) is not _GONE:
        frame = frames.parse(data, kinds)
        if not isinstance(frame, frames.Error):
            return frame
        conn.push(frame)
    return None


async def _close(ws: WebSocket, code: int, reason: str) -> None:
    with contextlib.suppress(Exception):  # the client left first
        await ws.close(code, reason)


async def customer_socket(ws: WebSocket) -> None:
    """A customer's conversation live: messages, tokens, status and queue position, typing.

    A plain Starlette route (no FastAPI dependency machinery: nothing to inject) whose idle
    state is this one suspended coroutine and a small Connection: no session, no ORM object."""
    try:
        try:
            conn = await _customer_open(ws, ws.path_params["conversation_id"])
        except DATABASE_ERRORS as exc:
            if not database_down(exc):
                raise
            await _close(ws, 1013, "the service cannot reach its database; reconnect shortly")
            return
        if conn is None:
            return
        cid = next(iter(conn.sent))
        try:
            while (frame := await _next(conn, frames.CUSTOMER_FRAMES)) is not None:
                await _customer_frame(conn, cid, frame)
        finally:
            conn.hub.detach(conn)
    finally:
        await _release(ws)


async def _customer_open(ws: WebSocket, conversation_id: str) -> Connection | None:
    """Authenticate and subscribe; nothing of this (frames, session, rows) outlives the call."""
    auth = await _open(ws)
    if auth is None:
        return None
    hub = _hub(ws)
    async with hub.svc.sessions() as s:
        try:
            conv = await conversations.authorize(s, conversation_id, auth.token)
        except (NotFound, Unauthorized):
            await _close(ws, 1008, "this token does not open this conversation")
            return None
        cid, status = conv.id, conv.status
        name = await assignment.holder_name(s, conv)  # whom they talk to
    conn = Connection(ws, hub, "customer")
    conn.status = status
    position = (await hub.positions()).get(cid) if status == "queued" else None
    conn.push(frames.Ready(conversation_id=cid, status=status))
    conn.push(status_frame(cid, status, position, None).model_copy(update={"agent": name}))
    hub.attach(conn, cid, auth.last_seq)
    return conn


async def _customer_frame(conn: Connection, cid: str, frame: frames.ClientFrame) -> None:
    if isinstance(frame, frames.CustomerTyping):
        await conn.hub.svc.broker.publish(Typing(cid, "customer", frame.typing))
    elif isinstance(frame, frames.Say):
        await _customer_message(conn, cid, frame)
    elif isinstance(frame, frames.PingIn):
        conn.push(frames.Pong())


async def _customer_message(conn: Connection, cid: str, body: frames.Say) -> None:
    """The same path as the HTTP POST: stored once per client_id, acked after commit."""
    text = body.text.strip()
    if not text:
        conn.push(frames.Error(client_id=body.client_id, detail="text: the message is empty."))
        return

    acked = False

    def ack(message: Message) -> None:
        nonlocal acked
        acked = True
        conn.push(frames.Ack(client_id=body.client_id, seq=message.seq))

    # Awaited here, so that one socket's messages are stored in the order they were sent.
    ai_holds = conn.status in ("bot", "closed")
    try:
        await pipeline.receive(
            conn.hub.svc, cid, text, body.client_id, ai_holds=ai_holds, stored=ack, ip=_ip(conn.ws)
        )
    except Exception as exc:  # every message frame is acked or refused, never dropped
        conn.push(_refusal(exc, body.client_id, acked))


def _refusal(exc: Exception, client_id: str | None, stored: bool) -> frames.Error:
    """The error frame for a message the server could not take or answer."""
    if database_down(exc):
        detail, retry = UNREACHABLE_DETAIL, RETRY_AFTER_SECONDS
    else:
        log.exception("a customer message frame failed")
        detail, retry = "The message could not be handled; send it again.", None
    if stored:  # acked: a retry with the same client_id is safe, and a stranded turn is
        detail = "Your message is stored, but its answer failed; a person will take over."
    return frames.Error(client_id=client_id, detail=detail, retry_after=retry, stored=stored)


async def agent_socket(ws: WebSocket) -> None:
    """An agent's console: queue changes, previews, and the conversations they hold, live."""
    try:
        await _agent_session(ws)
    finally:
        await _release(ws)


async def _agent_session(ws: WebSocket) -> None:
    auth = await _open(ws)
    if auth is None:
        return
    hub = _hub(ws)
    async with hub.svc.sessions() as s:
        user = await user_for_token(s, auth.token, Lifetimes.of(hub.svc.settings))
    if user is None:
        await _close(ws, 1008, "this session has ended; log in again")
        return
    conn = Connection(ws, hub, "agent", user.id, hash_token(auth.token))
    hub.agents.add(conn)
    # Online before "ready": a console that was told it is connected can be transferred to.
    await mark_seen(hub.svc, {user.id})
    conn.push(frames.Ready(role=user.role, name=user.display_name))
    # Colleagues' team lists, and waiting customers: someone may be here now.
    await hub.svc.broker.publish(PresenceChanged.of(user.id, user.presence))
    try:
        while (frame := await _next(conn, frames.AGENT_FRAMES)) is not None:
            await _agent_frame(conn, frame)
    finally:
        hub.detach(conn)


async def _agent_frame(conn: Connection, frame: frames.ClientFrame) -> None:
    if isinstance(frame, frames.Resume):
        cid = frame.conversation_id
        if await _holds(conn, cid):
            conn.hub.attach(conn, cid, frame.last_seq)
        else:
            conn.push(frames.Error(conversation_id=cid, detail="you do not hold this conversation"))
    elif isinstance(frame, frames.AgentTyping):
        cid = frame.conversation_id
        if conn.hub.holds(conn, cid):  # only a conversation this agent holds now
            await conn.hub.svc.broker.publish(Typing(cid, "agent", frame.typing))
    elif isinstance(frame, frames.PingIn):
        conn.push(frames.Pong())


async def _holds(conn: Connection, cid: str) -> bool:
    async with conn.hub.svc.sessions() as s:
        conv = await s.get(Conversation, cid)
    return conv is not None and conv.agent_id == conn.user_id


router.add_websocket_route("/api/v1/conversations/{conversation_id}/ws", customer_socket)
router.add_websocket_route("/api/v1/agent/ws", agent_socket)
