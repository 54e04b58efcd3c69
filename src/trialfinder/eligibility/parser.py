"""Criteria text -> a tree of typed criteria.

Two steps. The **structure**: the Markdown's Inclusion/Exclusion headings and its (nested) bullets become
criteria, each keeping its source text. The **checks**: each criterion's text is read by a short list of rules
(lab thresholds, age, performance status, life expectancy, pregnancy, sex, biomarkers, prior treatments,
medications, metastatic sites, diagnoses, test windows), each driven by the lexicons in data/. Whatever no rule
types becomes a `FreeText` check: a question for the person or their doctor.

The parser never raises on prose: `parse_criteria` catches nothing because nothing in it raises on text; the
property tests in tests/unit/eligibility/test_parser_properties.py feed it generated input to keep it so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from trialfinder.domain.trial import Sex
from trialfinder.eligibility.model import (
    AGE_UNIT_DAYS,
    AgeCheck,
    AllOf,
    AnyOf,
    Biomarker,
    Check,
    Comparator,
    CriteriaTree,
    Criterion,
    CurrentMedication,
    Diagnosis,
    FreeText,
    LabThreshold,
    LifeExpectancy,
    MetastaticSite,
    Not,
    PerformanceStatus,
    PregnancyCheck,
    PriorTreatment,
    Section,
    SexCheck,
    TestWindow,
    TimeWindow,
    Unless,
)
from trialfinder.eligibility.units import lexicon, normalise_unit, unit_spellings

# --- Structure -----------------------------------------------------------------------------------------------

# A heading line: an optional bullet, number or Markdown heading mark, an optional qualifier word, "inclusion" or
# "exclusion" (with or without "criteria"), at most a short phrase ("for cohort B") and a colon, nothing else.
_HEADING = re.compile(
    r"^\s{0,3}(?:[-*+•]\s*|\d{1,2}[.)]\s*|#{1,6}\s*)?(?:\*\*|__)?\s*(?:(?:key|main|general|major|additional|other)\s+)?"
    r"(inclusion|exclusion)(?:\s+criteria\b)?([^:\n]{0,60}?)(?:\*\*|__)?\s*:?\s*(?:\*\*|__)?\s*$",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(\s*)(?:[*+•·▪◦‣○●-]|\d{1,3}[.)]|[a-zA-Z][.)]|\((?:[a-z]|\d{1,2}|[ivx]{1,4})\))\s+(.*)$")


@dataclass
class _Item:
    indent: int
    text: str
    children: list[_Item]


# The most criteria text parsed. A longer text is parsed up to its last line break before this; the rest is kept as
# written (`CriteriaTree.unparsed`) in one criterion for the person's doctor. ClinicalTrials.gov limits the field to
# 20,000 characters; the longest of 8,229 real records measured has 19,020 (bench/limits.py). Parsing cost about
# 3 ms per 1,000 characters when this was set (the 400,000 the importer keeps took 1.2 s), and every view of a trial
# parses it; it has been about 2.7 times faster since (bench/parse_speed.py).
MAX_PARSED = 30_000
_EXCERPT = 200  # characters of the unparsed rest quoted in its question


def within_parse_limit(text: str) -> tuple[str, str]:
    """`text` cut where the parser stops reading: the part it parses, and the rest (empty when it reads it all). The
    trial page renders the same part as Markdown, and the rest as written."""
    if len(text) <= MAX_PARSED:
        return text, ""
    cut = text.rfind("\n", 0, MAX_PARSED) + 1 or MAX_PARSED
    return text[:cut], text[cut:]


def parse_criteria(markdown: str | None, *, nct_id: str | None = None) -> CriteriaTree:
    """Parse a trial's criteria Markdown into a tree; text before the first heading is the preamble."""
    text, unparsed = within_parse_limit((markdown or "").replace("\r\n", "\n").replace("\r", "\n"))
    sections: list[tuple[Section | None, list[str]]] = [(None, [])]
    for line in text.split("\n"):
        heading = _HEADING.match(line)
        if heading and len(line.strip()) <= 90:
            section = Section.INCLUSION if heading.group(1).lower() == "inclusion" else Section.EXCLUSION
            sections.append((section, []))
        else:
            sections[-1][1].append(line)
    has_headings = len(sections) > 1
    preamble = ""
    criteria: list[Criterion] = []
    counters = {Section.INCLUSION: 0, Section.EXCLUSION: 0}
    for section, lines in sections:
        if section is None:
            if has_headings:
                preamble = "\n".join(lines).strip()
                continue
            section = Section.INCLUSION  # criteria without headings are requirements
        for item in _items(lines):
            counters[section] += 1
            prefix = "inc" if section is Section.INCLUSION else "exc"
            criteria.append(_criterion(item, f"{prefix}-{counters[section]}", section, None))
    if unparsed.strip():
        section = sections[-1][0] or Section.INCLUSION
        counters[section] += 1
        prefix = "inc" if section is Section.INCLUSION else "exc"
        criteria.append(_unparsed(unparsed, f"{prefix}-{counters[section]}", section))
    return CriteriaTree(tuple(criteria), preamble=preamble, nct_id=nct_id, unparsed=unparsed)


def _unparsed(text: str, ident: str, section: Section) -> Criterion:
    """The rest of a criteria text too long to parse, as one criterion nobody could check: a question for the
    person's doctor that quotes its first line (the whole rest is its source text)."""
    source = text.strip()
    first = source.split("\n", 1)[0].strip()
    bullet = _BULLET.match(first)
    excerpt = " ".join(_clean_source(bullet.group(2) if bullet else first).split())
    if len(excerpt) > _EXCERPT:
        excerpt = excerpt[:_EXCERPT].rsplit(" ", 1)[0]
    if excerpt != source:
        excerpt += " …"
    return Criterion(ident, section, source, FreeText(f"{ident}-unparsed", ask_doctor=True, text=excerpt))


def _items(lines: list[str]) -> list[_Item]:
    """Bullets nested by indentation; continuation lines join their bullet; without bullets, one line each."""
    has_bullets = any(_BULLET.match(line) for line in lines)
    roots: list[_Item] = []
    stack: list[_Item] = []
    blank_before = True
    for raw in lines:
        line = raw.replace("\t", "    ").rstrip()
        if not line.strip():
            blank_before = True
            continue
        bullet = _BULLET.match(line) if has_bullets else None
        indent = len(line) - len(line.lstrip(" "))
        if bullet:
            item = _Item(len(bullet.group(1)), bullet.group(2).strip(), [])
            while stack and stack[-1].indent >= item.indent:
                stack.pop()
            (stack[-1].children if stack else roots).append(item)
            stack.append(item)
        elif stack and has_bullets and (indent > 0 or not blank_before):
            stack[-1].text = f"{stack[-1].text} {line.strip()}"
        else:
            item = _Item(0, line.strip(), [])
            roots.append(item)
            stack = [item] if has_bullets else []
        blank_before = False
    return [item for item in roots if _clean_source(item.text)]


_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>=~|])")


def _clean_source(text: str) -> str:
    # ClinicalTrials.gov escapes Markdown punctuation (`\>`, `\*`); the person should read the plain text.
    return (_ESCAPED.sub(r"\1", text) if "\\" in text else text).strip()


def _criterion(item: _Item, ident: str, section: Section, inherited: TimeWindow | None) -> Criterion:
    source = _clean_source(item.text)
    normal = normalise(source)
    window = _window(normal) or inherited
    children = tuple(
        _criterion(child, f"{ident}-{number}", section, window)
        for number, child in enumerate((child for child in item.children if _clean_source(child.text)), start=1)
    )
    check = parse_check(source, key=ident, window=window)
    if children and (check is None or isinstance(check, FreeText | TestWindow)):
        # A bullet that introduces sub-bullets ("Laboratory requirements: ... (obtained within 15 days)"): its
        # content is in its children, which carry its time window.
        check = None
    return Criterion(ident, section, source, check, children, window if children else None)


