"""The vocabulary the product ships (concepts/data/vocabulary.tsv.gz): it loads, and it knows the words of issue #17."""

from __future__ import annotations

import gzip
import json

import pytest
from conftest import FIXTURES, PROJECT_ROOT, require_shared

from trialfinder.concepts.query import read_query, trial_concepts
from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.registries.files import V2, XML, RawRecord
from trialfinder.registries.records import to_trial

DATA = PROJECT_ROOT / "src" / "trialfinder" / "concepts" / "data"


@pytest.fixture(scope="module")
def bundled() -> Vocabulary:
    return Vocabulary.bundled()


def test_loaded_once_per_process(bundled):
    assert Vocabulary.bundled() is bundled
    assert len(bundled) > 15_000


@pytest.mark.parametrize(
    ("text", "language", "concept"),
    [
        ("colorectal cancer", "en", "D015179"),
        ("Colorectal Neoplasms", "en", "D015179"),
        ("bowel cancer", "en", "D015179"),
        ("heart attack", "en", "D009203"),
        ("borstkanker", "nl", "D001943"),
        ("darmkanker", "nl", "D015179"),
        ("NSCLC", "en", "D002289"),
        ("nsclc", "en", "D002289"),
        ("MS", "en", "D009103"),
        ("leukaemia", "en", "D007938"),
        ("liver metastases", "en", "D008113"),
        ("uitzaaiingen", "nl", "D009362"),
        ("lever", "nl", "D008099"),
        ("floxuridine", "en", "D005467"),
    ],
)
def test_knows(bundled, text, language, concept):
    spans = bundled.match(text.split(), language=language)
    assert [(s.start, s.end) for s in spans] == [(0, len(text.split()))]
    assert concept in spans[0].concepts


@pytest.mark.parametrize(("text", "language"), [("borstkanker", "en"), ("lever", "en"), ("ms", "en"), ("aml", "en")])
def test_does_not_know(bundled, text, language):
    assert bundled.match([text], language=language) == []


def test_the_category_roots_are_ancestors(bundled):
    # the MeSH extract lists the roots of the trees (Neoplasms, C04) without a tree number; the build gives them theirs
    assert "D009369" in bundled.ancestors("D015179")
    assert "D015179" in bundled.narrower("D009369")
    assert bundled.descriptor("D009369").trees == ("C04",)


def test_corrections(bundled):
    assert bundled.correct("colorectral") == "colorectal"
    assert bundled.correct("alzhiemer") == "alzheimer"
    assert bundled.correct("diabetis") == "diabetes"
    assert bundled.correct("leukaemia") is None
    for word in ("vaccine", "therapy", "surgery", "children"):  # words of registry text are left alone
        assert bundled.correct(word) is None, word
    # MeSH has "Body Image Disfunction", but a person typing "disfunction" means the usual spelling
    assert bundled.correct("disfunction") == "dysfunction"
    assert bundled.correct("granulosa") is None  # a word of its own, one consonant from "granuloma"


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("cancer of the womb", "D016889"),  # "womb cancer", read in the other order
        ("degenerative disk disease", "D055959"),  # disk and disc are one spelling
        ("T2DM", "D003924"),
        ("TNBC", "D064726"),  # a Disease Ontology abbreviation found through its disease's name
        ("CKD", "D051436"),  # chronic renal insufficiency, the broader of its two meanings
    ],
)
def test_general_rules(bundled, text, concept):
    spans = bundled.match(text.split())
    assert len(spans) == 1 and concept in spans[0].concepts


def clauses(reading):
    return [[(t.words, t.concepts) for t in clause.terms] for clause in reading.clauses]


