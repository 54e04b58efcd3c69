"""Reading referrals, for the contact form's pages and the links in its emails. Nothing here logs what it reads."""

from __future__ import annotations

from trialfinder.storage.database import Database
from trialfinder.storage.referrals import ReferralStore, StoredReferral

# What the pages show: the stored record, as the query gives it.
__all__ = ["StoredReferral", "find_referral", "referral_listing"]


def find_referral(*, database: Database, public_id: str) -> StoredReferral | None:
    """The referral with this public id (None once it is purged)."""
    with database.connect() as conn:
        return ReferralStore(conn).get(public_id)


def referral_listing(*, database: Database, state: str | None = None) -> list[StoredReferral]:
    """Referrals, newest first (at most 200), all or only those `waiting`, `contacted` or `withdrawn`."""
    with database.connect() as conn:
        return ReferralStore(conn).listing(state=state)
