"""What a search's text means: `read_query` reads it into a `Reading`, and `trial_concepts` says what a trial is about.

A Reading is what storage searches by (all clauses hold, no excluded term does, or the identifiers name the trial) and
what the page and the API show as "how we read your words" (`understood`). The syntax people expect:

- `"quoted words"`: one phrase, searched as typed (no concepts, no corrections inside quotes); an unclosed quote runs
  to the end of the text;
- `a OR b` (OR in capitals, between two words, phrases or concepts): either one; a dangling OR is ignored;
- `-word`, `-"a phrase"`: must not appear; a `-` inside a word ("covid-19", "non-small-cell") is part of it, and a
  lone `-` is ignored;
- identifiers: NCT numbers in any case, with or without a space or hyphen ("nct 06857773"), EU CT numbers
  (2023-506194-35-00) and EudraCT numbers (2019-001234-56) are taken out of the words (the caller looks them up);
  tokens that look like a sponsor's protocol id (letters and digits mixed, at least four, such as PAC303 or
  CA209-8HW) are listed too, and stay words as well.

Words outside quotes are matched to concepts (`Vocabulary.match`): each match is one term, satisfied by its words or
by a trial about one of its descriptors (or anything narrower). A word that is no concept and that the vocabulary does
not know is corrected when one correction is clear ("colorectral" -> "colorectal"). Stop words are storage's
business: every word is kept, up to domain.search.MAX_WORDS. Pure: the same text gives the same Reading; never logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal

from trialfinder.concepts.vocabulary import Span, Vocabulary
from trialfinder.domain.search import MAX_WORDS, WORD
from trialfinder.domain.trial import Trial

QUOTES = '"“”„'
_NCT = re.compile(r"\bnct[\s_-]*(\d{8})(?!\d)", re.IGNORECASE)
_EU_CT = re.compile(r"(?<![\d-])\d{4}-\d{6}-\d{2}(?:-\d{2})?(?![\d-])")
_EDGES = re.compile(r"^[^\w]+|[^\w]+$")
_ORDINAL = re.compile(r"^\d+(st|nd|rd|th|s)$", re.IGNORECASE)
_LONG_ID = re.compile(r"^D000(\d{6})$")


@dataclass(frozen=True, slots=True)
class Term:
    """One thing to match."""

    words: tuple[str, ...]  # the searchable words as typed (letters/digits, like domain.search.words), in order
    phrase: bool = False  # True: the words must appear together in this order (quoted, or a multi-word concept)
    concepts: tuple[str, ...] = ()  # MeSH descriptor ids that satisfy this term too (trials indexed with them or narrower)
    # Filled in by `read_field`: the concepts' direct broader descriptors, matched only where a trial is about exactly
    # that one ("colon cancer" takes a trial on colorectal cancer, not one on rectal cancer), and some of their
    # entry terms, matched as words (phrases of words, for trials whose concepts are not known or not indexed).
    broader: tuple[str, ...] = ()
    synonyms: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Clause:
    """Any one of its terms (several when the person typed OR)."""

    terms: tuple[Term, ...]


@dataclass(frozen=True, slots=True)
class Understood:
    """One line of "how we read your words"."""

    typed: str  # the words as read: as typed, or as corrected (then `corrected_from` holds them as typed)
    concept: str  # descriptor id; "" for a corrected word that names no concept
    name: str  # its MeSH preferred name ("" with no concept)
    also: tuple[str, ...]  # up to 5 other words also searched (entry terms, lay, Dutch in the query's language)
    corrected_from: str | None = None  # when a spelling was corrected: the words as typed


@dataclass(frozen=True, slots=True)
class Reading:
    clauses: tuple[Clause, ...] = ()  # all must hold
    excluded: tuple[Term, ...] = ()  # none may hold (leading minus)
    identifiers: tuple[str, ...] = ()  # ids typed: NCT ids canonical; EU CT, EudraCT and others uppercased
    understood: tuple[Understood, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        """Nothing to search by: no words, no exclusions, no identifiers."""
        return not (self.clauses or self.excluded or self.identifiers)


@dataclass(slots=True)
class _Item:
    """A piece of the text: a chunk of words, a quoted phrase, or OR."""

    kind: str  # "words", "phrase" or "or"
    text: str = ""
    negated: bool = False


def read_query(
    text: str, *, vocabulary: Vocabulary | None, language: str = "en", expand: bool = True
) -> Reading:
    """Read a search's text (see the module's docstring). With no vocabulary, or `expand` False: syntax and
    identifiers only, no concepts and no corrections."""
    identifiers: list[str] = []
    for match in _NCT.finditer(text):
        identifiers.append("NCT" + match.group(1))
    text = _NCT.sub(" ", text)
    for match in _EU_CT.finditer(text):
        identifiers.append(match.group().upper())
    text = _EU_CT.sub(" ", text)

    items = _items(text)
    concepts = vocabulary if expand else None
    identifiers += _protocol_ids(items, concepts)

    budget = MAX_WORDS
    units: list[Term | str] = []  # terms and "or", in order
    excluded: list[Term] = []
    understood: list[Understood] = []
    run: list[str] = []

    def flush() -> None:
        if run:
            units.extend(_read_run(run, concepts, language, understood))
            run.clear()

    for item in items:
        if item.kind == "or":
            flush()
            units.append("or")
            continue
        words = WORD.findall(item.text)[:budget]
        budget -= len(words)
        if item.kind == "words" and not item.negated:
            run.extend(words)
            continue
        flush()
        if not words:
            continue
        if item.negated:
            excluded.append(_excluded(words, item.kind == "phrase", concepts, language))
            units.append("not")
        else:
            units.append(Term(tuple(words), phrase=True))
    flush()

    clauses: list[list[Term]] = []
    after_or = False  # an OR came right after a term: the next term joins that term's clause
    after_term = False
    for unit in units:
        if unit == "or":
            after_or, after_term = after_or or after_term, False
        elif unit == "not":
            after_or = after_term = False
        else:
            assert isinstance(unit, Term)
            if after_or:
                clauses[-1].append(unit)
            else:
                clauses.append([unit])
            after_or, after_term = False, True
    seen: set[tuple[str, str]] = set()
    lines = []
    for line in understood:
        if (line.typed, line.concept) not in seen:
            seen.add((line.typed, line.concept))
            lines.append(line)
    return Reading(
        clauses=tuple(Clause(tuple(terms)) for terms in clauses),
        excluded=tuple(excluded),
        identifiers=tuple(dict.fromkeys(identifiers)),
        understood=tuple(lines),
    )


def _items(text: str) -> list[_Item]:
    """The text as chunks of words, quoted phrases and ORs, each maybe negated by a leading minus."""
    items: list[_Item] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        negated = False
        if text[i] == "-":
            j = i
            while j < n and text[j] == "-":
                j += 1
            if j == n or text[j].isspace():  # a lone minus
                i = j
                continue
            negated, i = True, j
        if text[i] in QUOTES:
            end = next((k for k in range(i + 1, n) if text[k] in QUOTES), n)
            items.append(_Item("phrase", text[i + 1 : end], negated))
            i = end + 1
            continue
        j = i
        while j < n and not text[j].isspace() and text[j] not in QUOTES:
            j += 1
        chunk = text[i:j]
        i = j
        if chunk == "OR" and not negated:
            items.append(_Item("or"))
        else:
            items.append(_Item("words", chunk, negated))
    return items


def _protocol_ids(items: list[_Item], vocabulary: Vocabulary | None) -> list[str]:
    """Chunks that look like a sponsor's protocol id: letters and digits mixed, at least four of them; not one
    concept of the vocabulary (T2DM, COVID-19)."""
    found = []
    for item in items:
        if item.kind != "words" or item.negated:
            continue
        chunk = _EDGES.sub("", item.text)
        alnum = [c for c in chunk if c.isalnum()]
        if len(alnum) < 4 or not any(c.isdigit() for c in alnum) or not any(c.isalpha() for c in alnum):
            continue
        if _ORDINAL.match(chunk):
            continue
        if vocabulary is not None:
            words = WORD.findall(chunk)
            spans = vocabulary.match(words)
            if len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(words):
                continue
        found.append(chunk.upper())
    return found


def _read_run(
    words: list[str], vocabulary: Vocabulary | None, language: str, understood: list[Understood]
) -> list[Term]:
    """Consecutive plain words: concept spans become one term each, other words one term each, corrected where a
    correction is clear."""
    if vocabulary is None:
        return [Term((word,)) for word in words]
    spans = vocabulary.match(words, language=language)
    covered = {i for span in spans for i in range(span.start, span.end)}
    read = list(words)
    corrected: dict[int, str] = {}
    for i, word in enumerate(words):
        if i in covered or word.isupper():  # NSCLC, PTSD: an abbreviation or an id, not a slip
            continue
        correction = vocabulary.correct(word, language=language)
        if correction is not None:
            read[i] = correction
            corrected[i] = word
    if corrected:
        spans = vocabulary.match(read, language=language)
    terms: list[Term] = []
    i = 0
    starts = {span.start: span for span in spans}
    while i < len(read):
        span = starts.get(i)
        if span is None:
            terms.append(Term((read[i],)))
            if i in corrected:
                understood.append(Understood(read[i], "", "", (), corrected_from=corrected[i]))
            i += 1
            continue
        span_words = tuple(read[span.start : span.end])
        terms.append(Term(span_words, phrase=len(span_words) > 1, concepts=span.concepts))
        typed = " ".join(span_words)
        was = " ".join(words[span.start : span.end]) if any(k in corrected for k in range(span.start, span.end)) else None
        understood.extend(_understood(span, typed, was, vocabulary, language))
        i = span.end
    return terms


def _understood(
    span: Span, typed: str, corrected_from: str | None, vocabulary: Vocabulary, language: str
) -> list[Understood]:
    lines = []
    for ui in span.concepts:
        descriptor = vocabulary.descriptor(ui)
        if descriptor is not None:
            also = vocabulary.also(ui, typed, language=language)
            lines.append(Understood(typed, ui, descriptor.name, also, corrected_from))
    return lines


def _excluded(words: list[str], quoted: bool, vocabulary: Vocabulary | None, language: str) -> Term:
    """An excluded word or phrase: a quoted phrase as typed; a word or words that are one concept with it."""
    if quoted:
        return Term(tuple(words), phrase=True)
    if vocabulary is not None:
        spans = vocabulary.match(words, language=language)
        if len(spans) == 1 and spans[0].start == 0 and spans[0].end == len(words):
            return Term(tuple(words), phrase=len(words) > 1, concepts=spans[0].concepts)
    return Term(tuple(words), phrase=len(words) > 1)


# --- what a trial is about ---------------------------------------------------------------------------------------

_CONDITION_KINDS = ("condition", "qualifier", "abbreviation")


def own_concepts(trial: Trial, vocabulary: Vocabulary) -> frozenset[str]:
    """The descriptors a trial is about, for storage to index: its MeSH terms (by id, or by name for legacy records,
    whose terms have none; ids written D000xxxxxx are read as Dxxxxxx), the conditions (and qualifiers, such as
    metastasis, and abbreviations) matched in its conditions and keywords, the drugs and chemicals matched in its
    interventions' names and other names."""
    found: set[str] = set()
    for term in trial.mesh_terms:
        ui = term.id.strip() if term.id else None
        if ui:
            short = _LONG_ID.match(ui)
            if short and ui not in vocabulary and "D" + short.group(1) in vocabulary:
                ui = "D" + short.group(1)
        else:
            ui = vocabulary.by_name(term.term)
        if ui:
            found.add(ui)
    for text in (*trial.conditions, *trial.keywords):
        for span in vocabulary.match(_text_words(text)):
            if span.kind in _CONDITION_KINDS:
                found.update(span.concepts)
    for intervention in trial.interventions:
        for text in (intervention.name, *intervention.other_names):
            for span in vocabulary.match(_text_words(text)):
                if span.kind == "intervention":
                    found.update(span.concepts)
    return frozenset(found)


