"""The SQL of trial search, for both engines: full-text match and rank, filters, and open sites near a point."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import msgspec

from trialfinder.concepts.query import Reading, Term, Understood, read_field
from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.domain.search import Search
from trialfinder.storage.database import Connection
from trialfinder.storage.sql import Sql, param, param_list

# Relevance weights by field, for FTS5's bm25 (title, conditions, keywords, interventions, summary,
# eligibility, facets, concepts, focus, identifiers): a word in the title or the conditions says far more than one in
# the criteria; a concept the trial is about exactly (`focus`) counts more than one it is about through a narrower
# one (`concepts`). FTS5's bm25 saturates a word's count and normalises by the whole row's length, so these weights
# order matches less than their size suggests (see bench/README.md, search quality).
_BM25 = "bm25(trial_search, 10.0, 10.0, 5.0, 5.0, 2.0, 0.5, 0.0, 2.0, 20.0, 10.0)"
# The index's configured rank (migration 10) has the same weights: change both together, in a new migration.
# The columns of `trial_search` that hold a trial's words (the last, `facets`, holds its filterable codes).
TEXT_COLUMNS = ("title", "conditions", "keywords", "interventions", "summary", "eligibility")
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
    """What to match, by field: anywhere (`text`), in the conditions, in the interventions; each the reading of
    what was typed (`concepts.query.read_field`: words, phrases, OR, exclusions, identifiers and the concepts the
    words were understood as). None: nothing typed in that field. Hashable: the alert run keys matches by it."""

    text: Reading | None = None
    condition: Reading | None = None
    intervention: Reading | None = None

    @classmethod
    def of(cls, search: Search, *, vocabulary: Vocabulary | None = None, language: str = "en") -> TextFilter:
        """Read a search's words; with `vocabulary` (and the search's `expand` on) as concepts too."""
        options = {"vocabulary": vocabulary, "language": language, "expand": search.expand}
        return cls(
            read_field(search.text, field="text", **options),
            read_field(search.condition, field="condition", **options),
            read_field(search.intervention, field="intervention", **options),
        )

    def __bool__(self) -> bool:
        return any(reading is not None for reading in self.fields())

    def fields(self) -> tuple[Reading | None, Reading | None, Reading | None]:
        return (self.text, self.condition, self.intervention)

    @property
    def typed_words(self) -> tuple[str, ...]:
        """Every word the person typed that is looked for (not those excluded), once, for highlighting."""
        seen: dict[str, None] = {}
        for reading in self.fields():
            for clause in reading.clauses if reading else ():
                for term in clause.terms:
                    seen.update(dict.fromkeys(word.casefold() for word in term.words))
        return tuple(seen)

    @property
    def identifiers_only(self) -> bool:
        """Only identifiers were typed, in the field "anywhere", and nothing in the other two."""
        reading = self.text
        return (
            reading is not None
            and bool(reading.identifiers)
            and not reading.clauses
            and self.condition is None
            and self.intervention is None
        )

    @property
    def understood(self) -> tuple[Understood, ...]:
        return tuple(line for reading in self.fields() if reading for line in reading.understood)


@dataclass(frozen=True, slots=True)
class Filters:
    statuses: tuple[str, ...]
    phases: tuple[str, ...] = ()
    study_types: tuple[str, ...] = ()
    age_days: float | None = None
    sex: str | None = None
    healthy_volunteers: bool = False
    near: NearFilter | None = None  # only trials with an open site within a radius

    @classmethod
    def of(cls, search: Search) -> Filters:
        """A search's filters as the stored codes. A typed place must have been found (`Search.point`)."""
        point = search.point
        return cls(
            statuses=tuple(status.value for status in search.statuses),
            phases=tuple(phase.value for phase in search.phases),
            study_types=tuple(kind.value for kind in search.study_types),
            age_days=search.age_days,
            sex=search.sex.value if search.sex else None,
            healthy_volunteers=search.healthy_volunteers,
            near=NearFilter(point.lat, point.lon, search.radius_km) if point else None,
        )


@dataclass(frozen=True, slots=True)
class NearFilter:
    lat: float
    lon: float
    radius_km: float


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


class _Date(msgspec.Struct):
    year: int
    month: int | None = None
    day: int | None = None


