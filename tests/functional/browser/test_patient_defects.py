"""Defects a patient noticed on first use (GitHub issue #15), in a real browser, in English and in Dutch: the FAQ and
the contact form tell the same story about passing details on; after a request, the offer to be notified about other
trials, and Back and Send again is not a second request; fields of every type are 44 px touch targets; on a phone the
results come before the filters; the site icon answers; a site at the person's own place is "less than 1 km" away.

Each test that sends forms comes from an address of its own (`X-Forwarded-For`, which uvicorn takes from 127.0.0.1),
so that the per-client limits of the session's one server count each test apart."""

from __future__ import annotations

import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI=true) with the reason
    expect = None

pytestmark = pytest.mark.browser

REFERENCE = "NCT06857773"  # one recruiting site in Amsterdam, no email: requests go to the operator's inbox
BARCELONA = "NCT00495183"  # a legacy record: Vall d'Hebron, Barcelona, 08035; no coordinates in the record
LANGUAGES = ["en", "nl"]

WORDS = {
    "en": {
        "take_part": "This site passes your details on only when you send that form, and only for the study team",
        "privacy": "This is the only time this site passes your details to anyone.",
        "never": "does not pass your details on",
        "consent": "I agree that my details are passed to the study team so that they can contact me. This site "
        "deletes them after",
        "first": "First name",
        "last": "Last name",
        "email": "Email",
        "phone": "Phone",
        "residence": "Where you live (city or postal code)",
        "consent_label": "I agree that my details",
        "send": "Send my details to the study team",
        "sent": "Your request has been sent",
        "notify": "Would you like to be notified about other trials?",
        "condition": "Condition: Colorectal Neoplasms",
        "your_email": "Your email address",
        "notify_me": "Notify me",
        "check_email": "Check your email",
        "already": "You already sent this request",
        "already_on": "You already sent this request on ",
        "change": "Change your search",
        "less": "less than 1 km away",
        "approximate": "(approximate: from the site’s postal code or town)",
    },
    "nl": {
        "take_part": "Deze site geeft uw gegevens alleen door als u dat formulier verstuurt",
        "privacy": "Alleen dan geeft deze site uw gegevens aan iemand door.",
        "never": "geeft uw gegevens aan niemand door",
        "consent": "Ik ga ermee akkoord dat mijn gegevens aan het onderzoeksteam worden doorgegeven, zodat zij contact "
        "met mij kunnen opnemen. Deze site verwijdert ze na",
        "first": "Voornaam",
        "last": "Achternaam",
        "email": "E-mailadres",
        "phone": "Telefoonnummer",
        "residence": "Waar u woont (plaats of postcode)",
        "consent_label": "Ik ga ermee akkoord",
        "send": "Stuur mijn gegevens naar het onderzoeksteam",
        "sent": "Uw verzoek is verstuurd",
        "notify": "Wilt u bericht krijgen over andere studies?",
        "condition": "Aandoening: Colorectal Neoplasms",
        "your_email": "Uw e-mailadres",
        "notify_me": "Houd mij op de hoogte",
        "check_email": "Kijk in uw e-mail",
        "already": "U hebt dit verzoek al verstuurd",
        "already_on": "U hebt dit verzoek al verstuurd op ",
        "change": "Uw zoekopdracht aanpassen",
        "less": "op minder dan 1 km",
        "approximate": "(bij benadering: op basis van de postcode of plaats van de locatie)",
    },
}
CLIENTS = iter(range(10, 250))  # one made-up client address per context that sends forms (TEST-NET-2)


def own_client(new_context, **options):
    return new_context(extra_http_headers={"X-Forwarded-For": f"198.51.100.{next(CLIENTS)}"}, **options)


def copies_to(site_env, address: str, *, wait: float) -> list:
    """The emails to `address` in the mail folder, after waiting `wait` seconds at most for a first one."""
    folder = Path(site_env["TRIALFINDER_DATA_DIR"]) / "mail"
    deadline = time.monotonic() + wait
    while True:
        found = [
            message
            for message in (
                message_from_bytes(path.read_bytes(), policy=policy.default) for path in folder.glob("*.eml")
            )
            if message["To"].lower() == address.lower()  # a second request would have its copy sent as typed
        ]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


# --- one story about passing details on ---------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_faq_and_the_contact_form_tell_the_same_story(page, language):
    words = WORDS[language]
    page.goto(f"/faq?lang={language}")
    take_part = page.locator("#take-part")
    expect(take_part).to_contain_text(words["take_part"])
    expect(page.locator("#privacy")).to_contain_text(words["privacy"])
    expect(page.locator("main")).not_to_contain_text(words["never"])
    take_part.locator("a[href='#privacy']").click()
    expect(page.locator("#privacy")).to_be_in_viewport()

    page.goto(f"/trials/{REFERENCE}?lang={language}")
    expect(page.locator("#get-in-touch label[for=c-consent]")).to_contain_text(words["consent"])


# --- after sending: the offer, and Back and Send again -------------------------------------------------------------


def fill_contact(page, words: dict, email: str) -> None:
    form = page.locator("#get-in-touch form")
    form.get_by_label(words["first"]).fill("Anna")
    form.get_by_label(words["last"]).fill("de Vries")
    form.get_by_label(words["email"], exact=True).fill(email)
    form.get_by_label(words["phone"]).fill("+31 20 123 4567")
    form.get_by_label(words["residence"]).fill("Haarlem")
    form.get_by_label(words["consent_label"]).check()


