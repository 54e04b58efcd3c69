"""Value objects: NCT ids, partial dates, ages and distances."""

from __future__ import annotations

import pytest

from trialfinder.domain.errors import DomainError
from trialfinder.domain.trial import OtherId, RecruitmentStatus
from trialfinder.domain.values import Age, AgeRange, AgeUnit, GeoPoint, PartialDate, is_nct_id, nct_id


@pytest.mark.parametrize("text", ["NCT06857773", " nct06857773 ", "NCT00000102"])
def test_nct_id_accepts_and_canonicalises(text):
    assert nct_id(text) == text.strip().upper()


@pytest.mark.parametrize("text", ["NCT0685777", "NCT068577731", "06857773", "NCT0685777X", "", "NCT 06857773"])
def test_nct_id_rejects(text):
    assert not is_nct_id(text)
    with pytest.raises(DomainError):
        nct_id(text)


@pytest.mark.parametrize(
    ("text", "expected", "iso"),
    [
        ("2024", PartialDate(2024), "2024"),
        ("2024-11", PartialDate(2024, 11), "2024-11"),
        ("2024-11-21", PartialDate(2024, 11, 21), "2024-11-21"),
        ("July 2007", PartialDate(2007, 7), "2007-07"),
        ("June 16, 2016", PartialDate(2016, 6, 16), "2016-06-16"),
        ("Sept 3, 2001", PartialDate(2001, 9, 3), "2001-09-03"),
    ],
)
def test_partial_dates_parse_and_print(text, expected, iso):
    assert PartialDate.parse(text) == expected
    assert expected.isoformat() == iso


@pytest.mark.parametrize("text", ["2024-13", "2023-02-29", "1066", "yesterday", "Smarch 2020", "2024-11-31"])
def test_impossible_dates_are_rejected(text):
    with pytest.raises(DomainError):
        PartialDate.parse(text)


def test_partial_dates_sort_unknown_parts_first():
    keys = [PartialDate.parse(text).sort_key() for text in ("2024-11-01", "2024", "2024-11", "2023-12-31")]
    assert sorted(keys) == ["2023-12-31", "2024-00-00", "2024-11-00", "2024-11-01"]


def test_leap_day_is_a_date():
    assert PartialDate.parse("2024-02-29").day == 29


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [("18 Years", 18, AgeUnit.YEARS), ("6 Months", 6, AgeUnit.MONTHS), ("1 Year", 1, AgeUnit.YEARS), ("28 days", 28, AgeUnit.DAYS)],
)
def test_ages_parse(text, value, unit):
    assert Age.parse(text) == Age(value, unit)


@pytest.mark.parametrize("text", ["N/A", "", "  "])
def test_absent_age_means_no_limit(text):
    assert Age.parse(text) is None


@pytest.mark.parametrize("text", ["eighteen", "18", "18 Parsecs", "-3 Years"])
def test_unreadable_ages_are_errors(text):
    with pytest.raises(DomainError):
        Age.parse(text)


def test_age_range_is_inclusive_in_whole_years():
    adults = AgeRange(Age(18, AgeUnit.YEARS), Age(65, AgeUnit.YEARS))
    assert not adults.contains_years(17.99)
    assert adults.contains_years(18)
    assert adults.contains_years(65.9)  # still "65 years old"
    assert not adults.contains_years(66)
    infants = AgeRange(maximum=Age(6, AgeUnit.MONTHS))
    assert infants.contains_years(0.4)
    assert not infants.contains_years(0.6)
    assert AgeRange().contains_years(120)


def test_age_text():
    assert str(Age(1, AgeUnit.YEARS)) == "1 year"
    assert str(Age(18, AgeUnit.YEARS)) == "18 years"


def test_distance_amsterdam_to_rotterdam():
    amsterdam = GeoPoint(52.37403, 4.88969)
    rotterdam = GeoPoint(51.9225, 4.47917)
    assert amsterdam.distance_km(rotterdam) == pytest.approx(57.5, abs=1.0)
    assert amsterdam.distance_km(amsterdam) == 0


@pytest.mark.parametrize(("lat", "lon"), [(91, 0), (0, 181), (float("nan"), 0)])
def test_impossible_coordinates(lat, lon):
    with pytest.raises(DomainError):
        GeoPoint(lat, lon)


def test_eu_ct_numbers_are_recognised_by_type_or_shape():
    assert OtherId("2023-506194-35-00", "REGISTRY", "EU Trial (CTIS) Number").is_eu_ct_number
    assert OtherId("2019-001234-56").is_eu_ct_number
    assert OtherId("X", "EUDRACT_NUMBER").is_eu_ct_number
    assert not OtherId("M23PIT").is_eu_ct_number


def test_not_yet_recruiting_is_not_open():
    assert RecruitmentStatus.RECRUITING.is_open
    assert not RecruitmentStatus.NOT_YET_RECRUITING.is_open
