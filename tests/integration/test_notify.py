"""Catalogue changes and the alert run, on both databases: what an import records, who is told, and only once.

Records are the reference trial NCT06857773 (recruiting, phase 3, 18 years and over, one Amsterdam site) under new
NCT ids with chosen sites, titles, statuses and last-update dates, imported by the real importer.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import FIXTURES
from support.email_writer import WRITER

from trialfinder.actions import subscriptions as subscription_actions
from trialfinder.actions.importing import import_path
from trialfinder.actions.notify import run_alerts
from trialfinder.domain.search import Search
from trialfinder.domain.subscriptions import Frequency
from trialfinder.domain.trial import RecruitmentStatus
from trialfinder.domain.values import GeoPoint
from trialfinder.notifications.email import OutgoingEmail
from trialfinder.storage.changes import ChangeLog
from trialfinder.storage.outbox import Outbox
from trialfinder.storage.subscriptions import SubscriptionStore

UTRECHT = {
    "facility": "UMC Utrecht",
    "status": "RECRUITING",
    "city": "Utrecht",
    "country": "Netherlands",
    "geoPoint": {"lat": 52.09083, "lon": 5.12222},
}
PARIS = {
    "facility": "Gustave Roussy",
    "status": "RECRUITING",
    "city": "Paris",
    "country": "France",
    "geoPoint": {"lat": 48.85341, "lon": 2.3488},
}
AMSTERDAM = GeoPoint(52.37403, 4.88969)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def record(nct: str, *, sites=(UTRECHT,), status="RECRUITING", title=None, updated="2025-09-16") -> dict:
    data = copy.deepcopy(json.loads((FIXTURES / "ctgov_v2" / "NCT06857773.json").read_text()))
    protocol = data["protocolSection"]
    protocol["identificationModule"]["nctId"] = nct
    if title:
        protocol["identificationModule"]["briefTitle"] = title
        protocol["identificationModule"].pop("officialTitle", None)
    protocol["statusModule"]["overallStatus"] = status
    protocol["statusModule"]["lastUpdatePostDateStruct"] = {"date": updated, "type": "ACTUAL"}
    protocol["contactsLocationsModule"]["locations"] = [dict(site) for site in sites]
    return data


@pytest.fixture
def load(database, tmp_path):
    counter = iter(range(1000))

    def run(*records: dict) -> None:
        folder = tmp_path / f"batch-{next(counter)}"
        folder.mkdir()
        for item in records:
            nct = item["protocolSection"]["identificationModule"]["nctId"]
            (folder / f"{nct}.json").write_text(json.dumps(item))
        report = import_path(database=database, path=folder)
        assert report.counts.rejected == 0

    return run


def compose(subscription, matches) -> OutgoingEmail:
    listing = " ".join(match.nct_id for match in matches)
    return OutgoingEmail(to=subscription.email, subject=f"{len(matches)} new", text=listing, html=f"<p>{listing}</p>")




def subscribe(
    database, search: str, *, found_at=None, frequency=Frequency.IMMEDIATE, email="reader@example.org", confirm=True
):
    """Sign up (and confirm) for a search given as a query string; `found_at` is where its typed place was found."""
    saved = Search.from_query_string(search)
    outcome = subscription_actions.sign_up(
        database=database,
        email=email,
        language="en",
        search=saved.located(found_at) if found_at else saved,
        frequency=frequency,
        writer=WRITER,
        base_url=WRITER.base_url,
        confirm_days=7,
        now=NOW,
    )
    with database.connect() as conn:
        stored = SubscriptionStore(conn).by_id(outcome.subscription_id)
    if confirm:
        subscription_actions.confirm(database=database, subscription=stored, now=NOW)
    return stored.id


def alert(database, now=NOW):
    return run_alerts(database=database, now=now)


def alerts(database) -> list[str]:
    """The NCT ids in each queued alert's text, in order, composed as delivery composes them."""
    from email import message_from_bytes, policy

    from trialfinder.actions.notify import compose_alert
    from trialfinder.storage.outbox import Outbox

    with database.connect() as conn:
        queued = [m for m in Outbox(conn).listing(states=("pending",)) if m.kind == "subscription_alert"]
    texts = []
    for message in queued:
        raw = compose_alert(message, database=database, compose=compose, sender_address="x <x@example.org>")
        texts.append(message_from_bytes(raw, policy=policy.default).get_body(("plain",)).get_content().strip())
    return texts


