"""Subscriptions and alerts: what a person watches, and which changed trials newly fit it. Pure: no I/O.

A **subscription** watches a saved search (the search page's own parameters) and is told, by email, about trials
that newly match it: a trial new to the catalogue, a trial that became recruiting (or not yet recruiting), or a
trial with a newly open site within the subscription's radius. The **matcher** answers, for many subscriptions
at once, which of a batch of changed trials (the **candidates**) each one gets; its rules are those of the search
(queries/search.py and storage/search.py), so that an alert never names a trial the saved search would not show
(tests/spec/test_search_spec.py runs one table of searches through both):

- the trial's status is one of the statuses watched (by default recruiting and not yet recruiting);
- phases, study types, sex, healthy volunteers and age as the search filters them;
- the words match as the full-text index matches them (the storage layer answers that part, per engine);
- with a location, the trial has an open site (its own status, else the trial's, among those watched) within the
  radius, and a trial whose only news is a new site is a match only when one of its *new* sites is within it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from trialfinder.domain.email_address import parse_email
from trialfinder.domain.search import Search

# The statuses in which a trial or a site counts as open for an alert: a person can join now or soon.
OPENING_STATUSES = frozenset({"RECRUITING", "NOT_YET_RECRUITING"})
EARTH_RADIUS_KM = 6371.0088  # the mean radius, as storage/search.py measures
KM_PER_DEGREE_LAT = 111.32


class Frequency(str, Enum):
    """How often a subscriber hears: each alert run ("as they come"), or one digest a day or a week."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"

    @property
    def period(self) -> timedelta:
        return {"immediate": timedelta(0), "daily": timedelta(days=1), "weekly": timedelta(days=7)}[self.value]


class SubscriptionState(str, Enum):
    PENDING = "pending"  # signed up; nothing is sent but the confirmation email
    CONFIRMED = "confirmed"  # the person pressed the confirmation link


class ChangeKind(str, Enum):
    """What an import or sync did to a trial that may be news to a subscriber (GLOSSARY.md, "catalogue change")."""

    NEW = "new"  # not in the catalogue before
    RECRUITING = "recruiting"  # its status became recruiting or not yet recruiting
    SITE = "site"  # a site became open (recruiting or not yet recruiting), with its coordinates


def normalise_email(value: str) -> str | None:
    """The address as stored and compared (trimmed, NFC; the domain lower-cased), or None when it is not one."""
    parsed = parse_email(value)
    return str(parsed) if parsed else None


def email_key(email: str) -> str:
    """The key subscriptions are found by: the whole address lower-cased (mail providers ignore case)."""
    return email.strip().lower()


