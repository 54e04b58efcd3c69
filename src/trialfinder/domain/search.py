"""A search: every criterion a person can look for trials by, and its one serialisation, the query string.

The search page, the JSON API, a saved search (a subscription) and the alert run all hold a `Search`.
`read_search` is the only reader of search parameters and `Search.pairs` the only writer, so the defaults, the
bounds, the mile and the spellings of "yes" are defined here and nowhere else. Pure: no I/O.

Parameters (each single-valued one counts once: when repeated, the first value is used):
  q, condition, intervention   words to look for (at most 200 characters each)
  status, phase, type          repeatable codes (RECRUITING, PHASE3, INTERVENTIONAL ...); statuses default to
                               recruiting and not yet recruiting
  age                          the person's age in years (0 to 125; "12.5" and "12,5" are both read)
  sex                          female or male (empty, "any" or "all": any)
  healthy                      yes: only trials that accept healthy volunteers
  location                     a place as typed (found in the gazetteer by the caller: see `Search.point`)
  lat, lon                     a position (the browser's), used when no place is typed
  radius, unit                 how far the person would travel, in km or mi (default 50 km)
  expand                       no: match the words as typed, without the concepts, synonyms, lay and Dutch words
                               and spelling corrections they are read as (default yes)

The writer leaves out what is at its default, so one search has one query string: `read_search(s.pairs())` gives
back `s`, except that a typed place's point is not written (the place is; the caller finds it again, or keeps it
beside the string, as subscriptions do).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Literal
from urllib.parse import parse_qsl, urlencode

from trialfinder.domain.errors import DomainError
from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType
from trialfinder.domain.values import KM_PER_MILE, GeoPoint

Unit = Literal["km", "mi"]

DEFAULT_STATUSES = (RecruitmentStatus.RECRUITING, RecruitmentStatus.NOT_YET_RECRUITING)
DEFAULT_RADIUS = 50
DEFAULT_UNIT: Unit = "km"
UNITS: tuple[Unit, ...] = ("km", "mi")
YES = ("yes", "true", "1", "on")
NO = ("no", "false", "0", "off", "")
MAX_TEXT = 200  # characters of free text, condition, intervention or place
MAX_WORDS = 12
MAX_AGE = 125
MAX_RADIUS_KM = 2_000.0
MAX_VALUES = 20  # of one repeatable parameter (there are at most 14 distinct codes)
MAX_ECHO = 40  # characters of an unknown value quoted back in a problem
DAYS_PER_YEAR = 365.25

TEXT_PARAMETERS = ("q", "condition", "intervention")
SINGLE_PARAMETERS = (*TEXT_PARAMETERS, "age", "sex", "healthy", "location", "lat", "lon", "radius", "unit", "expand")
CODE_PARAMETERS = {"status": RecruitmentStatus, "phase": Phase, "type": StudyType}

# Plain decimal numbers only: "1e309", "inf", "nan", "0x10" and thousands separators are not numbers a person types.
_AGE = re.compile(r"^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*$")
_RADIUS = re.compile(r"^\s*(\d{1,6})(?:[.,](\d{1,3}))?\s*$")
_DEGREES = re.compile(r"^\s*(-?\d{1,3}(?:\.\d{1,10})?)\s*$")
# A searchable word: letters and digits, joined by an apostrophe or hyphen ("crohn's", "covid-19").
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)


class InvalidSearch(DomainError):
    """A search criterion is out of bounds; `field` names its parameter so a form can show the message beside it."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


def words(text: str) -> list[str]:
    """The searchable words of what a person typed: letters and digits only, so nothing they type is syntax."""
    return WORD.findall(text)[:MAX_WORDS]


def radius_limit(unit: str) -> float:
    """The largest radius in `unit`: MAX_RADIUS_KM, in miles when asked in miles."""
    return MAX_RADIUS_KM / KM_PER_MILE if unit == "mi" else MAX_RADIUS_KM


