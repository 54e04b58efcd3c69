"""The OpenAPI 3.1 description of /api/: the bodies' schemas generated from the types the server encodes its
answers through (`api_types.py`, by msgspec); the paths and their parameters written here, from the same bounds the
parser enforces (no type holds a query string's rules: an empty value is not given, a list is a repeated parameter).

A test checks that every API route is described here and that every parameter described is accepted; each
parameter's `example` is a value that works alone (or with the parameters named in `x-needs`). Schemathesis checks
that every answer is as documented (tests/integration/web/test_reliability_openapi.py).

Query parameters are read as the pages read them, so an empty value counts as not given (a form's empty field):
the schemas say so (an empty string is valid for each).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import msgspec

from trialfinder import __version__
from trialfinder.domain.search import (
    DEFAULT_RADIUS,
    DEFAULT_STATUSES,
    MAX_AGE,
    MAX_RADIUS_KM,
    MAX_TEXT,
    MAX_VALUES,
    NO,
    UNITS,
    YES,
)
from trialfinder.domain.trial import Phase, RecruitmentStatus, Sex, StudyType
from trialfinder.domain.values import KM_PER_MILE
from trialfinder.geo.gazetteer import MAX_QUERY_LENGTH
from trialfinder.queries.search import MAX_PAGE, MAX_PAGE_SIZE
from trialfinder.views.i18n import LANGUAGES
from trialfinder.web.api_types import SCHEMAS
from trialfinder.web.errors import MAX_QUERY_STRING
from trialfinder.web.params import PAGE_SIZE
from trialfinder.web.places import MAX_SUGGESTIONS
from trialfinder.web.serialize import MAX_SITES_PAGE, SITES_PER_API_PAGE


def _or_empty(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema, with the empty string allowed too: an empty value counts as not given. For numbers the type is
    widened to strings of length 0 (`maxLength` applies to strings only, `minimum`/`maximum` to numbers only)."""
    kind = schema.get("type")
    if kind in ("number", "integer"):
        return {**schema, "type": [kind, "string"], "maxLength": 0}
    if kind == "array":
        return {**schema, "items": _or_empty(schema["items"])}
    if "enum" in schema:
        return {**schema, "enum": [*schema["enum"], ""]}
    return schema


def _query(name: str, description: str, schema: dict[str, Any], example: Any, **extra: Any) -> dict[str, Any]:
    parameter = {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": _or_empty(schema),
        "example": example,
    }
    if schema.get("type") == "array":
        parameter.update(style="form", explode=True)
    parameter.update(extra)
    return parameter


def _text(name: str, description: str, example: str) -> dict[str, Any]:
    return _query(name, description, {"type": "string", "maxLength": MAX_TEXT}, example)


def _codes(
    name: str, description: str, codes: list[str], example: list[str], default: list[str] | None = None
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "maxItems": MAX_VALUES, "items": {"type": "string", "enum": codes}}
    if default:
        schema["default"] = default
    return _query(name, description + " Repeat the parameter for several; case does not matter.", schema, example)


LANG = _query(
    "lang",
    f"Language of error messages (and of the pages, where it is then remembered in the `lang` cookie): "
    f"{' or '.join(f'`{language}`' for language in LANGUAGES)}. Any other value is ignored, as on the pages: the "
    "`lang` cookie, then the Accept-Language header, decide.",
    {"type": "string"},
    "nl",
)
LOCATION = _query(
    "location",
    "A city (`Amsterdam`, `Boston, MA`, `Springfield, Illinois`) or a postal code (`1066 CX`, `SW1A 1AA`, `02115`; add the country when a code is ambiguous), found in an offline gazetteer; "
    "when several places have the name, the best known is taken. Wins over `lat`/`lon`.",
    {"type": "string", "maxLength": MAX_QUERY_LENGTH},
    "Amsterdam",
)
LAT = _query(
    "lat",
    "Latitude of the person's position (decimal degrees), with `lon`.",
    {"type": "number", "minimum": -90, "maximum": 90},
    52.37,
    **{"x-needs": ["lon"]},
)
LON = _query(
    "lon",
    "Longitude of the person's position (decimal degrees), with `lat`.",
    {"type": "number", "minimum": -180, "maximum": 180},
    4.89,
    **{"x-needs": ["lat"]},
)
STATUS = _codes(
    "status",
    "Trials with one of these overall statuses; with a location, only sites with one of them (their own status, "
    "else the trial's) count.",
    [status.value for status in RecruitmentStatus],
    ["RECRUITING"],
    [status.value for status in DEFAULT_STATUSES],
)

