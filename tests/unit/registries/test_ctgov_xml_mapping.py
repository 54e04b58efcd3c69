"""Legacy ClinicalTrials.gov XML -> Trial: real records field by field, broken input, and the whole corpus."""

from __future__ import annotations

import re
import tarfile
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest
from conftest import require_shared

from trialfinder.domain.errors import InvalidRecord, RecordTooLarge
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
    Site,
    StudyType,
)
from trialfinder.domain.values import Age, AgeRange, AgeUnit, PartialDate
from trialfinder.registries import fields
from trialfinder.registries.ctgov_xml.mapping import SOURCE_FORMAT, to_trial
from trialfinder.registries.fields import Warnings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ctgov_xml"


def record(nct: str) -> bytes:
    return (FIXTURES / f"{nct}.xml").read_bytes()


def mapped(nct: str):
    notes = Warnings()
    trial = to_trial(record(nct), notes)
    assert notes == [], "the real fixtures map without a single note"
    return trial


def study(inner: str = "", *, nct: str = "NCT00000102", title: str = "A title") -> str:
    """A minimal record: an id, a title, and whatever else a test needs."""
    return f"<clinical_study><id_info><nct_id>{nct}</nct_id></id_info><brief_title>{title}</brief_title>{inner}</clinical_study>"


# --- real records, field by field -------------------------------------------------------------------------------


def test_a_phase_1_2_trial_with_one_site_and_mesh_terms():
    trial = mapped("NCT00000102")

    assert trial.nct_id == "NCT00000102"
    assert trial.source_format == SOURCE_FORMAT == "ctgov-xml"
    assert trial.brief_title == "Congenital Adrenal Hyperplasia: Calcium Channels as Therapeutic Targets"
    assert trial.official_title is None
    assert trial.org_study_id == "NCRR-M01RR01070-0506"
    assert trial.other_ids == (OtherId("M01RR001070"),)
    assert trial.overall_status is RecruitmentStatus.COMPLETED
    assert trial.phases == (Phase.PHASE1, Phase.PHASE2)
    assert trial.study_type is StudyType.INTERVENTIONAL
    assert (trial.allocation, trial.primary_purpose, trial.masking) == (None, "TREATMENT", "DOUBLE")
    assert trial.enrollment is None
    assert trial.start_date is None
    assert trial.first_posted == PartialDate(1999, 11, 4)
    assert trial.last_update == PartialDate(2005, 6, 24)
    assert trial.lead_sponsor == Organization("National Center for Research Resources (NCRR)", "NIH")
    assert trial.conditions == ("Congenital Adrenal Hyperplasia",)
    assert trial.mesh_terms == (
        MeshTerm(None, "Adrenal Hyperplasia, Congenital"),
        MeshTerm(None, "Adrenogenital Syndrome"),
        MeshTerm(None, "Adrenocortical Hyperfunction"),
        MeshTerm(None, "Hyperplasia"),
    )
    assert trial.interventions == (Intervention("DRUG", "Nifedipine"),)
    assert trial.brief_summary == (
        "This study will test the ability of extended release nifedipine (Procardia XL), a blood pressure "
        "medication, to permit a decrease in the dose of glucocorticoid medication children take to treat "
        "congenital adrenal hyperplasia (CAH)."
    )
    assert trial.detailed_description.startswith("This protocol is designed to assess both acute and chronic effects")
    assert trial.eligibility.criteria == (
        "Inclusion Criteria:\n\n"
        "* diagnosed with Congenital Adrenal Hyperplasia (CAH)\n"
        "* normal ECG during baseline evaluation\n\n"
        "Exclusion Criteria:\n\n"
        "* history of liver disease, or elevated liver function tests\n"
        "* history of cardiovascular disease"
    )
    assert trial.eligibility.sex is Sex.ALL
    assert trial.eligibility.ages == AgeRange(Age(14, AgeUnit.YEARS), Age(35, AgeUnit.YEARS))
    assert trial.eligibility.healthy_volunteers is False
    assert trial.eligibility.standard_ages == ("CHILD", "ADULT")
    assert trial.sites == (
        Site(
            facility="Medical University of South Carolina",
            city="Charleston",
            state="South Carolina",
            country="United States",
        ),
    )
    assert trial.sites[0].coordinates is None  # the XML has none: the gazetteer fills them later
    assert trial.central_contacts == ()
    assert trial.has_results is False