def test_the_writer_records_new_trials_new_recruitment_and_newly_open_sites(database, load):
    load(record("NCT09100001"), record("NCT09100002", status="COMPLETED"), record("NCT09100003", sites=(PARIS,)))
    with database.connect() as conn:
        first = [(c.nct_id, c.kind.value) for c in ChangeLog(conn).batch(after=0, limit=100)]
    assert first == [("NCT09100001", "new"), ("NCT09100002", "new"), ("NCT09100003", "new")]
    load(
        record("NCT09100001", title="Same trial, new title", updated="2025-10-01"),  # updated, nothing opened
        record("NCT09100002", status="RECRUITING", updated="2025-10-01"),  # became recruiting
        record("NCT09100003", sites=(PARIS, UTRECHT), updated="2025-10-01"),  # Utrecht opened
    )
    load(record("NCT09100003", sites=(PARIS, UTRECHT), updated="2025-10-01"))  # identical again: nothing
    with database.connect() as conn:
        later = [(c.nct_id, c.kind.value, c.lat) for c in ChangeLog(conn).batch(after=3, limit=100)]
    assert later == [("NCT09100002", "recruiting", None), ("NCT09100003", "site", 52.09083)]


def test_a_new_matching_trial_is_alerted_once_and_never_again(database, load):
    subscription = subscribe(database, "condition=colorectal")
    load(record("NCT09100011"))
    report = alert(database)
    assert (report.matched, report.emails) == (1, 1)
    assert alerts(database) == ["NCT09100011"]
    again = alert(database)
    assert (again.matched, again.emails) == (0, 0)
    load(record("NCT09100011", title="Updated title", updated="2025-12-01"))  # updated, still recruiting
    load(record("NCT09100011", status="ACTIVE_NOT_RECRUITING", updated="2026-01-01"))
    load(record("NCT09100011", status="RECRUITING", updated="2026-02-01"))  # recruiting again: already told
    assert alert(database).emails == 0
    with database.connect() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM subscription_matches WHERE subscription_id = $1", (subscription,)) == 1
    assert alerts(database) == ["NCT09100011"]


def test_only_trials_with_an_open_site_within_the_radius_are_alerted(database, load):
    subscribe(database, "location=Amsterdam&radius=50", found_at=AMSTERDAM)
    load(record("NCT09100021", sites=(PARIS,)), record("NCT09100022", sites=(UTRECHT,)))
    alert(database)
    assert alerts(database) == ["NCT09100022"]
    with database.connect() as conn:
        distance = conn.scalar("SELECT distance_km FROM subscription_matches WHERE nct_id = 'NCT09100022'")
    assert 30 < distance < 40


def test_a_trial_that_starts_recruiting_is_alerted_and_an_updated_one_that_matched_before_is_not(database, load):
    load(record("NCT09100031", status="COMPLETED"), record("NCT09100032"))
    subscribe(database, "condition=liver metastases")  # confirmed after both were in the catalogue
    load(
        record("NCT09100031", status="RECRUITING", updated="2025-10-01"),
        record("NCT09100032", title="Recruiting all along, title changed", updated="2025-10-01"),
    )
    alert(database)
    assert alerts(database) == ["NCT09100031"]


def test_a_newly_open_site_is_news_within_the_radius_only(database, load):
    load(record("NCT09100041", sites=(PARIS,)))
    near = subscribe(database, "location=Amsterdam&radius=50", found_at=AMSTERDAM, email="near@example.org")
    anywhere = subscribe(database, "condition=colorectal", email="anywhere@example.org")
    load(record("NCT09100041", sites=(PARIS, UTRECHT), updated="2025-10-01"))
    alert(database)
    with database.connect() as conn:
        pairs = conn.fetchall("SELECT subscription_id, nct_id FROM subscription_matches ORDER BY 1")
    assert [tuple(pair) for pair in pairs] == [(near, "NCT09100041")]
    assert anywhere != near


def test_words_match_as_the_search_does(database, load):
    subscribe(database, "q=glioblastomas")  # stemmed: finds "glioblastoma"
    load(
        record("NCT09100051", title="Proton therapy for glioblastoma"),
        record("NCT09100052", title="Exercise after hip replacement"),
    )
    alert(database)
    assert alerts(database) == ["NCT09100051"]


