"""Criteria text longer than any registry record (the importer keeps up to 400,000 characters; ClinicalTrials.gov
allows 20,000) is parsed only up to MAX_PARSED characters, cut at a line break. The rest stays as it is written, in
one criterion for the person's doctor, so that an assessment is never "likely eligible" on criteria nobody read;
before, every view of such a trial parsed it all (1.2 s for the parser alone, 3 s for the questionnaire page)."""

from __future__ import annotations

from datetime import date

from trialfinder.eligibility import LIKELY_ELIGIBLE, NEEDS_REVIEW, PatientFacts, assess, parse_criteria
from trialfinder.eligibility.model import FreeText, Section
from trialfinder.eligibility.parser import MAX_PARSED

AGE = "* Age 18 years or older\n"
PRIOR = "* Prior treatment with floxuridine in the last 5 years\n"


def _long_criteria(length: int) -> str:
    text = "Inclusion Criteria:\n" + AGE * ((MAX_PARSED - 1_000) // len(AGE)) + "Exclusion Criteria:\n"
    while len(text) < length:
        text += PRIOR
    return text


def test_only_the_first_part_is_parsed_and_the_rest_kept_as_written():
    text = _long_criteria(400_000)
    tree = parse_criteria(text)

    parsed = text[: len(text) - len(tree.unparsed)]
    assert 0 < len(parsed) <= MAX_PARSED
    assert parsed.endswith("\n") and tree.unparsed.startswith(PRIOR)  # cut at a line break
    last = tree.criteria[-1]
    assert last.source_text == tree.unparsed.strip()
    assert isinstance(last.check, FreeText) and last.check.ask_doctor
    assert last.section is Section.EXCLUSION  # the section the cut fell in
    assert last.check.text.startswith(PRIOR[2:].strip()) and len(last.check.text) < 300  # not 370,000 characters
    assert len(tree.criteria) == parsed.count("\n* ") + 1


def test_an_assessment_is_not_likely_eligible_on_criteria_nobody_read():
    facts = PatientFacts(age_years=40)
    today = date(2026, 1, 1)
    assert assess("Inclusion Criteria:\n" + AGE * 10, facts, today=today).verdict == LIKELY_ELIGIBLE
    every_line_met = "Inclusion Criteria:\n" + AGE * (2 * MAX_PARSED // len(AGE))
    assert assess(every_line_met, facts, today=today).verdict == NEEDS_REVIEW


def test_real_criteria_are_parsed_whole():
    text = "Inclusion Criteria:\n" + AGE * ((MAX_PARSED - 100) // len(AGE))
    assert parse_criteria(text).unparsed == ""
