"""The SQL of trial search, for both engines: full-text match and rank, filters, and open sites near a point."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import msgspec

from trialfinder.storage.database import Connection

# Relevance weights by field, for FTS5's bm25 (title, conditions, keywords, interventions, summary,
# eligibility, facets): a word in the title or the conditions says far more than one in the criteria.
# The same weights are the index's configured `rank` (migration 1).
_BM25 = "bm25(trial_search, 10.0, 10.0, 5.0, 5.0, 2.0, 0.5, 0.0)"
KM_PER_DEGREE_LAT = 111.32
# Above this many sites in a search's bounding box, start from the trials instead (see nearest_sites).
BOX_PLAN_LIMIT = 50_000
SITES_PER_TRIAL = 10  # a rough mean, to compare the two plans' costs


def _token(kind: str, value: str) -> str:
    # Letters and digits only: the tokenizer splits on anything else.
    return "tf" + kind + "".join(ch for ch in value.lower() if ch.isalnum())


def facet_tokens(
    *, status: str, phases: tuple[str, ...], study_type: str | None, sex: str, healthy_volunteers: bool | None
) -> str:
    """A trial's filterable codes as words for the full-text index (`tfstatusrecruiting tfphasephase3 …`)."""
    tokens = [_token("status", status), _token("sex", sex)]
    tokens += [_token("phase", phase) for phase in phases]
    if study_type:
        tokens.append(_token("type", study_type))
    if healthy_volunteers:
        tokens.append(_token("healthy", "yes"))
    return " ".join(tokens)


def _facet_match(filters: Filters) -> list[str]:
    def any_of(kind: str, values: tuple[str, ...]) -> str:
        return "{facets} : (" + " OR ".join(f'"{_token(kind, value)}"' for value in values) + ")"

    parts = [any_of("status", filters.statuses)]
    if filters.phases:
        parts.append(any_of("phase", filters.phases))
    if filters.study_types:
        parts.append(any_of("type", filters.study_types))
    if filters.sex is not None:
        parts.append(any_of("sex", ("ALL", filters.sex)))
    if filters.healthy_volunteers:
        parts.append(any_of("healthy", ("yes",)))
    return parts


@dataclass(frozen=True, slots=True)
class TextFilter:
    """Words to match: anywhere (`text`), in the conditions, in the interventions. Already reduced to words."""

    text: tuple[str, ...] = ()
    condition: tuple[str, ...] = ()
    intervention: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.text or self.condition or self.intervention)


@dataclass(frozen=True, slots=True)
class Filters:
    statuses: tuple[str, ...]
    phases: tuple[str, ...] = ()
    study_types: tuple[str, ...] = ()
    age_days: float | None = None
    sex: str | None = None
    healthy_volunteers: bool | None = None
    trial_ids: tuple[int, ...] | None = None  # restrict to these (from a location search)


@dataclass(frozen=True, slots=True)
class HitRow:
    trial_id: int
    nct_id: str
    brief_title: str
    overall_status: str
    phases: str
    study_type: str | None
    sex: str
    min_age_days: float | None
    max_age_days: float | None
    last_update: str | None
    last_update_key: str
    score: float


class _Excerpt(msgspec.Struct):
    """The few fields of a stored trial a result list shows; msgspec skips the rest without building it."""

    conditions: list[str] = []
    brief_summary: str | None = None


_excerpt = msgspec.json.Decoder(_Excerpt)


def excerpt(record: str) -> tuple[tuple[str, ...], str | None]:
    decoded = _excerpt.decode(record)
    return tuple(decoded.conditions), decoded.brief_summary


