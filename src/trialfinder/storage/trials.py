"""The trial catalogue tables: write a trial with its sites and search text, read it back, count."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from trialfinder.concepts.query import own_concepts, with_ancestors
from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.domain.codec import content_hash, decode_trial, encode_trial
from trialfinder.domain.trial import Trial
from trialfinder.storage.database import Connection
from trialfinder.storage.search import concept_token, exact_concept_token, facet_tokens, identifier_token
from trialfinder.storage.sql import param_list, placeholders


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """What the catalogue holds of a trial, enough to decide whether an incoming record is news."""

    last_update_key: str
    content_hash: str


@dataclass(frozen=True, slots=True)
class TrialRow:
    """A trial as the catalogue tables hold it, computed without a database: import workers build these,
    so that the process that writes only runs SQL. Plain tuples, cheap to pickle."""

    nct_id: str
    last_update_key: str
    content_hash: str
    columns: tuple  # the `trials` columns in _COLUMNS order, less imported_at and updated_at
    sites: tuple[tuple, ...]  # `sites` rows less trial_id
    text: tuple[str, ...]  # the full-text fields in _SEARCH_FIELDS order
    facets: str  # filter tokens for the full-text index (storage.search.facet_tokens)
    concepts: str = ""  # the MeSH descriptors the trial is about, and their broader ones, as index tokens
    focus: str = ""  # the MeSH descriptors the trial is about, only those, as index tokens
    identifiers: str = ""  # its NCT id and other registry and sponsor ids, as index tokens

    @classmethod
    def from_trial(cls, trial: Trial, encoded: bytes | None = None) -> TrialRow:
        form = encoded if encoded is not None else encode_trial(trial)
        digest = content_hash(form)
        ages = trial.eligibility.ages
        key = trial.last_update.sort_key() if trial.last_update else ""
        columns = (
            trial.nct_id,
            trial.brief_title,
            trial.overall_status.value,
            trial.study_type.value if trial.study_type else None,
            "|" + "|".join(phase.value for phase in trial.phases) + "|",
            trial.eligibility.sex.value,
            ages.minimum.in_days() if ages.minimum else None,
            ages.maximum.in_days() if ages.maximum else None,
            None if trial.eligibility.healthy_volunteers is None else int(trial.eligibility.healthy_volunteers),
            trial.start_date.isoformat() if trial.start_date else None,
            trial.first_posted.isoformat() if trial.first_posted else None,
            trial.last_update.isoformat() if trial.last_update else None,
            key,
            trial.source_format,
            digest,
            len(trial.sites),
            "|" + "|".join(sorted({site.country for site in trial.sites if site.country})) + "|",
            form.decode("utf-8"),
        )
        sites = tuple(
            (
                position,
                site.facility,
                site.city,
                site.state,
                site.postal_code,
                site.country,
                site.status.value if site.status else None,
                site.coordinates.lat if site.coordinates else None,
                site.coordinates.lon if site.coordinates else None,
                int(site.coordinates_approximate),
                trial.overall_status.value,
                (site.status or trial.overall_status).value,
            )
            for position, site in enumerate(trial.sites)
        )
        text = search_text(trial)
        facets = facet_tokens(
            status=trial.overall_status.value,
            phases=tuple(phase.value for phase in trial.phases),
            study_type=trial.study_type.value if trial.study_type else None,
            sex=trial.eligibility.sex.value,
            healthy_volunteers=trial.eligibility.healthy_volunteers,
        )
        return cls(
            trial.nct_id,
            key,
            digest,
            columns,
            sites,
            tuple(text[field] for field in _SEARCH_FIELDS),
            facets,
            *concept_words(trial),
            identifier_words(trial),
        )


def concept_words(trial: Trial) -> tuple[str, str]:
    """The concepts a trial is about (`concepts.query.own_concepts`: its MeSH terms, what its conditions, keywords
    and interventions name) as words of the index: each with everything broader (a search for a concept finds what
    is narrower), and, apart, the conditions it is about exactly (its focus: a search for a narrower concept finds a
    trial about exactly its direct broader one, "colon cancer" a trial on colorectal cancer)."""
    vocabulary = Vocabulary.bundled()
    own = own_concepts(trial, vocabulary)
    # What it treats with is not what it is about: drugs stay out of the focus.
    return (
        " ".join(concept_token(ui) for ui in sorted(with_ancestors(own, vocabulary))),
        " ".join(exact_concept_token(ui) for ui in sorted(own) if vocabulary.kind(ui) != "intervention"),
    )


def identifier_words(trial: Trial) -> str:
    ids = (trial.nct_id, trial.org_study_id, *(other.id for other in trial.other_ids))
    return " ".join(dict.fromkeys(identifier_token(i) for i in ids if i and any(ch.isalnum() for ch in i)))


def search_text(trial: Trial) -> dict[str, str]:
    """The text the full-text index holds, by field (weights differ: a title hit beats an eligibility hit)."""
    return {
        "title": " ".join(filter(None, (trial.brief_title, trial.official_title, trial.acronym))),
        "conditions": " ".join((*trial.conditions, *(mesh.term for mesh in trial.mesh_terms))),
        "keywords": " ".join(trial.keywords),
        "interventions": " ".join(part for item in trial.interventions for part in (item.name, *item.other_names)),
        "summary": " ".join(filter(None, (trial.brief_summary, trial.detailed_description))),
        "eligibility": trial.eligibility.criteria or "",
    }


_COLUMNS = (
    "nct_id",
    "brief_title",
    "overall_status",
    "study_type",
    "phases",
    "sex",
    "min_age_days",
    "max_age_days",
    "healthy_volunteers",
    "start_date",
    "first_posted",
    "last_update",
    "last_update_key",
    "source_format",
    "content_hash",
    "site_count",
    "countries",
    "record",
    "imported_at",
    "updated_at",
)
_UPDATED = [column for column in _COLUMNS if column not in ("nct_id", "imported_at")]

# An older version never overwrites a newer one, even if two importers race: the WHERE clause makes the
# database itself refuse, and RETURNING then yields no row.
_UPSERT_SQLITE = (
    f"INSERT INTO trials ({', '.join(_COLUMNS)}) VALUES ({placeholders(len(_COLUMNS))}) "
    f"ON CONFLICT (nct_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _UPDATED)} "
    "WHERE excluded.last_update_key >= trials.last_update_key RETURNING id"
)
# After the columns' parameters come the six full-text fields (weighted A, A, B, B, C, D), then the conditions and
# the interventions text for their own vectors, then the concept and identifier tokens ('simple': kept as they are).
_TEXT_FROM = len(_COLUMNS) + 1


def pg_vectors(first: int) -> tuple[str, str, str]:
    """The three vectors (search, condition, intervention) from the `pg_search_values` numbered from `$first`."""
    concepts = f"to_tsvector('simple', ${first + 8}) || setweight(to_tsvector('simple', ${first + 9}), 'A')"
    weighted = " || ".join(
        f"setweight(to_tsvector('english', ${first + index}), '{weight}')" for index, weight in enumerate("AABBCD")
    )
    search = f"{weighted} || setweight({concepts}, 'B') || setweight(to_tsvector('simple', ${first + 10}), 'A')"
    return (
        search,
        f"to_tsvector('english', ${first + 6}) || {concepts}",
        f"to_tsvector('english', ${first + 7}) || {concepts}",
    )


_VECTORS = pg_vectors(_TEXT_FROM)
_UPSERT_POSTGRES = (
    f"INSERT INTO trials ({', '.join(_COLUMNS)}, search_vector, condition_vector, intervention_vector) "
    f"VALUES ({placeholders(len(_COLUMNS))}, {_VECTORS[0]}, {_VECTORS[1]}, {_VECTORS[2]}) "
    f"ON CONFLICT (nct_id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _UPDATED)}, "
    "search_vector = excluded.search_vector, condition_vector = excluded.condition_vector, "
    "intervention_vector = excluded.intervention_vector "
    "WHERE excluded.last_update_key >= trials.last_update_key RETURNING id"
)
_SITE_INSERT = (
    "INSERT INTO sites (trial_id, position, facility, city, state, postal_code, country, status, lat, lon, approximate,"
    " trial_status, open_status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
)
_SEARCH_FIELDS = ("title", "conditions", "keywords", "interventions", "summary", "eligibility")
SQLITE_SEARCH_INSERT = (
    f"INSERT INTO trial_search (rowid, {', '.join(_SEARCH_FIELDS)}, facets, concepts, focus, identifiers)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
)


def sqlite_search_values(row: TrialRow) -> tuple:
    """A trial's row of `trial_search` after its rowid."""
    return (*row.text, row.facets, row.concepts, row.focus, row.identifiers)


