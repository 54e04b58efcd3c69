"""ClinicalTrials.gov API v2 study record -> Trial. Pure: no I/O.

Field paths are those of the v2 data model (`protocolSection.<module>.<field>`); see DOMAIN.md.
"""

from __future__ import annotations

from trialfinder.domain.errors import DomainError, InvalidRecord
from trialfinder.domain.trial import (
    Arm,
    Contact,
    Eligibility,
    Enrollment,
    Intervention,
    MeshTerm,
    Organization,
    OtherId,
    Outcome,
    Phase,
    RecruitmentStatus,
    Sex,
    Site,
    StudyType,
    Trial,
)
from trialfinder.domain.values import AgeRange, GeoPoint, nct_id
from trialfinder.registries import fields as f
from trialfinder.registries.fields import Warnings

SOURCE_FORMAT = "ctgov-v2"


def to_trial(raw: object, warnings: Warnings | None = None) -> Trial:
    """Map one v2 study record to a Trial, or raise InvalidRecord with the reason.

    Fields that cannot be read are dropped and described in `warnings`.
    """
    notes = warnings if warnings is not None else Warnings()
    if not isinstance(raw, dict):
        raise InvalidRecord(f"a study record must be a JSON object, not {type(raw).__name__}")
    protocol = raw.get("protocolSection")
    if not isinstance(protocol, dict):
        raise InvalidRecord("protocolSection is missing")
    derived = f.as_dict(raw.get("derivedSection"), "derivedSection", notes)

    def module(name: str) -> dict:
        return f.as_dict(protocol.get(name), name, notes)

    ident = module("identificationModule")
    status = module("statusModule")
    design = module("designModule")
    sponsors = module("sponsorCollaboratorsModule")
    conditions = module("conditionsModule")
    arms_module = module("armsInterventionsModule")
    description = module("descriptionModule")
    eligibility = module("eligibilityModule")
    contacts = module("contactsLocationsModule")
    outcomes = module("outcomesModule")

    raw_id = ident.get("nctId")
    if raw_id is None:
        raise InvalidRecord("identificationModule.nctId is missing")
    try:
        trial_id = nct_id(raw_id)
    except DomainError as error:
        raise InvalidRecord(f"identificationModule.nctId: {error}") from None

    brief_title = f.text(ident.get("briefTitle"), "briefTitle", notes, limit=f.TITLE_LIMIT)
    official_title = f.text(ident.get("officialTitle"), "officialTitle", notes, limit=f.TITLE_LIMIT)
    if brief_title is None and official_title is None:
        raise InvalidRecord("the record has neither briefTitle nor officialTitle")

    design_info = f.as_dict(design.get("designInfo"), "designInfo", notes)
    masking = f.as_dict(design_info.get("maskingInfo"), "maskingInfo", notes)
    enrollment_info = f.as_dict(design.get("enrollmentInfo"), "enrollmentInfo", notes)
    enrollment_count = f.integer(enrollment_info.get("count"), "enrollmentInfo.count", notes)

    return Trial(
        nct_id=trial_id,
        brief_title=brief_title or official_title or trial_id,
        source_format=SOURCE_FORMAT,
        official_title=official_title,
        acronym=f.text(ident.get("acronym"), "acronym", notes),
        org_study_id=f.text(f.as_dict(ident.get("orgStudyIdInfo"), "orgStudyIdInfo", notes).get("id"), "orgStudyId", notes),
        other_ids=f.each(
            f.as_list(ident.get("secondaryIdInfos"), "secondaryIdInfos", notes),
            "secondaryIdInfos",
            notes,
            lambda item, where: _other_id(item, where, notes),
        ),
        overall_status=f.enum_value(
            RecruitmentStatus, status.get("overallStatus"), "overallStatus", notes, default=RecruitmentStatus.UNKNOWN
        )
        or RecruitmentStatus.UNKNOWN,
        why_stopped=f.text(status.get("whyStopped"), "whyStopped", notes),
        last_known_status=f.enum_value(RecruitmentStatus, status.get("lastKnownStatus"), "lastKnownStatus", notes),
        status_verified=f.partial_date(status.get("statusVerifiedDate"), "statusVerifiedDate", notes),
        phases=_phases(design.get("phases"), notes),
        study_type=f.enum_value(StudyType, design.get("studyType"), "studyType", notes),
        enrollment=Enrollment(enrollment_count, f.text(enrollment_info.get("type"), "enrollmentInfo.type", notes))
        if enrollment_count is not None
        else None,
        allocation=f.text(design_info.get("allocation"), "allocation", notes),
        primary_purpose=f.text(design_info.get("primaryPurpose"), "primaryPurpose", notes),
        masking=f.text(masking.get("masking"), "masking", notes),
        start_date=_struct_date(status, "startDateStruct", notes),
        primary_completion_date=_struct_date(status, "primaryCompletionDateStruct", notes),
        completion_date=_struct_date(status, "completionDateStruct", notes),
        first_posted=_struct_date(status, "studyFirstPostDateStruct", notes),
        last_update=_struct_date(status, "lastUpdatePostDateStruct", notes),
        lead_sponsor=_organization(sponsors.get("leadSponsor"), "leadSponsor", notes),
        collaborators=f.each(
            f.as_list(sponsors.get("collaborators"), "collaborators", notes),
            "collaborators",
            notes,
            lambda item, where: _organization(item, where, notes),
        ),
        conditions=f.text_list(conditions.get("conditions"), "conditions", notes),
        keywords=f.text_list(conditions.get("keywords"), "keywords", notes),
        mesh_terms=_meshes(derived, "meshes", notes),
        mesh_ancestors=_meshes(derived, "ancestors", notes),
        arms=f.each(
            f.as_list(arms_module.get("armGroups"), "armGroups", notes),
            "armGroups",
            notes,
            lambda item, where: _arm(item, where, notes),
        ),
        interventions=f.each(
            f.as_list(arms_module.get("interventions"), "interventions", notes),
            "interventions",
            notes,
            lambda item, where: _intervention(item, where, notes),
        ),
        primary_outcomes=_outcomes(outcomes.get("primaryOutcomes"), "primaryOutcomes", notes),
        secondary_outcomes=_outcomes(outcomes.get("secondaryOutcomes"), "secondaryOutcomes", notes),
        brief_summary=f.text(description.get("briefSummary"), "briefSummary", notes, limit=f.LONG_TEXT_LIMIT),
        detailed_description=f.text(
            description.get("detailedDescription"), "detailedDescription", notes, limit=f.LONG_TEXT_LIMIT
        ),
        eligibility=_eligibility(eligibility, notes),
        sites=f.each(
            f.as_list(contacts.get("locations"), "locations", notes),
            "locations",
            notes,
            lambda item, where: _site(item, where, notes),
        ),
        central_contacts=_contacts(contacts.get("centralContacts"), "centralContacts", notes),
        has_results=raw.get("hasResults") is True,
    )


