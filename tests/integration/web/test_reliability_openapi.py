"""The JSON API answers as its OpenAPI document says, checked by schemathesis over every operation: generated
requests (valid and invalid) against the app in process, on a real catalogue, with the response checks on (no
server error, a documented status code, the documented content type and headers, a body that matches the
documented schema) and the request checks too (invalid input refused, valid input accepted, unsupported methods
answered 405 with Allow).

The number of examples is bounded so that this takes seconds; `bench/api_conformance.py` runs the same checks
against a real server with many more (see docs/TESTING.md).
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import psycopg
import pytest
from conftest import FIXTURES, POSTGRES_URL, _postgres_or_skip
from support.api_conformance import run_against_app

from trialfinder.actions.catalogue import prepare_database
from trialfinder.actions.importing import import_path
from trialfinder.geo.gazetteer import SiteGeocoder
from trialfinder.settings import Settings
from trialfinder.storage.database import Database
from trialfinder.web.app import create_app
from web.conftest import REFERENCE

EXAMPLES = 20  # per operation and phase: a few hundred cases in all
SEED = 14  # the same cases on every run; the bench varies it


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def api_app(request, tmp_path, gazetteer_cache):
    """The site over the fixture catalogue (API v2 and legacy XML records), on each engine."""
    schema_name = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'catalogue.db'}"
    else:
        _postgres_or_skip()
        schema_name = f"test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema_name}")
        url = f"{POSTGRES_URL}?options={quote(f'-csearch_path={schema_name}')}"
    database = Database(url)
    prepare_database(database=database)
    for source in (FIXTURES / "ctgov_v2", FIXTURES / "ctgov_xml"):
        import_path(database=database, path=source, geocode=SiteGeocoder(gazetteer_cache))
    # Schemathesis sends hundreds of matches from one client: the rate limit (a 429 it would count as wrong) is off.
    settings = Settings(data_dir=tmp_path / "data", cache_dir=gazetteer_cache, database_url=url, matches_per_client=0)
    yield create_app(settings, database)
    database.close()
    if schema_name:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema_name} CASCADE")


@pytest.mark.slow
def test_every_answer_is_as_documented(api_app):
    report = run_against_app(api_app, max_examples=EXAMPLES, seed=SEED)
    print(report.summary())
    assert not report.errors, report.errors
    assert not report.failures, "\n".join(report.failures)
    assert report.server_errors == 0
    # Every operation but GET /api/openapi.json, which schemathesis leaves out as the document it reads.
    assert len(report.operations) == 6, report.operations
    assert report.cases > 500


# The disagreements schemathesis found, each pinned down by a test of its own.


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path.replace("{nct_id}", REFERENCE), method, operation


def test_a_query_string_too_long_is_a_documented_414_on_every_operation(client):
    document = client.get("/api/openapi.json").json()
    for path, method, operation in operations(document):
        response = client.request(method.upper(), path, params={"q": "x" * 2_001})
        assert response.status_code == 414, path
        assert response.headers["content-type"] == "application/json"
        assert response.json()["error"]["message"]
        assert "414" in operation["responses"], (method, path)


def test_lang_is_documented_as_the_server_reads_it(client):
    """Any value is accepted (and ignored unless it is a language of the site), as on the pages."""
    document = client.get("/api/openapi.json").json()
    for path, _, operation in operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["name"] == "lang":
                assert "enum" not in parameter["schema"], path
                response = client.get(path, params={"lang": "xx", "q": "Paris"})
                assert response.status_code == 200, path


def test_an_empty_value_is_documented_as_not_given(client):
    """The API reads the page's query strings, where an empty field is not given: each schema allows it."""
    import jsonschema_rs  # schemathesis's validator

    document = client.get("/api/openapi.json").json()
    parameters = document["paths"]["/api/trials"]["get"]["parameters"]
    for parameter in parameters:
        value = [""] if parameter["schema"].get("type") == "array" else ""
        assert jsonschema_rs.is_valid(parameter["schema"], value), parameter["name"]
        assert client.get("/api/trials", params={parameter["name"]: ""}).status_code == 200, parameter["name"]


def test_more_values_than_documented_are_refused_even_when_some_are_empty(client):
    parameters = client.get("/api/openapi.json").json()["paths"]["/api/trials"]["get"]["parameters"]
    assert next(p for p in parameters if p["name"] == "status")["schema"]["maxItems"] == 20
    response = client.get("/api/trials", params=[("status", "RECRUITING")] * 20 + [("status", "")])
    assert response.status_code == 400 and response.json()["error"]["field"] == "status"
    assert client.get("/api/trials", params=[("status", "RECRUITING")] * 20).status_code == 200


@pytest.mark.parametrize("path", ["/api/trials", f"/api/trials/{REFERENCE}"])
def test_a_position_out_of_bounds_is_refused_beside_a_typed_place_too(client, path):
    """A typed place wins over `lat`/`lon`, but a value beyond the documented bounds is still a mistake."""
    response = client.get(path, params={"location": "Amsterdam", "lat": "4.48e16", "lon": "4.9"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "lat"
    response = client.get(path, params={"location": "Amsterdam", "lat": "52.4", "lon": "181"})
    assert response.status_code == 400 and response.json()["error"]["field"] == "lon"
    assert client.get(path, params={"location": "Amsterdam", "lat": "52.4"}).status_code == 200
