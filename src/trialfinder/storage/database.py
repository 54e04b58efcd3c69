"""Connections to the catalogue database: SQLite (embedded default) or PostgreSQL (production).

SQL in this package is written once, with `?` placeholders, in the subset both engines share; the few
places that differ (full-text search, upsert details) ask `Connection.dialect`. SQLite is run as a
real database: WAL journal, one writer at a time (BEGIN IMMEDIATE), readers never blocked.
"""

from __future__ import annotations

import math
import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from trialfinder.filemodes import create_private_file

Dialect = Literal["sqlite", "postgresql"]


def stamp(moment: datetime) -> str:
    """A moment as stored: ISO 8601 in UTC to the second, so that text order is time order on both engines."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class DatabaseError(Exception):
    """The database cannot be reached or used; the message is one line for the operator."""


class DatabaseUnavailable(DatabaseError):
    """The database server cannot be reached, or the connection to it was lost: the request or command can only
    stop (the website answers 503, the command exits 1). The message names the URL without its password."""


@dataclass(frozen=True)
class DatabaseUrl:
    dialect: Dialect
    url: str
    path: Path | None = None  # SQLite only; None for an in-memory database

    @classmethod
    def parse(cls, url: str) -> DatabaseUrl:
        """Accept `sqlite:///relative.db`, `sqlite:////absolute.db`, `sqlite://` (memory), `postgresql://...`."""
        parts = urlsplit(url)
        scheme = parts.scheme.split("+", 1)[0]
        if scheme == "sqlite":
            raw = unquote(url.split("://", 1)[1])
            if raw in ("", "/", "/:memory:"):
                return cls("sqlite", url, None)
            return cls("sqlite", url, Path(raw[1:] if raw.startswith("/") else raw))
        if scheme in ("postgresql", "postgres"):
            return cls(
                "postgresql",
                url.replace("postgres://", "postgresql://", 1).replace("postgresql+psycopg://", "postgresql://", 1),
            )
        raise DatabaseError(f"unsupported database URL scheme {parts.scheme!r}: use sqlite:/// or postgresql://")

    def redacted(self) -> str:
        """The URL without its password (in the address or as a `password=` parameter), for messages and logs."""
        without = re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", self.url)
        return re.sub(r"([?&]password=)[^&]*", r"\1***", without)


class Connection:
    """A thin wrapper that lets one SQL text run on both engines."""

    def __init__(self, raw: Any, dialect: Dialect):
        self.raw = raw
        self.dialect: Dialect = dialect
        self._cache: dict[str, str] = {}

    def _sql(self, sql: str) -> str:
        if self.dialect == "sqlite":
            return sql
        converted = self._cache.get(sql)
        if converted is None:
            converted = sql.replace("%", "%%").replace("?", "%s")
            self._cache[sql] = converted
        return converted

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor = self.raw.cursor()
        cursor.execute(self._sql(sql), tuple(params))
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = list(rows)
        if rows:
            cursor = self.raw.cursor()
            cursor.executemany(self._sql(sql), rows)

    def fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self.execute(sql, params).fetchall())

    def fetchone(self, sql: str, params: Sequence[Any] = ()) -> tuple | None:
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = self.fetchone(sql, params)
        return row[0] if row else None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic unit of work. On SQLite it takes the write lock at once, so it never deadlocks on upgrade."""
        if self.dialect == "sqlite":
            self.raw.execute("BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                self.raw.execute("ROLLBACK")
                raise
            self.raw.execute("COMMIT")
        else:
            with self.raw.transaction():
                yield self

    def close(self) -> None:
        self.raw.close()


class Database:
    """Opens connections to one catalogue database."""

    def __init__(self, url: str):
        self.url = DatabaseUrl.parse(url)
        self.dialect: Dialect = self.url.dialect
        self._memory: sqlite3.Connection | None = None

    def __repr__(self) -> str:
        return f"Database({self.url.redacted()!r})"

    @staticmethod
    def _ensure_math(raw: sqlite3.Connection) -> None:
        """Search measures distances in SQL. SQLite builds without its math functions (an option at compile
        time) get Python ones of the same names instead: slower, same answers."""
        try:
            raw.execute("SELECT sin(0), asin(0), radians(0), power(2, 2), sqrt(4)")
        except sqlite3.OperationalError:
            for name, arity, function in (
                ("sin", 1, math.sin),
                ("cos", 1, math.cos),
                ("asin", 1, math.asin),
                ("sqrt", 1, math.sqrt),
                ("radians", 1, math.radians),
                ("power", 2, math.pow),
            ):
                raw.create_function(name, arity, function, deterministic=True)

    def _open_sqlite(self) -> sqlite3.Connection:
        if self.url.path is None:
            # An in-memory database lives as long as its one connection: share it (tests, one-off runs).
            if self._memory is None:
                self._memory = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
                self._memory.execute("PRAGMA foreign_keys = ON")
                self._ensure_math(self._memory)
            return self._memory
        create_private_file(self.url.path)  # 0600: it holds referrals, subscriptions and notes
        raw = sqlite3.connect(self.url.path, isolation_level=None, timeout=30, check_same_thread=False)
        raw.execute("PRAGMA journal_mode = WAL")
        # NORMAL is durable across application crashes in WAL mode; only a power loss may drop the last commit.
        raw.execute("PRAGMA synchronous = NORMAL")
        raw.execute("PRAGMA foreign_keys = ON")
        raw.execute("PRAGMA busy_timeout = 30000")
        raw.execute("PRAGMA cache_size = -65536")  # 64 MiB of page cache
        self._ensure_math(raw)
        return raw

    def _open_postgres(self) -> Any:
        try:
            import psycopg
        except ImportError as error:  # pragma: no cover - psycopg is a declared dependency
            raise DatabaseError("PostgreSQL support needs psycopg: pip install 'psycopg[binary]'") from error
        try:
            return psycopg.connect(self.url.url, autocommit=True, connect_timeout=10)
        except psycopg.OperationalError as error:
            raise DatabaseUnavailable(
                f"the database is unreachable: cannot connect to {self.url.redacted()}: {_first_line(error)}"
            ) from None
        except psycopg.ProgrammingError as error:  # the URL itself: an unknown option, say
            raise DatabaseError(f"cannot use the database URL {self.url.redacted()}: {_first_line(error)}") from None

    def _lost(self, error: BaseException, raw: Any) -> DatabaseUnavailable | None:
        """The error as DatabaseUnavailable when it means the connection is gone (the server stopped, restarted,
        was dropped or ended the session), else None: a failing statement on a live connection stays what it is."""
        import psycopg

        if isinstance(error, psycopg.OperationalError) and (raw.closed or raw.broken):
            return DatabaseUnavailable(
                f"the database is unreachable: the connection to {self.url.redacted()} was lost ({_first_line(error)})"
            )
        return None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        if self.dialect == "sqlite":
            try:
                raw = self._open_sqlite()
            except sqlite3.Error as error:
                raise DatabaseError(f"cannot open {self.url.redacted()}: {error}") from None
            connection = Connection(raw, "sqlite")
            try:
                yield connection
            finally:
                if self.url.path is not None:
                    raw.close()
        else:
            connection = Connection(self._open_postgres(), "postgresql")
            try:
                yield connection
            except Exception as error:
                lost = self._lost(error, connection.raw)
                if lost is None:
                    raise
                raise lost from error
            finally:
                connection.close()

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
