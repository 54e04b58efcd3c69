"""Issue #14, item 5: wrong answers a patient would trust.

- A lab's upper limit of normal (ULN) that is 0, negative or not a finite number, or in a unit that cannot be
  converted, leaves a "× ULN" criterion UNKNOWN with a plain reason: never an exception, never a silent default.
- mEq/L is not mmol/L: milliequivalents count charge, so mmol/L = mEq/L ÷ |charge| of the ion, and only for an
  analyte whose charge is in the reviewed table (data/analytes.json `valence`).
- mL/min (absolute, e.g. Cockcroft–Gault), mL/min/m² (per m² of body surface) and mL/min/1.73 m² (normalised to
  1.73 m²) are three units. Absolute and per-area values convert only with a body surface area (Mosteller, from
  the person's height and weight); otherwise the check is UNKNOWN.
- Every conversion of the reviewed tables has a row below with its expected value worked out by hand from the
  molar mass or the charge stated beside it.
"""

from __future__ import annotations

import json
import math
from datetime import date

import pytest

from trialfinder.eligibility import InvalidAnswers, assess, facts_from_answers, facts_from_fhir, parse_criteria
from trialfinder.eligibility.facts import LabResult, PatientFacts
from trialfinder.eligibility.logic import Verdict
from trialfinder.eligibility.questionnaire import unit_choices
from trialfinder.eligibility.units import body_surface_area, convert, lexicon, normalise_unit

TODAY = date(2025, 3, 3)

# --- Molar masses (g/mol) and charges the expected values below are computed from --------------------------------
HB_MONOMER = 16_114.5  # haemoglobin per haem-bearing chain (64,458 / 4): DOMAIN.md's 0.6206 mmol/L per g/dL
CREATININE = 113.12  # C4H7N3O
BILIRUBIN = 584.66  # C33H36N4O6
GLUCOSE = 180.156  # C6H12O6 (1 mmol/L = 18.016 mg/dL)
CALCIUM = 40.078  # Ca2+
MAGNESIUM = 24.305  # Mg2+
TRIOLEIN = 885.43  # triglycerides, as triolein (the usual laboratory convention)
CHOLESTEROL = 386.65  # C27H46O
URIC_ACID = 168.11  # C5H4N4O3
LACTATE = 90.08  # C3H6O3 (lactic acid)
# Charges: Na+, K+ 1; Ca2+, Mg2+ 2. Phosphate has none that holds (HPO4 2- and H2PO4 - in a pH-dependent mix).


def mg_dl_to_mmol_l(mg_dl: float, molar_mass: float) -> float:
    """mg/dL -> mg/L (x 10) -> mmol/L (/ g/mol)."""
    return mg_dl * 10 / molar_mass


