"""The built-in generator on real records: what it says, in both languages, and where each sentence came from."""

from __future__ import annotations

import dataclasses
import re

import pytest
from overview_fixtures import every_fixture, load_v2

from trialfinder.domain.overview import SECTION_KEYS
from trialfinder.domain.trial import Site, Trial
from trialfinder.overview import BUILTIN, Overview, generate_overview, record_version, with_nearest_site
from trialfinder.overview.builtin import _uninvert, plain_criteria
from trialfinder.overview.readability import flesch_kincaid_grade


@pytest.fixture(scope="module")
def reference_trial():
    return load_v2("NCT06857773")


FIXTURE_TRIALS = every_fixture()
_PATH = re.compile(r"^(?P<name>[a-z_]+)(?:\[(?P<index>\d+)\])?(?:\.(?P<attribute>[a-z_]+))?$")


def resolve(trial: Trial, source: str) -> object:
    """The value a source field names in `trial`; fails when the name is not a field of the record."""
    match = _PATH.match(source)
    assert match, f"malformed source field {source!r}"
    value = getattr(trial, match["name"])
    if match["index"] is not None:
        value = value[int(match["index"])]
    if match["attribute"] is not None:
        assert dataclasses.is_dataclass(value), source
        value = getattr(value, match["attribute"])
    return value


@pytest.mark.parametrize("language", ["en", "nl"])
def test_reference_trial_tells_the_liver_the_pump_chemotherapy_the_groups_who_and_where(reference_trial, language):
    overview = generate_overview(reference_trial, language=language)
    text = overview.text.lower()
    words = {
        "en": ("liver", "pump", "chemotherapy", "2 groups", "18 years or older", "amsterdam", "netherlands"),
        "nl": ("lever", "pomp", "chemotherapie", "2 groepen", "18 jaar of ouder", "amsterdam", "nederland"),
    }[language]
    for word in words:
        assert word in text, word
    assert [section.key for section in overview.sections] == list(SECTION_KEYS)
    groups = [s for s in overview.section("do").sentences if s.text.startswith(("Group", "Groep"))]
    assert len(groups) == 2
    assert "HAIP-SYST" in groups[0].text and "arms[0].intervention_names" in groups[0].source_fields
    assert "pomp" in groups[0].text or "pump" in groups[0].text
    who = overview.section("who")
    assert any(s.source_fields == ("eligibility.ages",) for s in who.sentences)
    life_expectancy = [s for s in who.sentences if "12" in s.text]
    assert life_expectancy and life_expectancy[0].source_fields == ("eligibility.criteria",)


def test_dutch_is_written_in_its_own_sentences(reference_trial):
    dutch = generate_overview(reference_trial, language="nl")
    english = generate_overview(reference_trial, language="en")
    assert dutch.section("who").heading == "Wie kan meedoen"
    assert "U kunt meedoen als u 18 jaar of ouder bent." in [s.text for s in dutch.sentences]
    assert "november 2024" in dutch.text and "November 2024" in english.text
    # The English registry summary is never quoted in a Dutch overview.
    assert not any("brief_summary" in s.source_fields for s in dutch.sentences)


@pytest.mark.parametrize("trial", FIXTURE_TRIALS, ids=lambda trial: trial.nct_id)
@pytest.mark.parametrize("language", ["en", "nl"])
def test_every_sentence_names_fields_the_record_has(trial, language):
    overview = generate_overview(trial, language=language)
    assert overview.sentences
    for sentence in overview.sentences:
        assert sentence.source_fields, sentence.text
        for source in sentence.source_fields:
            value = resolve(trial, source)
            # A sentence about a field says something the field holds (sites is the one field that may be empty:
            # "the record does not say where").
            assert value not in (None, "", ()) or source == "sites", (source, sentence.text)
        assert sentence.text[0].isupper() and sentence.text.endswith("."), sentence.text


@pytest.mark.parametrize("trial", FIXTURE_TRIALS, ids=lambda trial: trial.nct_id)
def test_overviews_read_at_grade_eight_or_lower(trial):
    grade = flesch_kincaid_grade(generate_overview(trial, language="en").text)
    assert grade is not None and grade <= 8


def test_the_same_record_gives_the_same_overview_and_a_changed_one_a_new_version(reference_trial):
    first = generate_overview(reference_trial, language="en")
    assert generate_overview(reference_trial, language="en") == first
    assert first.generator == BUILTIN and first.record_version == record_version(reference_trial)
    changed = dataclasses.replace(reference_trial, brief_summary="Changed.")
    assert generate_overview(changed, language="en").record_version != first.record_version


def test_nearest_site_is_named_when_known(reference_trial):
    near = Site(facility="Antoni van Leeuwenhoek", city="Amsterdam", country="Netherlands")
    overview = generate_overview(reference_trial, language="nl", near=near)
    last = overview.section("where").sentences
    assert any(
        s.text == "De locatie het dichtst bij u is Antoni van Leeuwenhoek in Amsterdam, Nederland." for s in last
    )
    stored = generate_overview(reference_trial, language="nl")
    assert with_nearest_site(stored, near) == overview


def test_overview_survives_its_json_form(reference_trial):
    overview = generate_overview(reference_trial, language="nl")
    again = Overview.from_json(overview.to_json())
    assert again == overview
    assert again.generator_label["en"].startswith("Written automatically from the registry record")
    assert "ingebouwde" in again.label()


def test_criteria_rules_respect_the_section_they_are_in():
    exclusion = "Inclusion Criteria:\n\n* Adults\n\nExclusion Criteria:\n\n* Pregnant or lactating women"
    inclusion = "Inclusion Criteria:\n\n* Pregnant women between 10 and 20 weeks of gestation"
    assert plain_criteria(exclusion, "en") == ["You cannot join if you are pregnant or breastfeeding."]
    assert plain_criteria(inclusion, "en") == []
    negated = "Inclusion Criteria:\n\n* Not pregnant or breastfeeding\n* Life expectancy of more than 3 months"
    assert plain_criteria(negated, "nl") == [
        "Uw arts moet verwachten dat u nog minstens 3 maanden leeft.",
        "U kunt niet meedoen als u zwanger bent of borstvoeding geeft.",
    ]


def test_mesh_headings_are_read_in_order_but_lists_are_left_alone():
    assert _uninvert("Leukemia, Myeloid, Acute") == "Acute Myeloid Leukemia"
    assert _uninvert("Pain, Postoperative") == "Postoperative Pain"
    assert _uninvert("Breast cancer, prostate cancer") == "Breast cancer, prostate cancer"
