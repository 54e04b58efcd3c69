"""`mark_spans`: the facts read from a description marked in it, with nothing of the text ever becoming markup."""

from __future__ import annotations

import html
import re

from hypothesis import given
from hypothesis import strategies as st

from trialfinder.web.highlight import mark_spans


def test_each_span_is_marked_after_escaping():
    text = "58-year-old <b>man</b> with colon cancer & liver metastases"
    colon = text.index("colon cancer")
    assert str(mark_spans(text, [(0, 11), (colon, colon + len("colon cancer"))])) == (
        "<mark>58-year-old</mark> &lt;b&gt;man&lt;/b&gt; with <mark>colon cancer</mark> &amp; liver metastases"
    )


def test_spans_that_overlap_or_touch_are_one_mark_and_offsets_are_clipped():
    assert str(mark_spans("liver metastases", [(6, 16), (0, 5), (0, 16)])) == "<mark>liver metastases</mark>"
    assert str(mark_spans("a b", [(0, 1), (1, 2)])) == "<mark>a </mark>b"
    assert str(mark_spans("abc", [(-5, 1), (2, 99), (3, 3)])) == "<mark>a</mark>b<mark>c</mark>"
    assert str(mark_spans("<x>", [])) == "&lt;x&gt;"


@given(st.text(max_size=60), st.lists(st.tuples(st.integers(-5, 70), st.integers(-5, 70)), max_size=6))
def test_the_marks_are_the_only_markup_and_the_text_comes_back_whole(text, spans):
    marked = str(mark_spans(text, spans))
    assert set(re.findall(r"<(/?\w+)", marked)) <= {"mark", "/mark"}
    assert html.unescape(marked.replace("<mark>", "").replace("</mark>", "")) == text
