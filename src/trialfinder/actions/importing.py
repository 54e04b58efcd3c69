"""Import registry files into the catalogue: idempotent, transactional per batch, resumable.

Each batch of records is mapped, geocoded and written in one transaction together with the import's
position, so an interrupted import (Ctrl-C, a crash, a power cut) resumes where its last batch ended
when the same command runs again. A record that cannot be read is reported with its file name and
reason, and skipped.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from trialfinder.actions.catalogue_writer import Geocoder, utc_now, write_batch
from trialfinder.domain.errors import InvalidRecord
from trialfinder.domain.trial import Trial
from trialfinder.registries.fields import Warnings
from trialfinder.registries.files import RawRecord, open_source, split_records
from trialfinder.registries.records import to_trial
from trialfinder.storage.bookkeeping import ImportCounts, ImportRuns
from trialfinder.storage.database import Database

log = logging.getLogger("trialfinder.actions.import")


@dataclass(frozen=True, slots=True)
class Rejection:
    name: str
    reason: str


@dataclass
class ImportReport:
    source: str
    counts: ImportCounts = field(default_factory=ImportCounts)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: int = 0
    resumed_from: int = 0

    def summary(self) -> str:
        c = self.counts
        text = f"{c.added:,} added, {c.updated:,} updated, {c.unchanged:,} unchanged, {c.rejected:,} rejected"
        if c.stale:
            text += f", {c.stale:,} older than the stored version (kept the newer)"
        return text


# Callbacks let the CLI show progress and rejections as they happen without the action knowing about terminals.
Progress = Callable[[int], None]
OnRejection = Callable[[Rejection], None]


def import_path(
    *,
    database: Database,
    path: str | Path,
    geocode: Geocoder | None = None,
    batch_size: int = 500,
    on_progress: Progress | None = None,
    on_rejection: OnRejection | None = None,
    source_label: str | None = None,
) -> ImportReport:
    """Import every record under `path`. Raises SourceError when the source as a whole is unreadable."""
    source = open_source(path)
    key = source_label or source.key
    report = ImportReport(source=key)
    with database.connect() as conn:
        runs = ImportRuns(conn)
        with conn.transaction():
            previous = runs.find(key, source.fingerprint)
            if previous is not None and previous.status == "running":
                report.resumed_from = previous.position
                report.counts = previous.counts
            else:
                runs.start(key, source.fingerprint, utc_now())

        batch: list[Trial] = []
        batch_rejections: list[Rejection] = []
        position = report.resumed_from

        def flush() -> None:
            with conn.transaction():
                counts, _ = write_batch(conn, batch)
                counts = counts + ImportCounts(rejected=len(batch_rejections))
                runs.advance(key, source.fingerprint, position, report.counts + counts)
            report.counts = report.counts + counts
            report.rejections.extend(batch_rejections)
            if on_progress:
                on_progress(position)
            batch.clear()
            batch_rejections.clear()

        for index, raw in source.records(skip=report.resumed_from):
            for record in split_records(raw):
                trial = _map(record, report, batch_rejections, on_rejection, geocode)
                if trial is not None:
                    batch.append(trial)
            position = index + 1
            if len(batch) + len(batch_rejections) >= batch_size:
                flush()
        flush()
        with conn.transaction():
            runs.finish(key, source.fingerprint, utc_now())
    log.info(
        "import finished source=%s added=%d updated=%d unchanged=%d stale=%d rejected=%d",
        key,
        report.counts.added,
        report.counts.updated,
        report.counts.unchanged,
        report.counts.stale,
        report.counts.rejected,
    )
    return report


def _map(
    record: RawRecord,
    report: ImportReport,
    rejections: list[Rejection],
    on_rejection: OnRejection | None,
    geocode: Geocoder | None,
) -> Trial | None:
    warnings = Warnings()
    try:
        trial = to_trial(record, warnings)
    except InvalidRecord as error:
        rejection = Rejection(record.name, str(error))
        rejections.append(rejection)
        if on_rejection:
            on_rejection(rejection)
        return None
    report.warnings += len(warnings)
    return geocode(trial) if geocode else trial
