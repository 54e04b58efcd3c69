"""Who can join, said as the trial's status allows: never "You can join" for a trial that takes no one (issue #15)."""

from __future__ import annotations

import dataclasses
import re

import pytest
from overview_fixtures import FIXTURES, every_fixture

from trialfinder.domain.trial import RecruitmentStatus
from trialfinder.overview import generate_overview
from trialfinder.registries.ctgov_xml.mapping import to_trial as xml_to_trial

FIXTURE_TRIALS = every_fixture()
OPEN = {RecruitmentStatus.RECRUITING, RecruitmentStatus.NOT_YET_RECRUITING, RecruitmentStatus.ENROLLING_BY_INVITATION}
# Saying to the reader that they can (or cannot) join, in either language.
CAN_JOIN = {
    "en": re.compile(r"\b(?:can|cannot|can't|may not)\s+join\b|\byou\b|\byour\b", re.IGNORECASE),
    "nl": re.compile(r"\b(?:kunt|kunnen|mag|moet)\b[^.]*\bmeedoen\b|\bu\b|\buw\b", re.IGNORECASE),
}


def test_the_open_statuses_are_the_three_that_take_people_and_expanded_access():
    from trialfinder.overview.builtin import OPEN_STATUSES

    assert OPEN <= OPEN_STATUSES and OPEN_STATUSES - OPEN == {RecruitmentStatus.AVAILABLE}


def test_a_completed_legacy_trial_never_says_you_can_join():
    trial = xml_to_trial((FIXTURES / "ctgov_xml" / "NCT00000102.xml").read_bytes())
    assert trial.overall_status is RecruitmentStatus.COMPLETED
    english = generate_overview(trial, language="en")
    who = english.section("who")
    assert who.heading == "Who could take part"
    texts = [sentence.text for sentence in who.sentences]
    assert "It is no longer looking for participants." in texts
    assert "People who could take part had to be between 14 years and 35 years." in texts
    assert "can join" not in english.text.lower()
    dutch = generate_overview(trial, language="nl")
    assert dutch.section("who").heading == "Wie kon meedoen"
    assert "Het zoekt geen deelnemers meer." in [sentence.text for sentence in dutch.sentences]
    assert "kunt meedoen" not in dutch.text and "kunnen meedoen" not in dutch.text


@pytest.mark.parametrize("status", list(RecruitmentStatus), ids=lambda status: status.value)
@pytest.mark.parametrize("language", ["en", "nl"])
def test_no_sentence_says_can_join_unless_the_trial_is_open(status, language):
    for trial in FIXTURE_TRIALS:
        overview = generate_overview(dataclasses.replace(trial, overall_status=status), language=language)
        who = overview.section("who")
        if status in OPEN | {RecruitmentStatus.AVAILABLE}:
            continue
        for sentence in who.sentences if who else ():
            assert not CAN_JOIN[language].search(sentence.text), (trial.nct_id, sentence.text)
        assert "can join" not in overview.text.lower() and "kunt meedoen" not in overview.text


@pytest.mark.parametrize("status", sorted(OPEN, key=lambda status: status.value), ids=lambda status: status.value)
def test_an_open_trial_still_tells_the_reader_who_can_join(status):
    trial = next(trial for trial in FIXTURE_TRIALS if trial.nct_id == "NCT06857773")
    overview = generate_overview(dataclasses.replace(trial, overall_status=status), language="en")
    assert overview.section("who").heading == "Who can join"
    assert "You can join if you are 18 years or older." in [sentence.text for sentence in overview.sentences]
