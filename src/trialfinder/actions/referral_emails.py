"""A referral's emails: the study team's (the person's details, and a link to mark them contacted), the person's
copy (with a link to withdraw), and the notice that tells a team the person withdrew. Each is written in its
recipient's language; the links are signed and last as long as the referral is kept.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from trialfinder.actions.email_writer import EmailWriter
from trialfinder.domain.referral import site_key
from trialfinder.domain.trial import Site, Trial
from trialfinder.notifications.email import OutgoingEmail
from trialfinder.notifications.rendering import EmailRenderer
from trialfinder.storage.referrals import StoredReferral
from trialfinder.views.formatting import Formatter
from trialfinder.views.i18n import N_

# The signed links' purposes: a token made for one never opens the other (referrals.open_link checks them).
WITHDRAW = "withdraw"
CONTACTED = "contacted"

LANGUAGE_NAMES = {
    "en": N_("English"),
    "nl": N_("Dutch"),
    "de": N_("German"),
    "fr": N_("French"),
    "es": N_("Spanish"),
    "tr": N_("Turkish"),
    "ar": N_("Arabic"),
    "pl": N_("Polish"),
    "other": N_("Another language"),
}


def team_language(trial: Trial | None, country: str | None) -> str:
    """The language to write to a site's team in: Dutch for a site in the Netherlands, else English."""
    return "nl" if (country or "").strip().casefold() in ("netherlands", "the netherlands", "nederland", "nl") else "en"


def contact_language_name(fmt: Formatter, value: str | None) -> str:
    if not value:
        return fmt.gettext(N_("not given"))
    return fmt.gettext(LANGUAGE_NAMES[value]) if value in LANGUAGE_NAMES else value


def referral_reference(referral: StoredReferral) -> str:
    """The number a study team and the operator use to speak of a referral (no personal data in it)."""
    return f"TF-{referral.id}"


def site_by_key(trial: Trial | None, key: str | None) -> Site | None:
    if trial is None or key is None:
        return None
    return next((site for site in trial.sites if site_key(site) == key), None)


def site_place(trial: Trial | None, key: str | None) -> str:
    """Where the referral's site is ("Utrecht, Netherlands"), as its emails and the confirmation page name it."""
    site = site_by_key(trial, key)
    return ", ".join(part for part in (site.city, site.country) if part) if site else ""


def compose(
    referral: StoredReferral, *, trial: Trial | None, writer: EmailWriter, base_url: str, retention_days: int
) -> list[tuple[str, OutgoingEmail]]:
    """The two emails of a stored referral, with their signed links (valid while the referral is kept)."""
    expires = datetime.fromisoformat(referral.created_at) + timedelta(days=retention_days)
    contacted = writer.signer.sign(CONTACTED, referral.public_id, expires_at=expires)
    withdraw = writer.signer.sign(WITHDRAW, referral.public_id, expires_at=expires)
    return compose_referral_emails(
        writer.templates,
        referral,
        trial=trial,
        site_place=site_place(trial, referral.site_key),
        trial_url=f"{base_url}/trials/{referral.nct_id}",
        contacted_url=f"{base_url}/referrals/contacted?token={contacted}",
        withdraw_url=f"{base_url}/referrals/withdraw?token={withdraw}",
        retention_days=retention_days,
    )


def compose_withdrawal_notice(
    renderer: EmailRenderer, referral: StoredReferral, *, trial: Trial | None, site_place: str
) -> OutgoingEmail:
    """Tells a study team that already has a person's details that the person withdrew (and the details must go)."""
    fmt = renderer.formatter(referral.team_language)
    return renderer.render(
        "referral_withdrawn",
        referral.team_language,
        {
            "nct_id": referral.nct_id,
            "trial_title": trial.brief_title if trial is not None else referral.nct_id,
            "site_label": referral.site_label,
            "site_place": site_place,
            "reference": referral_reference(referral),
            "submitted": fmt.date(datetime.fromisoformat(referral.created_at).date().isoformat()),
        },
        to=referral.team_email,
    )


def compose_referral_emails(
    renderer: EmailRenderer,
    referral: StoredReferral,
    *,
    trial: Trial | None,
    site_place: str,
    trial_url: str,
    contacted_url: str,
    withdraw_url: str,
    retention_days: int,
) -> list[tuple[str, OutgoingEmail]]:
    """The study team's email and the person's copy, each in its recipient's language."""
    title = trial.brief_title if trial is not None else referral.nct_id
    created = datetime.fromisoformat(referral.created_at)
    common = {
        "referral": referral,
        "nct_id": referral.nct_id,
        "trial_title": title,
        "site_label": referral.site_label,
        "site_place": site_place,
        "trial_url": trial_url,
        "registry_url": f"https://clinicaltrials.gov/study/{referral.nct_id}",
        "retention_days": retention_days,
    }
    team_fmt = renderer.formatter(referral.team_language)
    common["reference"] = referral_reference(referral)
    team = renderer.render(
        "referral_team",
        referral.team_language,
        {
            **common,
            "contacted_url": contacted_url,
            "language_name": contact_language_name(team_fmt, referral.contact_language),
            "submitted": team_fmt.date(created.date().isoformat()),
            "message_lines": (referral.message or "").split("\n") if referral.message else [],
        },
        to=referral.team_email,
        reply_to=referral.email,
    )
    copy = renderer.render(
        "referral_copy",
        referral.person_language,
        {**common, "withdraw_url": withdraw_url},
        to=referral.email or "",
    )
    return [("team", team), ("copy", copy)]
