"""The checks a model's overview must pass before it is shown, and the prompt it is given."""

from __future__ import annotations

import json

import pytest
from overview_fixtures import load_v2

from trialfinder.overview.language_model import (
    ModelEndpoint,
    ModelError,
    build_prompt,
    check_output,
    parse_answer,
    record_fields,
)


@pytest.fixture(scope="module")
def reference_trial():
    return load_v2("NCT06857773")


GOOD = (
    "This study is about bowel cancer that has spread to the liver. You can join if you are 18 or older. "
    "There are 2 groups. One group gets floxuridine, a chemotherapy drug, through a small pump. "
    "The study runs in Amsterdam until 2035."
)


def test_a_text_grounded_in_the_record_passes(reference_trial):
    assert check_output(GOOD, reference_trial).ok
    dutch = "U kunt meedoen vanaf 18 jaar. Eén groep krijgt floxuridine via een leverpomp. Er doen 306 mensen mee."
    assert check_output(dutch, reference_trial).ok


@pytest.mark.parametrize(
    "invented", ["About 500 people take part.", "You can join from 65 years.", "It lasts 7.5 years."]
)
def test_an_invented_number_is_rejected(reference_trial, invented):
    check = check_output(GOOD + " " + invented, reference_trial)
    assert not check.ok and any(problem.startswith("numbers not in the record") for problem in check.problems)


@pytest.mark.parametrize("drug", ["oxaliplatin", "Pembrolizumab", "zanubrutinib", "atorvastatin"])
def test_an_invented_drug_is_rejected(reference_trial, drug):
    # Known to the lexicon (oxaliplatin, pembrolizumab) or by its INN stem (-nib, -statin).
    check = check_output(GOOD + f" Group 1 also gets {drug}.", reference_trial)
    assert not check.ok and any(problem.startswith("drugs not in the record") for problem in check.problems)


@pytest.mark.parametrize("condition", ["breast cancer", "borstkanker", "melanoma", "hepatitis"])
def test_an_invented_condition_is_rejected(reference_trial, condition):
    check = check_output(GOOD + f" It is also for {condition}.", reference_trial)
    assert not check.ok and any(problem.startswith("conditions not in the record") for problem in check.problems)


def test_an_overlong_text_or_sentence_is_rejected(reference_trial):
    assert not check_output(" ".join([GOOD] * 12), reference_trial).ok
    assert not check_output("The study " + "and the liver " * 15 + "is long.", reference_trial).ok
    assert not check_output("   ", reference_trial).ok


def test_answer_sentences_must_cite_fields_the_record_has(reference_trial):
    fields = record_fields(reference_trial)
    good = {"sections": [{"key": "what", "sentences": [{"text": "About the liver.", "sources": ["conditions"]}]}]}
    (section,) = parse_answer("```json\n" + json.dumps(good) + "\n```", "nl", fields)
    assert section.heading == "Wat wordt er onderzocht, en waarom"
    assert section.sentences[0].source_fields == ("conditions",)
    for bad in (
        {"sections": [{"key": "what", "sentences": [{"text": "About the liver.", "sources": ["arms[7]"]}]}]},
        {"sections": [{"key": "what", "sentences": [{"text": "About the liver.", "sources": []}]}]},
        {"sections": [{"key": "elsewhere", "sentences": []}]},
        {"sections": []},
    ):
        with pytest.raises(ModelError):
            parse_answer(json.dumps(bad), "en", fields)
    with pytest.raises(ModelError):
        parse_answer("I cannot help with that.", "en", fields)


def test_prompt_is_grounded_in_the_record_and_asks_for_the_pages_language(reference_trial):
    system, user = build_prompt(reference_trial, "nl")
    assert "Dutch" in system["content"] and "only facts from the record" in system["content"]
    assert "[conditions] Colorectal Neoplasms; Liver Metastases" in user["content"]
    assert "[arms[0]] HAIP-SYST | EXPERIMENTAL" in user["content"]
    assert "[eligibility.ages] minimum 18 years, maximum none" in user["content"]


def test_endpoint_url_takes_a_base_or_the_full_path():
    assert (
        ModelEndpoint("http://127.0.0.1:8080/v1/", "m").completions_url == "http://127.0.0.1:8080/v1/chat/completions"
    )
    full = "https://api.example.com/v1/chat/completions"
    assert ModelEndpoint(full, "m").completions_url == full
