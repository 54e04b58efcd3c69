"""The search page: every filter and sort, on real records, on both databases."""

from __future__ import annotations

import re

from web.conftest import COMPLETED_NEARBY, REFERENCE, UTRECHT_COPY, derived_record, write_records
from web.pages import hit_ids, parse

RECRUITING_OR_SOON = {
    "NCT03745326",
    "NCT05052671",
    REFERENCE,
    "NCT06898385",
    "NCT00001159",
    "NCT00001184",
    UTRECHT_COPY,
    COMPLETED_NEARBY,
}
EVERY_STATUS = [
    "RECRUITING", "NOT_YET_RECRUITING", "ENROLLING_BY_INVITATION", "ACTIVE_NOT_RECRUITING", "COMPLETED",
    "SUSPENDED", "TERMINATED", "WITHDRAWN", "UNKNOWN",
]  # fmt: skip


def search(client, **params):
    response = client.get("/trials", params=params)
    assert response.status_code == 200
    return response.text


def test_the_first_page_shows_the_form_with_recruiting_trials_chosen(client):
    html = client.get("/").text
    page = parse(html)
    assert "checked" in page.by_id("f-status-RECRUITING").attrs
    assert "checked" in page.by_id("f-status-NOT_YET_RECRUITING").attrs
    assert "checked" not in page.by_id("f-status-COMPLETED").attrs
    assert set(hit_ids(html)) == RECRUITING_OR_SOON
    assert "8 trials found" in page.by_id("results-title").text()
    # Every field has a label.
    for field in page.find_all("input") + page.find_all("select"):
        if field.attrs.get("type") in ("hidden", "submit"):
            continue
        assert page.find("label", for_=field.attrs["id"]) is not None, field.attrs


def test_a_city_typed_finds_the_trial_near_it_with_its_distance(client):
    html = search(client, location="Amsterdam", radius="20")
    assert hit_ids(html) == [REFERENCE]  # Utrecht is 35 km away; the other Amsterdam site has completed
    hit = parse(html).by_id(f"hit-{REFERENCE}").parent
    # The registry places the site at Amsterdam's centre; its postal code (1066 CX) places it in its own part of town.
    assert "Nearest site: The Netherlands Cancer Institute, Amsterdam, Netherlands, 5.7 km away" in hit.text()
    assert "Near Amsterdam, Netherlands, within 20 km." in html


def test_a_person_at_the_sites_own_postal_code_is_told_it_is_less_than_1_km_away(client):
    # Issue #15: "a person at the hospital's own postal code is told it is 5.7 km away"; and not "0 km away".
    hit = parse(search(client, location="1066 CX", radius="20")).by_id(f"hit-{REFERENCE}").parent
    assert "Nearest site: The Netherlands Cancer Institute, Amsterdam, Netherlands, less than 1 km away" in hit.text()
    miles = parse(search(client, location="1066 CX", radius="20", unit="mi")).by_id(f"hit-{REFERENCE}").parent
    assert "Netherlands, less than 1 mi away" in miles.text()
    dutch = parse(search(client, location="1066 CX", radius="20", lang="nl")).by_id(f"hit-{REFERENCE}").parent
    assert "Dichtstbijzijnde locatie: The Netherlands Cancer Institute, Amsterdam, Netherlands, op minder dan 1 km" in (
        dutch.text()
    )


def test_a_position_from_the_browser_finds_the_trial_with_its_distance(client):
    html = search(client, lat="52.35", lon="4.95", radius="20")
    assert hit_ids(html) == [REFERENCE]
    assert "8.9 km away" in parse(html).by_id(f"hit-{REFERENCE}").parent.text()
    assert "Near your location" in html
    miles = search(client, lat="52.35", lon="4.95", radius="20", unit="mi")
    assert "5.6 mi away" in parse(miles).by_id(f"hit-{REFERENCE}").parent.text()


def test_a_trial_whose_only_nearby_site_has_completed_is_not_found_near_it(client):
    assert COMPLETED_NEARBY not in hit_ids(search(client, location="Amsterdam", radius="50"))
    # Its Paris site is recruiting: found near Paris.
    assert hit_ids(search(client, location="Paris", radius="50")) == [COMPLETED_NEARBY]
    # Asking for completed trials too makes the Amsterdam site count.
    html = search(client, location="Amsterdam", radius="50", status=["RECRUITING", "COMPLETED"])
    assert COMPLETED_NEARBY in hit_ids(html)


def test_sort_by_distance_puts_the_nearest_open_site_first(client):
    from_haarlem = search(client, location="Haarlem", radius="100", sort="distance")
    assert hit_ids(from_haarlem) == [REFERENCE, UTRECHT_COPY]
    from_utrecht = search(client, location="Utrecht", radius="100", sort="distance")
    assert hit_ids(from_utrecht) == [UTRECHT_COPY, REFERENCE]
    assert "less than 1 km away" in parse(from_utrecht).by_id(f"hit-{UTRECHT_COPY}").parent.text()


