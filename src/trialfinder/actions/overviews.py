"""Write plain-language overviews ahead of time, so that a trial page never waits for one.

`write_overviews` runs after an import or a sync (or on its own, for the whole catalogue): for each trial and
language it writes the overview when none is stored for the trial's current record version, or when the
generator has changed since. With a language model, each model overview is asked for outside any transaction
(it can take seconds); a trial whose model answer fails gets the built-in overview, and the model is asked
again on the next run. `overview_for_page` is what a page calls: a stored overview, else the built-in one,
written and stored at once (a few milliseconds); it never calls a model.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from trialfinder.actions.catalogue_writer import utc_now
from trialfinder.domain.overview import BUILTIN, LANGUAGE_MODEL, Overview
from trialfinder.domain.trial import Site
from trialfinder.overview import LANGUAGES, generate_overview, with_nearest_site
from trialfinder.overview.builtin import generator_version as builtin_version
from trialfinder.overview.language_model import LanguageModelGenerator
from trialfinder.storage.database import Database
from trialfinder.storage.overviews import OverviewStore
from trialfinder.storage.trials import TrialStore

log = logging.getLogger("trialfinder.actions.overviews")


@dataclass
class OverviewReport:
    written: dict[str, int] = field(default_factory=lambda: {BUILTIN: 0, LANGUAGE_MODEL: 0})
    current: int = 0  # already stored for the current record and generator
    fell_back: int = 0  # the model failed; the built-in overview was written instead
    missing: int = 0  # asked-for NCT ids that are not in the catalogue

    def summary(self) -> str:
        return (
            f"{self.written[BUILTIN]:,} built-in and {self.written[LANGUAGE_MODEL]:,} model overviews written, "
            f"{self.current:,} current, {self.fell_back:,} model failures, {self.missing:,} not in the catalogue"
        )


def write_overviews(
    *,
    database: Database,
    nct_ids: Iterable[str] | None = None,
    languages: Iterable[str] = LANGUAGES,
    generator: LanguageModelGenerator | None = None,
    batch_size: int = 200,
) -> OverviewReport:
    """Write every missing or stale overview of `nct_ids` (default: the whole catalogue) in `languages`, by
    `generator` (default: the built-in one). One transaction per batch of trials."""
    started = time.monotonic()
    report = OverviewReport()
    languages = tuple(languages)
    wanted = generator.name if generator is not None else builtin_version()
    kind = LANGUAGE_MODEL if generator is not None else BUILTIN
    for versions in _batches(database, nct_ids, batch_size, report):
        with database.connect() as conn:
            store = OverviewStore(conn)
            trials = TrialStore(conn)
            todo: list[tuple[str, str]] = []
            for language in languages:
                current = store.current(versions, language=language, generator=kind, generator_version=wanted)
                report.current += len(current)
                todo.extend((nct_id, language) for nct_id in versions if nct_id not in current)
            loaded = {nct_id: trials.get(nct_id) for nct_id in dict.fromkeys(nct_id for nct_id, _ in todo)}
        written: list[Overview] = []
        for nct_id, language in todo:
            trial = loaded.get(nct_id)
            if trial is None:
                continue
            overview = generate_overview(trial, language=language, generator=generator)
            if overview.record_version != versions[nct_id]:
                # The stored hash and a fresh one differ only if the codec changed; key by the stored one, which is
                # what pages look up.
                overview = _with_version(overview, versions[nct_id])
            if generator is not None and overview.generator != LANGUAGE_MODEL:
                report.fell_back += 1
            written.append(overview)
        if written:
            with database.connect() as conn, conn.transaction():
                store = OverviewStore(conn)
                now = utc_now()
                for overview in written:
                    store.save(overview, now)
                    report.written[overview.generator] = report.written.get(overview.generator, 0) + 1
    log.info(
        "overviews written generator=%s languages=%s %s seconds=%.1f",
        kind,
        ",".join(languages),
        report.summary(),
        time.monotonic() - started,
    )
    return report


def overview_for_page(*, database: Database, nct_id: str, language: str, near: Site | None = None) -> Overview | None:
    """The overview a trial page shows: the stored one for the trial's current record (a model's if there is one),
    else the built-in one, written now and stored. None when the trial is not in the catalogue. Never calls a
    model, so the page never waits for one."""
    with database.connect() as conn:
        stored = TrialStore(conn).versions([nct_id]).get(nct_id)
        if stored is None:
            return None
        version = stored.content_hash
        store = OverviewStore(conn)
        overview = store.best(nct_id, language=language, record_version=version, builtin_version=builtin_version())
        if overview is None:
            trial = TrialStore(conn).get(nct_id)
            if trial is None:  # pragma: no cover - deleted between the two reads
                return None
            overview = _with_version(generate_overview(trial, language=language), version)
            with conn.transaction():
                store.save(overview, utc_now())
    return with_nearest_site(overview, near) if near is not None else overview


def _batches(
    database: Database, nct_ids: Iterable[str] | None, size: int, report: OverviewReport
) -> Iterable[dict[str, str]]:
    """NCT id -> stored record version (content hash), a batch at a time."""
    if nct_ids is not None:
        ids = list(dict.fromkeys(nct_ids))
        for start in range(0, len(ids), size):
            chunk = ids[start : start + size]
            with database.connect() as conn:
                found = TrialStore(conn).versions(chunk)
            report.missing += len(chunk) - len(found)
            if found:
                yield {nct: version.content_hash for nct, version in found.items()}
        return
    last = ""
    while True:
        with database.connect() as conn:
            rows = TrialStore(conn).content_hashes_after(last, size)
        if not rows:
            return
        yield dict(rows)
        last = rows[-1][0]


def _with_version(overview: Overview, version: str) -> Overview:
    return Overview(
        nct_id=overview.nct_id,
        language=overview.language,
        generator=overview.generator,
        generator_version=overview.generator_version,
        record_version=version,
        sections=overview.sections,
        registry_url=overview.registry_url,
    )
