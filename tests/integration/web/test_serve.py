"""`trialfinder serve`: the real command in a subprocess, answering over HTTP on localhost, logging no query string."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from conftest import FIXTURES

from trialfinder.actions.catalogue import prepare_database
from trialfinder.actions.importing import import_path
from trialfinder.geo.gazetteer import SiteGeocoder
from trialfinder.storage.database import Database

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server_env(tmp_path, gazetteer_cache):
    url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    database = Database(url)
    prepare_database(database=database)
    import_path(database=database, path=FIXTURES / "ctgov_v2", geocode=SiteGeocoder(gazetteer_cache))
    database.close()
    return {
        **os.environ,
        "TRIALFINDER_DATABASE_URL": url,
        "TRIALFINDER_DATA_DIR": str(tmp_path / "data"),
        "TRIALFINDER_CACHE_DIR": str(gazetteer_cache),
        "TRIALFINDER_LOAD_STARTER_CATALOGUE": "false",
        "TRIALFINDER_LOG_LEVEL": "INFO",
    }


def _serve(env, port):
    return subprocess.Popen(
        [sys.executable, "-m", "trialfinder", "serve", "--port", str(port)],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_until_it_answers(url: str, process) -> None:
    # A cold gazetteer cache is built at start: half a minute on an idle machine, much more on a busy one.
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"serve exited with {process.returncode}: {process.stderr.read()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail("serve did not answer within 180 s")


def test_serve_answers_and_logs_paths_but_never_what_was_searched(server_env):
    port = _free_port()
    process = _serve(server_env, port)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_it_answers(f"{base}/faq", process)
        response = httpx.get(f"{base}/trials", params={"q": "mysecretdisease colorectal", "location": "Amsterdam"})
        assert response.status_code == 200
        assert "0 trials found" in response.text  # the secret word matches nothing
        found = httpx.get(f"{base}/trials", params={"q": "colorectal", "location": "Amsterdam"})
        assert 'id="hit-NCT06857773"' in found.text
        assert response.headers["x-frame-options"] == "DENY"
        assert "server" not in response.headers
        # The same port again: one line saying why, and exit code 1.
        second = _serve(server_env, port)
        _, second_err = second.communicate(timeout=30)
        assert second.returncode == 1
        assert second_err.strip() == f"Error: cannot listen on 127.0.0.1:{port}: Address already in use"
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert "GET /trials 200" in stderr
    assert "mysecretdisease" not in stderr and "Amsterdam" not in stderr
    assert "Traceback" not in stderr


def test_without_smtp_serve_says_so_and_writes_referral_emails_as_eml_files(server_env, tmp_path):
    import re

    port = _free_port()
    env = {**server_env, "TRIALFINDER_REFERRAL_INBOX": "referrals@operator.example"}
    database_file = tmp_path / "catalogue.db"
    assert database_file.stat().st_mode & 0o777 == 0o600  # created private
    database_file.chmod(0o644)  # as an older version, or a restored backup, left it
    process = _serve(env, port)
    mail_dir = tmp_path / "data" / "mail"
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_it_answers(f"{base}/faq", process)
        with httpx.Client(base_url=base) as browser:
            page = browser.get("/trials/NCT06857773")
            tokens = dict(re.findall(r'name="(csrf_token|submission)" value="([^"]+)"', page.text))
            response = browser.post(
                "/trials/NCT06857773/contact",
                data={
                    **tokens,
                    "first_name": "Anna", "last_name": "de Vries", "email": "anna@example.org",
                    "phone": "+31 20 123 4567", "contact_language": "en", "residence": "Haarlem",
                    "consent": "yes", "site": "nearest", "action": "send",
                },
            )
            assert response.status_code == 303
        deadline = time.monotonic() + 20
        while len(list(mail_dir.glob("*.eml"))) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        files = sorted(mail_dir.glob("*.eml"))
        recipients = sorted(re.search(r"^To: (.+)$", f.read_text(), re.M).group(1).strip() for f in files)
        assert recipients == ["anna@example.org", "referrals@operator.example"]
        assert mail_dir.stat().st_mode & 0o777 == 0o700
        assert {f.stat().st_mode & 0o777 for f in files} == {0o600}
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert f"Email: no SMTP server is set (TRIALFINDER_SMTP_HOST), so messages stay in the outbox and are written as .eml files to {mail_dir}" in stderr
    assert "Traceback" not in stderr and "Anna" not in stderr and "anna@example.org" not in stderr
    assert f"Warning: {database_file} is open to other users (mode 0644); it holds personal data: chmod 600" in stderr
    assert "TRIALFINDER_PUBLIC_URL is not set" in stderr
