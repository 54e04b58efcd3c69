"""ClinicalTrials.gov API v2 -> Trial, on real records: every field checked on chosen records."""

from __future__ import annotations

import json

import pytest
from conftest import FIXTURES, SHARED_DATA, require_shared

from trialfinder.domain.codec import decode_trial, encode_trial
from trialfinder.domain.errors import InvalidRecord, RecordTooLarge
from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType
from trialfinder.domain.values import Age, AgeUnit, GeoPoint, PartialDate
from trialfinder.registries.ctgov_v2.mapping import to_trial
from trialfinder.registries.fields import Warnings


def load(name: str) -> dict:
    path = FIXTURES / "ctgov_v2" / f"{name}.json"
    if not path.exists():
        path = require_shared(f"ctgov/v2/{name}.json")
    return json.loads(path.read_text())


def test_reference_trial_every_field():
    trial = to_trial(load("NCT06857773"))
    assert trial.nct_id == "NCT06857773"
    assert trial.brief_title.startswith("Induction Treatment for Initially Unresectable Colorectal Liver Metastases")
    assert trial.acronym == "PUMP-IT RCT"
    assert trial.org_study_id == "M23PIT"
    assert trial.eu_ct_numbers == ("2023-506194-35-00",)
    assert trial.overall_status is RecruitmentStatus.RECRUITING
    assert trial.phases == (Phase.PHASE3,)
    assert trial.study_type is StudyType.INTERVENTIONAL
    assert (trial.enrollment.count, trial.enrollment.type) == (306, "ESTIMATED")
    assert trial.allocation == "RANDOMIZED"
    assert trial.start_date == PartialDate(2024, 11, 21)
    assert trial.completion_date == PartialDate(2035, 1, 31)
    assert trial.last_update == PartialDate(2025, 9, 16)
    assert trial.lead_sponsor.name == "The Netherlands Cancer Institute"
    assert trial.conditions == ("Colorectal Neoplasms", "Liver Metastases", "Floxuridine", "Vascular Access Device")
    assert [arm.label for arm in trial.arms] == ["HAIP-SYST", "Systemic therapy"]
    assert trial.arms[0].intervention_names[1] == "Device: Hepatic arterial infusion pump (HAIP)"
    assert [(item.type, item.arm_labels) for item in trial.interventions] == [
        ("DRUG", ("HAIP-SYST",)),
        ("DEVICE", ("HAIP-SYST",)),
        ("DRUG", ("Systemic therapy",)),
    ]
    assert "Floxuridine" in trial.brief_summary
    criteria = trial.eligibility.criteria
    assert criteria.startswith("Inclusion Criteria:")
    assert "\n  * Hb ≥ 5.5 mmol/L" in criteria  # nested bullets keep their indentation
    assert "Exclusion Criteria:" in criteria
    assert trial.eligibility.sex is Sex.ALL
    assert trial.eligibility.ages.minimum == Age(18, AgeUnit.YEARS)
    assert trial.eligibility.ages.maximum is None
    (site,) = trial.sites
    assert (site.facility, site.city, site.postal_code, site.country) == (
        "The Netherlands Cancer Institute",
        "Amsterdam",
        "1066 CX",
        "Netherlands",
    )
    assert site.status is RecruitmentStatus.RECRUITING
    assert site.coordinates == GeoPoint(52.37403, 4.88969)
    assert not site.coordinates_approximate
    assert site.contacts == () and trial.central_contacts == ()  # the record has none; the product must cope


def test_site_and_central_contacts():
    trial = to_trial(load("NCT05052671"))
    assert trial.study_type is StudyType.OBSERVATIONAL
    assert trial.phases == ()
    assert trial.eligibility.ages.maximum == Age(99, AgeUnit.YEARS)
    assert [(site.city, site.status) for site in trial.sites] == [
        ("Oklahoma City", RecruitmentStatus.RECRUITING),
        ("Tulsa", RecruitmentStatus.NOT_YET_RECRUITING),
    ]
    first = trial.sites[0]
    assert first.contacts[0].email == "SCC-IIT-Office@ouhsc.edu"
    assert first.contacts[1].role == "PRINCIPAL_INVESTIGATOR"
    assert trial.central_contacts[0].phone == "1-405-271-8777"
    assert [org.name for org in trial.collaborators] == ["Natera, Inc."]


def test_multi_phase_and_other_names():
    trial = to_trial(load("NCT03745326"))
    assert trial.phases == (Phase.PHASE1, Phase.PHASE2)
    assert trial.lead_sponsor.kind == "NIH"
    assert trial.keywords[:3] == ("Immunotherapy", "Cell Therapy", "KRAS")
    assert "NRAS" in trial.keywords
    assert trial.eligibility.ages.maximum == Age(72, AgeUnit.YEARS)
    fludarabine = to_trial(load("NCT06898385")).interventions[1]
    assert (fludarabine.name, fludarabine.other_names) == ("Fludarabine", ("Fludara",))


