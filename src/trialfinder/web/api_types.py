"""The bodies of the JSON API as types: the server encodes every answer through them (`serialize.py` builds them,
`answer` encodes them) and the OpenAPI document's schemas are generated from them (`openapi.py`), so the two cannot
disagree. Field order is the order of the keys in an answer; a field without a default is always there (null when
it has no value).

The trial's parts that the API gives as the domain holds them (an organisation, a contact, an arm ...) are the
domain's own dataclasses, which msgspec encodes and describes as they are; a part the API words differently (a date
as ISO text, an age with its value in years, a site with its distance) has a type here.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType
from starlette.responses import Response

from trialfinder.domain.search import DEFAULT_RADIUS, MAX_RADIUS_KM, MAX_VALUES
from trialfinder.domain.trial import (
    Arm,
    Contact,
    Enrollment,
    Intervention,
    MeshTerm,
    Organization,
    OtherId,
    Outcome,
    Phase,
    RecruitmentStatus,
    Sex,
    StudyType,
)
from trialfinder.domain.values import AgeUnit, GeoPoint
from trialfinder.eligibility import Section, Verdict
from trialfinder.geo.gazetteer import MAX_QUERY_LENGTH
from trialfinder.queries.match import MAX_RESULTS as MAX_MATCH_RESULTS

NctId = Annotated[str, Meta(pattern=r"^NCT\d{8}$")]
IsoDate = Annotated[str, Meta(description='As registered: "2024", "2024-11" or "2024-11-05".')]
Language = Literal["en", "nl"]
MAX_MATCH_TEXT = 100_000  # characters of a description: a long clinical note is a few thousand


def answer(body: Struct, *, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A body of the API, encoded through its type."""
    return Response(msgspec.json.encode(body), status_code=status_code, headers=headers, media_type="application/json")


# --- errors -----------------------------------------------------------------------------------------------------------


class ErrorDetail(Struct):
    field: Annotated[str | None, Meta(description="The parameter that is wrong, when it is one.")]
    message: Annotated[str, Meta(description="What is wrong, in the request's language.")]


class Error(Struct):
    """Every refusal and failure: a mistake (400), an unknown trial (404), too large (413) or too long (414), the
    database out of reach (503)."""

    error: ErrorDetail


# --- places and searches ------------------------------------------------------------------------------------------


class Place(Struct):
    """A place in the offline gazetteer: a city, or a postal code's area."""

    label: str
    name: str
    kind: Literal["city", "postal_code"]
    postal_code: str | None
    admin1: Annotated[str | None, Meta(description='The state or province code ("MA"), where the country has one.')]
    country_code: Annotated[str, Meta(description="ISO 3166-1 alpha-2.")]
    country: str
    lat: float
    lon: float
    population: int | None


class Places(Struct):
    places: Annotated[list[Place], Meta(description="Places, best first (none when the name is unknown).")]


class Near(Struct, omit_defaults=True):
    """Where distances were measured from: a place typed (`place`) or a position sent (`lat`/`lon`)."""

    lat: float
    lon: float
    source: Literal["typed", "browser"]
    place: Place | None
    radius_km: Annotated[float, Meta(description="The search's radius (a search only).")] | UnsetType = UNSET


class SiteHit(Struct):
    """The trial's nearest open site within the radius (only when a location was given)."""

    facility: str | None
    city: str | None
    country: str | None
    status: RecruitmentStatus | None
    distance_km: float
    approximate: Annotated[
        bool, Meta(description="The site's position is its postal code area's or its town's (from the gazetteer).")
    ]


class Hit(Struct):
    nct_id: NctId
    title: str
    status: RecruitmentStatus
    phases: list[Phase]
    study_type: StudyType | None
    sex: Sex
    min_age_years: float | None
    max_age_years: float | None
    conditions: list[str]
    last_update: Annotated[str | None, Meta(description="ISO 8601 date of the registry's last update.")]
    snippet: Annotated[str | None, Meta(description="Plain text from the summary around the matched words.")]
    nearest_site: SiteHit | None
    url: str
    api_url: str


