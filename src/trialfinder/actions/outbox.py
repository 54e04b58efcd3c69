"""Delivering the outbox: send what is due, retry with backoff what failed for now, keep what failed for good.

Each message is claimed (a short lease) in one transaction, sent outside any transaction, and marked in
another, so a slow mail server never holds the database's write lock, and a crash mid-send only delays the
message until its lease runs out. Delivery is at least once: a crash between sending and marking can send a
message twice, never lose one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from trialfinder.notifications.email import EmailSender, PermanentFailure, TemporaryFailure
from trialfinder.storage.database import Database, stamp
from trialfinder.storage.outbox import Outbox, OutboxMessage

log = logging.getLogger("trialfinder.outbox")

LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 30  # with the backoff below, about a day and a half of trying before a message is "failed"
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: 1, 2, 4, ... minutes, at most an hour."""
    return min(FIRST_RETRY * (2 ** max(attempts - 1, 0)), LONGEST_WAIT)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


# Composes a message queued with a payload instead of a body (an alert): its RFC 5322 bytes, or None when there is
# nothing to send any more (the subscription was deleted meanwhile).
Composer = Callable[[OutboxMessage], bytes | None]


def deliver_due(
    *,
    database: Database,
    sender: EmailSender,
    compose: Composer | None = None,
    now: datetime | None = None,
    limit: int = 200,
) -> DeliveryReport:
    """Send what is due. Messages queued with a payload are composed now by `compose`; without one they wait for
    a caller that has it (the scheduled job and the commands do)."""
    now = now or datetime.now(UTC)
    sent = retrying = failed = 0
    with database.connect() as conn:
        outbox = Outbox(conn)
        for message_id in outbox.due_ids(now=stamp(now), limit=limit, deferred=compose is not None):
            with conn.transaction():
                message = outbox.claim(message_id, now=stamp(now), lease_until=stamp(now + LEASE))
            if message is None:
                continue
            raw = message.body.encode("utf-8") if message.body is not None else None
            if raw is None and message.deferred and compose is not None:
                try:
                    raw = compose(message)
                except Exception as error:  # a template or record problem: kept for the operator, never retried blind
                    with conn.transaction():
                        outbox.mark_failed(message.id, error=f"could not be composed: {type(error).__name__}")
                    failed += 1
                    continue
                if raw is None:
                    with conn.transaction():
                        outbox.mark_sent(message.id, now=stamp(now))  # nothing left to say: done, not failed
                    continue
            if raw is None:
                continue
            try:
                sender.send(raw, recipient=message.recipient)
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
