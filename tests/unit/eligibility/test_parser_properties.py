"""Parser properties on generated input (a seeded generator: reproducible, no extra dependency).

1. It never raises, whatever the text.
2. Every criterion keeps its source text: each one is a piece of the input (escapes removed), never empty.
3. Parsing is deterministic and the tree covers every bullet that has text.
"""

from __future__ import annotations

import random
import re

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


def generated_texts(count: int, seed: int = 7):
    rng = random.Random(seed)
    for _ in range(count):
        lines = []
        for _ in range(rng.randint(0, 12)):
            words = [rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 10))]
            if rng.random() < 0.1:
                words.append("".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 20))))
            lines.append(rng.choice(BULLETS) + " ".join(words))
            if rng.random() < 0.2:
                lines.append("")
        yield "\n".join(lines)


def _plain(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"\\(.)", r"\1", text))


def test_never_raises_and_keeps_source_text():
    for text in generated_texts(600):
        tree = parse_criteria(text)
        plain_input = _plain(text)
        for criterion in tree.walk():
            assert criterion.source_text.strip(), text
            for piece in criterion.source_text.split():
                assert piece in plain_input, (piece, text)
            if criterion.check is not None:
                assert describe(criterion.check)
                assert all(hasattr(leaf, "key") for leaf in leaves(criterion.check))


def test_deterministic():
    for text in generated_texts(50, seed=11):
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
