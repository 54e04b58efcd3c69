"""Measure the eligibility parser: typed-check coverage, numeric thresholds and time windows against annotated
corpora in ../shared/data/criteria, and parse speed over the starter catalogue. Prints figures; not a test.

    .venv/bin/python bench/eligibility.py [--records N]

Corpora (see ../shared/data/criteria/README.md):

- COVID-19 structured (Weng lab): `all_criteria_corpus.csv` annotates entities with numeric bounds
  (numeric_att_min/max) and temporal windows (before_days), with offsets into the trial's .txt. Each annotated line
  is parsed on its own. A numeric threshold we produce (lab, age, performance) is correct when the same line has an
  annotation of the same quantity (its entity text names the same analyte, "age", or a performance scale) whose
  min or max equals our value; recall counts the annotations of quantities our lexicon knows. A time window is
  correct when the line has an annotation whose before_days equals our days.
- Chia: the share of criteria (lines of the _inc/_exc texts) that become a typed check, overall and for lines
  annotated with a Measurement and a Value (the lab-like ones), and for lines naming age or performance status.

The corpora's own texts lost many comparator characters (≥ became a space), so comparators are not scored.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
import tarfile
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "src"))

from trialfinder.eligibility.model import (  # noqa: E402
    AgeCheck,
    FreeText,
    LabThreshold,
    PerformanceStatus,
    leaves,
)
from trialfinder.eligibility.parser import _analytes, _find, find_windows, normalise, parse_check, parse_criteria  # noqa: E402
from trialfinder.eligibility.units import normalise_unit  # noqa: E402


def quantity_of(entity: str) -> str | None:
    """What an annotated entity measures, in the parser's keys: an analyte, "age" or "performance"."""
    text = normalise(entity)
    if re.search(r"\bage[ds]?\b", text, re.IGNORECASE):
        return "age"
    if re.search(r"ecog|karnofsky|performance status|\bkps\b|zubrod", text, re.IGNORECASE):
        return "performance"
    found = _find(*_analytes(), text)
    return found[0].key if found else None


def numeric_checks(text: str) -> list[tuple[str, float, str | None]]:
    """(quantity, value, unit) for every numeric check the parser makes of a line."""
    check = parse_check(text)
    found = []
    for leaf in leaves(check):
        if isinstance(leaf, LabThreshold):
            found.append((leaf.analyte, leaf.value, None if leaf.uln_multiple else leaf.unit))
        elif isinstance(leaf, AgeCheck):
            found.append(("age", leaf.years, "years"))
        elif isinstance(leaf, PerformanceStatus):
            found.append(("performance", float(leaf.minimum or 0), None))
            found.append(("performance", float(leaf.maximum or 0), None))
    return found


def covid(folder: Path) -> None:
    corpus = folder / "covid19-structured"
    texts: dict[str, str] = {}
    lines_of: dict[tuple[str, int], str] = {}
    gold_numeric: dict[tuple[str, int], list[tuple[str, set[float], str | None]]] = defaultdict(list)
    gold_windows: dict[tuple[str, int], set[int]] = defaultdict(set)
    for row in csv.DictReader((corpus / "all_criteria_corpus.csv").open(encoding="utf-8")):
        name = row["nct_id"]
        if name not in texts:
            path = corpus / "700_annotated_trials_new" / f"{name}.txt"
            texts[name] = path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""
        text = texts[name]
        try:
            start = int(row["start_index"])
        except ValueError:
            continue
        if not text or start >= len(text):
            continue
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        key = (name, line_start)
        lines_of[key] = text[line_start : line_end if line_end >= 0 else len(text)]
        if row["numeric_source_text"].strip():
            quantity = quantity_of(row["entity_source_text"])
            values = set()
            for column in ("numeric_att_min", "numeric_att_max"):
                try:
                    value = float(row[column])
                except ValueError:
                    continue
                if value not in (99999.0, -99999.0):
                    values.add(value)
            unit_text = re.sub(r"^[\s\d.,<>=≤≥x×-]+", "", normalise(row["numeric_source_text"]))
            if quantity and values:
                gold_numeric[key].append((quantity, values, normalise_unit(unit_text)))
        if row["temporal_source_text"].strip() and re.search(r"\d", row["temporal_source_text"]):
            try:
                days = int(float(row["before_days"]))
            except ValueError:
                continue
            if days > 0:
                gold_windows[key].add(days)

    ours_total = ours_correct = unit_pairs = unit_agree = 0
    gold_total = gold_found = 0
    for key, line in lines_of.items():
        predicted = numeric_checks(line)
        gold = gold_numeric.get(key, [])
        for quantity, value, unit in predicted:
            ours_total += 1
            match = next((g for g in gold if g[0] == quantity and value in g[1]), None)
            if match:
                ours_correct += 1
                if match[2] and unit and quantity not in ("age", "performance"):
                    unit_pairs += 1
                    unit_agree += match[2] == unit
        for quantity, values, _ in gold:
            gold_total += 1
            gold_found += any(q == quantity and v in values for q, v, _ in predicted)
    print("COVID-19 structured corpus, numeric thresholds (lab, age, performance status)")
    print(f"  annotated lines parsed: {len(lines_of):,}")
    print(f"  precision: {ours_correct}/{ours_total} = {ours_correct / max(ours_total, 1):.3f}")
    print(
        f"  recall (annotations of quantities in the lexicon): {gold_found}/{gold_total} = {gold_found / max(gold_total, 1):.3f}"
    )
    print(f"  unit agreement where both give a unit: {unit_agree}/{unit_pairs} = {unit_agree / max(unit_pairs, 1):.3f}")

    w_total = w_correct = g_total = g_found = 0
    for key, line in lines_of.items():
        windows = [w.days for _, w in find_windows(line)]
        gold = gold_windows.get(key, set())
        w_total += len(windows)
        w_correct += sum(1 for days in windows if days in gold)
        g_total += len(gold)
        g_found += sum(1 for days in gold if days in windows)
    print("COVID-19 structured corpus, time windows (days before an anchor)")
    print(f"  precision: {w_correct}/{w_total} = {w_correct / max(w_total, 1):.3f}")
    print(f"  recall: {g_found}/{g_total} = {g_found / max(g_total, 1):.3f}")


