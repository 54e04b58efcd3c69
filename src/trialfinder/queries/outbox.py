"""Reading the email outbox, for the operator's `trialfinder outbox` listing. Recipients are returned as stored: the
caller masks them before showing anything."""

from __future__ import annotations

from trialfinder.storage.database import Database
from trialfinder.storage.outbox import Outbox, OutboxMessage

__all__ = ["OutboxMessage", "outbox_listing"]


def outbox_listing(*, database: Database, states: tuple[str, ...]) -> tuple[list[OutboxMessage], dict[str, int]]:
    """The messages in `states` (oldest first, at most 200) and the count of messages in every state."""
    with database.connect() as conn:
        outbox = Outbox(conn)
        return outbox.listing(states=states), outbox.counts()
