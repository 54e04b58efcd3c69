"""Matching typed words to descriptors, the MeSH trees, spelling correction and the file format, on a tiny vocabulary."""

from __future__ import annotations

import gzip

import pytest
from tiny_vocabulary import tiny_vocabulary

from trialfinder.concepts.vocabulary import Descriptor, Span, Vocabulary


@pytest.fixture
def tiny() -> Vocabulary:
    return tiny_vocabulary()


def spans(vocabulary: Vocabulary, text: str, language: str = "en") -> list[tuple[str, tuple[str, ...], str]]:
    words = text.split()
    return [(" ".join(words[s.start : s.end]), s.concepts, s.kind) for s in vocabulary.match(words, language=language)]


def test_longest_match_wins(tiny):
    assert spans(tiny, "colorectal cancer") == [("colorectal cancer", ("D015179",), "condition")]
    assert spans(tiny, "cancer") == [("cancer", ("D009369",), "condition")]
    assert spans(tiny, "bowel cancer spread to liver") == [
        ("bowel cancer", ("D015179",), "condition"),
        ("spread", ("D009362",), "qualifier"),
        ("liver", ("D008099",), "body"),
    ]


def test_spans_are_positions_of_the_typed_words(tiny):
    assert tiny.match(["new", "colon", "cancer", "trial"]) == [Span(1, 3, ("D003110",), "condition")]


def test_case_punctuation_and_british_spelling_do_not_matter(tiny):
    assert spans(tiny, "Colorectal CANCER") == [("Colorectal CANCER", ("D015179",), "condition")]
    assert spans(tiny, "oesophageal cancer") == [("oesophageal cancer", ("D004938",), "condition")]
    assert spans(tiny, "leukaemia") == [("leukaemia", ("D007938",), "condition")]
    assert tiny.match(["Alzheimer’s"]) == [Span(0, 1, ("D000544",), "condition")]
    assert tiny.match(["non-small-cell", "lung", "cancer"]) == [Span(0, 3, ("D002289",), "condition")]


def test_plural_and_singular_of_the_last_word(tiny):
    # the typed plural of a singular term, and the typed singular of a plural term
    assert spans(tiny, "liver cancers") == [("liver cancers", ("D008113",), "condition")]
    assert spans(tiny, "liver metastasis") == [("liver metastasis", ("D008113",), "condition")]
    assert spans(tiny, "metastases") == [("metastases", ("D009362",), "qualifier")]
    assert spans(tiny, "colorectal tumour") == [("colorectal tumour", ("D015179",), "condition")]


def test_at_most_eight_words_in_one_match(tiny):
    assert tiny.match(["cancer"] * 10) == [Span(i, i + 1, ("D009369",), "condition") for i in range(10)]


def test_dutch_words_only_on_dutch_queries(tiny):
    assert spans(tiny, "darmkanker") == []
    assert spans(tiny, "darmkanker", "nl") == [("darmkanker", ("D015179",), "condition")]
    assert spans(tiny, "darmkanker uitzaaiingen lever", "nl") == [
        ("darmkanker", ("D015179",), "condition"),
        ("uitzaaiingen", ("D009362",), "qualifier"),
        ("lever", ("D008099",), "body"),
    ]
    assert spans(tiny, "lever") == []
    # English terms count on Dutch queries too, but a Dutch word comes first: "hernia" is a slipped disc in Dutch
    assert spans(tiny, "colorectal cancer", "nl") == [("colorectal cancer", ("D015179",), "condition")]
    assert spans(tiny, "hernia", "nl") == [("hernia", ("D007405",), "condition")]
    assert spans(tiny, "hernia") == [("hernia", ("D006547",), "condition")]


def test_short_abbreviations_only_in_capitals(tiny):
    assert spans(tiny, "MS") == [("MS", ("D009103",), "abbreviation")]
    assert spans(tiny, "ms") == []
    assert spans(tiny, "Ms") == []
    assert spans(tiny, "CRC") == [("CRC", ("D015179",), "abbreviation")]
    assert spans(tiny, "crc") == []


def test_longer_abbreviations_in_any_case(tiny):
    assert spans(tiny, "NSCLC") == [("NSCLC", ("D002289",), "abbreviation")]
    assert spans(tiny, "nsclc") == [("nsclc", ("D002289",), "abbreviation")]
    assert spans(tiny, "t2dm") == [("t2dm", ("D003924",), "abbreviation")]


def test_an_abbreviation_that_is_also_a_word_only_in_capitals(tiny):
    assert spans(tiny, "COLD") == [("COLD", ("D009369",), "abbreviation")]
    assert spans(tiny, "cold") == []


def test_abbreviation_like_terms_of_conditions_count_only_as_listed_abbreviations(tiny):
    # "NSCLC" is a MeSH term of D002289 and a listed abbreviation; FUDR, a drug's, is matched in capitals
    assert spans(tiny, "FUDR") == [("FUDR", ("D005467",), "intervention")]
    assert spans(tiny, "floxuridine") == [("floxuridine", ("D005467",), "intervention")]


def test_descriptor(tiny):
    d = tiny.descriptor("D015179")
    assert d is not None
    assert (d.ui, d.name, d.kind) == ("D015179", "Colorectal Neoplasms", "condition")
    assert d.trees == ("C04.588.274.476.411.307", "C06.405.469.860.180")
    assert d.terms[0] == "Colorectal Neoplasms" and "Colorectal Cancer" in d.terms
    assert (d.lay, d.dutch) == (("bowel cancer",), ("darmkanker",))
    assert tiny.descriptor("D999999") is None
    assert "D015179" in tiny and "D999999" not in tiny


