"""Catalogue changes: what imports and syncs changed that may be news to a subscriber, and the candidates they make.

The writer records a change in the trial's own transaction (`record`), so a change exists exactly when the trial it
describes was written. The alert run reads changes after its cursor (`batch`), builds each changed trial as it now
stands (`candidates`) and asks which saved words match which of them (`text_matches`), with the engine's own
full-text rules, so that an alert agrees with the search page: SQLite runs each distinct reading of saved words as
an FTS5 query over a temporary index of only the changed trials (same tokenizer and columns as `trial_search`);
PostgreSQL runs the search's own tsquery over the changed trials' stored vectors.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from trialfinder.domain.subscriptions import OPENING_STATUSES, Candidate, ChangeKind, OpenSite
from trialfinder.storage.database import Connection
from trialfinder.storage.search import TEXT_COLUMNS, VECTOR_COLUMNS, TextFilter, pg_tsquery, text_match
from trialfinder.storage.sql import Sql, param, param_list

CURSOR_KEY = "notify.cursor"
_CHUNK = 500
# PostgreSQL keeps `REAL` columns in single precision, which its arithmetic widens to double: read as text they
# would come back as the shortest decimal (52.37403), not the value the search measures with (52.374031066...), and
# a site at the edge of a radius could be in on the page and out in an alert. Read them as the search uses them.
_DOUBLE = "CAST({} AS DOUBLE PRECISION)"


@dataclass(frozen=True, slots=True)
class Change:
    id: int
    nct_id: str
    kind: ChangeKind
    status: str | None
    lat: float | None
    lon: float | None


def site_identity(site: tuple) -> tuple:
    """A site (a `sites` row less trial_id: position, facility, city, state, postal code, country, ...) by what it
    is, not by its position in the record, which moves when a site is added above it."""
    return ((site[1] or "").casefold(), (site[2] or "").casefold(), (site[5] or "").casefold())


class ChangeLog:
    def __init__(self, conn: Connection):
        self.conn = conn

    def previous_openings(self, nct_ids: Sequence[str]) -> dict[str, tuple[str, set[tuple]]]:
        """For trials about to be replaced: their stored status and the identities of their open sites."""
        found: dict[str, tuple[str, set[tuple]]] = {}
        for start in range(0, len(nct_ids), _CHUNK):
            chunk = param_list(nct_ids[start : start + _CHUNK])
            for nct, status in self.conn.fetchall(
                "SELECT nct_id, overall_status FROM trials WHERE nct_id IN (" + chunk + ")"
            ):
                found[nct] = (status, set())
            rows = self.conn.fetchall(
                "SELECT t.nct_id, s.facility, s.city, s.country FROM sites s JOIN trials t ON t.id = s.trial_id"
                " WHERE t.nct_id IN (" + chunk + ") AND s.open_status IN (" + param_list(sorted(OPENING_STATUSES)) + ")"
            )
            for nct, facility, city, country in rows:
                found[nct][1].add(((facility or "").casefold(), (city or "").casefold(), (country or "").casefold()))
        return found

    def record(self, rows: Iterable[tuple[str, str, str | None, float | None, float | None]], now: str) -> None:
        """(nct_id, kind, status, lat, lon) rows, in the caller's transaction."""
        self.conn.executemany(
            "INSERT INTO catalogue_changes (nct_id, kind, status, lat, lon, changed_at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            ((*row, now) for row in rows),
        )

    def latest_id(self) -> int:
        return int(self.conn.scalar("SELECT COALESCE(MAX(id), 0) FROM catalogue_changes") or 0)

    def batch(self, *, after: int, limit: int) -> list[Change]:
        """Changes after `after`, oldest first, ending at a trial boundary of at most about `limit` trials."""
        rows = self.conn.fetchall(
            "SELECT id, nct_id, kind, status, lat, lon FROM catalogue_changes WHERE id > $1 ORDER BY id LIMIT $2",
            (after, limit * 4),
        )
        changes: list[Change] = []
        trials: set[str] = set()
        for row in rows:
            if row[1] not in trials and len(trials) >= limit:
                break
            trials.add(row[1])
            changes.append(Change(int(row[0]), row[1], ChangeKind(row[2]), row[3], row[4], row[5]))
        return changes

    def delete_through(self, last_id: int) -> int:
        return self.conn.execute("DELETE FROM catalogue_changes WHERE id <= $1", (last_id,)).rowcount


