"""Test databases built once and copied for each test: migrating a schema and importing a catalogue take a second
or more per test; copying the result takes milliseconds (SQLite) or a tenth of a second (PostgreSQL).

A *seed* is a function that fills a freshly migrated database (imports records, say). `DatabaseTemplates` builds a
template once per seed and engine, in this process (each pytest-xdist worker has its own), and hands each test a copy:

- SQLite: the template is a file, checkpointed so that its WAL is empty; a test gets a byte copy of it.
- PostgreSQL: the template is a database; a test gets `CREATE DATABASE ... TEMPLATE ...`, which the server copies
  block by block. The copy is dropped after the test by a background thread: a DROP DATABASE waits for a
  checkpoint of the whole server (a tenth of a second idle, seconds while other tests write), which no test needs
  to wait for.

A copy is a real database of its own: a test may write to it freely, and nothing it does reaches another test.
"""

from __future__ import annotations

import queue
import shutil
import threading
import uuid
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from trialfinder.actions.catalogue import prepare_database
from trialfinder.storage.database import Database

Seed = Callable[[Database], None]


def seed_key(seed: Seed | None) -> str:
    """A seed's name: its module and qualified name (a template is built once per seed)."""
    return "empty" if seed is None else f"{seed.__module__}.{seed.__qualname__}"


def postgres_database_url(server_url: str, name: str) -> str:
    """The URL of database `name` on the server of `server_url` (its query, if any, kept)."""
    parts = urlsplit(server_url)
    return urlunsplit(parts._replace(path=f"/{name}"))


class DatabaseTemplates:
    def __init__(self, folder: Path, postgres_server_url: str) -> None:
        self._folder = folder
        self._server_url = postgres_server_url
        self._sqlite: dict[str, Path] = {}
        self._postgres: dict[str, str] = {}
        self._to_drop: queue.Queue[str | None] = queue.Queue()
        self._dropper: threading.Thread | None = None

    # -- SQLite

    def sqlite_copy(self, seed: Seed | None, path: Path) -> Database:
        """A database at `path` holding what `seed` put into a migrated database."""
        key = seed_key(seed)
        template = self._sqlite.get(key)
        if template is None:
            template = self._folder / f"sqlite-{len(self._sqlite)}.db"
            self._build(Database(f"sqlite:///{template}"), seed)
            self._sqlite[key] = template
        shutil.copyfile(template, path)
        path.chmod(0o600)  # as the product creates it
        return Database(f"sqlite:///{path}")

    # -- PostgreSQL

    def postgres_copy(self, seed: Seed | None) -> Database:
        """A new database on the server holding what `seed` put into a migrated database; `drop` it after use."""
        key = seed_key(seed)
        template = self._postgres.get(key)
        if template is None:
            template = f"tf_template_{uuid.uuid4().hex[:12]}"
            self._admin(f'CREATE DATABASE "{template}"')
            self._build(Database(postgres_database_url(self._server_url, template)), seed)
            self._postgres[key] = template
        name = f"tf_test_{uuid.uuid4().hex[:12]}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return Database(postgres_database_url(self._server_url, name))

    def drop(self, database: Database) -> None:
        """Close `database` and, on PostgreSQL, have it dropped (even if a connection was left open)."""
        database.close()
        if database.dialect == "postgresql":
            if self._dropper is None:
                self._dropper = threading.Thread(target=self._drop_queued, name="drop-test-databases", daemon=True)
                self._dropper.start()
            self._to_drop.put(urlsplit(database.url.url).path.lstrip("/"))

    def close(self) -> None:
        """Drop every database still queued, then the templates."""
        if self._dropper is not None:
            self._to_drop.put(None)
            self._dropper.join()
            self._dropper = None
        for template in self._postgres.values():
            self._admin(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
        self._postgres.clear()

    def _drop_queued(self) -> None:
        while (name := self._to_drop.get()) is not None:
            self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # -- building

    @staticmethod
    def _build(database: Database, seed: Seed | None) -> None:
        prepare_database(database=database)
        if seed is not None:
            seed(database)
        if database.dialect == "sqlite":
            with database.connect() as conn:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        database.close()

    def _admin(self, statement: str) -> None:
        import psycopg

        with psycopg.connect(self._server_url, autocommit=True) as conn:
            conn.execute(statement)