# analyte | value | from | to | expected (worked out)
CONVERSIONS = [
    # haemoglobin: monomer basis (DOMAIN.md), g/dL <-> g/L by 10
    ("hemoglobin", 8.0, "g/dL", "mmol/L", 8.0 * 10 / HB_MONOMER * 1000),  # 4.965
    ("hemoglobin", 5.5, "mmol/L", "g/dL", 5.5 * HB_MONOMER / 1000 / 10),  # 8.863, "about 8.9 g/dL"
    ("hemoglobin", 5.5, "mmol/L", "g/L", 5.5 * HB_MONOMER / 1000),
    ("hemoglobin", 90, "g/L", "g/dL", 9.0),
    # creatinine: 1 mg/dL = 88.4 umol/L (DOMAIN.md)
    ("creatinine", 1.0, "mg/dL", "umol/L", mg_dl_to_mmol_l(1.0, CREATININE) * 1000),  # 88.40
    ("creatinine", 88.4, "umol/L", "mg/dL", 1.0),
    ("creatinine", 1.0, "mg/dL", "mmol/L", mg_dl_to_mmol_l(1.0, CREATININE)),
    ("creatinine", 12, "mg/L", "mg/dL", 1.2),
    # bilirubin: 1 mg/dL = 17.1 umol/L (DOMAIN.md)
    ("bilirubin", 1.2, "mg/dL", "umol/L", mg_dl_to_mmol_l(1.2, BILIRUBIN) * 1000),  # 20.52
    ("bilirubin", 21, "umol/L", "mg/dL", 21 / 1000 * BILIRUBIN / 10),  # 1.228
    ("direct_bilirubin", 0.3, "mg/dL", "umol/L", mg_dl_to_mmol_l(0.3, BILIRUBIN) * 1000),
    # glucose: 1 mmol/L = 18.016 mg/dL
    ("glucose", 100, "mg/dL", "mmol/L", mg_dl_to_mmol_l(100, GLUCOSE)),  # 5.551
    ("glucose", 7.0, "mmol/L", "mg/dL", 7.0 * GLUCOSE / 10),  # 126.1
    # calcium: Ca2+, 2 mEq per mmol
    ("calcium", 10, "mg/dL", "mmol/L", mg_dl_to_mmol_l(10, CALCIUM)),  # 2.495
    ("calcium", 2.5, "mmol/L", "mEq/L", 2.5 * 2),
    ("calcium", 5.0, "mEq/L", "mmol/L", 5.0 / 2),
    ("calcium", 10, "mg/dL", "mEq/L", mg_dl_to_mmol_l(10, CALCIUM) * 2),  # 4.990
    ("calcium", 4.5, "mEq/L", "mg/dL", 4.5 / 2 * CALCIUM / 10),  # 9.018
    # magnesium: Mg2+, 2 mEq per mmol
    ("magnesium", 2.4, "mg/dL", "mmol/L", mg_dl_to_mmol_l(2.4, MAGNESIUM)),  # 0.987
    ("magnesium", 1.4, "mEq/L", "mmol/L", 1.4 / 2),  # 0.7, not 1.4
    ("magnesium", 1.8, "mEq/L", "mg/dL", 1.8 / 2 * MAGNESIUM / 10),  # 2.187
    ("magnesium", 0.8, "mmol/L", "mEq/L", 0.8 * 2),
    # sodium, potassium: Na+, K+, 1 mEq per mmol
    ("sodium", 140, "mEq/L", "mmol/L", 140.0),
    ("sodium", 135, "mmol/L", "mEq/L", 135.0),
    ("potassium", 3.5, "mEq/L", "mmol/L", 3.5),
    ("potassium", 5.5, "mmol/L", "mEq/L", 5.5),
    # lipids
    ("triglycerides", 150, "mg/dL", "mmol/L", mg_dl_to_mmol_l(150, TRIOLEIN)),  # 1.694
    ("ldl_cholesterol", 100, "mg/dL", "mmol/L", mg_dl_to_mmol_l(100, CHOLESTEROL)),  # 2.586
    ("total_cholesterol", 5.2, "mmol/L", "mg/dL", 5.2 * CHOLESTEROL / 10),  # 201.1
    # uric acid, lactate
    ("uric_acid", 6.0, "mg/dL", "umol/L", mg_dl_to_mmol_l(6.0, URIC_ACID) * 1000),  # 356.9
    ("lactate", 18, "mg/dL", "mmol/L", mg_dl_to_mmol_l(18, LACTATE)),  # 1.998
    # mass concentrations within their dimension
    ("albumin", 3.5, "g/dL", "g/L", 35.0),
    ("crp", 10, "mg/L", "mg/dL", 1.0),
    ("d_dimer", 0.5, "ug/mL", "ng/mL", 500.0),
    ("ferritin", 100, "ng/mL", "ug/L", 100.0),
    ("troponin", 14, "ng/L", "ng/mL", 0.014),
    ("testosterone", 50, "ng/dL", "ng/mL", 0.5),
    ("nt_probnp", 125, "pg/mL", "ng/L", 125.0),
    ("fibrinogen", 200, "mg/dL", "g/L", 2.0),
    # counts: 10^9/L = 10^3/uL = 1000/uL (DOMAIN.md)
    ("platelets", 100, "10^3/uL", "10^9/L", 100.0),
    ("platelets", 100_000, "/uL", "10^9/L", 100.0),
    ("neutrophils", 1.5, "10^9/L", "/uL", 1500.0),
    ("cd4", 0.2, "10^9/L", "/uL", 200.0),
    ("leukocytes", 0.004, "10^12/L", "10^9/L", 4.0),
    (None, 4.5, "10^6/uL", "10^12/L", 4.5),
    # enzymes: 1 ukat/L = 60 U/L (1 umol/s = 60 umol/min); IU/L is U/L
    ("alt", 1, "ukat/L", "U/L", 60.0),
    ("ast", 30, "U/L", "ukat/L", 0.5),
    # kidney function: 1 mL/min/m2 = 1.73 mL/min/1.73 m2 (both per body surface area)
    ("egfr", 60, "mL/min/1.73m2", "mL/min/m2", 60 / 1.73),  # 34.68
    ("egfr", 10, "mL/min/m2", "mL/min/1.73m2", 17.3),
    # body measurements: 1 in = 2.54 cm, 1 lb = 0.45359237 kg (exact by definition)
    ("body_height", 69, "[in_i]", "cm", 175.26),
    ("body_weight", 165, "[lb_av]", "kg", 165 * 0.45359237),
]


