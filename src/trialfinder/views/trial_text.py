"""A trial as readable plain text, for `trialfinder show`."""

from __future__ import annotations

import textwrap

from trialfinder.domain.trial import Site, Trial
from trialfinder.views import labels

SITES_SHOWN = 20


def age_range_text(trial: Trial) -> str:
    ages = trial.eligibility.ages
    if ages.minimum and ages.maximum:
        return f"{ages.minimum} to {ages.maximum}"
    if ages.minimum:
        return f"{ages.minimum} and older"
    if ages.maximum:
        return f"up to {ages.maximum}"
    return "any age"


def render_trial(trial: Trial, *, width: int = 100) -> str:
    lines: list[str] = []

    def heading(text: str) -> None:
        lines.extend(["", text, "-" * len(text)])

    def para(text: str | None, indent: str = "") -> None:
        if not text:
            return
        for block in text.splitlines():
            if not block.strip():
                lines.append("")
                continue
            stripped = block.lstrip()
            lead = block[: len(block) - len(stripped)]
            bullet = stripped.startswith(("* ", "- "))
            first = indent + lead + ("• " if bullet else "")
            rest = indent + lead + ("  " if bullet else "")
            body = stripped[2:] if bullet else stripped
            lines.extend(textwrap.wrap(body, width, initial_indent=first, subsequent_indent=rest) or [first])

    def field(label: str, value: str | None) -> None:
        if value:
            lines.extend(textwrap.wrap(value, width, initial_indent=f"{label + ':':<20}", subsequent_indent=" " * 20))

    lines.extend(textwrap.wrap(trial.brief_title, width))
    lines.append("=" * min(width, len(trial.brief_title)))
    status = labels.STATUS[trial.overall_status]
    if trial.status_is_stale and trial.last_known_status is not None:
        verified = f", last verified {trial.status_verified}" if trial.status_verified else ""
        status += f" (last known: {labels.STATUS[trial.last_known_status].lower()}{verified})"
    badges = [
        status,
        age_range_text(trial),
        labels.SEX[trial.eligibility.sex],
        labels.phases(trial.phases),
    ]
    lines.append(" | ".join(badges))
    lines.append("")
    field("NCT id", f"{trial.nct_id}  ({trial.registry_url})")
    field("Acronym", trial.acronym)
    field("Official title", trial.official_title)
    field("Other ids", ", ".join(other.id for other in trial.other_ids))
    field("Study type", labels.STUDY_TYPE.get(trial.study_type) if trial.study_type else None)
    if trial.enrollment:
        kind = f" ({trial.enrollment.type.lower()})" if trial.enrollment.type else ""
        field("Enrollment", f"{trial.enrollment.count:,} participants{kind}")
    field("Sponsor", trial.lead_sponsor.name if trial.lead_sponsor else None)
    field("Collaborators", ", ".join(org.name for org in trial.collaborators))
    field("Start", str(trial.start_date) if trial.start_date else None)
    field("Completion", str(trial.completion_date) if trial.completion_date else None)
    field("Last update", str(trial.last_update) if trial.last_update else None)
    field("Why stopped", trial.why_stopped)
    field("Conditions", "; ".join(trial.conditions))
    field("Keywords", "; ".join(trial.keywords))
    field("Healthy volunteers", {True: "accepted", False: "not accepted"}.get(trial.eligibility.healthy_volunteers))  # type: ignore[arg-type]

    heading("Overview")
    para(trial.brief_summary)
    if trial.arms or trial.interventions:
        heading("Study procedures and arms")
        for arm in trial.arms:
            para(f"* {arm.label}" + (f" ({arm.type.replace('_', ' ').lower()})" if arm.type else ""))
            para(arm.description, indent="    ")
            for name in arm.intervention_names:
                para(f"* {name}", indent="    ")
        if not trial.arms:
            for item in trial.interventions:
                para(f"* {item.type.title() + ': ' if item.type else ''}{item.name}")
    heading("Eligibility")
    para(trial.eligibility.criteria or "The registry record gives no eligibility criteria.")
    heading(f"Sites ({len(trial.sites)})")
    if not trial.sites:
        lines.append("The registry record lists no sites.")
    for site in trial.sites[:SITES_SHOWN]:
        lines.append(_site_line(site))
    if len(trial.sites) > SITES_SHOWN:
        lines.append(f"... and {len(trial.sites) - SITES_SHOWN:,} more (see --json).")
    contacts = trial.central_contacts
    if contacts:
        heading("Contacts")
        for contact in contacts:
            lines.append(", ".join(filter(None, (contact.name, contact.phone, contact.email))))
    return "\n".join(lines).rstrip() + "\n"


def _site_line(site: Site) -> str:
    place = ", ".join(filter(None, (site.city, site.state, site.country)))
    status = labels.STATUS[site.status] if site.status else "status not given"
    where = f" ({place})" if place and site.facility else ""
    return f"• {site.display_name}{where} [{status}]"
