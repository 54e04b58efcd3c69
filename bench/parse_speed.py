"""Criteria parsing and evaluation speed, and proof that a change to the parser leaves every result as it was.

    python bench/parse_speed.py                      # time this tree's code once, on one core
    python bench/parse_speed.py --save out.pickle    # ... and keep every tree's repr and assessment
    python bench/parse_speed.py --against ../base    # this code against another checkout's, back to back

The corpus: every record of ../shared/data/ctgov/v2-collected/ (1,458 real API v2 records) and of tests/fixtures
(v2, search pages, XML), mapped to trials before the clock starts. Timed: `criteria_for_trial` over every trial once,
in a fresh process, after one warm-up parse of an unrelated text (pattern compilation is start-up, not parsing; the
parser's own caches start empty, so a cache only helps as much as the corpus repeats its own lines); then `assess`
of every tree for each patient below (empty facts, two described in words, in English and Dutch).

Times are the process's CPU time (time.process_time), pinned to one core: on a shared machine, what others run
moves them less than it moves the wall clock. With `--against DIR` (a checkout of the original code, e.g.
`git worktree add --detach ../base <commit>`), each side runs `--rounds` times in fresh processes, alternately, the
best time of each is compared, and every tree's `repr` and every assessment's `to_json()` must be the same on both
sides.
Not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import lzma
import os
import pickle
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "ctgov" / "v2-collected" / "studies.jsonl.xz"
FIXTURES = ROOT / "tests" / "fixtures"
TODAY = date(2026, 1, 1)
PATIENTS = [
    ("empty", None, "en"),
    ("crc", "58 year old man with colorectal cancer, ECOG 1, hemoglobin 12 g/dL", "en"),
    ("crc-nl", "58 year old man with colorectal cancer, ECOG 1, hemoglobin 12 g/dL", "nl"),
    (
        "breast",
        "47 year old woman with metastatic HER2-positive breast cancer spread to the liver and bones, had "
        "chemotherapy and trastuzumab, takes metformin, platelets 150 x 10^9/L, creatinine 0.9 mg/dL, not pregnant",
        "en",
    ),
]


def _records() -> list[tuple[str, object]]:
    """(kind, raw) of every record: kind is v2 or xml."""
    found: list[tuple[str, object]] = []
    with lzma.open(CORPUS, "rt", encoding="utf-8") as handle:
        found += [("v2", json.loads(line)) for line in handle if line.strip()]
    for path in sorted((FIXTURES / "ctgov_v2").glob("*.json")) + sorted((FIXTURES / "routing").glob("*.json")):
        found.append(("v2", json.loads(path.read_text(encoding="utf-8"))))
    for path in sorted((FIXTURES / "ctgov_api").glob("page*.json")):
        found += [("v2", study) for study in json.loads(path.read_text(encoding="utf-8"))["studies"]]
    for path in sorted((FIXTURES / "ctgov_xml").glob("*.xml")):
        found.append(("xml", path.read_bytes()))
    return found


def run(save: Path | None) -> dict:
    """Time this checkout's code (its src/ is first on the path) in this process."""
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    from trialfinder.eligibility import PatientFacts, assess, criteria_for_trial, parse_criteria
    from trialfinder.facts import read_facts, to_eligibility_facts
    from trialfinder.registries.ctgov_v2.mapping import to_trial as v2_trial
    from trialfinder.registries.ctgov_xml.mapping import to_trial as xml_trial

    trials = [v2_trial(raw) if kind == "v2" else xml_trial(raw) for kind, raw in _records()]
    patients = [
        (name, to_eligibility_facts(read_facts(text, today=TODAY)) if text else PatientFacts(), language)
        for name, text, language in PATIENTS
    ]
    # Start-up: lexicons loaded, patterns compiled, on a text the corpus does not hold.
    warm = parse_criteria("Inclusion Criteria:\n\n* Warm-up: ECOG 0-1, ANC >= 1.5 x 10^9/L, no prior cisplatin\n")
    assess(warm, patients[1][1], today=TODAY)

    started = time.process_time()
    trees = [criteria_for_trial(trial) for trial in trials]
    parse_seconds = time.process_time() - started

    started = time.process_time()
    assessments = {
        name: [assess(tree, facts, today=TODAY, language=language) for tree in trees]
        for name, facts, language in patients
    }
    assess_seconds = time.process_time() - started

    tree_reprs = [repr(tree) for tree in trees]
    answers = {
        name: [json.dumps(item.to_json(), sort_keys=True, ensure_ascii=False, default=str) for item in items]
        for name, items in assessments.items()
    }
    result = {
        "trials": len(trials),
        "characters": sum(len(trial.eligibility.criteria or "") for trial in trials),
        "parse_seconds": parse_seconds,
        "assess_seconds": assess_seconds,
        "assessments": sum(len(items) for items in assessments.values()),
        "digest": hashlib.sha256(pickle.dumps((tree_reprs, answers))).hexdigest(),
    }
    if save is not None:
        ids = [trial.nct_id for trial in trials]
        save.write_bytes(pickle.dumps({**result, "ids": ids, "trees": tree_reprs, "answers": answers}))
    return result


