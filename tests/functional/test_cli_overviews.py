"""`trialfinder overviews` as an operator runs it: built-in overviews ahead of time, and a language model's."""

from __future__ import annotations

import pytest
from conftest import FIXTURES
from support.chat_server import ChatServer, good
from support.cli import run_trialfinder as run
from support.cli import user_env

REFERENCE = "NCT06857773"


@pytest.fixture
def env(tmp_path, database_url, gazetteer_cache) -> dict[str, str]:
    env = user_env(tmp_path, database_url, cache_dir=gazetteer_cache, import_workers="0")
    assert run("import", "--quiet", str(FIXTURES / "ctgov_v2"), env=env).returncode == 0
    return env


def test_builtin_overviews_are_written_once_per_record_version(env):
    first = run("overviews", "--quiet", env=env)
    assert first.returncode == 0
    assert first.stdout.strip() == (
        "Overviews: 8 built-in and 0 model overviews written, 0 current, 0 model failures, 0 not in the catalogue."
    )
    again = run("overviews", "--quiet", env=env)
    assert "0 built-in and 0 model overviews written, 8 current" in again.stdout


def test_a_language_model_writes_them_when_the_operator_has_one(env):
    assert run("overviews", "--model", env=env).returncode == 2  # no model set: a usage error, one line
    with ChatServer(good) as server:
        model_env = {**env, "TRIALFINDER_OVERVIEW_MODEL_URL": server.url, "TRIALFINDER_OVERVIEW_MODEL_NAME": "local"}
        done = run("overviews", "--model", "--trial", REFERENCE, "--quiet", env=model_env)
    assert done.returncode == 0, done.stderr
    assert "0 built-in and 2 model overviews written" in done.stdout
    assert len(server.requests) == 2  # English and Dutch


def test_a_bad_trial_id_is_a_usage_error(env):
    done = run("overviews", "--trial", "NCT123", env=env)
    assert done.returncode == 2 and "is not an NCT id" in done.stderr
