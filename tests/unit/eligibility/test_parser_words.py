"""The parser's fast phrase search finds exactly what its patterns find (Hypothesis).

`parser._Words` looks for the lexicons' names and cue phrases only where a word of the text is a phrase's first
word, instead of trying the whole alternation at every position; `_find` keeps what it found per text. Both must
give what `pattern.finditer` / `pattern.search` give on any text: the same spans, the same names, in the same order.
The texts are made of the phrases themselves, cut, joined, re-cased and re-spaced, with the characters that Unicode
case folding matches to ASCII letters (the Kelvin sign, the long s, the dotted and dotless i).
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from trialfinder.eligibility.parser import (
    _NAMES,
    _analytes,
    _biomarkers,
    _conditions,
    _cue,
    _drugs,
    _find,
    _sites,
    _treatment_kinds,
    _Words,
)
from trialfinder.eligibility.units import lexicon

INDEXES = [_analytes, _biomarkers, _conditions, _sites, _treatment_kinds, _drugs]
CUES = ["negation", "qualifiers", "prior_treatment", "current_medication", "judgement", "consent", "clinical"]
PHRASES = sorted({name for index in INDEXES for name in index()[1]} | {w for cue in CUES for w in lexicon("cues")[cue]})
ODD = ["K", "ſ", "İ", "ı", "µ", "é", "≥", "-", "--", " ", "  ", "\n", "(", ")", "/", ",", ".", "'", "_", "0", "x"]


def _recase(text: str, data: st.DataObject) -> str:
    style = data.draw(st.sampled_from(["as is", "upper", "title", "swap"]))
    return {"as is": text, "upper": text.upper(), "title": text.title(), "swap": text.swapcase()}[style]


@st.composite
def texts(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["phrase", "piece", "odd", "word"]))
        if kind in ("phrase", "piece"):
            phrase = draw(st.sampled_from(PHRASES))
            if kind == "piece":
                start = draw(st.integers(0, len(phrase)))
                phrase = phrase[start : draw(st.integers(start, len(phrase)))]
            phrase = re.sub(" ", lambda _: draw(st.sampled_from([" ", "-", "  ", " - ", "\t", ""])), phrase)
            parts.append(_recase(phrase, draw(st.data())))
        elif kind == "odd":
            parts.append(draw(st.sampled_from(ODD)))
        else:
            parts.append(draw(st.text(st.characters(min_codepoint=32, max_codepoint=0x17F), max_size=6)))
        parts.append(draw(st.sampled_from(["", " ", " ", ", ", "-", "/", "("])))
    return "".join(parts)


@settings(max_examples=400, deadline=None)
@given(texts())
def test_the_names_found_are_those_the_pattern_finds(text):
    for index in INDEXES:
        pattern, names = index()
        fast = _NAMES[id(pattern)].words.finditer(text)
        assert [m.span() for m in fast] == [m.span() for m in pattern.finditer(text)]
        # With another (equal) dict, `_find` searches with the pattern itself and keeps nothing.
        assert _find(pattern, names, text) == _find(pattern, dict(names), text)


@settings(max_examples=400, deadline=None)
@given(texts())
def test_cue_phrases_are_found_where_the_pattern_finds_them(text):
    for name in CUES:
        words = _cue(name)
        expected = list(words.pattern.finditer(text))
        assert [m.span() for m in words.finditer(text)] == [m.span() for m in expected]
        first = words.search(text)
        assert (first.span() if first else None) == (expected[0].span() if expected else None)


def test_phrases_that_do_not_start_with_an_ascii_word_use_the_pattern_itself():
    words = _Words(["(a) b", "ünder", "plain"])
    assert words.by_first is None
    assert [m.group(0) for m in words.finditer("x (a)  b, ÜNDER plain")] == ["(a)  b", "ÜNDER", "plain"]


def test_a_non_ascii_word_is_tried_against_every_phrase():
    # The Kelvin sign matches k case-insensitively: "\u212aRAS" is "KRAS" to the pattern.
    words = _Words(["kras", "braf"])
    assert [m.group(0) for m in words.finditer("\u212aRAS and BRAF")] == ["\u212aRAS", "BRAF"]
