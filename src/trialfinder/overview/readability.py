"""How hard a text is to read: Flesch–Kincaid grade (English) and Flesch–Douma reading ease (Dutch).

Both formulas need three counts, made the same way for every text compared:

- sentences: text ends a sentence at `.`, `!` or `?` followed by a space or the end, and at the end of every
  non-empty line (registry summaries are Markdown lists whose items often have no full stop; joining them into
  one endless sentence would make them look harder than they are). Common abbreviations (e.g., i.e., vs., Dr.)
  do not end a sentence.
- words: runs of letters, with apostrophes and hyphens inside (`patient's`, `low-dose` are one word). Numbers
  and other tokens without letters are not words here.
- syllables: estimated from spelling (vowel groups with a few corrections per language; see the counters).
  A hyphenated word has the syllables of its parts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_ABBREVIATIONS = re.compile(r"\b(?:e\.g|i\.e|vs|etc|approx|Dr|Mr|Mrs|Ms|St|no|nr|ca|bijv|o\.a|d\.w\.z|resp)\.", re.I)
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
# Dutch vowel sounds, longest first: the triphthongs, then the long vowels and diphthongs, then single letters.
_DUTCH_VOWEL = re.compile(r"aai|ooi|oei|eeu|ieu|aa|ee|oo|uu|ei|ie|oe|ou|ui|eu|au|[ëïöü]|.", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Counts:
    sentences: int
    words: int
    syllables: int

    @property
    def words_per_sentence(self) -> float:
        return self.words / self.sentences

    @property
    def syllables_per_word(self) -> float:
        return self.syllables / self.words


def count_syllables_en(word: str) -> int:
    """English syllables by spelling: vowel groups, less a silent final `e`, `es` or `ed` (make, makes, used),
    keeping `-le` (table) and `-ted`/`-ded` (wanted), where the vowel is heard. Wrong for some words
    (area, being); close enough over a text, which is what the grade needs."""
    total = 0
    for part in re.split(r"['’-]", word.lower()):
        letters = re.sub(r"[^a-z]", "", part)
        if not letters:
            continue
        if len(letters) <= 3:
            total += 1
            continue
        letters = re.sub(r"(?:[^laeiouy]es|(?<![td])ed|[^laeiouy]e)$", "", letters)
        letters = re.sub(r"^y", "", letters)
        total += max(1, len(re.findall(r"[aeiouy]{1,2}", letters)))
    return total


def count_syllables_nl(word: str) -> int:
    """Dutch syllables by spelling: groups of vowels (`ij` is one vowel, `ui`, `oe`, `ie`, `eu`, `aa` ... are
    one sound), where a diaeresis starts a new syllable (financi-ën, co-ördinatie)."""
    total = 0
    for part in re.split(r"['’-]", word.lower().replace("ij", "y")):
        if not part:
            continue
        groups = re.findall(r"[aeiouyàáâèéêíîóôúû]+|[ëïöü][aeiouy]*", part)
        # A run of vowels is as many syllables as the sounds it spells: aai-i (uitzaaiingen), ei-e (eieren).
        total += max(1, sum(len(_DUTCH_VOWEL.findall(group)) for group in groups))
    return total


def counts(text: str, language: str) -> Counts | None:
    """Sentences, words and syllables of `text`; None when it has no words."""
    syllables_of = count_syllables_nl if language == "nl" else count_syllables_en
    sentences = 0
    words = 0
    syllables = 0
    for line in text.splitlines():
        line = _ABBREVIATIONS.sub(lambda match: match.group().replace(".", ""), line)
        line_words = _WORD.findall(line)
        if not line_words:
            continue
        words += len(line_words)
        syllables += sum(syllables_of(word) for word in line_words)
        ends = len(_SENTENCE_END.findall(line))
        # A line that does not end with a full stop still ends its sentence.
        sentences += ends + (0 if _SENTENCE_END.search(line.rstrip()[-3:] + " ") else 1)
    if not words:
        return None
    return Counts(max(sentences, 1), words, syllables)


def flesch_kincaid_grade(text: str) -> float | None:
    """Flesch–Kincaid grade level: 0.39 × words/sentence + 11.8 × syllables/word − 15.59.

    Kincaid, Fishburne, Rogers and Chissom (1975), "Derivation of new readability formulas ... for Navy
    enlisted personnel", Research Branch Report 8-75. A grade of 8 is what a 13- or 14-year-old reads.
    """
    found = counts(text, "en")
    if found is None:
        return None
    return 0.39 * found.words_per_sentence + 11.8 * found.syllables_per_word - 15.59


def flesch_douma(text: str) -> float | None:
    """Flesch–Douma reading ease for Dutch: 206.835 − 0.93 × words/sentence − 77 × syllables/word.

    Douma (1960), "De leesbaarheid van landbouwbladen", an adaptation of Flesch's reading ease (1948) to Dutch.
    Higher is easier: 60–70 is plain ("vrij makkelijk"), above 80 easy, under 30 very hard.
    """
    found = counts(text, "nl")
    if found is None:
        return None
    return 206.835 - 0.93 * found.words_per_sentence - 77 * found.syllables_per_word
