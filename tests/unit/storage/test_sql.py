"""SQL pieces (storage/sql.py): parameters are numbered `$1 .. $n` only when the whole statement is rendered, in order
of appearance, one number per parameter however often it appears; the text is never rewritten."""

from __future__ import annotations

import pytest

from trialfinder.storage.sql import Sql, param, param_list, placeholders


def test_pieces_built_apart_are_numbered_in_order_when_rendered():
    status = "t.overall_status IN (" + param_list(["RECRUITING", "COMPLETED"]) + ")"
    age = "t.min_age_days <= " + param(6570.0)
    where = Sql(" AND ").join([status, "t.sex IN ('ALL', " + param("FEMALE") + ")", age])
    statement = "SELECT id FROM trials t WHERE " + where + " LIMIT " + param(20)

    assert statement.render() == (
        "SELECT id FROM trials t WHERE t.overall_status IN ($1, $2) AND t.sex IN ('ALL', $3) AND t.min_age_days <= $4"
        " LIMIT $5",
        ("RECRUITING", "COMPLETED", "FEMALE", 6570.0, 20),
    )
    # Each piece numbers from 1 again when it is itself the statement: a piece knows nothing of where it ends up.
    assert age.render() == ("t.min_age_days <= $1", (6570.0,))


def test_one_parameter_used_twice_is_one_number_and_one_value():
    lat = param(52.37)
    statuses = param_list(["RECRUITING"])
    statement = (
        "SELECT 1 FROM sites s WHERE sin(s.lat - " + lat + ") < cos(" + lat + ") AND s.open_status IN (" + statuses
        + ") AND s.trial_status IN (" + statuses + ") AND s.lat <> " + param(52.37)
    )

    text, values = statement.render()

    assert text == (
        "SELECT 1 FROM sites s WHERE sin(s.lat - $1) < cos($1) AND s.open_status IN ($2)"
        " AND s.trial_status IN ($2) AND s.lat <> $3"
    )
    assert values == (52.37, "RECRUITING", 52.37)  # an equal value in another piece is another parameter


def test_the_text_is_left_as_written():
    statement = "SELECT '?', 'a % b %s %%', strftime('%Y', x) FROM t WHERE a LIKE 'x?%' AND b = " + param("?")

    assert statement.render() == (
        "SELECT '?', 'a % b %s %%', strftime('%Y', x) FROM t WHERE a LIKE 'x?%' AND b = $1",
        ("?",),
    )
    assert Sql("SELECT 1").render() == ("SELECT 1", ())


def test_a_number_never_runs_on_into_the_text_after_it():
    assert (param(1) + "AND x = " + param(2) + param(3)).render() == ("$1 AND x = $2 $3", (1, 2, 3))
    assert ("x IN (" + param(1) + ")").render() == ("x IN ($1)", (1,))


def test_joining_and_adding():
    assert Sql(", ").join([]).render() == ("", ())
    assert not param_list([])
    assert Sql(", ").join(["a", Sql("b"), param(1)]).render() == ("a, b, $1", (1,))
    left = Sql("a = ") + param(1)
    both = left + " AND " + left  # the same piece twice: the same parameter
    assert both.render() == ("a = $1 AND a = $1", (1,))
    assert left.render() == ("a = $1", (1,))  # pieces never change
    with pytest.raises(TypeError):
        _ = Sql("a") + 1


def test_placeholders_of_a_static_statement():
    assert placeholders(3) == "$1, $2, $3"
    assert placeholders(2, start=21) == "$21, $22"