@pytest.mark.parametrize(("analyte", "value", "source", "target", "expected"), CONVERSIONS)
def test_every_reviewed_conversion(analyte, value, source, target, expected):
    assert convert(value, source, target, analyte) == pytest.approx(expected, rel=1e-3)
    # and back again
    assert convert(expected, target, source, analyte) == pytest.approx(value, rel=1e-3)


def test_every_molar_factor_and_charge_in_the_table_has_a_row():
    rows = {(analyte, frozenset((source, target))) for analyte, _, source, target, _ in CONVERSIONS}
    for analyte, entry in lexicon("analytes").items():
        if "molar" in entry:
            assert (analyte, frozenset((entry["molar"]["mass"], entry["molar"]["substance"]))) in rows, analyte
        if "valence" in entry:
            assert (analyte, frozenset(("mEq/L", "mmol/L"))) in rows, analyte


# analyte | from | to: conversions that must not happen (unknown, never a guess)
UNKNOWN_PAIRS = [
    (None, "mEq/L", "mmol/L"),  # no analyte, no charge
    ("phosphate", "mEq/L", "mmol/L"),  # no charge that holds; not in the table
    ("glucose", "mEq/L", "mmol/L"),  # not an ion
    ("hemoglobin", "mEq/L", "g/dL"),
    ("albumin", "g/dL", "mmol/L"),  # no reviewed molar factor
    ("sodium", "mg/dL", "mmol/L"),  # no reviewed molar factor
    ("platelets", "mmol/L", "g/dL"),
    ("egfr", "mL/min/1.73m2", "mL/min"),  # needs a body surface area
    ("egfr", "mL/min", "mL/min/1.73m2"),
    ("creatinine_clearance", "mL/min", "mL/min/m2"),
    ("alt", "U/L", "10^9/L"),
    ("tsh", "mU/L", "U/L"),
    ("body_temperature", "[degF]", "Cel"),
    ("hba1c", "%", "mmol/mol"),  # IFCC units are not in the table
    (None, "kg", "cm"),
]


@pytest.mark.parametrize(("analyte", "source", "target"), UNKNOWN_PAIRS)
def test_pairs_that_do_not_convert_are_none(analyte, source, target):
    assert convert(1.0, source, target, analyte) is None
    assert convert(1.0, target, source, analyte) is None


def test_mEq_per_litre_is_its_own_unit_not_mmol_per_litre():
    assert normalise_unit("mEq/L") == "mEq/L" and normalise_unit("meq/l") == "mEq/L"
    # Calcium 5 mEq/L is 2.5 mmol/L; taken as 5 mmol/L it would be a dangerous hypercalcaemia.
    assert convert(5.0, "mEq/L", "mmol/L", "calcium") == pytest.approx(2.5)


def test_per_square_metre_is_not_per_1_73_square_metres():
    for spelling in ("mL/min/m2", "ml/min/m²", "mL/min/m^2"):
        assert normalise_unit(spelling) == "mL/min/m2", spelling
    assert normalise_unit("mL/min/1.73 m²") == "mL/min/1.73m2"
    assert normalise_unit("mL/min") == "mL/min"


def test_absolute_and_per_area_flow_convert_only_with_a_body_surface_area():
    # 60 mL/min/1.73 m2 for a body surface area of 2.0 m2 is 60 x 2.0 / 1.73 = 69.36 mL/min.
    assert convert(60, "mL/min/1.73m2", "mL/min", "egfr", bsa_m2=2.0) == pytest.approx(60 * 2.0 / 1.73)
    assert convert(60, "mL/min", "mL/min/1.73m2", "creatinine_clearance", bsa_m2=1.5) == pytest.approx(60 * 1.73 / 1.5)
    assert convert(30, "mL/min/m2", "mL/min", None, bsa_m2=1.8) == pytest.approx(54.0)
    for nonsense in (0.0, -1.0, math.nan, math.inf):
        assert convert(60, "mL/min/1.73m2", "mL/min", "egfr", bsa_m2=nonsense) is None


