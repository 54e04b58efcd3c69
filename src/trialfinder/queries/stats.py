"""Catalogue statistics for `trialfinder stats` (and, later, the site's about page)."""

from __future__ import annotations

from typing import Any

from trialfinder.storage.bookkeeping import ImportRuns, KeyValues
from trialfinder.storage.database import Database
from trialfinder.storage.trials import TrialStore


def catalogue_stats(*, database: Database) -> dict[str, Any]:
    with database.connect() as conn:
        store = TrialStore(conn)
        last_import = ImportRuns(conn).last_finished()
        freshness: dict[str, Any] = dict(store.freshness())
        freshness["sync_cursors"] = KeyValues(conn, "sync_state").items()
        freshness["last_import"] = f"{last_import[1]} ({last_import[0]})" if last_import else None
        return {
            "trials": store.count(),
            "by_status": store.counts_by_status(),
            "by_phase": store.counts_by_phase(),
            "by_country": store.counts_by_country(),
            "freshness": freshness,
        }
