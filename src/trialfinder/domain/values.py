"""Value objects: identifiers, partial dates, ages and places, each validating itself."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum

from trialfinder.domain.errors import DomainError

_NCT_ID = re.compile(r"^NCT\d{8}$")


def nct_id(value: str) -> str:
    """Return `value` as a canonical NCT id (`NCT` and eight digits) or raise DomainError.

    Ids are kept as plain strings in the model (they are compared and stored millions of times);
    this function is the one gate they pass through.
    """
    if not isinstance(value, str):
        raise DomainError(f"NCT id must be text, not {type(value).__name__}")
    candidate = value.strip().upper()
    if not _NCT_ID.match(candidate):
        raise DomainError(f"not an NCT id: {value[:40]!r}")
    return candidate


def is_nct_id(value: object) -> bool:
    return isinstance(value, str) and bool(_NCT_ID.match(value.strip().upper()))


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
# The legacy XML writes "July 2007" or "June 16, 2016".
_WORDY_DATE = re.compile(r"^([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})$")


@dataclass(frozen=True, slots=True, order=True)
class PartialDate:
    """A calendar date of which the month and day may be unknown (registries post `2024` or `2024-11`)."""

    year: int
    month: int | None = None
    day: int | None = None

    def __post_init__(self) -> None:
        if not 1800 <= self.year <= 2200:
            raise DomainError(f"year out of range: {self.year}")
        if self.month is None and self.day is not None:
            raise DomainError("a day without a month")
        if self.month is not None and not 1 <= self.month <= 12:
            raise DomainError(f"month out of range: {self.month}")
        if self.day is not None:
            assert self.month is not None
            if not 1 <= self.day <= _days_in_month(self.year, self.month):
                raise DomainError(f"day out of range: {self.year}-{self.month:02d}-{self.day}")

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Parse `2024`, `2024-11`, `2024-11-21`, `July 2007` or `June 16, 2016`."""
        value = text.strip()
        if match := _ISO_DATE.match(value):
            year, month, day = match.groups()
            return cls(int(year), int(month) if month else None, int(day) if day else None)
        if match := _WORDY_DATE.match(value):
            month_name, day, year = match.groups()
            month = _MONTHS.get(month_name.lower())
            if month is None:
                raise DomainError(f"unknown month in date {value[:40]!r}")
            return cls(int(year), month, int(day) if day else None)
        raise DomainError(f"not a date: {value[:40]!r}")

    def isoformat(self) -> str:
        if self.month is None:
            return f"{self.year:04d}"
        if self.day is None:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    def sort_key(self) -> str:
        """A string that sorts chronologically, unknown parts first: `2024-11-00` before `2024-11-01`."""
        return f"{self.year:04d}-{self.month or 0:02d}-{self.day or 0:02d}"

    def __str__(self) -> str:
        return self.isoformat()


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


class AgeUnit(str, Enum):
    YEARS = "YEARS"
    MONTHS = "MONTHS"
    WEEKS = "WEEKS"
    DAYS = "DAYS"
    HOURS = "HOURS"
    MINUTES = "MINUTES"


# Average lengths, so that "6 Months" and "26 Weeks" compare sensibly against an age in years.
_DAYS_PER_UNIT = {
    AgeUnit.YEARS: 365.25,
    AgeUnit.MONTHS: 365.25 / 12,
    AgeUnit.WEEKS: 7.0,
    AgeUnit.DAYS: 1.0,
    AgeUnit.HOURS: 1 / 24,
    AgeUnit.MINUTES: 1 / 1440,
}
_AGE_TEXT = re.compile(r"^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$")
_UNIT_WORDS = {
    "year": AgeUnit.YEARS,
    "years": AgeUnit.YEARS,
    "month": AgeUnit.MONTHS,
    "months": AgeUnit.MONTHS,
    "week": AgeUnit.WEEKS,
    "weeks": AgeUnit.WEEKS,
    "day": AgeUnit.DAYS,
    "days": AgeUnit.DAYS,
    "hour": AgeUnit.HOURS,
    "hours": AgeUnit.HOURS,
    "minute": AgeUnit.MINUTES,
    "minutes": AgeUnit.MINUTES,
}


@dataclass(frozen=True, slots=True)
class Age:
    """An age limit as registered: a number and its unit (`18 Years`, `6 Months`)."""

    value: float
    unit: AgeUnit

    def __post_init__(self) -> None:
        if not (math.isfinite(self.value) and 0 <= self.value <= 200 * 365.25 * 1440):
            raise DomainError(f"age out of range: {self.value}")

    @classmethod
    def parse(cls, text: str) -> Age | None:
        """Parse `18 Years`; `N/A` and empty text mean "no limit" and give None."""
        value = text.strip()
        if not value or value.upper() in {"N/A", "NA", "NONE"}:
            return None
        match = _AGE_TEXT.match(value)
        if not match or match.group(2).lower() not in _UNIT_WORDS:
            raise DomainError(f"not an age: {value[:40]!r}")
        number = float(match.group(1))
        return cls(int(number) if number.is_integer() else number, _UNIT_WORDS[match.group(2).lower()])

    def in_days(self) -> float:
        return self.value * _DAYS_PER_UNIT[self.unit]

    def in_years(self) -> float:
        return self.in_days() / 365.25

    def __str__(self) -> str:
        number = int(self.value) if float(self.value).is_integer() else self.value
        word = self.unit.value.lower()
        return f"{number} {word[:-1] if number == 1 else word}"


@dataclass(frozen=True, slots=True)
class AgeRange:
    """Inclusive age limits; an absent limit means none (ClinicalTrials.gov omits it)."""

    minimum: Age | None = None
    maximum: Age | None = None

    def contains_years(self, years: float) -> bool:
        days = years * 365.25
        if self.minimum is not None and days < self.minimum.in_days() - 1e-9:
            return False
        # A maximum of "65 Years" admits a person until their 66th birthday.
        if self.maximum is not None and self.maximum.unit is AgeUnit.YEARS:
            return years < self.maximum.value + 1
        return self.maximum is None or days <= self.maximum.in_days() + 1e-9


@dataclass(frozen=True, slots=True)
class GeoPoint:
    """A WGS84 position in decimal degrees."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and math.isfinite(self.lon)):
            raise DomainError("coordinates must be finite numbers")
        if not (-90 <= self.lat <= 90 and -180 <= self.lon <= 180):
            raise DomainError(f"coordinates out of range: {self.lat}, {self.lon}")

    def distance_km(self, other: GeoPoint) -> float:
        """Great-circle distance by the haversine formula on a sphere of mean Earth radius 6371.0088 km."""
        lat1, lon1, lat2, lon2 = map(math.radians, (self.lat, self.lon, other.lat, other.lon))
        a = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
        return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


KM_PER_MILE = 1.609344
