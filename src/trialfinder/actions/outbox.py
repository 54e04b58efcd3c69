"""Delivering the outbox: send what is due, retry with backoff what failed for now, keep what failed for good.

Each message is claimed on its own (a lease from the moment it is taken, under a token of this run) in one
transaction, sent outside any transaction while a heartbeat renews its lease, and marked in another transaction
that requires the claim, so a slow mail server never holds the database's write lock and any number of senders
(threads, processes, machines) send each message once. A crash mid-send only delays the message until its lease
runs out: delivery is at least once across a crash between sending and marking, exactly once otherwise.

A message that cannot be composed, built or handed over for a reason that trying again will not mend is marked
failed with that reason (`trialfinder outbox` lists it) and the run goes on: one bad message never holds up the
others.
"""

from __future__ import annotations

import logging
import secrets
import threading
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


def lease_end(moment: datetime, lease: timedelta) -> str:
    """When a lease taken at `moment` ends, as stored: rounded up to the second, so it is never shorter."""
    end = moment + lease
    return stamp(end + timedelta(seconds=1) if end.microsecond else end)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


# Composes a message queued with a payload instead of a body (an alert): its RFC 5322 bytes, or None when there is
# nothing to send any more (the subscription was deleted meanwhile).
Composer = Callable[[OutboxMessage], bytes | None]


class _Heartbeat:
    """Renews a claimed message's lease, on a connection of its own, for as long as the message is being sent."""

    def __init__(self, database: Database, message: OutboxMessage, token: str, lease: timedelta, clock):
        self._database, self._message, self._token, self._lease, self._clock = database, message, token, lease, clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"outbox-lease-{message.id}", daemon=True)

    def __enter__(self) -> _Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self._lease.total_seconds() / 3):
            try:
                # A unit of work of its own: the sending thread's connection is that thread's alone.
                with self._database.unit_of_work(), self._database.connect() as conn, conn.transaction():
                    held = Outbox(conn).renew(
                        self._message.id, token=self._token, lease_until=lease_end(self._clock(), self._lease)
                    )
            except Exception as error:  # the lease still runs; the next beat tries again
                log.warning("outbox message %s: lease not renewed: %s", self._message.id, type(error).__name__)
                continue
            if not held:
                return


def deliver_due(
    *,
    database: Database,
    sender: EmailSender,
    compose: Composer | None = None,
    now: datetime | None = None,
    limit: int = 200,
    lease: timedelta = LEASE,
) -> DeliveryReport:
    """Send up to `limit` messages that are due. Messages queued with a payload are composed now by `compose`;
    without one they wait for a caller that has it (the scheduled job and the commands do). `now` fixes the
    clock (tests); otherwise each message is claimed at the time it is taken."""
    clock = (lambda: now) if now is not None else (lambda: datetime.now(UTC))
    token = secrets.token_hex(12)
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    with database.connect() as conn:
        outbox = Outbox(conn)

        def mark(outcome: str, message: OutboxMessage, *, counted: bool = True, **change) -> None:
            with conn.transaction():
                marked = getattr(outbox, f"mark_{'retry' if outcome == 'retrying' else outcome}")(
                    message.id, token=token, **change
                )
            if marked:
                counts[outcome] += counted
            else:  # another sender took the message over: what it does with it stands
                log.warning("outbox message %s: claim lost before it was marked %s", message.id, outcome)

        for _ in range(limit):
            moment = clock()
            with conn.transaction():
                message = outbox.claim_next(
                    now=stamp(moment), lease_until=lease_end(moment, lease), token=token, deferred=compose is not None
                )
            if message is None:
                break
            try:
                raw = _raw(message, compose)
            except Exception as error:  # a template, record or encoding problem: for the operator, not retried blind
                mark("failed", message, error=f"could not be composed: {type(error).__name__}")
                continue
            if raw is None:  # nothing left to say (the subscription is gone): done, not failed
                mark("sent", message, counted=False, now=stamp(clock()))
                continue
            try:
                with _Heartbeat(database, message, token, lease, clock):
                    sender.send(raw, recipient=message.recipient, reference=f"m{message.id}")
            except PermanentFailure as error:
                mark("failed", message, error=str(error))
            except TemporaryFailure as error:
                attempts = message.attempts + 1
                if attempts >= MAX_ATTEMPTS:
                    mark("failed", message, error=f"gave up after {attempts} attempts: {error}")
                else:
                    mark("retrying", message, next_attempt_at=stamp(clock() + backoff(attempts)), error=str(error))
            except Exception as error:  # a sender's own bug or an unforeseen input: never stop the run for it
                log.error("outbox message %s could not be sent: %s", message.id, type(error).__name__)
                mark("failed", message, error=f"could not be sent: {type(error).__name__}")
            else:
                mark("sent", message, now=stamp(clock()))
    report = DeliveryReport(counts["sent"], counts["retrying"], counts["failed"])
    if report.sent or report.retrying or report.failed:
        # Counts only: never a recipient or a subject.
        log.info(
            "outbox delivered sent=%d retrying=%d failed=%d via=%s",
            report.sent,
            report.retrying,
            report.failed,
            sender.description,
        )
    return report


def deliver_quietly(
    *,
    database: Database,
    sender: EmailSender,
    after: str,
    compose: Composer | None = None,
    now: datetime | None = None,
) -> DeliveryReport | None:
    """`deliver_due` as the last step of a request, after its answer (`after` says which, for the log): it never
    raises, since the scheduled job tries again; None when it failed (logged by the error's type only)."""
    try:
        return deliver_due(database=database, sender=sender, compose=compose, now=now)
    except Exception as error:
        log.error("outbox delivery after %s failed: %s", after, type(error).__name__)
        return None


def _raw(message: OutboxMessage, compose: Composer | None) -> bytes | None:
    if message.body is not None:
        return message.body.encode("utf-8")
    return compose(message) if compose is not None else None


def requeue_failed(*, database: Database, ids: tuple[int, ...] = (), now: datetime | None = None) -> int:
    with database.connect() as conn, conn.transaction():
        count = Outbox(conn).requeue_failed(now=stamp(now or datetime.now(UTC)), ids=ids)
    log.info("outbox requeued=%d", count)
    return count