def test_filters_of_the_saved_search_apply(database, load):
    subscribe(database, "condition=colorectal&age=16", email="young@example.org")
    subscribe(database, "condition=colorectal&phase=PHASE1", email="phase1@example.org")
    subscribe(database, "condition=colorectal&status=COMPLETED", email="completed@example.org")
    subscribe(database, "condition=colorectal&sex=male&age=40", email="man@example.org")
    load(record("NCT09100061"))
    alert(database)
    with database.connect() as conn:
        recipients = [row[0] for row in conn.fetchall("SELECT recipient FROM outbox WHERE kind = 'subscription_alert'")]
    assert recipients == ["man@example.org"]


def test_searches_saved_as_typed_before_the_query_string_was_canonical_still_alert(database, load):
    # Rows saved by earlier versions kept the parameters as typed: defaults spelled out, a decimal comma, "on".
    typed = "condition=colorectal&age=40,5&healthy=off&location=Amsterdam&radius=50&unit=km&status=RECRUITING"
    old = subscribe(database, "condition=colorectal", email="old@example.org")
    with database.connect() as conn, conn.transaction():
        conn.execute(
            "UPDATE subscriptions SET search = $1, lat = $2, lon = $3, radius_km = $4 WHERE id = $5",
            (typed, AMSTERDAM.lat, AMSTERDAM.lon, 50.0, old),
        )
        stored = SubscriptionStore(conn).by_id(old)
    assert stored.saved_search() == Search(
        condition="colorectal", age_years=40.5, location="Amsterdam", point=AMSTERDAM, statuses=(RecruitmentStatus.RECRUITING,)
    )
    load(record("NCT09100101", sites=(PARIS,)), record("NCT09100102", sites=(UTRECHT,)))
    alert(database)
    assert alerts(database) == ["NCT09100102"]
    # The same search signed up for again is the one already confirmed, however it was spelled then.
    again = Search.from_query_string("condition=colorectal&age=40.5&location=Amsterdam&status=RECRUITING")
    outcome = subscription_actions.sign_up(
        database=database,
        email="old@example.org",
        language="en",
        search=again.located(AMSTERDAM),
        frequency=Frequency.IMMEDIATE,
        writer=WRITER,
        base_url=WRITER.base_url,
        confirm_days=7,
        now=NOW,
    )
    assert (outcome.subscription_id, outcome.kind) == (old, "already")


def test_pending_subscriptions_get_nothing_and_expire(database, load):
    subscribe(database, "condition=colorectal", confirm=False)
    load(record("NCT09100071"))
    assert alert(database).emails == 0
    assert subscription_actions.purge_unconfirmed(database=database, confirm_days=7, now=NOW + timedelta(days=6)) == 0
    assert subscription_actions.purge_unconfirmed(database=database, confirm_days=7, now=NOW + timedelta(days=8)) == 1
    with database.connect() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM subscriptions") == 0
        assert conn.scalar("SELECT COUNT(*) FROM outbox WHERE kind LIKE 'subscription%'") == 0  # its email went too


def test_a_daily_digest_collects_matches_until_it_is_due(database, load):
    subscribe(database, "condition=colorectal", frequency=Frequency.DAILY)
    load(record("NCT09100081"))
    alert(database, NOW)
    load(record("NCT09100082"))
    assert alert(database, NOW + timedelta(hours=3)).emails == 0  # waiting in the digest
    load(record("NCT09100083"))
    assert alert(database, NOW + timedelta(hours=12)).emails == 0
    assert alert(database, NOW + timedelta(hours=24)).emails == 1
    assert alerts(database) == ["NCT09100081", "NCT09100082 NCT09100083"]
    assert alert(database, NOW + timedelta(days=3)).emails == 0


def test_deleting_a_subscription_removes_its_matches_and_waiting_emails(database, load):
    subscription = subscribe(database, "condition=colorectal")
    load(record("NCT09100091"))
    alert(database)
    subscription_actions.delete(database=database, subscription_id=subscription)
    with database.connect() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM subscription_matches") == 0
        assert Outbox(conn).counts() == {}
    load(record("NCT09100092"))
    assert alert(database).emails == 0


def test_processed_changes_are_deleted_and_the_cursor_moves(database, load):
    subscribe(database, "condition=colorectal")
    load(*(record(f"NCT0910{index:04d}") for index in range(200, 230)))
    report = run_alerts(database=database, now=NOW, batch_trials=7)
    assert (report.changes, report.matched, report.emails) == (30, 30, 1)
    with database.connect() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM catalogue_changes") == 0
