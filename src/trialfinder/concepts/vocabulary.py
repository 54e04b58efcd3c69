"""The vocabulary of concepts: MeSH descriptors with their entry terms, lay English and Dutch words and abbreviations,
and how typed words are matched to them (`Vocabulary.match`), corrected (`Vocabulary.correct`) and placed in the
MeSH trees (`ancestors`, `narrower`).

The product ships one vocabulary, `data/vocabulary.tsv.gz` (built by scripts/build_vocabulary.py; format in
data/README.md), loaded once per process by `Vocabulary.bundled()`. Tests build small ones with `from_rows`.
Pure apart from reading that file; never logs what is matched.

Matching is on normalised text (`normalise`): case, accents, punctuation and British spellings do not count. Each
match key has a source that says when it counts:
  en   MeSH entry terms and lay English words: on every query;
  nl   Dutch words of the lexicon: on Dutch queries only (some are English words with another meaning: "lever");
  ab   abbreviations of conditions (NSCLC, COPD): in any case;
  EN, AB   the same, but only when typed in capitals: abbreviations of CAPS_ONLY_UP_TO letters and digits or fewer
       (MS, AML, CRC), and longer ones that are also everyday words in lowercase (COLD);
  a trailing "~" marks a key made by taking the singular of a term's plural last word ("liver metastasis" from
  "liver metastases").
"""

from __future__ import annotations

import bisect
import functools
import gzip
import re
import threading
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from trialfinder.concepts.normalise import normalise, singulars
from trialfinder.concepts.spelling import VOWEL_SLIP, DeletionIndex, damerau

Kind = Literal["condition", "body", "qualifier", "intervention", "abbreviation"]
KINDS: tuple[str, ...] = ("condition", "body", "qualifier", "intervention")

MAX_SPAN = 8  # typed words in one match
CAPS_ONLY_UP_TO = 3  # letters and digits: shorter abbreviations match only when typed in capitals
RARE_VARIANT = 20  # how much likelier the usual spelling of a rare variant must be (see Vocabulary._rare_variant)
FORMAT = "# trialfinder concept vocabulary, format 1"
BUNDLED = "data/vocabulary.tsv.gz"