class UnderstoodConcept(Struct):
    typed: Annotated[str, Meta(description="The words as typed (corrected, when `corrected_from` is given).")]
    concept: Annotated[str, Meta(description="The MeSH descriptor id they were read as, such as D015179.")]
    name: Annotated[str, Meta(description="The descriptor's MeSH name, such as Colorectal Neoplasms.")]
    also: Annotated[list[str], Meta(description="Some of the other words searched for it (synonyms, lay words).")]
    corrected_from: Annotated[str | None, Meta(description="The word as typed, when its spelling was corrected.")]


class Understood(Struct):
    expand: Annotated[
        bool, Meta(description="Whether words were read as concepts (false when the request said `expand=false`).")
    ]
    concepts: list[UnderstoodConcept]
    identifiers: Annotated[
        list[str], Meta(description="Trial numbers typed (NCT, EU CT, EudraCT); these are looked up in every status.")
    ]


class SearchResults(Struct):
    total: int
    page: int
    pages: int
    page_size: int
    statuses: list[RecruitmentStatus]
    near: Near | None
    matched_words: list[str]
    understood: Annotated[Understood, Meta(description="How the words were read: the same reading as the page's.")]
    hits: list[Hit]


# --- a trial --------------------------------------------------------------------------------------------------------


class Age(Struct):
    value: float
    unit: AgeUnit
    years: Annotated[float, Meta(description="The age in years (365.25 days), to four decimals.")]


class AgeRange(Struct):
    minimum: Age | None
    maximum: Age | None


class Eligibility(Struct):
    criteria: Annotated[str | None, Meta(description="Markdown, with Inclusion and Exclusion headings.")]
    sex: Sex
    ages: AgeRange
    healthy_volunteers: bool | None
    gender_based: bool | None
    gender_description: str | None
    standard_ages: list[str]


class Site(Struct):
    """A site as registered, with `effective_status` (its own, else the trial's), whether it is `open` to the
    statuses asked for, and its distance (null without a location)."""

    facility: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    country: str | None
    status: RecruitmentStatus | None
    coordinates: GeoPoint | None
    coordinates_approximate: bool
    contacts: list[Contact]
    effective_status: RecruitmentStatus | None
    open: bool
    distance_km: float | None


class Trial(Struct):
    """The trial as the catalogue holds it: every field of the registry record that trialfinder reads (codes as the
    registry's API v2 spells them), then `registry_url`, `eu_ct_numbers`, one page of the `sites` (open first, then
    nearest) and where their distances were measured from."""

    nct_id: NctId
    brief_title: str
    source_format: Annotated[str, Meta(description='The reader of the record: "ctgov-v2" or "ctgov-xml".')]
    official_title: str | None
    acronym: str | None
    org_study_id: str | None
    other_ids: list[OtherId]
    overall_status: RecruitmentStatus
    why_stopped: str | None
    last_known_status: RecruitmentStatus | None
    status_verified: IsoDate | None
    phases: list[Phase]
    study_type: StudyType | None
    enrollment: Enrollment | None
    allocation: str | None
    primary_purpose: str | None
    masking: str | None
    start_date: IsoDate | None
    primary_completion_date: IsoDate | None
    completion_date: IsoDate | None
    first_posted: IsoDate | None
    last_update: IsoDate | None
    lead_sponsor: Organization | None
    collaborators: list[Organization]
    conditions: list[str]
    keywords: list[str]
    mesh_terms: list[MeshTerm]
    mesh_ancestors: list[MeshTerm]
    arms: list[Arm]
    interventions: list[Intervention]
    primary_outcomes: list[Outcome]
    secondary_outcomes: list[Outcome]
    brief_summary: Annotated[str | None, Meta(description="CommonMark, as registered.")]
    detailed_description: str | None
    eligibility: Eligibility
    sites: Annotated[list[Site], Meta(description="One page of the sites (`sites_page` of `sites_pages`).")]
    central_contacts: list[Contact]
    has_results: bool
    registry_url: str
    eu_ct_numbers: list[str]
    site_count: Annotated[int, Meta(description="How many sites the trial lists in all.")]
    sites_page: int
    sites_pages: int
    near: Near | None


# --- "Could I take part?" -------------------------------------------------------------------------------------------
# The eligibility engine words its own JSON (`Questionnaire.to_json`, `Assessment.to_json`); these types check it on
# its way out.


class EngineBody(Struct, forbid_unknown_fields=True):
    """A body the eligibility engine words: converting it refuses a field its type does not name, so that nothing
    the engine adds is sent undocumented (or dropped unnoticed)."""