class _Excerpt(msgspec.Struct):
    """The few fields of a stored trial a result list shows; msgspec skips the rest without building it."""

    conditions: list[str] = []
    brief_summary: str | None = None
    last_known_status: str | None = None  # absent from trials stored before it was kept
    status_verified: _Date | None = None


_excerpt = msgspec.json.Decoder(_Excerpt)


@dataclass(frozen=True, slots=True)
class Excerpt:
    conditions: tuple[str, ...]
    brief_summary: str | None
    last_known_status: str | None
    status_verified: tuple[int, int | None, int | None] | None  # year, month, day


def excerpt(record: str) -> Excerpt:
    decoded = _excerpt.decode(record)
    verified = decoded.status_verified
    return Excerpt(
        tuple(decoded.conditions),
        decoded.brief_summary,
        decoded.last_known_status,
        (verified.year, verified.month, verified.day) if verified else None,
    )


def _great_circle_km(conn: Connection, lat: Sql, lon: Sql) -> Sql:
    """Haversine distance in SQL from the point (`lat`, `lon`: parameters) to the site (s.lat, s.lon)."""
    least = "min" if conn.dialect == "sqlite" else "least"
    return (
        f"2 * 6371.0088 * asin({least}(1, sqrt(power(sin(radians(s.lat - " + lat + ") / 2), 2)"
        " + cos(radians(" + lat + ")) * cos(radians(s.lat)) * power(sin(radians(s.lon - " + lon + ") / 2), 2))))"
    )


def _near_cte(conn: Connection, near: NearFilter, statuses: tuple[str, ...]) -> Sql:
    """`near`: for each trial, its nearest site whose status (the site's own, else the trial's) and whose trial's
    status are among `statuses`, within the radius, with the great-circle distance in km.

    The database measures every candidate site of the bounding box (C arithmetic; far cheaper than handing
    thousands of rows to Python). On SQLite the plan is chosen here: its planner cannot see that one status
    (COMPLETED) covers most trials and would scan sites in key order; the box on the covering
    (lat, lon, ...) index is the right start unless the box is huge and the statuses rare.
    """
    dlat = near.radius_km / KM_PER_DEGREE_LAT
    cos_lat = max(math.cos(math.radians(near.lat)), 1e-6)
    dlon = min(180.0, near.radius_km / (KM_PER_DEGREE_LAT * cos_lat))
    lon_ranges = _lon_ranges(near.lon - dlon, near.lon + dlon)
    marks = param_list(statuses)
    box = (
        "s.lat BETWEEN "
        + param(near.lat - dlat)
        + " AND "
        + param(near.lat + dlat)
        + " AND ("
        + Sql(" OR ").join("s.lon BETWEEN " + param(low) + " AND " + param(high) for low, high in lon_ranges)
        + ")"
    )
    where = " WHERE " + box + " AND s.trial_status IN (" + marks + ") AND s.open_status IN (" + marks + ")"
    distance = _great_circle_km(conn, param(near.lat), param(near.lon))
    columns = "s.trial_id, s.position, s.open_status, s.approximate"
    if conn.dialect == "postgresql":
        return (
            f"near AS MATERIALIZED (SELECT * FROM (SELECT DISTINCT ON (s.trial_id) {columns}, "
            + distance
            + " AS km FROM sites s"
            + where
            + " ORDER BY s.trial_id, km) nearest WHERE km <= "
            + param(near.radius_km)
            + ")"
        )
    box_count = conn.scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM sites s WHERE " + box + " LIMIT " + param(BOX_PLAN_LIMIT + 1) + ")"
    )
    from_box = box_count <= BOX_PLAN_LIMIT
    if not from_box:
        trials = conn.scalar("SELECT COUNT(*) FROM trials WHERE overall_status IN (" + marks + ")")
        from_box = trials * SITES_PER_TRIAL > box_count
    if from_box:
        source = Sql("sites s INDEXED BY sites_position")
    else:
        source = "trials tt CROSS JOIN sites s ON s.trial_id = tt.id AND tt.overall_status IN (" + marks + ")"
    # SQLite takes the bare columns of a MIN() aggregate from the row that holds the minimum.
    return (
        f"near AS MATERIALIZED (SELECT {columns}, MIN("
        + distance
        + ") AS km FROM "
        + source
        + where
        + " GROUP BY s.trial_id HAVING km <= "
        + param(near.radius_km)
        + ")"
    )


