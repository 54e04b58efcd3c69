"""Query parameters into a `SearchQuery`, defensively: every value bounded, every mistake a message beside its field.

Pages and the JSON API share this parser, so they accept the same parameters with the same bounds (and the
OpenAPI document in `openapi.py` describes them from the same constants). Nothing here raises for bad input:
a mistake becomes a `FieldError` naming the parameter, with a message translated when it is shown.

Parameters (each single-valued one counts once: when repeated, the first value is used):
  q, condition, intervention   words to look for (at most 200 characters each, enforced by SearchQuery)
  status, phase, type          repeatable codes (RECRUITING, PHASE3, INTERVENTIONAL ...)
  age                          the person's age in years (0 to 125; "12.5" and "12,5" are both read)
  sex                          female or male (empty: any)
  healthy                      yes: only trials that accept healthy volunteers
  location                     a city or a postal code, found in the offline gazetteer
  lat, lon                     a position (the browser's), used when no location is typed
  radius, unit                 how far the person would travel, in km or mi
  sort                         relevance, distance or last_update
  page, page_size              which page; page_size only in the API
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from trialfinder.domain.errors import DomainError
from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType
from trialfinder.domain.values import KM_PER_MILE, GeoPoint
from trialfinder.geo.gazetteer import MAX_QUERY_LENGTH, Place
from trialfinder.queries.search import (
    DEFAULT_STATUSES,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_RADIUS_KM,
    MAX_TEXT,
    InvalidQuery,
    Near,
    SearchQuery,
    Sort,
)
from trialfinder.web.forms import FieldErrors
from trialfinder.web.i18n import N_, Message

TEXT_FIELDS = ("q", "condition", "intervention")
MULTI_FIELDS = {"status": RecruitmentStatus, "phase": Phase, "type": StudyType}
SINGLE_FIELDS = (*TEXT_FIELDS, "age", "sex", "healthy", "location", "lat", "lon", "radius", "unit", "sort", "page")
API_FIELDS = (*SINGLE_FIELDS, "page_size")
ALL_FIELDS = (*API_FIELDS, *MULTI_FIELDS)
MAX_VALUES = 20  # of one repeatable parameter (there are at most 14 distinct codes)
MAX_AGE = 125
DEFAULT_RADIUS = 50
DEFAULT_UNIT = "km"
PAGE_SIZE = 20
UNITS = ("km", "mi")
YES = ("yes", "true", "1", "on")
NO = ("no", "false", "0", "off", "")
MAX_ECHO = 40  # characters of an unknown value quoted back in a message

# Plain decimal numbers only: "1e309", "inf", "nan", "0x10" and thousands separators are not numbers a person types.
_AGE = re.compile(r"^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*$")
_RADIUS = re.compile(r"^\s*(\d{1,6})(?:[.,](\d{1,3}))?\s*$")
_DEGREES = re.compile(r"^\s*(-?\d{1,3}(?:\.\d{1,10})?)\s*$")
_WHOLE = re.compile(r"^\s*(\d{1,6})\s*$")

# Messages for SearchQuery's own checks, by its field names (the web shows them in the site's language).
QUERY_MESSAGES = {
    "text": N_("Please use at most %(max)s characters."),
    "condition": N_("Please use at most %(max)s characters."),
    "intervention": N_("Please use at most %(max)s characters."),
    "age": N_("Enter an age from 0 to %(max_age)s years."),
    "radius": N_("Choose a distance of more than 0 and at most %(max_km)s km (%(max_mi)s mi)."),
    "unit": N_("Choose km or mi."),
    "sex": N_("Choose female or male, or leave it empty."),
    "page": N_("Choose a page from 1 to %(max_page)s."),
    "page_size": N_("Choose a page size from 1 to %(max_page_size)s."),
    "sort": N_("Sorting by distance needs a location."),
    "status": N_("Choose at least one status."),
}
QUERY_FIELD_PARAMS = {"text": "q"}
BOUNDS = {
    "max": MAX_TEXT,
    "max_age": MAX_AGE,
    "max_km": MAX_RADIUS_KM,
    "max_mi": math.floor(MAX_RADIUS_KM / KM_PER_MILE),
    "max_page": MAX_PAGE,
    "max_page_size": MAX_PAGE_SIZE,
}


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # the parameter's name
    message: Message


@dataclass(frozen=True, slots=True)
class Location:
    """Where distances are measured from, and how the person gave it."""

    point: GeoPoint
    source: Literal["typed", "browser"]
    place: Place | None = None  # the gazetteer's best candidate, when typed


@dataclass(frozen=True)
class SearchForm(FieldErrors):
    """What was asked for: the values to show back in the form, and the query they make (None when any is wrong)."""

    values: dict[str, str]
    lists: dict[str, tuple[str, ...]]
    query: SearchQuery | None
    errors: tuple[FieldError, ...] = ()
    location: Location | None = None
    statuses: tuple[RecruitmentStatus, ...] = DEFAULT_STATUSES
    unit: str = DEFAULT_UNIT
    radius_km: float = DEFAULT_RADIUS

    @property
    def is_empty(self) -> bool:
        """Nothing asked for yet: the search page as first opened."""
        return not any(self.values.values()) and not any(self.lists.values())

    def pairs(self) -> list[tuple[str, str]]:
        """The search as query parameters (as given, without the page), for links that change one thing."""
        pairs: list[tuple[str, str]] = []
        for name in SINGLE_FIELDS:
            if name != "page" and self.values.get(name):
                pairs.append((name, self.values[name]))
        for name in MULTI_FIELDS:
            pairs.extend((name, value) for value in self.lists.get(name, ()))
        return pairs


class Params:
    """A read-only view of query parameters: `get` (first value) and `getlist`, as Starlette's QueryParams."""

    def __init__(self, items: Sequence[tuple[str, str]]):
        self.items = items

    def get(self, name: str) -> str | None:
        return next((value for key, value in self.items if key == name), None)

    def getlist(self, name: str) -> list[str]:
        return [value for key, value in self.items if key == name]


