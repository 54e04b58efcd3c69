"""The trial aggregate: what a registry record says about one clinical study.

The vocabulary follows ClinicalTrials.gov API v2 (its enum values are the canonical spelling here);
adapters for other formats map into it. See GLOSSARY.md for the words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum

from trialfinder.domain.values import AgeRange, GeoPoint, PartialDate

_EU_CT_NUMBER = re.compile(r"^\d{4}-\d{6}-\d{2}(-\d{2})?$")


class RecruitmentStatus(str, Enum):
    """Overall status of a study, and the status of each of its sites (the registry uses one list for both)."""

    RECRUITING = "RECRUITING"
    NOT_YET_RECRUITING = "NOT_YET_RECRUITING"
    ENROLLING_BY_INVITATION = "ENROLLING_BY_INVITATION"
    ACTIVE_NOT_RECRUITING = "ACTIVE_NOT_RECRUITING"
    COMPLETED = "COMPLETED"
    SUSPENDED = "SUSPENDED"
    TERMINATED = "TERMINATED"
    WITHDRAWN = "WITHDRAWN"
    UNKNOWN = "UNKNOWN"
    # Expanded access records have statuses of their own.
    AVAILABLE = "AVAILABLE"
    NO_LONGER_AVAILABLE = "NO_LONGER_AVAILABLE"
    TEMPORARILY_NOT_AVAILABLE = "TEMPORARILY_NOT_AVAILABLE"
    APPROVED_FOR_MARKETING = "APPROVED_FOR_MARKETING"
    WITHHELD = "WITHHELD"

    @property
    def is_open(self) -> bool:
        """Open to new participants now. NOT_YET_RECRUITING is not: it opens later."""
        return self in (RecruitmentStatus.RECRUITING, RecruitmentStatus.AVAILABLE)


class Phase(str, Enum):
    NA = "NA"
    EARLY_PHASE1 = "EARLY_PHASE1"
    PHASE1 = "PHASE1"
    PHASE2 = "PHASE2"
    PHASE3 = "PHASE3"
    PHASE4 = "PHASE4"


class StudyType(str, Enum):
    INTERVENTIONAL = "INTERVENTIONAL"
    OBSERVATIONAL = "OBSERVATIONAL"
    EXPANDED_ACCESS = "EXPANDED_ACCESS"


class Sex(str, Enum):
    """Which sexes a study takes; ALL when it does not restrict."""

    ALL = "ALL"
    FEMALE = "FEMALE"
    MALE = "MALE"


@dataclass(frozen=True, slots=True)
class OtherId:
    """An identifier beside the NCT id: an EU CT number, a sponsor's protocol number, a grant."""

    id: str
    type: str | None = None
    domain: str | None = None

    @property
    def is_eu_ct_number(self) -> bool:
        """An EU trial number: CTIS (`2023-506194-35-00`) or the older EudraCT (`2019-001234-56`)."""
        if self.type in ("CTIS", "EUDRACT_NUMBER"):
            return True
        return bool(_EU_CT_NUMBER.match(self.id.strip()))


@dataclass(frozen=True, slots=True)
class Organization:
    """A sponsor or collaborator; `kind` is the registry's class (INDUSTRY, NIH, FED, OTHER...)."""

    name: str
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A person or office to reach about a study or at a site."""

    name: str | None = None
    role: str | None = None
    phone: str | None = None
    phone_ext: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Site:
    """A place where a study runs, with its own recruitment status (which may differ from the study's).

    `coordinates` are the registry's (ClinicalTrials.gov gives the city centre, not the building) or,
    when the record has none, the city's from the offline gazetteer, with `coordinates_approximate` set.
    """

    facility: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    status: RecruitmentStatus | None = None
    coordinates: GeoPoint | None = None
    coordinates_approximate: bool = False
    contacts: tuple[Contact, ...] = ()

    @property
    def display_name(self) -> str:
        """A name that is never empty: the facility, else the place, else a neutral phrase."""
        place = ", ".join(part for part in (self.city, self.country) if part)
        return self.facility or place or "Study site"


@dataclass(frozen=True, slots=True)
class Arm:
    """A group of participants who receive the same treatment (an arm or, in observational studies, a cohort)."""

    label: str
    type: str | None = None
    description: str | None = None
    intervention_names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Intervention:
    type: str | None
    name: str
    description: str | None = None
    other_names: tuple[str, ...] = ()
    arm_labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    """A primary or secondary outcome measure, with the time frame it is measured over."""

    measure: str
    time_frame: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Who may take part. `criteria` is Markdown with Inclusion/Exclusion headings and nested bullets."""

    criteria: str | None = None
    sex: Sex = Sex.ALL
    ages: AgeRange = field(default_factory=AgeRange)
    healthy_volunteers: bool | None = None
    gender_based: bool | None = None
    gender_description: str | None = None
    standard_ages: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Enrollment:
    count: int
    type: str | None = None  # ACTUAL or ESTIMATED


@dataclass(frozen=True, slots=True)
class MeshTerm:
    id: str | None
    term: str


@dataclass(frozen=True, slots=True)
class Trial:
    """One registered clinical study, as complete as a patient-facing page and an eligibility engine need."""

    nct_id: str
    brief_title: str
    source_format: str  # "ctgov-v2" or "ctgov-xml": the adapter that produced this trial
    official_title: str | None = None
    acronym: str | None = None
    org_study_id: str | None = None
    other_ids: tuple[OtherId, ...] = ()
    overall_status: RecruitmentStatus = RecruitmentStatus.UNKNOWN
    why_stopped: str | None = None
    # When the status is UNKNOWN (the registry heard nothing from the sponsor for two years): the status it had when it
    # was last verified. Optional: trials stored before these fields were kept decode with None.
    last_known_status: RecruitmentStatus | None = None
    status_verified: PartialDate | None = None  # when the sponsor last confirmed the status
    phases: tuple[Phase, ...] = ()
    study_type: StudyType | None = None
    enrollment: Enrollment | None = None
    allocation: str | None = None
    primary_purpose: str | None = None
    masking: str | None = None
    start_date: PartialDate | None = None
    primary_completion_date: PartialDate | None = None
    completion_date: PartialDate | None = None
    first_posted: PartialDate | None = None
    last_update: PartialDate | None = None
    lead_sponsor: Organization | None = None
    collaborators: tuple[Organization, ...] = ()
    conditions: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    mesh_terms: tuple[MeshTerm, ...] = ()
    mesh_ancestors: tuple[MeshTerm, ...] = ()
    arms: tuple[Arm, ...] = ()
    interventions: tuple[Intervention, ...] = ()
    primary_outcomes: tuple[Outcome, ...] = ()
    secondary_outcomes: tuple[Outcome, ...] = ()
    brief_summary: str | None = None
    detailed_description: str | None = None
    eligibility: Eligibility = field(default_factory=Eligibility)
    sites: tuple[Site, ...] = ()
    central_contacts: tuple[Contact, ...] = ()
    has_results: bool = False

    @property
    def status_is_stale(self) -> bool:
        """The registry no longer knows the status, but says what it last was (`last_known_status`)."""
        return self.overall_status is RecruitmentStatus.UNKNOWN and self.last_known_status is not None

    @property
    def registry_url(self) -> str:
        return f"https://clinicaltrials.gov/study/{self.nct_id}"

    @property
    def eu_ct_numbers(self) -> tuple[str, ...]:
        return tuple(other.id for other in self.other_ids if other.is_eu_ct_number)
