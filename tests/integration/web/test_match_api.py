"""Trials for me as JSON (issue #18): `POST /api/match` on the test catalogue (both databases). A description or a
FHIR Bundle finds the reference trial NCT06857773 with its criteria counted and the facts' spans pointing into the
text sent; each mistake is a 400 naming its field; nothing sent is logged or stored."""

from __future__ import annotations

import copy
import json
import logging
from datetime import date, timedelta

import pytest
from conftest import FIXTURES
from support.fhir import colon_cancer_bundle

from .conftest import COMPLETED_NEARBY, REFERENCE, UTRECHT_COPY, derived_record, write_records

DESCRIPTION = "62-year-old man with colorectal cancer and liver metastases, ECOG 1, after FOLFOX."
RECENT = (date.today() - timedelta(days=3)).isoformat()
HB_LOW = {"lab:hemoglobin:value": "5.2", "lab:hemoglobin:unit": "mmol/L", "lab_date": RECENT}
WOMEN_ONLY = "NCT09000003"
BUNDLE = json.loads((FIXTURES / "patients" / "TrialMatching_Patient02.json").read_text())


def matched(client, **body) -> dict:
    response = client.post("/api/match", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def result(data: dict, nct: str) -> dict:
    return next(item for item in data["results"] if item["nct_id"] == nct)


def ids(data: dict) -> list[str]:
    return [item["nct_id"] for item in data["results"]]


def test_a_description_finds_the_reference_trial_with_its_counts(client):
    response = client.post("/api/match", json={"text": DESCRIPTION})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    data = response.json()
    assert REFERENCE in ids(data)[:3]
    trial = result(data, REFERENCE)
    assert trial["title"].startswith("Induction Treatment for Initially Unresectable Colorectal Liver Metastases")
    assert (trial["status"], trial["url"], trial["nearest_site"]) == ("RECRUITING", f"/trials/{REFERENCE}", None)
    # Age, the cancer and its spread to the liver are criteria the description settles; nothing rules him out.
    assert trial["criteria"]["met"] >= 3 and trial["criteria"]["not_met"] == 0 and trial["criteria"]["unknown"] > 0
    assert trial["not_met_because"] == [] and trial["ask"]
    scores = [item["score"] for item in data["results"]]
    assert scores == sorted(scores, reverse=True)
    assert {"Colorectal Neoplasms", "Liver Neoplasms"} <= set(data["searched"])
    assert data["statuses"] == ["RECRUITING", "NOT_YET_RECRUITING"] and data["near"] is None
    assert data["problems"] == [] and data["candidates"] >= len(data["results"])


def test_every_fact_points_at_its_words_in_the_text(client):
    data = matched(client, text=DESCRIPTION)
    for fact in data["facts"]:
        start, end = fact["span"]
        assert DESCRIPTION[start:end] == fact["text"], fact
    by_kind = {fact["kind"]: fact for fact in data["facts"]}
    assert by_kind["age"]["text"] == "62-year-old" and by_kind["age"]["years"] == 62
    assert by_kind["sex"]["sex"] == "male"
    assert by_kind["metastasis"]["text"] == "liver metastases" and by_kind["metastasis"]["site"] == "liver"
    assert by_kind["performance"]["value"] == 1
    conditions = {fact["text"] for fact in data["facts"] if fact["kind"] == "condition"}
    assert "colorectal cancer" in conditions


def test_a_criterion_not_met_says_which_and_ranks_lower(client):
    well = result(matched(client, text=DESCRIPTION), REFERENCE)
    poorly = result(matched(client, text=DESCRIPTION.replace("ECOG 1", "ECOG 3")), REFERENCE)
    assert poorly["criteria"]["not_met"] == 1
    assert any("ECOG" in text for text in poorly["not_met_because"])
    assert poorly["score"] < well["score"]


def test_answers_kept_from_could_i_take_part_count(client):
    trial = result(matched(client, text=DESCRIPTION, answers=HB_LOW), REFERENCE)
    assert trial["criteria"]["not_met"] >= 1
    # The haemoglobin is one of the "laboratory requirements" the trial lists under one criterion: its own line is
    # what is named, as on the page.
    assert any(text.startswith("Hb") for text in trial["not_met_because"])
    assert not any(text.startswith("Laboratory requirements") for text in trial["not_met_because"])
    # Answers to another trial's questions are ignored.
    other = result(matched(client, text=DESCRIPTION, answers={"unknown-field": "yes"}), REFERENCE)
    assert other["criteria"]["not_met"] == 0


def test_near_a_place_gives_the_nearest_open_site(client):
    data = matched(client, text=DESCRIPTION, near="Utrecht", radius_km=30)
    assert data["near"]["label"].startswith("Utrecht") and data["near"]["radius_km"] == 30
    # Within 30 km of Utrecht: only the copy with its one site there (Amsterdam is about 35 km away).
    assert ids(data) == [UTRECHT_COPY]
    site = data["results"][0]["nearest_site"]
    assert site["city"] == "Utrecht" and site["distance_km"] < 5
    wider = matched(client, text=DESCRIPTION, near="Utrecht", radius_km=100)
    assert {REFERENCE, UTRECHT_COPY} <= set(ids(wider))
    assert COMPLETED_NEARBY not in ids(wider)  # its Amsterdam site is completed, Paris is too far


def test_statuses_and_limit_are_applied(client):
    assert ids(matched(client, text=DESCRIPTION, limit=1)) == ids(matched(client, text=DESCRIPTION))[:1]
    completed = matched(client, text=DESCRIPTION, status=["COMPLETED"])
    assert completed["statuses"] == ["COMPLETED"] and REFERENCE not in ids(completed)


def test_a_person_too_young_is_not_offered_adult_trials(client):
    assert REFERENCE in ids(matched(client, text="80-year-old man with colon cancer and liver metastases"))
    young = matched(client, text="15-year-old boy with colorectal cancer and liver metastases")
    assert not {REFERENCE, UTRECHT_COPY} & set(ids(young))
    # NCT03745326 takes people up to 72.
    assert "NCT03745326" in ids(matched(client, text=DESCRIPTION))
    assert "NCT03745326" not in ids(matched(client, text=DESCRIPTION.replace("62", "80")))


def test_a_trial_for_women_only_is_not_offered_to_a_man(client, import_records, tmp_path):
    record = derived_record(WOMEN_ONLY, title="Liver-directed therapy for women with colorectal liver metastases")
    record["protocolSection"]["eligibilityModule"]["sex"] = "FEMALE"
    import_records(write_records(tmp_path / "women", [record]))
    assert WOMEN_ONLY not in ids(matched(client, text=DESCRIPTION, limit=50))
    woman = DESCRIPTION.replace("man", "woman")
    assert WOMEN_ONLY in ids(matched(client, text=woman, limit=50))


def test_a_fhir_bundle_is_matched(client):
    data = matched(client, fhir=colon_cancer_bundle())
    # The reference trial and its two copies; over 72, not the gastrointestinal trial NCT03745326, which stops there.
    assert set(ids(data)) == {REFERENCE, UTRECHT_COPY, COMPLETED_NEARBY}
    assert data["facts"] == [] and data["problems"] == [] and "Colon" in " ".join(data["searched"])
    assert result(data, REFERENCE)["criteria"]["met"] >= 1


def test_a_real_mcode_bundle_is_read(client):
    """A breast cancer patient with bone metastases (MITRE's test bundle): no trial of the catalogue is about that."""
    data = matched(client, fhir=BUNDLE)
    assert {"Breast Neoplasms", "Bone Neoplasms"} <= set(data["searched"])
    assert data["facts"] == [] and REFERENCE not in ids(data)


def test_a_dutch_description_is_read_in_dutch(client):
    data = matched(client, text="Man van 62 met darmkanker en uitzaaiingen in de lever.", language="nl")
    assert REFERENCE in ids(data)
    assert "Colorectal Neoplasms" in data["searched"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": ""}, "text"),
        ({"text": "   \n "}, "text"),
        ({}, "text"),
        ({"text": DESCRIPTION, "fhir": BUNDLE}, "text"),
        ({"fhir": {"resourceType": "Bundle"}}, "fhir"),
        ({"fhir": {"resourceType": "Bundle", "entry": [{"fullUrl": "x"}]}}, "fhir"),
        ({"fhir": "a bundle"}, "fhir"),
        ({"text": 62}, "text"),
        ({"text": DESCRIPTION, "facts": []}, "facts"),
        ({"text": DESCRIPTION, "radius_km": 0}, "radius_km"),
        ({"text": DESCRIPTION, "radius_km": 2_001}, "radius_km"),
        ({"text": DESCRIPTION, "radius_km": "50"}, "radius_km"),
        ({"text": DESCRIPTION, "near": "Qwzxyvillebergen"}, "near"),
        ({"text": DESCRIPTION, "near": ""}, "near"),
        ({"text": DESCRIPTION, "language": "de"}, "language"),
        ({"text": DESCRIPTION, "status": []}, "status"),
        ({"text": DESCRIPTION, "status": ["recruiting"]}, "status"),
        ({"text": DESCRIPTION, "limit": 0}, "limit"),
        ({"text": DESCRIPTION, "limit": 51}, "limit"),
        ({"text": DESCRIPTION, "limit": 2.5}, "limit"),
        ({"text": DESCRIPTION, "answers": {"sex": True}}, "answers"),
        ({"text": DESCRIPTION, "answers": ["yes"]}, "answers"),
    ],
)
def test_mistakes_are_400s_that_name_the_field(client, body, field):
    response = client.post("/api/match", json=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["field"] == field and error["message"]


def test_a_body_that_is_not_a_json_object_is_a_400(client):
    bad = client.post("/api/match", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["error"]["message"] == "The request body is not JSON."
    assert client.post("/api/match", json=[DESCRIPTION]).status_code == 400
    assert client.post("/api/match").json()["error"]["field"] == "text"  # no body: nothing to match on
    assert client.get("/api/match").status_code == 405


def test_a_body_over_the_limit_is_a_413(client):
    response = client.post("/api/match", content=b'{"text": "' + b"a" * (2 * 1024 * 1024) + b'"}')
    assert response.status_code == 413 and response.json()["error"]["message"]


def test_the_route_and_its_refusals_are_documented(client):
    operation = client.get("/api/openapi.json").json()["paths"]["/api/match"]["post"]
    assert {"200", "400", "413"} <= set(operation["responses"])
    schemas = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert set(schemas["MatchRequest"]["properties"]) == {
        "text", "fhir", "near", "radius_km", "language", "status", "limit", "answers",
    }  # fmt: skip
    assert set(schemas["TrialMatch"]["required"]) == set(result(matched(client, text=DESCRIPTION), REFERENCE))


def test_nothing_sent_is_logged_or_stored(client, catalogue, caplog):
    caplog.set_level(logging.DEBUG)
    text = "Mrs Jansen-Vermeulen, 67, colorectal cancer with liver metastases, haemoglobin 5.4 mmol/L."
    response = client.post(
        "/api/match", json={"text": text, "near": "Utrecht", "answers": {"lab:hemoglobin:value": "4.321"}}
    )
    assert response.status_code == 200
    mistaken = client.post("/api/match", json={"text": text, "near": "Qwzxyvillebergen"})
    assert mistaken.status_code == 400
    bundle = copy.deepcopy(BUNDLE)
    client.post("/api/match", json={"fhir": bundle})
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("trialfinder"))
    assert "POST /api/match 200" in logged and "POST /api/match 400" in logged
    for typed in ("Jansen", "5.4", "4.321", "Utrecht", "Qwzxyville", "colorectal", "haemoglobin", "Breast"):
        assert typed not in logged, typed
    if catalogue.dialect == "sqlite":  # nothing of it reached the database file or its journal
        path = catalogue.url.path
        stored = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
        assert b"Jansen-Vermeulen" not in stored and b"4.321" not in stored
