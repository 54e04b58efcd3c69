"""Referrals in the database (both engines): stored once per form, emails queued once, a referral stored by a
process that stopped before queueing its emails is picked up, withdrawing and purging forget the person."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from support.email_writer import WRITER
from support.referrals import new_referral as new

from trialfinder.actions import referrals as actions
from trialfinder.actions.outbox import stamp
from trialfinder.storage.outbox import Outbox
from trialfinder.storage.referrals import ReferralStore


def queue(database, referral) -> int:
    return actions.queue_emails(
        database=database, referral=referral, writer=WRITER, base_url=WRITER.base_url, retention_days=180
    )


def outbox_rows(database):
    with database.connect() as conn:
        return Outbox(conn).listing(states=("pending", "sent", "failed"))


def test_the_same_form_is_stored_once(database):
    now = datetime.now(UTC)
    first, created = actions.submit_referral(database=database, referral=new("p1", created=now, submission="same"))
    second, created_again = actions.submit_referral(database=database, referral=new("p2", created=now, submission="same"))
    assert created and not created_again and second.id == first.id and second.public_id == "p1"


def test_a_request_sent_again_within_the_window_finds_the_first(database):
    # Issue #15: the same person, trial and browser (one `duplicate_key`) from a form shown afresh (a new submission).
    now = datetime.now(UTC)
    window = now - timedelta(hours=24)
    first, created = actions.submit_referral(
        database=database, referral=replace(new("p1", created=now), duplicate_key="k"), repeat_since=window
    )
    second, created_again = actions.submit_referral(
        database=database, referral=replace(new("p2", created=now), duplicate_key="k"), repeat_since=window
    )
    assert created and not created_again and second.public_id == "p1"
    other, created_other = actions.submit_referral(
        database=database, referral=replace(new("p3", created=now), duplicate_key="other"), repeat_since=window
    )
    assert created_other and other.public_id == "p3"
    # Outside the window, or once withdrawn, the first does not count.
    later = now + timedelta(hours=25)
    after, created_after = actions.submit_referral(
        database=database,
        referral=replace(new("p4", created=later), duplicate_key="k"),
        repeat_since=later - timedelta(hours=24),
    )
    assert created_after and after.public_id == "p4"
    actions.withdraw(database=database, referral_id=after.id)
    with database.connect() as conn:
        assert ReferralStore(conn).recent_repeat("k", since=stamp(later - timedelta(hours=24))) is None
    anew, created_anew = actions.submit_referral(
        database=database,
        referral=replace(new("p5", created=later), duplicate_key="k"),
        repeat_since=later - timedelta(hours=24),
    )
    assert created_anew and anew.public_id == "p5"


def test_the_same_request_sent_twice_at_once_is_stored_once(database):
    now = datetime.now(UTC)
    results: list = []
    start = threading.Barrier(4)

    def send(number: int) -> None:
        start.wait()
        referral = replace(new(f"p{number}", created=now), duplicate_key="same person, trial and browser")
        results.append(actions.submit_referral(database=database, referral=referral, repeat_since=now - timedelta(1)))

    threads = [threading.Thread(target=send, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created for _, created in results) == [False, False, False, True]
    assert len({stored.id for stored, _ in results}) == 1
    with database.connect() as conn:
        assert len(ReferralStore(conn).listing()) == 1


def test_emails_are_queued_once(database):
    stored, _ = actions.submit_referral(database=database, referral=new("p1", created=datetime.now(UTC)))
    assert queue(database, stored) == 2
    with database.connect() as conn:
        stored = ReferralStore(conn).get("p1")
    assert queue(database, stored) == 0
    assert sorted(message.recipient for message in outbox_rows(database)) == [
        "Anna@Example.org",
        "referrals@operator.example",
    ]


def test_a_referral_stored_before_a_crash_gets_its_emails_later(database):
    # The process stopped between storing the referral and queueing its emails: the job finds it.
    stored, _ = actions.submit_referral(database=database, referral=new("p1", created=datetime.now(UTC)))
    assert outbox_rows(database) == []
    assert actions.queue_unqueued(database=database, writer=WRITER, retention_days=180) == 0  # too fresh
    later = datetime.now(UTC) + timedelta(minutes=2)
    assert actions.queue_unqueued(database=database, writer=WRITER, retention_days=180, now=later) == 2
    assert actions.queue_unqueued(database=database, writer=WRITER, retention_days=180, now=later) == 0
    with database.connect() as conn:
        assert ReferralStore(conn).by_id(stored.id).queued_at is not None


def test_withdrawing_clears_the_person_and_unsent_messages(database):
    stored, _ = actions.submit_referral(database=database, referral=new("p1", created=datetime.now(UTC)))
    queue(database, stored)
    actions.withdraw(database=database, referral_id=stored.id)
    with database.connect() as conn:
        gone = ReferralStore(conn).get("p1")
    assert gone.state == "withdrawn"
    assert [gone.first_name, gone.last_name, gone.email, gone.phone, gone.residence, gone.message] == [None] * 6
    assert outbox_rows(database) == []  # nothing was sent yet, so nothing is left to send


def test_counting_requests_per_address_ignores_case(database):
    now = datetime.now(UTC)
    actions.submit_referral(database=database, referral=new("p1", created=now))
    with database.connect() as conn:
        assert ReferralStore(conn).count_for_email("anna@example.ORG", since=stamp(now - timedelta(days=1))) == 1
        assert ReferralStore(conn).count_for_email("anna@example.org", since=stamp(now + timedelta(seconds=1))) == 0


def test_purge_deletes_only_what_is_past_retention(database):
    now = datetime.now(UTC)
    old, _ = actions.submit_referral(database=database, referral=new("old", created=now - timedelta(days=200)))
    queue(database, old)
    actions.submit_referral(database=database, referral=new("new", created=now - timedelta(days=1)))
    assert actions.purge(database=database, retention_days=180, now=now) == 1
    with database.connect() as conn:
        assert [referral.public_id for referral in ReferralStore(conn).listing()] == ["new"]
    assert outbox_rows(database) == []
