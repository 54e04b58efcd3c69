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
from typing import Any

from trialfinder import matching
from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.domain.codec import decode_trial
from trialfinder.domain.search import DEFAULT_RADIUS, DEFAULT_STATUSES, Search
from trialfinder.domain.trial import RecruitmentStatus, Sex
from trialfinder.domain.values import GeoPoint
from trialfinder.matching import Patient, Screening
from trialfinder.queries.search import SiteHit, nearest_sites
from trialfinder.storage import search as sql
from trialfinder.storage.database import Database
from trialfinder.storage.search import Filters, TextFilter

# How many trials, best by relevance, are screened by the eligibility engine: the rest are too far off the
# person's illness to rank above them whatever their criteria say.
CANDIDATES = 50
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
        nearest = nearest_sites(conn, sites)
    best = max((row.score for row in rows), default=0.0)
    ranked = []
    for row in rows:
        trial = decode_trial(records[row.trial_id])
        screening = matching.screen(
            trial, patient.facts, today=request.today, language=request.language, answers=request.answers
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
                nearest_site=nearest.get(row.trial_id),
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


def results_json(results: MatchResults, *, near: str | None = None) -> dict[str, Any]:
    """The answer as JSON, the same for the CLI's `--json` and `POST /api/match` (which checks it against its
    OpenAPI type): the ranked trials, then what was read (each fact with its span: start and end offsets into the
    text the person gave), the concepts searched for, what of a FHIR bundle could not be read, how many trials were
    screened and the statuses and place asked for. `near` is the place's label, when one was given; its point and
    the radius come from the request. It holds what the person described: the caller shows it to them, never logs it.
    """
    request = results.request
    patient = request.patient
    return {
        "results": [_match_json(item) for item in results.results],
        "facts": patient.found.to_json(),
        "searched": list(results.searched),
        "problems": list(patient.problems),
        "candidates": results.candidates,
        "statuses": [status.value for status in request.statuses],
        "near": None
        if request.point is None
        else {
            "label": near,
            "lat": request.point.lat,
            "lon": request.point.lon,
            "radius_km": request.radius_km,
        },
    }


def _match_json(item: TrialMatch) -> dict[str, Any]:
    screening = item.screening
    site = item.nearest_site
    return {
        "nct_id": item.nct_id,
        "title": item.brief_title,
        "status": item.overall_status.value,
        "score": round(item.score, 3),
        "relevance": round(item.relevance, 3),
        "criteria": {"met": screening.met, "not_met": screening.not_met, "unknown": screening.unknown},
        "not_met_because": [criterion.source_text for criterion in screening.failing],
        "ask": list(screening.ask),
        "nearest_site": None
        if site is None
        else {
            "facility": site.facility,
            "city": site.city,
            "country": site.country,
            "distance_km": round(site.distance_km, 1),
        },
        "url": f"/trials/{item.nct_id}",
    }
