"""A trial whose criteria run to 400,000 characters (the importer's limit; ClinicalTrials.gov allows 20,000): its
pages analyse and render as Markdown only the first part (eligibility.parser.MAX_PARSED characters), and show the
rest as the registry's plain text under a note that it was not analysed. Before, each view parsed all of it (the
questionnaire page took 3 s; bench/limits.py)."""

from __future__ import annotations

import pytest

from trialfinder.eligibility.parser import MAX_PARSED

from .conftest import derived_record, write_records
from .pages import parse

LONG = "NCT08400001"
BULLET = "* Hb ≥ 5.5 mmol/L (part {n})\n"
LAST = "* The very last criterion of this long text\n"


def _criteria() -> str:
    lines = ["Inclusion Criteria:\n"]
    size, n = len(lines[0]), 0
    while size < 399_900 - len(LAST):
        n += 1
        lines.append(BULLET.format(n=n))
        size += len(lines[-1])
    return "".join(lines) + LAST


@pytest.fixture
def long_criteria(client, import_records, tmp_path):
    record = derived_record(LONG)
    record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = _criteria()
    import_records(write_records(tmp_path / "long", [record]))
    return client


def test_the_trial_page_shows_the_rest_as_text_with_a_note(long_criteria):
    page = parse(long_criteria.get(f"/trials/{LONG}").text)
    eligibility = page.by_id("eligibility")
    rest = eligibility.find("div", cls="criteria-unanalysed")
    assert rest is not None and "The very last criterion of this long text" in rest.text()
    assert rest.find("li") is None  # as written, not rendered
    assert "not analysed" in eligibility.text()
    markdown_items = [div.find_all("li") for div in eligibility.find_all("div", cls="criteria-inclusion")]
    assert 0 < sum(map(len, markdown_items)) <= MAX_PARSED // len(BULLET.format(n=1))
    check = page.by_id("could-i-take-part").text()
    assert "characters were not turned into checks" in check


def test_the_questionnaire_asks_about_the_rest_and_says_it_was_not_analysed(long_criteria):
    response = long_criteria.get(f"/trials/{LONG}/eligibility")
    assert response.status_code == 200
    page = parse(response.text)
    assert "were not analysed" in page.by_id("not-analysed").text()
    questions = page.find("ol", cls="questions").find_all("li", cls="question")
    last = questions[-1].find("legend").text()
    assert last.startswith("Please ask your doctor: does this apply to you?") and last.endswith("…\" Ask your doctor")
