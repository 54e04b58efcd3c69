"""The email outbox: every message is stored before anyone tries to send it, and leaves only as sent.

States: `pending` (waiting for its `next_attempt_at`), `sent` (body cleared: the outbox keeps no copy of what a
person wrote once it is delivered), `failed` (refused for good, or given up after many tries; visible to the
operator, who can queue it again). A message being sent is `pending`, claimed: a random `claim` token and a
`lease_until` in the future, taken in one atomic statement (`FOR UPDATE SKIP LOCKED` on PostgreSQL; SQLite has one
writer at a time), renewed while the message is being sent, and required by whoever marks it afterwards. So any
number of senders never send the same message at once, and a crashed sender's lease simply runs out.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialfinder.storage.database import Connection
from trialfinder.storage.sql import param, param_list


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    id: int
    kind: str
    recipient: str
    body: str | None
    state: str
    attempts: int
    next_attempt_at: str
    last_error: str | None
    created_at: str
    sent_at: str | None
    referral_id: int | None
    payload: str | None = None  # what a message composed at delivery is about (JSON); its body is then None

    @property
    def deferred(self) -> bool:
        return self.body is None and self.payload is not None


_COLUMNS = (
    "id, kind, recipient, body, state, attempts, next_attempt_at, last_error, created_at, sent_at, referral_id, payload"
)


class Outbox:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(
        self,
        *,
        dedupe_key: str,
        kind: str,
        recipient: str,
        body: str | None,
        now: str,
        referral_id: int | None = None,
        payload: str | None = None,
        failure: str | None = None,
    ) -> bool:
        """Queue a message (its body, or a payload to compose it from when it is sent); False when one with this
        key was queued before (nothing is sent twice). With `failure`, the message could not even be built: it is
        kept as failed, with that reason, for the operator to see (and never tried blindly)."""
        if body is None and payload is None and failure is None:
            raise ValueError("a message needs a body or a payload")
        cursor = self.conn.execute(
            "INSERT INTO outbox (dedupe_key, referral_id, kind, recipient, body, payload, state, next_attempt_at,"
            " created_at, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            " ON CONFLICT (dedupe_key) DO NOTHING",
            (
                dedupe_key,
                referral_id,
                kind,
                recipient,
                body,
                payload,
                "pending" if failure is None else "failed",
                now,
                now,
                None if failure is None else failure[:500],
            ),
        )
        return cursor.rowcount == 1

    def claim_next(self, *, now: str, lease_until: str, token: str, deferred: bool = True) -> OutboxMessage | None:
        """Take the next due message for sending, in one atomic statement; None when nothing is due (or all that
        is, is another sender's). With `deferred=False`, only messages with a body (a sender that cannot compose)."""
        lock = " FOR UPDATE SKIP LOCKED" if self.conn.dialect == "postgresql" else ""
        due = (
            "state = 'pending' AND next_attempt_at <= $3 AND (lease_until IS NULL OR lease_until <= $3)"
            + ("" if deferred else " AND body IS NOT NULL")
        )
        row = self.conn.fetchone(
            f"UPDATE outbox SET lease_until = $1, claim = $2 WHERE {due} AND id = ("
            f"SELECT id FROM outbox WHERE {due} ORDER BY next_attempt_at, id LIMIT 1{lock}"
            f") RETURNING {_COLUMNS}",
            (lease_until, token, now),
        )
        return OutboxMessage(*row) if row else None

    def renew(self, message_id: int, *, token: str, lease_until: str) -> bool:
        """Extend a claim that is still this sender's; False when it is not (any more)."""
        cursor = self.conn.execute(
            "UPDATE outbox SET lease_until = $1 WHERE id = $2 AND claim = $3 AND state = 'pending'",
            (lease_until, message_id, token),
        )
        return cursor.rowcount == 1

    def get(self, message_id: int) -> OutboxMessage | None:
        row = self.conn.fetchone(f"SELECT {_COLUMNS} FROM outbox WHERE id = $1", (message_id,))
        return OutboxMessage(*row) if row else None

    # Marking a claimed message needs its claim: a sender whose lease was taken over changes nothing (False).

    def mark_sent(self, message_id: int, *, token: str, now: str) -> bool:
        cursor = self.conn.execute(
            "UPDATE outbox SET state = 'sent', body = NULL, payload = NULL, sent_at = $1, lease_until = NULL,"
            " claim = NULL, attempts = attempts + 1, last_error = NULL WHERE id = $2 AND claim = $3",
            (now, message_id, token),
        )
        return cursor.rowcount == 1

    def mark_retry(self, message_id: int, *, token: str, next_attempt_at: str, error: str) -> bool:
        cursor = self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $1, lease_until = NULL, claim = NULL,"
            " last_error = $2 WHERE id = $3 AND claim = $4",
            (next_attempt_at, error[:500], message_id, token),
        )
        return cursor.rowcount == 1

    def mark_failed(self, message_id: int, *, token: str, error: str) -> bool:
        cursor = self.conn.execute(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, lease_until = NULL, claim = NULL,"
            " last_error = $1 WHERE id = $2 AND claim = $3",
            (error[:500], message_id, token),
        )
        return cursor.rowcount == 1

    def requeue_failed(self, *, now: str, ids: tuple[int, ...] = ()) -> int:
        """Queue failed messages again (all, or those with the given ids), to be sent at once."""
        sql = (
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = " + param(now)
            + ", lease_until = NULL, claim = NULL WHERE state = 'failed' AND (body IS NOT NULL OR payload IS NOT NULL)"
        )
        if ids:
            sql += " AND id IN (" + param_list(ids) + ")"
        return self.conn.execute(sql).rowcount

    def listing(self, *, states: tuple[str, ...], limit: int = 200) -> list[OutboxMessage]:
        rows = self.conn.fetchall(
            f"SELECT {_COLUMNS} FROM outbox WHERE state IN (" + param_list(states) + ")"
            " ORDER BY id LIMIT " + param(limit)
        )
        return [OutboxMessage(*row) for row in rows]

    def was_sent(self, *, referral_id: int, kind: str) -> bool:
        return bool(
            self.conn.scalar(
                "SELECT 1 FROM outbox WHERE referral_id = $1 AND kind = $2 AND state = 'sent'", (referral_id, kind)
            )
        )

    def referral_message_ids(self, *, referral_id: int | None = None, created_before: str | None = None) -> list[int]:
        """The messages of one referral, or of the referrals created before a moment (what a purge deletes)."""
        if referral_id is not None:
            rows = self.conn.fetchall("SELECT id FROM outbox WHERE referral_id = $1", (referral_id,))
        else:
            rows = self.conn.fetchall(
                "SELECT id FROM outbox WHERE referral_id IN (SELECT id FROM referrals WHERE created_at < $1)",
                (created_before,),
            )
        return [row[0] for row in rows]

    def counts(self) -> dict[str, int]:
        rows = self.conn.fetchall("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {state: int(count) for state, count in rows}