def test_ancestors_and_narrower(tiny):
    # through every tree: Neoplasms is C04 itself; C06 (Digestive System Diseases) is not in the tiny vocabulary
    assert tiny.ancestors("D003110") == {"D015179", "D009369"}
    assert tiny.ancestors("D015179") == {"D009369"}
    assert tiny.ancestors("D009369") == set()
    assert tiny.ancestors("D003924") == {"D003920"}
    assert tiny.narrower("D015179") == {"D003110"}
    # Diabetic Nephropathies is C19.246.099.500: under Diabetes Mellitus (C19.246) though C19.246.099 is not here
    assert tiny.narrower("D003920") == {"D003924", "D003928"}
    assert tiny.ancestors("D003928") == {"D003920"}
    assert tiny.narrower("D003110") == set()
    assert tiny.ancestors("D999999") == set() and tiny.narrower("D999999") == set()


def test_ancestors_reach_the_root_of_a_tree():
    from tiny_vocabulary import ROWS

    vocabulary = Vocabulary.from_rows(ROWS)
    assert "D009369" in vocabulary.narrower("D009369") | {"D009369"}
    # Neoplasms is C04: every C04 descriptor is under it
    assert "D009369" in vocabulary.ancestors("D008113")
    assert {"D015179", "D003110", "D008113", "D009362", "D002289", "D004938", "D007938"} <= vocabulary.narrower(
        "D009369"
    )


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("colorectral", "colorectal"),
        ("alzhiemer", "alzheimer"),
        ("diabetis", "diabetes"),  # a vowel slip beats "diabetic", a consonant one
        ("colorectel", "colorectal"),
        ("metastasus", "metastases"),  # as near as "metastasis", and used by twice as many descriptors
        ("sclerossis", "sclerosis"),
        ("Leukemai", "leukemia"),
    ],
)
def test_corrections(tiny, typed, expected):
    assert tiny.correct(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "leukaemia",  # known: the spelling rule makes it leukemia
        "cancer",  # known
        "vaccine",  # a known word of registry text
        "canc",  # fewer than five letters
        "lever",  # a Dutch word, known on Dutch queries (see below for English ones)
        "covid19",  # digits
        "xyzzyplugh",  # nothing near
    ],
)
def test_no_correction(tiny, typed):
    if typed == "lever":
        assert tiny.correct(typed, language="nl") is None
    else:
        assert tiny.correct(typed) is None


def test_distance_one_up_to_seven_letters_two_from_eight(tiny):
    assert tiny.correct("colorectl") == "colorectal"  # 9 letters, one left out
    assert tiny.correct("colorektl") == "colorectal"  # two slips in 9 letters
    assert tiny.correct("lovar") is None  # "liver" is two slips away from a five-letter word
    assert tiny.correct("livar") == "liver"


def test_dutch_words_are_known_and_candidates_only_on_dutch_queries(tiny):
    assert tiny.knows("darmkanker", language="nl") and not tiny.knows("darmkanker")
    assert tiny.correct("darmkankr", language="nl") == "darmkanker"
    assert tiny.correct("darmkankr") is None


def test_ambiguous_candidates_give_no_correction():
    vocabulary = Vocabulary.from_rows(
        [
            Descriptor("D1", "Gravel Disease", ("C01.1",), ("Gravel Disease",), (), (), "condition"),
            Descriptor("D2", "Bravel Syndrome", ("C01.2",), ("Bravel Syndrome",), (), (), "condition"),
            Descriptor("D3", "Travel Sickness", ("C01.3",), ("Travel Sickness", "Travel Disease"), (), (), "condition"),
        ]
    )
    assert vocabulary.correct("xravel") is None  # gravel, bravel and travel are one slip away, each as likely
    assert vocabulary.correct("trravel") == "travel"  # one slip from travel only


def test_a_clearly_likelier_candidate_wins():
    vocabulary = Vocabulary.from_rows(
        [
            Descriptor("D1", "Gravel Disease", ("C01.1",), ("Gravel Disease",), (), (), "condition"),
            Descriptor("D2", "Bravel Syndrome", ("C01.2",), ("Bravel Syndrome",), (), (), "condition"),
        ],
        known_words={"gravel": 30},  # used in 30 trials
    )
    assert vocabulary.correct("xravel") == "gravel"


def test_also_lists_other_words_once_shortest_first(tiny):
    assert tiny.also("D015179", "colorectal cancer") == ("bowel cancer", "Colorectal Tumors")
    nl = tiny.also("D015179", "bowel cancer", language="nl")
    assert "darmkanker" in nl and "bowel cancer" not in nl and "Colorectal Neoplasms" not in nl
    assert "Neoplasms, Colorectal" not in tiny.also("D015179", "x")


def test_the_file_format_round_trips(tiny, tmp_path):
    text = tiny.to_text(["a tiny vocabulary"])
    assert text.startswith("# trialfinder concept vocabulary, format 1.\n# a tiny vocabulary\n")
    path = tmp_path / "vocabulary.tsv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    loaded = Vocabulary.from_file(path)
    assert loaded.to_text(["a tiny vocabulary"]) == text
    assert loaded.descriptor("D015179") == tiny.descriptor("D015179")
    assert loaded.match(["darmkanker"], language="nl") == tiny.match(["darmkanker"], language="nl")
    assert loaded.correct("colorectral") == "colorectal"
    assert loaded.ancestors("D003110") == tiny.ancestors("D003110")
    (tmp_path / "plain.tsv").write_text(text)
    assert Vocabulary.from_file(tmp_path / "plain.tsv").match(["MS"]) == tiny.match(["MS"])


def test_a_file_of_another_kind_is_refused(tmp_path):
    (tmp_path / "other.tsv").write_text("ui\tname\n")
    with pytest.raises(ValueError):
        Vocabulary.from_file(tmp_path / "other.tsv")
