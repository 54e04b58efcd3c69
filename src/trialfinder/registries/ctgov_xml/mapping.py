"""Legacy ClinicalTrials.gov XML record (`<clinical_study>`, AllPublicXML; the TREC corpora's format) -> Trial.

Pure: no I/O. Element paths are those of the retired classic API's schema (public.xsd). Values are mapped
onto the v2 vocabulary, so that a trial reads the same whichever format it came from: coded fields become
v2 codes (`Randomized` -> `RANDOMIZED`, `U.S. Fed` -> `FED`, `Anticipated` enrollment -> `ESTIMATED`,
`None (Open Label)` masking -> `NONE`), textblocks become v2-style Markdown (see textblock.py), arms list
their interventions as v2 does (`Drug: Nifedipine`) and the standard age groups are derived as v2 derives
them. The XML has no site coordinates: they are left to the gazetteer.
"""

from __future__ import annotations

import codecs
import math
import re
import xml.etree.ElementTree as ET
from typing import Any, AnyStr

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
from trialfinder.domain.values import AgeRange, PartialDate, nct_id
from trialfinder.registries import fields as f
from trialfinder.registries.ctgov_xml.textblock import to_markdown
from trialfinder.registries.fields import Warnings

SOURCE_FORMAT = "ctgov-xml"

# The results section, as text and as bytes (keyed by `isinstance(xml, str)`): opening, closing, emptied.
# Byte order marks of the encodings in which markup is not ASCII bytes; UTF-32's first (UTF-16 LE's is its prefix).
_WIDE_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
# A DTD is the only place an entity can be declared; either word is refused.
_DTD_MARKERS = {True: ("<!DOCTYPE", "<!ENTITY"), False: (b"<!DOCTYPE", b"<!ENTITY")}
_RESULTS_TAGS = {
    True: ("<clinical_results>", "</clinical_results>", "<clinical_results/>"),
    False: (b"<clinical_results>", b"</clinical_results>", b"<clinical_results/>"),
}
# Legacy spellings whose generic code (upper case, non-alphanumerics as `_`) is not the v2 code.
_CODE_ALIASES = {
    "N_A": "NA",
    "U_S_FED": "FED",
    "EDUCATIONAL_COUNSELING_TRAINING": "ECT",
    "ANTICIPATED": "ESTIMATED",
}
_NON_CODE = re.compile(r"[^A-Z0-9]+")
_STATUS_ALIASES = {"unknown status": "UNKNOWN"}
_SEX_ALIASES = {"both": "ALL"}
# "EudraCT No: 2007-001961-14", "EUDRACT-2005-000134-20": the number, when the text names it as EudraCT's.
_EUDRACT = re.compile(r"eudract\D{0,20}?(\d{4}-\d{6}-\d{2})(?!\d)", re.IGNORECASE)
# The child elements that repeat, in the elements read as records.
_REPEATED = {
    "intervention": frozenset({"other_name", "arm_group_label"}),
    "location": frozenset({"investigator"}),
}


