"""`trialfinder notify` as an operator runs it after an import: alerts reach a real SMTP server, once."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
from conftest import FIXTURES
from support.cli import run_trialfinder as run
from support.cli import user_env
from support.smtp_server import SmtpServer

from trialfinder.actions import subscriptions as subscription_actions
from trialfinder.actions.email_writer import EmailWriter
from trialfinder.domain.search import Search
from trialfinder.domain.subscriptions import Frequency
from trialfinder.domain.values import GeoPoint
from trialfinder.settings import Settings
from trialfinder.storage.database import Database
from trialfinder.storage.subscriptions import SubscriptionStore

EMAIL = "reader@example.org"
SENDER = "trialfinder <no-reply@trials.example>"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def env(tmp_path, database_url, smtp, gazetteer_cache) -> dict[str, str]:
    return user_env(
        tmp_path,
        database_url,
        cache_dir=gazetteer_cache,
        smtp_host="127.0.0.1",
        smtp_port=str(smtp.port),
        smtp_security="none",
        mail_from=SENDER,
        public_url="https://trials.example.org",
        secret_key="k" * 40,
    )


def new_trial(folder, nct: str):
    data = json.loads((FIXTURES / "ctgov_v2" / "NCT06857773.json").read_text())
    data["protocolSection"]["identificationModule"]["nctId"] = nct
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{nct}.json").write_text(json.dumps(data))
    return folder


def test_notify_after_an_import_sends_each_alert_once(env, smtp, tmp_path, database_url):
    assert run("migrate", env=env).returncode == 0
    database = Database(database_url)
    writer = EmailWriter.from_settings(Settings.from_env(env))  # as the site would write the sign-up's email
    outcome = subscription_actions.sign_up(
        database=database,
        email=EMAIL,
        language="nl",
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
    assert run("import", "--quiet", str(new_trial(tmp_path / "new", "NCT09300001")), env=env).returncode == 0

    done = run("notify", env=env)
    assert done.returncode == 0, done.stderr
    assert "1 new match(es), 1 alert(s) queued" in done.stdout
    # The sign-up's own email and the alert.
    alert = smtp.wait_for(2)[-1].message
    assert alert["Subject"] == "Een nieuwe studie past bij uw zoekopdracht"
    assert alert["List-Unsubscribe"].startswith("<https://trials.example.org/subscriptions/unsubscribe?token=")
    assert "NCT09300001" in alert.get_body(("plain",)).get_content()
    assert EMAIL not in done.stdout + done.stderr

    again = run("notify", env=env)
    assert "0 new match(es), 0 alert(s) queued" in again.stdout
    assert len(smtp.received) == 2
    database.close()


def test_notify_has_help():
    done = run("notify", "--help", env=dict(os.environ))
    assert "newly match their saved searches" in done.stdout
