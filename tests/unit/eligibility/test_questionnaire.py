"""Questions from criteria, and answers back into facts, in English and Dutch."""

from __future__ import annotations

from datetime import date

import pytest

from trialfinder.eligibility import InvalidAnswers, facts_from_answers, parse_criteria, questionnaire
from trialfinder.eligibility.facts import LabResult, PatientFacts
from trialfinder.eligibility.units import lexicon

TODAY = date(2025, 3, 3)
TEXT = """Inclusion Criteria:

* Age ≥ 18 years
* Hb ≥ 5.5 mmol/L (within 14 days before registration)
* Bilirubin ≤ 1.5 x ULN
* Histologically confirmed colorectal adenocarcinoma
* Able to swallow tablets

Exclusion Criteria:

* Pregnant or lactating women
* Brain metastases
"""


@pytest.fixture
def tree():
    return parse_criteria(TEXT)


def test_only_what_matters_is_asked_once(tree):
    q = questionnaire(tree, "en")
    assert [question.id for question in q.questions] == [
        "birth_date", "lab:hemoglobin", "lab_date", "lab:bilirubin", "diagnosis:colorectal_cancer", "inc-5", "pregnancy", "metastasis:brain",
    ]  # fmt: skip
    hb = q.questions[1]
    assert hb.kind == "lab" and hb.fields == ("lab:hemoglobin:value", "lab:hemoglobin:unit")
    assert [choice.value for choice in hb.units] == ["g/dL", "g/L", "mg/dL", "mg/L", "mmol/L", "umol/L"]
    assert "lab:bilirubin:uln" in q.questions[3].fields
    assert all(choice.value in ("yes", "no", "unknown") for choice in q.questions[-1].choices)
    assert [c.label for c in q.questions[-1].choices] == ["Yes", "No", "I don't know"]


def test_known_facts_are_not_asked_again(tree):
    facts = PatientFacts(birth_date=date(1960, 1, 1), labs=(LabResult("hemoglobin", 8.0, "mmol/L", date(2025, 3, 1)),))
    ids = [question.id for question in questionnaire(tree, "en", facts, today=TODAY).questions]
    assert "birth_date" not in ids and "lab:hemoglobin" not in ids and "lab:bilirubin" in ids


def test_dutch_questions(tree):
    q = questionnaire(tree, "nl")
    assert q.questions[0].text == "Wat is uw geboortedatum?"
    assert q.questions[-1].text == "Is de kanker uitgezaaid naar de hersenen?"
    assert [c.label for c in q.questions[-1].choices] == ["Ja", "Nee", "Weet ik niet"]
    assert ("metastases", "uitzaaiingen") in q.questions[-1].glossary


def test_answers_become_facts(tree):
    answers = {
        "birth_date": "1970-02-01", "lab:hemoglobin:value": "8,2", "lab:hemoglobin:unit": "mmol/L", "lab_date": "2025-02-25",
        "lab:bilirubin:value": "20", "lab:bilirubin:unit": "umol/L", "lab:bilirubin:uln": "17",
        "diagnosis:colorectal_cancer": "yes", "inc-5": "unknown", "pregnancy": "no", "metastasis:brain": "", "csrf": "x",
    }  # fmt: skip
    facts = facts_from_answers(tree, answers, today=TODAY)
    assert facts.birth_date == date(1970, 2, 1)
    assert facts.labs == (
        LabResult("hemoglobin", 8.2, "mmol/L", date(2025, 2, 25)),
        LabResult("bilirubin", 20.0, "umol/L", date(2025, 2, 25), 17.0, "umol/L"),
    )
    assert dict(facts.statements) == {"diagnosis:colorectal_cancer": True, "pregnancy": False}
    assert (facts.pregnant, facts.breastfeeding) == (False, False)


def test_invalid_answers_name_each_field(tree):
    answers = {
        "birth_date": "next week",
        "lab:hemoglobin:value": "lots",
        "lab:bilirubin:value": "20",
        "pregnancy": "maybe",
        "lab_date": "2031-01-01",
    }
    with pytest.raises(InvalidAnswers) as raised:
        facts_from_answers(tree, answers, today=TODAY, language="nl")
    assert raised.value.errors == {
        "birth_date": "Vul een datum in als jaar-maand-dag, bijvoorbeeld 2025-03-14.",
        "lab_date": "Deze datum ligt in de toekomst.",
        "lab:hemoglobin:value": "Vul een getal in, bijvoorbeeld 5,5.",
        "lab:hemoglobin:unit": "Kies een eenheid.",
        "lab:bilirubin:unit": "Kies een eenheid.",
        "pregnancy": "Kies een van de mogelijkheden.",
    }


def test_messages_exist_in_both_languages_with_the_same_placeholders():
    import string

    table = lexicon("messages")
    assert set(table["en"]) == set(table["nl"])
    for key, english in table["en"].items():
        fields = {name for _, name, _, _ in string.Formatter().parse(english) if name}
        dutch = {name for _, name, _, _ in string.Formatter().parse(table["nl"][key]) if name}
        assert fields == dutch, key


def test_lay_terms_have_both_languages():
    for term, explanations in lexicon("lay_terms").items():
        assert set(explanations) == {"en", "nl"}, term
