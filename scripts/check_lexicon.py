"""Check the lay-English and Dutch lexicon (src/trialfinder/concepts/data/lexicon.tsv) against MeSH 2024.

Usage: python scripts/check_lexicon.py [MESH] [--studies STUDIES] [--lexicon LEXICON]

  MESH       mesh2024_synonyms.jsonl.gz, or the folder holding it (default: ../shared/data/vocabularies/ next to
             the repository)
  --studies  ClinicalTrials.gov API v2 records, one JSON per line, xz-compressed (default:
             ../shared/data/ctgov/v2-collected/studies.jsonl.xz); used only for the coverage figures

Errors (the exit status is 1 if there is any):
  - the header line is not `ui name kind en nl`, or a line does not have five tab-separated fields;
  - a `ui` is not a MeSH 2024 descriptor, or appears twice, or `name` is not its preferred name;
  - `kind` does not fit the descriptor's trees: `condition` needs a C or F03 tree (F01, behaviour, is accepted and
    listed: Depression, Anxiety, Suicide... are searched as conditions), `body` an A tree, `qualifier` a C tree;
  - a term is empty, has spaces around it, or is repeated within its line; a Dutch term starts with a capital;
  - an `en` term is already an entry term of its descriptor (case-insensitive): the search has it from MeSH;
  - a term is on two lines and is not declared in a `# shared:` comment (see below).
Warnings:
  - an `en` term that differs from one of the descriptor's entry terms only in punctuation or spacing;
  - a term that MeSH gives as an entry term of another descriptor, unless declared in an `# elsewhere-in-mesh:`
    comment;
  - a declaration that no longer matches the file.

Reviewed ambiguities are declared in the file's comments, one term list per line, separated by ` | `:
  # shared: depressie | ...             the term is deliberately on more than one line
  # elsewhere-in-mesh: anorexia | ...   the term is deliberately on another descriptor than the one MeSH gives it

Coverage: the condition descriptors of the open (recruiting, not yet recruiting) trials are counted, each once per
trial, in derivedSection.conditionBrowseModule.meshes (and, separately, .ancestors); descriptors with the same count
are ordered by their count over all the records, then by id. The script prints how many of the top 300 have a line.
"""

from __future__ import annotations

import argparse
import gzip
import json
import lzma
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LEXICON = ROOT / "src" / "trialfinder" / "concepts" / "data" / "lexicon.tsv"
SHARED = ROOT.parent / "shared"
MESH_NAME = "mesh2024_synonyms.jsonl.gz"
HEADER = ["ui", "name", "kind", "en", "nl"]
KINDS = ("condition", "body", "qualifier")
OPEN = ("RECRUITING", "NOT_YET_RECRUITING")
TOP = 300

# The extract has no tree number for the roots of the trees (the category descriptors); these are theirs.
ROOT_TREES = {
    "D007239": "C01",  # Infections
    "D009369": "C04",  # Neoplasms
    "D009140": "C05",  # Musculoskeletal Diseases
    "D004066": "C06",  # Digestive System Diseases
    "D009057": "C07",  # Stomatognathic Diseases
    "D012140": "C08",  # Respiratory Tract Diseases
    "D010038": "C09",  # Otorhinolaryngologic Diseases
    "D009422": "C10",  # Nervous System Diseases
    "D005128": "C11",  # Eye Diseases
    "D000091642": "C12",  # Urogenital Diseases
    "D002318": "C14",  # Cardiovascular Diseases
    "D006425": "C15",  # Hemic and Lymphatic Diseases
    "D009358": "C16",  # Congenital, Hereditary, and Neonatal Diseases and Abnormalities
    "D017437": "C17",  # Skin and Connective Tissue Diseases
    "D009750": "C18",  # Nutritional and Metabolic Diseases
    "D004700": "C19",  # Endocrine System Diseases
    "D007154": "C20",  # Immune System Diseases
    "D007280": "C21",  # Disorders of Environmental Origin
    "D000820": "C22",  # Animal Diseases
    "D013568": "C23",  # Pathological Conditions, Signs and Symptoms
    "D009784": "C24",  # Occupational Diseases
    "D064419": "C25",  # Chemically-Induced Disorders
    "D014947": "C26",  # Wounds and Injuries
    "D001523": "F03",  # Mental Disorders
    "D001829": "A01",  # Body Regions
    "D009141": "A02",  # Musculoskeletal System
    "D004064": "A03",  # Digestive System
    "D012137": "A04",  # Respiratory System
    "D014566": "A05",  # Urogenital System
    "D004703": "A06",  # Endocrine System
    "D002319": "A07",  # Cardiovascular System
    "D009420": "A08",  # Nervous System
    "D012679": "A09",  # Sense Organs
    "D014024": "A10",  # Tissues
    "D002477": "A11",  # Cells
    "D005441": "A12",  # Fluids and Secretions
    "D013284": "A14",  # Stomatognathic System
    "D006424": "A15",  # Hemic and Immune Systems
    "D004628": "A16",  # Embryonic Structures
    "D034582": "A17",  # Integumentary System
}


