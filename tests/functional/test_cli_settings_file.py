"""Every command reads the same settings: the settings file in the data folder, with environment variables over it.

`notify` run from another shell, without the SMTP variables `serve` had, wrote its alerts to .eml files and marked
them sent: with the settings in `<data dir>/settings.env` it sends them through the same SMTP server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

import pytest
from conftest import FIXTURES
from support.cli import run_trialfinder as run
from support.cli import user_env
from support.smtp_server import SmtpServer, free_port

from trialfinder.actions import subscriptions as subscription_actions
from trialfinder.actions.email_writer import EmailWriter
from trialfinder.domain.search import Search
from trialfinder.domain.subscriptions import Frequency
from trialfinder.domain.values import GeoPoint
from trialfinder.settings import Settings
from trialfinder.storage.database import Database
from trialfinder.storage.subscriptions import SubscriptionStore

EMAIL = "reader@example.org"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def write_settings(data_dir, text: str, mode: int = 0o600):
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / "settings.env"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_notify_run_without_the_smtp_variables_sends_through_the_server_in_the_settings_file(
    tmp_path, database_url, smtp, gazetteer_cache
):
    # The shell has none of the SMTP settings: only the data folder and the database.
    env = user_env(tmp_path, database_url, cache_dir=gazetteer_cache)
    for name in list(env):
        if name.startswith("TRIALFINDER_") and name not in (
            "TRIALFINDER_DATA_DIR",
            "TRIALFINDER_CACHE_DIR",
            "TRIALFINDER_DATABASE_URL",
            "TRIALFINDER_LOAD_STARTER_CATALOGUE",
        ):
            del env[name]
    env["TRIALFINDER_MAIL_FROM"] = "From the environment <env@trials.example>"  # the environment wins over the file
    write_settings(
        tmp_path / "data",
        "# settings for every trialfinder command\n"
        "TRIALFINDER_SMTP_HOST=127.0.0.1\n"
        f"export TRIALFINDER_SMTP_PORT={smtp.port}\n"
        "TRIALFINDER_SMTP_SECURITY=none\n"
        'TRIALFINDER_MAIL_FROM="From the file <file@trials.example>"\n'
        "TRIALFINDER_PUBLIC_URL=https://trials.example.org\n"
        f"TRIALFINDER_SECRET_KEY='{'k' * 40}'\n",
    )
    assert run("migrate", env=env).returncode == 0
    database = Database(database_url)
    writer = EmailWriter.from_settings(Settings.from_env(env))  # as the site would write the sign-up's email
    outcome = subscription_actions.sign_up(
        database=database,
        email=EMAIL,
        language="en",
        search=Search.from_query_string("condition=liver+metastases&location=Amsterdam&radius=25").located(
            GeoPoint(52.37403, 4.88969)
        ),
        frequency=Frequency.IMMEDIATE,
        writer=writer,
        base_url=writer.base_url,
        confirm_days=7,
        now=datetime.now(UTC),
    )
    with database.connect() as conn:
        subscription = SubscriptionStore(conn).by_id(outcome.subscription_id)
    subscription_actions.confirm(database=database, subscription=subscription)
    record = json.loads((FIXTURES / "ctgov_v2" / "NCT06857773.json").read_text())
    record["protocolSection"]["identificationModule"]["nctId"] = "NCT09300002"
    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "NCT09300002.json").write_text(json.dumps(record))
    assert run("import", "--quiet", str(tmp_path / "new"), env=env).returncode == 0

    done = run("notify", env=env)
    assert done.returncode == 0, done.stderr
    assert f"SMTP server 127.0.0.1:{smtp.port}" in done.stdout
    alert = smtp.wait_for(2)[-1].message
    assert "NCT09300002" in alert.get_body(("plain",)).get_content()
    assert alert["From"] == "From the environment <env@trials.example>"
    assert alert["List-Unsubscribe"].startswith("<https://trials.example.org/subscriptions/unsubscribe?token=")
    assert list((tmp_path / "data").glob("mail/*.eml")) == []
    assert "Warning" not in done.stderr
    outbox = run("outbox", "--all", env=env)
    assert "0 waiting, 0 failed, 2 sent" in outbox.stdout
    database.close()


def test_a_settings_file_others_can_read_is_named_by_every_command(tmp_path, database_url, gazetteer_cache):
    env = user_env(tmp_path, database_url, cache_dir=gazetteer_cache)
    path = write_settings(tmp_path / "data", "TRIALFINDER_SMTP_PASSWORD=secret-password\n", mode=0o644)
    done = run("stats", env=env)
    assert done.returncode == 0
    assert (
        f"Warning: {path} is open to other users (mode 0644); it holds settings such as passwords: chmod 600 {path}"
        in done.stderr
    )
    assert "secret-password" not in done.stdout + done.stderr


def test_a_line_that_is_not_a_setting_is_one_line_naming_the_file(tmp_path, database_url, gazetteer_cache):
    env = user_env(tmp_path, database_url, cache_dir=gazetteer_cache)
    path = write_settings(tmp_path / "data", "\nTRIALFINDER_SMTP_HOTS=mail.example.org\n")
    done = run("stats", env=env)
    assert done.returncode == 1
    assert done.stderr.strip() == f"Error: {path} line 2: 'TRIALFINDER_SMTP_HOTS' is not a setting (see docs/SETTINGS.md)"


@pytest.mark.slow
def test_serve_says_which_settings_file_it_read(tmp_path, database_url, gazetteer_cache):
    env = user_env(tmp_path, database_url, cache_dir=gazetteer_cache)
    path = write_settings(tmp_path / "data", "TRIALFINDER_REFERRAL_INBOX=office@example.org\n")
    assert run("migrate", env=env).returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "trialfinder", "serve", "--port", str(free_port())],
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stderr), daemon=True)  # type: ignore[arg-type]
    reader.start()
    try:
        deadline = time.monotonic() + 120
        # What serve says at start comes in one go, before it listens; here its last line is about links in emails.
        while time.monotonic() < deadline and not any(line.startswith("Links in emails:") for line in lines):
            if process.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        # It stops once it has started: after building the gazetteer index for this fresh cache folder, if need be.
        process.terminate()
        process.wait(timeout=300)
        reader.join(timeout=10)
        process.stderr.close()  # type: ignore[union-attr]
    assert f"Settings: read {path}; TRIALFINDER_* environment variables override it." in "".join(lines)
    # The file's referral inbox reached serve: it does not warn that none is set.
    assert "TRIALFINDER_REFERRAL_INBOX is not set" not in "".join(lines)
    assert os.environ.get("TRIALFINDER_REFERRAL_INBOX") is None
