"""Notifications end to end: a real SMTP server on localhost, the app in process, both databases.

Subscribe from the search page, confirm through the emailed link, import a new matching trial, receive the alert,
import again and receive nothing, unsubscribe with one click (RFC 8058) and receive nothing more.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

import pytest
from support.smtp_server import SmtpServer

from trialfinder.actions.notify import alert_composer, alert_run
from trialfinder.actions.outbox import deliver_due
from trialfinder.signing import Signer
from trialfinder.storage.subscriptions import SubscriptionStore

from .conftest import UTRECHT_SITE, derived_record, write_records
from .pages import parse
from .test_contact import SECRET, app_client, text_of

EMAIL = "reader@example.org"
SEARCH = {"condition": "colorectal", "location": "Amsterdam", "radius": "50"}
NEW_TRIAL = "NCT09200001"


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def client(catalogue, gazetteer_cache, tmp_path, smtp):
    with app_client(catalogue, gazetteer_cache, tmp_path, smtp.port) as test_client:
        yield test_client


def box_fields(client, path="/trials", **params) -> dict[str, list[str]]:
    page = client.get(path, params=params)
    assert page.status_code == 200
    form = parse(page.text).by_id("notify").find("form")
    fields: dict[str, list[str]] = {}
    for field in form.find_all("input"):
        if field.attrs.get("type") in ("hidden",):
            fields.setdefault(field.attrs["name"], []).append(field.attrs.get("value", ""))
    return fields


def post_form(client, path: str, pairs: list[tuple[str, str]], **options):
    """A form with repeated fields, as a browser sends it."""
    headers = {"content-type": "application/x-www-form-urlencoded"}
    return client.post(path, content=urlencode(pairs).encode(), headers=headers, **options)


def sign_up(client, email=EMAIL, frequency="immediate", **search):
    fields = box_fields(client, **(search or SEARCH))
    data = [(key, value) for key, values in fields.items() for value in values] + [
        ("email", email),
        ("frequency", frequency),
    ]
    return post_form(client, "/subscriptions", data, follow_redirects=False)


def link(message, path: str) -> str:
    found = re.search(rf"https?://[^\s]+{re.escape(path)}\?token=[\w.-]+", text_of(message))
    assert found, f"no {path} link"
    parts = urlsplit(found.group(0))
    return f"{parts.path}?{parts.query}"


def confirm(client, message):
    url = link(message, "/subscriptions/confirm")
    page = client.get(url)
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    token = url.split("token=")[1]
    done = client.post("/subscriptions/confirm", data={"csrf_token": csrf, "token": token})
    assert done.status_code == 200
    return done


def run_and_deliver(client, smtp_port=None):
    state = client.app.state
    report = alert_run(database=state.database, confirm_days=state.settings.subscription_confirm_days)
    deliver_due(
        database=state.database,
        sender=state.sender,
        compose=alert_composer(database=state.database, writer=state.writer, base_url="http://testserver"),
    )
    return report


def test_subscribe_confirm_alert_once_and_unsubscribe_with_one_click(client, smtp, import_records, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    response = sign_up(client)
    assert response.status_code == 303 and response.headers["location"] == "/subscriptions/sent"
    [confirmation] = smtp.wait_for(1)
    message = confirmation.message
    assert confirmation.recipients == (EMAIL,)
    assert message["Subject"] == "Please confirm your email alerts about new trials"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(r"<http://testserver/subscriptions/unsubscribe\?token=[\w.-]+>", message["List-Unsubscribe"])
    assert "Condition: colorectal" in text_of(message) and "Near Amsterdam, within 50 km" in text_of(message)

    # Nothing is sent before confirmation.
    import_records(write_records(tmp_path / "before", [derived_record("NCT09200000", sites=[UTRECHT_SITE])]))
    assert run_and_deliver(client).emails == 0
    assert "Your email alerts are on" in parse(confirm(client, message).text).find("main").text()

    import_records(
        write_records(
            tmp_path / "new", [derived_record(NEW_TRIAL, sites=[UTRECHT_SITE], title="Pump therapy near Utrecht")]
        )
    )
    assert run_and_deliver(client).emails == 1
    alert = smtp.wait_for(2)[1].message
    assert alert["Subject"] == "A new trial matches your search"
    body = text_of(alert)
    assert "Pump therapy near Utrecht (NCT09200001)" in body
    assert re.search(r"Recruiting · nearest open site 3\d km away", body)
    assert f"http://testserver/trials/{NEW_TRIAL}?location=Amsterdam" in body
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # The same import again, and another run: nothing new.
    import_records(
        write_records(
            tmp_path / "again", [derived_record(NEW_TRIAL, sites=[UTRECHT_SITE], title="Pump therapy near Utrecht")]
        )
    )
    assert run_and_deliver(client).emails == 0
    assert len(smtp.received) == 2

    # One click from the mail client: a POST with no cookie and no form token (RFC 8058).
    unsubscribe = urlsplit(alert["List-Unsubscribe"].strip("<>"))
    client.cookies.clear()
    done = client.post(
        f"{unsubscribe.path}?{unsubscribe.query}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200
    assert "You are unsubscribed" in parse(done.text).find("main").text()
    with client.app.state.database.connect() as conn:
        assert SubscriptionStore(conn).counts() == {}
    import_records(write_records(tmp_path / "after", [derived_record("NCT09200002", sites=[UTRECHT_SITE])]))
    assert run_and_deliver(client).emails == 0
    assert len(smtp.received) == 2
    # Pressing the link again says it is done, not an error.
    assert (
        client.post(
            f"{unsubscribe.path}?{unsubscribe.query}",
            content=b"List-Unsubscribe=One-Click",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ).status_code
        == 200
    )
    # The site's own logs (the test client's and the SMTP server's loggers are not the site's).
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("trialfinder"))
    assert "subscription" in logged
    assert EMAIL not in logged and "colorectal" not in logged and "Amsterdam" not in logged


def test_the_answer_is_the_same_whether_or_not_the_address_is_subscribed(client, smtp):
    first = sign_up(client)
    confirm(client, smtp.wait_for(1)[0].message)
    again = sign_up(client)
    stranger = sign_up(client, email="someone.else@example.org")
    for response in (first, again, stranger):
        assert (response.status_code, response.headers["location"]) == (303, "/subscriptions/sent")
        assert client.get(response.headers["location"]).text == client.get("/subscriptions/sent").text
    emails = {item.recipients[0]: item.message for item in smtp.wait_for(3)[1:]}
    assert emails[EMAIL]["Subject"] == "You already receive alerts for this search"
    assert "/subscriptions/manage?token=" in text_of(emails[EMAIL])
    assert emails["someone.else@example.org"]["Subject"] == "Please confirm your email alerts about new trials"


def test_a_trial_page_offers_trials_like_this_one(client):
    fields = box_fields(client, "/trials/NCT06857773")
    assert fields["condition"] == ["Colorectal Neoplasms"]


def test_sign_up_floods_are_limited_per_address_and_per_client(client, smtp):
    for _ in range(4):
        assert sign_up(client).status_code == 303
    smtp.wait_for(3)
    assert len(smtp.received) == 3  # the fourth for the same address sends nothing, and says nothing different
    statuses = [sign_up(client, email=f"p{index}@example.org").status_code for index in range(7)]
    assert statuses[:6] == [303] * 6 and statuses[6] == 429


def test_mistakes_come_back_beside_their_fields(client, smtp):
    fields = box_fields(client, **SEARCH)
    data = [(key, value) for key, values in fields.items() for value in values] + [
        ("email", "not an address"),
        ("frequency", "hourly"),
        ("age", "300"),
    ]
    page = post_form(client, "/subscriptions", data)
    assert page.status_code == 400
    summary = parse(page.text).find("div", class_="error-summary").text()
    assert "Please enter an email address" in summary and "how often" in summary and "Enter an age" in summary
    assert smtp.received == []


def test_forged_and_expired_links_are_refused_with_a_clear_page(client, smtp):
    sign_up(client)
    url = link(smtp.wait_for(1)[0].message, "/subscriptions/confirm")
    token = url.split("token=")[1]
    forged = client.get(f"/subscriptions/confirm?token={token[:-2]}xx")
    assert forged.status_code == 400 and "This link is not valid" in forged.text
    wrong_purpose = client.get(f"/subscriptions/unsubscribe?token={token}")
    assert wrong_purpose.status_code == 400
    public_id = token.split(".")[0]
    expired = Signer(SECRET.encode()).sign(
        "subscription-confirm", public_id, expires_at=datetime.now(UTC) - timedelta(minutes=1)
    )
    page = client.get(f"/subscriptions/confirm?token={expired}")
    assert page.status_code == 410 and "This link has expired" in page.text


def test_the_manage_page_changes_how_often_and_deletes(client, smtp):
    sign_up(client)
    confirm(client, smtp.wait_for(1)[0].message)
    sign_up(client)  # "already subscribed" brings the manage link
    url = link(smtp.wait_for(2)[1].message, "/subscriptions/manage")
    page = client.get(url)
    assert page.status_code == 200
    document = parse(page.text)
    assert document.by_id("s-condition").attrs["value"] == "colorectal"
    assert document.by_id("s-location").attrs["value"] == "Amsterdam"
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    token = url.split("token=")[1]
    data = {
        "csrf_token": csrf,
        "token": token,
        "condition": "liver metastases",
        "location": "Utrecht",
        "radius": "20",
        "unit": "km",
        "status": "RECRUITING",
        "frequency": "weekly",
        "action": "save",
    }
    saved = client.post("/subscriptions/manage", data=data)
    assert saved.status_code == 200 and "Your changes are saved" in saved.text
    with client.app.state.database.connect() as conn:
        [stored] = conn.fetchall("SELECT search, frequency, radius_km FROM subscriptions")
    assert stored[0] == "condition=liver+metastases&location=Utrecht&radius=20&status=RECRUITING"  # km: the default
    assert (stored[1], stored[2]) == ("weekly", 20.0)
    deleted = client.post("/subscriptions/manage", data={**data, "action": "delete"})
    assert "You are unsubscribed" in deleted.text
    assert client.get(url).status_code == 410


def test_pages_in_dutch(client, smtp):
    page = client.get("/subscriptions/new", params={**SEARCH, "lang": "nl"})
    assert page.status_code == 200
    assert parse(page.text).find("h1").text() != "Email alerts about new trials"
