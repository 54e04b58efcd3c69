"""The plain-language overview on a trial page: where each sentence came from, in words a person knows.

The overview itself is written by `trialfinder.overview` (built in, or a checked language model) and stored;
this module only names its sources: `arms[1].intervention_names` -> "Group 2: interventions".
"""

from __future__ import annotations

import re

from trialfinder.views.formatting import Formatter
from trialfinder.views.i18n import N_

# The record's fields by the names the overview's sentences give, as the page calls them.
FIELD_LABELS = {
    "conditions": N_("Conditions"),
    "keywords": N_("Keywords"),
    "brief_title": N_("Title"),
    "official_title": N_("Official title"),
    "brief_summary": N_("The registry’s summary"),
    "detailed_description": N_("Detailed description"),
    "overall_status": N_("Recruitment status"),
    "phases": N_("Phase"),
    "study_type": N_("Study type"),
    "allocation": N_("Allocation"),
    "primary_purpose": N_("Purpose"),
    "enrollment": N_("Number of participants"),
    "start_date": N_("Start date"),
    "primary_completion_date": N_("Primary completion date"),
    "completion_date": N_("Completion date"),
    "lead_sponsor": N_("Sponsor"),
    "sites": N_("Study sites"),
    "eligibility.ages": N_("Eligibility: ages"),
    "eligibility.sex": N_("Eligibility: sex"),
    "eligibility.healthy_volunteers": N_("Eligibility: healthy volunteers"),
    "eligibility.criteria": N_("Eligibility criteria"),
    "arms": N_("Study groups"),
    "interventions": N_("Interventions"),
    "primary_outcomes": N_("Primary outcomes"),
    "secondary_outcomes": N_("Secondary outcomes"),
}
PART_LABELS = {
    "label": N_("name"),
    "description": N_("description"),
    "type": N_("type"),
    "intervention_names": N_("interventions"),
    "name": N_("name"),
    "measure": N_("measure"),
    "time_frame": N_("time frame"),
}
ITEM_LABELS = {
    "arms": N_("Group %(number)s"),
    "interventions": N_("Intervention %(number)s"),
    "primary_outcomes": N_("Primary outcome %(number)s"),
    "secondary_outcomes": N_("Secondary outcome %(number)s"),
}
_ITEM = re.compile(r"^(\w+)\[(\d+)\](?:\.(\w+))?$")


def source_label(fmt: Formatter, field: str) -> str:
    """A record field as a person would name it; the field's own name when it is not one we know."""
    if field in FIELD_LABELS:
        return fmt.gettext(FIELD_LABELS[field])
    match = _ITEM.match(field)
    if match and match.group(1) in ITEM_LABELS:
        item = fmt.gettext(ITEM_LABELS[match.group(1)], number=int(match.group(2)) + 1)
        part = match.group(3)
        return f"{item}: {fmt.gettext(PART_LABELS[part])}" if part in PART_LABELS else item
    return field


def source_labels(fmt: Formatter, fields) -> str:
    return ", ".join(dict.fromkeys(source_label(fmt, field) for field in fields))
