"""The links in a referral's and a subscription's emails, opened by the actions on both databases: the referral or
subscription they name, or why not (expired, invalid, made for another purpose, gone), at a fixed time. The pages
that show these states are tested in tests/integration/web; the tokens alone in tests/unit/test_signed_tokens.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from support.email_writer import WRITER
from support.referrals import new_referral

from trialfinder.actions import referrals, subscriptions
from trialfinder.actions.referral_emails import CONTACTED, WITHDRAW
from trialfinder.actions.signed_links import TokenState
from trialfinder.actions.subscription_emails import CONFIRM, MANAGE, UNSUBSCRIBE
from trialfinder.domain.search import Search
from trialfinder.domain.subscriptions import Frequency
from trialfinder.storage.subscriptions import SubscriptionStore

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SIGNER = WRITER.signer
DAY = timedelta(days=1)


def tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.fixture
def referral(database):
    stored, _ = referrals.submit_referral(
        database=database, referral=new_referral("ref-public-id-1", created=NOW, submission="form-1")
    )
    return stored


@pytest.fixture
def subscription(database):
    signed_up = subscriptions.sign_up(
        database=database,
        email="reader@example.org",
        language="en",
        search=Search(condition="melanoma"),
        frequency=Frequency.DAILY,
        writer=WRITER,
        base_url=WRITER.base_url,
        confirm_days=7,
        now=NOW,
    )
    with database.connect() as conn:
        return SubscriptionStore(conn).by_id(signed_up.subscription_id)


def open_referral_link(database, purpose, token, now=NOW):
    return referrals.open_link(signer=SIGNER, database=database, purpose=purpose, token=token, now=now)


def open_subscription_link(database, purpose, token, now=NOW):
    return subscriptions.open_link(signer=SIGNER, database=database, purpose=purpose, token=token, now=now)


# --- a referral's links -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", [WITHDRAW, CONTACTED])
def test_a_referral_link_opens_its_referral_until_it_expires(database, referral, purpose):
    token = SIGNER.sign(purpose, referral.public_id, expires_at=NOW + 180 * DAY)
    opened = open_referral_link(database, purpose, token)
    assert opened.state == TokenState.OPENED and opened.referral == referral
    later = open_referral_link(database, purpose, token, now=NOW + 180 * DAY)
    assert later.state == TokenState.EXPIRED and later.referral is None


def test_a_referral_link_tampered_with_or_made_for_the_other_purpose_is_invalid(database, referral):
    withdraw = SIGNER.sign(WITHDRAW, referral.public_id, expires_at=NOW + DAY)
    for purpose, token in ((WITHDRAW, tampered(withdraw)), (WITHDRAW, ""), (CONTACTED, withdraw)):
        opened = open_referral_link(database, purpose, token)
        assert opened.state == TokenState.INVALID and opened.referral is None


def test_a_referral_link_whose_referral_was_purged_is_gone(database, referral):
    token = SIGNER.sign(WITHDRAW, referral.public_id, expires_at=NOW + 400 * DAY)
    referrals.purge(database=database, retention_days=180, now=NOW + 181 * DAY)
    opened = open_referral_link(database, WITHDRAW, token, now=NOW + 181 * DAY)
    assert opened.state == TokenState.GONE and opened.referral is None
    never = SIGNER.sign(CONTACTED, "never-stored-id", expires_at=NOW + DAY)
    assert open_referral_link(database, CONTACTED, never).state == TokenState.GONE


def test_a_withdrawn_referral_still_opens_and_says_so(database, referral):
    # The page says "withdrawn" (web/contact.py): the link opens the referral, whose state tells.
    referrals.withdraw(database=database, referral_id=referral.id, now=NOW)
    token = SIGNER.sign(WITHDRAW, referral.public_id, expires_at=NOW + DAY)
    opened = open_referral_link(database, WITHDRAW, token)
    assert opened.state == TokenState.OPENED and opened.referral.withdrawn_at is not None


# --- a subscription's links -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", [CONFIRM, MANAGE, UNSUBSCRIBE])
def test_a_subscription_link_opens_its_subscription_until_it_expires(database, subscription, purpose):
    token = SIGNER.sign(purpose, subscription.public_id, expires_at=NOW + 7 * DAY)
    opened = open_subscription_link(database, purpose, token)
    assert opened.state == TokenState.OPENED and opened.subscription == subscription
    later = open_subscription_link(database, purpose, token, now=NOW + 7 * DAY)
    assert later.state == TokenState.EXPIRED and later.subscription is None


def test_a_subscription_link_tampered_with_or_made_for_another_purpose_is_invalid(database, subscription):
    manage = SIGNER.sign(MANAGE, subscription.public_id, expires_at=NOW + DAY)
    for purpose, token in ((MANAGE, tampered(manage)), (MANAGE, ""), (CONFIRM, manage), (UNSUBSCRIBE, manage)):
        opened = open_subscription_link(database, purpose, token)
        assert opened.state == TokenState.INVALID and opened.subscription is None
    # A referral's link for the same id opens no subscription either.
    withdraw = SIGNER.sign(WITHDRAW, subscription.public_id, expires_at=NOW + DAY)
    assert open_subscription_link(database, UNSUBSCRIBE, withdraw).state == TokenState.INVALID


def test_a_subscription_link_whose_subscription_was_deleted_is_gone(database, subscription):
    token = SIGNER.sign(UNSUBSCRIBE, subscription.public_id, expires_at=NOW + DAY)
    subscriptions.delete(database=database, subscription_id=subscription.id)
    opened = open_subscription_link(database, UNSUBSCRIBE, token)
    assert opened.state == TokenState.GONE and opened.subscription is None
