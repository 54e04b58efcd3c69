"""Patient-to-trial matching, measured on public benchmarks (issue #18, "Evaluation as a command").

    python bench/matching.py [--benchmark trec2022|sigir|all] [--rankers random,bm25,...] [--seeds 20]
                             [--topics N] [--no-criteria] [--json FILE]

Two measurements, printed as tables; not a test.

**Trial level: re-ranking each topic's judged pool.** The benchmarks are in ../shared/data/benchmarks/ (read their
READMEs): `queries.jsonl` (patient descriptions), `qrels.tsv` (graded judgments: 2 eligible, 1 excluded, 0 not
relevant; SIGIR uses the same three grades, and any other grade would count as 0) and `trials.jsonl` (the text we
hold, for part of the judged trials only). For each topic the candidate pool is the topic's judged trials that we
hold text for, and every ranker orders that pool; only those covered pairs are scored (an uncovered trial is not
"not relevant", it is unseen). This is re-ranking of judged pools, **not** retrieval over a catalogue: the coverage
lines say how much of each benchmark that is. Three pools, as the issue's targets name them:

- `trec2022`: TREC Clinical Trials 2022, judged trials with any text;
- `trec2022-criteria`: the same, judged trials whose text includes eligibility criteria;
- `sigir`: SIGIR 2016 (Koopman & Zuccon), judged trials with any text (all but one).

Figures, with `ir-measures` (trec_eval's definitions through pytrec_eval), averaged over the topics whose pool holds
at least one trial graded 1 or 2 (the others are listed in the coverage lines, and nDCG@10 is also printed over all
topics with 0 for them, the other common convention; the two differ only for the criteria pool, 45 of 50 topics):

- nDCG@10 with graded gains (eligible 2, excluded 1, trec_eval's linear gains);
- P@10 counting only eligible trials (grade 2) as relevant;
- R@100 counting eligible and excluded trials (grade >= 1) as relevant.

Ties: a ranker returns a score per trial; the run handed to the metrics is the order by score, ties broken by NCT id
ascending, never by the order of the judgments file (which leaks the labels; trec_eval itself would break ties by
document id descending). Each ranker is also scored with ties broken by NCT id descending, and both are printed when
they differ: a big difference means the ranker ties a lot.

Rankers (`RANKERS`, a registry). A ranker is a function
`(topic_text, [trial records]) -> {nct_id: score}`; the registry holds, for each name, a factory that is given the
benchmark (its whole trial collection, for statistics) and a seed and returns the ranker:

- `random`: uniform random scores, seeded per seed and topic; averaged over `--seeds` seeds (default 20);
- `bm25`: Okapi BM25 (k1 1.2, b 0.75, Lucene's idf ln(1 + (N - df + 0.5) / (df + 0.5))), written here (`BM25`),
  over each trial's whole text (title, conditions, keywords, interventions, brief summary, detailed description,
  eligibility criteria), lower-cased ASCII letter-and-digit tokens, no stemming, no stop words; the topic text is
  the query (each of its tokens counted as often as it occurs). Statistics (N, df, average length) over the
  benchmark's whole trial collection (every line of its trials.jsonl);
- `bm25-pool`: the same with statistics over the topic's pool only (what an off-the-shelf BM25 fed one pool gives);
- `trialfinder`: the product (`queries.match.rank_trials`, what "Trials for me" runs): the benchmark's trials are
  imported by the product's importer (as API v2 records) into a catalogue of their own in bench/out/, built once;
  each topic is read as a patient (`matching.patient_from_text`), its conditions retrieve by the search index's
  relevance, every pool trial is screened by the eligibility engine, and `matching.match_score` orders them;
- `text-length` and `text-short`: the number of tokens a trial has, more first or less first: diagnostics of the
  issue's second trap (how much text a judged trial has says something about its grade: in the TREC 2022 pool,
  trials with criteria are graded 1 or 2 half as often as trials with a summary only). A ranker that does better
  than random only as far as `text-short` does is reading the packaging, not the patient.

**Criterion level: the expert annotations** (../shared/data/benchmarks/criterion-annotations/dev.jsonl: 474 expert
labels of (patient note, criterion) pairs, SIGIR patients, dev half). A predictor (`PREDICTORS`) is a function
`(patient_note, criterion_text, criterion_type, trial_record_or_None) -> "met" | "not_met" | "unknown"`; its answer
is mapped to the experts' label set (inclusion: included / not included / not enough information; exclusion:
excluded / not excluded / not enough information), accuracy is exact agreement over all 474 labels (the experts'
"not applicable", 21 labels, is never predicted), and a confusion table is printed. Predictors:

- `unknown`: "unknown" everywhere (the baseline the issue quotes);
- `engine-no-facts`: the product's eligibility engine (`trialfinder.eligibility`): the criterion parsed under its
  heading and evaluated against empty facts (what it could do before it read text). Also reports the share of
  criteria the parser turns into at least one typed check (not free text);
- `facts+engine`: the same, on the facts `trialfinder.facts` reads from the note (`facts_from_note`: `read_facts`
  then `to_eligibility_facts`): met / not met only from a fact found in the note, else unknown;
- `facts+engine+closed-world`: a diagnostic, not the product: `facts+engine` with an exclusion the note says
  nothing about counted as not met, the experts' own reading of most exclusions.

Takes about 30 s for everything on the 2-core machine (most of it tokenising the TREC collection); `--topics N` runs
on the first N topics of each benchmark (sorted by id as strings) for speed.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import random
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
SHARED = ROOT.parent / "shared" / "data"
BENCHMARKS = SHARED / "benchmarks"

Trial = Mapping[str, Any]
Ranker = Callable[[str, Sequence[Trial]], Mapping[str, float]]

# --- Loading --------------------------------------------------------------------------------------


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """{topic: {nct_id: grade}}, grades mapped to 2 eligible, 1 excluded, 0 anything else."""
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    with path.open(encoding="utf-8") as handle:
        header = handle.readline().rstrip("\n").split("\t")
        if header[:3] != ["query_id", "nct_id", "grade"]:
            raise ValueError(f"{path}: unexpected header {header}")
        for line in handle:
            if not line.strip():
                continue
            topic, nct_id, grade = line.rstrip("\n").split("\t")[:3]
            qrels[topic][nct_id] = {2: 2, 1: 1}.get(int(grade), 0)
    return dict(qrels)


def has_criteria(trial: Trial) -> bool:
    return bool((trial.get("eligibility_criteria") or "").strip())


@dataclass
class Benchmark:
    """One scored pool: topics, their qrels and the trials each topic's pool holds."""

    name: str
    folder: str
    topics: dict[str, str]  # id -> patient text, every topic of queries.jsonl
    qrels: dict[str, dict[str, int]]  # all judgments
    trials: dict[str, Trial]  # the whole collection we hold text for (statistics)
    criteria_only: bool = False
    coverage: dict[str, Any] = field(default_factory=dict)

    def in_pool(self, trial: Trial) -> bool:
        return has_criteria(trial) if self.criteria_only else True

    def pool(self, topic: str) -> list[Trial]:
        """The topic's judged trials we hold (the right) text for, sorted by NCT id (never in the qrels' order)."""
        judged = self.qrels.get(topic, {})
        return [self.trials[n] for n in sorted(judged) if n in self.trials and self.in_pool(self.trials[n])]

    def pool_qrels(self, topic: str) -> dict[str, int]:
        return {trial["nct_id"]: self.qrels[topic][trial["nct_id"]] for trial in self.pool(topic)}

    def scored_topics(self, limit: int | None = None) -> list[str]:
        """Topics with judgments, sorted by id; the first `limit` of them; only those whose pool holds a trial
        graded 1 or 2 (nDCG and recall are undefined without one)."""
        judged = sorted(t for t in self.topics if t in self.qrels)
        if limit is not None:
            judged = judged[:limit]
        return [t for t in judged if any(g >= 1 for g in self.pool_qrels(t).values())]


