"""Three-valued logic, as readable tables: each row is `left  right  ->  and  or`, then `value -> not`.

The engine's tables (eligibility/logic.py) must agree with these, and the combinations of checks (all of, any
of, not, unless under either heading) must follow them."""

from __future__ import annotations

import pytest

from trialfinder.eligibility.logic import MET, NOT_MET, UNKNOWN, Verdict, all_of, any_of, v_and, v_not, v_or

AND_OR = """
left      right     | and       or
met       met       | met       met
met       not_met   | not_met   met
met       unknown   | unknown   met
not_met   met       | not_met   met
not_met   not_met   | not_met   not_met
not_met   unknown   | not_met   unknown
unknown   met       | unknown   met
unknown   not_met   | not_met   unknown
unknown   unknown   | unknown   unknown
"""

NOT = """
value     | not
met       | not_met
not_met   | met
unknown   | unknown
"""

# "INR < 1.5 x ULN unless on coumarins": under an inclusion heading the exception waives the requirement
# (check OR exception); under an exclusion heading it waives the exclusion (check AND NOT exception).
UNLESS = """
check     exception | inclusion  exclusion
met       met       | met        not_met
met       not_met   | met        met
met       unknown   | met        unknown
not_met   met       | met        not_met
not_met   not_met   | not_met    not_met
not_met   unknown   | unknown    not_met
unknown   met       | met        not_met
unknown   not_met   | unknown    unknown
unknown   unknown   | unknown    unknown
"""


def rows(table: str) -> list[list[Verdict]]:
    lines = table.strip().splitlines()[1:]
    return [[Verdict(word) for word in line.replace("|", " ").split()] for line in lines]


@pytest.mark.parametrize(("left", "right", "conjunction", "disjunction"), rows(AND_OR))
def test_and_or(left, right, conjunction, disjunction):
    assert v_and(left, right) is conjunction
    assert v_or(left, right) is disjunction
    assert all_of([left, right]) is conjunction and any_of([left, right]) is disjunction


@pytest.mark.parametrize(("value", "negation"), rows(NOT))
def test_not(value, negation):
    assert v_not(value) is negation


def test_empty_combinations():
    assert all_of([]) is MET  # nothing required
    assert any_of([]) is NOT_MET  # no alternative offered


def test_the_tables_cover_every_pair():
    assert len(rows(AND_OR)) == 9 and {(r[0], r[1]) for r in rows(AND_OR)} == {(a, b) for a in Verdict for b in Verdict}


@pytest.mark.parametrize(("check", "exception", "inclusion", "exclusion"), rows(UNLESS))
def test_unless_under_each_heading(check, exception, inclusion, exclusion):
    from datetime import date

    from trialfinder.eligibility.evaluate import _Evaluator
    from trialfinder.eligibility.facts import PatientFacts
    from trialfinder.eligibility.model import FreeText, Section, Unless

    def statement(key: str, verdict: Verdict) -> dict[str, bool]:
        return {} if verdict is UNKNOWN else {key: verdict is MET}

    facts = PatientFacts(statements=statement("c", check) | statement("x", exception))
    evaluator = _Evaluator(facts, date(2025, 1, 1), "en")
    unless = Unless(FreeText("c"), FreeText("x"))
    assert evaluator.check(unless, Section.INCLUSION).verdict is inclusion
    assert evaluator.check(unless, Section.EXCLUSION).verdict is exclusion


EFFECTS = """
section    verdict   | effect
inclusion  met       | ok
inclusion  not_met   | fails
inclusion  unknown   | open
exclusion  met       | excludes
exclusion  not_met   | ok
exclusion  unknown   | open
"""


@pytest.mark.parametrize("line", EFFECTS.strip().splitlines()[1:])
def test_what_a_verdict_means_for_taking_part(line):
    from datetime import date

    from trialfinder.eligibility import assess
    from trialfinder.eligibility.facts import PatientFacts

    section, verdict, _, effect = line.split()
    text = f"{section.title()} Criteria:\n\n* Willing to keep a diary.\n"
    statements = {} if verdict == "unknown" else {f"{section[:3]}-1": verdict == "met"}
    assessment = assess(text, PatientFacts(statements=statements), today=date(2025, 1, 1))
    assert assessment.results[0].effect == effect
    expected = {"ok": "likely-eligible", "open": "needs-review"}.get(effect, "not-eligible")
    assert assessment.verdict == expected
