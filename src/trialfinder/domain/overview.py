"""An overview: a trial told in plain words, sentence by sentence, each sentence with the record fields it came from.

Pure values: the web page shows them (headings, sentences, where each came from, which generator wrote them),
storage keeps them as JSON (storage/overviews.py) and the generators write them (overview/); they live in the domain
so that storage knows them without knowing the generators. Field names in `Sentence.source_fields` follow the domain
model: `conditions`, `brief_summary`, `arms[0].description`, `interventions[1].name`, `eligibility.ages`,
`eligibility.criteria`, `sites`, `start_date` ... (see `trialfinder.domain.trial.Trial`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

LANGUAGES = ("en", "nl")

BUILTIN = "builtin"
LANGUAGE_MODEL = "language-model"

# What a page says about who wrote an overview, in each language. The model's name, when known, is added by
# `Overview.label`.
GENERATOR_LABELS = {
    BUILTIN: {
        "en": "Written automatically from the registry record by trialfinder's built-in plain-language generator.",
        "nl": "Automatisch geschreven op basis van de registratie, door de ingebouwde eenvoudige-taalgenerator van trialfinder.",
    },
    LANGUAGE_MODEL: {
        "en": "Written automatically from the registry record by a language model{model}, and checked against the record.",
        "nl": "Automatisch geschreven op basis van de registratie, door een taalmodel{model}, en gecontroleerd aan de hand van de registratie.",
    },
}

# Sections in the order a page shows them, with their headings.
SECTION_HEADINGS = {
    "what": {"en": "What is being studied, and why", "nl": "Wat wordt er onderzocht, en waarom"},
    "who": {"en": "Who can join", "nl": "Wie kan meedoen"},
    "do": {"en": "What participants do", "nl": "Wat deelnemers doen"},
    "when": {"en": "How long it lasts", "nl": "Hoe lang het duurt"},
    "where": {"en": "Where it takes place", "nl": "Waar het plaatsvindt"},
}
SECTION_KEYS = tuple(SECTION_HEADINGS)


class OverviewError(ValueError):
    """An overview cannot be built or read back (an unknown language, a malformed stored form)."""


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence and the record fields it says something about (never empty)."""

    text: str
    source_fields: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise OverviewError("a sentence has no text")
        if not self.source_fields:
            raise OverviewError(f"a sentence has no source field: {self.text[:60]!r}")


@dataclass(frozen=True, slots=True)
class Section:
    key: str  # one of SECTION_KEYS
    heading: str  # in the overview's language
    sentences: tuple[Sentence, ...]


@dataclass(frozen=True, slots=True)
class Overview:
    """A trial in plain words, in one language, by one generator, for one version of its record."""

    nct_id: str
    language: str
    generator: str  # BUILTIN or LANGUAGE_MODEL
    generator_version: str  # builtin: its rules and lexicon version; model: the model's name
    record_version: str  # the trial's content hash (domain.codec.content_hash): a new record, a new overview
    sections: tuple[Section, ...]
    registry_url: str

    def __post_init__(self) -> None:
        if self.language not in LANGUAGES:
            raise OverviewError(f"unsupported language {self.language!r}")

    @property
    def sentences(self) -> tuple[Sentence, ...]:
        return tuple(sentence for section in self.sections for sentence in section.sentences)

    @property
    def text(self) -> str:
        """The sentences as plain paragraphs, one per section."""
        return "\n\n".join(" ".join(s.text for s in section.sentences) for section in self.sections)

    @property
    def generator_label(self) -> dict[str, str]:
        """Who wrote this overview, in every language the site has (the page picks its own)."""
        model = f" ({self.generator_version})" if self.generator == LANGUAGE_MODEL and self.generator_version else ""
        labels = GENERATOR_LABELS.get(self.generator, GENERATOR_LABELS[BUILTIN])
        return {language: text.format(model=model) for language, text in labels.items()}

    def label(self, language: str | None = None) -> str:
        return self.generator_label[language or self.language]

    def section(self, key: str) -> Section | None:
        return next((section for section in self.sections if section.key == key), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nct_id": self.nct_id,
            "language": self.language,
            "generator": self.generator,
            "generator_version": self.generator_version,
            "record_version": self.record_version,
            "registry_url": self.registry_url,
            "sections": [
                {
                    "key": section.key,
                    "heading": section.heading,
                    "sentences": [{"text": s.text, "source_fields": list(s.source_fields)} for s in section.sentences],
                }
                for section in self.sections
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Overview:
        try:
            return cls(
                nct_id=data["nct_id"],
                language=data["language"],
                generator=data["generator"],
                generator_version=data["generator_version"],
                record_version=data["record_version"],
                registry_url=data["registry_url"],
                sections=tuple(
                    Section(
                        key=section["key"],
                        heading=section["heading"],
                        sentences=tuple(
                            Sentence(item["text"], tuple(item["source_fields"])) for item in section["sentences"]
                        ),
                    )
                    for section in data["sections"]
                ),
            )
        except (KeyError, TypeError) as error:
            raise OverviewError(f"not a stored overview: missing or malformed {error}") from None

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str | bytes) -> Overview:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise OverviewError(f"not a stored overview: {error}") from None
        if not isinstance(data, dict):
            raise OverviewError("not a stored overview: not an object")
        return cls.from_dict(data)
