"""Units: spellings normalised, values converted, eGFR and body surface area computed.

Conversions go through each canonical unit's dimension (data/units.json): within a dimension by a factor to its
base unit; between dimensions only over a bridge that is known for the analyte or the person:

- mass <-> substance concentration by the analyte's molar factor (data/analytes.json `molar`, DOMAIN.md);
- substance concentration (mmol/L) <-> charge concentration (mEq/L) by the ion's charge (`valence`): mEq/L =
  mmol/L x |charge|, so Na+ and K+ are equal in both, Ca2+ and Mg2+ are not; an analyte without a reviewed charge
  (phosphate, whose charge depends on pH) does not convert;
- absolute flow (mL/min, e.g. a Cockcroft-Gault creatinine clearance) <-> flow per body surface area
  (mL/min/m2, mL/min/1.73 m2) by the person's body surface area, when it is known (`bsa_m2`). mL/min/m2 and
  mL/min/1.73 m2 are both per body surface area: 1 mL/min/m2 = 1.73 mL/min/1.73 m2.

Anything else is not convertible and the caller says so (UNKNOWN), rather than guessing.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@cache
def lexicon(name: str) -> dict[str, Any]:
    """One of the data files, read once (they are small and never change while running)."""
    text = resources.files("trialfinder.eligibility").joinpath(f"data/{name}.json").read_text(encoding="utf-8")
    data = json.loads(text)
    return {key: value for key, value in data.items() if not key.startswith("_")}


@dataclass(frozen=True, slots=True)
class _Unit:
    dimension: str
    factor: float


@cache
def _canonical() -> dict[str, _Unit]:
    return {name: _Unit(dim, float(factor)) for name, (dim, factor) in lexicon("units")["canonical"].items()}


@cache
def _spellings() -> dict[str, str]:
    spellings = {_squash(key): value for key, value in lexicon("units")["spellings"].items()}
    for name in _canonical():
        spellings.setdefault(_squash(name), name)
    return spellings


_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text.strip().lower().replace("μ", "µ"))


def normalise_unit(text: str | None) -> str | None:
    """The canonical unit for a spelling (`x 10^9/L`, `10*9/L`, `109/L`, `[IU]/L`, `µmol/l` ...), else None."""
    if not text:
        return None
    squashed = _squash(text)
    found = _spellings().get(squashed)
    if found is None:
        # UCUM and lab systems write superscripts as plain digits after a caret: ⁹ -> ^9.
        plain = squashed.translate(_SUPERSCRIPTS)
        found = _spellings().get(plain) or _spellings().get(plain.replace("×", "x"))
    return found


def unit_spellings() -> list[str]:
    """Every spelling the parser should recognise in text, longest first (so `x10^9/l` wins over `10^9/l`)."""
    names = set(lexicon("units")["spellings"]) | set(_canonical())
    return sorted(names, key=len, reverse=True)


# eGFR and clearances "per 1.73 m2" are normalised to this body surface area (a 1920s average adult).
STANDARD_BSA_M2 = 1.73


def dimension(unit: str | None) -> str | None:
    """The dimension of a canonical unit (mass, substance, equivalent, flow, flow_bsa ...), else None."""
    found = _canonical().get(unit or "")
    return found.dimension if found else None


def needs_body_surface_area(from_unit: str | None, to_unit: str | None) -> bool:
    """Whether converting between the two units takes a body surface area (absolute flow <-> flow per area)."""
    return {dimension(from_unit), dimension(to_unit)} == {"flow", "flow_bsa"}


def convert(
    value: float, from_unit: str, to_unit: str, analyte: str | None = None, *, bsa_m2: float | None = None
) -> float | None:
    """`value` in `from_unit` expressed in `to_unit` (canonical units), or None when they do not convert.

    `analyte` (a key of data/analytes.json) opens its molar factor and its ion's charge; `bsa_m2`, the person's
    body surface area, converts absolute flows to flows per body surface area and back."""
    if from_unit == to_unit:
        return value
    units = _canonical()
    source, target = units.get(from_unit), units.get(to_unit)
    if source is None or target is None:
        return None
    if source.dimension == target.dimension:
        return value * source.factor / target.factor
    multiplier = _bridge(source.dimension, target.dimension, analyte, bsa_m2)
    if multiplier is None:
        return None
    return value * source.factor * multiplier / target.factor


def _bridges(analyte: str | None, bsa_m2: float | None) -> dict[tuple[str, str], float]:
    """Multipliers from one dimension's base unit to another's that hold for this analyte (and person)."""
    entry = lexicon("analytes").get(analyte or "") or {}
    units = _canonical()
    bridges: dict[tuple[str, str], float] = {}
    molar = entry.get("molar")
    if molar:
        # 1 `mass` unit = `factor` `substance` units; in base units (g/L -> mmol/L):
        bridges[("mass", "substance")] = (
            molar["factor"] * units[molar["substance"]].factor / units[molar["mass"]].factor
        )
    valence = entry.get("valence")
    if isinstance(valence, int) and not isinstance(valence, bool) and valence != 0:
        bridges[("substance", "equivalent")] = float(abs(valence))  # 1 mmol/L of a 2+ ion = 2 mEq/L
    if bsa_m2 is not None and math.isfinite(bsa_m2) and bsa_m2 > 0:
        bridges[("flow_bsa", "flow")] = bsa_m2 / STANDARD_BSA_M2  # base units: mL/min/1.73 m2 -> mL/min
    return bridges


def _bridge(start: str, goal: str, analyte: str | None, bsa_m2: float | None) -> float | None:
    """The multiplier from `start`'s base unit to `goal`'s over the known bridges (either way), else None."""
    steps: dict[str, list[tuple[str, float]]] = {}
    for (left, right), multiplier in _bridges(analyte, bsa_m2).items():
        steps.setdefault(left, []).append((right, multiplier))
        steps.setdefault(right, []).append((left, 1 / multiplier))
    reached = {start: 1.0}
    queue = [start]
    while queue:
        here = queue.pop(0)
        for there, multiplier in steps.get(here, []):
            if there not in reached:
                reached[there] = reached[here] * multiplier
                queue.append(there)
    return reached.get(goal)


def body_surface_area(height_cm: float, weight_kg: float) -> float | None:
    """Body surface area in m2 by the Mosteller formula, sqrt(height cm x weight kg / 3600) (Mosteller RD,
    "Simplified calculation of body-surface area", N Engl J Med 1987;317:1098), or None for a height or weight
    outside what a person can measure (30-250 cm, 0.5-400 kg: a height typed in metres is not taken as cm)."""
    if not (math.isfinite(height_cm) and math.isfinite(weight_kg)):
        return None
    if not (30 <= height_cm <= 250 and 0.5 <= weight_kg <= 400):
        return None
    return math.sqrt(height_cm * weight_kg / 3600)


def egfr_mdrd(creatinine_mg_dl: float, age_years: float, female: bool, black: bool = False) -> float:
    """eGFR by the IDMS-traceable 4-variable MDRD study equation, in mL/min/1.73 m².

    175 × Scr^-1.154 × age^-0.203 × 0.742 (female) × 1.212 (Black, only where given): Levey AS et al.,
    "Expressing the MDRD study equation for estimating GFR with standardized serum creatinine values",
    Clin Chem 2007;53:766–772 (DOMAIN.md).
    """
    if creatinine_mg_dl <= 0 or age_years <= 0:
        raise ValueError("creatinine and age must be positive")
    result = 175 * creatinine_mg_dl**-1.154 * age_years**-0.203
    if female:
        result *= 0.742
    if black:
        result *= 1.212
    return result


def egfr_ckd_epi_2021(creatinine_mg_dl: float, age_years: float, female: bool) -> float:
    """eGFR by the race-free CKD-EPI 2021 creatinine equation, in mL/min/1.73 m².

    142 × min(Scr/κ, 1)^α × max(Scr/κ, 1)^-1.200 × 0.9938^age × 1.012 (female); κ 0.7 (F) / 0.9 (M),
    α -0.241 (F) / -0.302 (M): Inker LA et al., "New creatinine- and cystatin C-based equations to estimate GFR
    without race", N Engl J Med 2021;385:1737–1749 (DOMAIN.md).
    """
    if creatinine_mg_dl <= 0 or age_years <= 0:
        raise ValueError("creatinine and age must be positive")
    kappa, alpha = (0.7, -0.241) if female else (0.9, -0.302)
    ratio = creatinine_mg_dl / kappa
    result = 142 * min(ratio, 1) ** alpha * max(ratio, 1) ** -1.200 * 0.9938**age_years
    return result * 1.012 if female else result


def format_number(value: float) -> str:
    """A value as a person reads it: at most three significant decimals, no trailing zeros."""
    if not math.isfinite(value):
        return str(value)
    if abs(value) >= 100:
        return f"{value:.0f}" if abs(value - round(value)) < 0.05 else f"{value:.1f}"
    return f"{value:.2f}".rstrip("0").rstrip(".")