def parse_search(
    items: Sequence[tuple[str, str]],
    *,
    find_place: Callable[[str], list[Place]],
    api: bool = False,
) -> SearchForm:
    params = Params(items)
    errors: list[FieldError] = []

    def fail(name: str, msgid: str, **values: object) -> None:
        if not any(error.field == name for error in errors):
            errors.append(FieldError(name, Message(msgid, values)))

    values = {name: (params.get(name) or "").strip() for name in (API_FIELDS if api else SINGLE_FIELDS)}
    lists: dict[str, tuple[str, ...]] = {}

    # Repeatable codes: unknown ones are named in the message, so a person (or a program) sees what was wrong.
    codes: dict[str, tuple] = {}
    for name, enum in MULTI_FIELDS.items():
        given = params.getlist(name)
        raw = [value.strip() for value in given[:MAX_VALUES] if value.strip()]
        if len(given) > MAX_VALUES:  # empty values count: the bound is on what is sent, as documented (maxItems)
            fail(name, N_("Choose at most %(max)s values."), max=MAX_VALUES)
        chosen = []
        for value in raw:
            member = enum.__members__.get(value.upper())
            if member is None:
                fail(name, _UNKNOWN_CODE[name], value=_echo(value))
            elif member not in chosen:
                chosen.append(member)
        codes[name] = tuple(chosen)
        lists[name] = tuple(member.value for member in chosen)

    statuses = codes["status"] or DEFAULT_STATUSES

    age = None
    if values["age"]:
        match = _AGE.match(values["age"])
        if not match:
            fail("age", N_("Enter your age as a number of years, for example 42."))
        else:
            age = float(f"{match.group(1)}.{match.group(2) or 0}")
            if age > MAX_AGE:
                fail("age", QUERY_MESSAGES["age"], max_age=MAX_AGE)

    sex = None
    if values["sex"] and values["sex"].lower() not in ("any", "all"):
        sex = Sex.__members__.get(values["sex"].upper())
        if sex is None:
            fail("sex", QUERY_MESSAGES["sex"])

    healthy = None
    if values["healthy"].lower() in YES:
        healthy = True
    elif values["healthy"].lower() not in NO:
        fail("healthy", N_("Use yes, or leave it empty."))

    unit = values["unit"].lower() or DEFAULT_UNIT
    if unit not in UNITS:
        fail("unit", QUERY_MESSAGES["unit"])
        unit = DEFAULT_UNIT
    radius = float(DEFAULT_RADIUS)
    if values["radius"]:
        match = _RADIUS.match(values["radius"])
        number = float(f"{match.group(1)}.{match.group(2) or 0}") if match else None
        limit = MAX_RADIUS_KM / KM_PER_MILE if unit == "mi" else MAX_RADIUS_KM
        if number is None or not 0 < number <= limit + 1e-9:
            fail(
                "radius",
                N_("Choose a distance of more than 0 and at most %(max)s %(unit)s."),
                max=math.floor(limit),
                unit=unit,
            )
        else:
            radius = number
    radius_km = radius * KM_PER_MILE if unit == "mi" else radius

    location = _location(values, fail, find_place)

    sort = Sort.RELEVANCE
    if values["sort"]:
        try:
            sort = Sort(values["sort"].lower())
        except ValueError:
            fail("sort", N_("Sort by relevance, distance or last update."))
    if sort is Sort.DISTANCE and location is None and not values["location"]:
        fail("sort", QUERY_MESSAGES["sort"])

    page = _bounded_whole(values["page"], 1, MAX_PAGE, 1, "page", fail)
    page_size = PAGE_SIZE
    if api:
        page_size = _bounded_whole(values["page_size"], 1, MAX_PAGE_SIZE, PAGE_SIZE, "page_size", fail)

    query = None
    if not errors:
        try:
            query = SearchQuery(
                text=values["q"],
                condition=values["condition"],
                intervention=values["intervention"],
                statuses=statuses,
                phases=codes["phase"],
                study_types=codes["type"],
                age_years=age,
                sex=sex,
                healthy_volunteers=healthy,
                near=Near.of(location.point, radius, unit) if location else None,
                sort=sort,
                page=page,
                page_size=page_size,
            )
        except InvalidQuery as invalid:
            # The query object is the last word on its bounds (text length above all); its field names are ours
            # except "text", which the form calls "q".
            name = QUERY_FIELD_PARAMS.get(invalid.field, invalid.field)
            msgid = QUERY_MESSAGES.get(invalid.field)
            message = Message(msgid, BOUNDS) if msgid else Message("%(text)s", {"text": str(invalid)})
            errors.append(FieldError(name, message))

    return SearchForm(
        values=values,
        lists=lists,
        query=query,
        errors=tuple(errors),
        location=location,
        statuses=statuses,
        unit=unit,
        radius_km=radius_km,
    )


