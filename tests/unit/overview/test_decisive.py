"""The overview names what decides a trial and what taking part asks, on real records (issue #15)."""

from __future__ import annotations

import dataclasses

import pytest
from overview_fixtures import FIXTURES, every_fixture, load_v2

from trialfinder.domain.trial import Arm, Intervention, Outcome, RecruitmentStatus
from trialfinder.overview import generate_overview
from trialfinder.registries.ctgov_xml.mapping import to_trial as xml_to_trial


@pytest.fixture(scope="module")
def reference_trial():
    return load_v2("NCT06857773")


def who(overview) -> list[str]:
    return [sentence.text for sentence in overview.section("who").sentences]


def test_the_reference_trial_names_its_decisive_conditions_in_english(reference_trial):
    overview = generate_overview(reference_trial, language="en")
    texts = who(overview)
    assert "You must have cancer that has spread to the liver." in texts
    stage = next(text for text in texts if text.startswith("It must be cancer that"))
    assert "cannot be removed with an operation" in stage  # unresectable
    assert "found at the same time as the bowel tumour" in stage  # synchronous
    assert "The cancer must not have spread outside the liver." in texts  # no extrahepatic disease
    assert "You must not have had cancer medicines (such as chemotherapy) for bowel cancer yet." in texts
    # They come first, before age and sex: what a person checks first.
    assert texts.index("You must have cancer that has spread to the liver.") < texts.index(
        "You can join if you are 18 years or older."
    )
    # The vaguer common rule is not said beside the precise one.
    assert "There are rules about treatment you had before." not in texts
    for sentence in overview.section("who").sentences:
        if "liver" in sentence.text or "chemotherapy" in sentence.text:
            assert sentence.source_fields == ("eligibility.criteria",)


def test_the_reference_trial_names_its_decisive_conditions_in_dutch(reference_trial):
    texts = who(generate_overview(reference_trial, language="nl"))
    assert "U moet kanker hebben die is uitgezaaid naar de lever." in texts
    stage = next(text for text in texts if text.startswith("Het moet gaan om kanker die"))
    assert "niet met een operatie te verwijderen is" in stage and "tegelijk met de darmtumor is ontdekt" in stage
    assert "De kanker mag niet buiten de lever zijn uitgezaaid." in texts
    assert "U mag nog geen kankermedicijnen (zoals chemotherapie) voor darmkanker hebben gehad." in texts


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "For group 1, taking part means an operation to put in the liver pump."),
        ("nl", "Voor groep 1 betekent meedoen een operatie om het hulpmiddel te plaatsen (leverpomp)."),
    ],
)
def test_the_pump_arm_means_an_operation(reference_trial, language, expected):
    overview = generate_overview(reference_trial, language=language)
    sentence = next(s for s in overview.section("do").sentences if s.text == expected)
    assert sentence.source_fields == ("arms[0].intervention_names",)
    # Group 2 (systemic therapy only) has no operation.
    assert not any("group 2" in s.text.lower() and "operat" in s.text for s in overview.section("do").sentences)


def test_the_whole_study_is_not_told_as_a_participants_time(reference_trial):
    english = generate_overview(reference_trial, language="en")
    assert "The whole study runs from November 2024 to January 2035." in english.text
    assert "That is about 10 years." not in english.text


def test_follow_up_per_participant_comes_from_the_outcome_time_frames(reference_trial):
    trial = dataclasses.replace(
        reference_trial,
        primary_outcomes=(Outcome("Overall survival", "3 years"),),
        secondary_outcomes=(Outcome("Quality of life", "Every 3 months up to 5 years"),),
    )
    when = generate_overview(trial, language="en").section("when").sentences
    assert when[0].text == "Each person is followed for up to 5 years."
    assert when[0].source_fields == ("secondary_outcomes[0].time_frame",)
    dutch = generate_overview(trial, language="nl").section("when").sentences
    assert dutch[0].text == "Elke deelnemer wordt tot 5 jaar gevolgd."


def test_a_groups_description_tells_how_often_and_how_long():
    trial = xml_to_trial((FIXTURES / "ctgov_xml" / "NCT00005614.xml").read_bytes())
    texts = [s.text for s in generate_overview(trial, language="en").section("do").sentences]
    assert "There is treatment or a visit every week." in texts and "Treatment lasts 7 weeks." in texts


def test_a_surgical_procedure_or_biopsy_in_a_group_is_named(reference_trial):
    trial = dataclasses.replace(
        reference_trial,
        arms=(
            Arm(
                "Surgery",
                "EXPERIMENTAL",
                "Liver resection, then a biopsy of the tumour bed.",
                ("Procedure: Hepatectomy",),
            ),
        ),
        interventions=(Intervention("PROCEDURE", "Hepatectomy", arm_labels=("Surgery",)),),
    )
    texts = [s.text for s in generate_overview(trial, language="en").section("do").sentences]
    assert "Taking part means an operation and taking a small piece of tissue (a biopsy)." in texts


def test_a_closed_trial_tells_its_decisive_conditions_in_the_past(reference_trial):
    trial = dataclasses.replace(reference_trial, overall_status=RecruitmentStatus.COMPLETED)
    texts = who(generate_overview(trial, language="en"))
    assert "People who could take part had cancer that had spread to the liver." in texts
    assert "The cancer had not spread outside the liver." in texts
    dutch = who(generate_overview(trial, language="nl"))
    assert "Mensen die konden meedoen, hadden kanker die was uitgezaaid naar de lever." in dutch


@pytest.mark.parametrize("trial", every_fixture(), ids=lambda trial: trial.nct_id)
def test_at_most_five_decisive_conditions(trial):
    from trialfinder.overview.decisive import MAX_DECISIVE, decisive_conditions

    for language in ("en", "nl"):
        found = decisive_conditions(trial.eligibility.criteria, trial.conditions, language, open=True)
        assert len(found) <= MAX_DECISIVE
        assert all(item.text.endswith(".") and item.text[0].isupper() for item in found)
