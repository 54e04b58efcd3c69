"""Stored overviews on both databases: one per trial, language and generator, valid for one record version."""

from __future__ import annotations

import json

from conftest import FIXTURES

from trialfinder.actions.importing import import_path
from trialfinder.actions.overviews import overview_for_page, write_overviews
from trialfinder.overview import BUILTIN, LANGUAGE_MODEL, generate_overview
from trialfinder.overview.builtin import generator_version
from trialfinder.registries.ctgov_v2.mapping import to_trial
from trialfinder.storage.overviews import OverviewStore
from trialfinder.storage.trials import TrialStore

REFERENCE = FIXTURES / "ctgov_v2" / "NCT06857773.json"


def test_store_returns_an_overview_only_for_its_record_and_generator_version(database):
    trial = to_trial(json.loads(REFERENCE.read_text()))
    english = generate_overview(trial, language="en")
    with database.connect() as conn, conn.transaction():
        store = OverviewStore(conn)
        store.save(english, "2026-01-01T00:00:00+00:00")
        store.save(generate_overview(trial, language="nl"), "2026-01-01T00:00:00+00:00")
    with database.connect() as conn:
        store = OverviewStore(conn)
        version = english.record_version
        assert store.get(trial.nct_id, language="en", generator=BUILTIN, record_version=version) == english
        assert store.get(trial.nct_id, language="en", generator=BUILTIN, record_version="older") is None
        assert store.get(trial.nct_id, language="en", generator=LANGUAGE_MODEL, record_version=version) is None
        assert (
            store.get(trial.nct_id, language="en", generator=BUILTIN, record_version=version, generator_version="0.old")
            is None
        )
        assert store.best(trial.nct_id, language="nl", record_version=version).language == "nl"
        assert store.current({trial.nct_id: version, "NCT00000000": "x"}, language="en", generator=BUILTIN) == {
            trial.nct_id
        }
        assert store.count() == 2
    # Saving again for the same trial, language and generator replaces the row.
    with database.connect() as conn, conn.transaction():
        OverviewStore(conn).save(english, "2026-01-02T00:00:00+00:00")
        assert OverviewStore(conn).count(generator=BUILTIN) == 2


def test_import_then_write_every_overview_and_pages_read_them(database):
    import_path(database=database, path=FIXTURES / "ctgov_v2")
    with database.connect() as conn:
        stored = TrialStore(conn).get("NCT06857773")
        hash_column = conn.scalar("SELECT content_hash FROM trials WHERE nct_id = $1", ("NCT06857773",))
        total = TrialStore(conn).count()
    # Overviews are keyed by the catalogue's own content hash of the trial (a changed record, a new hash).
    assert stored is not None
    report = write_overviews(database=database, batch_size=3)
    assert report.written[BUILTIN] == 2 * total and report.current == 0
    assert write_overviews(database=database).current == 2 * total
    missing = write_overviews(database=database, nct_ids=["NCT06857773", "NCT99999999"], languages=["en"])
    assert (missing.current, missing.missing) == (1, 1)
    page = overview_for_page(database=database, nct_id="NCT06857773", language="nl")
    assert page.generator == BUILTIN and page.generator_version == generator_version()
    assert page.record_version == hash_column and "lever" in page.text
    assert overview_for_page(database=database, nct_id="NCT99999999", language="en") is None


def test_a_page_without_a_stored_overview_gets_one_written_at_once(database):
    import_path(database=database, path=REFERENCE)
    page = overview_for_page(database=database, nct_id="NCT06857773", language="en")
    with database.connect() as conn:
        assert OverviewStore(conn).count() == 1
    assert overview_for_page(database=database, nct_id="NCT06857773", language="en") == page
