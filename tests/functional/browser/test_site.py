"""The website as a person uses it, in a real browser (GitHub issue #3): search, a trial, languages, keyboard,
no JavaScript, a phone, accessibility.

The catalogue holds the fixture records (tests/fixtures/): "colorectal" matches two recruiting trials, the
reference trial NCT06857773 (phase 3) and NCT03745326 (phase 1/2); NCT06857773 is the only one with a site in
Amsterdam (The Netherlands Cancer Institute).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI=true) with the reason
    expect = None

pytestmark = pytest.mark.browser

REFERENCE = "NCT06857773"
REFERENCE_TITLE = (
    "Induction Treatment for Initially Unresectable Colorectal Liver Metastases: Combined Hepatic Arterial Infusion Pump"
    " Therapy With Systemic Therapy"
)
OTHER_COLORECTAL = "NCT03745326"
# The site's own words in Dutch, as src/trialfinder/web/locale/nl/LC_MESSAGES/messages.po translates them.
DUTCH = {
    "Eligibility": "Wie kan meedoen",
    "Study sites": "Onderzoekslocaties",
    "Inclusion criteria: who can take part": "Inclusiecriteria: wie kan meedoen",
    "Skip to main content": "Direct naar de inhoud",
    "Language": "Taal",
}


def hit(page, nct_id: str):
    """A result in the list, found by its heading (whose id names the trial)."""
    return page.locator("ol.hits > li").filter(has=page.locator(f"#hit-{nct_id}"))


def results_heading(page):
    return page.get_by_role("heading", level=2).filter(has_text=re.compile(r"trials? found"))


def search_for(page, words: str) -> None:
    """Types in the search words field and submits with Enter, as a person does."""
    field = page.get_by_label("Search words")
    field.fill(words)
    field.press("Enter")
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("q") == [words])


# --- search -----------------------------------------------------------------------------------------------------


def test_search_by_words_marks_the_matches_and_a_filter_narrows_the_results(page):
    page.goto("/")
    search_for(page, "colorectal")

    expect(page).to_have_url(re.compile(r"/trials\?.*q=colorectal"))
    expect(results_heading(page)).to_have_text("2 trials found")
    reference = hit(page, REFERENCE)
    title = reference.get_by_role("heading", level=3)
    expect(title).to_have_text(REFERENCE_TITLE)
    expect(title.locator("mark")).to_have_text("Colorectal")
    expect(hit(page, OTHER_COLORECTAL)).to_be_visible()

    # Only phase 3: the phase 1/2 trial goes.
    page.get_by_label("Phase 3", exact=True).check()
    page.get_by_role("button", name="Search", exact=True).click()
    expect(results_heading(page)).to_have_text("1 trial found")
    expect(hit(page, REFERENCE)).to_be_visible()
    expect(hit(page, OTHER_COLORECTAL)).to_have_count(0)
    expect(page.get_by_label("Phase 3", exact=True)).to_be_checked()


def test_search_near_a_place_shows_the_distance_to_the_nearest_site(page):
    page.goto("/")
    page.get_by_label("City or postal code").fill("Amsterdam")
    page.get_by_label("Within").fill("25")
    page.get_by_label("Within").press("Enter")
    page.wait_for_url(lambda url: parse_qs(urlsplit(url).query).get("location") == ["Amsterdam"])

    expect(results_heading(page)).to_have_text("1 trial found")
    reference = hit(page, REFERENCE)
    expect(reference.get_by_role("heading", level=3)).to_have_text(REFERENCE_TITLE)
    nearest = reference.locator(".nearest")
    expect(nearest).to_contain_text("The Netherlands Cancer Institute")
    expect(nearest).to_contain_text(re.compile(r"\b\d+(?:[.,]\d+)?\s*km away"))
    expect(page.locator(".results-summary")).to_contain_text(re.compile(r"Near Amsterdam.*within 25\s*km"))


# --- the trial page ---------------------------------------------------------------------------------------------


def test_a_trial_opened_from_the_results_shows_badges_and_nested_eligibility(page):
    page.goto("/")
    search_for(page, "liver metastases")
    hit(page, REFERENCE).get_by_role("link", name=REFERENCE_TITLE).click()

    expect(page).to_have_url(re.compile(rf"/trials/{REFERENCE}(\?|$)"))
    expect(page.get_by_role("heading", level=1)).to_have_text(REFERENCE_TITLE)
    badges = page.locator("article.trial").get_by_role("list", name="Key facts").get_by_role("listitem")
    expect(badges).to_contain_text(["Recruiting", "18 years and older", "All", "Phase 3"])
    expect(page.get_by_role("link", name="Back to your search results")).to_be_visible()

    eligibility = page.locator("#eligibility")
    expect(eligibility.get_by_role("heading", name="Inclusion criteria: who can take part")).to_be_visible()
    inclusion = eligibility.locator(".criteria-inclusion")
    # The laboratory values are a list inside the "Laboratory requirements" item, as registered.
    lab_item = (
        inclusion.locator("li")
        .filter(has_text="Laboratory requirements")
        .filter(has=page.locator(":scope > ul, :scope > ol"))
    )
    expect(lab_item).to_have_count(1)
    lab_values = lab_item.locator(":scope > ul > li, :scope > ol > li")
    expect(lab_values.first).to_have_text("Hb ≥ 5.5 mmol/L")
    expect(lab_values).to_have_count(9)
    expect(lab_values.filter(has_text="platelets ≥100 x 10^9/L")).to_have_count(1)
    # ... and not a top-level criterion of its own.
    expect(
        inclusion.locator(":scope > ul > li, :scope > ol > li").filter(has_text=re.compile(r"^\s*Hb ≥"))
    ).to_have_count(0)

    expect(eligibility.get_by_role("heading", name="Exclusion criteria: who cannot take part")).to_be_visible()
    exclusion = eligibility.locator(".criteria-exclusion")
    expect(exclusion.get_by_role("listitem").filter(has_text="MMR deficiency.")).to_have_count(1)
    expect(exclusion.get_by_role("listitem")).to_have_count(15)


def test_the_language_switch_turns_the_site_dutch_and_leaves_registry_text_alone(page, check_accessibility):
    page.goto(f"/trials/{REFERENCE}")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=2, name="Eligibility")).to_be_visible()

    page.get_by_role("navigation", name="Language").get_by_role("link", name="Nederlands").click()

    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page).to_have_url(re.compile(rf"/trials/{REFERENCE}\?(.*&)?lang=nl"))
    # The site's own words, as the Dutch catalog translates them.
    expect(page.get_by_role("heading", level=2, name=DUTCH["Eligibility"], exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=2, name=DUTCH["Study sites"])).to_be_visible()
    expect(page.get_by_role("heading", level=3, name=DUTCH["Inclusion criteria: who can take part"])).to_be_visible()
    expect(page.get_by_role("link", name=DUTCH["Skip to main content"])).to_be_attached()
    expect(page.get_by_role("heading", level=2, name="Eligibility", exact=True)).to_have_count(0)
    # The registry's words, as registered.
    expect(page.get_by_role("heading", level=1)).to_have_text(REFERENCE_TITLE)
    expect(page.locator(".criteria-inclusion")).to_contain_text("Hb ≥ 5.5 mmol/L")
    # The switch back is there, in English and marked as such.
    expect(
        page.get_by_role("navigation", name=DUTCH["Language"]).get_by_role("link", name="English")
    ).to_have_attribute("lang", "en")
    check_accessibility(page, "trial-nl")


# --- keyboard, no JavaScript, phone ------------------------------------------------------------------------------


def test_keyboard_reaches_the_skip_link_first_and_every_field_has_a_name(page):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to main content")
    expect(focused).to_have_attribute("href", "#main")
    expect(focused).to_be_in_viewport()  # shown when focused, not left off-screen
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("main :focus")).to_have_count(1)  # the next stop is inside main, not the header

    form = page.get_by_role("search")
    for label in (
        "Search words",
        "Condition or disease",
        "Treatment or intervention",
        "City or postal code",
        "Within",
        "Unit",
        "Your age in years",
        "Sort by",
    ):
        expect(form.get_by_label(label, exact=True)).to_be_editable()
    controls = form.locator("input:not([type=hidden]), select, textarea, button:visible")
    assert controls.count() > 20
    for index in range(controls.count()):
        expect(controls.nth(index)).to_have_accessible_name(re.compile(r"\S"))


def test_without_javascript_a_person_can_search_and_open_a_trial(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/")
    search_for(page, "colorectal")
    expect(results_heading(page)).to_have_text("2 trials found")
    hit(page, REFERENCE).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(REFERENCE_TITLE)
    expect(page.locator(".criteria-inclusion")).to_contain_text("Hb ≥ 5.5 mmol/L")
    # "Use my location" needs the script: without it the button would do nothing, so it must not be shown.
    page.go_back()
    expect(page.get_by_label("Search words")).to_have_value("colorectal")
    expect(page.get_by_role("button", name="Use my location")).to_be_hidden()


WIDER_THAN_THE_SCREEN = """() => [...document.querySelectorAll('body *')]
    .filter(el => el.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 5)
    .map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className ? '.' + el.className : '')
              + ' (right edge at ' + Math.round(el.getBoundingClientRect().right) + 'px)')"""


PHONE_PAGES = {"search": "/", "search-results": "/trials?q=colorectal", "trial": f"/trials/{REFERENCE}"}


@pytest.mark.parametrize("name", PHONE_PAGES)
def test_a_phone_screen_needs_no_sideways_scrolling(new_context, save_screenshot, name):
    path = PHONE_PAGES[name]
    page = new_context(viewport={"width": 375, "height": 812}).new_page()
    page.goto(path)
    save_screenshot(page, f"phone-{name}")
    sizes = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[1] == 375
    assert sizes[0] <= sizes[1], (
        f"{path} is {sizes[0]} px wide on a {sizes[1]} px screen: {page.evaluate(WIDER_THAN_THE_SCREEN)}"
    )


# --- mistakes ---------------------------------------------------------------------------------------------------


def test_a_malformed_search_explains_what_to_change(page):
    response = page.goto("/trials?age=-3&radius=1000000000")
    assert response is not None and response.status < 500

    expect(page.get_by_role("heading", level=1)).to_have_text("Find a clinical trial")
    summary = page.get_by_role("alert")
    expect(summary.get_by_role("heading")).to_have_text("Please check your search")
    age_message = "Enter your age as a number of years, for example 42."
    radius_message = re.compile(r"Choose a distance of more than 0 and at most 2[,.]?000 km\.")
    expect(summary.get_by_role("link", name=age_message)).to_be_visible()
    expect(summary.get_by_role("link", name=radius_message)).to_be_visible()

    age = page.get_by_label("Your age in years")
    expect(age).to_have_value("-3")
    expect(age).to_have_attribute("aria-invalid", "true")
    expect(age).to_have_accessible_description(re.compile(re.escape(age_message)))
    radius = page.get_by_label("Within")
    expect(radius).to_have_value("1000000000")
    expect(radius).to_have_attribute("aria-invalid", "true")
    expect(radius).to_have_accessible_description(radius_message)

    summary.get_by_role("link", name=age_message).click()  # the message takes you to the field
    expect(age).to_be_focused()


# --- accessibility ----------------------------------------------------------------------------------------------


PAGES = [
    ("search", "/", 200, "Find a clinical trial"),
    ("search-results", "/trials?q=colorectal", 200, "Find a clinical trial"),
    ("search-no-results", "/trials?q=xylophone", 200, "Find a clinical trial"),
    ("trial", f"/trials/{REFERENCE}", 200, REFERENCE_TITLE),
    ("faq", "/faq", 200, "Questions about clinical trials"),
    ("not-found", "/no-such-page", 404, None),
]


@pytest.mark.parametrize(("name", "path", "status", "heading"), PAGES, ids=[page[0] for page in PAGES])
def test_pages_have_no_serious_accessibility_problems(page, check_accessibility, name, path, status, heading):
    response = page.goto(path)
    assert response is not None and response.status == status
    h1 = page.get_by_role("heading", level=1)
    expect(h1).to_have_count(1)
    if heading:
        expect(h1).to_have_text(heading)
    if name == "search-no-results":
        expect(page.get_by_role("heading", name="No trials match your search")).to_be_visible()
    check_accessibility(page, name)
