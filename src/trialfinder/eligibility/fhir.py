"""FHIR R4 -> PatientFacts, read leniently: a resource that cannot be read is reported and skipped, never fatal.

Plain dictionaries, no FHIR model library: strict validators reject many real bundles (DOMAIN.md), and the facts
need only a few fields. Read: Patient (birthDate, gender); Observation (LOINC code, valueQuantity with UCUM unit,
effective date, referenceRange.high as the lab's own ULN; mCODE ECOG 89247-1 and Karnofsky 89243-0; mCODE genomic
variants 69548-6 with the gene studied 48018-6 as an HGNC code; tumour markers with positive/negative answers);
Condition; MedicationStatement/Request/Administration; Procedure. Also bulk-export NDJSON, one patient per subject.

Problems name the resource and what was wrong, never a value: these are personal data (DEVELOPERS.md).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

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
from trialfinder.eligibility.units import lexicon, normalise_unit

_SYSTEMS = {
    "http://loinc.org": "loinc",
    "http://snomed.info/sct": "snomed",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm",
    "http://www.whocc.no/atc": "atc",
    "http://hl7.org/fhir/sid/icd-10": "icd10",
    "http://hl7.org/fhir/sid/icd-10-cm": "icd10",
    "http://www.genenames.org/geneId": "hgnc",
    "http://www.genenames.org": "hgnc",
}
ECOG, KARNOFSKY, GENETIC_VARIANT, GENE_STUDIED, PREGNANCY_STATUS = "89247-1", "89243-0", "69548-6", "48018-6", "82810-3"
# mCODE ECOG answer list LL529-9: LA9622-7 = 0 ... LA9627-6 = 5.
_ECOG_ANSWERS = {"LA9622-7": 0, "LA9623-5": 1, "LA9624-3": 2, "LA9625-0": 3, "LA9626-8": 4, "LA9627-6": 5}
_POSITIVE = {"LA6576-8", "10828004", "LA9633-4", "52101004", "positive", "present", "detected", "pos"}
_NEGATIVE = {"LA6577-6", "260385009", "LA9634-2", "2667000", "negative", "absent", "not detected", "neg"}
# Amino-acid and DNA-change components of a variant (mCODE/Genomics Reporting): 48005-3 p., 48004-6 c., 81290-9 g.
_VARIANT_COMPONENTS = {"48005-3", "48004-6", "81290-9", "81252-9"}


@dataclass(frozen=True, slots=True)
class FhirFacts:
    facts: PatientFacts
    problems: tuple[str, ...]
    patient_id: str | None = None


def facts_from_fhir(bundle: dict[str, Any] | str | bytes) -> FhirFacts:
    """Facts from one patient's Bundle (or a single resource); problems list what was skipped and why."""
    problems: list[str] = []
    if isinstance(bundle, str | bytes):
        try:
            bundle = json.loads(bundle)
        except ValueError as error:
            return FhirFacts(PatientFacts(), (f"not JSON: {error.__class__.__name__}",))
    if not isinstance(bundle, dict):
        return FhirFacts(PatientFacts(), ("not a FHIR resource (expected a JSON object)",))
    if bundle.get("resourceType") == "Bundle":
        resources = []
        entries = bundle.get("entry")
        if not isinstance(entries, list):
            problems.append("Bundle has no entry list")
            entries = []
        for index, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(resource, dict):
                problems.append(f"entry {index}: no resource")
                continue
            resources.append(resource)
    else:
        resources = [bundle]
    return _read(resources, problems)


def facts_from_ndjson(lines: Iterable[str | bytes]) -> dict[str, FhirFacts]:
    """Facts per patient id from bulk-export NDJSON lines (any mix of resource types, any order)."""
    by_patient: dict[str, list[dict[str, Any]]] = {}
    problems: dict[str, list[str]] = {}
    orphans: list[str] = []
    for number, line in enumerate(lines, start=1):
        text = line.decode("utf-8", "replace") if isinstance(line, bytes) else line
        if not text.strip():
            continue
        try:
            resource = json.loads(text)
        except ValueError:
            orphans.append(f"line {number}: not JSON")
            continue
        if not isinstance(resource, dict):
            orphans.append(f"line {number}: not a resource")
            continue
        owner = _patient_of(resource)
        if owner is None:
            continue  # Organization, Practitioner, Location ...: not about one patient
        by_patient.setdefault(owner, []).append(resource)
    result = {}
    for patient, resources in by_patient.items():
        read = _read(resources, problems.setdefault(patient, []))
        result[patient] = FhirFacts(read.facts, read.problems, patient)
    if orphans and result:
        first = next(iter(result))
        result[first] = FhirFacts(result[first].facts, result[first].problems + tuple(orphans), first)
    return result


