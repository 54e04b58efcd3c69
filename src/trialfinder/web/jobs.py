"""The jobs `serve` runs beside the website: deliver the outbox, queue any referral whose emails were not queued,
purge referrals past the retention period, and (after delivering, at most every NOTIFY_EVERY) run the alert run of
subscriptions, whose emails the next delivery sends. Each runs in a worker thread (they do blocking I/O), on one database
connection (a unit of work); an error is logged by type and the loop goes on, so one bad message never stops delivery
of the rest."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import anyio

from trialfinder.actions import notes as note_actions
from trialfinder.actions import referrals as referral_actions
from trialfinder.actions.outbox import deliver_due

log = logging.getLogger("trialfinder.jobs")

DELIVERY_EVERY = 30.0  # seconds
PURGE_EVERY = 6 * 3600.0
NOTIFY_EVERY = 300.0  # alerts: an import or sync is news within five minutes


async def run_jobs(
    contact,
    subscriptions,
    *,
    delivery_every: float = DELIVERY_EVERY,
    purge_every: float = PURGE_EVERY,
    notify_every: float = NOTIFY_EVERY,
) -> None:
    last_purge = float("-inf")
    last_notify = float("-inf")
    while True:
        await anyio.to_thread.run_sync(_one_unit, contact.database, _deliver, contact, subscriptions)
        if time.monotonic() - last_notify >= notify_every:
            last_notify = time.monotonic()
            await anyio.to_thread.run_sync(_one_unit, contact.database, _notify, subscriptions)
        if time.monotonic() - last_purge >= purge_every:
            last_purge = time.monotonic()
            await anyio.to_thread.run_sync(_one_unit, contact.database, _purge, contact)
        await anyio.sleep(delivery_every)


def _one_unit(database, job: Callable[..., None], *args) -> None:
    with database.unit_of_work():
        job(*args)


def _deliver(contact, subscriptions) -> None:
    try:
        referral_actions.queue_unqueued(
            database=contact.database,
            compose=lambda referral: contact.compose(referral, base_url=contact.base_url(None)),
            sender_address=contact.settings.mail_from,
        )
        # Alerts are queued as what they are about and composed here, as they leave.
        deliver_due(database=contact.database, sender=contact.sender, compose=subscriptions.compose_outbox)
    except Exception as error:
        log.error("outbox job failed: %s", type(error).__name__)


def _purge(contact) -> None:
    try:
        referral_actions.purge(
            database=contact.database, retention_days=contact.settings.referral_retention_days, mail=contact.sender
        )
    except Exception as error:
        log.error("purge job failed: %s", type(error).__name__)
    try:
        note_actions.purge(database=contact.database, retention_days=contact.settings.notes_retention_days)
    except Exception as error:
        log.error("notes purge job failed: %s", type(error).__name__)


def _notify(subscriptions) -> None:
    try:
        report = subscriptions.run()
        if report.emails:
            deliver_due(
                database=subscriptions.database, sender=subscriptions.sender, compose=subscriptions.compose_outbox
            )
    except Exception as error:
        log.error("notify job failed: %s", type(error).__name__)