def test_sort_by_distance_without_a_location_is_a_message_beside_the_field(client):
    page = parse(search(client, sort="distance"))
    assert "Sorting by distance needs a location." in page.by_id("f-sort-error").text()
    assert page.by_id("f-sort").attrs.get("aria-invalid") == "true"
    assert "f-sort-error" in page.by_id("f-sort").attrs["aria-describedby"]


def test_sort_by_last_update_puts_the_newest_first(client):
    ids = hit_ids(search(client, sort="last_update", status=EVERY_STATUS))
    # Last updated 24 September 2025, then three on 16 September, then 30 May and 24 February; the XML records
    # are from before 2023.
    assert ids[0] == "NCT03745326"
    assert set(ids[1:4]) == {REFERENCE, UTRECHT_COPY, COMPLETED_NEARBY}
    assert ids[4:6] == ["NCT06898385", "NCT05052671"]
    assert len(ids) == 14


def test_status_filter(client):
    assert hit_ids(search(client, status="COMPLETED")) == ["NCT00000102"]
    assert set(hit_ids(search(client, status=["TERMINATED", "WITHDRAWN"]))) == {
        "NCT00006099",
        "NCT00008216",
        "NCT00005614",
    }


def test_age_filter_includes_and_excludes_by_the_age_range(client):
    child = set(hit_ids(search(client, age="10")))
    assert child == {"NCT00001159", "NCT00001184"}  # 6 months and older; up to 75 years
    eighty = set(hit_ids(search(client, age="80")))
    assert REFERENCE in eighty and "NCT00001159" in eighty
    assert "NCT03745326" not in eighty and "NCT00001184" not in eighty  # up to 72 and 75 years
    # "up to 72 years" admits a person until their 73rd birthday.
    assert "NCT03745326" in hit_ids(search(client, age="72.5"))
    assert "NCT03745326" in hit_ids(search(client, age="72,5"))


def test_sex_filter(client):
    women = set(hit_ids(search(client, sex="female", status=EVERY_STATUS)))
    men = set(hit_ids(search(client, sex="male", status=EVERY_STATUS)))
    assert {"NCT00005614", "NCT00006099"} <= women  # trials of women only
    assert not {"NCT00005614", "NCT00006099"} & men
    assert REFERENCE in women and REFERENCE in men


def test_phase_and_study_type_filters(client):
    assert set(hit_ids(search(client, phase="PHASE3"))) == {REFERENCE, UTRECHT_COPY, COMPLETED_NEARBY}
    phase1 = set(hit_ids(search(client, phase="PHASE1")))
    assert phase1 == {"NCT03745326", "NCT06898385"}  # a phase 1/2 trial is a phase 1 trial too
    observational = set(hit_ids(search(client, type="OBSERVATIONAL")))
    assert observational == {"NCT05052671", "NCT00001159", "NCT00001184"}


def test_healthy_volunteers_filter(client):
    assert hit_ids(search(client, healthy="yes")) == ["NCT00001184"]
    assert set(hit_ids(search(client, healthy="yes", status=EVERY_STATUS))) == {"NCT00001184", "NCT00463359"}


def test_condition_and_intervention_fields(client):
    assert set(hit_ids(search(client, condition="pancreatic"))) == {"NCT03745326", "NCT05052671", "NCT06898385"}
    assert set(hit_ids(search(client, intervention="floxuridine"))) == {REFERENCE, UTRECHT_COPY, COMPLETED_NEARBY}


def test_pagination_and_totals(client, import_records, tmp_path):
    copies = [derived_record(f"NCT0800{n:04d}", title=f"Zebrafish model study {n}") for n in range(25)]
    import_records(write_records(tmp_path / "zebrafish", copies))
    first = search(client, q="zebrafish")
    assert "25 trials found" in first
    assert len(hit_ids(first)) == 20
    nav = parse(first).find("nav", aria_label="Pages of results")
    assert nav is not None
    current = nav.find("a", aria_current="page")
    assert current.text() == "Page 1"
    assert nav.find("a", rel="next").attrs["href"] == "/trials?q=zebrafish&page=2"
    second = search(client, q="zebrafish", page="2")
    assert len(hit_ids(second)) == 5
    assert not set(hit_ids(first)) & set(hit_ids(second))
    assert '<ol class="hits" start="21">' in second
    assert parse(second).find("a", rel="prev").attrs["href"] == "/trials?q=zebrafish"
    beyond = search(client, q="zebrafish", page="7")
    assert "There are no results on this page." in beyond


