"""Search quality: how well `queries.search.search` finds the trials a person means, over a fixed set of queries.

    python bench/search_quality.py [--database URL] [--rebuild] [--kind K] [--show] [--json FILE]

The queries are in bench/queries/search_queries.jsonl, one JSON object a line:

    {"id", "kind", "lang": "en"|"nl", "field": "q"|"condition"|"intervention", "query", "expected": [NCT ids],
     "why", "topic"}

`expected` lists the open trials (recruiting or not yet recruiting) of the starter catalogue that a person typing the
query would clearly want, judged by reading the trials' titles and conditions, not by what the search returns.
`topic` names the condition (or drug) the query is about, to count how many different ones the set covers. Kinds:
exact (the registered wording), synonym (MeSH entry terms, clinical synonyms, brand names), lay (patients' words,
British spellings), abbreviation, misspelling, dutch, id (NCT ids written differently, EU CT and EudraCT numbers,
sponsors' protocol ids) and syntax (quoted phrases, OR, a leading minus).

The catalogue is the starter catalogue the site ships (src/trialfinder/data/starter-catalogue.tar.xz), imported once
with `trialfinder import` into a SQLite file in bench/out/ and reused (`--rebuild` to build it again). With
`--database URL` (SQLite or PostgreSQL) that database is used instead; it is filled from the starter catalogue when it
holds no trials (or with `--rebuild`), and it must hold nothing else for the figures to compare.

Each query runs as the site runs it: its field and text are read by `domain.search.read_search` (so the default
statuses, recruiting and not yet recruiting, apply), then `queries.search.search` with relevance order and a page of
10. The result order is the search's own, ties included. Figures per kind and overall:

- recall@10: expected trials in the top 10, divided by min(|expected|, 10);
- nDCG@10: binary gains (1 for an expected trial), DCG = sum of 1/log2(rank + 1) over the top 10, divided by the
  DCG of an ideal list of min(|expected|, 10) expected trials;
- the mean of each over the queries of a kind, over all queries, and over all kinds except `exact` (the kinds that
  need the coming query understanding);
- whether NCT06857773 (the reference trial) is in the top 3 for the six queries that must find it.

No network is needed: the import reads the bundled archive and the offline gazetteer.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
QUERIES = ROOT / "bench" / "queries" / "search_queries.jsonl"
sys.path.insert(0, str(ROOT / "src"))

KINDS = ("exact", "synonym", "lay", "abbreviation", "misspelling", "dutch", "id", "syntax")
TOP = 10
REFERENCE = "NCT06857773"
# The six queries that must put the reference trial in the top 3: (field, query).
MUST_FIND = (
    ("condition", "colorectal cancer"),
    ("q", "colon cancer liver metastasis"),
    ("q", "bowel cancer spread to liver"),
    ("q", "NCT06857773"),
    ("q", "darmkanker uitzaaiingen lever"),
    ("q", "colorectal OR colon"),
)
MUST_RANK = 3


def build_catalogue(database_url: str, cache: Path) -> None:
    """Import the bundled starter catalogue the way the product does (`trialfinder import`), in a child process."""
    from trialfinder.actions.catalogue import StarterCatalogue

    archive = StarterCatalogue.bundled().archive
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "TRIALFINDER_DATABASE_URL": database_url,
        "TRIALFINDER_CACHE_DIR": str(cache),
        "TRIALFINDER_LOAD_STARTER_CATALOGUE": "false",
    }
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "trialfinder", "import", "--quiet", str(archive)], check=True, env=env)
    print(f"imported the starter catalogue in {time.perf_counter() - started:.0f} s")


def catalogue_counts(database) -> tuple[int, int]:
    """Trials in the database, and how many of them have the default (open) statuses; (0, 0) before the schema."""
    from trialfinder.domain.search import DEFAULT_STATUSES

    open_codes = [status.value for status in DEFAULT_STATUSES]
    try:
        with database.connect() as conn:
            total = int(conn.scalar("SELECT COUNT(*) FROM trials") or 0)
            marks = ", ".join(f"${number}" for number in range(1, len(open_codes) + 1))
            opened = int(conn.scalar(f"SELECT COUNT(*) FROM trials WHERE overall_status IN ({marks})", open_codes) or 0)
    except Exception:  # noqa: BLE001 (no schema yet, on either engine: nothing imported)
        return 0, 0
    return total, opened


def prepare(args: argparse.Namespace) -> str:
    """The database URL to measure, built from the starter catalogue when needed."""
    OUT.mkdir(parents=True, exist_ok=True)
    cache = OUT / "cache"
    if args.database:
        from trialfinder.storage.database import Database

        database = Database(args.database)
        try:
            empty = catalogue_counts(database)[0] == 0
        finally:
            database.close()
        if args.rebuild or empty:
            build_catalogue(args.database, cache)
        return args.database
    path = OUT / "search-quality.db"
    marker = OUT / "search-quality.built.json"
    url = f"sqlite:///{path}"
    if args.rebuild or not marker.exists() or not path.exists():
        for stale in OUT.glob("search-quality.db*"):
            stale.unlink()
        marker.unlink(missing_ok=True)
        build_catalogue(url, cache)
        from trialfinder.actions.catalogue import StarterCatalogue

        manifest = StarterCatalogue.bundled().manifest
        marker.write_text(json.dumps({"url": url, "built": manifest.get("built"), "sha256": manifest.get("sha256")}))
    return url


def load_queries(path: Path, kinds: list[str] | None) -> list[dict]:
    queries = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    for query in queries:
        if query["kind"] not in KINDS or query["field"] not in ("q", "condition", "intervention"):
            raise SystemExit(f"{query['id']}: unknown kind or field")
    return [query for query in queries if not kinds or query["kind"] in kinds]


def make_query(entry: dict, *, expand: bool = True):
    """The SearchQuery the site would make of this text in this field (default statuses, relevance, 10 a page), in
    the query's language (a Dutch query as the Dutch page reads it); `expand` False as with `expand=no`."""
    from trialfinder.domain.search import read_search
    from trialfinder.queries.search import SearchQuery, Sort

    reading = read_search([(entry["field"], entry["query"]), ("expand", "yes" if expand else "no")])
    if reading.problems:
        raise SystemExit(f"{entry['id']}: the search refused {entry['query']!r}: {reading.problems}")
    return SearchQuery(
        reading.search, sort=Sort.RELEVANCE, page=1, page_size=TOP, language=entry.get("lang", "en")
    )


