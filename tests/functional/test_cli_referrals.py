"""`trialfinder outbox`, `referrals` and `purge` as an operator runs them, against a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.cli import run_trialfinder as run
from support.cli import user_env
from support.smtp_server import SmtpServer

from trialfinder.actions.outbox import stamp
from trialfinder.notifications.email import OutgoingEmail, message_text
from trialfinder.storage.outbox import Outbox
from trialfinder.storage.referrals import NewReferral, ReferralStore

SENDER = "trialfinder <no-reply@trials.example>"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def env(tmp_path, database_url, smtp, gazetteer_cache) -> dict[str, str]:
    return user_env(
        tmp_path, database_url, cache_dir=gazetteer_cache, smtp_host="127.0.0.1", smtp_port=str(smtp.port),
        smtp_security="none", mail_from=SENDER,
    )


def add_referral(database, public_id: str, created: datetime, email: str = "anna@example.org") -> int:
    with database.connect() as conn, conn.transaction():
        stored, _ = ReferralStore(conn).add(
            NewReferral(
                public_id=public_id,
                submission=f"sub-{public_id}",
                nct_id="NCT05786924",
                route="site",
                site_key="abc",
                site_label="Fred Hutchinson Cancer Research Center",
                team_email="team@site.example",
                team_language="en",
                person_language="en",
                first_name="Anna",
                last_name="de Vries",
                email=email,
                phone="+31 20 123 4567",
                contact_language="nl",
                residence="Utrecht",
                message="",
                created_at=stamp(created),
            )
        )
        for kind, to in (("team", "team@site.example"), ("copy", email)):
            body = message_text(
                OutgoingEmail(to=to, subject=f"{kind} {public_id}", text="t", html="<p>h</p>"), sender=SENDER
            )
            Outbox(conn).add(
                dedupe_key=f"{public_id}:{kind}",
                kind=f"referral_{kind}",
                recipient=to,
                body=body,
                now=stamp(created),
                referral_id=stored.id,
            )
    return stored.id


def test_a_refused_message_shows_in_outbox_and_is_sent_after_retry(env, database, smtp):
    add_referral(database, "ref1", datetime.now(UTC))
    smtp.reject.add("anna@example.org")
    sent = run("outbox", "--send", env=env)
    assert sent.returncode == 0
    assert "Sent 1, to retry later 0, failed 1" in sent.stderr
    assert "Outbox: 0 waiting, 1 failed, 1 sent" in sent.stdout
    [line] = [line for line in sent.stdout.splitlines() if line.startswith("#")]
    assert "failed" in line and "to a***@example.org" in line and "SMTP 550" in line
    assert "anna@example.org" not in sent.stdout  # addresses are masked

    smtp.reject.clear()
    retried = run("outbox", "--retry", env=env)
    assert "Queued again: 1 message." in retried.stderr
    assert "Outbox: 0 waiting, 0 failed, 2 sent" in retried.stdout
    assert sorted(item.recipients[0] for item in smtp.wait_for(2)) == ["anna@example.org", "team@site.example"]


def test_one_message_no_server_can_take_holds_up_nothing_and_is_reported(tmp_path, database_url, database, gazetteer_cache):
    # A server without SMTPUTF8 cannot take a message for zoë@; `outbox --send` once stopped at it with status 3
    # (UnicodeEncodeError) and sent nothing else. Now it is failed, with the reason, and the rest go.
    with SmtpServer(smtputf8=False) as plain:
        env = user_env(
            tmp_path, database_url, cache_dir=gazetteer_cache, smtp_host="127.0.0.1", smtp_port=str(plain.port),
            smtp_security="none", mail_from=SENDER,
        )
        add_referral(database, "first", datetime.now(UTC) - timedelta(minutes=2))
        add_referral(database, "zoe", datetime.now(UTC) - timedelta(minutes=1), email="zoë@example.org")
        add_referral(database, "last", datetime.now(UTC), email="bert@example.org")
        sent = run("outbox", "--send", env=env)
        received = plain.wait_for(5)
    assert sent.returncode == 0, sent.stderr
    assert "Sent 5, to retry later 0, failed 1" in sent.stderr
    assert sorted(item.recipients[0] for item in received).count("team@site.example") == 3
    [line] = [line for line in sent.stdout.splitlines() if line.startswith("#")]
    assert "failed" in line and "SMTPUTF8" in line
    assert "zoë@example.org" not in sent.stdout + sent.stderr  # masked


def test_referrals_lists_states_without_personal_details(env, database):
    first = add_referral(database, "ref1", datetime.now(UTC))
    add_referral(database, "ref2", datetime.now(UTC))
    with database.connect() as conn, conn.transaction():
        ReferralStore(conn).mark_contacted(first, stamp(datetime.now(UTC)))
    listed = run("referrals", env=env)
    assert listed.returncode == 0 and listed.stdout.startswith("2 referrals.")
    assert "waiting" in listed.stdout and "contacted" in listed.stdout
    assert "Fred Hutchinson Cancer Research Center" in listed.stdout
    for private in ("Anna", "anna@example.org", "4567", "Utrecht"):
        assert private not in listed.stdout
    waiting = run("referrals", "--state", "waiting", env=env)
    assert waiting.stdout.startswith("1 referral waiting.")


def test_purge_deletes_referrals_past_the_retention_period(env, database):
    add_referral(database, "old", datetime.now(UTC) - timedelta(days=181))
    add_referral(database, "new", datetime.now(UTC) - timedelta(days=10))
    done = run("purge", env=env)
    assert done.returncode == 0 and "Deleted 1 referral older than 180 days." in done.stdout
    with database.connect() as conn:
        assert [referral.public_id for referral in ReferralStore(conn).listing()] == ["new"]
        assert Outbox(conn).counts() == {"pending": 2}
    shorter = run("purge", env={**env, "TRIALFINDER_REFERRAL_RETENTION_DAYS": "5"})
    assert "Deleted 1 referral older than 5 days." in shorter.stdout
