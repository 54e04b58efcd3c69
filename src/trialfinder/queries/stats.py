"""Catalogue statistics for `trialfinder stats` (and, later, the site's about page)."""

from __future__ import annotations

from typing import Any

from trialfinder.storage.bookkeeping import ImportRuns, KeyValues
from trialfinder.storage.database import Database
from trialfinder.storage.trials import TrialStore

SYNC_CURSOR_KEY = "ctgov_v2.cursor"


def catalogue_stats(*, database: Database) -> dict[str, Any]:
    with database.connect() as conn:
        store = TrialStore(conn)
        last_import = ImportRuns(conn).last_finished()
        freshness: dict[str, Any] = dict(store.freshness())
        freshness["sync_cursor"] = KeyValues(conn, "sync_state").get(SYNC_CURSOR_KEY)
        freshness["last_import"] = f"{last_import[1]} ({last_import[0]})" if last_import else None
        return {
            "trials": store.count(),
            "by_status": store.counts_by_status(),
            "by_phase": store.counts_by_phase(),
            "by_country": store.counts_by_country(),
            "freshness": freshness,
        }
