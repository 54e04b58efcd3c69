"""The matcher's rules: which changed trials are news to a watch (domain.subscriptions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trialfinder.domain.subscriptions import (
    Area,
    Candidate,
    ChangeKind,
    Frequency,
    Matcher,
    OpenSite,
    Watch,
    distance_km,
    is_due,
    normalise_email,
)

OPEN = frozenset({"RECRUITING", "NOT_YET_RECRUITING"})
UTRECHT = OpenSite(52.09083, 5.12222, "RECRUITING")
PARIS = OpenSite(48.85341, 2.3488, "RECRUITING")
AMSTERDAM = Area(52.37403, 4.88969, 50.0)  # Utrecht is 35 km away; Paris 430 km


def candidate(
    nct="NCT00000001", *, status="RECRUITING", sites=(UTRECHT,), kinds=(ChangeKind.NEW,), new_sites=(), **facts
):
    values = {
        "phases": frozenset({"PHASE2"}),
        "study_type": "INTERVENTIONAL",
        "sex": "ALL",
        "min_age_days": 18 * 365.25,
        "max_age_days": 65 * 365.25,
        "healthy_volunteers": False,
        **facts,
    }
    trial_news = 10 if set(kinds) - {ChangeKind.SITE} else 0
    return Candidate(
        nct,
        status,
        sites=tuple(sites),
        kinds=frozenset(kinds),
        new_sites=tuple(new_sites),
        last_change=10,
        first_trial_change=trial_news,
        **values,
    )


def matched(watch: Watch, *candidates: Candidate, text_hits=None) -> list[str]:
    return [match.nct_id for match in Matcher(list(candidates), text_hits or {}).matches(watch)]


def test_a_new_recruiting_trial_matches_the_default_statuses_and_a_completed_one_does_not():
    watch = Watch(1, OPEN)
    assert matched(watch, candidate("NCT00000001"), candidate("NCT00000002", status="COMPLETED")) == ["NCT00000001"]


def test_radius_counts_only_open_sites_within_it_and_gives_the_distance():
    watch = Watch(1, OPEN, area=AMSTERDAM)
    [match] = Matcher([candidate("NCT00000001"), candidate("NCT00000002", sites=(PARIS,))]).matches(watch)
    assert match.nct_id == "NCT00000001"
    assert match.distance_km == pytest.approx(distance_km(AMSTERDAM.lat, AMSTERDAM.lon, UTRECHT.lat, UTRECHT.lon))
    assert 30 < match.distance_km < 40
    closed_nearby = OpenSite(UTRECHT.lat, UTRECHT.lon, "COMPLETED")
    assert matched(watch, candidate(sites=(closed_nearby, PARIS))) == []


def test_age_range_admits_the_whole_last_year_as_the_search_does():
    assert matched(Watch(1, OPEN, age_days=40 * 365.25), candidate()) == ["NCT00000001"]
    assert matched(Watch(1, OPEN, age_days=65.5 * 365.25), candidate()) == ["NCT00000001"]
    assert matched(Watch(1, OPEN, age_days=66 * 365.25), candidate()) == []
    assert matched(Watch(1, OPEN, age_days=17 * 365.25), candidate()) == []
    assert matched(Watch(1, OPEN, age_days=90 * 365.25), candidate(max_age_days=None)) == ["NCT00000001"]


def test_sex_phase_type_and_healthy_volunteers_filter_as_the_search_does():
    women_only = candidate(sex="FEMALE")
    assert matched(Watch(1, OPEN, sex="MALE"), women_only) == []
    assert matched(Watch(1, OPEN, sex="FEMALE"), women_only) == ["NCT00000001"]
    assert matched(Watch(1, OPEN, phases=frozenset({"PHASE3"})), candidate()) == []
    assert matched(Watch(1, OPEN, phases=frozenset({"PHASE2", "PHASE3"})), candidate()) == ["NCT00000001"]
    assert matched(Watch(1, OPEN, study_types=frozenset({"OBSERVATIONAL"})), candidate()) == []
    assert matched(Watch(1, OPEN, healthy_volunteers=True), candidate()) == []


def test_a_new_site_is_news_only_within_the_radius_and_only_to_a_watch_with_a_place():
    paris_opens = candidate(sites=(UTRECHT, PARIS), kinds=(ChangeKind.SITE,), new_sites=(PARIS,))
    utrecht_opens = candidate(sites=(UTRECHT, PARIS), kinds=(ChangeKind.SITE,), new_sites=(UTRECHT,))
    assert matched(Watch(1, OPEN, area=AMSTERDAM), paris_opens) == []  # the trial matched before: no news
    assert matched(Watch(1, OPEN, area=AMSTERDAM), utrecht_opens) == ["NCT00000001"]
    assert matched(Watch(1, OPEN), utrecht_opens) == []  # without a place the trial was already a match


def test_words_go_by_the_storage_layers_answer():
    watch = Watch(1, OPEN, text="key")
    assert matched(
        watch, candidate("NCT00000001"), candidate("NCT00000002"), text_hits={"key": frozenset({"NCT00000002"})}
    ) == ["NCT00000002"]
    assert matched(watch, candidate()) == []


def test_changes_from_before_the_confirmation_are_not_news():
    assert matched(Watch(1, OPEN, from_change=10), candidate()) == []
    assert matched(Watch(1, OPEN, from_change=9), candidate()) == ["NCT00000001"]


def test_frequency_decides_when_waiting_matches_go_out():
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert is_due(Frequency.IMMEDIATE, now, now)
    assert is_due(Frequency.DAILY, None, now)
    assert not is_due(Frequency.DAILY, now - timedelta(hours=23), now)
    assert is_due(Frequency.DAILY, now - timedelta(hours=24), now)
    assert not is_due(Frequency.WEEKLY, now - timedelta(days=6), now)
    assert is_due(Frequency.WEEKLY, now - timedelta(days=7), now)


def test_email_addresses_are_checked_and_their_domain_lowercased():
    assert normalise_email(" Anna@Example.ORG ") == "Anna@example.org"
    for bad in ("", "anna", "anna@", "anna@example", "a b@example.org", "anna@example.org\nBcc: x@y.org"):
        assert normalise_email(bad) is None, bad
