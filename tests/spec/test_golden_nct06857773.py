"""The golden trial NCT06857773 (PUMP-IT RCT): every criterion's type, and ten patients with their verdicts.

The patients are built from questionnaire answers, as the website will post them, so this also checks that the
questionnaire asks for everything the trial needs. `TODAY` stands in for the day of registration.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from conftest import FIXTURES

from trialfinder.eligibility import (
    LIKELY_ELIGIBLE,
    NEEDS_REVIEW,
    NOT_ELIGIBLE,
    assess,
    criteria_for_trial,
    facts_from_answers,
    questionnaire,
)
from trialfinder.eligibility.facts import MedicationRecord, PatientFacts
from trialfinder.eligibility.logic import Verdict
from trialfinder.eligibility.model import describe
from trialfinder.registries.ctgov_v2.mapping import to_trial

TODAY = date(2025, 3, 3)
LAB_DAY = TODAY - timedelta(days=5)

# Every criterion of the trial, in order, with the check the parser must make of it.
EXPECTED_CHECKS = """
registry-min-age | Age(>= 18 years)
inc-1    | Age(>= 18 years)
inc-2    | Diagnosis(colorectal_cancer, histology=adenocarcinoma, confirmed)
inc-3    | AllOf(Metastasis(liver, qualified), TestWindow(ct within 28d))
inc-4    | Not(Metastasis(extrahepatic))
inc-5    | Not(PriorTreatment(systemic for colorectal_cancer))
inc-6    | FreeText(doctor)
inc-7    | Performance(ECOG 0..1)
inc-8    | LifeExpectancy(>= 12 weeks)
inc-9    | AllOf(Biomarker(ras known), Biomarker(braf_v600e known))
inc-10   | FreeText(doctor)
inc-11   | FreeText(doctor)
inc-12   | FreeText(doctor)
inc-13   | Group
inc-13-1 | Lab(hemoglobin >= 5.5 mmol/L within 15d)
inc-13-2 | Lab(neutrophils >= 1.5 10^9/L within 15d)
inc-13-3 | Lab(platelets >= 100 10^9/L within 15d)
inc-13-4 | Lab(bilirubin <= 1.5 x ULN within 15d)
inc-13-5 | Lab(ast <= 5 x ULN within 15d)
inc-13-6 | Lab(alt <= 5 x ULN within 15d)
inc-13-7 | Lab(alp <= 5 x ULN within 15d)
inc-13-8 | AnyOf(Lab(creatinine <= 1.5 x ULN within 15d), Lab(egfr MDRD >= 45 mL/min within 15d))
inc-13-9 | Unless(AnyOf(Lab(pt < 1.5 x ULN within 15d), Lab(inr < 1.5 x ULN within 15d)), Medication(coumarins))
inc-14   | FreeText
exc-1    | AnyOf(PriorTreatment(radiation of liver), PriorTreatment(resection of liver), PriorTreatment(ablation of liver))
exc-2    | FreeText(doctor)
exc-3    | Unless(Diagnosis(malignancy, history), FreeText(doctor))
exc-4    | FreeText(doctor)
exc-5    | Biomarker(mmr deficient)
exc-6    | Biomarker(dpd deficient)
exc-7    | Pregnancy(pregnant or breastfeeding)
exc-8    | FreeText(doctor)
exc-9    | Diagnosis(organ_transplant, qualified)
exc-10   | Diagnosis(wound|ulcer|fracture, qualified)
exc-11   | Medication(corticosteroids, qualified)
exc-12   | Diagnosis(infection, qualified)
exc-13   | FreeText(doctor)
exc-14   | FreeText(doctor)
exc-15   | Diagnosis(liver_disease)
"""


@pytest.fixture(scope="module")
def trial():
    return to_trial(json.loads((FIXTURES / "ctgov_v2" / "NCT06857773.json").read_text()))


@pytest.fixture(scope="module")
def tree(trial):
    return criteria_for_trial(trial)


def test_every_criterion_is_parsed_to_its_type(tree):
    expected = [tuple(part.strip() for part in line.split("|", 1)) for line in EXPECTED_CHECKS.strip().splitlines()]
    actual = [(criterion.id, describe(criterion.check)) for criterion in tree.walk()]
    assert actual == expected


def test_every_criterion_keeps_its_source_text(tree, trial):
    text = trial.eligibility.criteria
    for criterion in tree.walk():
        if criterion.id.startswith("registry-"):
            continue
        assert criterion.source_text and criterion.source_text in text, criterion.id
    assert tree.find("inc-13-1").source_text == "Hb ≥ 5.5 mmol/L"
    assert tree.find("inc-13").window.days == 15


# --- The eligible patient, as questionnaire answers -----------------------------------------------------------

YES_TO = ["diagnosis:colorectal_cancer", "metastasis:liver", "inc-6", "life-expectancy", "biomarker:ras:known",
          "biomarker:braf_v600e:known", "inc-10", "inc-11", "inc-12", "inc-14"]  # fmt: skip
NO_TO = ["metastasis:extrahepatic", "prior:systemic", "prior:radiation:liver", "prior:resection:liver",
         "prior:ablation:liver", "exc-2", "diagnosis:malignancy", "exc-4", "biomarker:mmr:deficient",
         "biomarker:dpd:deficient", "pregnancy", "exc-8", "diagnosis:organ_transplant",
         "diagnosis:wound+ulcer+fracture", "medication:corticosteroids", "diagnosis:infection", "exc-13", "exc-14",
         "diagnosis:liver_disease"]  # fmt: skip


def eligible_answers() -> dict[str, str]:
    answers = {key: "yes" for key in YES_TO} | {key: "no" for key in NO_TO}
    answers |= {
        "birth_date": "1961-06-15",
        "sex": "female",
        "test_date:ct": (TODAY - timedelta(days=10)).isoformat(),
        "performance:ecog": "1",
        "lab_date": LAB_DAY.isoformat(),
        "lab:hemoglobin:value": "7,9", "lab:hemoglobin:unit": "mmol/L",
        "lab:neutrophils:value": "3.1", "lab:neutrophils:unit": "10^9/L",
        "lab:platelets:value": "245", "lab:platelets:unit": "10^9/L",
        "lab:bilirubin:value": "12", "lab:bilirubin:unit": "umol/L", "lab:bilirubin:uln": "17",
        "lab:ast:value": "35", "lab:ast:unit": "U/L", "lab:ast:uln": "35",
        "lab:alt:value": "40", "lab:alt:unit": "U/L", "lab:alt:uln": "45",
        "lab:alp:value": "150", "lab:alp:unit": "U/L", "lab:alp:uln": "120",
        "lab:creatinine:value": "70", "lab:creatinine:unit": "umol/L", "lab:creatinine:uln": "90",
        "lab:inr:value": "1.0", "lab:inr:uln": "1.2",
    }  # fmt: skip
    return answers


def run(tree, answers=None, facts=None, language="en"):
    if facts is None:
        facts = facts_from_answers(tree, answers, today=TODAY)
    return assess(tree, facts, today=TODAY, language=language)


def test_the_questionnaire_asks_for_everything_the_eligible_patient_answers(tree):
    fields = {field for question in questionnaire(tree, "en").questions for field in question.fields}
    assert set(eligible_answers()) <= fields


def test_fully_eligible_patient(tree):
    assessment = run(tree, eligible_answers())
    assert assessment.verdict == LIKELY_ELIGIBLE, [(r.id, r.reason) for r in assessment.results if r.effect != "ok"]
    assert assessment.research_subject_status == "candidate"
    assert assessment.because == () and assessment.open_questions == ()
    hb = assessment.result("inc-13-1")
    assert hb.verdict is Verdict.MET and "7.9" in hb.reason


def test_hemoglobin_5_2_mmol_per_litre_is_not_eligible(tree):
    answers = eligible_answers() | {"lab:hemoglobin:value": "5.2"}
    assessment = run(tree, answers)
    assert assessment.verdict == NOT_ELIGIBLE
    assert [r.id for r in assessment.because] == ["inc-13"]
    assert assessment.result("inc-13-1").verdict is Verdict.NOT_MET
    assert assessment.research_subject_status == "ineligible"


def test_hemoglobin_given_in_grams_per_decilitre_is_converted(tree):
    # 8.0 g/dL x 0.6206 = 4.96 mmol/L, below 5.5 mmol/L (DOMAIN.md).
    answers = eligible_answers() | {"lab:hemoglobin:value": "8.0", "lab:hemoglobin:unit": "g/dL"}
    result = run(tree, answers).result("inc-13-1")
    assert result.verdict is Verdict.NOT_MET
    assert "converted_unit" in result.flags and "4.96" in result.reason
    # and 9.0 g/dL = 5.59 mmol/L meets it
    answers["lab:hemoglobin:value"] = "9.0"
    assert run(tree, answers).result("inc-13-1").verdict is Verdict.MET


def test_bilirubin_twice_the_labs_own_uln_is_not_eligible(tree):
    answers = eligible_answers() | {"lab:bilirubin:value": "40", "lab:bilirubin:uln": "20"}
    assessment = run(tree, answers)
    assert assessment.verdict == NOT_ELIGIBLE
    result = assessment.result("inc-13-4")
    assert result.verdict is Verdict.NOT_MET and "assumed_uln" not in result.flags
    assert "2 times" in result.reason


def test_bilirubin_without_the_labs_uln_uses_an_assumed_one_and_says_so(tree):
    answers = eligible_answers()
    del answers["lab:bilirubin:uln"]
    result = run(tree, answers).result("inc-13-4")
    # 12 umol/L against an assumed 1.2 mg/dL = 20.5 umol/L: met, flagged.
    assert result.verdict is Verdict.MET and "assumed_uln" in result.flags
    assert "assumed" in result.reason


# The trial writes "MDRD (eGFR) ≥ 45 ml/min", but MDRD gives mL/min/1.73 m² (per body surface area): the two are
# compared through the person's body surface area (Mosteller, from height and weight), and the criterion is decided
# only when it holds (or fails) whether "ml/min" means absolute mL/min or is shorthand for mL/min/1.73 m².
# 170 cm and 70 kg: sqrt(170 x 70 / 3600) = 1.82 m².
HEIGHT_AND_WEIGHT = {
    "lab:body_height:value": "170", "lab:body_height:unit": "cm",
    "lab:body_weight:value": "70", "lab:body_weight:unit": "kg",
}  # fmt: skip


def test_creatinine_above_1_5_uln_but_mdrd_egfr_50_is_eligible(tree):
    answers = eligible_answers() | {
        "lab:creatinine:value": "150",
        "lab:creatinine:uln": "90",
        "lab:egfr:value": "50",
        "lab:egfr:unit": "mL/min/1.73m2",
    }
    # Without height and weight, 50 mL/min/1.73 m² cannot be compared with 45 mL/min: open, not a guess.
    assessment = run(tree, answers)
    assert assessment.result("inc-13-8").verdict is Verdict.UNKNOWN
    assert assessment.verdict == NEEDS_REVIEW
    assert any("height" in question for question in assessment.open_questions)
    # 50 mL/min/1.73 m² x 1.82 / 1.73 = 52.5 mL/min: at least 45 either way.
    assessment = run(tree, answers | HEIGHT_AND_WEIGHT)
    result = assessment.result("inc-13-8")
    assert result.verdict is Verdict.MET and "bsa_from_height_weight" in result.flags
    assert assessment.verdict == LIKELY_ELIGIBLE


def test_egfr_is_computed_by_mdrd_when_only_creatinine_is_known(tree):
    # Male, 50 years old, creatinine 1.4 mg/dL = 123.8 umol/L with a lab ULN of 80 umol/L (1.55 x ULN):
    # MDRD 175 x 1.4^-1.154 x 50^-0.203 = 53.6 mL/min/1.73 m2, at least 45.
    answers = eligible_answers() | HEIGHT_AND_WEIGHT
    answers |= {
        "sex": "male",
        "birth_date": "1974-06-15",
        "pregnancy": "",
        "lab:creatinine:value": "123.76",
        "lab:creatinine:uln": "80",
    }
    # 53.6 mL/min/1.73 m² x 1.82 / 1.73 = 56.3 mL/min.
    result = run(tree, answers).result("inc-13-8")
    assert result.verdict is Verdict.MET
    assert "computed_egfr" in result.flags and "53.6" in result.reason and "56.3" in result.reason
    # and a creatinine so high that MDRD eGFR is below 45 fails both alternatives
    answers["lab:creatinine:value"] = "200"
    assert run(tree, answers).result("inc-13-8").verdict is Verdict.NOT_MET


def test_inr_1_8_on_phenprocoumon_is_eligible(tree):
    answers = eligible_answers() | {"lab:inr:value": "1.8"}
    # 1.8 / 1.2 = 1.5, not below 1.5 x ULN: open while coumarin use is unknown, failed without coumarins.
    assert run(tree, answers).result("inc-13-9").verdict is Verdict.UNKNOWN
    no_coumarin = run(tree, answers | {"medication:coumarins": "no"})
    assert no_coumarin.result("inc-13-9").verdict is Verdict.NOT_MET and no_coumarin.verdict == NOT_ELIGIBLE
    assert run(tree, answers | {"medication:coumarins": "yes"}).result("inc-13-9").verdict is Verdict.MET
    facts = facts_from_answers(tree, answers, today=TODAY)
    on_phenprocoumon = facts.merged(
        PatientFacts(medications=(MedicationRecord("Marcoumar (phenprocoumon) 3 mg tablet", current=True),))
    )
    assessment = run(tree, facts=on_phenprocoumon)
    assert assessment.result("inc-13-9").verdict is Verdict.MET
    assert assessment.verdict == LIKELY_ELIGIBLE


def test_mmr_deficient_is_not_eligible(tree):
    assessment = run(tree, eligible_answers() | {"biomarker:mmr:deficient": "yes"})
    assert assessment.verdict == NOT_ELIGIBLE
    assert [r.id for r in assessment.because] == ["exc-5"] and assessment.because[0].effect == "excludes"


def test_prior_folfox_is_not_eligible(tree):
    answers = eligible_answers() | {"prior:systemic": ""}
    facts = facts_from_answers(tree, answers, today=TODAY).merged(
        PatientFacts(medications=(MedicationRecord("FOLFOX", start=date(2024, 10, 1), end=date(2024, 12, 1)),))
    )
    assessment = run(tree, facts=facts)
    assert assessment.verdict == NOT_ELIGIBLE
    assert [r.id for r in assessment.because] == ["inc-5"]
    assert "FOLFOX" in assessment.because[0].reason


def test_labs_20_days_old_need_review_not_rejection(tree):
    answers = eligible_answers() | {"lab_date": (TODAY - timedelta(days=20)).isoformat(), "lab:hemoglobin:value": "5.0"}
    assessment = run(tree, answers)
    assert assessment.verdict == NEEDS_REVIEW
    assert assessment.research_subject_status == "potential-candidate"
    assert assessment.result("inc-13-1").verdict is Verdict.UNKNOWN
    assert "20 days old" in assessment.result("inc-13-1").reason


def test_no_lab_values_at_all_needs_review_not_not_eligible(tree):
    answers = {key: value for key, value in eligible_answers().items() if not key.startswith("lab")}
    assessment = run(tree, answers)
    assert assessment.verdict == NEEDS_REVIEW
    assert [r.id for r in assessment.results if r.effect == "open"] == ["inc-13"]
    assert any("haemoglobin" in question for question in assessment.open_questions)


def test_the_verdict_and_reasons_are_in_dutch(tree):
    answers = eligible_answers() | {"lab:hemoglobin:value": "5.2"}
    assessment = run(tree, answers, language="nl")
    assert assessment.summary.startswith("U komt waarschijnlijk niet in aanmerking")
    assert assessment.result("inc-13-1").reason.startswith("Uw hemoglobine (Hb) is 5.2 mmol/L")
    document = assessment.to_json()
    assert document["verdict"] == "not-eligible" and document["research_subject_status"] == "ineligible"
    assert json.loads(json.dumps(document)) == document