SEARCH_PARAMETERS = [
    _text(
        "q",
        "Words to look for anywhere in the trial (titles and conditions weigh most). Read as concepts too (MeSH "
        "synonyms, lay words, Dutch words with `lang=nl`, abbreviations, small spelling mistakes; see `expand`). "
        '"Quoted words" are a phrase, `OR` joins alternatives, a leading `-` excludes a word or phrase. A trial '
        "number (NCT, EU CT, EudraCT or the sponsor's) finds that trial in any status.",
        "colorectal cancer",
    ),
    _text("condition", "Words to look for in the conditions (read as concepts too).", "liver metastases"),
    _text("intervention", "Words to look for in the interventions (read as concepts too).", "floxuridine"),
    STATUS,
    _codes("phase", "Trials in one of these phases (none: any phase).", [phase.value for phase in Phase], ["PHASE3"]),
    _codes(
        "type",
        "Trials of one of these study types (none: any).",
        [kind.value for kind in StudyType],
        ["INTERVENTIONAL"],
    ),
    _query(
        "age",
        f"The person's age in years, 0 to {MAX_AGE}, at most two decimals (a decimal comma is read too): trials whose "
        "age range includes it.",
        {"type": "number", "minimum": 0, "maximum": MAX_AGE},
        42,
    ),
    _query(
        "sex",
        "The person's sex: trials that take it (or take all). Empty: no filter.",
        {"type": "string", "enum": [sex.value.lower() for sex in Sex if sex is not Sex.ALL]},
        "female",
    ),
    _query(
        "healthy",
        "`yes`: only trials that accept healthy volunteers.",
        {"type": "string", "enum": [*YES, *(value for value in NO if value)]},
        "yes",
    ),
    LOCATION,
    LAT,
    LON,
    _query(
        "radius",
        f"How far the person would travel, in `unit`: more than 0 and at most {MAX_RADIUS_KM:.0f} km "
        f"({math.floor(MAX_RADIUS_KM / KM_PER_MILE)} mi). Only with a location.",
        {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_RADIUS_KM, "default": DEFAULT_RADIUS},
        100,
    ),
    _query("unit", "Unit of `radius`.", {"type": "string", "enum": list(UNITS), "default": "km"}, "mi"),
    _query(
        "expand",
        "`false`: match the words as typed only, without the concepts they are read as (the answer's `understood` "
        "says how they were read).",
        {"type": "string", "enum": [*YES, *(value for value in NO if value)], "default": "yes"},
        "false",
    ),
    _query(
        "sort",
        "Order of the hits: `relevance` (to the words), `distance` (to the nearest open site; needs a location) or "
        "`last_update` (newest first).",
        {"type": "string", "enum": ["relevance", "distance", "last_update"], "default": "relevance"},
        "last_update",
    ),
    _query("page", "Which page of hits.", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1}, 2),
    _query(
        "page_size",
        "Hits per page.",
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": PAGE_SIZE},
        50,
    ),
    LANG,
]

NCT_ID = {
    "name": "nct_id",
    "in": "path",
    "required": True,
    "description": "The ClinicalTrials.gov number.",
    "schema": {"type": "string", "pattern": r"^NCT\d{8}$"},
    "example": "NCT06857773",
}
REF = "#/components/schemas/{name}"


@functools.cache
def _schemas() -> dict[str, Any]:
    """The schemas of every body, and of the types they name, by type name."""
    schemas = msgspec.json.schema_components(SCHEMAS, ref_template=REF)[1]
    # One of the two, never both nor neither: no type says that, so the schema does.
    schemas["MatchRequest"]["oneOf"] = [{"required": ["text"]}, {"required": ["fhir"]}]
    return schemas


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF.format(name=name)}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