def trial_concepts(trial: Trial, vocabulary: Vocabulary) -> frozenset[str]:
    """`own_concepts`, and every ancestor of each, so that a search for a broader concept finds the trial."""
    return with_ancestors(own_concepts(trial, vocabulary), vocabulary)


def with_ancestors(concepts: frozenset[str], vocabulary: Vocabulary) -> frozenset[str]:
    return concepts.union(*(vocabulary.ancestors(ui) for ui in concepts))


# --- matching a reading ----------------------------------------------------------------------------------------

SYNONYMS_PER_CONCEPT = 8
_BROADER_MIN_DEPTH = 3  # tree numbers of at least three parts: "Digestive System Neoplasms" yes, "Liver Diseases" no


Field = Literal["text", "condition", "intervention"]
# The MeSH tree categories whose concepts a field takes: the conditions field diseases, mental disorders and states,
# and body parts ("liver" in "liver metastases"); the interventions field drugs, chemicals, procedures and devices.
# Words "anywhere" (`text`) take every concept.
FIELD_TREES: dict[str, str] = {"condition": "ACFG", "intervention": "DEJ"}


@lru_cache(maxsize=4096)
def read_field(
    text: str, *, vocabulary: Vocabulary | None, language: str = "en", expand: bool = True, field: Field = "text"
) -> Reading | None:
    """How the page, the API and the alert run read one field of a search: `read_query`, then (with a vocabulary and
    `expand`) each term's concepts kept to those its field takes, and widened with what storage matches besides
    them: the concepts' direct broader descriptors (below the most general levels of the trees), matched where a
    trial is about exactly one of them; and, for a body part, which is no trial's concept, up to
    SYNONYMS_PER_CONCEPT short English names looked for as words ("lever": "liver"). None: nothing to search by.
    Remembered: the alert run reads thousands of saved searches, most of them alike."""
    reading = read_query(text, vocabulary=vocabulary, language=language, expand=expand)
    if reading.is_empty:
        return None
    if vocabulary is None or not expand:
        return reading
    trees = FIELD_TREES.get(field)

    def takes(ui: str) -> bool:
        return trees is None or _in_trees(ui, trees, vocabulary)

    def term(item: Term) -> Term:
        kept = [ui for ui in item.concepts if takes(ui)]
        body = [ui for ui in kept if vocabulary.kind(ui) == "body"]
        concepts = tuple(ui for ui in kept if ui not in body)
        broader = dict.fromkeys(ui for concept in concepts for ui in direct_broader(concept, vocabulary))
        return replace(
            item,
            concepts=concepts,
            broader=tuple(ui for ui in broader if ui not in concepts),
            synonyms=tuple(dict.fromkeys(words for ui in body for words in entry_words(ui, vocabulary))),
        )

    return replace(
        reading,
        clauses=tuple(replace(clause, terms=tuple(term(t) for t in clause.terms)) for clause in reading.clauses),
        excluded=tuple(term(t) for t in reading.excluded),
        # A concept this field does not take is not reported as read (a correction without a concept still is).
        understood=tuple(line for line in reading.understood if not line.concept or takes(line.concept)),
    )