# --- Text normalisation --------------------------------------------------------------------------------------

_SUPERSCRIPT_DIGITS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
# Each with the characters one of which every match holds: a text without any is left as it is, unsearched.
_REPLACEMENTS = [
    # ">/=", ">_" (an underlined >) and ">=" are all ≥ in registry text.
    (re.compile(r"[≥≧⩾]|>\s*/?\s*=|>_"), ">=", "≥≧⩾>"),
    (re.compile(r"[≤≦⩽]|<\s*/?\s*=|<_"), "<=", "≤≦⩽<"),
    (re.compile(r"[＜‹]"), "<", "＜‹"),
    (re.compile(r"[＞›]"), ">", "＞›"),
    (re.compile(r"[×✕]|(?<=\d)\s*\*\s*(?=10)"), " x ", "×✕*"),
    (re.compile(r"[\u2010-\u2015\u2212]"), "-", "\u2010\u2011\u2012\u2013\u2014\u2015\u2212"),
    (re.compile(r"[\u00a0\u2009\u202f]"), " ", "\u00a0\u2009\u202f"),
    (re.compile(r"[“”]"), '"', "“”"),
    (re.compile(r"[‘’]"), "'", "‘’"),
    (re.compile(r"μ"), "µ", "μ"),
]
_REPLACED = re.compile("[" + re.escape("".join(characters for _, _, characters in _REPLACEMENTS)) + "]")
# "x 10^9/L", "x10*9/L", "x 10E9/L", "x 10⁹/L", "x 109/L" (a lost superscript) -> "x10^9/L"
_POWER = re.compile(r"x\s*10\s*(?:\^|\*|e|exp)?\s*(9|3|6|12)\s*(?:cells\s*)?/\s*", re.IGNORECASE)
_SUPER_POWER = re.compile(r"10\s*([⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
_SLASH = re.compile(r"\s*/\s*(?=[a-zA-Zµ])")
_BODY_SURFACE = re.compile(r"1[.,]73\s*m")
_SPACES = re.compile(r"[ \t]+")


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Text with one spelling of comparators, dashes, spaces and powers of ten; the parser reads this form."""
    # Each substitution runs only on a text that holds what every one of its matches holds.
    result = _clean_source(text)
    if "10" in result:
        result = _SUPER_POWER.sub(lambda m: "10^" + m.group(1).translate(_SUPERSCRIPT_DIGITS), result)
    if _REPLACED.search(result):
        for pattern, replacement, characters in _REPLACEMENTS:
            if any(character in result for character in characters):
                result = pattern.sub(replacement, result)
    if "10" in result:
        result = _POWER.sub(lambda m: f"x10^{m.group(1)}/", result)
    if "/" in result:
        result = _SLASH.sub("/", result)  # "ml / min" -> "ml/min"
    if "73" in result:
        result = _BODY_SURFACE.sub("1.73m", result)
    if "  " in result or "\t" in result:
        result = _SPACES.sub(" ", result)
    return result.strip()


# --- Lexicon-driven patterns ---------------------------------------------------------------------------------

# A space may group thousands ("100 000/mm³"), but "50 109/L" is 50 × 10⁹/L whose superscript was lost.
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+(?![\d,])|\d{1,3}(?: (?!10[369]/)\d{3})+(?![\d.,])|\d+(?:[.,]\d+)?|\.\d+)"


def _number(text: str) -> float:
    cleaned = text.strip()
    if re.fullmatch(r"\d{1,3}(?:[, ]\d{3})+", cleaned):
        return float(re.sub(r"[, ]", "", cleaned))
    return float(cleaned.replace(",", "."))


def _ordered(words: list[str]) -> list[str]:
    """The phrases of `_words_pattern`, in its order: longest first."""
    return sorted(set(words), key=len, reverse=True)


def _alternation(ordered: list[str]) -> str:
    # The word boundaries stand outside the alternation: checked once per position, not once per phrase.
    return r"(?<![\w])(?:" + "|".join(re.escape(word).replace(r"\ ", r"[\s-]+") for word in ordered) + r")(?![\w])"


def _words_pattern(words: list[str]) -> str:
    """An alternation of phrases, longest first, each bounded so that it matches whole words only."""
    return _alternation(_ordered(words))


def _short_name_ok(found: str, name: str) -> bool:
    # Short abbreviations (PT, CR, HR, ALT, ER) are common English words or other things in lower case:
    # they count only when written with a capital.
    return len(name) > 3 or any(character.isupper() for character in found) or not found.isalpha()


@dataclass(frozen=True, slots=True)
class _Mention:
    start: int
    end: int
    key: str
    text: str


_SEPARATORS = re.compile(r"[\s-]+")
_WORD = re.compile(r"\w+")


class _Words:
    """`_words_pattern(words)` compiled, with `search` and `finditer` that find what the pattern's own would, faster.

    The pattern is one alternation of up to a few hundred phrases, tried at every position of every criterion, and
    case-insensitively, so without the regex engine's first-character shortcut. When every phrase starts with a word
    of ASCII letters and digits (else the pattern's own methods are used), a phrase can match only where a word of
    the text starts, and only where that word, lowercased, is the phrase's first word (the text's word ends where the
    phrase's does: a space, a hyphen or punctuation follows it, or the phrase's closing boundary): so the text's words
    are looked up in a dict, and only the phrases of that first word, in the pattern's order so that the same one
    wins, are tried at that word. A word that is not ASCII may match through Unicode case folding (the Kelvin sign
    is a K): the whole pattern is tried there."""

    def __init__(self, words: list[str], flags: int = re.IGNORECASE) -> None:
        ordered = _ordered(words)
        self.pattern = re.compile(_alternation(ordered), flags)
        self.match = self.pattern.match
        self.by_first: dict[str, re.Pattern[str]] | None = None
        self.first_words: frozenset[str] = frozenset()
        if flags & re.IGNORECASE and all(phrase.isascii() and _WORD.match(phrase) for phrase in ordered):
            by_first: dict[str, list[str]] = {}
            for phrase in ordered:
                by_first.setdefault(_WORD.match(phrase).group(0).lower(), []).append(phrase)  # type: ignore[union-attr]
            self.by_first = {first: re.compile(_alternation(group), flags) for first, group in by_first.items()}
            self.first_words = frozenset(by_first)

    def finditer(self, text: str, first_only: bool = False) -> list[re.Match[str]]:
        if self.by_first is None:
            return list(self.pattern.finditer(text))
        by_first = self.by_first
        words = _words(text)
        if words is None:
            candidates = [
                (word.start(), by_first.get(written.lower()) if written.isascii() else self.pattern)
                for word in _WORD.finditer(text)
                for written in (word.group(0),)
            ]
        else:
            lowered, written = words
            common = self.first_words.intersection(written)
            if not common:  # most texts name nothing of most lists
                return []
            candidates = sorted(
                (word.start(), by_first[first]) for first in common for word in _whole_word(first).finditer(lowered)
            )
        matches = []
        position = 0
        for start, pattern in candidates:
            if start < position or pattern is None:
                continue
            match = pattern.match(text, start)
            if match:
                matches.append(match)
                if first_only:
                    break
                position = match.end()
        return matches

    def search(self, text: str) -> re.Match[str] | None:
        if self.by_first is None:
            return self.pattern.search(text)
        found = self.finditer(text, first_only=True)
        return found[0] if found else None


@lru_cache(maxsize=1024)
def _words(text: str) -> tuple[str, frozenset[str]] | None:
    """`text` lowercased and its words, when it is ASCII (lowercasing then keeps every position); else None. What
    `_Words` looks up; cached, as every lexicon reads each text."""
    if not text.isascii():
        return None
    lowered = text.lower()
    return lowered, frozenset(_WORD.findall(lowered))


@cache
def _whole_word(word: str) -> re.Pattern[str]:
    """Where `word` (a lowercase first word of a phrase) stands as a whole word of a lowercased text."""
    return re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)")


@lru_cache(maxsize=512)
def _words_regex(words: tuple[str, ...], flags: int = re.IGNORECASE) -> _Words:
    """`_Words(words)`, built once per list (the lexicons' lists are read once and never change)."""
    return _Words(list(words), flags)


class _Names:
    """A lexicon's names (`_name_index`): the words, and the key each name (and its canonical form) stands for."""

    def __init__(self, names: dict[str, str]) -> None:
        self.words = _Words(list(names))
        self.names = names
        self.found = lru_cache(maxsize=2048)(self._found)  # several rules look for drugs (conditions) in one text

    def _found(self, text: str) -> tuple[_Mention, ...]:
        return tuple(_mentions(self.words.finditer(text), self.names))


# By the pattern's id (hashing a compiled pattern hashes its whole code); `_find` checks it is the same pattern.
_NAMES: dict[int, _Names] = {}


def _mentions(matches: Iterable[re.Match[str]], names: dict[str, str]) -> Iterable[_Mention]:
    for match in matches:
        written = match.group(0)
        lowered = written.lower()
        canonical = _SEPARATORS.sub(" ", lowered)
        key = names.get(canonical)
        if key is None:
            key = names.get(lowered)
        if key is not None and _short_name_ok(written, canonical):
            yield _Mention(match.start(), match.end(), key, written)


def _find(pattern: re.Pattern[str], names: dict[str, str], text: str) -> list[_Mention]:
    index = _NAMES.get(id(pattern))
    if index is not None and index.words.pattern is pattern and index.names is names:
        return list(index.found(text))
    return list(_mentions(pattern.finditer(text), names))


def _canonical_name(written: str) -> str:
    return _SEPARATORS.sub(" ", written.lower())


def _name_index(entries: dict[str, dict], field: str = "names") -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    for key, entry in entries.items():
        for name in entry.get(field, []):
            names.setdefault(name.lower(), key)
            names.setdefault(_canonical_name(name), key)
    index = _Names(names)
    _NAMES[id(index.words.pattern)] = index
    return index.words.pattern, names


@cache
def _analytes() -> tuple[re.Pattern[str], dict[str, str]]:
    return _name_index(lexicon("analytes"))


@cache
def _biomarkers() -> tuple[re.Pattern[str], dict[str, str]]:
    return _name_index(lexicon("biomarkers"))


@cache
def _conditions() -> tuple[re.Pattern[str], dict[str, str]]:
    return _name_index(lexicon("conditions")["conditions"])


@cache
def _sites() -> tuple[re.Pattern[str], dict[str, str]]:
    return _name_index(lexicon("conditions")["metastatic_sites"])


@cache
def _treatment_kinds() -> tuple[re.Pattern[str], dict[str, str]]:
    return _name_index(lexicon("conditions")["treatment_kinds"])


@cache
def _drugs() -> tuple[re.Pattern[str], dict[str, str]]:
    drugs = lexicon("drugs")
    entries = {**drugs["drugs"], **drugs["classes"], **drugs["regimens"]}
    return _name_index(entries)


@cache
def _cue(name: str) -> _Words:
    return _Words(lexicon("cues")[name])


@cache
def _comparator_pattern() -> tuple[str, dict[str, Comparator]]:
    phrases: dict[str, Comparator] = {}
    for symbol, words in lexicon("cues")["comparators"].items():
        for word in words:
            phrases[word] = Comparator(symbol)
    ordered = sorted(phrases, key=len, reverse=True)
    alternation = "|".join(
        re.escape(word)
        if not word[0].isalpha()
        else r"(?<![\w])" + re.escape(word).replace(r"\ ", r"\s+") + r"(?![\w])"
        for word in ordered
    )
    return alternation, phrases


def _comparator(text: str) -> Comparator:
    _, phrases = _comparator_pattern()
    return phrases[re.sub(r"\s+", " ", text.strip().lower())]


@cache
def _trailing() -> tuple[re.Pattern[str], dict[str, Comparator]]:
    phrases = {
        word: Comparator(symbol) for symbol, words in lexicon("cues")["trailing_comparators"].items() for word in words
    }
    return re.compile(r"^\s*(" + _words_pattern(list(phrases)) + ")", re.IGNORECASE), phrases


@cache
def _unit_pattern() -> str:
    alternation = "|".join(re.escape(spelling).replace(r"\ ", r"\s?") for spelling in unit_spellings())
    return r"(?:" + alternation + r")(?![a-zA-Z0-9])"


_ULN_WORDS = (
    r"(?:the\s+)?(?:institutional\s+|local\s+|laboratory\s+)?(?:uln|iuln|upper\s+limits?\s+of\s+(?:the\s+)?normal(?:\s+range)?"
    r"|upper\s+normal\s+limits?|normal\s+upper\s+limits?|upper\s+limit\s+normal)(?:\s*\((?:uln|iuln)\))?"
)


@cache
def _amount() -> re.Pattern[str]:
    uln = rf"(?P<mult>{_NUMBER})?\s*(?:x|\*|times|-?fold|×)?\s*{_ULN_WORDS}"
    plain = rf"(?P<value>{_NUMBER})\s*(?P<unit>{_unit_pattern()})?"
    return re.compile(rf"(?:{uln}(?![\w])|{plain})", re.IGNORECASE)


@cache
def _threshold() -> re.Pattern[str]:
    comparators, _ = _comparator_pattern()
    return re.compile(
        rf"^(?P<pre>[^;\d]{{0,45}}?)(?P<comp>{comparators})\s*(?:to\s+|than\s+|of\s+)?(?P<amount>{_amount().pattern})",
        re.IGNORECASE,
    )


@cache
def _bare_threshold() -> re.Pattern[str]:
    # "platelets 100 x 10^9/L or more", "hemoglobin of 9 g/dL or higher"
    return re.compile(rf"^(?P<pre>[^;\d]{{0,30}}?)(?P<amount>{_amount().pattern})", re.IGNORECASE)


@cache
def _between() -> re.Pattern[str]:
    return re.compile(
        rf"^(?P<pre>[^;\d]{{0,30}}?)(?:between|from)\s+(?P<low>{_NUMBER})\s*(?:and|to|-)\s*(?P<high>{_NUMBER})\s*(?P<unit>{_unit_pattern()})?",
        re.IGNORECASE,
    )


# --- Time windows --------------------------------------------------------------------------------------------

_DAYS_PER = {"day": 1, "week": 7, "wk": 7, "month": 30, "mo": 30, "year": 365, "hour": 1 / 24, "hr": 1 / 24, "yr": 365}

# Two kinds of lead word. "within", "in the last/past", "not older than" state a window on their own ("within 28
# days", "in the past year"). A comparator ("< 4 weeks", "up to 6 months") states one only when the span is tied to
# a past anchor ("≤ 4 weeks before registration", "less than 3 months ago"); on its own it is more often an age
# ("< 18 years of age"), a duration ("for < 5 days") or a dose interval.
_WITHIN = (
    # "within 5 half-lives or 30 days (whichever is longer)": the days are the window the text can be checked by.
    r"within\s+(?:[\w.-]+\s+){1,3}?half[\s-]?lives?\s+or|"
    r"within(?:\s+the)?(?:\s+(?P<w_recent>last|past|previous|preceding|prior))?|with\s+in|"
    r"(?:in|during|over)\s+the\s+(?P<recent>last|past|previous|preceding|prior)|not\s+older\s+than|no\s+later\s+than"
)
_COMPARED = r"<=|<|no\s+more\s+than|not\s+more\s+than|at\s+most|up\s+to|less\s+than|fewer\s+than|maximum(?:\s+of)?"


@cache
def _window_pattern() -> re.Pattern[str]:
    numbers = "|".join(lexicon("cues")["number_words"])
    anchors = _words_pattern(lexicon("cues")["window_anchors"])
    return re.compile(
        rf"(?:(?P<within>{_WITHIN})|(?P<compared>{_COMPARED}))\s*"
        rf"(?:(?P<n>\d+|{numbers}|an?)\s*-?\s*)?(?P<unit>days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?)\b"
        r"(?:\s*(?:\([^()]{0,40}\))?\s*(?P<relation>prior\s+to|before|preceding|ago|of|from|until)\b"
        rf"(?:\s+(?:the\s+)?(?:date\s+of\s+)?(?P<anchor>{anchors}))?)?",
        re.IGNORECASE,
    )


def _read_window(match: re.Match[str]) -> TimeWindow | None:
    count = (match.group("n") or "").lower()
    if not count:
        # "in the past year", "within the last month": one unit; a bare "within days of" is no window.
        if not (match.group("recent") or match.group("w_recent")):
            return None
        count = "1"
    if match.group("compared"):
        relation = (match.group("relation") or "").lower()
        if not (match.group("anchor") or relation.startswith(("prior", "before", "preceding", "ago"))):
            return None
    number = lexicon("cues")["number_words"].get(count) or (1 if count in ("a", "an") else int(count))
    unit = match.group("unit").lower()
    unit = unit[:-1] if unit.endswith("s") and unit not in ("s",) else unit
    days = max(1, round(number * _DAYS_PER.get(unit, 1)))
    anchor = (match.group("anchor") or "registration").lower()
    return TimeWindow(days, anchor)


# Every window names its unit: a text without one is not searched for a window. In ASCII text, the stems are looked
# for in the lowercased text, which the regex engine scans fast for their first letters.
_WINDOW_UNIT = re.compile(r"(?:days?|weeks?|wks?|months?|mos?|years?|yrs?|hours?|hrs?)\b", re.IGNORECASE)
_WINDOW_UNIT_STEM = re.compile(r"day|week|wk|mo|year|yr|hour|hr")


@lru_cache(maxsize=4096)
def _window(text: str) -> TimeWindow | None:
    # Cached: a criterion's text is read for its window twice (for its children, then for its own check).
    if not (_WINDOW_UNIT_STEM.search(text.lower()) if text.isascii() else _WINDOW_UNIT.search(text)):
        return None
    for match in _window_pattern().finditer(text):
        window = _read_window(match)
        if window is not None:
            return window
    return None


def find_windows(text: str) -> list[tuple[str, TimeWindow]]:
    """Every time window in a text, with the words it was read from (the benchmark compares these)."""
    normal = normalise(text)
    found = []
    for match in _window_pattern().finditer(normal):
        window = _read_window(match)
        if window:
            found.append((match.group(0), window))
    return found


# --- Lab thresholds ------------------------------------------------------------------------------------------

_CONDITIONAL = re.compile(
    r"\b(?:if|in\s+case|in\s+the\s+case|in\s+patients|for\s+patients|for\s+subjects|in\s+subjects|in\s+the\s+presence|"
    r"with\s+(?:documented\s+|known\s+)?(?:liver|hepatic|bone|gilbert)|when|unless|except)\b",
    re.IGNORECASE,
)
_METHODS = [
    (re.compile(r"\bMDRD\b", re.IGNORECASE), "MDRD"),
    (re.compile(r"\bCKD[- ]?EPI\b", re.IGNORECASE), "CKD-EPI"),
    (re.compile(r"\bcockcroft", re.IGNORECASE), "Cockcroft-Gault"),
]


@dataclass(frozen=True, slots=True)
class LabMatch:
    """One threshold found in text, with where it was read (the benchmark compares these)."""

    check: LabThreshold
    start: int
    end: int
    alternative: LabThreshold | None = None  # a conditional second threshold ("≤ 5 × ULN with liver metastases")


def find_lab_thresholds(text: str, window: TimeWindow | None = None) -> list[tuple[LabMatch, str]]:
    """Lab thresholds in (normalised) text, each with the connector text before it ("and", "or", ", ")."""
    pattern, names = _analytes()
    mentions = _find(pattern, names, text)
    results: list[tuple[LabMatch, str]] = []
    pending: list[_Mention] = []
    pending_or = False
    previous_end = 0
    for index, mention in enumerate(mentions):
        limit = mentions[index + 1].start if index + 1 < len(mentions) else len(text)
        segment = text[mention.end : min(limit, mention.end + 90)]
        found = _read_threshold(mention.key, segment)
        if found is not None and _is_change(text, pending[0] if pending else mention, found[4]):
            found, pending, pending_or = None, [], False
            previous_end = mention.end
            continue
        if found is None:
            between = text[mention.end : limit]
            if (
                len(between) <= 25
                and re.fullmatch(r"[\s,/()a-zA-Z-]*", between)
                and re.search(r"\b(?:and|or)\b|[/,(]", between)
            ):
                pending.append(mention)
                pending_or = pending_or or bool(re.search(r"\bor\b", between))
            else:
                pending, pending_or = [], False
            continue
        comparator, value, unit, uln, end, alternative = found
        group = [*pending, mention]
        connector_text = text[previous_end : group[0].start]
        seen: list[str] = []
        for member in group:
            if member.key in seen:
                continue
            seen.append(member.key)
            analyte = member.key
            context = text[max(previous_end, group[0].start - 30) : mention.end + end]
            method = next((name for regex, name in _METHODS if regex.search(context)), None)
            if method == "Cockcroft-Gault" and analyte == "egfr":
                analyte, method = "creatinine_clearance", None
            if analyte == "creatinine_clearance" and method == "Cockcroft-Gault":
                method = None
            if unit is None and not uln:
                default = lexicon("analytes")[analyte].get("unit")
                unit = default if default == "1" else None
                if analyte == "body_temperature" and value > 45:
                    # No living person's temperature is above 45 °C: "fever > 100.4" is in Fahrenheit.
                    unit = "[degF]"
            check = LabThreshold(analyte, comparator, value, unit, uln, method if analyte == "egfr" else None, window)
            alt = (
                replace(
                    check,
                    comparator=alternative[0],
                    value=alternative[1],
                    unit=alternative[2],
                    uln_multiple=alternative[3],
                )
                if alternative
                else None
            )
            connector = ("or" if pending_or else "and") if member is not group[0] else connector_text
            results.append((LabMatch(check, member.start, mention.end + end, alt), connector))
        previous_end = mention.end + end
        pending, pending_or = [], False
    return results


# Words that may follow a value without a unit and still leave it a lab value.
_FUNCTION_WORDS = "and|or|x|on|at|in|for|with|by|during|while|if|despite|without|when|unless|except|but|as|measured"

_WORD_AFTER_VALUE = re.compile(rf"\s*(?!(?:{_FUNCTION_WORDS})\b)[a-zA-Z]{{2,}}", re.IGNORECASE)


@cache
def _second_threshold() -> re.Pattern[str]:
    return re.compile(rf"({_comparator_pattern()[0]})\s*(?P<amount>{_amount().pattern})", re.IGNORECASE)


# Wording of a change, not a level: "change in body temperature (> 0.5 °C)", "systolic blood pressure drop ≥ 20",
# "a decline in eGFR of > 15", "weight loss ≤ 10%", "ALT increase from baseline". A threshold on a change needs two
# results and a baseline, which a level check cannot verify. "Elevated"/"increased" ALT name a level: not a change.
_CHANGE_WORDS = r"(?:change|increase|decrease|rise|drop|decline|fall|reduction|loss|gain|variation|fluctuation)s?"
_CHANGE_BEFORE = re.compile(
    rf"\b{_CHANGE_WORDS}\s+(?:in|of)\s+(?:the\s+|their\s+|a\s+)?(?:[\w-]+\s+){{0,2}}$", re.IGNORECASE
)
_CHANGE_AFTER = re.compile(
    rf"^[^;.\d]{{0,25}}?\b{_CHANGE_WORDS}(?![\w-])|^[^;]{{0,40}}?\b(?:from|over|above|below|relative\s+to|compared\s+(?:to|with))\s+"
    r"(?:the\s+|their\s+)?(?:baseline|pre-?treatment|screening\s+value|nadir|previous\s+value)",
    re.IGNORECASE,
)


def _is_change(text: str, mention: _Mention, end: int) -> bool:
    """Whether the threshold read after `mention` (up to `end` characters past it) bounds a change, not a level."""
    before = text[max(0, mention.start - 40) : mention.start]
    after = text[mention.end : mention.end + end + 30]
    return bool(_CHANGE_BEFORE.search(before) or _CHANGE_AFTER.search(after))


def _read_threshold(analyte: str, segment: str):
    """(comparator, value, unit, uln_multiple, end, alternative) of the first threshold after an analyte name."""
    match = _threshold().match(segment)
    comparator: Comparator | None = None
    amount: re.Match[str] | None = None
    end = 0
    if match and not re.search(r"[.;]\s", match.group("pre")):
        comparator = _comparator(match.group("comp"))
        amount = _amount().match(match.group("amount"))
        end = match.end()
    else:
        between = _between().match(segment)
        if between and not re.search(r"[.;]\s", between.group("pre")):
            low, high = _number(between.group("low")), _number(between.group("high"))
            unit = normalise_unit(between.group("unit")) if between.group("unit") else None
            # A range is two thresholds; the lower one is returned and the upper one is its companion.
            return Comparator.GE, low, unit, False, between.end(), (Comparator.LE, high, unit, False, "range")
        bare = _bare_threshold().match(segment)
        if bare and not re.search(r"[.;]\s", bare.group("pre")):
            trailing_pattern, phrases = _trailing()
            trailing = trailing_pattern.match(segment[bare.end() :])
            if trailing:
                comparator = phrases[_canonical_name(trailing.group(1))]
                amount = _amount().match(bare.group("amount"))
                end = bare.end() + trailing.end()
    if comparator is None or amount is None:
        return None
    if (
        amount.group("value") is None
        and "uln" not in amount.group(0).lower()
        and "normal" not in amount.group(0).lower()
    ):
        return None
    uln = amount.group("value") is None
    if uln:
        value = _number(amount.group("mult")) if amount.group("mult") else 1.0
        unit = None
    else:
        value = _number(amount.group("value"))
        unit = normalise_unit(amount.group("unit")) if amount.group("unit") else None
        if unit is None and _WORD_AFTER_VALUE.match(segment[end:]):
            # "CR ≥ 4 weeks", "PT ≥ 2 cycles": a number followed by a word that is no unit is not a lab value; a
            # preposition or conjunction ("temperature > 38.0 on two readings") starts the next phrase instead.
            return None
    alternative = None
    rest = segment[end : end + 90]
    conditional = _CONDITIONAL.search(rest)
    second = _second_threshold().search(rest)
    if conditional and second and conditional.start() < 70:
        second_amount = _amount().match(second.group("amount"))
        if second_amount:
            second_uln = second_amount.group("value") is None
            second_value = (
                (_number(second_amount.group("mult")) if second_amount.group("mult") else 1.0)
                if second_uln
                else _number(second_amount.group("value"))
            )
            second_unit = None if second_uln else normalise_unit(second_amount.group("unit") or "") or unit
            alternative = (_comparator(second.group(1)), second_value, second_unit, second_uln, "conditional")
    return comparator, value, unit, uln, end, alternative


def _combine_labs(matches: list[tuple[LabMatch, str]], key: str, source: str) -> Check:
    groups: list[list[Check]] = [[]]
    for index, (match, connector) in enumerate(matches):
        if index and re.search(r"\bor\b", connector, re.IGNORECASE) and not re.search(r"\band\b", connector):
            groups.append([])
        check: Check = match.check
        if match.alternative is not None:
            if match.alternative.analyte and _is_range(match):
                check = AllOf((match.check, match.alternative))
            else:
                # "≤ 2.5 × ULN (≤ 5 × ULN with liver metastases)": the laxer bound holds only under a condition the
                # engine cannot check, so meeting only that one leaves the criterion open.
                condition = FreeText(f"{key}-if", ask_doctor=True, text=_readable(source))
                check = AnyOf((match.check, AllOf((match.alternative, condition))))
        groups[-1].append(check)
    options = [group[0] if len(group) == 1 else AllOf(tuple(group)) for group in groups if group]
    return options[0] if len(options) == 1 else AnyOf(tuple(options))


def _is_range(match: LabMatch) -> bool:
    alt = match.alternative
    return (
        alt is not None
        and match.check.comparator is Comparator.GE
        and alt.comparator is Comparator.LE
        and alt.value > match.check.value
        and alt.unit == match.check.unit
        and not alt.uln_multiple
    )


# --- The other rules -----------------------------------------------------------------------------------------

_AGE_WORD = re.compile(
    r"\b(?:age[ds]?|(?:years?|months?|weeks?|days?)[\s-]+old|(?:years?|months?|weeks?|days?)\s+of\s+age"
    r"|(?:year|month|week|day)-old|yrs?\s+old|y/o|adults?)\b|(?<![\w])y\.\s?o\.",
    re.IGNORECASE,
)
# An age may be written in years, months, weeks or days; each limit keeps the unit it is written in.
_AGE_UNIT = r"(?:years?|yrs?|y[./]\s?o\b\.?|y(?![\w/])(?!\.\s?o\b)|months?|mos?|weeks?|wks?|days?)(?![\w])"
# Lines worth reading for an age: an age word, "older"/"younger", or a line that opens with a number of years
# (months ...), as "18 years or older" and "Male or female between 18 and 65 years" do. Most lines are none of these.
_AGE_GATE = re.compile(
    r"\b(?:age[ds]?|old|older|younger|adults?)\b|(?<![\w])y[./]\s?o\b"
    r"|^[^\d]{0,60}?\d{1,3}\s*(?:-|–|to|and)?\s*(?:<=?|≤)?\s*\d{0,3}\s*(?:years?|yrs?|months?|mos?|weeks?|wks?|days?)\b",
    re.IGNORECASE,
)
# Words that may stand before an age limit on a line of its own: "Patients must be over 18 years".
_AGE_SUBJECT = re.compile(
    r"^[\s:,;(\-–]*(?:(?:male|female|men|women|and|or|patients?|participants?|subjects?|persons?|people|individuals?"
    r"|adults?|children|child|infants?|neonates?|newborns?|boys?|girls?|adolescents?|volunteers?|healthy|must|should"
    r"|be|are|is|who|sex|gender|aged?|(?:at\s+)?the\s+time\s+of\s+(?:consent|enrolment|enrollment|screening))"
    r"[\s:,;()\-–]*)*$",
    re.IGNORECASE,
)
# A number of years (months ...) followed by these words is a span of time: "at least 6 months after surgery".
_AGE_SPAN_AFTER = re.compile(
    r"\s*(?:since|after|before|prior|from|ago|post|following|previous|previously|earlier|duration|between|for|in"
    r"|within|without|until|on|off|of(?!\s+(?:age|life)\b))\b",
    re.IGNORECASE,
)
# The age of a pregnancy, or one corrected for prematurity, is not the person's age.
_NOT_THE_PERSONS_AGE = re.compile(
    r"gestation|post-?menstrual|post-?conception|corrected\s+age|bone\s+age", re.IGNORECASE
)


_AGE_RANGE = re.compile(
    rf"(?:age[ds]?\b[^.;\d]{{0,25}}?|between\s+)(?:between\s+|from\s+)?(?P<low>\d{{1,3}})\s*(?P<lu>{_AGE_UNIT})?\s*(?:-|–|to|and)\s*(?:(?P<below><(?!=))|<=|≤)?\s*(?P<high>\d{{1,3}})\s*(?P<hu>{_AGE_UNIT})?",
    re.IGNORECASE,
)
_AGE_RANGE_OLD = re.compile(
    rf"(?<![\d.])(?P<low>\d{{1,3}})\s*(?P<lu>{_AGE_UNIT})?\s*(?:-|–|to)\s*(?:(?P<below><(?!=))|<=|≤)?\s*(?P<high>\d{{1,3}})\s*(?P<hu>(?:years?|yrs?|months?|weeks?|days?))[\s-]*(?:of\s+age|old)\b",
    re.IGNORECASE,
)
_AGE_NUMBER = re.compile(rf"(?P<n>\d{{1,3}})\s*(?P<unit>{_AGE_UNIT})?\s*(?:of\s+age|old)?", re.IGNORECASE)


@cache
def _age_compared() -> re.Pattern[str]:
    comparators, _ = _comparator_pattern()
    return re.compile(
        rf"(?P<comp>{comparators}|(?<![\w])(?:older|younger)\s+than(?![\w]))\s*(?:the\s+age\s+of\s+)?(?P<n>\d{{1,3}}(?:\.\d)?)\s*(?P<unit>{_AGE_UNIT})?",
        re.IGNORECASE,
    )


@cache
def _other_quantity() -> re.Pattern[str]:
    return re.compile(r"\s*(?:%|" + _unit_pattern() + ")", re.IGNORECASE)


def _age_unit(written: str | None) -> str:
    """The unit an age limit is written in: years unless months, weeks or days are written."""
    first = (written or "y").strip().lower()[:1]
    return {"m": "months", "w": "weeks", "d": "days"}.get(first, "years")


def _age_days(value: float, unit: str) -> float:
    return value * AGE_UNIT_DAYS[unit]


_AGE_GATE_WORDS = ("age", "old", "younger", "adult", "y.", "y/")
_DIGIT = re.compile(r"\d")


def _may_be_an_age(text: str) -> bool:
    """False when `_AGE_GATE` cannot match: an ASCII text holding none of its words (lowercased) and no digit in its
    first 61 characters. Most lines are such, and the gate is one of the dearer searches of a line."""
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(word in lowered for word in _AGE_GATE_WORDS) or bool(_DIGIT.search(text, 0, 61))


def _age(text: str) -> Check | None:
    if not _may_be_an_age(text) or not _AGE_GATE.search(text) or _NOT_THE_PERSONS_AGE.search(text):
        return None
    checks: list[Check] = []
    # "between 20 and 30 kg/m2 and aged 18-45": a range without an age word or "years" is something else.
    range_match = next(
        (
            match
            for match in _AGE_RANGE.finditer(text)
            if re.search(r"\bage", match.group(0), re.IGNORECASE)
            or _age_unit(match.group("hu") or match.group("lu")) == "years"
            and (match.group("hu") or match.group("lu"))
            or re.match(r"[\s-]*(?:of\s+age|old)\b", text[match.end() :], re.IGNORECASE)
        ),
        None,
    )
    if not range_match:
        # "35-75 years old", "adult 40-80 years of age", "18 to 64 year-old women", "12 weeks to 6 years of age"
        range_match = _AGE_RANGE_OLD.search(text)
    if range_match and not _AGE_WORD.search(text) and not _AGE_SUBJECT.match(text[: range_match.start()]):
        range_match = None  # "have a child between 6 and 13 years": someone else's age
    if range_match:
        high_unit = _age_unit(range_match.group("hu") or range_match.group("lu"))
        low_unit = _age_unit(range_match.group("lu")) if range_match.group("lu") else high_unit
        low, high = float(range_match.group("low")), float(range_match.group("high"))
        if _age_days(low, low_unit) < _age_days(high, high_unit) <= _age_days(130, "years"):
            # "2 to <18 years": the upper bound is exclusive as written
            upper = Comparator.LT if range_match.group("below") else Comparator.LE
            return AllOf((AgeCheck(Comparator.GE, low, low_unit), AgeCheck(upper, high, high_unit)))
    for match in _age_compared().finditer(text):
        before = text[max(0, match.start() - 40) : match.start()]
        after = text[match.end() : match.end() + 20]
        written = match.group("comp").lower()
        unit = _age_unit(match.group("unit"))
        if _AGE_SPAN_AFTER.match(after):  # "more than 5 years since diagnosis" is a span of time, not an age
            continue
        if not match.group("unit") and _other_quantity().match(after):
            continue  # "ages 6 to 24 months (and at least 7 kg)", "no more than 10%": another quantity
        if unit == "years":
            named = re.search(r"\bage[ds]?\b|\badults?\b", before + match.group(0), re.IGNORECASE)
        else:  # "age < 12 months"; "adults with a life expectancy > 3 months" is no age
            named = re.search(r"\bage[ds]?\s*(?:of\s*)?[:(]?\s*$", before, re.IGNORECASE)
        about_the_person = named or _AGE_SUBJECT.match(text[: match.start()])
        if (
            named
            or (
                re.match(r"\s*(?:years?|yrs?)?\s*(?:of\s+age|old|years?\s+old)", after, re.IGNORECASE)
                and (unit == "years" or about_the_person)
            )
            or (written.startswith(("older", "younger")) and (match.group("unit") or named))
            or re.match(r"y[./]\s?o", match.group("unit") or "", re.IGNORECASE)
            or (match.group("unit") and _AGE_SUBJECT.match(text[: match.start()]))
        ):
            if written.startswith(("older", "younger")):
                comparator = Comparator.GT if written.startswith("older") else Comparator.LT
            else:
                comparator = _comparator(match.group("comp"))
            checks.append(AgeCheck(comparator, float(match.group("n")), unit))
    trailing_pattern, phrases = _trailing()
    for match in _AGE_NUMBER.finditer(text):
        trailing = trailing_pattern.match(text[match.end() :])
        if not trailing:
            continue
        # "18 years or older" says age by itself; "18 or more" needs an age word near it, and without a unit
        # before it ("aged 18 or older"): "a group of 6 or more adults" counts people.
        says_age = re.search(r"older|younger", trailing.group(1), re.IGNORECASE) and match.group("unit")
        near = (
            text[max(0, match.start() - 30) : match.end() + trailing.end() + 15]
            if match.group("unit")
            else text[max(0, match.start() - 30) : match.start()]
        )
        if says_age or _AGE_WORD.search(near):
            unit = _age_unit(match.group("unit"))
            check = AgeCheck(phrases[_canonical_name(trailing.group(1))], float(match.group("n")), unit)
            if check not in checks:
                checks.append(check)
    checks = [
        check
        for check in checks
        if isinstance(check, AgeCheck) and 0 <= _age_days(check.value, check.unit) <= _age_days(130, "years")
    ]
    if not checks:
        return None
    return checks[0] if len(checks) == 1 else AllOf(tuple(dict.fromkeys(checks)))


_PERFORMANCE = re.compile(
    r"\b(?P<scale>ECOG|Eastern\s+Cooperative\s+Oncology\s+Group|WHO|World\s+Health\s+Organi[sz]ation|Zubrod|Karnofsky|KPS|Lansky|performance\s+status|PS)\b",
    re.IGNORECASE,
)


@cache
def _performance_compared() -> re.Pattern[str]:
    comparators, _ = _comparator_pattern()
    return re.compile(rf"(?P<comp>{comparators})\s*(?P<n>\d{{1,3}})\s*%?", re.IGNORECASE)


def _performance(text: str) -> Check | None:
    match = _PERFORMANCE.search(text)
    if not match or not re.search(r"performance|ecog|karnofsky|kps|zubrod|lansky|\bps\b", text, re.IGNORECASE):
        return None
    written = match.group("scale")
    karnofsky = (
        bool(re.match(r"karnofsky|kps|lansky", written, re.IGNORECASE))
        or bool(re.search(r"karnofsky|\bkps\b|lansky", text, re.IGNORECASE))
        and not re.search(r"ecog|who|zubrod", text, re.IGNORECASE)
    )
    scale, top = ("KARNOFSKY", 100) if karnofsky else ("ECOG", 5)
    rest = text[match.end() : match.end() + 80]
    compared = _performance_compared().search(rest)
    listed = re.search(r"(?<![\d.])(?P<first>\d{1,3})(?P<more>(?:\s*(?:,|or|-|to|/|and)\s*\d{1,3})*)\s*%?", rest)
    minimum: int | None = None
    maximum: int | None = None
    above = below = False
    if compared and (not listed or compared.start() <= listed.start()):
        # The bound is kept as written ("KPS < 50" is below 50, not "at most 40"): the scale's steps are for the
        # evaluator to apply.
        comparator, number = _comparator(compared.group("comp")), int(compared.group("n"))
        above, below = comparator is Comparator.GT, comparator is Comparator.LT
        if comparator in (Comparator.LE, Comparator.LT):
            minimum, maximum = 0, number
        elif comparator in (Comparator.GE, Comparator.GT):
            minimum, maximum = number, top
        else:
            minimum = maximum = number
    elif listed:
        numbers = [int(n) for n in re.findall(r"\d{1,3}", listed.group(0))]
        trailing_pattern, phrases = _trailing()
        trailing = trailing_pattern.match(rest[listed.end() :])
        if trailing and len(numbers) == 1:
            if phrases[_canonical_name(trailing.group(1))] is Comparator.GE:
                minimum, maximum = numbers[0], top
            else:
                minimum, maximum = 0, numbers[0]
        else:
            minimum, maximum = min(numbers), max(numbers)
    if minimum is None or maximum is None or maximum > top or minimum < 0 or minimum > maximum:
        return None
    if (above or below) and minimum == maximum:
        return None
    if scale == "ECOG" and not re.search(r"ecog|who|zubrod|eastern|world health|performance", text, re.IGNORECASE):
        return None
    return PerformanceStatus(
        scale,
        minimum,
        maximum,
        written=re.sub(r"\s+", " ", written),
        above_minimum=above,
        below_maximum=below,
    )


_LIFE = re.compile(r"life\s+expectancy", re.IGNORECASE)


@cache
def _life_span() -> re.Pattern[str]:
    comparators, _ = _comparator_pattern()
    return re.compile(
        rf"(?:(?P<comp>{comparators})\s*)?(?:of\s+)?(?P<n>\d+(?:\.\d+)?|{'|'.join(lexicon('cues')['number_words'])})\s*(?P<unit>weeks?|months?|years?|days?)\b",
        re.IGNORECASE,
    )


def _life_expectancy(text: str) -> Check | None:
    match = _LIFE.search(text)
    if not match:
        return None
    rest = text[match.end() : match.end() + 70]
    found = _life_span().search(rest)
    if not found:
        return None
    number = found.group("n").lower()
    value = float(lexicon("cues")["number_words"].get(number) or number)
    unit = found.group("unit").lower().rstrip("s")
    weeks = value * {"week": 1, "month": 52 / 12, "year": 52, "day": 1 / 7}[unit]
    comparator = _comparator(found.group("comp")) if found.group("comp") else Comparator.GE
    trailing_pattern, phrases = _trailing()
    trailing = trailing_pattern.match(rest[found.end() :])
    if trailing and not found.group("comp"):
        comparator = phrases[_canonical_name(trailing.group(1))]
    return LifeExpectancy(comparator, round(weeks, 2))


_PREGNANCY = re.compile(r"pregnan|lactat|breast[\s-]?feed|nursing", re.IGNORECASE)
_NOT_SIMPLE_PREGNANCY = re.compile(
    r"contracept|child[\s-]?bearing|pregnancy\s+test|birth\s+control|abstinen|sterili|post-?menopaus|partner|plan(?:ning|s)?\s+to|intend|sperm|condom",
    re.IGNORECASE,
)


def _pregnancy(text: str) -> Check | None:
    if not _PREGNANCY.search(text) or _NOT_SIMPLE_PREGNANCY.search(text) or len(text.split()) > 20:
        return None
    check = PregnancyCheck(
        pregnant=bool(re.search(r"pregnan", text, re.IGNORECASE)),
        breastfeeding=bool(re.search(r"lactat|breast[\s-]?feed|nursing", text, re.IGNORECASE)),
    )
    if re.search(r"\b(?:not|non)[\s-]+(?:be\s+)?(?:pregnant|lactating|breast)|\bnon-?pregnant", text, re.IGNORECASE):
        return Not(check)
    return check


_SEX = re.compile(
    r"^(?:(?:only|sex:?|gender:?)\s+)?(?P<sex>female|male|women|men|woman|man|girls?|boys?)s?"
    r"(?:\s+(?:patients?|subjects?|participants?|volunteers?|only|sex))*\s*(?:only)?\.?$",
    re.IGNORECASE,
)


def _sex(text: str) -> Check | None:
    if re.fullmatch(
        r"(?:both\s+)?(?:male|men)\s+(?:and|or|&)\s+(?:female|women)s?[\w\s]*\.?", text, re.IGNORECASE
    ) or re.fullmatch(r"(?:both\s+)?(?:female|women)\s+(?:and|or|&)\s+(?:male|men)s?[\w\s]*\.?", text, re.IGNORECASE):
        return SexCheck(Sex.ALL)
    match = _SEX.match(text.strip())
    if not match:
        return None
    word = match.group("sex").lower()
    return SexCheck(Sex.FEMALE if word.startswith(("fem", "wom", "girl")) else Sex.MALE)


def _status(marker: str, text: str, mention: _Mention) -> str | None:
    implied = lexicon("biomarkers")[marker].get("implied", {})
    status = implied.get(_canonical_name(mention.text)) or implied.get(mention.text.lower())
    if status:
        return status
    if marker == "braf_v600e" and not re.search(r"known|status|tested|wild|negative", text, re.IGNORECASE):
        return "mutated"
    cues = lexicon("cues")["biomarker_status"]
    if re.search(
        r"\bknown\b[^.;]{0,40}\bstatus\b|\bstatus\b[^.;]{0,20}\bknown\b|\bknown\b[^.;]{0,20}\b(?:mutation|mutational)\b",
        text,
        re.IGNORECASE,
    ):
        return "known"
    best: tuple[int, str] | None = None
    for status, words in cues.items():
        if status == "known":
            continue
        for match in _words_regex(tuple(words)).finditer(text):
            distance = min(abs(match.start() - mention.end), abs(mention.start - match.end()))
            if distance <= 40 and (best is None or distance < best[0]):
                best = (distance, status)
    return best[1] if best else None


def _biomarker(text: str) -> Check | None:
    pattern, names = _biomarkers()
    checks: list[Check] = []
    for mention in _find(pattern, names, text):
        entry = lexicon("biomarkers")[mention.key]
        if entry.get("case_sensitive") and not mention.text.isupper():
            continue
        if mention.key == "egfr_gene" and re.search(r"\beGFR\b|glomerular|ml/min", text):
            continue
        status = _status(mention.key, text, mention)
        if status is None:
            continue
        check = Biomarker(mention.key, status)
        if check not in checks:
            checks.append(check)
    if not checks:
        return None
    # A mutation found in BRAF V600E also names BRAF; keep the specific one.
    if any(isinstance(c, Biomarker) and c.marker == "braf_v600e" for c in checks):
        checks = [c for c in checks if not (isinstance(c, Biomarker) and c.marker == "braf")]
    if len(checks) == 1:
        return checks[0]
    either = re.search(r"\bor\b", text) and not re.search(r"\band\b", text)
    return AnyOf(tuple(checks)) if either else AllOf(tuple(checks))


def _negated(text: str) -> bool:
    opening = re.sub(
        r"^(?:patients?|subjects?|participants?|the\s+patient)\s+(?:with|who|must|should|has|have)?\s*",
        "",
        text.strip(),
        flags=re.IGNORECASE,
    )
    match = _cue("negation").match(opening)
    return bool(match) and match.start() == 0


def _qualifiers(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(match.group(0).lower() for match in _cue("qualifiers").finditer(text)))


def _prior_treatment(text: str, window: TimeWindow | None) -> Check | None:
    if not _cue("prior_treatment").search(text):
        return None
    current = re.search(r"\b(?:chronic|current(?:ly)?|concomitant|concurrent|ongoing)\b", text, re.IGNORECASE)
    kinds_pattern, kind_names = _treatment_kinds()
    drug_pattern, drug_names = _drugs()
    mentions = sorted(
        _find(kinds_pattern, kind_names, text) + _find(drug_pattern, drug_names, text), key=lambda m: m.start
    )
    if not mentions or current:
        return None
    organs = lexicon("conditions")["organs"]
    site = next(
        (organ for organ, words in organs.items() if _words_regex(tuple(words)).search(text[: mentions[-1].end + 20])),
        None,
    )
    condition_pattern, condition_names = _conditions()
    for_condition = re.search(r"\bfor\s+(?:the\s+)?(?:treatment\s+of\s+)?(.{3,60})", text, re.IGNORECASE)
    condition = None
    if for_condition:
        found = _find(condition_pattern, condition_names, for_condition.group(1))
        condition = found[0].key if found else None
    checks: list[Check] = []
    classes = lexicon("drugs")["classes"]
    for mention in mentions:
        if mention.key in lexicon("conditions")["treatment_kinds"]:
            check = PriorTreatment(mention.key, site=site, condition=condition, window=window)
        elif mention.key in classes:
            check = PriorTreatment(mention.key, condition=condition, window=window)
        else:
            check = PriorTreatment("drug", drug=mention.key, condition=condition, window=window)
        if check not in checks:
            checks.append(check)
    result: Check = checks[0] if len(checks) == 1 else AnyOf(tuple(checks))
    return Not(result) if _negated(text) else result


def _current_medication(text: str) -> Check | None:
    pattern, names = _drugs()
    mentions = _find(pattern, names, text)
    # A drug named inside parentheses is usually a reference ("methylprednisolone equivalent"), not another drug.
    outside = [m for m in mentions if text[: m.start].count("(") <= text[: m.start].count(")")]
    mentions = outside or mentions
    if not mentions or not _cue("current_medication").search(text):
        return None
    qualifiers = tuple(part.strip() for part in re.findall(r"\(([^)]{3,120})\)", text)) or _qualifiers(text)
    checks = list(dict.fromkeys(CurrentMedication(m.key, qualifiers) for m in mentions))
    result: Check = checks[0] if len(checks) == 1 else AnyOf(tuple(checks))
    return Not(result) if _negated(text) else result


_METASTASIS = re.compile(r"metasta|\bCRLM\b|secondar(?:y|ies)\s+(?:tumou?rs?|deposits|lesions)", re.IGNORECASE)


def _metastatic_site(text: str) -> Check | None:
    if not _METASTASIS.search(text):
        return None
    first = re.split(r"(?<=[.;])\s+", text, maxsplit=1)[0]
    pattern, names = _sites()
    mentions = _find(pattern, names, first)
    sites = list(dict.fromkeys(m.key for m in mentions))
    if "extrahepatic" in sites and "liver" in sites:
        sites.remove("liver")
    if not sites:
        return None
    qualifiers = _qualifiers(first)
    checks = [MetastaticSite(site, qualifiers) for site in sites]
    result: Check = checks[0] if len(checks) == 1 else AnyOf(tuple(checks))
    return Not(result) if _negated(first) else result


def _diagnosis(text: str) -> Check | None:
    pattern, names = _conditions()
    mentions = _find(pattern, names, text)
    if not mentions:
        return None
    concepts = tuple(dict.fromkeys(m.key for m in mentions))
    cues = lexicon("cues")
    histology = None
    for name, words in cues["histologies"].items():
        if _words_regex(tuple(words)).search(text) and name != "carcinoma":
            histology = name
            break
    confirmed = bool(re.search(r"\b(?:histolog|cytolog|patholog|biopsy)", text, re.IGNORECASE))
    history = bool(re.search(r"\b(?:history\s+of|prior|previous|past)\b", text, re.IGNORECASE))
    check = Diagnosis(concepts, histology, confirmed, history, _qualifiers(text))
    return Not(check) if _negated(text) else check


def _test_window(text: str, window: TimeWindow | None) -> Check | None:
    if window is None:
        return None
    for test, words in lexicon("cues")["tests"].items():
        if _words_regex(tuple(words), re.IGNORECASE if test != "ct" else 0).search(text) or (
            test == "ct" and re.search(r"(?<![\w])(?:CT|computed tomography)", text, re.IGNORECASE)
        ):
            return TestWindow(test, window)
    return None


def _condition_first(text: str) -> bool:
    conditions = _find(*_conditions(), text)
    drugs = _find(*_drugs(), text)
    return bool(conditions) and bool(drugs) and conditions[0].start < drugs[0].start


def _judgement(text: str) -> bool:
    return bool(_cue("judgement").search(text))


def _free_text(text: str, key: str) -> FreeText:
    if _cue("consent").search(text) and not _judgement(text):
        return FreeText(key, ask_doctor=False, topic="consent", text=_readable(text))
    doctor = _judgement(text) or bool(_cue("clinical").search(text)) or not _cue("self_report").search(text)
    return FreeText(key, ask_doctor=doctor, text=_readable(text))


def _readable(text: str) -> str:
    return text.replace(">=", "≥").replace("<=", "≤").strip()


_EXCEPTION = re.compile(
    r"(?:,\s*|\s+|\(\s*)(?:unless|except(?:\s+for)?(?:\s+the\s+following)?|with\s+the\s+exception\s+of|other\s+than)\b:?\s*",
    re.IGNORECASE,
)


def parse_check(text: str, *, key: str = "c", window: TimeWindow | None = None) -> Check:
    """The check one criterion's text expresses; FreeText when no rule applies. Never raises on text."""
    normal = normalise(text)
    if not normal:
        return _free_text(text, key)
    own_window = _window(normal)
    window = own_window or window
    exception = _EXCEPTION.search(normal)
    if exception and exception.start() > 3:
        main_text, rest = normal[: exception.start()], normal[exception.end() :]
        exception_text = re.split(r"(?<=[.;])\s+", rest, maxsplit=1)[0]
        main = _typed(main_text, key, window)
        if main is not None:
            waiver = _typed(exception_text, f"{key}-x", None) or _free_text(exception_text, f"{key}-x")
            return Unless(main, waiver)
    return _typed(normal, key, window) or _free_text(normal, key)


def _typed(text: str, key: str, window: TimeWindow | None) -> Check | None:
    labs = find_lab_thresholds(text, window)
    if labs:
        return _combine_labs(labs, key, text)
    # "18 years or older, ECOG 0 or 1": age, performance status and life expectancy on one line are all kept.
    found = [check for check in (_age(text), _performance(text), _life_expectancy(text)) if check is not None]
    if found:
        return found[0] if len(found) == 1 else AllOf(tuple(found))
    for rule in (_pregnancy, _sex):
        check = rule(text)
        if check is not None:
            return check
    if _judgement(text):
        return None
    check = _biomarker(text)
    if check is not None:
        return check
    check = _prior_treatment(text, window)
    if check is None and _condition_first(text):
        # "Organ allografts requiring immunosuppressive therapy" is about the condition; the drug qualifies it.
        check = _diagnosis(text)
    if check is None:
        check = _current_medication(text)
    if check is None:
        check = _metastatic_site(text) or _diagnosis(text)
    test = _test_window(text, window)
    if check is not None and test is not None and not isinstance(check, PriorTreatment | Not):
        return AllOf((check, test))
    return check or test
