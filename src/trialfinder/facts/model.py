"""What a description says about one person, as values: every fact keeps the span of the text it came from
(`span`: start and end offsets into the input, `text`: the words there), so the person sees why.

Pure values. A description is personal health data: never log these (DEVELOPERS.md, "Personal data").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class Age:
    years: float | None
    span: tuple[int, int]
    text: str
    birth_date: date | None = None  # when the text gives a date of birth (then `years` is on `today`)


@dataclass(frozen=True, slots=True)
class Sex:
    sex: str  # "female" or "male"
    span: tuple[int, int]
    text: str
    explicit: bool = True  # False when read from pronouns only


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition as MeSH descriptors (`concepts`), `name` the first one's preferred name. `negated`: the text
    says the person does not have it; `history`: had it (past); `family`: a relative has or had it, not the
    person."""

    concepts: tuple[str, ...]
    name: str
    span: tuple[int, int]
    text: str
    negated: bool = False
    history: bool = False
    family: bool = False


@dataclass(frozen=True, slots=True)
class Metastasis:
    """Metastases, in `site` (a key of eligibility's metastatic sites: liver, brain, bone ... or "any" when the
    text names none)."""

    site: str
    span: tuple[int, int]
    text: str
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Stage:
    stage: str  # "IV", "3B", or a TNM code as written ("T2N1M0")
    span: tuple[int, int]
    text: str


@dataclass(frozen=True, slots=True)
class Lab:
    """A measurement: `analyte` a key of eligibility/data/analytes.json, `unit` as written (normalised by the
    eligibility engine's units), None when the text gives none and the value does not say which."""

    analyte: str
    value: float
    unit: str | None
    span: tuple[int, int]
    text: str


@dataclass(frozen=True, slots=True)
class Performance:
    scale: str  # "ECOG" (WHO, Zubrod) or "KARNOFSKY"
    value: int
    span: tuple[int, int]
    text: str


@dataclass(frozen=True, slots=True)
class Biomarker:
    """`marker` a key of eligibility/data/biomarkers.json; `status` positive, negative, mutated, wild-type,
    deficient, proficient, high, stable or low."""

    marker: str
    status: str
    span: tuple[int, int]
    text: str


@dataclass(frozen=True, slots=True)
class Pregnancy:
    what: str  # "pregnant" or "breastfeeding"
    value: bool
    span: tuple[int, int]
    text: str


@dataclass(frozen=True, slots=True)
class Treatment:
    """A treatment the person had (or, `negated`, did not have): `kind` chemotherapy, immunotherapy, targeted,
    hormonal, radiation, surgery, transplant, or drug (then `concepts` are its MeSH descriptors and `name` the
    first one's name); `lines` the number of lines of therapy when the text says."""

    kind: str
    span: tuple[int, int]
    text: str
    concepts: tuple[str, ...] = ()
    name: str = ""
    negated: bool = False
    lines: int | None = None


@dataclass(frozen=True, slots=True)
class NoHistory:
    """The text says the person has no past illnesses ("no past medical history", "previously healthy")."""

    span: tuple[int, int]
    text: str


@dataclass(frozen=True, slots=True)
class Consent:
    """The person says they will (or, `value` False, will not) give informed consent."""

    value: bool
    span: tuple[int, int]
    text: str


Fact = (
    Consent
    | NoHistory
    | Age
    | Sex
    | Condition
    | Metastasis
    | Stage
    | Lab
    | Performance
    | Biomarker
    | Pregnancy
    | Treatment
)


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything read from one description, each list in the order of the text."""

    age: Age | None = None
    sex: Sex | None = None
    conditions: tuple[Condition, ...] = ()
    metastases: tuple[Metastasis, ...] = ()
    stages: tuple[Stage, ...] = ()
    labs: tuple[Lab, ...] = ()
    performance: tuple[Performance, ...] = ()
    biomarkers: tuple[Biomarker, ...] = ()
    pregnancy: tuple[Pregnancy, ...] = ()
    treatments: tuple[Treatment, ...] = ()
    no_history: tuple[NoHistory, ...] = ()
    consent: tuple[Consent, ...] = ()

    def all(self) -> list[Fact]:
        """Every fact, in the order of the text."""
        found: list[Fact] = [f for f in (self.age, self.sex) if f is not None]
        for group in (
            self.conditions,
            self.metastases,
            self.stages,
            self.labs,
            self.performance,
            self.biomarkers,
            self.pregnancy,
            self.treatments,
            self.no_history,
            self.consent,
        ):
            found.extend(group)
        return sorted(found, key=lambda f: (f.span, type(f).__name__))

    def __bool__(self) -> bool:
        return bool(self.all())

    def to_json(self) -> list[dict[str, Any]]:
        """The facts as JSON objects: kind, span [start, end], text, and the fact's own fields."""
        out = []
        for fact in self.all():
            item: dict[str, Any] = {"kind": type(fact).__name__.lower(), "span": list(fact.span), "text": fact.text}
            for name in fact.__slots__:  # type: ignore[union-attr]
                if name in ("span", "text"):
                    continue
                value = getattr(fact, name)
                item[name] = (
                    value.isoformat() if isinstance(value, date) else list(value) if isinstance(value, tuple) else value
                )
            out.append(item)
        return out
