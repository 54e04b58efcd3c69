"""The alert run: match catalogue changes against confirmed subscriptions, then email what is due.

1. **Match.** Changes after the cursor are read in batches of trials (`BATCH_TRIALS`). For each batch, every
   confirmed subscription is matched against the changed trials as they now stand (domain.subscriptions.Matcher;
   words through storage.changes.text_matches). New (subscription, trial) pairs go into `subscription_matches`,
   whose key keeps each pair once: a trial is never alerted twice to one subscription. The cursor moves and the
   processed changes are deleted in the same transaction.
2. **Send.** Each confirmed subscription with waiting matches that is due (at once, or a day or a week after its
   last email) gets one email listing them, queued in the outbox under a key made of its trials (the same alert
   queued twice is one message) and its matches marked sent, in one transaction.

Running it twice sends nothing twice; a crash between the steps loses nothing (matches wait for the next run).
Log lines carry counts only.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from trialfinder.actions import subscription_emails
from trialfinder.actions.email_writer import EmailWriter
from trialfinder.actions.outbox import Composer, stamp
from trialfinder.actions.subscriptions import digest_key, purge_unconfirmed
from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.domain.search import InvalidSearch
from trialfinder.domain.subscriptions import Frequency, Matcher, Watch, is_due
from trialfinder.notifications.email import OutgoingEmail, build_message
from trialfinder.storage.bookkeeping import KeyValues
from trialfinder.storage.changes import CURSOR_KEY, ChangeLog, candidates, text_matches
from trialfinder.storage.database import Database
from trialfinder.storage.outbox import Outbox, OutboxMessage
from trialfinder.storage.search import TextFilter
from trialfinder.storage.subscriptions import StoredSubscription, SubscriptionStore, WaitingMatch, outbox_key_prefix

log = logging.getLogger("trialfinder.notify")

BATCH_TRIALS = 2_000  # changed trials matched at once: memory stays flat after a large import
SEND_BATCH = 200  # alerts queued per transaction
ALERT_KIND = "subscription_alert"
MAX_TRIALS_PER_EMAIL = 50  # more wait for the next email

# Composes a subscription's alert listing its waiting matches.
AlertComposer = Callable[[StoredSubscription, list[WaitingMatch]], OutgoingEmail]


@dataclass(frozen=True, slots=True)
class NotifyReport:
    changes: int = 0
    trials: int = 0
    subscriptions: int = 0
    matched: int = 0
    emails: int = 0
    match_seconds: float = 0.0
    send_seconds: float = 0.0


def watch_of(subscription: StoredSubscription) -> Watch:
    """What a subscription's saved search watches, its words keyed for `text_matches`."""
    search = subscription.saved_search()
    # Read as the search page read it when it was saved: in the subscriber's language, as concepts unless turned off.
    text = TextFilter.of(search, vocabulary=Vocabulary.bundled(), language=subscription.language)
    return Watch.of(subscription.id, search, text=text or None, from_change=subscription.from_change)


def _watches(subscriptions: list[StoredSubscription]) -> list[Watch]:
    """The watches of the subscriptions whose saved search reads (all do, unless a rule was tightened since they
    were saved: those are named by id in the log and skipped, rather than stopping everyone's alerts)."""
    watches = []
    for subscription in subscriptions:
        try:
            watches.append(watch_of(subscription))
        except InvalidSearch as problem:
            log.error(
                "notify: subscription %d has a saved search no rule reads (%s); skipped", subscription.id, problem.field
            )
    return watches


def alert_run(*, database: Database, confirm_days: int, now: datetime | None = None) -> NotifyReport:
    """What `serve` does every few minutes and `trialfinder notify` once: delete the sign-ups never confirmed within
    `confirm_days`, then match and queue alerts (composed when they are sent: subscription_emails.alert_composer)."""
    moment = now or datetime.now(UTC)
    purge_unconfirmed(database=database, confirm_days=confirm_days, now=moment)
    return run_alerts(database=database, now=moment)


