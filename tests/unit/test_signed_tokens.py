"""Signed tokens opened by the actions, without a database: what a token says (opened, expired, invalid), the emailed
link to one's notes, the share link's session cookie and the confirmation page's key of a contact request. The
links that look up what they name (a referral, a subscription) are in tests/integration/test_signed_links.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trialfinder.actions import notes, referrals
from trialfinder.actions import subscriptions as subscription_actions
from trialfinder.actions.signed_links import OpenedToken, TokenState, open_token
from trialfinder.signing import Signer
from trialfinder.storage.referrals import StoredReferral

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SIGNER = Signer(b"s" * 32)
OTHER_KEY = Signer(b"o" * 32)


def tampered(token: str) -> str:
    """The token with one character of its signature changed."""
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def referral(public_id: str = "ref-public-id-1") -> StoredReferral:
    return StoredReferral(
        id=7,
        public_id=public_id,
        submission="form-1",
        nct_id="NCT06857773",
        route="operator",
        site_key="k1",
        site_label="The Netherlands Cancer Institute",
        team_email="referrals@operator.example",
        team_language="nl",
        person_language="en",
        first_name="Anna",
        last_name="de Vries",
        email="anna@example.org",
        phone="+31 20 123 4567",
        contact_language="nl",
        residence="Haarlem",
        message=None,
        created_at=NOW.isoformat(),
        queued_at=None,
        contacted_at=None,
        withdrawn_at=None,
    )


# --- any token --------------------------------------------------------------------------------------------------------


def test_a_genuine_token_opens_with_its_id_until_it_expires():
    token = SIGNER.sign("withdraw", "abc123", expires_at=NOW + timedelta(hours=1))
    assert open_token(signer=SIGNER, purpose="withdraw", token=token, now=NOW) == OpenedToken(
        TokenState.OPENED, "abc123"
    )
    just_before = NOW + timedelta(minutes=59, seconds=59)
    assert open_token(signer=SIGNER, purpose="withdraw", token=token, now=just_before).state == TokenState.OPENED
    for later in (NOW + timedelta(hours=1), NOW + timedelta(days=30)):
        assert open_token(signer=SIGNER, purpose="withdraw", token=token, now=later) == OpenedToken(TokenState.EXPIRED)


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda token: tampered(token), id="tampered signature"),
        pytest.param(lambda token: "other" + token, id="tampered id"),
        pytest.param(lambda token: token.rsplit(".", 1)[0], id="cut short"),
        pytest.param(lambda token: "", id="empty"),
        pytest.param(lambda token: "x" * 300, id="too long"),
        pytest.param(
            lambda token: OTHER_KEY.sign("withdraw", "abc123", expires_at=NOW + timedelta(hours=1)), id="other key"
        ),
        pytest.param(
            lambda token: SIGNER.sign("contacted", "abc123", expires_at=NOW + timedelta(hours=1)), id="other purpose"
        ),
    ],
)
def test_a_token_that_is_not_genuine_is_invalid_and_carries_no_id(make):
    token = make(SIGNER.sign("withdraw", "abc123", expires_at=NOW + timedelta(hours=1)))
    assert open_token(signer=SIGNER, purpose="withdraw", token=token, now=NOW) == OpenedToken(TokenState.INVALID)


def test_a_forged_token_is_invalid_even_when_its_expiry_is_past():
    # Invalid before expired: a page never tells a forger that the shape of their token was right.
    token = tampered(SIGNER.sign("withdraw", "abc123", expires_at=NOW - timedelta(days=1)))
    assert open_token(signer=SIGNER, purpose="withdraw", token=token, now=NOW).state == TokenState.INVALID


def test_results_are_frozen_values():
    opened = open_token(signer=SIGNER, purpose="p", token="", now=NOW)
    with pytest.raises(AttributeError):
        opened.state = TokenState.OPENED  # type: ignore[misc]


# --- the emailed link to one's notes ----------------------------------------------------------------------------------


def test_the_owner_link_opens_with_its_one_time_id():
    token = SIGNER.sign(notes.OWNER_LINK, "link-id", expires_at=NOW + notes.OWNER_LINK_VALID_FOR)
    assert notes.open_owner_link(signer=SIGNER, token=token, now=NOW) == OpenedToken(TokenState.OPENED, "link-id")
    after = NOW + notes.OWNER_LINK_VALID_FOR
    assert notes.open_owner_link(signer=SIGNER, token=token, now=after).state == TokenState.EXPIRED
    assert notes.open_owner_link(signer=SIGNER, token=tampered(token), now=NOW).state == TokenState.INVALID


def test_the_owner_link_opens_nothing_made_for_another_purpose():
    session = notes.share_session(signer=SIGNER, link_id="link-id", now=NOW)
    assert notes.open_owner_link(signer=SIGNER, token=session, now=NOW) == OpenedToken(TokenState.INVALID)


# --- a share link's session -------------------------------------------------------------------------------------------


def test_a_share_session_opens_its_own_link_for_two_hours():
    cookie = notes.share_session(signer=SIGNER, link_id="share-1", now=NOW)
    assert notes.has_share_session(signer=SIGNER, cookie=cookie, link_id="share-1", now=NOW)
    last = NOW + notes.SHARE_SESSION - timedelta(seconds=1)
    assert notes.has_share_session(signer=SIGNER, cookie=cookie, link_id="share-1", now=last)
    assert not notes.has_share_session(signer=SIGNER, cookie=cookie, link_id="share-1", now=NOW + notes.SHARE_SESSION)
    assert notes.SHARE_SESSION == timedelta(hours=2)


def test_a_share_session_opens_no_other_link_and_nothing_forged():
    cookie = notes.share_session(signer=SIGNER, link_id="share-1", now=NOW)
    assert not notes.has_share_session(signer=SIGNER, cookie=cookie, link_id="share-2", now=NOW)
    assert not notes.has_share_session(signer=SIGNER, cookie=tampered(cookie), link_id="share-1", now=NOW)
    assert not notes.has_share_session(signer=SIGNER, cookie="", link_id="share-1", now=NOW)
    owner_link = SIGNER.sign(notes.OWNER_LINK, "share-1", expires_at=NOW + timedelta(hours=1))
    assert not notes.has_share_session(signer=SIGNER, cookie=owner_link, link_id="share-1", now=NOW)


# --- the confirmation page's key of a contact request -----------------------------------------------------------------


def test_the_sent_page_key_names_its_referral_in_its_browser_for_an_hour():
    sent = referral()
    key = referrals.sent_page_key(signer=SIGNER, referral=sent, browser="csrf-cookie-1", now=NOW)
    assert referrals.is_sender(signer=SIGNER, key=key, referral=sent, browser="csrf-cookie-1", now=NOW)
    last = NOW + referrals.SENT_PAGE_KEY - timedelta(seconds=1)
    assert referrals.is_sender(signer=SIGNER, key=key, referral=sent, browser="csrf-cookie-1", now=last)
    after = NOW + referrals.SENT_PAGE_KEY
    assert not referrals.is_sender(signer=SIGNER, key=key, referral=sent, browser="csrf-cookie-1", now=after)


def test_the_sent_page_key_is_good_in_no_other_browser_for_no_other_referral():
    sent = referral()
    key = referrals.sent_page_key(signer=SIGNER, referral=sent, browser="csrf-cookie-1", now=NOW)
    assert not referrals.is_sender(signer=SIGNER, key=key, referral=sent, browser="csrf-cookie-2", now=NOW)
    assert not referrals.is_sender(signer=SIGNER, key=key, referral=sent, browser="", now=NOW)
    other = referral("ref-public-id-2")
    assert not referrals.is_sender(signer=SIGNER, key=key, referral=other, browser="csrf-cookie-1", now=NOW)
    assert not referrals.is_sender(signer=SIGNER, key=tampered(key), referral=sent, browser="csrf-cookie-1", now=NOW)
    assert not referrals.is_sender(signer=SIGNER, key="", referral=sent, browser="csrf-cookie-1", now=NOW)
    # The emailed withdraw link of the same referral is no key to its page.
    withdraw = SIGNER.sign("withdraw", sent.public_id, expires_at=NOW + timedelta(hours=1))
    assert not referrals.is_sender(signer=SIGNER, key=withdraw, referral=sent, browser="csrf-cookie-1", now=NOW)


def test_a_new_form_has_a_submission_id_the_form_accepts():
    ids = {referrals.new_submission() for _ in range(20)}
    assert len(ids) == 20
    assert all(16 <= len(item) <= 64 and item.replace("-", "").replace("_", "").isalnum() for item in ids)


# --- the links that look up what they name refuse a purpose that is not theirs ----------------------------------------


def test_a_link_of_another_kind_is_a_mistake_not_a_page():
    # Checked before anything is read: no database is needed to refuse it.
    with pytest.raises(ValueError, match="referral"):
        referrals.open_link(signer=SIGNER, database=None, purpose="subscription-confirm", token="", now=NOW)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="subscription"):
        subscription_actions.open_link(signer=SIGNER, database=None, purpose="withdraw", token="", now=NOW)  # type: ignore[arg-type]
