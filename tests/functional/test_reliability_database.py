"""Losing the database: every command says, in one line, that the database is unreachable (its URL without the
password) and exits 1, whether PostgreSQL is unreachable from the start or goes away in the middle of a run."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from conftest import FIXTURES, POSTGRES_URL, _postgres_or_skip
from support.cli import run_trialfinder as run
from support.cli import user_env
from support.smtp_server import free_port

pytestmark = pytest.mark.postgres

PASSWORD = "s3cret-pass"

# Every command that opens the catalogue, with the arguments it needs to get that far.
COMMANDS = [
    ("migrate",),
    ("import", str(FIXTURES / "ctgov_v2")),
    ("show", "NCT06857773"),
    ("stats",),
    ("sync", "--condition", "asthma"),
    ("outbox",),
    ("referrals",),
    ("purge",),
    ("notify",),
    ("overviews",),
    ("serve", "--port", "0"),  # replaced by a free port below
]


def assert_unreachable(done: subprocess.CompletedProcess, redacted_url: str) -> None:
    assert done.returncode == 1, (done.returncode, done.stderr)
    # One line says what went wrong, and it is the last (an import may have reported its progress before it).
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error")]
    assert len(errors) == 1, done.stderr
    assert done.stderr.strip().splitlines()[-1] == errors[0]
    assert errors[0].startswith("Error: the database is unreachable"), errors[0]
    assert redacted_url in errors[0]
    assert PASSWORD not in done.stderr + done.stdout
    assert "internal error" not in errors[0] and "WARNING" not in done.stderr


@pytest.mark.parametrize("command", COMMANDS, ids=[command[0] for command in COMMANDS])
def test_every_command_says_the_database_is_unreachable_when_nothing_listens(tmp_path, command, gazetteer_cache):
    port = free_port()  # nothing listens there
    url = f"postgresql://postgres:{PASSWORD}@127.0.0.1:{port}/catalogue"
    if command[0] == "serve":
        command = ("serve", "--port", str(free_port()))
    done = run(*command, env=user_env(tmp_path, url, cache_dir=gazetteer_cache), timeout=60)
    assert_unreachable(done, f"postgresql://postgres:***@127.0.0.1:{port}/catalogue")


@pytest.fixture
def scratch_database():
    """A database of its own (the test drops it while a command uses it); its URL carries a password."""
    _postgres_or_skip()
    name = f"tf_lost_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    base = POSTGRES_URL.rsplit("/", 1)[0]  # postgresql://postgres@127.0.0.1:5432
    # Trust authentication ignores the password; it is there to check that it never shows.
    url = base.replace("postgres@", f"postgres:{PASSWORD}@", 1) + f"/{name}"
    yield name, url
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def many_records(folder: Path, count: int) -> Path:
    """The reference record as `count` trials of their own: an import that takes a while, in small batches."""
    record = json.loads((FIXTURES / "ctgov_v2" / "NCT06857773.json").read_text())
    folder.mkdir()
    for number in range(count):
        nct = f"NCT9{number:07d}"
        record["protocolSection"]["identificationModule"]["nctId"] = nct
        (folder / f"{nct}.json").write_text(json.dumps(record))
    return folder


def test_an_import_that_loses_the_database_midway_says_so_and_exits_1(tmp_path, scratch_database, gazetteer_cache):
    name, url = scratch_database
    source = many_records(tmp_path / "records", 3_000)
    env = user_env(tmp_path, url, cache_dir=gazetteer_cache)
    process = subprocess.Popen(
        [sys.executable, "-m", "trialfinder", "import", "--batch-size", "5", str(source)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    output: dict[str, str] = {}
    reader = threading.Thread(target=lambda: output.update(zip(("out", "err"), process.communicate(timeout=300), strict=True)))
    reader.start()
    # Once the first batches are committed the import is well under way: then the database goes away.
    deadline = time.monotonic() + 120
    imported = 0
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with psycopg.connect(url, connect_timeout=3) as conn:
                imported = conn.execute("SELECT count(*) FROM trials").fetchone()[0]
        except psycopg.errors.UndefinedTable:
            imported = 0
        if imported >= 10:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the import ended before the database could be dropped"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
    reader.join(timeout=300)
    assert process.returncode == 1, (process.returncode, output.get("err"))
    assert "Traceback" not in output["err"] + output["out"], output["err"]
    assert imported < 3_000
    redacted = url.replace(PASSWORD, "***")
    assert_unreachable(subprocess.CompletedProcess(process.args, process.returncode, output["out"], output["err"]), redacted)