def to_trial(xml: bytes | str, warnings: Warnings | None = None) -> Trial:
    """Map one `<clinical_study>` document to a Trial, or raise InvalidRecord with the reason.

    Fields that cannot be read are dropped and described in `warnings`.
    """
    notes = warnings if warnings is not None else Warnings()
    study = _Children(_parse(xml))
    ids = _Children(study.one("id_info"))

    raw_id = _clean(ids.text("nct_id"))
    if raw_id is None:
        raise InvalidRecord("id_info/nct_id is missing")
    try:
        trial_id = nct_id(raw_id)
    except DomainError as error:
        raise InvalidRecord(f"id_info/nct_id: {error}") from None

    brief_title = f.text(study.text("brief_title"), "brief_title", notes, limit=f.TITLE_LIMIT)
    official_title = f.text(study.text("official_title"), "official_title", notes, limit=f.TITLE_LIMIT)
    if brief_title is None and official_title is None:
        raise InvalidRecord("the record has neither brief_title nor official_title")

    design = _Children(study.one("study_design_info"))
    sponsors = _Children(study.one("sponsors"))
    enrollment = study.one("enrollment")
    enrollment_count = f.integer(_clean(enrollment.text), "enrollment", notes) if enrollment is not None else None
    why_stopped = f.text(study.text("why_stopped"), "why_stopped", notes)

    arm_interventions: dict[str, list[str]] = {}
    interventions = f.each(
        _records(study.all("intervention"), "intervention", notes),
        "intervention",
        notes,
        lambda item, where: _intervention(item, where, notes, arm_interventions),
    )

    return Trial(
        nct_id=trial_id,
        brief_title=brief_title or official_title or trial_id,
        source_format=SOURCE_FORMAT,
        official_title=official_title,
        acronym=f.text(study.text("acronym"), "acronym", notes),
        org_study_id=f.text(ids.text("org_study_id"), "org_study_id", notes),
        other_ids=tuple(_other_id(value) for value in f.text_list(ids.texts("secondary_id"), "secondary_id", notes)),
        overall_status=_status(study.text("overall_status"), "overall_status", notes, RecruitmentStatus.UNKNOWN)
        or RecruitmentStatus.UNKNOWN,
        why_stopped=" ".join(why_stopped.split()) if why_stopped else None,
        last_known_status=_status(study.text("last_known_status"), "last_known_status", notes, None),
        status_verified=_date(study, "verification_date", notes),
        phases=_phases(study.text("phase"), notes),
        study_type=_study_type(study.text("study_type"), notes),
        enrollment=Enrollment(enrollment_count, _code(enrollment.get("type"), "enrollment.type", notes))
        if enrollment is not None and enrollment_count is not None
        else None,
        allocation=_code(design.text("allocation"), "allocation", notes),
        primary_purpose=_code(design.text("primary_purpose"), "primary_purpose", notes),
        masking=_masking(design.text("masking"), notes),
        start_date=_date(study, "start_date", notes),
        primary_completion_date=_date(study, "primary_completion_date", notes),
        completion_date=_date(study, "completion_date", notes),
        first_posted=_date(study, "study_first_posted", notes),
        last_update=_date(study, "last_update_posted", notes),
        lead_sponsor=_organization(sponsors.one("lead_sponsor"), "lead_sponsor", notes),
        collaborators=tuple(
            organization
            for index, element in enumerate(f.as_list(sponsors.all("collaborator"), "collaborator", notes))
            if (organization := _organization(element, f"collaborator[{index}]", notes)) is not None
        ),
        conditions=f.text_list(study.texts("condition"), "condition", notes),
        keywords=f.text_list(study.texts("keyword"), "keyword", notes),
        mesh_terms=tuple(
            MeshTerm(None, term)
            for term in f.text_list(
                _Children(study.one("condition_browse")).texts("mesh_term"), "condition_browse.mesh_term", notes
            )
        ),
        arms=f.each(
            _records(study.all("arm_group"), "arm_group", notes),
            "arm_group",
            notes,
            lambda item, where: _arm(item, where, notes, arm_interventions),
        ),
        interventions=interventions,
        primary_outcomes=_outcomes(study.all("primary_outcome"), "primary_outcome", notes),
        secondary_outcomes=_outcomes(study.all("secondary_outcome"), "secondary_outcome", notes),
        brief_summary=_markdown(_textblock(study.one("brief_summary")), "brief_summary", notes),
        detailed_description=_markdown(_textblock(study.one("detailed_description")), "detailed_description", notes),
        eligibility=_eligibility(study.one("eligibility"), notes),
        sites=f.each(
            _records(study.all("location"), "location", notes),
            "location",
            notes,
            lambda item, where: _site(item, where, notes),
        ),
        central_contacts=_contacts(
            [
                _as_contact(_fields(element))
                for element in (study.one("overall_contact"), study.one("overall_contact_backup"))
                if element is not None
            ],
            "overall_contact",
            notes,
        ),
        has_results=study.one("clinical_results") is not None,
    )


class _Children:
    """The child elements of an element by tag, read in one pass (an element may be absent: no children)."""

    __slots__ = ("_by_tag",)

    def __init__(self, element: ET.Element | None) -> None:
        by_tag: dict[str, list[ET.Element]] = {}
        if element is not None:
            for child in element:
                same = by_tag.get(child.tag)
                if same is None:
                    by_tag[child.tag] = [child]
                else:
                    same.append(child)
        self._by_tag = by_tag

    def all(self, tag: str) -> list[ET.Element]:
        return self._by_tag.get(tag, [])

    def one(self, tag: str) -> ET.Element | None:
        same = self._by_tag.get(tag)
        return same[0] if same else None

    def text(self, tag: str) -> str | None:
        same = self._by_tag.get(tag)
        return same[0].text if same else None

    def texts(self, tag: str) -> list[str | None]:
        return [element.text for element in self._by_tag.get(tag, ())]


