"""Build the vocabulary that search ships (src/trialfinder/concepts/data/vocabulary.tsv.gz).

Usage: python scripts/build_vocabulary.py [--shared ../shared] [--out FILE] [--report]

Runs with the project's virtualenv (`make vocabulary`), with `src/` importable: terms are normalised with
trialfinder's own `concepts.normalise`, so that the file and the search compare words the same way. Reads:
  - shared/data/vocabularies/mesh2024_synonyms.jsonl.gz: MeSH 2024 descriptors, tree numbers, entry terms;
  - shared/data/vocabularies/doid_*.jsonl.gz: Disease Ontology abbreviations (synonyms of type OMO:0003012) of
    diseases that have a MeSH cross-reference, or else whose name is the term of exactly one condition descriptor;
  - shared/data/vocabularies/medical_abbreviations_imantsm.csv: clinical abbreviations, kept when their meaning is
    (normalised) a term of exactly one condition descriptor;
  - src/trialfinder/concepts/data/lexicon.tsv: the hand-written lay English and Dutch words;
  - src/trialfinder/data/starter-catalogue.tar.xz: the records the product ships, for two counts only: how many
    trials are registered under each descriptor (to choose between the meanings of an abbreviation) and which words
    registry text uses (words that search never "corrects", and abbreviations that are also lowercase words).

What goes in (see src/trialfinder/concepts/data/README.md for the format):
  - descriptors of the disease trees (C, F03) and the category descriptors at their roots; every descriptor the
    lexicon names (F01 moods, A-tree body parts); the drug and chemical descriptors (D trees);
  - their entry terms, less chemical noise: terms longer than MAX_TERM characters, terms with a digit and a comma
    or bracket (IUPAC names such as "4-Benzoxazolecarboxylic acid, 5-(methylamino)-2-..."), and inverted forms
    ("Neoplasms, Colorectal") whose words another term of the descriptor already has in order;
  - the match keys: each term normalised, with the source that says when it counts (`en`, `nl` Dutch queries
    only, `ab` abbreviation, upper case: only when typed in capitals), and the singular of a plural last word;
  - the word list that spelling correction uses, with how many condition terms use each word.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "scripts"))

from check_lexicon import ROOT_TREES, read_lexicon, terms  # noqa: E402

from trialfinder.concepts.normalise import normalise, singulars  # noqa: E402
from trialfinder.concepts.spelling import DeletionIndex  # noqa: E402
from trialfinder.concepts.vocabulary import Descriptor, Vocabulary, abbreviation_like, alnum_length  # noqa: E402

DATA = ROOT / "src" / "trialfinder" / "concepts" / "data"
LEXICON = DATA / "lexicon.tsv"
OUT = DATA / "vocabulary.tsv.gz"
CATALOGUE = ROOT / "src" / "trialfinder" / "data" / "starter-catalogue.tar.xz"
MESH_NAME = "mesh2024_synonyms.jsonl.gz"
ABBREVIATIONS_NAME = "medical_abbreviations_imantsm.csv"
ABBREVIATION_TYPE = "OMO:0003012"
MAX_TERM = 40  # characters: longer entry terms of chemicals are systematic names nobody types
MAX_ABBREVIATION = 10  # characters of an abbreviation
DOMINANCE = 3  # an abbreviation with several meanings keeps the one with this many times the trials of the next
LOWERCASE_WORD_TRIALS = 3  # an abbreviation written in lowercase in this many trials' text is also a word
KNOWN_WORD_TRIALS = 3  # a word in the text of this many trials is a known word (never corrected)...
SLIP_RATIO = 20  # ...unless a condition word one letter away is used by this many times as many trials
_IUPAC = re.compile(r"\d.*[,()\[\]]|[,()\[\]].*\d")
_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")

CONDITION, BODY, QUALIFIER, INTERVENTION = "condition", "body", "qualifier", "intervention"
HEADER = (
    "Built by scripts/build_vocabulary.py; what it holds and where from: README.md beside this file.",
    "MeSH 2024 (Medical Subject Headings, U.S. National Library of Medicine): a derived extract.",
    "Abbreviations from the Human Disease Ontology (CC0) and from imantsm/medical_abbreviations (MIT,",
    "Copyright (c) 2020 imantsm; LICENSE-medical-abbreviations.txt); lay English and Dutch words from lexicon.tsv.",
)


def is_condition_tree(tree: str) -> bool:
    return tree[0] == "C" or tree.startswith("F03")


def load_mesh(folder: Path) -> dict[str, dict]:
    with gzip.open(folder / MESH_NAME, "rt", encoding="utf-8") as f:
        mesh = {d["ui"]: d for d in map(json.loads, f)}
    for ui, tree in ROOT_TREES.items():
        if ui in mesh and not mesh[ui]["trees"]:
            mesh[ui]["trees"] = [tree]
    return mesh


def kept_terms(descriptor: dict, chemical: bool) -> list[str]:
    """The descriptor's entry terms worth matching and showing, its name first."""
    name = descriptor["name"]
    out: list[str] = []
    seen: set[str] = set()
    for term in [name, *descriptor["terms"]]:
        term = " ".join(term.split())
        if term in seen:
            continue
        if term != name and chemical and (len(term) > MAX_TERM or _IUPAC.search(term)):
            continue
        seen.add(term)
        out.append(term)
    # Drop inverted forms ("Neoplasms, Colorectal") when another term has the same words in reading order.
    in_order = {tuple(sorted(normalise(t).split())) for t in out if ", " not in t}
    return [t for t in out if t == name or ", " not in t or tuple(sorted(normalise(t).split())) not in in_order]


