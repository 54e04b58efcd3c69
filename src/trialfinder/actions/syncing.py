"""Incremental sync with the live ClinicalTrials.gov API v2.

The cursor is the registry's `dataTimestamp` (GET /version) at the start of the last complete sync.
The next sync asks only for studies whose last update was posted on or after that day, oldest first,
and writes each page in one transaction. The cursor moves only when every page has been written, so
an interrupted sync simply starts again from the old cursor: pages already stored come back as
"unchanged", since storage is keyed by NCT id and never lets an older version win.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from trialfinder.actions.catalogue_writer import Geocoder, after_writes, counts_text, utc_now, write_batch
from trialfinder.actions.importing import OnRejection, Rejection
from trialfinder.domain.control_characters import printable
from trialfinder.domain.errors import InvalidRecord
from trialfinder.registries.ctgov_v2.client import CtgovClient
from trialfinder.registries.fields import Warnings
from trialfinder.registries.records import from_api
from trialfinder.storage.bookkeeping import SYNC_CURSOR_KEY, ImportCounts, KeyValues
from trialfinder.storage.database import Database

log = logging.getLogger("trialfinder.actions.sync")

CURSOR_KEY = SYNC_CURSOR_KEY


def cursor_key(*, condition: str | None = None, term: str | None = None, statuses: Sequence[str] = ()) -> str:
    """Each sync scope keeps its own cursor: a sync of one condition says nothing about the rest."""
    scope = []
    if condition:
        scope.append(f"cond={condition.strip().lower()}")
    if term:
        scope.append(f"term={term.strip().lower()}")
    if statuses:
        scope.append("status=" + ",".join(sorted(status.upper() for status in statuses)))
    return CURSOR_KEY + ("?" + "&".join(scope) if scope else "")


@dataclass
class SyncReport:
    cursor_key: str
    previous_cursor: str | None
    new_cursor: str | None = None
    pages: int = 0
    total: int | None = None
    counts: ImportCounts = field(default_factory=ImportCounts)
    rejections: list[Rejection] = field(default_factory=list)
    warnings: int = 0


def sync(
    *,
    database: Database,
    client: CtgovClient,
    geocode: Geocoder | None = None,
    condition: str | None = None,
    term: str | None = None,
    statuses: Sequence[str] = (),
    since: str | None = None,
    full: bool = False,
    page_size: int = 1000,
    on_page: Callable[[SyncReport], None] | None = None,
    on_rejection: OnRejection | None = None,
) -> SyncReport:
    """Fetch what changed since the stored cursor (everything when `full` or there is none) and upsert it."""
    key = cursor_key(condition=condition, term=term, statuses=statuses)
    with database.connect() as conn:
        previous = KeyValues(conn, "sync_state").get(key)
    report = SyncReport(cursor_key=key, previous_cursor=previous)
    updated_since = since or (None if full else previous)

    snapshot = client.version().data_timestamp
    with database.connect() as conn:
        for page in client.iter_study_pages(
            updated_since=updated_since,
            query_cond=condition,
            query_term=term,
            statuses=list(statuses) or None,
            page_size=page_size,
        ):
            if page.total_count is not None:
                report.total = page.total_count
            trials = []
            page_rejections = []
            for index, raw in enumerate(page.studies):
                warnings = Warnings()
                try:
                    trial = from_api(raw, warnings)
                except InvalidRecord as error:
                    rejection = Rejection(f"page {page.page_number}, study {index + 1}", printable(str(error)))
                    page_rejections.append(rejection)
                    if on_rejection:
                        on_rejection(rejection)
                    continue
                report.warnings += len(warnings)
                trials.append(geocode(trial) if geocode else trial)
            with conn.transaction():
                counts = write_batch(conn, trials)
            report.counts = report.counts + counts + ImportCounts(rejected=len(page_rejections))
            report.rejections.extend(page_rejections)
            report.pages += 1
            if on_page:
                on_page(report)
        # Only a sync that saw every page may move the cursor.
        report.new_cursor = snapshot or utc_now()
        with conn.transaction():
            KeyValues(conn, "sync_state").set(key, report.new_cursor, utc_now())
        after_writes(conn, report.counts)
    log.info(
        "sync finished scope=%s pages=%d %s cursor=%s", key, report.pages, counts_text(report.counts), report.new_cursor
    )
    return report
