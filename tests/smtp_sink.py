"""An SMTP server's mailbox on loopback (aiosmtpd): what it received, and refusals on demand."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session


class Sink:
    """What an SMTP server on loopback received; it can refuse a recipient's next e-mails."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[EmailMessage] = []
        self.refusals: dict[str, tuple[int, str]] = {}  # recipient: (times, reply)
        self.delay = 0.0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await asyncio.sleep(self.delay)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                times, reply = self.refusals.get(rcpt, (0, ""))
                if times:
                    self.refusals[rcpt] = (times - 1, reply)
                    return reply
            raw = envelope.content if isinstance(envelope.content, bytes) else b""
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            self.received.append(msg)
        return "250 OK"

    def refuse(self, recipient: str, times: int, reply: str = "451 4.3.0 try again") -> None:
        with self.lock:
            self.refusals[recipient] = (times, reply)

    def to(self, recipient: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.received if m["To"] == recipient]