def score(ranked: list[str], expected: list[str]) -> tuple[float, float]:
    """recall@10 and nDCG@10 with binary gains, both over min(|expected|, 10)."""
    wanted = set(expected)
    ideal = min(len(wanted), TOP)
    found = sum(1 for nct in ranked[:TOP] if nct in wanted)
    dcg = sum(1 / math.log2(rank + 1) for rank, nct in enumerate(ranked[:TOP], start=1) if nct in wanted)
    idcg = sum(1 / math.log2(rank + 1) for rank in range(1, ideal + 1))
    return found / ideal, dcg / idcg


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def run(url: str, queries: list[dict], *, expand: bool = True) -> tuple[list[dict], float]:
    from trialfinder.queries.search import search
    from trialfinder.storage.database import Database

    database = Database(url)
    results = []
    started = time.perf_counter()
    try:
        for entry in queries:
            found = search(database=database, query=make_query(entry, expand=expand))
            ranked = [hit.nct_id for hit in found.hits]
            recall, ndcg = score(ranked, entry["expected"])
            results.append({**entry, "ranked": ranked, "total": found.total, "recall": recall, "ndcg": ndcg})
    finally:
        database.close()
    return results, time.perf_counter() - started


def summarise(results: list[dict]) -> dict:
    groups: dict[str, list[dict]] = defaultdict(list)
    for result in results:
        groups[result["kind"]].append(result)
    rows = {}
    for kind in (*KINDS, "all", "all but exact"):
        if kind == "all":
            members = results
        elif kind == "all but exact":
            members = [result for result in results if result["kind"] != "exact"]
        else:
            members = groups.get(kind, [])
        if members:
            rows[kind] = {
                "queries": len(members),
                "recall@10": mean([result["recall"] for result in members]),
                "ndcg@10": mean([result["ndcg"] for result in members]),
                "no results": sum(1 for result in members if result["total"] == 0),
            }
    return rows


