"""Running the `trialfinder` command as a user does: a subprocess with its own environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run_trialfinder(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    """Run `python -m trialfinder ARGS`; a traceback in its output fails the test (errors are one line)."""
    done = subprocess.run(
        [sys.executable, "-m", "trialfinder", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    return done


def user_env(home: Path, database_url: str, *, cache_dir: Path, **settings: str) -> dict[str, str]:
    """An environment with its own data folder, the given cache folder (the test run's shared gazetteer, as a rule)
    and database, and no starter catalogue."""
    return {
        **os.environ,
        "TRIALFINDER_DATA_DIR": str(home / "data"),
        "TRIALFINDER_CACHE_DIR": str(cache_dir),
        "TRIALFINDER_DATABASE_URL": database_url,
        "TRIALFINDER_LOAD_STARTER_CATALOGUE": "false",
        **{f"TRIALFINDER_{name.upper()}": value for name, value in settings.items()},
    }
