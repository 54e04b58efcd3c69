"""bench/matching.py (issue #18): the metric wiring, the tie-breaking and the criterion-level mapping, checked by
hand on tiny inputs; the benchmark loader against the counts its README gives (shared data)."""

from __future__ import annotations

import importlib.util
import math
import sys

import pytest
from conftest import PROJECT_ROOT, require_shared


def _load():
    name = "bench_matching"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, PROJECT_ROOT / "bench" / "matching.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


matching = _load()
pytest.importorskip("ir_measures")


def test_metrics_match_a_hand_computed_example():
    # Run C, A, B, D; grades A 2, B 1, C 0, D 2.
    qrels = {"q": {"A": 2, "B": 1, "C": 0, "D": 2}}
    run = {"q": matching.as_run(["C", "A", "B", "D"])}
    dcg = 0 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4) + 2 / math.log2(5)
    ideal = 2 / math.log2(2) + 2 / math.log2(3) + 1 / math.log2(4)
    figures = matching.evaluate_runs(qrels, run)
    assert figures["nDCG@10"] == pytest.approx(dcg / ideal, abs=1e-4)  # 0.6973: graded gains 2 and 1
    assert figures["P@10"] == pytest.approx(2 / 10)  # only grade 2 counts; trec_eval divides by 10
    assert figures["R@100"] == pytest.approx(1.0)  # grades 1 and 2 count as relevant


def test_topics_are_averaged():
    qrels = {"q1": {"A": 2, "B": 0}, "q2": {"A": 0, "B": 2}}
    runs = {"q1": matching.as_run(["A", "B"]), "q2": matching.as_run(["A", "B"])}
    figures = matching.evaluate_runs(qrels, runs)
    assert figures["nDCG@10"] == pytest.approx((1.0 + 1 / math.log2(3)) / 2, abs=1e-4)


def test_ties_are_broken_by_nct_id_never_by_the_judgments_order():
    scores = {"NCT00000003": 1.0, "NCT00000001": 1.0, "NCT00000002": 1.0, "NCT00000009": 2.0}
    assert matching.ordered(scores) == ["NCT00000009", "NCT00000001", "NCT00000002", "NCT00000003"]
    assert matching.ordered(scores, descending_ids=True) == ["NCT00000009", "NCT00000003", "NCT00000002", "NCT00000001"]


def _tiny_benchmark():
    # The judgments list the eligible trial first: a harness that kept that order would put it on top.
    qrels = {"t1": {"NCT00000003": 2, "NCT00000001": 0, "NCT00000002": 0}}
    trials = {n: {"nct_id": n, "title": "a trial"} for n in ("NCT00000001", "NCT00000002", "NCT00000003")}
    return matching.Benchmark("tiny", "tiny", {"t1": "a patient"}, qrels, trials)


def test_a_ranker_whose_scores_tie_is_scored_in_nct_id_order_both_ways():
    bench = _tiny_benchmark()
    assert [t["nct_id"] for t in bench.pool("t1")] == ["NCT00000001", "NCT00000002", "NCT00000003"]
    tied = matching.RankerSpec(lambda bench, seed: lambda text, trials: {t["nct_id"]: 0.0 for t in trials})
    result = matching.run_ranker(bench, "tied", tied, ["t1"], seeds=1)
    assert result["asc"]["nDCG@10"] == pytest.approx(1 / math.log2(4) / 1.0, abs=1e-4)  # eligible trial third
    assert result["desc"]["nDCG@10"] == pytest.approx(1.0)  # first when ties go the other way


def test_bm25_by_hand():
    index = matching.BM25({"a": ["x", "y"], "b": ["y"]})
    # N 2, df(x) 1: idf ln 2; avgdl 1.5, |a| 2: norm 1.2 * (0.25 + 0.75 * 2 / 1.5) = 1.5
    assert index.score(["x"], "a") == pytest.approx(math.log(2) * 2.2 / 2.5)
    assert index.score(["x"], "b") == 0.0


def test_criterion_verdicts_map_to_the_experts_labels():
    rows = [
        {
            "patient_note": "n",
            "criterion_text": "c",
            "criterion_type": "inclusion",
            "trial_id": "T",
            "label": "not enough information",
        },
        {
            "patient_note": "n",
            "criterion_text": "c",
            "criterion_type": "exclusion",
            "trial_id": "T",
            "label": "not excluded",
        },
        {
            "patient_note": "n",
            "criterion_text": "c",
            "criterion_type": "exclusion",
            "trial_id": "T",
            "label": "excluded",
        },
    ]
    result = matching.criterion_accuracy(rows, matching.predict_unknown, {})
    assert result["accuracy"] == pytest.approx(1 / 3)
    assert result["confusion"][("not_met", "unknown")] == 1
    said_no = matching.criterion_accuracy(rows, lambda *args: "not_met", {})
    assert said_no["accuracy"] == pytest.approx(1 / 3)  # "not_met" on an exclusion is "not excluded"


def test_the_engine_answers_only_from_facts():
    without_facts = matching.PREDICTORS["engine-no-facts"]
    assert without_facts("A 58-year-old woman.", "Male and female", "inclusion", None) == "met"
    assert without_facts("A 58-year-old woman.", "Age 18 to 65", "inclusion", None) == "unknown"
    # Read from the note, the age answers the criterion; what the note does not say stays unknown.
    from_note = matching.PREDICTORS["facts+engine"]
    assert from_note("A 58-year-old woman.", "Age 18 to 65", "inclusion", None) == "met"
    assert from_note("A 58-year-old woman.", "Age 18 to 50", "inclusion", None) == "not_met"
    assert from_note("A 58-year-old woman.", "History of stroke", "exclusion", None) == "unknown"


@pytest.mark.shared_data
def test_sigir_loads_with_the_counts_of_its_readme():
    require_shared("benchmarks/sigir")
    bench = matching.load_benchmark("sigir")
    c = bench.coverage
    assert (c["topics_in_queries"], c["topics_with_judgments"]) == (59, 58)
    assert (c["judged_pairs"], c["judged_trials"], c["judged_trials_with_text"]) == (3835, 3593, 3592)
    assert c["judged_trials_with_criteria"] == 307
    assert c["judged_pairs_by_grade"] == {0: 2733, 1: 681, 2: 421}
