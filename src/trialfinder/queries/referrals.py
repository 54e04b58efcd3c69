"""Reading referrals, for the contact form's pages and the links in its emails. Nothing here logs what it reads."""

from __future__ import annotations

from datetime import datetime

from trialfinder.storage.database import Database, stamp
from trialfinder.storage.referrals import ReferralStore, StoredReferral


def find_referral(
    *, database: Database, public_id: str | None = None, submission: str | None = None
) -> StoredReferral | None:
    """The referral with this public id, or the one a form with this one-time submission key made."""
    with database.connect() as conn:
        store = ReferralStore(conn)
        return store.get(public_id) if public_id is not None else store.by_submission(submission or "")


def requests_from(*, database: Database, email: str, since: datetime) -> int:
    """How many referrals an email address (any case) made since a moment: for the per-address limit."""
    with database.connect() as conn:
        return ReferralStore(conn).count_for_email(email, since=stamp(since))


def recent_repeat(*, database: Database, duplicate_key: str, since: datetime) -> StoredReferral | None:
    """The referral, made since a moment and not withdrawn, that this request repeats (the same `duplicate_key`)."""
    with database.connect() as conn:
        return ReferralStore(conn).recent_repeat(duplicate_key, since=stamp(since))
