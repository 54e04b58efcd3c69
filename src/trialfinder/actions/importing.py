"""Import registry files into the catalogue: idempotent, transactional per batch, resumable.

Each batch of records is mapped, geocoded and written in one transaction together with the import's
position, so an interrupted import (Ctrl-C, a crash, a power cut) resumes where its last batch ended
when the same command runs again. A record that cannot be read is reported with its file name and
reason, and skipped.
"""

from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from trialfinder.actions.catalogue_writer import Geocoder, after_writes, counts_text, utc_now, write_batch
from trialfinder.domain.control_characters import printable
from trialfinder.domain.errors import InvalidRecord
from trialfinder.registries.fields import Warnings
from trialfinder.registries.files import RawRecord, open_source, split_records
from trialfinder.registries.records import to_trial
from trialfinder.storage.bookkeeping import ImportCounts, ImportRuns
from trialfinder.storage.database import Database
from trialfinder.storage.trials import TrialRow

log = logging.getLogger("trialfinder.actions.import")


@dataclass(frozen=True, slots=True)
class Rejection:
    """A record skipped: its name and the reason, control characters escaped (both reach terminals and logs)."""

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
    workers: int = 0,
    on_progress: Progress | None = None,
    on_rejection: OnRejection | None = None,
    source_label: str | None = None,
) -> ImportReport:
    """Import every record under `path`. Raises SourceError when the source as a whole is unreadable.

    With `workers` > 0, records are decoded, mapped and geocoded in that many worker processes while this
    one writes; results are taken in source order, so batches, positions and resume are the same as with
    `workers` = 0. `geocode` must then be picklable (e.g. `geo.gazetteer.SiteGeocoder`).
    """
    source = open_source(path)
    key = source_label or source.key
    report = ImportReport(source=printable(key))
    with database.connect() as conn:
        runs = ImportRuns(conn)
        with conn.transaction():
            previous = runs.find(key, source.fingerprint)
            if previous is not None and previous.status == "running":
                report.resumed_from = previous.position
                report.counts = previous.counts
            else:
                runs.start(key, source.fingerprint, utc_now())

        batch: list[TrialRow] = []
        batch_rejections: list[Rejection] = []
        position = report.resumed_from

        def flush() -> None:
            with conn.transaction():
                counts = write_batch(conn, batch)
                counts = counts + ImportCounts(rejected=len(batch_rejections))
                runs.advance(key, source.fingerprint, position, report.counts + counts)
            report.counts = report.counts + counts
            report.rejections.extend(batch_rejections)
            if on_progress:
                on_progress(position)
            batch.clear()
            batch_rejections.clear()

        records = source.records(skip=report.resumed_from)
        # Starting worker processes costs about a second: not worth it for a handful of files.
        parallel = workers > 0 and (source.total is None or source.total >= PARALLEL_FROM)
        results = _in_workers(records, geocode, workers) if parallel else _in_process(records, geocode)
        # Closed here when writing fails (the database went away): the worker processes stop now, not whenever
        # the generator happens to be collected (in another thread, where shutting the pool down fails).
        with closing(results):
            for index, mapped in results:
                for outcome in mapped:
                    report.warnings += outcome.warnings
                    if outcome.row is None:
                        rejection = Rejection(outcome.name, outcome.reason or "unreadable")
                        batch_rejections.append(rejection)
                        if on_rejection:
                            on_rejection(rejection)
                    else:
                        batch.append(outcome.row)
                position = index + 1
                if len(batch) + len(batch_rejections) >= batch_size:
                    flush()
        flush()
        with conn.transaction():
            runs.finish(key, source.fingerprint, utc_now())
        after_writes(conn, report.counts)
    log.info("import finished source=%s %s", report.source, counts_text(report.counts))
    return report


@dataclass(frozen=True, slots=True)
class Mapped:
    """One record after mapping: its trial as table rows, or why it was rejected."""

    name: str
    row: TrialRow | None
    reason: str | None
    warnings: int


def map_record(raw: RawRecord, geocode: Geocoder | None) -> list[Mapped]:
    """Decode, map and geocode one raw record (a v2 page file may hold several studies)."""
    results = []
    for record in split_records(raw):
        warnings = Warnings()
        try:
            trial = to_trial(record, warnings)
        except InvalidRecord as error:
            # A member's name and a reason quoting the record are text from the source: escaped for the report.
            results.append(Mapped(printable(record.name), None, printable(str(error)), 0))
            continue
        if geocode is not None:
            trial = geocode(trial)
        results.append(Mapped(printable(record.name), TrialRow.from_trial(trial), None, len(warnings)))
    return results


def _map_chunk(chunk: list[tuple[int, RawRecord]], geocode: Geocoder | None) -> list[tuple[int, list[Mapped]]]:
    return [(index, map_record(raw, geocode)) for index, raw in chunk]


def _in_process(records: Iterable[tuple[int, RawRecord]], geocode: Geocoder | None) -> Iterator[tuple[int, list[Mapped]]]:
    for index, raw in records:
        yield index, map_record(raw, geocode)


PARALLEL_FROM = 1_000  # records; smaller sources are mapped in this process
_CHUNK = 64  # records per task: large enough to amortise pickling, small enough to keep memory flat


def _in_workers(
    records: Iterable[tuple[int, RawRecord]], geocode: Geocoder | None, workers: int
) -> Iterator[tuple[int, list[Mapped]]]:
    """Map in worker processes, in order, with a bounded number of chunks in flight (memory stays flat)."""
    context = multiprocessing.get_context("spawn")  # no fork of a process holding database connections
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future] = deque()
        chunk: list[tuple[int, RawRecord]] = []
        try:
            for item in records:
                chunk.append(item)
                if len(chunk) >= _CHUNK:
                    pending.append(pool.submit(_map_chunk, chunk, geocode))
                    chunk = []
                    while len(pending) > workers * 3:
                        yield from pending.popleft().result()
            if chunk:
                pending.append(pool.submit(_map_chunk, chunk, geocode))
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