def test_body_surface_area_by_mosteller():
    # sqrt(height cm x weight kg / 3600): 180 cm, 80 kg -> sqrt(4) = 2.0; 170 cm, 70 kg -> 1.818.
    assert body_surface_area(180, 80) == pytest.approx(2.0)
    assert body_surface_area(170, 70) == pytest.approx(math.sqrt(170 * 70 / 3600))
    for height, weight in ((0, 70), (170, 0), (-170, 70), (math.nan, 70), (170, math.inf), (1.75, 70)):
        assert body_surface_area(height, weight) is None, (height, weight)


def test_the_questionnaire_offers_only_units_that_convert():
    assert "mEq/L" in unit_choices("calcium") and "mg/dL" in unit_choices("calcium")
    assert "mEq/L" in unit_choices("magnesium") and "mg/dL" in unit_choices("magnesium")
    assert "mEq/L" in unit_choices("potassium")
    assert "mEq/L" not in unit_choices("glucose") and "mEq/L" not in unit_choices("hemoglobin")
    assert unit_choices("creatinine_clearance") == ["mL/min"]
    assert "mL/min" not in unit_choices("egfr")


# --- The evaluator ---------------------------------------------------------------------------------------------


def one_criterion(text: str):
    return parse_criteria(f"Inclusion Criteria:\n\n* {text}\n")


def verdict_of(text: str, *labs: LabResult, **facts):
    assessment = assess(one_criterion(text), PatientFacts(labs=labs, **facts), today=TODAY)
    result = assessment.results[0]
    return result.verdict, result.reason, set(result.flags)


@pytest.mark.parametrize("uln", [0.0, -40.0, math.nan, math.inf, -math.inf])
def test_an_impossible_upper_limit_of_normal_is_unknown_not_an_error(uln):
    verdict, reason, flags = verdict_of("AST ≤ 2.5 x ULN", LabResult("ast", 30, "U/L", reference_high=uln))
    assert verdict is Verdict.UNKNOWN
    assert "upper limit of normal" in reason and "assumed_uln" not in flags


def test_an_upper_limit_in_a_unit_that_does_not_convert_is_unknown_not_replaced_by_the_usual_one():
    lab = LabResult("bilirubin", 30, "umol/L", reference_high=1.0, reference_unit="U/L")
    verdict, reason, flags = verdict_of("Total bilirubin ≤ 1.5 x ULN", lab)
    assert verdict is Verdict.UNKNOWN and "assumed_uln" not in flags
    assert "upper limit of normal" in reason


def test_a_result_that_is_not_a_finite_number_is_unknown():
    for value in (math.nan, math.inf):
        verdict, _, _ = verdict_of("AST ≤ 2.5 x ULN", LabResult("ast", value, "U/L", reference_high=40))
        assert verdict is Verdict.UNKNOWN
        verdict, _, _ = verdict_of("Hb ≥ 5.5 mmol/L", LabResult("hemoglobin", value, "mmol/L"))
        assert verdict is Verdict.UNKNOWN


def test_the_usual_upper_limit_is_still_assumed_when_the_lab_gives_none():
    # DOMAIN.md: a missing ULN may be assumed, and the verdict says so. 30 / 40 = 0.75 x ULN.
    verdict, reason, flags = verdict_of("AST ≤ 2.5 x ULN", LabResult("ast", 30, "U/L"))
    assert verdict is Verdict.MET and "assumed_uln" in flags and "assumed" in reason


def test_magnesium_in_mEq_per_litre_is_halved():
    # "Magnesium at least 1.4 meq/L" (a starter-catalogue criterion) is 0.7 mmol/L: a normal 0.8 mmol/L fits.
    verdict, reason, flags = verdict_of("Magnesium at least 1.4 meq/L", LabResult("magnesium", 0.8, "mmol/L"))
    assert verdict is Verdict.MET and "converted_unit" in flags and "1.6 mEq/L" in reason