def site_details(conn: Connection, keys: list[tuple[int, int]]) -> dict[tuple[int, int], tuple[str | None, ...]]:
    """(facility, city, country) of the sites with these (trial_id, position) keys: one query for a page of hits."""
    if not keys:
        return {}
    pairs = Sql(", ").join("(" + param_list(key) + ")" for key in keys)
    rows = conn.fetchall(
        "SELECT trial_id, position, facility, city, country FROM sites WHERE (trial_id, position) IN (VALUES "
        + pairs
        + ")"
    )
    return {(row[0], row[1]): tuple(row[2:]) for row in rows}


def _lon_ranges(low: float, high: float) -> list[tuple[float, float]]:
    """A longitude interval as one or two ranges inside [-180, 180] (a circle may cross the antimeridian)."""
    if high - low >= 360:
        return [(-180.0, 180.0)]
    if low < -180:
        return [(-180.0, high), (low + 360, 180.0)]
    if high > 180:
        return [(low, 180.0), (-180.0, high - 360)]
    return [(low, high)]


def fts_phrase_list(words: tuple[str, ...]) -> str:
    """Words as an FTS5 query that needs all of them, each quoted so that none is read as an operator (`OR`, `NOT`,
    a quote mark)."""
    return " AND ".join(_fts_string(word) for word in words)


def _fts_string(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


# Words that say nothing on their own in a query of several words ("bowel cancer spread to liver"): left out of the
# match unless they are all there is, or inside a quoted phrase. PostgreSQL's English configuration drops its own.
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in into is it of on or than that the their this to was were with"
    " de het een en van op te met voor naar bij aan om zijn mijn".split()
)


def _content(term: Term) -> tuple[str, ...]:
    """A term's words without stop words (all of them if nothing else is left, and always in a phrase)."""
    if term.phrase:
        return term.words
    return tuple(word for word in term.words if word.casefold() not in STOP_WORDS)


def _terms(reading: Reading) -> list[list[Term]]:
    """The reading's clauses, each a list of terms, without terms of stop words only (unless nothing is left)."""
    clauses = [[term for term in clause.terms if term.concepts or _content(term)] for clause in reading.clauses]
    kept = [clause for clause in clauses if clause]
    if kept:
        return kept
    return [list(clause.terms) for clause in reading.clauses]  # only stop words: look for them as typed


def concept_token(ui: str) -> str:
    """A MeSH descriptor as a word of the index: a trial about it (or anything narrower) holds it."""
    return _token("mesh", ui)


def exact_concept_token(ui: str) -> str:
    """A MeSH descriptor as a word of the index that only a trial about exactly that descriptor holds."""
    return _token("meshx", ui)


def identifier_token(identifier: str) -> str:
    """A trial's registry or sponsor id as a word of the index, whatever its spacing and hyphens."""
    return _token("id", identifier)


def _concept_tokens(term: Term) -> tuple[list[str], list[str]]:
    """A term's concepts as index words: each concept or anything narrower (the `concepts` column); exactly each
    concept and each direct broader one (the `focus` column). PostgreSQL holds both kinds in its vectors."""
    return [concept_token(ui) for ui in term.concepts], [exact_concept_token(ui) for ui in (*term.concepts, *term.broader)]


def _fts_concepts(term: Term) -> list[str]:
    return [
        f"{{{column}}} : (" + " OR ".join(_fts_string(token) for token in tokens) + ")"
        for column, tokens in zip(("concepts", "focus"), _concept_tokens(term), strict=True)
        if tokens
    ]


def _fts_term(term: Term, columns: str) -> str:
    words = _content(term) or term.words
    parts = []
    # The conditions, keywords and interventions are what a trial's concepts were read from, with the same
    # vocabulary: there the concept stands for the words, so that a trial registered as "Colorectal Neoplasms" ranks
    # as one that wrote "colorectal cancer". The words are still looked for where no concept was read.
    searched = _UNREAD_COLUMNS.get(columns, "") if term.concepts else columns
    if words and searched:
        query = _fts_string(" ".join(words)) if term.phrase else fts_phrase_list(words)
        parts.append(f"{{{searched}}} : ({query})")
    # A body part's names are looked for where its typed words would be ("lever" where "liver" would be).
    parts += [
        f"{{{columns}}} : ({_fts_string(' '.join(synonym))})" for synonym in term.synonyms if synonym != tuple(words)
    ]
    parts += _fts_concepts(term)
    return "(" + " OR ".join(parts) + ")"


