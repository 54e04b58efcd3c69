"""Trials for me, speed: one patient against a large catalogue, on one core, after start-up (issue #18).

    python bench/match_speed.py [--records 100000] [--database URL] [--patients N]

The catalogue is bench/search.py's (the starter catalogue's real records scaled up with new ids, built once into
bench/out/search-N.db and shared with that benchmark). The patients are the public benchmarks' descriptions
(../shared/data/benchmarks/: TREC 2022 and SIGIR topics, clinical notes of 60 to 300 words) and a few written in a
person's own words. Each is matched as the site does it (`matching.patient_from_text`, then `queries.match.match`
with the default statuses), pinned to one core; the vocabulary is loaded and every module imported before the
clock starts (that is start-up). Printed: p50, p95 and the slowest, in seconds and as a ratio to a reference run in
the same process, interleaved with the matches: a search of the patient's first condition on the search page
(`queries.search.search`, default statuses, first page), so a busy machine moves both alike. Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "bench"))

OUT = ROOT / "bench" / "out"
BENCHMARKS = ROOT.parent / "shared" / "data" / "benchmarks"
TODAY = date(2026, 1, 1)
OWN_WORDS = [
    "I am a 58 year old man with bowel cancer that has spread to my liver. I had surgery and chemotherapy.",
    "62-year-old woman, type 2 diabetes for ten years, on metformin, HbA1c 8.1%, kidney function fine.",
    "My daughter is 9 and has asthma that is hard to control even with inhalers.",
    "Ik ben een vrouw van 47 met borstkanker, HER2-positief, uitgezaaid naar de botten.",
    "Parkinson's disease diagnosed three years ago, 70 years old, male, still walking without help.",
]


def patients(limit: int | None) -> list[tuple[str, str]]:
    found = [(text, "nl" if text.startswith("Ik ") else "en") for text in OWN_WORDS]
    for folder in ("trec_2022", "sigir"):
        path = BENCHMARKS / folder / "queries.jsonl"
        if path.exists():
            with path.open(encoding="utf-8") as handle:
                found += [(json.loads(line)["text"], "en") for line in handle if line.strip()]
    return found[:limit] if limit else found


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--database", help="a catalogue database URL (default: bench/search.py's SQLite file)")
    parser.add_argument("--patients", type=int, default=None, help="only the first N patients")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core, as the issue measures it

    from trialfinder.concepts.vocabulary import Vocabulary
    from trialfinder.domain.search import Search
    from trialfinder.matching import EmptyDescription, patient_from_text
    from trialfinder.queries.match import MatchRequest, match
    from trialfinder.queries.search import SearchQuery, search
    from trialfinder.storage.database import Database

    url = args.database
    if url is None:
        path = OUT / f"search-{args.records}.db"
        if not (OUT / f"search-{args.records}.built.json").exists():
            print(f"no catalogue of {args.records:,} trials: run bench/search.py --records {args.records} first")
            return 2
        url = f"sqlite:///{path}"
    database = Database(url)
    vocabulary = Vocabulary.bundled()
    vocabulary.warm()
    with database.connect() as conn:
        trials = conn.scalar("SELECT COUNT(*) FROM trials")
    people = patients(args.patients)
    # Start-up: the first match pays for imports, data files and the database's first pages.
    match(database=database, request=MatchRequest(patient_from_text(OWN_WORDS[0], today=TODAY), TODAY))

    seconds, references, ratios, results, screened = [], [], [], [], []
    for text, language in people:
        started = time.perf_counter()
        try:
            patient = patient_from_text(text, language=language, today=TODAY, vocabulary=vocabulary)
        except EmptyDescription:
            continue
        found = match(database=database, request=MatchRequest(patient, TODAY, language=language), vocabulary=vocabulary)
        took = time.perf_counter() - started
        words = next((" ".join(t.words) for t in patient.topics), "cancer")
        started = time.perf_counter()
        search(database=database, query=SearchQuery(Search(condition=words)))
        reference = time.perf_counter() - started
        seconds.append(took)
        references.append(reference)
        ratios.append(took / reference if reference else float("inf"))
        results.append(len(found.results))
        screened.append(found.candidates)
    print(f"Trials for me: {len(seconds)} patients against {trials:,} trials ({url.split('?')[0]}), one core")
    print(
        f"  per patient: p50 {percentile(seconds, 0.5):.3f} s, p95 {percentile(seconds, 0.95):.3f} s, "
        f"slowest {max(seconds):.3f} s; trials screened per patient: mean {statistics.fmean(screened):.0f}"
    )
    print(
        f"  reference (a condition search, same process): p50 {percentile(references, 0.5):.3f} s, "
        f"p95 {percentile(references, 0.95):.3f} s"
    )
    print(f"  match / reference per patient: p50 {percentile(ratios, 0.5):.1f}, p95 {percentile(ratios, 0.95):.1f}")
    print(f"  results per patient: mean {statistics.fmean(results):.1f}, none for {results.count(0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
