"""Hostile JSON bodies to the API answer a clear 400, never a 500: nesting deeper than any real request needs
(a FHIR Bundle nests about ten levels) is refused whether or not Python's parser could follow it."""

from __future__ import annotations

import pytest

from web.conftest import REFERENCE

ASSESS = f"/api/trials/{REFERENCE}/eligibility"


def post_json(client, text: str):
    return client.post(ASSESS, content=text.encode(), headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    "body",
    [
        "[" * 100_000 + "]" * 100_000,  # past the parser's recursion limit
        '{"a":' * 100_000 + "1" + "}" * 100_000,
        # inside a Bundle, deep enough for the parser but not for anything that walks it
        '{"fhir": {"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Observation", "code": '
        + "[" * 900
        + "]" * 900
        + "}}]}}",
    ],
    ids=["arrays-100000", "objects-100000", "bundle-900"],
)
def test_deeply_nested_json_is_a_400_that_says_so(client, body):
    response = post_json(client, body)
    assert response.status_code == 400, response.text[:200]
    assert response.json() == {
        "error": {"field": None, "message": "The request body is nested more than 64 levels deep."}
    }


def test_nesting_a_real_request_needs_is_assessed(client):
    """A Bundle with a lab value nests eight levels: well within the limit."""
    bundle = (
        '{"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Observation",'
        ' "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},'
        ' "valueQuantity": {"value": 7.1, "unit": "mmol/L"}}}]}'
    )
    response = post_json(client, bundle)
    assert response.status_code == 200, response.text[:200]
    assert response.json()["nct_id"] == REFERENCE


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"today": ""}, "today"),
        ({"today": None}, "today"),
        ({"today": "20261124"}, "today"),  # a date Python reads, but not the documented YYYY-MM-DD
        ({"language": ""}, "language"),
        ({"language": None}, "language"),
        ({"answers": None}, "answers"),
        ({"answers": {"lab_date": True}}, "answers"),
        ({"fhir": "a bundle as text"}, "fhir"),
        ({"fhir": None}, "fhir"),
    ],
    ids=repr,
)
def test_a_field_given_with_another_type_than_documented_is_refused(client, body, field):
    """What schemathesis found: these were assessed (as if the field were not given) though the document says
    `today` is a date, `language` en or nl, `answers` an object of strings and numbers and `fhir` an object."""
    response = client.post(ASSESS, json=body)
    assert response.status_code == 400, response.text[:200]
    assert response.json()["error"]["field"] == field