def _fts_reading(reading: Reading, columns: str, *, identifiers: bool) -> str:
    clauses = ["(" + " OR ".join(_fts_term(term, columns) for term in clause) + ")" for clause in _terms(reading)]
    words = " AND ".join(clauses)
    if identifiers and reading.identifiers:
        ids = "{identifiers} : (" + " OR ".join(_fts_string(identifier_token(i)) for i in reading.identifiers) + ")"
        words = f"({ids} OR ({words}))" if words else ids
    if not words:
        return ""
    excluded = [_fts_term(term, columns) for term in reading.excluded if term.words or term.concepts]
    if excluded:
        words = f"({words}) NOT ({' OR '.join(excluded)})"
    return words


_FIELD_COLUMNS = (" ".join(TEXT_COLUMNS), "conditions keywords", "interventions")
# The text columns no concept is read from, by field.
_UNREAD_COLUMNS = {_FIELD_COLUMNS[0]: "title summary eligibility"}


def text_match(text: TextFilter) -> str:
    """The readings as one FTS5 query over the index's columns (of `trial_search`, or of any index with them).

    Words "anywhere" are looked for in the text columns only, never in `facets`: a word that happens to spell a
    filter's token (`tfhealthyyes`) is a word, not a filter. Concepts are looked for in `concepts`, identifiers in
    `identifiers` (the field "anywhere" only)."""
    parts = []
    for index, reading in enumerate(text.fields()):
        if reading is None:
            continue
        part = _fts_reading(reading, _FIELD_COLUMNS[index], identifiers=index == 0)
        # Nothing to look for in a field that was filled in (a trial number in the conditions, say): no match, as
        # on PostgreSQL.
        parts.append(part or '{facets} : "tfnever"')
    return " AND ".join(f"({part})" for part in parts)


def _sqlite_match(text: TextFilter, filters: Filters) -> str:
    return " AND ".join([f"({text_match(text)})", *(f"({part})" for part in _facet_match(filters))])


def _pg_term(term: Term) -> Sql:
    words = _content(term) or term.words
    parts: list[Sql] = []
    if words:
        function = "phraseto_tsquery" if term.phrase else "plainto_tsquery"
        parts.append(f"{function}('english', " + param(" ".join(words)) + ")")
    parts += [
        "phraseto_tsquery('english', " + param(" ".join(synonym)) + ")"
        for synonym in term.synonyms
        if synonym != tuple(words)
    ]
    tokens = [token for kind in _concept_tokens(term) for token in kind]
    if tokens:
        parts.append("to_tsquery('simple', " + param(" | ".join(tokens)) + ")")
    return "(" + Sql(" || ").join(parts) + ")"


def pg_tsquery(reading: Reading, *, identifiers: bool) -> Sql | None:
    """A reading as a PostgreSQL tsquery expression, with the same rules as `text_match`. None: nothing to match."""
    clauses = ["(" + Sql(" || ").join(_pg_term(term) for term in clause) + ")" for clause in _terms(reading)]
    query: Sql | None = Sql(" && ").join(clauses) if clauses else None
    if identifiers and reading.identifiers:
        ids = "to_tsquery('simple', " + param(" | ".join(identifier_token(i) for i in reading.identifiers)) + ")"
        query = ids if query is None else "(" + ids + " || " + query + ")"
    if query is None:
        return None
    for term in reading.excluded:
        if term.words or term.concepts:
            query = query + " && !!" + _pg_term(term)
    return query


# PostgreSQL's vector column for each field (anywhere, conditions, interventions), on `trials t`.
VECTOR_COLUMNS = ("t.search_vector", "t.condition_vector", "t.intervention_vector")


