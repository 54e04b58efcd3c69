"""The parser on criteria as registries write them: structure, and the check each line becomes."""

from __future__ import annotations

import pytest

from trialfinder.eligibility.model import Section, describe
from trialfinder.eligibility.parser import find_windows, parse_check, parse_criteria

CHECKS = """
Age ≥ 18 years                                                  | Age(>= 18 years)
Aged 18 to 75 years                                             | AllOf(Age(>= 18 years), Age(<= 75 years))
18 years of age or older                                        | Age(>= 18 years)
Female                                                          | Sex(FEMALE)
Male or female patients                                         | Sex(ALL)
Pregnant or breastfeeding women                                 | Pregnancy(pregnant or breastfeeding)
Women who are not pregnant                                      | Not(Pregnancy(pregnant))
ECOG performance status 0-2                                     | Performance(ECOG 0..2)
WHO performance status ≤ 1                                      | Performance(ECOG 0..1)
Karnofsky performance status ≥ 70%                              | Performance(KARNOFSKY 70..100)
Life expectancy > 3 months                                      | LifeExpectancy(> 13 weeks)
ANC ≥ 1.5 x 10^9/L                                              | Lab(neutrophils >= 1.5 10^9/L)
ANC ≥1.5 x 109/L                                                | Lab(neutrophils >= 1.5 10^9/L)
Platelets ≥ 100,000/mm³                                         | Lab(platelets >= 100000 /uL)
Platelet count of at least 100 x 10E9/L                         | Lab(platelets >= 100 10^9/L)
Hemoglobin > 9 g/dL                                             | Lab(hemoglobin > 9 g/dL)
Haemoglobin 10 g/dL or higher                                   | Lab(hemoglobin >= 10 g/dL)
AST and ALT ≤ 2.5 × ULN                                         | AllOf(Lab(ast <= 2.5 x ULN), Lab(alt <= 2.5 x ULN))
Total bilirubin ≤ 1.5 times the upper limit of normal           | Lab(bilirubin <= 1.5 x ULN)
Serum creatinine ≤ 1.5 mg/dL or creatinine clearance ≥ 60 mL/min | AnyOf(Lab(creatinine <= 1.5 mg/dL), Lab(creatinine_clearance >= 60 mL/min))
eGFR (CKD-EPI) ≥ 30 mL/min/1.73 m²                              | Lab(egfr CKD-EPI >= 30 mL/min/1.73m2)
INR ≤ 1.5                                                       | Lab(inr <= 1.5 1)
ALT ≤ 2.5 x ULN (≤ 5 x ULN in case of liver metastases)         | AnyOf(Lab(alt <= 2.5 x ULN), AllOf(Lab(alt <= 5 x ULN), FreeText(doctor)))
Known RAS and BRAF V600E mutation status                        | AllOf(Biomarker(ras known), Biomarker(braf_v600e known))
dMMR or MSI-H tumour                                            | AnyOf(Biomarker(mmr deficient), Biomarker(msi high))
HER2-positive breast cancer                                     | Biomarker(her2 positive)
EGFR mutation                                                   | Biomarker(egfr_gene mutated)
Prior treatment with oxaliplatin                                | PriorTreatment(oxaliplatin)
Chemotherapy within 4 weeks prior to randomization              | PriorTreatment(chemotherapy within 28d)
No prior radiotherapy to the liver                              | Not(PriorTreatment(radiation of liver))
Concurrent use of warfarin                                      | Medication(warfarin)
Known brain metastases                                          | Metastasis(brain)
Active hepatitis B or hepatitis C infection                     | Diagnosis(hepatitis_b|hepatitis_c|infection, qualified)
CT scan within 28 days before registration                      | TestWindow(ct within 28d)
Able to swallow tablets                                         | FreeText
Signed written informed consent                                 | FreeText
"""


@pytest.mark.parametrize("line", CHECKS.strip().splitlines())
def test_checks(line):
    text, expected = (part.strip() for part in line.split("|", 1))
    assert describe(parse_check(text)) == expected


def test_words_that_look_like_labs_are_not_labs():
    assert describe(parse_check("Patients who got a second opinion within 2 weeks")) != "Lab"
    assert "Lab(" not in describe(parse_check("Lesions ≤ 10 mm are allowed"))
    assert "Lab(" not in describe(parse_check("Complete response (CR) ≥ 4 weeks"))


def test_sections_nesting_and_ids():
    text = (
        "Some introduction.\n\nInclusion Criteria:\n\n* First\n* Labs (within 14 days):\n\n  * Hb ≥ 9 g/dL\n"
        "  * ANC ≥ 1500/µL\n* Third line that\n  continues here\n\nExclusion Criteria:\n\n1. Pregnant\n"
    )
    tree = parse_criteria(text)
    assert tree.preamble == "Some introduction."
    assert [c.id for c in tree.walk()] == ["inc-1", "inc-2", "inc-2-1", "inc-2-2", "inc-3", "exc-1"]
    assert tree.find("inc-3").source_text == "Third line that continues here"
    assert tree.find("exc-1").section is Section.EXCLUSION
    assert tree.find("inc-2-2").check.window.days == 14
    assert describe(tree.find("inc-2-2").check) == "Lab(neutrophils >= 1500 /uL within 14d)"


def test_criteria_without_headings_are_inclusion_criteria_one_per_line():
    tree = parse_criteria("Age 18 or older\nECOG 0-1")
    assert [(c.section, describe(c.check)) for c in tree.criteria] == [
        (Section.INCLUSION, "Age(>= 18 years)"),
        (Section.INCLUSION, "Performance(ECOG 0..1)"),
    ]


def test_listing_page_bullets_and_lost_superscripts(tmp_path):
    from conftest import SHARED_DATA

    page = SHARED_DATA.parent / "seed" / "trial-listing-page.txt"
    if not page.exists():
        pytest.skip("the seed listing page is not there")
    text = page.read_text()
    start = text.index("Inclusion Criteria:")
    end = text.index("Chronic treatment with corticosteroids")
    tree = parse_criteria(text[start:end])
    checks = {c.source_text: describe(c.check) for c in tree.walk()}
    assert checks["absolute neutrophil count (ANC) ≥1.5 x 109/L"] == "Lab(neutrophils >= 1.5 10^9/L within 15d)"
    assert checks["platelets ≥100 x 109/L"] == "Lab(platelets >= 100 10^9/L within 15d)"
    consent = [s for s in checks if s.startswith("Before registration")][0]
    assert consent.endswith("ICH/GCP, and national/local regulations.")


def test_time_windows():
    assert [(w.days, w.anchor) for _, w in find_windows("obtained within 15 days prior to registration")] == [
        (15, "registration")
    ]
    assert [w.days for _, w in find_windows("CT-scan obtained ≤ 4 weeks prior to registration")] == [28]
    assert [w.days for _, w in find_windows("in the last 6 months")] == [180]
    assert find_windows("for 15 days") == []
