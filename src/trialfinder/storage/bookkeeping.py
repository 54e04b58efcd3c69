"""Small tables that remember the catalogue's history: import runs (for resuming), sync cursors, metadata."""

from __future__ import annotations

from dataclasses import dataclass

from trialfinder.storage.database import Connection

# The key of a registry sync's cursor in `sync_state`; a scoped sync's adds `?cond=…&status=…` to it.
SYNC_CURSOR_KEY = "ctgov_v2.cursor"


@dataclass(frozen=True, slots=True)
class ImportCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    stale: int = 0
    rejected: int = 0

    def __add__(self, other: ImportCounts) -> ImportCounts:
        return ImportCounts(
            self.added + other.added,
            self.updated + other.updated,
            self.unchanged + other.unchanged,
            self.stale + other.stale,
            self.rejected + other.rejected,
        )

    @property
    def total(self) -> int:
        return self.added + self.updated + self.unchanged + self.stale + self.rejected


@dataclass(frozen=True, slots=True)
class ImportRun:
    source: str
    fingerprint: str
    position: int
    status: str  # "running" (unfinished: resume from `position`) or "done"
    counts: ImportCounts


class ImportRuns:
    def __init__(self, conn: Connection):
        self.conn = conn

    def find(self, source: str, fingerprint: str) -> ImportRun | None:
        row = self.conn.fetchone(
            "SELECT position, status, added, updated, unchanged, stale, rejected FROM import_runs"
            " WHERE source = $1 AND fingerprint = $2",
            (source, fingerprint),
        )
        if row is None:
            return None
        return ImportRun(source, fingerprint, int(row[0]), row[1], ImportCounts(*(int(value) for value in row[2:])))

    def start(self, source: str, fingerprint: str, now: str) -> None:
        self.conn.execute("DELETE FROM import_runs WHERE source = $1 AND fingerprint = $2", (source, fingerprint))
        self.conn.execute(
            "INSERT INTO import_runs (source, fingerprint, position, status, started_at)"
            " VALUES ($1, $2, 0, 'running', $3)",
            (source, fingerprint, now),
        )

    def advance(self, source: str, fingerprint: str, position: int, counts: ImportCounts) -> None:
        self.conn.execute(
            "UPDATE import_runs SET position = $1, added = $2, updated = $3, unchanged = $4, stale = $5, rejected = $6"
            " WHERE source = $7 AND fingerprint = $8",
            (position, counts.added, counts.updated, counts.unchanged, counts.stale, counts.rejected, source, fingerprint),
        )

    def finish(self, source: str, fingerprint: str, now: str) -> None:
        self.conn.execute(
            "UPDATE import_runs SET status = 'done', finished_at = $1 WHERE source = $2 AND fingerprint = $3",
            (now, source, fingerprint),
        )

    def last_finished(self) -> tuple[str, str] | None:
        row = self.conn.fetchone(
            "SELECT source, finished_at FROM import_runs WHERE status = 'done' ORDER BY finished_at DESC LIMIT 1"
        )
        return (row[0], row[1]) if row else None


class KeyValues:
    """A string-to-string table: `sync_state` (cursors) or `catalogue_meta`."""

    def __init__(self, conn: Connection, table: str):
        if table not in ("sync_state", "catalogue_meta"):
            raise ValueError(f"no key-value table {table!r}")
        self.conn = conn
        self.table = table

    def get(self, key: str) -> str | None:
        return self.conn.scalar(f"SELECT value FROM {self.table} WHERE key = $1", (key,))

    def set(self, key: str, value: str, now: str | None = None) -> None:
        if self.table == "sync_state":
            self.conn.execute(
                "INSERT INTO sync_state (key, value, updated_at) VALUES ($1, $2, $3)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                (key, value, now or ""),
            )
        else:
            self.conn.execute(
                "INSERT INTO catalogue_meta (key, value) VALUES ($1, $2)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def items(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self.conn.fetchall(f"SELECT key, value FROM {self.table} ORDER BY key")}