def test_site_contacts_investigators_and_central_contacts():
    trial = mapped("NCT00495183")

    (site,) = trial.sites
    assert site.facility == "Hospital Universitari Vall d'Hebron"
    assert (site.city, site.state, site.postal_code, site.country) == ("Barcelona", "Catalonia", "08035", "Spain")
    assert site.status is RecruitmentStatus.RECRUITING
    assert site.contacts == (
        Contact("Miquel Casas, Prof", "CONTACT", "0034 93 489 42 94", None, "mcasas@vhebron.net"),
        Contact("Xavier Castells, MD", "CONTACT", email="xcc@icf.uab.cat"),
        Contact("Carlos Roncero, MD", "SUB_INVESTIGATOR"),
        Contact("Castells Xavier, MD", "SUB_INVESTIGATOR"),
        Contact("Gonzalvo Begoña, MD", "SUB_INVESTIGATOR"),
    )
    assert trial.central_contacts == (
        Contact("Miquel Casas, Prof.", "CONTACT", "0034 93 489 42 94", None, "mcasas@vhebron.net"),
        Contact("Xavier Castells, MD", "CONTACT", "0034 93 489 42 94", None, "xcc@icf.uab.cat"),
    )


def test_unknown_status_design_codes_arms_and_outcomes():
    trial = mapped("NCT00495183")

    assert trial.overall_status is RecruitmentStatus.UNKNOWN  # "Unknown status"
    # What the registry last knew: <last_known_status>Recruiting</last_known_status>, verified "May 2010".
    assert trial.last_known_status is RecruitmentStatus.RECRUITING
    assert trial.status_verified == PartialDate(2010, 5)
    assert trial.status_is_stale
    assert mapped("NCT00463359").last_known_status is RecruitmentStatus.NOT_YET_RECRUITING
    completed = mapped("NCT00000102")
    assert completed.last_known_status is None and not completed.status_is_stale
    assert completed.status_verified == PartialDate(2004, 1)  # "January 2004"
    # "eudraCT 2005-06-01" names EudraCT but is no EudraCT number: kept as written, not taken for one.
    assert trial.other_ids == (OtherId("eudraCT 2005-06-01"),)
    assert trial.eu_ct_numbers == ()
    assert trial.phases == (Phase.PHASE4,)
    assert trial.enrollment == Enrollment(108, "ESTIMATED")  # type="Anticipated"
    assert (trial.allocation, trial.primary_purpose) == ("RANDOMIZED", "TREATMENT")
    assert trial.masking == "TRIPLE"  # "Triple (Participant, Investigator, Outcomes Assessor)"
    assert trial.start_date == PartialDate(2009, 1)  # "January 2009"
    assert trial.primary_completion_date == PartialDate(2010, 7)
    assert trial.completion_date == PartialDate(2010, 7)
    assert trial.lead_sponsor == Organization("Hospital Universitari Vall d'Hebron Research Institute", "OTHER")
    assert trial.keywords == ("cocaine dependence", "cocaine use", "CNS stimulants", "caffeine", "biperiden", "placebo")
    assert trial.arms == (
        Arm("1", "EXPERIMENTAL", "caffeine + placebo", ("Drug: caffeine",)),
        Arm("2", "EXPERIMENTAL", "caffeine + biperiden", ("Drug: caffeine", "Drug: Biperiden")),
        Arm("3", "PLACEBO_COMPARATOR", "Placebo+placebo", ("Drug: Placebo",)),
    )
    assert trial.interventions[0] == Intervention(
        "DRUG",
        "caffeine",
        "caffeine from 300 to 1200 mg/d or 15 mg/kg/d, divided in 3 doses per day.",
        ("Durvitan",),
        ("1", "2"),
    )
    assert trial.primary_outcomes == (Outcome("survival", "22 weeks"), Outcome("cocaine use", "22 weeks"))
    assert trial.brief_summary.count("\n\n") == 1  # two paragraphs, each on one line
    assert trial.eligibility.standard_ages == ("ADULT",)


