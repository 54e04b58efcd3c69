"""Trials for me, without a database: a person read from a description or a FHIR bundle (what retrieves their
trials), one trial's criteria screened on their facts, and the score that orders candidates."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from trialfinder.matching import EmptyDescription, match_score, patient_from_fhir, patient_from_text, screen
from trialfinder.registries.ctgov_v2.mapping import to_trial

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
TODAY = date(2026, 1, 1)
COLORECTAL_NEOPLASMS, COLONIC_NEOPLASMS, BREAST_NEOPLASMS = "D015179", "D003110", "D001943"


@pytest.fixture(scope="module")
def reference():
    return to_trial(json.loads((FIXTURES / "ctgov_v2" / "NCT06857773.json").read_text()))


@pytest.mark.parametrize("text", ["", "   \n", None])
def test_an_empty_description_is_refused_with_a_message(text):
    with pytest.raises(EmptyDescription, match="empty"):
        patient_from_text(text, today=TODAY)


def test_the_conditions_a_person_has_retrieve_not_those_denied_or_a_relatives():
    patient = patient_from_text(
        "62 year old woman with colon cancer. No diabetes. Her mother had breast cancer.", today=TODAY
    )
    concepts = {ui for topic in patient.topics for ui in topic.concepts}
    assert COLONIC_NEOPLASMS in concepts
    assert BREAST_NEOPLASMS not in concepts
    assert not any("diabetes" in topic.words for topic in patient.topics)
    assert patient.age_on(TODAY) == 62 and patient.sex == "female"


def test_a_reading_is_any_of_the_topics_with_their_broader_concepts():
    from trialfinder.concepts.vocabulary import Vocabulary

    vocabulary = Vocabulary.bundled()
    patient = patient_from_text("colon cancer with liver metastases", today=TODAY, vocabulary=vocabulary)
    reading = patient.reading(vocabulary)
    [clause] = reading.clauses  # one clause: any topic will do
    colon = next(term for term in clause.terms if COLONIC_NEOPLASMS in term.concepts)
    assert colon.words == ("colon", "cancer") and colon.phrase
    assert COLORECTAL_NEOPLASMS in colon.broader


def test_a_description_without_a_known_condition_is_searched_by_its_words():
    patient = patient_from_text("I keep getting these strange zorbitic episodes at night", today=TODAY)
    assert patient.topics == ()
    assert "zorbitic" in patient.fallback_words and "these" not in patient.fallback_words


def test_a_dutch_description_is_searched_by_the_concepts_english_names():
    patient = patient_from_text("Ik ben een vrouw van 60 jaar met darmkanker", language="nl", today=TODAY)
    [topic] = patient.topics
    assert COLORECTAL_NEOPLASMS in topic.concepts
    assert topic.words == ("colorectal", "neoplasms")
    assert patient.sex == "female" and patient.age_on(TODAY) == 60


def test_a_fhir_bundle_gives_its_conditions_age_and_sex():
    patient = patient_from_fhir((FIXTURES / "patients" / "TrialMatching_Patient02.json").read_text())
    concepts = {ui for topic in patient.topics for ui in topic.concepts}
    assert BREAST_NEOPLASMS in concepts
    # "(disorder)", SNOMED's semantic tag, is not a word of the condition.
    assert all("disorder" not in topic.words for topic in patient.topics)
    assert patient.sex == "female" and patient.age_on(TODAY) is not None


@pytest.mark.parametrize("bundle", ["not json", "[]", '{"resourceType": "Bundle", "entry": []}'])
def test_a_bundle_with_nothing_usable_is_refused_with_what_is_wrong(bundle):
    with pytest.raises(EmptyDescription, match="FHIR bundle"):
        patient_from_fhir(bundle)


def test_screening_counts_met_not_met_and_unknown(reference):
    adult = patient_from_text(
        "58 year old man with colorectal adenocarcinoma and liver metastases, ECOG 1", today=TODAY
    )
    child = patient_from_text("15 year old boy with colorectal cancer", today=TODAY)
    grown, young = screen(reference, adult.facts, today=TODAY), screen(reference, child.facts, today=TODAY)
    assert grown.nct_id == "NCT06857773"
    assert grown.not_met == 0 and grown.met >= 2 and grown.unknown > 0
    assert grown.verdict == "needs-review" and grown.ask
    # The registry's minimum age of 18 rules the boy out, and says so.
    assert young.not_met >= 1 and young.verdict == "not-eligible"
    assert any("18" in result.source_text for result in young.failing)
    assert young.met < grown.met


def test_answers_kept_for_a_trial_complete_the_description_and_others_are_ignored(reference):
    patient = patient_from_text("colorectal cancer", today=TODAY)
    without = screen(reference, patient.facts, today=TODAY)
    with_age = screen(reference, patient.facts, today=TODAY, answers={"birth_date": "2010-05-01"})
    assert with_age.not_met > without.not_met
    ignored = screen(reference, patient.facts, today=TODAY, answers={"no-such-question": "x"})
    assert (ignored.met, ignored.not_met, ignored.unknown) == (without.met, without.not_met, without.unknown)


def test_a_criterion_not_met_ranks_a_trial_below_an_equally_relevant_one(reference):
    adult = screen(reference, patient_from_text("58 year old man, colorectal cancer", today=TODAY).facts, today=TODAY)
    child = screen(reference, patient_from_text("15 year old boy, colorectal cancer", today=TODAY).facts, today=TODAY)
    assert match_score(8.0, 10.0, adult) > match_score(8.0, 10.0, child)
    assert match_score(10.0, 10.0, None) == 1.0
    assert match_score(3.0, 0.0, None) == 0.0


def test_what_rules_a_person_out_is_the_part_of_a_group_that_fails(reference):
    facts = patient_from_text("58 year old man with colorectal cancer", today=TODAY).facts
    low = {"lab:hemoglobin:value": "5.0", "lab:hemoglobin:unit": "mmol/L", "lab_date": TODAY.isoformat()}
    screening = screen(reference, facts, today=TODAY, answers=low)
    texts = [result.source_text for result in screening.failing]
    assert screening.not_met >= 1
    # The laboratory group fails because of its haemoglobin line: that line is named, not the group's heading.
    assert any(text.startswith("Hb") for text in texts), texts
    assert not any(text.startswith("Laboratory requirements") for text in texts), texts
