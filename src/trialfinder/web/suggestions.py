"""When nothing matches: ways to widen the search, each a link that does exactly what it says."""

from __future__ import annotations

import math
from dataclasses import dataclass

from trialfinder.domain.search import radius_limit
from trialfinder.domain.trial import RecruitmentStatus
from trialfinder.views.i18n import N_, Message
from trialfinder.views.links import search_url
from trialfinder.web.params import SearchForm

WIDER_FACTOR = 4  # a radius four times as large: enough to reach the next city or region


@dataclass(frozen=True, slots=True)
class Suggestion:
    message: Message
    href: str


# The filters a person may drop, in the order the form shows them, with what dropping each means.
_FILTERS = (
    ("condition", N_("Search all conditions, not only “%(value)s”")),
    ("intervention", N_("Search all treatments, not only “%(value)s”")),
    ("phase", N_("Include every phase")),
    ("type", N_("Include every study type")),
    ("age", N_("Do not filter by age")),
    ("sex", N_("Do not filter by sex")),
    ("healthy", N_("Include trials that do not take healthy volunteers")),
)


def suggestions(form: SearchForm) -> list[Suggestion]:
    pairs = form.pairs()
    found: list[Suggestion] = []
    if form.location is not None:
        current = form.search.radius
        wider = min(math.floor(radius_limit(form.unit)), round(current * WIDER_FACTOR))
        if wider > current:
            message = Message(N_("Look further away: within %(radius)s %(unit)s"), {"radius": wider, "unit": form.unit})
            found.append(Suggestion(message, search_url(pairs, radius=str(wider))))
        # Without a location, sorting by distance means nothing: that goes too.
        sort = None if form.values.get("sort") == "distance" else form.values.get("sort") or None
        nowhere = search_url(pairs, location=None, lat=None, lon=None, radius=None, unit=None, sort=sort)
        found.append(Suggestion(Message(N_("Search everywhere, without a location")), nowhere))
    every_status = tuple(status.value for status in RecruitmentStatus)
    if set(form.lists.get("status", ())) != set(every_status):
        found.append(
            Suggestion(
                Message(N_("Include trials of every status, also those that are not recruiting")),
                search_url(pairs, status=every_status),
            )
        )
    for name, msgid in _FILTERS:
        value = form.values.get(name) or form.lists.get(name)
        if value:
            shown = value if isinstance(value, str) else ", ".join(value)
            found.append(Suggestion(Message(msgid, {"value": shown}), search_url(pairs, **{name: None})))
    if form.values.get("q"):
        message = Message(N_("Search without the words “%(value)s”"), {"value": form.values["q"]})
        found.append(Suggestion(message, search_url(pairs, q=None)))
    return found
