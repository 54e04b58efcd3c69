"""Trial search: what a person asks for (a `domain.search.Search`, sorted and paged: `SearchQuery`), what they get
back (`SearchResults`).

The rules a person relies on (the alert run's matcher, domain/subscriptions.py, follows the same ones, and
tests/spec/test_search_spec.py runs one table of searches through both):
- text is ranked by relevance (BM25 on SQLite's FTS5, ts_rank_cd on PostgreSQL), titles and conditions
  weighing most;
- the default statuses are RECRUITING and NOT_YET_RECRUITING;
- a trial matches an age when the age lies inside its range, a sex when it takes that sex (or all);
- with a location, distance is to the nearest *open site* within the radius, where a site is open when its own
  status is one of the statuses asked for (a site without a status of its own takes the trial's); never to the
  first listed site. A trial with no such site within the radius is not a match.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from enum import Enum

from trialfinder.concepts.query import Understood
from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.domain.search import InvalidSearch, Search
from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType
from trialfinder.domain.values import PartialDate
from trialfinder.storage import search as sql
from trialfinder.storage.database import Connection, Database
from trialfinder.storage.search import Filters, TextFilter

MAX_PAGE_SIZE = 100
MAX_PAGE = 500


class Sort(str, Enum):
    RELEVANCE = "relevance"
    DISTANCE = "distance"
    LAST_UPDATE = "last_update"


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A search (domain.search.Search) and which page of its results, in which order."""

    search: Search = Search()
    sort: Sort = Sort.RELEVANCE
    page: int = 1
    page_size: int = 20
    language: str = "en"  # the language the words are read in: Dutch lay words count on a Dutch page only

    def __post_init__(self) -> None:
        self.search.check_found()
        if not 1 <= self.page <= MAX_PAGE:
            raise InvalidSearch("page", f"the page must be between 1 and {MAX_PAGE}")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidSearch("page_size", f"the page size must be between 1 and {MAX_PAGE_SIZE}")
        if self.sort is Sort.DISTANCE and self.search.point is None:
            raise InvalidSearch("sort", "sorting by distance needs a location")


@dataclass(frozen=True, slots=True)
class SiteHit:
    """The nearest open site of a matching trial, and how far it is."""

    facility: str | None
    city: str | None
    country: str | None
    status: RecruitmentStatus | None
    distance_km: float
    approximate: bool


@dataclass(frozen=True, slots=True)
class TrialHit:
    nct_id: str
    brief_title: str
    overall_status: RecruitmentStatus
    phases: tuple[Phase, ...]
    study_type: StudyType | None
    sex: Sex
    min_age_days: float | None
    max_age_days: float | None
    conditions: tuple[str, ...]
    last_update: str | None
    snippet: str | None = None  # a passage of the summary around the matched words, plain text
    nearest_site: SiteHit | None = None
    # With an UNKNOWN status: what the registry last knew, and when the sponsor last confirmed it.
    last_known_status: RecruitmentStatus | None = None
    status_verified: PartialDate | None = None


@dataclass(frozen=True, slots=True)
class SearchResults:
    query: SearchQuery
    total: int
    hits: tuple[TrialHit, ...] = ()
    matched_words: tuple[str, ...] = field(default=())  # for highlighting
    # How the words were read: each concept a span of them was understood as, with other words searched for it.
    understood: tuple[Understood, ...] = ()
    # Only identifiers were typed (NCT, EU CT, EudraCT or sponsor ids): every status was searched for them.
    identifiers_only: bool = False
    identifiers: tuple[str, ...] = ()  # the trial numbers typed

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.page_size))


def search(*, database: Database, query: SearchQuery) -> SearchResults:
    """Run a search. Raises nothing for a valid SearchQuery: every bound was checked when it was made."""
    text = TextFilter.of(query.search, vocabulary=Vocabulary.bundled(), language=query.language)
    matched = text.typed_words
    filters = Filters.of(query.search)
    identifiers_only = text.identifiers_only
    if identifiers_only:
        # A person who types a trial's number wants that trial, whatever its status.
        filters = replace(filters, statuses=tuple(status.value for status in RecruitmentStatus))
    offset = (query.page - 1) * query.page_size
    with database.connect() as conn:
        rows, total, sites = sql.hits(conn, filters, text, order=query.sort.value, limit=query.page_size, offset=offset)
        if total is None:
            total = sql.count(conn, filters, text) if (rows or offset) else 0
        records = sql.records(conn, [row.trial_id for row in rows])
        nearest = nearest_sites(conn, sites)
    hits = []
    for row in rows:
        shown = sql.excerpt(records[row.trial_id])
        last_known = shown.last_known_status
        hits.append(
            TrialHit(
                nct_id=row.nct_id,
                brief_title=row.brief_title,
                overall_status=RecruitmentStatus(row.overall_status),
                phases=tuple(Phase(code) for code in row.phases.strip("|").split("|") if code),
                study_type=StudyType(row.study_type) if row.study_type else None,
                sex=Sex(row.sex),
                min_age_days=row.min_age_days,
                max_age_days=row.max_age_days,
                conditions=shown.conditions,
                last_update=row.last_update,
                snippet=snippet(shown.brief_summary, matched),
                nearest_site=nearest.get(row.trial_id),
                last_known_status=RecruitmentStatus(last_known)
                if last_known in RecruitmentStatus.__members__
                else None,
                status_verified=PartialDate(*shown.status_verified) if shown.status_verified else None,
            )
        )
    identifiers = text.text.identifiers if text.text is not None else ()
    return SearchResults(query, total, tuple(hits), matched, text.understood, identifiers_only, identifiers)


def nearest_sites(conn: Connection, sites: dict[int, sql.NearestSite]) -> dict[int, SiteHit]:
    """Each hit's nearest open site (from `storage.search.hits`) with its facility, city and country."""
    details = sql.site_details(conn, [(site.trial_id, site.position) for site in sites.values()])
    return {
        trial_id: SiteHit(
            *details.get((trial_id, site.position), (None, None, None)),
            status=RecruitmentStatus(site.open_status) if site.open_status in RecruitmentStatus.__members__ else None,
            distance_km=site.distance_km,
            approximate=site.approximate,
        )
        for trial_id, site in sites.items()
    }


SNIPPET_CHARS = 240


def snippet(summary: str | None, matched: tuple[str, ...]) -> str | None:
    """About SNIPPET_CHARS of the summary as plain text, centred on the first matched word when there is one.

    Markdown markers are dropped; highlighting is the page's job (it escapes first, then marks the words).
    """
    if not summary:
        return None
    plain = " ".join(re.sub(r"[*_`#>\\[\]]+", " ", summary).split())
    if len(plain) <= SNIPPET_CHARS:
        return plain
    start = 0
    lowered = plain.casefold()
    positions = [lowered.find(word) for word in matched if lowered.find(word) >= 0]
    if positions:
        start = max(0, min(positions) - SNIPPET_CHARS // 3)
        start = plain.rfind(" ", 0, start) + 1 if start else 0
    end = min(len(plain), start + SNIPPET_CHARS)
    if end < len(plain):
        end = plain.rfind(" ", start, end) if plain.rfind(" ", start, end) > start else end
    return ("… " if start else "") + plain[start:end].strip() + (" …" if end < len(plain) else "")