def pg_search_values(row: TrialRow) -> tuple:
    """The values the PostgreSQL vectors are made of, numbered from the parameter after the `trials` columns."""
    conditions, interventions = row.text[1] + " " + row.text[2], row.text[3]
    return (*row.text, conditions, interventions, row.concepts, row.focus, row.identifiers)


class TrialStore:
    """Reads and writes trials on one connection; the caller owns the transaction."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def versions(self, nct_ids: Iterable[str]) -> dict[str, StoredVersion]:
        ids = list(dict.fromkeys(nct_ids))
        found: dict[str, StoredVersion] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.conn.fetchall(
                "SELECT nct_id, last_update_key, content_hash FROM trials WHERE nct_id IN (" + param_list(chunk) + ")"
            )
            found.update({row[0]: StoredVersion(row[1], row[2]) for row in rows})
        return found

    def content_hashes_after(self, after: str, limit: int) -> list[tuple[str, str]]:
        """(NCT id, content hash) of the trials after `after` in NCT id order: the catalogue a page at a time."""
        rows = self.conn.fetchall(
            "SELECT nct_id, content_hash FROM trials WHERE nct_id > $1 ORDER BY nct_id LIMIT $2", (after, limit)
        )
        return [(row[0], row[1]) for row in rows]

    def save(self, row: TrialRow, now: str, *, is_new: bool = False) -> bool:
        """Insert or replace a trial with its sites and search text. False when a newer version is stored.

        `is_new` (the caller saw no stored version) skips deleting sites and search text that cannot exist.
        """
        values = (*row.columns, now, now)
        if self.conn.dialect == "sqlite":
            returned = self.conn.fetchone(_UPSERT_SQLITE, values)
        else:
            returned = self.conn.fetchone(_UPSERT_POSTGRES, (*values, *pg_search_values(row)))
        if returned is None:
            return False
        trial_id = returned[0]
        if not is_new:
            self.conn.execute("DELETE FROM sites WHERE trial_id = $1", (trial_id,))
        self.conn.executemany(_SITE_INSERT, ((trial_id, *site) for site in row.sites))
        if self.conn.dialect == "sqlite":
            if not is_new:
                self.conn.execute("DELETE FROM trial_search WHERE rowid = $1", (trial_id,))
            self.conn.execute(SQLITE_SEARCH_INSERT, (trial_id, *sqlite_search_values(row)))
        return True

    def optimize(self, *, after_bulk: bool) -> None:
        """Refresh the planner's statistics and, after a bulk load, merge the full-text index's segments.

        Run outside a transaction, after an import or sync. On SQLite, statistics are sampled
        (analysis_limit), so this costs well under a second at 100,000 trials; the merge costs more and pays
        for itself only after many writes.
        """
        if self.conn.dialect == "sqlite":
            self.conn.execute("PRAGMA analysis_limit = 1000")
            self.conn.execute("ANALYZE")
            if after_bulk:
                self.conn.execute("INSERT INTO trial_search (trial_search) VALUES ('optimize')")
        else:
            self.conn.execute("ANALYZE trials")
            self.conn.execute("ANALYZE sites")

    def get(self, nct_id: str) -> Trial | None:
        row = self.conn.fetchone("SELECT record FROM trials WHERE nct_id = $1", (nct_id,))
        return decode_trial(row[0]) if row else None

    def count(self) -> int:
        return int(self.conn.scalar("SELECT COUNT(*) FROM trials") or 0)

    def counts_by_status(self) -> dict[str, int]:
        rows = self.conn.fetchall("SELECT overall_status, COUNT(*) FROM trials GROUP BY overall_status")
        return dict(sorted(((row[0], int(row[1])) for row in rows), key=lambda item: (-item[1], item[0])))

    def counts_by_phase(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        for phases, number in self.conn.fetchall("SELECT phases, COUNT(*) FROM trials GROUP BY phases"):
            label = phases.strip("|").replace("|", "/") or "NOT_GIVEN"
            counts[label] += int(number)
        return dict(counts.most_common())

    def counts_by_country(self) -> dict[str, int]:
        """Trials per country of their sites (a trial with sites in three countries counts in each)."""
        rows = self.conn.fetchall(
            "SELECT s.country, COUNT(DISTINCT s.trial_id) FROM sites s WHERE s.country IS NOT NULL GROUP BY s.country"
        )
        return dict(sorted(((row[0], int(row[1])) for row in rows), key=lambda item: (-item[1], item[0])))

    def freshness(self) -> dict[str, str | None]:
        row = self.conn.fetchone("SELECT MAX(last_update_key), MIN(last_update_key), MAX(updated_at) FROM trials")
        newest, oldest, written = row if row else (None, None, None)
        return {
            "newest_registry_update": (newest or "").replace("-00", "") or None,
            "oldest_registry_update": (oldest or "").replace("-00", "") or None,
            "last_written": written,
        }
