"""One candidate trial's criteria evaluated on the person's facts: how many are met, not met and unknown, which ones
rule the person out, and what to ask a doctor about."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from trialfinder import eligibility
from trialfinder.domain.trial import Trial
from trialfinder.eligibility import CriterionResult, PatientFacts

# Questions to show per trial ("ask your doctor about: ..."): the first few open criteria, in the trial's order.
MAX_QUESTIONS = 3


@dataclass(frozen=True, slots=True)
class Screening:
    nct_id: str
    verdict: str  # eligibility's likely-eligible, not-eligible or needs-review
    met: int  # criteria that hold (an inclusion met, an exclusion that does not apply)
    not_met: int  # an inclusion not met or an exclusion that applies
    unknown: int  # nothing in what the person gave settles it
    # The criteria behind `not_met`, as specific as the trial words them: of a group ("Laboratory requirements:
    # ..."), the parts that fail ("Hb ≥ 5.5 mmol/L") rather than the whole group.
    failing: tuple[CriterionResult, ...]
    ask: tuple[str, ...]  # open questions, the first few


def screen(
    trial: Trial,
    facts: PatientFacts,
    *,
    today: date,
    language: str = "en",
    answers: Mapping[str, str] | None = None,
) -> Screening:
    """Evaluate `trial`'s criteria (and its registry age and sex limits) on `facts`, completed by the answers the
    person kept from "Could I take part?" where they fit this trial's questions (answers that do not are ignored)."""
    tree = eligibility.criteria_for_trial(trial)
    if answers:
        try:
            facts = facts.merged(eligibility.facts_from_answers(tree, dict(answers), today=today, language=language))
        except eligibility.InvalidAnswers:
            pass  # answers kept for another trial's questions; what the person described still counts
    assessment = eligibility.assess(tree, facts, today=today, language=language, questions=MAX_QUESTIONS)
    counts = {"ok": 0, "fails": 0, "excludes": 0, "open": 0}
    for result in assessment.results:
        counts[result.effect] = counts.get(result.effect, 0) + 1
    failing = tuple(_deciding(r for r in assessment.results if r.effect in ("fails", "excludes")))
    return Screening(
        nct_id=trial.nct_id,
        verdict=assessment.verdict,
        met=counts["ok"],
        not_met=counts["fails"] + counts["excludes"],
        unknown=counts["open"],
        failing=failing,
        ask=tuple(_asks(assessment.results))[:MAX_QUESTIONS],
    )


def _deciding(failing: Iterable[CriterionResult]) -> list[CriterionResult]:
    found: list[CriterionResult] = []
    for result in failing:
        parts = [child for child in result.children if child.effect == result.effect]
        found.extend(_deciding(parts) if parts else [result])
    return found


def _asks(results: tuple[CriterionResult, ...]) -> Iterator[str]:
    """What to ask a doctor about: each open criterion's questions, or its text when none was worded."""
    seen: set[str] = set()
    for result in results:
        if result.effect != "open":
            continue
        for ask in result.questions or (result.source_text,):
            if ask not in seen:
                seen.add(ask)
                yield ask
