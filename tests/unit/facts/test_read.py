"""Facts from text (trialfinder.facts.read_facts): each kind of fact, found and not found, with exact spans."""

from __future__ import annotations

from datetime import date

import pytest

from trialfinder.facts import Facts, read_facts
from trialfinder.facts.model import Condition

TODAY = date(2026, 1, 1)


def at(text: str, fact) -> str:
    """The text a fact's span points at; must equal the fact's own text."""
    start, end = fact.span
    assert text[start:end] == fact.text
    return fact.text


def condition(facts: Facts, name: str) -> Condition:
    return next(c for c in facts.conditions if c.name == name)


# --- empty and garbage ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_has_no_facts(text):
    assert not read_facts(text)
    assert read_facts(text).all() == []


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01$$%%((( ]]",
        "ECOG",
        "stage",
        "Hb g/dL",
        "born 31 February 1961",
        "999-year-old",
        "EGFR+++ --- ///",
        "🙂" * 50,
        "no no no no",
        "a" * 5000,
        "1" * 300,
        "metastases metastases to to to",
        "ER+/PR-/HER2",
    ],
)
def test_garbage_never_raises(text):
    facts = read_facts(text, today=TODAY)
    for fact in facts.all():
        at(text, fact)


def test_not_a_string_is_no_facts():
    assert not read_facts(None)  # type: ignore[arg-type]


# --- age and sex ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "years", "written"),
    [
        ("A 62-year-old man", 62, "62-year-old"),
        ("62 year old woman", 62, "62 year old"),
        ("62 yo male", 62, "62 yo"),
        ("patient aged 62 with", 62, "aged 62"),
        ("The patient, aged 62.", 62, "aged 62"),
        ("62F with COPD", 62, "62F"),
        ("62 M presents", 62, "62 M"),
        ("a 45-year-old woman", 45, "45-year-old"),
        ("Vrouw van 62 jaar", 62, "62 jaar"),
        ("een 62-jarige man", 62, "62-jarige"),
    ],
)
def test_age(text, years, written):
    facts = read_facts(text, language="nl" if "jaar" in text or "jarige" in text else "en")
    assert facts.age is not None and facts.age.years == years
    assert at(text, facts.age) == written


def test_age_from_date_of_birth_counts_to_today():
    text = "Patient born 12 March 1961, seen today."
    facts = read_facts(text, today=TODAY)
    assert facts.age is not None
    assert facts.age.birth_date == date(1961, 3, 12)
    assert facts.age.years == 64
    assert at(text, facts.age) == "born 12 March 1961"
    assert read_facts(text).age.years is None  # no today: the date of birth only


@pytest.mark.parametrize("text", ["took 62 mg", "stage 3 disease", "ECOG 1", "T2N1M0", "aged 6 months", "62%"])
def test_no_age(text):
    assert read_facts(text).age is None


@pytest.mark.parametrize(
    ("text", "sex", "written"),
    [
        ("A 45-year-old woman", "female", "woman"),
        ("62 yo male", "male", "male"),
        ("62F", "female", "62F"),
        ("She has a cough. Her husband is well.", "female", "She"),
        ("His wife says she is worried. He has a fever.", "male", "His"),
        ("een vrouw van 50", "female", "vrouw"),
    ],
)
def test_sex(text, sex, written):
    facts = read_facts(text, language="nl" if "vrouw" in text else "en")
    assert facts.sex is not None and facts.sex.sex == sex
    assert at(text, facts.sex) == written


def test_sex_of_other_people_does_not_count():
    assert read_facts("Her husband, a retired man, drove.").sex.sex == "female"
    assert read_facts("Patient with a cough.").sex is None


# --- conditions ----------------------------------------------------------------------------------------------


def test_condition_as_mesh_with_span():
    text = "Known type 2 diabetes and hypertension."
    facts = read_facts(text)
    names = {c.name for c in facts.conditions}
    assert {"Diabetes Mellitus, Type 2", "Hypertension"} <= names
    c = condition(facts, "Hypertension")
    assert c.concepts == ("D006973",) and at(text, c) == "hypertension"
    assert not (c.negated or c.history or c.family)


def test_abbreviation_is_a_condition():
    facts = read_facts("62F with COPD")
    assert condition(facts, "Pulmonary Disease, Chronic Obstructive").text == "COPD"


@pytest.mark.parametrize(
    "text",
    [
        "no history of diabetes",
        "She denies diabetes.",
        "without diabetes",
        "negative for diabetes",
        "Diabetes was ruled out.",
    ],
)
def test_negated_condition(text):
    c = condition(read_facts(text), "Diabetes Mellitus")
    assert c.negated
    assert at(text, c).lower() == "diabetes"


