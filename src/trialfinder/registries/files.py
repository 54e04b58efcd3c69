"""Registry records on disk: the bulk `ctg-studies.json.zip`, folders of v2 JSON, legacy XML (AllPublicXML).

A source yields raw records one at a time in a stable order, so an import can stop and resume at a
position, and memory stays flat whatever the archive's size: a zip is read entry by entry through its
central directory, a tar.gz as a stream, a folder file by file.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import msgspec

from trialfinder.domain.control_characters import printable
from trialfinder.registries.json_split import split_array

V2 = "ctgov-v2"
XML = "ctgov-xml"

MIB = 1024 * 1024
# One record file larger than this is not a trial record (the largest real ones, with results, are ~2 MB; a
# `/studies` page of 1,000 studies ~20 MB).
MAX_RECORD_BYTES = 64 * MIB
# Archives are checked before their members are decompressed. Real records compress at most about 26:1 (deflate;
# ClinicalTrials.gov v2 JSON and legacy XML, measured by bench/limits.py); a decompression bomb about 1000:1. A member
# over RATIO_FROM that would grow more than MAX_RATIO times, or members that together would grow more than MAX_RATIO
# times the archive (plus one record's worth, RATIO_SLACK) or beyond MAX_ARCHIVE_BYTES, make the archive refused.
MAX_RATIO = 100
RATIO_FROM = 1 * MIB
RATIO_SLACK = MAX_RECORD_BYTES
# The whole registry as v2 JSON is some 500,000 records of ~30 KB on average: about 15 GB.
MAX_ARCHIVE_BYTES = 64 * 1024 * MIB


class SourceError(Exception):
    """The source as a whole cannot be read (missing, not an archive, truncated); one line for the user.

    The message names the path and may quote an archive's member: its control characters are escaped, so that
    neither can forge a line of the terminal or the log it is written to."""

    def __init__(self, message: str) -> None:
        super().__init__(printable(message))


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One record as found: where it came from (for reports), its format, and its bytes or why it is unreadable.

    A record in a zip archive may come unread (`archive` set, `data` None): `loaded()` reads it, so that import
    workers, not the process that writes, pay for decompression.
    """

    name: str
    format: str
    data: bytes | None = None
    error: str | None = None
    archive: str | None = None

    def loaded(self) -> RawRecord:
        if self.data is not None or self.error is not None or self.archive is None:
            return self
        try:
            stat = os.stat(self.archive)
            handle = _open_zip(self.archive, stat.st_size, stat.st_mtime_ns)
            with handle.open(self.name) as member:
                data = member.read(MAX_RECORD_BYTES + 1)  # never more than the directory's size allowed
            if len(data) > MAX_RECORD_BYTES:
                return RawRecord(self.name, self.format, error=f"entry is over {MAX_RECORD_BYTES:,} bytes, too large")
            return RawRecord(self.name, self.format, data)
        except (zipfile.BadZipFile, EOFError, OSError, KeyError, zipfile.LargeZipFile, NotImplementedError) as error:
            # A damaged entry (bad CRC, cut short) costs that record, not the import.
            return RawRecord(self.name, self.format, error=f"damaged zip entry: {error}")


@functools.lru_cache(maxsize=2)
def _open_zip(path: str, size: int, mtime_ns: int) -> zipfile.ZipFile:
    """One open handle per archive and process (workers read many entries of the same archive); keyed by
    size and time as well, so that an archive replaced at the same path is opened afresh."""
    return zipfile.ZipFile(path)


def _format_of(name: str) -> str | None:
    lower = name.lower()
    if lower.endswith(".json"):
        return V2
    if lower.endswith(".xml"):
        return XML
    return None