def test_nested_criteria_ages_in_months_and_a_site_phone_extension():
    trial = mapped("NCT00001159")

    assert trial.overall_status is RecruitmentStatus.RECRUITING
    assert trial.start_date == PartialDate(1977, 2, 1)
    assert trial.enrollment == Enrollment(2500, "ESTIMATED")
    assert trial.eligibility.ages == AgeRange(Age(6, AgeUnit.MONTHS), None)
    assert trial.eligibility.standard_ages == ("CHILD", "ADULT", "OLDER_ADULT")
    criteria = trial.eligibility.criteria
    # "-  INCLUSION CRITERIA:" is a heading written as a bullet: it becomes a heading line.
    assert criteria.startswith(
        "INCLUSION CRITERIA:\n\nThe categories of subjects eligible to participate in this study include:\n\n1. Patients"
    )
    # Bullets nested under a numbered item are indented to its text (three columns), after a blank line.
    assert (
        "2. Patients with thyroid function test (TFT) abnormalities due to:\n\n"
        "   * Non-thyroidal illness\n"
        "   * Abnormalities of serum TH binding proteins leading to euthyroid hyperthyroxinemia or "
        "hypotriiodothyronemia.\n"
        "   * Genetic deficiency of thyroxine-binding globulin (TBG).\n"
    ) in criteria
    assert criteria.endswith(
        "EXCLUSION CRITERIA:\n\nThere are no exclusion criteria for subjects with known or suspected thyroid abnormalities."
    )
    (site,) = trial.sites
    assert site.contacts == (
        Contact(
            "For more information at the NIH Clinical Center contact Office of Patient Recruitment (OPR)",
            "CONTACT",
            "800-411-1222",
            "TTY dial 711",
            "ccopr@nih.gov",
        ),
    )
    assert [contact.name for contact in trial.central_contacts] == [
        "Padmasree Veeraraghavan, N.P.",
        "Sriram M Gubbi, M.D.",
    ]


def test_heading_bullets_with_numbered_items_beneath_them():
    criteria = mapped("NCT00001184").eligibility.criteria

    assert criteria.startswith("INCLUSION CRITERIA:\n\n1. Patients with a verifiable diagnosis of Crohn s disease")
    assert (
        "6. To participate in the research biopsies during endoscopy, subjects must have the following lab values "
        "within two weeks of the procedure:\n\n"
        "   * Hematocrit greater than or equal to 30%\n"
        "   * Platelet count greater than 100,000\n"
        "   * PT INR less than or equal to 1.3 or PTT prolonged by less than or equal to 3 seconds\n"
        "7. Ability to consent to the protocol on their own.\n\n"
        "INCLUSION CRITERIA FOR HEALTHY VOLUNTEERS:\n\n"
        "1. Must be willing to undergo blood draw"
    ) in criteria