def test_record_with_results_and_hundreds_of_sites():
    trial = to_trial(load("NCT02513394"))
    assert trial.has_results
    assert trial.acronym == "PALLAS"
    assert len(trial.sites) == 437
    # Two of its sites (Ried, Austria; Santiago, Spain) come without a geoPoint: the gazetteer's job.
    assert [site.city for site in trial.sites if site.coordinates is None] == ["Ried", "Santiago"]
    assert trial.eu_ct_numbers == ("2014-005181-30",)
    assert trial.mesh_terms[0].term == "Breast Neoplasms"
    assert trial.overall_status is RecruitmentStatus.ACTIVE_NOT_RECRUITING


@pytest.mark.shared_data
def test_every_real_v2_record_maps_cleanly_and_round_trips():
    folder = require_shared("ctgov/v2")
    paths = sorted(folder.glob("NCT*.json"))
    assert len(paths) == 11
    for path in paths:
        warnings = Warnings()
        trial = to_trial(json.loads(path.read_text()), warnings)
        assert trial.nct_id == path.stem
        assert warnings == [], (path.name, warnings)
        assert trial.last_update is not None
        assert trial.eligibility.criteria
        assert trial.sites
        assert decode_trial(encode_trial(trial)) == trial


def test_an_unknown_status_keeps_the_last_known_one_and_trials_stored_before_still_decode():
    record = load("NCT06857773")
    status = record["protocolSection"]["statusModule"]
    status.update(overallStatus="UNKNOWN", lastKnownStatus="RECRUITING", statusVerifiedDate="2019-05")
    trial = to_trial(record)
    assert trial.overall_status is RecruitmentStatus.UNKNOWN
    assert trial.last_known_status is RecruitmentStatus.RECRUITING
    assert trial.status_verified == PartialDate(2019, 5)
    assert trial.status_is_stale
    assert decode_trial(encode_trial(trial)) == trial
    # A trial stored before these fields were kept has neither key in its JSON: it decodes, with None.
    stored = json.loads(encode_trial(trial))
    del stored["last_known_status"], stored["status_verified"]
    old = decode_trial(json.dumps(stored))
    assert old.last_known_status is None and old.status_verified is None and not old.status_is_stale
    assert to_trial(load("NCT06857773")).last_known_status is None


def test_missing_identity_is_rejected():
    with pytest.raises(InvalidRecord, match="protocolSection"):
        to_trial({})
    with pytest.raises(InvalidRecord, match="nctId is missing"):
        to_trial({"protocolSection": {"identificationModule": {"briefTitle": "x"}}})
    with pytest.raises(InvalidRecord, match="not an NCT id"):
        to_trial({"protocolSection": {"identificationModule": {"nctId": "NCT123", "briefTitle": "x"}}})
    with pytest.raises(InvalidRecord, match="neither briefTitle"):
        to_trial({"protocolSection": {"identificationModule": {"nctId": "NCT01234567"}}})
    with pytest.raises(InvalidRecord, match="JSON object"):
        to_trial(["NCT01234567"])


def test_absurd_lengths_are_rejected_as_too_large():
    record = load("NCT06857773")
    record["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = "* x\n" * 200_000
    with pytest.raises(RecordTooLarge, match="eligibilityCriteria"):
        to_trial(record)
    record = load("NCT06857773")
    record["protocolSection"]["contactsLocationsModule"]["locations"] = [{"city": "x"}] * 60_000
    with pytest.raises(RecordTooLarge, match="locations"):
        to_trial(record)


def test_bad_fields_are_dropped_with_a_note():
    record = load("NCT06857773")
    protocol = record["protocolSection"]
    protocol["statusModule"]["startDateStruct"] = {"date": "2024-02-30"}
    protocol["contactsLocationsModule"]["locations"] = [
        {"facility": "A", "geoPoint": {"lat": 123, "lon": 4}},
        "not a site",
        {"facility": "B", "status": "OPEN_SOON"},
    ]
    protocol["eligibilityModule"]["sex"] = "EVERYONE"
    protocol["eligibilityModule"]["healthyVolunteers"] = "maybe"
    warnings = Warnings()
    trial = to_trial(record, warnings)
    assert trial.start_date is None
    assert [site.facility for site in trial.sites] == ["A", "B"]
    assert trial.sites[0].coordinates is None
    assert trial.sites[1].status is None
    assert trial.eligibility.sex is Sex.ALL
    assert trial.eligibility.healthy_volunteers is None
    assert len(warnings) == 6
    assert any("locations[1]" in note for note in warnings)
    assert any("'OPEN_SOON'" in note for note in warnings)


def test_text_is_cleaned():
    record = load("NCT06857773")
    record["protocolSection"]["identificationModule"]["briefTitle"] = "  Cafe\u0301 \x00study\x07  "
    assert to_trial(record).brief_title == "Café study"


def test_fixture_records_are_the_real_ones():
    # The fixtures are unchanged copies of shared data; keep them so when both are present.
    shared = SHARED_DATA / "ctgov" / "v2"
    for path in (FIXTURES / "ctgov_v2").glob("*.json"):
        original = shared / path.name
        if original.exists():
            assert original.read_bytes() == path.read_bytes()