@pytest.mark.parametrize("language", LANGUAGES)
def test_after_sending_the_offer_to_be_notified_and_back_and_send_again_is_one_request(
    new_context, site_env, check_accessibility, language
):
    words = WORDS[language]
    email = f"anna.back.{language}@example.org"
    page = own_client(new_context).new_page()
    page.goto(f"/trials/{REFERENCE}?lang={language}")
    fill_contact(page, words, email)
    page.locator("#get-in-touch form").get_by_role("button", name=words["send"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["sent"])

    # What the seed page offers: trials like this one, the address already filled in.
    offer = page.locator("#notify")
    expect(offer.get_by_role("heading", level=2)).to_have_text(words["notify"])
    expect(offer).to_contain_text(words["condition"])
    expect(offer.get_by_label(words["your_email"])).to_have_value(email)
    check_accessibility(page, f"contact-sent-offer-{language}")

    # Back to the form, and Send again: the first request is found, not a second one made.
    page.go_back()
    expect(page.locator("#get-in-touch form")).to_be_visible()
    fill_contact(page, words, email.upper())
    page.locator("#get-in-touch form").get_by_role("button", name=words["send"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["already"])
    expect(page.locator("main")).to_contain_text(words["already_on"])
    check_accessibility(page, f"contact-sent-again-{language}")
    assert len(copies_to(site_env, email, wait=20)) == 1
    time.sleep(1)  # a second copy, had one been made, would be written by now
    assert len(copies_to(site_env, email, wait=0)) == 1

    # The offer works from here: one press signs up, and a confirmation email follows.
    page.locator("#notify").get_by_role("button", name=words["notify_me"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["check_email"])


# --- touch targets, phones, the site icon -----------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_email_phone_and_date_fields_are_44_px_touch_targets(page, language):
    page.goto(f"/trials/{REFERENCE}?lang={language}")
    text_height = page.locator("#c-first-name").bounding_box()["height"]
    for selector in ("#c-email", "#c-phone", "#n-email"):
        box = page.locator(selector).bounding_box()
        assert box["height"] >= 44, f"{selector} is {box['height']} px tall"
        assert box["height"] == pytest.approx(text_height, abs=1), selector
    page.goto(f"/trials/{REFERENCE}/eligibility?lang={language}")
    dates = page.locator("input[type=date]")
    assert dates.count() > 0
    for index in range(dates.count()):
        assert dates.nth(index).bounding_box()["height"] >= 44


@pytest.mark.parametrize("language", LANGUAGES)
def test_on_a_phone_the_results_come_before_the_filters(new_context, save_screenshot, language):
    page = new_context(viewport={"width": 375, "height": 812}).new_page()
    page.goto(f"/trials?q=colorectal&lang={language}")
    save_screenshot(page, f"phone-results-first-{language}")
    first_hit = page.locator(".hit").first.bounding_box()
    filters = page.get_by_role("search").bounding_box()
    assert first_hit["y"] < filters["y"]
    assert first_hit["y"] < 812, f"the first result starts {first_hit['y']:.0f} px down"
    # A link at the top takes a person to the form; the keyboard reaches it first, then the results.
    change = page.get_by_role("link", name=words_of(language)["change"])
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    expect(change).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("search").get_by_role("searchbox")).to_be_in_viewport()

    # On a wide screen the form stays beside the results, on the left.
    wide = new_context(viewport={"width": 1280, "height": 900}).new_page()
    wide.goto(f"/trials?q=colorectal&lang={language}")
    form, results = wide.get_by_role("search").bounding_box(), wide.locator("section.results").bounding_box()
    assert form["x"] + form["width"] <= results["x"] and abs(form["y"] - results["y"]) < 5
    expect(wide.get_by_role("link", name=words_of(language)["change"])).to_be_hidden()


def words_of(language: str) -> dict:
    return WORDS[language]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_site_has_an_icon_and_no_page_logs_a_404(page, site, language):
    start = site.log_size()
    answers = []
    page.on("response", lambda response: answers.append((response.url, response.status)))
    for path in ("/", "/trials?q=colorectal", f"/trials/{REFERENCE}", "/faq"):
        page.goto(f"{path}{'&' if '?' in path else '?'}lang={language}")
        icon = page.locator("link[rel=icon]")
        expect(icon).to_have_attribute("type", "image/svg+xml")
    assert page.request.get(icon.get_attribute("href")).status == 200
    favicon = page.request.get("/favicon.ico")
    assert favicon.status == 200 and favicon.headers["content-type"].startswith("image/svg+xml")
    assert [answer for answer in answers if answer[1] >= 400] == []
    logged = site.log_text(start)
    assert "GET /favicon.ico 200" in logged
    assert " 404 " not in logged


# --- distances ------------------------------------------------------------------------------------------------------


def nearest_site(page, nct_id: str):
    return page.locator("ol.hits > li").filter(has=page.locator(f"#hit-{nct_id}")).locator(".nearest")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_site_at_the_persons_own_place_is_less_than_1_km_away(page, language):
    words = WORDS[language]
    # The hospital's own postal code typed (the registry places the site at the city's centre; its postal code, 1066
    # CX, places it where it is): not "5.7 km", and not "0 km away".
    page.goto(f"/trials?location=1066%20CX&radius=20&lang={language}")
    expect(nearest_site(page, REFERENCE)).to_contain_text(words["less"])
    # A legacy record without coordinates, at the hospital's own postal code: placed there, and said to be approximate.
    page.goto(f"/trials/{BARCELONA}?location=08035%20Barcelona&lang={language}")
    site = page.locator("#sites ol.sites > li")
    expect(site.locator(".nearest")).to_contain_text(words["less"].removeprefix("op "))
    expect(site).to_contain_text(words["approximate"])
