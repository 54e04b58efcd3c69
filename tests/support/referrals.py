"""A referral as the contact form stores it, with a person's made-up details, for tests that need one stored."""

from __future__ import annotations

from datetime import datetime

from trialfinder.actions.outbox import stamp
from trialfinder.storage.referrals import NewReferral


def new_referral(public_id: str, *, created: datetime, submission: str | None = None) -> NewReferral:
    return NewReferral(
        public_id=public_id,
        submission=submission or f"form-{public_id}",
        nct_id="NCT06857773",
        route="operator",
        site_key="k1",
        site_label="The Netherlands Cancer Institute",
        team_email="referrals@operator.example",
        team_language="nl",
        person_language="en",
        first_name="Anna",
        last_name="de Vries",
        email="Anna@Example.org",
        phone="+31 20 123 4567",
        contact_language="nl",
        residence="Haarlem",
        message="Hello",
        created_at=stamp(created),
    )