@dataclass(frozen=True, slots=True)
class Search:
    """What a person searches by. Every value is checked when made (`InvalidSearch`)."""

    text: str = ""  # the `q` parameter: words anywhere
    condition: str = ""
    intervention: str = ""
    statuses: tuple[RecruitmentStatus, ...] = DEFAULT_STATUSES
    phases: tuple[Phase, ...] = ()
    study_types: tuple[StudyType, ...] = ()
    age_years: float | None = None
    sex: Sex | None = None  # the person's sex; None: no filter
    healthy_volunteers: bool = False  # True: only trials that accept healthy volunteers
    location: str = ""  # a place as typed
    # Where distances are measured from: the typed place's point once found, else the browser's position.
    point: GeoPoint | None = None
    radius: float = DEFAULT_RADIUS  # in `unit`
    unit: Unit = DEFAULT_UNIT
    # Read the words as concepts too (synonyms, lay and Dutch words, abbreviations, spelling); False: as typed only.
    expand: bool = True

    def __post_init__(self) -> None:
        for name, value in zip(TEXT_PARAMETERS, (self.text, self.condition, self.intervention), strict=True):
            if len(value) > MAX_TEXT:
                raise InvalidSearch(name, f"please use at most {MAX_TEXT} characters")
        if len(self.location) > MAX_TEXT:
            raise InvalidSearch("location", f"please use at most {MAX_TEXT} characters")
        if not self.statuses:
            raise InvalidSearch("status", "choose at least one status")
        if self.age_years is not None and not (math.isfinite(self.age_years) and 0 <= self.age_years <= MAX_AGE):
            raise InvalidSearch("age", f"the age must be between 0 and {MAX_AGE} years")
        if self.sex is Sex.ALL:
            raise InvalidSearch("sex", "the sex to match is female or male")
        if self.unit not in UNITS:
            raise InvalidSearch("unit", "the unit must be km or mi")
        if not (math.isfinite(self.radius) and 0 < self.radius <= radius_limit(self.unit) + 1e-9):
            raise InvalidSearch("radius", f"the distance must be more than 0 and at most {MAX_RADIUS_KM:,.0f} km")

    @property
    def radius_km(self) -> float:
        return self.radius * KM_PER_MILE if self.unit == "mi" else self.radius

    @property
    def age_days(self) -> float | None:
        """The age as trials' limits are stored: days of 365.25."""
        return self.age_years * DAYS_PER_YEAR if self.age_years is not None else None

    def located(self, point: GeoPoint) -> Search:
        """This search with its typed place found at `point`."""
        return replace(self, point=point)

    def check_found(self) -> None:
        """Raise InvalidSearch when a place was typed but not found yet: such a search can be shown, not run or
        saved (it would silently search everywhere)."""
        if self.location and self.point is None:
            raise InvalidSearch("location", "a typed place must be found before searching by it")

    def pairs(self) -> list[tuple[str, str]]:
        """The search as query parameters, leaving out what is at its default (a typed place's point too)."""
        single = [
            ("q", self.text),
            ("condition", self.condition),
            ("intervention", self.intervention),
            ("age", _decimal(self.age_years) if self.age_years is not None else ""),
            ("sex", self.sex.value.lower() if self.sex else ""),
            ("healthy", YES[0] if self.healthy_volunteers else ""),
            ("location", self.location),
        ]
        if self.point is not None and not self.location:
            single += [("lat", _decimal(self.point.lat)), ("lon", _decimal(self.point.lon))]
        if self.radius != DEFAULT_RADIUS:
            single.append(("radius", _decimal(self.radius)))
        if self.unit != DEFAULT_UNIT:
            single.append(("unit", self.unit))
        if not self.expand:
            single.append(("expand", NO[0]))
        pairs = [(name, value) for name, value in single if value]
        if self.statuses != DEFAULT_STATUSES:
            pairs += [("status", status.value) for status in self.statuses]
        pairs += [("phase", phase.value) for phase in self.phases]
        pairs += [("type", kind.value) for kind in self.study_types]
        return pairs

    def query_string(self) -> str:
        return urlencode(self.pairs())

    @classmethod
    def from_query_string(cls, text: str) -> Search:
        """A search as `query_string` wrote it (or as a URL gives it). Raises InvalidSearch for its first problem."""
        reading = read_search(parse_qsl(text, keep_blank_values=True))
        if reading.problems:
            problem = reading.problems[0]
            raise InvalidSearch(problem.field, f"{problem.field}: {problem.kind.replace('_', ' ')}")
        return reading.search


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong with one parameter, for the caller to put in words.

    `kind`: "too_many" (values), "unknown" (a code or word not among those accepted), "invalid" (not a number, or
    not a position), "out_of_range" or "too_long"; `values` are what a message needs (bounds, the unknown value shortened)."""

    field: str
    kind: str
    values: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reading:
    """What `read_search` made of some parameters: the search, with each parameter that has a problem left at its
    default (what could be read of it is kept), and the problems (at most one per parameter), in reading order."""

    search: Search
    problems: tuple[Problem, ...] = ()


def read_search(items: Iterable[tuple[str, str]]) -> Reading:
    """Read search parameters (name, value pairs, as a URL or a form gives them). Raises nothing: a mistake is a
    Problem naming its parameter. Parameters that are not a search's are ignored."""
    first: dict[str, str] = {}
    given: dict[str, list[str]] = {}
    for key, value in items:
        first.setdefault(key, value)
        given.setdefault(key, []).append(value)
    values = {name: first.get(name, "").strip() for name in SINGLE_PARAMETERS}
    problems: dict[str, Problem] = {}

    def fail(name: str, kind: str, **details: object) -> None:
        problems.setdefault(name, Problem(name, kind, details))

    codes: dict[str, tuple] = {}
    for name, enum in CODE_PARAMETERS.items():
        sent = given.get(name, [])
        if len(sent) > MAX_VALUES:  # empty values count: the bound is on what is sent
            fail(name, "too_many", max=MAX_VALUES)
        chosen: list = []
        for value in (value.strip() for value in sent[:MAX_VALUES]):
            member = enum.__members__.get(value.upper()) if value else None
            if value and member is None:
                fail(name, "unknown", value=value if len(value) <= MAX_ECHO else value[: MAX_ECHO - 1] + "…")
            elif member is not None and member not in chosen:
                chosen.append(member)
        codes[name] = tuple(chosen)

    age = None
    if values["age"]:
        match = _AGE.match(values["age"])
        if not match:
            fail("age", "invalid")
        elif (number := float(f"{match.group(1)}.{match.group(2) or 0}")) > MAX_AGE:
            fail("age", "out_of_range", max_age=MAX_AGE)
        else:
            age = number

    sex = None
    if values["sex"] and values["sex"].lower() not in ("any", "all"):
        sex = Sex.__members__.get(values["sex"].upper())
        if sex is None:
            fail("sex", "unknown")

    healthy = values["healthy"].lower() in YES
    if not healthy and values["healthy"].lower() not in NO:
        fail("healthy", "unknown")
    # Empty means the default (on); only a clear "no" turns the reading of words off.
    expand = not values["expand"] or values["expand"].lower() not in NO
    if values["expand"] and values["expand"].lower() not in (*YES, *NO):
        fail("expand", "unknown")

    unit = values["unit"].lower() or DEFAULT_UNIT
    if unit not in UNITS:
        fail("unit", "unknown")
        unit = DEFAULT_UNIT
    radius: float = DEFAULT_RADIUS
    if values["radius"]:
        match = _RADIUS.match(values["radius"])
        number = float(f"{match.group(1)}.{match.group(2) or 0}") if match else None
        limit = radius_limit(unit)
        if number is None or not 0 < number <= limit + 1e-9:
            fail("radius", "out_of_range", max=math.floor(limit), unit=unit)
        else:
            radius = number

    location, point = "", None
    if values["location"]:
        # A typed place wins over the browser's position: typing is the later, deliberate choice (the page's script
        # clears the position when the field is typed in, but a person without scripts may have both). The position
        # is set aside, but never out of bounds.
        for name, bound in (("lat", 90), ("lon", 180)):
            if values[name] and _degrees(values[name], bound) is None:
                fail(name, "invalid")
        if len(values["location"]) > MAX_TEXT:
            fail("location", "too_long", max=MAX_TEXT)
        else:
            location = values["location"]
    elif values["lat"] or values["lon"]:
        lat, lon = _degrees(values["lat"], 90), _degrees(values["lon"], 180)
        if lat is None or lon is None:
            fail("lat" if lat is None else "lon", "invalid")
        else:
            point = GeoPoint(lat, lon)

    texts = {}
    for name in TEXT_PARAMETERS:
        if len(values[name]) > MAX_TEXT:
            fail(name, "too_long", max=MAX_TEXT)
        texts[name] = values[name] if len(values[name]) <= MAX_TEXT else ""

    search = Search(
        text=texts["q"],
        condition=texts["condition"],
        intervention=texts["intervention"],
        statuses=codes["status"] or DEFAULT_STATUSES,
        phases=codes["phase"],
        study_types=codes["type"],
        age_years=age,
        sex=sex,
        healthy_volunteers=healthy,
        location=location,
        point=point,
        radius=radius,
        unit=unit,
        expand=expand,
    )
    return Reading(search, tuple(problems.values()))


def _degrees(text: str, bound: float) -> float | None:
    match = _DEGREES.match(text) if text else None
    if not match:
        return None
    value = float(match.group(1))
    return value if -bound <= value <= bound else None


def _decimal(number: float) -> str:
    """A number as a person writes it: `50`, `12.5`, `0.00001` (never `50.0` or `1e-05`, which are not read back)."""
    return format(Decimal(repr(float(number))).normalize(), "f")
