"""Writing batches of trials into the catalogue with the upsert rules, shared by import and sync.

The rules (GLOSSARY.md, "upsert"): a trial is keyed by its NCT id; a version whose last-update date is
older than the stored one is stale and never overwrites it; an identical version is unchanged; within
one batch the newest version of a repeated id wins (on equal dates, the later one in the source).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from trialfinder.domain.trial import Trial
from trialfinder.storage.bookkeeping import ImportCounts
from trialfinder.storage.database import Connection
from trialfinder.storage.trials import TrialRow, TrialStore

Geocoder = Callable[[Trial], Trial]


BULK_WRITES = 5_000  # trials written by one import or sync, after which the search index is merged


def after_writes(conn: Connection, counts: ImportCounts) -> None:
    """Once an import or sync has written trials: refresh the planner's statistics (and merge the index)."""
    written = counts.added + counts.updated
    if written:
        TrialStore(conn).optimize(after_bulk=written >= BULK_WRITES)


def counts_text(counts: ImportCounts) -> str:
    """The counts as a log line's fields."""
    return (
        f"added={counts.added} updated={counts.updated} unchanged={counts.unchanged}"
        f" stale={counts.stale} rejected={counts.rejected}"
    )


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class Change:
    """What happened to one trial: "added", "updated", "unchanged" or "stale"."""

    nct_id: str
    outcome: str


def write_batch(conn: Connection, rows: Sequence[TrialRow | Trial], *, now: str | None = None) -> tuple[ImportCounts, list[Change]]:
    """Upsert trials (or their prepared rows) on `conn`; the caller holds the transaction.

    Returns the counts and each trial's fate.
    """
    stamp = now or utc_now()
    newest: dict[str, TrialRow] = {}
    stale_in_batch: list[str] = []
    for item in rows:
        row = item if isinstance(item, TrialRow) else TrialRow.from_trial(item)
        held = newest.get(row.nct_id)
        if held is not None and held.last_update_key > row.last_update_key:
            stale_in_batch.append(row.nct_id)
            continue
        if held is not None:
            stale_in_batch.append(held.nct_id)
        newest[row.nct_id] = row

    store = TrialStore(conn)
    stored = store.versions(newest)
    changes = [Change(nct_id, "stale") for nct_id in stale_in_batch]
    for row in newest.values():
        previous = stored.get(row.nct_id)
        if previous is not None and previous.content_hash == row.content_hash:
            changes.append(Change(row.nct_id, "unchanged"))
            continue
        if previous is not None and previous.last_update_key > row.last_update_key:
            changes.append(Change(row.nct_id, "stale"))
            continue
        if not store.save(row, stamp, is_new=previous is None):
            changes.append(Change(row.nct_id, "stale"))  # a newer version landed meanwhile
            continue
        changes.append(Change(row.nct_id, "added" if previous is None else "updated"))

    counts = ImportCounts(
        added=sum(change.outcome == "added" for change in changes),
        updated=sum(change.outcome == "updated" for change in changes),
        unchanged=sum(change.outcome == "unchanged" for change in changes),
        stale=sum(change.outcome == "stale" for change in changes),
    )
    return counts, changes