def _patient_of(resource: dict[str, Any]) -> str | None:
    if resource.get("resourceType") == "Patient":
        return str(resource.get("id") or "")
    for field in ("subject", "patient"):
        reference = resource.get(field)
        if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
            return reference["reference"].rsplit("/", 1)[-1].removeprefix("urn:uuid:")
    return None


def _read(resources: list[dict[str, Any]], problems: list[str]) -> FhirFacts:
    state: dict[str, Any] = {
        "labs": [],
        "conditions": [],
        "medications": [],
        "procedures": [],
        "biomarkers": [],
        "performance": [],
    }
    patient_id = None
    patients = 0
    for resource in resources:
        kind = resource.get("resourceType")
        where = f"{kind or 'resource'} {resource.get('id') or '(no id)'}"
        try:
            if kind == "Patient":
                patients += 1
                if patients > 1:
                    problems.append(f"{where}: a second Patient in the bundle, skipped")
                    continue
                patient_id = resource.get("id")
                _patient(resource, state, problems, where)
            elif kind == "Observation":
                _observation(resource, state, problems, where)
            elif kind == "Condition":
                state["conditions"].append(
                    ConditionRecord(
                        _text(resource.get("code")),
                        _codings(resource.get("code")),
                        _day(resource.get("onsetDateTime"), problems, where),
                        _active(resource),
                    )
                )
            elif kind in ("MedicationStatement", "MedicationRequest", "MedicationAdministration"):
                state["medications"].append(_medication(resource, problems, where))
            elif kind == "Procedure":
                performed = resource.get("performedDateTime") or (resource.get("performedPeriod") or {}).get("start")
                sites = " ".join(_text(site) for site in resource.get("bodySite") or [] if isinstance(site, dict))
                state["procedures"].append(
                    ProcedureRecord(
                        _text(resource.get("code")),
                        _codings(resource.get("code")),
                        _day(performed, problems, where),
                        sites or None,
                    )
                )
            elif kind is None:
                problems.append(f"{where}: no resourceType, skipped")
        except (TypeError, ValueError, AttributeError, KeyError) as error:
            problems.append(f"{where}: unreadable ({error.__class__.__name__}), skipped")
    if patients == 0:
        problems.append("no Patient resource: age and sex are unknown")
    facts = PatientFacts(
        birth_date=state.get("birth_date"),
        sex=state.get("sex"),
        pregnant=state.get("pregnant"),
        labs=tuple(state["labs"]),
        conditions=tuple(state["conditions"]),
        medications=tuple(state["medications"]),
        procedures=tuple(state["procedures"]),
        biomarkers=tuple(state["biomarkers"]),
        performance=tuple(state["performance"]),
    )
    return FhirFacts(facts, tuple(problems), patient_id)


def _patient(resource: dict[str, Any], state: dict[str, Any], problems: list[str], where: str) -> None:
    birth = resource.get("birthDate")
    if birth is None:
        problems.append(f"{where}: no birthDate")
    else:
        state["birth_date"] = _day(birth, problems, where)
    gender = resource.get("gender")
    if gender in ("female", "male"):
        state["sex"] = gender
    elif gender is not None and gender not in ("other", "unknown"):
        problems.append(f"{where}: gender is not a FHIR administrative gender")


