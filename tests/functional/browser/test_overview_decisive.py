"""The trial page's plain-language overview names what decides the trial and what taking part asks (issue #15), in
English and in Dutch: for the reference trial, unresectable liver metastases found with the bowel tumour, no spread
outside the liver, no chemotherapy yet, and an operation for the pump group; a completed trial never says "You can
join"."""

from __future__ import annotations

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI=true) with the reason
    expect = None

pytestmark = pytest.mark.browser

REFERENCE = "NCT06857773"
COMPLETED = "NCT00000102"  # a legacy record whose study has ended

WORDS = {
    "en": {
        "heading": "Who can join",
        "closed_heading": "Who could take part",
        "decisive": [
            "You must have cancer that has spread to the liver.",
            "cannot be removed with an operation",
            "found at the same time as the bowel tumour",
            "The cancer must not have spread outside the liver.",
            "You must not have had cancer medicines (such as chemotherapy) for bowel cancer yet.",
            "For group 1, taking part means an operation to put in the liver pump.",
        ],
        "closed": "It is no longer looking for participants.",
        "can_join": "can join",
    },
    "nl": {
        "heading": "Wie kan meedoen",
        "closed_heading": "Wie kon meedoen",
        "decisive": [
            "U moet kanker hebben die is uitgezaaid naar de lever.",
            "niet met een operatie te verwijderen is",
            "tegelijk met de darmtumor is ontdekt",
            "De kanker mag niet buiten de lever zijn uitgezaaid.",
            "U mag nog geen kankermedicijnen (zoals chemotherapie) voor darmkanker hebben gehad.",
            "Voor groep 1 betekent meedoen een operatie om het hulpmiddel te plaatsen (leverpomp).",
        ],
        "closed": "Het zoekt geen deelnemers meer.",
        "can_join": "kunt meedoen",
    },
}


@pytest.mark.parametrize("language", ["en", "nl"])
def test_the_reference_trial_overview_names_its_decisive_conditions_and_the_operation(page, language):
    words = WORDS[language]
    page.goto(f"/trials/{REFERENCE}?lang={language}")
    overview = page.locator("#plain-overview")
    expect(overview.get_by_role("heading", name=words["heading"], exact=True)).to_be_visible()
    for text in words["decisive"]:
        expect(overview).to_contain_text(text)
    # Each sentence still says where it comes from.
    sources = overview.locator("details.overview-sources li")
    expect(sources.filter(has_text=words["decisive"][0])).to_have_count(1)


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_completed_trial_never_says_you_can_join(page, language):
    words = WORDS[language]
    page.goto(f"/trials/{COMPLETED}?lang={language}")
    overview = page.locator("#plain-overview")
    expect(overview.get_by_role("heading", name=words["closed_heading"], exact=True)).to_be_visible()
    expect(overview).to_contain_text(words["closed"])
    assert words["can_join"] not in overview.inner_text().lower()
