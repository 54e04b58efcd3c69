"""The site's emails: subject, text and HTML templates in `templates/email/<name>/`, in the recipient's language.

They use the site's gettext catalogs, so their words are translated with the pages'. Undefined names are errors,
and so is a `None` reaching the output: an email can never say "None" or show a raw placeholder.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from trialfinder.domain.trial import Trial
from trialfinder.notifications.email import OutgoingEmail
from trialfinder.storage.referrals import StoredReferral
from trialfinder.web.formatting import Formatter
from trialfinder.web.i18n import LANGUAGES, N_, Catalogs

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


class RenderError(ValueError):
    """A template produced something it must never produce (a None, an empty subject)."""


def _finalize(value: Any) -> Any:
    if value is None:
        raise RenderError("a template tried to show None")
    return value


class EmailRenderer:
    def __init__(self, catalogs: Catalogs):
        self.catalogs = catalogs
        loader = PackageLoader("trialfinder.web", "templates/email")
        self.environments: dict[tuple[str, bool], Environment] = {}
        for language in LANGUAGES:
            for html in (False, True):
                env = Environment(
                    loader=loader,
                    autoescape=html,
                    undefined=StrictUndefined,
                    finalize=_finalize,
                    extensions=["jinja2.ext.i18n"],
                    trim_blocks=True,
                    lstrip_blocks=True,
                    keep_trailing_newline=True,
                )
                env.policies["ext.i18n.trimmed"] = True
                env.install_gettext_translations(catalogs[language], newstyle=True)  # type: ignore[attr-defined]
                self.environments[(language, html)] = env

    def formatter(self, language: str) -> Formatter:
        return Formatter(language, self.catalogs[language])

    def render(self, name: str, language: str, context: dict[str, Any], *, to: str, reply_to: str | None = None):
        language = language if language in LANGUAGES else LANGUAGES[0]
        values = {"lang": language, "fmt": self.formatter(language), **context}
        subject = self.environments[(language, False)].get_template(f"{name}/subject.txt").render(values)
        subject = " ".join(subject.split())
        text = self.environments[(language, False)].get_template(f"{name}/body.txt").render(values)
        html = self.environments[(language, True)].get_template(f"{name}/body.html").render(values)
        if not subject:
            raise RenderError(f"{name}: empty subject")
        return OutgoingEmail(to=to, subject=subject, text=text, html=html, reply_to=reply_to)


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
