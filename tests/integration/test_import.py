"""The importer on a real database (SQLite and PostgreSQL): upsert rules, bad input, resume, search index."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from trialfinder.actions.importing import import_path
from trialfinder.registries.files import SourceError
from trialfinder.storage.trials import TrialStore

V2_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov_v2"
REFERENCE = "NCT06857773"


def _record(nct: str) -> dict:
    return json.loads((V2_FIXTURES / f"{nct}.json").read_text())


def _with(record: dict, *, last_update: str | None = None, title: str | None = None) -> dict:
    changed = json.loads(json.dumps(record))
    protocol = changed["protocolSection"]
    if last_update is not None:
        protocol["statusModule"]["lastUpdatePostDateStruct"] = {"date": last_update, "type": "ACTUAL"}
    if title is not None:
        protocol["identificationModule"]["briefTitle"] = title
    return changed


def _write(folder: Path, name: str, content: object) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def _get(database, nct: str):
    with database.connect() as conn:
        return TrialStore(conn).get(nct)


def test_import_adds_then_finds_everything_unchanged(database):
    first = import_path(database=database, path=V2_FIXTURES)
    assert (first.counts.added, first.counts.updated, first.counts.unchanged, first.counts.rejected) == (4, 0, 0, 0)
    again = import_path(database=database, path=V2_FIXTURES)
    assert (again.counts.added, again.counts.updated, again.counts.unchanged) == (0, 0, 4)
    trial = _get(database, REFERENCE)
    assert trial is not None
    assert trial.acronym == "PUMP-IT RCT"
    assert trial.eu_ct_numbers == ("2023-506194-35-00",)
    assert trial.sites[0].coordinates is not None


def test_newer_version_updates_and_older_version_never_overwrites(database, tmp_path):
    import_path(database=database, path=V2_FIXTURES / f"{REFERENCE}.json")
    original = _record(REFERENCE)

    newer = _write(tmp_path / "newer", f"{REFERENCE}.json", _with(original, last_update="2026-01-05", title="Newer title"))
    report = import_path(database=database, path=newer)
    assert report.counts.updated == 1
    assert _get(database, REFERENCE).brief_title == "Newer title"

    older = _write(tmp_path / "older", f"{REFERENCE}.json", _with(original, last_update="2025-01-01", title="Older title"))
    report = import_path(database=database, path=older)
    assert (report.counts.updated, report.counts.stale) == (0, 1)
    assert _get(database, REFERENCE).brief_title == "Newer title"


def test_duplicate_ids_in_one_batch_keep_the_newest(database, tmp_path):
    original = _record(REFERENCE)
    page = {
        "studies": [
            _with(original, last_update="2025-10-01", title="October"),
            _with(original, last_update="2025-12-01", title="December"),
            _with(original, last_update="2025-11-01", title="November"),
        ]
    }
    path = _write(tmp_path, "page.json", page)
    report = import_path(database=database, path=path)
    assert (report.counts.added, report.counts.stale) == (1, 2)
    assert _get(database, REFERENCE).brief_title == "December"


def test_malformed_records_are_reported_with_their_file_and_skipped(database, tmp_path):
    folder = tmp_path / "mixed"
    shutil.copytree(V2_FIXTURES, folder)
    _write(folder, "broken.json", '{"protocolSection": {"identificationModule": ')
    _write(folder, "no_id.json", {"protocolSection": {"identificationModule": {"briefTitle": "No id"}}})
    _write(folder, "bad_id.json", {"protocolSection": {"identificationModule": {"nctId": 12345, "briefTitle": "x"}}})
    _write(folder, "list.json", '"just a string"')
    _write(folder, "empty.json", "")
    huge = _with(_record(REFERENCE), title="x" * 100_000)
    huge["protocolSection"]["identificationModule"]["nctId"] = "NCT09999999"
    _write(folder, "huge.json", huge)

    report = import_path(database=database, path=folder)

    assert report.counts.added == 4
    assert report.counts.rejected == 6
    reasons = {rejection.name: rejection.reason for rejection in report.rejections}
    assert reasons["broken.json"].startswith("invalid JSON")
    assert "nctId is missing" in reasons["no_id.json"]
    assert "nctId" in reasons["bad_id.json"]
    assert "JSON object" in reasons["list.json"]
    assert reasons["empty.json"] == "the file is empty"
    assert "over the limit" in reasons["huge.json"]
    assert _get(database, "NCT09999999") is None


def test_wrongly_typed_and_unknown_fields_are_dropped_not_fatal(database, tmp_path):
    record = _record(REFERENCE)
    protocol = record["protocolSection"]
    protocol["statusModule"]["overallStatus"] = "RECRUITING_ON_MARS"
    protocol["designModule"]["phases"] = ["PHASE3", "PHASE9"]
    protocol["designModule"]["enrollmentInfo"] = {"count": "many"}
    protocol["conditionsModule"]["keywords"] = "not a list"
    protocol["eligibilityModule"]["minimumAge"] = 18
    path = _write(tmp_path, "odd.json", record)

    report = import_path(database=database, path=path)

    assert report.counts.added == 1
    assert report.warnings == 5
    trial = _get(database, REFERENCE)
    assert trial.overall_status.value == "UNKNOWN"
    assert [phase.value for phase in trial.phases] == ["PHASE3"]
    assert trial.enrollment is None
    assert trial.keywords == ()
    assert trial.eligibility.ages.minimum is None


def test_bulk_zip_with_shard_folders(database, tmp_path):
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for index, record in enumerate(sorted(V2_FIXTURES.glob("*.json"))):
            zf.write(record, f"shard{index % 2:02d}/{record.name}")
        zf.writestr("README.txt", "not a record")
    report = import_path(database=database, path=archive)
    assert report.counts.added == 4


def test_truncated_zip_is_a_clear_error(database, tmp_path):
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for record in sorted(V2_FIXTURES.glob("*.json")):
            zf.write(record, record.name)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) // 2])
    with pytest.raises(SourceError, match="not a complete zip archive"):
        import_path(database=database, path=archive)


def test_interrupted_import_resumes_where_its_last_batch_ended(database):
    seen: list[int] = []

    def interrupt_after_first_batch(position: int) -> None:
        seen.append(position)
        if len(seen) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_path(database=database, path=V2_FIXTURES, batch_size=2, on_progress=interrupt_after_first_batch)
    with database.connect() as conn:
        assert TrialStore(conn).count() == 2

    resumed = import_path(database=database, path=V2_FIXTURES, batch_size=2)
    assert resumed.resumed_from == 2
    assert resumed.counts.added == 4  # the counts carry over from the interrupted run
    with database.connect() as conn:
        assert TrialStore(conn).count() == 4

    # Once finished, the same command is a fresh, idempotent run.
    again = import_path(database=database, path=V2_FIXTURES, batch_size=2)
    assert again.resumed_from == 0
    assert again.counts.unchanged == 4


def test_sites_and_full_text_index_are_written(database):
    import_path(database=database, path=V2_FIXTURES)
    with database.connect() as conn:
        sites = conn.fetchall(
            "SELECT s.facility, s.city, s.status, s.lat, s.approximate FROM sites s JOIN trials t ON t.id = s.trial_id"
            " WHERE t.nct_id = $1",
            (REFERENCE,),
        )
        assert sites == [("The Netherlands Cancer Institute", "Amsterdam", "RECRUITING", pytest.approx(52.37403), 0)]
        if conn.dialect == "sqlite":
            found = conn.fetchall(
                "SELECT t.nct_id FROM trial_search JOIN trials t ON t.id = trial_search.rowid"
                " WHERE trial_search MATCH $1",
                ("floxuridine",),
            )
        else:
            found = conn.fetchall(
                "SELECT nct_id FROM trials WHERE search_vector @@ plainto_tsquery('english', $1)", ("floxuridine",)
            )
        assert [row[0] for row in found] == [REFERENCE]


def test_reimport_replaces_sites_rather_than_adding_to_them(database, tmp_path):
    import_path(database=database, path=V2_FIXTURES / f"{REFERENCE}.json")
    record = _with(_record(REFERENCE), last_update="2026-02-01")
    record["protocolSection"]["contactsLocationsModule"]["locations"].append(
        {"facility": "Erasmus MC", "city": "Rotterdam", "country": "Netherlands", "status": "NOT_YET_RECRUITING",
         "geoPoint": {"lat": 51.9225, "lon": 4.47917}}
    )
    import_path(database=database, path=_write(tmp_path, f"{REFERENCE}.json", record))
    with database.connect() as conn:
        facilities = [row[0] for row in conn.fetchall("SELECT facility FROM sites ORDER BY position")]
    assert facilities == ["The Netherlands Cancer Institute", "Erasmus MC"]


def _scaled_zip(path: Path, copies: int) -> Path:
    """A bulk-download-like zip of `copies` records made from the fixtures, each with a new NCT id."""
    templates = [p.read_text() for p in sorted(V2_FIXTURES.glob("*.json"))]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for index in range(copies):
            template = templates[index % len(templates)]
            original = json.loads(template)["protocolSection"]["identificationModule"]["nctId"]
            zf.writestr(f"shard{index % 7}/NCT9{index:07d}.json", template.replace(original, f"NCT9{index:07d}"))
    return path


def test_worker_processes_store_exactly_what_one_process_stores(tmp_path):
    from trialfinder.actions.catalogue import prepare_database
    from trialfinder.actions.importing import PARALLEL_FROM
    from trialfinder.storage.database import Database

    archive = _scaled_zip(tmp_path / "ctg-studies.json.zip", PARALLEL_FROM + 37)
    hashes = []
    for workers in (0, 2):
        database = Database(f"sqlite:///{tmp_path / f'w{workers}.db'}")
        prepare_database(database=database)
        positions: list[int] = []
        report = import_path(database=database, path=archive, workers=workers, batch_size=300, on_progress=positions.append)
        assert report.counts.added == PARALLEL_FROM + 37
        assert positions == [300, 600, 900, PARALLEL_FROM + 37]  # batches in source order either way
        with database.connect() as conn:
            hashes.append(conn.fetchall("SELECT nct_id, content_hash FROM trials ORDER BY nct_id"))
            sites = conn.scalar("SELECT COUNT(*) FROM sites")
        assert sites > 0
    assert hashes[0] == hashes[1]


def test_a_damaged_zip_entry_costs_that_record_only(database, tmp_path):
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for record in sorted(V2_FIXTURES.glob("*.json")):
            zf.write(record, record.name)
    data = bytearray(archive.read_bytes())
    marker = data.find(b"Floxuridine")  # inside NCT06857773's stored bytes
    data[marker : marker + 3] = b"XXX"  # the CRC no longer matches
    archive.write_bytes(bytes(data))
    report = import_path(database=database, path=archive)
    assert report.counts.added == 3
    assert [(r.name, r.reason.split(":")[0]) for r in report.rejections] == [("NCT06857773.json", "damaged zip entry")]
