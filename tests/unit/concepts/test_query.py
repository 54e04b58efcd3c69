"""Reading a search's text: phrases, OR, exclusions, identifiers, concepts and corrections."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tiny_vocabulary import tiny_vocabulary

from trialfinder.concepts.query import Clause, Reading, Term, Understood, read_query
from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.domain.search import MAX_WORDS


@pytest.fixture
def tiny() -> Vocabulary:
    return tiny_vocabulary()


def clauses(reading: Reading) -> list[list[tuple]]:
    return [[(t.words, t.phrase, t.concepts) for t in clause.terms] for clause in reading.clauses]


def test_concept_spans_are_terms(tiny):
    reading = read_query("colorectal cancer", vocabulary=tiny)
    assert reading.clauses == (Clause((Term(("colorectal", "cancer"), phrase=True, concepts=("D015179",)),)),)
    assert reading.understood == (
        Understood("colorectal cancer", "D015179", "Colorectal Neoplasms", ("bowel cancer", "Colorectal Tumors")),
    )
    assert reading.excluded == () and reading.identifiers == () and not reading.is_empty


def test_words_outside_concepts_are_terms_of_their_own(tiny):
    assert clauses(read_query("bowel cancer spread to liver", vocabulary=tiny)) == [
        [(("bowel", "cancer"), True, ("D015179",))],
        [(("spread",), False, ("D009362",))],
        [(("to",), False, ())],
        [(("liver",), False, ("D008099",))],
    ]
    assert clauses(read_query("colon cancer liver metastasis", vocabulary=tiny)) == [
        [(("colon", "cancer"), True, ("D003110",))],
        [(("liver", "metastasis"), True, ("D008113",))],
    ]


def test_dutch_words_on_dutch_queries(tiny):
    reading = read_query("darmkanker uitzaaiingen lever", vocabulary=tiny, language="nl")
    assert clauses(reading) == [
        [(("darmkanker",), False, ("D015179",))],
        [(("uitzaaiingen",), False, ("D009362",))],
        [(("lever",), False, ("D008099",))],
    ]
    assert [u.concept for u in reading.understood] == ["D015179", "D009362", "D008099"]
    assert "darmkanker" not in reading.understood[0].also and "bowel cancer" in reading.understood[0].also
    english = read_query("darmkanker", vocabulary=tiny)
    assert clauses(english) == [[(("darmkanker",), False, ())]]  # and no correction: darmkanker is a known word


def test_no_vocabulary_or_no_expansion_reads_syntax_only(tiny):
    for reading in (read_query("colorectral cancer", vocabulary=None), read_query("colorectral cancer", vocabulary=tiny, expand=False)):
        assert clauses(reading) == [[(("colorectral",), False, ())], [(("cancer",), False, ())]]
        assert reading.understood == ()


@pytest.mark.parametrize("text", ["NCT06857773", "nct06857773", "nct 06857773", "NCT-06857773", "Nct_06857773"])
def test_nct_ids_are_taken_out(tiny, text):
    reading = read_query(text, vocabulary=tiny)
    assert reading.identifiers == ("NCT06857773",)
    assert reading.clauses == () and not reading.is_empty


def test_eu_numbers_are_taken_out(tiny):
    reading = read_query("2023-506194-35-00 2017-002411-34 NCT06857773 nct06750094", vocabulary=tiny)
    assert reading.identifiers == ("NCT06857773", "NCT06750094", "2023-506194-35-00", "2017-002411-34")
    assert reading.clauses == ()


def test_protocol_ids_are_identifiers_and_words(tiny):
    reading = read_query("PAC303 ca209-8hw T2DM 2nd covid19", vocabulary=tiny)
    assert reading.identifiers == ("PAC303", "CA209-8HW", "COVID19")
    assert clauses(reading) == [
        [(("PAC303",), False, ())],
        [(("ca209-8hw",), False, ())],
        [(("T2DM",), False, ("D003924",))],  # a concept, not an id
        [(("2nd",), False, ())],
        [(("covid19",), False, ())],
    ]


def test_quoted_phrases_are_searched_as_typed(tiny):
    reading = read_query('"colorectal cancer" "liver"', vocabulary=tiny)
    assert clauses(reading) == [[(("colorectal", "cancer"), True, ())], [(("liver",), True, ())]]
    assert reading.understood == ()
    assert clauses(read_query("“bowel cancer”", vocabulary=tiny)) == [[(("bowel", "cancer"), True, ())]]


def test_or_joins_the_terms_beside_it(tiny):
    assert clauses(read_query("colorectal OR colon", vocabulary=tiny)) == [
        [(("colorectal",), False, ()), (("colon",), False, ())]
    ]
    assert clauses(read_query("bowel cancer OR liver cancer diabetes", vocabulary=tiny)) == [
        [(("bowel", "cancer"), True, ("D015179",)), (("liver", "cancer"), True, ("D008113",))],
        [(("diabetes",), False, ("D003920",))],
    ]
    assert clauses(read_query('"bowel cancer" OR CRC OR MS', vocabulary=tiny)) == [
        [(("bowel", "cancer"), True, ()), (("CRC",), False, ("D015179",)), (("MS",), False, ("D009103",))]
    ]
    # "or" in lowercase is a word
    assert clauses(read_query("colorectal or colon", vocabulary=None)) == [
        [(("colorectal",), False, ())], [(("or",), False, ())], [(("colon",), False, ())]
    ]


def test_a_leading_minus_excludes(tiny):
    reading = read_query('"breast cancer" -metastatic -"type 1" -bowel cancer', vocabulary=tiny)
    assert clauses(reading) == [[(("breast", "cancer"), True, ())], [(("cancer",), False, ("D009369",))]]
    assert reading.excluded == (
        Term(("metastatic",)),
        Term(("type", "1"), phrase=True),
        Term(("bowel",)),
    )
    assert read_query("diabetes -metastases", vocabulary=tiny).excluded == (Term(("metastases",), concepts=("D009362",)),)


def test_a_minus_inside_a_word_is_part_of_it(tiny):
    reading = read_query("covid-19 non-small-cell lung cancer", vocabulary=tiny)
    assert reading.excluded == ()
    assert clauses(reading) == [
        [(("covid-19",), False, ())],
        [(("non-small-cell", "lung", "cancer"), True, ("D002289",))],
    ]


@pytest.mark.parametrize(
    ("text", "expected_clauses", "expected_excluded"),
    [
        ('"unclosed', [[(("unclosed",), True, ())]], ()),
        ('"unclosed phrase', [[(("unclosed", "phrase"), True, ())]], ()),
        ("OR", [], ()),
        ("OR OR", [], ()),
        ("-", [], ()),
        ("- x", [[(("x",), False, ())]], ()),
        ("a OR", [[(("a",), False, ())]], ()),
        ("OR a", [[(("a",), False, ())]], ()),
        ("a OR OR b", [[(("a",), False, ()), (("b",), False, ())]], ()),
        ("a OR -b", [[(("a",), False, ())]], (Term(("b",)),)),
        ("--x", [], (Term(("x",)),)),
        ('""', [], ()),
        ('-""', [], ()),
        ("!!! ???", [], ()),
        ("", [], ()),
    ],
)
def test_odd_syntax_is_read_tolerantly(tiny, text, expected_clauses, expected_excluded):
    reading = read_query(text, vocabulary=tiny)
    assert clauses(reading) == expected_clauses
    assert reading.excluded == expected_excluded


def test_empty(tiny):
    assert read_query("", vocabulary=tiny).is_empty
    assert read_query("  OR - ", vocabulary=tiny).is_empty
    assert not read_query("-x", vocabulary=tiny).is_empty


def test_spelling_is_corrected_outside_quotes(tiny):
    reading = read_query("colorectral cancer", vocabulary=tiny)
    assert clauses(reading) == [[(("colorectal", "cancer"), True, ("D015179",))]]
    assert reading.understood == (
        Understood(
            "colorectal cancer",
            "D015179",
            "Colorectal Neoplasms",
            ("bowel cancer", "Colorectal Tumors"),
            corrected_from="colorectral cancer",
        ),
    )
    reading = read_query("colorectral", vocabulary=tiny)
    assert clauses(reading) == [[(("colorectal",), False, ())]]
    assert reading.understood == (Understood("colorectal", "", "", (), corrected_from="colorectral"),)
    assert clauses(read_query('"colorectral"', vocabulary=tiny)) == [[(("colorectral",), True, ())]]
    # a word typed in capitals is an abbreviation or an id, not a slip
    assert clauses(read_query("COLORECTRAL", vocabulary=tiny)) == [[(("COLORECTRAL",), False, ())]]


def test_at_most_max_words(tiny):
    reading = read_query(" ".join(f"w{i}x" for i in range(30)), vocabulary=tiny)
    assert sum(len(t.words) for c in reading.clauses for t in c.terms) == MAX_WORDS


def test_the_same_text_gives_the_same_reading(tiny):
    text = 'bowel cancer OR "liver" -MS PAC303 colorectral'
    assert read_query(text, vocabulary=tiny) == read_query(text, vocabulary=tiny)


@given(st.text(alphabet=st.sampled_from(list('ab -"OR“”NCT0123456789 \t')), max_size=40))
def test_any_text_is_read_without_an_error(text):
    reading = read_query(text, vocabulary=tiny_vocabulary())
    assert all(clause.terms for clause in reading.clauses)
    assert all(term.words for clause in reading.clauses for term in clause.terms)
    assert all(term.words for term in reading.excluded)
