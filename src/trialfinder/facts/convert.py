"""`to_eligibility_facts`: facts read from text as the eligibility engine's `PatientFacts`.

Only what was found: a condition, metastasis, treatment or biomarker the text states becomes a record; one the text
denies ("no history of diabetes", "no liver metastases", "chemotherapy-naive") becomes a "no" statement under the
key of the engine's check it answers (`diagnosis:diabetes`, `metastasis:liver`, `prior:chemotherapy`), the way a
person's "no" on the questionnaire does; everything else stays unknown. A relative's condition is never the
person's. Pure.
"""

from __future__ import annotations

from types import MappingProxyType

from trialfinder.eligibility.evaluate import record_matches
from trialfinder.eligibility.facts import (
    BiomarkerResult,
    Coding,
    ConditionRecord,
    LabResult,
    MedicationRecord,
    PatientFacts,
    PerformanceScore,
    ProcedureRecord,
)
from trialfinder.eligibility.units import lexicon
from trialfinder.facts.model import Facts
from trialfinder.facts.rules import rules as lexicon_rules

# Treatments the engine reads from procedure records (eligibility data/conditions.json "treatment_kinds"); the
# others are drug classes it reads from medication records (data/drugs.json "classes").
_PROCEDURES = ("radiation", "surgery", "resection", "ablation", "transplant")
_TEXT = {"systemic": "systemic therapy", "targeted": "targeted therapy", "hormonal": "hormonal therapy"}


def to_eligibility_facts(facts: Facts) -> PatientFacts:
    statements: dict[str, bool] = {}
    conditions: list[ConditionRecord] = []
    entries = lexicon("conditions")["conditions"]
    for c in facts.conditions:
        if c.family:
            continue
        text = c.text if c.text.casefold() == c.name.casefold() else f"{c.text} ({c.name})"
        if c.negated:
            for key, entry in entries.items():
                if entry.get("records_settle", True) and record_matches(text, (), entry):
                    statements.setdefault(f"diagnosis:{key}", False)
            continue
        codes = tuple(Coding("mesh", ui) for ui in c.concepts)
        conditions.append(ConditionRecord(text, codes, active=None if c.history else True))
    for m in facts.metastases:
        if m.negated:
            statements.setdefault(f"metastasis:{m.site}", False)
            if m.site == "any":
                for site in lexicon("conditions")["metastatic_sites"]:
                    statements.setdefault(f"metastasis:{site}", False)
            continue
        site = "" if m.site == "any" else m.site.replace("_", " ") + " "
        conditions.append(ConditionRecord(f"{site}metastases ({m.text})"))
    if facts.no_history:
        # "No past medical history": the illnesses it denies, unless the text names one of them.
        for key in lexicon_rules()["no_history_denies"]:
            if not any(record_matches(record.text, (), entries[key]) for record in conditions):
                statements.setdefault(f"diagnosis:{key}", False)
    medications: list[MedicationRecord] = []
    procedures: list[ProcedureRecord] = []
    for t in facts.treatments:
        key = "drug" if t.kind == "drug" else t.kind
        if t.negated:
            if key != "drug":
                statements.setdefault(f"prior:{key}", False)
            continue
        if t.kind == "systemic" and t.lines == 0:
            continue  # "first-line": no prior line said
        if t.kind in _PROCEDURES:
            procedures.append(ProcedureRecord(t.text))
        elif t.kind == "drug":
            medications.append(MedicationRecord(t.name or t.text, tuple(Coding("mesh", ui) for ui in t.concepts)))
        else:
            medications.append(MedicationRecord(f"{_TEXT.get(t.kind, t.kind)} ({t.text})"))
    pregnant = breastfeeding = None
    for p in facts.pregnancy:
        if p.what == "pregnant":
            pregnant = p.value if pregnant is None else pregnant or p.value
        else:
            breastfeeding = p.value if breastfeeding is None else breastfeeding or p.value
    age = facts.age
    return PatientFacts(
        birth_date=age.birth_date if age else None,
        age_years=age.years if age and age.birth_date is None else None,
        sex=facts.sex.sex if facts.sex else None,
        pregnant=pregnant,
        breastfeeding=breastfeeding,
        labs=tuple(LabResult(lab.analyte, lab.value, lab.unit, text=lab.text) for lab in facts.labs),
        conditions=tuple(conditions),
        medications=tuple(medications),
        procedures=tuple(procedures),
        biomarkers=tuple(BiomarkerResult(b.marker, b.status, text=b.text) for b in facts.biomarkers),
        consent=(False if any(not c.value for c in facts.consent) else True) if facts.consent else None,
        performance=tuple(PerformanceScore(p.scale, p.value) for p in facts.performance),
        statements=MappingProxyType(statements),
    )
