"""The `trialfinder` command as a user runs it: a subprocess, real files, real databases."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from conftest import FIXTURES
from support.replay_server import ReplayServer, Reply

V2 = FIXTURES / "ctgov_v2"
PAGES = FIXTURES / "ctgov_api"


def run(*args: str, env: dict[str, str], check_clean: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "trialfinder", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        stdin=subprocess.DEVNULL,
    )
    if check_clean:
        assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done


@pytest.fixture(scope="module")
def cache_dir(gazetteer_cache) -> Path:
    """The test run's gazetteer (built once for the run; the product rebuilds it when absent)."""
    return gazetteer_cache


@pytest.fixture
def env(tmp_path, database_url, cache_dir) -> dict[str, str]:
    """A user's environment with its own data folder, an empty database and no starter catalogue."""
    return {
        **os.environ,
        "TRIALFINDER_DATA_DIR": str(tmp_path / "data"),
        "TRIALFINDER_CACHE_DIR": str(cache_dir),
        "TRIALFINDER_DATABASE_URL": database_url,
        "TRIALFINDER_LOAD_STARTER_CATALOGUE": "false",
    }


def test_help_documents_every_command(env):
    done = run("--help", env=env)
    assert done.returncode == 0
    for command in ("import", "sync", "show", "stats", "migrate"):
        assert command in done.stdout
        sub = run(command, "--help", env=env)
        assert sub.returncode == 0 and "Usage:" in sub.stdout


def test_import_show_and_stats(env):
    done = run("import", str(V2), env=env)
    assert done.returncode == 0, done.stderr
    assert "4 added, 0 updated, 0 unchanged, 0 rejected" in done.stdout

    again = run("import", str(V2), env=env)
    assert "0 added, 0 updated, 4 unchanged, 0 rejected" in again.stdout

    shown = run("show", "nct06857773", env=env)
    assert shown.returncode == 0
    text = shown.stdout
    assert "Induction Treatment for Initially Unresectable Colorectal Liver Metastases" in text
    assert "Recruiting | 18 years and older | All | Phase 3" in text
    assert "2023-506194-35-00" in text
    assert "Hb ≥ 5.5 mmol/L" in text
    assert "• The Netherlands Cancer Institute (Amsterdam, Netherlands) [Recruiting]" in text

    stats = run("stats", env=env)
    assert stats.returncode == 0
    assert "Trials: 4" in stats.stdout
    assert "  Recruiting  " in stats.stdout  # human labels, not registry codes
    assert "Netherlands" in stats.stdout
    assert "newest registry update       2025-09-24" in stats.stdout


def test_show_says_what_an_unknown_status_last_was(env):
    assert run("import", "--quiet", str(FIXTURES / "ctgov_xml"), env=env).returncode == 0
    shown = run("show", "NCT00495183", env=env)
    assert shown.returncode == 0
    assert "Status unknown (last known: recruiting, last verified 2010-05) | " in shown.stdout
    stored = json.loads(run("show", "--json", "NCT00495183", env=env).stdout)
    assert stored["last_known_status"] == "RECRUITING"
    assert stored["status_verified"] == {"year": 2010, "month": 5, "day": None}


def test_rejected_records_are_listed_and_the_rest_imported(env, tmp_path):
    folder = tmp_path / "records"
    shutil.copytree(V2, folder)
    (folder / "broken.json").write_text("{not json")
    done = run("import", str(folder), env=env)
    assert done.returncode == 0
    assert "4 added, 0 updated, 0 unchanged, 1 rejected" in done.stdout
    assert "rejected broken.json: invalid JSON" in done.stderr


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (("import", "/no/such/place"), "no such file or folder", 1),
        (("show", "NCT123"), "is not an NCT id", 2),
        (("show", "NCT00000001"), "is not in the catalogue", 1),
        (("sync", "--since", "last tuesday"), "is not a date", 2),
        (("frobnicate",), "No such command", 2),
    ],
)
def test_errors_are_one_clear_line_and_a_non_zero_exit(env, args, message, code):
    done = run(*args, env=env)
    assert done.returncode == code
    assert message in done.stderr


def test_truncated_zip_is_one_line(env, tmp_path):
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for record in V2.glob("*.json"):
            zf.write(record, record.name)
    archive.write_bytes(archive.read_bytes()[:5000])
    done = run("import", str(archive), env=env)
    assert done.returncode == 1
    assert done.stderr.strip().count("\n") == 0
    assert "not a complete zip archive" in done.stderr


def test_bad_settings_and_unreachable_database_are_one_line(env):
    bad = run("stats", env={**env, "TRIALFINDER_IMPORT_BATCH_SIZE": "lots"})
    assert bad.returncode == 1
    assert "TRIALFINDER_IMPORT_BATCH_SIZE must be a whole number" in bad.stderr
    unreachable = run("--database", "postgresql://nobody:secret@127.0.0.1:1/none", "stats", env=env)
    assert unreachable.returncode == 1
    assert "cannot connect to postgresql://nobody:***@127.0.0.1:1/none" in unreachable.stderr
    assert "secret" not in unreachable.stderr


def test_sync_against_a_replayed_registry(env):
    script = [
        Reply.file(PAGES / "version.json"),
        Reply.file(PAGES / "page1.json"),
        Reply.file(PAGES / "page2.json"),
    ]
    with ReplayServer(script) as server:
        done = run("sync", "--quiet", env={**env, "TRIALFINDER_CTGOV_API_URL": server.url})
    assert done.returncode == 0, done.stderr
    assert "Synced 2 page(s): 4 added" in done.stdout
    assert "Cursor: none -> 2025-11-20T09:00:05" in done.stdout
    stats = run("stats", env=env)
    assert "2025-11-20T09:00:05  (ctgov_v2.cursor)" in stats.stdout


