"""A referral: a person asks a trial's study team to contact them, and where that request goes.

`ContactRequest` is what the person typed (personal health data: never logged). `Route` says which team
receives it: a site's own contact, else the trial's central contact, else the operator's referral inbox with
the site named. `choose_route` is pure: the same trial, place and choice always give the same route.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

from trialfinder.domain.control_characters import has_typed_control_characters
from trialfinder.domain.email_address import MAX_LENGTH, parse_email
from trialfinder.domain.trial import RecruitmentStatus, Site, Trial
from trialfinder.domain.values import GeoPoint

# Sites a person can be referred to, in order of preference: a site already recruiting beats a nearer one
# that has not started. A site without a status of its own has the trial's (see `site_status`).
ROUTABLE_STATUSES = (RecruitmentStatus.RECRUITING, RecruitmentStatus.NOT_YET_RECRUITING)

# Field limits. Generous for real names and messages, small enough that nobody can store a novel.
MAX_NAME = 100
MAX_EMAIL = MAX_LENGTH
MAX_PHONE = 40
MAX_OTHER_LANGUAGE = 60
MAX_RESIDENCE = 120
MAX_MESSAGE = 2_000

# The languages the form offers for being contacted in; anything else is "other" with its name typed.
CONTACT_LANGUAGES = ("en", "nl", "de", "fr", "es", "tr", "ar", "pl", "other")

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,40}$")


class RouteKind(StrEnum):
    SITE = "site"  # the chosen site's own contact email
    CENTRAL = "central"  # the trial's central contact
    OPERATOR = "operator"  # this service's referral inbox, which passes it on


@dataclass(frozen=True, slots=True)
class ContactRequest:
    first_name: str
    last_name: str
    email: str
    phone: str
    contact_language: str  # a code of CONTACT_LANGUAGES other than "other", or the name the person typed
    residence: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    field: str
    code: str  # "required", "too_long", "invalid", "not_found", ...


def has_control_characters(value: str) -> bool:
    """Line breaks and other control characters: never in a one-line field (they would split an email header)."""
    return bool(_CONTROL.search(value))


def check_contact_fields(values: dict[str, str]) -> list[FieldProblem]:
    """The problems with a submitted contact form's personal fields, in the form's order; empty when it is fine."""
    problems: list[FieldProblem] = []

    def one_line(name: str, limit: int, *, required: bool = True) -> str:
        value = values.get(name, "")
        if not value:
            if required:
                problems.append(FieldProblem(name, "required"))
        elif len(value) > limit:
            problems.append(FieldProblem(name, "too_long"))
        elif has_control_characters(value):
            problems.append(FieldProblem(name, "invalid"))
        return value

    one_line("first_name", MAX_NAME)
    one_line("last_name", MAX_NAME)
    email = one_line("email", MAX_EMAIL)
    if email and len(email) <= MAX_EMAIL and not has_control_characters(email) and parse_email(email) is None:
        problems.append(FieldProblem("email", "invalid"))
    phone = one_line("phone", MAX_PHONE)
    if phone and len(phone) <= MAX_PHONE and not has_control_characters(phone) and not _PHONE.match(phone):
        problems.append(FieldProblem("phone", "invalid"))
    language = values.get("contact_language", "")
    if language not in CONTACT_LANGUAGES:
        problems.append(FieldProblem("contact_language", "required" if not language else "invalid"))
    elif language == "other":
        one_line("other_language", MAX_OTHER_LANGUAGE)
    one_line("residence", MAX_RESIDENCE)
    message = values.get("message", "")
    if len(message) > MAX_MESSAGE:
        problems.append(FieldProblem("message", "too_long"))
    elif has_typed_control_characters(message):
        problems.append(FieldProblem("message", "invalid"))
    if values.get("consent") != "yes":
        problems.append(FieldProblem("consent", "required"))
    return problems


def contact_request(values: dict[str, str]) -> ContactRequest:
    """The request from form values that `check_contact_fields` found fine."""
    language = values["contact_language"]
    return ContactRequest(
        first_name=values["first_name"],
        last_name=values["last_name"],
        email=str(parse_email(values["email"])),
        phone=values["phone"],
        contact_language=values["other_language"] if language == "other" else language,
        residence=values["residence"],
        message=values.get("message", "").replace("\r\n", "\n").strip(),
    )


# --- routing --------------------------------------------------------------------------------------------------------


def site_key(site: Site) -> str:
    """A short, stable name for a site within its trial, from its address (the registry gives sites no ids)."""
    parts = (site.facility, site.city, site.state, site.postal_code, site.country)
    text = "\x1f".join((part or "").strip().casefold() for part in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def site_status(trial: Trial, site: Site) -> RecruitmentStatus | None:
    return site.status or trial.overall_status


@dataclass(frozen=True, slots=True)
class RoutableSite:
    key: str
    site: Site
    status: RecruitmentStatus
    distance_km: float | None


def routable_sites(trial: Trial, home: GeoPoint | None) -> list[RoutableSite]:
    """The sites a person can be referred to, best first: recruiting before not yet recruiting, then nearest.

    Sites without coordinates come after those with; among equals the registry's order stays.
    """
    seen: set[str] = set()
    found = []
    for site in trial.sites:
        status = site_status(trial, site)
        key = site_key(site)
        if status not in ROUTABLE_STATUSES or key in seen:
            continue
        seen.add(key)
        distance = home.distance_km(site.coordinates) if home is not None and site.coordinates else None
        found.append(RoutableSite(key, site, status, distance))
    found.sort(key=lambda item: (ROUTABLE_STATUSES.index(item.status), item.distance_km is None, item.distance_km or 0))
    return found


@dataclass(frozen=True, slots=True)
class Route:
    kind: RouteKind
    team_email: str
    site: RoutableSite | None  # None when the trial lists no site one can be referred to


def first_email(contacts) -> str | None:
    for contact in contacts:
        if contact.email and parse_email(contact.email) is not None:
            return contact.email.strip()
    return None


def trial_accepts_referrals(trial: Trial) -> bool:
    """Whether the trial as a whole is one a person could still join."""
    return trial.overall_status in ROUTABLE_STATUSES or any(
        site_status(trial, site) in ROUTABLE_STATUSES for site in trial.sites
    )


def route_for(trial: Trial, site: RoutableSite | None, *, operator_inbox: str | None) -> Route | None:
    """Where a referral to `site` (or to the trial, when it has no open site) goes; None when nowhere."""
    if site is None and (trial.sites or trial.overall_status not in ROUTABLE_STATUSES):
        return None  # sites exist but none is open, or the trial is not recruiting at all
    if site is not None and (email := first_email(site.site.contacts)):
        return Route(RouteKind.SITE, email, site)
    if email := first_email(trial.central_contacts):
        return Route(RouteKind.CENTRAL, email, site)
    if operator_inbox:
        return Route(RouteKind.OPERATOR, operator_inbox, site)
    return None


def choose_route(
    trial: Trial,
    *,
    home: GeoPoint | None,
    site_choice: str | None,
    operator_inbox: str | None,
    sites: list[RoutableSite] | None = None,
) -> Route | None:
    """The route for a referral: the chosen site when one was picked (by its key), else the best one for `home`.

    `sites`: `routable_sites(trial, home)` when the caller has it already (it costs a pass over every site)."""
    if sites is None:
        sites = routable_sites(trial, home)
    if site_choice:
        chosen = next((item for item in sites if item.key == site_choice), None)
        if chosen is None:
            return None
        return route_for(trial, chosen, operator_inbox=operator_inbox)
    return route_for(trial, sites[0] if sites else None, operator_inbox=operator_inbox)
