"""Search that understands the words people type (issue #17), on both databases: concepts and their narrower
descriptors, lay and Dutch words, abbreviations, spelling, identifiers and query syntax, and the switch that turns
the reading off. The catalogue is the API v2 fixtures (the reference trial NCT06857773 among them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialfinder.actions.importing import import_path
from trialfinder.domain.search import Search
from trialfinder.domain.trial import RecruitmentStatus
from trialfinder.queries.search import SearchQuery, search
from trialfinder.storage.migrations import reindex_search

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov_v2"
REFERENCE = "NCT06857773"


@pytest.fixture(scope="session")
def concepts_seed():
    def catalogue(database) -> None:
        import_path(database=database, path=FIXTURES)

    return catalogue


@pytest.fixture
def database_seed(concepts_seed):
    return concepts_seed


def found(database, *, language: str = "en", **criteria) -> list[str]:
    results = search(database=database, query=SearchQuery(Search(**criteria), page_size=10, language=language))
    return [hit.nct_id for hit in results.hits]


# Every query of the issue's table finds the reference trial in the top 3, with the default statuses.
ISSUE_QUERIES = [
    ({"condition": "colorectal cancer"}, "en"),
    ({"text": "colon cancer liver metastasis"}, "en"),
    ({"text": "bowel cancer spread to liver"}, "en"),
    ({"text": "NCT06857773"}, "en"),
    ({"text": "darmkanker uitzaaiingen lever"}, "nl"),
    ({"text": "colorectal OR colon"}, "en"),
]


@pytest.mark.parametrize(("criteria", "language"), ISSUE_QUERIES, ids=[str(q[0]) for q in ISSUE_QUERIES])
def test_the_issue_queries_find_the_reference_trial_in_the_top_3(database, criteria, language):
    assert REFERENCE in found(database, language=language, **criteria)[:3]


def test_without_the_reading_only_the_words_as_typed_match(database):
    # "Colorectal Neoplasms" is how the trial is registered: "cancer" is not among its condition words.
    assert REFERENCE not in found(database, condition="colorectal cancer", expand=False)
    assert REFERENCE in found(database, condition="colorectal neoplasms", expand=False)


def test_or_finds_more_than_either_side_and_a_minus_excludes(database):
    either = set(found(database, text="colorectal OR melanoma"))
    assert set(found(database, text="colorectal")) <= either
    assert REFERENCE not in found(database, text="colorectal -metastases")
    assert REFERENCE not in found(database, text='colorectal -"liver metastases"')


def test_identifiers_in_the_box_find_the_trial_in_any_status(database):
    for typed in ("nct06857773", "NCT 06857773", "2023-506194-35-00"):
        assert found(database, text=typed) == [REFERENCE], typed
    # A number alone is looked up whatever the statuses asked for.
    assert found(database, text=REFERENCE, statuses=(RecruitmentStatus.COMPLETED,)) == [REFERENCE]


def test_dutch_words_count_on_a_dutch_search_only(database):
    assert REFERENCE in found(database, text="darmkanker", language="nl")
    assert found(database, text="darmkanker", language="en") == []


def test_a_misspelt_condition_is_read_as_the_word_meant(database):
    assert REFERENCE in found(database, condition="colorectral cancer")


def test_odd_syntax_is_never_an_error(database):
    for typed in ('"unclosed', "OR", "-", "colorectal OR", "--x", '""', "( ) * ^ :", "NOT AND NEAR"):
        found(database, text=typed)


def test_the_reading_is_reported(database):
    results = search(database=database, query=SearchQuery(Search(condition="colorectal cancer")))
    assert any(line.concept == "D015179" and line.name == "Colorectal Neoplasms" for line in results.understood)
    off = search(database=database, query=SearchQuery(Search(condition="colorectal cancer", expand=False)))
    assert off.understood == ()


def test_reindexing_the_stored_records_gives_the_same_search(database):
    before = found(database, text="bowel cancer spread to liver")
    with database.connect() as conn, conn.transaction():
        conn.execute("DELETE FROM trial_search" if conn.dialect == "sqlite" else "UPDATE trials SET search_vector = NULL")
        assert reindex_search(conn, batch=2) == len(list(FIXTURES.glob("*.json")))
    assert found(database, text="bowel cancer spread to liver") == before