def test_a_withdrawn_female_only_trial_with_a_collaborator():
    trial = mapped("NCT00005614")

    assert trial.overall_status is RecruitmentStatus.WITHDRAWN
    assert trial.why_stopped == "no accrual"
    assert trial.eligibility.sex is Sex.FEMALE
    assert trial.eligibility.ages == AgeRange(Age(65, AgeUnit.YEARS), None)
    assert trial.eligibility.standard_ages == ("OLDER_ADULT",)
    assert trial.lead_sponsor == Organization("H. Lee Moffitt Cancer Center and Research Institute", "OTHER")
    assert trial.collaborators == (Organization("National Cancer Institute (NCI)", "NIH"),)
    assert trial.other_ids == (OtherId("NCI-G00-1748"),)
    assert trial.enrollment == Enrollment(0, "ACTUAL")
    assert (trial.allocation, trial.masking) == ("NA", "NONE")  # "N/A", "None (Open Label)"
    assert trial.phases == (Phase.PHASE2,)
    assert trial.start_date == PartialDate(1999, 8)
    assert trial.completion_date == PartialDate(2000, 6)
    assert trial.arms == (
        Arm(
            "Gemcitabine Treatment",
            "EXPERIMENTAL",
            trial.arms[0].description,
            ("Drug: Gemcitabine hydrochloride",),
        ),
    )
    assert trial.arms[0].description.startswith("Patients receive gemcitabine IV over 1 hour weekly")
    assert trial.interventions == (
        Intervention(
            "DRUG", "Gemcitabine hydrochloride", "Gemcitabine via IV", ("Gemzar",), ("Gemcitabine Treatment",)
        ),
    )
    assert trial.secondary_outcomes == (
        Outcome(
            "Number of Participants with Adverse Events",
            "2 years",
            "Investigators planned to review adverse events utilizing Common Toxicity Criteria (CTC) V3.",
        ),
    )
    # Outcome descriptions are plain text, kept as written ([ORR] is not escaped as it is in textblocks).
    assert "[ORR]" in trial.primary_outcomes[0].description
    assert trial.detailed_description.count("\n\n") == 2
    assert trial.eligibility.criteria.startswith("DISEASE CHARACTERISTICS: Metastatic breast cancer Measurable disease")
    assert trial.sites == ()


def test_eudract_number_and_collaborators():
    trial = mapped("NCT00463359")

    assert trial.other_ids == (OtherId("2007-001961-14", "EUDRACT_NUMBER"),)  # "EudraCT No: 2007-001961-14"
    assert trial.eu_ct_numbers == ("2007-001961-14",)
    assert trial.org_study_id == "WN07DE002"
    assert trial.lead_sponsor == Organization("University of Glasgow", "OTHER")
    assert trial.collaborators == (
        Organization("NHS Greater Glasgow and Clyde", "OTHER"),
        Organization("Glasgow Western Infirmary", "OTHER"),
    )
    assert trial.phases == (Phase.NA,)
    assert trial.enrollment == Enrollment(50, None)  # no type attribute
    assert trial.eligibility.ages == AgeRange(Age(49, AgeUnit.YEARS), Age(89, AgeUnit.YEARS))


def test_a_terminated_trial_with_results_and_a_gender_based_restriction():
    trial = mapped("NCT00006099")

    assert trial.overall_status is RecruitmentStatus.TERMINATED
    assert trial.why_stopped == "low study accrual"
    assert trial.has_results is True
    assert trial.eligibility.sex is Sex.FEMALE
    assert trial.eligibility.gender_based is True
    assert trial.eligibility.gender_description == "ovarian carcinoma patients"
    assert (trial.allocation, trial.primary_purpose, trial.masking) == ("NON_RANDOMIZED", "DIAGNOSTIC", "NONE")
    assert trial.enrollment == Enrollment(1, "ACTUAL")
    assert trial.start_date == PartialDate(2000, 8, 2)
    assert trial.primary_completion_date == PartialDate(2002, 2, 26)
    assert trial.last_update == PartialDate(2022, 10, 12)
    assert trial.other_ids == (OtherId("MSKCC-00047"), OtherId("NCI-G00-1828"), OtherId("LUD1998-013"))
    assert trial.interventions[0].type == "BIOLOGICAL"
    assert trial.interventions[0].arm_labels == (
        "Intraperitoneal (IP) Infusion of 111In-hu3S193",
        "Intravenous Infusion of 111In-hu3S193",
    )
    assert [arm.intervention_names for arm in trial.arms] == [
        ("Biological: Monoclonal antibody hu3S193",),
        ("Biological: Monoclonal antibody hu3S193",),
    ]
    # A hard line break in a plain-text description stays a line break, without its \r.
    assert "of 111In.\nPatients received 10 mCi" in trial.arms[0].description
    # Textblock characters that Markdown would read as markup are escaped, as v2 escapes them.
    assert "* Absolute neutrophil count (ANC) \\> 1.5 x 10\\^9/L" in trial.eligibility.criteria
    assert trial.mesh_terms == (MeshTerm(None, "Ovarian Neoplasms"), MeshTerm(None, "Carcinoma, Ovarian Epithelial"))