def chia(folder: Path) -> None:
    base = folder / "chia" / "chia_without_scope"
    total = typed = 0
    lab_lines = lab_typed = 0
    age_ps_lines = age_ps_typed = 0
    kinds: dict[str, int] = defaultdict(int)
    for path in sorted(base.glob("*.txt")):
        text = path.read_text(encoding="utf-8", errors="replace")
        annotations = (
            (path.with_suffix(".ann")).read_text(encoding="utf-8", errors="replace")
            if path.with_suffix(".ann").exists()
            else ""
        )
        spans: list[tuple[str, int, int]] = []
        for line in annotations.splitlines():
            match = re.match(r"T\d+\t(\w+) (\d+) (\d+)", line)
            if match:
                spans.append((match.group(1), int(match.group(2)), int(match.group(3))))
        offset = 0
        for line in text.split("\n"):
            start, end = offset, offset + len(line)
            offset = end + 1
            if not line.strip():
                continue
            check = parse_check(line)
            total += 1
            is_typed = not isinstance(check, FreeText)
            typed += is_typed
            kinds[type(check).__name__] += 1
            types = {kind for kind, s, e in spans if s >= start and e <= end}
            if {"Measurement", "Value"} <= types:
                lab_lines += 1
                lab_typed += is_typed
            if re.search(r"\bage[ds]?\b|years? old|ecog|karnofsky|performance status", line, re.IGNORECASE):
                age_ps_lines += 1
                age_ps_typed += is_typed
    print("Chia (1,000 trials), criteria parsed into a typed check")
    print(f"  all criteria: {typed:,}/{total:,} = {typed / max(total, 1):.3f}")
    print(f"  lines annotated Measurement + Value: {lab_typed:,}/{lab_lines:,} = {lab_typed / max(lab_lines, 1):.3f}")
    print(
        f"  lines naming age or performance status: {age_ps_typed:,}/{age_ps_lines:,} = {age_ps_typed / max(age_ps_lines, 1):.3f}"
    )
    top = sorted(kinds.items(), key=lambda item: -item[1])[:8]
    print("  top-level check kinds: " + ", ".join(f"{name} {count:,}" for name, count in top))


def speed(records: int | None) -> None:
    from trialfinder.registries.files import open_source
    from trialfinder.registries.records import to_trial

    source = open_source(ROOT / "src" / "trialfinder" / "data" / "starter-catalogue.tar.xz")
    texts = []
    for _, record in source.records():
        try:
            trial = to_trial(record.loaded())
        except Exception:  # noqa: BLE001 - a record that cannot be read is not the parser's business
            continue
        if trial.eligibility.criteria:
            texts.append(trial.eligibility.criteria)
        if records and len(texts) >= records:
            break
    criteria = 0
    typed = 0
    started = time.perf_counter()
    for text in texts:
        tree = parse_criteria(text)
        for criterion in tree.walk():
            criteria += 1
            typed += criterion.check is not None and not isinstance(criterion.check, FreeText)
    elapsed = time.perf_counter() - started
    print("Starter catalogue, parse speed (one process)")
    print(f"  {len(texts):,} trials with criteria, {criteria:,} criteria in {elapsed:.1f} s")
    print(
        f"  {len(texts) / elapsed:,.0f} trials/s, {criteria / elapsed:,.0f} criteria/s; {typed / max(criteria, 1):.3f} of criteria typed"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=None, help="parse at most this many catalogue trials")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for name in ("covid19-structured.tar.gz", "chia.tar.gz"):
            with tarfile.open(SHARED / "criteria" / name) as tar:
                tar.extractall(work, filter="data")
        covid(work)
        chia(work)
    speed(args.records)


if __name__ == "__main__":
    main()