class Catalogue:
    """Counts from the starter catalogue: trials per condition descriptor, and trials per word of their text."""

    def __init__(self, path: Path, mesh: dict[str, dict]):
        from trialfinder.registries.files import open_source
        from trialfinder.registries.records import to_trial

        by_name = {normalise(d["name"]): ui for ui, d in mesh.items()}
        self.trials_by_descriptor: Counter[str] = Counter()
        self.word_trials: Counter[str] = Counter()
        self.lowercase_trials: Counter[str] = Counter()
        self.trials = 0
        for _, raw in open_source(path).records():
            try:
                trial = to_trial(raw.loaded())
            except Exception:  # noqa: BLE001 - a record the importer would also skip
                continue
            self.trials += 1
            named = set()
            for term in trial.mesh_terms:
                ui = term.id if term.id in mesh else by_name.get(normalise(term.term))
                if ui:
                    named.add(ui)
            self.trials_by_descriptor.update(named)
            texts = [trial.brief_title, trial.official_title or "", trial.brief_summary or "", *trial.conditions,
                     *trial.keywords, *(i.name for i in trial.interventions)]
            words: set[str] = set()
            lowercase: set[str] = set()
            for text in texts:
                for word in _WORD.findall(text):
                    words.update(normalise(word).split())
                    if word.islower():
                        lowercase.add(word.casefold())
            self.word_trials.update(words)
            self.lowercase_trials.update(lowercase)


def known_words(catalogue: Catalogue, kinds: dict, descriptor_terms: dict, lay: dict) -> dict[str, int]:
    """The words of registry text used by KNOWN_WORD_TRIALS trials or more, with their number of trials; less the
    rare spellings of a condition word that SLIP_RATIO times as many trials spell otherwise ("prostrate" for
    "prostate"): those are slips that spelling correction should correct, not words it should leave alone."""
    condition_words: dict[str, int] = {}
    for ui, kind in kinds.items():
        if kind in (CONDITION, QUALIFIER):
            for term in descriptor_terms[ui] + lay[ui]:
                for word in normalise(term).split():
                    if word.isalpha():
                        condition_words[word] = catalogue.word_trials[word]
    index = DeletionIndex(condition_words)
    known = {}
    for word, trials in catalogue.word_trials.items():
        if trials < KNOWN_WORD_TRIALS or not word.isalpha():
            continue
        if word not in condition_words and len(word) >= 5:
            nearby = index.candidates(word, 1)
            if any(catalogue.word_trials[other] >= SLIP_RATIO * trials for other in nearby):
                continue
        known[word] = trials
    return known


