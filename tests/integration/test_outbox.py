"""The outbox against a real SMTP server on localhost, on both databases: delivered once, retried while the server
is down, a permanent refusal kept for the operator, nothing queued twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from support.smtp_server import SmtpServer, free_port

from trialfinder.actions.outbox import MAX_ATTEMPTS, backoff, deliver_due, requeue_failed, stamp
from trialfinder.notifications.email import OutgoingEmail, SmtpSender, build_message
from trialfinder.storage.outbox import Outbox

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SENDER = "trialfinder <no-reply@trials.example>"


def queue(database, key: str, to: str, subject: str = "Hello") -> None:
    raw = build_message(OutgoingEmail(to=to, subject=subject, text="Text ✓", html="<p>HTML ✓</p>"), sender=SENDER)
    with database.connect() as conn, conn.transaction():
        Outbox(conn).add(dedupe_key=key, kind="test", recipient=to, body=raw.as_bytes().decode("ascii"), now=stamp(NOW))


def smtp_sender(port: int) -> SmtpSender:
    return SmtpSender(host="127.0.0.1", port=port, security="none", sender=SENDER, timeout=5)


def states(database) -> dict[str, int]:
    with database.connect() as conn:
        return Outbox(conn).counts()


def test_messages_are_delivered_once_and_their_bodies_are_not_kept(database):
    with SmtpServer() as smtp:
        queue(database, "a", "one@example.org", "First")
        queue(database, "b", "two@example.org", "Second")
        report = deliver_due(database=database, sender=smtp_sender(smtp.port), now=NOW)
        assert (report.sent, report.retrying, report.failed) == (2, 0, 0)
        received = smtp.wait_for(2)
        assert sorted(item.recipients for item in received) == [("one@example.org",), ("two@example.org",)]
        assert {item.message["Subject"] for item in received} == {"First", "Second"}
        assert received[0].sender == "no-reply@trials.example"
        # A second run finds nothing due: nothing is sent twice.
        assert deliver_due(database=database, sender=smtp_sender(smtp.port), now=NOW).sent == 0
        assert len(smtp.received) == 2
    with database.connect() as conn:
        sent = Outbox(conn).listing(states=("sent",))
    assert [message.body for message in sent] == [None, None]


def test_the_same_key_is_queued_once(database):
    queue(database, "same", "one@example.org")
    queue(database, "same", "one@example.org")
    assert states(database) == {"pending": 1}


def test_while_the_server_is_down_messages_wait_with_backoff_and_go_when_it_is_back(database):
    port = free_port()  # nothing listens here yet
    queue(database, "a", "one@example.org")
    report = deliver_due(database=database, sender=smtp_sender(port), now=NOW)
    assert (report.sent, report.retrying) == (0, 1)
    with database.connect() as conn:
        [message] = Outbox(conn).listing(states=("pending",))
    assert message.attempts == 1
    assert message.next_attempt_at == stamp(NOW + backoff(1))
    assert "cannot reach" in message.last_error
    # Not due yet: nothing is tried before the backoff has passed.
    assert deliver_due(database=database, sender=smtp_sender(port), now=NOW + timedelta(seconds=30)).retrying == 0
    with SmtpServer(port) as smtp:
        report = deliver_due(database=database, sender=smtp_sender(port), now=NOW + backoff(1))
        assert report.sent == 1
        assert smtp.wait_for(1)[0].recipients == ("one@example.org",)


def test_backoff_doubles_up_to_an_hour():
    waits = [backoff(attempt) for attempt in range(1, 10)]
    assert waits[:4] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4), timedelta(minutes=8)]
    assert waits[-1] == timedelta(hours=1)


def test_a_permanent_refusal_is_kept_as_failed_and_can_be_queued_again(database):
    with SmtpServer() as smtp:
        smtp.reject.add("gone@example.org")
        queue(database, "a", "gone@example.org")
        queue(database, "b", "fine@example.org")
        report = deliver_due(database=database, sender=smtp_sender(smtp.port), now=NOW)
        assert (report.sent, report.failed) == (1, 1)
        with database.connect() as conn:
            [failed] = Outbox(conn).listing(states=("failed",))
        assert failed.recipient == "gone@example.org"
        assert "550" in failed.last_error and failed.body is not None
        smtp.reject.clear()
        assert requeue_failed(database=database, now=NOW) == 1
        assert deliver_due(database=database, sender=smtp_sender(smtp.port), now=NOW).sent == 1
        assert sorted(item.recipients[0] for item in smtp.wait_for(2)) == ["fine@example.org", "gone@example.org"]


def test_after_many_temporary_failures_a_message_is_given_up_and_visible(database):
    queue(database, "a", "one@example.org")
    port = free_port()
    moment = NOW
    for _ in range(MAX_ATTEMPTS):
        deliver_due(database=database, sender=smtp_sender(port), now=moment)
        moment += timedelta(hours=2)
    with database.connect() as conn:
        [failed] = Outbox(conn).listing(states=("failed",))
    assert failed.attempts == MAX_ATTEMPTS
    assert failed.last_error.startswith(f"gave up after {MAX_ATTEMPTS} attempts")


def test_a_claimed_message_is_not_sent_by_a_second_worker_until_its_lease_runs_out(database):
    queue(database, "a", "one@example.org")
    with database.connect() as conn, conn.transaction():
        outbox = Outbox(conn)
        lease_until = stamp(NOW + timedelta(minutes=5))
        assert outbox.claim_next(now=stamp(NOW), lease_until=lease_until, token="first") is not None
        assert outbox.claim_next(now=stamp(NOW), lease_until=lease_until, token="second") is None
    with SmtpServer() as smtp:
        assert deliver_due(database=database, sender=smtp_sender(smtp.port), now=NOW + timedelta(minutes=1)).sent == 0
        assert deliver_due(database=database, sender=smtp_sender(smtp.port), now=NOW + timedelta(minutes=6)).sent == 1


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_server_without_tls_is_a_temporary_or_permanent_failure_not_a_crash(database, security):
    with SmtpServer() as smtp:
        queue(database, "a", "one@example.org")
        sender = SmtpSender(host="127.0.0.1", port=smtp.port, security=security, sender=SENDER, timeout=5)
        report = deliver_due(database=database, sender=sender, now=NOW)
        assert report.sent == 0 and report.retrying + report.failed == 1
        assert smtp.received == []


def test_a_message_composed_at_delivery_waits_for_a_composer_then_goes_once(database):
    with database.connect() as conn, conn.transaction():
        Outbox(conn).add(
            dedupe_key="alert-1",
            kind="subscription_alert",
            recipient="one@example.org",
            body=None,
            payload='{"what": "first"}',
            now=stamp(NOW),
        )
        Outbox(conn).add(
            dedupe_key="alert-2",
            kind="subscription_alert",
            recipient="two@example.org",
            body=None,
            payload='{"what": "gone"}',
            now=stamp(NOW),
        )
        Outbox(conn).add(
            dedupe_key="alert-3",
            kind="subscription_alert",
            recipient="three@example.org",
            body=None,
            payload='{"what": "broken"}',
            now=stamp(NOW),
        )

    def compose(message):
        what = json.loads(message.payload)["what"]
        if what == "gone":
            return None  # e.g. the subscription was deleted after the alert was queued
        if what == "broken":
            raise KeyError("template")
        email = OutgoingEmail(to=message.recipient, subject=f"Alert {what}", text="t", html="<p>h</p>")
        return build_message(email, sender=SENDER).as_bytes()

    with SmtpServer() as smtp:
        # A caller that cannot compose (the contact form's quick delivery) leaves them alone.
        assert deliver_due(database=database, sender=smtp_sender(smtp.port), now=NOW).sent == 0
        assert states(database) == {"pending": 3}
        report = deliver_due(database=database, sender=smtp_sender(smtp.port), compose=compose, now=NOW)
        assert (report.sent, report.failed) == (1, 1)
        [received] = smtp.wait_for(1)
        assert received.recipients == ("one@example.org",) and received.message["Subject"] == "Alert first"
        assert deliver_due(database=database, sender=smtp_sender(smtp.port), compose=compose, now=NOW).sent == 0
    with database.connect() as conn:
        failed = Outbox(conn).listing(states=("failed",))
        sent = Outbox(conn).listing(states=("sent",))
    assert [m.recipient for m in failed] == ["three@example.org"] and failed[
        0
    ].last_error == "could not be composed: KeyError"
    assert sorted(m.recipient for m in sent) == ["one@example.org", "two@example.org"]
    assert all(m.payload is None and m.body is None for m in sent)