def test_negation_ends_at_but_and_at_the_sentence():
    facts = read_facts("No fever but diabetes. Hypertension.")
    assert not condition(facts, "Diabetes Mellitus").negated
    assert not condition(facts, "Hypertension").negated


def test_negation_inside_a_term_does_not_count():
    facts = read_facts("non-small cell lung cancer with liver metastases")
    assert not any(c.negated for c in facts.conditions)
    assert not any(m.negated for m in facts.metastases)


def test_history_and_family_are_kept_apart():
    facts = read_facts("History of myocardial infarction. Her mother had breast cancer.")
    mi = condition(facts, "Myocardial Infarction")
    assert mi.history and not mi.family
    breast = condition(facts, "Breast Neoplasms")
    assert breast.family
    facts = read_facts("Family history of colon cancer.")
    assert all(c.family for c in facts.conditions)


def test_dutch_conditions_and_negation():
    text = "Vrouw van 62 jaar met borstkanker, geen suikerziekte, zonder hartfalen."
    facts = read_facts(text, language="nl")
    assert not condition(facts, "Breast Neoplasms").negated
    assert condition(facts, "Diabetes Mellitus").negated
    assert condition(facts, "Heart Failure").negated
    assert at(text, condition(facts, "Breast Neoplasms")) == "borstkanker"


# --- metastases and stage ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sites"),
    [
        ("liver metastases", {"liver"}),
        ("metastases to the liver and bone", {"liver", "bone"}),
        ("liver and bone metastases", {"liver", "bone"}),
        ("metastatic non-small cell lung cancer", {"any"}),
        ("metastatic to the brain", {"brain"}),
    ],
)
def test_metastasis_sites(text, sites):
    facts = read_facts(text)
    assert {m.site for m in facts.metastases} == sites
    for m in facts.metastases:
        at(text, m)
        assert not m.negated


def test_negated_metastases():
    facts = read_facts("No brain metastases.")
    assert [(m.site, m.negated) for m in facts.metastases] == [("brain", True)]
    facts = read_facts("geen uitzaaiingen in de lever", language="nl")
    assert [(m.site, m.negated) for m in facts.metastases] == [("liver", True)]


def test_spread_needs_a_site():
    assert read_facts("The rash spread quickly.").metastases == ()


@pytest.mark.parametrize(
    ("text", "stage"),
    [("stage IV", "IV"), ("Stage 3b disease", "3B"), ("pT2N1M0", "pT2N1M0"), ("stadium III", "III")],
)
def test_stage(text, stage):
    facts = read_facts(text)
    assert [s.stage for s in facts.stages] == [stage]
    at(text, facts.stages[0])


def test_no_stage_in_plain_words():
    assert read_facts("at this stage we wait, T cells").stages == ()


# --- labs, performance, biomarkers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "analyte", "value", "unit"),
    [
        ("Hb 10.5 g/dL", "hemoglobin", 10.5, "g/dL"),
        ("haemoglobin of 7.1 mmol/L", "hemoglobin", 7.1, "mmol/L"),
        ("creatinine 1.1 mg/dl", "creatinine", 1.1, "mg/dL"),
        ("serum creatinine 98 µmol/L", "creatinine", 98, "umol/L"),
        ("eGFR 45 mL/min/1.73m2", "egfr", 45, "mL/min/1.73m2"),
        ("platelets 150,000/uL", "platelets", 150000, "/uL"),
        ("platelet count 119 x 10^9/L", "platelets", 119, "10^9/L"),
        ("ANC 1.2 x10^9/L", "neutrophils", 1.2, "10^9/L"),
        ("total bilirubin 0.8 mg/dL", "bilirubin", 0.8, "mg/dL"),
        ("ALT 45 U/L", "alt", 45, "U/L"),
        ("AST: 30 IU/L", "ast", 30, "U/L"),
        ("HbA1c 7.5%", "hba1c", 7.5, "%"),
    ],
)
def test_labs(text, analyte, value, unit):
    facts = read_facts(text)
    assert [(lab.analyte, lab.value, lab.unit) for lab in facts.labs] == [(analyte, value, unit)]
    assert at(text, facts.labs[0]) == text


def test_blood_pressure_is_two_measurements():
    facts = read_facts("her blood pressure is 80/60 mm Hg")
    assert [(lab.analyte, lab.value) for lab in facts.labs] == [("systolic_bp", 80), ("diastolic_bp", 60)]


