"""Questions generated from a trial's own criteria, and the answers turned back into patient facts.

Only what matters is asked: one question per fact a leaf check needs (asked once however many criteria need it),
none for a fact already known, none for a check that cannot change the outcome (a sex check of a trial open to
all). Every question can be answered "I don't know" (an empty or "unknown" answer), which leaves the check open.

Answers arrive as a flat mapping of strings, as an HTML form posts them; field names are stable:

| field | answer |
|---|---|
| `birth_date` | a date, `YYYY-MM-DD` |
| `sex` | `female`, `male`, `unknown` |
| `lab:<analyte>:value`, `lab:<analyte>:unit`, `lab:<analyte>:uln` | a number, a unit from the question's choices, the lab's upper limit of normal (above 0) |
| `lab:body_height:*`, `lab:body_weight:*` | height and weight, asked when a criterion compares mL/min with a value per body surface area |
| `lab_date` | the date the blood was taken |
| `performance:ecog` / `performance:karnofsky` | 0–4 / 0–100 |
| `test_date:<test>` | the date of the last CT scan (MRI, ...) |
| any other check key (`biomarker:mmr:deficient`, `prior:systemic`, `inc-6` ...) | `yes`, `no`, `unknown` |

This module reads what a person typed: it never logs answers (DEVELOPERS.md, "Personal data").
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache, cached_property, singledispatch
from types import MappingProxyType
from typing import Any

from trialfinder.domain.trial import Sex
from trialfinder.eligibility import messages
from trialfinder.eligibility.facts import LabResult, PatientFacts, PerformanceScore
from trialfinder.eligibility.model import (
    AgeCheck,
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
    PerformanceStatus,
    PregnancyCheck,
    PriorTreatment,
    Section,
    SexCheck,
    TestWindow,
    leaves,
)
from trialfinder.eligibility.units import convert, format_number, lexicon, needs_body_surface_area
from trialfinder.eligibility.wording import display_unit, drug_name, lab_name, messages_join, treatment_name

YES, NO, UNKNOWN_ANSWER = "yes", "no", "unknown"

# Units a person may choose for a lab, per dimension, in the order labs commonly print them.
_UNIT_CHOICES = {
    "mass": ["g/dL", "g/L", "mg/dL", "mg/L"],
    "substance": ["mmol/L", "umol/L"],
    "equivalent": ["mEq/L"],
    "count": ["10^9/L", "10^3/uL", "/uL"],
    "enzyme": ["U/L", "ukat/L"],
    "flow": ["mL/min/1.73m2", "mL/min"],
    "length": ["cm", "[in_i]"],
    "weight": ["kg", "[lb_av]"],
}


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    """One question. `kind` is yes_no, date, choice, number or lab (a value with a unit, and for criteria written
    as multiples of the ULN, the lab's upper limit). `fields` are the form field names its answer posts."""

    id: str
    kind: str
    text: str
    fields: tuple[str, ...]
    criterion_ids: tuple[str, ...]
    source_texts: tuple[str, ...]
    choices: tuple[Choice, ...] = ()
    units: tuple[Choice, ...] = ()
    ask_doctor: bool = False
    glossary: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Questionnaire:
    language: str
    questions: tuple[Question, ...]

    def to_json(self) -> dict:
        return {
            "language": self.language,
            "questions": [
                {
                    "id": q.id,
                    "kind": q.kind,
                    "text": q.text,
                    "fields": list(q.fields),
                    "criteria": list(q.criterion_ids),
                    "source_texts": list(q.source_texts),
                    "choices": [{"value": c.value, "label": c.label} for c in q.choices],
                    "units": [{"value": c.value, "label": c.label} for c in q.units],
                    "ask_doctor": q.ask_doctor,
                    "glossary": [{"term": term, "explanation": text} for term, text in q.glossary],
                }
                for q in self.questions
            ],
        }


class InvalidAnswers(ValueError):
    """Answers that cannot be read; `errors` maps each field name to a sentence for the person."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__(f"{len(errors)} answer(s) cannot be read: {', '.join(sorted(errors))}")
        self.errors = dict(errors)


def build_questionnaire(
    tree: CriteriaTree, language: str = "en", *, still_open: Callable[[Check, Section], bool] | None = None
) -> Questionnaire:
    """The questions the tree's criteria need. With `still_open` (evaluate.open_checks: what a person's facts leave
    unknown), checks it says are decided are not asked about."""
    language = messages.language(language)
    questions: dict[str, Question] = {}
    for criterion in tree.walk():
        if criterion.check is None:
            continue
        ask = _Asking(criterion, language)
        for leaf in leaves(criterion.check):
            if still_open is not None and not still_open(leaf, criterion.section):
                continue
            for question in _questions(leaf, ask):
                existing = questions.get(question.id)
                if existing is None:
                    questions[question.id] = question
                elif criterion.id not in existing.criterion_ids:
                    questions[question.id] = _with_criterion(existing, criterion)
    return Questionnaire(language, tuple(questions.values()))


def questions_for_check(
    check: Check, criterion: Criterion, language: str, open_keys: set[str] | None = None
) -> list[str]:
    """The question texts for a check's leaves (only those still open, when `open_keys` is given)."""
    texts = []
    ask = _Asking(criterion, language)
    for leaf in leaves(check):
        if open_keys is not None and leaf.key not in open_keys:  # type: ignore[union-attr]
            continue
        for question in _questions(leaf, ask):
            if question.text not in texts:
                texts.append(question.text)
    return texts


