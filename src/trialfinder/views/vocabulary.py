"""The site's words for the registry's codes, marked for translation.

The English words for statuses, phases, sexes and study types repeat `views.labels` (the command line's), so that
the extractor finds them here; a test keeps the two equal. Codes without a word here are shown as registered.
"""

from __future__ import annotations

from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType
from trialfinder.views.i18n import N_

STATUS = {
    RecruitmentStatus.RECRUITING: N_("Recruiting"),
    RecruitmentStatus.NOT_YET_RECRUITING: N_("Not yet recruiting"),
    RecruitmentStatus.ENROLLING_BY_INVITATION: N_("Enrolling by invitation"),
    RecruitmentStatus.ACTIVE_NOT_RECRUITING: N_("Active, not recruiting"),
    RecruitmentStatus.COMPLETED: N_("Completed"),
    RecruitmentStatus.SUSPENDED: N_("Suspended"),
    RecruitmentStatus.TERMINATED: N_("Terminated"),
    RecruitmentStatus.WITHDRAWN: N_("Withdrawn"),
    RecruitmentStatus.UNKNOWN: N_("Status unknown"),
    RecruitmentStatus.AVAILABLE: N_("Available"),
    RecruitmentStatus.NO_LONGER_AVAILABLE: N_("No longer available"),
    RecruitmentStatus.TEMPORARILY_NOT_AVAILABLE: N_("Temporarily not available"),
    RecruitmentStatus.APPROVED_FOR_MARKETING: N_("Approved for marketing"),
    RecruitmentStatus.WITHHELD: N_("Withheld"),
}

# What each status means for someone hoping to take part: shown beside the checkboxes and on the trial page.
STATUS_HINT = {
    RecruitmentStatus.RECRUITING: N_("looking for participants now"),
    RecruitmentStatus.NOT_YET_RECRUITING: N_("will start looking for participants soon"),
    RecruitmentStatus.ENROLLING_BY_INVITATION: N_("only people invited by the study team"),
    RecruitmentStatus.ACTIVE_NOT_RECRUITING: N_("running, but no longer taking new participants"),
    RecruitmentStatus.COMPLETED: N_("finished"),
    RecruitmentStatus.SUSPENDED: N_("paused; it may start again"),
    RecruitmentStatus.TERMINATED: N_("stopped early"),
    RecruitmentStatus.WITHDRAWN: N_("stopped before anyone took part"),
    RecruitmentStatus.UNKNOWN: N_("not updated by the study team for a long time"),
    RecruitmentStatus.AVAILABLE: N_("expanded access: the treatment can be requested"),
    RecruitmentStatus.NO_LONGER_AVAILABLE: N_("expanded access that has ended"),
    RecruitmentStatus.TEMPORARILY_NOT_AVAILABLE: N_("expanded access that is paused"),
    RecruitmentStatus.APPROVED_FOR_MARKETING: N_("the treatment has been approved"),
    RecruitmentStatus.WITHHELD: N_("details withheld by the sponsor"),
}

# The statuses the search form shows as checkboxes (the other expanded-access ones appear when asked for).
FORM_STATUSES = (
    RecruitmentStatus.RECRUITING,
    RecruitmentStatus.NOT_YET_RECRUITING,
    RecruitmentStatus.ENROLLING_BY_INVITATION,
    RecruitmentStatus.ACTIVE_NOT_RECRUITING,
    RecruitmentStatus.COMPLETED,
    RecruitmentStatus.SUSPENDED,
    RecruitmentStatus.TERMINATED,
    RecruitmentStatus.WITHDRAWN,
    RecruitmentStatus.UNKNOWN,
    RecruitmentStatus.AVAILABLE,
)

PHASE = {
    Phase.NA: N_("Not applicable"),
    Phase.EARLY_PHASE1: N_("Early phase 1"),
    Phase.PHASE1: N_("Phase 1"),
    Phase.PHASE2: N_("Phase 2"),
    Phase.PHASE3: N_("Phase 3"),
    Phase.PHASE4: N_("Phase 4"),
}
NO_PHASE = N_("Not given")

