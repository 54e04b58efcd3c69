"""A trial with very many sites (the registry allows 50,000) is shown 50 sites at a time: the trial page pages them
with plain links (no JavaScript needed), and the contact form's site chooser lists the 50 nearest, not all of them.
Before, the page rendered every site in the chooser (4 MB for 50,000 sites) and `?sites=all` every site in the list
(22 MB, 5.5 s; bench/limits.py)."""

from __future__ import annotations

import pytest

from .conftest import derived_record, write_records
from .pages import parse

MANY = "NCT08300001"
COUNT = 120


@pytest.fixture
def many_sites(client, import_records, tmp_path):
    sites = [
        {"facility": f"Hospital {n}", "status": "RECRUITING", "city": "Utrecht", "country": "Netherlands",
         "geoPoint": {"lat": 52.09083 + n / 1000, "lon": 5.12222},
         "contacts": [{"name": f"Nurse {n}", "role": "CONTACT", "email": f"site{n}@example.org"}]}
        for n in range(COUNT)
    ]  # fmt: skip
    import_records(write_records(tmp_path / "many", [derived_record(MANY, sites=sites)]))
    return client


def _page(client, **params):
    response = client.get(f"/trials/{MANY}", params=params)
    assert response.status_code == 200
    return parse(response.text)


def _listed(page) -> list[str]:
    return [item.find("strong").text() for item in page.by_id("sites").find("ol", cls="sites").find_all("li")]


def test_the_sites_come_fifty_to_a_page_with_links_to_the_others(many_sites):
    page = _page(many_sites, location="Utrecht")
    assert _listed(page) == [f"Hospital {n}" for n in range(50)]  # the nearest first
    assert page.by_id("sites-range").text() == "Sites 1–50 of 120"
    nav = page.by_id("sites").find("nav", cls="pagination")
    assert nav.attrs["aria-label"] == "Pages of study sites"
    hrefs = [link.attrs["href"] for link in nav.find_all("a")]
    assert f"/trials/{MANY}?location=Utrecht&sites_page=3#sites" in hrefs
    assert nav.find("a", rel="next").attrs["href"] == f"/trials/{MANY}?location=Utrecht&sites_page=2#sites"

    last = _page(many_sites, location="Utrecht", sites_page="3")
    assert _listed(last) == [f"Hospital {n}" for n in range(100, 120)]
    assert last.by_id("sites").find("ol", cls="sites").attrs["start"] == "101"
    assert last.by_id("sites-range").text() == "Sites 101–120 of 120"
    assert last.by_id("sites").find("a", rel="prev").attrs["href"] == f"/trials/{MANY}?location=Utrecht&sites_page=2#sites"

    # Every site at once is no longer on offer; a page out of range is the nearest one.
    assert len(_listed(_page(many_sites, sites="all"))) == 50
    assert _listed(_page(many_sites, location="Utrecht", sites_page="999"))[0] == "Hospital 100"
    assert _listed(_page(many_sites, location="Utrecht", sites_page="x"))[0] == "Hospital 0"


def test_the_contact_forms_chooser_lists_the_fifty_nearest_sites(many_sites):
    hints = {
        f"/trials/{MANY}?location=Utrecht": "The list shows the 50 sites nearest to where you live, of 120.",
        f"/trials/{MANY}/contact": "The list shows 50 of the 120 sites; enter where you live and choose “Find the"
        " nearest site” to list the nearest.",
    }
    for path, expected in hints.items():
        page = parse(many_sites.get(path).text)
        chooser = page.find("select", name="site")
        options = [option.text() for option in chooser.find_all("option")]
        assert len(options) == 51  # "Nearest to where I live" and 50 sites
        assert options[1].startswith("Hospital 0")
        hint = page.by_id(chooser.attrs["aria-describedby"].split()[0]).text()  # read out with the chooser
        assert hint.endswith(expected), hint


def test_the_pages_of_sites_in_dutch(many_sites):
    page = _page(many_sites, lang="nl")
    assert page.by_id("sites-range").text() == "Locaties 1–50 van 120"
    assert page.by_id("sites").find("nav", cls="pagination").attrs["aria-label"] == "Pagina’s met onderzoekslocaties"


@pytest.fixture
def more_than_a_page_of_sites(client, import_records, tmp_path):
    sites = [
        {"facility": f"Clinic {n}", "status": "RECRUITING", "city": "Utrecht", "country": "Netherlands",
         "geoPoint": {"lat": 52.09083 + n / 10000, "lon": 5.12222}}
        for n in range(620)
    ]  # fmt: skip
    import_records(write_records(tmp_path / "api-many", [derived_record(MANY, sites=sites)]))
    return client


def test_the_api_gives_a_trials_sites_five_hundred_to_a_page(more_than_a_page_of_sites):
    client = more_than_a_page_of_sites
    first = client.get(f"/api/trials/{MANY}", params={"location": "Utrecht"}).json()
    assert (first["site_count"], first["sites_page"], first["sites_pages"]) == (620, 1, 2)
    assert [site["facility"] for site in first["sites"]] == [f"Clinic {n}" for n in range(500)]  # nearest first
    second = client.get(f"/api/trials/{MANY}", params={"location": "Utrecht", "sites_page": "2"}).json()
    assert [site["facility"] for site in second["sites"]] == [f"Clinic {n}" for n in range(500, 620)]
    # Past the last page: the last; not a page number: a 400 that names the parameter.
    assert client.get(f"/api/trials/{MANY}", params={"sites_page": "7"}).json()["sites_page"] == 2
    for wrong in ("0", "x", "1001"):
        refused = client.get(f"/api/trials/{MANY}", params={"sites_page": wrong})
        assert refused.status_code == 400 and refused.json()["error"]["field"] == "sites_page"