def test_the_queries_of_the_issue(bundled):
    assert clauses(read_query("colorectal cancer", vocabulary=bundled)) == [[(("colorectal", "cancer"), ("D015179",))]]
    reading = read_query("colon cancer liver metastasis", vocabulary=bundled)
    assert clauses(reading) == [[(("colon", "cancer"), ("D003110",))], [(("liver", "metastasis"), ("D008113",))]]
    reading = read_query("bowel cancer spread to liver", vocabulary=bundled)
    assert clauses(reading) == [
        [(("bowel", "cancer"), ("D015179",))],
        [(("spread",), ("D009362",))],
        [(("to",), ())],
        [(("liver",), ("D008099",))],
    ]
    for text in ("NCT06857773", "nct 06857773"):
        reading = read_query(text, vocabulary=bundled)
        assert reading.identifiers == ("NCT06857773",) and reading.clauses == ()
    reading = read_query("darmkanker uitzaaiingen lever", vocabulary=bundled, language="nl")
    assert clauses(reading) == [[(("darmkanker",), ("D015179",))], [(("uitzaaiingen",), ("D009362",))], [(("lever",), ("D008099",))]]
    reading = read_query("colorectal OR colon", vocabulary=bundled)
    assert [len(c.terms) for c in reading.clauses] == [2]
    reading = read_query('"breast cancer" -metastatic', vocabulary=bundled)
    assert clauses(reading) == [[(("breast", "cancer"), ())]]
    assert [t.words for t in reading.excluded] == [("metastatic",)]
    assert read_query("2023-506194-35-00", vocabulary=bundled).identifiers == ("2023-506194-35-00",)
    reading = read_query("colorectral cancer", vocabulary=bundled)
    assert clauses(reading) == [[(("colorectal", "cancer"), ("D015179",))]]
    assert reading.understood[0].corrected_from == "colorectral cancer"
    reading = read_query("erectile disfunction", vocabulary=bundled)
    assert clauses(reading) == [[(("erectile", "dysfunction"), ("D007172",))]]


def test_understood_says_what_else_is_searched(bundled):
    (line,) = read_query("colorectal cancer", vocabulary=bundled).understood
    assert (line.typed, line.concept, line.name) == ("colorectal cancer", "D015179", "Colorectal Neoplasms")
    assert 1 <= len(line.also) <= 5 and "bowel cancer" in line.also
    assert all("," not in term for term in line.also)
    (line,) = read_query("darmkanker", vocabulary=bundled, language="nl").understood
    assert "darmkanker" not in line.also


def _trial(path, fmt):
    return to_trial(RawRecord(path.name, fmt, path.read_bytes()))


def test_trial_concepts_of_the_reference_trial(bundled):
    trial = _trial(FIXTURES / "ctgov_v2" / "NCT06857773.json", V2)
    concepts = trial_concepts(trial, bundled)
    assert {"D015179", "D009362", "D008113"} <= concepts  # its MeSH terms, and "Liver Metastases" in its conditions
    assert bundled.ancestors("D015179") <= concepts and bundled.ancestors("D009362") <= concepts
    assert "D009369" in concepts  # Neoplasms: a search for "cancer" finds it
    assert "D005467" in concepts  # Floxuridine, in its interventions' names
    # a query concept is satisfied by the trial when the trial is about it or something narrower
    for text in ("colorectal cancer", "bowel cancer", "cancer", "metastatic cancer"):
        (clause,) = read_query(text, vocabulary=bundled).clauses
        assert set(clause.terms[0].concepts) & concepts, text


def test_trial_concepts_of_a_legacy_record_by_name(bundled):
    # legacy XML names its MeSH terms without ids
    trial = _trial(FIXTURES / "ctgov_xml" / "NCT00000102.xml", XML)
    assert all(term.id is None for term in trial.mesh_terms)
    concepts = trial_concepts(trial, bundled)
    assert "D000312" in concepts  # Adrenal Hyperplasia, Congenital
    assert "D009543" in concepts  # Nifedipine, its intervention


def test_every_lexicon_line_is_in_the_vocabulary(bundled):
    lines = [line.split("\t") for line in (DATA / "lexicon.tsv").read_text("utf-8").splitlines()[1:] if line and not line.startswith("#")]
    for ui, name, kind, en, nl in lines:
        descriptor = bundled.descriptor(ui)
        assert descriptor is not None, ui
        assert (descriptor.name, descriptor.kind) == (name, kind)
        assert descriptor.lay == (tuple(en.split(" | ")) if en else ())
        assert descriptor.dutch == (tuple(nl.split(" | ")) if nl else ())


