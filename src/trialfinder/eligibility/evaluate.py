"""Evaluate a criteria tree on a person's facts: per criterion MET / NOT_MET / UNKNOWN with the reason in plain
words, and an overall verdict.

Rules the evaluator keeps (issue #7):

- Absence of a record is not a "no": without a value, an answer or a record, a check is UNKNOWN.
- Units are converted (units.py); a criterion written as a multiple of the ULN uses the lab's own upper limit and,
  when the result has none, the usual one from data/analytes.json, flagged `assumed_uln`. A lab's limit that cannot
  be right (0, negative, not a finite number) or cannot be converted leaves the criterion UNKNOWN.
- mL/min, mL/min/m² and mL/min/1.73 m² are different units. Absolute and per-area values are compared only with
  the person's body surface area (Mosteller, from their height and weight), flagged `bsa_from_height_weight`. A
  kidney-function criterion written in mL/min or mL/min/m² may be shorthand for mL/min/1.73 m²: against a result
  in another of these units it is decided only when both readings agree, else UNKNOWN (`ambiguous_unit`).
- eGFR is computed from creatinine, age and sex when no eGFR result is known, by the equation the criterion names
  (MDRD or CKD-EPI 2021; CKD-EPI 2021 when it names none), flagged `computed_egfr`.
- A result older than the criterion's time window leaves the criterion open (it can be repeated), whatever its
  value.
- Exclusion logic is exact: an exclusion criterion that is MET makes the person not eligible; NOT_MET is good.

The facts are personal data: nothing here logs.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache, singledispatchmethod
from typing import Any

from trialfinder.domain.trial import Eligibility, Sex, Trial
from trialfinder.domain.values import Age, AgeUnit
from trialfinder.eligibility import messages
from trialfinder.eligibility.facts import LabResult, MedicationRecord, PatientFacts
from trialfinder.eligibility.logic import MET, NOT_MET, UNKNOWN, Verdict, all_of, any_of, v_not
from trialfinder.eligibility.model import (
    AgeCheck,
    AllOf,
    AnyOf,
    Biomarker,
    Check,
    Comparator,
    CriteriaTree,
    Criterion,
    CurrentMedication,
    Diagnosis,
    FreeText,
    LabThreshold,
    LeafCheck,
    LifeExpectancy,
    MetastaticSite,
    Not,
    PerformanceStatus,
    PregnancyCheck,
    PriorTreatment,
    Section,
    SexCheck,
    TestWindow,
    Unless,
    describe,
    leaves,
)
from trialfinder.eligibility.questionnaire import questions_for_check
from trialfinder.eligibility.units import (
    body_surface_area,
    convert,
    egfr_ckd_epi_2021,
    egfr_mdrd,
    format_number,
    lexicon,
    needs_body_surface_area,
)
from trialfinder.eligibility.wording import display_unit, drug_name, lab_name, messages_join, treatment_name

LIKELY_ELIGIBLE = "likely-eligible"
NOT_ELIGIBLE = "not-eligible"
NEEDS_REVIEW = "needs-review"

# Kidney function: eGFR is per 1.73 m² of body surface; criteria often drop the "/1.73 m²" (or write "/m²").
INDEXED_FLOW = "mL/min/1.73m2"
_FLOWS = ("mL/min", "mL/min/m2", INDEXED_FLOW)
_MAYBE_SHORTHAND_FOR_INDEXED = ("mL/min", "mL/min/m2")

# FHIR R4 ResearchSubject.status for a pre-screen (DOMAIN.md, "Patient data").
RESEARCH_SUBJECT_STATUS = {
    LIKELY_ELIGIBLE: "candidate",
    NEEDS_REVIEW: "potential-candidate",
    NOT_ELIGIBLE: "ineligible",
}


# A leaf check's sentence: its message family, the message's parameters, and the parameter a negation applies to.
_SentenceParts = tuple[str, dict[str, Any], str | None]


@dataclass(frozen=True, slots=True)
class _Finding:
    verdict: Verdict
    reasons: tuple[str, ...] = ()
    flags: frozenset[str] = frozenset()


# What a criterion's verdict means, by its section, as a client words it: an exclusion criterion that is not met
# "does not apply" to the person (never "fits"); one that is met "applies" and rules them out.
OUTCOMES = {
    (Section.INCLUSION, MET): "inclusion_met",
    (Section.INCLUSION, NOT_MET): "inclusion_not_met",
    (Section.INCLUSION, UNKNOWN): "inclusion_unknown",
    (Section.EXCLUSION, MET): "exclusion_applies",
    (Section.EXCLUSION, NOT_MET): "exclusion_does_not_apply",
    (Section.EXCLUSION, UNKNOWN): "exclusion_unknown",
}


@dataclass(frozen=True, slots=True)
class CriterionResult:
    """One criterion evaluated. `effect` says what it means for taking part: "ok", "fails" (an inclusion
    criterion not met), "excludes" (an exclusion criterion met) or "open". `outcome` says it by section
    (OUTCOMES: "exclusion_does_not_apply" ...), and `label` words it for the person ("Does not apply to you")."""

    id: str
    section: Section
    source_text: str
    check: str
    verdict: Verdict
    effect: str
    reason: str
    flags: tuple[str, ...] = ()
    questions: tuple[str, ...] = ()
    children: tuple[CriterionResult, ...] = ()
    label: str = ""

    @property
    def outcome(self) -> str:
        return OUTCOMES[(self.section, self.verdict)]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "section": self.section.value,
            "source_text": self.source_text,
            "check": self.check,
            "verdict": self.verdict.value,
            "effect": self.effect,
            "outcome": self.outcome,
            "label": self.label,
            "reason": self.reason,
            "flags": list(self.flags),
            "questions": list(self.questions),
            "children": [child.to_json() for child in self.children],
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    """The answer to "Could I take part?": an overall verdict, why, what is still open, and every criterion."""

    verdict: str  # likely-eligible, not-eligible, needs-review
    summary: str
    because: tuple[CriterionResult, ...]
    open_questions: tuple[str, ...]
    results: tuple[CriterionResult, ...]
    assessed_on: date
    language: str
    nct_id: str | None = None
    flags: tuple[str, ...] = field(default=())

    @property
    def research_subject_status(self) -> str:
        return RESEARCH_SUBJECT_STATUS[self.verdict]

    def result(self, criterion_id: str) -> CriterionResult | None:
        stack = list(self.results)
        while stack:
            current = stack.pop(0)
            if current.id == criterion_id:
                return current
            stack.extend(current.children)
        return None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-ready data for the API; the FHIR-style status is ResearchSubject.status."""
        return {
            "nct_id": self.nct_id,
            "assessed_on": self.assessed_on.isoformat(),
            "language": self.language,
            "verdict": self.verdict,
            "research_subject_status": self.research_subject_status,
            "summary": self.summary,
            "because": [{"id": r.id, "source_text": r.source_text, "reason": r.reason} for r in self.because],
            "open_questions": list(self.open_questions),
            "flags": list(self.flags),
            "criteria": [result.to_json() for result in self.results],
        }