def build(shared: Path, report: bool) -> tuple[str, dict]:
    vocabularies = shared / "data" / "vocabularies"
    mesh = load_mesh(vocabularies)
    header, rows, _ = read_lexicon(LEXICON)
    lexicon = {fields[0]: fields for _, fields in rows}

    # Which descriptors, of which kind.
    kinds: dict[str, str] = {}
    for ui, d in mesh.items():
        trees = d["trees"]
        if ui in lexicon:
            kinds[ui] = lexicon[ui][2]
        elif any(is_condition_tree(t) for t in trees):
            kinds[ui] = CONDITION
        elif any(t[0] == "D" for t in trees):
            kinds[ui] = INTERVENTION
    descriptor_terms = {ui: kept_terms(mesh[ui], kinds[ui] == INTERVENTION) for ui in kinds}
    lay = {ui: terms(lexicon[ui][3]) if ui in lexicon else [] for ui in kinds}
    dutch = {ui: terms(lexicon[ui][4]) if ui in lexicon else [] for ui in kinds}

    catalogue = Catalogue(CATALOGUE, mesh)
    stats: dict = {"catalogue trials": catalogue.trials}

    # Abbreviations of conditions, from every source, as candidates (abbreviation as written -> descriptor ->
    # sources), to choose one meaning each below. Vocabulary.from_rows makes every other term a match key.
    candidates: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for ui, kind in kinds.items():
        if kind in (CONDITION, QUALIFIER):
            for term in descriptor_terms[ui]:
                if abbreviation_like(term):
                    candidates[term][ui].add("MeSH")
            for term in lay[ui]:
                if abbreviation_like(term):
                    candidates[term][ui].add("lexicon")

    # Abbreviations: candidates (abbreviation as written -> descriptor -> sources), then one meaning each.
    conditions = {ui for ui, kind in kinds.items() if kind == CONDITION}
    condition_term_owner: dict[str, set[str]] = defaultdict(set)
    for ui in conditions:
        for term in descriptor_terms[ui] + lay[ui]:
            key = normalise(term)
            condition_term_owner[key].add(ui)
            words = key.split()
            for singular in singulars(words[-1]) if words else ():
                condition_term_owner[" ".join([*words[:-1], singular])].add(ui)
    doid = sorted(vocabularies.glob("doid_*.jsonl.gz"))[-1]
    with gzip.open(doid, "rt", encoding="utf-8") as f:
        for disease in map(json.loads, f):
            if disease.get("obs"):
                continue
            meshes = [x.split(":", 1)[1] for x in disease["xref"] if x.startswith("MESH:")]
            meshes = [ui for ui in meshes if ui in conditions]
            if not meshes:
                # No cross-reference: the one condition descriptor that has the disease's name, or one of its exact
                # synonyms, as a term ("triple-negative breast cancer": Triple Negative Breast Neoplasms).
                names = [disease["name"]] + [syn["t"] for syn in disease["syn"] if syn["scope"] == "EXACT"]
                owners = set().union(*(condition_term_owner.get(normalise(name), set()) for name in names))
                meshes = sorted(owners) if len(owners) == 1 else []
            for syn in disease["syn"]:
                if syn["type"] == ABBREVIATION_TYPE:
                    for ui in meshes:
                        candidates[syn["t"].strip()][ui].add("Disease Ontology")
    with (vocabularies / ABBREVIATIONS_NAME).open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            abbreviation = row["Abbreviation/Shorthand"].strip()
            owners = condition_term_owner.get(normalise(row["Meaning"]), set())
            if len(owners) == 1:
                candidates[abbreviation][next(iter(owners))].add("abbreviation list")
    abbreviations: dict[str, str] = {}
    dropped_abbreviations: list[str] = []
    chosen_abbreviations: list[str] = []
    by_tree = {tree: ui for ui in kinds for tree in mesh[ui]["trees"]}
    ancestors = {
        ui: {by_tree[t[:i]] for t in mesh[ui]["trees"] for i in range(len(t)) if t[i] == "." and t[:i] in by_tree}
        for ui in kinds
    }
    direct = catalogue.trials_by_descriptor
    lexicon_keys: dict[str, set[str]] = defaultdict(set)  # the reviewed lexicon's terms (ibd, itp: Dutch, lowercase)
    for ui in lexicon:
        for term in lay[ui] + dutch[ui]:
            lexicon_keys[normalise(term)].add(ui)
    for abbreviation, meanings in sorted(candidates.items()):
        if not (2 <= alnum_length(abbreviation) and len(abbreviation) <= MAX_ABBREVIATION) or " " in abbreviation:
            continue
        if not abbreviation_like(abbreviation) and not re.fullmatch(r"[A-Za-z0-9-]+", abbreviation):
            continue
        # One meaning: the reviewed lexicon's if it has one; else, after leaving out the meanings narrower than
        # another (CKD: Chronic Kidney Failure is within Chronic Renal Insufficiency), the one that more sources give,
        # or as many sources but DOMINANCE times as many trials registered under it (or under a narrower meaning).
        reviewed = sorted({ui for ui, sources in meanings.items() if "lexicon" in sources} | lexicon_keys[normalise(abbreviation)])
        for ui in reviewed:
            meanings[ui].add("lexicon")
        broadest = [ui for ui in meanings if not any(other in ancestors[ui] for other in meanings if other != ui)]
        # Trials registered under the meaning itself or under a narrower meaning of the same abbreviation.
        trials = {ui: direct[ui] + sum(direct[o] for o in meanings if ui in ancestors[o]) for ui in meanings}
        ranked = sorted(reviewed or broadest, key=lambda ui: (-len(meanings[ui]), -trials[ui], ui))
        best = ranked[0]
        described = "; ".join(f"{mesh[u]['name']} ({trials[u]} trials, {', '.join(sorted(meanings[u]))})" for u in ranked)
        if len(ranked) > 1:
            second = ranked[1]
            if len(meanings[best]) == len(meanings[second]) and (
                trials[best] == 0 or trials[best] < DOMINANCE * trials[second]
            ):
                dropped_abbreviations.append(f"{abbreviation}: {described}")
                continue
            chosen_abbreviations.append(f"{abbreviation}: {described}")
        abbreviations[abbreviation] = best
    stats["abbreviations kept"] = len(abbreviations)
    stats["abbreviations dropped (no dominant meaning)"] = len(dropped_abbreviations)
    if report:
        print("abbreviations without a dominant meaning (dropped):")
        for line in dropped_abbreviations:
            print("  " + line)
        print("abbreviations with several meanings, the first kept:")
        for line in chosen_abbreviations:
            print("  " + line)

    # Abbreviations of more than three characters that registry text also writes as a lowercase word (COLD,
    # not "cold") are matched only when typed in capitals; words of registry text are never "corrected".
    lowercase = {w for w, n in catalogue.lowercase_trials.items() if n >= LOWERCASE_WORD_TRIALS}
    caps = {normalise(t) for ui in kinds for t in [*descriptor_terms[ui], *lay[ui], *abbreviations]}
    caps = {key for key in caps if key in lowercase}
    known = known_words(catalogue, kinds, descriptor_terms, lay)
    stats["registry words taken for slips of a condition word"] = len(
        [w for w, n in catalogue.word_trials.items() if n >= KNOWN_WORD_TRIALS and w.isalpha() and w not in known]
    )
    rows = [
        Descriptor(ui, mesh[ui]["name"], tuple(sorted(mesh[ui]["trees"])), tuple(descriptor_terms[ui]),
                   tuple(lay[ui]), tuple(dutch[ui]), kinds[ui])
        for ui in sorted(kinds)
    ]
    vocabulary = Vocabulary.from_rows(rows, abbreviations, caps_only=caps, known_words=known)
    text = vocabulary.to_text(HEADER)
    lines = text.splitlines()
    words = [line for line in lines if line.startswith("W\t")]
    stats["descriptors"] = dict(sorted(Counter(kinds.values()).items()))
    stats["terms"] = sum(len(descriptor_terms[ui]) for ui in kinds)
    stats["lay and Dutch terms"] = sum(len(lay[ui]) + len(dutch[ui]) for ui in kinds)
    stats["match keys"] = sum(1 for line in lines if line.startswith("K\t"))
    stats["correction words"] = sum(1 for line in words if line.split("\t")[2:4] != ["0", "0"])
    stats["known words"] = len(words) - stats["correction words"]
    return text, stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--report", action="store_true", help="list the abbreviations dropped as ambiguous")
    args = parser.parse_args()
    text, stats = build(args.shared, args.report)
    buffer = io.BytesIO()
    # mtime=0 and no file name: the same input gives the same bytes.
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="", compresslevel=9) as f:
        f.write(text.encode("utf-8"))
    args.out.write_bytes(buffer.getvalue())
    for name, value in stats.items():
        print(f"{name}: {value}")
    print(f"wrote {args.out} ({len(buffer.getvalue()):,} bytes; {len(text.encode()):,} uncompressed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
