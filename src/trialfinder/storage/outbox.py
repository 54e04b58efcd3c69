"""The email outbox: every message is stored before anyone tries to send it, and leaves only as sent.

States: `pending` (waiting for its `next_attempt_at`), `sent` (body cleared: the outbox keeps no copy of what a
person wrote once it is delivered), `failed` (refused for good, or given up after many tries; visible to the
operator, who can queue it again). A message being sent is `pending` with a `lease_until` in the future, so two
workers never send the same message at once and a crashed worker's lease simply runs out.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialfinder.storage.database import Connection


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
    ) -> bool:
        """Queue a message (its body, or a payload to compose it from when it is sent); False when one with this
        key was queued before (nothing is sent twice)."""
        if body is None and payload is None:
            raise ValueError("a message needs a body or a payload")
        cursor = self.conn.execute(
            "INSERT INTO outbox (dedupe_key, referral_id, kind, recipient, body, payload, state, next_attempt_at,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?) ON CONFLICT (dedupe_key) DO NOTHING",
            (dedupe_key, referral_id, kind, recipient, body, payload, now, now),
        )
        return cursor.rowcount == 1

    def due_ids(self, *, now: str, limit: int, deferred: bool = True) -> list[int]:
        """Messages due now; with `deferred=False`, only those with a body (a sender that cannot compose)."""
        rows = self.conn.fetchall(
            "SELECT id FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?"
            " AND (lease_until IS NULL OR lease_until <= ?)"
            + ("" if deferred else " AND body IS NOT NULL")
            + " ORDER BY next_attempt_at, id LIMIT ?",
            (now, now, limit),
        )
        return [row[0] for row in rows]

    def claim(self, message_id: int, *, now: str, lease_until: str) -> OutboxMessage | None:
        """Take a due message for sending; None when another worker has it or it is no longer due."""
        cursor = self.conn.execute(
            "UPDATE outbox SET lease_until = ? WHERE id = ? AND state = 'pending' AND next_attempt_at <= ?"
            " AND (lease_until IS NULL OR lease_until <= ?)",
            (lease_until, message_id, now, now),
        )
        return self.get(message_id) if cursor.rowcount == 1 else None

    def get(self, message_id: int) -> OutboxMessage | None:
        row = self.conn.fetchone(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (message_id,))
        return OutboxMessage(*row) if row else None

    def mark_sent(self, message_id: int, *, now: str) -> None:
        self.conn.execute(
            "UPDATE outbox SET state = 'sent', body = NULL, payload = NULL, sent_at = ?, lease_until = NULL,"
            " attempts = attempts + 1,"
            " last_error = NULL WHERE id = ?",
            (now, message_id),
        )

    def mark_retry(self, message_id: int, *, next_attempt_at: str, error: str) -> None:
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, lease_until = NULL, last_error = ?"
            " WHERE id = ?",
            (next_attempt_at, error[:500], message_id),
        )

    def mark_failed(self, message_id: int, *, error: str) -> None:
        self.conn.execute(
            "UPDATE outbox SET state = 'failed', attempts = attempts + 1, lease_until = NULL, last_error = ?"
            " WHERE id = ?",
            (error[:500], message_id),
        )

    def requeue_failed(self, *, now: str, ids: tuple[int, ...] = ()) -> int:
        """Queue failed messages again (all, or those with the given ids), to be sent at once."""
        sql = (
            "UPDATE outbox SET state = 'pending', attempts = 0, next_attempt_at = ?, lease_until = NULL"
            " WHERE state = 'failed' AND (body IS NOT NULL OR payload IS NOT NULL)"
        )
        params: list = [now]
        if ids:
            sql += f" AND id IN ({', '.join('?' for _ in ids)})"
            params.extend(ids)
        return self.conn.execute(sql, params).rowcount

    def listing(self, *, states: tuple[str, ...], limit: int = 200) -> list[OutboxMessage]:
        marks = ", ".join("?" for _ in states)
        rows = self.conn.fetchall(
            f"SELECT {_COLUMNS} FROM outbox WHERE state IN ({marks}) ORDER BY id LIMIT ?", (*states, limit)
        )
        return [OutboxMessage(*row) for row in rows]

    def was_sent(self, *, referral_id: int, kind: str) -> bool:
        return bool(
            self.conn.scalar(
                "SELECT 1 FROM outbox WHERE referral_id = ? AND kind = ? AND state = 'sent'", (referral_id, kind)
            )
        )

    def counts(self) -> dict[str, int]:
        rows = self.conn.fetchall("SELECT state, COUNT(*) FROM outbox GROUP BY state")
        return {state: int(count) for state, count in rows}
