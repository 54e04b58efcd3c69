"""Spelling correction over a word list: a deletion-neighbourhood index (symmetric delete) and the Damerau distance.

Each word of the list is filed under the strings made by deleting up to two letters of its first PREFIX letters (one
letter for words shorter than six letters); a typed word's own prefix deletions look candidates up, and the restricted
Damerau-Levenshtein distance (a letter inserted, left out or replaced, or two neighbours swapped) checks them. Filing
prefixes only, as SymSpell does, keeps the index small (about 175,000 keys for the bundled vocabulary's 15,000 words,
built in about 0.3 s) and finds the same words: a slip after the prefix leaves the prefix as it was.

Among the candidates at the smallest distance, the nearest by a finer measure wins (a vowel written for another vowel,
"diabetis", is a smaller slip than another letter), then the one more terms use. When the runner-up is as near and
used by more than half as many terms, the word is ambiguous and gets no correction: no correction is better than a
confident wrong one. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping

PREFIX = 7
AMBIGUOUS = 2  # the best candidate needs this many times the uses of an equally near runner-up
VOWELS = frozenset("aeiouy")
VOWEL_SLIP = 0.5  # the cost, in the finer measure, of a vowel written for another


def _deletions(word: str, depth: int) -> set[str]:
    """`word` and the strings made by deleting up to `depth` (1 or 2) of its letters."""
    n = len(word)
    found = {word}
    found.update(word[:i] + word[i + 1 :] for i in range(n))
    if depth >= 2:
        found.update(word[:i] + word[i + 1 : j] + word[j + 1 :] for i in range(n) for j in range(i + 1, n))
    return found


def damerau(a: str, b: str, limit: int, vowel_slip: float = 1.0) -> float:
    """The restricted Damerau-Levenshtein distance of `a` and `b` (a vowel replaced by another costs `vowel_slip`), or
    `limit + 1` as soon as it is more than `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[float] = []
    previous: list[float] = [float(j) for j in range(len(b) + 1)]
    for i in range(1, len(a) + 1):
        current = [float(i)] + [0.0] * len(b)
        for j in range(1, len(b) + 1):
            x, y = a[i - 1], b[j - 1]
            cost = 0.0 if x == y else vowel_slip if x in VOWELS and y in VOWELS else 1.0
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


class DeletionIndex:
    """Words, with how many terms use each, filed by the deletions of their prefixes."""

    def __init__(self, uses: Mapping[str, int]):
        self._uses = dict(uses)
        index: dict[str, str | list[str]] = {}
        for word in sorted(self._uses):
            for key in _deletions(word[:PREFIX], 2 if len(word) >= 6 else 1):
                entry = index.get(key)
                if entry is None:
                    index[key] = word
                elif isinstance(entry, str):
                    index[key] = [entry, word]
                else:
                    entry.append(word)
        self._index = index

    def __len__(self) -> int:
        return len(self._uses)

    def weight(self, word: str) -> int:
        """How likely `word` is as a correction: how many terms and trials use it."""
        return self._uses.get(word, 0)

    def candidates(self, word: str, distance: int) -> dict[str, float]:
        """The words within `distance` of `word` (other than itself), with their distance in the finer measure."""
        found: set[str] = set()
        for key in _deletions(word[:PREFIX], distance):
            entry = self._index.get(key)
            if entry is None:
                continue
            if isinstance(entry, str):
                found.add(entry)
            else:
                found.update(entry)
        found.discard(word)
        out = {}
        for candidate in found:
            if damerau(word, candidate, distance) <= distance:
                out[candidate] = damerau(word, candidate, distance, VOWEL_SLIP)
        return out

    def best(self, word: str, distance: int) -> str | None:
        """The one clear correction of `word` within `distance`, or None."""
        found = self.candidates(word, distance)
        if not found:
            return None
        ranked = sorted(found, key=lambda w: (found[w], -self._uses[w], w))
        best = ranked[0]
        if len(ranked) > 1:
            second = ranked[1]
            if found[second] == found[best] and self._uses[best] < AMBIGUOUS * self._uses[second]:
                return None
        return best
