"""The pieces pages are made of, without a server: registry Markdown made safe, highlighting, criteria sections,
language negotiation. (Here rather than in tests/unit/ because they belong with the website's tests.)"""

from __future__ import annotations

import pytest

from trialfinder.web.criteria import criteria_sections
from trialfinder.web.highlight import highlight
from trialfinder.web.i18n import from_accept_language
from trialfinder.web.markdown import render_markdown


def test_registry_markdown_cannot_carry_html_scripts_or_images():
    html = render_markdown(
        "<script>alert(1)</script>\n\n<b onmouseover=x>bold</b> [click](javascript:alert(1)) "
        "[data](data:text/html;base64,xx) ![pixel](https://tracker.example/p.gif) [ok](https://example.org/a?b=1)"
    )
    assert "<script" not in html and "<b " not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert "<img" not in html
    assert '<a href="https://example.org/a?b=1" rel="nofollow noopener noreferrer" class="external">ok</a>' in html


def test_registry_headings_sit_below_the_pages():
    assert render_markdown("# Background\n\ntext", heading_level=3).startswith("<h3>Background</h3>")
    assert "<h6>" in render_markdown("###### deep", heading_level=4)  # never beyond h6


def test_escaped_markdown_characters_are_shown_as_the_character():
    assert (
        render_markdown(r"* ANC \> 1000/mm\^3 and HLA-A\*11:01")
        == "<ul>\n<li>ANC &gt; 1000/mm^3 and HLA-A*11:01</li>\n</ul>\n"
    )


@pytest.mark.parametrize(
    ("text", "words", "expected"),
    [
        ("Cancers of the pancreas", ["cancer"], "<mark>Cancers</mark> of the pancreas"),
        ("precancer is not cancer", ["cancer"], "precancer is not <mark>cancer</mark>"),
        ("A & B <i>", ["amp", "lt", "i"], "A &amp; B &lt;<mark>i</mark>&gt;"),
        ("non-small cell", ["non-small"], "<mark>non-small</mark> cell"),
        ("no words", [], "no words"),
        ("CANCER cancer", ["cancer"], "<mark>CANCER</mark> <mark>cancer</mark>"),
    ],
)
def test_highlighting_escapes_then_marks_whole_words_by_prefix(text, words, expected):
    assert str(highlight(text, words)) == expected


def test_criteria_sections_recognise_the_heading_spellings():
    text = "Preamble line\n\n-INCLUSION CRITERIA:\n\n1. first\n\nKey Exclusion Criteria for cohort B:\n\n* not this"
    sections = criteria_sections(text)
    assert [(section.kind, section.qualifier) for section in sections] == [
        ("other", ""),
        ("inclusion", ""),
        ("exclusion", "for cohort B"),
    ]
    assert "<ol>" in sections[1].html and "<li>not this</li>" in sections[2].html


def test_a_criterion_that_starts_like_a_heading_is_not_one():
    sections = criteria_sections("Inclusion Criteria:\n\n* Inclusion criteria: age over 18 is required")
    assert [section.kind for section in sections] == ["inclusion"]
    assert "age over 18" in sections[0].html


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("nl-BE,nl;q=0.9", "nl"),
        ("de, en-GB;q=0.8, nl;q=0.9", "nl"),
        ("de, en-GB;q=0.9, nl;q=0.8", "en"),
        ("*", None),
        ("nl;q=abc", None),
        ("x" * 10_000, None),
        (None, None),
    ],
)
def test_accept_language(header, language):
    assert from_accept_language(header) == language
