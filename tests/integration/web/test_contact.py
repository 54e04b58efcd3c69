"""The contact form end to end: a real SMTP server on localhost, the app in process, both databases.

Trials used: NCT05786924 (ten US sites, most with their own email; Dana-Farber in Boston has none), the reference
trial NCT06857773 (one Amsterdam site, no email anywhere: the operator's inbox), NCT09000002 (a completed
Amsterdam site and a recruiting Paris one), and derived records for a site without a name.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

import pytest
from conftest import FIXTURES
from support.smtp_server import SmtpServer, free_port

from trialfinder.actions.outbox import deliver_due
from trialfinder.notifications.email import SmtpSender
from trialfinder.settings import Settings
from trialfinder.signing import Signer
from trialfinder.storage.outbox import Outbox
from trialfinder.storage.referrals import ReferralStore
from trialfinder.web.app import create_app

from .conftest import REFERENCE, TEST_HOSTS, TestClient, derived_record, import_into, write_records
from .pages import parse

SERVIER = "NCT05786924"
NAMELESS = "NCT09000011"  # a recruiting site with a city but no name, and no email anywhere
PLACELESS = "NCT09000012"  # a recruiting site with neither name nor city
OPERATOR_INBOX = "referrals@operator.example"
SECRET = "s" * 40
SENDER = "trialfinder <no-reply@trials.example>"

PERSON = {
    "first_name": "Anna",
    "last_name": "de Vries",
    "email": "anna.devries@example.org",
    "phone": "+31 20 123 4567",
    "contact_language": "nl",
    "other_language": "",
    "residence": "Seattle",
    "message": "I have questions about the pump.\nCall after 5 pm.",
    "consent": "yes",
    "site": "nearest",
    "action": "send",
}


@pytest.fixture(scope="session")
def contact_seed(catalogue_seed, gazetteer_cache, tmp_path_factory):
    """The test catalogue, the routing fixtures, and two trials whose one site has no name or no place."""
    derived = write_records(
        tmp_path_factory.mktemp("derived-contact"),
        [
            derived_record(NAMELESS, sites=[{"status": "RECRUITING", "city": "Leiden", "country": "Netherlands"}]),
            derived_record(PLACELESS, sites=[{"status": "RECRUITING"}]),
        ],
    )

    def contact_catalogue(database) -> None:
        catalogue_seed(database)
        import_into(database, FIXTURES / "routing", gazetteer_cache)
        import_into(database, derived, gazetteer_cache)

    return contact_catalogue


@pytest.fixture
def database_seed(contact_seed):
    return contact_seed


@pytest.fixture
def contact_catalogue(catalogue):
    return catalogue


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


def app_client(database, gazetteer_cache, tmp_path, port: int, **settings):
    values = {
        "data_dir": tmp_path / "data",
        "cache_dir": gazetteer_cache,
        "database_url": database.url.url,
        "referral_inbox": OPERATOR_INBOX,
        "secret_key": SECRET,
        "mail_from": SENDER,
        "allowed_hosts": TEST_HOSTS,
        **settings,
    }
    sender = SmtpSender(host="127.0.0.1", port=port, security="none", sender=SENDER, timeout=5)
    return TestClient(create_app(Settings(**values), database, sender=sender))


@pytest.fixture
def client(contact_catalogue, gazetteer_cache, tmp_path, smtp):
    with app_client(contact_catalogue, gazetteer_cache, tmp_path, smtp.port) as test_client:
        yield test_client


def form_tokens(client, nct: str, **params) -> dict[str, str]:
    page = client.get(f"/trials/{nct}", params=params)
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    submission = re.search(r'name="submission" value="([^"]+)"', page.text)
    assert csrf and submission, "the trial page has no contact form"
    return {"csrf_token": csrf.group(1), "submission": submission.group(1)}


def submit(client, nct: str, *, lang: str | None = None, **changes):
    params = {"lang": lang} if lang else {}
    data = {**PERSON, **form_tokens(client, nct, **params), **changes}
    return client.post(f"/trials/{nct}/contact", data=data, follow_redirects=False)


def ref_of(response) -> str:
    return re.search(r"[?&]ref=([\w-]+)", response.headers["location"]).group(1)


def referrals(database) -> list:
    with database.connect() as conn:
        return ReferralStore(conn).listing()


def by_recipient(received) -> dict[str, EmailMessage]:
    return {item.recipients[0]: item.message for item in received}


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


# --- the happy path -------------------------------------------------------------------------------------------------


def test_a_request_reaches_the_nearest_sites_team_and_the_person_gets_a_copy(client, smtp, contact_catalogue):
    response = submit(client, SERVIER, lang="nl")
    assert response.status_code == 303
    confirmation = client.get(response.headers["location"])
    assert confirmation.status_code == 200
    assert "Fred Hutchinson Cancer Research Center" in parse(confirmation.text).find("main").text()

    emails = by_recipient(smtp.wait_for(2))
    team, copy = emails["rwood1@seattlecca.org"], emails[PERSON["email"]]
    # The team's email, in English (a US site): everything needed to call back, and the "contacted" link.
    assert team["Subject"] == "Referral for trial NCT05786924: a person asks to be contacted"
    assert team["Reply-To"] == PERSON["email"]
    body = text_of(team)
    for expected in (
        "Anna de Vries",
        PERSON["email"],
        PERSON["phone"],
        "Preferred language: Dutch",
        "Seattle",
        "> I have questions about the pump.",
        "> Call after 5 pm.",
        "Fred Hutchinson Cancer Research Center",
    ):
        assert expected in body, expected
    assert re.search(r"/referrals/contacted\?token=[\w-]+\.\d+\.[\w-]+", body)
    assert "Anna de Vries" in html_of(team)
    # The person's copy, in the page's language (Dutch), naming the site, with the withdraw link.
    assert copy["Subject"] == "Uw verzoek aan het onderzoeksteam van studie NCT05786924"
    copy_text = text_of(copy)
    assert (
        "We hebben uw contactgegevens doorgestuurd naar het onderzoeksteam van Fred Hutchinson Cancer Research Center."
        in copy_text
    )
    assert re.search(r"/referrals/withdraw\?token=[\w-]+\.\d+\.[\w-]+", copy_text)
    assert PERSON["phone"] not in copy_text  # the copy repeats nothing it need not

    [stored] = referrals(contact_catalogue)
    assert (stored.nct_id, stored.route, stored.team_email, stored.state) == (
        SERVIER,
        "site",
        "rwood1@seattlecca.org",
        "waiting",
    )
    assert stored.queued_at is not None


def test_a_dutch_site_without_an_email_goes_to_the_operator_inbox_in_dutch(client, smtp):
    response = submit(client, REFERENCE, residence="Haarlem")
    assert response.status_code == 303
    emails = by_recipient(smtp.wait_for(2))
    team = emails[OPERATOR_INBOX]
    assert team["Subject"] == "Doorverwijzing voor studie NCT06857773: iemand vraagt om contact"
    body = text_of(team)
    assert "The Netherlands Cancer Institute" in body
    assert "Geef het door aan het onderzoeksteam van The Netherlands Cancer Institute." in body
    assert emails[PERSON["email"]]["Subject"] == "Your request to the study team of trial NCT06857773"


def test_a_site_without_its_own_email_goes_to_the_central_contact_with_the_site_named(client, smtp):
    assert submit(client, SERVIER, residence="Boston").status_code == 303
    team = by_recipient(smtp.wait_for(2))["scientificinformation@servier.com"]
    body = text_of(team)
    assert "Dana-Farber Cancer Institute" in body
    assert "went to the trial's central contact" in body


def test_a_person_can_pick_another_site(client, smtp):
    page = parse(client.get(f"/trials/{SERVIER}").text)
    options = {option.text(): option.attrs["value"] for option in page.by_id("c-site").find_all("option")}
    minneapolis = next(value for label, value in options.items() if "Minneapolis" in label)
    assert submit(client, SERVIER, site=minneapolis).status_code == 303
    assert "kulkarni@umn.edu" in by_recipient(smtp.wait_for(2))


def test_find_shows_the_nearest_site_and_sends_nothing(client, smtp, contact_catalogue):
    response = submit(client, SERVIER, residence="Fairfax, VA", action="find", consent="")
    assert response.status_code == 200
    hint = parse(response.text).by_id("c-site-hint").text()
    assert hint.startswith("Your request goes to: NEXT Virginia")
    assert referrals(contact_catalogue) == [] and smtp.received == []


def test_the_same_form_sent_twice_is_one_referral(client, smtp, contact_catalogue):
    data = {**PERSON, **form_tokens(client, SERVIER)}
    first = client.post(f"/trials/{SERVIER}/contact", data=data, follow_redirects=False)
    second = client.post(f"/trials/{SERVIER}/contact", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert ref_of(first) == ref_of(second)
    assert "You already sent this request" in client.get(second.headers["location"]).text
    assert len(referrals(contact_catalogue)) == 1
    smtp.wait_for(2)
    deliver_due(
        database=contact_catalogue, sender=SmtpSender(host="127.0.0.1", port=smtp.port, security="none", sender=SENDER)
    )
    assert len(smtp.received) == 2


@pytest.mark.parametrize(
    ("lang", "consent"),
    [
        (
            "en",
            "I agree that my details are passed to the study team so that they can contact me. This site deletes them"
            " after 180 days, and I can withdraw my request at any time.",
        ),
        (
            "nl",
            "Ik ga ermee akkoord dat mijn gegevens aan het onderzoeksteam worden doorgegeven, zodat zij contact met mij"
            " kunnen opnemen. Deze site verwijdert ze na 180 dagen, en ik kan mijn verzoek altijd intrekken.",
        ),
    ],
)
def test_the_consent_says_what_the_faq_says(client, lang, consent):
    # Issue #15: the form passes the details on, as the FAQ now says; the site deletes its own copy, not the team's.
    form = parse(client.get(f"/trials/{SERVIER}", params={"lang": lang}).text).by_id("get-in-touch")
    assert form.find("label", for_="c-consent").text() == consent
    assert form.find("a", href="/faq#privacy") is not None


# --- sent again: Back and Send (issue #15) ---------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


def clocked_client(database, gazetteer_cache, tmp_path, port: int, clock: Clock) -> TestClient:
    settings = Settings(
        data_dir=tmp_path / "data",
        cache_dir=gazetteer_cache,
        database_url=database.url.url,
        referral_inbox=OPERATOR_INBOX,
        secret_key=SECRET,
        mail_from=SENDER,
        allowed_hosts=TEST_HOSTS,
    )
    sender = SmtpSender(host="127.0.0.1", port=port, security="none", sender=SENDER, timeout=5)
    return TestClient(create_app(settings, database, sender=sender, clock=clock))


def test_sending_again_from_a_fresh_form_finds_the_first_request(client, smtp, contact_catalogue, caplog):
    caplog.set_level(logging.DEBUG)
    first = submit(client, SERVIER)
    assert first.status_code == 303
    smtp.wait_for(2)
    # Back, and Send again: the trial page gives a new form (a new one-time key); the address differs only in case.
    again = submit(client, SERVIER, email="Anna.DeVries@EXAMPLE.org", message="Sent again")
    assert again.status_code == 303
    assert ref_of(again) == ref_of(first) and "again=1" in again.headers["location"]
    page = parse(client.get(again.headers["location"]).text)
    assert page.find("h1").text() == "You already sent this request"
    today = datetime.now(UTC)
    assert f"You already sent this request on {today.day} {today:%B %Y}, so we did not send it a second time." in (
        page.find("main").text()
    )
    assert "withdraw it with the link in the copy we emailed you" in page.find("main").text()
    assert len(referrals(contact_catalogue)) == 1
    assert len(smtp.received) == 2  # no second pair of emails
    dutch = parse(client.get(submit(client, SERVIER, lang="nl").headers["location"]).text)
    assert dutch.find("h1").text() == "U hebt dit verzoek al verstuurd"
    assert "U hebt dit verzoek al verstuurd op " in dutch.find("main").text()
    assert len(referrals(contact_catalogue)) == 1
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("trialfinder"))
    for private in ("Anna", "anna.devries", "DeVries", "123 4567", "Seattle", "Sent again"):
        assert private not in logged


def test_the_repeat_is_recognised_by_a_keyed_hash_that_withdrawal_clears(client, smtp, contact_catalogue):
    submit(client, SERVIER)
    with contact_catalogue.connect() as conn:
        [(key,)] = conn.fetchall("SELECT duplicate_key FROM referrals")
    assert re.fullmatch(r"[0-9a-f]{64}", key)  # nothing of the address, the trial or the browser in clear
    withdraw_url = link(by_recipient(smtp.wait_for(2))[PERSON["email"]], "/referrals/withdraw")
    press(client, withdraw_url)
    with contact_catalogue.connect() as conn:
        assert conn.fetchall("SELECT duplicate_key FROM referrals") == [(None,)]
    # A withdrawn request does not count: sending it again makes a new one.
    again = submit(client, SERVIER)
    assert again.status_code == 303 and "again=1" not in again.headers["location"]
    assert [item.state for item in referrals(contact_catalogue)] == ["waiting", "withdrawn"]


def test_after_the_window_or_for_another_trial_a_request_is_new(contact_catalogue, gazetteer_cache, tmp_path, smtp):
    clock = Clock()
    with clocked_client(contact_catalogue, gazetteer_cache, tmp_path, smtp.port, clock) as client:
        assert submit(client, SERVIER).status_code == 303
        clock.now += timedelta(hours=23, minutes=59)
        assert "again=1" in submit(client, SERVIER).headers["location"]
        assert "again=1" not in submit(client, REFERENCE, residence="Haarlem").headers["location"]
        clock.now += timedelta(minutes=2)  # 24 hours and a minute after the first
        assert "again=1" not in submit(client, SERVIER).headers["location"]
    assert sorted(item.nct_id for item in referrals(contact_catalogue)) == [SERVIER, SERVIER, REFERENCE]


def test_another_browser_makes_a_request_of_its_own(client, contact_catalogue, gazetteer_cache, tmp_path, smtp):
    # Saying "already sent" to anyone who types an address would tell them which trials its owner asked about.
    submit(client, SERVIER, residence="Tacoma")
    with app_client(contact_catalogue, gazetteer_cache, tmp_path, smtp.port) as other_browser:
        response = submit(other_browser, SERVIER, residence="Tacoma")
        assert "again=1" not in response.headers["location"]
        # The first browser's confirmation, opened here, says nothing of its sender.
        first = [item for item in referrals(contact_catalogue) if item.public_id != ref_of(response)][0]
        forged = other_browser.get(f"/trials/{SERVIER}/contact/sent", params={"ref": first.public_id, "again": "1"})
        assert forged.status_code == 200 and "already sent" not in forged.text
        assert PERSON["email"] not in forged.text and "Tacoma" not in forged.text
    assert len(referrals(contact_catalogue)) == 2


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_after_sending_the_person_is_offered_alerts_for_trials_like_this_one(client, smtp, lang):
    response = submit(client, SERVIER, lang=lang, residence="Seattle, WA")
    page = parse(client.get(response.headers["location"]).text)
    box = page.by_id("notify")
    heading = {
        "en": "Would you like to be notified about other trials?",
        "nl": "Wilt u bericht krijgen over andere studies?",
    }[lang]
    assert box.find("h2").text() == heading
    assert box.by_id("n-email").attrs["value"] == PERSON["email"]  # filled in, for the browser that sent it
    hidden = {item.attrs["name"]: item.attrs["value"] for item in box.find_all("input", type="hidden")}
    assert hidden["condition"] == "Non-small Cell Lung Cancer" and hidden["location"] == "Seattle, WA"
    assert box.find("form").attrs["action"] == "/subscriptions"
    # Without the page's key (another browser, or the link kept for later): the offer, nothing of the person.
    bare = parse(client.get(f"/trials/{SERVIER}/contact/sent", params={"ref": ref_of(response)}).text)
    assert bare.by_id("n-email").attrs["value"] == ""
    assert "location" not in {item.attrs["name"] for item in bare.by_id("notify").find_all("input", type="hidden")}


# --- the mail server is down ----------------------------------------------------------------------------------------


def test_with_the_mail_server_down_the_referral_is_kept_and_sent_when_it_is_back(
    contact_catalogue, gazetteer_cache, tmp_path
):
    port = free_port()
    with app_client(contact_catalogue, gazetteer_cache, tmp_path, port) as client:
        response = submit(client, SERVIER)
        assert response.status_code == 303
        assert "Your request has been sent" in client.get(response.headers["location"]).text
    [stored] = referrals(contact_catalogue)
    with contact_catalogue.connect() as conn:
        pending = Outbox(conn).listing(states=("pending",))
    assert len(pending) == 2 and all(message.attempts == 1 for message in pending)
    with SmtpServer(port) as smtp:
        later = datetime.now(UTC) + timedelta(minutes=2)
        sender = SmtpSender(host="127.0.0.1", port=port, security="none", sender=SENDER)
        assert deliver_due(database=contact_catalogue, sender=sender, now=later).sent == 2
        assert set(by_recipient(smtp.wait_for(2))) == {"rwood1@seattlecca.org", PERSON["email"]}
    assert stored.state == "waiting"


# --- validation and abuse -------------------------------------------------------------------------------------------


def test_errors_are_listed_beside_their_fields_and_keep_what_was_typed(client, contact_catalogue):
    response = submit(client, SERVIER, email="anna@", phone="", consent="", message="Keep <this> text")
    assert response.status_code == 400
    page = parse(response.text)
    summary = [item.text() for item in page.find(cls="error-summary").find_all("li")]
    assert summary == [
        "Please enter an email address such as name@example.com.",
        "Please enter a phone number, so that the study team can call you.",
        "Please agree that we pass your details to the study team; without it we cannot send your request.",
    ]
    assert page.by_id("c-email").attrs["value"] == "anna@"
    assert page.by_id("c-email").attrs["aria-invalid"] == "true"
    assert page.by_id("c-first-name").attrs["value"] == "Anna"
    assert page.by_id("c-message").text() == "Keep <this> text"
    assert "Keep &lt;this&gt; text" in response.text
    assert referrals(contact_catalogue) == []


def test_errors_come_back_in_dutch_on_a_dutch_page(client):
    client.get("/", params={"lang": "nl"})
    response = submit(client, SERVIER, first_name="")
    assert response.status_code == 400
    assert parse(response.text).find(cls="error-summary").find("li").text() == "Vul uw voornaam in."


def test_a_place_that_cannot_be_found_asks_for_another(client, contact_catalogue):
    response = submit(client, SERVIER, residence="Qwxzzy")
    assert response.status_code == 400
    assert "We could not find this place" in parse(response.text).find(cls="error-summary").text()
    assert referrals(contact_catalogue) == []


def test_without_the_csrf_token_nothing_is_stored_and_the_form_comes_back(client, contact_catalogue, smtp):
    data = {**PERSON, **form_tokens(client, SERVIER)}
    data.pop("csrf_token")
    response = client.post(f"/trials/{SERVIER}/contact", data=data, follow_redirects=False)
    assert response.status_code == 403
    page = parse(response.text)
    assert "this form had expired" in page.find(cls="notice").text()
    assert page.by_id("c-last-name").attrs["value"] == "de Vries"
    assert referrals(contact_catalogue) == [] and smtp.received == []


def test_a_post_from_another_site_is_refused(client, contact_catalogue):
    data = {**PERSON, **form_tokens(client, SERVIER)}
    response = client.post(
        f"/trials/{SERVIER}/contact", data=data, headers={"origin": "https://evil.example"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert referrals(contact_catalogue) == []


def test_a_filled_honeypot_looks_sent_but_stores_and_sends_nothing(client, contact_catalogue, smtp):
    response = submit(client, SERVIER, website="http://spam.example")
    assert response.status_code == 200
    assert "Your request has been sent" in response.text
    assert referrals(contact_catalogue) == [] and smtp.received == []


def test_a_flood_from_one_client_is_rate_limited(client, contact_catalogue):
    statuses = [submit(client, SERVIER, action="find").status_code for _ in range(10)]
    assert set(statuses) == {200}
    limited = submit(client, SERVIER)
    assert limited.status_code == 429
    assert "Too many requests" in parse(limited.text).find(cls="notice").text()
    assert parse(limited.text).by_id("c-first-name").attrs["value"] == "Anna"
    assert referrals(contact_catalogue) == []


def test_one_email_address_gets_three_requests_a_day(contact_catalogue, gazetteer_cache, tmp_path, smtp):
    for attempt in range(4):
        # A fresh client each time: a new address for the per-client limit; the per-address limit still counts.
        with app_client(contact_catalogue, gazetteer_cache, tmp_path, smtp.port) as client:
            response = submit(client, SERVIER)
        assert response.status_code == (303 if attempt < 3 else 429)
    assert len(referrals(contact_catalogue)) == 3


@pytest.mark.parametrize("field", ["first_name", "last_name", "email", "phone", "residence", "other_language"])
def test_header_injection_in_any_field_is_refused(client, contact_catalogue, smtp, field):
    values = {"contact_language": "other", "other_language": "Frisian"}
    values[field] = (PERSON.get(field) or "Frisian") + "\r\nBcc: victim@example.org"
    response = submit(client, SERVIER, **values)
    assert response.status_code == 400
    assert re.findall(r'href="#c-([\w-]+)"', response.text) == [field.replace("_", "-")]
    assert referrals(contact_catalogue) == [] and smtp.received == []


def test_a_line_break_in_the_message_is_text_never_a_header(client, smtp):
    response = submit(client, SERVIER, message="Hello\r\nBcc: victim@example.org\r\n\r\nbye")
    assert response.status_code == 303
    received = smtp.wait_for(2)
    assert all("victim@example.org" not in item.recipients for item in received)
    team = by_recipient(received)["rwood1@seattlecca.org"]
    assert team["Bcc"] is None
    assert "> Bcc: victim@example.org" in text_of(team)


def test_a_ten_megabyte_message_is_refused_without_being_read(client, contact_catalogue):
    response = submit(client, SERVIER, message="x" * (10 * 1024 * 1024))
    assert response.status_code == 413
    assert "larger than we accept" in parse(response.text).find(cls="notice").text()
    assert referrals(contact_catalogue) == []


def test_a_message_over_the_limit_is_a_field_error(client, contact_catalogue):
    response = submit(client, SERVIER, message="x" * 2001)
    assert response.status_code == 400
    assert "at most 2,000 characters" in parse(response.text).find(cls="error-summary").text()


def test_nothing_a_person_typed_is_logged(client, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    assert submit(client, SERVIER).status_code == 303
    smtp.wait_for(2)
    submit(client, SERVIER, email="bad@")
    # The product's own log (the test's SMTP server logs what it receives, as a mail server may).
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("trialfinder"))
    assert "POST /trials/NCT05786924/contact 303" in logged
    for private in ("Anna", "Vries", "anna.devries", "123 4567", "Seattle", "pump", "bad@"):
        assert private not in logged


# --- trials that take no requests -----------------------------------------------------------------------------------


def test_a_trial_whose_sites_are_closed_says_so_and_offers_the_registry(client, contact_catalogue):
    closed = client.get("/trials/NCT00000102")
    section = parse(closed.text).by_id("get-in-touch")
    assert "not taking requests through this site" in section.text()
    assert section.find("a", href="https://clinicaltrials.gov/study/NCT00000102") is not None
    assert section.find("form") is None
    # A hand-made POST (the page offers no form) is refused too.
    response = client.post("/trials/NCT00000102/contact", data={**PERSON, **form_tokens(client, SERVIER)})
    assert response.status_code == 409
    assert referrals(contact_catalogue) == []


def test_without_an_operator_inbox_a_trial_without_emails_takes_no_requests(
    contact_catalogue, gazetteer_cache, tmp_path, smtp
):
    with app_client(contact_catalogue, gazetteer_cache, tmp_path, smtp.port, referral_inbox=None) as client:
        section = parse(client.get(f"/trials/{REFERENCE}").text).by_id("get-in-touch")
        assert section.find("form") is None
        assert "not taking requests" in section.text()


# --- the links in the emails ----------------------------------------------------------------------------------------


def link(message: EmailMessage, path: str) -> str:
    match = re.search(rf"http://testserver({re.escape(path)}\?token=[\w.-]+)", text_of(message))
    assert match, f"no {path} link"
    return match.group(1)


def press(client, url: str, **extra) -> object:
    page = client.get(url)
    assert page.status_code == 200
    form = parse(page.text).find("form", method="post")
    fields = {item.attrs["name"]: item.attrs["value"] for item in form.find_all("input")}
    return client.post(form.attrs["action"], data={**fields, **extra})


def test_the_person_withdraws_and_their_details_are_deleted(client, smtp, contact_catalogue):
    submit(client, SERVIER)
    withdraw_url = link(by_recipient(smtp.wait_for(2))[PERSON["email"]], "/referrals/withdraw")
    done = press(client, withdraw_url)
    assert done.status_code == 200
    assert "Your request is withdrawn and your details have been deleted" in done.text
    [stored] = referrals(contact_catalogue)
    assert stored.state == "withdrawn"
    assert (stored.first_name, stored.last_name, stored.email, stored.phone, stored.residence, stored.message) == (
        None,
        None,
        None,
        None,
        None,
        None,
    )
    with contact_catalogue.connect() as conn:
        assert all(message.body is None for message in Outbox(conn).listing(states=("sent", "pending", "failed")))
    # The team already had the details: they are told to delete them, in a notice that repeats none of them.
    notice = smtp.wait_for(3)[2]
    assert notice.recipients == ("rwood1@seattlecca.org",)
    assert notice.message["Subject"] == f"Referral TF-{stored.id} for trial {SERVIER} has been withdrawn"
    body = text_of(notice.message)
    assert "Please delete the details we sent you" in body and "Fred Hutchinson Cancer Research Center" in body
    for private in ("Anna", "Vries", PERSON["email"], PERSON["phone"], "Seattle,", "pump"):
        assert private not in body + html_of(notice.message)
    again = client.get(withdraw_url)
    assert "was withdrawn" in again.text


def test_the_team_marks_the_referral_contacted(client, smtp, contact_catalogue):
    submit(client, SERVIER)
    contacted_url = link(by_recipient(smtp.wait_for(2))["rwood1@seattlecca.org"], "/referrals/contacted")
    # Opening the link (as a mail scanner would) changes nothing; pressing the button does.
    client.get(contacted_url)
    assert referrals(contact_catalogue)[0].state == "waiting"
    done = press(client, contacted_url)
    assert "marked as contacted" in done.text
    assert referrals(contact_catalogue)[0].state == "contacted"


def test_a_withdraw_token_does_not_mark_contacted_and_tampered_or_expired_links_say_so(client, smtp, contact_catalogue):
    submit(client, SERVIER)
    withdraw_url = link(by_recipient(smtp.wait_for(2))[PERSON["email"]], "/referrals/withdraw")
    token = withdraw_url.split("token=")[1]
    wrong_purpose = client.get("/referrals/contacted", params={"token": token})
    assert wrong_purpose.status_code == 400 and "This link is not valid" in wrong_purpose.text
    tampered = client.get("/referrals/withdraw", params={"token": token[:-2] + ("AA" if token[-2:] != "AA" else "BB")})
    assert tampered.status_code == 400
    public_id = token.split(".")[0]
    expired = Signer(SECRET.encode()).sign("withdraw", public_id, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    response = client.get("/referrals/withdraw", params={"token": expired})
    assert response.status_code == 410 and "This link has expired" in response.text
    assert referrals(contact_catalogue)[0].state == "waiting"


def test_a_withdraw_post_without_csrf_changes_nothing(client, smtp, contact_catalogue):
    submit(client, SERVIER)
    token = link(by_recipient(smtp.wait_for(2))[PERSON["email"]], "/referrals/withdraw").split("token=")[1]
    response = client.post("/referrals/withdraw", data={"token": token})
    assert response.status_code == 403
    assert referrals(contact_catalogue)[0].state == "waiting"


LEFTOVER = re.compile(r"\bNone\b(?! \(open label\))|\{\{|%\(\w+\)s")  # "None (open label)" is a masking label


@pytest.mark.parametrize(
    "nct, phrase, dutch_team_phrase",
    [
        (NAMELESS, "the study site in Leiden, Netherlands", "de onderzoekslocatie in Leiden, Netherlands"),
        (PLACELESS, "the study team of this trial", None),  # no country: English
        (SERVIER, "Fred Hutchinson Cancer Research Center (Seattle, United States)", None),
    ],
)
def test_a_site_is_always_named_on_the_page_and_in_both_emails(client, smtp, nct, phrase, dutch_team_phrase):
    form_page = client.get(f"/trials/{nct}")
    options = [option.text() for option in parse(form_page.text).by_id("c-site").find_all("option")]
    assert all(option.strip() for option in options)
    if nct == PLACELESS:
        assert "a study site without a name in the registry" in options
    response = submit(client, nct)
    assert response.status_code == 303
    sent = client.get(response.headers["location"])
    main = parse(sent.text).find("main").text()
    assert f"We have submitted your contact details to the research team at {phrase}." in main
    for text in (sent.text, form_page.text):
        assert not LEFTOVER.search(text)
    emails = by_recipient(smtp.wait_for(2))
    for message in emails.values():
        assert not LEFTOVER.search(text_of(message) + html_of(message))
    assert phrase.split(" (")[0] in text_of(emails.pop(PERSON["email"]))
    [team] = emails.values()  # Dutch for a Dutch site (the operator inbox gets it in the site's language)
    assert (dutch_team_phrase or phrase.split(" (")[0]) in text_of(team)
