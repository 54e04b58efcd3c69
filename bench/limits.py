"""Cost limits (issue #14, item 9): what one hostile or outsized input costs, and what the limits bound it to.

    python bench/limits.py [--sites 50000] [--criteria 400000] [--members 80] [--member-mib 48] [--runs 5]
                           [--only sites,criteria,archives]

- **sites**: one trial (the reference record NCT06857773 under a new id) with `--sites` recruiting sites, each with
  coordinates and a contact; the time for the trial page as it opens, with every site asked for (`?sites=all`), the
  last page of sites, from a place (Amsterdam: distances and nearest first), its contact page, and the JSON API's
  trial answer, through the website in process (Starlette's test client, SQLite).
- **criteria**: one trial whose criteria are real criteria text (the reference record's, numbered on) repeated to
  `--criteria` characters, the registry's own limit; the time for the parser alone (`parse_criteria`), the trial
  page, and the eligibility questionnaire page.
- **archives**: `--members` members of `--member-mib` MiB of NUL bytes each, as a zip compressed with deflate (about
  3.7 MB for 80 x 48 MiB) and as a zip compressed with bzip2 (a few KB: a decompression bomb), each imported into an
  empty SQLite catalogue with `import_path`: the time until the import ends or is refused, and how. Also the
  compression ratios of real records (deflate, level 9: the test fixtures and, when `../shared/data` is there, its
  v2 records and legacy XML), which the ratio limit must stay well above.

Each figure is the median of `--runs` runs after one warm-up (archives: one run). To measure code from before a
change, run this file from a checkout of that code: it puts its own tree's `src/` first on the path.
"""

from __future__ import annotations

import argparse
import bz2
import copy
import json
import lzma
import statistics
import struct
import sys
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

SHARED = ROOT.parent / "shared" / "data"
REFERENCE = ROOT / "tests" / "fixtures" / "ctgov_v2" / "NCT06857773.json"
SITES_TRIAL = "NCT09500001"
CRITERIA_TRIAL = "NCT09500002"
MIB = 1024 * 1024
CITIES = [  # real places with their coordinates, spread over a few countries
    ("Amsterdam", "Netherlands", 52.37403, 4.88969),
    ("Utrecht", "Netherlands", 52.09083, 5.12222),
    ("Paris", "France", 48.85341, 2.3488),
    ("Berlin", "Germany", 52.52437, 13.41053),
    ("Boston", "United States", 42.35843, -71.05977),
    ("Seattle", "United States", 47.60621, -122.33207),
    ("Madrid", "Spain", 40.4165, -3.70256),
    ("Toronto", "Canada", 43.70643, -79.39864),
]


def median_ms(call, runs: int) -> tuple[float, object]:
    result = call()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def reference() -> dict:
    return json.loads(REFERENCE.read_text())


def catalogue(folder: Path, records: list[dict]):
    from trialfinder.actions.catalogue import prepare_database
    from trialfinder.actions.importing import import_path
    from trialfinder.storage.database import Database

    database = Database(f"sqlite:///{folder / 'catalogue.db'}")
    prepare_database(database=database)
    source = folder / "records"
    source.mkdir()
    for record in records:
        nct = record["protocolSection"]["identificationModule"]["nctId"]
        (source / f"{nct}.json").write_text(json.dumps(record))
    report = import_path(database=database, path=source)
    assert report.counts.rejected == 0, report.rejections
    return database


def client(database, folder: Path, cache: Path):
    import warnings

    from trialfinder.settings import Settings
    from trialfinder.web.app import create_app

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient
    settings = Settings(data_dir=folder / "data", cache_dir=cache, database_url=database.url.url, secret_key="b" * 40)
    return TestClient(create_app(settings, database))


def timed_get(http, path: str, runs: int) -> str:
    ms, response = median_ms(lambda: http.get(path), runs)
    return f"{ms:8.0f} ms  {response.status_code}  {len(response.content) / 1024:,.0f} KiB"  # type: ignore[attr-defined]


