"""Reading one trial from the catalogue, for the trial page, its JSON twin and `trialfinder show`."""

from __future__ import annotations

from trialfinder.domain.trial import Trial
from trialfinder.storage.database import Database
from trialfinder.storage.trials import TrialStore


def find_trial(*, database: Database, nct_id: str) -> Trial | None:
    """The trial with this (canonical) NCT id, or None when the catalogue does not hold it."""
    with database.connect() as conn:
        return TrialStore(conn).get(nct_id)