def load_benchmark(name: str, topics_limit: int | None = None) -> Benchmark:
    folder, criteria_only = {
        "trec2022": ("trec_2022", False),
        "trec2022-criteria": ("trec_2022", True),
        "sigir": ("sigir", False),
    }[name]
    base = BENCHMARKS / folder
    topics = {row["id"]: row["text"] for row in read_jsonl(base / "queries.jsonl")}
    qrels = read_qrels(base / "qrels.tsv")
    trials = {row["nct_id"]: row for row in read_jsonl(base / "trials.jsonl")}
    bench = Benchmark(name, folder, topics, qrels, trials, criteria_only)
    bench.coverage = coverage(bench, topics_limit)
    return bench


def coverage(bench: Benchmark, topics_limit: int | None) -> dict[str, Any]:
    judged_topics = sorted(t for t in bench.topics if t in bench.qrels)
    used = judged_topics[:topics_limit] if topics_limit else judged_topics
    pairs = [(t, n, g) for t in used for n, g in bench.qrels[t].items()]
    judged_trials = {n for _, n, _ in pairs}
    with_text = {n for n in judged_trials if n in bench.trials}
    with_criteria = {n for n in with_text if has_criteria(bench.trials[n])}
    pool_pairs = [(t, n, g) for t, n, g in pairs if n in bench.trials and bench.in_pool(bench.trials[n])]
    sizes = [len(bench.pool(t)) for t in used]
    scored = bench.scored_topics(topics_limit)
    return {
        "topics_in_queries": len(bench.topics),
        "topics_with_judgments": len(judged_topics),
        "topics_run": len(used),
        "topics_scored": len(scored),
        "topics_without_relevant_in_pool": sorted(set(used) - set(scored)),
        "judged_pairs": len(pairs),
        "judged_pairs_by_grade": dict(sorted(Counter(g for _, _, g in pairs).items())),
        "judged_trials": len(judged_trials),
        "judged_trials_with_text": len(with_text),
        "judged_trials_with_criteria": len(with_criteria),
        "pool": "judged trials with eligibility criteria" if bench.criteria_only else "judged trials with any text",
        "pool_pairs": len(pool_pairs),
        "pool_pairs_by_grade": dict(sorted(Counter(g for _, _, g in pool_pairs).items())),
        "pool_size_min_median_max": [min(sizes), statistics.median(sizes), max(sizes)] if sizes else [0, 0, 0],
        "collection_trials": len(bench.trials),
    }


