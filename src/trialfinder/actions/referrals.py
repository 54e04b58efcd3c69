"""Referrals: store first, then queue the two emails; mark contacted; withdraw; purge after the retention period.

The referral is committed on its own before anything else is tried, so whatever fails afterwards (composing the
emails, the mail server) the request is never lost: `queue_unqueued` picks up any referral whose emails were not
queued. Log lines carry ids and counts, never what the person typed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from trialfinder.actions.outbox import stamp
from trialfinder.notifications.email import EmailSender, OutgoingEmail, message_text
from trialfinder.storage.database import Database, DatabaseError
from trialfinder.storage.outbox import Outbox
from trialfinder.storage.referrals import NewReferral, ReferralStore, StoredReferral

log = logging.getLogger("trialfinder.referrals")

# Composes a stored referral's emails: (kind, email) pairs, kind "team" or "copy".
Composer = Callable[[StoredReferral], list[tuple[str, OutgoingEmail]]]


def submit_referral(
    *, database: Database, referral: NewReferral, repeat_since: datetime | None = None
) -> tuple[StoredReferral, bool]:
    """Store the referral (one transaction). The same form sent twice gives the first referral back, and False; so
    does, with `repeat_since`, a referral with the same `duplicate_key` made since then and not withdrawn."""
    since = stamp(repeat_since) if repeat_since is not None else None
    with database.connect() as conn, conn.transaction():
        stored, created = ReferralStore(conn).add(referral, repeat_since=since)
    log.info("referral %s trial=%s route=%s new=%s", stored.id, stored.nct_id, stored.route, created)
    return stored, created


def queue_emails(*, database: Database, referral: StoredReferral, compose: Composer, sender_address: str) -> int:
    """Compose the referral's emails and put them in the outbox, once: a second call queues nothing.

    An email that cannot be composed or built (a template or an address problem: trying again will not mend it)
    goes into the outbox as failed, with the reason, for the operator (`trialfinder outbox`) to see: the referral
    is never left waiting in silence, and never retried blindly. Only a database error leaves it for later."""
    if referral.queued_at or referral.withdrawn_at:
        return 0
    messages: list[tuple[str, str, str | None, str | None]] = []  # kind, recipient, body, why it has none
    try:
        composed = compose(referral)
    except DatabaseError:
        raise
    except Exception as error:
        failure = f"could not be composed: {type(error).__name__}"
        composed = []
        messages = [("team", referral.team_email, None, failure), ("copy", referral.email or "", None, failure)]
    for kind, email in composed:
        try:
            messages.append((kind, email.to, message_text(email, sender=sender_address), None))
        except ValueError:  # the error's text may quote a value: the reason names none
            messages.append((kind, email.to, None, "could not be built: an address or header it cannot carry"))
    queued = 0
    now = stamp(datetime.now(UTC))
    with database.connect() as conn, conn.transaction():
        outbox = Outbox(conn)
        for kind, recipient, body, failure in messages:
            queued += outbox.add(
                dedupe_key=f"referral:{referral.id}:{kind}",
                kind=f"referral_{kind}",
                recipient=recipient,
                body=body,
                failure=failure,
                now=now,
                referral_id=referral.id,
            )
            if failure:
                log.error("referral %s: its %s email failed: %s", referral.id, kind, failure)
        ReferralStore(conn).mark_queued(referral.id, now)
    return queued


def queue_unqueued(*, database: Database, compose: Composer, sender_address: str, now: datetime | None = None) -> int:
    """Queue the emails of referrals stored more than a minute ago whose emails never reached the outbox."""
    cutoff = stamp((now or datetime.now(UTC)) - timedelta(minutes=1))
    with database.connect() as conn:
        waiting = ReferralStore(conn).unqueued(created_before=cutoff)
    queued = 0
    for referral in waiting:
        try:
            queued += queue_emails(database=database, referral=referral, compose=compose, sender_address=sender_address)
        except Exception as error:  # one bad referral must not stop the others; it stays unqueued and visible
            log.error("referral %s: emails could not be composed: %s", referral.id, type(error).__name__)
    return queued


def mark_contacted(*, database: Database, referral_id: int, now: datetime | None = None) -> None:
    with database.connect() as conn, conn.transaction():
        ReferralStore(conn).mark_contacted(referral_id, stamp(now or datetime.now(UTC)))
    log.info("referral %s contacted", referral_id)


def withdraw(
    *,
    database: Database,
    referral_id: int,
    notice: Callable[[StoredReferral], OutgoingEmail] | None = None,
    sender_address: str = "",
    mail: EmailSender | None = None,
    now: datetime | None = None,
) -> bool:
    """Forget the person, here and in the copies `mail` kept of their messages (the `.eml` files). When the study
    team already has their details, queue `notice` to the team (it carries no personal data) asking them to delete
    those too; True when a notice was queued."""
    moment = stamp(now or datetime.now(UTC))
    with database.connect() as conn, conn.transaction():
        messages = Outbox(conn).referral_message_ids(referral_id=referral_id)
        team_has_it = Outbox(conn).was_sent(referral_id=referral_id, kind="referral_team")
        store = ReferralStore(conn)
        store.withdraw(referral_id, moment)
        referral = store.by_id(referral_id)
        queued = False
        if team_has_it and notice is not None and referral is not None:
            email = notice(referral)
            queued = Outbox(conn).add(
                dedupe_key=f"referral:{referral_id}:withdrawn",
                kind="referral_withdrawn",
                recipient=email.to,
                body=message_text(email, sender=sender_address),
                now=moment,
                referral_id=referral_id,
            )
    forgotten = mail.forget(f"m{message}" for message in messages) if mail is not None else 0
    log.info("referral %s withdrawn notice=%s copies_deleted=%d", referral_id, queued, forgotten)
    return queued


def purge(
    *, database: Database, retention_days: int, mail: EmailSender | None = None, now: datetime | None = None
) -> int:
    """Delete referrals (and their messages) older than the retention period, and every copy `mail` kept of a
    message handed over before then (the `.eml` files); the number of referrals deleted."""
    moment = (now or datetime.now(UTC)) - timedelta(days=retention_days)
    cutoff = stamp(moment)
    with database.connect() as conn, conn.transaction():
        messages = Outbox(conn).referral_message_ids(created_before=cutoff)
        deleted = ReferralStore(conn).purge(created_before=cutoff)
    copies = 0
    if mail is not None:
        copies = mail.forget(f"m{message}" for message in messages) + mail.expire(moment)
    log.info("referrals purged=%d copies_deleted=%d retention_days=%d", deleted, copies, retention_days)
    return deleted
