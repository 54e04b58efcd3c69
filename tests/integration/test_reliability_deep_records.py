"""A record nested far deeper than any registry record (`[[[[...]]]]` 100,000 levels, alone or inside a study) is
rejected with its file name and a clear reason and skipped, in every reader, without stopping the import; a resumed
import goes past it; a `/studies` page holding one keeps its other studies, from a file and from the live API."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest
from support.replay_server import ReplayServer, Reply

from trialfinder.actions.importing import import_path
from trialfinder.actions.syncing import sync
from trialfinder.registries.ctgov_v2.client import CtgovClient
from trialfinder.storage.trials import TrialStore

V2_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov_v2"
PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov_api"
REFERENCE = "NCT06857773"
DEPTH = 100_000
DEEP = "[" * DEPTH + "]" * DEPTH
GOOD = sorted(path.stem for path in V2_FIXTURES.glob("*.json"))


def _reference(nct: str = REFERENCE) -> dict:
    record = json.loads((V2_FIXTURES / f"{REFERENCE}.json").read_text())
    record["protocolSection"]["identificationModule"]["nctId"] = nct
    return record


def _deep_inside(nct: str) -> str:
    """A whole study record with an array nested DEPTH deep in one of its modules."""
    text = json.dumps(_reference(nct))
    return text.replace('"protocolSection": {', f'"protocolSection": {{"extra": {DEEP}, ', 1)


def _stored(database) -> list[str]:
    with database.connect() as conn:
        return sorted(row[0] for row in conn.fetchall("SELECT nct_id FROM trials"))


def _reasons(report) -> dict[str, str]:
    return {rejection.name: rejection.reason for rejection in report.rejections}


def _mixed_folder(folder: Path) -> Path:
    shutil.copytree(V2_FIXTURES, folder)
    (folder / "deep.json").write_text(DEEP)
    (folder / "deep_inside.json").write_text(_deep_inside("NCT09000011"))
    return folder


def test_a_folder_with_deep_records_imports_the_good_ones_and_lists_the_deep_ones(database, tmp_path):
    report = import_path(database=database, path=_mixed_folder(tmp_path / "records"))

    assert (report.counts.added, report.counts.rejected) == (len(GOOD), 2)
    reasons = _reasons(report)
    assert set(reasons) == {"deep.json#0", "deep_inside.json"}  # a file that is a list names the item
    assert all("nested too deeply" in reason for reason in reasons.values()), reasons
    assert _stored(database) == GOOD


def test_a_bulk_zip_with_a_deep_record_and_a_page_holding_one(database, tmp_path):
    archive = tmp_path / "ctg-studies.json.zip"
    page = {"studies": [_reference("NCT09000021"), "DEEP", _reference("NCT09000022")]}
    page_text = json.dumps(page).replace('"DEEP"', _deep_inside("NCT09000023"))
    listing = "[" + ", ".join([json.dumps(_reference("NCT09000031")), DEEP]) + "]"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for index, record in enumerate(sorted(V2_FIXTURES.glob("*.json"))):
            zf.write(record, f"shard{index % 2:02d}/{record.name}")
        zf.writestr("shard00/deep.json", DEEP)
        zf.writestr("pages/page.json", page_text)
        zf.writestr("pages/list.json", listing)

    report = import_path(database=database, path=archive)

    assert (report.counts.added, report.counts.rejected) == (len(GOOD) + 3, 3)
    reasons = _reasons(report)
    assert set(reasons) == {"shard00/deep.json#0", "pages/page.json#1", "pages/list.json#1"}
    assert all("nested too deeply" in reason for reason in reasons.values()), reasons
    assert _stored(database) == sorted([*GOOD, "NCT09000021", "NCT09000022", "NCT09000031"])


def test_a_tar_and_a_single_file(database, tmp_path):
    archive = tmp_path / "records.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for record in sorted(V2_FIXTURES.glob("*.json")):
            tar.add(record, record.name)
        data = DEEP.encode()
        member = tarfile.TarInfo("deep.json")
        member.size = len(data)
        tar.addfile(member, io.BytesIO(data))
    report = import_path(database=database, path=archive)
    assert (report.counts.added, report.counts.rejected) == (len(GOOD), 1)
    assert "nested too deeply" in _reasons(report)["deep.json#0"]

    single = tmp_path / "single" / "NCT09000041.json"
    single.parent.mkdir()
    single.write_text(_deep_inside("NCT09000041"))
    report = import_path(database=database, path=single)
    assert (report.counts.added, report.counts.rejected) == (0, 1)
    assert "nested too deeply" in _reasons(report)["NCT09000041.json"]


def test_an_interrupted_import_resumes_past_a_deep_record(database, tmp_path):
    folder = _mixed_folder(tmp_path / "records")
    seen: list[int] = []

    def interrupt_after_first_batch(position: int) -> None:
        seen.append(position)
        if len(seen) == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_path(database=database, path=folder, batch_size=2, on_progress=interrupt_after_first_batch)
    resumed = import_path(database=database, path=folder, batch_size=2)

    assert resumed.resumed_from == 2
    assert (resumed.counts.added, resumed.counts.rejected) == (len(GOOD), 2)
    assert _stored(database) == GOOD
    again = import_path(database=database, path=folder, batch_size=2)
    assert (again.resumed_from, again.counts.unchanged, again.counts.rejected) == (0, len(GOOD), 2)


def test_sync_keeps_the_other_studies_of_a_page_holding_a_deep_one(database):
    page1 = json.loads((PAGES / "page1.json").read_text())
    page2 = json.loads((PAGES / "page2.json").read_text())
    page1["studies"].insert(1, "DEEP")
    body = json.dumps(page1).replace('"DEEP"', _deep_inside("NCT09000051")).encode()
    script = [
        Reply.file(PAGES / "version.json"),
        Reply(body=body, headers={"Content-Type": "application/json"}),
        Reply.json(page2),
    ]
    with ReplayServer(script) as server, CtgovClient(server.url, sleep=lambda _: None, max_retries=0) as client:
        report = sync(database=database, client=client)

    assert report.pages == 2
    assert (report.counts.added, report.counts.rejected) == (4, 1)
    assert report.rejections[0].name == "page 1, study 2"
    assert "nested too deeply" in report.rejections[0].reason
    with database.connect() as conn:
        assert TrialStore(conn).get("NCT09000051") is None


def test_a_single_study_nested_too_deeply_is_a_clear_error(tmp_path):
    from trialfinder.registries.ctgov_v2.client import UnexpectedResponse

    body = _deep_inside(REFERENCE).encode()
    with ReplayServer([Reply(body=body, headers={"Content-Type": "application/json"})]) as server:
        with CtgovClient(server.url, sleep=lambda _: None, max_retries=0) as client:
            with pytest.raises(UnexpectedResponse, match="nested too deeply"):
                client.get_study(REFERENCE)
