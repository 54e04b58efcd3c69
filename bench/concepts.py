"""How fast the concept vocabulary loads and reads queries: python bench/concepts.py [--queries N]

Prints the time to import trialfinder.concepts, to load the shipped vocabulary (`Vocabulary.bundled()`, in a fresh
process: run this script on its own), to build what is built on first use (the MeSH trees, the spelling index:
`warm()`), and to read each query of bench/queries/search_queries.jsonl (`read_query`), median and worst. Not a test:
figures for DEVELOPERS.md and for the issue's "loads in well under a second".
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

QUERIES = Path(__file__).resolve().parent / "queries" / "search_queries.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--queries", type=int, default=0, help="read only the first N queries (default: all)")
    args = parser.parse_args()

    start = time.perf_counter()
    from trialfinder.concepts.query import read_query
    from trialfinder.concepts.vocabulary import Vocabulary

    imported = time.perf_counter()
    vocabulary = Vocabulary.bundled()
    loaded = time.perf_counter()
    vocabulary.warm()
    warmed = time.perf_counter()
    print(f"import: {imported - start:.3f} s")
    print(f"Vocabulary.bundled(): {loaded - imported:.3f} s ({len(vocabulary):,} descriptors)")
    print(f"warm() (trees, spelling index): {warmed - loaded:.3f} s")

    queries = [json.loads(line) for line in QUERIES.read_text("utf-8").splitlines() if line.strip()]
    if args.queries:
        queries = queries[: args.queries]
    times = []
    for query in queries:
        begin = time.perf_counter()
        read_query(query["query"], vocabulary=vocabulary, language=query.get("lang", "en"))
        times.append(time.perf_counter() - begin)
    if times:
        print(
            f"read_query: {len(times)} queries, median {statistics.median(times) * 1000:.2f} ms,"
            f" worst {max(times) * 1000:.2f} ms"
        )


if __name__ == "__main__":
    main()
