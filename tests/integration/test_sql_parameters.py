"""SQL reaches both engines as written: parameters are `$1 .. $n` (bound from a sequence, or carried by a `Sql`
piece), and nothing else in the text is read as one: a `?` or a `%` is SQL like any other character."""

from __future__ import annotations

import pytest

from trialfinder.storage.sql import Sql, param, param_list


def test_question_marks_and_percent_signs_in_literals_are_left_alone(database):
    with database.connect() as conn:
        row = conn.fetchone("SELECT '?', 'a % b %s %%', '$1', CAST($1 AS TEXT)", ("x",))
        assert row == ("?", "a % b %s %%", "$1", "x")
        conn.execute("INSERT INTO catalogue_meta (key, value) VALUES ('why?', '100%')")
        assert conn.fetchall("SELECT key FROM catalogue_meta WHERE key LIKE 'why%' AND value LIKE '1%'") == [("why?",)]
        assert conn.scalar("SELECT value FROM catalogue_meta WHERE key = $1", ("why?",)) == "100%"
        if conn.dialect == "postgresql":
            # `?` is also an operator of PostgreSQL's jsonb (does the object have this key?)
            assert conn.scalar("SELECT CAST($1 AS JSONB) ? 'a'", ('{"a": 1}',)) is True


def test_a_parameter_used_twice_binds_one_value(database):
    with database.connect() as conn:
        assert conn.fetchone("SELECT CAST($1 AS TEXT), CAST($2 AS TEXT) || CAST($1 AS TEXT)", ("a", "b")) == ("a", "ba")
        conn.execute("INSERT INTO catalogue_meta (key, value) VALUES ($1, $1)", ("same",))
        assert conn.fetchone("SELECT key, value FROM catalogue_meta WHERE key = $1 AND value = $1", ("same",)) == (
            "same",
            "same",
        )


def test_executemany_binds_each_row(database):
    rows = [("k1", "one?"), ("k2", "two %s"), ("k3", "three %")]
    with database.connect() as conn, conn.transaction():
        conn.executemany("INSERT INTO catalogue_meta (key, value) VALUES ($1, $2)", rows)
        conn.executemany("UPDATE catalogue_meta SET value = value || '!' WHERE key = $1", [("k1",), ("k3",)])
        conn.executemany("INSERT INTO catalogue_meta (key, value) VALUES ($1, $2)", [])  # nothing to do
    with database.connect() as conn:
        assert conn.fetchall("SELECT key, value FROM catalogue_meta WHERE key LIKE 'k%' ORDER BY key") == [
            ("k1", "one?!"),
            ("k2", "two %s"),
            ("k3", "three %!"),
        ]


def test_a_statement_from_pieces_carries_its_parameters(database):
    with database.connect() as conn:
        conn.executemany("INSERT INTO catalogue_meta (key, value) VALUES ($1, $2)", [("a", "?"), ("b", "%"), ("c", "x")])
        keys = param_list(["a", "b", "c"])
        statement = (
            "SELECT key FROM catalogue_meta WHERE key IN (" + keys + ") AND value <> " + param("x")
            + " AND key IN (" + keys + ") AND value NOT LIKE 'never?%' ORDER BY key"
        )
        assert conn.fetchall(statement) == [("a",), ("b",)]
        assert conn.scalar(Sql("SELECT COUNT(*) FROM catalogue_meta WHERE value = '?'")) == 1
        with pytest.raises(TypeError):
            conn.fetchall(statement, ("a",))
