"""A search and its query string: one reader, one writer, and every search survives the round trip."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialfinder.domain.search import (
    DEFAULT_STATUSES,
    MAX_TEXT,
    InvalidSearch,
    Problem,
    Search,
    radius_limit,
    read_search,
)
from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType
from trialfinder.domain.values import KM_PER_MILE, GeoPoint


def _decimal(low: float, high: float, places: int):
    # Numbers as a person (or a browser) writes them: at most `places` decimals, which the reader accepts.
    return st.decimals(min_value=Decimal(str(low)), max_value=Decimal(str(high)), places=places).map(float)


def _codes(enum, **options):
    return st.lists(st.sampled_from(list(enum)), unique=True, max_size=len(enum), **options).map(tuple)


# Short texts keep the test quick; the longest text is an example below.
_TEXT = st.text(max_size=30).map(str.strip)


@st.composite
def searches(draw) -> Search:
    unit = draw(st.sampled_from(("km", "mi")))
    location = draw(st.one_of(st.just(""), _TEXT))
    point = None
    if not location and draw(st.booleans()):
        point = GeoPoint(draw(_decimal(-90, 90, 10)), draw(_decimal(-180, 180, 10)))
    return Search(
        text=draw(_TEXT),
        condition=draw(_TEXT),
        intervention=draw(_TEXT),
        statuses=draw(st.one_of(st.just(DEFAULT_STATUSES), _codes(RecruitmentStatus, min_size=1))),
        phases=draw(_codes(Phase)),
        study_types=draw(_codes(StudyType)),
        age_years=draw(st.one_of(st.none(), _decimal(0, 125, 2))),
        sex=draw(st.sampled_from((None, Sex.FEMALE, Sex.MALE))),
        healthy_volunteers=draw(st.booleans()),
        location=location,
        point=point,
        radius=draw(_decimal(0.001, radius_limit(unit), 3)),
        unit=unit,
        expand=draw(st.booleans()),
    )


@settings(max_examples=100, database=None, deadline=None)
@given(searches())
def test_every_search_survives_its_query_string(search):
    reading = read_search(search.pairs())
    assert reading.problems == ()
    assert reading.search == search
    assert Search.from_query_string(search.query_string()) == search


@settings(max_examples=30, database=None, deadline=None)
@given(searches(), st.builds(GeoPoint, st.floats(-90, 90), st.floats(-180, 180)))
def test_a_typed_places_point_is_not_written_but_kept_beside_it(search, point):
    found = search.located(point) if search.location else search
    assert Search.from_query_string(found.query_string()) == search


def test_defaults_are_left_out_so_that_one_search_has_one_query_string():
    longest = Search(text="x" * MAX_TEXT, location="y" * MAX_TEXT)
    assert Search.from_query_string(longest.query_string()) == longest
    assert Search().pairs() == []
    as_typed = "q=+liver+&radius=50&unit=KM&status=RECRUITING&status=NOT_YET_RECRUITING&healthy=off&sex=Any&age=40,5"
    assert Search.from_query_string(as_typed).query_string() == "q=liver&age=40.5"
    browser = Search(point=GeoPoint(52.37, 0.00001), radius=12.5, unit="mi", sex=Sex.FEMALE, healthy_volunteers=True)
    assert browser.query_string() == "sex=female&healthy=yes&lat=52.37&lon=0.00001&radius=12.5&unit=mi"


def test_the_mile_is_defined_once():
    assert Search(radius=10, unit="mi").radius_km == pytest.approx(10 * KM_PER_MILE)
    # The reading of words as concepts is on unless turned off; only "no" (and its spellings) turns it off.
    assert Search(text="bowel cancer", expand=False).query_string() == "q=bowel+cancer&expand=no"
    assert read_search([("expand", "false")]).search.expand is False
    assert read_search([("expand", "")]).search.expand is True
    assert read_search([("expand", "maybe")]).problems[0].field == "expand"
    assert KM_PER_MILE == 1.609344


@pytest.mark.parametrize("spelling", ["yes", "YES", "true", "1", "on", " On "])
def test_yes_is_spelled_four_ways(spelling):
    assert read_search([("healthy", spelling)]).search.healthy_volunteers is True


@pytest.mark.parametrize("spelling", ["", "no", "false", "0", "off"])
def test_no_is_spelled_five_ways(spelling):
    assert read_search([("healthy", spelling)]) == read_search([])


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([("status", "RECRUITING")] * 21, Problem("status", "too_many", {"max": 20})),
        ([("phase", "PHASE9")], Problem("phase", "unknown", {"value": "PHASE9"})),
        ([("type", "x" * 50)], Problem("type", "unknown", {"value": "x" * 39 + "…"})),
        ([("age", "forty")], Problem("age", "invalid")),
        ([("age", "1e3")], Problem("age", "invalid")),
        ([("age", "126")], Problem("age", "out_of_range", {"max_age": 125})),
        ([("sex", "other")], Problem("sex", "unknown")),
        ([("healthy", "maybe")], Problem("healthy", "unknown")),
        ([("unit", "parsec")], Problem("unit", "unknown")),
        ([("radius", "0")], Problem("radius", "out_of_range", {"max": 2000, "unit": "km"})),
        ([("radius", "1300"), ("unit", "mi")], Problem("radius", "out_of_range", {"max": 1242, "unit": "mi"})),
        ([("lat", "91"), ("lon", "4")], Problem("lat", "invalid")),
        ([("lat", "52")], Problem("lon", "invalid")),
        ([("location", "x" * 201)], Problem("location", "too_long", {"max": 200})),
        ([("condition", "x" * 201)], Problem("condition", "too_long", {"max": 200})),
    ],
)
def test_each_mistake_is_a_problem_naming_its_parameter_and_the_rest_is_read(items, problem):
    reading = read_search([*items, ("q", "liver")])
    assert reading.problems == (problem,)
    assert reading.search.text == "liver"
    with pytest.raises(InvalidSearch) as raised:
        Search.from_query_string("&".join(f"{key}={value}" for key, value in items))
    assert raised.value.field == problem.field


def test_a_typed_place_sets_the_browsers_position_aside_but_checks_it():
    reading = read_search([("location", "Utrecht"), ("lat", "52.1"), ("lon", "500")])
    assert reading.search == Search(location="Utrecht")
    assert reading.problems == (Problem("lon", "invalid"),)
    with pytest.raises(InvalidSearch) as raised:
        reading.search.check_found()
    assert raised.value.field == "location"
    reading.search.located(GeoPoint(52.09, 5.12)).check_found()


def test_what_could_be_read_of_codes_is_kept():
    reading = read_search([("status", "completed"), ("status", "BOGUS"), ("status", "COMPLETED")])
    assert reading.search.statuses == (RecruitmentStatus.COMPLETED,)
    assert [problem.field for problem in reading.problems] == ["status"]
