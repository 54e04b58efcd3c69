"""Stored overviews: one per trial, language and generator, valid for one version of the record.

An overview is returned only for the record version (and, when asked, the generator version) it was written
from, so a changed record or a new lexicon is never shown an old overview: it is written again and replaces the
stored one. The caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable

from trialfinder.domain.overview import BUILTIN, LANGUAGE_MODEL, Overview, OverviewError
from trialfinder.storage.database import Connection
from trialfinder.storage.sql import param, param_list

_UPSERT = (
    "INSERT INTO overviews (nct_id, language, generator, record_version, generator_version, overview, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (nct_id, language, generator) DO UPDATE SET"
    " record_version = excluded.record_version, generator_version = excluded.generator_version,"
    " overview = excluded.overview, created_at = excluded.created_at"
)


class OverviewStore:
    def __init__(self, conn: Connection):
        self.conn = conn

    def save(self, overview: Overview, now: str) -> None:
        self.conn.execute(
            _UPSERT,
            (
                overview.nct_id,
                overview.language,
                overview.generator,
                overview.record_version,
                overview.generator_version,
                overview.to_json(),
                now,
            ),
        )

    def get(
        self,
        nct_id: str,
        *,
        language: str,
        generator: str,
        record_version: str,
        generator_version: str | None = None,
    ) -> Overview | None:
        """The stored overview for this version of the record (and of the generator, if given), or None."""
        row = self.conn.fetchone(
            "SELECT overview, generator_version FROM overviews WHERE nct_id = $1 AND language = $2 AND generator = $3"
            " AND record_version = $4",
            (nct_id, language, generator, record_version),
        )
        if row is None or (generator_version is not None and row[1] != generator_version):
            return None
        try:
            return Overview.from_json(row[0])
        except OverviewError:
            return None  # written by an incompatible version: as good as absent, and written again

    def best(
        self, nct_id: str, *, language: str, record_version: str, builtin_version: str | None = None
    ) -> Overview | None:
        """The overview a page shows: the language model's when one is stored for this record version, else the
        built-in one (of `builtin_version`, when given), else None."""
        return self.get(nct_id, language=language, generator=LANGUAGE_MODEL, record_version=record_version) or self.get(
            nct_id,
            language=language,
            generator=BUILTIN,
            record_version=record_version,
            generator_version=builtin_version,
        )

    def current(
        self, versions: dict[str, str], *, language: str, generator: str, generator_version: str | None = None
    ) -> set[str]:
        """Of `versions` (NCT id -> record version), the ids whose stored overview is current."""
        ids = list(versions)
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = self.conn.fetchall(
                "SELECT nct_id, record_version, generator_version FROM overviews WHERE language = " + param(language)
                + " AND generator = " + param(generator) + " AND nct_id IN (" + param_list(chunk) + ")"
            )
            found.update(
                row[0]
                for row in rows
                if row[1] == versions[row[0]] and (generator_version is None or row[2] == generator_version)
            )
        return found

    def delete(self, nct_ids: Iterable[str]) -> int:
        removed = 0
        for nct_id in nct_ids:
            removed += self.conn.execute("DELETE FROM overviews WHERE nct_id = $1", (nct_id,)).rowcount or 0
        return removed

    def count(self, *, generator: str | None = None) -> int:
        if generator is None:
            return int(self.conn.scalar("SELECT COUNT(*) FROM overviews") or 0)
        return int(self.conn.scalar("SELECT COUNT(*) FROM overviews WHERE generator = $1", (generator,)) or 0)
