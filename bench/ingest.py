"""Ingestion benchmark: import throughput, peak memory and database size on a scaled-up catalogue.

    python bench/ingest.py [--records 100000] [--postgres URL] [--keep DIR]

It builds two archives of `--records` records each from real records, giving every copy a new NCT id
(NCT9xxxxxxx, which no real trial has), in the layouts users import:
  - v2: `ctg-studies.json.zip`, one JSON file per study in shard folders, from the API v2 records in
    tests/fixtures and ../shared/data/ctgov/v2 (their `resultsSection`, where present, is dropped, so the
    average record is near the registry's own ~20 KB);
  - legacy XML: an AllPublicXML-layout zip, from ../shared/data/ctgov/legacy-xml.tar.gz (falls back to the
    XML fixtures when the shared data is absent).
Each archive is then imported into a fresh SQLite database (and PostgreSQL with --postgres) by
`trialfinder import` in a child process, which reports records/s, peak RSS and RSS along the way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"


def v2_templates() -> list[bytes]:
    paths = sorted((ROOT / "tests" / "fixtures" / "ctgov_v2").glob("*.json"))
    shared = SHARED / "ctgov" / "v2"
    if shared.exists():
        known = {path.name for path in paths}
        paths += [path for path in sorted(shared.glob("*.json")) if path.name not in known]
    templates = []
    for path in paths:
        record = json.loads(path.read_bytes())
        record.pop("resultsSection", None)
        templates.append(json.dumps(record, ensure_ascii=False).encode())
    return templates


def xml_templates() -> list[bytes]:
    archive = SHARED / "ctgov" / "legacy-xml.tar.gz"
    if archive.exists():
        with tarfile.open(archive, "r:gz") as tar:
            return [tar.extractfile(m).read() for m in tar if m.isfile() and m.name.endswith(".xml")]  # type: ignore[union-attr]
    return [path.read_bytes() for path in sorted((ROOT / "tests" / "fixtures" / "ctgov_xml").glob("*.xml"))]


def sites_in(template: bytes, kind: str) -> int:
    if kind == "v2":
        module = json.loads(template)["protocolSection"].get("contactsLocationsModule", {})
        return len(module.get("locations", []))
    return template.count(b"<location>")


def build_archive(kind: str, count: int, out: Path) -> Path:
    templates = v2_templates() if kind == "v2" else xml_templates()
    mean_sites = sum(sites_in(templates[i % len(templates)], kind) for i in range(count)) / count
    print(f"[{kind}] {len(templates):,} real records as templates; {mean_sites:.1f} sites per record on average")
    pattern = re.compile(rb"NCT\d{8}")
    archive = out / ("ctg-studies.json.zip" if kind == "v2" else "AllPublicXML.zip")
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for index in range(count):
            template = templates[index % len(templates)]
            original = pattern.search(template)
            assert original is not None
            new_id = f"NCT9{index:07d}".encode()
            data = template.replace(original.group(0), new_id)
            name = new_id.decode()
            if kind == "v2":
                zf.writestr(f"ctg-studies/shard{index % 100:02d}/{name}.json", data)
            else:
                zf.writestr(f"AllPublicXML/{name[:7]}xxxx/{name}.xml", data)
    return archive


# Runs inside the child: import with a sampler thread that records RSS as the import advances.
CHILD = r"""
import json, sys, time, resource
from trialfinder.actions.catalogue import prepare_database
from trialfinder.actions.importing import import_path
from trialfinder.geo.gazetteer import SiteGeocoder, shared_gazetteer
from trialfinder.storage.database import Database

def main():
    url, path, cache, workers = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    def rss_mb():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    db = Database(url)
    prepare_database(database=db)
    started = time.perf_counter()
    shared_gazetteer(cache)  # build the cached index once, outside the timing
    gazetteer_seconds = time.perf_counter() - started
    samples = []
    started = time.perf_counter()
    report = import_path(
        database=db, path=path, geocode=SiteGeocoder(cache), workers=workers,
        on_progress=lambda position: samples.append((position, round(rss_mb(), 1))),
    )
    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds,
        "gazetteer_seconds": gazetteer_seconds,
        "counts": [report.counts.added, report.counts.updated, report.counts.unchanged, report.counts.rejected],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "worker_peak_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "samples": samples,
    }))

if __name__ == "__main__":
    main()
"""


def run_import(url: str, archive: Path, cache: Path, workers: int) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    script = archive.parent / "bench_child.py"  # a file, not -c: spawned workers re-import the main module
    script.write_text(CHILD)
    done = subprocess.run(
        [sys.executable, str(script), url, str(archive), str(cache), str(workers)],
        capture_output=True,
        text=True,
        env=env,
    )
    if done.returncode != 0:
        raise SystemExit(f"import failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sqlite_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> None:
    parser = argparse.ArgumentParser(description="trialfinder ingestion benchmark")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--postgres", metavar="URL", help="also import into this (empty) PostgreSQL database")
    parser.add_argument("--keep", type=Path, help="keep archives and databases in this folder")
    parser.add_argument("--only", choices=["v2", "xml"], help="run one format only")
    parser.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 4), help="import worker processes")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="trialfinder-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    cache = work / "cache"
    print(f"trialfinder ingestion benchmark: {args.records:,} records per format, work folder {work}")
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}; import workers: {args.workers}")
    try:
        for kind in [args.only] if args.only else ["v2", "xml"]:
            started = time.perf_counter()
            archive = build_archive(kind, args.records, work)
            print(
                f"\n[{kind}] built {archive.name}: {archive.stat().st_size / 1e6:,.0f} MB zipped"
                f" in {time.perf_counter() - started:.0f} s"
            )
            targets = [("sqlite", f"sqlite:///{work / f'{kind}.db'}")]
            if args.postgres:
                targets.append(("postgresql", args.postgres))
            for engine, url in targets:
                if engine == "postgresql":
                    _reset_postgres(url)
                result = run_import(url, archive, cache, args.workers)
                rate = args.records / result["seconds"]
                samples = result["samples"]
                marks = [samples[int(len(samples) * f) - 1] for f in (0.1, 0.5, 1.0)] if samples else []
                print(f"[{kind}/{engine}] imported {result['counts'][0]:,} added, {result['counts'][3]:,} rejected"
                      f" in {result['seconds']:.1f} s: {rate:,.0f} records/s")
                print(f"[{kind}/{engine}] peak RSS {result['peak_rss_mb']:.0f} MB (each worker at most"
                      f" {result['worker_peak_rss_mb']:.0f} MB);"
                      f" RSS at 10/50/100%: {', '.join(f'{m[1]:.0f} MB' for m in marks)}"
                      f" (gazetteer load {result['gazetteer_seconds']:.1f} s)")
                if engine == "sqlite":
                    size = sqlite_size(work / f"{kind}.db")
                else:
                    size = _postgres_size(url)
                print(f"[{kind}/{engine}] database {size / 1e6:,.0f} MB: {size / args.records * 1000 / 1e6:.1f} MB per 1,000 trials")
            archive.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _reset_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in ("trials", "sites", "import_runs", "sync_state", "catalogue_meta", "schema_migrations"):
            conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")


def _postgres_size(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'r' AND n.nspname = current_schema()"
        ).fetchone()
        return int(row[0] or 0)


if __name__ == "__main__":
    main()
