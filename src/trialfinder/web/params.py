"""Query parameters into a `SearchForm`: the search (read by `domain.search.read_search`, its typed place found in
the gazetteer), the page asked for, and every mistake as a message beside its field.

Pages and the JSON API share this parser, so they accept the same parameters with the same bounds (and the
OpenAPI document in `openapi.py` describes them from the same constants). Nothing here raises for bad input:
a mistake becomes a `FieldError` naming the parameter, with a message translated when it is shown.

Parameters: those of a search (see domain/search.py), and
  sort                         relevance, distance or last_update
  page, page_size              which page; page_size only in the API
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from trialfinder.domain.search import (
    CODE_PARAMETERS,
    SINGLE_PARAMETERS,
    TEXT_PARAMETERS,
    Problem,
    Search,
    read_search,
)
from trialfinder.domain.trial import RecruitmentStatus
from trialfinder.domain.values import GeoPoint
from trialfinder.geo.gazetteer import Place
from trialfinder.queries.search import MAX_PAGE, MAX_PAGE_SIZE, SearchQuery, Sort
from trialfinder.views.i18n import N_, Message
from trialfinder.web.forms import FieldErrors

MULTI_FIELDS = CODE_PARAMETERS
SINGLE_FIELDS = (*SINGLE_PARAMETERS, "sort", "page")
API_FIELDS = (*SINGLE_FIELDS, "page_size")
ALL_FIELDS = (*API_FIELDS, *MULTI_FIELDS)
PAGE_SIZE = 20
_WHOLE = re.compile(r"^\s*(\d{1,6})\s*$")

_TOO_LONG = N_("Please use at most %(max)s characters.")
_POSITION = N_("This position is not valid. Type a city instead, or use your location again.")
# The words for each problem the search's reader names, by parameter and kind (domain.search.Problem).
PROBLEM_MESSAGES = {
    ("status", "unknown"): N_("“%(value)s” is not a status we know. Choose from the list."),
    ("phase", "unknown"): N_("“%(value)s” is not a phase we know. Choose from the list."),
    ("type", "unknown"): N_("“%(value)s” is not a study type we know. Choose from the list."),
    ("age", "invalid"): N_("Enter your age as a number of years, for example 42."),
    ("age", "out_of_range"): N_("Enter an age from 0 to %(max_age)s years."),
    ("sex", "unknown"): N_("Choose female or male, or leave it empty."),
    ("healthy", "unknown"): N_("Use yes, or leave it empty."),
    ("expand", "unknown"): N_("Use no to search the words as typed only, or leave it empty."),
    ("unit", "unknown"): N_("Choose km or mi."),
    ("radius", "out_of_range"): N_("Choose a distance of more than 0 and at most %(max)s %(unit)s."),
    ("lat", "invalid"): _POSITION,
    ("lon", "invalid"): _POSITION,
    ("location", "too_long"): _TOO_LONG,
    **{(name, "too_long"): _TOO_LONG for name in TEXT_PARAMETERS},
    **{(name, "too_many"): N_("Choose at most %(max)s values.") for name in CODE_PARAMETERS},
}
PAGE_MESSAGES = {
    "page": N_("Choose a page from 1 to %(max_page)s."),
    "page_size": N_("Choose a page size from 1 to %(max_page_size)s."),
}
BOUNDS = {"max_page": MAX_PAGE, "max_page_size": MAX_PAGE_SIZE}


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
    """What was asked for: the values to show back in the form, the search they make (each wrong parameter left at
    its default), and the query (None when any is wrong)."""

    values: dict[str, str]
    lists: dict[str, tuple[str, ...]]
    search: Search
    query: SearchQuery | None
    errors: tuple[FieldError, ...] = ()
    location: Location | None = None

    @property
    def statuses(self) -> tuple[RecruitmentStatus, ...]:
        return self.search.statuses

    @property
    def unit(self) -> str:
        return self.search.unit

    @property
    def radius_km(self) -> float:
        return self.search.radius_km

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
    language: str = "en",
) -> SearchForm:
    params = Params(items)
    values = {name: (params.get(name) or "").strip() for name in (API_FIELDS if api else SINGLE_FIELDS)}
    reading = read_search(items)
    search = reading.search
    # The codes as chosen (the default statuses are not chosen ones unless given).
    lists = {}
    for name, read in (("status", search.statuses), ("phase", search.phases), ("type", search.study_types)):
        given = {value.strip().upper() for value in params.getlist(name)}
        lists[name] = tuple(code.value for code in read if code.value in given)
    # Mistakes in the order the API has always reported its first: the search's, its place, the page's, and the
    # words' last.
    errors = [_error(problem) for problem in reading.problems if problem.field not in TEXT_PARAMETERS]

    location = None
    if search.location:
        candidates = find_place(search.location)
        if candidates:
            location = Location(candidates[0].point, "typed", candidates[0])
            search = search.located(location.point)
        else:
            message = N_(
                "We could not find this place. Try a city, such as “Amsterdam” or “Boston, MA”, or a postal code, such as “1066 CX” or “02115”."
            )
            errors.append(FieldError("location", Message(message)))
    elif search.point is not None:
        location = Location(search.point, "browser")

    sort = Sort.RELEVANCE
    if values["sort"]:
        try:
            sort = Sort(values["sort"].lower())
        except ValueError:
            errors.append(FieldError("sort", Message(N_("Sort by relevance, distance or last update."))))
    if sort is Sort.DISTANCE and location is None and not values["location"]:
        errors.append(FieldError("sort", Message(N_("Sorting by distance needs a location."))))

    page = _bounded_whole(values["page"], MAX_PAGE, 1, "page", errors)
    page_size = _bounded_whole(values["page_size"], MAX_PAGE_SIZE, PAGE_SIZE, "page_size", errors) if api else PAGE_SIZE
    errors += [_error(problem) for problem in reading.problems if problem.field in TEXT_PARAMETERS]

    query = None if errors else SearchQuery(search, sort=sort, page=page, page_size=page_size, language=language)
    return SearchForm(
        values=values, lists=lists, search=search, query=query, errors=tuple(errors), location=location
    )


def _error(problem: Problem) -> FieldError:
    return FieldError(problem.field, Message(PROBLEM_MESSAGES[(problem.field, problem.kind)], problem.values))


def _bounded_whole(text: str, high: int, default: int, name: str, errors: list[FieldError]) -> int:
    if not text:
        return default
    match = _WHOLE.match(text)
    number = int(match.group(1)) if match else None
    if number is None or not 1 <= number <= high:
        errors.append(FieldError(name, Message(PAGE_MESSAGES[name], BOUNDS)))
        return default
    return number
