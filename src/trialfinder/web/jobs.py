"""The jobs `serve` runs beside the website: deliver the outbox, queue any referral whose emails were not queued,
purge referrals and notes past their retention periods, and (after delivering, at most every NOTIFY_EVERY) run the
alert run of subscriptions, whose emails the next delivery sends. Each is an action, run in a worker thread (they
do blocking I/O) on one database connection (a unit of work); an error is logged by type and the loop goes on, so
one bad message never stops delivery of the rest."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

import anyio

from trialfinder.actions import notes as note_actions
from trialfinder.actions import referrals as referral_actions
from trialfinder.actions.email_writer import EmailWriter
from trialfinder.actions.notify import alert_composer, alert_run
from trialfinder.actions.outbox import deliver_due
from trialfinder.notifications.email import EmailSender
from trialfinder.settings import Settings
from trialfinder.storage.database import Database

log = logging.getLogger("trialfinder.jobs")

DELIVERY_EVERY = 30.0  # seconds
PURGE_EVERY = 6 * 3600.0
NOTIFY_EVERY = 300.0  # alerts: an import or sync is news within five minutes


async def run_jobs(
    *,
    database: Database,
    settings: Settings,
    writer: EmailWriter,
    sender: EmailSender,
    delivery_every: float = DELIVERY_EVERY,
    purge_every: float = PURGE_EVERY,
    notify_every: float = NOTIFY_EVERY,
) -> None:
    last_purge = float("-inf")
    last_notify = float("-inf")
    while True:
        await anyio.to_thread.run_sync(_one_unit, database, _deliver, database, settings, writer, sender)
        if time.monotonic() - last_notify >= notify_every:
            last_notify = time.monotonic()
            await anyio.to_thread.run_sync(_one_unit, database, _notify, database, settings, writer, sender)
        if time.monotonic() - last_purge >= purge_every:
            last_purge = time.monotonic()
            await anyio.to_thread.run_sync(_one_unit, database, _purge, database, settings, sender)
        await anyio.sleep(delivery_every)


def _one_unit(database: Database, job: Callable[..., None], *args) -> None:
    with database.unit_of_work():
        job(*args)


def _deliver(database: Database, settings: Settings, writer: EmailWriter, sender: EmailSender) -> None:
    try:
        referral_actions.queue_unqueued(
            database=database, writer=writer, retention_days=settings.referral_retention_days
        )
        # Alerts are queued as what they are about and composed here, as they leave.
        deliver_due(database=database, sender=sender, compose=alert_composer(database=database, writer=writer))
    except Exception as error:
        log.error("outbox job failed: %s", type(error).__name__)


def _purge(database: Database, settings: Settings, sender: EmailSender) -> None:
    try:
        referral_actions.purge(
            database=database, retention_days=settings.referral_retention_days, mail=sender
        )
    except Exception as error:
        log.error("purge job failed: %s", type(error).__name__)
    try:
        note_actions.purge(database=database, retention_days=settings.notes_retention_days)
    except Exception as error:
        log.error("notes purge job failed: %s", type(error).__name__)


def _notify(database: Database, settings: Settings, writer: EmailWriter, sender: EmailSender) -> None:
    try:
        report = alert_run(database=database, confirm_days=settings.subscription_confirm_days)
        if report.emails:
            deliver_due(
                database=database, sender=sender, compose=alert_composer(database=database, writer=writer)
            )
    except Exception as error:
        log.error("notify job failed: %s", type(error).__name__)
