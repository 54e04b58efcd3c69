"""Parser properties on generated criteria texts (Hypothesis: bullets of criteria fragments, odd characters and
blank lines; a failure is shrunk to the shortest text that shows it).

1. It never raises, whatever the text.
2. Every criterion keeps its source text: each one is a piece of the input (escapes removed), never empty.
3. Parsing is deterministic and the tree covers every bullet that has text.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from trialfinder.eligibility.model import describe, leaves
from trialfinder.eligibility.parser import parse_criteria

FRAGMENTS = [
    "Age ≥ 18 years", "ANC ≥1.5 x 109/L", "platelets ≥ 100,000/mm³", "bilirubin ≤ 1.5 × ULN", "or", "and", "unless",
    "except for", "no", "prior", "FOLFOX", "within 4 weeks prior to registration", "ECOG 0 or 1", "Karnofsky ≥",
    "(", ")", "\\>", "**", "≤", "≥", "<", ">=", "x ULN", "mmol/L", "10^9/L", "µmol/l", "HER2-positive", "MSI-H",
    "Pregnant", "life expectancy", "CRLM", "metastases", "12", "1,5", "0.5", ".", ";", ":", "—", "\t", "  ",
    "Inclusion Criteria:", "Exclusion Criteria", "eGFR", "MDRD", "creatinine clearance", "between 1 and", "%",
    "🙂", "\u200b", "ä", "x", "10", "E9", "/L", "fold", "upper limit of normal", "CT", "scan", "months",
]  # fmt: skip
BULLETS = ["* ", "- ", "  * ", "    - ", "1. ", "a) ", "• ", "", "(ii) "]


# A line: a bullet, criteria fragments, now and then a word of odd characters (control characters, symbols,
# scripts the lexicons never name), and now and then a blank line after it.
_ODD_WORD = st.text(st.characters(min_codepoint=1, max_codepoint=0x2FFF), min_size=1, max_size=20)
_LINE = st.builds(
    lambda bullet, words, odd, blank: bullet + " ".join([*words, *odd]) + blank,
    st.sampled_from(BULLETS),
    st.lists(st.sampled_from(FRAGMENTS), max_size=10),
    st.lists(_ODD_WORD, max_size=1),
    st.sampled_from(["", "", "", "\n"]),
)
CRITERIA_TEXTS = st.lists(_LINE, min_size=1, max_size=16).map("\n".join)


def _plain(text: str) -> str:
    """The text as a person reads it: the Markdown punctuation ClinicalTrials.gov escapes (`\\>`, `\\*`)
    unescaped (a backslash before anything else is a backslash), runs of white space as one space."""
    return re.sub(r"\s+", " ", re.sub(r"\\([\\`*_{}\[\]()#+\-.!<>=~|])", r"\1", text))


@settings(max_examples=300)
@given(CRITERIA_TEXTS)
def test_never_raises_and_keeps_source_text(text):
    tree = parse_criteria(text)
    plain_input = _plain(text)
    for criterion in tree.walk():
        assert criterion.source_text.strip()
        for piece in criterion.source_text.split():
            assert piece in plain_input, piece
        if criterion.check is not None:
            assert describe(criterion.check)
            assert all(hasattr(leaf, "key") for leaf in leaves(criterion.check))


@settings(max_examples=50)
@given(CRITERIA_TEXTS)
def test_deterministic(text):
    assert parse_criteria(text) == parse_criteria(text)


def test_degenerate_inputs():
    for text in (
        None,
        "",
        "   ",
        "\n\n",
        "*",
        "* ",
        "Inclusion Criteria:",
        "1.",
        "\\",
        "(" * 500,
        "≥" * 200,
        "1" * 5000,
    ):
        tree = parse_criteria(text)
        assert all(criterion.source_text for criterion in tree.walk())
