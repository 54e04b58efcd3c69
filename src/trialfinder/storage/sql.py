"""SQL statements assembled from pieces, each piece carrying its own parameters.

Parameters are written `$1`, `$2`, ... on both engines: SQLite reads `$1` as a named parameter (bound from a dict
with the key "1"), PostgreSQL as its own numbered one (psycopg's RawCursor hands the text to the server as it is).
A static statement is a plain string with those numbers written in it. A statement put together from optional
clauses, lists of values and shared pieces is a `Sql`: text and parameters side by side, numbered only when the
whole statement is rendered, so that no piece needs to know where it ends up:

    where = Sql(" AND ").join(["t.overall_status IN (" + param_list(statuses) + ")", "t.sex = " + param(sex)])
    conn.fetchall("SELECT t.id FROM trials t WHERE " + where)

The text of a piece is SQL as written, never scanned or rewritten: a `?`, a `%` or a `$` in it stays what it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class _Param:
    """One parameter's place in a statement. The same object used twice is one parameter, bound once."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


class Sql:
    """A piece of SQL: text, and parameters where they go. `+` (with a `Sql` or a plain string, on either side) and
    `join` make bigger pieces; `render` numbers the parameters."""

    __slots__ = ("_parts",)

    def __init__(self, text: str = "") -> None:
        """SQL text without parameters."""
        self._parts: tuple[str | _Param, ...] = (text,) if text else ()

    @classmethod
    def _of(cls, parts: tuple[str | _Param, ...]) -> Sql:
        piece = cls()
        piece._parts = parts
        return piece

    def __add__(self, other: Sql | str) -> Sql:
        if isinstance(other, str):
            other = Sql(other)
        if not isinstance(other, Sql):
            return NotImplemented
        return Sql._of(self._parts + other._parts)

    def __radd__(self, other: str) -> Sql:
        if not isinstance(other, str):
            return NotImplemented
        return Sql._of(Sql(other)._parts + self._parts)

    def join(self, pieces: Iterable[Sql | str]) -> Sql:
        """The pieces with this one between each two, as `str.join`."""
        parts: list[str | _Param] = []
        for index, piece in enumerate(pieces):
            if index:
                parts += self._parts
            parts += Sql(piece)._parts if isinstance(piece, str) else piece._parts
        return Sql._of(tuple(parts))

    def __bool__(self) -> bool:
        return bool(self._parts)

    def __repr__(self) -> str:
        text, params = self.render()
        return f"Sql({text!r}, {params!r})"

    def render(self) -> tuple[str, tuple[Any, ...]]:
        """The statement's text with its parameters numbered `$1 .. $n` in order of first appearance, and their
        values in that order. A number is always followed by a character that ends it (a space is put in when the
        text after it would run on, as in `$1AND`)."""
        numbers: dict[_Param, int] = {}
        text: list[str] = []
        after_number = False
        for part in self._parts:
            if isinstance(part, _Param):
                if after_number:
                    text.append(" ")
                number = numbers.setdefault(part, len(numbers) + 1)
                text.append(f"${number}")
                after_number = True
            else:
                if after_number and (part[0].isalnum() or part[0] in "_$:("):
                    text.append(" ")
                text.append(part)
                after_number = False
        return "".join(text), tuple(param.value for param in numbers)


def param(value: Any) -> Sql:
    """One parameter. Used in two places of a statement, the same piece is one parameter (`$n` twice)."""
    return Sql._of((_Param(value),))


def param_list(values: Iterable[Any]) -> Sql:
    """One parameter per value, separated by commas (`$3, $4, $5`): for `IN (...)` and `VALUES (...)`."""
    return Sql(", ").join(param(value) for value in values)


def placeholders(count: int, *, start: int = 1) -> str:
    """`$start, ..., $(start + count - 1)`: the parameters of a static statement with many columns."""
    return ", ".join(f"${number}" for number in range(start, start + count))
