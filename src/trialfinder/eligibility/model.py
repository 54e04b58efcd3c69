"""The criteria tree: what a trial's eligibility text says, as typed checks that can be evaluated.

A **criterion** is one bullet of the criteria text, kept with its source text and its section (inclusion or
exclusion); a bullet with sub-bullets is a criterion with children. Its **check** is what the engine understood of
it: a typed check (age, lab threshold, biomarker ...), a combination of checks (all of, any of, not, unless), or a
free-text check that only the person or their doctor can answer. The parser never raises on prose: whatever it
cannot type becomes `FreeText`.

Every check has a stable `key` (for leaf checks) naming the fact it needs; the questionnaire asks about that key
and the person's yes/no answer is stored under it (`PatientFacts.statements`).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from functools import singledispatch

from trialfinder.domain.trial import Sex


class Section(str, Enum):
    INCLUSION = "inclusion"
    EXCLUSION = "exclusion"


class Comparator(str, Enum):
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    EQ = "="

    def holds(self, left: float, right: float) -> bool:
        """`left <comparator> right`, with a tolerance for values that differ only by float rounding."""
        if abs(left - right) <= 1e-9 * max(1.0, abs(right)):
            return self in (Comparator.LE, Comparator.GE, Comparator.EQ)
        return _OPERATORS[self](left, right)

    @property
    def symbol(self) -> str:
        return {"<=": "≤", ">=": "≥"}.get(self.value, self.value)


_OPERATORS = {
    Comparator.LT: operator.lt,
    Comparator.LE: operator.le,
    Comparator.GT: operator.gt,
    Comparator.GE: operator.ge,
    Comparator.EQ: operator.eq,
}


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """ "Within `days` days before `anchor`" (registration, randomisation, first dose ...): the day of the
    assessment stands in for the anchor, which lies in the future."""

    days: int
    anchor: str = "registration"


# --- Leaf checks ---------------------------------------------------------------------------------------------


# Days in each unit an age may be written in, for comparing limits across units (never to compare a person's age:
# the evaluator counts whole years, calendar months, weeks or days, as the limit is written).
AGE_UNIT_DAYS = {"years": 365.25, "months": 365.25 / 12, "weeks": 7.0, "days": 1.0}


@dataclass(frozen=True, slots=True)
class AgeCheck:
    """The person's age `comparator` `value` `unit` ("age 6-36 months" is two checks in months, never in years)."""

    comparator: Comparator
    value: float
    unit: str = "years"  # years, months, weeks or days (AGE_UNIT_DAYS)

    @property
    def key(self) -> str:
        return "age"

    @property
    def years(self) -> float:
        """The limit in years (36 months = 3.0), for callers that compare limits, not people."""
        return self.value * AGE_UNIT_DAYS[self.unit] / AGE_UNIT_DAYS["years"]


@dataclass(frozen=True, slots=True)
class SexCheck:
    sex: Sex

    @property
    def key(self) -> str:
        return "sex"


@dataclass(frozen=True, slots=True)
class PregnancyCheck:
    """True of a person who is pregnant (when `pregnant`) or breastfeeding (when `breastfeeding`)."""

    pregnant: bool = True
    breastfeeding: bool = False

    @property
    def key(self) -> str:
        return "pregnancy"

    @property
    def family(self) -> str:
        """What it asks about, as the messages name it: `pregnancy` (both), `pregnant` or `breastfeeding`."""
        if self.pregnant and self.breastfeeding:
            return "pregnancy"
        return "pregnant" if self.pregnant else "breastfeeding"


@dataclass(frozen=True, slots=True)
class LabThreshold:
    """`analyte comparator value unit`, or, with `uln_multiple`, `analyte comparator value × ULN` (unit None).

    `analyte` is a key of data/analytes.json; `method` names the eGFR equation when the text does (MDRD,
    CKD-EPI); `window` is how recent the result must be, when the text (or its parent) says so.
    """

    analyte: str
    comparator: Comparator
    value: float
    unit: str | None = None
    uln_multiple: bool = False
    method: str | None = None
    window: TimeWindow | None = None

    @property
    def key(self) -> str:
        return f"lab:{self.analyte}"


