"""A performance-status bound is kept as written ("KPS < 50") and applied as written when evaluated."""

from __future__ import annotations

from datetime import date

import pytest

from trialfinder.eligibility.evaluate import evaluate
from trialfinder.eligibility.facts import PatientFacts, PerformanceScore
from trialfinder.eligibility.logic import MET, NOT_MET, UNKNOWN
from trialfinder.eligibility.parser import parse_criteria


@pytest.mark.parametrize(
    ("criterion", "scale", "score", "verdict"),
    [
        ("Karnofsky performance status < 50", "KARNOFSKY", 45, MET),
        ("Karnofsky performance status < 50", "KARNOFSKY", 50, NOT_MET),
        ("Karnofsky performance status > 60", "KARNOFSKY", 60, NOT_MET),
        ("Karnofsky performance status > 60", "KARNOFSKY", 70, MET),
        ("ECOG performance status < 2", "ECOG", 1, MET),
        ("ECOG performance status < 2", "ECOG", 2, NOT_MET),
        # ECOG 1 is Karnofsky 70–80: wholly inside "> 60", wholly outside "< 50", astride "< 80".
        ("Karnofsky performance status > 60", "ECOG", 1, MET),
        ("Karnofsky performance status < 50", "ECOG", 1, NOT_MET),
        ("Karnofsky performance status < 80", "ECOG", 1, UNKNOWN),
    ],
)
def test_strict_performance_bounds(criterion, scale, score, verdict):
    tree = parse_criteria(f"Inclusion Criteria:\n\n* {criterion}\n")
    facts = PatientFacts(performance=(PerformanceScore(scale, score, date(2025, 1, 1)),))
    result = evaluate(tree, facts, today=date(2025, 1, 2)).results[0]
    assert result.verdict is verdict
