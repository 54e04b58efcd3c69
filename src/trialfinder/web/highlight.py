"""Matched words marked in plain text: `<mark>` around every word that starts with one of them.

The text is escaped first, piece by piece, and only then are `<mark>` tags put around whole matched words, so
nothing in the text can become markup and a mark never lands inside an entity (`&amp;`) or the middle of a word.
Matching is case-insensitive and by prefix ("cancer" marks "Cancers"), as the search matches.

`mark_spans` marks given stretches of a text (the facts read from a description, by their offsets) the same way:
escaped piece by piece, marks put around the escaped pieces.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache

from markupsafe import Markup, escape

# A word's own characters: letters and digits, joined by an apostrophe or a hyphen (as queries.search.words).
_WORD_TAIL = r"[^\W_]*(?:['’-][^\W_]+)*"


@lru_cache(maxsize=256)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({word for word in words if word}, key=len, reverse=True)
    if not cleaned:
        return None
    alternatives = "|".join(re.escape(word) for word in cleaned)
    # Starts at a word boundary (not after a letter or digit), then runs to the end of the word.
    return re.compile(rf"(?<![^\W_])(?:{alternatives}){_WORD_TAIL}", re.IGNORECASE)


def highlight(text: str | None, words: Iterable[str]) -> Markup:
    if not text:
        return Markup("")
    pattern = _pattern(tuple(words))
    if pattern is None:
        return escape(text)
    pieces: list[str] = []
    position = 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[position : match.start()]))
        pieces.append(Markup("<mark>%s</mark>") % match.group())
        position = match.end()
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)


def mark_spans(text: str, spans: Sequence[tuple[int, int]]) -> Markup:
    """`text` escaped, with `<mark>` around each (start, end) stretch; stretches that overlap or touch become one
    mark, and offsets outside the text are clipped to it."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        start, end = max(0, start), min(len(text), end)
        if start >= end:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[str] = []
    position = 0
    for start, end in merged:
        pieces.append(escape(text[position:start]))
        pieces.append(Markup("<mark>%s</mark>") % text[start:end])
        position = end
    pieces.append(escape(text[position:]))
    return Markup("").join(pieces)
