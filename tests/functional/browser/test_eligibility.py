""" "Could I take part?" in a real browser: from the trial page to the questions and a printable answer."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI=true) with the reason
    expect = None

pytestmark = pytest.mark.browser

REFERENCE = "NCT06857773"
OTHER = "NCT03745326"  # another colorectal trial in the fixtures: it asks for a date of birth too


def test_a_person_answers_and_sees_why_criterion_by_criterion(page, check_accessibility):
    page.goto(f"/trials/{REFERENCE}")
    page.get_by_role("link", name="Check whether I might qualify").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Could I take part?")
    check_accessibility(page, "eligibility-questions")

    haemoglobin = page.get_by_role("group", name="What was your most recent haemoglobin (Hb) result?")
    haemoglobin.get_by_label("Result").fill("5.2")
    haemoglobin.get_by_label("Unit").select_option("mmol/L")
    page.get_by_label("When were these blood tests taken?").fill((date.today() - timedelta(days=2)).isoformat())
    page.get_by_role("button", name="Show what my answers mean").click()

    expect(page.get_by_role("heading", level=2, name="You probably cannot take part")).to_be_visible()
    hb = page.locator(".criterion-result").filter(has_text="Hb ≥ 5.5 mmol/L").first
    expect(hb).to_contain_text("Does not fit")
    expect(hb).to_contain_text("Your haemoglobin (Hb) is 5.2 mmol/L")
    expect(page.get_by_role("button", name="Print this summary")).to_be_visible()  # the script showed it
    check_accessibility(page, "eligibility-summary")

    # Printed, the summary drops the site's header and buttons.
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.get_by_role("button", name="Change my answers")).to_be_hidden()
    page.emulate_media(media="screen")

    page.get_by_role("button", name="Change my answers").click()
    expect(
        page.get_by_role("group", name="What was your most recent haemoglobin (Hb) result?").get_by_label("Result")
    ).to_have_value("5.2")


def test_answers_kept_in_this_browser_only_when_asked_fill_another_trials_questions(page):
    page.goto(f"/trials/{REFERENCE}/eligibility")
    expect(page.get_by_role("button", name="Fill in the answers saved in this browser")).to_be_hidden()
    page.get_by_label("What is your date of birth?").fill("1961-07-13")
    page.get_by_role("button", name="Show what my answers mean").click()
    page.get_by_role("button", name="Remember my answers in this browser").click()
    expect(page.get_by_role("status")).to_contain_text("Saved in this browser only")
    assert (
        page.evaluate("() => localStorage.getItem('trialfinder.eligibility-answers')") == '{"birth_date":"1961-07-13"}'
    )

    # Another trial's questions, filled in from them; the server never had them to store.
    page.goto(f"/trials/{OTHER}/eligibility")
    page.get_by_role("button", name="Fill in the answers saved in this browser").click()
    expect(page.get_by_label("What is your date of birth?")).to_have_value("1961-07-13")
    page.get_by_role("button", name="Forget the saved answers").click()
    assert page.evaluate("() => localStorage.getItem('trialfinder.eligibility-answers')") is None
