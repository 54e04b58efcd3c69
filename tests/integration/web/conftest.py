"""The website through Starlette's in-process client, on a catalogue of real fixture records (SQLite and PostgreSQL).

The catalogue: the ClinicalTrials.gov fixtures in tests/fixtures (API v2 and legacy XML), plus a few records
derived from the reference trial NCT06857773 with a new NCT id and changed sites, written to a temporary folder
and imported the same way:

- NCT09000001: its one site in Utrecht, recruiting;
- NCT09000002: a completed site in Amsterdam and a recruiting one in Paris.
"""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path

import pytest
from conftest import FIXTURES

from trialfinder.actions.importing import import_path
from trialfinder.geo.gazetteer import SiteGeocoder
from trialfinder.settings import Settings
from trialfinder.web.app import create_app

with warnings.catch_warnings():
    # Starlette 1.x would rather its test client ran on `httpx2`; the project depends on httpx (see docs/WEB.md).
    from starlette.exceptions import StarletteDeprecationWarning

    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient

REFERENCE = "NCT06857773"
UTRECHT_COPY = "NCT09000001"
COMPLETED_NEARBY = "NCT09000002"

AMSTERDAM_SITE = {
    "facility": "The Netherlands Cancer Institute",
    "city": "Amsterdam",
    "zip": "1066 CX",
    "country": "Netherlands",
    "geoPoint": {"lat": 52.37403, "lon": 4.88969},
}
UTRECHT_SITE = {
    "facility": "University Medical Center Utrecht",
    "status": "RECRUITING",
    "city": "Utrecht",
    "country": "Netherlands",
    "geoPoint": {"lat": 52.09083, "lon": 5.12222},
}
PARIS_SITE = {
    "facility": "Institut Gustave Roussy",
    "status": "RECRUITING",
    "city": "Paris",
    "country": "France",
    "geoPoint": {"lat": 48.85341, "lon": 2.3488},
}


def reference_record() -> dict:
    return json.loads((FIXTURES / "ctgov_v2" / f"{REFERENCE}.json").read_text())


def derived_record(
    nct: str, *, sites: list[dict] | None = None, title: str | None = None, status: str | None = None
) -> dict:
    """The reference record as another trial: a new NCT id and, if given, other sites, title or overall status."""
    record = copy.deepcopy(reference_record())
    protocol = record["protocolSection"]
    protocol["identificationModule"]["nctId"] = nct
    if title is not None:
        protocol["identificationModule"]["briefTitle"] = title
        protocol["identificationModule"].pop("officialTitle", None)
    if status is not None:
        protocol["statusModule"]["overallStatus"] = status
    if sites is not None:
        protocol["contactsLocationsModule"]["locations"] = sites
    return record


def write_records(folder: Path, records: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for record in records:
        nct = record["protocolSection"]["identificationModule"]["nctId"]
        (folder / f"{nct}.json").write_text(json.dumps(record))
    return folder


def import_into(database, path: Path, gazetteer_cache: Path) -> None:
    report = import_path(database=database, path=path, geocode=SiteGeocoder(gazetteer_cache))
    assert report.counts.rejected == 0


@pytest.fixture(scope="session")
def catalogue_seed(gazetteer_cache, tmp_path_factory):
    """Fills a database with the test catalogue (see the module's docstring); run once per run and engine, and
    copied for each test (tests/support/databases.py)."""
    derived = write_records(
        tmp_path_factory.mktemp("derived"),
        [
            derived_record(UTRECHT_COPY, sites=[UTRECHT_SITE]),
            derived_record(COMPLETED_NEARBY, sites=[{**AMSTERDAM_SITE, "status": "COMPLETED"}, PARIS_SITE]),
        ],
    )

    def web_catalogue(database) -> None:
        for folder in (FIXTURES / "ctgov_v2", FIXTURES / "ctgov_xml", derived):
            import_into(database, folder, gazetteer_cache)

    return web_catalogue


@pytest.fixture
def database_seed(catalogue_seed):
    """Every web test's database holds the test catalogue."""
    return catalogue_seed


@pytest.fixture
def import_records(database, gazetteer_cache):
    """Imports more records into the test's own copy of the catalogue."""

    def load(path: Path) -> None:
        import_into(database, path, gazetteer_cache)

    return load


@pytest.fixture
def catalogue(database):
    return database


# Starlette's test client calls itself `testserver`: the test site allows that host in emailed links, as an
# operator without TRIALFINDER_PUBLIC_URL allows theirs (TRIALFINDER_ALLOWED_HOSTS).
TEST_HOSTS = ("testserver",)


def make_client(database, gazetteer_cache: Path, tmp_path: Path) -> TestClient:
    settings = Settings(
        data_dir=tmp_path / "data", cache_dir=gazetteer_cache, database_url=database.url.url, allowed_hosts=TEST_HOSTS
    )
    return TestClient(create_app(settings, database))


@pytest.fixture
def client(catalogue, gazetteer_cache, tmp_path):
    with make_client(catalogue, gazetteer_cache, tmp_path) as test_client:
        yield test_client