def is_due(frequency: Frequency, last_sent: datetime | None, now: datetime) -> bool:
    """Whether a subscriber's waiting matches go out now: at once, or a day or a week after the last email."""
    return last_sent is None or frequency is Frequency.IMMEDIATE or now >= last_sent + frequency.period


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance by the haversine formula (the same one the search runs in SQL)."""
    dlat = math.radians(lat2 - lat1)
    dlon = math.radians(lon2 - lon1)
    a = math.sin(dlat / 2) ** 2 + math.cos(math.radians(lat1)) * math.cos(math.radians(lat2)) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True, slots=True)
class Area:
    """Where a subscriber would travel to: a point and a radius in km."""

    lat: float
    lon: float
    radius_km: float

    def box(self) -> tuple[float, float, float, float]:
        """(south, north, west, east), a little generous; longitudes may leave [-180, 180] near the antimeridian."""
        dlat = self.radius_km / KM_PER_DEGREE_LAT
        dlon = min(180.0, self.radius_km / (KM_PER_DEGREE_LAT * max(math.cos(math.radians(self.lat)), 1e-6)))
        return self.lat - dlat, self.lat + dlat, self.lon - dlon, self.lon + dlon


@dataclass(frozen=True, slots=True)
class Watch:
    """What one subscription watches, ready to match: codes as registry strings, age in days, words as the key the
    storage layer answered text matches for (`text`, any hashable; None: no words)."""

    subscription_id: int
    statuses: frozenset[str]
    phases: frozenset[str] = frozenset()
    study_types: frozenset[str] = frozenset()
    sex: str | None = None
    age_days: float | None = None
    healthy_volunteers: bool = False
    area: Area | None = None
    text: object | None = None
    from_change: int = 0  # changes up to this id happened before the subscription was confirmed

    @classmethod
    def of(cls, subscription_id: int, search: Search, *, text: object | None = None, from_change: int = 0) -> Watch:
        """What a saved search watches; `text` the key of its words' matches (None when it has no words). A typed
        place must have been found (`Search.point`)."""
        point = search.point
        return cls(
            subscription_id=subscription_id,
            statuses=frozenset(status.value for status in search.statuses),
            phases=frozenset(phase.value for phase in search.phases),
            study_types=frozenset(kind.value for kind in search.study_types),
            sex=search.sex.value if search.sex else None,
            age_days=search.age_days,
            healthy_volunteers=search.healthy_volunteers,
            area=Area(point.lat, point.lon, search.radius_km) if point else None,
            text=text,
            from_change=from_change,
        )


@dataclass(frozen=True, slots=True)
class OpenSite:
    lat: float
    lon: float
    status: str  # the site's own status, else the trial's


@dataclass(frozen=True, slots=True)
class Candidate:
    """A changed trial as it now stands, with what changed about it (after which change id)."""

    nct_id: str
    status: str
    phases: frozenset[str]
    study_type: str | None
    sex: str
    min_age_days: float | None
    max_age_days: float | None
    healthy_volunteers: bool | None
    sites: tuple[OpenSite, ...]  # its sites with coordinates
    kinds: frozenset[ChangeKind]  # NEW or RECRUITING make the whole trial news; SITE only its new sites
    new_sites: tuple[OpenSite, ...] = ()  # sites that became open (SITE changes)
    last_change: int = 0  # the id of its latest change
    first_trial_change: int = 0  # the id of its latest NEW or RECRUITING change (0: none)


@dataclass(frozen=True, slots=True)
class Match:
    subscription_id: int
    nct_id: str
    distance_km: float | None  # to the nearest open site within the radius, when the watch has a place


@dataclass
class Matcher:
    """Matches many watches against one batch of candidates, with indexes so that each watch looks only at the
    candidates its cheapest conditions leave: by status, by text (the storage layer's answers), by map cell."""

    candidates: list[Candidate]
    text_hits: Mapping[object, frozenset[str]] = field(default_factory=dict)  # text key -> matching NCT ids

    def __post_init__(self) -> None:
        self._by_status: dict[str, set[int]] = {}
        self._cells: dict[tuple[int, int], set[int]] = {}
        self._by_nct = {candidate.nct_id: index for index, candidate in enumerate(self.candidates)}
        for index, candidate in enumerate(self.candidates):
            self._by_status.setdefault(candidate.status, set()).add(index)
            for site in (*candidate.sites, *candidate.new_sites):
                self._cells.setdefault(_cell(site.lat, site.lon), set()).add(index)

    def matches(self, watch: Watch) -> list[Match]:
        chosen: set[int] = set()
        for status in watch.statuses:
            chosen |= self._by_status.get(status, set())
        if not chosen:
            return []
        if watch.text is not None:
            hits = self.text_hits.get(watch.text, frozenset())
            chosen &= {self._by_nct[nct] for nct in hits if nct in self._by_nct}
        if watch.area is not None and chosen:
            chosen &= self._near(watch.area)
        found = []
        for index in sorted(chosen):
            candidate = self.candidates[index]
            if candidate.last_change <= watch.from_change:
                continue
            matched, distance = _fits(watch, candidate)
            if matched:
                found.append(Match(watch.subscription_id, candidate.nct_id, distance))
        return found

    def _near(self, area: Area) -> set[int]:
        south, north, west, east = area.box()
        found: set[int] = set()
        for lat_cell in range(math.floor(south), math.floor(north) + 1):
            for lon_cell in _lon_cells(west, east):
                found |= self._cells.get((lat_cell, lon_cell), set())
        return found


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat), math.floor(lon)


def _lon_cells(west: float, east: float) -> Iterable[int]:
    if east - west >= 360:
        return range(-180, 180)
    cells = {((cell + 180) % 360) - 180 for cell in range(math.floor(west), math.floor(east) + 1)}
    return sorted(cells)


def _fits(watch: Watch, candidate: Candidate) -> tuple[bool, float | None]:
    """Whether the candidate, as it now stands, is news that matches the watch; and the distance when it has a place."""
    if candidate.status not in watch.statuses:
        return False, None
    if watch.phases and not (watch.phases & candidate.phases):
        return False, None
    if watch.study_types and candidate.study_type not in watch.study_types:
        return False, None
    if watch.sex is not None and candidate.sex not in ("ALL", watch.sex):
        return False, None
    if watch.healthy_volunteers and not candidate.healthy_volunteers:
        return False, None
    if watch.age_days is not None:
        # As the search: a limit in whole years admits the whole year ("65 Years" takes someone aged 65 and a half).
        if candidate.min_age_days is not None and candidate.min_age_days > watch.age_days + 1e-6:
            return False, None
        if candidate.max_age_days is not None and candidate.max_age_days + 365.25 <= watch.age_days:
            return False, None
    whole_trial_news = candidate.first_trial_change > watch.from_change
    if watch.area is None:
        # Without a place, a new site says nothing new: the trial matched before it opened.
        return whole_trial_news, None
    sites = candidate.sites if whole_trial_news else candidate.new_sites
    nearest = _nearest(watch.area, sites, watch.statuses)
    return nearest is not None, nearest


def _nearest(area: Area, sites: Iterable[OpenSite], statuses: frozenset[str]) -> float | None:
    best = None
    south, north, _, _ = area.box()
    for site in sites:
        if site.status not in statuses or not south <= site.lat <= north:
            continue
        km = distance_km(area.lat, area.lon, site.lat, site.lon)
        if km <= area.radius_km and (best is None or km < best):
            best = km
    return best