def _where(conn: Connection, filters: Filters, text: TextFilter) -> list[Sql]:
    clauses: list[Sql] = []
    in_index = conn.dialect == "sqlite" and bool(text)  # the facet filters travel inside the MATCH
    if in_index:
        clauses.append("trial_search MATCH " + param(_sqlite_match(text, filters)))
    if conn.dialect == "postgresql":
        for index, reading in enumerate(text.fields()):
            if reading is not None:
                query = pg_tsquery(reading, identifiers=index == 0)
                # Nothing left to look for (stop words only): matches nothing, as `@@` with an empty query does.
                clauses.append(VECTOR_COLUMNS[index] + " @@ (" + query + ")" if query is not None else Sql("FALSE"))
    if not in_index:
        clauses.append("t.overall_status IN (" + param_list(filters.statuses) + ")")
        if filters.phases:
            clauses.append(
                "(" + Sql(" OR ").join("t.phases LIKE " + param(f"%|{phase}|%") for phase in filters.phases) + ")"
            )
        if filters.study_types:
            clauses.append("t.study_type IN (" + param_list(filters.study_types) + ")")
        if filters.sex is not None:
            clauses.append("t.sex IN ('ALL', " + param(filters.sex) + ")")
        if filters.healthy_volunteers:
            clauses.append(Sql("t.healthy_volunteers = 1"))
    if filters.age_days is not None:
        # Limits in whole years admit the whole year: "65 Years" still takes someone aged 65 and a half.
        clauses.append("(t.min_age_days IS NULL OR t.min_age_days <= " + param(filters.age_days + 1e-6) + ")")
        clauses.append("(t.max_age_days IS NULL OR t.max_age_days + 365.25 > " + param(filters.age_days) + ")")
    return clauses


def _from(conn: Connection, text: TextFilter, near: bool = False) -> str:
    if conn.dialect == "sqlite" and text:
        if near:
            # The index's matches drive the join and look their trial up in `near` (automatically indexed);
            # the other way round SQLite would run the full-text query once per nearby trial.
            return (
                "trial_search CROSS JOIN near ON near.trial_id = trial_search.rowid"
                " CROSS JOIN trials t ON t.id = near.trial_id"
            )
        return "trials t JOIN trial_search ON trial_search.rowid = t.id"
    return "near JOIN trials t ON t.id = near.trial_id" if near else "trials t"


def _index_only(conn: Connection, filters: Filters, text: TextFilter) -> bool:
    """True when the full-text index alone answers the search (no age limit, no location)."""
    return conn.dialect == "sqlite" and bool(text) and filters.age_days is None and filters.near is None


def count(conn: Connection, filters: Filters, text: TextFilter) -> int:
    if _index_only(conn, filters, text):
        match = _sqlite_match(text, filters)
        return int(conn.scalar("SELECT COUNT(*) FROM trial_search WHERE trial_search MATCH $1", (match,)) or 0)
    with_cte = Sql() if filters.near is None else "WITH " + _near_cte(conn, filters.near, filters.statuses) + " "
    source = _from(conn, text, filters.near is not None)
    sql = with_cte + f"SELECT COUNT(*) FROM {source} WHERE " + Sql(" AND ").join(_where(conn, filters, text))
    return int(conn.scalar(sql) or 0)


# Recruiting and not-yet-recruiting trials (the search's default statuses) before the others.
_OPEN_FIRST = "CASE WHEN overall_status IN ('RECRUITING', 'NOT_YET_RECRUITING') THEN 0 ELSE 1 END"

_HIT_COLUMNS = (
    "t.id, t.nct_id, t.brief_title, t.overall_status, t.phases, t.study_type, t.sex, t.min_age_days, t.max_age_days,"
    " t.last_update, t.last_update_key"
)


def _score(conn: Connection, text: TextFilter) -> Sql:
    if not text:
        return Sql("0.0")
    if conn.dialect == "sqlite":
        return Sql(f"-{_BM25}")  # bm25 is lower for better matches; negate so that higher is better
    queries = [
        query
        for index, reading in enumerate(text.fields())
        if reading is not None and (query := pg_tsquery(reading, identifiers=index == 0)) is not None
    ]
    if not queries:
        return Sql("0.0")
    return "ts_rank_cd(t.search_vector, " + Sql(" && ").join(queries) + ")"