def test_potassium_in_mEq_per_litre_equals_mmol_per_litre():
    verdict, _, _ = verdict_of("Potassium ≥ 3.5 mEq/L", LabResult("potassium", 3.4, "mmol/L"))
    assert verdict is Verdict.NOT_MET


def test_an_ion_without_a_known_charge_is_unknown():
    verdict, reason, _ = verdict_of("Glucose ≤ 10 mEq/L", LabResult("glucose", 5.0, "mmol/L"))
    assert verdict is Verdict.UNKNOWN and "cannot be converted" in reason


def test_creatinine_clearance_per_1_73_m2_is_not_taken_as_millilitres_per_minute():
    criterion = "Creatinine clearance ≥ 60 mL/min"
    lab = LabResult("creatinine_clearance", 65, "mL/min/1.73m2")
    verdict, reason, _ = verdict_of(criterion, lab)
    assert verdict is Verdict.UNKNOWN and "height and weight" in reason
    # 180 cm, 80 kg: 2.0 m2, so 65 x 2.0 / 1.73 = 75.14 mL/min, at least 60.
    body = (LabResult("body_height", 180, "cm"), LabResult("body_weight", 80, "kg"))
    verdict, reason, flags = verdict_of(criterion, lab, *body)
    assert verdict is Verdict.MET and "bsa_from_height_weight" in flags
    assert "75.14 mL/min" in reason and "2 m²" in reason
    # 150 cm, 54 kg: 1.5 m2, so 65 x 1.5 / 1.73 = 56.4 mL/min, below 60; but 65 is at least 60 if the study
    # meant mL/min/1.73 m2 (criteria often drop it): the readings disagree, so the study team decides.
    small = (LabResult("body_height", 150, "cm"), LabResult("body_weight", 54, "kg"))
    verdict, reason, flags = verdict_of(criterion, lab, *small)
    assert verdict is Verdict.UNKNOWN and "ambiguous_unit" in flags and "study team" in reason
    # 55 mL/min/1.73 m2 = 47.7 mL/min at 1.5 m2: below 60 under both readings.
    low = LabResult("creatinine_clearance", 55, "mL/min/1.73m2")
    assert verdict_of(criterion, low, *small)[0] is Verdict.NOT_MET


def test_an_egfr_criterion_in_millilitres_per_minute_is_decided_only_when_both_readings_agree():
    # eGFR is per 1.73 m2; "eGFR ≥ 45 mL/min" may mean either. 50 mL/min/1.73 m2 is 57.8 mL/min at 2.0 m2
    # (both readings fit) but 43.4 mL/min at 1.5 m2 (one reading fits, the other does not).
    criterion = "eGFR (MDRD) ≥ 45 mL/min"
    lab = LabResult("egfr", 50, "mL/min/1.73m2", method="MDRD")
    assert verdict_of(criterion, lab)[0] is Verdict.UNKNOWN
    large = (LabResult("body_height", 180, "cm"), LabResult("body_weight", 80, "kg"))
    assert verdict_of(criterion, lab, *large)[0] is Verdict.MET
    small = (LabResult("body_height", 150, "cm"), LabResult("body_weight", 54, "kg"))
    verdict, reason, _ = verdict_of(criterion, lab, *small)
    assert verdict is Verdict.UNKNOWN and "1.73 m²" in reason


def test_a_criterion_per_square_metre_is_not_read_as_per_1_73_square_metres():
    # "Creatinine clearance of less than 60 ml/min/m2" (starter catalogue): 60 mL/min/m2 is 103.8 mL/min/1.73 m2,
    # and authors often write "/m2" for "/1.73 m2". 80 mL/min/1.73 m2 = 46.2 mL/min/m2: the two readings disagree.
    criterion = "Creatinine clearance of less than 60 ml/min/m2"
    ambiguous = verdict_of(criterion, LabResult("creatinine_clearance", 80, "mL/min/1.73m2"))
    assert ambiguous[0] is Verdict.UNKNOWN
    # 120 mL/min/1.73 m2 = 69.4 mL/min/m2: not below 60 under either reading.
    assert verdict_of(criterion, LabResult("creatinine_clearance", 120, "mL/min/1.73m2"))[0] is Verdict.NOT_MET


# --- Answers and FHIR --------------------------------------------------------------------------------------------