@dataclass(frozen=True, slots=True)
class PerformanceStatus:
    """A performance score within [minimum, maximum]. `scale` is ECOG (WHO and Zubrod are the same 0–5 scale)
    or KARNOFSKY (0–100); `written` is the name the text used.

    Bounds are kept as the text writes them: "KPS < 50" is maximum 50 with `below_maximum` (strictly below), not
    "at most 40"; a scale's steps are the evaluator's business, not the parser's."""

    scale: str
    minimum: int | None = None
    maximum: int | None = None
    written: str = ""
    above_minimum: bool = False  # strictly above `minimum` ("KPS > 60")
    below_maximum: bool = False  # strictly below `maximum` ("ECOG < 2")

    def admits(self, score: float) -> bool:
        """Whether a score on this check's own scale lies within its bounds."""
        low = self.minimum or 0
        high = self.maximum if self.maximum is not None else (100 if self.scale == "KARNOFSKY" else 5)
        above = score > low if self.above_minimum else score >= low
        below = score < high if self.below_maximum else score <= high
        return above and below

    @property
    def key(self) -> str:
        return f"performance:{self.scale.lower()}"


@dataclass(frozen=True, slots=True)
class LifeExpectancy:
    comparator: Comparator
    weeks: float

    @property
    def key(self) -> str:
        return "life-expectancy"


@dataclass(frozen=True, slots=True)
class Diagnosis:
    """Having (or, with `history`, having had) one of `concepts` (keys of data/conditions.json).

    `histology` names the required tissue type (adenocarcinoma) and `confirmed` whether the text asks for a
    histological or cytological confirmation. `qualifiers` are the words the engine cannot verify from records
    ("serious", "uncontrolled", "requiring treatment"): a matching record alone cannot settle the check then.
    """

    concepts: tuple[str, ...]
    histology: str | None = None
    confirmed: bool = False
    history: bool = False
    qualifiers: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return "diagnosis:" + "+".join(self.concepts)


@dataclass(frozen=True, slots=True)
class MetastaticSite:
    """Having metastases in `site` (a key of the sites lexicon: liver, extrahepatic, brain, bone, lung ...)."""

    site: str
    qualifiers: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"metastasis:{self.site}"


@dataclass(frozen=True, slots=True)
class Biomarker:
    """A biomarker (key of data/biomarkers.json) with a status: known (tested, any result), deficient,
    proficient, high, low, mutated, wild-type, positive, negative."""

    marker: str
    status: str

    @property
    def key(self) -> str:
        return f"biomarker:{self.marker}:{self.status}"


@dataclass(frozen=True, slots=True)
class PriorTreatment:
    """Having had a treatment: `kind` is systemic, chemotherapy, immunotherapy, targeted, hormonal, radiation,
    resection, surgery, ablation, transplant or drug (then `drug` names a drug, class or regimen of
    data/drugs.json). `site` is the organ treated (liver), `condition` the illness it was for; `window` limits
    it to the recent past."""

    kind: str
    drug: str | None = None
    site: str | None = None
    condition: str | None = None
    window: TimeWindow | None = None
    qualifiers: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        parts = ["prior", self.drug or self.kind]
        if self.site:
            parts.append(self.site)
        if self.window:
            parts.append(f"{self.window.days}d")
        return ":".join(parts)


@dataclass(frozen=True, slots=True)
class CurrentMedication:
    """Taking a drug, drug class or regimen (key of data/drugs.json) now."""

    drug: str
    qualifiers: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return f"medication:{self.drug}"


@dataclass(frozen=True, slots=True)
class TestWindow:
    """A test (CT scan, MRI, laboratory tests ...) done within a time window."""

    test: str
    window: TimeWindow

    @property
    def key(self) -> str:
        return f"test:{self.test}:{self.window.days}d"


