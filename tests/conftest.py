"""Fixtures shared by every kind of test.

Data: `../shared/data` (beside the project) holds the larger real data sets. Tests over them are marked
`shared_data` and skip cleanly when it is absent, except under CI=true, where its absence is an error.
The few real records the suite always needs live in tests/fixtures/.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"
SHARED_DATA = Path(os.environ.get("TRIALFINDER_SHARED_DATA", PROJECT_ROOT.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() == "true"


def require_shared(relative: str) -> Path:
    """The path of a shared data set, or a skip (a failure under CI) when it is not there."""
    path = SHARED_DATA / relative
    if not path.exists():
        message = f"shared data set {relative} is not at {SHARED_DATA}"
        if IN_CI:
            pytest.fail(message + " (CI=true: shared data must be present)")
        pytest.skip(message)
    return path


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


# --- Databases -----------------------------------------------------------------------------------
# The storage suite runs once per engine (SQLite, PostgreSQL). Each PostgreSQL test gets a schema of
# its own (through search_path in the URL), dropped afterwards, so tests never see each other's rows.

POSTGRES_URL = os.environ.get("TRIALFINDER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def _postgres_or_skip() -> None:
    import psycopg

    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as error:
        reason = f"PostgreSQL is not reachable at {POSTGRES_URL}: {str(error).strip().splitlines()[0]}"
        if IN_CI:
            pytest.fail(reason + " (CI=true: the PostgreSQL tests must run)")
        pytest.skip(reason)


@pytest.fixture
def postgres_url():
    """A PostgreSQL URL whose search_path is a fresh, empty schema."""
    import uuid
    from urllib.parse import quote

    import psycopg

    _postgres_or_skip()
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in POSTGRES_URL else "?"
    yield f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request) -> str:
    """The database engine a test runs on: every test that takes a database runs once per engine."""
    if request.param == "postgresql":
        _postgres_or_skip()
    return request.param


@pytest.fixture
def database_url(engine, request, tmp_path):
    """A URL to an empty database (no schema yet), once per engine; in a test that also takes `database`, that
    database's URL (a command run by the test must see what the test put there)."""
    if "database" in request.fixturenames:
        return request.getfixturevalue("database").url.url
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'catalogue.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def database_seed():
    """What the `database` fixture holds besides the schema: nothing here; a conftest or a test module that needs
    a catalogue overrides this fixture with a function that fills one (built once per run, then copied)."""
    return None


@pytest.fixture(scope="session")
def database_templates(tmp_path_factory):
    from support.databases import DatabaseTemplates

    templates = DatabaseTemplates(tmp_path_factory.mktemp("database-templates"), POSTGRES_URL)
    yield templates
    templates.close()


@pytest.fixture
def database(engine, database_seed, database_templates, tmp_path):
    """A migrated database of its own, holding what `database_seed` put in, once per engine: a copy of a template
    built once per run (tests/support/databases.py)."""
    if engine == "sqlite":
        db = database_templates.sqlite_copy(database_seed, tmp_path / "database.db")
    else:
        db = database_templates.postgres_copy(database_seed)
    yield db
    database_templates.drop(db)


# --- The gazetteer -------------------------------------------------------------------------------------------------


def run_folder(tmp_path_factory) -> Path:
    """A folder shared by the whole test run: under pytest-xdist, every worker's base folder is a child of it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def gazetteer_cache(tmp_path_factory) -> Path:
    """The gazetteer's cache folder, built once per test run and shared by every worker: building the index takes
    seconds to minutes, reading it back milliseconds. The product's own lock file makes the other workers wait
    for the first one's file instead of building theirs."""
    from trialfinder.geo.gazetteer import Gazetteer

    folder = run_folder(tmp_path_factory) / "gazetteer-cache"
    Gazetteer.load(folder)
    return folder


# --- Hypothesis ----------------------------------------------------------------------------------
# Property tests draw their examples from strategies. Under CI=true the draw is derandomized: the same examples on
# every run, so that CI cannot fail on an example it never tried before, and a failure there is reproduced by
# running the test with CI=true (or from the blob it prints). Elsewhere each run draws new examples, so that running
# the suite keeps looking, and the failing ones are kept in .hypothesis/ (ignored by git) and tried first next time.
# No deadline: a test machine is often shared, and a slow example is not a wrong one; each test sets max_examples
# to stay within a second or two.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if IN_CI else "dev")
