"""Computable eligibility: "Could I take part?", answered criterion by criterion (issue #7).

The entry points the website, the API and the CLI call; all of them are pure (time is passed in):

- `parse_criteria(markdown) -> CriteriaTree`
- `criteria_for_trial(trial) -> CriteriaTree` (the text, plus the registry's age and sex limits)
- `questionnaire(tree, language, facts=None, today=None) -> Questionnaire`
- `facts_from_answers(tree, answers, *, today, language) -> PatientFacts` (raises `InvalidAnswers`)
- `facts_from_fhir(bundle) -> FhirFacts` (facts and the problems met reading them)
- `assess(trial_or_criteria_markdown, facts, *, today, language="en") -> Assessment` (`.to_json()` for the API)

Modules that read personal data (facts, answers, FHIR bundles): facts.py, fhir.py, questionnaire.py, evaluate.py.
None of them logs.
"""

from __future__ import annotations

import functools
from datetime import date

from trialfinder.domain.trial import Eligibility, Trial
from trialfinder.eligibility.evaluate import (
    LIKELY_ELIGIBLE,
    NEEDS_REVIEW,
    NOT_ELIGIBLE,
    Assessment,
    CriterionResult,
    evaluate,
    open_checks,
    tree_with_limits,
)
from trialfinder.eligibility.facts import PatientFacts
from trialfinder.eligibility.fhir import FhirFacts, facts_from_fhir, facts_from_ndjson
from trialfinder.eligibility.logic import Verdict
from trialfinder.eligibility.model import CriteriaTree, Criterion, Section
from trialfinder.eligibility.parser import parse_criteria
from trialfinder.eligibility.questionnaire import (
    InvalidAnswers,
    Question,
    Questionnaire,
    build_questionnaire,
    facts_from_answers,
)

__all__ = [
    "LIKELY_ELIGIBLE",
    "NEEDS_REVIEW",
    "NOT_ELIGIBLE",
    "Assessment",
    "CriteriaTree",
    "Criterion",
    "CriterionResult",
    "FhirFacts",
    "InvalidAnswers",
    "PatientFacts",
    "Question",
    "Questionnaire",
    "Section",
    "Verdict",
    "assess",
    "criteria_for_trial",
    "facts_from_answers",
    "facts_from_fhir",
    "facts_from_ndjson",
    "parse_criteria",
    "questionnaire",
]


def criteria_for_trial(trial: Trial) -> CriteriaTree:
    """A trial's criteria text parsed, with its registry age and sex limits as criteria of their own. The tree
    depends on the trial's id and eligibility fields only, and is kept for the next view of the same trial (the
    trees are frozen: one may serve every caller)."""
    return _criteria(trial.nct_id, trial.eligibility)


# Parsing costs as much as evaluating: a trial page, its questions and its assessment, and "Trials for me" screening
# the same popular trials for one person after another, each parse the criteria again without this.
@functools.lru_cache(maxsize=4096)
def _criteria(nct_id: str, rules: Eligibility) -> CriteriaTree:
    return tree_with_limits(parse_criteria(rules.criteria, nct_id=nct_id), rules, nct_id)


def questionnaire(
    tree: CriteriaTree, language: str = "en", facts: PatientFacts | None = None, *, today: date | None = None
) -> Questionnaire:
    """The questions a trial's criteria need, in English ("en") or Dutch ("nl"); with facts and today, only those
    still open."""
    still_open = open_checks(facts, today=today) if facts is not None and today is not None else None
    return build_questionnaire(tree, language, still_open=still_open)


def assess(
    trial_or_criteria: Trial | CriteriaTree | str,
    facts: PatientFacts,
    *,
    today: date,
    language: str = "en",
    questions: int | None = None,
) -> Assessment:
    """Could this person take part? `today` stands in for the day of registration; `questions` bounds how many open
    criteria get their questions worded (None: all)."""
    if isinstance(trial_or_criteria, Trial):
        tree = criteria_for_trial(trial_or_criteria)
    elif isinstance(trial_or_criteria, CriteriaTree):
        tree = trial_or_criteria
    else:
        tree = parse_criteria(trial_or_criteria)
    return evaluate(tree, facts, today=today, language=language, questions=questions)
