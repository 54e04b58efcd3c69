"""Plain-language overviews of trials: what a trial studies, who can join, what taking part involves, how long it
lasts and where it runs, in English or Dutch, each sentence traced to the record fields it came from.

    overview = generate_overview(trial, language="nl")            # the built-in generator, offline
    overview = generate_overview(trial, language="en", generator=LanguageModelGenerator(ChatClient(endpoint)))
    overview.sections[0].heading, overview.sections[0].sentences[0].source_fields, overview.generator_label["nl"]

With a model generator, any failure (no answer, a time-out, an answer that fails its check) gives the built-in
overview instead, labelled as such. Storage keeps overviews per record version (`storage.overviews`), and
`actions.overviews` writes them ahead of time, so a page never waits.
"""

from __future__ import annotations

import logging

from trialfinder.domain.codec import content_hash, encode_trial
from trialfinder.domain.overview import (
    BUILTIN,
    LANGUAGE_MODEL,
    LANGUAGES,
    SECTION_HEADINGS,
    Overview,
    OverviewError,
    Section,
    Sentence,
)
from trialfinder.domain.trial import Site, Trial
from trialfinder.overview import builtin
from trialfinder.overview.language_model import ModelError

__all__ = [
    "BUILTIN",
    "LANGUAGES",
    "LANGUAGE_MODEL",
    "Overview",
    "OverviewError",
    "Section",
    "Sentence",
    "generate_overview",
    "record_version",
    "with_nearest_site",
]

log = logging.getLogger("trialfinder.overview")


def record_version(trial: Trial) -> str:
    """The version of a record an overview is written for: the catalogue's content hash of the trial."""
    return content_hash(encode_trial(trial))


def generate_overview(trial: Trial, *, language: str, generator=None, near: Site | None = None) -> Overview:
    """An overview of `trial` in `language` ("en" or "nl").

    `generator` is None for the built-in generator, or a `LanguageModelGenerator`; when the model fails in any
    way, the built-in overview is returned (its `generator` says so). `near` is the site nearest to the reader,
    when the page knows it: the overview then names it.
    """
    if language not in LANGUAGES:
        raise OverviewError(f"unsupported language {language!r}")
    version = record_version(trial)
    if generator is not None:
        try:
            overview = generator.generate(trial, language=language, record_version=version)
        except ModelError as error:
            # The reason names the kind of failure, never the model's text.
            log.warning("overview model failed nct_id=%s language=%s reason=%s", trial.nct_id, language, error)
        else:
            return with_nearest_site(overview, near) if near is not None else overview
    return builtin.generate(trial, language=language, record_version=version, near=near)


def with_nearest_site(overview: Overview, site: Site) -> Overview:
    """`overview` (a stored one, say) with a sentence naming the site nearest to the reader, under "where"."""
    sentence = builtin.nearest_site_sentence(site, overview.language)
    sections = list(overview.sections)
    for index, section in enumerate(sections):
        if section.key == "where":
            sections[index] = Section(section.key, section.heading, (*section.sentences, sentence))
            break
    else:
        sections.append(Section("where", SECTION_HEADINGS["where"][overview.language], (sentence,)))
    return Overview(
        nct_id=overview.nct_id,
        language=overview.language,
        generator=overview.generator,
        generator_version=overview.generator_version,
        record_version=overview.record_version,
        sections=tuple(sections),
        registry_url=overview.registry_url,
    )