def tree_with_registry_fields(tree: CriteriaTree, trial: Trial) -> CriteriaTree:
    """The tree with the registry's structured limits (minimum and maximum age, sex) as criteria of their own:
    they bind even when the criteria text does not repeat them."""
    return tree_with_limits(tree, trial.eligibility, trial.nct_id)


def tree_with_limits(tree: CriteriaTree, rules: Eligibility, nct_id: str | None) -> CriteriaTree:
    """`tree_with_registry_fields` from what it reads of a trial: its eligibility fields and its id."""
    extra: list[Criterion] = []
    ages = rules.ages
    if ages.minimum is not None:
        extra.append(
            Criterion(
                "registry-min-age",
                Section.INCLUSION,
                f"Minimum age: {ages.minimum}",
                _registry_age(Comparator.GE, ages.minimum),
            )
        )
    if ages.maximum is not None:
        # "65 Years" admits a person until their 66th birthday (domain.values.AgeRange); ages are whole years.
        extra.append(
            Criterion(
                "registry-max-age",
                Section.INCLUSION,
                f"Maximum age: {ages.maximum}",
                _registry_age(Comparator.LE, ages.maximum),
            )
        )
    if rules.sex is not Sex.ALL:
        extra.append(
            Criterion(
                "registry-sex",
                Section.INCLUSION,
                f"Sex: {rules.sex.value.lower()}",
                SexCheck(rules.sex),
            )
        )
    return CriteriaTree(
        tuple(extra) + tree.criteria, preamble=tree.preamble, nct_id=nct_id, unparsed=tree.unparsed
    )


def _registry_age(comparator: Comparator, age: Age) -> AgeCheck:
    """A registry age limit as a check in its own unit ("6 Months" stays 6 months; hours and minutes in days)."""
    unit = {AgeUnit.MONTHS: "months", AgeUnit.WEEKS: "weeks", AgeUnit.DAYS: "days"}.get(age.unit)
    if age.unit is AgeUnit.YEARS:
        return AgeCheck(comparator, float(age.value), "years")
    if unit is None:
        return AgeCheck(comparator, age.in_days(), "days")
    return AgeCheck(comparator, float(age.value), unit)


def evaluate(
    tree: CriteriaTree, facts: PatientFacts, *, today: date, language: str = "en", questions: int | None = None
) -> Assessment:
    """Evaluate every criterion of `tree` on `facts` as of `today` (which stands in for the registration day).
    `questions`: how many open criteria get their questions worded (None: all; wording them is most of the cost of
    an evaluation, and a list of many trials shows only the first few)."""
    language = messages.language(language)
    evaluator = _Evaluator(facts, today, language, questions)
    results = tuple(evaluator.criterion(criterion) for criterion in tree.criteria)
    failing = tuple(result for result in results if result.effect in ("fails", "excludes"))
    open_results = tuple(result for result in results if result.effect == "open")
    questions: list[str] = []
    for result in open_results:
        for question in result.questions or (result.reason,):
            if question not in questions:
                questions.append(question)
    if failing:
        verdict = NOT_ELIGIBLE
        summary = messages.text(language, "overall.not_eligible", count=len(failing))
    elif open_results:
        verdict = NEEDS_REVIEW
        summary = messages.text(language, "overall.needs_review", count=len(open_results))
    else:
        verdict = LIKELY_ELIGIBLE
        summary = messages.text(language, "overall.likely_eligible")
    flags = sorted({flag for result in results for flag in _all_flags(result)})
    return Assessment(verdict, summary, failing, tuple(questions), results, today, language, tree.nct_id, tuple(flags))


def open_checks(facts: PatientFacts, *, today: date) -> Callable[[Check, Section], bool]:
    """Whether a leaf check is still open on `facts` as of `today` (its verdict UNKNOWN): what a questionnaire for
    this person still asks (questionnaire.build_questionnaire's `still_open`)."""
    evaluator = _Evaluator(facts, today, "en")  # a verdict is the same in every language
    return lambda check, section: evaluator.check(check, section).verdict is UNKNOWN


def _all_flags(result: CriterionResult) -> Iterable[str]:
    yield from result.flags
    for child in result.children:
        yield from _all_flags(child)


