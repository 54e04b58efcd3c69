"""Eligibility criteria as the trial page shows them: inclusion and exclusion sections, each rendered Markdown.

Registries write the criteria as one Markdown text with heading lines in many spellings: `Inclusion Criteria:`,
`-INCLUSION CRITERIA:`, `Key Exclusion Criteria`, `Inclusion criteria for cohort B:`. Each such line starts a
section; what the text says before the first one is kept as a preamble. The bullets under a heading, nested ones
included, are rendered by CommonMark as they are. Text beyond what the eligibility parser reads (a record far longer
than the registry allows) is not rendered: it comes last, as written, in a section of its own ("unanalysed").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

from trialfinder.eligibility.parser import within_parse_limit
from trialfinder.web.markdown import render_markdown

# A heading line: optional bullet or number, an optional qualifier word, "inclusion/exclusion criteria", then at
# most a short phrase ("for cohort B") and a colon, and nothing else: "Inclusion criteria: age over 18" is a
# criterion that happens to start with those words, not a heading.
_HEADING = re.compile(
    r"^\s{0,3}(?:[-*+]\s*|\d{1,2}[.)]\s*|#{1,6}\s*)?(?:\*\*)?(?:(?:key|main|general|major|additional)\s+)?"
    r"(inclusion|exclusion)\s+criteria\b([^:\n]{0,60}?)(?:\*\*)?\s*:?\s*(?:\*\*)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class CriteriaSection:
    kind: Literal["inclusion", "exclusion", "other", "unanalysed"]
    qualifier: str  # the heading's extra words ("for cohort B"), as registered; "" when none
    html: Markup
    characters: int = 0  # of the text not analysed ("unanalysed")


def criteria_sections(text: str | None, *, heading_level: int = 4) -> list[CriteriaSection]:
    if not text or not text.strip():
        return []
    text, rest = within_parse_limit(text.replace("\r\n", "\n").replace("\r", "\n"))
    sections: list[tuple[str, str, list[str]]] = [("other", "", [])]
    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            qualifier = match.group(2).strip(" -–,;")
            sections.append((match.group(1).lower(), qualifier, []))
        else:
            sections[-1][2].append(line)
    result = []
    for kind, qualifier, lines in sections:
        # Heading lines are often indented like the bullets above them; a body that starts indented four
        # spaces would otherwise become a code block.
        body = _dedent("\n".join(lines)).strip("\n")
        if body.strip() or kind != "other":
            result.append(CriteriaSection(kind, qualifier, render_markdown(body, heading_level=heading_level)))  # type: ignore[arg-type]
    if rest.strip():
        rest = rest.strip("\n")
        result.append(CriteriaSection("unanalysed", "", escape(rest), len(rest)))
    return result


def _dedent(text: str) -> str:
    lines = text.splitlines()
    indents = [len(line) - len(line.lstrip(" ")) for line in lines if line.strip()]
    cut = min(indents, default=0)
    return "\n".join(line[cut:] for line in lines)