def _struct_date(status: dict, key: str, notes: Warnings):
    struct = f.as_dict(status.get(key), key, notes)
    return f.partial_date(struct.get("date"), key, notes)


def _phases(value: object, notes: Warnings) -> tuple[Phase, ...]:
    phases = []
    for index, item in enumerate(f.as_list(value, "phases", notes)):
        phase = f.enum_value(Phase, item, f"phases[{index}]", notes)
        if phase is not None and phase not in phases:
            phases.append(phase)
    return tuple(sorted(phases, key=list(Phase).index))


def _other_id(item: dict, where: str, notes: Warnings) -> OtherId | None:
    value = f.text(item.get("id"), f"{where}.id", notes)
    if value is None:
        return None
    return OtherId(value, f.text(item.get("type"), f"{where}.type", notes), f.text(item.get("domain"), f"{where}.domain", notes))


def _organization(item: object, where: str, notes: Warnings) -> Organization | None:
    data = f.as_dict(item, where, notes)
    name = f.text(data.get("name"), f"{where}.name", notes)
    return Organization(name, f.text(data.get("class"), f"{where}.class", notes)) if name else None


def _meshes(derived: dict, key: str, notes: Warnings) -> tuple[MeshTerm, ...]:
    browse = f.as_dict(derived.get("conditionBrowseModule"), "conditionBrowseModule", notes)
    terms = f.each(
        f.as_list(browse.get(key), f"conditionBrowseModule.{key}", notes),
        f"conditionBrowseModule.{key}",
        notes,
        lambda item, where: _mesh(item, where, notes),
    )
    return terms


def _mesh(item: dict, where: str, notes: Warnings) -> MeshTerm | None:
    term = f.text(item.get("term"), f"{where}.term", notes)
    return MeshTerm(f.text(item.get("id"), f"{where}.id", notes), term) if term else None