def _with_criterion(question: Question, criterion: Criterion) -> Question:
    from dataclasses import replace

    return replace(
        question,
        criterion_ids=question.criterion_ids + (criterion.id,),
        source_texts=question.source_texts + (criterion.source_text,),
    )


def _yes_no(language: str) -> tuple[Choice, ...]:
    return tuple(Choice(value, messages.text(language, f"answer.{value}")) for value in (YES, NO, UNKNOWN_ANSWER))


@dataclass(frozen=True)
class _Asking:
    """What the questions about one criterion share: the criterion (its id and text go with every question), the
    language, and the glossary of the words in its text that a person may not know."""

    criterion: Criterion
    language: str

    def t(self, key: str, **params: object) -> str:
        return messages.text(self.language, key, **params)

    @cached_property
    def glossary(self) -> tuple[tuple[str, str], ...]:
        return _glossary(self.criterion.source_text, self.language)

    def question(self, question_id: str, kind: str, text: str, fields: tuple[str, ...], **options: Any) -> Question:
        criterion = self.criterion
        return Question(question_id, kind, text, fields, (criterion.id,), (criterion.source_text,), **options)

    def yes_no(self, key: str, text: str, doctor: bool = False) -> Question:
        return self.question(
            key, "yes_no", text, (key,), choices=_yes_no(self.language), ask_doctor=doctor, glossary=self.glossary
        )


@singledispatch
def _questions(check: LeafCheck, ask: _Asking) -> list[Question]:
    """The questions whose answers settle a leaf check (none for a check that cannot change the outcome)."""
    raise TypeError(f"questionnaire: no rule for {type(check).__name__}")


@_questions.register
def _age_questions(check: AgeCheck, ask: _Asking) -> list[Question]:
    return [ask.question("birth_date", "date", ask.t("q.age"), ("birth_date",))]


@_questions.register
def _sex_questions(check: SexCheck, ask: _Asking) -> list[Question]:
    if check.sex is Sex.ALL:
        return []
    choices = (
        Choice("female", ask.t("answer.female")),
        Choice("male", ask.t("answer.male")),
        Choice(UNKNOWN_ANSWER, ask.t("answer.unknown")),
    )
    return [ask.question("sex", "choice", ask.t("q.sex"), ("sex",), choices=choices)]


