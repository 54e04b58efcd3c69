"""Plain-language overviews over the whole starter catalogue: reading level, coverage, time per trial.

    .venv/bin/python bench/overview.py [--limit N]

Reads every record of the bundled starter catalogue (src/trialfinder/data/starter-catalogue.tar.xz), writes its
built-in overview in English and Dutch, and prints: the Flesch-Kincaid grade of the English overviews against
that of the registry's brief summaries (median and quartiles), the Flesch-Douma reading ease of the Dutch
overviews, the share of trials with an overview, and the time to write both overviews of one trial.
"""

from __future__ import annotations

import argparse
import statistics
import time
from importlib import resources
from pathlib import Path

from trialfinder.domain.errors import InvalidRecord
from trialfinder.overview import generate_overview
from trialfinder.overview.readability import flesch_douma, flesch_kincaid_grade
from trialfinder.registries.files import open_source, split_records
from trialfinder.registries.records import to_trial


def quartiles(values: list[float]) -> str:
    if len(values) < 2:
        return "n/a"
    q1, median, q3 = statistics.quantiles(values, n=4)
    return f"median {median:5.1f}   quartiles {q1:5.1f} – {q3:5.1f}   (n = {len(values):,})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="stop after this many trials (0: all)")
    args = parser.parse_args()
    archive = Path(str(resources.files("trialfinder") / "data" / "starter-catalogue.tar.xz"))

    trials = []
    rejected = 0
    for _, raw in open_source(archive).records():
        for record in split_records(raw):
            try:
                trials.append(to_trial(record))
            except InvalidRecord:
                rejected += 1
        if args.limit and len(trials) >= args.limit:
            break

    english, summaries, dutch = [], [], []
    at_most_eight = 0
    with_overview = 0
    started = time.perf_counter()
    for trial in trials:
        en = generate_overview(trial, language="en")
        nl = generate_overview(trial, language="nl")
        if en.sentences and nl.sentences:
            with_overview += 1
        grade = flesch_kincaid_grade(en.text)
        if grade is not None:
            english.append(grade)
            at_most_eight += grade <= 8
        ease = flesch_douma(nl.text)
        if ease is not None:
            dutch.append(ease)
        if trial.brief_summary and (summary := flesch_kincaid_grade(trial.brief_summary)) is not None:
            summaries.append(summary)
    elapsed = time.perf_counter() - started

    print(f"trials: {len(trials):,} ({rejected} records rejected)")
    print(f"with an overview (en and nl): {with_overview:,} ({with_overview / len(trials):.1%})")
    print(f"Flesch-Kincaid grade, English overviews:   {quartiles(english)}")
    print(f"Flesch-Kincaid grade, registry summaries:  {quartiles(summaries)}")
    print(f"English overviews at grade 8 or lower: {at_most_eight / len(english):.1%}")
    print(f"Flesch-Douma reading ease, Dutch overviews: {quartiles(dutch)}  (higher is easier)")
    print(f"time: {elapsed / len(trials) * 1000:.2f} ms per trial for both languages ({elapsed:.1f} s in all)")


if __name__ == "__main__":
    main()
