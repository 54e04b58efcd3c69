"""Referrals: the request a person sends through the contact form, from its rules to its emails.

The rules: a request goes to the route the person chose (domain.referral); the same request sent again (the same
form, or within `REPEAT_WINDOW` the same browser, trial and address) finds the first; an address makes at most
`MAX_PER_ADDRESS_PER_DAY` requests a day. The referral is committed on its own before anything else is tried, so
whatever fails afterwards (composing the emails, the mail server) the request is never lost: `queue_unqueued` picks
up any referral whose emails were not queued. Then: mark contacted; withdraw; purge after the retention period.
The links in its emails are opened here (`open_link`), and so is the key that tells the confirmation page, in the
browser that sent the request, whose request it is (`sent_page_key`, `is_sender`).
Log lines carry ids and counts, never what the person typed.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from trialfinder.actions import referral_emails
from trialfinder.actions.email_writer import EmailWriter
from trialfinder.actions.outbox import stamp
from trialfinder.actions.signed_links import TokenState, open_token
from trialfinder.domain.email_address import parse_email
from trialfinder.domain.referral import ContactRequest, Route
from trialfinder.domain.trial import Trial
from trialfinder.notifications.email import EmailSender, message_text
from trialfinder.signing import Signer, random_id
from trialfinder.storage.database import Database, DatabaseError
from trialfinder.storage.outbox import Outbox
from trialfinder.storage.referrals import NewReferral, ReferralStore, StoredReferral
from trialfinder.storage.trials import TrialStore

log = logging.getLogger("trialfinder.referrals")

# A request sent again within this window (the same browser, trial and address) finds the first: Back and Send, a
# second tab. Another browser makes a request of its own: a page that said "already sent" to anyone typing an
# address would tell them which trials its owner asked about.
REPEAT_WINDOW = timedelta(hours=24)
# Three requests from one address a day is plenty; more look like abuse of someone else's address.
MAX_PER_ADDRESS_PER_DAY = 3
# How long the confirmation page knows, in the browser that sent the request, whose it is (to fill in the address in
# the offer to be notified, and to say "You already sent this request"): a signed key in its URL, bound to the browser.
SENT_PAGE_KEY = timedelta(hours=1)


class Outcome(StrEnum):
    SENT = "sent"
    AGAIN = "again"  # the request repeats one already stored: that one is the referral
    BUSY = "busy"  # the address has made enough requests today: nothing stored


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    referral: StoredReferral | None  # None when BUSY


def new_submission() -> str:
    """The id of a contact form as shown: the same form sent again (a double click, a reload) finds the referral it
    stored (`earlier_request`)."""
    return random_id(24)


def repeat_key(*, signer: Signer, email: str, nct_id: str, browser: str) -> str:
    """Who asks about what, from where, as a keyed hash (nothing of it can be read back): the address (any case; its
    domain as IDNA writes it), the trial and the browser (the value of its form cookie)."""
    parsed = parse_email(email)
    address = f"{parsed.local.lower()}@{parsed.ascii_domain}" if parsed else email.strip().lower()
    return signer.fingerprint("referral_repeat", f"{address}\x1f{nct_id}\x1f{browser}")


def earlier_request(*, database: Database, submission: str, duplicate_key: str, now: datetime) -> StoredReferral | None:
    """The referral this request repeats: the same form sent again (a double click, a reload), or a request with the
    same `duplicate_key` made within REPEAT_WINDOW and not withdrawn (a form shown afresh: Back, another tab)."""
    with database.connect() as conn:
        store = ReferralStore(conn)
        return store.by_submission(submission) or store.recent_repeat(
            duplicate_key, since=stamp(now - REPEAT_WINDOW)
        )


def send_request(
    *,
    database: Database,
    writer: EmailWriter,
    trial: Trial,
    route: Route,
    person: ContactRequest,
    submission: str,
    duplicate_key: str,
    person_language: str,
    base_url: str,
    retention_days: int,
    now: datetime,
) -> SendResult:
    """Store a person's request for `route` and queue its two emails (delivery is the caller's next step)."""
    since = now - timedelta(days=1)
    with database.connect() as conn:
        busy = ReferralStore(conn).count_for_email(person.email, since=stamp(since)) >= MAX_PER_ADDRESS_PER_DAY
    if busy:
        return SendResult(Outcome.BUSY, None)
    site = route.site.site if route.site else None
    stored, created = submit_referral(
        database=database,
        referral=NewReferral(
            public_id=random_id(),
            submission=submission,
            nct_id=trial.nct_id,
            route=route.kind.value,
            site_key=route.site.key if route.site else None,
            site_label=(site.facility or "").strip() if site else "",
            team_email=route.team_email,
            team_language=referral_emails.team_language(trial, site.country if site else None),
            person_language=person_language,
            first_name=person.first_name,
            last_name=person.last_name,
            email=person.email,
            phone=person.phone,
            contact_language=person.contact_language,
            residence=person.residence,
            message=person.message,
            created_at=stamp(now),
            duplicate_key=duplicate_key,
        ),
        repeat_since=now - REPEAT_WINDOW,
    )
    if not created:  # the same request arrived at the same moment by another way
        return SendResult(Outcome.AGAIN, stored)
    try:
        queue_emails(
            database=database, referral=stored, writer=writer, base_url=base_url, retention_days=retention_days
        )
    except Exception as error:  # stored already: the background job queues it later
        log.error("referral %s: emails not queued yet: %s", stored.id, type(error).__name__)
    return SendResult(Outcome.SENT, stored)


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


def queue_emails(
    *, database: Database, referral: StoredReferral, writer: EmailWriter, base_url: str, retention_days: int
) -> int:
    """Compose the referral's emails and put them in the outbox, once: a second call queues nothing.

    An email that cannot be composed or built (a template or an address problem: trying again will not mend it)
    goes into the outbox as failed, with the reason, for the operator (`trialfinder outbox`) to see: the referral
    is never left waiting in silence, and never retried blindly. Only a database error leaves it for later."""
    if referral.queued_at or referral.withdrawn_at:
        return 0
    messages: list[tuple[str, str, str | None, str | None]] = []  # kind, recipient, body, why it has none
    try:
        with database.connect() as conn:
            trial = TrialStore(conn).get(referral.nct_id)
        composed = referral_emails.compose(
            referral, trial=trial, writer=writer, base_url=base_url, retention_days=retention_days
        )
    except DatabaseError:
        raise
    except Exception as error:
        failure = f"could not be composed: {type(error).__name__}"
        composed = []
        messages = [("team", referral.team_email, None, failure), ("copy", referral.email or "", None, failure)]
    for kind, email in composed:
        try:
            messages.append((kind, email.to, message_text(email, sender=writer.sender_address), None))
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


def queue_unqueued(*, database: Database, writer: EmailWriter, retention_days: int, now: datetime | None = None) -> int:
    """Queue the emails of referrals stored more than a minute ago whose emails never reached the outbox (their
    links use the site's address for links made outside a request)."""
    cutoff = stamp((now or datetime.now(UTC)) - timedelta(minutes=1))
    with database.connect() as conn:
        waiting = ReferralStore(conn).unqueued(created_before=cutoff)
    queued = 0
    for referral in waiting:
        try:
            queued += queue_emails(
                database=database,
                referral=referral,
                writer=writer,
                base_url=writer.base_url,
                retention_days=retention_days,
            )
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
    writer: EmailWriter | None = None,
    mail: EmailSender | None = None,
    now: datetime | None = None,
) -> bool:
    """Forget the person, here and in the copies `mail` kept of their messages (the `.eml` files). When the study
    team already has their details, queue a notice to the team (it carries no personal data) asking them to delete
    those too, written by `writer`; True when a notice was queued."""
    moment = stamp(now or datetime.now(UTC))
    with database.connect() as conn, conn.transaction():
        messages = Outbox(conn).referral_message_ids(referral_id=referral_id)
        team_has_it = Outbox(conn).was_sent(referral_id=referral_id, kind="referral_team")
        store = ReferralStore(conn)
        store.withdraw(referral_id, moment)
        referral = store.by_id(referral_id)
        queued = False
        if team_has_it and writer is not None and referral is not None:
            trial = TrialStore(conn).get(referral.nct_id)
            email = referral_emails.compose_withdrawal_notice(
                writer.templates,
                referral,
                trial=trial,
                site_place=referral_emails.site_place(trial, referral.site_key),
            )
            queued = Outbox(conn).add(
                dedupe_key=f"referral:{referral_id}:withdrawn",
                kind="referral_withdrawn",
                recipient=email.to,
                body=message_text(email, sender=writer.sender_address),
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


# --- the links in its emails, and the confirmation page's key -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReferralLink:
    """What a link from a referral's email opens: its state, and the referral when OPENED."""

    state: TokenState
    referral: StoredReferral | None = None


LINK_PURPOSES = (referral_emails.WITHDRAW, referral_emails.CONTACTED)


def open_link(*, signer: Signer, database: Database, purpose: str, token: str, now: datetime) -> ReferralLink:
    """Open the `token` of a link from a referral's email (`purpose`: referral_emails.WITHDRAW, in the person's copy,
    or CONTACTED, in the study team's email): OPENED with the referral, EXPIRED, INVALID (a token made for the other
    purpose too), or GONE once the referral is purged after the retention period."""
    if purpose not in LINK_PURPOSES:
        raise ValueError(f"not a referral link's purpose: {purpose!r}")
    opened = open_token(signer=signer, purpose=purpose, token=token, now=now)
    if opened.state != TokenState.OPENED or opened.id is None:
        return ReferralLink(opened.state)
    with database.connect() as conn:
        referral = ReferralStore(conn).get(opened.id)
    return ReferralLink(TokenState.OPENED, referral) if referral is not None else ReferralLink(TokenState.GONE)


def _sent_purpose(browser: str) -> str:
    """The confirmation page's key is good only in the browser that sent the request (bound to its form cookie)."""
    return f"contact_sent:{hashlib.sha256(browser.encode()).hexdigest()[:32]}"


def sent_page_key(*, signer: Signer, referral: StoredReferral, browser: str, now: datetime) -> str:
    """The key in the confirmation page's address after a request: it names `referral` for the browser whose form
    cookie is `browser`, for SENT_PAGE_KEY."""
    return signer.sign(_sent_purpose(browser), referral.public_id, expires_at=now + SENT_PAGE_KEY)


def is_sender(*, signer: Signer, key: str, referral: StoredReferral, browser: str, now: datetime) -> bool:
    """Whether `key` is the confirmation page's key of `referral`, made for this browser and within the hour."""
    opened = open_token(signer=signer, purpose=_sent_purpose(browser), token=key, now=now)
    return opened.state == TokenState.OPENED and opened.id == referral.public_id