def test_no_lab_without_a_value_and_egfr_mutation_is_no_lab():
    assert read_facts("hemoglobin was normal").labs == ()
    assert read_facts("EGFR exon 19 deletion").labs == ()


@pytest.mark.parametrize(
    ("text", "scale", "value"),
    [
        ("ECOG 1", "ECOG", 1),
        ("ECOG performance status of 2", "ECOG", 2),
        ("WHO PS 0", "ECOG", 0),
        ("performance status 1", "ECOG", 1),
        ("Karnofsky 80%", "KARNOFSKY", 80),
        ("KPS of 70", "KARNOFSKY", 70),
    ],
)
def test_performance(text, scale, value):
    facts = read_facts(text)
    assert [(p.scale, p.value) for p in facts.performance] == [(scale, value)]
    at(text, facts.performance[0])


def test_no_performance_out_of_scale():
    assert read_facts("ECOG 7, KPS 85").performance == ()


@pytest.mark.parametrize(
    ("text", "marker", "status"),
    [
        ("EGFR mutation", "egfr_gene", "mutated"),
        ("EGFR exon 19 deletion", "egfr_gene", "mutated"),
        ("KRAS wild-type", "kras", "wild-type"),
        ("BRAF V600E", "braf_v600e", "mutated"),
        ("HER2-positive", "her2", "positive"),
        ("HER2 amplified", "her2", "positive"),
        ("HER2 negative", "her2", "negative"),
        ("dMMR", "mmr", "deficient"),
        ("MSI-H", "msi", "high"),
        ("PD-L1 50%", "pdl1", "positive"),
        ("ALK rearranged", "alk", "mutated"),
        ("ROS1 negative", "ros1", "negative"),
        ("ER+", "er", "positive"),
        ("no EGFR mutation", "egfr_gene", "wild-type"),
    ],
)
def test_biomarkers(text, marker, status):
    facts = read_facts(text)
    assert [(b.marker, b.status) for b in facts.biomarkers] == [(marker, status)]
    at(text, facts.biomarkers[0])


def test_receptor_list_and_no_status():
    facts = read_facts("ER+/PR-, HER2 3+")
    assert [(b.marker, b.status) for b in facts.biomarkers] == [
        ("er", "positive"),
        ("pr", "negative"),
        ("her2", "positive"),
    ]
    assert read_facts("EGFR testing was sent").biomarkers == ()
    assert read_facts("her cough").biomarkers == ()


# --- pregnancy and treatments --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "what", "value"),
    [
        ("She is pregnant", "pregnant", True),
        ("not pregnant", "pregnant", False),
        ("negative pregnancy test", "pregnant", False),
        ("currently breastfeeding", "breastfeeding", True),
        ("zwanger", "pregnant", True),
    ],
)
def test_pregnancy(text, what, value):
    facts = read_facts(text, language="nl" if text == "zwanger" else "en")
    assert [(p.what, p.value) for p in facts.pregnancy] == [(what, value)]
    at(text, facts.pregnancy[0])


def test_pregnancy_test_alone_says_nothing():
    assert read_facts("a pregnancy test was done").pregnancy == ()


def test_treatments():
    text = "Two prior lines of chemotherapy; prior radiotherapy; s/p lobectomy; treated with cisplatin."
    facts = read_facts(text)
    kinds = [(t.kind, t.lines) for t in facts.treatments]
    assert ("systemic", 2) in kinds
    assert ("chemotherapy", None) in kinds and ("radiation", None) in kinds and ("surgery", None) in kinds
    drug = next(t for t in facts.treatments if t.kind == "drug")
    assert drug.name == "Cisplatin" and at(text, drug) == "cisplatin"
    assert not any(t.negated for t in facts.treatments)


def test_second_line_is_one_prior_line_and_naive_is_none():
    assert [t.lines for t in read_facts("second-line therapy").treatments if t.kind == "systemic"] == [1]
    facts = read_facts("chemotherapy-naive; no prior radiotherapy")
    assert [(t.kind, t.negated) for t in facts.treatments] == [("chemotherapy", True), ("radiation", True)]


def test_measured_substances_are_no_drugs():
    assert not [t for t in read_facts("hemoglobin 9 g/dL, glucose 5 mmol/L").treatments if t.kind == "drug"]


def test_facts_as_json_keep_spans():
    text = "A 62-year-old woman with liver metastases, ECOG 1."
    items = read_facts(text).to_json()
    assert items[0]["kind"] == "age" and items[0]["span"] == [2, 13] and items[0]["years"] == 62
    for item in items:
        assert text[item["span"][0] : item["span"][1]] == item["text"]
