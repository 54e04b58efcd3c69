"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, for the email tests.

    with SmtpServer() as smtp:
        ...  # send to 127.0.0.1:smtp.port
    message = smtp.wait_for(1)[0]   # an email.message.EmailMessage

`reject` holds recipient addresses the server refuses for good (550); `stop()` and `start()` take it down and
bring it back on the same port, to test delivery when the mail server is unavailable. `smtputf8=False` makes a
server that does not offer SMTPUTF8 (RFC 6531); `delay` makes each message take that many seconds to accept.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import threading
import time
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    raw: bytes


class _Handler:
    def __init__(self, server: SmtpServer):
        self.server = server

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address.lower() in self.server.reject:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.server.delay:
            await asyncio.sleep(self.server.delay)
        raw = envelope.original_content or envelope.content
        message = message_from_bytes(raw, policy=policy.default)
        with self.server.lock:
            self.server.received.append(Received(envelope.mail_from, tuple(envelope.rcpt_tos), message, raw))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SmtpServer:
    def __init__(self, port: int | None = None, *, smtputf8: bool = True, delay: float = 0.0):
        self.port = port or free_port()
        self._port_chosen_here = port is None
        self.smtputf8 = smtputf8
        self.delay = delay
        self.received: list[Received] = []
        self.reject: set[str] = set()
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> None:
        """Listen on `self.port`. A port chosen here may be taken by another process (another xdist worker, say)
        between choosing it and binding it: then another is chosen, a few times. A port given is used or fails."""
        for attempt in range(5):
            controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=self.smtputf8)
            try:
                controller.start()
            except OSError as error:
                controller.loop.close()
                if not self._port_chosen_here or error.errno != errno.EADDRINUSE or attempt == 4:
                    raise
                self.port = free_port()
                continue
            self._controller = controller
            return

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.02)
        with self.lock:
            raise AssertionError(f"expected {count} messages, the SMTP server received {len(self.received)}")