def nearest_sites(
    conn: Connection, lat: float, lon: float, radius_km: float, statuses: tuple[str, ...]
) -> list[tuple[int, int, str, float, float, int, float]]:
    """For each trial, its site nearest to (lat, lon) among those open for `statuses`: the site's own status
    (or the trial's, when it has none) and the trial's status are both among them; within about `radius_km`.

    Rows are (trial_id, position, open_status, lat, lon, approximate, d2) where d2 is the squared
    equirectangular distance in degrees: exact enough to pick the nearest of one trial's sites and cheap in
    SQL. The box uses the covering (lat, lon, ...) index, and the radius keeps a 5% margin: the caller
    measures the great-circle distance where it matters.
    """
    dlat = radius_km / KM_PER_DEGREE_LAT
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = min(180.0, radius_km / (KM_PER_DEGREE_LAT * cos_lat))
    lon_ranges = _lon_ranges(lon - dlon, lon + dlon)
    marks = ", ".join("?" * len(statuses))
    lon_clause = " OR ".join("s.lon BETWEEN ? AND ?" for _ in lon_ranges)
    box = [lat - dlat, lat + dlat, *[bound for pair in lon_ranges for bound in pair]]
    distance = "((s.lat - ?) * (s.lat - ?) + (s.lon - ?) * (s.lon - ?) * ?)"
    where = (
        f" WHERE s.lat BETWEEN ? AND ? AND ({lon_clause})"
        f" AND s.trial_status IN ({marks}) AND s.open_status IN ({marks})"
    )
    columns = "s.trial_id, s.position, s.open_status, s.lat, s.lon, s.approximate"
    if conn.dialect == "sqlite":
        # SQLite takes the bare columns of a MIN() aggregate from the row that holds the minimum. Left to
        # itself its planner scans sites in key order (to group without sorting); the box on the covering
        # index is far cheaper, unless the box is huge, when starting from the trials of those statuses is.
        box_count = conn.scalar(
            f"SELECT COUNT(*) FROM (SELECT 1 FROM sites s WHERE s.lat BETWEEN ? AND ? AND ({lon_clause}) LIMIT ?)",
            [*box, BOX_PLAN_LIMIT + 1],
        )
        from_box = box_count <= BOX_PLAN_LIMIT
        if not from_box:
            # A big box: start from the trials instead only when their statuses are rare enough.
            trials = conn.scalar(f"SELECT COUNT(*) FROM trials WHERE overall_status IN ({marks})", list(statuses))
            from_box = trials * SITES_PER_TRIAL > box_count
        source = (
            "sites s INDEXED BY sites_position"
            if from_box
            else f"trials t CROSS JOIN sites s ON s.trial_id = t.id AND t.overall_status IN ({marks})"
        )
        extra = [] if from_box else list(statuses)
        sql = f"SELECT {columns}, MIN({distance}) AS d2 FROM {source}{where} GROUP BY s.trial_id HAVING d2 <= ?"
    else:
        extra = []
        sql = (
            f"SELECT * FROM (SELECT DISTINCT ON (s.trial_id) {columns}, {distance} AS d2"
            f" FROM sites s{where} ORDER BY s.trial_id, d2) nearest WHERE d2 <= ?"
        )
    params: list[Any] = [lat, lat, lon, lon, cos_lat * cos_lat, *extra, *box, *statuses, *statuses, (dlat * 1.05) ** 2]
    return [tuple(row) for row in conn.fetchall(sql, params)]  # type: ignore[misc]


def site_details(conn: Connection, keys: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[str | None, ...]]:
    """(facility, city, country) of the sites with these (trial_id, position) keys."""
    found = {}
    for trial_id, position in keys:
        row = conn.fetchone(
            "SELECT facility, city, country FROM sites WHERE trial_id = ? AND position = ?", (trial_id, position)
        )
        if row is not None:
            found[(trial_id, position)] = tuple(row)
    return found


def _lon_ranges(low: float, high: float) -> list[tuple[float, float]]:
    """A longitude interval as one or two ranges inside [-180, 180] (a circle may cross the antimeridian)."""
    if high - low >= 360:
        return [(-180.0, 180.0)]
    if low < -180:
        return [(-180.0, high), (low + 360, 180.0)]
    if high > 180:
        return [(low, 180.0), (-180.0, high - 360)]
    return [(low, high)]


def _fts_phrase_list(words: tuple[str, ...]) -> str:
    return " AND ".join('"' + word.replace('"', '""') + '"' for word in words)


def _sqlite_match(text: TextFilter, filters: Filters) -> str:
    parts = []
    if text.text:
        parts.append(f"({_fts_phrase_list(text.text)})")
    if text.condition:
        parts.append(f"{{conditions keywords}} : ({_fts_phrase_list(text.condition)})")
    if text.intervention:
        parts.append(f"{{interventions}} : ({_fts_phrase_list(text.intervention)})")
    parts += _facet_match(filters)
    return " AND ".join(f"({part})" for part in parts)


