"""The OpenAPI 3.1 description of /api/, written by hand and built from the same bounds the parser enforces.

A test checks that every API route is described here and that every parameter described is accepted; each
parameter's `example` is a value that works alone (or with the parameters named in `x-needs`). Schemathesis checks
that every answer is as documented (tests/integration/web/test_reliability_openapi.py).

Query parameters are read as the pages read them, so an empty value counts as not given (a form's empty field):
the schemas say so (an empty string is valid for each).
"""

from __future__ import annotations

import math
from typing import Any

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
from trialfinder.web.errors import MAX_QUERY_STRING
from trialfinder.web.i18n import LANGUAGES
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
        "Words to look for anywhere in the trial (titles and conditions weigh most); prefixes match.",
        "colorectal cancer",
    ),
    _text("condition", "Words to look for in the conditions.", "liver metastases"),
    _text("intervention", "Words to look for in the interventions.", "floxuridine"),
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

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["field", "message"],
            "properties": {
                "field": {"type": ["string", "null"], "description": "The parameter that is wrong, when it is one."},
                "message": {"type": "string", "description": "What is wrong, in the request's language."},
            },
        }
    },
}

SITE_HIT = {
    "type": ["object", "null"],
    "description": "The trial's nearest open site within the radius (only when a location was given).",
    "properties": {
        "facility": {"type": ["string", "null"]},
        "city": {"type": ["string", "null"]},
        "country": {"type": ["string", "null"]},
        "status": {"type": ["string", "null"]},
        "distance_km": {"type": "number"},
        "approximate": {
            "type": "boolean",
            "description": "The site's position is its postal code area's or its town's (from the gazetteer).",
        },
    },
}

HIT = {
    "type": "object",
    "properties": {
        "nct_id": {"type": "string", "pattern": r"^NCT\d{8}$"},
        "title": {"type": "string"},
        "status": {"type": "string"},
        "phases": {"type": "array", "items": {"type": "string"}},
        "study_type": {"type": ["string", "null"]},
        "sex": {"type": "string", "enum": [sex.value for sex in Sex]},
        "min_age_years": {"type": ["number", "null"]},
        "max_age_years": {"type": ["number", "null"]},
        "conditions": {"type": "array", "items": {"type": "string"}},
        "last_update": {"type": ["string", "null"]},
        "snippet": {"type": ["string", "null"], "description": "Plain text from the summary around the matched words."},
        "nearest_site": {"$ref": "#/components/schemas/SiteHit"},
        "url": {"type": "string"},
        "api_url": {"type": "string"},
    },
}

PLACE = {
    "type": "object",
    "properties": {
        "label": {"type": "string"},
        "name": {"type": "string"},
        "kind": {"type": "string", "enum": ["city", "postal_code"]},
        "postal_code": {"type": ["string", "null"]},
        "admin1": {"type": ["string", "null"]},
        "country_code": {"type": "string"},
        "country": {"type": "string"},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "population": {"type": ["integer", "null"]},
    },
}

NEAR = {
    "type": ["object", "null"],
    "properties": {
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "source": {"type": "string", "enum": ["typed", "browser"]},
        "place": {"oneOf": [{"$ref": "#/components/schemas/Place"}, {"type": "null"}]},
        "radius_km": {"type": "number"},
    },
}


NCT_ID = {
    "name": "nct_id",
    "in": "path",
    "required": True,
    "description": "The ClinicalTrials.gov number.",
    "schema": {"type": "string", "pattern": r"^NCT\d{8}$"},
    "example": "NCT06857773",
}
ELIGIBILITY_QUESTIONS = {
    "type": "object",
    "properties": {
        "language": {"enum": ["en", "nl"]},
        "questions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "id": {"type": "string"},
                    "kind": {"enum": ["yes_no", "date", "choice", "number", "lab"]},
                    "text": {"type": "string"},
                    "fields": {"type": "array", "items": {"type": "string"}},
                    "criteria": {"type": "array", "items": {"type": "string"}},
                    "source_texts": {"type": "array", "items": {"type": "string"}},
                    "choices": {"type": "array", "items": {"type": "object"}},
                    "units": {"type": "array", "items": {"type": "object"}},
                    "ask_doctor": {"type": "boolean"},
                },
            },
        },
    },
}
ELIGIBILITY_REQUEST = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "answers": {
            "type": "object",
            "description": "Field name to answer, as the questions name them: `birth_date` (YYYY-MM-DD), `sex`, "
            "`lab:<analyte>:value` / `:unit` / `:uln`, `lab_date`, `performance:ecog`, and yes/no/unknown for the "
            "rest.",
            "additionalProperties": {"type": ["string", "number"]},
            "example": {"lab:hemoglobin:value": "5.2", "lab:hemoglobin:unit": "mmol/L", "lab_date": "2026-11-24"},
        },
        "fhir": {
            "type": "object",
            "description": "A FHIR R4 Bundle of one patient; bad resources are skipped and listed in `fhir_problems`.",
        },
        "today": {"type": "string", "format": "date", "description": "The day to assess on (default: today)."},
        "language": {"enum": ["en", "nl"], "description": "The language of reasons and questions."},
    },
}
ELIGIBILITY_RESULT = {
    "type": "object",
    "properties": {
        "nct_id": {"type": "string"},
        "assessed_on": {"type": "string", "format": "date"},
        "verdict": {"enum": ["likely-eligible", "not-eligible", "needs-review"]},
        "research_subject_status": {"enum": ["candidate", "ineligible", "potential-candidate"]},
        "summary": {"type": "string"},
        "because": {"type": "array", "items": {"type": "object"}},
        "open_questions": {"type": "array", "items": {"type": "string"}},
        "criteria": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "section": {"enum": ["inclusion", "exclusion"]},
                    "outcome": {
                        "enum": [
                            "inclusion_met",
                            "inclusion_not_met",
                            "inclusion_unknown",
                            "exclusion_applies",
                            "exclusion_does_not_apply",
                            "exclusion_unknown",
                        ],
                        "description": "The verdict by section: an exclusion criterion that is not met does not "
                        "apply to the person (word it so, never as a fit); one that applies rules them out.",
                    },
                    "label": {
                        "type": "string",
                        "description": 'The outcome in the request\'s language ("Does not apply to you").',
                    },
                },
            },
            "description": "Every criterion: its source "
            "text, check, verdict (met, not-met, unknown), effect, outcome, label and plain-language reason; nested.",
        },
        "fhir_problems": {"type": "array", "items": {"type": "string"}},
    },
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


