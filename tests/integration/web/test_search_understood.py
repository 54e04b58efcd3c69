"""The search page and the JSON API say how the words were read, and let the person turn the reading off
(issue #17); a trial number typed in the box opens that trial."""

from __future__ import annotations

from web.conftest import REFERENCE
from web.pages import hit_ids, parse


def test_the_page_says_how_the_words_were_read_and_offers_the_words_as_typed(client):
    html = client.get("/trials", params={"condition": "colorectal cancer"}).text
    assert REFERENCE in hit_ids(html)[:3]
    understood = parse(html).find("div", cls="understood")
    assert understood is not None
    assert "also searching Colorectal Neoplasms" in understood.text()
    switch = understood.find("a")
    assert "expand=no" in switch.attrs["href"]
    as_typed = client.get(switch.attrs["href"]).text
    assert REFERENCE not in hit_ids(as_typed)
    page = parse(as_typed)
    # The form keeps the choice when the person searches again, and offers to turn the reading back on.
    assert page.find("input", type="hidden", name="expand").attrs["value"] == "no"
    assert "Also search synonyms" in page.find("p", cls="understood").text()


def test_a_dutch_page_reads_dutch_words(client):
    html = client.get("/trials", params={"q": "darmkanker uitzaaiingen lever", "lang": "nl"}).text
    assert REFERENCE in hit_ids(html)[:3]


def test_a_trial_number_in_the_box_opens_the_trial_or_lists_the_trials_that_carry_it(client):
    for typed in ("nct06857773", "NCT 06857773"):
        response = client.get("/trials", params={"q": typed}, follow_redirects=False)
        assert response.status_code == 303, typed
        assert response.headers["location"] == f"/trials/{REFERENCE}"
    # The catalogue's copies of the reference record carry its EU CT number too: they are listed, in every status.
    listed = client.get("/trials", params={"q": "2023-506194-35-00"}, follow_redirects=False)
    assert listed.status_code == 200
    assert REFERENCE in hit_ids(listed.text)
    assert "Trial numbers are looked up in every status." in listed.text


def test_the_api_carries_the_same_reading_and_the_switch(client):
    body = client.get("/api/trials", params={"condition": "colorectal cancer"}).json()
    assert REFERENCE in [hit["nct_id"] for hit in body["hits"]][:3]
    understood = body["understood"]
    assert understood["expand"] is True
    assert {"D015179"} <= {line["concept"] for line in understood["concepts"]}
    off = client.get("/api/trials", params={"condition": "colorectal cancer", "expand": "false"}).json()
    assert off["understood"] == {"expand": False, "concepts": [], "identifiers": []}
    assert REFERENCE not in [hit["nct_id"] for hit in off["hits"]]
    by_number = client.get("/api/trials", params={"q": "nct 06857773"}).json()
    assert [hit["nct_id"] for hit in by_number["hits"]] == [REFERENCE]
    assert by_number["understood"]["identifiers"] == [REFERENCE]


def test_bad_syntax_is_never_an_error_page(client):
    for typed in ('"unclosed', "OR", "-", "colorectal OR", "--x", '""', "( ) * ^ :", "NOT AND NEAR", "-colorectal"):
        assert client.get("/trials", params={"q": typed}).status_code == 200, typed
        assert client.get("/api/trials", params={"q": typed}).status_code == 200, typed
