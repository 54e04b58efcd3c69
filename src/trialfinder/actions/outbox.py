"""Delivering the outbox: send what is due, retry with backoff what failed for now, keep what failed for good.

Each message is claimed (a short lease) in one transaction, sent outside any transaction, and marked in
another, so a slow mail server never holds the database's write lock, and a crash mid-send only delays the
message until its lease runs out. Delivery is at least once: a crash between sending and marking can send a
message twice, never lose one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from trialfinder.notifications.email import EmailSender, PermanentFailure, TemporaryFailure
from trialfinder.storage.database import Database
from trialfinder.storage.outbox import Outbox

log = logging.getLogger("trialfinder.outbox")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 30  # with the backoff below, about a day and a half of trying before a message is "failed"
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 1, 2, 4, ... minutes, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def deliver_due(
    *, database: Database, sender: EmailSender, now: datetime | None = None, limit: int = 200
) -> DeliveryReport:
    now = now or datetime.now(UTC)
    sent = retrying = failed = 0
    with database.connect() as conn:
        outbox = Outbox(conn)
        for message_id in outbox.due_ids(now=stamp(now), limit=limit):
            with conn.transaction():
                message = outbox.claim(message_id, now=stamp(now), lease_until=stamp(now + LEASE))
            if message is None or message.body is None:
                continue
            try:
                sender.send(message.body.encode("utf-8"), recipient=message.recipient)
            except PermanentFailure as error:
                with conn.transaction():
                    outbox.mark_failed(message.id, error=str(error))
                failed += 1
            except TemporaryFailure as error:
                attempts = message.attempts + 1
                with conn.transaction():
                    if attempts >= MAX_ATTEMPTS:
                        outbox.mark_failed(message.id, error=f"gave up after {attempts} attempts: {error}")
                        failed += 1
                    else:
                        outbox.mark_retry(message.id, next_attempt_at=stamp(now + backoff(attempts)), error=str(error))
                        retrying += 1
            else:
                with conn.transaction():
                    outbox.mark_sent(message.id, now=stamp(now))
                sent += 1
    if sent or retrying or failed:
        # Counts only: never a recipient or a subject.
        log.info("outbox delivered sent=%d retrying=%d failed=%d via=%s", sent, retrying, failed, sender.description)
    return DeliveryReport(sent, retrying, failed)


def requeue_failed(*, database: Database, ids: tuple[int, ...] = (), now: datetime | None = None) -> int:
    with database.connect() as conn, conn.transaction():
        count = Outbox(conn).requeue_failed(now=stamp(now or datetime.now(UTC)), ids=ids)
    log.info("outbox requeued=%d", count)
    return count