def candidates(conn: Connection, changes: Sequence[Change]) -> tuple[list[Candidate], dict[str, int]]:
    """The changed trials as they now stand, and their `trials.id` by NCT id (for text matching)."""
    by_trial: dict[str, list[Change]] = {}
    for change in changes:
        by_trial.setdefault(change.nct_id, []).append(change)
    ids: dict[str, int] = {}
    facts: dict[str, tuple] = {}
    sites: dict[int, list[OpenSite]] = {}
    nct_ids = list(by_trial)
    for start in range(0, len(nct_ids), _CHUNK):
        chunk = nct_ids[start : start + _CHUNK]
        rows = conn.fetchall(
            "SELECT id, nct_id, overall_status, phases, study_type, sex,"
            f" {_DOUBLE.format('min_age_days')}, {_DOUBLE.format('max_age_days')}, healthy_volunteers"
            " FROM trials WHERE nct_id IN (" + param_list(chunk) + ")"
        )
        for row in rows:
            ids[row[1]] = int(row[0])
            facts[row[1]] = row
        trial_ids = [int(row[0]) for row in rows]
        if trial_ids:
            for trial_id, lat, lon, status in conn.fetchall(
                f"SELECT trial_id, {_DOUBLE.format('lat')}, {_DOUBLE.format('lon')}, open_status FROM sites"
                " WHERE lat IS NOT NULL AND lon IS NOT NULL"
                " AND trial_id IN (" + param_list(trial_ids) + ")"
            ):
                sites.setdefault(int(trial_id), []).append(OpenSite(float(lat), float(lon), status))
    found = []
    for nct, items in by_trial.items():
        row = facts.get(nct)
        if row is None:  # pragma: no cover - trials are never deleted; a change outlives nothing
            continue
        trial_changes = [item.id for item in items if item.kind is not ChangeKind.SITE]
        found.append(
            Candidate(
                nct_id=nct,
                status=row[2],
                phases=frozenset(code for code in row[3].strip("|").split("|") if code),
                study_type=row[4],
                sex=row[5],
                min_age_days=row[6],
                max_age_days=row[7],
                healthy_volunteers=None if row[8] is None else bool(row[8]),
                sites=tuple(sites.get(int(row[0]), ())),
                kinds=frozenset(item.kind for item in items),
                new_sites=tuple(
                    OpenSite(item.lat, item.lon, item.status or row[2])
                    for item in items
                    if item.kind is ChangeKind.SITE and item.lat is not None and item.lon is not None
                ),
                last_change=max(item.id for item in items),
                first_trial_change=max(trial_changes, default=0),
            )
        )
    return found, ids


def text_matches(
    conn: Connection, trial_ids: dict[str, int], queries: Iterable[TextFilter]
) -> dict[TextFilter, frozenset[str]]:
    """For each distinct set of words, the NCT ids among `trial_ids` it matches, as the search would."""
    queries = [query for query in dict.fromkeys(queries) if query]
    if not queries or not trial_ids:
        return {query: frozenset() for query in queries}
    if conn.dialect == "sqlite":
        return _sqlite_text_matches(conn, trial_ids, queries)
    return _postgres_text_matches(conn, trial_ids, queries)


_MATCHED_COLUMNS = (*TEXT_COLUMNS, "concepts", "focus", "identifiers")


def _sqlite_text_matches(conn, trial_ids, queries) -> dict[TextFilter, frozenset[str]]:
    by_id = {trial_id: nct for nct, trial_id in trial_ids.items()}
    columns = ", ".join(_MATCHED_COLUMNS)
    conn.execute("DROP TABLE IF EXISTS temp.alert_candidates")
    conn.execute(
        f"CREATE VIRTUAL TABLE temp.alert_candidates USING fts5({columns},"
        " tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    try:
        ids = list(by_id)
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            conn.execute(
                f"INSERT INTO temp.alert_candidates (rowid, {columns})"
                f" SELECT rowid, {columns} FROM trial_search WHERE rowid IN (" + param_list(chunk) + ")"
            )
        found = {}
        for query in queries:
            rows = conn.fetchall(
                "SELECT rowid FROM temp.alert_candidates WHERE alert_candidates MATCH $1", (text_match(query),)
            )
            found[query] = frozenset(by_id[row[0]] for row in rows if row[0] in by_id)
        return found
    finally:
        conn.execute("DROP TABLE IF EXISTS temp.alert_candidates")


def _postgres_text_matches(conn, trial_ids, queries) -> dict[TextFilter, frozenset[str]]:
    # The search's own tsquery (storage.search.pg_tsquery) over the candidates' vectors: one statement per distinct
    # saved reading, so that an alert can never read words otherwise than the page does.
    ids = list(trial_ids.values())
    found: dict[TextFilter, frozenset[str]] = {}
    for query in queries:
        conditions = []
        for vector, reading, identifiers in zip(VECTOR_COLUMNS, query.fields(), (True, False, False), strict=True):
            if reading is None:
                continue
            tsquery = pg_tsquery(reading, identifiers=identifiers)
            conditions.append(vector + " @@ (" + tsquery + ")" if tsquery is not None else Sql("FALSE"))
        # One statement for all the candidates: their ids travel as one array parameter.
        rows = conn.fetchall(
            "SELECT t.nct_id FROM trials t WHERE t.id = ANY(" + param(ids) + ") AND " + Sql(" AND ").join(conditions)
        )
        found[query] = frozenset(row[0] for row in rows)
    return found