_UNKNOWN_CODE = {
    "status": N_("“%(value)s” is not a status we know. Choose from the list."),
    "phase": N_("“%(value)s” is not a phase we know. Choose from the list."),
    "type": N_("“%(value)s” is not a study type we know. Choose from the list."),
}


def _echo(value: str) -> str:
    return value if len(value) <= MAX_ECHO else value[: MAX_ECHO - 1] + "…"


def _bounded_whole(text: str, low: int, high: int, default: int, name: str, fail: Callable) -> int:
    if not text:
        return default
    match = _WHOLE.match(text)
    number = int(match.group(1)) if match else None
    if number is None or not low <= number <= high:
        fail(name, QUERY_MESSAGES[name], **BOUNDS)
        return default
    return number


def _location(values: dict[str, str], fail: Callable, find_place: Callable[[str], list[Place]]) -> Location | None:
    """A typed place wins over the browser's position: typing is the later, deliberate choice (the script clears
    the position when the field is typed in, but a person without scripts may have both)."""
    typed = values["location"]
    if typed:
        for name, bound in (("lat", 90), ("lon", 180)):  # set aside for the typed place, but never out of bounds
            if values[name] and _degrees(values[name], bound) is None:
                fail(name, N_("This position is not valid. Type a city instead, or use your location again."))
        if len(typed) > MAX_QUERY_LENGTH:
            fail("location", N_("Please use at most %(max)s characters."), max=MAX_QUERY_LENGTH)
            return None
        candidates = find_place(typed)
        if not candidates:
            fail(
                "location",
                N_(
                    "We could not find this place. Try a city, such as “Amsterdam” or “Boston, MA”, or a postal code, such as “1066 CX” or “02115”."
                ),
            )
            return None
        return Location(candidates[0].point, "typed", candidates[0])
    if not values["lat"] and not values["lon"]:
        return None
    lat, lon = _degrees(values["lat"], 90), _degrees(values["lon"], 180)
    if lat is None or lon is None:
        name = "lat" if lat is None else "lon"
        fail(name, N_("This position is not valid. Type a city instead, or use your location again."))
        return None
    try:
        return Location(GeoPoint(lat, lon), "browser")
    except DomainError:  # pragma: no cover - the bounds above are GeoPoint's
        fail("lat", N_("This position is not valid. Type a city instead, or use your location again."))
        return None


def _degrees(text: str, bound: float) -> float | None:
    match = _DEGREES.match(text) if text else None
    if not match:
        return None
    value = float(match.group(1))
    return value if math.isfinite(value) and -bound <= value <= bound else None
