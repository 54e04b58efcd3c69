"""The contact form in a real browser: mistakes explained beside their fields, then a request sent, in English
and in Dutch, with and without JavaScript. The server has no SMTP host, so its emails land as .eml files."""

from __future__ import annotations

import re
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI=true) with the reason
    expect = None

pytestmark = pytest.mark.browser

REFERENCE = "NCT06857773"  # one recruiting site in Amsterdam; no email, so requests go to the operator's inbox
SITE = "The Netherlands Cancer Institute"

LABELS = {
    "en": {
        "first": "First name",
        "last": "Last name",
        "email": "Email",
        "phone": "Phone",
        "residence": "Where you live (city or postal code)",
        "consent": "I agree that my details",
        "send": "Send my details to the study team",
        "find": "Find the nearest site",
        "errors": "Please check the form",
        "sent": "Your request has been sent",
        "email_error": "Please enter an email address such as name@example.com.",
        "consent_error": "Please agree that we pass your details to the study team; without it we cannot send your request.",
        "confirmation": f"We have submitted your contact details to the research team at {SITE} (Amsterdam, Netherlands).",
        "goes_to": f"Your request goes to: {SITE}",
    },
    "nl": {
        "first": "Voornaam",
        "last": "Achternaam",
        "email": "E-mailadres",
        "phone": "Telefoonnummer",
        "residence": "Waar u woont (plaats of postcode)",
        "consent": "Ik ga ermee akkoord",
        "send": "Stuur mijn gegevens naar het onderzoeksteam",
        "find": "Zoek de dichtstbijzijnde locatie",
        "errors": "Controleer het formulier",
        "sent": "Uw verzoek is verstuurd",
        "email_error": "Vul een e-mailadres in zoals naam@voorbeeld.nl.",
        "consent_error": "Geef toestemming om uw gegevens aan het onderzoeksteam door te geven; zonder die toestemming kunnen we uw verzoek niet versturen.",
        "confirmation": f"We hebben uw contactgegevens doorgestuurd naar het onderzoeksteam van {SITE} (Amsterdam, Netherlands).",
        "goes_to": f"Uw verzoek gaat naar: {SITE}",
    },
}


def mail_dir(site_env) -> Path:
    return Path(site_env["TRIALFINDER_DATA_DIR"]) / "mail"


def emails_to(site_env, address: str, *, at_least: int, timeout: float = 20) -> list:
    deadline = time.monotonic() + timeout
    while True:
        found = []
        for path in mail_dir(site_env).glob("*.eml"):
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == address:
                found.append(message)
        if len(found) >= at_least or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def form(page):
    return page.locator("#get-in-touch form")


def fill(page, words: dict, email: str) -> None:
    section = form(page)
    section.get_by_label(words["first"]).fill("Anna")
    section.get_by_label(words["last"]).fill("de Vries")
    section.get_by_label(words["email"], exact=True).fill(email.replace("@", ""))  # a mistake first
    section.get_by_label(words["phone"]).fill("+31 20 123 4567")
    section.get_by_label(words["residence"]).fill("Haarlem")


@pytest.mark.parametrize("language", ["en", "nl"])
def test_mistakes_are_explained_and_a_corrected_request_is_sent(page, site_env, check_accessibility, language):
    words = LABELS[language]
    email = f"anna.{language}@example.org"
    page.goto(f"/trials/{REFERENCE}?lang={language}")
    fill(page, words, email)
    form(page).get_by_role("button", name=words["send"]).click()

    # Back on the form: a summary of what to fix, each field keeping what was typed.
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading")).to_have_text(words["errors"])
    expect(summary.get_by_role("listitem")).to_have_text([words["email_error"], words["consent_error"]])
    expect(form(page).get_by_label(words["first"])).to_have_value("Anna")
    expect(form(page).get_by_label(words["residence"])).to_have_value("Haarlem")
    expect(form(page).get_by_label(words["email"], exact=True)).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, f"contact-errors-{language}")
    summary.get_by_role("link", name=words["email_error"]).click()
    expect(form(page).get_by_label(words["email"], exact=True)).to_be_focused()

    form(page).get_by_label(words["email"], exact=True).fill(email)
    form(page).get_by_label(words["consent"]).check()
    form(page).get_by_role("button", name=words["send"]).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(words["sent"])
    expect(page.locator("main")).to_contain_text(words["confirmation"])
    check_accessibility(page, f"contact-sent-{language}")
    # Reloading the confirmation sends nothing again: one referral, two emails.
    page.reload()
    copies = emails_to(site_env, email, at_least=1)
    team = [
        m
        for m in emails_to(site_env, "referrals@operator.example", at_least=1)
        if "Anna" in m.get_body(("plain",)).get_content() and email in m.get_body(("plain",)).get_content()
    ]
    assert len(copies) == 1 and len(team) == 1
    assert copies[0]["Subject"] == (
        "Your request to the study team of trial NCT06857773"
        if language == "en"
        else "Uw verzoek aan het onderzoeksteam van studie NCT06857773"
    )


def test_the_nearest_site_is_shown_before_sending_and_it_works_without_javascript(new_context, site_env):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"/trials/{REFERENCE}")
    words = LABELS["en"]
    fill(page, words, "anna.nojs@example.org")
    form(page).get_by_label(words["email"], exact=True).fill("anna.nojs@example.org")
    form(page).get_by_role("button", name=words["find"]).click()
    expect(page.locator("#c-site-hint")).to_contain_text(words["goes_to"])
    expect(page.locator("#c-site-hint")).to_contain_text(re.compile(r"\d+ km away"))
    expect(form(page).get_by_label(words["first"])).to_have_value("Anna")
    form(page).get_by_label(words["consent"]).check()
    form(page).get_by_role("button", name=words["send"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["sent"])
    assert len(emails_to(site_env, "anna.nojs@example.org", at_least=1)) == 1
