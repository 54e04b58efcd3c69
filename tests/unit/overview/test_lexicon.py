"""The lay-terms lexicon: whole words only, case-aware for abbreviations, inflections, longest match first."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from trialfinder.overview.lexicon import default_lexicon

LEXICON = default_lexicon()


def lay(text: str, language: str = "en") -> str:
    return LEXICON.apply(text, language)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("hepatic artery", "en", "liver artery"),
        ("one metastasis", "en", "one spread of cancer"),
        ("several metastases", "en", "several cancer that has spread"),
        ("one metastasis", "nl", "one uitzaaiing"),
        ("several metastases", "nl", "several uitzaaiingen"),
        ("metastatic disease", "en", "cancer that has spread"),
        ("two tumours", "en", "two tumors"),
        ("two tumours", "nl", "two tumoren"),
        ("hepatic arteries", "nl", "leverslagaders"),
    ],
)
def test_inflections_take_their_own_replacement(text, language, expected):
    assert lay(text, language) == expected


def test_no_replacement_inside_other_words():
    # "hepatic" is inside these words; only whole words are replaced.
    assert lay("prehepatic hepatics-like hepaticus") == "prehepatic hepatics-like hepaticus"
    assert lay("extrahepatic") == "outside the liver"  # a word with an entry of its own
    assert lay("non-metastatic") == "non-metastatic"  # the second half of a hyphenated word is left alone
    assert lay("metastaticity") == "metastaticity"


def test_abbreviations_match_only_as_written():
    assert lay("ECOG 0-1").startswith("ECOG score")
    assert lay("ecog 0-1") == "ecog 0-1"
    assert lay("the HAI route") == "the drip straight into the liver artery route"
    assert lay("the hai route") == "the hai route"
    assert lay("HAIP-SYST") == "HAIP-SYST"  # HAIP joined to another word by a hyphen is a name, not the pump
    assert "leverpomp" in lay("a HAIP", "nl")
    assert lay("a CRC", "nl") == "a darmkanker"


def test_longest_form_wins_and_hyphens_or_spaces_between_words_do_not_matter():
    assert lay("colorectal liver metastases") == "bowel cancer that has spread to the liver"
    assert lay("Colorectal-Liver  Metastases", "nl") == "Uitzaaiingen van darmkanker in de lever"
    assert lay("liver metastases") == "cancer that has spread to the liver"


def test_explanation_is_given_once_per_overview():
    explained: set[str] = set()
    first = LEXICON.apply("adenocarcinoma", "en", explained=explained)
    second = LEXICON.apply("an adenocarcinoma", "en", explained=explained)
    assert first == "adenocarcinoma (a cancer that starts in gland cells)"
    assert second == "an adenocarcinoma"
    assert LEXICON.apply("adenocarcinoom? adenocarcinoma", "nl").endswith(
        "adenocarcinoom (kanker die begint in kliercellen)"
    )


def test_capital_kept_at_a_sentence_start_only():
    assert lay("Metastases are rare. Hepatic pain.") == "Cancer that has spread are rare. Liver pain."
    assert lay("Bowel and Hepatic") == "Bowel and liver"
    assert LEXICON.apply("Hepatic pain", "en", sentence_start=False) == "liver pain"


def test_drug_without_lay_word_keeps_its_name_and_gets_a_note():
    assert lay("Rituximab weekly") == "Rituximab (an antibody medicine) weekly"
    assert lay("zidovudine", "nl") == "zidovudine (een hiv-remmer)"


def test_salts_are_dropped_from_drug_names():
    assert LEXICON.without_salts("Doxorubicin Hydrochloride") == "Doxorubicin"
    assert LEXICON.without_salts("Leucovorin calcium and sodium chloride") == "Leucovorin and sodium chloride"
    assert LEXICON.without_salts("Calcium") == "Calcium"  # a salt word alone is a substance, not a suffix


def test_every_entry_speaks_both_languages_and_forms_are_unique():
    data = json.loads(resources.files("trialfinder.overview").joinpath("data/lay_terms.json").read_text("utf-8"))
    seen: dict[str, list] = {}
    for entry in (*data["terms"], *data["abbreviations"]):
        assert entry["kind"] in {"condition", "drug", "procedure", "device", "test", "body", "measure", "general"}
        assert ("en" in entry) == ("nl" in entry), entry["forms"]
        assert ("en" in entry or "en_note" in entry) and ("nl" in entry or "nl_note" in entry), entry["forms"]
        for form in entry["forms"]:
            key = " ".join(form.lower().replace("-", " ").split())
            assert seen.get(key, entry["forms"]) is entry["forms"], f"{form!r} is in two entries"
            seen[key] = entry["forms"]
