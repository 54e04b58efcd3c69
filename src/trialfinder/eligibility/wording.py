"""How the things criteria name are worded for a person: the lay names of labs, drugs and treatments, units as a
lab prints them, and alternatives joined with "or". The questions (questionnaire.py) and the reasons (evaluate.py)
both say them, in the same words."""

from __future__ import annotations

from trialfinder.eligibility import messages
from trialfinder.eligibility.model import PriorTreatment
from trialfinder.eligibility.units import lexicon


def lab_name(analyte: str, language: str) -> str:
    return lexicon("analytes").get(analyte, {}).get("lay", {}).get(language, analyte)


def display_unit(unit: str | None) -> str:
    if unit in (None, "1"):
        return ""
    return {
        "10^9/L": "×10⁹/L",
        "10^3/uL": "×10³/µL",
        "/uL": "/µL",
        "umol/L": "µmol/L",
        "mL/min/1.73m2": "mL/min/1.73 m²",
        "mL/min/m2": "mL/min/m²",
        "[in_i]": "in",
        "[lb_av]": "lb",
        "Cel": "°C",
    }.get(unit, unit)


def drug_name(drug: str, language: str) -> str:
    drugs = lexicon("drugs")
    entry = drugs["classes"].get(drug)
    if entry:
        return entry["lay"][language]
    if drug in drugs["regimens"]:
        return drug.upper()
    return drug.replace("_", "/")


def treatment_name(check: PriorTreatment, language: str) -> str:
    kinds = lexicon("conditions")["treatment_kinds"]
    if check.kind in kinds:
        name = kinds[check.kind]["lay"][language]
        if check.site:
            name = messages.text(
                language, "phrase.of_organ", treatment=name, organ=messages.text(language, f"organ.{check.site}")
            )
        return name
    return drug_name(check.drug or check.kind, language)


def messages_join(items: list[str], language: str) -> str:
    """`a, b or c` (`a, b of c` in Dutch)."""
    if len(items) <= 1:
        return "".join(items)
    word = " of " if language == "nl" else " or "
    return ", ".join(items[:-1]) + word + items[-1]
