"""Where a person is: what they typed (a city or a US ZIP code), found in the offline gazetteer.

What they typed is never logged (the gazetteer promises the same); the gazetteer is loaded on first use, or
when the app starts (`warm`), from the cache directory in the settings.
"""

from __future__ import annotations

from pathlib import Path

from trialfinder.geo.gazetteer import Gazetteer, Place, shared_gazetteer

MAX_SUGGESTIONS = 10


class PlaceFinder:
    def __init__(self, cache_dir: Path):
        self.cache_dir = cache_dir

    def gazetteer(self) -> Gazetteer:
        return shared_gazetteer(self.cache_dir)

    def warm(self) -> None:
        self.gazetteer()

    def find(self, text: str, limit: int = MAX_SUGGESTIONS) -> list[Place]:
        """Candidates, best first; [] when the text names no place the gazetteer knows."""
        return self.gazetteer().find_place(text, limit=limit)
