"""Catalogue statistics for `trialfinder stats` (and, later, the site's about page)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from trialfinder.storage.bookkeeping import SYNC_CURSOR_KEY, ImportRuns, KeyValues
from trialfinder.storage.database import Database
from trialfinder.storage.trials import TrialStore


def catalogue_stats(*, database: Database, today: date | None = None) -> dict[str, Any]:
    """Counts and freshness. `sync_cursors` holds the registry syncs' cursors only (by scope; {} when the catalogue
    was never synced), not the other jobs' that share their table (the alert run's `notify.cursor`)."""
    with database.connect() as conn:
        store = TrialStore(conn)
        last_import = ImportRuns(conn).last_finished()
        freshness: dict[str, Any] = dict(store.freshness())
        freshness["newest_update_age_days"] = _age_days(freshness["newest_registry_update"], today)
        freshness["sync_cursors"] = {
            key: value
            for key, value in KeyValues(conn, "sync_state").items().items()
            if key == SYNC_CURSOR_KEY or key.startswith(SYNC_CURSOR_KEY + "?")
        }
        freshness["last_import"] = f"{last_import[1]} ({last_import[0]})" if last_import else None
        return {
            "trials": store.count(),
            "by_status": store.counts_by_status(),
            "by_phase": store.counts_by_phase(),
            "by_country": store.counts_by_country(),
            "freshness": freshness,
        }


def _age_days(day: str | None, today: date | None) -> int | None:
    """Days from `day` (YYYY-MM-DD or YYYY-MM, a month counting from its first day) to `today` (UTC)."""
    if not day:
        return None
    try:
        then = date.fromisoformat(day if len(day) == 10 else f"{day[:7]}-01")
    except ValueError:
        return None
    return ((today or datetime.now(UTC).date()) - then).days
