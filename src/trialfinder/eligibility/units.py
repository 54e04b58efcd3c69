"""Units: spellings normalised, values converted, eGFR computed.

Conversions go through each canonical unit's dimension (data/units.json): within a dimension by a factor to its
base unit; between a mass and a substance concentration only for an analyte whose molar factor is known
(data/analytes.json, from DOMAIN.md). Anything else is not convertible and the caller says so (UNKNOWN), rather
than guessing.
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


def convert(value: float, from_unit: str, to_unit: str, analyte: str | None = None) -> float | None:
    """`value` in `from_unit` expressed in `to_unit` (canonical units), or None when they do not convert."""
    if from_unit == to_unit:
        return value
    units = _canonical()
    source, target = units.get(from_unit), units.get(to_unit)
    if source is None or target is None:
        return None
    if source.dimension == target.dimension:
        return value * source.factor / target.factor
    molar = (lexicon("analytes").get(analyte or "") or {}).get("molar")
    if not molar:
        return None
    mass, substance = units[molar["mass"]], units[molar["substance"]]
    dimensions = {source.dimension, target.dimension}
    if dimensions != {"mass", "substance"}:
        return None
    if source.dimension == "mass":
        in_mass_unit = value * source.factor / mass.factor
        in_substance_unit = in_mass_unit * molar["factor"]
        return in_substance_unit * substance.factor / target.factor
    in_substance_unit = value * source.factor / substance.factor
    in_mass_unit = in_substance_unit / molar["factor"]
    return in_mass_unit * mass.factor / target.factor


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