def test_an_upper_limit_of_0_typed_in_the_questionnaire_is_a_mistake_beside_its_field():
    tree = one_criterion("AST ≤ 2.5 x ULN")
    answers = {"lab:ast:value": "30", "lab:ast:unit": "U/L", "lab:ast:uln": "0"}
    with pytest.raises(InvalidAnswers) as raised:
        facts_from_answers(tree, answers, today=TODAY)
    assert set(raised.value.errors) == {"lab:ast:uln"}


def test_the_questionnaire_asks_height_and_weight_when_a_body_surface_area_is_needed():
    from trialfinder.eligibility import questionnaire

    ids = [q.id for q in questionnaire(one_criterion("eGFR (MDRD) ≥ 45 mL/min"), "en").questions]
    assert "lab:body_height" in ids and "lab:body_weight" in ids
    ids = [q.id for q in questionnaire(one_criterion("eGFR ≥ 45 mL/min/1.73 m²"), "en").questions]
    assert "lab:body_height" not in ids


def observation(loinc: str, quantity: dict, **extra) -> dict:
    return {
        "resourceType": "Observation",
        "id": "o",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": "2025-02-28",
        "valueQuantity": quantity,
        **extra,
    }


def test_a_fhir_upper_limit_of_0_is_read_and_assessed_as_unknown():
    ast = observation("1920-8", {"value": 30, "code": "U/L"}, referenceRange=[{"high": {"value": 0, "code": "U/L"}}])
    read = facts_from_fhir({"resourceType": "Bundle", "entry": [{"resource": ast}]})
    assessment = assess(one_criterion("AST ≤ 2.5 x ULN"), read.facts, today=TODAY)
    assert assessment.results[0].verdict is Verdict.UNKNOWN


def test_a_fhir_value_that_is_not_a_finite_number_is_skipped():
    text = json.dumps({"resourceType": "Bundle", "entry": [{"resource": observation("1920-8", {"value": math.nan})}]})
    assert "NaN" in text  # Python's JSON reader accepts NaN and Infinity
    read = facts_from_fhir(text)
    assert read.facts.labs == ()
    assert any("no numeric value" in problem for problem in read.problems)


def test_a_fhir_upper_limit_in_an_unknown_unit_is_not_taken_as_the_results_unit():
    bili = observation(
        "14631-6",
        {"value": 30, "code": "umol/L"},
        referenceRange=[{"high": {"value": 1.2, "unit": "mg per decilitre"}}],
    )
    read = facts_from_fhir({"resourceType": "Bundle", "entry": [{"resource": bili}]})
    (lab,) = read.facts.labs
    assert lab.reference_unit != "umol/L"
    assessment = assess(one_criterion("Total bilirubin ≤ 1.5 x ULN"), read.facts, today=TODAY)
    assert assessment.results[0].verdict is Verdict.UNKNOWN


def test_every_factor_in_the_tables_is_a_positive_number():
    # convert() divides by them: a 0 would be a ZeroDivisionError, a negative one a wrong sign.
    for name, (_, factor) in lexicon("units")["canonical"].items():
        assert math.isfinite(factor) and factor > 0, name
    for analyte, entry in lexicon("analytes").items():
        if "molar" in entry:
            assert math.isfinite(entry["molar"]["factor"]) and entry["molar"]["factor"] > 0, analyte
        if "valence" in entry:
            assert isinstance(entry["valence"], int) and entry["valence"] != 0, analyte


def test_height_and_weight_from_fhir_give_the_body_surface_area():
    # 70.87 in = 180 cm, 176.37 lb = 80 kg: 2.0 m2, so 65 mL/min/1.73 m2 = 75.14 mL/min (and 65 >= 60 as well).
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": observation("8302-2", {"value": 70.866, "code": "[in_i]"})},
            {"resource": observation("29463-7", {"value": 176.37, "code": "[lb_av]"})},
            {"resource": observation("2164-2", {"value": 65, "code": "mL/min/{1.73_m2}"})},
        ],
    }
    read = facts_from_fhir(bundle)
    assert read.problems == ("no Patient resource: age and sex are unknown",)
    result = assess(one_criterion("Creatinine clearance ≥ 60 mL/min"), read.facts, today=TODAY).results[0]
    assert result.verdict is Verdict.MET and "bsa_from_height_weight" in result.flags
    assert "75.14 mL/min" in result.reason
