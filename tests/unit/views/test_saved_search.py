"""A saved search in words (subscription pages and alert emails): what it watches, in the reader's language."""

from __future__ import annotations

from trialfinder.domain.search import Search
from trialfinder.views.formatting import Formatter
from trialfinder.views.i18n import Catalogs
from trialfinder.views.saved_search import describe

CATALOGS = Catalogs()


def test_a_search_of_the_words_as_typed_says_so_in_both_languages():
    english, dutch = Formatter("en", CATALOGS["en"]), Formatter("nl", CATALOGS["nl"])
    as_typed = Search(text="bowel cancer", expand=False)
    assert describe(as_typed, english)[-1] == (
        "Only the words as typed (no synonyms, everyday words or spelling variants)"
    )
    assert describe(as_typed, dutch)[-1].startswith("Alleen de woorden zoals getypt")
    # Read as concepts (the default), or with no words at all, nothing is added.
    assert all("as typed" not in line for line in describe(Search(text="bowel cancer"), english))
    assert all("as typed" not in line for line in describe(Search(expand=False), english))
