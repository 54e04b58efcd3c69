"""Search benchmark: latency of text, text + filters, and text + radius searches on a large catalogue, and
requests per second for the search and trial pages under a load generator.

    python bench/search.py [--records 100000] [--database URL] [--queries 200] [--no-http]

The catalogue is the starter catalogue's real records scaled up with new NCT ids (NCT9xxxxxxx), in the
starter catalogue's own mix of formats (legacy XML and API v2), built once into bench/out/ and reused
(`--rebuild` to build again). Latency is measured in-process through `queries.search.search` (the same
call the site makes), each scenario over `--queries` queries drawn from fixed lists of conditions, filters
and cities; the HTTP part starts `trialfinder serve` on 127.0.0.1 and drives it with `wrk` (Debian's
package) or, without it, a Python load generator, bounded in time.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))

CONDITIONS = [
    "breast cancer", "prostate cancer", "lung cancer", "colorectal cancer", "leukemia", "lymphoma", "melanoma",
    "diabetes", "hypertension", "asthma", "depression", "schizophrenia", "HIV", "hepatitis", "stroke",
    "heart failure", "obesity", "Alzheimer", "Parkinson", "multiple sclerosis", "arthritis", "osteoporosis",
    "liver metastases", "ovarian cancer", "pancreatic cancer", "kidney disease", "epilepsy", "migraine",
    "smoking cessation", "influenza vaccine",
]
CITIES = [
    "Boston", "New York", "Houston", "Chicago", "Los Angeles", "Seattle", "Philadelphia", "Baltimore",
    "Amsterdam", "London", "Paris", "Toronto", "Rochester, Minnesota", "Atlanta", "San Francisco",
]


def build_catalogue(records: int, database_url: str, cache: Path) -> None:
    """Scale the starter catalogue to `records` trials with new ids, then import it with `trialfinder import`."""
    from trialfinder.actions.catalogue import StarterCatalogue

    starter = StarterCatalogue.bundled().archive
    templates: list[tuple[str, bytes]] = []
    with tarfile.open(starter, "r:*") as tar:
        for member in tar:
            if member.isfile():
                templates.append((member.name, tar.extractfile(member).read()))  # type: ignore[union-attr]
    import re

    pattern = re.compile(rb"NCT\d{8}")
    archive = OUT / "catalogue.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for index in range(records):
            name, data = templates[index % len(templates)]
            original = pattern.search(data)
            assert original is not None
            new_id = f"NCT9{index:07d}"
            suffix = ".json" if name.endswith(".json") else ".xml"
            zf.writestr(f"records/{new_id[:7]}xxxx/{new_id}{suffix}", data.replace(original.group(0), new_id.encode()))
    env = {
        **os.environ,
        "TRIALFINDER_DATABASE_URL": database_url,
        "TRIALFINDER_CACHE_DIR": str(cache),
        "TRIALFINDER_LOAD_STARTER_CATALOGUE": "false",
    }
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "trialfinder", "import", "--quiet", str(archive)], check=True, env=env)
    print(f"built a catalogue of {records:,} trials in {time.perf_counter() - started:.0f} s")
    archive.unlink()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def latency(database_url: str, cache: Path, queries: int) -> None:
    from trialfinder.domain.search import Search
    from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex
    from trialfinder.geo.gazetteer import shared_gazetteer
    from trialfinder.queries.search import SearchQuery, Sort, search
    from trialfinder.storage.database import Database

    database = Database(database_url)
    gazetteer = shared_gazetteer(cache)
    places = {city: gazetteer.find_place(city)[0].point for city in CITIES}
    rng = random.Random(20261127)
    every_status = tuple(RecruitmentStatus)

    def text_only() -> SearchQuery:
        return SearchQuery(Search(text=rng.choice(CONDITIONS), statuses=every_status))

    def text_and_filters() -> SearchQuery:
        return SearchQuery(
            Search(
                text=rng.choice(CONDITIONS),
                statuses=every_status,
                phases=(rng.choice([Phase.PHASE2, Phase.PHASE3]),),
                age_years=rng.choice([8, 35, 50, 67]),
                sex=rng.choice([Sex.FEMALE, Sex.MALE]),
            )
        )

    def text_and_radius() -> SearchQuery:
        city = rng.choice(CITIES)
        where = {"location": city, "point": places[city], "radius": rng.choice([25, 50, 100])}
        return SearchQuery(
            Search(text=rng.choice(CONDITIONS), statuses=every_status, **where),
            sort=rng.choice([Sort.RELEVANCE, Sort.DISTANCE]),
        )

    def default_statuses() -> SearchQuery:
        return SearchQuery(Search(text=rng.choice(CONDITIONS)))

    def radius_default_statuses() -> SearchQuery:
        city = rng.choice(CITIES)
        where = {"location": city, "point": places[city], "radius": rng.choice([25, 50, 100])}
        return SearchQuery(
            Search(text=rng.choice(CONDITIONS), **where),
            sort=rng.choice([Sort.RELEVANCE, Sort.DISTANCE]),
        )

    print(f"\nlatency over {queries} queries per scenario (in-process, warm cache):")
    for label, make in (
        ("text, every status", text_only),
        ("text + phase, age, sex", text_and_filters),
        ("text + radius (25-100 km)", text_and_radius),
        ("text, recruiting (default)", default_statuses),
        ("text + radius, recruiting", radius_default_statuses),
    ):
        for _ in range(10):
            search(database=database, query=make())  # warm the page cache
        timings, totals, typed_timings = [], [], []
        for _ in range(queries):
            query = make()
            # The same query with the words read as typed only (expand=no), run next to it: the reference that the
            # reading of words (concepts, synonyms, spelling) is measured against, on a noisy shared machine.
            as_typed = dataclasses.replace(query, search=dataclasses.replace(query.search, expand=False))
            for chosen, into in ((query, timings), (as_typed, typed_timings)):
                started = time.perf_counter()
                results = search(database=database, query=chosen)
                into.append((time.perf_counter() - started) * 1000)
                if chosen is query:
                    totals.append(results.total)
        ratio = percentile(timings, 0.95) / max(percentile(typed_timings, 0.95), 1e-9)
        print(
            f"  {label:<28} p50 {percentile(timings, 0.5):6.1f} ms   p95 {percentile(timings, 0.95):6.1f} ms"
            f"   max {max(timings):6.1f} ms   (median {statistics.median(totals):,.0f} matches)"
            f"   as typed: p95 {percentile(typed_timings, 0.95):6.1f} ms, ratio {ratio:.2f}"
        )


def http_load(database_url: str, cache: Path, seconds: int) -> None:
    port = 8765
    env = {
        **os.environ,
        "TRIALFINDER_DATABASE_URL": database_url,
        "TRIALFINDER_CACHE_DIR": str(cache),
        "TRIALFINDER_LOAD_STARTER_CATALOGUE": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "trialfinder", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        for _ in range(100):
            try:
                httpx.get(base + "/faq", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        targets = {
            "trial page": f"{base}/trials/NCT90000042",
            "search page (text)": f"{base}/trials?q=breast+cancer&status=RECRUITING&status=COMPLETED",
            "search page (text + radius)": f"{base}/trials?q=cancer&location=Boston&radius=50&status=COMPLETED",
        }
        print(f"\nHTTP load, {seconds} s each, one `trialfinder serve` process on 127.0.0.1:")
        for label, url in targets.items():
            rate = _wrk(url, seconds) if shutil.which("wrk") else _python_load(url, seconds)
            print(f"  {label:<30} {rate:8.0f} requests/s")
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wrk(url: str, seconds: int) -> float:
    done = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
    )
    for line in done.stdout.splitlines():
        if line.startswith("Requests/sec:"):
            return float(line.split()[1])
    raise SystemExit(done.stdout)


def _python_load(url: str, seconds: int) -> float:
    import concurrent.futures

    import httpx

    deadline = time.perf_counter() + seconds

    def worker() -> int:
        count = 0
        with httpx.Client() as client:
            while time.perf_counter() < deadline:
                client.get(url).raise_for_status()
                count += 1
        return count

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        total = sum(pool.map(lambda _: worker(), range(8)))
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description="trialfinder search benchmark")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--database", help="use this database URL (default: a SQLite file in bench/out/)")
    parser.add_argument("--rebuild", action="store_true", help="build the catalogue again")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each HTTP load run")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP load part")
    args = parser.parse_args()

    OUT.mkdir(parents=True, exist_ok=True)
    cache = OUT / "cache"
    path = OUT / f"search-{args.records}.db"
    url = args.database or f"sqlite:///{path}"
    marker = OUT / f"search-{args.records}.built.json"
    if args.rebuild or args.database is not None or not marker.exists():
        if not args.database:
            for stale in OUT.glob(f"search-{args.records}.db*"):
                stale.unlink()
        build_catalogue(args.records, url, cache)
        marker.write_text(json.dumps({"records": args.records, "url": url}))
    print(f"trialfinder search benchmark: {args.records:,} trials in {url.split('?')[0]}; {os.cpu_count()} cores")
    latency(url, cache, args.queries)
    if not args.no_http:
        http_load(url, cache, args.seconds)


if __name__ == "__main__":
    main()
