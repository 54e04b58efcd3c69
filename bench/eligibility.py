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

  Two scorings are printed. "strict" is the scorer as first written. "adjusted" fixes four ways in which it
  failed correct readings, each a property of the annotation format, not of the text (bench/README.md):
  1. alignment: a numeric (or temporal) annotation counts for the line its own source text is on. The corpus ties
     it to an entity whose offset is often on another line ("Known history of hypoglycemia" carries "QTc >500 ms",
     "Weight < 40 kg" carries "within prior 3 months"); the adjusted scorer moves it to the line, nearest the
     entity, where its source text occurs, and drops it (counted and printed) when the text is nowhere.
  2. age entities: the corpus often annotates an age as the entity "old", "Adults" or "Patients" with the value
     "18 years"; such an entity with a value in years is an age. So is an annotation whose own numeric text states
     an age ("18 years or older", "younger than 18 years", "28 days old"), whatever entity it is tied to ("older",
     "are", "years", "Those", a condition on the same line).
  3. values: the value written first in the annotation's own numeric text also counts ("<50 x10^9/L" is annotated
     min 9 max 10, from the power of ten), and "> ULN" without a number is one times the ULN (the corpus stores no
     value for it).
  4. performance status and windows: only the bounds the text states are compared ("ECOG <= 2" states 2; the 0 is
     the scale's end), and a window matches within 2.5% (the parser counts a month as 30 days, the corpus 30.4).

  Neither scoring counts a correct reading the annotation lacks: see the audited sample (bench/eligibility_audit.csv,
  judged by reading the text), which gives the precision by hand.
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

_PERSON = re.compile(
    r"^(?:old|years? old|adults?|patients?|participants?|subjects?|persons?|individuals?|people|men|women|males?|"
    r"females?|children|volunteers?)$",
    re.IGNORECASE,
)
# An annotation's own numeric text that states an age whatever its entity: "18 years or older" (tied to "older",
# "are", "years", "Those" ...), "younger than 18 years", "at least 28 days old".
_AGE_PHRASE = re.compile(
    r"\b\d+\s*(?:years?|yrs?|months?|weeks?|days?)\b[\s-]*(?:or|and)?\s*(?:old|older|younger|of\s+age)\b"
    r"|\b(?:older|younger)\s+than\s+\d",
    re.IGNORECASE,
)
_FIRST_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?![\d])|\d+(?:\.\d+)?")


def quantity_of(entity: str, numeric: str = "", adjusted: bool = False) -> str | None:
    """What an annotated entity measures, in the parser's keys: an analyte, "age" or "performance"."""
    text = normalise(entity)
    if re.search(r"\bage[ds]?\b", text, re.IGNORECASE):
        return "age"
    if adjusted and _PERSON.match(text.strip(" ()")) and re.search(r"\b(?:years?|yrs?)\b", numeric, re.IGNORECASE):
        return "age"
    if adjusted and _AGE_PHRASE.search(normalise(numeric)):
        return "age"
    if re.search(r"ecog|karnofsky|performance status|\bkps\b|zubrod", text, re.IGNORECASE):
        return "performance"
    found = _find(*_analytes(), text)
    return found[0].key if found else None


def numeric_checks(text: str, adjusted: bool = False) -> list[tuple[str, float, str | None]]:
    """(quantity, value, unit) for every numeric check the parser makes of a line."""
    check = parse_check(text)
    found = []
    for leaf in leaves(check):
        if isinstance(leaf, LabThreshold):
            found.append((leaf.analyte, leaf.value, None if leaf.uln_multiple else leaf.unit))
        elif isinstance(leaf, AgeCheck):
            found.append(("age", leaf.value, leaf.unit))  # as written: "6-36 months" is 6 and 36 (months)
        elif isinstance(leaf, PerformanceStatus):
            low, high = leaf.minimum or 0, leaf.maximum if leaf.maximum is not None else 0
            top = 100 if leaf.scale == "KARNOFSKY" else 5
            if not adjusted or low > 0 or low == high:
                found.append(("performance", float(low), None))
            if not adjusted or (high < top and high != low):
                found.append(("performance", float(high), None))
    return found


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", normalise(text)).strip().lower()


def _window_matches(ours: int, gold: int, adjusted: bool) -> bool:
    return ours == gold or (adjusted and abs(ours - gold) <= 0.025 * gold)


def covid(folder: Path, audit_sample: int = 0) -> None:
    corpus = folder / "covid19-structured"
    texts: dict[str, str] = {}
    lines_of: dict[tuple[str, int], str] = {}
    rows_of: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
    # The adjusted scorer's lines: each annotation on the line its source text is on (see the docstring, 1).
    moved_lines: dict[tuple[str, int], str] = {}
    moved_rows: dict[tuple[str, int], list[dict[str, str]]] = defaultdict(list)
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
        rows_of[key].append(row)
        moved_lines[key] = lines_of[key]  # every annotated line is parsed, with or without a number on it
        for column in ("numeric_source_text", "temporal_source_text"):
            source = row[column].strip()
            if not source:
                continue
            found = [m.start() for m in re.finditer(re.escape(source), text)]
            where = min(found, key=lambda at: abs(at - start)) if found else start
            moved_start = text.rfind("\n", 0, where) + 1
            moved_end = text.find("\n", where)
            moved = (name, moved_start)
            moved_lines[moved] = text[moved_start : moved_end if moved_end >= 0 else len(text)]
            moved_rows[moved].append({**row, "_only": column})
    print("COVID-19 structured corpus (strict: the scorer as first written; adjusted: see the docstring)")
    print(f"  annotated lines parsed: {len(lines_of):,} (strict), {len(moved_lines):,} (adjusted)")
    _covid_scores(lines_of, rows_of, False)
    _covid_scores(moved_lines, moved_rows, True)
    if audit_sample:
        _print_audit_sample(moved_lines, moved_rows, audit_sample)


