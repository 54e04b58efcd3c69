"""A saved search in words, one line per thing watched: for the subscription pages and the subscription emails."""

from __future__ import annotations

from trialfinder.views.formatting import Formatter
from trialfinder.views.i18n import N_


def describe(pairs, fmt: Formatter) -> list[str]:
    """A saved search in words, one line per thing watched (for pages and emails; no gazetteer lookup)."""
    values: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for key, value in pairs:
        values.setdefault(key, value)
        lists.setdefault(key, []).append(value)
    lines = []
    if values.get("q"):
        lines.append(fmt.gettext(N_("Words: %(words)s"), words=values["q"]))
    if values.get("condition"):
        lines.append(fmt.gettext(N_("Condition: %(condition)s"), condition=values["condition"]))
    if values.get("intervention"):
        lines.append(fmt.gettext(N_("Treatment: %(treatment)s"), treatment=values["intervention"]))
    place = values.get("location") or (fmt.gettext(N_("your position")) if values.get("lat") else "")
    if place:
        unit = values.get("unit", "km") if values.get("unit") in ("km", "mi") else "km"
        try:
            radius = float((values.get("radius") or "50").replace(",", "."))
        except ValueError:
            radius = 50.0
        km = radius * 1.609344 if unit == "mi" else radius
        lines.append(
            fmt.gettext(N_("Near %(place)s, within %(distance)s"), place=place, distance=fmt.distance(km, unit))
        )
    statuses = lists.get("status") or ["RECRUITING", "NOT_YET_RECRUITING"]
    lines.append(
        fmt.gettext(
            N_("Status: %(statuses)s"), statuses=", ".join(fmt.label("status", code.upper()) for code in statuses)
        )
    )
    if values.get("age"):
        lines.append(fmt.gettext(N_("Age: %(age)s"), age=values["age"]))
    if values.get("sex", "").lower() in ("female", "male"):
        lines.append(fmt.gettext(N_("Sex: %(sex)s"), sex=fmt.label("sex", values["sex"].upper())))
    if lists.get("phase"):
        lines.append(
            fmt.gettext(
                N_("Phase: %(phases)s"), phases=", ".join(fmt.label("phase", code.upper()) for code in lists["phase"])
            )
        )
    if lists.get("type"):
        lines.append(
            fmt.gettext(
                N_("Study type: %(types)s"),
                types=", ".join(fmt.label("study_type", code.upper()) for code in lists["type"]),
            )
        )
    if values.get("healthy", "").lower() in ("yes", "true", "1", "on"):
        lines.append(fmt.gettext(N_("Only trials that take healthy volunteers")))
    return lines
