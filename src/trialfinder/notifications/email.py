"""Email: building messages safely, and the two ways of sending them.

- `SmtpSender` talks to the operator's mail server (STARTTLS, implicit TLS, or plain on a trusted network).
- `FolderSender` is the embedded default when no SMTP server is set: each message becomes an `.eml` file in a
  folder the operator can open with any mail program.

Messages are built with the standard library's `EmailMessage` under the SMTP policy, which refuses a header
value with a line break in it: what a person typed can never add a header or a recipient (header injection).
A send that fails says whether trying again later may help (`TemporaryFailure`) or not (`PermanentFailure`).
"""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Protocol

from trialfinder.domain.email_address import parse_email
from trialfinder.filemodes import make_private_folder


class SendFailure(Exception):
    """A message could not be handed over. The message is for the operator: it never holds the email's text."""


class TemporaryFailure(SendFailure):
    """Try again later: the server is down, busy, or said 4xx."""


class PermanentFailure(SendFailure):
    """Trying again will not help: the server refused the message or the recipient (5xx)."""


@dataclass(frozen=True, slots=True)
class OutgoingEmail:
    to: str
    subject: str
    text: str
    html: str
    reply_to: str | None = None
    headers: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def build_message(email: OutgoingEmail, *, sender: str) -> EmailMessage:
    """A MIME message (text with an HTML alternative). Raises ValueError on a header value with a line break or
    an address that is not one. A recipient with a non-ASCII local part makes an internationalised message
    (RFC 6532: UTF-8 headers), which only a server offering SMTPUTF8 accepts; every other message is 7-bit."""
    for value in (email.to, email.subject, email.reply_to or "", sender, *(v for _, v in email.headers)):
        if any(char in value for char in "\r\n\x00"):
            raise ValueError("a header value may not contain a line break")
    to = _address(email.to)
    reply_to = _address(email.reply_to) if email.reply_to else None
    if reply_to is not None and not reply_to.username.isascii() and to.username.isascii():
        # Replying to a person whose address is internationalised: the message says the address in its text, and
        # a Reply-To header would make it undeliverable through any server without SMTPUTF8. What matters (the
        # study team gets the request) goes first.
        reply_to = None
    international = not to.username.isascii()
    message = EmailMessage(policy=policy.SMTPUTF8 if international else policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = email.subject
    if reply_to is not None:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to us
    for name, value in email.headers:
        message[name] = value
    # Quoted-printable keeps the body 7-bit (any server takes it, and the outbox stores it as text).
    message.set_content(email.text, cte="quoted-printable")
    message.add_alternative(email.html, subtype="html", cte="quoted-printable")
    return message


def message_text(email: OutgoingEmail, *, sender: str) -> str:
    """The message as the outbox stores it: RFC 5322 text (UTF-8 in the headers only when internationalised)."""
    return build_message(email, sender=sender).as_bytes().decode("utf-8")


def _address(value: str) -> Address:
    # An Address object, not the raw string: a comma or angle bracket cannot smuggle in a second recipient. The
    # domain goes in IDNA's ASCII form, which every server and mail program reads.
    parsed = parse_email(value)
    if parsed is None:
        raise ValueError("not an email address")
    try:
        return Address(username=parsed.local, domain=parsed.ascii_domain)
    except (HeaderParseError, ValueError):
        raise ValueError("not an email address") from None


class EmailSender(Protocol):
    description: str

    def send(self, raw: bytes, *, recipient: str, reference: str = "") -> None:
        """Hand over one message (RFC 5322 bytes) for `recipient`, or raise a SendFailure. `reference` names the
        message (its outbox id) for `forget`."""

    def forget(self, references: Iterable[str]) -> int:
        """Delete the copies this sender kept of these messages (a withdrawn person's); how many were deleted."""

    def expire(self, before: datetime) -> int:
        """Delete the copies this sender kept of messages handed over before `before` (retention)."""


class SmtpSender:
    def __init__(
        self,
        *,
        host: str,
        port: int | None = None,
        security: str = "starttls",
        user: str | None = None,
        password: str | None = None,
        sender: str,
        timeout: float = 20.0,
    ):
        self.host = host
        self.security = security
        self.port = port or {"tls": 465, "starttls": 587}.get(security, 25)
        self.user = user
        self.password = password
        self.envelope_from = parseaddr(sender)[1] or sender
        self.timeout = timeout
        self.description = f"SMTP server {host}:{self.port} ({security})"

    # Once a message is handed to the mail server it is the mail system's: this sender keeps no copy to forget.
    def forget(self, references: Iterable[str]) -> int:
        return 0

    def expire(self, before: datetime) -> int:
        return 0

    def send(self, raw: bytes, *, recipient: str, reference: str = "") -> None:
        address = parse_email(recipient)
        if address is None:
            raise PermanentFailure("the recipient is not an email address")
        # An internationalised message (UTF-8 in an address or a header) may only go to a server that says it
        # takes one (RFC 6531); any other is refused for good rather than mangled or sent half-encoded.
        international = address.needs_smtputf8 or not raw.isascii()
        try:
            context = ssl.create_default_context()
            if self.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            with client:
                if self.security == "starttls":
                    client.starttls(context=context)
                if self.user:
                    client.login(self.user, self.password or "")
                options: list[str] = []
                if international:
                    client.ehlo_or_helo_if_needed()
                    if not client.has_extn("smtputf8"):
                        raise PermanentFailure(
                            f"{self.description} does not offer SMTPUTF8, needed for an address or header with"
                            " non-ASCII characters"
                        )
                    options.append("SMTPUTF8")
                client.sendmail(self.envelope_from, [address.for_smtp], raw, mail_options=options)
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            raise _by_code(min(codes) if codes else 550, "the server refused the recipient") from None
        except smtplib.SMTPResponseException as error:
            raise _by_code(error.smtp_code, "the server refused the message") from None
        except smtplib.SMTPNotSupportedError:
            raise PermanentFailure(f"{self.description} does not support {self.security.upper()}") from None
        except UnicodeError as error:
            raise PermanentFailure(f"the message could not be encoded for {self.description}: {type(error).__name__}") from None
        except (smtplib.SMTPException, OSError) as error:
            # Connection refused, timeouts, a dropped connection, TLS trouble: the server may be back later.
            raise TemporaryFailure(f"cannot reach {self.description}: {type(error).__name__}") from None


def _by_code(code: int, what: str) -> SendFailure:
    if 400 <= code < 500:
        return TemporaryFailure(f"{what} for now (SMTP {code})")
    return PermanentFailure(f"{what} (SMTP {code})")


class FolderSender:
    """Writes each message as `<time>-<reference>-<random>.eml` in `folder`, atomically (a reader never sees half a
    message). The folder (0700) and the files (0600) are the operator's account's only: the messages hold personal
    details, so the copies of a withdrawn person's messages are deleted (`forget`) and every copy is deleted after
    the retention period (`expire`)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.description = f"the folder {folder}"

    def send(self, raw: bytes, *, recipient: str, reference: str = "") -> None:
        try:
            make_private_folder(self.folder)
            fd, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(raw)
            # Sorted by time in a file browser; the random part keeps names from colliding.
            tag = f"-{_safe_reference(reference)}" if reference else ""
            name = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}{tag}-{secrets.token_hex(6)}.eml"
            os.replace(temporary, self.folder / name)
        except OSError as error:
            raise TemporaryFailure(f"cannot write to {self.folder}: {type(error).__name__}") from None

    def forget(self, references: Iterable[str]) -> int:
        deleted = 0
        for reference in references:
            for path in self.folder.glob(f"*-{_safe_reference(reference)}-*.eml"):
                path.unlink(missing_ok=True)
                deleted += 1
        return deleted

    def expire(self, before: datetime) -> int:
        deleted = 0
        cutoff = before.timestamp()
        for path in self.folder.glob("*.eml") if self.folder.is_dir() else ():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:
                continue
        return deleted


def _safe_reference(reference: str) -> str:
    return "".join(char for char in reference if char.isalnum())[:40]
