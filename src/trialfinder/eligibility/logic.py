"""Three-valued logic for eligibility: every criterion is MET, NOT_MET or UNKNOWN, never a guess.

The truth tables are Kleene's strong three-valued logic, written out as literal data (as ehrql's in-memory engine
spells out `visit_And`/`visit_Or`) so that a reader can check them against tests/spec/test_truth_tables.py
without following code: UNKNOWN stays UNKNOWN unless the other operand settles the answer on its own
(NOT_MET and anything is NOT_MET; MET or anything is MET).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Verdict(str, Enum):
    """Whether what a criterion says is true of the person. For an exclusion criterion MET is the bad outcome."""

    MET = "met"
    NOT_MET = "not_met"
    UNKNOWN = "unknown"


MET, NOT_MET, UNKNOWN = Verdict.MET, Verdict.NOT_MET, Verdict.UNKNOWN

AND_TABLE: dict[tuple[Verdict, Verdict], Verdict] = {
    (MET, MET): MET,
    (MET, NOT_MET): NOT_MET,
    (MET, UNKNOWN): UNKNOWN,
    (NOT_MET, MET): NOT_MET,
    (NOT_MET, NOT_MET): NOT_MET,
    (NOT_MET, UNKNOWN): NOT_MET,
    (UNKNOWN, MET): UNKNOWN,
    (UNKNOWN, NOT_MET): NOT_MET,
    (UNKNOWN, UNKNOWN): UNKNOWN,
}

OR_TABLE: dict[tuple[Verdict, Verdict], Verdict] = {
    (MET, MET): MET,
    (MET, NOT_MET): MET,
    (MET, UNKNOWN): MET,
    (NOT_MET, MET): MET,
    (NOT_MET, NOT_MET): NOT_MET,
    (NOT_MET, UNKNOWN): UNKNOWN,
    (UNKNOWN, MET): MET,
    (UNKNOWN, NOT_MET): UNKNOWN,
    (UNKNOWN, UNKNOWN): UNKNOWN,
}

NOT_TABLE: dict[Verdict, Verdict] = {
    MET: NOT_MET,
    NOT_MET: MET,
    UNKNOWN: UNKNOWN,
}


def v_and(*verdicts: Verdict) -> Verdict:
    """All of them; the empty conjunction is MET (nothing required)."""
    return all_of(verdicts)


def v_or(*verdicts: Verdict) -> Verdict:
    """Any of them; the empty disjunction is NOT_MET (no alternative offered)."""
    return any_of(verdicts)


def v_not(verdict: Verdict) -> Verdict:
    return NOT_TABLE[verdict]


def all_of(verdicts: Iterable[Verdict]) -> Verdict:
    result = MET
    for verdict in verdicts:
        result = AND_TABLE[(result, verdict)]
    return result


def any_of(verdicts: Iterable[Verdict]) -> Verdict:
    result = NOT_MET
    for verdict in verdicts:
        result = OR_TABLE[(result, verdict)]
    return result
