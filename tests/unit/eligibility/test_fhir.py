"""FHIR R4 bundles and bulk NDJSON -> facts, read leniently, on real (synthetic-patient) files."""

from __future__ import annotations

import json
import tarfile
from datetime import date

import pytest
from conftest import FIXTURES, require_shared

from trialfinder.eligibility import facts_from_fhir, facts_from_ndjson
from trialfinder.eligibility.facts import BiomarkerResult, PerformanceScore

PATIENTS = FIXTURES / "patients"


def test_mcode_bundle():
    read = facts_from_fhir((PATIENTS / "TrialMatching_Patient02.json").read_text())
    facts = read.facts
    assert (facts.birth_date, facts.sex) == (date(1973, 1, 1), "female")
    assert facts.performance == (PerformanceScore("ECOG", 1, date(2019, 4, 1)),)
    assert {(b.marker, b.status) for b in facts.biomarkers} >= {
        ("er", "positive"),
        ("pr", "positive"),
        ("her2", "negative"),
        ("tmb", "low"),
    }
    assert len(facts.medications) == 11 and len(facts.procedures) == 5 and len(facts.conditions) == 2
    assert any("capecitabine" in m.text for m in facts.medications)
    assert read.problems == ()


def test_malformed_bundles_are_reported_not_fatal():
    read = facts_from_fhir((PATIENTS / "patient_data_missing_birthdate_invalid_ecog_karnofsky.json").read_text())
    assert read.facts.birth_date is None and read.facts.sex == "female"
    assert read.facts.performance == ()
    assert len(read.problems) == 3
    assert any("no birthDate" in p for p in read.problems)
    assert any("ECOG score missing or out of range" in p for p in read.problems)
    assert any("KARNOFSKY" in p for p in read.problems)
    # No value is repeated in a problem (they are personal data).
    assert not any("-1" in p for p in read.problems)

    empty = facts_from_fhir((PATIENTS / "patient_data_empty-cgv.json").read_text())
    assert "entry 0: no resource" in empty.problems
    assert any("no Patient resource" in p for p in empty.problems)


def test_garbage_is_a_problem():
    assert facts_from_fhir("{not json").problems == ("not JSON: JSONDecodeError",)
    assert facts_from_fhir("[1, 2]").problems == ("not a FHIR resource (expected a JSON object)",)
    bundle = {
        "resourceType": "Bundle",
        "entry": [{"resource": {"resourceType": "Observation", "id": "o1", "code": "oops"}}, 7],
    }
    read = facts_from_fhir(bundle)
    assert read.facts.labs == ()
    assert "entry 1: no resource" in read.problems


def test_labs_with_units_reference_ranges_and_dates():
    bundle = {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p", "birthDate": "1960-05", "gender": "male"}},
            {"resource": {"resourceType": "Observation", "id": "hb", "code": {"coding": [{"system": "http://loinc.org", "code": "59260-0"}]},
                          "effectiveDateTime": "2025-02-20T08:00:00+01:00", "valueQuantity": {"value": 8.1, "unit": "mmol/l", "system": "http://unitsofmeasure.org", "code": "mmol/L"}}},
            {"resource": {"resourceType": "Observation", "id": "bili", "code": {"coding": [{"system": "http://loinc.org", "code": "14631-6"}]},
                          "effectiveDateTime": "2025-02-20", "valueQuantity": {"value": 30, "code": "umol/L"},
                          "referenceRange": [{"high": {"value": 17, "code": "umol/L"}}]}},
            {"resource": {"resourceType": "Observation", "id": "egfr", "code": {"coding": [{"system": "http://loinc.org", "code": "33914-3"}]},
                          "effectiveDateTime": "not a date", "valueQuantity": {"value": 50, "code": "mL/min/{1.73_m2}"}}},
            {"resource": {"resourceType": "Observation", "id": "anc", "code": {"coding": [{"system": "http://loinc.org", "code": "751-8"}]},
                          "valueString": "normal"}},
        ],
    }  # fmt: skip
    read = facts_from_fhir(json.dumps(bundle))
    labs = {lab.analyte: lab for lab in read.facts.labs}
    assert read.facts.birth_date == date(1960, 5, 1)
    assert (labs["hemoglobin"].value, labs["hemoglobin"].unit, labs["hemoglobin"].when) == (
        8.1,
        "mmol/L",
        date(2025, 2, 20),
    )
    assert (labs["bilirubin"].reference_high, labs["bilirubin"].reference_unit) == (17.0, "umol/L")
    assert (labs["egfr"].method, labs["egfr"].unit, labs["egfr"].when) == ("MDRD", "mL/min/1.73m2", None)
    assert "anc" not in labs and "neutrophils" not in labs
    assert read.problems == (
        "Observation egfr: a date cannot be read, left out",
        "Observation anc: no numeric value, skipped",
    )


def test_genomic_variants_by_hgnc():
    variant = {
        "resourceType": "Observation", "id": "v", "code": {"coding": [{"system": "http://loinc.org", "code": "69548-6"}]},
        "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": "LA9633-4", "display": "Present"}]},
        "component": [
            {"code": {"coding": [{"system": "http://loinc.org", "code": "48018-6"}]}, "valueCodeableConcept": {"coding": [{"system": "http://www.genenames.org/geneId", "code": "HGNC:1097"}]}},
            {"code": {"coding": [{"system": "http://loinc.org", "code": "48005-3"}]}, "valueCodeableConcept": {"text": "p.Val600Glu"}},
        ],
    }  # fmt: skip
    absent = json.loads(
        json.dumps(variant)
        .replace("LA9633-4", "LA9634-2")
        .replace("HGNC:1097", "HGNC:6407")
        .replace("Present", "Absent")
    )
    read = facts_from_fhir({"resourceType": "Bundle", "entry": [{"resource": variant}, {"resource": absent}]})
    assert set(read.facts.biomarkers) == {
        BiomarkerResult("braf", "mutated", None),
        BiomarkerResult("braf_v600e", "mutated", None),
        BiomarkerResult("kras", "wild-type", None),
    }


@pytest.mark.shared_data
def test_every_mitre_bundle_reads():
    folder = require_shared("patients/mitre-fhir")
    for path in sorted(folder.glob("*.json")):
        read = facts_from_fhir(path.read_bytes())
        assert read.facts is not None, path.name
        if path.name != "patient_data_empty-cgv.json":
            assert read.facts.sex == "female", path.name


@pytest.mark.shared_data
def test_synthea_bulk_ndjson(tmp_path):
    archive = require_shared("patients/synthea-10.tar.gz")
    with tarfile.open(archive) as tar:
        tar.extractall(tmp_path, filter="data")
    lines = []
    for path in sorted((tmp_path / "synthea-10").glob("*.ndjson")):
        lines += path.read_text().splitlines()
    patients = facts_from_ndjson(lines)
    assert len(patients) == 13  # 10 living and 3 deceased (the data set's README)
    with_cancer = [p for p in patients.values() if any("neoplasm" in c.text.lower() for c in p.facts.conditions)]
    assert with_cancer
    assert all(p.facts.birth_date is not None and p.facts.sex in ("female", "male") for p in patients.values())
    assert sum(len(p.facts.medications) for p in patients.values()) == 1745
    assert sum(len(p.facts.procedures) for p in patients.values()) == 2056