def _observation(resource: dict[str, Any], state: dict[str, Any], problems: list[str], where: str) -> None:
    codes = [c.code for c in _codings(resource.get("code")) if c.system == "loinc"]
    when = _day(
        resource.get("effectiveDateTime")
        or (resource.get("effectivePeriod") or {}).get("start")
        or resource.get("issued"),
        problems,
        where,
    )
    if ECOG in codes or KARNOFSKY in codes:
        scale, top = ("ECOG", 5) if ECOG in codes else ("KARNOFSKY", 100)
        value = resource.get("valueInteger")
        if value is None and isinstance(resource.get("valueCodeableConcept"), dict):
            value = next(
                (_ECOG_ANSWERS[c.code] for c in _codings(resource["valueCodeableConcept"]) if c.code in _ECOG_ANSWERS),
                None,
            )
        if isinstance(value, int) and 0 <= value <= top:
            state["performance"].append(PerformanceScore(scale, value, when))
        else:
            problems.append(f"{where}: {scale} score missing or out of range, skipped")
        return
    if GENETIC_VARIANT in codes:
        _variant(resource, state, problems, where, when)
        return
    if PREGNANCY_STATUS in codes:
        answer = _answer(resource.get("valueCodeableConcept"))
        # LOINC answers LA15173-0 Pregnant, LA26683-5 Not pregnant.
        codes_given = {c.code for c in _codings(resource.get("valueCodeableConcept"))}
        if "LA15173-0" in codes_given:
            state["pregnant"] = True
        elif "LA26683-5" in codes_given or answer is False:
            state["pregnant"] = False
        return
    marker = _marker_for_loinc(codes)
    if marker is not None:
        status = _marker_status(marker, resource.get("valueCodeableConcept"))
        if status is None:
            problems.append(f"{where}: biomarker result not understood, skipped")
        else:
            state["biomarkers"].append(BiomarkerResult(marker, status, when, _text(resource.get("code"))))
        return
    analyte = _analyte_for_loinc(codes)
    if analyte is None:
        return  # staging, tumour size ...: not used by the checks
    quantity = resource.get("valueQuantity")
    if (
        not isinstance(quantity, dict)
        or not isinstance(quantity.get("value"), int | float)
        or isinstance(quantity.get("value"), bool)
        or not math.isfinite(quantity["value"])  # Python's JSON reader accepts NaN and Infinity
    ):
        problems.append(f"{where}: no numeric value, skipped")
        return
    unit = normalise_unit(quantity.get("code")) or normalise_unit(quantity.get("unit"))
    if unit is None and (quantity.get("code") or quantity.get("unit")):
        problems.append(f"{where}: unit not recognised, kept without unit")
    high, high_unit = None, None
    for reference in resource.get("referenceRange") or []:
        if (
            isinstance(reference, dict)
            and isinstance(reference.get("high"), dict)
            and isinstance(reference["high"].get("value"), int | float)
            and not isinstance(reference["high"].get("value"), bool)
        ):
            # Kept as written, even 0 or NaN: the evaluator says why such a limit cannot be used.
            high = float(reference["high"]["value"])
            high_unit = _limit_unit(reference["high"], quantity, unit)
            break
    loinc = next(code for code in codes if _analyte_for_loinc([code]) == analyte)
    method = lexicon("analytes")[analyte].get("methods", {}).get(loinc)
    state["labs"].append(
        LabResult(
            analyte, float(quantity["value"]), unit, when, high, high_unit, loinc, method, _text(resource.get("code"))
        )
    )


def _limit_unit(limit: dict[str, Any], quantity: dict[str, Any], unit: str | None) -> str | None:
    """The unit of a reference range's limit: the value's own when the limit names none or the same one, else the
    limit's, as written when it is not recognised (so that it is never taken for the value's unit)."""
    written = [limit.get(key) for key in ("code", "unit") if limit.get(key)]
    if not written or any(text in (quantity.get("code"), quantity.get("unit")) for text in written):
        return unit
    return next((normalise_unit(text) for text in written if normalise_unit(text)), None) or str(written[0])


def _variant(
    resource: dict[str, Any], state: dict[str, Any], problems: list[str], where: str, when: date | None
) -> None:
    genes: list[str] = []
    changes: list[str] = []
    for component in resource.get("component") or []:
        if not isinstance(component, dict):
            continue
        component_codes = {c.code for c in _codings(component.get("code"))}
        value = component.get("valueCodeableConcept")
        if GENE_STUDIED in component_codes:
            genes += [c.code if c.code.startswith("HGNC:") else f"HGNC:{c.code}" for c in _codings(value)]
        if component_codes & _VARIANT_COMPONENTS:
            changes += [c.code + " " + (c.display or "") for c in _codings(value)] + [_text(value)]
    present = _answer(resource.get("valueCodeableConcept"))
    if not genes:
        problems.append(f"{where}: genetic variant without gene studied, skipped")
        return
    for gene in genes:
        markers = [key for key, entry in lexicon("biomarkers").items() if gene in entry.get("hgnc", [])]
        for marker in markers:
            if marker == "braf_v600e":
                if present and any(re.search(r"V600E|Val600Glu|c\.1799T>A", change) for change in changes):
                    state["biomarkers"].append(BiomarkerResult("braf_v600e", "mutated", when))
                continue
            status = "mutated" if present else "wild-type" if present is False else None
            if status:
                state["biomarkers"].append(BiomarkerResult(marker, status, when))