@dataclass(frozen=True, slots=True)
class NearestSite:
    trial_id: int
    position: int
    open_status: str
    approximate: bool
    distance_km: float


def hits(
    conn: Connection,
    filters: Filters,
    text: TextFilter,
    *,
    order: str,
    limit: int | None,
    offset: int = 0,
) -> tuple[list[HitRow], int | None, dict[int, NearestSite]]:
    """Matching trials in `order` ("relevance", "distance" or "last_update"), their total number when it came
    for free (None: ask `count`), and, with a location, each hit's nearest open site. `limit` None returns every
    match."""
    if order == "relevance" and limit is not None and _index_only(conn, filters, text):
        # FTS5 ranks inside the index and stops at the page: no visit to the trials table until then.
        ranked = conn.fetchall(
            "SELECT rowid, -rank FROM trial_search WHERE trial_search MATCH $1 ORDER BY rank LIMIT $2 OFFSET $3",
            (_sqlite_match(text, filters), limit, offset),
        )
        rows = _rows_by_id(conn, [row[0] for row in ranked])
        return [replace(rows[trial_id], score=float(score)) for trial_id, score in ranked if trial_id in rows], None, {}
    with_cte, near_columns = Sql(), ""
    if filters.near is not None:
        with_cte = "WITH " + _near_cte(conn, filters.near, filters.statuses) + " "
        near_columns = ", near.km, near.position, near.open_status, near.approximate"
    orders = {
        # Without words there is nothing to rank: trials open now or soon come first (when other statuses were asked
        # for too), the most recently updated first; the home page opens on current recruiting trials.
        "relevance": "score DESC, last_update_key DESC, nct_id"
        if text
        else f"{_OPEN_FIRST}, last_update_key DESC, nct_id",
        "distance": "km, score DESC, nct_id",
        "last_update": "last_update_key DESC, nct_id",
    }
    # The window counts every match in the same pass that sorts them, instead of a second query. FTS5's
    # bm25() may not share a query with a window, so it is scored in a subquery ("LIMIT -1" stops SQLite
    # from flattening it back into one).
    inner = (
        f"SELECT {_HIT_COLUMNS}, " + _score(conn, text) + f" AS score{near_columns}"
        f" FROM {_from(conn, text, filters.near is not None)} WHERE "
        + Sql(" AND ").join(_where(conn, filters, text))
        + (" LIMIT -1" if conn.dialect == "sqlite" else "")
    )
    sql = with_cte + "SELECT matched.*, COUNT(*) OVER () FROM (" + inner + f") matched ORDER BY {orders[order]}"
    if limit is not None:
        sql += " LIMIT " + param(limit) + " OFFSET " + param(offset)
    found = conn.fetchall(sql)
    rows = [HitRow(*r[:11], float(r[11] or 0.0)) for r in found]
    nearest = {}
    if filters.near is not None:
        nearest = {r[0]: NearestSite(r[0], int(r[13]), r[14], bool(r[15]), float(r[12])) for r in found}
    return rows, (int(found[0][-1]) if found else None), nearest


def _rows_by_id(conn: Connection, trial_ids: list[int]) -> dict[int, HitRow]:
    if not trial_ids:
        return {}
    rows = conn.fetchall(f"SELECT {_HIT_COLUMNS}, 0.0 FROM trials t WHERE t.id IN (" + param_list(trial_ids) + ")")
    return {r[0]: HitRow(*r[:11], 0.0) for r in rows}


def records_by_nct_id(conn: Connection, nct_ids: list[str]) -> dict[str, str]:
    """The stored records of these trials, by NCT id (those the catalogue holds)."""
    found: dict[str, str] = {}
    for start in range(0, len(nct_ids), 500):
        chunk = nct_ids[start : start + 500]
        rows = conn.fetchall("SELECT nct_id, record FROM trials WHERE nct_id IN (" + param_list(chunk) + ")")
        found.update({row[0]: row[1] for row in rows})
    return found


def records(conn: Connection, trial_ids: list[int]) -> dict[int, str]:
    if not trial_ids:
        return {}
    rows = conn.fetchall("SELECT id, record FROM trials WHERE id IN (" + param_list(trial_ids) + ")")
    return {row[0]: row[1] for row in rows}
