"""Referrals in the database. The personal columns (names, email, phone, language, place, message) are read only
to compose the two emails and are cleared when the person withdraws or the retention period ends."""

from __future__ import annotations

from dataclasses import dataclass

from trialfinder.storage.database import Connection
from trialfinder.storage.sql import placeholders

PERSONAL_COLUMNS = ("first_name", "last_name", "email", "phone", "contact_language", "residence", "message")
_COLUMNS = (
    "id, public_id, submission, nct_id, route, site_key, site_label, team_email, team_language, person_language, "
    + ", ".join(PERSONAL_COLUMNS)
    + ", created_at, queued_at, contacted_at, withdrawn_at"
)


@dataclass(frozen=True, slots=True)
class StoredReferral:
    id: int
    public_id: str
    submission: str
    nct_id: str
    route: str
    site_key: str | None
    site_label: str
    team_email: str
    team_language: str
    person_language: str
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    contact_language: str | None
    residence: str | None
    message: str | None
    created_at: str
    queued_at: str | None
    contacted_at: str | None
    withdrawn_at: str | None

    @property
    def state(self) -> str:
        if self.withdrawn_at:
            return "withdrawn"
        if self.contacted_at:
            return "contacted"
        return "waiting"


@dataclass(frozen=True, slots=True)
class NewReferral:
    public_id: str
    submission: str
    nct_id: str
    route: str
    site_key: str | None
    site_label: str
    team_email: str
    team_language: str
    person_language: str
    first_name: str
    last_name: str
    email: str
    phone: str
    contact_language: str
    residence: str
    message: str
    created_at: str
    # A keyed hash of who asks about what, from where (web/contact.py): the same request sent again within a short
    # window finds this one. None: never compared.
    duplicate_key: str | None = None


class ReferralStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, referral: NewReferral, *, repeat_since: str | None = None) -> tuple[StoredReferral, bool]:
        """Store a referral; when its form was submitted before, the one already stored (and False). With
        `repeat_since`, also when a referral with the same `duplicate_key` was made since then and not withdrawn: the
        same request sent again from a form shown afresh. Call it inside a transaction: the check and the insert are
        one step (SQLite's write lock; on PostgreSQL a lock on the key), so two sends at once store one referral."""
        if referral.duplicate_key and repeat_since:
            if self.conn.dialect == "postgresql":
                self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", (referral.duplicate_key,))
            earlier = self.by_submission(referral.submission) or self.recent_repeat(
                referral.duplicate_key, since=repeat_since
            )
            if earlier is not None:
                return earlier, False
        values = (
            referral.public_id,
            referral.submission,
            referral.nct_id,
            referral.route,
            referral.site_key,
            referral.site_label,
            referral.team_email,
            referral.team_language,
            referral.person_language,
            referral.first_name,
            referral.last_name,
            referral.email,
            referral.phone,
            referral.contact_language,
            referral.residence,
            referral.message,
            referral.created_at,
            referral.duplicate_key,
        )
        cursor = self.conn.execute(
            "INSERT INTO referrals (public_id, submission, nct_id, route, site_key, site_label, team_email,"
            " team_language, person_language, first_name, last_name, email, phone, contact_language, residence,"
            f" message, created_at, duplicate_key) VALUES ({placeholders(18)})"
            " ON CONFLICT (submission) DO NOTHING",
            values,
        )
        created = cursor.rowcount == 1
        stored = self._one("submission = $1", (referral.submission,))
        assert stored is not None
        return stored, created

    def _one(self, where: str, params: tuple) -> StoredReferral | None:
        row = self.conn.fetchone(f"SELECT {_COLUMNS} FROM referrals WHERE {where}", params)
        return StoredReferral(*row) if row else None

    def get(self, public_id: str) -> StoredReferral | None:
        return self._one("public_id = $1", (public_id,))

    def by_id(self, referral_id: int) -> StoredReferral | None:
        return self._one("id = $1", (referral_id,))

    def by_submission(self, submission: str) -> StoredReferral | None:
        return self._one("submission = $1", (submission,))

    def recent_repeat(self, duplicate_key: str, *, since: str) -> StoredReferral | None:
        """The latest referral with this `duplicate_key` made at `since` or later and not withdrawn, or None."""
        row = self.conn.fetchone(
            f"SELECT {_COLUMNS} FROM referrals WHERE duplicate_key = $1 AND created_at >= $2 AND withdrawn_at IS NULL"
            " ORDER BY created_at DESC, id DESC LIMIT 1",
            (duplicate_key, since),
        )
        return StoredReferral(*row) if row else None

    def count_for_email(self, email: str, *, since: str) -> int:
        return int(
            self.conn.scalar(
                "SELECT COUNT(*) FROM referrals WHERE created_at >= $1 AND LOWER(email) = $2", (since, email.lower())
            )
            or 0
        )

    def mark_queued(self, referral_id: int, now: str) -> None:
        self.conn.execute("UPDATE referrals SET queued_at = $1 WHERE id = $2 AND queued_at IS NULL", (now, referral_id))

    def unqueued(self, *, created_before: str, limit: int = 100) -> list[StoredReferral]:
        """Referrals stored but whose emails were never queued (the process stopped in between)."""
        rows = self.conn.fetchall(
            f"SELECT {_COLUMNS} FROM referrals WHERE queued_at IS NULL AND withdrawn_at IS NULL AND created_at < $1"
            " ORDER BY id LIMIT $2",
            (created_before, limit),
        )
        return [StoredReferral(*row) for row in rows]

    def mark_contacted(self, referral_id: int, now: str) -> None:
        self.conn.execute(
            "UPDATE referrals SET contacted_at = $1 WHERE id = $2 AND contacted_at IS NULL", (now, referral_id)
        )

    def withdraw(self, referral_id: int, now: str) -> None:
        """Forget the person: clear their details here and in every message not yet sent (which is then dropped)."""
        cleared = ", ".join(f"{column} = NULL" for column in (*PERSONAL_COLUMNS, "duplicate_key"))
        self.conn.execute(
            f"UPDATE referrals SET {cleared}, withdrawn_at = COALESCE(withdrawn_at, $1) WHERE id = $2",
            (now, referral_id),
        )
        self.conn.execute("DELETE FROM outbox WHERE referral_id = $1 AND state <> 'sent'", (referral_id,))
        self.conn.execute("UPDATE outbox SET body = NULL, recipient = '' WHERE referral_id = $1", (referral_id,))

    def purge(self, *, created_before: str) -> int:
        """Delete referrals older than the retention period, with their messages (ON DELETE CASCADE)."""
        self.conn.execute(
            "DELETE FROM outbox WHERE referral_id IN (SELECT id FROM referrals WHERE created_at < $1)",
            (created_before,),
        )
        return self.conn.execute("DELETE FROM referrals WHERE created_at < $1", (created_before,)).rowcount

    def listing(self, *, state: str | None = None, limit: int = 200) -> list[StoredReferral]:
        where = {
            None: "1 = 1",
            "waiting": "contacted_at IS NULL AND withdrawn_at IS NULL",
            "contacted": "contacted_at IS NOT NULL AND withdrawn_at IS NULL",
            "withdrawn": "withdrawn_at IS NOT NULL",
        }[state]
        rows = self.conn.fetchall(f"SELECT {_COLUMNS} FROM referrals WHERE {where} ORDER BY id DESC LIMIT $1", (limit,))
        return [StoredReferral(*row) for row in rows]