def _arm(item: dict, where: str, notes: Warnings) -> Arm | None:
    label = f.text(item.get("label"), f"{where}.label", notes)
    if label is None:
        notes.append(f"{where}: an arm without a label; dropped")
        return None
    return Arm(
        label=label,
        type=f.text(item.get("type"), f"{where}.type", notes),
        description=f.text(item.get("description"), f"{where}.description", notes, limit=f.LONG_TEXT_LIMIT),
        intervention_names=f.text_list(item.get("interventionNames"), f"{where}.interventionNames", notes),
    )


def _intervention(item: dict, where: str, notes: Warnings) -> Intervention | None:
    name = f.text(item.get("name"), f"{where}.name", notes)
    if name is None:
        notes.append(f"{where}: an intervention without a name; dropped")
        return None
    return Intervention(
        type=f.text(item.get("type"), f"{where}.type", notes),
        name=name,
        description=f.text(item.get("description"), f"{where}.description", notes, limit=f.LONG_TEXT_LIMIT),
        other_names=f.text_list(item.get("otherNames"), f"{where}.otherNames", notes),
        arm_labels=f.text_list(item.get("armGroupLabels"), f"{where}.armGroupLabels", notes),
    )


def _outcomes(value: object, name: str, notes: Warnings) -> tuple[Outcome, ...]:
    def build(item: dict, where: str) -> Outcome | None:
        measure = f.text(item.get("measure"), f"{where}.measure", notes, limit=f.LONG_TEXT_LIMIT)
        if measure is None:
            return None
        return Outcome(
            measure,
            f.text(item.get("timeFrame"), f"{where}.timeFrame", notes, limit=f.LONG_TEXT_LIMIT),
            f.text(item.get("description"), f"{where}.description", notes, limit=f.LONG_TEXT_LIMIT),
        )

    return f.each(f.as_list(value, name, notes), name, notes, build)


def _eligibility(module: dict, notes: Warnings) -> Eligibility:
    return Eligibility(
        criteria=f.text(module.get("eligibilityCriteria"), "eligibilityCriteria", notes, limit=f.LONG_TEXT_LIMIT),
        sex=f.enum_value(Sex, module.get("sex"), "sex", notes, default=Sex.ALL) or Sex.ALL,
        ages=AgeRange(
            f.age(module.get("minimumAge"), "minimumAge", notes),
            f.age(module.get("maximumAge"), "maximumAge", notes),
        ),
        healthy_volunteers=f.boolean(module.get("healthyVolunteers"), "healthyVolunteers", notes),
        gender_based=f.boolean(module.get("genderBased"), "genderBased", notes),
        gender_description=f.text(module.get("genderDescription"), "genderDescription", notes, limit=f.LONG_TEXT_LIMIT),
        standard_ages=f.text_list(module.get("stdAges"), "stdAges", notes),
    )


def _contacts(value: object, name: str, notes: Warnings) -> tuple[Contact, ...]:
    def build(item: dict, where: str) -> Contact | None:
        contact = Contact(
            name=f.text(item.get("name"), f"{where}.name", notes),
            role=f.text(item.get("role"), f"{where}.role", notes),
            phone=f.text(item.get("phone"), f"{where}.phone", notes),
            phone_ext=f.text(item.get("phoneExt"), f"{where}.phoneExt", notes),
            email=f.text(item.get("email"), f"{where}.email", notes),
        )
        return contact if any((contact.name, contact.phone, contact.email)) else None

    return f.each(f.as_list(value, name, notes), name, notes, build)


def _site(item: dict, where: str, notes: Warnings) -> Site:
    geo = f.as_dict(item.get("geoPoint"), f"{where}.geoPoint", notes)
    lat = f.number(geo.get("lat"), f"{where}.geoPoint.lat", notes)
    lon = f.number(geo.get("lon"), f"{where}.geoPoint.lon", notes)
    coordinates = None
    if lat is not None and lon is not None:
        try:
            coordinates = GeoPoint(lat, lon)
        except DomainError as error:
            notes.append(f"{where}.geoPoint: {error}; dropped")
    return Site(
        facility=f.text(item.get("facility"), f"{where}.facility", notes),
        city=f.text(item.get("city"), f"{where}.city", notes),
        state=f.text(item.get("state"), f"{where}.state", notes),
        postal_code=f.text(item.get("zip"), f"{where}.zip", notes),
        country=f.text(item.get("country"), f"{where}.country", notes),
        status=f.enum_value(RecruitmentStatus, item.get("status"), f"{where}.status", notes),
        coordinates=coordinates,
        contacts=_contacts(item.get("contacts"), f"{where}.contacts", notes),
    )
