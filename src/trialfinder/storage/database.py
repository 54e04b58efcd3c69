"""Connections to the catalogue database: SQLite (embedded default) or PostgreSQL (production).

SQL in this package is written once, in the subset both engines share, with parameters numbered `$1 .. $n`, which
both read natively (storage/sql.py: static statements are strings, assembled ones `Sql`); the few places that differ
(full-text search, upsert details) ask `Connection.dialect`. SQLite is run as a real database: WAL journal, one
writer at a time (BEGIN IMMEDIATE), readers never blocked.

A unit of work (a web request, a background job: `Database.unit_of_work()`) uses one connection: every
`connect()` inside it shares the connection the first one took, and transactions inside a transaction become
savepoints. PostgreSQL connections come from a pool (psycopg_pool) that the `Database` owns; SQLite ones are
opened per unit of work, which costs a file open and a few pragmas, and a WAL reader needs nothing more.
"""

from __future__ import annotations

import math
import re
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from trialfinder.filemodes import create_private_file
from trialfinder.storage.sql import Sql

Dialect = Literal["sqlite", "postgresql"]

CONNECT_TIMEOUT = 10  # seconds to reach the PostgreSQL server before saying it is unreachable
CHECKOUT_TIMEOUT = 30.0  # seconds to wait for a pooled connection to come free before answering "busy"
DEFAULT_POOL_SIZE = 10  # PostgreSQL connections one process keeps at most (TRIALFINDER_DATABASE_POOL_SIZE)


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
    """A thin wrapper that lets one SQL text run on both engines.

    A statement is a string whose parameters are written `$1 .. $n` (bound from `params`, a sequence: `$1` is the
    first value), or a `Sql`, which carries its own. SQLite binds `$1` as a named parameter, from a dict; psycopg's
    RawCursor sends the text to PostgreSQL as it is. Nothing else in the text is a parameter: a `?` or a `%` is SQL
    like any other character."""

    def __init__(self, raw: Any, dialect: Dialect, pool: Any = None):
        self.raw = raw
        self.dialect: Dialect = dialect
        self.pool = pool  # PostgreSQL: the pool this connection goes back to

    def _bind(self, params: Sequence[Any]) -> Any:
        if self.dialect == "sqlite":
            return {str(number): value for number, value in enumerate(params, 1)}
        return tuple(params)

    def execute(self, sql: str | Sql, params: Sequence[Any] = ()) -> Any:
        if isinstance(sql, Sql):
            if params:
                raise TypeError("a Sql statement carries its own parameters")
            sql, params = sql.render()
        cursor = self.raw.cursor()
        cursor.execute(sql, self._bind(params))
        return cursor

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        rows = [self._bind(row) for row in rows]
        if rows:
            cursor = self.raw.cursor()
            cursor.executemany(sql, rows)

    def fetchall(self, sql: str | Sql, params: Sequence[Any] = ()) -> list[tuple]:
        return list(self.execute(sql, params).fetchall())

    def fetchone(self, sql: str | Sql, params: Sequence[Any] = ()) -> tuple | None:
        return self.execute(sql, params).fetchone()

    def scalar(self, sql: str | Sql, params: Sequence[Any] = ()) -> Any:
        row = self.fetchone(sql, params)
        return row[0] if row else None

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """One atomic unit of work. On SQLite it takes the write lock at once, so it never deadlocks on upgrade.
        Inside another transaction (an action called by another in one unit of work) it is a savepoint: its
        changes are undone alone when it fails, and committed with the outer transaction (psycopg nests the same)."""
        if self.dialect == "sqlite":
            nested = self.raw.in_transaction
            self.raw.execute("SAVEPOINT nested" if nested else "BEGIN IMMEDIATE")
            try:
                yield self
            except BaseException:
                if nested:
                    self.raw.execute("ROLLBACK TO nested")
                    self.raw.execute("RELEASE nested")
                else:
                    self.raw.execute("ROLLBACK")
                raise
            self.raw.execute("RELEASE nested" if nested else "COMMIT")
        else:
            with self.raw.transaction():
                yield self


class _UnitOfWork:
    """The connection shared by every `connect()` of one database inside `Database.unit_of_work()`: taken by the
    first, given back at the end."""

    def __init__(self, database: Database):
        self.database = database
        self.connection: Connection | None = None


# Context variables follow a request into the worker thread Starlette runs it in (anyio copies the context), and
# never leak into another request's task: each starts from a copy of the server's context.
_unit_of_work: ContextVar[_UnitOfWork | None] = ContextVar("trialfinder_unit_of_work", default=None)


