"""Every email template, for every route and language, is whole: no placeholder left, no None, never an empty
site name, and the same facts in its text and HTML parts."""

from __future__ import annotations

import itertools
import re

import pytest

from trialfinder.actions.referral_emails import compose_referral_emails, compose_withdrawal_notice
from trialfinder.notifications.rendering import EmailRenderer
from trialfinder.storage.referrals import StoredReferral
from trialfinder.views.i18n import Catalogs

# A referral as each route stores it: (route, site_label, site_place).
ROUTES = {
    "named site": ("site", "Fred Hutchinson Cancer Research Center", "Seattle, United States"),
    "site without a name": ("operator", "", "Leiden, Netherlands"),
    "site with neither name nor place": ("operator", "", ""),
    "central contact, named site": ("central", "Dana-Farber Cancer Institute", "Boston, United States"),
    "central contact, no site": ("central", "", ""),
    "operator inbox": ("operator", "The Netherlands Cancer Institute", "Amsterdam, Netherlands"),
}
LEFTOVERS = re.compile(r"\{\{|\}\}|\{%|%\}|%\(\w+\)s|\bNone\b|\bundefined\b")


@pytest.fixture(scope="module")
def renderer():
    return EmailRenderer(Catalogs())


def referral(route: str, label: str, language: str, message: str | None) -> StoredReferral:
    return StoredReferral(
        id=7,
        public_id="pub123",
        submission="sub123",
        nct_id="NCT06857773",
        route=route,
        site_key="abc" if label else None,
        site_label=label,
        team_email="team@site.example",
        team_language=language,
        person_language=language,
        first_name="Anna",
        last_name="de Vries",
        email="anna@example.org",
        phone="+31 20 123 4567",
        contact_language="Frisian",
        residence="Utrecht",
        message=message,
        created_at="2026-11-27T10:00:00+00:00",
        queued_at=None,
        contacted_at=None,
        withdrawn_at=None,
    )


@pytest.mark.parametrize(
    "route_name, language, message", list(itertools.product(ROUTES, ("en", "nl"), ("Line one\nLine two", None)))
)
def test_every_email_is_complete(renderer, route_name, language, message):
    route, label, place = ROUTES[route_name]
    emails = compose_referral_emails(
        renderer,
        referral(route, label, language, message),
        trial=None,
        site_place=place,
        trial_url="https://trials.example/trials/NCT06857773",
        contacted_url="https://trials.example/referrals/contacted?token=a.1.b",
        withdraw_url="https://trials.example/referrals/withdraw?token=c.2.d",
        retention_days=180,
    )
    assert [kind for kind, _ in emails] == ["team", "copy"]
    for kind, email in emails:
        for part in (email.subject, email.text, email.html):
            assert not LEFTOVERS.search(part), (kind, LEFTOVERS.search(part).group(0))
        # The site is always named: its name, its place, or the trial's team; never an empty phrase.
        site_phrase = label or (
            {"en": f"the study site in {place}", "nl": f"de onderzoekslocatie in {place}"}[language]
            if place
            else {"en": "the study team of this trial", "nl": "het onderzoeksteam van deze studie"}[language]
        )
        assert site_phrase in email.text and site_phrase in email.html, (kind, site_phrase)
        assert " at ." not in email.text and " van ." not in email.text
    team, copy = emails[0][1], emails[1][1]
    for fact in ("Anna de Vries", "anna@example.org", "+31 20 123 4567", "Frisian", "Utrecht", "contacted?token=a.1.b"):
        assert fact in team.text and fact in team.html, fact
    assert "withdraw?token=c.2.d" in copy.text and "withdraw?token=c.2.d" in copy.html
    assert copy.to == "anna@example.org" and team.to == "team@site.example" and team.reply_to == "anna@example.org"
    if message:
        assert "> Line one" in team.text and "Line one<br>Line two" in team.html


def test_html_parts_escape_what_a_person_typed(renderer):
    typed = referral("site", "Site <b>", "en", "<script>alert(1)</script>")
    emails = compose_referral_emails(
        renderer, typed, trial=None, site_place="", trial_url="u", contacted_url="c", withdraw_url="w", retention_days=1
    )
    html = emails[0][1].html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Site &lt;b&gt;" in html


@pytest.mark.parametrize("route_name, language", list(itertools.product(ROUTES, ("en", "nl"))))
def test_the_withdrawal_notice_is_complete_and_holds_no_personal_details(renderer, route_name, language):
    route, label, place = ROUTES[route_name]
    withdrawn = referral(route, label, language, None)
    email = compose_withdrawal_notice(renderer, withdrawn, trial=None, site_place=place)
    assert email.to == "team@site.example" and email.reply_to is None
    for part in (email.subject, email.text, email.html):
        assert not LEFTOVERS.search(part)
        for private in ("Anna", "Vries", "anna@example.org", "4567", "Utrecht", "Frisian"):
            assert private not in part
    assert "TF-7" in email.subject and "TF-7" in email.text
    assert (label or place or {"en": "the study team", "nl": "het onderzoeksteam"}[language]) in email.text