def _parse(xml: object) -> ET.Element:
    if not isinstance(xml, (bytes, str)):
        raise InvalidRecord(f"a legacy XML record must be bytes or text, not {type(xml).__name__}")
    if isinstance(xml, bytes):
        xml = _as_checkable(xml)
    # ClinicalTrials.gov never declares a DTD; refusing one rules out entity expansion.
    if any(marker in xml for marker in _DTD_MARKERS[isinstance(xml, str)]):
        raise InvalidRecord("the record declares a DOCTYPE, which ClinicalTrials.gov XML never does")
    try:
        root = ET.fromstring(_without_results(xml))
    except (ET.ParseError, ValueError):
        try:
            root = ET.fromstring(xml)
        except (ET.ParseError, ValueError) as error:
            reason = " ".join(str(error).split())[:200]
            raise InvalidRecord(f"not well-formed XML: {reason}") from None
    if root.tag != "clinical_study":
        raise InvalidRecord(f"the root element is <{str(root.tag)[:60]}>, not <clinical_study>")
    return root


def _as_checkable(xml: bytes) -> bytes | str:
    """The document as bytes in which markup is ASCII, as a search for `<!DOCTYPE` needs; or decoded to text.

    Expat reads a document in UTF-16 when it starts with a UTF-16 byte order mark or when one of its first two bytes
    is NUL (XML 1.0, appendix F); there `<!DOCTYPE` is not the bytes b"<!DOCTYPE", so such a document (and UTF-32,
    which expat cannot read but Python can) is decoded here and checked, then parsed, as text. Every other encoding
    expat reads maps ASCII markup to the same ASCII bytes (its handler of other encodings refuses those that do not),
    so the bytes are checked as they are."""
    head = xml[:4]
    encoding = next((name for bom, name in _WIDE_BOMS if head.startswith(bom)), None)
    if encoding is None and len(head) >= 2 and 0 in head[:2]:
        if head.startswith(b"\x00\x00") or head[1:4] == b"\x00\x00\x00":
            encoding = "utf-32-be" if head[0] == 0 else "utf-32-le"
        else:
            encoding = "utf-16-be" if head[0] == 0 else "utf-16-le"
    if encoding is None:
        return xml
    try:
        return xml.decode(encoding).removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise InvalidRecord(f"the record looks like {encoding.upper()} but cannot be decoded as such") from None


def _without_results(xml: AnyStr) -> AnyStr:
    """The record with its <clinical_results> emptied: a third of the bytes of the records that have results,
    none of which a Trial holds. Should the cut leave broken XML (text that only looks like the tag), the
    caller parses the record whole."""
    opening, closing, empty = _RESULTS_TAGS[isinstance(xml, str)]
    start = xml.find(opening)  # type: ignore[arg-type]
    end = xml.rfind(closing)  # type: ignore[arg-type]
    if start == -1 or end < start:
        return xml
    return xml[:start] + empty + xml[end + len(closing) :]  # type: ignore[operator]


def _clean(value: object) -> Any:
    """Text stripped, None when blank; anything else as it is, for the fields helpers to note and drop."""
    return (value.strip() or None) if isinstance(value, str) else value


def _textblock(element: ET.Element | None) -> str | None:
    return element.findtext("textblock") if element is not None else None


def _fields(element: ET.Element, repeated: frozenset[str] = frozenset(), depth: int = 3) -> dict:
    """An element's children as a dict, as the v2 JSON has them: tag -> text, or a dict for a nested element;
    the `repeated` tags -> a list. A tag repeated unexpectedly keeps its first value."""
    data: dict = {}
    for child in element:
        tag = child.tag
        value = _fields(child, depth=depth - 1) if depth > 0 and len(child) else child.text
        if tag in repeated:
            data.setdefault(tag, []).append(value)
        elif tag not in data:
            data[tag] = value
    return data


def _records(elements: list[ET.Element], name: str, notes: Warnings) -> list[dict]:
    repeated = _REPEATED.get(name, frozenset())
    return [_fields(element, repeated) for element in f.as_list(elements, name, notes)]


def _code(value: object, name: str, notes: Warnings) -> str | None:
    """A legacy display value as its v2 code: `Active Comparator` -> `ACTIVE_COMPARATOR`, `N/A` -> `NA`."""
    cleaned = f.text(value, name, notes)
    if cleaned is None:
        return None
    code = _NON_CODE.sub("_", cleaned.upper()).strip("_")
    return _CODE_ALIASES.get(code, code) or None


def _masking(value: str | None, notes: Warnings) -> str | None:
    """`Double (Participant, Investigator)` -> `DOUBLE`: the domain keeps the level, not who is masked."""
    return _code(value.split("(")[0], "masking", notes) if value else None