class Database:
    """Hands out connections to one catalogue database (pooled for PostgreSQL) and counts them."""

    def __init__(self, url: str, *, pool_size: int = DEFAULT_POOL_SIZE):
        self.url = DatabaseUrl.parse(url)
        self.dialect: Dialect = self.url.dialect
        self.pool_size = pool_size
        self.connections_taken = 0  # opened (SQLite) or taken from the pool (PostgreSQL): what a test can count
        self._memory: sqlite3.Connection | None = None
        self._pool: Any = None  # psycopg_pool.ConnectionPool, opened at the first connection
        self._pool_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Database({self.url.redacted()!r})"

    @contextmanager
    def unit_of_work(self) -> Iterator[None]:
        """One request or job: every `connect()` inside it (in this context) shares one connection, taken at the
        first and given back at the end; with none, nothing is taken. A unit of work inside another starts afresh."""
        unit = _UnitOfWork(self)
        token = _unit_of_work.set(unit)
        try:
            yield
        finally:
            _unit_of_work.reset(token)
            if unit.connection is not None:
                self._give_back(unit.connection)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A connection: the unit of work's if there is one (opened now if it has none yet), else one for this
        block alone. A PostgreSQL error that means the server is gone becomes DatabaseUnavailable."""
        unit = _unit_of_work.get()
        if unit is not None and unit.database is self:
            if unit.connection is None:
                unit.connection = self._take()
            with self._reporting_loss(unit.connection):
                yield unit.connection
            return
        connection = self._take()
        try:
            with self._reporting_loss(connection):
                yield connection
        finally:
            self._give_back(connection)

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None
        with self._pool_lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def _take(self) -> Connection:
        self.connections_taken += 1
        if self.dialect == "postgresql":
            return self._checkout()
        try:
            return Connection(self._open_sqlite(), "sqlite")
        except sqlite3.Error as error:
            raise DatabaseError(f"cannot open {self.url.redacted()}: {error}") from None

    def _give_back(self, connection: Connection) -> None:
        if connection.pool is not None:
            connection.pool.putconn(connection.raw)  # a broken one is closed, not kept (psycopg_pool checks)
        elif self.url.path is not None:  # an in-memory database lives as long as its one connection
            connection.raw.close()

    @contextmanager
    def _reporting_loss(self, connection: Connection) -> Iterator[None]:
        try:
            yield
        except Exception as error:
            if connection.pool is None or not _is_lost(error, connection.raw):
                raise
            # The server stopped, restarted or dropped us: its other pooled connections are gone too, and a new
            # pool reports the outage at once (the next request's probe) instead of waiting for a reconnection.
            self._discard_pool(connection.pool)
            raise DatabaseUnavailable(
                f"the database is unreachable: the connection to {self.url.redacted()} was lost ({_first_line(error)})"
            ) from error

    # --- SQLite -----------------------------------------------------------------------------------------------------

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

    # --- PostgreSQL -------------------------------------------------------------------------------------------------

    def _checkout(self) -> Connection:
        """A live connection from the pool. One found dead (the server restarted, or dropped it while idle) means
        the others are likely dead too: a new pool is made, which tells at once whether the server is back."""
        pool = self._open_pool()
        raw = self._getconn(pool)
        if not _alive(raw):
            self._discard_pool(pool)
            pool.putconn(raw)  # into a closed pool: closed
            pool = self._open_pool()
            raw = self._getconn(pool)
        return Connection(raw, "postgresql", pool)

    def _getconn(self, pool: Any) -> Any:
        from psycopg_pool import PoolTimeout

        try:
            return pool.getconn()
        except PoolTimeout:
            raise DatabaseUnavailable(
                f"the database is busy: no connection to {self.url.redacted()} came free"
                f" within {CHECKOUT_TIMEOUT:.0f} s ({self.pool_size} at most)"
            ) from None

    def _open_pool(self) -> Any:
        """The pool, opened at the first connection (or after a loss). A direct connection comes first: when the
        server cannot be reached it says why at once, where the pool would retry in the background and only time
        out (its workers keep what went wrong to their log)."""
        with self._pool_lock:
            if self._pool is None:
                import psycopg
                from psycopg_pool import ConnectionPool

                self._connect_directly().close()
                self._pool = ConnectionPool(
                    self.url.url,
                    kwargs={
                        "autocommit": True,
                        "connect_timeout": CONNECT_TIMEOUT,
                        # Parameters as PostgreSQL numbers them ($1), the SQL text sent as it is.
                        "cursor_factory": psycopg.RawCursor,
                    },
                    min_size=1,
                    max_size=self.pool_size,
                    timeout=CHECKOUT_TIMEOUT,
                    name="trialfinder",
                    open=True,
                )
            return self._pool

    def _discard_pool(self, pool: Any) -> None:
        """Close a pool whose server went away (its connections are dead); the next connection opens a new one.
        Connections still in use are closed as they come back."""
        with self._pool_lock:
            if self._pool is pool:
                self._pool = None
        pool.close(timeout=1.0)

    def _connect_directly(self) -> Any:
        try:
            import psycopg
        except ImportError as error:  # pragma: no cover - psycopg is a declared dependency
            raise DatabaseError("PostgreSQL support needs psycopg: pip install 'psycopg[binary]'") from error
        try:
            return psycopg.connect(
                self.url.url, autocommit=True, connect_timeout=CONNECT_TIMEOUT, cursor_factory=psycopg.RawCursor
            )
        except psycopg.OperationalError as error:
            raise DatabaseUnavailable(
                f"the database is unreachable: cannot connect to {self.url.redacted()}: {_first_line(error)}"
            ) from None
        except psycopg.ProgrammingError as error:  # the URL itself: an unknown option, say
            raise DatabaseError(f"cannot use the database URL {self.url.redacted()}: {_first_line(error)}") from None


def _alive(raw: Any) -> bool:
    """Whether a pooled connection still answers (an empty query: one round trip)."""
    import psycopg
    from psycopg_pool import ConnectionPool

    try:
        ConnectionPool.check_connection(raw)
    except psycopg.OperationalError:
        return False
    return True


def _is_lost(error: BaseException, raw: Any) -> bool:
    """Whether the error means the connection is gone (the server stopped, restarted, was dropped or ended the
    session); a failing statement on a live connection stays what it is."""
    import psycopg

    return isinstance(error, psycopg.OperationalError) and (raw.closed or raw.broken)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
