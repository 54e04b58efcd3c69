"""When PostgreSQL cannot be reached, or goes away while the site runs, a page answers a clear 503 page (the API a
503 JSON error), never a stack trace nor a generic 500; the log says the database is unreachable, and never what a
person typed."""

from __future__ import annotations

import logging
import re
import uuid

import psycopg
import pytest
from conftest import FIXTURES, POSTGRES_URL, _postgres_or_skip
from support.smtp_server import free_port

from trialfinder.actions.catalogue import prepare_database
from trialfinder.actions.importing import import_path
from trialfinder.geo.gazetteer import SiteGeocoder
from trialfinder.storage.database import Database
from web.conftest import REFERENCE, make_client
from web.pages import parse
from web.test_security import assert_security_headers, server_log

pytestmark = pytest.mark.postgres

PAGES = [
    "/trials?q=myprivatecondition&age=47",
    f"/trials/{REFERENCE}?age=47",
    f"/trials/{REFERENCE}/eligibility",
]
API = [
    "/api/trials?q=myprivatecondition",
    f"/api/trials/{REFERENCE}",
    f"/api/trials/{REFERENCE}/eligibility/questions",
]


def assert_unavailable(client, caplog) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["retry-after"] == "60"
        assert_security_headers(response)
        page = parse(response.text)
        assert page.find("h1").text() == "The trial catalogue cannot be reached right now", path
        assert "Traceback" not in response.text and "psycopg" not in response.text
        assert "postgresql" not in response.text  # the database's address is the operator's business
    for path in API:
        response = client.get(path)
        assert response.status_code == 503, path
        assert response.headers["content-type"] == "application/json"
        assert response.headers["retry-after"] == "60"
        error = response.json()["error"]
        assert error["field"] is None and "cannot be reached" in error["message"]
    posted = client.post(f"/api/trials/{REFERENCE}/eligibility", json={"answers": {}})
    assert posted.status_code == 503 and "cannot be reached" in posted.json()["error"]["message"]
    dutch = client.get(f"/trials/{REFERENCE}?lang=nl")  # the language is remembered from here on
    assert dutch.status_code == 503
    assert parse(dutch.text).find("h1").text() == "De catalogus van studies is nu niet bereikbaar"
    logged = server_log(caplog)
    assert re.search(r"the database is unreachable: .* \(GET /trials\)", logged)
    assert "internal error" not in logged
    for private in ("myprivatecondition", "age=47", "secret-pass"):
        assert private not in logged


def test_nothing_listening_is_a_503_page_and_a_503_json_error(gazetteer_cache, tmp_path, caplog):
    caplog.set_level(logging.INFO)
    unreachable = Database(f"postgresql://postgres:secret-pass@127.0.0.1:{free_port()}/catalogue")
    with make_client(unreachable, gazetteer_cache, tmp_path) as client:
        assert client.get("/faq").status_code == 200  # what needs no catalogue still works
        assert_unavailable(client, caplog)


@pytest.fixture
def scratch_database(gazetteer_cache):
    """A catalogue in a database of its own, which the test drops while the site uses it."""
    _postgres_or_skip()
    name = f"tf_web_lost_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    database = Database(POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}")
    prepare_database(database=database)
    import_path(database=database, path=FIXTURES / "ctgov_v2", geocode=SiteGeocoder(gazetteer_cache))
    yield name, database
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def test_a_database_lost_while_serving_is_a_503(scratch_database, gazetteer_cache, tmp_path, caplog):
    name, database = scratch_database
    caplog.set_level(logging.INFO)
    with make_client(database, gazetteer_cache, tmp_path) as client:
        assert client.get(f"/trials/{REFERENCE}").status_code == 200
        assert client.get("/api/trials?q=cancer").status_code == 200
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")
        assert_unavailable(client, caplog)
