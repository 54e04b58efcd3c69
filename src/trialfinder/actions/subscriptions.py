"""Subscriptions: sign up (double opt-in), confirm, change, delete, and purge those never confirmed.

A sign-up always ends in one email to the address given and the same answer on the page, whatever the address's
state: a new or pending subscription gets a confirmation link, an already confirmed one for the same search gets
"you are already subscribed" with its manage link. So the page tells a third party nothing about an address.
The links in its emails (confirm, manage, unsubscribe) are opened here (`open_link`).
Log lines name subscription ids and counts, never an address or a search.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl

from trialfinder.actions import subscription_emails
from trialfinder.actions.email_writer import EmailWriter
from trialfinder.actions.outbox import stamp
from trialfinder.actions.signed_links import TokenState, open_token
from trialfinder.domain.search import Search, read_search
from trialfinder.domain.subscriptions import Frequency, SubscriptionState, email_key
from trialfinder.notifications.email import message_text
from trialfinder.signing import Signer, random_id
from trialfinder.storage.changes import ChangeLog
from trialfinder.storage.database import Database
from trialfinder.storage.outbox import Outbox
from trialfinder.storage.subscriptions import (
    NewSubscription,
    StoredSubscription,
    SubscriptionStore,
    outbox_key_prefix,
)

log = logging.getLogger("trialfinder.subscriptions")

MAX_PER_ADDRESS = 20  # subscriptions (pending or confirmed) one address may hold; beyond, sign-ups are dropped


@dataclass(frozen=True, slots=True)
class SignUp:
    subscription_id: int | None
    kind: str  # "confirm", "already" or "dropped"


def sign_up(
    *,
    database: Database,
    email: str,
    language: str,
    search: Search,
    frequency: Frequency,
    writer: EmailWriter,
    base_url: str,
    confirm_days: int,
    now: datetime | None = None,
) -> SignUp:
    """Store a pending subscription (or find the confirmed one) and queue its one email, its links to `base_url`
    (a confirmation link valid `confirm_days`, or "already subscribed"). A typed place must have been found
    (`Search.point`): the alert run measures from it."""
    search.check_found()
    moment = now or datetime.now(UTC)
    key = email_key(email)
    written = search.query_string()
    with database.connect() as conn, conn.transaction():
        store = SubscriptionStore(conn)
        held = store.for_email(key)
        same = [item for item in held if _canonical(item.search) == written]
        confirmed = next((item for item in same if item.state == SubscriptionState.CONFIRMED.value), None)
        if confirmed is not None:
            subscription, kind = confirmed, "already"
        elif len(held) - len(same) >= MAX_PER_ADDRESS:
            subscription, kind = None, "dropped"
        else:
            for item in same:  # a pending sign-up for the same search is replaced: its old link stops working
                store.delete(item.id)
            subscription = store.add(
                NewSubscription(
                    public_id=random_id(),
                    email=email,
                    email_key=key,
                    language=language,
                    search=search,
                    frequency=frequency.value,
                    created_at=stamp(moment),
                )
            )
            kind = "confirm"
    if subscription is not None:
        queue_email(
            database=database,
            subscription=subscription,
            kind=kind,
            writer=writer,
            base_url=base_url,
            confirm_days=confirm_days,
            now=moment,
        )
    log.info("subscription sign-up id=%s outcome=%s", subscription.id if subscription else "-", kind)
    return SignUp(subscription.id if subscription else None, kind)


def queue_email(
    *,
    database: Database,
    subscription: StoredSubscription,
    kind: str,
    writer: EmailWriter,
    base_url: str,
    confirm_days: int,
    now: datetime,
) -> bool:
    email = subscription_emails.compose_sign_up(
        subscription, kind, writer=writer, base_url=base_url, confirm_days=confirm_days
    )
    body = message_text(email, sender=writer.sender_address)
    with database.connect() as conn, conn.transaction():
        return Outbox(conn).add(
            dedupe_key=f"{outbox_key_prefix(subscription.id)}{kind}:{random_id(8)}",
            kind=f"subscription_{kind}",
            recipient=subscription.email,
            body=body,
            now=stamp(now),
        )


def find(*, database: Database, public_id: str) -> StoredSubscription | None:
    with database.connect() as conn:
        return SubscriptionStore(conn).get(public_id)


@dataclass(frozen=True, slots=True)
class SubscriptionLink:
    """What a link from a subscription's email opens: its state, and the subscription when OPENED."""

    state: TokenState
    subscription: StoredSubscription | None = None


LINK_PURPOSES = (subscription_emails.CONFIRM, subscription_emails.MANAGE, subscription_emails.UNSUBSCRIBE)


def open_link(*, signer: Signer, database: Database, purpose: str, token: str, now: datetime) -> SubscriptionLink:
    """Open the `token` of a link from a subscription's email (`purpose`: subscription_emails.CONFIRM, MANAGE or
    UNSUBSCRIBE): OPENED with the subscription, EXPIRED, INVALID (a token made for another purpose too), or GONE once
    the subscription is deleted (unsubscribed, or never confirmed and purged)."""
    if purpose not in LINK_PURPOSES:
        raise ValueError(f"not a subscription link's purpose: {purpose!r}")
    opened = open_token(signer=signer, purpose=purpose, token=token, now=now)
    if opened.state != TokenState.OPENED or opened.id is None:
        return SubscriptionLink(opened.state)
    subscription = find(database=database, public_id=opened.id)
    if subscription is None:
        return SubscriptionLink(TokenState.GONE)
    return SubscriptionLink(TokenState.OPENED, subscription)


def confirm(*, database: Database, subscription: StoredSubscription, now: datetime | None = None) -> None:
    """Confirm: from now on, changes to the catalogue are news to it (those before are not)."""
    with database.connect() as conn, conn.transaction():
        latest = ChangeLog(conn).latest_id()
        SubscriptionStore(conn).confirm(subscription.id, now=stamp(now or datetime.now(UTC)), from_change=latest)
    log.info("subscription %s confirmed", subscription.id)


def change(
    *,
    database: Database,
    subscription: StoredSubscription,
    search: Search,
    frequency: Frequency,
    language: str,
) -> None:
    search.check_found()
    with database.connect() as conn, conn.transaction():
        SubscriptionStore(conn).change(subscription.id, search=search, frequency=frequency.value, language=language)
    log.info("subscription %s changed", subscription.id)


def delete(*, database: Database, subscription_id: int) -> None:
    """Delete a subscription with everything of it: its matches and its emails still in the outbox."""
    with database.connect() as conn, conn.transaction():
        SubscriptionStore(conn).delete(subscription_id)
    log.info("subscription %s deleted", subscription_id)


def purge_unconfirmed(*, database: Database, confirm_days: int, now: datetime | None = None) -> int:
    """Delete sign-ups never confirmed within `confirm_days` (their link has expired by then)."""
    cutoff = stamp((now or datetime.now(UTC)) - timedelta(days=confirm_days))
    with database.connect() as conn, conn.transaction():
        deleted = SubscriptionStore(conn).purge_unconfirmed(created_before=cutoff)
    if deleted:
        log.info("subscriptions unconfirmed purged=%d", deleted)
    return deleted


def _canonical(saved: str) -> str:
    """A stored query string as the writer writes it now (rows saved before kept the parameters as typed)."""
    return read_search(parse_qsl(saved, keep_blank_values=True)).search.query_string()


def digest_key(nct_ids: list[str]) -> str:
    """The same alert (same trials for the same subscription) is one outbox message, however often it is queued."""
    return hashlib.sha256("|".join(sorted(nct_ids)).encode()).hexdigest()[:24]