def _gold(line: str, rows: list[dict[str, str]], adjusted: bool):
    """The line's numeric and window annotations, and how many were dropped as belonging to another line."""
    numeric: list[tuple[str, set[float], str | None]] = []
    windows: set[int] = set()
    misaligned = 0
    squashed_line = _squash(line)
    for row in rows:
        source = row["numeric_source_text"] if row.get("_only", "numeric_source_text") == "numeric_source_text" else ""
        if source.strip():
            if adjusted and _squash(source) not in squashed_line:
                misaligned += 1
            else:
                quantity = quantity_of(row["entity_source_text"], source, adjusted)
                values = set()
                for column in ("numeric_att_min", "numeric_att_max"):
                    try:
                        value = float(row[column])
                    except ValueError:
                        continue
                    if value not in (99999.0, -99999.0):
                        values.add(value)
                if adjusted:
                    first = _FIRST_NUMBER.search(normalise(source))
                    if first:
                        values.add(float(first.group(0).replace(",", "")))
                    elif re.search(r"\buln\b|upper limit", source, re.IGNORECASE):
                        values.add(1.0)
                unit_text = re.sub(r"^[\s\d.,<>=≤≥x×-]+", "", normalise(source))
                if quantity and values:
                    numeric.append((quantity, values, normalise_unit(unit_text)))
        temporal = (
            row["temporal_source_text"] if row.get("_only", "temporal_source_text") == "temporal_source_text" else ""
        )
        if temporal.strip() and re.search(r"\d", temporal):
            if adjusted and _squash(temporal) not in squashed_line:
                misaligned += 1
                continue
            try:
                days = int(float(row["before_days"]))
            except ValueError:
                continue
            if days > 0:
                windows.add(days)
    return numeric, windows, misaligned


def _covid_scores(lines_of, rows_of, adjusted: bool) -> None:
    label = "adjusted" if adjusted else "strict"
    ours_total = ours_correct = unit_pairs = unit_agree = 0
    gold_total = gold_found = misaligned = 0
    w_total = w_correct = g_total = g_found = 0
    for key, line in lines_of.items():
        gold, gold_windows, dropped = _gold(line, rows_of[key], adjusted)
        misaligned += dropped
        predicted = numeric_checks(line, adjusted)
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
        windows = [w.days for _, w in find_windows(line)]
        w_total += len(windows)
        w_correct += sum(1 for days in windows if any(_window_matches(days, g, adjusted) for g in gold_windows))
        g_total += len(gold_windows)
        g_found += sum(1 for g in gold_windows if any(_window_matches(days, g, adjusted) for days in windows))
    print(f"  [{label}] numeric thresholds (lab, age, performance status)")
    print(f"    precision: {ours_correct}/{ours_total} = {ours_correct / max(ours_total, 1):.3f}")
    print(
        f"    recall (annotations of quantities in the lexicon): {gold_found}/{gold_total} = {gold_found / max(gold_total, 1):.3f}"
    )
    print(
        f"    unit agreement where both give a unit: {unit_agree}/{unit_pairs} = {unit_agree / max(unit_pairs, 1):.3f}"
    )
    print(f"  [{label}] time windows (days before an anchor)")
    print(f"    precision: {w_correct}/{w_total} = {w_correct / max(w_total, 1):.3f}")
    print(f"    recall: {g_found}/{g_total} = {g_found / max(g_total, 1):.3f}")
    if adjusted:
        print(f"  annotations dropped as belonging to another line (numeric and temporal): {misaligned:,}")


def _print_audit_sample(lines_of, rows_of, size: int) -> None:
    """A seeded random sample of predicted numeric thresholds, to judge by reading (bench/eligibility_audit.csv)."""
    import random

    everything = []
    for key, line in sorted(lines_of.items()):
        gold, _, _ = _gold(line, rows_of[key], True)
        for quantity, value, unit in numeric_checks(line, adjusted=True):
            matched = any(g[0] == quantity and value in g[1] for g in gold)
            everything.append((key[0], line, f"{quantity} {value:g} {unit or ''}".strip(), matched))
    writer = csv.writer(sys.stdout)
    writer.writerow(["nct_id", "criterion", "prediction", "scorer_match"])
    for row in random.Random(7).sample(everything, min(size, len(everything))):
        writer.writerow(row)


def audited() -> None:
    """The hand-audited precision: bench/eligibility_audit.csv, one judged prediction a row."""
    path = ROOT / "bench" / "eligibility_audit.csv"
    if not path.exists():
        return
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    correct = sum(row["judgement"] == "correct" for row in rows)
    matched = sum(row["scorer_match"] == "True" for row in rows)
    print("COVID-19 structured corpus, audited sample of predicted numeric thresholds (bench/eligibility_audit.csv)")
    print(f"  correct by reading the text: {correct}/{len(rows)} = {correct / max(len(rows), 1):.3f}")
    print(f"  of which the adjusted scorer counts as correct: {matched}/{len(rows)}")


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
    parser.add_argument(
        "--audit-sample",
        type=int,
        default=0,
        help="also print a seeded random sample of this many predicted thresholds",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        for name in ("covid19-structured.tar.gz", "chia.tar.gz"):
            with tarfile.open(SHARED / "criteria" / name) as tar:
                tar.extractall(work, filter="data")
        covid(work, args.audit_sample)
        chia(work)
    audited()
    speed(args.records)


if __name__ == "__main__":
    main()
