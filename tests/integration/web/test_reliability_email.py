"""Reliability of the site's emails (issue #14, items 1, 3 and 6), through the forms, on both databases, with a real
SMTP server on localhost:

- internationalised addresses (`josé@`, `zoë@`, `renée@`, `info@zürich.example`) are taken by every form and
  delivered (SMTPUTF8 where a local part needs it; the domain in its ASCII form);
- links in emails never follow a forged Host header: without TRIALFINDER_PUBLIC_URL a form reached through a host
  the site does not know sends nothing and stores nothing, and says so.
"""

from __future__ import annotations

import re

import pytest
from support.smtp_server import SmtpServer

from trialfinder.actions.outbox import deliver_due
from trialfinder.storage.outbox import Outbox

from .conftest import REFERENCE, TestClient
from .test_contact import OPERATOR_INBOX, PERSON, SERVIER, app_client, form_tokens, referrals, submit, text_of
from .test_notes import add_note, app, clock, csrf, owner, smtp  # noqa: F401 (the notes tests' fixtures, by name)
from .test_subscriptions import sign_up

ATTACKER = "http://attacker.example"


@pytest.fixture
def routing_catalogue(catalogue, import_records):
    from conftest import FIXTURES

    import_records(FIXTURES / "routing")
    return catalogue


def outbox_rows(database) -> list:
    with database.connect() as conn:
        return Outbox(conn).listing(states=("pending", "sent", "failed"))


def deliver(client) -> None:
    state = client.app.state
    deliver_due(database=state.database, sender=state.sender)


# --- internationalised addresses ----------------------------------------------------------------------------------


def test_a_referral_from_a_non_ascii_address_is_queued_and_delivered(routing_catalogue, gazetteer_cache, tmp_path):
    with (
        SmtpServer(smtputf8=True) as server,
        app_client(routing_catalogue, gazetteer_cache, tmp_path, server.port) as client,
    ):
        response = submit(client, SERVIER, email="josé@example.nl", residence="Washington")
        assert response.status_code == 303
        received = {item.recipients[0]: item for item in server.wait_for(2)}
    assert "josé@example.nl" in received, "the person's copy never arrived"
    [team] = [item for recipient, item in received.items() if recipient != "josé@example.nl"]
    # The team can reply: the address is in the text; no Reply-To header that a server without SMTPUTF8 would refuse.
    assert "josé@example.nl" in text_of(team.message)
    assert team.message["Reply-To"] is None and team.raw.isascii()
    [referral] = referrals(routing_catalogue)
    assert referral.queued_at


def test_without_smtputf8_the_team_still_gets_the_request_and_the_copy_fails_visibly(
    routing_catalogue, gazetteer_cache, tmp_path
):
    with (
        SmtpServer(smtputf8=False) as server,
        app_client(routing_catalogue, gazetteer_cache, tmp_path, server.port) as client,
    ):
        assert submit(client, SERVIER, email="josé@example.nl", residence="Washington").status_code == 303
        [team] = server.wait_for(1)
        deliver(client)
    assert team.recipients[0] != "josé@example.nl"
    failed = [row for row in outbox_rows(routing_catalogue) if row.state == "failed"]
    assert [(row.kind, row.recipient) for row in failed] == [("referral_copy", "josé@example.nl")]
    assert "SMTPUTF8" in failed[0].last_error


@pytest.mark.parametrize("address", ["zoë@example.org", "renée@example.org", "info@zürich.example"])
def test_the_subscription_form_takes_internationalised_addresses(catalogue, gazetteer_cache, tmp_path, address):
    with SmtpServer(smtputf8=True) as server, app_client(catalogue, gazetteer_cache, tmp_path, server.port) as client:
        response = sign_up(client, email=address)
        assert response.status_code == 303, response.text[:300]
        [received] = server.wait_for(1)
    local, domain = address.split("@")
    expected = f"{local}@{domain.encode('idna').decode()}"
    assert received.recipients == (expected,)
    assert "/subscriptions/confirm?token=" in text_of(received.message)


def test_email_me_a_link_takes_a_non_ascii_address(owner, smtp):  # noqa: F811 (fixtures)
    add_note(owner)
    sent = owner.post("/notes/email-link", data={"csrf_token": csrf(owner, "/notes"), "email": "renée@example.org"})
    assert sent.status_code == 200 and "We have sent you an email" in sent.text
    [received] = smtp.wait_for(1)
    assert received.recipients == ("renée@example.org",)


# --- links follow the site's address, never a request's Host header ------------------------------------------------


def test_without_a_public_url_a_forged_host_gets_no_email_and_nothing_is_stored(
    routing_catalogue, gazetteer_cache, tmp_path
):
    with (
        SmtpServer() as server,
        app_client(routing_catalogue, gazetteer_cache, tmp_path, server.port, allowed_hosts=()) as site,
    ):
        attacker = TestClient(site.app, base_url=ATTACKER)
        data = {**form_tokens(attacker, SERVIER), "residence": "Washington"}
        refused = attacker.post(f"/trials/{SERVIER}/contact", data={**PERSON, **data}, follow_redirects=False)
        assert refused.status_code == 503
        assert "cannot send emails at the moment" in refused.text
        signed_up = sign_up(attacker, email="victim@example.org")
        assert signed_up.status_code == 503
    assert referrals(routing_catalogue) == []
    assert outbox_rows(routing_catalogue) == []
    assert server.received == []


def test_without_a_public_url_requests_to_localhost_are_served_with_links_to_localhost(
    routing_catalogue, gazetteer_cache, tmp_path
):
    with (
        SmtpServer() as server,
        app_client(routing_catalogue, gazetteer_cache, tmp_path, server.port, allowed_hosts=()) as site,
    ):
        local = TestClient(site.app, base_url="http://127.0.0.1:8000")
        assert submit(local, SERVIER, residence="Washington").status_code == 303
        messages = server.wait_for(2)
    links = {link for item in messages for link in re.findall(r"https?://[^/\s]+", text_of(item.message))}
    assert "http://127.0.0.1:8000" in links
    assert not any("attacker" in link or "testserver" in link for link in links)


def test_with_a_public_url_every_link_uses_it_whatever_the_host_header(routing_catalogue, gazetteer_cache, tmp_path):
    public = "https://trials.example.org"
    with (
        SmtpServer() as server,
        app_client(
            routing_catalogue, gazetteer_cache, tmp_path, server.port, allowed_hosts=(), public_url=public
        ) as site,
    ):
        attacker = TestClient(site.app, base_url=ATTACKER)
        assert submit(attacker, SERVIER, residence="Washington").status_code == 303
        messages = server.wait_for(2)
    texts = " ".join(text_of(item.message) for item in messages)
    assert f"{public}/referrals/withdraw?token=" in texts
    assert "attacker.example" not in texts


def test_the_operator_inbox_route_is_unchanged(routing_catalogue, gazetteer_cache, tmp_path):
    # A trial with no contact email goes to the operator's inbox (no regression from the address checks).
    with SmtpServer() as server, app_client(routing_catalogue, gazetteer_cache, tmp_path, server.port) as client:
        assert submit(client, REFERENCE, residence="Amsterdam").status_code == 303
        recipients = {item.recipients[0] for item in server.wait_for(2)}
    assert OPERATOR_INBOX in recipients
