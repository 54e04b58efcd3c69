"""Impossible values are questioned, not assessed (issue #15): data/plausible.json gives, per analyte and unit,
the widest range a living person's result can have; an answer outside comes back beside its field, asking the
person to check the number and the unit."""

from __future__ import annotations

import json
from datetime import date

import pytest
from conftest import FIXTURES

from trialfinder.eligibility import InvalidAnswers, criteria_for_trial, facts_from_answers
from trialfinder.eligibility.questionnaire import plausible
from trialfinder.eligibility.units import convert, dimension, lexicon
from trialfinder.registries.ctgov_v2.mapping import to_trial

TODAY = date(2025, 3, 3)


def test_every_row_is_a_range_in_a_known_unit_with_its_reasoning():
    analytes = lexicon("analytes")
    for analyte, row in lexicon("plausible").items():
        assert set(row) == {"unit", "low", "high", "why"}, analyte
        assert row["low"] < row["high"] and row["why"].strip(), analyte
        if analyte == "age":
            continue
        assert analyte in analytes, analyte
        assert dimension(row["unit"]) is not None, analyte
        # answers come in the analyte's own unit (and the units it converts from): the row must be reachable
        assert convert(1.0, analytes[analyte]["unit"], row["unit"], analyte) is not None, analyte


# analyte | value | unit | plausible? Each slip a person makes, and the extremes of disease, which must pass.
CASES = """
hemoglobin   | 65     | mmol/L    | no    g/L typed beside mmol/L (105 g/dL)
hemoglobin   | 65     | g/L       | yes
hemoglobin   | 6.5    | g/dL      | yes
hemoglobin   | 120    | g/dL      | no    g/L typed beside g/dL
hemoglobin   | 7.9    | g/L       | no    mmol/L typed beside g/L
hemoglobin   | 7.9    | mmol/L    | yes
hemoglobin   | 3.5    | g/dL      | yes   severe anaemia
platelets    | 245000 | 10^9/L    | no    a count per microlitre
platelets    | 245000 | /uL       | yes
platelets    | 2      | 10^9/L    | yes
neutrophils  | 0      | 10^9/L    | yes   after chemotherapy
leukocytes   | 250    | 10^9/L    | yes   leukaemia
creatinine   | 70     | mg/dL     | no    umol/L typed beside mg/dL
creatinine   | 70     | umol/L    | yes
creatinine   | 12     | mg/dL     | yes   kidney failure
calcium      | 9.5    | mmol/L    | no    mg/dL typed beside mmol/L
calcium      | 9.5    | mg/dL     | yes
glucose      | 5.5    | mg/dL     | no    mmol/L typed beside mg/dL
glucose      | 45     | mmol/L    | yes   hyperosmolar state
potassium    | 7.5    | mmol/L    | yes
sodium       | 115    | mmol/L    | yes
albumin      | 40     | g/dL      | no    g/L typed beside g/dL
hba1c        | 48     | %         | no    mmol/mol typed as a percentage
inr          | 9      | 1         | yes   coumarin overdose
body_weight  | 0      | kg        | no    0
body_weight  | 3500   | kg        | no    grams typed as kilograms
body_weight  | 154    | [lb_av]   | yes
body_weight  | 0.9    | kg        | yes   a baby born early
body_height  | 1.75   | cm        | no    metres typed as centimetres
body_height  | 69     | [in_i]    | yes
body_temperature | 98.6 | Cel     | no    Fahrenheit typed as Celsius
qtc          | 0.45   | ms        | no    seconds typed as milliseconds
oxygen_saturation | 0.95 | %      | no    a fraction typed as a percentage
age          | 250    | years     | no
age          | 0      | years     | yes
age          | 104    | years     | yes
"""


@pytest.mark.parametrize("line", CASES.strip().splitlines())
def test_slips_are_questioned_and_the_extremes_of_disease_are_not(line):
    analyte, value, unit, expected = (part.strip() for part in line.split("|"))
    assert plausible(analyte, float(value), unit) is expected.startswith("yes"), line


def test_an_analyte_or_unit_without_a_row_is_not_questioned_and_other_units_are_converted_first():
    assert plausible("viral_load", 1e9, "copies/mL")
    assert plausible("calcium", 999, "mEq/L") is False  # mEq/L converts by the ion's charge: 499.5 mmol/L
    assert plausible("hemoglobin", 65, None)


@pytest.fixture(scope="module")
def tree():
    return criteria_for_trial(to_trial(json.loads((FIXTURES / "ctgov_v2" / "NCT06857773.json").read_text())))


def errors(tree, answers, language="en"):
    with pytest.raises(InvalidAnswers) as raised:
        facts_from_answers(tree, answers, today=TODAY, language=language)
    return raised.value.errors


def test_haemoglobin_65_mmol_per_litre_comes_back_asking_to_check_the_unit(tree):
    answers = {"lab:hemoglobin:value": "65", "lab:hemoglobin:unit": "mmol/L", "lab_date": "2025-03-01"}
    assert errors(tree, answers) == {
        "lab:hemoglobin:value": "65 mmol/L cannot be right for haemoglobin (Hb): it is far outside the values "
        "people have. Please check the number and the unit: is the result perhaps in g/L?"
    }
    dutch = errors(tree, answers, "nl")["lab:hemoglobin:value"]
    assert dutch.startswith("65 mmol/L kan niet kloppen voor hemoglobine (Hb)") and dutch.endswith("in g/L?")
    # and once the unit is right, it is assessed: 65 g/L = 6.5 g/dL = 4.03 mmol/L
    facts = facts_from_answers(tree, {**answers, "lab:hemoglobin:unit": "g/L"}, today=TODAY)
    assert facts.labs[0].value == 65 and facts.labs[0].unit == "g/L"


def test_a_date_of_birth_250_years_ago_and_a_weight_of_0_are_questioned(tree):
    assert errors(tree, {"birth_date": "1775-01-01"}) == {
        "birth_date": "With this date of birth you would be 250 years old. Please check the year."
    }
    weight = {"lab:body_weight:value": "0", "lab:body_weight:unit": "kg"}
    assert "0 kg cannot be right for body weight" in errors(tree, weight)["lab:body_weight:value"]
