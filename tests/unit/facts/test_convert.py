"""Facts from text as the eligibility engine's PatientFacts: criteria answered from what was found, and only that."""

from __future__ import annotations

from datetime import date

import pytest

from trialfinder.eligibility import parse_criteria
from trialfinder.eligibility.evaluate import evaluate
from trialfinder.eligibility.logic import MET, NOT_MET, UNKNOWN
from trialfinder.facts import read_facts, to_eligibility_facts

TODAY = date(2026, 1, 1)

NOTE = (
    "A 62-year-old woman with metastatic colorectal cancer, liver metastases, no brain metastases. "
    "No history of diabetes. Her mother had breast cancer. Hb 10.5 g/dL, creatinine 1.1 mg/dL, ECOG 1. "
    "KRAS mutation, dMMR. Two prior lines of chemotherapy. Not pregnant. "
    "The patient will provide informed consent."
)


def verdict(criterion: str, section: str = "Inclusion", note: str = NOTE):
    tree = parse_criteria(f"{section} Criteria:\n- {criterion}")
    facts = to_eligibility_facts(read_facts(note, today=TODAY))
    return evaluate(tree, facts, today=TODAY).results[0].verdict


@pytest.mark.parametrize(
    ("criterion", "section", "expected"),
    [
        ("Age 18 years or older", "Inclusion", MET),
        ("Age 70 or older", "Inclusion", NOT_MET),
        ("Female", "Inclusion", MET),
        ("Hemoglobin >= 9 g/dL", "Inclusion", MET),
        ("Hemoglobin >= 11 g/dL", "Inclusion", NOT_MET),
        ("ECOG performance status 0-1", "Inclusion", MET),
        ("Liver metastases", "Inclusion", MET),
        ("Brain metastases", "Exclusion", NOT_MET),
        ("Diabetes mellitus", "Exclusion", NOT_MET),
        ("Breast cancer", "Exclusion", UNKNOWN),  # the mother's, not hers
        ("Pregnant", "Exclusion", NOT_MET),
        ("Pregnant or breastfeeding", "Exclusion", UNKNOWN),  # breastfeeding not said
        ("Prior chemotherapy", "Inclusion", MET),
        ("dMMR", "Inclusion", MET),
        ("KRAS wild-type", "Inclusion", NOT_MET),
        ("Able to give written informed consent", "Inclusion", MET),
        ("Unable to give informed consent", "Exclusion", NOT_MET),
        ("Hepatitis B infection", "Exclusion", UNKNOWN),
        ("Platelets >= 100 x 10^9/L", "Inclusion", UNKNOWN),
    ],
)
def test_criteria_answered_from_the_note(criterion, section, expected):
    assert verdict(criterion, section) is expected


def test_nothing_found_is_unknown_everywhere():
    facts = to_eligibility_facts(read_facts(""))
    assert facts == type(facts)()


def test_no_past_medical_history_denies_chronic_illnesses_but_not_those_named():
    note = "A 40-year-old woman with no past medical history but hypertension."
    assert verdict("Diabetes", "Exclusion", note) is NOT_MET
    assert verdict("Hypertension", "Exclusion", note) is MET


def test_dutch_note():
    note = "Vrouw van 62 jaar met borstkanker, geen suikerziekte."
    assert verdict("Female", note=note) is UNKNOWN or verdict("Female", note=note) is MET
    facts = to_eligibility_facts(read_facts(note, language="nl"))
    assert facts.sex == "female" and facts.age_years == 62
    assert facts.statements.get("diagnosis:diabetes") is False
