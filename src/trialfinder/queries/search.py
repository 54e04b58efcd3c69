"""Trial search: what a person asks for (`SearchQuery`), what they get back (`SearchResults`).

The rules a person relies on:
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
from dataclasses import dataclass, field
from enum import Enum

from trialfinder.domain.errors import DomainError
from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType
from trialfinder.domain.values import KM_PER_MILE, GeoPoint, PartialDate
from trialfinder.storage import search as sql
from trialfinder.storage.database import Database
from trialfinder.storage.search import Filters, NearFilter, TextFilter

DEFAULT_STATUSES = (RecruitmentStatus.RECRUITING, RecruitmentStatus.NOT_YET_RECRUITING)
MAX_TEXT = 200  # characters of free text, condition or intervention
MAX_WORDS = 12
MAX_RADIUS_KM = 2_000.0
MAX_PAGE_SIZE = 100
MAX_PAGE = 500


class Sort(str, Enum):
    RELEVANCE = "relevance"
    DISTANCE = "distance"
    LAST_UPDATE = "last_update"


class InvalidQuery(DomainError):
    """A search parameter is out of bounds; `field` names it so a form can show the message beside it."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True, slots=True)
class Near:
    """Where the person is, and how far they would travel (kilometres; miles are converted on input)."""

    point: GeoPoint
    radius_km: float
    label: str | None = None  # what they typed or chose, to show back

    def __post_init__(self) -> None:
        if not (math.isfinite(self.radius_km) and 0 < self.radius_km <= MAX_RADIUS_KM):
            raise InvalidQuery("radius", f"the distance must be more than 0 and at most {MAX_RADIUS_KM:,.0f} km")

    @classmethod
    def of(cls, point: GeoPoint, radius: float, unit: str = "km", label: str | None = None) -> Near:
        if unit not in ("km", "mi"):
            raise InvalidQuery("unit", "the unit must be km or mi")
        return cls(point, radius * KM_PER_MILE if unit == "mi" else radius, label)


@dataclass(frozen=True, slots=True)
class SearchQuery:
    text: str = ""
    condition: str = ""
    intervention: str = ""
    statuses: tuple[RecruitmentStatus, ...] = DEFAULT_STATUSES
    phases: tuple[Phase, ...] = ()
    study_types: tuple[StudyType, ...] = ()
    age_years: float | None = None
    sex: Sex | None = None  # the person's sex; None: no filter
    healthy_volunteers: bool | None = None  # True: only trials that accept healthy volunteers
    near: Near | None = None
    sort: Sort = Sort.RELEVANCE
    page: int = 1
    page_size: int = 20

    def __post_init__(self) -> None:
        for name in ("text", "condition", "intervention"):
            value = getattr(self, name)
            if len(value) > MAX_TEXT:
                raise InvalidQuery(name, f"please use at most {MAX_TEXT} characters")
        if self.age_years is not None and not (math.isfinite(self.age_years) and 0 <= self.age_years <= 125):
            raise InvalidQuery("age", "the age must be between 0 and 125 years")
        if self.sex is Sex.ALL:
            raise InvalidQuery("sex", "the sex to match is female or male")
        if not 1 <= self.page <= MAX_PAGE:
            raise InvalidQuery("page", f"the page must be between 1 and {MAX_PAGE}")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise InvalidQuery("page_size", f"the page size must be between 1 and {MAX_PAGE_SIZE}")
        if self.sort is Sort.DISTANCE and self.near is None:
            raise InvalidQuery("sort", "sorting by distance needs a location")
        if not self.statuses:
            raise InvalidQuery("status", "choose at least one status")

    @property
    def has_text(self) -> bool:
        return bool(words(self.text) or words(self.condition) or words(self.intervention))


_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)


def words(text: str) -> list[str]:
    """The searchable words of what a person typed: letters and digits only, so nothing they type is syntax."""
    return _WORD.findall(text)[:MAX_WORDS]


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

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.page_size))


def search(*, database: Database, query: SearchQuery) -> SearchResults:
    """Run a search. Raises nothing for a valid SearchQuery: every bound was checked when it was made."""
    text = TextFilter(tuple(words(query.text)), tuple(words(query.condition)), tuple(words(query.intervention)))
    statuses = tuple(status.value for status in query.statuses)
    matched = tuple(dict.fromkeys(word.casefold() for word in (*text.text, *text.condition, *text.intervention)))
    near = query.near
    filters = Filters(
        statuses=statuses,
        phases=tuple(phase.value for phase in query.phases),
        study_types=tuple(kind.value for kind in query.study_types),
        age_days=query.age_years * 365.25 if query.age_years is not None else None,
        sex=query.sex.value if query.sex else None,
        healthy_volunteers=query.healthy_volunteers,
        near=NearFilter(near.point.lat, near.point.lon, near.radius_km) if near else None,
    )
    offset = (query.page - 1) * query.page_size
    with database.connect() as conn:
        rows, total, sites = sql.hits(conn, filters, text, order=query.sort.value, limit=query.page_size, offset=offset)
        if total is None:
            total = sql.count(conn, filters, text) if (rows or offset) else 0
        records = sql.records(conn, [row.trial_id for row in rows])
        details = sql.site_details(conn, [(site.trial_id, site.position) for site in sites.values()])
    nearest = {
        trial_id: SiteHit(
            *details.get((trial_id, site.position), (None, None, None)),
            status=RecruitmentStatus(site.open_status) if site.open_status in RecruitmentStatus.__members__ else None,
            distance_km=site.distance_km,
            approximate=site.approximate,
        )
        for trial_id, site in sites.items()
    }
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
                last_known_status=RecruitmentStatus(last_known) if last_known in RecruitmentStatus.__members__ else None,
                status_verified=PartialDate(*shown.status_verified) if shown.status_verified else None,
            )
        )
    return SearchResults(query, total, tuple(hits), matched)


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