_CAPS = ("EN", "AB")
_ALNUM = re.compile(r"[^\W_]")
_D_LINE = re.compile(r"^D\t([^\t\n]+)\t([^\n]*)$", re.MULTILINE)
_K_LINE = re.compile(r"^K\t([^\t\n]*)\t([^\n]*)$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class Span:
    """Typed words `start`..`end` (exclusive) matched to descriptors `concepts`."""

    start: int
    end: int
    concepts: tuple[str, ...]
    kind: Kind


@dataclass(frozen=True, slots=True)
class Descriptor:
    """A MeSH descriptor as the vocabulary holds it: `terms` are its entry terms (its name first), `lay` the lexicon's
    lay English words and `dutch` its Dutch words. `kind` says what it is to search: a condition (MeSH C and F03
    trees, and the moods the lexicon lists), a body part, a qualifier (metastasis: said with a condition) or an
    intervention (a drug or chemical, D trees)."""

    ui: str
    name: str
    trees: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()
    lay: tuple[str, ...] = ()
    dutch: tuple[str, ...] = ()
    kind: str = "condition"


def abbreviation_like(term: str) -> bool:
    """A term written as an abbreviation: one word, no lowercase letter, at least two letters (NSCLC, T2DM, B-ALL)."""
    return " " not in term.strip() and not any(c.islower() for c in term) and sum(c.isalpha() for c in term) >= 2


def alnum_length(term: str) -> int:
    return len(_ALNUM.findall(term))


def _typed_in_capitals(words: Sequence[str]) -> bool:
    text = "".join(words)
    return any(c.isalpha() for c in text) and not any(c.islower() for c in text)


class Vocabulary:
    """Descriptors and their match keys. Build with `bundled()`, `from_file()` or `from_rows()`."""

    def __init__(self, descriptors: Mapping[str, Descriptor | str], keys: Mapping[str, str], words: str):
        # Raw text, parsed on first use: `descriptors` maps an id to a Descriptor or to the rest of its file line
        # (name, kind, trees, terms, lay, dutch); `keys` maps a normalised key to "source<TAB>ids<TAB>source<TAB>ids..."
        # (ids separated by spaces); `words` is the file's W lines.
        self._descriptors: dict[str, Descriptor | str] = dict(descriptors)
        self._keys: dict[str, str] = dict(keys)
        self._words_text = words
        self._lock = threading.RLock()
        self._trees: list[tuple[str, str]] | None = None  # sorted (tree number, ui)
        self._by_tree: dict[str, str] | None = None
        # word -> (English terms using it, Dutch terms using it, trials of the starter catalogue using it)
        self._words: dict[str, tuple[int, int, int]] | None = None
        self._spelling: dict[str, DeletionIndex] = {}
        self._names: dict[str, str] | None = None

    # --- building ------------------------------------------------------------------------------------------------

    @classmethod
    @functools.cache
    def bundled(cls) -> Vocabulary:
        """The vocabulary the product ships, loaded once per process (about 0.2 s; the spelling index is built on
        the first correction, about 0.3 s more, or ahead of time by `warm`)."""
        data = resources.files("trialfinder.concepts").joinpath(BUNDLED).read_bytes()
        return cls.from_text(gzip.decompress(data).decode("utf-8"))

    @classmethod
    def from_file(cls, path: str | Path) -> Vocabulary:
        """A vocabulary file (format in data/README.md), gzip-compressed when its name ends in .gz."""
        path = Path(path)
        data = path.read_bytes()
        if path.suffix == ".gz":
            data = gzip.decompress(data)
        return cls.from_text(data.decode("utf-8"))

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        if not text.startswith(FORMAT):
            raise ValueError("not a trialfinder vocabulary (format 1)")
        # Whole sections are read by the regular expression engine into dicts of raw text, each value parsed when
        # first used: loading is then mostly decompression.
        w_start = text.find("\nW\t")
        head, tail = (text, "") if w_start < 0 else (text[: w_start + 1], text[w_start + 1 :])
        return cls(dict(_D_LINE.findall(head)), dict(_K_LINE.findall(head)), tail)

    @classmethod
    def from_rows(
        cls,
        descriptors: Iterable[Descriptor],
        abbreviations: Mapping[str, str] | None = None,
        *,
        caps_only: Collection[str] = (),
        known_words: Mapping[str, int] | Iterable[str] = (),
    ) -> Vocabulary:
        """A vocabulary from descriptors and abbreviations (as written -> descriptor id, one meaning each).

        A descriptor's terms become keys, except abbreviation-like terms (one word, no lowercase letter) of conditions
        and qualifiers: those are abbreviations, and only `abbreviations` says which ones count and for what.
        `caps_only` lists normalised abbreviations of more than CAPS_ONLY_UP_TO characters that must be typed in
        capitals all the same; `known_words` are English words that spelling correction leaves alone (besides the
        words of the vocabulary's terms), each with how often it is used (in how many trials of a catalogue), which
        also makes a correction to it likelier."""
        rows = {d.ui: d for d in descriptors}
        keys: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        caps = set(caps_only)

        def capital(term: str) -> bool:
            return alnum_length(term) <= CAPS_ONLY_UP_TO or normalise(term) in caps

        for ui, d in rows.items():
            condition = d.kind in ("condition", "qualifier")
            for term in (*d.terms, *d.lay):
                key = normalise(term)
                if not key or (condition and abbreviation_like(term)):
                    continue
                keys[key]["EN" if abbreviation_like(term) and capital(term) else "en"].add(ui)
            for term in d.dutch:
                key = normalise(term)
                if key:
                    keys[key]["nl"].add(ui)
        for abbreviation, ui in (abbreviations or {}).items():
            key = normalise(abbreviation)
            if key and ui in rows:
                keys[key]["AB" if capital(abbreviation) else "ab"].add(ui)
        # The singular of a plural last word, where it is not a term of its own ("liver metastasis").
        for key in sorted(keys):
            words = key.split()
            if len(words[-1]) < 5:
                continue
            for source, uis in list(keys[key].items()):
                if source not in ("en", "nl"):
                    continue
                for singular in singulars(words[-1]):
                    other = " ".join([*words[:-1], singular])
                    if source not in keys.get(other, {}):
                        keys[other][source + "~"].update(uis)
        # Words: how many condition (and body-part lay) terms use each, in English and in Dutch.
        english: dict[str, int] = defaultdict(int)
        dutch: dict[str, int] = defaultdict(int)
        for d in rows.values():
            if d.kind in ("condition", "qualifier"):
                terms = [t for t in (*d.terms, *d.lay) if not abbreviation_like(t)]
            elif d.kind == "body":
                terms = list(d.lay)
            else:
                continue
            for counts, spelled in ((english, terms), (dutch, d.dutch)):
                for word in {w for t in spelled for w in normalise(t).split() if w.isalpha()}:
                    counts[word] += 1
        known = {w for key, by_source in keys.items() if set(by_source) - {"nl", "nl~"} for w in key.split()}
        frequency: dict[str, int] = {}
        for word in known_words:
            frequency[normalise(word)] = known_words[word] if isinstance(known_words, Mapping) else 0
        known.update(frequency)
        lines = [
            f"W\t{w}\t{english.get(w, 0)}\t{dutch.get(w, 0)}\t{frequency.get(w, 0)}"
            for w in sorted(known | set(english) | set(dutch))
            if w.isalpha()
        ]
        flat = {
            key: "\t".join(f"{source}\t{' '.join(sorted(uis))}" for source, uis in sorted(by_source.items()))
            for key, by_source in keys.items()
        }
        return cls(rows, flat, "\n".join(lines) + "\n" if lines else "")

    def to_text(self, header: Sequence[str] = ()) -> str:
        """The vocabulary in the file format (data/README.md): sorted, so the same vocabulary gives the same text."""
        lines = [FORMAT + ".", *(f"# {line}" for line in header)]
        lines.append(
            "# D ui name kind trees terms lay dutch | K key (source ids)... | W word english-terms dutch-terms trials"
        )
        for ui in sorted(self._descriptors):
            d = self.descriptor(ui)
            assert d is not None
            fields = [d.ui, d.name, d.kind, " ".join(d.trees), "|".join(d.terms[1:]), "|".join(d.lay),
                      "|".join(d.dutch)]
            if any("\t" in f or "\n" in f for f in fields) or any("|" in t for t in (*d.terms, *d.lay, *d.dutch)):
                raise ValueError(f"{ui}: a tab, newline or | in a field")
            lines.append("D\t" + "\t".join(fields))
        for key in sorted(self._keys):
            lines.append(f"K\t{key}\t{self._keys[key]}")
        text = "\n".join(lines) + "\n"
        return text + self._words_text

    # --- descriptors and trees -----------------------------------------------------------------------------------

    def descriptor(self, ui: str) -> Descriptor | None:
        value = self._descriptors.get(ui)
        if value is None or isinstance(value, Descriptor):
            return value
        name, kind, trees, terms, lay, dutch = value.split("\t")
        descriptor = Descriptor(ui, name, tuple(trees.split()), (name, *_split(terms)), _split(lay), _split(dutch), kind)
        self._descriptors[ui] = descriptor
        return descriptor

    def __contains__(self, ui: object) -> bool:
        return ui in self._descriptors

    def __len__(self) -> int:
        return len(self._descriptors)

    def kind(self, ui: str) -> str | None:
        """What the descriptor is to search: condition, body, qualifier or intervention."""
        value = self._descriptors.get(ui)
        if value is None:
            return None
        return value.kind if isinstance(value, Descriptor) else value.split("\t", 2)[1]

    def ancestors(self, ui: str) -> frozenset[str]:
        """Every broader descriptor, through each of `ui`'s tree numbers, up to the roots of the trees (Neoplasms is
        C04; the category letters, C for Diseases, are no descriptors)."""
        d = self.descriptor(ui)
        if d is None:
            return frozenset()
        by_tree = self._tree_index()[1]
        found = set()
        for tree in d.trees:
            for i, c in enumerate(tree):
                if c == ".":
                    broader = by_tree.get(tree[:i])
                    if broader is not None:
                        found.add(broader)
        found.discard(ui)
        return frozenset(found)

    def narrower(self, ui: str) -> frozenset[str]:
        """Every descriptor below `ui` in any of its trees."""
        d = self.descriptor(ui)
        if d is None:
            return frozenset()
        trees = self._tree_index()[0]
        found = set()
        for tree in d.trees:
            prefix = tree + "."
            i = bisect.bisect_left(trees, (prefix, ""))
            while i < len(trees) and trees[i][0].startswith(prefix):
                found.add(trees[i][1])
                i += 1
        found.discard(ui)
        return frozenset(found)

    def _tree_index(self) -> tuple[list[tuple[str, str]], dict[str, str]]:
        if self._trees is None or self._by_tree is None:
            with self._lock:
                pairs = []
                for ui, value in list(self._descriptors.items()):
                    trees = value.trees if isinstance(value, Descriptor) else value.split("\t", 3)[2].split()
                    pairs.extend((tree, ui) for tree in trees)
                pairs.sort()
                self._by_tree = dict(pairs)
                self._trees = pairs
        return self._trees, self._by_tree

    def by_name(self, name: str) -> str | None:
        """The descriptor whose preferred name is `name` (normalised), or else the one descriptor with that entry term:
        how a legacy record's MeSH terms, which have names and no ids, are read."""
        if self._names is None:
            with self._lock:
                names: dict[str, str] = {}
                for ui in sorted(self._descriptors):
                    value = self._descriptors[ui]
                    names.setdefault(normalise(value.name if isinstance(value, Descriptor) else value.split("\t", 1)[0]), ui)
                self._names = names
        key = normalise(name)
        ui = self._names.get(key)
        if ui is not None:
            return ui
        uis = {u for source, found in _entries(self._keys.get(key, "")) if source in ("en", "EN") for u in found}
        return next(iter(uis)) if len(uis) == 1 else None

    # --- matching ------------------------------------------------------------------------------------------------

    def match(self, words: Sequence[str], *, language: str = "en") -> list[Span]:
        """Greedy longest matches, left to right, of up to MAX_SPAN typed words each; the singular of a span's last
        word is tried too. Dutch words count only when `language` is "nl", where they come before English ones;
        short abbreviations only when typed in capitals."""
        normalised = [normalise(w) for w in words]
        spans: list[Span] = []
        i, n = 0, len(words)
        while i < n:
            if not normalised[i]:
                i += 1
                continue
            for j in range(min(n, i + MAX_SPAN), i, -1):
                found = self._lookup(normalised[i:j], words[i:j], language)
                if found is not None:
                    spans.append(Span(i, j, *found))
                    i = j
                    break
            else:
                i += 1
        return spans

    def _lookup(self, normalised: Sequence[str], typed: Sequence[str], language: str):
        key = " ".join(w for w in normalised if w)
        found = self._entry(key, typed, language)
        if found is None:
            head, _, last = key.rpartition(" ")
            for singular in singulars(last) if len(last) >= 5 else ():
                found = self._entry(f"{head} {singular}" if head else singular, typed, language)
                if found is not None:
                    break
        if found is None and " of " in key:
            # "carcinoma of the lung" is "lung carcinoma", "cancer of the womb" is "womb cancer"
            what, _, where = key.partition(" of ")
            where = where.removeprefix("the ")
            if where and " of " not in where:
                found = self._lookup(where.split() + what.split(), (), language)
        return found

    def _entry(self, key: str, typed: Sequence[str], language: str) -> tuple[tuple[str, ...], Kind] | None:
        raw = self._keys.get(key)
        if not raw:
            return None
        capitals = None
        chosen: dict[str, set[str]] = {}
        for source, uis in _entries(raw):
            if source in _CAPS:
                if capitals is None:
                    capitals = _typed_in_capitals(typed)
                if not capitals:
                    continue
            group = _GROUP[source]
            if group == "nl" and language != "nl":
                continue
            chosen.setdefault(group, set()).update(uis)
        # Dutch words on Dutch queries first ("hernia" is a slipped disc there), then terms and lay words, then
        # abbreviations of conditions, then capitals-only terms of drugs and chemicals (DDD is a disease first).
        for group in ("nl", "en", "ab", "EN"):
            if group in chosen:
                concepts = tuple(sorted(chosen[group]))
                if group == "ab":
                    return concepts, "abbreviation"
                kinds = {self.kind(ui) for ui in concepts}
                return concepts, next((k for k in KINDS if k in kinds), "condition")  # type: ignore[return-value]
        return None

    # --- spelling ------------------------------------------------------------------------------------------------

    def correct(self, word: str, *, language: str = "en") -> str | None:
        """A spelling correction for a word the vocabulary does not know, from the words of its condition and lay
        terms (and, on Dutch queries, Dutch terms): Damerau distance 1 for words of 5 to 7 letters, 2 from 8 letters;
        none for shorter words, words with digits, known words, or when two candidates are about as likely (see
        `spelling.DeletionIndex`; a candidate is as likely as the number of terms and catalogue trials using it). Known: the words of every term and the English words of registry text; Dutch
        words only on Dutch queries ("multipel" is Dutch, and a slip in English)."""
        key = normalise(word)
        if len(key) < 5 or not key.isalpha():
            return None
        if self.knows(key, language=language):
            return self._rare_variant(key)
        return self._spelling_index(language).best(key, 1 if len(key) <= 7 else 2)

    def _rare_variant(self, word: str) -> str | None:
        """The usual spelling of a long word that one English term has, when one vowel away there is a word
        RARE_VARIANT times as likely (terms and registry trials using it): MeSH lists some misspellings as entry terms
        ("Body Image Disfunction"), and a few trials write them, but a person typing one means the usual spelling
        ("dysfunction")."""
        english, dutch, trials = self._word_uses()[word]
        if len(word) < 8 or english != 1 or dutch:
            return None
        index = self._spelling_index("en")
        best = index.best(word, 1)
        if best is None or index.weight(best) < RARE_VARIANT * (english + trials):
            return None
        # Only a vowel written for another: rarer words one consonant away are words of their own ("granulosa").
        if len(best) != len(word) or damerau(word, best, 1, VOWEL_SLIP) != VOWEL_SLIP:
            return None
        return best

    def knows(self, word: str, *, language: str = "en") -> bool:
        """Whether `word` is a word of the vocabulary's terms or a known word (Dutch ones on Dutch queries only)."""
        uses = self._word_uses().get(normalise(word))
        return uses is not None and (language == "nl" or uses[0] > 0 or uses[1] == 0)

    def warm(self) -> None:
        """Build the structures otherwise built on first use (trees, words, the spelling index), e.g. at start."""
        self._tree_index()
        self._spelling_index("en")

    def _word_uses(self) -> dict[str, tuple[int, int, int]]:
        if self._words is None:
            with self._lock:
                if self._words is None:
                    self._words = {
                        word: (int(english), int(dutch), int(trials))
                        for word, english, dutch, trials in _W_LINE.findall(self._words_text)
                    }
        return self._words

    def _spelling_index(self, language: str) -> DeletionIndex:
        language = "nl" if language == "nl" else "en"
        index = self._spelling.get(language)
        if index is None:
            words = self._word_uses()
            with self._lock:
                index = self._spelling.get(language)
                if index is None:
                    # Candidates: words of condition terms (Dutch ones on Dutch queries), weighted by how many terms
                    # and how many trials use them.
                    terms = (lambda uses: uses[0] + uses[1]) if language == "nl" else (lambda uses: uses[0])
                    index = DeletionIndex({w: terms(u) + u[2] for w, u in words.items() if terms(u) > 0})
                    self._spelling[language] = index
        return index

    # --- what a descriptor is also called ------------------------------------------------------------------------

    def also(self, ui: str, typed: str, *, language: str = "en", limit: int = 5) -> tuple[str, ...]:
        """Up to `limit` other words searched for `ui`: its entry terms in reading order (not "Neoplasms,
        Colorectal"), lay words and, on Dutch queries, Dutch words; none the same as `typed`, the preferred name or
        each other once normalised (plural or singular alike); shortest first."""
        d = self.descriptor(ui)
        if d is None:
            return ()
        pool = [t for t in d.terms[1:] if ", " not in t and not abbreviation_like(t)] + list(d.lay)
        if language == "nl":
            pool += list(d.dutch)
        seen = _forms(normalise(typed)) | _forms(normalise(d.name))
        out: list[str] = []
        for term in sorted(pool, key=lambda t: (len(t), t.casefold(), t)):
            forms = _forms(normalise(term))
            if forms & seen:
                continue
            seen |= forms
            out.append(term)
            if len(out) == limit:
                break
        return tuple(out)


_GROUP = {"en": "en", "en~": "en", "EN": "EN", "nl": "nl", "nl~": "nl", "ab": "ab", "AB": "ab"}
_W_LINE = re.compile(r"^W\t([^\t\n]+)\t(\d+)\t(\d+)\t(\d+)$", re.MULTILINE)


def _entries(raw: str) -> Iterable[tuple[str, list[str]]]:
    fields = raw.split("\t") if raw else []
    return ((fields[i], fields[i + 1].split()) for i in range(0, len(fields) - 1, 2))


def _forms(key: str) -> set[str]:
    """A key and its forms with the last word made singular: "colorectal tumors" is also "colorectal tumor"."""
    head, _, last = key.rpartition(" ")
    return {key} | {f"{head} {singular}" if head else singular for singular in singulars(last)}


def _split(field: str) -> tuple[str, ...]:
    return tuple(field.split("|")) if field else ()
