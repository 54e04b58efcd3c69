"""What a first visitor sees, on both databases: the home page opens on current recruiting trials, newest first, and
a trial whose status the registry no longer knows says what it last was, in English and Dutch."""

from __future__ import annotations

from .pages import hit_ids, parse

DUTCH = {"Accept-Language": "nl-NL,nl;q=0.9"}
# Legacy XML: <overall_status>Unknown status</overall_status>, <last_known_status>Recruiting</last_known_status>,
# <verification_date>May 2010</verification_date>.
STALE = "NCT00495183"


def status_badge(html: str, nct: str | None = None) -> str:
    page = parse(html)
    scope = page.by_id(f"hit-{nct}").parent if nct else page  # a result's article, or the trial page
    return next(badge for badge in scope.find_all("li", cls="badge-status")).text()


def test_the_home_page_opens_on_recruiting_trials_the_most_recently_updated_first(client):
    for path in ("/", "/trials"):
        response = client.get(path)
        assert response.status_code == 200
        ids = hit_ids(response.text)
        # The fixtures' recruiting trials, by their last update: 2025-09-24, then the 2025-09-16 ones, ...
        assert ids[0] == "NCT03745326"
        assert "Trials that are recruiting or about to come first, the most recently updated first." in response.text
        assert STALE not in ids and "NCT00000102" not in ids  # unknown and completed: not by default
    dutch = client.get("/", headers=DUTCH).text
    assert "Studies die deelnemers werven of dat binnenkort gaan doen staan eerst" in dutch
    # Other statuses asked for too, still no words: the open trials before the completed and unknown ones.
    both = hit_ids(client.get("/trials", params=[("status", "RECRUITING"), ("status", "COMPLETED")]).text)
    recruiting = set(hit_ids(client.get("/trials").text))
    assert set(both[: len(recruiting)]) == recruiting
    # The other orders still answer (their SQL is tested in tests/integration/test_search.py); words are ranked.
    by_update = client.get("/trials", params=[("status", "RECRUITING"), ("status", "COMPLETED"), ("sort", "last_update")])
    assert set(hit_ids(by_update.text)) == set(both)
    assert "most recently updated first" not in client.get("/trials", params={"q": "liver"}).text


def test_an_unknown_status_says_what_it_last_was_on_the_trial_page(client):
    english = client.get(f"/trials/{STALE}").text
    assert status_badge(english) == "Status: Status unknown (last known: recruiting, last verified May 2010)"
    assert "The registry no longer knows whether this trial is going on" in english
    dutch = client.get(f"/trials/{STALE}", headers=DUTCH).text
    assert status_badge(dutch) == "Status: Status onbekend (laatst bekend: werft deelnemers, laatst bevestigd mei 2010)"
    assert "Het register weet niet meer of deze studie nog loopt" in dutch
    # A known status reads as before.
    assert status_badge(client.get("/trials/NCT06857773").text) == "Status: Recruiting"


def test_an_unknown_status_says_what_it_last_was_in_search_results(client):
    response = client.get("/trials", params={"status": "UNKNOWN"})
    assert set(hit_ids(response.text)) == {STALE, "NCT00463359"}
    assert status_badge(response.text, STALE) == "Status: Status unknown (last known: recruiting, last verified May 2010)"
    assert (
        status_badge(response.text, "NCT00463359")
        == "Status: Status unknown (last known: not yet recruiting, last verified April 2007)"
    )
    dutch = client.get("/trials", params={"status": "UNKNOWN"}, headers=DUTCH).text
    assert status_badge(dutch, "NCT00463359") == "Status: Status onbekend (laatst bekend: werft nog niet, laatst bevestigd april 2007)"
