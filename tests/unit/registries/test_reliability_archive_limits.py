"""Archives are checked before they are read: a member (or all of them together) that would decompress to far more
than real registry records do, for the archive's size, is refused at once with a clear reason, instead of being
decompressed member after member. Real records compress at most about 26:1 (deflate, ClinicalTrials.gov v2 JSON and
legacy XML, measured by bench/limits.py); these bombs compress about 1000:1."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from trialfinder.registries.files import MAX_RATIO, SourceError, open_source

V2_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ctgov_v2"
MIB = 1024 * 1024


def _good_members() -> list[tuple[str, bytes]]:
    return [(path.name, path.read_bytes()) for path in sorted(V2_FIXTURES.glob("*.json"))]


def _records(path: Path) -> list[str]:
    return [record.name for _, record in open_source(path).records()]


def test_a_zip_whose_member_would_decompress_too_far_is_refused_before_reading(tmp_path):
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in _good_members():
            zf.writestr(name, data)
        zf.writestr("NCT09999999.json", b" " * (48 * MIB))
    with pytest.raises(SourceError) as refused:
        open_source(archive)
    message = str(refused.value)
    assert "NCT09999999.json" in message and f"more than {MAX_RATIO} times" in message
    assert "decompression bomb" in message


def test_a_zip_of_many_small_members_that_together_would_decompress_too_far_is_refused(tmp_path):
    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for index in range(400):
            zf.writestr(f"NCT9{index:07d}.json", b"[" + b" " * (MIB - 2) + b"]")
    with pytest.raises(SourceError, match=r"400 records would decompress to 400 MiB, more than 100 times the archive"):
        open_source(archive)


def test_a_tar_bomb_is_refused_at_its_first_members_not_after_decompressing_them_all(tmp_path):
    archive = tmp_path / "records.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=1) as tar:
        for name, data in _good_members():
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        zeros = b"\0" * (48 * MIB)
        for index in range(8):
            member = tarfile.TarInfo(f"bomb/NCT9{index:07d}.json")
            member.size = len(zeros)
            tar.addfile(member, io.BytesIO(zeros))
    source = open_source(archive)
    seen: list[str] = []
    with pytest.raises(SourceError) as refused:
        for _, record in source.records():
            seen.append(record.name)
    assert "decompression bomb" in str(refused.value) and f"more than {MAX_RATIO} times" in str(refused.value)
    assert seen[:4] == [name for name, _ in _good_members()]  # the records before it were read
    assert len(seen) <= 6  # and at most a member or two of the bomb


def test_real_archives_pass(tmp_path):
    archive = tmp_path / "ctg-studies.json.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, data in _good_members():
            zf.writestr(f"shard/{name}", data)
        page = {"studies": [json.loads(data) for _, data in _good_members()] * 50}
        zf.writestr("page.json", json.dumps(page))
    assert len(_records(archive)) == 5
