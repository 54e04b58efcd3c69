"""Trials for me (issue #18) on both databases: candidates retrieved by what the person has, filtered by status,
age and place, screened and ordered; and a set of trials chosen elsewhere ranked the same way. The catalogue is the
API v2 fixtures: the reference trial NCT06857773 (colorectal liver metastases, Amsterdam, 18 and over), NCT03745326
(gastrointestinal cancers including colon cancer, Bethesda, 18 to 72) and two pancreatic cancer trials."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from support.fhir import colon_cancer_bundle

from trialfinder.actions.importing import import_path
from trialfinder.domain.trial import RecruitmentStatus
from trialfinder.domain.values import GeoPoint
from trialfinder.matching import patient_from_fhir, patient_from_text
from trialfinder.queries.match import MatchRequest, match, rank_trials

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TODAY = date(2026, 1, 1)
REFERENCE, GASTROINTESTINAL = "NCT06857773", "NCT03745326"
PANCREAS = {"NCT05052671", "NCT06898385"}
AMSTERDAM, BETHESDA = GeoPoint(52.37, 4.89), GeoPoint(38.98, -77.10)


@pytest.fixture(scope="session")
def match_seed():
    def catalogue(database) -> None:
        import_path(database=database, path=FIXTURES / "ctgov_v2")

    return catalogue


@pytest.fixture
def database_seed(match_seed):
    return match_seed


def found(database, text: str, **options) -> list:
    patient = patient_from_text(text, today=TODAY, language=options.pop("language", "en"))
    return list(match(database=database, request=MatchRequest(patient, TODAY, **options)).results)


def test_a_description_finds_the_trials_about_the_persons_illness_and_not_the_others(database):
    results = found(database, "I am 58, a man with bowel cancer that has spread to my liver. ECOG 1.")
    ids = [m.nct_id for m in results]
    assert ids[0] == REFERENCE
    assert GASTROINTESTINAL in ids
    assert not PANCREAS & set(ids)
    best = results[0]
    assert best.screening.met >= 2 and best.screening.not_met == 0 and best.screening.unknown > 0
    assert best.score >= max(m.score for m in results)


def test_the_registry_age_limit_filters_and_a_dutch_description_reads_the_same(database):
    assert [m.nct_id for m in found(database, "colorectal cancer, 80 years old")] == [
        REFERENCE
    ]  # the other stops at 72
    assert found(database, "colorectal cancer, 15 years old") == []
    dutch = found(database, "Ik ben 60 jaar en heb darmkanker met uitzaaiingen in de lever", language="nl")
    assert dutch and dutch[0].nct_id == REFERENCE


def test_a_place_keeps_trials_with_an_open_site_in_the_radius_and_names_it(database):
    [near] = found(database, "colon cancer", point=AMSTERDAM, radius_km=50)
    assert near.nct_id == REFERENCE
    assert near.nearest_site is not None and near.nearest_site.city == "Amsterdam"
    assert near.nearest_site.distance_km < 5
    assert [m.nct_id for m in found(database, "colon cancer", point=BETHESDA, radius_km=50)] == [GASTROINTESTINAL]


def test_only_the_statuses_asked_for(database):
    assert found(database, "colon cancer", statuses=(RecruitmentStatus.COMPLETED,)) == []


def test_a_fhir_bundle_is_matched_like_a_description(database):
    patient = patient_from_fhir(colon_cancer_bundle())
    ids = [m.nct_id for m in match(database=database, request=MatchRequest(patient, TODAY)).results]
    # 75 years old: the gastrointestinal trial stops at 72.
    assert ids == [REFERENCE]


def test_trials_chosen_elsewhere_are_ranked_by_the_same_rules(database):
    patient = patient_from_text("15 year old boy with colon cancer", today=TODAY)
    ranked = rank_trials(
        database=database, patient=patient, nct_ids=[REFERENCE, GASTROINTESTINAL, "NCT00000000"], today=TODAY
    )
    assert {nct_id for nct_id, _, _ in ranked} == {REFERENCE, GASTROINTESTINAL}  # one the catalogue does not hold
    # Both rule him out by age, so both are screened as not met, and the scores say so.
    assert all(screening.not_met >= 1 for _, _, screening in ranked)
    adult = rank_trials(
        database=database, patient=patient_from_text("colon cancer", today=TODAY), nct_ids=[REFERENCE], today=TODAY
    )
    assert adult[0][1] > next(score for nct_id, score, _ in ranked if nct_id == REFERENCE)