def _marker_for_loinc(codes: list[str]) -> str | None:
    for key, entry in lexicon("biomarkers").items():
        if any(code in entry.get("loinc", []) for code in codes):
            return key
    return None


def _marker_status(marker: str, concept: Any) -> str | None:
    answer = _answer(concept)
    words = _text(concept).lower() if isinstance(concept, dict) else ""
    if marker == "msi":
        if answer is True or "high" in words or "msi-h" in words:
            return "high"
        if answer is False or "stable" in words or "low" in words:
            return "stable"
        return None
    if re.search(r"\bhigh\b", words):
        return "high"
    if re.search(r"\blow\b", words):
        return "low"
    if answer is None:
        return None
    return "positive" if answer else "negative"


def _answer(concept: Any) -> bool | None:
    if not isinstance(concept, dict):
        return None
    for coding in _codings(concept):
        key = coding.code
        display = (coding.display or "").lower().removesuffix(" (qualifier value)")
        if key in _POSITIVE or display in _POSITIVE:
            return True
        if key in _NEGATIVE or display in _NEGATIVE:
            return False
    text = str(concept.get("text") or "").strip().lower()
    return True if text in _POSITIVE else False if text in _NEGATIVE else None


def _analyte_for_loinc(codes: list[str]) -> str | None:
    for key, entry in lexicon("analytes").items():
        if any(code in entry.get("loinc", []) for code in codes):
            return key
    return None


def _medication(resource: dict[str, Any], problems: list[str], where: str) -> MedicationRecord:
    concept = resource.get("medicationCodeableConcept")
    if not isinstance(concept, dict):
        reference = resource.get("medicationReference")
        display = reference.get("display") if isinstance(reference, dict) else None
        concept = {"text": display or ""}
        if not display:
            problems.append(f"{where}: medication not named, kept as unknown medication")
    period = resource.get("effectivePeriod") or {}
    start = resource.get("effectiveDateTime") or period.get("start") or resource.get("authoredOn")
    status = resource.get("status")
    current = {"active": True, "completed": False, "stopped": False, "entered-in-error": False, "cancelled": False}.get(
        status
    )
    return MedicationRecord(
        _text(concept),
        _codings(concept),
        _day(start, problems, where),
        _day(period.get("end"), problems, where),
        current,
    )


def _active(resource: dict[str, Any]) -> bool | None:
    status = {c.code for c in _codings(resource.get("clinicalStatus"))}
    if status & {"active", "recurrence", "relapse"}:
        return True
    if status & {"inactive", "remission", "resolved"}:
        return False
    return None


def _codings(concept: Any) -> tuple[Coding, ...]:
    if not isinstance(concept, dict):
        return ()
    found = []
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and coding.get("code") is not None:
            system = str(coding.get("system") or "")
            found.append(Coding(_SYSTEMS.get(system, system), str(coding["code"]), coding.get("display")))
    return tuple(found)


def _text(concept: Any) -> str:
    if not isinstance(concept, dict):
        return ""
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding") or []:
        if isinstance(coding, dict) and coding.get("display"):
            return str(coding["display"])
    return ""


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _day(value: Any, problems: list[str], where: str) -> date | None:
    """A FHIR date or dateTime as a date; a partial date takes the first day of its month or year."""
    if value is None:
        return None
    match = _DATE.match(value) if isinstance(value, str) else None
    if not match:
        problems.append(f"{where}: a date cannot be read, left out")
        return None
    year, month, day = int(match.group(1)), int(match.group(2) or 1), int(match.group(3) or 1)
    try:
        return date(year, month, day)
    except ValueError:
        problems.append(f"{where}: a date cannot be read, left out")
        return None