# --- Rankers --------------------------------------------------------------------------------------

TOKEN = re.compile(r"[a-z0-9]+")
TEXT_FIELDS = ("title", "brief_summary", "detailed_description", "eligibility_criteria")
LIST_FIELDS = ("conditions", "keywords", "interventions")


def tokens(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def trial_text(trial: Trial) -> str:
    parts = [trial.get(f) or "" for f in TEXT_FIELDS[:1]]
    parts += [" ".join(trial.get(f) or []) for f in LIST_FIELDS]
    parts += [trial.get(f) or "" for f in TEXT_FIELDS[1:]]
    return "\n".join(p for p in parts if p)


class BM25:
    """Okapi BM25 over a collection of token lists (Lucene's non-negative idf)."""

    def __init__(self, documents: Mapping[str, Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.tf = {doc_id: Counter(toks) for doc_id, toks in documents.items()}
        self.length = {doc_id: len(toks) for doc_id, toks in documents.items()}
        n = len(documents)
        self.avgdl = (sum(self.length.values()) / n) if n else 0.0
        df: Counter[str] = Counter()
        for counts in self.tf.values():
            df.update(counts.keys())
        self.idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}

    def score(self, query: Sequence[str], doc_id: str) -> float:
        counts, length = self.tf[doc_id], self.length[doc_id]
        norm = self.k1 * (1 - self.b + self.b * length / self.avgdl) if self.avgdl else self.k1
        total = 0.0
        for term, qtf in Counter(query).items():
            tf = counts.get(term, 0)
            if tf:
                total += qtf * self.idf.get(term, 0.0) * tf * (self.k1 + 1) / (tf + norm)
        return total


def random_ranker(bench: Benchmark, seed: int) -> Ranker:
    def rank(topic_text: str, trials: Sequence[Trial]) -> dict[str, float]:
        rng = random.Random(f"{seed}:{topic_text}")
        return {t["nct_id"]: rng.random() for t in trials}

    return rank


def bm25_collection_ranker(bench: Benchmark, seed: int) -> Ranker:
    index = BM25({n: tokens(trial_text(t)) for n, t in bench.trials.items()})

    def rank(topic_text: str, trials: Sequence[Trial]) -> dict[str, float]:
        query = tokens(topic_text)
        return {t["nct_id"]: index.score(query, t["nct_id"]) for t in trials}

    return rank


def bm25_pool_ranker(bench: Benchmark, seed: int) -> Ranker:
    cache: dict[str, list[str]] = {}

    def rank(topic_text: str, trials: Sequence[Trial]) -> dict[str, float]:
        docs = {}
        for t in trials:
            if t["nct_id"] not in cache:
                cache[t["nct_id"]] = tokens(trial_text(t))
            docs[t["nct_id"]] = cache[t["nct_id"]]
        index, query = BM25(docs), tokens(topic_text)
        return {n: index.score(query, n) for n in docs}

    return rank


def text_length_ranker(bench: Benchmark, seed: int, sign: float = 1.0) -> Ranker:
    def rank(topic_text: str, trials: Sequence[Trial]) -> dict[str, float]:
        return {t["nct_id"]: sign * len(tokens(trial_text(t))) for t in trials}

    return rank


def text_short_ranker(bench: Benchmark, seed: int) -> Ranker:
    return text_length_ranker(bench, seed, sign=-1.0)


# --- The product ------------------------------------------------------------------------------------

OUT = ROOT / "bench" / "out"


def as_v2_record(trial: Trial) -> dict[str, Any]:
    """A benchmark trial as a ClinicalTrials.gov API v2 record, so that the product's own importer reads it."""
    eligibility: dict[str, Any] = {}
    if trial.get("eligibility_criteria"):
        eligibility["eligibilityCriteria"] = trial["eligibility_criteria"]
    for field_name, key in (("minimum_age", "minimumAge"), ("maximum_age", "maximumAge")):
        if trial.get(field_name):
            eligibility[key] = trial[field_name]
    if trial.get("sex") in ("ALL", "FEMALE", "MALE"):
        eligibility["sex"] = trial["sex"]
    description = {
        key: trial[field_name]
        for field_name, key in (("brief_summary", "briefSummary"), ("detailed_description", "detailedDescription"))
        if trial.get(field_name)
    }
    return {
        "protocolSection": {
            "identificationModule": {"nctId": trial["nct_id"], "briefTitle": trial.get("title") or trial["nct_id"]},
            "statusModule": {"overallStatus": "UNKNOWN"},
            "conditionsModule": {"conditions": trial.get("conditions") or [], "keywords": trial.get("keywords") or []},
            "descriptionModule": description,
            "armsInterventionsModule": {
                "interventions": [{"type": "OTHER", "name": name} for name in trial.get("interventions") or []]
            },
            "eligibilityModule": eligibility,
        }
    }


def benchmark_catalogue(bench: Benchmark):
    """The benchmark's trials in a catalogue of their own (SQLite, in bench/out/), imported by the product's importer
    from API v2 records; built once per version of the benchmark's trials.jsonl."""
    import tempfile

    from trialfinder.actions.catalogue import prepare_database
    from trialfinder.actions.importing import import_path
    from trialfinder.storage.database import Database

    source = BENCHMARKS / bench.folder / "trials.jsonl"
    stat = source.stat()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"matching-{bench.folder}-{stat.st_size}-{int(stat.st_mtime)}.db"
    database = Database(f"sqlite:///{path}")
    if path.exists():
        return database
    started = time.perf_counter()
    partial = path.with_suffix(".partial.db")
    partial.unlink(missing_ok=True)
    building = Database(f"sqlite:///{partial}")
    prepare_database(database=building)
    with tempfile.TemporaryDirectory() as folder:
        for trial in bench.trials.values():
            (Path(folder) / f"{trial['nct_id']}.json").write_text(json.dumps(as_v2_record(trial)), encoding="utf-8")
        report = import_path(database=building, path=folder)
    building.close()
    partial.rename(path)
    print(f"  built {path.name} ({report.summary()}) in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return database


def product_ranker(bench: Benchmark, seed: int) -> Ranker:
    """trialfinder's matcher (`queries.match.rank_trials`): the topic read as a patient (`matching.patient_from_text`),
    relevance from the search index, each pool trial screened by the eligibility engine, one score."""
    from trialfinder.concepts.vocabulary import Vocabulary
    from trialfinder.matching import EmptyDescription, patient_from_text
    from trialfinder.queries.match import rank_trials

    database = benchmark_catalogue(bench)
    vocabulary = Vocabulary.bundled()

    def rank(topic: str, pool: Sequence[Trial]) -> Mapping[str, float]:
        try:
            patient = patient_from_text(topic, today=ASSESSED_ON, vocabulary=vocabulary)
        except EmptyDescription:
            return {}
        ids = [trial["nct_id"] for trial in pool]
        ranked = rank_trials(database=database, patient=patient, nct_ids=ids, today=ASSESSED_ON, vocabulary=vocabulary)
        return {nct_id: score for nct_id, score, _ in ranked}

    return rank


@dataclass(frozen=True)
class RankerSpec:
    build: Callable[[Benchmark, int], Ranker]  # (benchmark, seed) -> ranker
    seeded: bool = False  # run once per seed and average
    note: str = ""


RANKERS: dict[str, RankerSpec] = {
    "random": RankerSpec(random_ranker, seeded=True, note="uniform, averaged over seeds"),
    "bm25": RankerSpec(bm25_collection_ranker, note="statistics over the benchmark's collection"),
    "bm25-pool": RankerSpec(bm25_pool_ranker, note="statistics over the topic's pool"),
    "text-length": RankerSpec(text_length_ranker, note="trap: more text first"),
    "text-short": RankerSpec(text_short_ranker, note="trap: less text first"),
    "trialfinder": RankerSpec(product_ranker, note="the product: queries.match.rank_trials"),
}
DEFAULT_RANKERS = ("random", "bm25", "bm25-pool", "text-length", "text-short", "trialfinder")


# --- Metrics --------------------------------------------------------------------------------------


def ordered(scores: Mapping[str, float], descending_ids: bool = False) -> list[str]:
    """NCT ids by score, highest first; ties by NCT id (ascending, or descending with `descending_ids`)."""
    if descending_ids:
        return [n for n, _ in sorted(scores.items(), key=lambda item: (item[1], item[0]), reverse=True)]
    return [n for n, _ in sorted(scores.items(), key=lambda item: (-item[1], item[0]))]


def as_run(order: Sequence[str]) -> dict[str, float]:
    """A run whose scores are distinct and follow `order`, so no evaluator re-breaks ties its own way."""
    return {nct_id: float(len(order) - i) for i, nct_id in enumerate(order)}


def measures():
    import ir_measures
    from ir_measures import P, R, nDCG

    return ir_measures, {"nDCG@10": nDCG @ 10, "P@10": P(rel=2) @ 10, "R@100": R(rel=1) @ 100}


def evaluate_runs(qrels: Mapping[str, Mapping[str, int]], runs: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """Mean nDCG@10, P@10 (grade 2) and R@100 (grade >= 1) over the topics of `runs`, with ir-measures."""
    ir_measures, named = measures()
    wanted = {topic: dict(qrels[topic]) for topic in runs}
    per_topic: dict[str, dict[str, float]] = defaultdict(dict)
    for metric in ir_measures.iter_calc(list(named.values()), wanted, {t: dict(r) for t, r in runs.items()}):
        per_topic[str(metric.measure)][metric.query_id] = metric.value
    result = {}
    for label, measure in named.items():
        values = [per_topic[str(measure)].get(topic, 0.0) for topic in runs]
        result[label] = sum(values) / len(values) if values else float("nan")
    return result


def run_ranker(bench: Benchmark, name: str, spec: RankerSpec, topics: Sequence[str], seeds: int) -> dict[str, Any]:
    started = time.perf_counter()
    by_direction: dict[str, list[dict[str, float]]] = {"asc": [], "desc": []}
    for seed in range(seeds if spec.seeded else 1):
        ranker = spec.build(bench, seed)
        runs: dict[str, dict[str, dict[str, float]]] = {"asc": {}, "desc": {}}
        for topic in topics:
            pool = bench.pool(topic)
            scores = ranker(bench.topics[topic], pool)
            missing = {t["nct_id"] for t in pool} - set(scores)
            scores = {**{n: float("-inf") for n in missing}, **{n: s for n, s in scores.items() if n not in missing}}
            runs["asc"][topic] = as_run(ordered(scores))
            runs["desc"][topic] = as_run(ordered(scores, descending_ids=True))
        qrels = {topic: bench.pool_qrels(topic) for topic in topics}
        for direction in ("asc", "desc"):
            by_direction[direction].append(evaluate_runs(qrels, runs[direction]))
    result: dict[str, Any] = {"note": spec.note, "seeds": seeds if spec.seeded else None}
    for direction, values in by_direction.items():
        result[direction] = {k: statistics.fmean(v[k] for v in values) for k in values[0]}
        if len(values) > 1:
            result[direction + "_sd"] = {k: statistics.stdev(v[k] for v in values) for k in values[0]}
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result


def print_benchmark(bench: Benchmark, results: Mapping[str, Mapping[str, Any]]) -> None:
    c = bench.coverage
    print(f"\n== {bench.name}: {c['pool']} ({bench.folder}) ==")
    print(
        f"coverage: topics {c['topics_in_queries']} in queries, {c['topics_with_judgments']} judged, "
        f"{c['topics_run']} run, {c['topics_scored']} scored (pool holds a trial graded >= 1)"
    )
    print(
        f"          judged pairs {c['judged_pairs']:,} {c['judged_pairs_by_grade']}; judged trials {c['judged_trials']:,}, "
        f"with any text {c['judged_trials_with_text']:,} ({c['judged_trials_with_text'] / c['judged_trials']:.1%}), "
        f"with criteria {c['judged_trials_with_criteria']:,} ({c['judged_trials_with_criteria'] / c['judged_trials']:.1%})"
    )
    lo, mid, hi = c["pool_size_min_median_max"]
    print(
        f"          scored pairs (pool) {c['pool_pairs']:,} {c['pool_pairs_by_grade']}; pool per topic min/median/max "
        f"{lo}/{mid}/{hi}. Re-ranking of judged pools, not retrieval."
    )
    if c["topics_without_relevant_in_pool"]:
        print(f"          not scored (no trial graded >= 1 in pool): {', '.join(c['topics_without_relevant_in_pool'])}")
    print(f"{'ranker':<14} {'nDCG@10':>8} {'P@10':>7} {'R@100':>7}  ties by id desc (if different)")
    for name, r in results.items():
        asc, desc = r["asc"], r["desc"]
        line = f"{name:<14} {asc['nDCG@10']:>8.3f} {asc['P@10']:>7.3f} {asc['R@100']:>7.3f}"
        if any(abs(asc[k] - desc[k]) >= 0.0005 for k in asc):
            line += f"  {desc['nDCG@10']:.3f} / {desc['P@10']:.3f} / {desc['R@100']:.3f}"
        else:
            line += "  same"
        if "asc_sd" in r:
            line += f"  (mean of {r['seeds']} seeds; sd of nDCG@10 {r['asc_sd']['nDCG@10']:.3f})"
        print(line)
    if c["topics_scored"] < c["topics_run"]:
        share = c["topics_scored"] / c["topics_run"]
        figures = ", ".join(f"{name} {r['asc']['nDCG@10'] * share:.3f}" for name, r in results.items())
        print(f"          nDCG@10 over all {c['topics_run']} topics run, 0 for those not scored: {figures}")


# --- Criterion level ------------------------------------------------------------------------------

Predictor = Callable[[str, str, str, "Trial | None"], str]  # -> "met" | "not_met" | "unknown"
LABELS = {
    "inclusion": {"met": "included", "not_met": "not included", "unknown": "not enough information"},
    "exclusion": {"met": "excluded", "not_met": "not excluded", "unknown": "not enough information"},
}
# The experts' labels read back as verdicts, for the confusion table.
GOLD_VERDICT = {
    "included": "met",
    "excluded": "met",
    "not included": "not_met",
    "not excluded": "not_met",
    "not enough information": "unknown",
    "not applicable": "not applicable",
}


def predict_unknown(note: str, criterion: str, criterion_type: str, trial: Trial | None) -> str:
    return "unknown"


def no_facts(note: str):
    """Empty facts: what the engine knew of a note before it could read text."""
    from trialfinder.eligibility import PatientFacts

    return PatientFacts()


@functools.lru_cache(maxsize=256)
def facts_from_note(note: str):
    """The facts the product reads from a free-text note (`trialfinder.facts`), as the engine's PatientFacts."""
    from trialfinder.facts import read_facts, to_eligibility_facts

    return to_eligibility_facts(read_facts(note, language="en", today=ASSESSED_ON))


ASSESSED_ON = date(2026, 1, 1)  # fixed, so figures do not move with the calendar


def engine_criterion(criterion: str, criterion_type: str):
    from trialfinder.eligibility import parse_criteria

    heading = "Inclusion Criteria:" if criterion_type == "inclusion" else "Exclusion Criteria:"
    return parse_criteria(f"{heading}\n- {criterion}")


def is_typed(tree) -> bool:
    """Whether the parser made at least one check that is not free text."""
    from trialfinder.eligibility.model import FreeText

    stack = list(tree.criteria)
    while stack:
        node = stack.pop()
        if node.check is not None and not isinstance(node.check, FreeText):
            return True
        stack.extend(node.children)
    return False


def engine_predictor(facts_of: Callable[[str], Any]) -> Predictor:
    """The eligibility engine on one criterion, with the facts `facts_of(note)` gives."""

    def predict(note: str, criterion: str, criterion_type: str, trial: Trial | None) -> str:
        from trialfinder.eligibility import evaluate
        from trialfinder.eligibility.logic import all_of, any_of

        tree = engine_criterion(criterion, criterion_type)
        verdicts = [r.verdict for r in evaluate(tree, facts_of(note), today=ASSESSED_ON).results]
        if not verdicts:
            return "unknown"
        # One criterion line may be read as several items: an inclusion needs all of them, an exclusion any.
        return (all_of if criterion_type == "inclusion" else any_of)(verdicts).value

    return predict


def closed_world(predictor: Predictor) -> Predictor:
    """A diagnostic, not the product: an exclusion the note says nothing about counted as not met (how the experts
    label most of them: 227 of 291 exclusions are "not excluded"). It shows how much of the gap to the target is
    the experts' closed-world reading rather than facts missed; the product keeps "unknown" honest."""

    def predict(note: str, criterion: str, criterion_type: str, trial: Trial | None) -> str:
        verdict = predictor(note, criterion, criterion_type, trial)
        return "not_met" if criterion_type == "exclusion" and verdict == "unknown" else verdict

    return predict


PREDICTORS: dict[str, Predictor] = {
    "unknown": predict_unknown,
    "engine-no-facts": engine_predictor(no_facts),
    "facts+engine": engine_predictor(facts_from_note),
    "facts+engine+closed-world": closed_world(engine_predictor(facts_from_note)),
}


def criterion_accuracy(rows: Iterable[Mapping[str, Any]], predictor: Predictor, trials: Mapping[str, Trial]):
    confusion: Counter[tuple[str, str]] = Counter()
    right = total = 0
    for row in rows:
        kind = row["criterion_type"]
        verdict = predictor(row["patient_note"], row["criterion_text"], kind, trials.get(row["trial_id"]))
        predicted = LABELS[kind][verdict]
        right += predicted == row["label"]
        total += 1
        confusion[(GOLD_VERDICT[row["label"]], verdict)] += 1
    return {"accuracy": right / total if total else float("nan"), "labels": total, "confusion": confusion}


def run_criteria(predictors: Sequence[str]) -> dict[str, Any]:
    base = BENCHMARKS / "criterion-annotations"
    rows = read_jsonl(base / "dev.jsonl")
    trials = {t["nct_id"]: t for t in read_jsonl(base / "trials.jsonl")}
    print(
        f"\n== criterion level: criterion-annotations/dev.jsonl: {len(rows)} expert labels, "
        f"{len({r['patient_id'] for r in rows})} patients, {len({r['trial_id'] for r in rows})} trials =="
    )
    print("gold: " + ", ".join(f"{k} {v}" for k, v in Counter(r["label"] for r in rows).most_common()))
    out: dict[str, Any] = {"labels": len(rows)}
    gold_order = ("met", "not_met", "unknown", "not applicable")
    for name in predictors:
        started = time.perf_counter()
        result = criterion_accuracy(rows, PREDICTORS[name], trials)
        seconds = time.perf_counter() - started
        print(f"\n{name}: accuracy {result['accuracy']:.1%} ({seconds:.1f} s)")
        print(f"  {'expert / predicted':<22} {'met':>6} {'not_met':>8} {'unknown':>8}")
        for gold in gold_order:
            counts = [result["confusion"][(gold, p)] for p in ("met", "not_met", "unknown")]
            print(f"  {gold:<22} {counts[0]:>6} {counts[1]:>8} {counts[2]:>8}")
        entry = {
            "accuracy": result["accuracy"],
            "confusion": {f"{g} -> {p}": n for (g, p), n in sorted(result["confusion"].items())},
        }
        if name.startswith("engine"):
            typed = sum(is_typed(engine_criterion(r["criterion_text"], r["criterion_type"])) for r in rows)
            print(f"  criteria with at least one typed check: {typed} of {len(rows)} ({typed / len(rows):.1%})")
            entry["typed_criteria"] = typed
        out[name] = entry
    return out


# --- Command --------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--benchmark", choices=("trec2022", "sigir", "all"), default="all")
    parser.add_argument("--rankers", default=",".join(DEFAULT_RANKERS), help=f"of {', '.join(RANKERS)}")
    parser.add_argument("--seeds", type=int, default=20, help="seeds of the random ranker (default 20)")
    parser.add_argument("--topics", type=int, default=None, help="only the first N topics of each benchmark")
    parser.add_argument("--no-criteria", action="store_true", help="skip the criterion-level measurement")
    parser.add_argument("--predictors", default=",".join(PREDICTORS), help=f"of {', '.join(PREDICTORS)}")
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    args = parser.parse_args(argv)
    if not BENCHMARKS.is_dir():
        print(f"the benchmarks are not at {BENCHMARKS}", file=sys.stderr)
        return 2
    rankers = [r for r in args.rankers.split(",") if r]
    unknown = [r for r in rankers if r not in RANKERS]
    if unknown:
        parser.error(f"unknown rankers: {', '.join(unknown)}")
    pools = {
        "trec2022": ["trec2022", "trec2022-criteria"],
        "sigir": ["sigir"],
        "all": ["trec2022", "trec2022-criteria", "sigir"],
    }[args.benchmark]
    figures: dict[str, Any] = {"measured": date.today().isoformat(), "topics_limit": args.topics, "benchmarks": {}}
    for pool in pools:
        bench = load_benchmark(pool, args.topics)
        topics = bench.scored_topics(args.topics)
        results = {name: run_ranker(bench, name, RANKERS[name], topics, args.seeds) for name in rankers}
        for result in results.values():  # the convention that counts topics without a relevant trial as 0
            share = len(topics) / bench.coverage["topics_run"] if bench.coverage["topics_run"] else 0.0
            result["asc_all_topics_run"] = {k: v * share for k, v in result["asc"].items()}
        print_benchmark(bench, results)
        figures["benchmarks"][pool] = {"coverage": bench.coverage, "rankers": results}
    if not args.no_criteria:
        figures["criteria"] = run_criteria([p for p in args.predictors.split(",") if p])
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