class Choice(EngineBody):
    value: str
    label: str


class GlossaryEntry(EngineBody):
    term: str
    explanation: str


class Question(EngineBody):
    id: str
    kind: Literal["yes_no", "date", "choice", "number", "lab"]
    text: str
    fields: Annotated[list[str], Meta(description="The field names its answer uses (`answers` in the assessment).")]
    criteria: list[str]
    source_texts: list[str]
    choices: list[Choice]
    units: list[Choice]
    ask_doctor: bool
    glossary: list[GlossaryEntry]


class EligibilityQuestions(EngineBody):
    """The questions a trial's criteria ask, with the field names answers use."""

    language: Language
    questions: list[Question]


class Reason(EngineBody):
    id: str
    source_text: str
    reason: str


class CriterionResult(EngineBody):
    id: str
    section: Section
    source_text: str
    check: str
    verdict: Verdict
    effect: Annotated[
        Literal["ok", "fails", "excludes", "open"],
        Meta(description="For taking part: fails (an inclusion criterion not met), excludes (an exclusion met)."),
    ]
    outcome: Annotated[
        Literal[
            "inclusion_met",
            "inclusion_not_met",
            "inclusion_unknown",
            "exclusion_applies",
            "exclusion_does_not_apply",
            "exclusion_unknown",
        ],
        Meta(
            description="The verdict by section: an exclusion criterion that is not met does not apply to the "
            "person (word it so, never as a fit); one that applies rules them out."
        ),
    ]
    label: Annotated[str, Meta(description='The outcome in the request\'s language ("Does not apply to you").')]
    reason: str
    flags: list[str]
    questions: list[str]
    children: list[CriterionResult]


class EligibilityAssessment(EngineBody):
    """The verdict, with a FHIR ResearchSubject-style status, and every criterion (nested as the text nests)."""

    nct_id: NctId | None
    assessed_on: datetime.date
    language: Language
    verdict: Literal["likely-eligible", "not-eligible", "needs-review"]
    research_subject_status: Literal["candidate", "ineligible", "potential-candidate"]
    summary: str
    because: list[Reason]
    open_questions: list[str]
    flags: list[str]
    criteria: list[CriterionResult]
    fhir_problems: Annotated[list[str], Meta(description="The Bundle's resources that were skipped, and why.")]


class EligibilityRequest(Struct, forbid_unknown_fields=True):
    """Answers, a FHIR R4 Bundle, or both. Only described: the handler reads the body itself, to word each mistake."""

    answers: (
        Annotated[
            dict[str, str | float],
            Meta(
                description="Field name to answer, as the questions name them: `birth_date` (YYYY-MM-DD), `sex`, "
                "`lab:<analyte>:value` / `:unit` / `:uln`, `lab_date`, `performance:ecog`, and yes/no/unknown for "
                "the rest.",
                examples=[{"lab:hemoglobin:value": "5.2", "lab:hemoglobin:unit": "mmol/L", "lab_date": "2026-11-24"}],
            ),
        ]
        | UnsetType
    ) = UNSET
    fhir: (
        Annotated[
            dict[str, Any],
            Meta(description="A FHIR R4 Bundle of one patient; bad resources are skipped and listed in `fhir_problems`."),
        ]
        | UnsetType
    ) = UNSET
    today: Annotated[datetime.date, Meta(description="The day to assess on (default: today).")] | UnsetType = UNSET
    language: Annotated[Language, Meta(description="The language of reasons and questions.")] | UnsetType = UNSET


# --- Trials for me ------------------------------------------------------------------------------------------------
# `queries.match.results_json` words the answer (the CLI's `match --json` prints the same); these types check it on
# its way out.


class MatchCriteria(EngineBody):
    met: Annotated[int, Meta(description="Criteria that hold (an inclusion met, an exclusion that does not apply).")]
    not_met: Annotated[int, Meta(description="An inclusion not met, or an exclusion that applies.")]
    unknown: Annotated[int, Meta(description="Criteria nothing sent settles.")]


class MatchSite(EngineBody):
    """The trial's nearest open site within the radius (only when `near` was given)."""

    facility: str | None
    city: str | None
    country: str | None
    distance_km: float


