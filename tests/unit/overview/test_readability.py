"""Readability formulas against values worked out by hand."""

from __future__ import annotations

import pytest

from trialfinder.overview.readability import (
    count_syllables_en,
    count_syllables_nl,
    counts,
    flesch_douma,
    flesch_kincaid_grade,
)


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("cat", 1),
        ("table", 2),
        ("wanted", 2),
        ("makes", 1),
        ("used", 1),
        ("liver", 2),
        ("chemotherapy", 5),
        ("low-dose", 2),
        ("people", 2),
        ("happy", 2),
    ],
)
def test_english_syllables(word, syllables):
    assert count_syllables_en(word) == syllables


@pytest.mark.parametrize(
    ("word", "syllables"),
    [
        ("blij", 1),
        ("ziekenhuis", 3),
        ("onderzoek", 3),
        ("financiën", 4),
        ("coördinatie", 5),
        ("lijden", 2),
        ("uitzaaiingen", 4),
    ],
)
def test_dutch_syllables(word, syllables):
    assert count_syllables_nl(word) == syllables


def test_flesch_kincaid_by_hand():
    # 2 sentences, 9 words, 10 syllables (happy has 2): 0.39 * 9/2 + 11.8 * 10/9 - 15.59 = -0.72389
    text = "The cat sat on the mat. It was happy."
    assert (counts(text, "en").sentences, counts(text, "en").words, counts(text, "en").syllables) == (2, 9, 10)
    assert flesch_kincaid_grade(text) == pytest.approx(0.39 * 4.5 + 11.8 * 10 / 9 - 15.59)
    assert flesch_kincaid_grade(text) == pytest.approx(-0.7239, abs=1e-4)


def test_flesch_douma_by_hand():
    # 2 sentences, 10 words of one syllable: 206.835 - 0.93 * 10/2 - 77 * 10/10 = 125.185
    assert flesch_douma("De kat zit op de mat. Hij is erg blij.") == pytest.approx(125.185)
    # 1 sentence, 7 words, 11 syllables: het 1, on-der-zoek 3, in 1, het 1, zie-ken-huis 3, duurt 1, lang 1
    found = counts("Het onderzoek in het ziekenhuis duurt lang.", "nl")
    assert (found.sentences, found.words, found.syllables) == (1, 7, 11)
    assert flesch_douma("Het onderzoek in het ziekenhuis duurt lang.") == pytest.approx(
        206.835 - 0.93 * 7 - 77 * 11 / 7
    )


def test_list_items_without_full_stops_are_sentences_and_numbers_are_not_words():
    text = "Study procedures\n\n* Surgery for pump placement\n* Questionnaires on 3 visits."
    found = counts(text, "en")
    assert (found.sentences, found.words) == (3, 9)
    assert counts("e.g. the dose vs. the time.", "en").sentences == 1
    assert flesch_kincaid_grade("12 34.") is None
