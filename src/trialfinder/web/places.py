"""Where a person is: what they typed (a city or a postal code), found in the offline gazetteer.

What they typed is never logged (the gazetteer promises the same); the gazetteer is loaded on first use, or
when the app starts (`warm`), from the cache directory in the settings.

A postal code found in several countries ("1066" is Dutch, Danish, Swiss, Hungarian...) is taken first in the
country the page's language implies (`PREFERRED_COUNTRIES`), unless the code's format or the query says otherwise.
"""

from __future__ import annotations

from pathlib import Path

from trialfinder.geo.gazetteer import Gazetteer, Place, shared_gazetteer

MAX_SUGGESTIONS = 10

# The countries a page language implies, best first, for postal codes several countries have. English: none.
PREFERRED_COUNTRIES: dict[str, tuple[str, ...]] = {"nl": ("NL",)}


def preferred_countries(language: str | None) -> tuple[str, ...]:
    """The countries whose postal codes win for a page in `language` (`nl` -> ("NL",)); () when none."""
    return PREFERRED_COUNTRIES.get(language or "", ())


class PlaceFinder:
    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir

    def gazetteer(self) -> Gazetteer:
        return shared_gazetteer(self.cache_dir)

    def warm(self) -> None:
        self.gazetteer()

    def find(self, text: str, limit: int = MAX_SUGGESTIONS, *, language: str | None = None) -> list[Place]:
        """Candidates, best first; [] when the text names no place the gazetteer knows. `language` is the page's
        (see `preferred_countries`)."""
        return self.gazetteer().find_place(text, limit=limit, preferred_countries=preferred_countries(language))

    def for_language(self, language: str | None):
        """`find` for pages in `language`, as the one-argument callable `params.parse_search` takes."""

        def find(text: str, limit: int = MAX_SUGGESTIONS) -> list[Place]:
            return self.find(text, limit, language=language)

        return find