class TrialMatch(EngineBody):
    nct_id: NctId
    title: str
    status: RecruitmentStatus
    score: Annotated[
        float,
        Meta(
            description="The order: relevance scaled to the best candidate's, less 0.5 when a criterion is not met, "
            "plus a little per criterion met."
        ),
    ]
    relevance: Annotated[float, Meta(description="How well the trial fits the conditions searched for (the search's).")]
    criteria: MatchCriteria
    not_met_because: Annotated[list[str], Meta(description="The criteria not met, as the trial words them.")]
    ask: Annotated[list[str], Meta(description="The first few questions still open: what to ask a doctor about.")]
    nearest_site: MatchSite | None
    url: str


FoundFact = Annotated[
    dict[str, Any],
    Meta(
        description="Something read from the description: `kind` (age, sex, condition, metastasis, stage, lab, "
        "performance, biomarker, pregnancy, drug, chemotherapy...), `span` (start and end offsets into `text` as sent, in "
        "Unicode code points), the `text` there, and the fields of its kind.",
        extra_json_schema={
            "required": ["kind", "span", "text"],
            "properties": {
                "kind": {"type": "string"},
                "span": {"type": "array", "items": {"type": "integer", "minimum": 0}, "minItems": 2, "maxItems": 2},
                "text": {"type": "string"},
            },
        },
    ),
]


class MatchNear(EngineBody):
    label: Annotated[str | None, Meta(description="The place found for `near`.")]
    lat: float
    lon: float
    radius_km: float


class MatchResults(EngineBody):
    """The trials a person could join, best first, and what was read from what they sent."""

    results: list[TrialMatch]
    facts: Annotated[list[FoundFact], Meta(description="What was read from `text` (none from a FHIR Bundle).")]
    searched: Annotated[list[str], Meta(description="The MeSH names of the conditions searched for.")]
    problems: Annotated[list[str], Meta(description="The FHIR Bundle's resources that were skipped, and why.")]
    candidates: Annotated[int, Meta(description="How many trials were screened against the criteria.")]
    statuses: list[RecruitmentStatus]
    near: MatchNear | None


class MatchRequest(Struct, forbid_unknown_fields=True):
    """A description (`text`) or a FHIR R4 Bundle (`fhir`): one of the two. Only described: the handler reads the
    body itself, to word each mistake."""

    text: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=MAX_MATCH_TEXT,
                description="The person in their own words, or a clinical note: age, sex, the illness and its "
                "spread, treatments, labs (English; Dutch with `language` nl).",
                examples=["62-year-old man with colorectal cancer and liver metastases, ECOG 1, after FOLFOX."],
            ),
        ]
        | UnsetType
    ) = UNSET
    fhir: (
        Annotated[
            dict[str, Any],
            Meta(description="A FHIR R4 Bundle of one patient; bad resources are skipped and listed in `problems`."),
        ]
        | UnsetType
    ) = UNSET
    near: (
        Annotated[
            str,
            Meta(
                min_length=1,
                max_length=MAX_QUERY_LENGTH,
                description="Only trials with an open site near this city or postal code (the offline gazetteer's "
                "best match, as the search's `location`).",
            ),
        ]
        | UnsetType
    ) = UNSET
    radius_km: (
        Annotated[float, Meta(gt=0, le=MAX_RADIUS_KM, description=f"How far from `near` (default {DEFAULT_RADIUS}).")]
        | UnsetType
    ) = UNSET
    language: (
        Annotated[
            Language,
            Meta(
                description="The language of the text and of the questions (default: the site's language for the "
                "request: the `lang` cookie, then Accept-Language)."
            ),
        ]
        | UnsetType
    ) = UNSET
    status: (
        Annotated[
            list[RecruitmentStatus],
            Meta(min_length=1, max_length=MAX_VALUES, description="Default: RECRUITING and NOT_YET_RECRUITING."),
        ]
        | UnsetType
    ) = UNSET
    limit: Annotated[int, Meta(ge=1, le=MAX_MATCH_RESULTS, description="Default 20.")] | UnsetType = UNSET
    answers: (
        Annotated[
            dict[str, str | float],
            Meta(description='Answers kept from "Could I take part?" (its field names), applied where they fit.'),
        ]
        | UnsetType
    ) = UNSET


SCHEMAS = (
    Error,
    SearchResults,
    Trial,
    Places,
    EligibilityQuestions,
    EligibilityAssessment,
    EligibilityRequest,
    MatchResults,
    MatchRequest,
)