BAD_REQUEST = _json(_ref("Error"), "A parameter is wrong; `field` names it.")
NOT_FOUND = _json(_ref("Error"), "No such trial, or not an NCT id.")
URI_TOO_LONG = _json(_ref("Error"), f"The query string is longer than {MAX_QUERY_STRING:,} characters.")
UNAVAILABLE = {
    **_json(_ref("Error"), "The catalogue's database cannot be reached; try again later."),
    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "trialfinder API",
            "version": __version__,
            "description": "Search the clinical-trial catalogue of this trialfinder site; the twin of its pages. "
            "Read-only, except that an eligibility assessment and a match take a POST body; nothing sent is stored or "
            "logged.",
        },
        "paths": {
            "/api/trials": {
                "get": {
                    "summary": "Search trials",
                    "operationId": "searchTrials",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {
                        "200": _json(_ref("SearchResults"), "A page of hits."),
                        "400": BAD_REQUEST,
                        "414": URI_TOO_LONG,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/trials/{nct_id}": {
                "get": {
                    "summary": "One trial, in full",
                    "operationId": "getTrial",
                    "parameters": [
                        {
                            "name": "nct_id",
                            "in": "path",
                            "required": True,
                            "description": "The ClinicalTrials.gov number.",
                            "schema": {"type": "string", "pattern": r"^NCT\d{8}$"},
                            "example": "NCT06857773",
                        },
                        {
                            **LOCATION,
                            "description": "Where to measure the sites' distances from. " + LOCATION["description"],
                        },
                        LAT,
                        LON,
                        {**STATUS, "description": "Which statuses make a site open (open sites are listed first)."},
                        _query(
                            "sites_page",
                            f"Which page of the trial's sites ({SITES_PER_API_PAGE} a page, in the order described under"
                            " `Trial`); a page past the last gives the last.",
                            {"type": "integer", "minimum": 1, "maximum": MAX_SITES_PAGE, "default": 1},
                            1,
                        ),
                        LANG,
                    ],
                    "responses": {
                        "200": _json(_ref("Trial"), "The trial."),
                        "400": BAD_REQUEST,
                        "404": NOT_FOUND,
                        "414": URI_TOO_LONG,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/trials/{nct_id}/eligibility/questions": {
                "get": {
                    "summary": 'The questions a trial\'s criteria ask (the twin of its "Could I take part?" form)',
                    "operationId": "eligibilityQuestions",
                    "parameters": [NCT_ID, LANG],
                    "responses": {
                        "200": _json(_ref("EligibilityQuestions"), "The questions, with the field names answers use."),
                        "404": NOT_FOUND,
                        "414": URI_TOO_LONG,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/trials/{nct_id}/eligibility": {
                "post": {
                    "summary": "Assess a person against a trial's criteria, criterion by criterion",
                    "description": "Send answers (the questionnaire's field names and values), a FHIR R4 Bundle, or "
                    "both (answers complete what the record lacks); a bare Bundle is accepted as the whole body. "
                    "Nothing sent is stored or logged. A missing fact leaves its criterion unknown, never 'not met'.",
                    "operationId": "assessEligibility",
                    "parameters": [NCT_ID],
                    "requestBody": {
                        "required": False,
                        "content": {"application/json": {"schema": _ref("EligibilityRequest")}},
                    },
                    "responses": {
                        "200": _json(_ref("EligibilityAssessment"), "The verdict, with a FHIR ResearchSubject-style status."),
                        "400": BAD_REQUEST,
                        "404": NOT_FOUND,
                        "413": _json(_ref("Error"), "The body is larger than 2 MB."),
                        "414": URI_TOO_LONG,
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/match": {
                "post": {
                    "summary": "Trials a person could join, best first, from a description or a FHIR R4 Bundle",
                    "description": "Send `text` (the person in their own words, or a clinical note) or `fhir` (their "
                    "record). The conditions read are searched for as the search does; each candidate's criteria are "
                    "then checked against what was read, and one score orders them. The answer says what was read "
                    "(each fact with its offsets into `text`) and, per trial, how many criteria the person meets, "
                    "does not meet, and which are still open. Nothing sent is stored or logged. The twin of "
                    "`trialfinder match --json`.",
                    "operationId": "matchTrials",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": _ref("MatchRequest")}},
                    },
                    "responses": {
                        "200": _json(_ref("MatchResults"), "The trials, best first, and what was read."),
                        "400": _json(
                            _ref("Error"),
                            "A field is wrong (`field` names it), or what was sent cannot be used: a description "
                            "with nothing to read, a Bundle with nothing usable, a place the gazetteer does not know.",
                        ),
                        "413": _json(_ref("Error"), "The body is larger than 2 MB."),
                        "414": URI_TOO_LONG,
                        "429": _json(
                            _ref("Error"),
                            "Too many matches from this client in ten minutes (the page /match counts too).",
                        ),
                        "503": UNAVAILABLE,
                    },
                }
            },
            "/api/places": {
                "get": {
                    "summary": "Places that match what a person typed (for suggestions)",
                    "operationId": "findPlaces",
                    "parameters": [
                        {
                            "name": "q",
                            "in": "query",
                            "required": True,
                            "description": "A city name, with a state or country if wanted, or a postal code.",
                            "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_LENGTH},
                            "example": "Springfield",
                        },
                        _query(
                            "limit",
                            "How many places at most.",
                            {"type": "integer", "minimum": 1, "maximum": MAX_SUGGESTIONS, "default": MAX_SUGGESTIONS},
                            3,
                            **{"x-needs": ["q"]},
                        ),
                        {**LANG, "x-needs": ["q"]},
                    ],
                    "responses": {
                        "200": _json(_ref("Places"), "Places, best first (none when the name is unknown)."),
                        "400": BAD_REQUEST,
                        "414": URI_TOO_LONG,
                    },
                }
            },
            "/api/openapi.json": {
                "get": {
                    "summary": "This document",
                    "operationId": "openapi",
                    "responses": {
                        "200": _json({"type": "object"}, "The OpenAPI 3.1 document."),
                        "414": URI_TOO_LONG,
                    },
                }
            },
        },
        "components": {"schemas": _schemas()},
    }
