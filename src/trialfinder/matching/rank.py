"""One score per candidate trial: how well it fits what the person has (relevance, from retrieval) and what its
criteria say about them (screening). Measured by bench/matching.py; the weights are global, never per topic."""

from __future__ import annotations

from trialfinder.matching.screen import Screening

# A criterion the person clearly does not meet costs this much of the (0..1) relevance; each met criterion earns a
# little, so that among trials about the same thing, the one whose criteria the person is known to meet comes first.
NOT_MET_PENALTY = 0.5
MET_BONUS = 0.02
MAX_MET_BONUS = 0.2


def match_score(relevance: float, best_relevance: float, screening: Screening | None) -> float:
    """`relevance` scaled by the best candidate's (so 1.0 is the best fit by topic), plus what the criteria say."""
    score = relevance / best_relevance if best_relevance > 0 else 0.0
    if screening is None:
        return score
    if screening.not_met:
        score -= NOT_MET_PENALTY
    return score + min(MAX_MET_BONUS, MET_BONUS * screening.met)