BAD_REQUEST = _json({"$ref": "#/components/schemas/Error"}, "A parameter is wrong; `field` names it.")
NOT_FOUND = _json({"$ref": "#/components/schemas/Error"}, "No such trial, or not an NCT id.")
URI_TOO_LONG = _json(
    {"$ref": "#/components/schemas/Error"}, f"The query string is longer than {MAX_QUERY_STRING:,} characters."
)
UNAVAILABLE = {
    **_json({"$ref": "#/components/schemas/Error"}, "The catalogue's database cannot be reached; try again later."),
    "headers": {"Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}},
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "trialfinder API",
            "version": __version__,
            "description": "Search the clinical-trial catalogue of this trialfinder site; the twin of its pages. "
            "Read-only, except that an eligibility assessment takes a POST body; nothing sent is stored or logged.",
        },
        "paths": {
            "/api/trials": {
                "get": {
                    "summary": "Search trials",
                    "operationId": "searchTrials",
                    "parameters": SEARCH_PARAMETERS,
                    "responses": {
                        "200": _json({"$ref": "#/components/schemas/SearchResults"}, "A page of hits."),
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
                        "200": _json({"$ref": "#/components/schemas/Trial"}, "The trial."),
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
                        "200": _json(ELIGIBILITY_QUESTIONS, "The questions, with the field names answers use."),
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
                        "content": {"application/json": {"schema": ELIGIBILITY_REQUEST}},
                    },
                    "responses": {
                        "200": _json(ELIGIBILITY_RESULT, "The verdict, with a FHIR ResearchSubject-style status."),
                        "400": BAD_REQUEST,
                        "404": NOT_FOUND,
                        "413": _json({"$ref": "#/components/schemas/Error"}, "The body is larger than 2 MB."),
                        "414": URI_TOO_LONG,
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
                        "200": _json(
                            {
                                "type": "object",
                                "properties": {
                                    "places": {"type": "array", "items": {"$ref": "#/components/schemas/Place"}}
                                },
                            },
                            "Places, best first (none when the name is unknown).",
                        ),
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
        "components": {
            "schemas": {
                "Error": ERROR,
                "SiteHit": SITE_HIT,
                "Hit": HIT,
                "Place": PLACE,
                "SearchResults": {
                    "type": "object",
                    "properties": {
                        "total": {"type": "integer"},
                        "page": {"type": "integer"},
                        "pages": {"type": "integer"},
                        "page_size": {"type": "integer"},
                        "statuses": {"type": "array", "items": {"type": "string"}},
                        "near": NEAR,
                        "matched_words": {"type": "array", "items": {"type": "string"}},
                        "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
                    },
                },
                "Trial": {
                    "type": "object",
                    "description": "The trial as the catalogue holds it: every field of the registry record that "
                    "trialfinder reads (codes as the registry's API v2 spells them), plus `registry_url`, "
                    "`eu_ct_numbers`, and `sites` ordered open first, then nearest, each with `effective_status`, "
                    "`open` and `distance_km` (null without a location).",
                    "properties": {
                        "nct_id": {"type": "string"},
                        "brief_title": {"type": "string"},
                        "official_title": {"type": ["string", "null"]},
                        "overall_status": {"type": "string"},
                        "phases": {"type": "array", "items": {"type": "string"}},
                        "brief_summary": {"type": ["string", "null"], "description": "CommonMark, as registered."},
                        "eligibility": {"type": "object"},
                        "arms": {"type": "array", "items": {"type": "object"}},
                        "interventions": {"type": "array", "items": {"type": "object"}},
                        "sites": {
                            "type": "array",
                            "items": {"type": "object"},
                            "description": f"One page of the sites (`sites_page` of `sites_pages`, {SITES_PER_API_PAGE}"
                            " a page).",
                        },
                        "site_count": {"type": "integer", "description": "How many sites the trial lists in all."},
                        "sites_page": {"type": "integer"},
                        "sites_pages": {"type": "integer"},
                        "central_contacts": {"type": "array", "items": {"type": "object"}},
                        "registry_url": {"type": "string"},
                        "eu_ct_numbers": {"type": "array", "items": {"type": "string"}},
                        "near": NEAR,
                    },
                },
            }
        },
    }
