"""Names from a source (files, archive members) and the reasons given for rejecting them reach the report, the CLI
and the log with their control characters escaped: a member name cannot forge a line of either."""

from __future__ import annotations

import io
import logging
import shutil
import tarfile
import zipfile
from pathlib import Path

import pytest

from trialfinder.actions.importing import import_path

V2_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov_v2"
FORGED = "x\nrejected NCT00000001.json: \x1b[31mforged\u202e.json"
ESCAPED = "x\\nrejected NCT00000001.json: \\x1b[31mforged\\u202e.json"
# The root element's namespace comes from an attribute, where a character reference can put a newline.
ODD_ROOT = b'<x:clinical_study xmlns:x="urn:a&#10;INFO forged"><id_info/></x:clinical_study>'


def _printable(text: str) -> bool:
    return all(character.isprintable() for character in text)


def test_member_names_and_reasons_are_escaped_in_zips_and_tars(database, tmp_path):
    archive = tmp_path / "records.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr(FORGED, "{not json")
        zf.writestr("odd.xml", ODD_ROOT)
    report = import_path(database=database, path=archive)
    reasons = {rejection.name: rejection.reason for rejection in report.rejections}
    assert set(reasons) == {ESCAPED, "odd.xml"}
    assert reasons["odd.xml"] == "the root element is <{urn:a\\nINFO forged}clinical_study>, not <clinical_study>"
    assert all(_printable(name) and _printable(reason) for name, reason in reasons.items())

    tarball = tmp_path / "records.tar.gz"
    with tarfile.open(tarball, "w:gz") as tar:
        member = tarfile.TarInfo(FORGED)
        member.size = 9
        tar.addfile(member, io.BytesIO(b"{not json"))
    report = import_path(database=database, path=tarball)
    assert [rejection.name for rejection in report.rejections] == [ESCAPED]


def test_a_folders_path_and_file_names_are_escaped_in_the_report_and_the_log(database, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="trialfinder.actions.import")
    folder = tmp_path / "records\nINFO forged"
    shutil.copytree(V2_FIXTURES, folder)
    (folder / FORGED).write_text("{not json")

    report = import_path(database=database, path=folder)

    assert report.counts.added == 4
    assert [rejection.name for rejection in report.rejections] == [ESCAPED]
    assert report.source.endswith("records\\nINFO forged")
    [line] = [record.getMessage() for record in caplog.records if record.name == "trialfinder.actions.import"]
    assert "records\\nINFO forged" in line and _printable(line)


def test_an_unreadable_sources_path_is_escaped_in_the_error(database, tmp_path):
    from trialfinder.registries.files import SourceError

    broken = tmp_path / "ctg\nERROR forged\x1b[2J.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SourceError) as raised:
        import_path(database=database, path=broken)
    assert "ctg\\nERROR forged\\x1b[2J.zip: not a complete zip archive" in str(raised.value)
    assert _printable(str(raised.value))