def test_a_patient_registry_is_observational():
    trial = mapped("NCT00008216")

    assert trial.study_type is StudyType.OBSERVATIONAL  # "Observational [Patient Registry]"
    assert trial.overall_status is RecruitmentStatus.TERMINATED
    assert trial.why_stopped == "Poor enrollment"
    assert trial.start_date == PartialDate(1996, 7)
    assert trial.eligibility.ages == AgeRange(Age(18, AgeUnit.YEARS), Age(65, AgeUnit.YEARS))
    assert trial.eligibility.standard_ages == ("ADULT", "OLDER_ADULT")


@pytest.mark.parametrize("nct", sorted(path.stem for path in FIXTURES.glob("*.xml")))
def test_text_and_bytes_map_alike_and_ids_match_file_names(nct):
    trial = to_trial(record(nct))
    assert trial.nct_id == nct
    assert to_trial(record(nct).decode("utf-8")) == trial


# --- coded values and their legacy spellings ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        ("Phase 1/Phase 2", (Phase.PHASE1, Phase.PHASE2)),
        ("Phase 2/Phase 3", (Phase.PHASE2, Phase.PHASE3)),
        ("Early Phase 1", (Phase.EARLY_PHASE1,)),
        ("Phase 4", (Phase.PHASE4,)),
        ("N/A", (Phase.NA,)),
    ],
)
def test_phases(phase, expected):
    notes = Warnings()
    assert to_trial(study(f"<phase>{phase}</phase>"), notes).phases == expected
    assert notes == []


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Recruiting", RecruitmentStatus.RECRUITING),
        ("Not yet recruiting", RecruitmentStatus.NOT_YET_RECRUITING),
        ("Active, not recruiting", RecruitmentStatus.ACTIVE_NOT_RECRUITING),
        ("Enrolling by invitation", RecruitmentStatus.ENROLLING_BY_INVITATION),
        ("Unknown status", RecruitmentStatus.UNKNOWN),
        ("Completed", RecruitmentStatus.COMPLETED),
        ("Terminated", RecruitmentStatus.TERMINATED),
        ("Withdrawn", RecruitmentStatus.WITHDRAWN),
        ("Suspended", RecruitmentStatus.SUSPENDED),
        ("Available", RecruitmentStatus.AVAILABLE),
        ("No longer available", RecruitmentStatus.NO_LONGER_AVAILABLE),
        ("Temporarily not available", RecruitmentStatus.TEMPORARILY_NOT_AVAILABLE),
        ("Approved for marketing", RecruitmentStatus.APPROVED_FOR_MARKETING),
        ("Withheld", RecruitmentStatus.WITHHELD),
    ],
)
def test_every_legacy_status(status, expected):
    notes = Warnings()
    trial = to_trial(study(f"<overall_status>{status}</overall_status>"), notes)
    assert trial.overall_status is expected
    assert notes == []


def test_old_both_gender_means_all_and_expanded_access_is_a_study_type():
    notes = Warnings()
    trial = to_trial(
        study("<study_type>Expanded Access</study_type><eligibility><gender>Both</gender></eligibility>"), notes
    )
    assert trial.eligibility.sex is Sex.ALL
    assert trial.study_type is StudyType.EXPANDED_ACCESS
    assert notes == []


