"""Writing batches of trials into the catalogue with the upsert rules, shared by import and sync.

The rules (GLOSSARY.md, "upsert"): a trial is keyed by its NCT id; a version whose last-update date is
older than the stored one is stale and never overwrites it; an identical version is unchanged; within
one batch the newest version of a repeated id wins (on equal dates, the later one in the source).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from trialfinder.domain.subscriptions import OPENING_STATUSES, ChangeKind
from trialfinder.domain.trial import Trial
from trialfinder.storage.bookkeeping import ImportCounts
from trialfinder.storage.changes import ChangeLog, site_identity
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


def write_batch(conn: Connection, rows: Sequence[TrialRow | Trial], *, now: str | None = None) -> ImportCounts:
    """Upsert trials (or their prepared rows) on `conn`; the caller holds the transaction. Returns the counts."""
    stamp = now or utc_now()
    newest: dict[str, TrialRow] = {}
    outcomes: Counter[str] = Counter()
    for item in rows:
        row = item if isinstance(item, TrialRow) else TrialRow.from_trial(item)
        held = newest.get(row.nct_id)
        if held is not None:
            outcomes["stale"] += 1  # the older of two versions in one batch
            if held.last_update_key > row.last_update_key:
                continue
        newest[row.nct_id] = row

    store = TrialStore(conn)
    stored = store.versions(newest)
    log = ChangeLog(conn)
    # Only trials that will be replaced need their old status and open sites, to see what opened (see _changes).
    replacing = [
        nct
        for nct, row in newest.items()
        if nct in stored
        and stored[nct].content_hash != row.content_hash
        and stored[nct].last_update_key <= row.last_update_key
    ]
    before = log.previous_openings(replacing) if replacing else {}
    changes: list[tuple] = []
    for row in newest.values():
        previous = stored.get(row.nct_id)
        if previous is not None and previous.content_hash == row.content_hash:
            outcomes["unchanged"] += 1
        elif previous is not None and previous.last_update_key > row.last_update_key:
            outcomes["stale"] += 1
        elif not store.save(row, stamp, is_new=previous is None):
            outcomes["stale"] += 1  # a newer version landed meanwhile
        else:
            outcomes["added" if previous is None else "updated"] += 1
            changes.extend(_changes(row, None if previous is None else before.get(row.nct_id)))
    # In the trials' own transaction: a change is recorded exactly when its trial is written.
    log.record(changes, stamp)
    return ImportCounts(
        added=outcomes["added"], updated=outcomes["updated"], unchanged=outcomes["unchanged"], stale=outcomes["stale"]
    )


def _changes(row: TrialRow, before: tuple[str, set[tuple]] | None) -> list[tuple]:
    """What in this write may be news to a subscriber (GLOSSARY.md, "catalogue change"): the trial is new, its
    status became recruiting or not yet recruiting, or one of its sites became open (each such site, placed)."""
    status = row.columns[2]
    if before is None:
        return [(row.nct_id, ChangeKind.NEW.value, status, None, None)]
    old_status, old_open = before
    if status in OPENING_STATUSES and old_status not in OPENING_STATUSES:
        return [(row.nct_id, ChangeKind.RECRUITING.value, status, None, None)]
    # sites rows: (position, facility, city, state, postal_code, country, status, lat, lon, approximate,
    # trial_status, open_status)
    return [
        (row.nct_id, ChangeKind.SITE.value, site[11], site[7], site[8])
        for site in row.sites
        if site[11] in OPENING_STATUSES and site[7] is not None and site_identity(site) not in old_open
    ]
