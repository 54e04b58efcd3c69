"""Private notes in a real browser: select a passage, add a note, see it marked; send it; open the link in a fresh
browser, enter the passcode, and see the note on the marked passage. Also without JavaScript, and axe-core on each."""

from __future__ import annotations

import re

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails under CI=true) with the reason
    expect = None

pytestmark = pytest.mark.browser

REFERENCE = "NCT06857773"
PASSAGE = "Hb ≥ 5.5 mmol/L"  # a nested bullet under "Laboratory requirements"
NOTE = "Ask whether my Hb of 5.1 last month rules me out"


def test_select_add_share_and_open_with_the_passcode(new_context, check_accessibility):
    owner = new_context().new_page()
    owner.goto(f"/trials/{REFERENCE}")
    # Select the nested bullet as a person does: a triple click selects its text.
    owner.locator("#eligibility li", has_text=PASSAGE).last.click(click_count=3)
    add = owner.get_by_role("button", name="Add a note to the selected text")
    expect(add).to_be_visible()
    add.click()
    form = owner.locator("#note-form")
    expect(form.get_by_label("The passage your note is about")).to_have_value(PASSAGE)
    expect(form.get_by_label("Part of the page")).to_have_value("eligibility")
    expect(form.get_by_label("Your note", exact=True)).to_be_focused()
    form.get_by_label("Your note", exact=True).fill(NOTE)
    form.get_by_role("button", name="Add note").click()

    # Back on the trial page: the note is listed, and its passage marked in the criteria with a link to it.
    note = owner.locator(".notes-list li").first
    expect(note).to_contain_text(NOTE)
    mark = owner.locator("#eligibility mark.note-mark")
    expect(mark).to_have_text(PASSAGE)
    expect(owner.locator("#eligibility a.note-ref")).to_have_attribute("href", re.compile(r"^#note-"))
    check_accessibility(owner, "notes-trial")

    owner.get_by_role("button", name="Send my notes").click()
    link = owner.locator("#share-url").input_value()
    passcode = owner.locator("#share-passcode").inner_text()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/shared/[A-Za-z0-9_-]{32}", link)
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", passcode)
    check_accessibility(owner, "notes-share-created")

    # Someone else, in a browser of their own.
    recipient = new_context().new_page()
    recipient.goto(link)
    expect(recipient.get_by_role("heading", level=1)).to_have_text("Notes shared with you")
    expect(recipient.locator("main")).not_to_contain_text(NOTE)
    check_accessibility(recipient, "notes-share-passcode")
    recipient.get_by_label("Passcode").fill("WRNG-WRNG-WRNG")
    recipient.get_by_role("button", name="Show the notes").click()
    expect(recipient.locator(".notice")).to_contain_text("You can try 4 more times")
    expect(recipient.get_by_label("Passcode")).to_have_attribute("aria-invalid", "true")
    recipient.get_by_label("Passcode").fill(passcode.lower())
    recipient.get_by_role("button", name="Show the notes").click()
    expect(recipient.locator(".notes-list li").first).to_contain_text(NOTE)
    expect(recipient.locator("mark.note-mark")).to_have_text(PASSAGE)
    expect(recipient.locator("main form")).to_have_count(0)  # read-only
    check_accessibility(recipient, "notes-share-view")
    # The recipient is not the owner: the trial page shows them no notes.
    recipient.goto(f"/trials/{REFERENCE}")
    expect(recipient.locator(".notes-list")).to_have_count(0)

    # The owner revokes the link; the recipient's next visit says so.
    owner.goto(f"/trials/{REFERENCE}#share-links")
    owner.get_by_role("button", name=re.compile("^Revoke")).click()
    recipient.goto(link)
    expect(recipient.get_by_role("heading", level=1)).to_have_text("This link has been revoked")


def test_a_note_without_javascript_by_quoting_the_text(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(f"/trials/{REFERENCE}")
    form = page.locator("#note-form")
    form.get_by_label("The passage your note is about").fill("words that are not in this trial")
    form.get_by_label("Your note", exact=True).fill("x")
    form.get_by_role("button", name="Add note").click()
    expect(page.locator(".error-summary")).to_contain_text("We could not find this passage")
    form = page.locator("#note-form")
    form.get_by_label("The passage your note is about").fill("ECOG performance status 0 or 1.")
    form.get_by_label("Your note", exact=True).fill("Mine is 1")
    form.get_by_role("button", name="Add note").click()
    expect(page.locator(".notes-list li").first).to_contain_text("Mine is 1")
    expect(page.locator(".notes-list li").first).to_contain_text("Eligibility")