@_questions.register
def _pregnancy_questions(check: PregnancyCheck, ask: _Asking) -> list[Question]:
    return [ask.yes_no(check.key, ask.t(f"q.{check.family}"))]


@_questions.register
def _performance_questions(check: PerformanceStatus, ask: _Asking) -> list[Question]:
    if check.scale == "ECOG":
        choices = tuple(Choice(str(score), ask.t(f"ecog.{score}")) for score in range(5)) + (
            Choice(UNKNOWN_ANSWER, ask.t("answer.unknown")),
        )
        text = ask.t("q.performance.ECOG", scale=check.written or "ECOG")
        return [
            ask.question(
                "performance:ecog", "choice", text, ("performance:ecog",), choices=choices, glossary=ask.glossary
            )
        ]
    text = ask.t("q.performance.KARNOFSKY")
    return [ask.question("performance:karnofsky", "number", text, ("performance:karnofsky",), ask_doctor=True)]


@_questions.register
def _life_expectancy_questions(check: LifeExpectancy, ask: _Asking) -> list[Question]:
    return [ask.yes_no(check.key, ask.t("q.life_expectancy", weeks=format_number(check.weeks)), doctor=True)]


@_questions.register
def _diagnosis_questions(check: Diagnosis, ask: _Asking) -> list[Question]:
    entries = lexicon("conditions")["conditions"]
    condition = messages_join([entries[c]["lay"][ask.language] for c in check.concepts], ask.language)
    if check.qualifiers or check.histology:
        text = ask.t("q.diagnosis_qualified", condition=condition, text=ask.criterion.source_text)
        return [ask.yes_no(check.key, text, doctor=True)]
    return [ask.yes_no(check.key, ask.t("q.diagnosis", condition=condition))]


@_questions.register
def _metastasis_questions(check: MetastaticSite, ask: _Asking) -> list[Question]:
    site = lexicon("conditions")["metastatic_sites"][check.site]["lay"][ask.language]
    if check.qualifiers:
        text = ask.t("q.metastasis_qualified", site=site, text=ask.criterion.source_text)
        return [ask.yes_no(check.key, text, doctor=True)]
    return [ask.yes_no(check.key, ask.t("q.metastasis", site=site), doctor=True)]


@_questions.register
def _biomarker_questions(check: Biomarker, ask: _Asking) -> list[Question]:
    marker = lexicon("biomarkers").get(check.marker, {}).get("lay", {}).get(ask.language, check.marker)
    if check.status == "known":
        return [ask.yes_no(check.key, ask.t("q.biomarker.known", marker=marker), doctor=True)]
    status = ask.t(f"status.{check.status}")
    return [ask.yes_no(check.key, ask.t("q.biomarker", marker=marker, status=status), doctor=True)]


@_questions.register
def _prior_treatment_questions(check: PriorTreatment, ask: _Asking) -> list[Question]:

    name = treatment_name(check, ask.language)
    if check.window:
        return [ask.yes_no(check.key, ask.t("q.prior_window", treatment=name, days=check.window.days))]
    return [ask.yes_no(check.key, ask.t("q.prior", treatment=name))]


@_questions.register
def _medication_questions(check: CurrentMedication, ask: _Asking) -> list[Question]:

    name = drug_name(check.drug, ask.language)
    if check.qualifiers:
        return [ask.yes_no(check.key, ask.t("q.medication_qualified", drug=name, text="; ".join(check.qualifiers)))]
    return [ask.yes_no(check.key, ask.t("q.medication", drug=name))]


@_questions.register
def _test_window_questions(check: TestWindow, ask: _Asking) -> list[Question]:
    field = f"test_date:{check.test}"
    text = ask.t("q.test", test=ask.t(f"test.{check.test}"))
    return [ask.question(field, "date", text, (field,), glossary=ask.glossary)]


