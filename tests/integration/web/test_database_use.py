"""How the site uses its database, on both engines: one connection per request (a unit of work), however many
queries and actions the request runs, and no GET request that changes what is stored.

Trial: the reference record NCT06857773 (one Amsterdam site, no email: requests go to the operator's inbox).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from starlette.routing import Mount, Route
from support.smtp_server import SmtpServer

from trialfinder.actions import notes as note_actions
from trialfinder.signing import Signer

from .conftest import REFERENCE
from .test_contact import PERSON, SECRET, app_client, form_tokens
from .test_notes import add_note, enter, note_id, share
from .test_subscriptions import sign_up


@pytest.fixture
def client(catalogue, gazetteer_cache, tmp_path):
    with SmtpServer() as smtp, app_client(catalogue, gazetteer_cache, tmp_path, smtp.port) as test_client:
        yield test_client


def taken(database, request) -> tuple[int, object]:
    """The connections `request()` took from the database, and its response."""
    before = database.connections_taken
    response = request()
    return database.connections_taken - before, response


def test_a_request_takes_one_connection_however_many_queries_it_runs(client, catalogue):
    count, page = taken(catalogue, lambda: client.get("/trials", params={"q": "cancer", "location": "Amsterdam"}))
    assert page.status_code == 200 and count == 1
    count, page = taken(catalogue, lambda: client.get(f"/trials/{REFERENCE}"))
    assert page.status_code == 200 and count == 1
    data = {**PERSON, "residence": "Amsterdam", **form_tokens(client, REFERENCE)}
    # Checks, the repeat window, the referral, its two emails queued, and their delivery after the answer: one.
    count, sent = taken(catalogue, lambda: client.post(f"/trials/{REFERENCE}/contact", data=data, follow_redirects=False))
    assert sent.status_code == 303 and count == 1
    with catalogue.connect() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL") == 2
    count, page = taken(catalogue, lambda: client.get("/faq"))
    assert page.status_code == 200 and count == 0  # no database needed, none taken


# --- no GET changes anything ----------------------------------------------------------------------------------------


# The one write a GET makes, on purpose: viewing notes (their owner) or a share link (its recipient) marks them used,
# at most once a day, because notes and links that nobody uses are deleted after the retention period (the FAQ's
# promise; docs/WEB.md). Nothing else a GET does changes what is stored.
USE_MARKS = {("notes", "last_used_at"), ("share_links", "last_used_at")}


def snapshot(database) -> dict[str, Counter]:
    """Every row of every table, as a multiset per table, without the use marks."""
    with database.connect() as conn:
        if conn.dialect == "sqlite":
            tables = conn.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")
        else:
            tables = conn.fetchall(
                "SELECT table_name FROM information_schema.tables"
                " WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        found = {}
        for (name,) in tables:
            cursor = conn.execute(f'SELECT * FROM "{name}"')
            kept = [i for i, column in enumerate(cursor.description) if (name, column[0]) not in USE_MARKS]
            found[name] = Counter(repr([row[i] for i in kept]) for row in cursor.fetchall())
        return found


LONG_AGO = "2020-01-01T00:00:00+00:00"


def signed(purpose: str, payload: str) -> str:
    return Signer(SECRET.encode()).sign(purpose, payload, expires_at=datetime.now(UTC) + timedelta(days=30))


def get_urls(client, catalogue) -> dict[str, list[str]]:
    """For every GET route, the addresses to visit: real ids, and links as the emails carry them. What they show
    is made first, through the site: a note and a share link (opened with its passcode), a referral, a
    subscription, and an emailed link to the notes."""
    note = note_id(add_note(client))
    shared, passcode = share(client)
    assert enter(client, shared, passcode).status_code == 303
    data = {**PERSON, "residence": "Amsterdam", **form_tokens(client, REFERENCE)}
    sent = client.post(f"/trials/{REFERENCE}/contact", data=data, follow_redirects=False).headers["location"]
    assert sign_up(client).status_code == 303
    owner = note_actions.owner_of(database=catalogue, owner_key=client.cookies["notes_owner"])
    owner_link = note_actions.create_owner_link(database=catalogue, owner=owner, now=datetime.now(UTC))
    with catalogue.connect() as conn:
        referral = conn.scalar("SELECT public_id FROM referrals")
        subscription = conn.scalar("SELECT public_id FROM subscriptions")
        # Used long ago: a view now is one to mark.
        conn.execute("UPDATE notes SET last_used_at = $1", (LONG_AGO,))
        conn.execute("UPDATE share_links SET last_used_at = $1", (LONG_AGO,))
    trial = f"/trials/{REFERENCE}"
    return {
        "/": ["/"],
        "/trials": ["/trials?q=cancer&location=Amsterdam&radius=50", "/trials?condition=colorectal&page=2"],
        "/trials/{nct_id}": [trial, f"{trial}?location=Amsterdam", "/trials/NCT00000000"],
        "/trials/{nct_id}/eligibility": [f"{trial}/eligibility"],
        "/api/trials/{nct_id}/eligibility/questions": [f"/api{trial}/eligibility/questions"],
        "/trials/{nct_id}/contact": [f"{trial}/contact"],
        "/trials/{nct_id}/notes": [f"{trial}/notes"],
        "/trials/{nct_id}/notes/{note_id}": [f"{trial}/notes/{note}"],
        "/shared/{token}": [shared],
        "/notes": ["/notes", "/notes?deleted=1"],
        "/notes/restore": [f"/notes/restore?token={signed('notes_owner', owner_link)}"],
        "/trials/{nct_id}/contact/sent": [sent],
        "/referrals/withdraw": [f"/referrals/withdraw?token={signed('withdraw', referral)}"],
        "/referrals/contacted": [f"/referrals/contacted?token={signed('contacted', referral)}"],
        "/subscriptions/new": ["/subscriptions/new?condition=colorectal"],
        "/subscriptions/sent": ["/subscriptions/sent"],
        "/subscriptions/confirm": [f"/subscriptions/confirm?token={signed('subscription-confirm', subscription)}"],
        "/subscriptions/manage": [f"/subscriptions/manage?token={signed('subscription-manage', subscription)}"],
        "/subscriptions/unsubscribe": [
            f"/subscriptions/unsubscribe?token={signed('subscription-unsubscribe', subscription)}"
        ],
        "/match": ["/match"],
        "/faq": ["/faq"],
        "/favicon.ico": ["/favicon.ico"],
        "/api/trials": ["/api/trials?q=cancer", "/api/trials?location=Amsterdam&radius=25"],
        "/api/trials/{nct_id}": [f"/api{trial}"],
        "/api/places": ["/api/places?q=Amst"],
        "/api/openapi.json": ["/api/openapi.json"],
        "/static": ["/static/site.css"],
    }


def test_no_get_request_changes_the_database(client, catalogue):
    urls = get_urls(client, catalogue)
    routes = {
        route.path
        for route in client.app.routes
        if isinstance(route, Mount) or (isinstance(route, Route) and "GET" in (route.methods or ()))
    }
    assert routes == set(urls), "every GET route is visited here"
    before = snapshot(catalogue)
    for path in (url for visits in urls.values() for url in visits):
        response = client.get(path)
        # 200 everywhere (the note's own page answers 404 to anyone but its owner): each saw what it was meant to.
        assert response.status_code == (404 if path == "/trials/NCT00000000" else 200), (path, response.status_code)
    assert snapshot(catalogue) == before
    with catalogue.connect() as conn:
        assert conn.scalar("SELECT MIN(last_used_at) FROM notes") > LONG_AGO
        assert conn.scalar("SELECT MIN(last_used_at) FROM share_links") > LONG_AGO
