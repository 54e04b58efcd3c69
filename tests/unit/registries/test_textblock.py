"""Legacy `<textblock>` text -> the Markdown shape ClinicalTrials.gov API v2 serves."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trialfinder.registries.ctgov_xml.textblock import to_markdown


def legacy(*lines: str) -> str:
    """Text as the XML holds it once parsed: `\\r\\n` line ends (`&#xD;`), indented, a stray first newline."""
    return "\n" + "".join(f"{line}\r\n" for line in lines) + "      "


def test_a_wrapped_paragraph_is_reflowed_onto_one_line():
    text = legacy(
        "      This study will test the ability of extended release nifedipine (Procardia XL), a blood",
        "      pressure medication, to permit a decrease in the dose of glucocorticoid medication children",
        "      take to treat congenital adrenal hyperplasia (CAH).",
    )
    assert to_markdown(text) == (
        "This study will test the ability of extended release nifedipine (Procardia XL), a blood pressure "
        "medication, to permit a decrease in the dose of glucocorticoid medication children take to treat "
        "congenital adrenal hyperplasia (CAH)."
    )


def test_paragraphs_are_separated_by_one_blank_line():
    text = legacy("      RATIONALE: Drugs used", "      in chemotherapy.", "", "", "      PURPOSE:   Phase II  trial.")
    assert to_markdown(text) == "RATIONALE: Drugs used in chemotherapy.\n\nPURPOSE: Phase II trial."


def test_headings_and_bullets_in_the_v2_shape():
    text = legacy(
        "        Inclusion Criteria:",
        "",
        "          -  diagnosed with Congenital Adrenal Hyperplasia (CAH)",
        "",
        "          -  current cocaine use, confirmed by a positive urine drug screen for cocaine the week",
        "             prior to admission.",
        "",
        "        Exclusion Criteria:",
        "",
        "          -  history of cardiovascular disease",
    )
    assert to_markdown(text) == (
        "Inclusion Criteria:\n\n"
        "* diagnosed with Congenital Adrenal Hyperplasia (CAH)\n"
        "* current cocaine use, confirmed by a positive urine drug screen for cocaine the week prior to admission.\n\n"
        "Exclusion Criteria:\n\n"
        "* history of cardiovascular disease"
    )


def test_nested_bullets_are_indented_two_spaces_a_level():
    text = legacy(
        "        Eligibility Criteria:",
        "",
        "          -  Patient may be responding to therapy",
        "",
        "               -  Relapsed germ cell carcinomas",
        "",
        "               -  No current metastases",
        "",
        "                    -  BM Asp & Bx",
        "",
        "                    -  Brain CAT",
        "",
        "               -  Creatinine Clearance ≥ 60 cc/min",
        "",
        "          -  Informed Consent",
    )
    assert to_markdown(text) == (
        "Eligibility Criteria:\n\n"
        "* Patient may be responding to therapy\n\n"
        "  * Relapsed germ cell carcinomas\n"
        "  * No current metastases\n\n"
        "    * BM Asp & Bx\n"
        "    * Brain CAT\n"
        "  * Creatinine Clearance ≥ 60 cc/min\n"
        "* Informed Consent"
    )


def test_numbered_items_keep_their_numbers_and_nest_under_their_text():
    # Numbers are right-aligned: "10." starts a column left of "9.", and is still a sibling.
    text = legacy(
        "        Exclusion:",
        "",
        "          9. Cardiac conduction system disease as indicated by QRS duration",
        "             >0.11.",
        "",
        "         10. Current use of other prescribed psychotropic medications:",
        "",
        "               -  antidepressants",
        "",
        "               -  neuroleptics",
        "",
        "         11. History of seizures.",
        "",
        "          4. Depressive disorder is either:",
        "",
        "               1. primary",
        "",
        "               2. persistent",
    )
    assert to_markdown(text) == (
        "Exclusion:\n\n"
        "9. Cardiac conduction system disease as indicated by QRS duration \\>0.11.\n"
        "10. Current use of other prescribed psychotropic medications:\n\n"
        "    * antidepressants\n"
        "    * neuroleptics\n"
        "11. History of seizures.\n"
        "4. Depressive disorder is either:\n\n"
        "   1. primary\n"
        "   2. persistent"
    )


def test_a_bulleted_heading_becomes_a_heading_and_its_items_top_level():
    text = legacy(
        "        -  INCLUSION CRITERIA:",
        "",
        "               1. Patients with a verifiable diagnosis",
        "",
        "               2. Ability to consent",
        "",
        "        -  EXCLUSION CRITERIA:",
        "",
        "        Pregnancy.",
        "",
        "          -  Exclusion criteria: None.",
    )
    assert to_markdown(text) == (
        "INCLUSION CRITERIA:\n\n"
        "1. Patients with a verifiable diagnosis\n"
        "2. Ability to consent\n\n"
        "EXCLUSION CRITERIA:\n\n"
        "Pregnancy.\n\n"
        "* Exclusion criteria: None."  # a criterion, not a heading: it says something after the colon
    )


def test_a_second_paragraph_of_an_item_is_indented_under_it():
    text = legacy(
        "          -  Aged 18 to 55 Physiologic years",
        "",
        "             -- Performance status: PS 0-1",
        "",
        "          -  Prior Treatment",
        "",
        "        Final remark.",
    )
    assert to_markdown(text) == (
        "* Aged 18 to 55 Physiologic years\n\n  -- Performance status: PS 0-1\n* Prior Treatment\n\nFinal remark."
    )


def test_marker_looking_text_inside_a_wrapped_line_is_not_a_marker():
    text = legacy(
        "          -  Treatment of herpes simplex virus cutaneous disease more often than once a month for 5",
        "             - 7 days.",
        "",
        "          -  the investigator's discretion, with the exception of 1) treated carcinoma and",
        "             2) treated skin cancer",
    )
    assert to_markdown(text) == (
        "* Treatment of herpes simplex virus cutaneous disease more often than once a month for 5 - 7 days.\n"
        "* the investigator's discretion, with the exception of 1) treated carcinoma and 2) treated skin cancer"
    )


def test_bullets_typed_by_the_registrant_are_bullets_too():
    text = legacy(
        "        Exclusion Criteria- Subject must not:",
        "",
        "        • Have a serious medical illness including, but not limited to the following:",
        "        Hypertension",
        "",
        "          -  Be pregnant or lactating",
        "",
        "        - Any experimental antiretroviral therapy",
    )
    assert to_markdown(text) == (
        "Exclusion Criteria- Subject must not:\n\n"
        "* Have a serious medical illness including, but not limited to the following: Hypertension\n"
        "* Be pregnant or lactating\n"
        "* Any experimental antiretroviral therapy"
    )


def test_empty_bullets_are_dropped():
    text = legacy("        Inclusion Criteria:", "", "        -", "", "        Exclusion Criteria:", "", "        -")
    assert to_markdown(text) == "Inclusion Criteria:\n\nExclusion Criteria:"


def test_a_change_of_list_kind_starts_a_new_list():
    text = legacy("          -  one", "", "          1. two", "", "          2) three")
    assert to_markdown(text) == "* one\n\n1. two\n\n2) three"


@pytest.mark.parametrize(
    ("text", "markdown"),
    [
        ("Hb < 9 g/dL and > 5 * ULN [see note] 10^9/L `x` back\\slash", "Hb \\< 9 g/dL and \\> 5 \\* ULN \\[see note\\] 10\\^9/L \\`x\\` back\\\\slash"),
        ("1986. A year, not a list item", "1986\\. A year, not a list item"),
        ("2006) a year, not a list item", "2006\\) a year, not a list item"),
        ("# of patients", "\\# of patients"),
        ("____________", "\\____________"),
        ("---", "\\---"),
        ("~~~ fence", "\\~~~ fence"),
        ("--Disease Characteristics--", "--Disease Characteristics--"),
        ("#1 priority, -5 degrees, 2.5 mg", "#1 priority, -5 degrees, 2.5 mg"),
        ("HLA_A type, x_y_z", "HLA_A type, x_y_z"),
    ],
)  # fmt: skip
def test_text_that_markdown_would_read_as_markup_is_escaped(text, markdown):
    assert to_markdown(f"        {text}\r\n") == markdown


def test_an_item_whose_text_starts_like_a_marker_keeps_it_as_text():
    assert to_markdown("          -  1. Voluntary participation") == "* 1\\. Voluntary participation"
    assert to_markdown("          -  + 5 points") == "* \\+ 5 points"
    assert to_markdown("          -  - - -") == "* \\- - -"


@pytest.mark.parametrize("text", [None, "", "   ", "\r\n\r\n   \r\n", "\t\t\n\u3000\u00a0\n", 17, b"bytes"])
def test_empty_or_non_text_input_gives_empty_markdown(text):
    assert to_markdown(text) == ""


def test_tabs_count_as_indentation():
    assert to_markdown("\t-  parent\n\n\t\t-  child") == "* parent\n\n  * child"


def test_a_very_long_line():
    text = "word " * 200_000
    assert to_markdown(text) == text.strip()


def test_a_very_deep_staircase_of_bullets_is_flattened_not_recursed():
    text = "\n\n".join(" " * (3 * depth) + "-  level" for depth in range(5_000))
    markdown = to_markdown(text)
    assert markdown.count("* level") == 5_000
    assert max(len(line) - len(line.lstrip()) for line in markdown.splitlines()) <= 2 * 8


_ALPHABET = (
    [chr(code) for code in range(0x20, 0x7F)]
    + list("\r\n\t\x00\x0b\x0c\x1c\x85\u2028\u2029\u00a0\u3000\ufeff\ud800\U0001f600éßİﬁ٣")
    + ["-  ", "\r\n", "\r\n\r\n", "          ", "1. ", "• ", "*", "INCLUSION CRITERIA:"]
)


# Texts of any length up to 400 pieces, each length as likely: long texts are where runs of bullets, blank lines and
# line ends meet. Drawn as a string of codes, one character per piece: Hypothesis draws a string in one step and a
# list piece by piece, which made an example ten times dearer than the test.
_CODES = {chr(0x10000 + index): piece for index, piece in enumerate(_ALPHABET)}
_TEXTS = (
    st.integers(0, 399)
    .flatmap(lambda size: st.text("".join(_CODES), min_size=size, max_size=size))
    .map(lambda codes: codes.translate(str.maketrans(_CODES)))
)


@settings(max_examples=300)
@given(_TEXTS)
def test_any_text_gives_markdown_without_raising_or_losing_a_word(text):
    markdown = to_markdown(text)
    assert isinstance(markdown, str)
    assert "\r" not in markdown
    not_word = re.compile(r"[\W_]+")
    assert not_word.sub("", markdown) == not_word.sub("", text)


# Every code point: unassigned ones, lone surrogates and private use included.
@settings(max_examples=200)
@given(st.text(st.characters(exclude_categories=()), max_size=300))
def test_random_unicode_of_any_kind_never_raises(text):
    assert isinstance(to_markdown(text), str)
