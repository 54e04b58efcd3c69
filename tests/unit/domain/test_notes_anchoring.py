"""Anchoring notes to a trial's text, on the real reference record NCT06857773: nested eligibility bullets, a passage
that appears twice, and the record updated (re-wrapped, a word changed, the passage removed)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import FIXTURES

from trialfinder.domain.notes import (
    Anchor,
    Match,
    make_anchor,
    note_text_problem,
    plain_text,
    resolve,
    section_texts,
)
from trialfinder.registries.ctgov_v2.mapping import to_trial

TWICE = "Accessory or aberrant hepatic arteries"


@pytest.fixture(scope="module")
def trial():
    return to_trial(json.loads((FIXTURES / "ctgov_v2" / "NCT06857773.json").read_text()))


@pytest.fixture(scope="module")
def texts(trial):
    return section_texts(trial)


def with_criteria(trial, criteria: str):
    return replace(trial, eligibility=replace(trial.eligibility, criteria=criteria))


def test_section_texts_are_the_registry_text_as_the_page_shows_it(texts):
    assert texts["overview"].startswith("The goal of this randomized clinical trial")
    # Bullets flattened, marks gone, one line each; nested lab values are lines of their own.
    assert "\nHb ≥ 5.5 mmol/L\n" in texts["eligibility"]
    assert "* " not in texts["eligibility"]
    assert "Drug: Intra arterial infusion Floxuridine (FUDR) combined with systemic therapy" in texts["procedures"]
    assert "2023-506194-35-00" in texts["details"] and "The Netherlands Cancer Institute" in texts["details"]


def test_plain_text_joins_wrapped_lines_and_drops_markdown_marks():
    source = "Intro **bold** and [a link](https://example.org)\ncontinues here.\n\n* one\n  * nested \\> 5\n1. numbered"
    assert plain_text(source) == "Intro bold and a link continues here.\none\nnested > 5\nnumbered"


def test_a_note_on_a_nested_eligibility_bullet(texts):
    anchor = make_anchor(texts, section="eligibility", quote="platelets ≥100 x 10^9/L")
    assert anchor is not None and anchor.section == "eligibility"
    assert anchor.prefix.endswith("10^9/L\n")  # the bullet before it: absolute neutrophil count ≥1.5 x 10^9/L
    found = resolve(anchor, texts["eligibility"])
    assert found.match is Match.EXACT and found.text == "platelets ≥100 x 10^9/L"


def test_a_selection_across_two_nested_bullets_is_found_despite_the_line_break(texts):
    # The browser gives the line break between two list items as a newline (or more); the text has one.
    anchor = make_anchor(texts, section="eligibility", quote="mmol/L\n\n    absolute neutrophil count")
    assert anchor is not None
    assert anchor.quote == "mmol/L\nabsolute neutrophil count"


def test_a_passage_that_appears_twice_is_told_apart_by_its_context(texts):
    text = texts["eligibility"]
    first, second = text.index(TWICE), text.index(TWICE, text.index(TWICE) + 1)
    # The person selected the second occurrence: the prefix the browser saw says so.
    anchor = make_anchor(
        texts, section="eligibility", quote=TWICE, prefix=text[second - 30 : second], suffix=" should be ligated"
    )
    assert anchor is not None and anchor.position == second
    assert resolve(anchor, text).start == second
    # Without any context (the form without JavaScript), the first one.
    plain = make_anchor(texts, section="eligibility", quote=TWICE)
    assert plain is not None and plain.position == first
    assert resolve(plain, text).start == first


def test_the_position_hint_decides_when_the_context_is_identical():
    text = "Patient is eligible.\nPatient is eligible."
    anchor = Anchor("eligibility", "Patient is eligible.", prefix="", suffix="", position=21)
    assert resolve(anchor, text).start == 21
    assert resolve(replace(anchor, position=0), text).start == 0


def test_after_an_update_the_second_occurrence_is_still_the_one_when_text_is_inserted_before_it(trial, texts):
    text = texts["eligibility"]
    second = text.index(TWICE, text.index(TWICE) + 1)
    anchor = make_anchor(texts, section="eligibility", quote=TWICE, prefix=text[second - 30 : second])
    assert anchor is not None
    # A new bullet early in the list shifts every position by many characters.
    criteria = trial.eligibility.criteria.replace(
        "* Age ≥ 18 years.",
        "* Age ≥ 18 years.\n* A new criterion about something else entirely, inserted by the study team.",
    )
    updated = section_texts(with_criteria(trial, criteria))["eligibility"]
    found = resolve(anchor, updated)
    new_second = updated.index(TWICE, updated.index(TWICE) + 1)
    assert found.match is Match.EXACT and found.start == new_second != second


def test_after_an_update_that_rewraps_and_retypes_the_passage_it_is_found_normalised(trial, texts):
    anchor = make_anchor(texts, section="eligibility", quote="Life expectancy of at least 12 weeks.")
    criteria = trial.eligibility.criteria.replace(
        "Life expectancy of at least 12 weeks.", "LIFE EXPECTANCY of at\n  least 12 weeks."
    )
    found = resolve(anchor, section_texts(with_criteria(trial, criteria))["eligibility"])
    assert found.match is Match.NORMALISED
    assert found.text == "LIFE EXPECTANCY of at least 12 weeks."


def test_after_a_small_edit_the_note_follows_the_edited_passage(trial, texts):
    quote = "Patients with celiac trunk stenosis are not eligible."
    anchor = make_anchor(texts, section="eligibility", quote=quote)
    criteria = trial.eligibility.criteria.replace(
        quote, "Patients with coeliac trunk stenosis are not eligible for this trial."
    )
    found = resolve(anchor, section_texts(with_criteria(trial, criteria))["eligibility"])
    assert found.match is Match.EDITED
    assert found.text.startswith("Patients with coeliac trunk stenosis are not eligible")


def test_when_the_passage_is_gone_the_text_has_changed(trial, texts):
    quote = "Serious non-healing wound, ulcer, or bone fracture."
    anchor = make_anchor(texts, section="eligibility", quote=quote)
    assert anchor is not None
    criteria = trial.eligibility.criteria.replace(f"* {quote}", "* Any active infection requiring antibiotics.")
    found = resolve(anchor, section_texts(with_criteria(trial, criteria))["eligibility"])
    assert found.match is Match.CHANGED and not found.match.found
    assert resolve(anchor, "").match is Match.CHANGED


def test_a_short_quote_is_not_fuzzily_matched_to_something_else(texts):
    anchor = Anchor("eligibility", "MMR proficiency.", position=0)
    assert resolve(anchor, texts["eligibility"]).match is Match.CHANGED


def test_without_a_section_the_passage_is_looked_for_in_every_section(texts):
    anchor = make_anchor(texts, section=None, quote="Hepatic arterial infusion pump (HAIP)")
    assert anchor is not None and anchor.section == "procedures"
    assert make_anchor(texts, section=None, quote="words that are nowhere in this trial") is None
    assert make_anchor(texts, section="overview", quote="x") is None  # too short
    assert make_anchor(texts, section="overview", quote="a" * 1_001) is None


def test_a_selection_that_strays_over_a_label_of_the_page_is_taken_from_the_text(texts):
    # On a Dutch page the intervention's type reads "Geneesmiddel:", which is not registry text: the note is
    # anchored to the passage as registered.
    quote = "Geneesmiddel: Intra arterial infusion Floxuridine (FUDR) combined with systemic therapy"
    anchor = make_anchor(texts, section="procedures", quote=quote)
    assert anchor is not None
    assert anchor.quote == "Drug: Intra arterial infusion Floxuridine (FUDR) combined with systemic therapy"
    assert resolve(anchor, texts["procedures"]).match is Match.EXACT


def test_note_text_problems():
    assert note_text_problem("   ") == "required"
    assert note_text_problem("x" * 2_001) == "too_long"
    assert note_text_problem("Ask about the pump.") is None
