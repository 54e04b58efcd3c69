"""The plain-language overview on the trial page: labelled, traceable sentence by sentence, never hiding the
registry's own summary, in English and Dutch, stored on first view (both databases)."""

from __future__ import annotations

from .conftest import REFERENCE
from .pages import parse


def overview_of(client, **params):
    page = parse(client.get(f"/trials/{REFERENCE}", params=params).text)
    return page, page.by_id("plain-overview")


def test_the_reference_trial_in_plain_words_with_its_label_and_the_registry_text_beside_it(client):
    page, overview = overview_of(client)
    text = overview.text()
    for expected in (
        "liver",
        "pump",
        "chemotherapy",
        "2 groups",
        "You can join if you are 18 years or older",
        "The Netherlands Cancer Institute in Amsterdam",
    ):
        assert expected in text, expected
    assert "Written automatically from the registry record by trialfinder's built-in plain-language generator." in text
    links = {link.text(): link.attrs["href"] for link in overview.find_all("a")}
    assert links["Read the study team’s summary"] == "#registry-summary"
    assert links["The original record"] == f"https://clinicaltrials.gov/study/{REFERENCE}"
    # The registry's own summary is still on the page, after the overview.
    summary = page.by_id("overview").text()
    assert summary.index("In plain words") < summary.index("The study team’s summary")
    assert "hepatic arterial infusion pump" in summary.lower()


def test_every_sentence_names_where_it_came_from(client):
    _, overview = overview_of(client)
    shown = [p.text() for p in overview.find_all("p")[1:]]
    sources = overview.find("details", cls="overview-sources").find_all("li")
    assert len(sources) == sum(text.count(". ") + 1 for text in shown) or len(sources) >= len(shown)
    for item in sources:
        assert "(from: " in item.text()
    texts = [item.text() for item in sources]
    assert any("liver pump" in text and "Group 1: interventions" in text for text in texts)
    assert any(
        text.startswith("You can join if you are 18 years or older") and "Eligibility: ages" in text for text in texts
    )


def test_the_dutch_page_has_a_dutch_overview(client):
    _, overview = overview_of(client, lang="nl")
    text = overview.text()
    assert "In eenvoudige woorden" in text
    assert "Automatisch geschreven op basis van de registratie" in text
    assert "lever" in text and "pomp" in text and "chemotherapie" in text
    assert "Amsterdam" in text
    assert "(uit: " in overview.find("details", cls="overview-sources").text()


def test_a_place_adds_the_nearest_site(client):
    _, overview = overview_of(client, location="Haarlem")
    assert "The Netherlands Cancer Institute" in overview.find_all("h4")[-1].parent.text()
    assert "nearest" in overview.text().lower()


def test_the_overview_is_stored_at_first_view_and_reused(client, catalogue):
    with catalogue.connect() as conn:
        before = conn.scalar("SELECT COUNT(*) FROM overviews")
    client.get(f"/trials/{REFERENCE}")
    client.get(f"/trials/{REFERENCE}")
    client.get(f"/trials/{REFERENCE}", params={"lang": "nl"})
    with catalogue.connect() as conn:
        assert conn.scalar("SELECT COUNT(*) FROM overviews") == before + 2
