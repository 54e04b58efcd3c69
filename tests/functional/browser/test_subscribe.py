"""Notifications in a real browser: save a search from the search page, confirm through the emailed link, and the
pages checked with axe-core. The server has no SMTP host, so the confirmation lands as an .eml file."""

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


def confirmation_link(site_env, address: str, timeout: float = 15.0) -> str:
    folder = Path(site_env["TRIALFINDER_DATA_DIR"]) / "mail"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path in sorted(folder.glob("*.eml")) if folder.exists() else []:
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if message["To"] == address and "confirm" in message["Subject"]:
                text = message.get_body(("plain",)).get_content()
                found = re.search(r"https?://\S+/subscriptions/confirm\?token=[\w.-]+", text)
                assert found, text
                return found.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no confirmation email for {address}")


def test_save_a_search_and_confirm_it(page, site, site_env, check_accessibility):
    page.goto(f"{site.url}/trials?condition=colorectal&location=Amsterdam&radius=100")
    box = page.locator("#notify")
    expect(box).to_contain_text("Condition: colorectal")
    expect(box).to_contain_text("Near Amsterdam, within 100 km")
    check_accessibility(page, "search-with-subscribe")
    box.get_by_label("Your email address").fill("browser.reader@example.org")
    box.get_by_label("Once a week at most").check()
    box.get_by_role("button", name="Notify me").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    check_accessibility(page, "subscription-sent")

    link = confirmation_link(site_env, "browser.reader@example.org")
    page.goto(link.replace(re.match(r"https?://[^/]+", link).group(0), site.url))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email alerts")
    check_accessibility(page, "subscription-confirm")
    page.get_by_role("button", name="Confirm my email alerts").click()
    expect(page.locator("main")).to_contain_text("Your email alerts are on")


def test_the_whole_form_explains_mistakes_and_is_accessible(page, site, check_accessibility):
    page.goto(f"{site.url}/subscriptions/new?condition=colorectal")
    expect(page.get_by_label("Condition or disease")).to_have_value("colorectal")
    page.get_by_label("Your email address").fill("not an address")
    page.get_by_role("button", name="Notify me").click()
    expect(page.locator(".error-summary")).to_contain_text("Please enter an email address such as name@example.com.")
    expect(page.get_by_label("Your email address")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page, "subscription-form-errors")