def folded(term: str) -> str:
    """The term without case, punctuation or repeated spaces: how a search would likely compare it."""
    return " ".join(re.sub(r"[-‐–'’,.()/]", " ", term.casefold()).split())


def load_mesh(path: Path) -> dict[str, dict]:
    if path.is_dir():
        path = path / MESH_NAME
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return {d["ui"]: d for d in map(json.loads, f)}


def trees_of(ui: str, mesh: dict[str, dict]) -> list[str]:
    return mesh[ui]["trees"] or ([ROOT_TREES[ui]] if ui in ROOT_TREES else [])


def kind_problem(ui: str, kind: str, mesh: dict[str, dict]) -> str | None:
    trees = trees_of(ui, mesh)
    if not trees:
        return "has no tree number in the extract: kind not checked"
    if kind == "condition" and not any(t[0] == "C" or t[:3] in ("F03", "F01") for t in trees):
        return f"is not a disease (trees {', '.join(trees)})"
    if kind == "body" and not any(t[0] == "A" for t in trees):
        return f"is not anatomy (trees {', '.join(trees)})"
    if kind == "qualifier" and not any(t[0] == "C" for t in trees):
        return f"is not in the C trees (trees {', '.join(trees)})"
    return None


def read_lexicon(path: Path) -> tuple[list[str], list[tuple[int, list[str]]], dict[str, set[str]]]:
    """The header fields, the data lines (line number, fields) and the declarations in the comments."""
    declared: dict[str, set[str]] = {"shared": set(), "elsewhere-in-mesh": set()}
    header: list[str] = []
    rows: list[tuple[int, list[str]]] = []
    with path.open(encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith("#"):
                m = re.match(r"#\s*(shared|elsewhere-in-mesh):(.*)", line)
                if m:
                    declared[m.group(1)] |= {t.strip().casefold() for t in m.group(2).split(" | ") if t.strip()}
                continue
            if not line.strip():
                continue
            if not header:
                header = line.split("\t")
                continue
            rows.append((number, line.split("\t")))
    return header, rows, declared


def terms(field: str) -> list[str]:
    return field.split(" | ") if field != "" else []


def open_trial_counts(path: Path, mesh: dict[str, dict]) -> tuple[Counter, Counter, Counter]:
    """Per descriptor, the number of open trials naming it in meshes, in ancestors, and of all trials in meshes."""

    def ui(raw: str) -> str:
        # Some records write D007938 as D000007938.
        if raw not in mesh and re.fullmatch(r"D000\d{6}", raw) and "D" + raw[4:] in mesh:
            return "D" + raw[4:]
        return raw

    meshes, ancestors, everywhere = Counter(), Counter(), Counter()
    with lzma.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            status = record["protocolSection"]["statusModule"].get("overallStatus")
            browse = record.get("derivedSection", {}).get("conditionBrowseModule", {})
            named = {ui(m["id"]) for m in browse.get("meshes", [])}
            everywhere.update(named)
            if status in OPEN:
                meshes.update(named)
                ancestors.update({ui(m["id"]) for m in browse.get("ancestors", [])})
    return meshes, ancestors, everywhere


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("mesh", nargs="?", type=Path, default=SHARED / "data" / "vocabularies")
    parser.add_argument("--studies", type=Path, default=SHARED / "data" / "ctgov" / "v2-collected" / "studies.jsonl.xz")
    parser.add_argument("--lexicon", type=Path, default=LEXICON)
    args = parser.parse_args()

    mesh = load_mesh(args.mesh)
    entry_terms = {ui: {t.casefold() for t in d["terms"]} for ui, d in mesh.items()}
    mesh_owner: dict[str, set[str]] = defaultdict(set)  # folded entry term -> descriptors that have it
    for ui, d in mesh.items():
        for t in d["terms"]:
            mesh_owner[folded(t)].add(ui)

    header, rows, declared = read_lexicon(args.lexicon)
    errors: list[str] = []
    warnings: list[str] = []
    notes: list[str] = []
    if header != HEADER:
        errors.append(f"header line is {header!r}, not {HEADER!r}")

    seen: dict[str, int] = {}
    where: dict[str, set[str]] = defaultdict(set)  # folded term -> lines' ui
    kinds: Counter = Counter()
    for number, fields in rows:
        at = f"line {number}"
        if len(fields) != 5:
            errors.append(f"{at}: {len(fields)} fields, not 5")
            continue
        ui, name, kind, en, nl = fields
        if ui not in mesh:
            errors.append(f"{at}: {ui} is not a MeSH 2024 descriptor")
            continue
        at = f"line {number} ({ui} {mesh[ui]['name']})"
        if ui in seen:
            errors.append(f"{at}: {ui} is already on line {seen[ui]}")
        seen[ui] = number
        if name != mesh[ui]["name"]:
            errors.append(f"{at}: name {name!r} is not the preferred name")
        if kind not in KINDS:
            errors.append(f"{at}: kind {kind!r} is not one of {', '.join(KINDS)}")
        else:
            kinds[kind] += 1
            problem = kind_problem(ui, kind, mesh)
            if problem:
                (warnings if "not checked" in problem else errors).append(f"{at}: {kind}, but {problem}")
            elif kind == "condition" and not any(t[0] == "C" or t.startswith("F03") for t in trees_of(ui, mesh)):
                notes.append(f"{ui} {mesh[ui]['name']}: a condition from the F01 (behaviour) tree")
        if not nl:
            errors.append(f"{at}: no Dutch term")
        for column, field in (("en", en), ("nl", nl)):
            listed: set[str] = set()
            for term in terms(field):
                if not term.strip():
                    errors.append(f"{at}: empty {column} term")
                    continue
                if term != term.strip() or "\t" in term or "|" in term:
                    errors.append(f"{at}: {column} term {term!r} has stray spaces or separators")
                key = term.casefold()
                if key in listed:
                    errors.append(f"{at}: {column} term {term!r} is repeated")
                listed.add(key)
                where[folded(term)].add(ui)
                if column == "nl" and term[0].isupper():
                    errors.append(f"{at}: Dutch term {term!r} starts with a capital")
                if column == "en" and key in entry_terms[ui]:
                    errors.append(f"{at}: {term!r} is already a MeSH entry term of {ui}")
                elif column == "en" and folded(term) in {folded(t) for t in mesh[ui]["terms"]}:
                    warnings.append(f"{at}: {term!r} differs from a MeSH entry term only in punctuation")
                owners = mesh_owner.get(folded(term), set()) - {ui}
                if owners and ui not in mesh_owner.get(folded(term), set()):
                    if folded(term) not in {folded(t) for t in declared["elsewhere-in-mesh"]}:
                        names = "; ".join(f"{o} {mesh[o]['name']}" for o in sorted(owners))
                        warnings.append(f"{at}: {column} term {term!r} is a MeSH entry term of {names}")

    shared_declared = {folded(t) for t in declared["shared"]}
    for term, uis in sorted(where.items()):
        if len(uis) > 1:
            lines = ", ".join(f"{u} {mesh[u]['name']}" for u in sorted(uis))
            if term in shared_declared:
                notes.append(f"{term!r} is on {lines} (declared shared)")
            else:
                errors.append(f"{term!r} is on several lines: {lines} (choose one, or declare it `# shared:`)")
    for term in sorted(shared_declared - {t for t, u in where.items() if len(u) > 1}):
        warnings.append(f"`# shared: {term}` is declared but the term is not on several lines")
    elsewhere = {folded(t) for t in declared["elsewhere-in-mesh"]}
    for term in sorted(elsewhere - set(where)):
        warnings.append(f"`# elsewhere-in-mesh: {term}` is declared but the term is not in the file")

    for title, items in (("errors", errors), ("warnings", warnings), ("notes", notes)):
        if items:
            print(f"{title} ({len(items)}):")
            for item in items:
                print("  " + item)
    total = sum(kinds.values())
    print(f"lines: {total} ({', '.join(f'{k} {kinds[k]}' for k in KINDS)})")

    if args.studies.exists():
        meshes, ancestors, everywhere = open_trial_counts(args.studies, mesh)
        for title, counts in (("meshes", meshes), ("ancestors", ancestors)):
            ranked = sorted(counts, key=lambda u: (-counts[u], -everywhere[u], u))
            top = ranked[:TOP]
            missing = [u for u in top if u not in seen]
            print(
                f"coverage of the top {len(top)} descriptors of open trials by {title}: {len(top) - len(missing)}"
                f" have a line ({len(ranked)} distinct descriptors; the {len(top)}th is named by"
                f" {counts[top[-1]]} trial(s))"
            )
            for u in missing[:40]:
                print(f"  missing: {u} {mesh[u]['name']} ({counts[u]} open trials)")
    else:
        print(f"coverage not computed: {args.studies} not found")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