def run_alerts(
    *,
    database: Database,
    now: datetime | None = None,
    batch_trials: int = BATCH_TRIALS,
) -> NotifyReport:
    moment = now or datetime.now(UTC)
    started = time.perf_counter()
    changes_seen = trials_seen = matched = 0
    with database.connect() as conn:
        subscriptions = SubscriptionStore(conn).confirmed()
        watches: list[Watch] | None = None  # read when there is something to match: most runs find no change
        while True:
            cursor = int(KeyValues(conn, "sync_state").get(CURSOR_KEY) or 0)
            changes = ChangeLog(conn).batch(after=cursor, limit=batch_trials)
            if not changes:
                break
            if watches is None:
                watches = _watches(subscriptions)
            pairs: list[tuple[int, str, float | None]] = []
            if watches:
                found, trial_ids = candidates(conn, changes)
                hits = text_matches(conn, trial_ids, (watch.text for watch in watches if watch.text is not None))
                matcher = Matcher(found, hits)
                for watch in watches:
                    pairs.extend(
                        (match.subscription_id, match.nct_id, match.distance_km) for match in matcher.matches(watch)
                    )
                trials_seen += len(found)
            last = changes[-1].id
            with conn.transaction():
                matched += SubscriptionStore(conn).add_matches(pairs, now=stamp(moment))
                KeyValues(conn, "sync_state").set(CURSOR_KEY, str(last), stamp(moment))
                ChangeLog(conn).delete_through(last)
            changes_seen += len(changes)
    matching = time.perf_counter() - started
    emails = send_due(database=database, now=moment)
    report = NotifyReport(
        changes=changes_seen,
        trials=trials_seen,
        subscriptions=len(subscriptions),
        matched=matched,
        emails=emails,
        match_seconds=matching,
        send_seconds=time.perf_counter() - started - matching,
    )
    log.info(
        "notify changes=%d trials=%d subscriptions=%d matched=%d emails=%d",
        report.changes,
        report.trials,
        report.subscriptions,
        report.matched,
        report.emails,
    )
    return report


def send_due(*, database: Database, now: datetime) -> int:
    """Queue one alert for each confirmed subscription whose waiting matches are due; the number queued.

    An alert is queued as what it is about (its subscription and trials), composed when it is sent
    (`compose_alert`): so the run stays quick however many alerts it makes, and an alert says what is true when
    it leaves."""
    queued = 0
    with database.connect() as conn:
        store = SubscriptionStore(conn)
        waiting_ids = store.with_waiting_matches()
        for start in range(0, len(waiting_ids), SEND_BATCH):
            chunk = waiting_ids[start : start + SEND_BATCH]
            subscriptions = [store.by_id(item) for item in chunk]
            due = [
                item
                for item in subscriptions
                if item is not None
                and item.state == "confirmed"
                and is_due(Frequency(item.frequency), _moment(item.last_sent_at), now)
            ]
            if not due:
                continue
            waiting = store.waiting([item.id for item in due])
            with conn.transaction():
                outbox = Outbox(conn)
                for subscription in due:
                    matches = waiting.get(subscription.id, [])[:MAX_TRIALS_PER_EMAIL]
                    if not matches:
                        continue
                    nct_ids = [match.nct_id for match in matches]
                    payload = {"subscription": subscription.id, "trials": [[m.nct_id, m.distance_km] for m in matches]}
                    queued += outbox.add(
                        dedupe_key=f"{outbox_key_prefix(subscription.id)}alert:{digest_key(nct_ids)}",
                        kind=ALERT_KIND,
                        recipient=subscription.email,
                        body=None,
                        payload=json.dumps(payload, separators=(",", ":")),
                        now=stamp(now),
                    )
                    store.mark_sent(subscription.id, nct_ids, now=stamp(now))
    return queued


def compose_alert(
    message: OutboxMessage, *, database: Database, compose: AlertComposer, sender_address: str
) -> bytes | None:
    """The bytes of a queued alert, composed from its payload as the catalogue stands now; None when its
    subscription is gone (deleted or unsubscribed after the alert was queued)."""
    payload = json.loads(message.payload or "{}")
    with database.connect() as conn:
        store = SubscriptionStore(conn)
        subscription = store.by_id(int(payload["subscription"]))
        if subscription is None or subscription.state != "confirmed":
            return None
        matches = store.matches_for(subscription.id, [(nct, distance) for nct, distance in payload["trials"]])
    if not matches:
        return None
    return build_message(compose(subscription, matches), sender=sender_address).as_bytes()


def alert_composer(*, database: Database, writer: EmailWriter, base_url: str | None = None) -> Composer:
    """`deliver_due`'s `compose`: a queued alert is written as it leaves (`compose_alert`), with links to `base_url`
    (by default the site's address for links made outside a request); other messages were written when queued."""
    base = base_url or writer.base_url

    def compose(message: OutboxMessage) -> bytes | None:
        if message.kind != ALERT_KIND:
            return None
        return compose_alert(
            message,
            database=database,
            compose=lambda subscription, matches: subscription_emails.compose_alert(
                subscription, matches, writer=writer, base_url=base
            ),
            sender_address=writer.sender_address,
        )

    return compose


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None