def _where(conn: Connection, filters: Filters, text: TextFilter) -> tuple[list[str], list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    in_index = conn.dialect == "sqlite" and bool(text)  # the facet filters travel inside the MATCH
    if in_index:
        clauses.append("trial_search MATCH ?")
        params.append(_sqlite_match(text, filters))
    if conn.dialect == "postgresql":
        if text.text:
            clauses.append("t.search_vector @@ plainto_tsquery('english', ?)")
            params.append(" ".join(text.text))
        if text.condition:
            clauses.append("t.condition_vector @@ plainto_tsquery('english', ?)")
            params.append(" ".join(text.condition))
        if text.intervention:
            clauses.append("t.intervention_vector @@ plainto_tsquery('english', ?)")
            params.append(" ".join(text.intervention))
    if not in_index:
        clauses.append(f"t.overall_status IN ({', '.join('?' * len(filters.statuses))})")
        params += filters.statuses
        if filters.phases:
            clauses.append("(" + " OR ".join("t.phases LIKE ?" for _ in filters.phases) + ")")
            params += [f"%|{phase}|%" for phase in filters.phases]
        if filters.study_types:
            clauses.append(f"t.study_type IN ({', '.join('?' * len(filters.study_types))})")
            params += filters.study_types
        if filters.sex is not None:
            clauses.append("t.sex IN ('ALL', ?)")
            params.append(filters.sex)
        if filters.healthy_volunteers:
            clauses.append("t.healthy_volunteers = 1")
    if filters.age_days is not None:
        # Limits in whole years admit the whole year: "65 Years" still takes someone aged 65 and a half.
        clauses.append("(t.min_age_days IS NULL OR t.min_age_days <= ?)")
        clauses.append("(t.max_age_days IS NULL OR t.max_age_days + 365.25 > ?)")
        params += [filters.age_days + 1e-6, filters.age_days]
    if filters.trial_ids is not None:
        if conn.dialect == "sqlite":
            clauses.append("t.id IN (SELECT value FROM json_each(?))")
            params.append(msgspec.json.encode(list(filters.trial_ids)).decode())
        else:
            clauses.append("t.id = ANY(?)")
            params.append(list(filters.trial_ids))
    return clauses, params


def _from(conn: Connection, text: TextFilter) -> str:
    if conn.dialect == "sqlite" and text:
        return "trials t JOIN trial_search ON trial_search.rowid = t.id"
    return "trials t"


def _index_only(conn: Connection, filters: Filters, text: TextFilter) -> bool:
    """True when the full-text index alone answers the search (no age limit, no location)."""
    return conn.dialect == "sqlite" and bool(text) and filters.age_days is None and filters.trial_ids is None


def count(conn: Connection, filters: Filters, text: TextFilter) -> int:
    if _index_only(conn, filters, text):
        return int(conn.scalar("SELECT COUNT(*) FROM trial_search WHERE trial_search MATCH ?", (_sqlite_match(text, filters),)) or 0)
    clauses, params = _where(conn, filters, text)
    return int(conn.scalar(f"SELECT COUNT(*) FROM {_from(conn, text)} WHERE {' AND '.join(clauses)}", params) or 0)


_HIT_COLUMNS = (
    "t.id, t.nct_id, t.brief_title, t.overall_status, t.phases, t.study_type, t.sex, t.min_age_days, t.max_age_days,"
    " t.last_update, t.last_update_key"
)


def _score(conn: Connection, text: TextFilter) -> tuple[str, list[Any]]:
    if not text:
        return "0.0", []
    if conn.dialect == "sqlite":
        return f"-{_BM25}", []  # bm25 is lower for better matches; negate so that higher is better
    words = " ".join((*text.text, *text.condition, *text.intervention))
    return "ts_rank_cd(t.search_vector, plainto_tsquery('english', ?))", [words]


def hits(
    conn: Connection,
    filters: Filters,
    text: TextFilter,
    *,
    order: str,
    limit: int | None,
    offset: int = 0,
) -> tuple[list[HitRow], int | None]:
    """Matching trials in `order` ("relevance" or "last_update"), and their total number when it came for
    free (None: ask `count`). `limit` None returns every match."""
    if order == "relevance" and limit is not None and _index_only(conn, filters, text):
        # FTS5 ranks inside the index and stops at the page: no visit to the trials table until then.
        ranked = conn.fetchall(
            "SELECT rowid, -rank FROM trial_search WHERE trial_search MATCH ? ORDER BY rank LIMIT ? OFFSET ?",
            (_sqlite_match(text, filters), limit, offset),
        )
        rows = _rows_by_id(conn, [row[0] for row in ranked])
        return [replace(rows[trial_id], score=float(score)) for trial_id, score in ranked if trial_id in rows], None
    clauses, params = _where(conn, filters, text)
    score_sql, score_params = _score(conn, text)
    order_sql = "score DESC, t.last_update_key DESC, t.nct_id" if order == "relevance" and text else (
        "t.last_update_key DESC, t.nct_id"
    )
    # The window counts every match in the same pass that sorts them, instead of a second query. FTS5's
    # bm25() may not share a query with a window, so it is scored in a subquery ("LIMIT -1" stops SQLite
    # from flattening it back into one).
    inner = (
        f"SELECT {_HIT_COLUMNS}, {score_sql} AS score FROM {_from(conn, text)} WHERE {' AND '.join(clauses)}"
        + (" LIMIT -1" if conn.dialect == "sqlite" else "")
    )
    outer_order = order_sql.replace("t.", "matched.")
    sql = f"SELECT matched.*, COUNT(*) OVER () FROM ({inner}) matched ORDER BY {outer_order}"
    all_params = [*score_params, *params]
    if limit is not None:
        sql += " LIMIT ? OFFSET ?"
        all_params += [limit, offset]
    found = conn.fetchall(sql, all_params)
    rows = [HitRow(*r[:11], float(r[11] or 0.0)) for r in found]
    return rows, (int(found[0][12]) if found else None)


def _rows_by_id(conn: Connection, trial_ids: list[int]) -> dict[int, HitRow]:
    if not trial_ids:
        return {}
    rows = conn.fetchall(
        f"SELECT {_HIT_COLUMNS}, 0.0 FROM trials t WHERE t.id IN ({', '.join('?' * len(trial_ids))})", trial_ids
    )
    return {r[0]: HitRow(*r[:11], 0.0) for r in rows}


def records(conn: Connection, trial_ids: list[int]) -> dict[int, str]:
    if not trial_ids:
        return {}
    rows = conn.fetchall(f"SELECT id, record FROM trials WHERE id IN ({', '.join('?' * len(trial_ids))})", trial_ids)
    return {row[0]: row[1] for row in rows}