def bench_sites(count: int, runs: int, cache: Path) -> None:
    record = copy.deepcopy(reference())
    protocol = record["protocolSection"]
    protocol["identificationModule"]["nctId"] = SITES_TRIAL
    sites = []
    for index in range(count):
        city, country, lat, lon = CITIES[index % len(CITIES)]
        sites.append(
            {
                "facility": f"Hospital {index + 1}",
                "status": "RECRUITING",
                "city": city,
                "country": country,
                "geoPoint": {"lat": lat + (index % 97) / 1000, "lon": lon + (index % 89) / 1000},
                "contacts": [{"name": f"Study nurse {index + 1}", "role": "CONTACT", "email": f"site{index}@example.org"}],
            }
        )
    protocol["contactsLocationsModule"]["locations"] = sites
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        database = catalogue(folder, [record])
        print(f"\nsites: one trial with {count:,} sites (imported in {time.perf_counter() - started:.1f} s)")
        with client(database, folder, cache) as http:
            base = f"/trials/{SITES_TRIAL}"
            print(f"  trial page                      {timed_get(http, base, runs)}")
            print(f"  trial page, ?sites=all          {timed_get(http, base + '?sites=all', runs)}")
            last = -(-count // 50)
            print(f"  trial page, last page of sites  {timed_get(http, base + f'?sites_page={last}', runs)}")
            print(f"  trial page from Amsterdam       {timed_get(http, base + '?location=Amsterdam', runs)}")
            print(f"  contact page                    {timed_get(http, base + '/contact', runs)}")
            print(f"  JSON API trial                  {timed_get(http, f'/api/trials/{SITES_TRIAL}', runs)}")


def criteria_text(length: int) -> str:
    """The reference record's criteria, its bullets numbered on, repeated to `length` characters."""
    original = reference()["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    inclusion, _, exclusion = original.partition("Exclusion Criteria:")
    body_in = inclusion.replace("Inclusion Criteria:", "")
    parts = ["Inclusion Criteria:\n"]
    size = len(parts[0])
    copy_number = 0
    while size < length // 2:
        copy_number += 1
        text = body_in.replace("* ", f"* (part {copy_number}) ")
        parts.append(text)
        size += len(text)
    parts.append("\nExclusion Criteria:\n")
    while size < length:
        copy_number += 1
        text = exclusion.replace("* ", f"* (part {copy_number}) ")
        parts.append(text)
        size += len(text)
    return "".join(parts)[:length]


def bench_criteria(length: int, runs: int, cache: Path) -> None:
    from trialfinder.eligibility import parse_criteria

    text = criteria_text(length)
    record = copy.deepcopy(reference())
    record["protocolSection"]["identificationModule"]["nctId"] = CRITERIA_TRIAL
    record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = text
    ms, tree = median_ms(lambda: parse_criteria(text), runs)
    print(f"\ncriteria: {len(text):,} characters of real criteria text")
    print(f"  parse_criteria                  {ms:8.0f} ms  {sum(1 for _ in tree.walk()):,} criteria")  # type: ignore[attr-defined]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        database = catalogue(folder, [record])
        with client(database, folder, cache) as http:
            base = f"/trials/{CRITERIA_TRIAL}"
            print(f"  trial page                      {timed_get(http, base, runs)}")
            print(f"  eligibility questionnaire page  {timed_get(http, base + '/eligibility', runs)}")
            print(f"  JSON API questions              {timed_get(http, f'/api{base}/eligibility/questions', runs)}")


def stored_zip(path: Path, members: int, size: int, method: int) -> None:
    """A zip of `members` members of `size` NUL bytes, compressed once and written `members` times (building it
    with zipfile would compress every member again)."""
    data = b"\0" * size
    if method == 8:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = compressor.compress(data) + compressor.flush()
        version = 20
    else:
        packed = bz2.compress(data, 9)
        version = 46
    crc = zlib.crc32(data)
    central = []
    with path.open("wb") as out:
        for index in range(members):
            name = f"studies/NCT9{index:07d}.json".encode()
            offset = out.tell()
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, version, 0, method, 0, 0x21, crc, len(packed), size, len(name), 0))
            out.write(name)
            out.write(packed)
            central.append(
                struct.pack(
                    "<IHHHHHHIIIHHHHHII", 0x02014B50, version, version, 0, method, 0, 0x21, crc, len(packed), size,
                    len(name), 0, 0, 0, 0, 0, offset,
                )
                + name
            )
        start = out.tell()
        for entry in central:
            out.write(entry)
        end = out.tell()
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, members, members, end - start, start, 0))


def import_once(archive: Path, folder: Path) -> str:
    from trialfinder.actions.catalogue import prepare_database
    from trialfinder.actions.importing import import_path
    from trialfinder.registries.files import SourceError
    from trialfinder.storage.database import Database

    database = Database(f"sqlite:///{folder / f'{archive.stem}.db'}")
    prepare_database(database=database)
    started = time.perf_counter()
    try:
        report = import_path(database=database, path=archive)
        outcome = f"imported: {report.summary()}"
    except SourceError as error:
        outcome = f"refused: {str(error).split(': refused: ', 1)[-1]}"
    elapsed = time.perf_counter() - started
    return f"{elapsed:8.2f} s  {outcome[:150]}"


def real_ratios() -> str:
    ratios = []
    for path in sorted((ROOT / "tests" / "fixtures").glob("ctgov_*/*.*")):
        data = path.read_bytes()
        ratios.append(len(data) / len(zlib.compress(data, 9)))
    collected = SHARED / "ctgov" / "v2-collected" / "studies.jsonl.xz"
    if collected.exists():
        with lzma.open(collected, "rb") as lines:
            for line in lines:
                if line.strip():
                    ratios.append(len(line) / len(zlib.compress(line, 9)))
    legacy = SHARED / "ctgov" / "legacy-xml.tar.gz"
    if legacy.exists():
        with tarfile.open(legacy) as tar:
            for member in tar:
                handle = tar.extractfile(member) if member.isfile() else None
                if handle is not None:
                    data = handle.read()
                    ratios.append(len(data) / len(zlib.compress(data, 9)))
    ratios.sort()
    return f"{len(ratios):,} real records: median {statistics.median(ratios):.1f}:1, highest {ratios[-1]:.1f}:1"


def bench_archives(members: int, member_mib: int) -> None:
    print(f"\narchives: {members} members of {member_mib} MiB of NUL bytes each")
    print(f"  deflate ratios of {real_ratios()}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for label, method in (("deflate", 8), ("bzip2", 12)):
            archive = folder / f"{label}.zip"
            stored_zip(archive, members, member_mib * MIB, method)
            size = archive.stat().st_size
            print(f"  zip, {label:7} ({size / 1024:,.0f} KiB)     {import_once(archive, folder)}")
            archive.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sites", type=int, default=50_000)
    parser.add_argument("--criteria", type=int, default=400_000)
    parser.add_argument("--members", type=int, default=80)
    parser.add_argument("--member-mib", type=int, default=48)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", default="sites,criteria,archives")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"code: {ROOT}")
    cache = ROOT / "bench" / "out" / "cache"  # the gazetteer's index, built on first use and kept
    cache.mkdir(parents=True, exist_ok=True)
    if "sites" in only:
        bench_sites(args.sites, args.runs, cache)
    if "criteria" in only:
        bench_criteria(args.criteria, args.runs, cache)
    if "archives" in only:
        bench_archives(args.members, args.member_mib)


if __name__ == "__main__":
    main()