@_questions.register
def _free_text_questions(check: FreeText, ask: _Asking) -> list[Question]:
    if check.topic == "consent":
        return [ask.yes_no(check.key, ask.t("q.consent"))]
    text = ask.criterion.source_text if check.key == ask.criterion.id or not check.text else check.text
    question = ask.t("q.free_doctor" if check.ask_doctor else "q.free", text=text)
    return [ask.yes_no(check.key, question, doctor=check.ask_doctor)]




@_questions.register
def _lab_questions(check: LabThreshold, ask: _Asking) -> list[Question]:

    name = lab_name(check.analyte, ask.language)
    base = f"lab:{check.analyte}"
    fields = [f"{base}:value", f"{base}:unit"]
    if check.uln_multiple:
        fields.append(f"{base}:uln")
    units = tuple(Choice(unit, display_unit(unit) or "—") for unit in unit_choices(check.analyte))
    text = ask.t("q.lab_uln" if check.uln_multiple else "q.lab", lab=name)
    questions = [ask.question(base, "lab", text, tuple(fields), units=units, glossary=ask.glossary)]
    if check.window is not None:
        questions.append(ask.question("lab_date", "date", ask.t("q.lab_date"), ("lab_date",)))
    if check.analyte == "egfr":
        # Without an eGFR result, the engine computes it from creatinine (with age and sex).
        creatinine = LabThreshold("creatinine", check.comparator, 0, None, True)
        questions += [q for q in _lab_questions(creatinine, ask) if q.id != "lab_date"]
    if needs_body_surface_area(lexicon("analytes")[check.analyte].get("unit"), check.unit):
        # Results come in the analyte's usual unit; comparing an absolute flow with one per body surface area
        # takes the body surface area, from height and weight.
        questions += [_measurement_question(analyte, ask) for analyte in ("body_height", "body_weight")]
    if check.analyte == "egfr" or (
        check.uln_multiple and "female" in lexicon("analytes")[check.analyte].get("uln", {})
    ):
        # eGFR equations and the usual creatinine ULN depend on age and sex.
        questions += _questions(AgeCheck(Comparator.GE, 0), ask)
        questions += _questions(SexCheck(Sex.FEMALE), ask)
    return questions


def _measurement_question(analyte: str, ask: _Asking) -> Question:

    base = f"lab:{analyte}"
    return ask.question(
        base,
        "lab",
        ask.t("q.measurement", lab=lab_name(analyte, ask.language)),
        (f"{base}:value", f"{base}:unit"),
        units=tuple(Choice(unit, display_unit(unit)) for unit in unit_choices(analyte)),
    )


def unit_choices(analyte: str) -> list[str]:
    """The units a person may pick for an analyte: those its results convert from, most common first."""
    entry = lexicon("analytes").get(analyte, {})
    default = entry.get("unit")
    if not default or default == "1":
        return [default] if default else []
    choices = [default]
    for units in _UNIT_CHOICES.values():
        for unit in units:
            if unit not in choices and convert(1.0, unit, default, analyte) is not None:
                choices.append(unit)
    return choices


def _glossary(text: str, language: str) -> tuple[tuple[str, str], ...]:
    found = []
    lowered = text.lower() if text.isascii() else None
    for term, as_written, lower_term, pattern, explanations in _lay_terms():
        # A term that is not in the text as a substring cannot match there, so most are not searched for: a term in
        # capitals matches only as written; any other, when it and the text are ASCII, only where its lowercase form
        # is in the lowercased text (other text may match through Unicode case folding: it is always searched).
        if as_written:
            if term not in text:
                continue
        elif lowered is not None and lower_term is not None and lower_term not in lowered:
            continue
        if pattern.search(text):
            found.append((term, explanations[language]))
    return tuple(found)


