"""Lay terms: registry words replaced or explained in plain English and Dutch, from a data file.

Matching is by whole words only: `hepatic` is replaced in "hepatic artery" but not inside "extrahepatic" (which
has an entry of its own), and an abbreviation matches only as written (`HAI` is not `hai`, nor part of `HAIP`).
A form of several words also matches with hyphens or more spaces between its words; where forms overlap, the
longest wins ("colorectal liver metastases" before "liver metastases" before "metastases"). Regular plurals are
matched without being listed; an entry may give the plural of its replacement.

The text is scanned word by word and only the forms beginning with that word are tried, so applying the
lexicon costs about the same however many entries it has.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

LANGUAGES = ("en", "nl")

# A word that starts here: not preceded by a letter, digit or hyphen (so nothing is matched inside a word or
# in the second half of a hyphenated one: "non-metastatic" is left alone).
_WORD_START = re.compile(r"(?<![\w-])\w+")
_SEPARATORS = re.compile(r"[\s-]+")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n\s*(?:[*-]\s+)?)$")


@dataclass(frozen=True, slots=True)
class LayTerm:
    """One entry of the lexicon: its registry forms and, per language, its lay replacement and explanation."""

    forms: tuple[str, ...]
    kind: str
    lay: dict[str, str | None]  # language -> replacement (None: keep the registry's word)
    lay_plural: dict[str, str | None]
    note: dict[str, str | None]  # language -> explanation added in brackets on first use
    plural_forms: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return self.forms[0].lower()

    def replacement(self, language: str, matched: str, plural: bool) -> str:
        text = (self.lay_plural.get(language) if plural else None) or self.lay.get(language)
        if text is not None and plural and language == "en" and self.lay_plural.get(language) is None:
            # English plurals of a one-word replacement are regular enough (tumor, tumors); Dutch ones are not,
            # so a Dutch plural is given in the data or the singular stands.
            if text.isalpha() and text.islower():
                text = _plural(text)
        if text is None:
            # No lay word (a drug's own name is the plain name): keep the registry's, in lower case unless it
            # is written as an abbreviation.
            return matched if _is_abbreviation(matched) else matched.lower()
        return text


@dataclass(frozen=True, slots=True)
class Match:
    start: int
    end: int
    text: str
    term: LayTerm
    plural: bool


def _is_abbreviation(form: str) -> bool:
    """Written in capitals (ECOG, 5-FU, G-CSF): such a form matches only as written."""
    letters = [char for char in form if char.isalpha()]
    return len(letters) >= 2 and all(char.isupper() for char in letters)


def _plural(word: str) -> str:
    if re.search(r"(?:s|x|z|ch|sh)$", word):
        return word + "es"
    if re.search(r"[^aeiou]y$", word):
        return word[:-1] + "ies"
    return word + "s"


def _normal(text: str, *, exact: bool) -> str:
    joined = _SEPARATORS.sub(" ", text.strip())
    return joined if exact else joined.lower()


def _pattern(form: str) -> str:
    return r"[\s-]+".join(re.escape(token) for token in _SEPARATORS.split(form.strip()))


class Lexicon:
    """Finds lay terms in text and writes the text with them replaced, in one language."""

    def __init__(self, data: dict, *, version: str):
        self.version = version
        self.terms: list[LayTerm] = []
        self._exact: dict[str, tuple[LayTerm, bool]] = {}
        self._folded: dict[str, tuple[LayTerm, bool]] = {}
        patterns: dict[str, list[tuple[str, bool]]] = defaultdict(list)
        for raw in (*data.get("terms", ()), *data.get("abbreviations", ())):
            term = LayTerm(
                forms=tuple(raw["forms"]),
                kind=raw.get("kind", "general"),
                lay={language: raw.get(language) for language in LANGUAGES},
                lay_plural={language: raw.get(f"{language}_plural") for language in LANGUAGES},
                note={language: raw.get(f"{language}_note") for language in LANGUAGES},
                plural_forms=tuple(raw.get("plural_forms", ())),
            )
            self.terms.append(term)
            spellings = [(form, False) for form in term.forms] + [(form, True) for form in term.plural_forms]
            spellings += [
                (_plural(form), True) for form in term.forms if not _is_abbreviation(form) and form[-1:].isalpha()
            ]
            for form, plural in spellings:
                exact = _is_abbreviation(form)
                table = self._exact if exact else self._folded
                key = _normal(form, exact=exact)
                # An explicit form beats a generated plural of another entry.
                if key in table and (plural or not table[key][1]):
                    continue
                table[key] = (term, plural)
                first = _WORD_START.match(form.strip())
                if first is None:
                    continue
                patterns[first.group().lower()].append((form, exact))
        self._by_first: dict[str, re.Pattern[str]] = {}
        for first, forms in patterns.items():
            unique = sorted(set(forms), key=lambda item: (-len(item[0]), item[0]))
            alternatives = "|".join(_pattern(form) if exact else f"(?i:{_pattern(form)})" for form, exact in unique)
            self._by_first[first] = re.compile(f"(?:{alternatives})(?![\\w-])")
        salts = data.get("drug_salts", ())
        self._salts = re.compile(r"(?<=\w)\s+(?:" + "|".join(map(re.escape, salts)) + r")(?![\w-])", re.IGNORECASE)

    @classmethod
    def from_file(cls, path: Path | str) -> Lexicon:
        raw = Path(path).read_bytes()
        return cls(json.loads(raw), version=hashlib.blake2b(raw, digest_size=4).hexdigest())

    def lookup(self, phrase: str) -> tuple[LayTerm, bool] | None:
        """The entry whose form is the whole of `phrase` (with whether it matched a plural), or None."""
        return self._exact.get(_normal(phrase, exact=True)) or self._folded.get(_normal(phrase, exact=False))

    def find(self, text: str) -> list[Match]:
        """Every lay term in `text`, left to right, none overlapping, the longest at each place."""
        found: list[Match] = []
        position = 0
        for word in _WORD_START.finditer(text):
            if word.start() < position:
                continue
            pattern = self._by_first.get(word.group().lower())
            if pattern is None:
                continue
            hit = pattern.match(text, word.start())
            if hit is None:
                continue
            entry = self.lookup(hit.group())
            if entry is None:  # pragma: no cover - every pattern comes from a form in the tables
                continue
            found.append(Match(hit.start(), hit.end(), hit.group(), entry[0], entry[1]))
            position = hit.end()
        return found

    def apply(self, text: str, language: str, *, explained: set[str] | None = None, sentence_start: bool = True) -> str:
        """`text` with each lay term replaced in `language`; an explanation is added the first time a term
        appears (terms already in `explained` get none; the set is updated, so one overview explains once).

        A replacement is capitalised where the registry's word was and a sentence starts there; with
        `sentence_start` False, `text` is a fragment to be put inside a sentence, whose start is not one."""
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        explained = set() if explained is None else explained
        parts: list[str] = []
        position = 0
        for match in self.find(text):
            parts.append(text[position : match.start])
            lay = match.term.replacement(language, match.text, match.plural)
            before = text[max(0, match.start - 4) : match.start]
            starts = _SENTENCE_START.search(before) and (match.start > 0 or sentence_start)
            if match.text[:1].isupper() and lay[:1].islower() and starts:
                lay = lay[:1].upper() + lay[1:]
            note = match.term.note.get(language)
            if note and match.term.key not in explained and note.lower() != lay.lower():
                lay = f"{lay} ({note})"
            explained.add(match.term.key)
            parts.append(lay)
            position = match.end
        parts.append(text[position:])
        return "".join(parts)

    def without_salts(self, name: str) -> str:
        """A drug's name without the salt chemists add to it: `doxorubicin hydrochloride` -> `doxorubicin`."""
        return self._salts.sub("", name)


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The lexicon shipped with the package (`overview/data/lay_terms.json`), read once."""
    data = resources.files("trialfinder.overview").joinpath("data/lay_terms.json")
    raw = data.read_bytes()
    return Lexicon(json.loads(raw), version=hashlib.blake2b(raw, digest_size=4).hexdigest())