def test_an_unknown_sync_status_is_refused_before_going_online(env):
    with ReplayServer([Reply.file(PAGES / "version.json")]) as server:
        done = run("sync", "--status", "FOO", env={**env, "TRIALFINDER_CTGOV_API_URL": server.url})
        assert server.requests == []
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "--status 'FOO' is not a ClinicalTrials.gov status; use one of RECRUITING, NOT_YET_RECRUITING" in done.stderr


def test_stats_says_plainly_when_the_catalogue_was_never_synced(env):
    assert run("import", "--quiet", str(V2), env=env).returncode == 0
    # The alert run keeps its own cursor in the same table as the syncs: it is not a sync.
    assert run("notify", "--no-send", env=env).returncode == 0
    stats = run("stats", env=env)
    assert "notify.cursor" not in stats.stdout
    assert "synced up to" not in stats.stdout
    assert "  synced                       never: run `trialfinder sync`" in stats.stdout
    assert re.search(r"newest registry update       2025-09-24, \d+ (months|years) ago", stats.stdout), stats.stdout
    as_json = json.loads(run("stats", "--json", env=env).stdout)
    assert as_json["freshness"]["sync_cursors"] == {}
    assert as_json["freshness"]["newest_update_age_days"] > 60


def test_registry_down_is_one_line(env):
    with ReplayServer([Reply.text("down", 503)] * 6) as server:
        done = run("sync", env={**env, "TRIALFINDER_CTGOV_API_URL": server.url, "TRIALFINDER_SYNC_MAX_RETRIES": "0"})
    assert done.returncode == 1
    assert "ClinicalTrials.gov is unavailable" in done.stderr


def _first_run_env(tmp_path: Path, cache: Path, **settings: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TRIALFINDER_DATA_DIR": str(tmp_path / "data"),
        "TRIALFINDER_CACHE_DIR": str(cache),
        **{f"TRIALFINDER_{name.upper()}": value for name, value in settings.items()},
    }
    for name in ("TRIALFINDER_DATABASE_URL", "TRIALFINDER_LOAD_STARTER_CATALOGUE"):
        env.pop(name, None)
    return env


def test_the_first_run_says_what_it_does_and_shows_progress_before_the_load_ends(tmp_path, cache_dir):
    # A small starter catalogue of the fixtures (TRIALFINDER_STARTER_CATALOGUE), written two records at a time.
    starter = tmp_path / "starter"
    shutil.copytree(V2, starter / "v2")
    shutil.copytree(FIXTURES / "ctgov_xml", starter / "xml")
    env = _first_run_env(tmp_path, cache_dir, starter_catalogue=str(starter), import_batch_size="2")
    done = run("stats", env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()

    def first(prefix: str) -> int:
        return next(number for number, line in enumerate(lines) if line.startswith(prefix))

    # Without a terminal, progress is lines: the first step, then each tenth of the way.
    assert lines[0].startswith("First run: loading the starter catalogue (12 real trials) into sqlite:///")
    assert first("Loading starter catalogue: 2 of 12 (16%)") > 0
    assert first("Loading starter catalogue: 4 of 12 (33%)") < first("Starter catalogue loaded in ")
    assert "Trials: 12" in done.stdout
    again = run("stats", env=env)
    assert "First run" not in again.stderr


@pytest.mark.slow
@pytest.mark.shared_data
def test_first_run_loads_the_starter_catalogue(tmp_path):
    cache = tmp_path / "cache"
    done = run("show", "NCT06857773", env=_first_run_env(tmp_path, cache))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith("First run: loading the starter catalogue (8,252 real trials, 675 of them recruiting")
    # The gazetteer index is built once, in the background, while the import goes on; progress shows meanwhile.
    assert lines[1].startswith("Building the offline place index for site distances, once")
    # While nothing moves, a line every five seconds says what it waits for ("...: 0 of 8,252 (0%); building the
    # place index, 10 s"); then a line for each tenth of the way.
    progress = [line for line in lines if re.match(r"Loading starter catalogue: [1-9][\d,]* of 8,252", line)]
    assert progress[0] == "Loading starter catalogue: 500 of 8,252 (6%)"
    assert lines.index(progress[-1]) < next(i for i, line in enumerate(lines) if line.startswith("Starter catalogue loaded"))
    assert "8,252 added, 0 updated, 0 unchanged, 0 rejected" in done.stderr
    assert len(list(cache.glob("gazetteer-v*.bin"))) == 1
    assert "PUMP-IT RCT" in done.stdout
    assert (tmp_path / "data" / "trialfinder.db").exists()
    stats = json.loads(run("stats", "--json", env=_first_run_env(tmp_path, cache)).stdout)
    assert stats["trials"] == 8252
    assert stats["by_status"]["RECRUITING"] == 574 and stats["by_status"]["NOT_YET_RECRUITING"] == 101
    assert stats["freshness"]["newest_registry_update"] == "2025-12-05"
    assert stats["freshness"]["sync_cursors"] == {}
    again = run("show", "NCT00000102", env=_first_run_env(tmp_path, cache))
    assert "First run" not in again.stderr
    assert again.returncode == 0