@cache
def _lay_terms() -> tuple[tuple[str, bool, str | None, re.Pattern[str], dict[str, str]], ...]:
    """Each term of the glossary, compiled once: whether it matches only as written (a term in capitals), its
    lowercase form when it is ASCII, its pattern and its explanations."""
    terms = []
    for term, explanations in lexicon("lay_terms").items():
        as_written = term.isupper()
        pattern = re.compile(r"(?<![\w])" + re.escape(term) + r"(?![\w])", 0 if as_written else re.IGNORECASE)
        terms.append((term, as_written, term.lower() if term.isascii() else None, pattern, explanations))
    return tuple(terms)


# --- Answers -> facts ----------------------------------------------------------------------------------------


def facts_from_answers(
    tree: CriteriaTree, answers: Mapping[str, str], *, today: date, language: str = "en"
) -> PatientFacts:
    """Read a questionnaire's answers into PatientFacts, or raise InvalidAnswers naming each bad field.

    Empty answers and "unknown" mean "I don't know" and add nothing. Fields that are not questions of this tree are
    ignored (a form also posts its own fields)."""
    language = messages.language(language)
    t = lambda key, **params: messages.text(language, key, **params)  # noqa: E731
    errors: dict[str, str] = {}
    values: dict[str, object] = {}
    statements: dict[str, bool] = {}
    labs: list[LabResult] = []
    performance: list[PerformanceScore] = []
    test_dates: dict[str, date] = {}
    questionnaire = build_questionnaire(tree, language)
    asked = {question.id: question for question in questionnaire.questions}

    def answer(name: str) -> str:
        return str(answers.get(name, "") or "").strip()

    lab_day = None
    if "lab_date" in asked and answer("lab_date"):
        lab_day = _date(answer("lab_date"), today, "lab_date", errors, t)

    for question in questionnaire.questions:
        if question.kind == "yes_no":
            value = answer(question.id).lower()
            if value in ("", UNKNOWN_ANSWER):
                continue
            if value not in (YES, NO):
                errors[question.id] = t("error.choice")
                continue
            statements[question.id] = value == YES
            if question.id == "pregnancy" and value == NO:
                values["pregnant"], values["breastfeeding"] = False, False
        elif question.id == "birth_date" and answer("birth_date"):
            born = _date(answer("birth_date"), today, "birth_date", errors, t)
            age = PatientFacts(birth_date=born).age_on(today) if born is not None else None
            if age is not None and not plausible("age", age, "years"):
                # A date of birth 250 years ago is a slip in the year: ask again rather than assess it.
                errors["birth_date"] = t("error.implausible_birth_date", age=format_number(age))
                born = None
            values["birth_date"] = born
        elif question.id == "sex":
            value = answer("sex").lower()
            if value in ("female", "male"):
                values["sex"] = value
            elif value not in ("", UNKNOWN_ANSWER):
                errors["sex"] = t("error.choice")
        elif question.id == "performance:ecog":
            value = answer("performance:ecog").lower()
            if value in ("", UNKNOWN_ANSWER):
                continue
            if value not in {"0", "1", "2", "3", "4", "5"}:
                errors[question.id] = t("error.choice")
                continue
            performance.append(PerformanceScore("ECOG", int(value), today))
        elif question.id == "performance:karnofsky" and answer(question.id).lower() not in ("", UNKNOWN_ANSWER):
            number = _number(answer(question.id), question.id, errors, t)
            if number is not None:
                if not 0 <= number <= 100:
                    errors[question.id] = t("error.range", low=0, high=100)
                else:
                    performance.append(PerformanceScore("KARNOFSKY", round(number), today))
        elif question.kind == "lab":
            lab = _lab(question, answer, lab_day, errors, t, language)
            if lab is not None:
                labs.append(lab)
        elif question.id.startswith("test_date:") and answer(question.id):
            day = _date(answer(question.id), today, question.id, errors, t)
            if day is not None:
                test_dates[question.id.split(":", 1)[1]] = day
    if errors:
        raise InvalidAnswers(errors)
    return PatientFacts(
        birth_date=values.get("birth_date"),  # type: ignore[arg-type]
        sex=values.get("sex"),  # type: ignore[arg-type]
        pregnant=values.get("pregnant"),  # type: ignore[arg-type]
        breastfeeding=values.get("breastfeeding"),  # type: ignore[arg-type]
        labs=tuple(labs),
        performance=tuple(performance),
        test_dates=MappingProxyType(test_dates),
        statements=MappingProxyType(statements),
    )