@pytest.mark.parametrize(
    ("inner", "field", "expected"),
    [
        ("<study_design_info><primary_purpose>Educational/Counseling/Training</primary_purpose></study_design_info>",
         "primary_purpose", "ECT"),
        ("<study_design_info><primary_purpose>Supportive Care</primary_purpose></study_design_info>",
         "primary_purpose", "SUPPORTIVE_CARE"),
        (("<study_design_info><masking>Quadruple (Participant, Care Provider, Investigator, Outcomes Assessor)"
          "</masking></study_design_info>"), "masking", "QUADRUPLE"),
        ("<sponsors><lead_sponsor><agency>VA</agency><agency_class>U.S. Fed</agency_class></lead_sponsor></sponsors>",
         "lead_sponsor", Organization("VA", "FED")),
        ("<sponsors><lead_sponsor><agency>Acme</agency><agency_class>Industry</agency_class></lead_sponsor></sponsors>",
         "lead_sponsor", Organization("Acme", "INDUSTRY")),
    ],
)  # fmt: skip
def test_display_values_become_v2_codes(inner, field, expected):
    assert getattr(to_trial(study(inner)), field) == expected


@pytest.mark.parametrize(
    ("minimum", "maximum", "groups"),
    [
        ("N/A", "17 Years", ("CHILD",)),
        ("18 Years", "N/A", ("ADULT", "OLDER_ADULT")),
        ("18 Years", "64 Years", ("ADULT",)),
        ("65 Years", "N/A", ("OLDER_ADULT",)),
        ("1 Day", "216 Months", ("CHILD", "ADULT")),
        ("N/A", "N/A", ("CHILD", "ADULT", "OLDER_ADULT")),
    ],
)
def test_standard_age_groups_are_derived_as_v2_does(minimum, maximum, groups):
    trial = to_trial(
        study(f"<eligibility><minimum_age>{minimum}</minimum_age><maximum_age>{maximum}</maximum_age></eligibility>")
    )
    assert trial.eligibility.standard_ages == groups


def test_secondary_ids_written_with_an_eudract_label_are_reduced_to_the_number():
    inner = (
        "<id_info><nct_id>NCT00000102</nct_id><secondary_id>EUDRACT-2005-000134-20</secondary_id>"
        "<secondary_id>Eudract number: 2007-000713-11</secondary_id><secondary_id>2006-004265-34</secondary_id>"
        "<secondary_id>EUDRACT-58585610</secondary_id></id_info><brief_title>T</brief_title>"
    )
    trial = to_trial(f"<clinical_study>{inner}</clinical_study>")
    assert trial.other_ids == (
        OtherId("2005-000134-20", "EUDRACT_NUMBER"),
        OtherId("2007-000713-11", "EUDRACT_NUMBER"),
        OtherId("2006-004265-34"),
        OtherId("EUDRACT-58585610"),
    )
    assert trial.eu_ct_numbers == ("2005-000134-20", "2007-000713-11", "2006-004265-34")


def test_the_official_title_stands_in_for_a_missing_brief_title():
    xml = "<clinical_study><id_info><nct_id>NCT00000102</nct_id></id_info><official_title>Official</official_title></clinical_study>"
    trial = to_trial(xml)
    assert (trial.brief_title, trial.official_title) == ("Official", "Official")


# --- broken input ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b"this is not xml", "not well-formed XML"),
        (b"", "not well-formed XML"),
        ("<clinical_study><id_info>", "not well-formed XML"),
        (b"<study><id_info><nct_id>NCT00000102</nct_id></id_info><brief_title>T</brief_title></study>",
         "root element is <study>"),
        ("<clinical_study><brief_title>T</brief_title></clinical_study>", "id_info/nct_id is missing"),
        (study(nct="  "), "id_info/nct_id is missing"),
        (study(nct="NCT123"), "id_info/nct_id: not an NCT id"),
        (study(nct="ISRCTN12345678"), "id_info/nct_id: not an NCT id"),
        (study(title=""), "neither brief_title nor official_title"),
        (42, "must be bytes or text"),
    ],
)  # fmt: skip
def test_records_that_cannot_be_a_trial_are_rejected_with_a_one_line_reason(xml, reason):
    with pytest.raises(InvalidRecord, match=re.escape(reason)) as raised:
        to_trial(xml)
    assert "\n" not in str(raised.value)


