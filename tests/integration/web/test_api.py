"""The JSON API: the twin of the pages, with the same parameters, bounds and results; and its OpenAPI document."""

from __future__ import annotations

import pytest
from starlette.routing import Route

from web.conftest import COMPLETED_NEARBY, REFERENCE, UTRECHT_COPY
from web.pages import hit_ids


def test_search_returns_the_same_hits_as_the_page(client):
    params = {"location": "Haarlem", "radius": "100", "sort": "distance"}
    body = client.get("/api/trials", params=params).json()
    assert body["total"] == 2 and body["page"] == 1 and body["pages"] == 1
    assert [hit["nct_id"] for hit in body["hits"]] == hit_ids(client.get("/trials", params=params).text)
    first = body["hits"][0]
    assert first["nct_id"] == REFERENCE
    assert first["nearest_site"]["facility"] == "The Netherlands Cancer Institute"
    assert first["nearest_site"]["status"] == "RECRUITING"
    assert first["nearest_site"]["distance_km"] == pytest.approx(12.91, abs=0.01)  # from Haarlem to 1066 CX
    assert body["hits"][1]["nearest_site"]["distance_km"] == pytest.approx(46.18, abs=0.01)
    assert first["status"] == "RECRUITING" and first["phases"] == ["PHASE3"] and first["min_age_years"] == 18
    assert first["url"] == f"/trials/{REFERENCE}"
    assert body["near"]["place"]["name"] == "Haarlem" and body["near"]["radius_km"] == 100


def test_search_filters_and_pages_like_the_page(client):
    body = client.get(
        "/api/trials", params={"status": ["RECRUITING", "COMPLETED", "UNKNOWN"], "page_size": "3", "page": "2"}
    ).json()
    assert body["total"] == 11 and body["pages"] == 4 and len(body["hits"]) == 3 and body["page_size"] == 3
    everything = client.get(
        "/api/trials", params={"status": ["RECRUITING", "COMPLETED", "UNKNOWN"], "page_size": "100"}
    ).json()
    assert [hit["nct_id"] for hit in everything["hits"]][3:6] == [hit["nct_id"] for hit in body["hits"]]
    women = client.get("/api/trials", params={"sex": "female", "status": "WITHDRAWN"}).json()
    assert [hit["nct_id"] for hit in women["hits"]] == ["NCT00005614"]
    assert client.get("/api/trials", params={"sex": "male", "status": "WITHDRAWN"}).json()["total"] == 0


def test_search_errors_are_json_with_the_field(client):
    response = client.get("/api/trials", params={"page_size": "1000"})
    assert response.status_code == 400
    assert response.json() == {"error": {"field": "page_size", "message": "Choose a page size from 1 to 100."}}
    dutch = client.get("/api/trials", params={"age": "-3"}, headers={"Accept-Language": "nl"})
    assert dutch.json()["error"]["field"] == "age"
    assert dutch.json()["error"]["message"].startswith("Vul uw leeftijd in")


def test_a_trial_in_full(client):
    body = client.get(f"/api/trials/{REFERENCE}").json()
    assert body["nct_id"] == REFERENCE
    assert body["acronym"] == "PUMP-IT RCT"
    assert body["overall_status"] == "RECRUITING"
    assert body["eligibility"]["ages"]["minimum"] == {"value": 18, "unit": "YEARS", "years": 18.0}
    assert "Inclusion Criteria:" in body["eligibility"]["criteria"]
    assert body["eu_ct_numbers"] == ["2023-506194-35-00"]
    assert body["registry_url"] == "https://clinicaltrials.gov/study/NCT06857773"
    assert body["last_update"] == "2025-09-16"
    assert [arm["label"] for arm in body["arms"]] == ["HAIP-SYST", "Systemic therapy"]
    site = body["sites"][0]
    assert site["city"] == "Amsterdam" and site["status"] == "RECRUITING" and site["distance_km"] is None


def test_a_trial_with_distances_from_a_place(client):
    body = client.get(f"/api/trials/{COMPLETED_NEARBY}", params={"location": "Amsterdam"}).json()
    assert [(site["city"], site["open"]) for site in body["sites"]] == [("Paris", True), ("Amsterdam", False)]
    assert body["sites"][0]["distance_km"] == pytest.approx(430.6, abs=0.5)
    assert body["sites"][1]["distance_km"] == pytest.approx(5.73, abs=0.01)
    assert body["near"]["place"]["name"] == "Amsterdam"


@pytest.mark.parametrize(
    ("nct", "message"), [("NCT00000000", "There is no trial NCT00000000"), ("NCT1", "not a ClinicalTrials.gov number")]
)
def test_an_unknown_or_malformed_trial_is_a_json_404(client, nct, message):
    response = client.get(f"/api/trials/{nct}")
    assert response.status_code == 404
    assert response.json()["error"]["field"] == "nct_id" and message in response.json()["error"]["message"]


def test_places_suggest_candidates_best_first(client):
    body = client.get("/api/places", params={"q": "Springfield", "limit": "3"}).json()
    assert len(body["places"]) == 3
    assert all(place["name"] == "Springfield" and place["country_code"] == "US" for place in body["places"])
    zip_code = client.get("/api/places", params={"q": "02115"}).json()["places"]
    assert zip_code[0]["kind"] == "postal_code" and zip_code[0]["label"] == "02115 Boston, MA, United States"
    assert client.get("/api/places", params={"q": "Xyzzyville"}).json() == {"places": []}
    missing = client.get("/api/places")
    assert missing.status_code == 400 and missing.json()["error"]["field"] == "q"
    assert client.get("/api/places", params={"q": "x" * 201}).status_code == 400
    assert client.get("/api/places", params={"q": "Paris", "limit": "0"}).json()["error"]["field"] == "limit"


def test_every_api_route_is_described_and_every_described_parameter_is_accepted(client):
    document = client.get("/api/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    routes = {route.path for route in client.app.routes if isinstance(route, Route) and route.path.startswith("/api/")}
    assert routes == set(document["paths"])
    examples: dict[str, dict[str, object]] = {}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            examples[path] = {parameter["name"]: parameter["example"] for parameter in operation.get("parameters", [])}
    for path, operations in document["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    continue
                url = path.replace("{nct_id}", examples[path].get("nct_id", REFERENCE))
                params = {parameter["name"]: parameter["example"]}
                for needed in parameter.get("x-needs", []):
                    params[needed] = examples[path][needed]
                response = client.get(url, params=params)
                assert response.status_code == 200, (path, params, response.text)
                # ... and a value out of its bounds is refused, as documented.
                schema = parameter["schema"]
                if "maximum" in schema:
                    response = client.get(url, params={**params, parameter["name"]: schema["maximum"] * 10 + 1})
                    assert response.status_code == 400, (path, parameter["name"])
                    assert response.json()["error"]["field"] == parameter["name"]


def test_the_document_names_every_search_parameter_the_page_reads(client):
    from trialfinder.web.params import ALL_FIELDS

    document = client.get("/api/openapi.json").json()
    documented = {parameter["name"] for parameter in document["paths"]["/api/trials"]["get"]["parameters"]}
    assert set(ALL_FIELDS) <= documented


def test_the_page_and_the_api_agree_on_the_copy_in_utrecht(client):
    page = hit_ids(client.get("/trials", params={"location": "Utrecht", "radius": "10"}).text)
    api = client.get("/api/trials", params={"location": "Utrecht", "radius": "10"}).json()
    assert page == [hit["nct_id"] for hit in api["hits"]] == [UTRECHT_COPY]
