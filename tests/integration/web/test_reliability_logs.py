"""Request paths reach the logs escaped: a newline, an escape sequence or a bidirectional override in a path (sent
percent-encoded, decoded by the server) cannot forge a log line or hide part of one."""

from __future__ import annotations

import logging


def _access_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "trialfinder.web.access"]


def test_a_path_cannot_forge_an_access_log_line(client, caplog):
    caplog.set_level(logging.INFO, logger="trialfinder.web.access")
    forged = "/trials/%0AGET%20/admin%20200%201ms%0D%1B[2J%E2%80%AEgnp.exe"
    response = client.get(forged)
    assert response.status_code == 404

    [line] = _access_lines(caplog)
    assert line == "GET /trials/\\nGET /admin 200 1ms\\r\\x1b[2J\\u202egnp.exe 404 " + line.rsplit(" ", 1)[1]
    assert all(character.isprintable() for character in line)