@dataclass
class Source:
    path: Path
    kind: str  # "zip", "tar", "folder", "file"
    fingerprint: str
    total: int | None  # number of entries when known without reading them

    @property
    def key(self) -> str:
        return str(self.path)

    def records(self, skip: int = 0) -> Iterator[tuple[int, RawRecord]]:
        """(position, record) from `skip` on; position counts entries, so a resumed import skips cheaply."""
        if self.kind == "zip":
            yield from _zip_records(self.path, skip)
        elif self.kind == "tar":
            yield from _tar_records(self.path, skip)
        elif self.kind == "folder":
            for position, file in enumerate(_folder_files(self.path)):
                if position >= skip:
                    yield position, _read_file(file, str(file.relative_to(self.path)))
        else:
            if skip == 0:
                yield 0, _read_file(self.path, self.path.name)


def open_source(path: str | os.PathLike[str]) -> Source:
    """Recognise what `path` is, or raise SourceError saying what was expected."""
    location = Path(path).expanduser()
    if not location.exists():
        raise SourceError(f"{location}: no such file or folder")
    location = location.resolve()
    if location.is_dir():
        files = _folder_files(location)
        if not files:
            raise SourceError(f"{location}: the folder holds no .json or .xml records")
        digest = hashlib.blake2b(digest_size=12)
        for file in files:
            digest.update(str(file.relative_to(location)).encode())
        return Source(location, "folder", f"{len(files)}:{digest.hexdigest()}", len(files))
    stat = location.stat()
    fingerprint = f"{stat.st_size}:{stat.st_mtime_ns}"
    name = location.name.lower()
    if name.endswith(".zip"):
        try:
            with zipfile.ZipFile(location) as archive:
                members = [info for info in archive.infolist() if not info.is_dir() and _format_of(info.filename)]
        except (zipfile.BadZipFile, OSError) as error:
            raise SourceError(
                f"{location}: not a complete zip archive ({error}); a truncated download looks like this, fetch it again"
            ) from None
        _check_zip(location, members, stat.st_size)
        return Source(location, "zip", fingerprint, len(members))
    if name.endswith((".tar.gz", ".tgz", ".tar.xz", ".txz", ".tar.bz2", ".tar")):
        return Source(location, "tar", fingerprint, None)
    if _format_of(name):
        return Source(location, "file", fingerprint, 1)
    raise SourceError(
        f"{location}: expected ctg-studies.json.zip, a folder of v2 .json files, legacy .xml files, or a zip or tar(.gz|.xz) of them"
    )


def _size(count: int) -> str:
    return f"{count / MIB:,.0f} MiB" if count >= MIB else f"{count:,} bytes"


_BOMB = "a decompression bomb, not registry records"


def _check_zip(location: Path, members: list[zipfile.ZipInfo], archive_size: int) -> None:
    """Refuse an archive whose central directory says it would decompress far beyond what records do, before any
    member is read (the directory's sizes are also the most a member's reading returns: zipfile stops there)."""
    total = 0
    for info in members:
        if info.file_size > RATIO_FROM and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise SourceError(
                f"{location}: refused: its member {info.filename} would decompress to {_size(info.file_size)}, more than"
                f" {MAX_RATIO} times its {_size(info.compress_size)} in the archive; {_BOMB}"
            )
        total += info.file_size
    _check_total(location, f"its {len(members):,} records", total, archive_size, "the archive's")


def _check_total(location: Path, members: str, total: int, compressed: int, whose: str) -> None:
    if total > MAX_ARCHIVE_BYTES:
        raise SourceError(
            f"{location}: refused: {members} would decompress to {_size(total)}, more than the"
            f" {_size(MAX_ARCHIVE_BYTES)} one import reads; split it"
        )
    if total > MAX_RATIO * compressed + RATIO_SLACK:
        raise SourceError(
            f"{location}: refused: {members} would decompress to {_size(total)}, more than {MAX_RATIO}"
            f" times {whose} {_size(compressed)}; {_BOMB}"
        )


def _folder_files(folder: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / file for file in sorted(files) if not file.startswith(".") and _format_of(file))
    return found