def _in_trees(ui: str, trees: str, vocabulary: Vocabulary) -> bool:
    descriptor = vocabulary.descriptor(ui)
    return descriptor is not None and any(tree[:1] in trees for tree in descriptor.trees)


def direct_broader(ui: str, vocabulary: Vocabulary) -> tuple[str, ...]:
    """The descriptors one level above `ui` in any of its trees, when that level is not among the most general."""
    descriptor = vocabulary.descriptor(ui)
    if descriptor is None:
        return ()
    wanted = {tree.rsplit(".", 1)[0] for tree in descriptor.trees if tree.count(".") >= _BROADER_MIN_DEPTH}
    found = []
    for candidate in sorted(vocabulary.ancestors(ui)):
        broader = vocabulary.descriptor(candidate)
        if broader is not None and wanted.intersection(broader.trees):
            found.append(candidate)
    return tuple(found)


def entry_words(ui: str, vocabulary: Vocabulary) -> tuple[tuple[str, ...], ...]:
    """Short English entry terms of a descriptor as words: its name and terms of at most three words without the
    inverted MeSH form ("Neoplasms, Colorectal"), shortest first, one per spelling."""
    descriptor = vocabulary.descriptor(ui)
    if descriptor is None:
        return ()
    seen: dict[tuple[str, ...], None] = {}
    for text in sorted((descriptor.name, *descriptor.terms), key=lambda t: (len(t), t)):
        if "," in text:
            continue
        words = tuple(word.casefold() for word in WORD.findall(text))
        if 0 < len(words) <= 3:
            seen.setdefault(words, None)
        if len(seen) >= SYNONYMS_PER_CONCEPT:
            break
    return tuple(seen)


def _text_words(text: str) -> list[str]:
    """A registry field's words; in lowercase when the field is written all in capitals ("BREAST CANCER"), so that its
    words are not read as abbreviations typed in capitals (a lone "NSCLC" still is)."""
    words = WORD.findall(text)
    if len(words) > 1 and not any(c.islower() for c in text):
        words = [w.lower() for w in words]
    return words
