"""Private notes and share links through the website, in process, on both databases, with a real SMTP server for the
emailed link and a clock the tests move (share links expire after 7 days).

Trial: the reference record NCT06857773, whose eligibility has nested lab-value bullets and a sentence that appears
twice ("Accessory or aberrant hepatic arteries ...").
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from support.smtp_server import SmtpServer

from trialfinder.notifications.email import SmtpSender
from trialfinder.settings import Settings
from trialfinder.storage.notes import NoteStore
from trialfinder.web.app import create_app

from .conftest import REFERENCE, TEST_HOSTS, TestClient, derived_record, write_records
from .pages import parse

SECRET = "k" * 40
SENDER = "trialfinder <no-reply@trials.example>"
NOTE = "Ask Dr Jansen whether my Hb of 5.1 is close enough"
QUOTE = "Hb ≥ 5.5 mmol/L"
TWICE = "Accessory or aberrant hepatic arteries"


class Clock:
    def __init__(self):
        self.now = datetime(2025, 9, 16, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def smtp():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def app(catalogue, gazetteer_cache, tmp_path, smtp, clock):
    settings = Settings(
        data_dir=tmp_path / "data",
        cache_dir=gazetteer_cache,
        database_url=catalogue.url.url,
        secret_key=SECRET,
        mail_from=SENDER,
        allowed_hosts=TEST_HOSTS,
    )
    sender = SmtpSender(host="127.0.0.1", port=smtp.port, security="none", sender=SENDER, timeout=5)
    return create_app(settings, catalogue, sender=sender, clock=clock)


@pytest.fixture
def owner(app):
    with TestClient(app) as client:
        yield client


@pytest.fixture
def stranger(app):
    with TestClient(app) as client:
        yield client


def csrf(client, path=f"/trials/{REFERENCE}") -> str:
    page = client.get(path)
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def add_note(client, quote=QUOTE, body=NOTE, section="eligibility", **extra):
    data = {"csrf_token": csrf(client), "section": section, "quote": quote, "body": body, **extra}
    return client.post(f"/trials/{REFERENCE}/notes", data=data, follow_redirects=False)


def note_id(response) -> str:
    assert response.status_code == 303, response.text[:500]
    return response.headers["location"].split("#note-")[1]


def share(client) -> tuple[str, str]:
    response = client.post(f"/trials/{REFERENCE}/share", data={"csrf_token": csrf(client)})
    assert response.status_code == 200
    page = parse(response.text)
    url = page.by_id("share-url").attrs["value"]
    return urlsplit(url).path, page.by_id("share-passcode").text()


def enter_status(client, path, passcode) -> int:
    return client.post(path, data={"csrf_token": csrf(client), "passcode": passcode}).status_code


def enter(client, path, passcode):
    return client.post(path, data={"csrf_token": csrf(client), "passcode": passcode}, follow_redirects=False)


def test_a_note_added_without_javascript_is_listed_and_anchored(owner):
    response = add_note(owner)
    new = note_id(response)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("notes_owner=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=31536000" in cookie
    page = parse(owner.get(f"/trials/{REFERENCE}").text)
    item = page.by_id(f"note-{new}")
    assert item.attrs["data-section"] == "eligibility" and item.attrs["data-quote"] == QUOTE
    assert item.attrs["data-prefix"].endswith("prior to registration).\n")
    assert NOTE in item.text() and QUOTE in item.text()
    # The sections notes.js marks carry their names.
    assert page.find(id="eligibility").attrs["data-note-section"] == "eligibility"


def test_forms_without_their_token_change_nothing(owner, catalogue):
    add_note(owner)
    response = owner.post(f"/trials/{REFERENCE}/notes", data={"section": "", "quote": QUOTE, "body": "x"})
    assert response.status_code == 403 and "this form had expired" in response.text
    foreign = owner.post(
        f"/trials/{REFERENCE}/notes",
        data={"csrf_token": owner.cookies.get("csrf"), "quote": QUOTE, "body": "x"},
        headers={"origin": "https://evil.example"},
    )
    assert foreign.status_code == 403
    with catalogue.connect() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM notes") == 1


def test_mistakes_come_back_beside_their_fields(owner):
    response = add_note(owner, quote="words that are nowhere in this trial at all", body="")
    assert response.status_code == 400
    page = parse(response.text)
    assert "We could not find this passage" in page.by_id("n-quote-error").text()
    assert "Please write your note." in page.by_id("n-body-error").text()
    assert page.by_id("n-quote").attrs.get("aria-invalid") == "true"
    assert page.by_id("n-quote").text() == "words that are nowhere in this trial at all"  # kept
    assert "notes_owner" not in response.headers.get("set-cookie", "")


def test_the_second_of_two_identical_passages_keeps_its_place(owner, catalogue):
    # As notes.js sends it: the passage with the text before and after it in the page.
    prefix = "The GDA should have at least one branch to the liver. "
    response = add_note(owner, quote=TWICE, prefix=prefix, suffix=" should be ligated to allow")
    new = note_id(response)
    with catalogue.connect() as conn:
        stored = conn.fetchone("SELECT prefix, position FROM notes WHERE id = $1", (new,))
    assert stored[0].endswith("branch to the liver. ")
    first = add_note(owner, quote=TWICE)  # no context: the first one
    with catalogue.connect() as conn:
        first_position = conn.scalar("SELECT position FROM notes WHERE id = $1", (note_id(first),))
    assert first_position < stored[1]


def test_another_visitor_cannot_see_or_fetch_a_note(owner, stranger):
    new = note_id(add_note(owner))
    assert NOTE not in stranger.get(f"/trials/{REFERENCE}").text
    mine = stranger.get(f"/trials/{REFERENCE}/notes/{new}")
    missing = stranger.get(f"/trials/{REFERENCE}/notes/{'A' * 22}")
    assert mine.status_code == missing.status_code == 404
    assert NOTE not in mine.text and mine.text.replace(new, "A" * 22) == missing.text
    token = csrf(stranger)
    for action in ("save", "delete"):
        response = stranger.post(
            f"/trials/{REFERENCE}/notes/{new}", data={"csrf_token": token, "action": action, "body": "hacked"}
        )
        assert response.status_code == 404
    # The stranger's own notes list stays empty, and the owner's note is untouched.
    assert NOTE not in stranger.get("/notes").text
    assert NOTE in owner.get(f"/trials/{REFERENCE}/notes/{new}").text
    # A made-up owner key in the cookie is just another (empty) owner.
    stranger.cookies.set("notes_owner", "x" * 43)
    assert NOTE not in stranger.get(f"/trials/{REFERENCE}").text


def test_edit_and_delete(owner):
    new = note_id(add_note(owner))
    edit = owner.get(f"/trials/{REFERENCE}/notes/{new}")
    assert edit.status_code == 200 and edit.headers["cache-control"] == "private, no-store"
    token = csrf(owner)
    saved = owner.post(
        f"/trials/{REFERENCE}/notes/{new}",
        data={"csrf_token": token, "action": "save", "body": "Hb is fine now"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert "Hb is fine now" in owner.get(f"/trials/{REFERENCE}").text
    empty = owner.post(f"/trials/{REFERENCE}/notes/{new}", data={"csrf_token": token, "action": "save", "body": " "})
    assert empty.status_code == 400 and "Please write your note." in empty.text
    owner.post(f"/trials/{REFERENCE}/notes/{new}", data={"csrf_token": token, "action": "delete"})
    assert owner.get(f"/trials/{REFERENCE}/notes/{new}").status_code == 404
    assert "Hb is fine now" not in owner.get(f"/trials/{REFERENCE}").text


def test_after_the_record_is_updated_a_vanished_passage_is_marked_as_changed(owner, import_records, tmp_path):
    kept = note_id(add_note(owner, quote="Life expectancy of at least 12 weeks.", body="fine"))
    gone = note_id(add_note(owner, quote="Serious non-healing wound, ulcer, or bone fracture.", body="my ulcer"))
    record = derived_record(REFERENCE)
    module = record["protocolSection"]["eligibilityModule"]
    module["eligibilityCriteria"] = module["eligibilityCriteria"].replace(
        "* Serious non-healing wound, ulcer, or bone fracture.", "* Any active infection."
    )
    dates = record["protocolSection"]["statusModule"]
    dates["lastUpdatePostDateStruct"] = {"date": "2030-01-01", "type": "ACTUAL"}
    import_records(write_records(tmp_path / "updated", [record]))
    page = parse(owner.get(f"/trials/{REFERENCE}").text)
    changed = page.by_id(f"note-{gone}")
    assert "note-changed" in changed.classes and changed.attrs["data-quote"] == ""
    assert "The text has changed" in changed.text() and "Serious non-healing wound" in changed.text()
    assert "note-found" in page.by_id(f"note-{kept}").classes


def test_share_open_with_the_passcode_and_see_the_notes_marked_read_only(owner, stranger):
    note_id(add_note(owner))
    path, passcode = share(owner)
    assert re.fullmatch(r"/shared/[A-Za-z0-9_-]{32}", path)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", passcode)
    form = stranger.get(path)
    assert form.status_code == 200 and NOTE not in form.text and form.headers["x-robots-tag"] == "noindex"
    wrong = enter(stranger, path, "AAAA-AAAA-AAAA")
    assert wrong.status_code == 400 and "You can try 4 more times" in wrong.text
    right = enter(stranger, path, passcode.lower().replace("-", " "))
    assert right.status_code == 303
    cookie = right.headers["set-cookie"]
    assert cookie.startswith("notes_share=") and f"Path={path}" in cookie and "HttpOnly" in cookie
    view = stranger.get(path)
    assert view.status_code == 200 and view.headers["cache-control"] == "private, no-store"
    page = parse(view.text)
    assert [mark.text() for mark in page.find_all("mark", cls="note-mark")] == [QUOTE]
    assert NOTE in page.by_id("shared-note-1").text()
    assert page.find("form", method="post") is None  # read-only: no way to change anything
    # The recipient is not the owner: the notes are not theirs on the trial page.
    assert NOTE not in stranger.get(f"/trials/{REFERENCE}").text


def test_five_wrong_passcodes_lock_the_link(owner, stranger):
    add_note(owner)
    path, passcode = share(owner)
    for left in (4, 3, 2, 1):
        assert f"You can try {left} more times" in enter(stranger, path, "WRNG-WRNG-WRNG").text
    fifth = enter(stranger, path, "WRNG-WRNG-WRNG")
    assert fifth.status_code == 403 and "This link is locked" in fifth.text
    again = enter(stranger, path, passcode)
    assert again.status_code == 403 and "This link is locked" in again.text
    assert "locked after too many wrong passcodes" in owner.get(f"/trials/{REFERENCE}").text


def test_passcode_attempts_are_rate_limited_per_client(owner, stranger):
    add_note(owner)
    links = [share(owner) for _ in range(3)]
    answers = [enter(stranger, path, "WRNG-WRNG-WRNG").status_code for path, _ in links for _ in range(4)]
    assert answers[:10] == [400] * 10 and answers[10:] == [429, 429]
    # Over the limit even the right passcode waits.
    assert enter(stranger, links[2][0], links[2][1]).status_code == 429


def test_a_guessed_or_tampered_link_does_not_work(owner, stranger):
    add_note(owner)
    path, passcode = share(owner)
    token = path.rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for wrong in (tampered, token[:-2], "A" * 32, token.swapcase(), token + "A"):
        response = stranger.get(f"/shared/{wrong}")
        assert response.status_code == 404
        assert NOTE not in response.text
    assert "This link does not work" in stranger.get(f"/shared/{tampered}").text
    assert enter_status(stranger, f"/shared/{tampered}", passcode) == 404


def test_a_link_expires_after_seven_days(owner, stranger, clock):
    add_note(owner)
    path, passcode = share(owner)
    assert enter(stranger, path, passcode).status_code == 303
    clock.now += timedelta(days=7)
    response = stranger.get(path)
    assert response.status_code == 410 and "This link has expired" in response.text and NOTE not in response.text
    assert "expired" in parse(owner.get(f"/trials/{REFERENCE}").text).find("ul", cls="share-links").text()


def test_the_recipients_session_ends_after_two_hours(owner, stranger, clock):
    add_note(owner)
    path, passcode = share(owner)
    enter(stranger, path, passcode)
    clock.now += timedelta(hours=2)
    assert NOTE not in stranger.get(path).text and "Please enter the passcode" in stranger.get(path).text


def test_the_owner_revokes_a_link(owner, stranger):
    add_note(owner)
    path, passcode = share(owner)
    assert enter(stranger, path, passcode).status_code == 303
    page = owner.get(f"/trials/{REFERENCE}")
    action = re.search(r'action="(/trials/[^"]+/revoke)"', page.text).group(1)
    # Someone else cannot revoke it.
    assert stranger.post(action, data={"csrf_token": csrf(stranger)}).status_code == 404
    assert stranger.get(path).status_code == 200
    owner.post(action, data={"csrf_token": csrf(owner)})
    response = stranger.get(path)
    assert response.status_code == 410 and "This link has been revoked" in response.text and NOTE not in response.text


def test_notes_added_after_sharing_are_not_shared(owner, stranger):
    add_note(owner)
    path, passcode = share(owner)
    add_note(owner, quote="ECOG performance status 0 or 1.", body="later thought")
    enter(stranger, path, passcode)
    view = stranger.get(path).text
    assert NOTE in view and "later thought" not in view


def test_email_me_a_link_opens_the_notes_in_another_browser_once(owner, stranger, smtp, catalogue):
    add_note(owner)
    sent = owner.post("/notes/email-link", data={"csrf_token": csrf(owner, "/notes"), "email": "anna@example.org"})
    assert sent.status_code == 200 and "We have sent you an email" in sent.text
    message = smtp.wait_for(1)[0].message
    assert message["To"] == "anna@example.org" and message["Subject"] == "A link to your notes"
    text = message.get_body(("plain",)).get_content()
    link = re.search(r"http\S+/notes/restore\?token=\S+", text).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    confirm = stranger.get("/" + path)
    assert confirm.status_code == 200 and "Open my notes here" in confirm.text
    token = parse(confirm.text).find("input", name="token").attrs["value"]
    joined = stranger.post(
        "/notes/restore", data={"csrf_token": csrf(stranger), "token": token}, follow_redirects=False
    )
    assert joined.status_code == 303 and joined.headers["set-cookie"].startswith("notes_owner=")
    assert NOTE in stranger.get(f"/trials/{REFERENCE}").text
    # The email's address is kept nowhere once it is sent (the outbox clears the body, the notes the address).
    with catalogue.connect() as conn:
        assert "anna@example.org" not in repr(conn.fetchall("SELECT * FROM outbox"))
    # Once only.
    third = TestClient(owner.app)
    again = third.post("/notes/restore", data={"csrf_token": csrf(third), "token": token})
    assert again.status_code == 410 and "used already" in again.text
    tampered = third.get("/notes/restore", params={"token": token[:-2] + "xx"})
    assert tampered.status_code == 400


def test_delete_all_my_notes(owner, stranger, catalogue):
    add_note(owner)
    path, passcode = share(owner)
    response = owner.post("/notes/delete", data={"csrf_token": csrf(owner, "/notes")}, follow_redirects=False)
    assert response.status_code == 303 and 'notes_owner=""' in response.headers["set-cookie"]
    with catalogue.connect() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM notes") == 0
        assert conn.scalar("SELECT COUNT(*) FROM share_links") == 0
    assert stranger.get(path).status_code == 404


def test_nothing_typed_or_secret_reaches_the_logs(owner, stranger, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    new = note_id(add_note(owner))
    path, passcode = share(owner)
    enter(stranger, path, "WRNG-WRNG-WRNG")
    enter(stranger, path, passcode)
    stranger.get(path)
    owner.post("/notes/email-link", data={"csrf_token": csrf(owner, "/notes"), "email": "anna@example.org"})
    smtp.wait_for(1)
    key = owner.cookies.get("notes_owner")
    # Our own log lines (the test client's HTTP library logs the URLs it requests, as a browser's history holds them).
    ours = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("trialfinder"))
    for secret in (NOTE, QUOTE, passcode, path.rsplit("/", 1)[1], key, "anna@example.org"):
        assert secret not in ours
    assert new in ours and "POST /shared/<token> 303" in ours


def test_notes_in_dutch(owner):
    add_note(owner)
    page = owner.get(f"/trials/{REFERENCE}", params={"lang": "nl"})
    assert "Uw privénotities" in page.text and "Mijn notities versturen" in page.text


def test_the_faq_names_the_notes_cookie(owner):
    assert "notes_owner" in owner.get("/faq").text


def test_database_holds_no_secret_in_clear(owner, catalogue):
    add_note(owner)
    path, passcode = share(owner)
    key = owner.cookies.get("notes_owner")
    with catalogue.connect() as conn:
        dump = repr(conn.fetchall("SELECT * FROM share_links")) + repr(conn.fetchall("SELECT * FROM notes"))
        assert NoteStore(conn).for_trial(key, REFERENCE) == []  # the key itself is not an owner id
    for secret in (passcode, path.rsplit("/", 1)[1], key):
        assert secret not in dump
