"""Schemathesis against a real `trialfinder serve`: the JSON API's answers checked against its OpenAPI document.

    .venv/bin/python bench/api_conformance.py [--examples 500] [--seed N] [--database URL]

Starts `python -m trialfinder serve` on a free port of 127.0.0.1 over the starter catalogue (loaded on first use
into bench/out/api-conformance.db and reused; `--database` for another, e.g. PostgreSQL), waits for it, and runs
every operation of /api/openapi.json through schemathesis's phases (the document's examples, coverage of
boundaries and invalid values, fuzzing with `--examples` per operation) with the checks of
tests/support/api_conformance.py: no server error, a documented status code, content type, headers and body,
invalid input refused, valid input accepted. Prints the figures and every failure; exits 1 when there is one, or
when the server logged an error or a traceback. tests/integration/web/test_reliability_openapi.py runs the same
checks in process, with few examples.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "tests"))

from support.api_conformance import run_against_url  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_serving(base_url: str, server: subprocess.Popen, timeout: float = 600) -> None:
    """The first start loads the starter catalogue: that takes a while."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode}) before it answered")
        try:
            if httpx.get(f"{base_url}/api/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"the server did not answer within {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=500, help="examples per operation in the fuzzing phase")
    parser.add_argument("--seed", type=int, default=None, help="the generator's seed (default: a new one)")
    parser.add_argument("--database", default=None, help="catalogue URL (default: a SQLite file in bench/out)")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    database = args.database or f"sqlite:///{OUT / 'api-conformance.db'}"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    home = Path(tempfile.mkdtemp(prefix="api-conformance-"))
    env = {
        **os.environ,
        "TRIALFINDER_DATABASE_URL": database,
        "TRIALFINDER_DATA_DIR": str(home / "data"),
        "TRIALFINDER_CACHE_DIR": str(OUT / "cache"),
        "TRIALFINDER_LOAD_STARTER_CATALOGUE": "true",
        "TRIALFINDER_LOG_LEVEL": "WARNING",
        "TRIALFINDER_MATCHES_PER_CLIENT": "0",  # hundreds of matches from one client: no 429 to count as wrong
    }
    log_path = home / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "trialfinder", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            wait_until_serving(base_url, server)
            print(f"serving {database} at {base_url}; running schemathesis ({args.examples} examples)...", flush=True)
            report = run_against_url(base_url, max_examples=args.examples, seed=args.seed)
        finally:
            server.terminate()
            server.wait(timeout=30)
    logged = log_path.read_text()
    server_errors = [line for line in logged.splitlines() if line.startswith("ERROR") or "Traceback" in line]

    print(report.summary())
    print("operations:", ", ".join(sorted(report.operations)))
    for failure in report.failures:
        print(f"- {failure}")
    for error in report.errors:
        print(f"! {error}")
    for line in server_errors:
        print(f"server: {line}")
    return 1 if report.failures or report.errors or report.server_errors or server_errors else 0


if __name__ == "__main__":
    sys.exit(main())
