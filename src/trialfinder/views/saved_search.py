"""A saved search in words, one line per thing watched: for the subscription pages and the subscription emails."""

from __future__ import annotations

from trialfinder.domain.search import Search
from trialfinder.views.formatting import Formatter
from trialfinder.views.i18n import N_


def describe(search: Search, fmt: Formatter) -> list[str]:
    """A saved search in words, one line per thing watched (for pages and emails; no gazetteer lookup)."""
    lines = []
    if search.text:
        lines.append(fmt.gettext(N_("Words: %(words)s"), words=search.text))
    if search.condition:
        lines.append(fmt.gettext(N_("Condition: %(condition)s"), condition=search.condition))
    if search.intervention:
        lines.append(fmt.gettext(N_("Treatment: %(treatment)s"), treatment=search.intervention))
    place = search.location or (fmt.gettext(N_("your position")) if search.point else "")
    if place:
        distance = fmt.distance(search.radius_km, search.unit)
        lines.append(fmt.gettext(N_("Near %(place)s, within %(distance)s"), place=place, distance=distance))
    lines.append(
        fmt.gettext(
            N_("Status: %(statuses)s"), statuses=", ".join(fmt.label("status", code) for code in search.statuses)
        )
    )
    if search.age_years is not None:
        lines.append(fmt.gettext(N_("Age: %(age)s"), age=fmt.number(search.age_years, 2)))
    if search.sex:
        lines.append(fmt.gettext(N_("Sex: %(sex)s"), sex=fmt.label("sex", search.sex)))
    if search.phases:
        lines.append(
            fmt.gettext(N_("Phase: %(phases)s"), phases=", ".join(fmt.label("phase", code) for code in search.phases))
        )
    if search.study_types:
        lines.append(
            fmt.gettext(
                N_("Study type: %(types)s"),
                types=", ".join(fmt.label("study_type", code) for code in search.study_types),
            )
        )
    if search.healthy_volunteers:
        lines.append(fmt.gettext(N_("Only trials that take healthy volunteers")))
    if not search.expand and (search.text or search.condition or search.intervention):
        lines.append(fmt.gettext(N_("Only the words as typed (no synonyms, everyday words or spelling variants)")))
    return lines
