"""Issue #14, item 5: wrong answers a patient would trust.

- A lab's upper limit of normal (ULN) that is 0, negative or not a finite number, or in a unit that cannot be
  converted, leaves a "× ULN" criterion UNKNOWN with a plain reason: never an exception, never a silent default.
"""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from trialfinder.eligibility import InvalidAnswers, assess, facts_from_answers, facts_from_fhir, parse_criteria
from trialfinder.eligibility.facts import LabResult, PatientFacts
from trialfinder.eligibility.logic import Verdict

TODAY = date(2025, 3, 3)


# --- The evaluator ---------------------------------------------------------------------------------------------


def one_criterion(text: str):
    return parse_criteria(f"Inclusion Criteria:\n\n* {text}\n")


def verdict_of(text: str, *labs: LabResult, **facts):
    assessment = assess(one_criterion(text), PatientFacts(labs=labs, **facts), today=TODAY)
    result = assessment.results[0]
    return result.verdict, result.reason, set(result.flags)


@pytest.mark.parametrize("uln", [0.0, -40.0, math.nan, math.inf, -math.inf])
def test_an_impossible_upper_limit_of_normal_is_unknown_not_an_error(uln):
    verdict, reason, flags = verdict_of("AST ≤ 2.5 x ULN", LabResult("ast", 30, "U/L", reference_high=uln))
    assert verdict is Verdict.UNKNOWN
    assert "upper limit of normal" in reason and "assumed_uln" not in flags


def test_an_upper_limit_in_a_unit_that_does_not_convert_is_unknown_not_replaced_by_the_usual_one():
    lab = LabResult("bilirubin", 30, "umol/L", reference_high=1.0, reference_unit="U/L")
    verdict, reason, flags = verdict_of("Total bilirubin ≤ 1.5 x ULN", lab)
    assert verdict is Verdict.UNKNOWN and "assumed_uln" not in flags
    assert "upper limit of normal" in reason


def test_a_result_that_is_not_a_finite_number_is_unknown():
    for value in (math.nan, math.inf):
        verdict, _, _ = verdict_of("AST ≤ 2.5 x ULN", LabResult("ast", value, "U/L", reference_high=40))
        assert verdict is Verdict.UNKNOWN
        verdict, _, _ = verdict_of("Hb ≥ 5.5 mmol/L", LabResult("hemoglobin", value, "mmol/L"))
        assert verdict is Verdict.UNKNOWN


def test_the_usual_upper_limit_is_still_assumed_when_the_lab_gives_none():
    # DOMAIN.md: a missing ULN may be assumed, and the verdict says so. 30 / 40 = 0.75 x ULN.
    verdict, reason, flags = verdict_of("AST ≤ 2.5 x ULN", LabResult("ast", 30, "U/L"))
    assert verdict is Verdict.MET and "assumed_uln" in flags and "assumed" in reason


# --- Answers and FHIR --------------------------------------------------------------------------------------------


def test_an_upper_limit_of_0_typed_in_the_questionnaire_is_a_mistake_beside_its_field():
    tree = one_criterion("AST ≤ 2.5 x ULN")
    answers = {"lab:ast:value": "30", "lab:ast:unit": "U/L", "lab:ast:uln": "0"}
    with pytest.raises(InvalidAnswers) as raised:
        facts_from_answers(tree, answers, today=TODAY)
    assert set(raised.value.errors) == {"lab:ast:uln"}


def observation(loinc: str, quantity: dict, **extra) -> dict:
    return {
        "resourceType": "Observation",
        "id": "o",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": "2025-02-28",
        "valueQuantity": quantity,
        **extra,
    }


def test_a_fhir_upper_limit_of_0_is_read_and_assessed_as_unknown():
    ast = observation("1920-8", {"value": 30, "code": "U/L"}, referenceRange=[{"high": {"value": 0, "code": "U/L"}}])
    read = facts_from_fhir({"resourceType": "Bundle", "entry": [{"resource": ast}]})
    assessment = assess(one_criterion("AST ≤ 2.5 x ULN"), read.facts, today=TODAY)
    assert assessment.results[0].verdict is Verdict.UNKNOWN


def test_a_fhir_value_that_is_not_a_finite_number_is_skipped():
    text = json.dumps({"resourceType": "Bundle", "entry": [{"resource": observation("1920-8", {"value": math.nan})}]})
    assert "NaN" in text  # Python's JSON reader accepts NaN and Infinity
    read = facts_from_fhir(text)
    assert read.facts.labs == ()
    assert any("no numeric value" in problem for problem in read.problems)


def test_a_fhir_upper_limit_in_an_unknown_unit_is_not_taken_as_the_results_unit():
    bili = observation(
        "14631-6", {"value": 30, "code": "umol/L"}, referenceRange=[{"high": {"value": 1.2, "unit": "mg per decilitre"}}]
    )
    read = facts_from_fhir({"resourceType": "Bundle", "entry": [{"resource": bili}]})
    (lab,) = read.facts.labs
    assert lab.reference_unit != "umol/L"
    assessment = assess(one_criterion("Total bilirubin ≤ 1.5 x ULN"), read.facts, today=TODAY)
    assert assessment.results[0].verdict is Verdict.UNKNOWN
