"""Reasons a patient understands (issue #15): an answer is said back as a sentence, what the trial asks is said
when the answer goes against it, and each criterion is labelled by its section ("Does not apply to you" for an
exclusion that does not apply, never "Fits"), in English and Dutch."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import FIXTURES

from trialfinder.eligibility import assess, criteria_for_trial, facts_from_answers, parse_criteria, questionnaire
from trialfinder.eligibility.evaluate import OUTCOMES, _geen
from trialfinder.eligibility.facts import MedicationRecord, PatientFacts
from trialfinder.eligibility.logic import Verdict
from trialfinder.eligibility.model import Section
from trialfinder.registries.ctgov_v2.mapping import to_trial

TODAY = date(2025, 3, 3)


@pytest.fixture(scope="module")
def tree():
    return criteria_for_trial(to_trial(json.loads((FIXTURES / "ctgov_v2" / "NCT06857773.json").read_text())))


def result(tree, answers, criterion_id, language="en", facts=None):
    facts = facts_from_answers(tree, answers, today=TODAY) if facts is None else facts
    return assess(tree, facts, today=TODAY, language=language).result(criterion_id)


def test_a_treatment_the_trial_rules_out_is_said_in_a_sentence_with_what_the_trial_asks(tree):
    had = result(tree, {"prior:systemic": "yes"}, "inc-5")
    assert had.label == "Does not fit"
    assert had.reason == (
        "You have had cancer medicines given through the blood or as tablets (chemotherapy, targeted therapy, "
        "immunotherapy, hormone therapy). This trial is for people who have not had cancer medicines given through "
        "the blood or as tablets (chemotherapy, targeted therapy, immunotherapy, hormone therapy) for bowel cancer "
        "(colon or rectal cancer)."
    )
    dutch = result(tree, {"prior:systemic": "yes"}, "inc-5", language="nl")
    assert dutch.label == "Past niet"
    assert dutch.reason.startswith("U hebt kankermedicijnen via het bloed of als tablet")
    assert "Dit onderzoek is voor mensen die geen kankermedicijnen" in dutch.reason
    assert dutch.reason.endswith("voor darmkanker (dikkedarm- of endeldarmkanker) hebben gehad.")


def test_a_fit_needs_no_second_sentence(tree):
    fit = result(tree, {"prior:systemic": "no"}, "inc-5")
    assert fit.label == "Fits" and fit.reason.startswith("You have not had cancer medicines")
    assert "This trial" not in fit.reason


def test_an_exclusion_that_does_not_apply_says_so(tree):
    mmr = result(tree, {"biomarker:mmr:deficient": "no"}, "exc-5")
    assert (mmr.outcome, mmr.label) == ("exclusion_does_not_apply", "Does not apply to you")
    assert mmr.reason == "A test of your tumour has not shown: mismatch repair (MMR), deficient."
    pregnancy = result(tree, {"pregnancy": "no"}, "exc-7", language="nl")
    assert (pregnancy.label, pregnancy.reason) == (
        "Geldt niet voor u",
        "U bent niet zwanger en geeft geen borstvoeding.",
    )


def test_an_exclusion_that_applies_says_what_rules_the_person_out(tree):
    pregnant = result(tree, {"pregnancy": "yes"}, "exc-7")
    assert (pregnant.outcome, pregnant.label) == ("exclusion_applies", "Applies to you — this rules you out")
    assert pregnant.reason == (
        "You are pregnant or breastfeeding. This trial is not for people who are pregnant or breastfeeding."
    )
    liver = result(tree, {"diagnosis:liver_disease": "yes"}, "exc-15", language="nl")
    assert liver.label == "Geldt voor u — dit sluit u uit"
    assert liver.reason == (
        "U hebt (of had) een leverziekte (zoals leverfibrose of levercirrose). Dit onderzoek is niet voor mensen "
        "die een leverziekte (zoals leverfibrose of levercirrose) hebben (of hadden)."
    )


def test_dutch_negates_with_geen(tree):
    no_liver = result(tree, {"diagnosis:liver_disease": "no"}, "exc-15", language="nl")
    assert no_liver.reason == "U hebt (en had) geen leverziekte (zoals leverfibrose of levercirrose)."
    assert _geen("een wond die niet geneest, een zweer (ulcus) of een botbreuk") == (
        "geen wond die niet geneest, zweer (ulcus) of botbreuk"
    )
    assert _geen("bestraling (radiotherapie) van de lever") == "geen bestraling (radiotherapie) van de lever"


def test_an_exception_that_applies_is_named(tree):
    coumarin = result(tree, {"lab:inr:value": "1.8", "lab:inr:uln": "1.2", "medication:coumarins": "yes"}, "inc-13-9")
    assert coumarin.verdict is Verdict.MET
    assert "The trial makes an exception for people who take a coumarin blood thinner" in coumarin.reason


def test_a_record_that_rules_out_says_what_the_trial_asks(tree):
    folfox = PatientFacts(medications=(MedicationRecord("FOLFOX", start=date(2024, 10, 1), end=date(2024, 12, 1)),))
    prior = result(tree, {}, "inc-5", facts=folfox)
    assert prior.reason.startswith('Your records mention "FOLFOX". This trial is for people who have not had')


@pytest.mark.parametrize("language", ["en", "nl"])
@pytest.mark.parametrize("value", ["yes", "no"])
def test_no_answered_criterion_reads_you_answered(tree, language, value):
    answers = {q.id: value for q in questionnaire(tree).questions if q.kind == "yes_no"}
    assessment = assess(tree, facts_from_answers(tree, answers, today=TODAY), today=TODAY, language=language)
    stack = list(assessment.results)
    while stack:
        item = stack.pop()
        stack.extend(item.children)
        assert "answered" not in item.reason and "geantwoord" not in item.reason, (item.id, item.reason)


def test_comparators_are_words():
    assessment = assess(parse_criteria("Age ≥ 18 years"), PatientFacts(birth_date=date(2000, 1, 1)), today=TODAY)
    assert assessment.results[0].reason == "You are 25 years old; the study asks for at least 18 years."


def test_every_section_and_verdict_has_a_label_in_both_languages():
    from trialfinder.eligibility.messages import text

    assert {section for section, _ in OUTCOMES} == set(Section)
    for outcome in OUTCOMES.values():
        assert text("en", f"outcome.{outcome}") and text("nl", f"outcome.{outcome}")
    assert "Fits" not in {text("en", f"outcome.{o}") for o in OUTCOMES.values() if o.startswith("exclusion")}
