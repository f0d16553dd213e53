"""One e-mail: composed from an outbox row (an agent's reply to a customer, or the alert that a
customer left a message) and handed to the SMTP server with aiosmtplib."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from urllib.parse import urlsplit

import aiosmtplib

from app.models import MailKind, Outbox
from app.settings import Settings, SmtpServer
from disclosure.texts import phrase

SEND_TIMEOUT = 30.0  # seconds per SMTP command; a hung server must not hold a claim forever


class SendError(Exception):
    """The server did not take the e-mail. `permanent`: it said no for good (an SMTP 5xx), so
    trying again would only repeat the answer; otherwise (4xx, refused, unreachable) retry."""

    def __init__(self, detail: str, permanent: bool) -> None:
        super().__init__(detail)
        self.detail = detail
        self.permanent = permanent


def message_id(row_id: int, settings: Settings) -> str:
    """Stable per outbox row: if a replica crashes after the server took the e-mail but before
    `sent_at` is committed, the row is sent again with the same Message-ID, and the receiving
    side can drop the duplicate. The site's host keeps two deployments' ids apart."""
    site = urlsplit(settings.site_url).hostname or "localhost"
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    return f"<tandem.outbox.{row_id}.{site}@{domain}>"


def compose(
    row: Outbox, settings: Settings, overrides: Mapping[str, Mapping[str, str]] | None = None
) -> EmailMessage:
    """The e-mail for one row, plain text, in the row's language."""
    msg = EmailMessage()
    msg["From"] = settings.mail_from
    msg["To"] = row.recipient
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = message_id(row.id, settings)
    if row.kind == MailKind.reply:
        subject, body = _reply(row, settings, overrides)
    else:
        subject, body = _new_message(settings)
        msg["Auto-Submitted"] = "auto-generated"  # no out-of-office answers to an alert
    msg["Subject"] = subject
    msg.set_content(body)
    return msg


def _reply(
    row: Outbox, settings: Settings, overrides: Mapping[str, Mapping[str, str]] | None
) -> tuple[str, str]:
    # The link is the site's page, not the conversation: the widget resumes the chat from the
    # token it stored in that browser. The token is the only credential to a conversation, and
    # an e-mail is forwarded, kept in mailboxes and scanned by link checkers, so it stays out.
    link = settings.site_url + "/"
    text = [
        phrase("mail_reply_intro", row.locale, overrides),
        row.body,
        phrase("mail_reply_link", row.locale, overrides).format(url=link),
        phrase("mail_reply_no_reply", row.locale, overrides),
    ]
    return phrase("mail_reply_subject", row.locale, overrides), "\n\n".join(text) + "\n"


def _new_message(settings: Settings) -> tuple[str, str]:
    # Data minimisation: no customer text, address or name leaves in this e-mail; the agent
    # reads the message in the console, behind a login.
    body = (
        "A customer left a message for the team.\n\n"
        f"Open the console to answer it: {settings.site_url}/console\n\n"
        "You get this e-mail because you asked to hear about new messages; "
        "switch it off in the console.\n"
    )
    return "A customer left a message", body


async def send(server: SmtpServer, message: EmailMessage) -> None:
    """Deliver `message`; SendError says why not and whether to try again."""
    client = aiosmtplib.SMTP(
        hostname=server.host,
        port=server.port,
        use_tls=server.tls,
        start_tls=False if server.tls else None,  # None: STARTTLS whenever it is offered
        timeout=SEND_TIMEOUT,
    )
    try:
        async with client:
            if server.username is not None:
                _may_log_in(client, server)
                await client.login(server.username, server.password or "")
            await client.send_message(message)
    except aiosmtplib.SMTPRecipientsRefused as exc:
        first = exc.recipients[0]
        raise SendError(f"{first.code} {first.message}", first.code >= 500) from exc
    except aiosmtplib.SMTPResponseException as exc:
        raise SendError(f"{exc.code} {exc.message}", exc.code >= 500) from exc
    except (aiosmtplib.SMTPException, OSError) as exc:  # refused, unreachable, timed out
        raise SendError(f"{type(exc).__name__}: {exc}", permanent=False) from exc


def _may_log_in(client: aiosmtplib.SMTP, server: SmtpServer) -> None:
    """A password crosses the network only encrypted (smtps://, or smtp:// after STARTTLS);
    in the clear only to a relay on this machine."""
    if client.get_transport_info("sslcontext") is not None or _loopback(server.host):
        return
    raise SendError(
        f"{server.host} offers no STARTTLS; not sending the SMTP password unencrypted "
        "(use smtps:// or a server with STARTTLS)",
        permanent=False,
    )


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