def _status(
    value: str | None, name: str, notes: Warnings, default: RecruitmentStatus | None
) -> RecruitmentStatus | None:
    cleaned = _clean(value)
    if cleaned is not None:
        cleaned = _STATUS_ALIASES.get(cleaned.lower(), cleaned)
    return f.enum_value(RecruitmentStatus, cleaned, name, notes, default=default)


def _phases(value: str | None, notes: Warnings) -> tuple[Phase, ...]:
    """`Phase 1/Phase 2` -> (PHASE1, PHASE2); `Early Phase 1` -> (EARLY_PHASE1,); `N/A` -> (NA,)."""
    cleaned = _clean(value)
    if cleaned is None:
        return ()
    parts = [cleaned] if cleaned.upper() == "N/A" else cleaned.split("/")
    phases: list[Phase] = []
    for part in parts:
        key = " ".join(part.upper().split()).replace("N/A", "NA").replace("PHASE ", "PHASE")
        phase = f.enum_value(Phase, key, "phase", notes)
        if phase is not None and phase not in phases:
            phases.append(phase)
    return tuple(sorted(phases, key=list(Phase).index))


def _study_type(value: str | None, notes: Warnings) -> StudyType | None:
    """`Observational [Patient Registry]` -> OBSERVATIONAL."""
    cleaned = _clean(value)
    return f.enum_value(StudyType, _clean(cleaned.split("[")[0]) if cleaned else None, "study_type", notes)


def _date(study: _Children, tag: str, notes: Warnings) -> PartialDate | None:
    return f.partial_date(_clean(study.text(tag)), tag, notes)


def _other_id(value: str) -> OtherId:
    """A secondary id; one that names itself an EudraCT number is reduced to the number and typed as such."""
    if "udra" in value.lower() and (match := _EUDRACT.search(value)):
        return OtherId(match.group(1), "EUDRACT_NUMBER")
    return OtherId(value)


def _organization(element: ET.Element | None, where: str, notes: Warnings) -> Organization | None:
    if element is None:
        return None
    name = f.text(element.findtext("agency"), f"{where}.agency", notes)
    return Organization(name, _code(element.findtext("agency_class"), f"{where}.agency_class", notes)) if name else None


def _markdown(value: str | None, name: str, notes: Warnings) -> str | None:
    return f.text(to_markdown(value), name, notes, limit=f.LONG_TEXT_LIMIT) if value else None


def _plain(value: object, name: str, notes: Warnings, *, limit: int = f.LONG_TEXT_LIMIT) -> str | None:
    """Free text outside textblocks (descriptions): kept as written, with `\\r\\n` line ends made `\\n`."""
    cleaned = f.text(value, name, notes, limit=limit)
    if cleaned and "\r" in cleaned:
        cleaned = cleaned.replace("\r\n", "\n").replace("\r", "\n")
    return cleaned


def _arm(item: dict, where: str, notes: Warnings, arm_interventions: dict[str, list[str]]) -> Arm | None:
    label = f.text(item.get("arm_group_label"), f"{where}.arm_group_label", notes)
    if label is None:
        notes.append(f"{where}: an arm without a label; dropped")
        return None
    return Arm(
        label=label,
        type=_code(item.get("arm_group_type"), f"{where}.arm_group_type", notes),
        description=_plain(item.get("description"), f"{where}.description", notes),
        intervention_names=tuple(dict.fromkeys(arm_interventions.get(label, ()))),
    )


def _intervention(
    item: dict, where: str, notes: Warnings, arm_interventions: dict[str, list[str]]
) -> Intervention | None:
    """An intervention; it also records itself, as v2 names it (`Drug: Nifedipine`), under each of its arms."""
    name = f.text(item.get("intervention_name"), f"{where}.intervention_name", notes)
    if name is None:
        notes.append(f"{where}: an intervention without a name; dropped")
        return None
    shown_type = f.text(item.get("intervention_type"), f"{where}.intervention_type", notes)
    arm_labels = f.text_list(item.get("arm_group_label"), f"{where}.arm_group_label", notes)
    for label in arm_labels:
        arm_interventions.setdefault(label, []).append(f"{shown_type}: {name}" if shown_type else name)
    return Intervention(
        type=_code(shown_type, f"{where}.intervention_type", notes),
        name=name,
        description=_plain(item.get("description"), f"{where}.description", notes),
        other_names=f.text_list(item.get("other_name"), f"{where}.other_name", notes),
        arm_labels=arm_labels,
    )