def _lab(
    question: Question, answer, lab_day: date | None, errors: dict[str, str], t, language: str
) -> LabResult | None:
    analyte = question.id.split(":", 1)[1]
    raw_value = answer(f"{question.id}:value")
    if raw_value.lower() in ("", UNKNOWN_ANSWER):
        return None
    value = _number(raw_value, f"{question.id}:value", errors, t)
    unit = answer(f"{question.id}:unit")
    allowed = [choice.value for choice in question.units]
    if unit not in allowed:
        if len(allowed) == 1:
            unit = allowed[0]
        else:
            errors[f"{question.id}:unit"] = t("error.unit")
            return None
    uln = None
    if f"{question.id}:uln" in question.fields and answer(f"{question.id}:uln"):
        uln = _number(answer(f"{question.id}:uln"), f"{question.id}:uln", errors, t)
        if uln is not None and uln <= 0:
            # An upper limit of normal of 0 is a slip (nothing can be compared with it): ask again.
            errors[f"{question.id}:uln"] = t("error.uln")
            uln = None
    if value is None:
        return None
    if not plausible(analyte, value, unit):
        # Haemoglobin 65 mmol/L is g/L typed beside the wrong unit, a weight of 0 a slip: ask, do not assess.
        errors[f"{question.id}:value"] = _implausible(analyte, value, unit, allowed, t, language)
        return None
    return LabResult(
        analyte, value, unit, lab_day, reference_high=uln, reference_unit=unit if uln is not None else None
    )


def plausible(analyte: str, value: float, unit: str | None) -> bool:
    """Whether `value` in `unit` can be a living person's result for `analyte` (data/plausible.json). A value
    that cannot be converted to the table's unit, or an analyte without a row, is not questioned."""
    row = lexicon("plausible").get(analyte)
    if row is None or not unit:
        return True
    converted = convert(value, unit, row["unit"], analyte)
    if converted is None:
        return True
    return row["low"] <= converted <= row["high"]


def _implausible(analyte: str, value: float, unit: str, units: list[str], t, language: str) -> str:
    """The sentence asking the person to check a value that cannot be right, naming the units it would fit."""
    shown = f"{format_number(value)} {display_unit(unit)}".strip()
    fitting = [display_unit(other) for other in units if other != unit and plausible(analyte, value, other)][:2]
    name = lab_name(analyte, language)
    if fitting:
        return t("error.implausible_unit", value=shown, lab=name, units=messages_join(fitting, language))
    return t("error.implausible", value=shown, lab=name)


def _number(text: str, field: str, errors: dict[str, str], t) -> float | None:
    cleaned = text.replace(" ", "")
    # A decimal comma is how Dutch (and most European) labs print numbers: "5,5" is 5.5.
    if re.fullmatch(r"\d+,\d+", cleaned):
        cleaned = cleaned.replace(",", ".")
    try:
        number = float(cleaned)
    except ValueError:
        errors[field] = t("error.number")
        return None
    if not math.isfinite(number) or number < 0:
        errors[field] = t("error.number")
        return None
    return number


def _date(text: str, today: date, field: str, errors: dict[str, str], t) -> date | None:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        errors[field] = t("error.date")
        return None
    if day > today:
        errors[field] = t("error.future_date")
        return None
    return day


def answered_keys(questionnaire: Questionnaire) -> Iterable[str]:
    for question in questionnaire.questions:
        yield from question.fields
