"""The data files of facts/ (data/README.md), loaded once per process and compiled: context triggers, labs,
biomarkers and the patterns and word lists of rules.json. Pure apart from reading the shipped files."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from trialfinder.concepts.normalise import normalise


def _read(name: str) -> str:
    return resources.files("trialfinder.facts").joinpath("data", name).read_text(encoding="utf-8")


def _tsv(name: str) -> list[dict[str, str]]:
    lines = [line for line in _read(name).splitlines() if line.strip() and not line.startswith("#")]
    header = lines[0].split("\t")
    return [
        dict(zip(header, (line.split("\t") + [""] * len(header))[: len(header)], strict=True)) for line in lines[1:]
    ]


@functools.cache
def rules() -> dict[str, Any]:
    return json.loads(_read("rules.json"))


@dataclass(frozen=True, slots=True)
class Triggers:
    """Normalised trigger phrases (as word tuples) by role, for one language."""

    negation: frozenset[tuple[str, ...]]
    negation_after: frozenset[tuple[str, ...]]
    history: frozenset[tuple[str, ...]]
    history_after: frozenset[tuple[str, ...]]
    family: frozenset[tuple[str, ...]]
    end: frozenset[tuple[str, ...]]


@functools.cache
def triggers(language: str) -> Triggers:
    roles: dict[str, set[tuple[str, ...]]] = {
        r: set() for r in ("negation", "negation_after", "history", "history_after", "family", "end")
    }
    for row in _tsv("triggers.tsv"):
        if row["language"] in ("any", "en", language):  # English triggers count in Dutch text too (notes mix them)
            roles[row["role"]].add(tuple(normalise(row["phrase"]).split()))
    return Triggers(**{role: frozenset(phrases) for role, phrases in roles.items()})


def _alternation(names: list[str]) -> tuple[str | None, str | None]:
    """Two regular expressions (case-insensitive, case-sensitive) matching `names` as whole words; a name with a
    leading ^ matches only as written."""
    folded = sorted((n for n in names if not n.startswith("^")), key=len, reverse=True)
    cased = sorted((n[1:] for n in names if n.startswith("^")), key=len, reverse=True)

    def pattern(items: list[str]) -> str | None:
        if not items:
            return None
        return r"(?<![\w])(?:" + "|".join(re.escape(n).replace(r"\ ", r"[\s-]+") for n in items) + r")(?![\w])"

    return pattern(folded), pattern(cased)


@dataclass(frozen=True, slots=True)
class LabRule:
    analyte: str
    names: tuple[re.Pattern[str], ...]
    units: re.Pattern[str]
    default_unit: str
    plausible: tuple[float, float]


@functools.cache
def lab_rules() -> tuple[LabRule, ...]:
    out = []
    for row in _tsv("labs.tsv"):
        folded, cased = _alternation(row["names"].split("|"))
        names = tuple(re.compile(p, flags) for p, flags in ((folded, re.IGNORECASE), (cased, 0)) if p is not None)
        units = sorted(row["units"].split("|"), key=len, reverse=True)
        low, high = (float(x) for x in row["plausible"].split("-"))
        unit_pattern = re.compile(r"\s*(?:" + "|".join(re.escape(u) for u in units) + r")(?![\w])", re.IGNORECASE)
        out.append(LabRule(row["analyte"], names, unit_pattern, row["units"].split("|")[0], (low, high)))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class MarkerRule:
    marker: str
    names: tuple[re.Pattern[str], ...]
    implied: str | None


@functools.cache
def marker_rules() -> tuple[MarkerRule, ...]:
    out = []
    for row in _tsv("biomarkers.tsv"):
        folded, cased = _alternation(row["names"].split("|"))
        names = tuple(re.compile(p, flags) for p, flags in ((folded, re.IGNORECASE), (cased, 0)) if p is not None)
        out.append(MarkerRule(row["marker"], names, row["implied"] or None))
    return tuple(out)


@functools.cache
def compiled(key: str) -> tuple[re.Pattern[str], ...]:
    """The patterns of rules.json under `key` (case-sensitive when the key ends in _cased)."""
    flags = 0 if key.endswith("_cased") else re.IGNORECASE
    return tuple(re.compile(p, flags) for p in rules()[key])


@functools.cache
def phrases(key: str) -> dict[tuple[str, ...], str]:
    """A word list of rules.json (a mapping of a value to phrases, or a list) as normalised word tuples -> value."""
    value = rules()[key]
    out: dict[tuple[str, ...], str] = {}
    if isinstance(value, dict):
        for name, words in value.items():
            for word in words:
                out.setdefault(tuple(normalise(word).split()), name)
    else:
        for word in value:
            out[tuple(normalise(word).split())] = word
    return out