def _child(checkout: Path, save: Path | None) -> dict:
    env = {**os.environ, "PYTHONPATH": str(checkout / "src")}
    command = [sys.executable, str(Path(__file__).resolve()), "--child"] + (["--save", str(save)] if save else [])
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def _differences(ours: dict, theirs: dict) -> list[str]:
    found = []
    if ours["ids"] != theirs["ids"]:
        return ["the trials differ"]
    for index, nct in enumerate(ours["ids"]):
        if ours["trees"][index] != theirs["trees"][index]:
            found.append(f"{nct}: tree")
        for name in ours["answers"]:
            if ours["answers"][name][index] != theirs["answers"][name][index]:
                found.append(f"{nct}: assessment for {name}")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--save", type=Path, help="keep every tree's repr and assessment in this pickle")
    parser.add_argument("--against", type=Path, help="a checkout of the code to compare with (its root folder)")
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per side with --against")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(run(args.save)))
        return 0
    if args.against is None:
        sys.path.insert(0, str(ROOT / "src"))
        result = run(args.save)
        print(
            f"{result['trials']} trials, {result['characters']:,} characters: parse {result['parse_seconds']:.2f} s "
            f"({1000 * result['parse_seconds'] / result['trials']:.2f} ms a trial); {result['assessments']} "
            f"assessments {result['assess_seconds']:.2f} s; digest {result['digest'][:16]}"
        )
        return 0
    sides = {"original": args.against.resolve(), "this": ROOT}
    times: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
    with tempfile.TemporaryDirectory() as folder:
        kept = {side: Path(folder) / f"{side}.pickle" for side in sides}
        for round_ in range(args.rounds):
            for side, checkout in sides.items():
                result = _child(checkout, kept[side] if round_ == 0 else None)
                times[side].append((result["parse_seconds"], result["assess_seconds"]))
                print(
                    f"round {round_ + 1} {side:>8}: parse {result['parse_seconds']:.2f} s, "
                    f"assess {result['assess_seconds']:.2f} s",
                    flush=True,
                )
        ours, theirs = (pickle.loads(kept[side].read_bytes()) for side in ("this", "original"))
    differences = _differences(ours, theirs)
    best = {side: (min(t[0] for t in rows), min(t[1] for t in rows)) for side, rows in times.items()}
    print(f"{ours['trials']} trials, {ours['assessments']} assessments; best of {args.rounds} fresh processes each")
    for label, index in (("parse", 0), ("assess", 1)):
        original, this = best["original"][index], best["this"][index]
        rounds = sorted(
            theirs[index] / ours[index] for theirs, ours in zip(times["original"], times["this"], strict=True)
        )
        print(
            f"{label:>6}: original {original:.2f} s, this {this:.2f} s: {original / this:.2f}x faster "
            f"(round by round: {', '.join(f'{ratio:.2f}x' for ratio in rounds)})"
        )
    if differences:
        print(f"DIFFERENT: {len(differences)}", *differences[:20], sep="\n  ")
        return 1
    print(f"identical: every tree's repr and every assessment's to_json() (digest {ours['digest'][:16]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
