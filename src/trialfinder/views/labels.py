"""Human words for the registry's codes (English; the website translates these through gettext)."""

from __future__ import annotations

from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType

STATUS = {
    RecruitmentStatus.RECRUITING: "Recruiting",
    RecruitmentStatus.NOT_YET_RECRUITING: "Not yet recruiting",
    RecruitmentStatus.ENROLLING_BY_INVITATION: "Enrolling by invitation",
    RecruitmentStatus.ACTIVE_NOT_RECRUITING: "Active, not recruiting",
    RecruitmentStatus.COMPLETED: "Completed",
    RecruitmentStatus.SUSPENDED: "Suspended",
    RecruitmentStatus.TERMINATED: "Terminated",
    RecruitmentStatus.WITHDRAWN: "Withdrawn",
    RecruitmentStatus.UNKNOWN: "Status unknown",
    RecruitmentStatus.AVAILABLE: "Available",
    RecruitmentStatus.NO_LONGER_AVAILABLE: "No longer available",
    RecruitmentStatus.TEMPORARILY_NOT_AVAILABLE: "Temporarily not available",
    RecruitmentStatus.APPROVED_FOR_MARKETING: "Approved for marketing",
    RecruitmentStatus.WITHHELD: "Withheld",
}

PHASE = {
    Phase.NA: "Not applicable",
    Phase.EARLY_PHASE1: "Early phase 1",
    Phase.PHASE1: "Phase 1",
    Phase.PHASE2: "Phase 2",
    Phase.PHASE3: "Phase 3",
    Phase.PHASE4: "Phase 4",
}

SEX = {Sex.ALL: "All", Sex.FEMALE: "Female", Sex.MALE: "Male"}

STUDY_TYPE = {
    StudyType.INTERVENTIONAL: "Interventional",
    StudyType.OBSERVATIONAL: "Observational",
    StudyType.EXPANDED_ACCESS: "Expanded access",
}


def phases(values: tuple[Phase, ...]) -> str:
    """`Phase 1/Phase 2` as registries write a combined phase; `Not given` when there is none."""
    return "/".join(PHASE[value] for value in values) if values else "Not given"
