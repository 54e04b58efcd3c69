"""Patient facts: what is known about one person, from a FHIR Bundle, from their answers, or both.

Pure values. Absence means "not known", never "no": a person who has no coumarin in their medication list may
still take one. A "no" that the person (or their record) states explicitly is a statement: `statements` maps a
check's key (see model.py) to True or False, and is how questionnaire answers reach the evaluator.

These values are personal data: never log them (DEVELOPERS.md, "Personal data").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class Coding:
    system: str  # "loinc", "snomed", "rxnorm", "atc", "hgnc", "icd10", or the URL when unknown
    code: str
    display: str | None = None


@dataclass(frozen=True, slots=True)
class LabResult:
    """One measurement. `analyte` is a key of data/analytes.json when known; `reference_high` is the lab's own
    upper limit of normal, in `reference_unit` (the result's unit when None)."""

    analyte: str | None
    value: float
    unit: str | None
    when: date | None = None
    reference_high: float | None = None
    reference_unit: str | None = None
    loinc: str | None = None
    method: str | None = None  # eGFR equation, when the code says (MDRD, CKD-EPI)
    text: str | None = None


@dataclass(frozen=True, slots=True)
class ConditionRecord:
    text: str
    codes: tuple[Coding, ...] = ()
    onset: date | None = None
    active: bool | None = None


@dataclass(frozen=True, slots=True)
class MedicationRecord:
    text: str
    codes: tuple[Coding, ...] = ()
    start: date | None = None
    end: date | None = None
    current: bool | None = None


@dataclass(frozen=True, slots=True)
class ProcedureRecord:
    text: str
    codes: tuple[Coding, ...] = ()
    when: date | None = None
    body_site: str | None = None


@dataclass(frozen=True, slots=True)
class BiomarkerResult:
    """`marker` is a key of data/biomarkers.json; `status` as in model.Biomarker (deficient, mutated, ...)."""

    marker: str
    status: str
    when: date | None = None
    text: str | None = None


@dataclass(frozen=True, slots=True)
class PerformanceScore:
    scale: str  # "ECOG" or "KARNOFSKY"
    value: int
    when: date | None = None


@dataclass(frozen=True, slots=True)
class PatientFacts:
    birth_date: date | None = None
    age_years: float | None = None  # when only the age is given
    sex: str | None = None  # "female" or "male"
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    life_expectancy_weeks: float | None = None
    consent: bool | None = None  # the person said they will (or will not) give informed consent
    labs: tuple[LabResult, ...] = ()
    conditions: tuple[ConditionRecord, ...] = ()
    medications: tuple[MedicationRecord, ...] = ()
    procedures: tuple[ProcedureRecord, ...] = ()
    biomarkers: tuple[BiomarkerResult, ...] = ()
    performance: tuple[PerformanceScore, ...] = ()
    test_dates: Mapping[str, date] = field(default_factory=lambda: MappingProxyType({}))
    statements: Mapping[str, bool] = field(default_factory=lambda: MappingProxyType({}))

    def age_on(self, day: date) -> float | None:
        """Age in whole years on `day` (birthdays counted as the calendar does), else the age given."""
        if self.birth_date is not None:
            years = day.year - self.birth_date.year
            if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
                years -= 1
            return float(years)
        return self.age_years

    def merged(self, other: PatientFacts) -> PatientFacts:
        """These facts completed by `other`: lists are joined, single values and statements from `other` win
        where they are given (answers typed by the person are newer than their record)."""
        values = {}
        for name in ("birth_date", "age_years", "sex", "pregnant", "breastfeeding", "life_expectancy_weeks", "consent"):
            mine, theirs = getattr(self, name), getattr(other, name)
            values[name] = theirs if theirs is not None else mine
        for name in ("labs", "conditions", "medications", "procedures", "biomarkers", "performance"):
            values[name] = getattr(self, name) + getattr(other, name)
        values["test_dates"] = MappingProxyType({**self.test_dates, **other.test_dates})
        values["statements"] = MappingProxyType({**self.statements, **other.statements})
        return replace(self, **values)