def test_a_truncated_record_is_rejected():
    whole = record("NCT00495183")
    with pytest.raises(InvalidRecord, match="not well-formed XML"):
        to_trial(whole[: len(whole) // 2])


def test_a_dtd_is_refused_before_any_entity_is_expanded():
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE clinical_study [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + study(title="&b;")
    )
    with pytest.raises(InvalidRecord, match="DOCTYPE"):
        to_trial(bomb)


def test_an_absurdly_long_title_is_a_broken_record():
    with pytest.raises(RecordTooLarge, match="brief_title"):
        to_trial(study(title="x" * (fields.TITLE_LIMIT + 1)))


def test_absurdly_long_criteria_are_a_broken_record():
    criteria = "word " * (fields.LONG_TEXT_LIMIT // 4)
    with pytest.raises(RecordTooLarge, match="criteria"):
        to_trial(study(f"<eligibility><criteria><textblock>{criteria}</textblock></criteria></eligibility>"))


def test_an_unknown_status_is_kept_as_unknown_with_a_note():
    notes = Warnings()
    trial = to_trial(study("<overall_status>Paused indefinitely</overall_status>"), notes)
    assert trial.overall_status is RecruitmentStatus.UNKNOWN
    assert len(notes) == 1 and notes[0].startswith("overall_status: unknown value")


def test_a_malformed_date_is_dropped_with_a_note_and_the_others_kept():
    notes = Warnings()
    trial = to_trial(
        study("<start_date>Smarch 2007</start_date><completion_date>February 30, 2009</completion_date>"
              "<study_first_posted>July 2007</study_first_posted>"),
        notes,
    )  # fmt: skip
    assert (trial.start_date, trial.completion_date) == (None, None)
    assert trial.first_posted == PartialDate(2007, 7)
    assert [note.split(":")[0] for note in notes] == ["start_date", "completion_date"]


def test_other_unreadable_fields_are_dropped_with_notes():
    notes = Warnings()
    trial = to_trial(
        study(
            "<phase>Phase 5</phase><enrollment type='Actual'>about fifty</enrollment>"
            "<eligibility><gender>Unspecified</gender><minimum_age>eighteen</minimum_age>"
            "<maximum_age>65 Years</maximum_age><healthy_volunteers>Maybe</healthy_volunteers></eligibility>"
            "<location><facility>Just text</facility><status>Closed</status></location>"
            "<location><facility><name>Kept</name></facility><status>Recruiting</status>"
            "<contact><last_name>Ann</last_name></contact></location>"
            "<arm_group><description>no label</description></arm_group>"
            "<intervention><intervention_type>Drug</intervention_type></intervention>"
        ),
        notes,
    )
    assert trial.phases == ()
    assert trial.enrollment is None
    assert trial.eligibility.sex is Sex.ALL
    assert trial.eligibility.ages == AgeRange(None, Age(65, AgeUnit.YEARS))
    assert trial.eligibility.healthy_volunteers is None
    assert trial.sites == (
        Site(),
        Site(facility="Kept", status=RecruitmentStatus.RECRUITING, contacts=(Contact("Ann", "CONTACT"),)),
    )
    assert (trial.arms, trial.interventions) == ((), ())
    assert sorted(note.split(":")[0] for note in notes) == [
        "arm_group[0]",
        "enrollment",
        "gender",
        "healthy_volunteers",
        "intervention[0]",
        "location[0].facility",
        "location[0].status",
        "minimum_age",
        "phase",
    ]


def test_results_text_that_only_looks_like_the_results_tag_does_not_lose_the_record():
    # The results section is cut before parsing; a comment naming the tag must not cut real content.
    xml = study(
        "<!-- <clinical_results> -->"
        "<location><facility><name>Kept</name></facility></location>"
        "<clinical_results><baseline/></clinical_results>"
    )
    trial = to_trial(xml)
    assert [site.facility for site in trial.sites] == ["Kept"]
    assert trial.has_results is True


# --- the whole corpus ----------------------------------------------------------------------------------------------

_FORMATTER_BULLET = re.compile(r"^[ \t]*-  +(\S.*)$", re.MULTILINE)
_SECTION_HEADING = re.compile(r"(inclusion|exclusion|eligibility)\b.*criteria", re.IGNORECASE)
_MARKDOWN_BULLET = re.compile(r"^ *\* ", re.MULTILINE)
_NOT_WORD = re.compile(r"[\W_]+")


_TEXTBLOCKS = ("eligibility/criteria/textblock", "brief_summary/textblock", "detailed_description/textblock")


@pytest.fixture(scope="module")
def corpus():
    """Every record of legacy-xml.tar.gz: (file name, {textblock path: source text}, trial)."""
    path = require_shared("ctgov/legacy-xml.tar.gz")
    records = []
    with tarfile.open(path) as archive:
        for member in archive:
            if member.isfile() and member.name.endswith(".xml"):
                xml = archive.extractfile(member).read()
                root = ET.fromstring(xml)
                sources = {block: root.findtext(block) for block in _TEXTBLOCKS}
                records.append((Path(member.name).stem, sources, to_trial(xml)))
    return records


@pytest.mark.shared_data
@pytest.mark.slow
def test_every_record_of_the_corpus_maps_to_its_trial(corpus):
    assert len(corpus) == 6786
    assert [name for name, _, trial in corpus if trial.nct_id != name] == []


@pytest.mark.shared_data
@pytest.mark.slow
def test_corpus_counts_match_its_readme(corpus):
    statuses = Counter(trial.overall_status for _, _, trial in corpus)
    assert statuses[RecruitmentStatus.COMPLETED] == 5665
    assert statuses[RecruitmentStatus.UNKNOWN] == 474
    assert statuses[RecruitmentStatus.TERMINATED] == 385
    assert statuses[RecruitmentStatus.WITHDRAWN] == 117
    assert statuses[RecruitmentStatus.RECRUITING] == 76
    assert statuses[RecruitmentStatus.ACTIVE_NOT_RECRUITING] == 47
    assert sum(statuses.values()) - 5665 - 474 - 385 - 117 - 76 - 47 == 22
    assert sum(1 for _, _, trial in corpus if trial.eligibility.criteria) == 6771
    assert sum(1 for _, _, trial in corpus if trial.sites) == 5667
    types = Counter(trial.study_type for _, _, trial in corpus)
    # The README counts "Observational" as written; the 2 "Observational [Patient Registry]" records are too.
    assert (types[StudyType.INTERVENTIONAL], types[StudyType.OBSERVATIONAL]) == (5366, 1415 + 2)


@pytest.mark.shared_data
@pytest.mark.slow
def test_corpus_textblocks_become_markdown_that_keeps_every_word(corpus):
    failures = []
    for name, sources, trial in corpus:
        markdowns = (trial.eligibility.criteria, trial.brief_summary, trial.detailed_description)
        for path, markdown in zip(_TEXTBLOCKS, markdowns, strict=True):
            source = sources[path]
            if not source:
                continue
            markdown = markdown or ""
            if "\r" in markdown:
                failures.append(f"{name} {path}: a carriage return")
            if _NOT_WORD.sub("", unicodedata.normalize("NFC", source)) != _NOT_WORD.sub("", markdown):
                failures.append(f"{name} {path}: the words differ from the source's")
            bullets = [text for text in _FORMATTER_BULLET.findall(source) if not _SECTION_HEADING.search(text)]
            if bullets and len(_MARKDOWN_BULLET.findall(markdown)) < len(bullets):
                failures.append(f"{name} {path}: {len(bullets)} bullets in the source, fewer in the Markdown")
    assert failures == [], f"{len(failures)} textblocks: {failures[:5]}"
