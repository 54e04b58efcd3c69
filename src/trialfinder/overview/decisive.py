"""A trial's decisive entry conditions: the few criteria a person checks first, in plain words (issue #15).

They are read from the eligibility engine's typed checks (`eligibility.parser`), not from the text again: where the
cancer must have spread (`MetastaticSite`) or must not have (`Not(MetastaticSite)` under inclusion, a plain
`MetastaticSite` under exclusion), and treatment a person must or must not have had (`PriorTreatment`). The stage
words of an inclusion criterion (unresectable, synchronous, locally advanced, recurrent ...) qualify the cancer;
"refractory" and "treatment-naive" say what treatment came before. Only top-level criteria count, in the order of
importance the rules give (where the cancer is, its stage, where it must not be, prior treatment), at most
`MAX_DECISIVE` sentences. Every rule is general (`data/decisive.json`); the same record gives the same sentences.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from trialfinder.eligibility.model import (
    AllOf,
    AnyOf,
    Check,
    CriteriaTree,
    Criterion,
    Diagnosis,
    MetastaticSite,
    Not,
    PriorTreatment,
    Section,
)
from trialfinder.eligibility.parser import parse_criteria
from trialfinder.eligibility.units import lexicon as eligibility_lexicon

MAX_DECISIVE = 5
_PRIMARY_TUMOUR = re.compile(r"\bprimary\s+(?:tumou?r|lesion|site)\b", re.IGNORECASE)


# Prior treatments that are medicines: the only ones an inclusion criterion is read as requiring.
_MEDICINES = frozenset({"systemic", "chemotherapy", "immunotherapy", "targeted", "hormonal", "anti_egfr", "drug"})
_NEGATION_BEFORE = re.compile(r"\b(?:no|not|without|non|never)\W+(?:\w+\W+)?$", re.IGNORECASE)


def _unnegated(pattern: re.Pattern[str], text: str) -> bool:
    """Whether `pattern` occurs in `text` other than right after a negation ("No progression after ...")."""
    return any(not _NEGATION_BEFORE.search(text[max(0, m.start() - 20) : m.start()]) for m in pattern.finditer(text))


@dataclass(frozen=True, slots=True)
class Decisive:
    """One decisive sentence: `kind` (spread, stage, no_spread, no_prior, prior_required, refractory, naive) and
    the criteria it came from."""

    kind: str
    text: str
    criterion_ids: tuple[str, ...]


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return json.loads(resources.files("trialfinder.overview").joinpath("data/decisive.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[tuple[str, re.Pattern[str]], ...], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    data = _data()
    stage = tuple((rule["id"], re.compile(rule["pattern"], re.IGNORECASE)) for rule in data["stage"])
    return (
        stage,
        re.compile(data["refractory"], re.IGNORECASE),
        re.compile(data["naive"], re.IGNORECASE),
        re.compile(data["cancer"], re.IGNORECASE),
    )


# Only top-level criteria that name a spread, a stage or an earlier treatment can be decisive: the rest (lab
# values, sub-bullets, consent) is left out before parsing, which is most of the parser's work.
_HEADING = re.compile(r"^\s*(?:#+\s*)?(?:inclusion|exclusion)\b[^:\n]*:?\s*$", re.IGNORECASE)
_CANDIDATE = re.compile(
    r"metasta|\bCRLM\b|secondar|spread|prior|previous|history of|receiv|receipt|treated|undergo|underw|\bhad\b|"
    r"exposure|exposed|before|na[iï]ve|first[- ]line|resect|operable|synchronous|metachronous|locally|recurren|"
    r"relapsed|refractory|newly|stage|fail|progress|cancer|carcinom|tumou?r|neoplas|malignan",
    re.IGNORECASE,
)


_LONGEST = 400


@lru_cache(maxsize=16)
def criteria_tree(criteria: str) -> CriteriaTree:
    """The candidate criteria parsed, once for both languages (the generator writes English and Dutch in a row)."""
    kept = [
        # A criterion says what decides it near its start; a legacy record's one-line block of every criterion
        # ("DISEASE CHARACTERISTICS: ...") is read no further than its opening words.
        line if len(line) <= _LONGEST else line[:_LONGEST].rsplit(" ", 1)[0]
        for line in criteria.splitlines()
        if _HEADING.match(line) or (line[:1] not in (" ", "\t") and _CANDIDATE.search(line))
    ]
    return parse_criteria("\n".join(kept))


def decisive_conditions(
    criteria: str | None, conditions: tuple[str, ...], language: str, *, open: bool
) -> list[Decisive]:
    """The decisive entry conditions of a trial whose criteria text is `criteria`, in `language`; `open` says them
    to the reader ("You must have ..."), else in the past ("People who could take part had ...")."""
    if not criteria or not criteria.strip():
        return []
    tree = criteria_tree(criteria)
    return _Reader(tree, conditions, language, "open" if open else "closed").read()


class _Reader:
    def __init__(self, tree: CriteriaTree, conditions: tuple[str, ...], language: str, mood: str) -> None:
        self.tree = tree
        self.language = language
        self.mood = mood
        self.data = _data()
        self.words = self.data["words"][language]
        stage, self.refractory, self.naive, cancer = _patterns()
        self.stage_rules = stage
        self.cancer = any(cancer.search(text) for text in conditions) or any(
            cancer.search(criterion.source_text) for criterion in tree.criteria
        )
        self.primary = self._primary()

    def frame(self, name: str, **values: str) -> str:
        text = self.data["frames"][name][self.language][self.mood].format(**values)
        return text[:1].upper() + text[1:]

    def _primary(self) -> str | None:
        """The concept of the illness the trial is for: the first inclusion diagnosis the lexicon has words for."""
        for criterion in self.tree.criteria:
            if criterion.section is Section.INCLUSION and isinstance(criterion.check, Diagnosis):
                if not criterion.check.history:
                    for concept in criterion.check.concepts:
                        if concept in self.data["primaries"]:
                            return concept
        return None

    def primary_tumour(self) -> str:
        if self.primary:
            return self.data["primaries"][self.primary][self.language]["tumour"]
        return self.words["primary"]

    def read(self) -> list[Decisive]:
        found: list[tuple[int, int, Decisive]] = []  # (rank, order, sentence)
        for order, criterion in enumerate(self.tree.criteria):
            for rank, decisive in self._criterion(criterion):
                found.append((rank, order, decisive))
        chosen: list[Decisive] = []
        seen: set[str] = set()
        for _, _, decisive in sorted(found, key=lambda item: (item[0], item[1])):
            if decisive.text in seen:
                continue
            if decisive.kind == "naive" and any(item.kind == "no_prior" for item in chosen):
                continue
            seen.add(decisive.text)
            chosen.append(decisive)
        return chosen[:MAX_DECISIVE]

    # --- One criterion ---------------------------------------------------------------------------------------

    def _criterion(self, criterion: Criterion) -> list[tuple[int, Decisive]]:
        check = criterion.check
        ids = (criterion.id,)
        out: list[tuple[int, Decisive]] = []
        inclusion = criterion.section is Section.INCLUSION
        negated = isinstance(check, Not)
        inner = check.check if isinstance(check, Not) else check
        # What the person must have (an inclusion criterion) or must not have (a negated inclusion criterion, or an
        # exclusion criterion); a negated exclusion criterion is a double negative, left to the full criteria.
        if not inclusion and negated:
            return out
        must_not = negated or not inclusion
        spread = self._sites(inner)
        if spread and not must_not:
            out.append((0, Decisive("spread", self.frame("spread", where=self._where(spread[0])), ids)))
            clauses = self._stage_clauses(criterion.source_text, skip={"metastatic"})
            if clauses:
                out.append((0, Decisive("stage", self.frame("spread_stage", clauses=clauses), ids)))
            return out
        if spread:
            # "Symptomatic brain metastases" under exclusion rules out only some people: not decisive.
            checks = [site for site in spread if inclusion or not site.qualifiers]
            if checks:
                where = self._join([self._where(site) for site in checks], "or")
                out.append((2, Decisive("no_spread", self.frame("no_spread", where=where), ids)))
            return out
        treatments = self._treatments(inner)
        if treatments and not must_not and any(option.kind not in _MEDICINES for option in treatments):
            treatments = []  # a procedure "required" is mostly a misreading of an exception ("treated lesions are allowed")
        if treatments:
            text = self._treatment_sentence(treatments, required=not must_not, yet=inclusion and negated)
            out.append((3, Decisive("no_prior" if must_not else "prior_required", text, ids)))
        if inclusion and not negated and self.cancer and not _PRIMARY_TUMOUR.search(criterion.source_text):
            clauses = self._stage_clauses(criterion.source_text, skip=set())
            if clauses:
                out.append((1, Decisive("stage", self.frame("stage", clauses=clauses), ids)))
            if not treatments and _unnegated(self.refractory, criterion.source_text):
                out.append((3, Decisive("refractory", self.frame("refractory"), ids)))
            if not treatments and _unnegated(self.naive, criterion.source_text):
                out.append((3, Decisive("naive", self.frame("naive"), ids)))
        return out

    # --- Where the cancer is -------------------------------------------------------------------------------

    @staticmethod
    def _sites(check: Check | None) -> list[MetastaticSite]:
        if isinstance(check, MetastaticSite):
            return [check]
        if isinstance(check, AllOf):  # "Unresectable CRLM (CT-scan within 4 weeks)": the site and a test
            return [part for part in check.parts if isinstance(part, MetastaticSite)][:1]
        if isinstance(check, AnyOf) and all(isinstance(option, MetastaticSite) for option in check.options):
            return list(check.options)  # type: ignore[arg-type]
        return []

    def _where(self, check: MetastaticSite) -> str:
        sites = eligibility_lexicon("conditions")["metastatic_sites"]
        entry = sites.get(check.site, {})
        if check.site == "any":
            return self.words["anywhere"]
        if "outside" in entry:
            inside = sites.get(entry["outside"], {}).get("lay", {}).get(self.language, entry["outside"])
            return self.words["outside"].format(site=inside)
        lay = entry.get("lay", {}).get(self.language, check.site.replace("_", " "))
        return self.words["to"].format(site=lay)

    # --- The cancer's stage ----------------------------------------------------------------------------------

    def _stage_clauses(self, text: str, *, skip: set[str]) -> str:
        """The stage words of `text` as clauses about the cancer, joined by "or" where the text has "or" between
        them, else by "and"."""
        found: list[tuple[int, int, str]] = []
        taken: list[tuple[int, int]] = []
        for rule_id, pattern in self.stage_rules:
            for match in pattern.finditer(text):
                if any(start < match.end() and match.start() < end for start, end in taken):
                    continue
                taken.append((match.start(), match.end()))
                if rule_id in skip or rule_id in (item[2] for item in found):
                    continue
                found.append((match.start(), match.end(), rule_id))
        if not found:
            return ""
        found.sort()
        rules = {rule["id"]: rule for rule in self.data["stage"]}
        parts: list[str] = []
        for index, (start, _, rule_id) in enumerate(found):
            clause = rules[rule_id][self.language][self.mood].format(primary=self.primary_tumour())
            if index:
                between = text[found[index - 1][1] : start]
                joiner = "or" if re.search(r"\bor\b|/", between, re.IGNORECASE) else "and"
                parts.append(self.words[joiner])
            parts.append(clause)
        return " ".join(parts)

    # --- Treatment before ------------------------------------------------------------------------------------

    def _treatments(self, check: Check | None) -> list[PriorTreatment]:
        if isinstance(check, PriorTreatment):
            options = [check]
        elif isinstance(check, AnyOf) and all(isinstance(option, PriorTreatment) for option in check.options):
            options = list(check.options)  # type: ignore[arg-type]
        else:
            return []
        known = self.data["treatments"]
        if any(option.window is not None or option.qualifiers for option in options):
            return []  # "within 4 weeks": a waiting time, not who the trial is for
        if any((option.drug or option.kind) not in known for option in options):
            return []
        return options

    def _treatment_sentence(self, options: list[PriorTreatment], *, required: bool, yet: bool) -> str:
        known = self.data["treatments"]
        names = list(dict.fromkeys(known[option.drug or option.kind][self.language] for option in options))
        treatments = self._join(names, "or")
        sites = {option.site for option in options if option.site}
        if len(sites) == 1:
            organ = self.data["organs"].get(next(iter(sites)))
            if organ:
                treatments += self.words["of"].format(site=organ[self.language])
        conditions = {option.condition for option in options if option.condition}
        condition_text = ""
        if len(conditions) == 1:
            primary = self.data["primaries"].get(next(iter(conditions)))
            if primary:
                condition_text = self.words["for"].format(condition=primary[self.language]["illness"])
        if required:
            return self.frame("prior_required", treatments=treatments, **{"for": condition_text})
        return self.frame(
            "no_prior", treatments=treatments, yet=self.words["yet"] if yet else "", **{"for": condition_text}
        )

    def _join(self, items: list[str], word: str) -> str:
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self.words[word]} {items[-1]}"
