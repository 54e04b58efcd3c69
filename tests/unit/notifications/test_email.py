"""Building email safely, and the folder sender of the embedded default."""

from __future__ import annotations

import stat
from email import message_from_bytes, policy

import pytest

from trialfinder.notifications.email import FolderSender, OutgoingEmail, build_message

SENDER = "trialfinder <no-reply@trials.example>"


def email(**changes) -> OutgoingEmail:
    values = {"to": "team@site.example", "subject": "Referral", "text": "Hello ✓", "html": "<p>Hello ✓</p>"}
    return OutgoingEmail(**{**values, **changes})


def test_a_message_has_text_and_html_and_one_recipient():
    message = build_message(email(reply_to="anna@example.org"), sender=SENDER)
    parsed = message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["To"] == "team@site.example"
    assert parsed["Reply-To"] == "anna@example.org"
    assert parsed["Auto-Submitted"] == "auto-generated"
    assert parsed.get_body(("plain",)).get_content().strip() == "Hello ✓"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Hello ✓</p>"
    assert message.as_bytes().isascii()  # 7-bit safe: any server takes it


@pytest.mark.parametrize("field", ["to", "subject", "reply_to"])
@pytest.mark.parametrize("injection", ["\r\nBcc: victim@example.org", "\nX-Evil: 1", "\x00"])
def test_a_line_break_in_any_header_value_is_refused(field, injection):
    base = "anna@example.org" if field != "subject" else "Referral"
    with pytest.raises(ValueError):
        build_message(email(**{field: base + injection}), sender=SENDER)


@pytest.mark.parametrize("address", ["a@x.org, b@y.org", "<a@x.org>", "not an address"])
def test_a_recipient_is_one_address(address):
    with pytest.raises(ValueError):
        build_message(email(to=address), sender=SENDER)


def test_the_folder_sender_writes_whole_private_eml_files(tmp_path):
    sender = FolderSender(tmp_path / "mail")
    raw = build_message(email(), sender=SENDER).as_bytes()
    sender.send(raw, recipient="team@site.example")
    sender.send(raw, recipient="team@site.example")
    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2 and files[0].name != files[1].name
    assert files[0].read_bytes() == raw
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert not list((tmp_path / "mail").glob(".*"))  # no temporary file left behind
