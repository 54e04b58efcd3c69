"""The website in a real browser: one server and one headless Chromium per session, a fresh context per test.

The server is the real program (`python -m trialfinder serve`) in a subprocess, over a SQLite catalogue built
from tests/fixtures/ by the real `import` command. The browser is the system's Chromium (Debian's
/usr/bin/chromium) driven by Playwright; Playwright's own browser downloads are never used. Without Playwright
or Chromium the tests skip with the reason; when CI=true they fail instead, so CI cannot pass without them.

Artifacts (ignored by git): artifacts/screenshots/<name>.png, a full-page screenshot of every page that
`check_accessibility` checked, and artifacts/axe/<name>.json, axe-core's complete report for it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

# Not `from conftest import ...`: pytest imports this file as the module `conftest` too (see the hook below).
PROJECT_ROOT = Path(__file__).resolve().parents[3]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
ARTIFACTS = PROJECT_ROOT / "artifacts"
IN_CI = os.environ.get("CI", "").lower() == "true"

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_START_SECONDS = 30
# Playwright waits up to 30 s by default; a page of this site that takes more than 10 s is a failure anyway.
TIMEOUT_MS = 10_000
# axe-core impacts that fail a page (WCAG problems that block or seriously hinder someone).
BLOCKING_IMPACTS = ("serious", "critical")
# Lines of the server's log that mean something broke: ERROR or CRITICAL records (ours, as "ERROR name: ...",
# and uvicorn's, as "ERROR: ...") and tracebacks.
SERVER_ERROR = re.compile(r"^(?:ERROR|CRITICAL)\b.*$|^Traceback.*$", re.MULTILINE)


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(reason + " (CI=true: the browser tests must run)")
    pytest.skip(reason)


# --- the site ---------------------------------------------------------------------------------------------------


@dataclass
class Site:
    url: str
    log: Path

    def log_text(self, start: int = 0) -> str:
        return self.log.read_bytes()[start:].decode("utf-8", "replace")

    def log_size(self) -> int:
        return self.log.stat().st_size


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "trialfinder", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, f"trialfinder {' '.join(args)}:\n{done.stderr}"
    return done.stdout


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@pytest.fixture(scope="session")
def site_env(tmp_path_factory, gazetteer_cache) -> dict[str, str]:
    """An environment whose catalogue holds the fixture records: 4 API v2 records and 8 legacy XML ones."""
    home = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "TRIALFINDER_DATA_DIR": str(home / "data"),
        "TRIALFINDER_CACHE_DIR": str(gazetteer_cache),
        "TRIALFINDER_DATABASE_URL": f"sqlite:///{home / 'catalogue.db'}",
        "TRIALFINDER_LOAD_STARTER_CATALOGUE": "false",
        "TRIALFINDER_IMPORT_WORKERS": "0",  # a dozen records: worker processes would cost more than they save
        # The reference trial gives no contact email: its referrals go to this inbox (as .eml files: no SMTP here).
        "TRIALFINDER_REFERRAL_INBOX": "referrals@operator.example",
        # The access log's lines (method, path, status; never a query string): a test can see what answered 404.
        "TRIALFINDER_LOG_LEVEL": "INFO",
    }
    assert "4 added" in _run(["import", "--quiet", str(FIXTURES / "ctgov_v2")], env)
    assert "8 added" in _run(["import", "--quiet", str(FIXTURES / "ctgov_xml")], env)
    return env


@pytest.fixture(scope="session")
def site(site_env, tmp_path_factory) -> Iterator[Site]:
    """`trialfinder serve` on a free port of 127.0.0.1, stopped (SIGTERM, then SIGKILL) after the session."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    url = f"http://127.0.0.1:{port}"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "trialfinder", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=site_env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _answers(url + "/"):
            if process.poll() is not None:
                pytest.fail(f"`trialfinder serve` exited with {process.returncode}:\n{log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(
                    f"`trialfinder serve` did not answer on {url} within {SERVER_START_SECONDS} s:\n{log.read_text()}"
                )
            time.sleep(0.1)
        yield Site(url, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the browser ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator:
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        _unavailable(f"Playwright is not installed ({error}); pip install -e '.[test]'")
    executable = shutil.which("chromium")
    if executable is None:
        _unavailable("Chromium is not installed (no `chromium` on PATH); run scripts/ensure-browser")
    with sync_playwright() as playwright:
        try:
            launched = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Error as error:
            _unavailable(f"Chromium at {executable} does not start: {str(error).splitlines()[0]}")
        yield launched
        launched.close()


@pytest.fixture
def new_context(browser, site) -> Iterator[Callable]:
    """Makes browser contexts (fresh cookies and storage) on the site; closed when the test ends.

    Options are Playwright's `browser.new_context` ones; the default locale is en-US. The test fails when the
    server logged an error meanwhile (an internal error, a traceback): a 500 is a bug even when the page looked fine.
    """
    made = []
    log_start = site.log_size()

    def make(**options):
        context = browser.new_context(**{"base_url": site.url, "locale": "en-US", **options})
        context.set_default_timeout(TIMEOUT_MS)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()
    errors = SERVER_ERROR.findall(site.log_text(log_start))
    if errors:
        pytest.fail("the server logged errors during this test:\n" + "\n".join(errors[:20]))


@pytest.fixture
def context(new_context):
    return new_context()


@pytest.fixture
def page(context):
    return context.new_page()


# --- accessibility ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def axe():
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError as error:
        _unavailable(f"axe-playwright-python is not installed ({error}); pip install -e '.[test]'")
    return Axe()


def _describe(violation: dict) -> str:
    lines = [f"- {violation['id']} ({violation.get('impact')}): {violation.get('help')} <{violation.get('helpUrl')}>"]
    for node in violation.get("nodes", []):
        target = " ".join(str(part) for part in node.get("target", []))
        summary = " ".join((node.get("failureSummary") or "").split())
        lines.append(f"    at {target}: {summary}")
    return "\n".join(lines)


def _save_screenshot(page, name: str) -> Path:
    path = ARTIFACTS / "screenshots" / f"{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def save_screenshot() -> Callable:
    """`save_screenshot(page, name)`: a full-page screenshot in artifacts/screenshots/<name>.png."""
    return _save_screenshot


@pytest.fixture
def check_accessibility(axe) -> Callable:
    """`check_accessibility(page, name)`: axe-core on the page as it is now; fails on serious or critical violations.

    Saves artifacts/screenshots/<name>.png (full page) and artifacts/axe/<name>.json whatever the outcome.
    """

    def check(page, name: str) -> None:
        _save_screenshot(page, name)
        reports = ARTIFACTS / "axe"
        reports.mkdir(parents=True, exist_ok=True)
        results = axe.run(page)
        (reports / f"{name}.json").write_text(json.dumps(results.response, indent=2, ensure_ascii=False))
        blocking = [v for v in results.response.get("violations", []) if v.get("impact") in BLOCKING_IMPACTS]
        if blocking:
            pytest.fail(
                f"axe-core found {len(blocking)} serious or critical violation(s) on {name} ({page.url}):\n"
                + "\n".join(_describe(v) for v in blocking),
                pytrace=False,
            )

    return check