def test_the_file_is_deterministic_and_documented():
    data = (DATA / "vocabulary.tsv.gz").read_bytes()
    assert data[4:8] == b"\0\0\0\0"  # no timestamp in the gzip header
    assert len(data) < 3_000_000
    text = gzip.decompress(data).decode("utf-8")
    assert "MeSH 2024" in text.split("\nD\t", 1)[0]
    readme = (DATA / "README.md").read_text("utf-8")
    for credit in ("MeSH 2024", "National Library of Medicine", "derived extract", "Disease Ontology", "CC0", "MIT"):
        assert credit in readme
    assert "MIT License" in (DATA / "LICENSE-medical-abbreviations.txt").read_text("utf-8")


@pytest.mark.shared_data
def test_descriptors_are_mesh_2024():
    path = require_shared("vocabularies/mesh2024_synonyms.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        mesh = {d["ui"]: d for d in map(json.loads, f)}
    bundled = Vocabulary.bundled()
    conditions = [ui for ui, d in mesh.items() if any(t[0] == "C" or t.startswith("F03") for t in d["trees"])]
    assert all(ui in bundled for ui in conditions)
    for ui in conditions[::50]:
        descriptor = bundled.descriptor(ui)
        assert descriptor.name == mesh[ui]["name"]
        assert set(descriptor.terms) <= set(mesh[ui]["terms"]) | {mesh[ui]["name"]}
        assert descriptor.trees == tuple(sorted(mesh[ui]["trees"]))


# --- a field as the search reads it (read_field) ----------------------------------------------------------------


def _terms(reading):
    return [term for clause in reading.clauses for term in clause.terms]


def test_a_concept_also_matches_trials_about_exactly_its_direct_broader_one(bundled):
    from trialfinder.concepts.query import read_field

    [colon_cancer] = _terms(read_field("colon cancer", vocabulary=bundled))
    assert colon_cancer.concepts == ("D003110",)  # Colonic Neoplasms
    assert "D015179" in colon_cancer.broader  # Colorectal Neoplasms: a trial on it takes people with colon cancer
    assert "D012004" not in colon_cancer.broader  # never a sibling (Rectal Neoplasms)
    assert "D009369" not in colon_cancer.broader  # nor the top of the tree (Neoplasms)


def test_a_body_part_is_looked_for_by_its_english_names_not_as_a_concept(bundled):
    from trialfinder.concepts.query import read_field

    [lever] = _terms(read_field("lever", vocabulary=bundled, language="nl"))
    assert lever.concepts == () and lever.broader == ()
    assert ("liver",) in lever.synonyms
    assert [line.name for line in read_field("lever", vocabulary=bundled, language="nl").understood] == ["Liver"]


def test_each_field_takes_its_own_kind_of_concept(bundled):
    from trialfinder.concepts.query import read_field

    drug = "floxuridine"  # D005467, a drug descriptor
    [anywhere] = _terms(read_field(drug, vocabulary=bundled, field="text"))
    [as_treatment] = _terms(read_field(drug, vocabulary=bundled, field="intervention"))
    [as_condition] = _terms(read_field(drug, vocabulary=bundled, field="condition"))
    assert anywhere.concepts and anywhere.concepts == as_treatment.concepts
    assert as_condition.concepts == ()  # a drug typed as a condition is a word
    assert read_field(drug, vocabulary=bundled, field="condition").understood == ()
    [disease] = _terms(read_field("colorectal cancer", vocabulary=bundled, field="intervention"))
    assert disease.concepts == ()


def test_without_expansion_or_vocabulary_only_the_words_are_read(bundled):
    from trialfinder.concepts.query import read_field

    for reading in (
        read_field("bowel cancer", vocabulary=bundled, expand=False),
        read_field("bowel cancer", vocabulary=None),
    ):
        assert [(t.words, t.concepts, t.broader, t.synonyms) for t in _terms(reading)] == [
            (("bowel",), (), (), ()),
            (("cancer",), (), (), ()),
        ]
    assert read_field("   ", vocabulary=bundled) is None
