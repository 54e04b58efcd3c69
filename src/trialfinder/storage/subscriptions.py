"""The `subscriptions` and `subscription_matches` tables. What a person typed lives here: never log a value.

A subscription's unsent alert emails are outbox rows whose dedupe key starts with `subscription:<id>:`; deleting the
subscription deletes them too (and its matches, by foreign key), so nothing of the person is left behind.

A saved search is stored as its query string (`Search.query_string`, in `search`) and, when it has a place, the point
and radius it was found at (`lat`, `lon`, `radius_km`): the alert run measures from that point without the gazetteer.
"""

from __future__ import annotations

from dataclasses import dataclass

from trialfinder.domain.search import Search
from trialfinder.domain.values import GeoPoint
from trialfinder.storage.database import Connection
from trialfinder.storage.sql import Sql, param, param_list


@dataclass(frozen=True, slots=True)
class NewSubscription:
    public_id: str
    email: str
    email_key: str
    language: str
    search: Search
    frequency: str
    created_at: str


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    id: int
    public_id: str
    email: str
    email_key: str
    language: str
    search: str
    lat: float | None
    lon: float | None
    radius_km: float | None
    frequency: str
    state: str
    created_at: str
    confirmed_at: str | None
    last_sent_at: str | None
    from_change: int

    def saved_search(self) -> Search:
        """The saved search, read back (rows written before the query string was canonical read the same), with
        its typed place at the point found when it was saved. Raises InvalidSearch for a row no rule reads."""
        search = Search.from_query_string(self.search)
        if search.location and self.lat is not None and self.lon is not None:
            search = search.located(GeoPoint(self.lat, self.lon))
        return search


@dataclass(frozen=True, slots=True)
class WaitingMatch:
    nct_id: str
    distance_km: float | None
    brief_title: str
    overall_status: str


_COLUMNS = (
    "id, public_id, email, email_key, language, search, lat, lon, radius_km, frequency, state, created_at,"
    " confirmed_at, last_sent_at, from_change"
)


def _search_columns(search: Search) -> tuple[str, float | None, float | None, float | None]:
    """search, lat, lon, radius_km"""
    point = search.point
    if point is None:
        return search.query_string(), None, None, None
    return search.query_string(), point.lat, point.lon, search.radius_km


def outbox_key_prefix(subscription_id: int) -> str:
    return f"subscription:{subscription_id}:"


class SubscriptionStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def add(self, item: NewSubscription) -> StoredSubscription:
        self.conn.execute(
            "INSERT INTO subscriptions (public_id, email, email_key, language, search, lat, lon, radius_km, frequency,"
            " state, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10)",
            (
                item.public_id,
                item.email,
                item.email_key,
                item.language,
                *_search_columns(item.search),
                item.frequency,
                item.created_at,
            ),
        )
        stored = self.get(item.public_id)
        assert stored is not None
        return stored

    def get(self, public_id: str) -> StoredSubscription | None:
        row = self.conn.fetchone(f"SELECT {_COLUMNS} FROM subscriptions WHERE public_id = $1", (public_id,))
        return StoredSubscription(*row) if row else None

    def by_id(self, subscription_id: int) -> StoredSubscription | None:
        row = self.conn.fetchone(f"SELECT {_COLUMNS} FROM subscriptions WHERE id = $1", (subscription_id,))
        return StoredSubscription(*row) if row else None

    def for_email(self, email_key: str) -> list[StoredSubscription]:
        rows = self.conn.fetchall(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE email_key = $1 ORDER BY id", (email_key,)
        )
        return [StoredSubscription(*row) for row in rows]

    def confirmed(self) -> list[StoredSubscription]:
        rows = self.conn.fetchall(f"SELECT {_COLUMNS} FROM subscriptions WHERE state = 'confirmed' ORDER BY id")
        return [StoredSubscription(*row) for row in rows]

    def confirm(self, subscription_id: int, *, now: str, from_change: int) -> None:
        self.conn.execute(
            "UPDATE subscriptions SET state = 'confirmed', confirmed_at = $1, from_change = $2 WHERE id = $3"
            " AND state = 'pending'",
            (now, from_change, subscription_id),
        )

    def change(self, subscription_id: int, *, search: Search, frequency: str, language: str) -> None:
        self.conn.execute(
            "UPDATE subscriptions SET search = $1, lat = $2, lon = $3, radius_km = $4, frequency = $5, language = $6"
            " WHERE id = $7",
            (*_search_columns(search), frequency, language, subscription_id),
        )

    def delete(self, subscription_id: int) -> None:
        """The subscription, its matches and every email of it still in the outbox (sent ones keep no body, but
        still name the address: they go too)."""
        self.conn.execute("DELETE FROM outbox WHERE dedupe_key LIKE $1", (outbox_key_prefix(subscription_id) + "%",))
        self.conn.execute("DELETE FROM subscription_matches WHERE subscription_id = $1", (subscription_id,))
        self.conn.execute("DELETE FROM subscriptions WHERE id = $1", (subscription_id,))

    def purge_unconfirmed(self, *, created_before: str) -> int:
        ids = [
            row[0]
            for row in self.conn.fetchall(
                "SELECT id FROM subscriptions WHERE state = 'pending' AND created_at < $1", (created_before,)
            )
        ]
        for subscription_id in ids:
            self.delete(subscription_id)
        return len(ids)

    # --- matches --------------------------------------------------------------------------------------------------

    def add_matches(self, rows: list[tuple[int, str, float | None]], *, now: str) -> int:
        """Record (subscription id, NCT id, distance) pairs; a pair recorded before is left alone (never twice)."""
        added = 0
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            when = param(now)
            cursor = self.conn.execute(
                "INSERT INTO subscription_matches (subscription_id, nct_id, distance_km, matched_at) VALUES "
                + Sql(", ").join("(" + param_list(row) + ", " + when + ")" for row in chunk)
                + " ON CONFLICT (subscription_id, nct_id) DO NOTHING"
            )
            added += max(cursor.rowcount, 0)
        return added

    def with_waiting_matches(self) -> list[int]:
        rows = self.conn.fetchall(
            "SELECT DISTINCT m.subscription_id FROM subscription_matches m WHERE m.sent_at IS NULL ORDER BY 1"
        )
        return [int(row[0]) for row in rows]

    def waiting(self, subscription_ids: list[int]) -> dict[int, list[WaitingMatch]]:
        found: dict[int, list[WaitingMatch]] = {}
        for start in range(0, len(subscription_ids), 500):
            chunk = subscription_ids[start : start + 500]
            rows = self.conn.fetchall(
                "SELECT m.subscription_id, m.nct_id, m.distance_km, t.brief_title, t.overall_status"
                " FROM subscription_matches m JOIN trials t ON t.nct_id = m.nct_id"
                " WHERE m.sent_at IS NULL AND m.subscription_id IN (" + param_list(chunk) + ")"
                " ORDER BY m.subscription_id, m.distance_km, m.nct_id"
            )
            for subscription_id, nct, distance, title, status in rows:
                found.setdefault(int(subscription_id), []).append(WaitingMatch(nct, distance, title, status))
        return found

    def matches_for(self, subscription_id: int, trials: list[tuple[str, float | None]]) -> list[WaitingMatch]:
        """An alert's trials as they stand now (title, status), in the alert's order; trials no longer in the
        catalogue are left out."""
        if not trials:
            return []
        names = [nct for nct, _ in trials]
        rows = self.conn.fetchall(
            "SELECT nct_id, brief_title, overall_status FROM trials WHERE nct_id IN (" + param_list(names) + ")"
        )
        known = {nct: (title, status) for nct, title, status in rows}
        return [WaitingMatch(nct, distance, *known[nct]) for nct, distance in trials if nct in known]

    def mark_sent(self, subscription_id: int, nct_ids: list[str], *, now: str) -> None:
        self.conn.execute(
            "UPDATE subscription_matches SET sent_at = " + param(now)
            + " WHERE subscription_id = " + param(subscription_id) + " AND nct_id IN (" + param_list(nct_ids) + ")"
        )
        self.conn.execute("UPDATE subscriptions SET last_sent_at = $1 WHERE id = $2", (now, subscription_id))

    def counts(self) -> dict[str, int]:
        rows = self.conn.fetchall("SELECT state, COUNT(*) FROM subscriptions GROUP BY state")
        return {state: int(count) for state, count in rows}