def _read_file(file: Path, name: str) -> RawRecord:
    fmt = _format_of(name) or V2
    try:
        size = file.stat().st_size
        if size > MAX_RECORD_BYTES:
            return RawRecord(name, fmt, error=f"file is {size:,} bytes, too large for one record")
        return RawRecord(name, fmt, file.read_bytes())
    except OSError as error:
        return RawRecord(name, fmt, error=f"cannot read: {error.strerror or error}")


def _zip_records(path: Path, skip: int) -> Iterator[tuple[int, RawRecord]]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as error:
        raise SourceError(f"{path}: not a complete zip archive ({error})") from None
    with archive:
        position = -1
        for info in archive.infolist():
            fmt = _format_of(info.filename)
            if info.is_dir() or fmt is None:
                continue
            position += 1
            if position < skip:
                continue
            if info.file_size > MAX_RECORD_BYTES:
                yield position, RawRecord(info.filename, fmt, error=f"entry is {info.file_size:,} bytes, too large")
                continue
            yield position, RawRecord(info.filename, fmt, archive=str(path))


def _tar_records(path: Path, skip: int) -> Iterator[tuple[int, RawRecord]]:
    """Members in stream order. A compressed tar has no directory to check first: the sizes its headers declare,
    added up as they come, are checked against the compressed bytes read so far (`_check_total`), so that a bomb
    is refused at its first members instead of being decompressed to its end."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 (closed with the stream below)
    except OSError as error:
        raise SourceError(f"{path}: not a readable tar archive ({error})") from None
    try:
        stream = tarfile.open(fileobj=raw, mode="r|*")
    except (tarfile.TarError, OSError) as error:
        raw.close()
        raise SourceError(f"{path}: not a readable tar archive ({error})") from None
    position = -1
    declared = 0
    files = 0
    with raw, stream:
        try:
            for member in stream:
                if member.isfile():  # skipping a member decompresses it all the same
                    declared += member.size
                    files += 1
                    _check_total(path, f"its first {files:,} members", declared, raw.tell(), "the archive's first")
                fmt = _format_of(member.name)
                if not member.isfile() or fmt is None:
                    continue
                position += 1
                if position < skip:
                    continue
                if member.size > MAX_RECORD_BYTES:
                    yield position, RawRecord(member.name, fmt, error=f"entry is {member.size:,} bytes, too large")
                    continue
                handle = stream.extractfile(member)
                yield position, RawRecord(member.name, fmt, handle.read(MAX_RECORD_BYTES) if handle else b"")
        except (tarfile.TarError, EOFError, OSError) as error:
            raise SourceError(f"{path}: the archive is damaged after entry {position + 1} ({error})") from None


def split_records(record: RawRecord) -> Iterator[RawRecord]:
    """A v2 JSON file may hold one study, a list of them, or a `/studies` page ({"studies": [...]})."""
    record = record.loaded()
    if record.format != V2 or record.data is None:
        yield record
        return
    stripped = record.data.lstrip()
    if not stripped.startswith((b"[", b"{\"studies\"", b'{"totalCount"', b'{"nextPageToken"')):
        yield record
        return
    try:
        decoded = msgspec.json.decode(record.data)
    except msgspec.DecodeError:
        yield record  # the mapping reports the JSON error with the file name
        return
    except RecursionError:
        # One study nested too deeply fails the whole page's decoding: take the page apart without decoding it, so
        # that each study is decoded (or refused, with its own name) on its own.
        split = split_array(record.data, None if stripped.startswith(b"[") else "studies")
        if split is None:
            yield record  # the mapping reports it with the file name
            return
        for index, item in enumerate(split.items):
            yield RawRecord(f"{record.name}#{index}", V2, item)
        return
    studies = decoded.get("studies") if isinstance(decoded, dict) else decoded
    if not isinstance(studies, list):
        yield record
        return
    for index, study in enumerate(studies):
        yield RawRecord(f"{record.name}#{index}", V2, msgspec.json.encode(study))
