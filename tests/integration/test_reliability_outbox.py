"""Reliability of the outbox (issue #14, items 1 to 3), on both databases, against a real SMTP server on localhost:
nothing lost, nothing sent twice, one bad message never holds up the others.

- Several senders at once (threads, each with its own connections, as several `serve` processes or an `outbox
  --send` beside `serve` would be) over 80 messages: each is delivered exactly once, although the run lasts
  longer than a lease.
- A message still being sent when its lease would have run out is not taken over: its lease is renewed.
- Internationalised addresses (RFC 6531): delivered through a server that offers SMTPUTF8; through one that does
  not, marked failed with the reason, while the rest go out.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from support.smtp_server import SmtpServer

from trialfinder.actions.outbox import deliver_due, stamp
from trialfinder.notifications.email import OutgoingEmail, SmtpSender, message_text
from trialfinder.storage.outbox import Outbox

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
SENDER = "trialfinder <no-reply@trials.example>"
MESSAGES = 80


def smtp_sender(port: int) -> SmtpSender:
    return SmtpSender(host="127.0.0.1", port=port, security="none", sender=SENDER, timeout=5)


def queue(database, key: str, to: str, *, reply_to: str | None = None, recipient: str | None = None) -> None:
    email = OutgoingEmail(to=to, subject=f"Message {key}", text="Text ✓", html="<p>HTML ✓</p>", reply_to=reply_to)
    body = message_text(email, sender=SENDER)
    with database.connect() as conn, conn.transaction():
        Outbox(conn).add(dedupe_key=key, kind="test", recipient=recipient or to, body=body, now=stamp(NOW))


def listing(database, state: str):
    with database.connect() as conn:
        return Outbox(conn).listing(states=(state,), limit=1000)


def run_senders(database, port: int, count: int, *, lease: timedelta) -> list:
    """`count` senders, started a little apart, each running delivery again and again until nothing is left (as
    the scheduled job of several `serve` processes does)."""
    reports: list = []
    errors: list[BaseException] = []

    def work(index: int) -> None:
        time.sleep(0.4 * index)
        try:
            while True:
                reports.append(deliver_due(database=database, sender=smtp_sender(port), limit=20, lease=lease))
                with database.connect() as conn:
                    if not Outbox(conn).counts().get("pending"):
                        return
                time.sleep(0.05)
        except BaseException as error:  # noqa: BLE001 (reported by the test below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return reports


@pytest.mark.slow
@pytest.mark.parametrize("senders", [2, 4])
def test_concurrent_senders_deliver_each_of_many_messages_exactly_once(database, senders):
    # 80 messages make a run several leases long; bench/reliability.py runs the same with 200.
    for number in range(MESSAGES):
        queue(database, f"m{number:03}", f"person{number:03}@example.org")
    # Each message takes a while to accept, so a run lasts several times the (short) lease: under claims counted
    # from the start of a run, the other senders took over messages still being sent.
    with SmtpServer(delay=0.04) as smtp:
        started = time.monotonic()
        reports = run_senders(database, smtp.port, senders, lease=timedelta(seconds=1))
        elapsed = time.monotonic() - started
        received = smtp.wait_for(MESSAGES)
    assert elapsed > 2, "the run must outlast the lease for this test to mean anything"
    subjects = Counter(item.message["Subject"] for item in received)
    assert [subject for subject, times in subjects.items() if times > 1] == []
    assert len(subjects) == MESSAGES
    assert sum(report.sent for report in reports) == MESSAGES
    assert len(listing(database, "sent")) == MESSAGES
    assert listing(database, "pending") == []


def test_a_message_still_being_sent_is_not_taken_over_when_its_lease_would_run_out(database):
    queue(database, "slow", "slow@example.org")
    with SmtpServer(delay=3.5) as smtp:
        first: list = []
        sending = threading.Thread(
            target=lambda: first.append(
                deliver_due(database=database, sender=smtp_sender(smtp.port), lease=timedelta(seconds=1))
            )
        )
        sending.start()
        time.sleep(2.5)  # well past the first lease; the heartbeat has renewed it meanwhile
        second = deliver_due(database=database, sender=smtp_sender(smtp.port), lease=timedelta(seconds=1))
        sending.join(30)
        assert second.sent == 0
        assert first[0].sent == 1
        time.sleep(0.5)
        assert len(smtp.received) == 1


def test_non_ascii_local_parts_are_delivered_through_smtputf8(database):
    queue(database, "jose", "josé@example.nl")
    queue(database, "zoe", "zoë@example.org")
    with SmtpServer(smtputf8=True) as smtp:
        report = deliver_due(database=database, sender=smtp_sender(smtp.port))
        received = smtp.wait_for(2)
    assert (report.sent, report.failed) == (2, 0)
    assert sorted(item.recipients[0] for item in received) == ["josé@example.nl", "zoë@example.org"]
    assert sorted(str(item.message["To"]) for item in received) == ["josé@example.nl", "zoë@example.org"]


def test_a_non_ascii_domain_goes_to_the_server_in_its_ascii_form_and_needs_no_smtputf8(database):
    queue(database, "zurich", "info@zürich.example")
    with SmtpServer(smtputf8=False) as smtp:
        report = deliver_due(database=database, sender=smtp_sender(smtp.port))
        [received] = smtp.wait_for(1)
    assert report.sent == 1
    assert received.recipients == ("info@xn--zrich-kva.example",)
    assert received.raw.isascii()


def test_without_smtputf8_a_non_ascii_address_fails_visibly_and_holds_up_nothing(database):
    queue(database, "a-first", "one@example.org")
    queue(database, "b-renee", "renée@example.org")
    queue(database, "c-broken", "three@example.org", recipient="not an address")  # a row no sender can take
    queue(database, "d-last", "two@example.org", reply_to="josé@example.nl")
    with SmtpServer(smtputf8=False) as smtp:
        report = deliver_due(database=database, sender=smtp_sender(smtp.port))
        received = smtp.wait_for(2)
        time.sleep(0.2)
        # Failed for good: another run sends nothing and does not stop either.
        again = deliver_due(database=database, sender=smtp_sender(smtp.port))
    assert (report.sent, report.retrying, report.failed) == (2, 0, 2)
    assert (again.sent, again.retrying, again.failed) == (0, 0, 0)
    assert sorted(item.recipients[0] for item in received) == ["one@example.org", "two@example.org"]
    failed = {message.recipient: message.last_error for message in listing(database, "failed")}
    assert "SMTPUTF8" in failed["renée@example.org"]
    assert "not an email address" in failed["not an address"]


def test_a_message_that_cannot_be_built_is_refused_before_it_is_queued():
    with pytest.raises(ValueError):
        message_text(OutgoingEmail(to="a@@example.org", subject="x", text="x", html="x"), sender=SENDER)


def test_the_sender_refuses_a_non_ascii_address_on_a_server_without_smtputf8_as_a_permanent_failure():
    from trialfinder.notifications.email import PermanentFailure

    raw = message_text(OutgoingEmail(to="zoë@example.org", subject="x", text="x", html="x"), sender=SENDER)
    with SmtpServer(smtputf8=False) as smtp:
        sender = SmtpSender(host="127.0.0.1", port=smtp.port, security="none", sender=SENDER, timeout=5)
        with pytest.raises(PermanentFailure, match="SMTPUTF8"):
            sender.send(raw.encode("utf-8"), recipient="zoë@example.org")
    assert smtp.received == []
