"""Ages in criteria text and in the registry's limits: each phrasing becomes a typed age check with its bound
(inclusive or exclusive) and its unit, and months, weeks and days are never read as years (issue #15)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from trialfinder.domain.trial import Sex
from trialfinder.domain.values import Age, AgeRange, AgeUnit
from trialfinder.eligibility import assess, parse_criteria
from trialfinder.eligibility.evaluate import tree_with_registry_fields
from trialfinder.eligibility.facts import PatientFacts
from trialfinder.eligibility.logic import Verdict
from trialfinder.eligibility.model import AgeCheck, AllOf, Comparator, describe, leaves
from trialfinder.eligibility.parser import parse_check

GE, GT, LE, LT = Comparator.GE, Comparator.GT, Comparator.LE, Comparator.LT

# text | the typed check: (comparator, value, unit) for each bound. ">=" and "<=" are inclusive, ">" and "<" not.
AGE_PHRASES = [
    ("18 years or older", [(GE, 18, "years")]),
    ("over 18 years", [(GT, 18, "years")]),
    ("older than 65 years", [(GT, 65, "years")]),
    ("≥18 y.o.", [(GE, 18, "years")]),
    ("aged 18 to 75", [(GE, 18, "years"), (LE, 75, "years")]),
    ("aged 6 to 36 months", [(GE, 6, "months"), (LE, 36, "months")]),
    ("Age 6-36 months", [(GE, 6, "months"), (LE, 36, "months")]),
    ("at least 28 days old", [(GE, 28, "days")]),
    ("younger than 2 years", [(LT, 2, "years")]),
    ("between 18 and 65 years of age", [(GE, 18, "years"), (LE, 65, "years")]),
    ("age ≥ 18 years", [(GE, 18, "years")]),
    # the same with the subjects and verbs registries put before them
    ("Patients 18 years or older", [(GE, 18, "years")]),
    ("Patients must be over 18 years", [(GT, 18, "years")]),
    ("Women ≥18 y.o.", [(GE, 18, "years")]),
    ("Neonates at least 28 days old", [(GE, 28, "days")]),
    ("Children younger than 2 years", [(LT, 2, "years")]),
    ("Infants aged 6 to 36 months", [(GE, 6, "months"), (LE, 36, "months")]),
    ("Age > 18 months", [(GT, 18, "months")]),
    ("Age less than 12 months", [(LT, 12, "months")]),
    ("Infants 0-6 months of age", [(GE, 0, "months"), (LE, 6, "months")]),
    ("Children 12 weeks to 6 years of age", [(GE, 12, "weeks"), (LE, 6, "years")]),
    ("Women 50 years or older", [(GE, 50, "years")]),
    ("Patients ages 2 to <18 years", [(GE, 2, "years"), (LT, 18, "years")]),
    ("Patients ages 6 to <24 months (and at least 7 kg)", [(GE, 6, "months"), (LT, 24, "months")]),
    ("aged 18 to <=65 years", [(GE, 18, "years"), (LE, 65, "years")]),
    ("Individuals of any age above 30 days of life", [(GT, 30, "days")]),
]


def _bounds(check) -> list[tuple[Comparator, float, str]]:
    assert isinstance(check, AgeCheck | AllOf), describe(check)
    found = [(leaf.comparator, leaf.value, leaf.unit) for leaf in leaves(check)]
    assert all(isinstance(leaf, AgeCheck) for leaf in leaves(check)), describe(check)
    return found


@pytest.mark.parametrize(("text", "expected"), AGE_PHRASES, ids=[text for text, _ in AGE_PHRASES])
def test_each_age_phrasing_becomes_a_typed_check_with_its_bound_and_unit(text, expected):
    assert _bounds(parse_check(text)) == [(comparator, float(value), unit) for comparator, value, unit in expected]


@pytest.mark.parametrize(
    "text",
    [
        "Age 6-36 months",
        "Age > 18 months",
        "at least 28 days old",
        "Infants 0-6 months of age",
        "aged 6 to 36 months",
        "Age ≥ 18 years and diagnosed > 6 months ago",
    ],
)
def test_months_and_days_are_never_read_as_years(text):
    for leaf in leaves(parse_check(text)):
        if isinstance(leaf, AgeCheck) and leaf.unit == "years":
            assert leaf.value == 18, describe(parse_check(text))


@pytest.mark.parametrize(
    "text",
    [
        "More than 5 years since diagnosis",
        "At least 6 months after surgery",
        "At least 3 months of treatment",
        "Symptoms for over 2 years",
        "Adults with life expectancy > 3 months",
        "Gestational age ≥ 32 weeks",
        "have a child between 6 and 13 years",
        "Infiltrates known to be chronic (greater than 1 week old)",
        "Unstable, transient, or group (6 or more adults) living arrangement",
    ],
)
def test_a_span_of_time_or_a_pregnancys_age_is_not_the_persons_age(text):
    assert "Age(" not in describe(parse_check(text))


def test_another_quantity_after_an_age_word_is_not_an_age():
    text = "Age ≥ 18 years. Enrollment of patients 70 years of age may be limited (no more than 10% of all patients)"
    assert describe(parse_check(text)) == "Age(>= 18 years)"


def test_age_performance_status_and_life_expectancy_on_one_line_are_all_kept():
    assert describe(parse_check("18 years or older, ECOG 0 or 1")) == "AllOf(Age(>= 18 years), Performance(ECOG 0..1))"
    assert describe(parse_check("Age ≥ 18 years, life expectancy of at least 12 weeks")) == (
        "AllOf(Age(>= 18 years), LifeExpectancy(>= 12 weeks))"
    )


def test_the_describe_spelling_names_the_unit():
    assert describe(parse_check("Age 6-36 months")) == "AllOf(Age(>= 6 months), Age(<= 36 months))"
    assert AgeCheck(LE, 36, "months").years == pytest.approx(3.0)


# --- Evaluated: the person's age is counted in the limit's own unit ---------------------------------------------

TODAY = date(2026, 6, 15)


def _verdict(criteria: str, born: date | None = None, age_years: float | None = None) -> Verdict:
    facts = PatientFacts(birth_date=born, age_years=age_years)
    return assess(parse_criteria(criteria), facts, today=TODAY).results[0].verdict


@pytest.mark.parametrize(
    ("born", "verdict"),
    [
        (date(2025, 11, 15), Verdict.MET),  # 7 months old
        (date(2026, 1, 1), Verdict.NOT_MET),  # 5 months old
        (date(2023, 6, 15), Verdict.MET),  # 36 months old: "at most 36 months" is inclusive
        (date(2023, 5, 14), Verdict.NOT_MET),  # 37 months old
        (date(2022, 12, 15), Verdict.NOT_MET),  # 3½ years: 42 months, not "3 years"
    ],
)
def test_an_age_in_months_is_counted_in_months(born, verdict):
    assert _verdict("Age 6-36 months", born) is verdict


def test_an_age_in_days():
    assert _verdict("at least 28 days old", date(2026, 5, 18)) is Verdict.MET  # 28 days
    assert _verdict("at least 28 days old", date(2026, 5, 19)) is Verdict.NOT_MET  # 27 days


def test_only_a_whole_year_age_known_decides_a_limit_in_months_only_when_every_reading_agrees():
    assert _verdict("at least 28 days old", age_years=30) is Verdict.MET
    assert _verdict("Age 6-36 months", age_years=5) is Verdict.NOT_MET
    assert _verdict("Age 6-36 months", age_years=0) is Verdict.UNKNOWN  # 0 to 11 months


def test_a_registry_limit_in_months_stays_in_months():
    trial = SimpleNamespace(
        nct_id="NCT00000000",
        eligibility=SimpleNamespace(ages=AgeRange(Age(6, AgeUnit.MONTHS), Age(36, AgeUnit.MONTHS)), sex=Sex.ALL),
    )
    tree = tree_with_registry_fields(parse_criteria(""), trial)
    assert [describe(c.check) for c in tree.criteria] == ["Age(>= 6 months)", "Age(<= 36 months)"]
    seven_months = PatientFacts(birth_date=date(2025, 11, 15))
    assessment = assess(tree, seven_months, today=TODAY)
    assert [r.verdict for r in assessment.results] == [Verdict.MET, Verdict.MET]
    assert assessment.results[0].reason == "You are 7 months old; the study asks for at least 6 months."
    dutch = assess(tree, seven_months, today=TODAY, language="nl")
    assert dutch.results[0].reason == "U bent 7 maanden oud; het onderzoek vraagt minstens 6 maanden."
