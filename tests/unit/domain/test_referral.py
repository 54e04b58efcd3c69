"""Referral rules: which fields a contact request needs, and where it goes (routing on real records)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import FIXTURES

from trialfinder.domain.referral import (
    RouteKind,
    check_contact_fields,
    choose_route,
    contact_request,
    routable_sites,
    site_key,
)
from trialfinder.domain.trial import Contact, RecruitmentStatus
from trialfinder.domain.values import GeoPoint
from trialfinder.registries.ctgov_v2.mapping import to_trial

BOSTON = GeoPoint(42.3601, -71.0589)
WASHINGTON = GeoPoint(38.9072, -77.0369)
DENVER = GeoPoint(39.7392, -104.9903)
SEATTLE = GeoPoint(47.6062, -122.3321)
AMSTERDAM = GeoPoint(52.3676, 4.9041)

GOOD = {
    "first_name": "Anna",
    "last_name": "de Vries",
    "email": "anna.devries@example.org",
    "phone": "+31 20 123 4567",
    "contact_language": "nl",
    "other_language": "",
    "residence": "Utrecht",
    "message": "I would like to know more.\r\nThank you.",
    "consent": "yes",
}


def load(path):
    trial = to_trial(json.loads(path.read_text()))
    return trial[0] if isinstance(trial, tuple) else trial


@pytest.fixture(scope="module")
def servier():
    """NCT05786924: ten US sites, eight recruiting and two not yet, most with their own contact email."""
    return load(FIXTURES / "routing" / "NCT05786924.json")


@pytest.fixture(scope="module")
def reference():
    """NCT06857773: one recruiting site in Amsterdam, no contact email anywhere in the record."""
    return load(FIXTURES / "ctgov_v2" / "NCT06857773.json")


# --- fields ---------------------------------------------------------------------------------------------------------


def test_a_complete_form_has_no_problems_and_becomes_a_request():
    assert check_contact_fields(GOOD) == []
    request = contact_request(GOOD)
    assert request.contact_language == "nl"
    assert request.message == "I would like to know more.\nThank you."


@pytest.mark.parametrize(
    "field, value, code",
    [
        ("first_name", "", "required"),
        ("last_name", "x" * 101, "too_long"),
        ("email", "anna@", "invalid"),
        ("email", "anna@example.org, boss@example.org", "invalid"),
        ("email", "anna@example.org\r\nBcc: all@example.org", "invalid"),
        ("phone", "call me maybe", "invalid"),
        ("phone", "", "required"),
        ("residence", "", "required"),
        ("message", "x" * 2001, "too_long"),
        ("consent", "", "required"),
        ("contact_language", "xx", "invalid"),
    ],
)
def test_each_problem_is_named_for_its_field(field, value, code):
    problems = check_contact_fields({**GOOD, field: value})
    assert [(problem.field, problem.code) for problem in problems] == [(field, code)]


@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "phone", "residence", "other_language"])
@pytest.mark.parametrize("injection", ["\r\nBcc: victim@example.org", "\nSubject: hi", "\x00", "\u2028"])
def test_a_line_break_in_any_one_line_field_is_refused(field, injection):
    values = {**GOOD, "contact_language": "other", "other_language": "Frisian"}
    values[field] = values[field] + injection
    assert (field, "invalid") in [(problem.field, problem.code) for problem in check_contact_fields(values)]


def test_other_language_needs_its_name():
    problems = check_contact_fields({**GOOD, "contact_language": "other", "other_language": ""})
    assert [(problem.field, problem.code) for problem in problems] == [("other_language", "required")]
    request = contact_request({**GOOD, "contact_language": "other", "other_language": "Frisian"})
    assert request.contact_language == "Frisian"


# --- routing --------------------------------------------------------------------------------------------------------


def test_the_nearest_recruiting_site_is_chosen_by_distance(servier):
    route = choose_route(servier, home=SEATTLE, site_choice=None, operator_inbox=None)
    assert route.kind is RouteKind.SITE
    assert route.site.site.city == "Seattle"
    assert route.team_email == "rwood1@seattlecca.org"
    assert route.site.distance_km < 5


def test_a_recruiting_site_beats_a_nearer_one_that_has_not_started(servier):
    # Georgetown (Washington D.C.) is not yet recruiting; NEXT Virginia in Fairfax, 25 km away, is.
    route = choose_route(servier, home=WASHINGTON, site_choice=None, operator_inbox=None)
    assert route.site.site.city == "Fairfax"
    assert route.site.status is RecruitmentStatus.RECRUITING
    ordered = routable_sites(servier, WASHINGTON)
    statuses = [item.status for item in ordered]
    assert statuses == sorted(statuses, key=[RecruitmentStatus.RECRUITING, RecruitmentStatus.NOT_YET_RECRUITING].index)
    recruiting = [item.distance_km for item in ordered if item.status is RecruitmentStatus.RECRUITING]
    assert recruiting == sorted(recruiting)


def test_when_only_not_yet_recruiting_sites_remain_the_nearest_of_them_is_chosen(servier):
    closed = tuple(
        replace(site, status=RecruitmentStatus.COMPLETED) if site.status is RecruitmentStatus.RECRUITING else site
        for site in servier.sites
    )
    route = choose_route(replace(servier, sites=closed), home=DENVER, site_choice=None, operator_inbox=None)
    assert route.site.site.city == "Aurora"
    assert route.site.status is RecruitmentStatus.NOT_YET_RECRUITING


def test_a_completed_site_is_never_chosen_even_when_nearest_or_picked(reference):
    amsterdam = reference.sites[0]
    paris = replace(
        amsterdam,
        facility="Institut Gustave Roussy",
        city="Paris",
        country="France",
        coordinates=GeoPoint(48.85341, 2.3488),
        contacts=(Contact(email="essais@example.fr"),),
    )
    trial = replace(reference, sites=(replace(amsterdam, status=RecruitmentStatus.COMPLETED), paris))
    route = choose_route(trial, home=AMSTERDAM, site_choice=None, operator_inbox=None)
    assert route.site.site.city == "Paris"
    assert choose_route(trial, home=AMSTERDAM, site_choice=site_key(trial.sites[0]), operator_inbox=None) is None
    assert all(item.site.city != "Amsterdam" for item in routable_sites(trial, AMSTERDAM))


def test_a_picked_site_wins_over_the_nearest(servier):
    minneapolis = next(site for site in servier.sites if site.city == "Minneapolis")
    route = choose_route(servier, home=SEATTLE, site_choice=site_key(minneapolis), operator_inbox=None)
    assert route.site.site is minneapolis
    assert route.team_email == "kulkarni@umn.edu"


def test_fallbacks_in_order_site_then_central_then_operator_then_nothing(servier, reference):
    # Dana-Farber (Boston) gives no email: the trial's central contact gets it, with the site named.
    route = choose_route(servier, home=BOSTON, site_choice=None, operator_inbox="inbox@operator.example")
    assert (route.kind, route.site.site.city, route.team_email) == (
        RouteKind.CENTRAL,
        "Boston",
        "scientificinformation@servier.com",
    )
    # The reference trial has no email at all: the operator's inbox, else no route.
    route = choose_route(reference, home=AMSTERDAM, site_choice=None, operator_inbox="inbox@operator.example")
    assert (route.kind, route.team_email, route.site.site.city) == (
        RouteKind.OPERATOR,
        "inbox@operator.example",
        "Amsterdam",
    )
    assert choose_route(reference, home=AMSTERDAM, site_choice=None, operator_inbox=None) is None


def test_a_trial_without_sites_goes_to_its_central_contact_only_while_recruiting(servier):
    no_sites = replace(servier, sites=())
    route = choose_route(no_sites, home=None, site_choice=None, operator_inbox=None)
    assert (route.kind, route.site) == (RouteKind.CENTRAL, None)
    closed = replace(no_sites, overall_status=RecruitmentStatus.COMPLETED)
    assert choose_route(closed, home=None, site_choice=None, operator_inbox="inbox@operator.example") is None


def test_without_a_home_the_registry_order_decides_among_recruiting_sites(servier):
    route = choose_route(servier, home=None, site_choice=None, operator_inbox=None)
    assert route.site.site is servier.sites[0]  # Gilbert, the first recruiting site listed


def test_site_keys_are_stable_and_distinct(servier):
    keys = [site_key(site) for site in servier.sites]
    assert len(set(keys)) == len(keys)
    assert keys == [site_key(replace(site)) for site in servier.sites]