def test_matched_words_are_marked_and_everything_else_escaped(client, import_records, tmp_path):
    title = "Cancers & <b>bold</b> claims: a precancer study"
    import_records(write_records(tmp_path / "odd", [derived_record("NCT08100001", title=title)]))
    html = search(client, q="cancer")
    heading = re.search(r'<h3 id="hit-NCT08100001"><a [^>]*>(.*?)</a></h3>', html).group(1)
    assert heading == "<mark>Cancers</mark> &amp; &lt;b&gt;bold&lt;/b&gt; claims: a precancer study"
    # Snippets and conditions are marked too, case-insensitively.
    hit = re.search(r'<article aria-labelledby="hit-NCT05052671">(.*?)</article>', html, re.S).group(1)
    assert "<mark>Cancer</mark>" in hit  # the condition "Pancreas Cancer"
    assert "pancreatic <mark>cancer</mark>" in hit  # the snippet


def test_no_results_offers_links_that_widen_the_search(client):
    html = search(client, location="Haarlem", radius="5", phase="PHASE3")
    assert hit_ids(html) == []
    page = parse(html)
    assert "No trials match your search" in page.text()
    links = {a.text(): a.attrs["href"] for a in page.find("ul", cls="suggestions").find_all("a")}
    wider = links["Look further away: within 20 km"]
    assert wider == "/trials?location=Haarlem&phase=PHASE3&radius=20"
    assert hit_ids(client.get(wider).text) == [REFERENCE]
    assert links["Search everywhere, without a location"] == "/trials?phase=PHASE3"
    assert links["Include every phase"] == "/trials?location=Haarlem&radius=5"
    every = links["Include trials of every status, also those that are not recruiting"]
    assert every.count("status=") == 14 and "location=Haarlem" in every and "radius=5" in every
    assert links["Start a new search"] == "/trials"


def test_no_results_for_a_closed_trial_suggests_other_statuses(client):
    html = search(client, condition="adrenal hyperplasia")
    assert hit_ids(html) == []
    every = [
        a.attrs["href"] for a in parse(html).find("ul", cls="suggestions").find_all("a") if "status=" in a.attrs["href"]
    ]
    assert len(every) == 1
    assert hit_ids(client.get(every[0]).text) == ["NCT00000102"]
    drop = parse(html).find("ul", cls="suggestions").find_all("a")
    assert any(a.text() == "Search all conditions, not only “adrenal hyperplasia”" for a in drop)


def test_hits_link_to_the_trial_page_with_the_search(client):
    html = search(client, location="Amsterdam", radius="20")
    link = parse(html).by_id(f"hit-{REFERENCE}").find("a")
    assert link.attrs["href"] == f"/trials/{REFERENCE}?location=Amsterdam&radius=20"
    badges = parse(html).by_id(f"hit-{REFERENCE}").parent.find("ul", cls="badges")
    assert [li.text() for li in badges.find_all("li")] == [
        "Status: Recruiting",
        "Ages: 18 years and older",
        "Sex: All",
        "Phase: Phase 3",
    ]


def test_back_to_the_results_returns_to_the_same_page(client, import_records, tmp_path):
    copies = [derived_record(f"NCT0800{n:04d}", title=f"Zebrafish model study {n}") for n in range(25)]
    import_records(write_records(tmp_path / "zebrafish", copies))
    second = search(client, q="zebrafish", page="2")
    first_hit = hit_ids(second)[0]
    link = parse(second).by_id(f"hit-{first_hit}").find("a").attrs["href"]
    assert link == f"/trials/{first_hit}?q=zebrafish&page=2"
    back = parse(client.get(link).text).find("a", href="/trials?q=zebrafish&page=2")
    assert back is not None and back.text() == "Back to your search results"


def test_after_a_search_the_results_come_before_the_form(client):
    # Issue #15: on a phone the results started 2,700 px down, below the filters.
    html = search(client, q="colorectal")
    assert html.index('id="results-title"') < html.index('id="search-form"')
    jump = parse(html).find("p", cls="to-results").find("a")
    assert (jump.attrs["href"], jump.text()) == ("#search-form", "Change your search")
    dutch = search(client, q="colorectal", lang="nl")
    assert "Uw zoekopdracht aanpassen" in parse(dutch).find("p", cls="to-results").text()
    # The page as first opened, and a search with a mistake, start with the form.
    for first in (client.get("/").text, search(client, age="-3")):
        assert first.index('id="search-form"') < first.index('id="results-title"')


def test_every_page_links_the_site_icon_and_favicon_ico_answers(client):
    # Issue #15: every page logged a 404 for /favicon.ico.
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg")
    for path in ("/", "/faq", "/trials/NCT06857773", "/no-such-page"):
        link = parse(client.get(path).text).find("link", rel="icon")
        assert link is not None and link.attrs["type"] == "image/svg+xml", path
        assert client.get(link.attrs["href"]).content == icon.content