@dataclass(frozen=True, slots=True)
class FreeText:
    """A criterion the engine cannot check: the person (or, with `ask_doctor`, their doctor) answers it."""

    key: str
    ask_doctor: bool = False
    topic: str = "general"  # "consent" for informed consent, else "general"
    text: str = ""  # the clause it stands for, when it is part of a criterion (an exception, a condition)


LeafCheck = (
    AgeCheck
    | SexCheck
    | PregnancyCheck
    | LabThreshold
    | PerformanceStatus
    | LifeExpectancy
    | Diagnosis
    | MetastaticSite
    | Biomarker
    | PriorTreatment
    | CurrentMedication
    | TestWindow
    | FreeText
)


# --- Combinations --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AllOf:
    parts: tuple[Check, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Alternatives: "serum creatinine ≤ 1.5 × ULN or MDRD eGFR ≥ 45"."""

    options: tuple[Check, ...]


@dataclass(frozen=True, slots=True)
class Not:
    """A negated check: "No extrahepatic metastases"."""

    check: Check


@dataclass(frozen=True, slots=True)
class Unless:
    """A criterion with an exception that waives it: "INR < 1.5 × ULN unless on coumarins" (inclusion), "prior
    malignancy, except adequately treated carcinoma in situ" (exclusion). The waiver works in the person's
    favour in both sections, so the evaluator reads it as `check OR exception` under an inclusion heading and
    as `check AND NOT exception` under an exclusion heading."""

    check: Check
    exception: Check


Combination = AllOf | AnyOf | Not | Unless

# Code that depends on a check's type dispatches on it: a `functools.singledispatch` function per concern (how it
# is spelled, evaluated, asked about ...), with a rule for each type, so that no concern can forget one; a test
# (tests/unit/eligibility/test_check_dispatch.py) names the concern that has no rule for a type of these unions.
Check = LeafCheck | Combination


@singledispatch
def leaves(check: Check) -> Iterator[Check]:
    """The leaf checks of a check, in reading order."""
    raise TypeError(f"leaves: no rule for {type(check).__name__}")


@leaves.register
def _leaves_of_all(check: AllOf) -> Iterator[Check]:
    for part in check.parts:
        yield from leaves(part)


@leaves.register
def _leaves_of_any(check: AnyOf) -> Iterator[Check]:
    for option in check.options:
        yield from leaves(option)


@leaves.register
def _leaves_of_not(check: Not) -> Iterator[Check]:
    yield from leaves(check.check)


@leaves.register
def _leaves_of_unless(check: Unless) -> Iterator[Check]:
    yield from leaves(check.check)
    yield from leaves(check.exception)


@leaves.register
def _leaf_itself(check: LeafCheck) -> Iterator[Check]:
    yield check


@singledispatch
def describe(check: Check | None) -> str:
    """A compact, stable spelling of a check's type and arguments, for tests, logs of the parser and the JSON."""
    raise TypeError(f"describe: no rule for {type(check).__name__}")


@describe.register
def _describe_group(check: None) -> str:
    return "Group"


@describe.register
def _describe_all(check: AllOf) -> str:
    return "AllOf(" + ", ".join(describe(part) for part in check.parts) + ")"


@describe.register
def _describe_any(check: AnyOf) -> str:
    return "AnyOf(" + ", ".join(describe(option) for option in check.options) + ")"


@describe.register
def _describe_not(check: Not) -> str:
    return f"Not({describe(check.check)})"


@describe.register
def _describe_unless(check: Unless) -> str:
    return f"Unless({describe(check.check)}, {describe(check.exception)})"


@describe.register
def _describe_lab(check: LabThreshold) -> str:
    amount = f"{_number(check.value)} x ULN" if check.uln_multiple else f"{_number(check.value)} {check.unit or ''}"
    method = f" {check.method}" if check.method else ""
    window = f" within {check.window.days}d" if check.window else ""
    return f"Lab({check.analyte}{method} {check.comparator.value} {amount.strip()}{window})"


@describe.register
def _describe_age(check: AgeCheck) -> str:
    return f"Age({check.comparator.value} {_number(check.value)} {check.unit})"


@describe.register
def _describe_sex(check: SexCheck) -> str:
    return f"Sex({check.sex.value})"


@describe.register
def _describe_pregnancy(check: PregnancyCheck) -> str:
    what = [name for name, on in (("pregnant", check.pregnant), ("breastfeeding", check.breastfeeding)) if on]
    return f"Pregnancy({' or '.join(what)})"


@describe.register
def _describe_performance(check: PerformanceStatus) -> str:
    low = f">{check.minimum}" if check.above_minimum else f"{check.minimum}"
    high = f"<{check.maximum}" if check.below_maximum else f"{check.maximum}"
    return f"Performance({check.scale} {low}..{high})"


@describe.register
def _describe_life_expectancy(check: LifeExpectancy) -> str:
    return f"LifeExpectancy({check.comparator.value} {_number(check.weeks)} weeks)"


@describe.register
def _describe_diagnosis(check: Diagnosis) -> str:
    extra = [f"histology={check.histology}"] if check.histology else []
    extra += ["confirmed"] if check.confirmed else []
    extra += ["history"] if check.history else []
    extra += ["qualified"] if check.qualifiers else []
    return f"Diagnosis({'|'.join(check.concepts)}{''.join(', ' + item for item in extra)})"


@describe.register
def _describe_metastasis(check: MetastaticSite) -> str:
    return f"Metastasis({check.site}{', qualified' if check.qualifiers else ''})"


@describe.register
def _describe_biomarker(check: Biomarker) -> str:
    return f"Biomarker({check.marker} {check.status})"


@describe.register
def _describe_prior_treatment(check: PriorTreatment) -> str:
    what = check.drug or check.kind
    extra = f" of {check.site}" if check.site else ""
    extra += f" for {check.condition}" if check.condition else ""
    extra += f" within {check.window.days}d" if check.window else ""
    return f"PriorTreatment({what}{extra})"


@describe.register
def _describe_medication(check: CurrentMedication) -> str:
    return f"Medication({check.drug}{', qualified' if check.qualifiers else ''})"


@describe.register
def _describe_test_window(check: TestWindow) -> str:
    return f"TestWindow({check.test} within {check.window.days}d)"


@describe.register
def _describe_free_text(check: FreeText) -> str:
    return "FreeText(doctor)" if check.ask_doctor else "FreeText"


def _number(value: float) -> str:
    return f"{value:g}"


# --- The tree ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Criterion:
    """One bullet of the criteria text. `id` is its place (`inc-13-2`: inclusion, 13th bullet, 2nd sub-bullet).

    `check` is None for a bullet that only introduces its sub-bullets ("Laboratory requirements: ...");
    its `window`, when it has one, was handed down to the sub-bullets' lab checks.
    """

    id: str
    section: Section
    source_text: str
    check: Check | None
    children: tuple[Criterion, ...] = ()
    window: TimeWindow | None = None

    def walk(self) -> Iterator[Criterion]:
        yield self
        for child in self.children:
            yield from child.walk()


@dataclass(frozen=True, slots=True)
class CriteriaTree:
    """A trial's criteria, parsed. `preamble` is text before the first heading that is not a criterion.

    `unparsed` is the end of a criteria text longer than the parser reads (parser.MAX_PARSED), as written; it is
    also the last criterion, a question for the person's doctor, so that no verdict ignores it."""

    criteria: tuple[Criterion, ...]
    preamble: str = ""
    nct_id: str | None = None
    unparsed: str = ""

    def walk(self) -> Iterator[Criterion]:
        for criterion in self.criteria:
            yield from criterion.walk()

    def find(self, criterion_id: str) -> Criterion | None:
        return next((criterion for criterion in self.walk() if criterion.id == criterion_id), None)
