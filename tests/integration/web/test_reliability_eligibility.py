"""Issue #14, item 5, on the site and in the API: an upper limit of normal of 0 (or one that is not a number) is a
mistake shown beside its field or an open criterion, never a server error (both databases)."""

from __future__ import annotations

import json
from datetime import date, timedelta

from .conftest import REFERENCE
from .pages import parse

RECENT = (date.today() - timedelta(days=3)).isoformat()
AST_ULN_0 = {"lab:ast:value": "30", "lab:ast:unit": "U/L", "lab:ast:uln": "0", "lab_date": RECENT}


def ast_observation(reference_high: str) -> str:
    """A Bundle with one AST result whose upper limit of normal is written as `reference_high` (raw JSON)."""
    observation = {
        "resourceType": "Observation",
        "id": "ast",
        "code": {"coding": [{"system": "http://loinc.org", "code": "1920-8"}]},
        "effectiveDateTime": RECENT,
        "valueQuantity": {"value": 30, "code": "U/L"},
        "referenceRange": [{"high": {"value": "HIGH", "code": "U/L"}}],
    }
    bundle = {"resourceType": "Bundle", "entry": [{"resource": observation}]}
    return json.dumps(bundle).replace('"HIGH"', reference_high)


def test_an_upper_limit_of_0_on_the_form_comes_back_beside_its_field(client):
    response = client.post(f"/trials/{REFERENCE}/eligibility", data={**AST_ULN_0, "action": "assess"})
    assert response.status_code == 400
    page = parse(response.text)
    field = page.find("input", name="lab:ast:uln")
    assert field.attrs["value"] == "0" and field.attrs["aria-invalid"] == "true"
    assert "above 0" in page.find(cls="error-summary").text()


def test_an_upper_limit_of_0_in_the_api_answers_is_a_bad_request_naming_the_field(client):
    response = client.post(f"/api/trials/{REFERENCE}/eligibility", json={"answers": AST_ULN_0})
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "answers.lab:ast:uln"


def test_an_impossible_upper_limit_in_a_fhir_bundle_leaves_the_criterion_open(client):
    for written in ("0", "-40", "NaN", "Infinity"):
        response = client.post(
            f"/api/trials/{REFERENCE}/eligibility",
            content=ast_observation(written).encode(),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 200, written
        data = response.json()
        labs = next(c for c in data["criteria"] if c["id"] == "inc-13")
        ast = next(c for c in labs["children"] if c["id"] == "inc-13-5")
        assert ast["verdict"] == "unknown" and "upper limit of normal" in ast["reason"], written
