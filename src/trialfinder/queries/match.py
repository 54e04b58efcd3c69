"""Trials for me: the trials a person could join, best first (issue #18).

Retrieval, then screening, then one ranking: the person's conditions (`matching.Patient.reading`) are searched with
the search's own index and rules (concepts and their narrower descriptors, words), filtered by status, the person's
age and sex and, with a place, an open site within the radius; the best `CANDIDATES` by relevance are screened by
the eligibility engine; `matching.match_score` orders them. Nothing here logs or stores what the person described.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

from trialfinder import matching
from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.domain.codec import decode_trial
from trialfinder.domain.search import DEFAULT_RADIUS, DEFAULT_STATUSES, Search
from trialfinder.domain.trial import RecruitmentStatus, Sex
from trialfinder.domain.values import GeoPoint
from trialfinder.matching import Patient, Screening
from trialfinder.queries.search import SiteHit
from trialfinder.storage import search as sql
from trialfinder.storage.database import Database
from trialfinder.storage.search import Filters, TextFilter

# How many trials, best by relevance, are screened by the eligibility engine: the rest are too far off the
# person's illness to rank above them whatever their criteria say.
CANDIDATES = 100
MAX_RESULTS = 50


@dataclass(frozen=True, slots=True)
class MatchRequest:
    patient: Patient
    today: date
    statuses: tuple[RecruitmentStatus, ...] = DEFAULT_STATUSES
    point: GeoPoint | None = None  # where distances are measured from (a place already found)
    radius_km: float = DEFAULT_RADIUS
    limit: int = 20
    language: str = "en"
    answers: Mapping[str, str] | None = None  # kept from "Could I take part?", applied where they fit

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_RESULTS:
            raise ValueError(f"limit must be between 1 and {MAX_RESULTS}")

    def search(self) -> Search:
        """The filters as a search (checked as a search's are): statuses, the person's age and sex, the place."""
        age = self.patient.age_on(self.today)
        sex = {"female": Sex.FEMALE, "male": Sex.MALE}.get(self.patient.sex or "")
        return Search(
            statuses=self.statuses,
            age_years=age if age is not None and 0 <= age <= 120 else None,
            sex=sex,
            point=self.point,
            radius=self.radius_km,
        )


@dataclass(frozen=True, slots=True)
class TrialMatch:
    nct_id: str
    brief_title: str
    overall_status: RecruitmentStatus
    score: float
    relevance: float
    screening: Screening
    conditions: tuple[str, ...] = ()
    nearest_site: SiteHit | None = None


@dataclass(frozen=True, slots=True)
class MatchResults:
    request: MatchRequest
    results: tuple[TrialMatch, ...]
    candidates: int  # how many trials were screened
    searched: tuple[str, ...] = field(default=())  # the MeSH names of the topics searched for


def match(*, database: Database, request: MatchRequest, vocabulary: Vocabulary | None = None) -> MatchResults:
    vocabulary = vocabulary or Vocabulary.bundled()
    patient = request.patient
    searched = tuple(
        dict.fromkeys(
            descriptor.name
            for topic in patient.topics
            for ui in topic.concepts
            if (descriptor := vocabulary.descriptor(ui)) is not None
        )
    )
    reading = patient.reading(vocabulary)
    if reading is None:
        return MatchResults(request, (), 0, searched)
    filters = Filters.of(request.search())
    text = TextFilter(text=reading)
    with database.connect() as conn:
        rows, _, sites = sql.hits(conn, filters, text, order="relevance", limit=CANDIDATES)
        records = sql.records(conn, [row.trial_id for row in rows])
        details = sql.site_details(conn, [(site.trial_id, site.position) for site in sites.values()])
    best = max((row.score for row in rows), default=0.0)
    ranked = []
    for row in rows:
        trial = decode_trial(records[row.trial_id])
        screening = matching.screen(
            trial, patient.facts, today=request.today, language=request.language, answers=request.answers
        )
        site = sites.get(row.trial_id)
        nearest = None
        if site is not None:
            status = site.open_status
            nearest = SiteHit(
                *details.get((row.trial_id, site.position), (None, None, None)),
                status=RecruitmentStatus(status) if status in RecruitmentStatus.__members__ else None,
                distance_km=site.distance_km,
                approximate=site.approximate,
            )
        ranked.append(
            TrialMatch(
                nct_id=row.nct_id,
                brief_title=row.brief_title,
                overall_status=RecruitmentStatus(row.overall_status),
                score=matching.match_score(row.score, best, screening),
                relevance=row.score,
                screening=screening,
                conditions=trial.conditions,
                nearest_site=nearest,
            )
        )
    ranked.sort(key=lambda m: (-m.score, m.nct_id))
    return MatchResults(request, tuple(ranked[: request.limit]), len(rows), searched)


def rank_trials(
    *,
    database: Database,
    patient: Patient,
    nct_ids: Collection[str],
    today: date,
    language: str = "en",
    vocabulary: Vocabulary | None = None,
) -> list[tuple[str, float, Screening]]:
    """Order trials chosen elsewhere (a benchmark's judged pool, trials a person kept) for a person, whatever their
    status, age and sex limits: the relevance and the screening `match` uses, and its score. Trials the catalogue
    does not hold are left out; those the person's topics do not retrieve have relevance 0."""
    vocabulary = vocabulary or Vocabulary.bundled()
    reading = patient.reading(vocabulary)
    wanted = set(nct_ids)
    relevance: dict[str, float] = {}
    with database.connect() as conn:
        if reading is not None:
            every = Filters(statuses=tuple(status.value for status in RecruitmentStatus))
            rows, _, _ = sql.hits(conn, every, TextFilter(text=reading), order="relevance", limit=None)
            relevance = {row.nct_id: row.score for row in rows if row.nct_id in wanted}
        trials = sql.records_by_nct_id(conn, sorted(wanted))
    best = max(relevance.values(), default=0.0)
    ranked = []
    for nct_id, record in trials.items():
        screening = matching.screen(decode_trial(record), patient.facts, today=today, language=language)
        ranked.append((nct_id, matching.match_score(relevance.get(nct_id, 0.0), best, screening), screening))
    ranked.sort(key=lambda item: (-item[1], item[0]))
    return ranked