def _outcomes(elements: list[ET.Element], name: str, notes: Warnings) -> tuple[Outcome, ...]:
    def build(item: dict, where: str) -> Outcome | None:
        measure = _plain(item.get("measure"), f"{where}.measure", notes)
        if measure is None:
            return None
        return Outcome(
            measure,
            _plain(item.get("time_frame"), f"{where}.time_frame", notes),
            _plain(item.get("description"), f"{where}.description", notes),
        )

    return f.each(_records(elements, name, notes), name, notes, build)


def _eligibility(element: ET.Element | None, notes: Warnings) -> Eligibility:
    if element is None:
        return Eligibility()
    fields = _Children(element)
    sex = _clean(fields.text("gender"))
    ages = AgeRange(
        f.age(_clean(fields.text("minimum_age")), "minimum_age", notes),
        f.age(_clean(fields.text("maximum_age")), "maximum_age", notes),
    )
    return Eligibility(
        criteria=_markdown(_textblock(fields.one("criteria")), "criteria", notes),
        sex=f.enum_value(Sex, _SEX_ALIASES.get(sex.lower(), sex) if sex else None, "gender", notes, default=Sex.ALL)
        or Sex.ALL,
        ages=ages,
        healthy_volunteers=f.boolean(_clean(fields.text("healthy_volunteers")), "healthy_volunteers", notes),
        gender_based=f.boolean(_clean(fields.text("gender_based")), "gender_based", notes),
        gender_description=_plain(fields.text("gender_description"), "gender_description", notes),
        standard_ages=_standard_ages(ages),
    )


def _standard_ages(ages: AgeRange) -> tuple[str, ...]:
    """The v2 age groups the range overlaps: CHILD (under 18), ADULT (18-64), OLDER_ADULT (65 and over)."""
    low = ages.minimum.in_years() if ages.minimum else 0.0
    high = ages.maximum.in_years() if ages.maximum else math.inf
    high += 1e-9  # "216 Months" is 18 years, whatever the float rounding
    if high < low:
        return ()
    groups = []
    if low < 18:
        groups.append("CHILD")
    if low < 65 and high >= 18:
        groups.append("ADULT")
    if high >= 65:
        groups.append("OLDER_ADULT")
    return tuple(groups)


def _contact(item: dict, where: str, notes: Warnings) -> Contact | None:
    """A contact_struct or investigator_struct; legacy XML writes the whole name in last_name."""
    parts = [f.text(item.get(key), f"{where}.{key}", notes) for key in ("first_name", "middle_name", "last_name")]
    name = " ".join(part for part in parts if part) or None
    degrees = f.text(item.get("degrees"), f"{where}.degrees", notes)
    if name and degrees:
        name = f"{name}, {degrees}"
    contact = Contact(
        name=name,
        role=_code(item.get("role"), f"{where}.role", notes),
        phone=f.text(item.get("phone"), f"{where}.phone", notes),
        phone_ext=f.text(item.get("phone_ext"), f"{where}.phone_ext", notes),
        email=f.text(item.get("email"), f"{where}.email", notes),
    )
    return contact if any((contact.name, contact.phone, contact.email)) else None


def _contacts(people: list, where: str, notes: Warnings) -> tuple[Contact, ...]:
    """Contacts (role CONTACT, as in v2) and then investigators (their own role, `Sub-Investigator`...)."""
    return f.each(people, where, notes, lambda item, at: _contact(item, at, notes))


def _as_contact(person: object) -> object:
    # A contact_struct has no role; v2 gives its contacts the role CONTACT. Anything not an object is left
    # for f.each to note and drop.
    return {**person, "role": "Contact"} if isinstance(person, dict) else person


def _site(item: dict, where: str, notes: Warnings) -> Site:
    facility = f.as_dict(item.get("facility"), f"{where}.facility", notes)
    address = f.as_dict(facility.get("address"), f"{where}.facility.address", notes)
    people = [_as_contact(person) for person in (item.get("contact"), item.get("contact_backup")) if person is not None]
    people += f.as_list(item.get("investigator"), f"{where}.investigator", notes)
    return Site(
        facility=f.text(facility.get("name"), f"{where}.facility.name", notes),
        city=f.text(address.get("city"), f"{where}.city", notes),
        state=f.text(address.get("state"), f"{where}.state", notes),
        postal_code=f.text(address.get("zip"), f"{where}.zip", notes),
        country=f.text(address.get("country"), f"{where}.country", notes),
        status=_status(item.get("status"), f"{where}.status", notes, None),
        contacts=_contacts(people, f"{where}.contacts", notes),
    )