class _Evaluator:
    def __init__(self, facts: PatientFacts, today: date, language: str, questions: int | None = None) -> None:
        self.facts = facts
        self.today = today
        self.language = language
        self.questions_left = questions  # None: word the questions of every open criterion

    def t(self, key: str, **params: Any) -> str:
        return messages.text(self.language, key, **params)

    # --- criteria ---

    def criterion(self, criterion: Criterion) -> CriterionResult:
        children = tuple(self.criterion(child) for child in criterion.children)
        findings: list[_Finding] = []
        if criterion.check is not None:
            findings.append(self.check(criterion.check, criterion.section))
        if criterion.check is not None or not children:
            verdict = all_of(f.verdict for f in findings) if findings else UNKNOWN
        elif criterion.section is Section.EXCLUSION:
            # An exclusion heading over sub-bullets ("any of the following:") excludes when any of them applies.
            verdict = any_of(child.verdict for child in children)
        else:
            verdict = all_of(child.verdict for child in children)
        if children and criterion.check is not None:
            combine = any_of if criterion.section is Section.EXCLUSION else all_of
            verdict = combine([verdict, *(child.verdict for child in children)])
        reasons = [reason for finding in findings for reason in finding.reasons]
        if not findings:
            reasons = [child.reason for child in children if child.verdict is verdict] or [self.t("reason.group")]
        flags = tuple(sorted({flag for finding in findings for flag in finding.flags}))
        questions: tuple[str, ...] = ()
        if verdict is UNKNOWN:
            if criterion.check is not None and self.questions_left != 0:
                if self.questions_left is not None:
                    self.questions_left -= 1
                questions = tuple(
                    questions_for_check(
                        criterion.check, criterion, self.language, self._open_keys(criterion.check, criterion.section)
                    )
                )
            elif criterion.check is None:
                questions = tuple(q for child in children if child.verdict is UNKNOWN for q in child.questions)
        return CriterionResult(
            criterion.id,
            criterion.section,
            criterion.source_text,
            describe(criterion.check),
            verdict,
            _effect(criterion.section, verdict),
            " ".join(dict.fromkeys(reasons)),
            flags,
            questions,
            children,
            self.t(f"outcome.{OUTCOMES[(criterion.section, verdict)]}"),
        )

    def _open_keys(self, check: Check, section: Section) -> set[str]:
        """Keys of the leaf checks that are still unknown (the questions worth asking)."""
        return {leaf_key(leaf) for leaf in leaves(check) if self.check(leaf, section).verdict is UNKNOWN}

    # --- checks ---

    def check(self, check: Check, section: Section, frame: tuple[str, bool] | None = None) -> _Finding:
        """`frame` says how the trial's side of a decided leaf is worded: "asks.inclusion" (the trial is for people
        who ...), "asks.exclusion" (not for people who ...) or "asks.exception", and whether the leaf itself, or its
        negation (under a Not), is what is asked."""
        if frame is None:
            frame = ("asks.inclusion" if section is Section.INCLUSION else "asks.exclusion", True)
        return self._judged(check, section, frame)

    @singledispatchmethod
    def _judged(self, check: Check, section: Section, frame: tuple[str, bool]) -> _Finding:
        raise TypeError(f"evaluate: no rule for {type(check).__name__}")

    @_judged.register
    def _leaf(self, check: LeafCheck, section: Section, frame: tuple[str, bool]) -> _Finding:
        """What the records say (`_finding`), else the person's answer; and, when it counts against them, what the
        trial asks."""
        statement = self.facts.statements.get(leaf_key(check))
        finding = self._finding(check)
        if finding.verdict is UNKNOWN and statement is not None:
            said = self._fact(check, statement) or self.t("reason.answered_yes" if statement else "reason.answered_no")
            finding = _Finding(MET if statement else NOT_MET, (said,))
        if finding.verdict is not UNKNOWN and _against_or_waived(finding.verdict, frame):
            # Said only where it explains something: what the trial asks, when the person's answer (or record)
            # goes against it, and an exception that applies. A fit needs no second sentence.
            asked = self._asked(check, frame)
            if asked:
                finding = _Finding(finding.verdict, finding.reasons + (asked,), finding.flags)
        return finding

    @_judged.register
    def _all_of(self, check: AllOf, section: Section, frame: tuple[str, bool]) -> _Finding:
        parts = [self.check(part, section, frame) for part in check.parts]
        return _combine(all_of(p.verdict for p in parts), parts)

    @_judged.register
    def _any_of(self, check: AnyOf, section: Section, frame: tuple[str, bool]) -> _Finding:
        options = [self.check(option, section, frame) for option in _measured(check.options, self.facts)]
        return _combine(any_of(o.verdict for o in options), options)

    @_judged.register
    def _not(self, check: Not, section: Section, frame: tuple[str, bool]) -> _Finding:
        inner = self.check(check.check, section, (frame[0], not frame[1]))
        return _Finding(v_not(inner.verdict), inner.reasons, inner.flags)

    @_judged.register
    def _unless(self, check: Unless, section: Section, frame: tuple[str, bool]) -> _Finding:
        main = self.check(check.check, section, frame)
        waiver = self.check(check.exception, section, ("asks.exception", True))
        if section is Section.INCLUSION:
            verdict = any_of([main.verdict, waiver.verdict])
        else:
            verdict = all_of([main.verdict, v_not(waiver.verdict)])
        waived = waiver.verdict is MET
        reasons = main.reasons + (
            (self.t("reason.exception_applies"),) if waived else waiver.reasons if verdict is UNKNOWN else ()
        )
        return _Finding(verdict, reasons + (waiver.reasons if waived else ()), main.flags | waiver.flags)

    # --- what an answer says, and what the trial asks, as sentences ---

    def _fact(self, check: Check, yes: bool) -> str | None:
        """The person's yes or no to a check's question, said back as a sentence ("You have had ...")."""
        if isinstance(check, FreeText):
            return self.t(f"fact.{'consent' if check.topic == 'consent' else 'free'}.{'yes' if yes else 'no'}")
        parts = self._sentence_parts(check, with_condition=False)
        if parts is None:
            return None
        family, params, noun = parts
        return self.t(f"fact.{family}.{'yes' if yes else 'no'}", **self._negated(params, noun, yes))

    def _asked(self, check: Check, frame: tuple[str, bool]) -> str | None:
        """What the trial asks of a decided check, as a sentence ("This trial is for people who have not had ...")."""
        parts = self._sentence_parts(check, with_condition=True)
        if parts is None:
            return None
        family, params, noun = parts
        wrapper, affirmative = frame
        who = self.t(f"who.{family}.{'yes' if affirmative else 'no'}", **self._negated(params, noun, affirmative))
        return self.t(wrapper, who=who)

    def _negated(self, params: dict[str, Any], noun: str | None, yes: bool) -> dict[str, Any]:
        # Dutch negates a noun with "geen" ("U hebt geen leverziekte gehad"); English negates the verb.
        if yes or noun is None or self.language != "nl":
            return params
        return {**params, noun: _geen(params[noun])}

    @singledispatchmethod
    def _sentence_parts(self, check: LeafCheck, *, with_condition: bool) -> _SentenceParts | None:
        """The message family of a leaf check, its parameters, and the one a negation applies to; None for a check
        whose answer is not said back in a sentence of its own."""
        raise TypeError(f"evaluate: no rule for {type(check).__name__}")

    @_sentence_parts.register(AgeCheck)
    @_sentence_parts.register(SexCheck)
    @_sentence_parts.register(LabThreshold)
    @_sentence_parts.register(PerformanceStatus)
    @_sentence_parts.register(TestWindow)
    @_sentence_parts.register(FreeText)
    def _no_sentence(self, check: LeafCheck, *, with_condition: bool) -> None:
        return None

    @_sentence_parts.register
    def _diagnosis_sentence(self, check: Diagnosis, *, with_condition: bool) -> _SentenceParts | None:

        entries = lexicon("conditions")["conditions"]
        names = [entries[c]["lay"][self.language] for c in check.concepts if c in entries]
        if not names:
            return None
        condition = self._described(messages_join(names, self.language), bool(check.qualifiers or check.histology))
        return "diagnosis", {"condition": condition}, "condition"

    @_sentence_parts.register
    def _metastasis_sentence(self, check: MetastaticSite, *, with_condition: bool) -> _SentenceParts | None:
        site = lexicon("conditions")["metastatic_sites"].get(check.site, {}).get("lay", {}).get(self.language)
        if site is None:
            return None
        return "metastasis", {"site": self._described(site, bool(check.qualifiers))}, None

    @_sentence_parts.register
    def _biomarker_sentence(self, check: Biomarker, *, with_condition: bool) -> _SentenceParts:
        marker = lexicon("biomarkers").get(check.marker, {}).get("lay", {}).get(self.language, check.marker)
        if check.status == "known":
            return "biomarker_known", {"marker": marker}, None
        return "biomarker", {"marker": marker, "status": self.t(f"status.{check.status}")}, None

    @_sentence_parts.register
    def _prior_treatment_sentence(self, check: PriorTreatment, *, with_condition: bool) -> _SentenceParts:
        treatment = treatment_name(check, self.language)
        condition = lexicon("conditions")["conditions"].get(check.condition or "", {}).get("lay", {}).get(self.language)
        if with_condition and condition:
            treatment = self.t("phrase.for_condition", treatment=treatment, condition=condition)
        treatment = self._described(treatment, bool(check.qualifiers))
        if check.window:
            return "prior_window", {"treatment": treatment, "days": check.window.days}, "treatment"
        return "prior", {"treatment": treatment}, "treatment"

    @_sentence_parts.register
    def _medication_sentence(self, check: CurrentMedication, *, with_condition: bool) -> _SentenceParts:
        drug = self._described(drug_name(check.drug, self.language), bool(check.qualifiers))
        return "medication", {"drug": drug}, "drug"

    @_sentence_parts.register
    def _life_expectancy_sentence(self, check: LifeExpectancy, *, with_condition: bool) -> _SentenceParts:
        return "life_expectancy", {"weeks": format_number(check.weeks)}, None

    @_sentence_parts.register
    def _pregnancy_sentence(self, check: PregnancyCheck, *, with_condition: bool) -> _SentenceParts:
        return check.family, {}, None

    def _described(self, text: str, qualified: bool) -> str:
        """`text`, marked "as described in the criterion" when the criterion qualifies it in words the engine
        does not check."""
        return self.t("phrase.as_described", what=text) if qualified else text

    @singledispatchmethod
    def _finding(self, check: LeafCheck) -> _Finding:
        """A leaf check judged on the person's facts, their yes/no answers aside (`_leaf` reads those)."""
        raise TypeError(f"evaluate: no rule for {type(check).__name__}")

    @_finding.register
    def _age(self, check: AgeCheck) -> _Finding:
        # The person's age is counted in the limit's own unit, as the calendar does (whole years, calendar months,
        # weeks or days since birth): "at most 36 months" admits a child until 37 months, as "65 years" admits a
        # person until their 66th birthday. Only an age in whole years known (no date of birth): a limit in
        # another unit is decided when it holds (or fails) for every age that whole-year age covers.
        lowest, highest = self._age_in(check.unit)
        if lowest is None or highest is None:
            return _Finding(UNKNOWN, (self.t("reason.age_unknown"),))
        holds = {check.comparator.holds(lowest, check.value), check.comparator.holds(highest, check.value)}
        key = "reason.age" if check.unit == "years" else f"reason.age_{check.unit}"
        reason = self.t(
            key,
            age=format_number(lowest) if lowest == highest else f"{format_number(lowest)}–{format_number(highest)}",
            comparator=self.comparator(check.comparator),
            limit=format_number(check.value),
        )
        if len(holds) > 1:
            return _Finding(UNKNOWN, (reason,))
        return _Finding(MET if holds.pop() else NOT_MET, (reason,))

    def _age_in(self, unit: str) -> tuple[float | None, float | None]:
        """The person's age in `unit` as a range (one value when the date of birth is known)."""
        born = self.facts.birth_date
        if born is not None:
            if unit == "years":
                age = self.facts.age_on(self.today)
            elif unit == "months":
                months = (self.today.year - born.year) * 12 + self.today.month - born.month
                age = float(months - (1 if self.today.day < born.day else 0))
            else:
                days = (self.today - born).days
                age = float(days // 7 if unit == "weeks" else days)
            return age, age
        years = self.facts.age_on(self.today)
        if years is None:
            return None, None
        if unit == "years":
            return years, years
        if unit == "months":
            return years * 12, years * 12 + 11
        days = years * 365.25, (years + 1) * 365.25 - 1
        return (days[0] // 7, days[1] // 7) if unit == "weeks" else (math.floor(days[0]), math.floor(days[1]))

    def comparator(self, comparator: Comparator) -> str:
        """A comparator in words ("at least"), as a person reads it."""
        return self.t(f"comparator.{comparator.value}")

    @_finding.register
    def _sex(self, check: SexCheck) -> _Finding:
        if check.sex is Sex.ALL:
            return _Finding(MET, (self.t("reason.sex_all"),))
        if self.facts.sex is None:
            return _Finding(UNKNOWN, (self.t("reason.sex_unknown"),))
        verdict = MET if self.facts.sex == check.sex.value.lower() else NOT_MET
        return _Finding(verdict, (self.t("reason.sex", sex=self.t(f"sex.{self.facts.sex}")),))

    @_finding.register
    def _pregnancy(self, check: PregnancyCheck) -> _Finding:
        if self.facts.sex == "male":
            return _Finding(NOT_MET, (self.t("reason.pregnancy_male"),))
        values = []
        if check.pregnant:
            values.append(self.facts.pregnant)
        if check.breastfeeding:
            values.append(self.facts.breastfeeding)
        if any(value is True for value in values):
            return _Finding(MET, (self.t("reason.pregnancy_yes"),))
        if values and all(value is False for value in values):
            return _Finding(NOT_MET, (self.t("reason.pregnancy_no"),))
        return _Finding(UNKNOWN, (self.t("reason.pregnancy_unknown"),))

    @_finding.register
    def _life_expectancy(self, check: LifeExpectancy) -> _Finding:
        weeks = self.facts.life_expectancy_weeks
        if weeks is None:
            return _Finding(UNKNOWN, (self.t("reason.life_expectancy_unknown"),))
        verdict = MET if check.comparator.holds(weeks, check.weeks) else NOT_MET
        return _Finding(verdict, (self.t("reason.life_expectancy", weeks=format_number(weeks)),))

    @_finding.register
    def _performance(self, check: PerformanceStatus) -> _Finding:
        scores = sorted(self.facts.performance, key=lambda s: s.when or date.min, reverse=True)
        low, high = (
            check.minimum or 0,
            check.maximum if check.maximum is not None else (100 if check.scale == "KARNOFSKY" else 5),
        )
        # The check keeps a strict bound as written ("KPS < 50"); the reason shows the person the scale's own steps
        # (Karnofsky moves by 10, ECOG by 1), so "< 50" reads "0 to 40". Verdicts use the bound as written.
        step = 10 if check.scale == "KARNOFSKY" else 1
        shown_low = low + step if check.above_minimum else low
        shown_high = high - step if check.below_maximum else high
        same = [s for s in scores if s.scale == check.scale]
        name = "Karnofsky" if check.scale == "KARNOFSKY" else (check.written or "ECOG")
        if same:
            score = same[0]
            verdict = MET if check.admits(score.value) else NOT_MET
            low, high = shown_low, shown_high
            return _Finding(verdict, (self.t("reason.performance", scale=name, value=score.value, low=low, high=high),))
        if scores:
            # Karnofsky and ECOG correspond by bands (Oken MM et al., Am J Clin Oncol 1982;5:649–655, as tabulated
            # by Buccheri G et al., Eur J Cancer 1996;32A:1135–1141): KPS 90–100 = ECOG 0, 70–80 = 1, 50–60 = 2,
            # 30–40 = 3, 10–20 = 4, 0 = 5. A score is converted to the band it covers; a band only partly inside
            # the criterion's range stays unknown.
            score = scores[0]
            band = _band(score.scale, score.value, check.scale)
            if band is not None:
                below_range = band[1] < low or (check.above_minimum and band[1] <= low)
                above_range = band[0] > high or (check.below_maximum and band[0] >= high)
                if check.admits(band[0]) and check.admits(band[1]):
                    verdict = MET
                elif below_range or above_range:
                    verdict = NOT_MET
                else:
                    verdict = UNKNOWN
                low, high = shown_low, shown_high
                other = "Karnofsky" if score.scale == "KARNOFSKY" else "ECOG"
                return _Finding(
                    verdict,
                    (
                        self.t(
                            "reason.performance_converted",
                            scale=name,
                            other=other,
                            value=score.value,
                            low=low,
                            high=high,
                        ),
                    ),
                    frozenset({"converted_scale"}),
                )
        return _Finding(UNKNOWN, (self.t("reason.performance_unknown", scale=name),))

    @_finding.register
    def _lab(self, check: LabThreshold) -> _Finding:
        flags: set[str] = set()
        result = self._latest_lab(check, flags)
        name = lab_name(check.analyte, self.language)
        if result is None:
            return _Finding(UNKNOWN, (self.t("reason.lab_missing", lab=name),), frozenset(flags))
        if not math.isfinite(result.value):
            return _Finding(UNKNOWN, (self.t("reason.lab_invalid", lab=name),), frozenset(flags))
        shown = f"{format_number(result.value)} {display_unit(result.unit)}".strip()
        if check.window is not None:
            if result.when is None:
                return _Finding(
                    UNKNOWN,
                    (self.t("reason.lab_undated", lab=name, value=shown, days=check.window.days),),
                    frozenset(flags | {"undated"}),
                )
            age_days = (self.today - result.when).days
            if age_days > check.window.days:
                return _Finding(
                    UNKNOWN,
                    (self.t("reason.lab_too_old", lab=name, value=shown, age=age_days, days=check.window.days),),
                    frozenset(flags | {"outside_window"}),
                )
        if check.uln_multiple:
            uln, uln_assumed, unusable = self._uln(check.analyte, result)
            if uln is None:
                return _Finding(UNKNOWN, (self.t(unusable, lab=name, value=shown),), frozenset(flags))
            if uln_assumed:
                flags.add("assumed_uln")
            ratio = result.value / uln
            verdict = MET if check.comparator.holds(ratio, check.value) else NOT_MET
            key = "reason.lab_uln_assumed" if uln_assumed else "reason.lab_uln"
            return _Finding(
                verdict,
                (
                    self.t(
                        key,
                        lab=name,
                        value=shown,
                        uln=f"{format_number(uln)} {display_unit(result.unit)}".strip(),
                        ratio=format_number(ratio),
                        comparator=self.comparator(check.comparator),
                        limit=format_number(check.value),
                    ),
                ),
                frozenset(flags),
            )
        if check.unit is None or result.unit is None:
            return _Finding(UNKNOWN, (self.t("reason.lab_no_unit", lab=name, value=shown),), frozenset(flags))
        limit = f"{format_number(check.value)} {display_unit(check.unit)}".strip()
        compared = {"lab": name, "comparator": self.comparator(check.comparator), "limit": limit}
        # Kidney function written in mL/min or mL/min/m² may be shorthand for mL/min/1.73 m² (eGFR always is per
        # 1.73 m²): against a result in another of these units, both readings must give the same verdict.
        readings = [check.unit]
        if check.unit in _MAYBE_SHORTHAND_FOR_INDEXED and result.unit != check.unit and result.unit in _FLOWS:
            readings.append(INDEXED_FLOW)
        bsa = None
        extra: tuple[str, ...] = ()
        if any(needs_body_surface_area(result.unit, unit) for unit in readings):
            bsa = self._body_surface_area()
            if bsa is None:
                return _Finding(UNKNOWN, (self.t("reason.lab_needs_bsa", value=shown, **compared),), frozenset(flags))
            flags.add("bsa_from_height_weight")
            extra = (self.t("reason.bsa", bsa=format_number(bsa)),)
        converted = [convert(result.value, result.unit, unit, check.analyte, bsa_m2=bsa) for unit in readings]
        values = [number for number in converted if number is not None]
        if len(values) < len(readings):
            return _Finding(
                UNKNOWN,
                (self.t("reason.lab_unconvertible", lab=name, value=shown, unit=display_unit(check.unit)),),
                frozenset(flags),
            )
        value = values[0]
        if result.unit != check.unit and abs(value - result.value) > 1e-9:
            flags.add("converted_unit")
            shown = f"{shown} = {format_number(value)} {display_unit(check.unit)}"
        verdicts = {check.comparator.holds(reading, check.value) for reading in values}
        if len(verdicts) > 1:
            indexed = f"{format_number(check.value)} {display_unit(INDEXED_FLOW)}"
            return _Finding(
                UNKNOWN,
                (self.t("reason.lab_unit_ambiguous", value=shown, indexed=indexed, **compared), *extra),
                frozenset(flags | {"ambiguous_unit"}),
            )
        verdict = MET if verdicts.pop() else NOT_MET
        return _Finding(verdict, (self.t("reason.lab", value=shown, **compared), *extra), frozenset(flags))

    def _body_surface_area(self) -> float | None:
        """The person's body surface area in m² (Mosteller) from their latest height and weight, when both are
        known in units that convert to cm and kg."""
        measured = []
        for analyte, unit in (("body_height", "cm"), ("body_weight", "kg")):
            labs = [lab for lab in self.facts.labs if lab_matches(lab, analyte) and lab.unit]
            if not labs:
                return None
            latest = max(labs, key=lambda lab: lab.when or date.min)
            value = convert(latest.value, latest.unit or "", unit, analyte)
            if value is None:
                return None
            measured.append(value)
        return body_surface_area(*measured)

    def _latest_lab(self, check: LabThreshold, flags: set[str]) -> LabResult | None:
        results = [lab for lab in self.facts.labs if lab_matches(lab, check.analyte)]
        if check.analyte == "egfr" and check.method:
            same_method = [lab for lab in results if lab.method in (None, check.method)]
            if results and not same_method:
                flags.add("egfr_method_differs")
            results = same_method or results
        if results:
            return max(results, key=lambda lab: lab.when or date.min)
        if check.analyte == "egfr":
            computed = self._computed_egfr(check.method)
            if computed is not None:
                flags.add("computed_egfr")
            return computed
        return None

    def _computed_egfr(self, method: str | None) -> LabResult | None:
        creatinine = [lab for lab in self.facts.labs if lab_matches(lab, "creatinine") and lab.unit]
        age = self.facts.age_on(self.today)
        if not creatinine or age is None or self.facts.sex not in ("female", "male"):
            return None
        latest = max(creatinine, key=lambda lab: lab.when or date.min)
        mg_dl = convert(latest.value, latest.unit or "", "mg/dL", "creatinine")
        if mg_dl is None or not math.isfinite(mg_dl) or mg_dl <= 0 or age <= 0:
            return None
        female = self.facts.sex == "female"
        equation = method if method in ("MDRD", "CKD-EPI") else "CKD-EPI"
        value = egfr_mdrd(mg_dl, age, female) if equation == "MDRD" else egfr_ckd_epi_2021(mg_dl, age, female)
        return LabResult("egfr", value, INDEXED_FLOW, latest.when, method=equation, text=f"{equation} eGFR")

    def _uln(self, analyte: str, result: LabResult) -> tuple[float | None, bool, str]:
        """The upper limit of normal in the result's unit, whether it was assumed, and (when there is none) the
        reason to give. The lab's own limit wins; one that cannot be right (0, negative, not a finite number) or
        that cannot be converted to the result's unit leaves the check open: it is never replaced by the usual
        limit, since the lab said something else (and dividing by it would be meaningless)."""
        if result.reference_high is not None:
            if not _usable_limit(result.reference_high):
                return None, False, "reason.uln_invalid"
            unit = result.reference_unit or result.unit
            if unit == result.unit:
                return result.reference_high, False, ""
            converted = convert(result.reference_high, unit, result.unit, analyte) if result.unit else None
            if converted is None or not _usable_limit(converted):
                return None, False, "reason.uln_unconvertible"
            return converted, False, ""
        default = lexicon("analytes").get(analyte, {}).get("uln")
        if not default or result.unit is None:
            return None, False, "reason.uln_missing"
        value = default["value"]
        if "female" in default:
            if self.facts.sex is None:
                return None, False, "reason.uln_missing"
            if self.facts.sex == "female":
                value = default["female"]
        converted = convert(value, default["unit"], result.unit, analyte)
        if converted is None or not _usable_limit(converted):
            return None, False, "reason.uln_missing"
        return converted, True, ""

    @_finding.register
    def _diagnosis(self, check: Diagnosis) -> _Finding:
        entries = lexicon("conditions")["conditions"]
        matched = [
            record
            for record in self.facts.conditions
            if any(
                entries[concept].get("records_settle", True)
                and record_matches(record.text, record.codes, entries[concept])
                for concept in check.concepts
            )
        ]
        names = ", ".join(entries[concept]["lay"][self.language] for concept in check.concepts)
        if not matched:
            return _Finding(UNKNOWN, (self.t("reason.condition_not_recorded", condition=names),))
        if check.qualifiers:
            return _Finding(
                UNKNOWN,
                (self.t("reason.record_needs_confirmation", record=matched[0].text),),
                frozenset({"needs_confirmation"}),
            )
        if check.histology and not any(check.histology.split()[0] in record.text.lower() for record in matched):
            return _Finding(
                UNKNOWN, (self.t("reason.histology_unknown", record=matched[0].text, histology=check.histology),)
            )
        return _Finding(MET, (self.t("reason.condition_recorded", record=matched[0].text),))

    @_finding.register
    def _metastasis(self, check: MetastaticSite) -> _Finding:
        sites = lexicon("conditions")["metastatic_sites"]
        found = []
        for record in self.facts.conditions:
            text = record.text.lower()
            if not re.search(r"metasta|secondary", text):
                continue
            if check.site == "any":
                found.append(record)
            elif check.site == "extrahepatic":
                if record_matches(text, record.codes, sites["liver"]):
                    continue
                if any(
                    record_matches(text, record.codes, entry)
                    for key, entry in sites.items()
                    if key not in ("liver", "extrahepatic", "any")
                ):
                    found.append(record)
            elif record_matches(text, record.codes, sites[check.site]):
                found.append(record)
        if not found:
            return _Finding(
                UNKNOWN, (self.t("reason.metastasis_not_recorded", site=sites[check.site]["lay"][self.language]),)
            )
        if check.qualifiers:
            return _Finding(
                UNKNOWN,
                (self.t("reason.record_needs_confirmation", record=found[0].text),),
                frozenset({"needs_confirmation"}),
            )
        return _Finding(MET, (self.t("reason.condition_recorded", record=found[0].text),))

    @_finding.register
    def _biomarker(self, check: Biomarker) -> _Finding:
        markers = lexicon("biomarkers")
        members = markers.get(check.marker, {}).get("group") or [check.marker]
        if check.marker == "braf_v600e":
            members = ["braf_v600e"]
        lay = markers.get(check.marker, {}).get("lay", {}).get(self.language, check.marker)
        results = {
            member: [
                b
                for b in self.facts.biomarkers
                if b.marker == member or (member == "braf_v600e" and b.marker == "braf")
            ]
            for member in members
        }
        if check.status == "known":
            if all(results.values()):
                return _Finding(MET, (self.t("reason.biomarker_known", marker=lay),))
            return _Finding(UNKNOWN, (self.t("reason.biomarker_unknown", marker=lay),))
        found = [b for member in members for b in results[member]]
        if not found:
            return _Finding(UNKNOWN, (self.t("reason.biomarker_unknown", marker=lay),))
        latest = max(found, key=lambda b: b.when or date.min)
        status = self.t(f"status.{latest.status}")
        if latest.status == check.status:
            return _Finding(MET, (self.t("reason.biomarker", marker=lay, status=status),))
        if _OPPOSITES.get(check.status) == latest.status or (check.status, latest.status) in _ALSO_OPPOSITE:
            return _Finding(NOT_MET, (self.t("reason.biomarker", marker=lay, status=status),))
        return _Finding(UNKNOWN, (self.t("reason.biomarker", marker=lay, status=status),))

    @_finding.register
    def _prior_treatment(self, check: PriorTreatment) -> _Finding:
        start = self.today - timedelta(days=check.window.days) if check.window else None
        found: list[tuple[str, date | None]] = []
        kinds = lexicon("conditions")["treatment_kinds"]
        if check.kind in kinds:
            for procedure in self.facts.procedures:
                if record_matches(procedure.text, procedure.codes, kinds[check.kind]) and (
                    check.site is None
                    or _mentions_organ(procedure.text + " " + (procedure.body_site or ""), check.site)
                ):
                    found.append((procedure.text, procedure.when))
        else:
            drug = check.drug or check.kind
            for medication in medications_matching(self.facts.medications, drug):
                found.append((medication.text, medication.end or medication.start))
        if start is not None:
            recent = [(text, when) for text, when in found if when is not None and when >= start]
            undated = [(text, when) for text, when in found if when is None]
            if recent:
                found = recent
            elif undated:
                return _Finding(
                    UNKNOWN,
                    (
                        self.t(
                            "reason.treatment_undated",
                            record=undated[0][0],
                            days=check.window.days if check.window else 0,
                        ),
                    ),
                )
            else:
                found = []
        if not found:
            return _Finding(
                UNKNOWN, (self.t("reason.treatment_not_recorded", treatment=treatment_name(check, self.language)),)
            )
        if check.qualifiers:
            return _Finding(
                UNKNOWN,
                (self.t("reason.record_needs_confirmation", record=found[0][0]),),
                frozenset({"needs_confirmation"}),
            )
        return _Finding(MET, (self.t("reason.treatment_recorded", record=found[0][0]),))

    @_finding.register
    def _medication(self, check: CurrentMedication) -> _Finding:
        current = [m for m in medications_matching(self.facts.medications, check.drug) if _is_current(m, self.today)]
        if not current:
            return _Finding(
                UNKNOWN, (self.t("reason.medication_not_recorded", drug=drug_name(check.drug, self.language)),)
            )
        if check.qualifiers:
            return _Finding(
                UNKNOWN,
                (self.t("reason.record_needs_confirmation", record=current[0].text),),
                frozenset({"needs_confirmation"}),
            )
        return _Finding(MET, (self.t("reason.medication_recorded", record=current[0].text),))

    @_finding.register
    def _test_window(self, check: TestWindow) -> _Finding:
        when = self.facts.test_dates.get(check.test)
        test = self.t(f"test.{check.test}")
        if when is None:
            return _Finding(UNKNOWN, (self.t("reason.test_unknown", test=test, days=check.window.days),))
        age_days = (self.today - when).days
        if 0 <= age_days <= check.window.days:
            return _Finding(MET, (self.t("reason.test_recent", test=test, age=age_days, days=check.window.days),))
        return _Finding(
            UNKNOWN,
            (self.t("reason.test_too_old", test=test, age=age_days, days=check.window.days),),
            frozenset({"outside_window"}),
        )

    @_finding.register
    def _free_text(self, check: FreeText) -> _Finding:
        if check.topic == "consent" and self.facts.consent is not None and check.text:
            # The criterion as written is what is checked: "able to give consent", or "unable to give consent".
            consent = self.facts.consent
            refusal = re.search(_words(lexicon("cues")["consent_refusal"]), check.text, re.IGNORECASE)
            verdict = MET if consent != bool(refusal) else NOT_MET
            return _Finding(verdict, (self.t(f"fact.consent.{'yes' if consent else 'no'}"),))
        return _Finding(UNKNOWN, (self.t("reason.ask_doctor" if check.ask_doctor else "reason.ask_person"),))


_OPPOSITES = {
    "deficient": "proficient",
    "proficient": "deficient",
    "high": "stable",
    "stable": "high",
    "mutated": "wild-type",
    "wild-type": "mutated",
    "positive": "negative",
    "negative": "positive",
}
_ALSO_OPPOSITE = {("high", "low"), ("low", "high")}


def _words(words: Iterable[str]) -> str:
    """A pattern matching any of `words` as whole words."""
    return r"(?<![\w])(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?![\w])"


def _measured(options: tuple[Check, ...], facts: PatientFacts) -> tuple[Check, ...]:
    """ "PT or INR < 1.5 × ULN": when the alternatives are forms of one measurement (data/analytes.json
    `same_measurement`), the ones with a result decide; an unmeasured form is not a missed chance."""
    if len(options) < 2 or not all(isinstance(option, LabThreshold) for option in options):
        return options
    analytes = {option.analyte for option in options}  # type: ignore[union-attr]
    for analyte in analytes:
        if not (analytes - {analyte}) <= set(lexicon("analytes").get(analyte, {}).get("same_measurement", [])):
            return options
    measured = tuple(option for option in options if any(lab_matches(lab, option.analyte) for lab in facts.labs))  # type: ignore[union-attr]
    return measured or options


def _usable_limit(value: float) -> bool:
    """A limit of normal that a result can be divided by: a finite number above 0."""
    return math.isfinite(value) and value > 0


def _combine(verdict: Verdict, parts: list[_Finding]) -> _Finding:
    """The reasons worth showing: those of the parts that decided the verdict."""
    deciding = [p for p in parts if p.verdict is verdict] or parts
    reasons = tuple(dict.fromkeys(r for p in deciding for r in p.reasons))
    flags = frozenset(flag for p in parts for flag in p.flags)
    return _Finding(verdict, reasons, flags)


def _against_or_waived(verdict: Verdict, frame: tuple[str, bool]) -> bool:
    """Whether a decided leaf counts against the person under its frame (or is an exception that applies)."""
    wrapper, affirmative = frame
    if wrapper == "asks.exception":
        return verdict is MET
    matches = verdict is (MET if affirmative else NOT_MET)  # the person is as the frame's "people who ..." are
    return matches if wrapper == "asks.exclusion" else not matches


def _geen(text: str) -> str:
    """A Dutch noun phrase negated: "een leverziekte" -> "geen leverziekte", "een wond, een zweer of een botbreuk"
    -> "geen wond, zweer of botbreuk", "bestraling" -> "geen bestraling"."""
    text = re.sub(r"(,\s+|\s+of\s+|\s+en\s+)een\s+", r"\1", text)
    return "geen " + (text[4:] if text.startswith("een ") else text)


def _effect(section: Section, verdict: Verdict) -> str:
    if verdict is UNKNOWN:
        return "open"
    if section is Section.INCLUSION:
        return "ok" if verdict is MET else "fails"
    return "excludes" if verdict is MET else "ok"


def _is_current(medication: MedicationRecord, today: date) -> bool:
    if medication.current is not None:
        return medication.current
    started = medication.start is None or medication.start <= today
    return started and (medication.end is None or medication.end >= today) and medication.start is not None


def _band(scale: str, value: int, target: str) -> tuple[int, int] | None:
    if scale == target:
        return value, value
    if scale == "KARNOFSKY" and target == "ECOG":
        ecog = (
            0
            if value >= 90
            else 1
            if value >= 70
            else 2
            if value >= 50
            else 3
            if value >= 30
            else 4
            if value >= 10
            else 5
        )
        return ecog, ecog
    if scale == "ECOG" and target == "KARNOFSKY":
        return {0: (90, 100), 1: (70, 80), 2: (50, 60), 3: (30, 40), 4: (10, 20), 5: (0, 0)}.get(value)
    return None


# --- Matching records against lexicon entries ---------------------------------------------------------------


def leaf_key(check: Check) -> str:
    return check.key  # type: ignore[union-attr]


def lab_matches(lab: LabResult, analyte: str) -> bool:
    if lab.analyte == analyte:
        return True
    return (
        lab.analyte is None
        and lab.loinc is not None
        and lab.loinc in lexicon("analytes").get(analyte, {}).get("loinc", [])
    )


def record_matches(text: str, codes: Iterable[Any], entry: dict[str, Any]) -> bool:
    """A record (its text and codings) names a lexicon entry: by SNOMED code or by one of its names."""
    snomed = set(entry.get("snomed", []))
    if any(getattr(code, "system", "") == "snomed" and code.code in snomed for code in codes):
        return True
    lowered = text.lower()
    return any(_whole_name(name).search(lowered) for name in entry.get("names", []) if len(name) > 3)


@lru_cache(maxsize=4096)
def _whole_name(name: str) -> re.Pattern[str]:
    """`name` as a whole word (or words), compiled once: records are matched against every lexicon name."""
    return re.compile(r"(?<![\w])" + re.escape(name) + r"(?![\w])")


def _mentions_organ(text: str, organ: str) -> bool:
    words = lexicon("conditions")["organs"].get(organ, [organ])
    return any(word in text.lower() for word in words)


def medications_matching(medications: Iterable[MedicationRecord], drug: str) -> list[MedicationRecord]:
    """Medication records that are `drug` (a drug, a class or a regimen key of data/drugs.json)."""
    drugs = lexicon("drugs")
    members, prefixes, names = _drug_terms(drug)
    found = []
    records = list(medications)
    for record in records:
        atc = [code.code for code in record.codes if code.system == "atc"]
        rxnorm = {code.code for code in record.codes if code.system == "rxnorm"}
        lowered = record.text.lower()
        if any(code.startswith(prefix) for code in atc for prefix in prefixes):
            found.append(record)
        elif any(_whole_name(name).search(lowered) for name in names):
            found.append(record)
        elif any(code in rxnorm for member in members for code in drugs["drugs"].get(member, {}).get("rxnorm", [])):
            found.append(record)
    if drug in drugs["regimens"]:
        # A regimen was given when all its components were, or a record names it.
        components = drugs["regimens"][drug]["components"]
        by_component = {c: medications_matching(records, c) for c in components}
        if all(by_component.values()):
            found.extend(r for matched in by_component.values() for r in matched if r not in found)
    return found


def _drug_terms(drug: str) -> tuple[list[str], list[str], list[str]]:
    """Member drug keys, ATC prefixes and names that identify a drug, class or regimen."""
    drugs = lexicon("drugs")
    if drug in drugs["drugs"]:
        entry = drugs["drugs"][drug]
        return [drug], [entry["atc"]] if entry.get("atc") else [], list(entry["names"])
    if drug in drugs["classes"]:
        entry = drugs["classes"][drug]
        prefixes = list(entry.get("atc", []))
        members = [
            key for key, item in drugs["drugs"].items() if any(item.get("atc", "").startswith(p) for p in prefixes)
        ]
        names = list(entry["names"]) + [name for member in members for name in drugs["drugs"][member]["names"]]
        # A regimen made of members of the class names the class too (FOLFOX is systemic chemotherapy).
        names += [
            name
            for regimen in drugs["regimens"].values()
            if any(component in members for component in regimen["components"])
            for name in regimen["names"]
        ]
        return members, prefixes, names
    if drug in drugs["regimens"]:
        return [], [], list(drugs["regimens"][drug]["names"])
    return [], [], [drug.replace("_", " ")]