def must_find(results: list[dict]) -> list[dict]:
    by_query = {(result["field"], result["query"]): result for result in results}
    checks = []
    for field, text in MUST_FIND:
        result = by_query.get((field, text))
        if result is None:
            continue
        rank = result["ranked"].index(REFERENCE) + 1 if REFERENCE in result["ranked"] else None
        checks.append({"field": field, "query": text, "rank": rank, "top3": rank is not None and rank <= MUST_RANK})
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="use this database URL (default: a SQLite file in bench/out/)")
    parser.add_argument("--rebuild", action="store_true", help="import the starter catalogue again")
    parser.add_argument("--kind", action="append", choices=KINDS, help="only queries of this kind (repeatable)")
    parser.add_argument("--show", action="store_true", help="one line per query, with the expected trials it missed")
    parser.add_argument("--json", metavar="FILE", help="write the figures (and per-query results) to FILE")
    parser.add_argument(
        "--no-expand", action="store_true", help="search the words as typed only (the page's expand=no switch)"
    )
    parser.add_argument("--queries", default=str(QUERIES), help=argparse.SUPPRESS)
    args = parser.parse_args()

    queries = load_queries(Path(args.queries), args.kind)
    url = prepare(args)

    from trialfinder.storage.database import Database

    database = Database(url)
    try:
        total, opened = catalogue_counts(database)
    finally:
        database.close()
    results, seconds = run(url, queries, expand=not args.no_expand)
    rows = summarise(results)
    checks = must_find(results)

    where = url.split("?")[0] if url.startswith("sqlite") else url.split("@")[-1]
    print(f"search quality: {len(results)} queries on {total:,} trials ({opened:,} open) in {where}; {seconds:.1f} s")
    if args.show:
        print()
        for result in results:
            wanted = set(result["expected"])
            missed = [nct for nct in result["expected"] if nct not in result["ranked"][:TOP]]
            shown = missed[:6] + (["..."] if len(missed) > 6 else [])
            print(
                f"{result['id']} {result['kind']:<12} {result['field']:<12} {result['query'][:40]!r:<44}"
                f" recall {result['recall']:.2f} nDCG {result['ndcg']:.2f}"
                f" top10 {sum(1 for n in result['ranked'] if n in wanted)}/{min(len(wanted), TOP)}"
                f" of {result['total']} hits; missed {len(missed)}: {' '.join(shown) or '-'}"
            )
    print()
    print(f"| kind | queries | recall@{TOP} | nDCG@{TOP} | no results |")
    print("|---|---|---|---|---|")
    for kind, row in rows.items():
        name = f"**{kind}**" if kind.startswith("all") else kind
        print(f"| {name} | {row['queries']} | {row['recall@10']:.3f} | {row['ndcg@10']:.3f} | {row['no results']} |")
    if checks:
        print()
        print(f"{REFERENCE} in the top {MUST_RANK}:")
        for check in checks:
            where_found = f"rank {check['rank']}" if check["rank"] else "not in the top 10"
            print(f"  {'yes' if check['top3'] else 'no '}  {check['field']}={check['query']!r} ({where_found})")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "database": where,
                    "trials": total,
                    "open_trials": opened,
                    "seconds": round(seconds, 2),
                    "kinds": rows,
                    "reference_top3": checks,
                    "queries": [
                        {
                            key: result[key]
                            for key in ("id", "kind", "field", "query", "recall", "ndcg", "total", "ranked")
                        }
                        for result in results
                    ],
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