SEX = {Sex.ALL: N_("All"), Sex.FEMALE: N_("Female"), Sex.MALE: N_("Male")}

STUDY_TYPE = {
    StudyType.INTERVENTIONAL: N_("Interventional"),
    StudyType.OBSERVATIONAL: N_("Observational"),
    StudyType.EXPANDED_ACCESS: N_("Expanded access"),
}

ARM_TYPE = {
    "EXPERIMENTAL": N_("Experimental"),
    "ACTIVE_COMPARATOR": N_("Active comparator"),
    "PLACEBO_COMPARATOR": N_("Placebo comparator"),
    "SHAM_COMPARATOR": N_("Sham comparator"),
    "NO_INTERVENTION": N_("No intervention"),
    "OTHER": N_("Other"),
}

INTERVENTION_TYPE = {
    "DRUG": N_("Drug"),
    "DEVICE": N_("Device"),
    "BIOLOGICAL": N_("Biological"),
    "PROCEDURE": N_("Procedure"),
    "RADIATION": N_("Radiation"),
    "BEHAVIORAL": N_("Behavioural"),
    "GENETIC": N_("Genetic"),
    "DIETARY_SUPPLEMENT": N_("Dietary supplement"),
    "COMBINATION_PRODUCT": N_("Combination product"),
    "DIAGNOSTIC_TEST": N_("Diagnostic test"),
    "OTHER": N_("Other"),
}

ALLOCATION = {
    "RANDOMIZED": N_("Randomised"),
    "NON_RANDOMIZED": N_("Not randomised"),
    "NA": N_("Not applicable"),
}

PRIMARY_PURPOSE = {
    "TREATMENT": N_("Treatment"),
    "PREVENTION": N_("Prevention"),
    "DIAGNOSTIC": N_("Diagnosis"),
    "SUPPORTIVE_CARE": N_("Supportive care"),
    "SCREENING": N_("Screening"),
    "HEALTH_SERVICES_RESEARCH": N_("Health services research"),
    "BASIC_SCIENCE": N_("Basic science"),
    "DEVICE_FEASIBILITY": N_("Device feasibility"),
    "ECT": N_("Early clinical testing"),
    "OTHER": N_("Other"),
}

MASKING = {
    "NONE": N_("None (open label)"),
    "SINGLE": N_("Single blind"),
    "DOUBLE": N_("Double blind"),
    "TRIPLE": N_("Triple blind"),
    "QUADRUPLE": N_("Quadruple blind"),
}

ENROLLMENT_TYPE = {"ACTUAL": N_("actual"), "ESTIMATED": N_("estimated"), "ANTICIPATED": N_("estimated")}

CONTACT_ROLE = {
    "CONTACT": N_("Contact"),
    "PRINCIPAL_INVESTIGATOR": N_("Principal investigator"),
    "SUB_INVESTIGATOR": N_("Sub-investigator"),
    "STUDY_CHAIR": N_("Study chair"),
    "STUDY_DIRECTOR": N_("Study director"),
}

VOCABULARIES = {
    "status": STATUS,
    "status_hint": STATUS_HINT,
    "phase": PHASE,
    "sex": SEX,
    "study_type": STUDY_TYPE,
    "arm_type": ARM_TYPE,
    "intervention_type": INTERVENTION_TYPE,
    "allocation": ALLOCATION,
    "primary_purpose": PRIMARY_PURPOSE,
    "masking": MASKING,
    "enrollment_type": ENROLLMENT_TYPE,
    "contact_role": CONTACT_ROLE,
}


def status_class(status: RecruitmentStatus | None) -> str:
    """How a status badge looks: open now, opening (or by invitation), or closed."""
    if status in (RecruitmentStatus.RECRUITING, RecruitmentStatus.AVAILABLE):
        return "open"
    if status in (RecruitmentStatus.NOT_YET_RECRUITING, RecruitmentStatus.ENROLLING_BY_INVITATION):
        return "soon"
    return "closed"
