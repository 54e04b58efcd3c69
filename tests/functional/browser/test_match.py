""" "Trials for me" in a real browser: from the home page to the form, a description typed, the trials that fit it."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI=true) with the reason
    expect = None

pytestmark = pytest.mark.browser

REFERENCE = "NCT06857773"
DESCRIPTION = "I am a 58-year-old man with colorectal cancer and liver metastases. ECOG 1."
COUNTS = re.compile(r"Meets \d+ · Does not meet \d+ · Unknown \d+")


def test_a_person_describes_themselves_and_sees_the_trials_that_fit(page, check_accessibility):
    page.goto("/")
    page.get_by_role("link", name="Trials for me: describe yourself and see the trials that fit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Trials for me")
    # No answers are kept in this browser: the box that would send them is not offered.
    expect(page.get_by_label("Use the answers I saved")).to_be_hidden()
    check_accessibility(page, "match-form")

    page.get_by_label("Describe yourself, or paste a clinical note").fill(DESCRIPTION)
    page.get_by_label("City or postal code").fill("Amsterdam")
    page.get_by_role("button", name="Find trials for me").click()

    reference = page.locator("article", has=page.get_by_role("link", name=re.compile("^Induction Treatment")))
    expect(reference.first).to_be_visible()
    expect(reference.first.locator(".criteria-counts")).to_have_text(COUNTS)
    expect(reference.first.get_by_role("link", name=re.compile("Could I take part"))).to_have_attribute(
        "href", f"/trials/{REFERENCE}/eligibility"
    )
    expect(page.locator(".what-we-read mark").filter(has_text="colorectal cancer")).to_have_count(1)
    expect(page.get_by_label("Describe yourself, or paste a clinical note")).to_have_value(DESCRIPTION)
    assert "/match" in page.url and "colorectal" not in page.url
    check_accessibility(page, "match-results")


def test_answers_kept_from_could_i_take_part_go_along_when_asked(page):
    page.goto(f"/trials/{REFERENCE}/eligibility")
    haemoglobin = page.get_by_role("group", name="What was your most recent haemoglobin (Hb) result?")
    haemoglobin.get_by_label("Result").fill("5.2")
    haemoglobin.get_by_label("Unit").select_option("mmol/L")
    page.get_by_label("When were these blood tests taken?").fill((date.today() - timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Show what my answers mean").click()
    page.get_by_role("button", name="Remember my answers in this browser").click()

    page.goto("/match")
    page.get_by_label("Describe yourself, or paste a clinical note").fill(DESCRIPTION)
    page.get_by_label("Use the answers I saved").check()
    page.get_by_role("button", name="Find trials for me").click()

    expect(page.locator(".what-we-read")).to_contain_text("The answers you saved in this browser were used")
    reference = page.locator(f"article[aria-labelledby='match-{REFERENCE}']")
    expect(reference.locator(".rules-out")).to_contain_text("Hb ≥ 5.5 mmol/L")
