"""A person to match, read from a description or a FHIR bundle: the facts the eligibility engine evaluates, the facts
with their spans (to show why), and the topics (conditions) that retrieve candidate trials."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from trialfinder.concepts.query import Clause, Reading, Term, direct_broader
from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.domain.search import words as text_words
from trialfinder.eligibility import PatientFacts, facts_from_fhir
from trialfinder.facts import Facts, read_facts, to_eligibility_facts

# Topics a description can name before the rest is noise for retrieval; a clinical note rarely names more.
MAX_TOPICS = 24
# Fewer words than this, and no condition found: the words themselves retrieve (the first few content words).
MAX_FALLBACK_WORDS = 12
_KINDS = ("condition", "qualifier", "abbreviation")


class EmptyDescription(ValueError):
    """Nothing to match on: an empty description, or a bundle with nothing the engine can use."""


@dataclass(frozen=True, slots=True)
class Topic:
    """Something the person has (a condition, now or in the past) as MeSH descriptors and the words that named it."""

    concepts: tuple[str, ...]
    words: tuple[str, ...]
    current: bool = True


@dataclass(frozen=True, slots=True)
class Patient:
    facts: PatientFacts
    topics: tuple[Topic, ...]
    found: Facts = field(default_factory=Facts)  # from a description: every fact with its span
    problems: tuple[str, ...] = ()  # from a bundle: what could not be read
    fallback_words: tuple[str, ...] = ()  # retrieval words when no condition was recognised

    def age_on(self, day: date) -> float | None:
        """Age in whole years on `day`, from a date of birth or the age given."""
        return self.facts.age_on(day)

    @property
    def sex(self) -> str | None:
        return self.facts.sex

    def reading(self, vocabulary: Vocabulary) -> Reading | None:
        """What retrieves this person's candidate trials: any of their topics (a trial about the concept or a
        narrower one, or about its direct broader one; the words in the free text), else the fallback words."""
        terms = [
            Term(
                topic.words,
                phrase=len(topic.words) > 1,
                concepts=topic.concepts,
                broader=tuple(b for ui in topic.concepts for b in direct_broader(ui, vocabulary)),
            )
            for topic in self.topics
        ]
        terms += [Term((word,)) for word in self.fallback_words if not self.topics]
        if not terms:
            return None
        return Reading(clauses=(Clause(tuple(terms)),))


def patient_from_text(text: str, *, language: str = "en", today: date, vocabulary: Vocabulary | None = None) -> Patient:
    """A person from their own words or a clinical note. Raises EmptyDescription when there is nothing to read."""
    if not isinstance(text, str) or not text.strip():
        raise EmptyDescription("The description is empty: describe the person, their illness and its treatment.")
    vocabulary = vocabulary or Vocabulary.bundled()
    found = read_facts(text, language=language, vocabulary=vocabulary, today=today)
    facts = to_eligibility_facts(found)
    topics: dict[tuple[str, ...], Topic] = {}
    for condition in found.conditions:
        if condition.negated or condition.family:
            continue
        concepts = tuple(ui for ui in condition.concepts if vocabulary.kind(ui) in _KINDS)
        if not concepts:
            continue
        current = not condition.history
        known = topics.get(concepts)
        if known is None or (current and not known.current):
            # The registry's text is English: a Dutch description's words are searched as the concept's name.
            named = condition.text if language == "en" else condition.name
            topics[concepts] = Topic(concepts, tuple(w.casefold() for w in text_words(named)), current)
    kept = sorted(topics.values(), key=lambda t: not t.current)[:MAX_TOPICS]
    fallback = () if kept else _content_words(text)
    if not kept and not fallback and not found:
        raise EmptyDescription("Nothing in the description could be read: name the illness, in a few words.")
    return Patient(facts, tuple(kept), found=found, fallback_words=fallback)


def patient_from_fhir(bundle: dict[str, Any] | str | bytes, *, vocabulary: Vocabulary | None = None) -> Patient:
    """A person from a FHIR R4 bundle (read leniently: what cannot be read is listed in `problems`). Raises
    EmptyDescription when nothing usable is in it."""
    vocabulary = vocabulary or Vocabulary.bundled()
    read = facts_from_fhir(bundle)
    topics: dict[tuple[str, ...], Topic] = {}
    for record in read.facts.conditions:
        concepts = tuple(c.code for c in record.codes if c.system == "mesh" and c.code in vocabulary)
        # A SNOMED display ends in its semantic tag: "Infiltrating duct carcinoma of breast (disorder)".
        words = text_words(_SEMANTIC_TAG.sub("", record.text))
        if not concepts:  # read as a description's conditions are: "Malignant tumor of colon" is Colonic Neoplasms
            named = read_facts(" ".join(words), vocabulary=vocabulary).conditions
            concepts = tuple(
                ui for c in named if not (c.negated or c.family) for ui in c.concepts if vocabulary.kind(ui) in _KINDS
            )
        if concepts and concepts not in topics:
            current = record.active is not False
            topics[concepts] = Topic(concepts, tuple(w.casefold() for w in words), current)
    facts = read.facts
    if not topics and facts == PatientFacts():
        problem = read.problems[0] if read.problems else "it holds no patient, condition, observation or medication"
        raise EmptyDescription(f"The FHIR bundle could not be used: {problem}")
    kept = sorted(topics.values(), key=lambda t: not t.current)[:MAX_TOPICS]
    return Patient(facts, tuple(kept), problems=read.problems)


_SEMANTIC_TAG = re.compile(r"\s*\([a-z ]+\)\s*$")
_STOP = frozenset(
    """about after again against also been before being below between both could does doing down during each
    from further have having here into just more most other over same should some such than that their them then
    there these they this those through under until very were what when where which while with would year years
    old patient patients presents presented history since months weeks days ago""".split()
)


def _content_words(text: str) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for word in text_words(text):
        folded = word.casefold()
        if len(folded) >= 4 and folded.isalpha() and folded not in _STOP:
            seen.setdefault(folded, None)
        if len(seen) >= MAX_FALLBACK_WORDS:
            break
    return tuple(seen)
