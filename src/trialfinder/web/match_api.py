"""Trials for me as JSON (issue #18): `POST /api/match`, the twin of the CLI's `trialfinder match --json`.

    POST /api/match   a description (`text`) or a FHIR R4 Bundle (`fhir`) -> the trials the person could join

What a person sends is personal health data: it travels in the POST body (never in a URL), is read and matched in
memory, and is neither stored nor logged; the answer (the facts read, with their spans) goes back to the sender
only, marked not to be cached. Each mistake is a 400 naming its field, in `EligibilityRequest`'s style.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

import msgspec
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from trialfinder.concepts.vocabulary import Vocabulary
from trialfinder.domain.search import DEFAULT_RADIUS, DEFAULT_STATUSES, MAX_RADIUS_KM, MAX_VALUES
from trialfinder.domain.trial import RecruitmentStatus
from trialfinder.geo.gazetteer import MAX_QUERY_LENGTH
from trialfinder.matching import EmptyDescription, Patient, patient_from_fhir, patient_from_text
from trialfinder.queries.match import MAX_RESULTS, MatchRequest, match, results_json
from trialfinder.storage.database import Database
from trialfinder.views.i18n import LANGUAGES
from trialfinder.web.api import BodyTooLarge, UnreadableJson, read_json_body
from trialfinder.web.api_types import MAX_MATCH_TEXT, MatchResults, answer
from trialfinder.web.eligibility import MAX_API_BODY, NO_STORE
from trialfinder.web.errors import json_error
from trialfinder.web.forms import client_key
from trialfinder.web.places import PlaceFinder
from trialfinder.web.rate_limits import RateLimiter
from trialfinder.web.rendering import language_of

FIELDS = ("text", "fhir", "near", "radius_km", "language", "status", "limit", "answers")
DEFAULT_LIMIT = 20


class BadField(ValueError):
    """A mistake in the body: its message, and the field it is about."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


class MatchApi:
    def __init__(
        self,
        *,
        database: Database,
        places: PlaceFinder,
        limiter: RateLimiter | None = None,
        today: Callable[[], date] = date.today,
    ):
        self.database = database
        self.places = places
        self.limiter = limiter
        self.today = today

    async def match(self, request: Request) -> Response:
        try:
            payload = await read_json_body(request, MAX_API_BODY)
        except BodyTooLarge as error:
            return json_error(413, str(error))
        except UnreadableJson as error:  # not JSON, or nested too deeply to walk
            return json_error(400, str(error))
        if self.limiter is not None and not self.limiter.hit(client_key(request)):
            return json_error(429, "Too many matches from this client: please wait a few minutes.")
        try:
            # Reading a note and screening a hundred trials takes a moment: off the event loop, in the request's
            # context (its unit of work).
            found = await run_in_threadpool(self._match, payload, language_of(request))
        except BadField as error:
            return json_error(400, str(error), error.field)
        return answer(found, headers=NO_STORE)

    def _match(self, payload: Any, page_language: str) -> MatchResults:
        if not isinstance(payload, dict):
            raise BadField("The request body must be a JSON object.")
        unknown = sorted(set(payload) - set(FIELDS))
        if unknown:
            raise BadField(f"Unknown field {unknown[0]!r}: use {', '.join(FIELDS)}.", unknown[0])
        if ("text" in payload) == ("fhir" in payload):
            raise BadField("Send one of text (a description) and fhir (a FHIR R4 Bundle).", "text")
        # A field that is given has the type the OpenAPI document says (null and "" are not "not given").
        language = payload.get("language", page_language if page_language in LANGUAGES else "en")
        if language not in LANGUAGES:
            raise BadField("language must be en or nl.", "language")
        today = self.today()
        patient = _patient(payload, language, today)
        point, label = None, None
        if "near" in payload:
            near = payload["near"]
            if not isinstance(near, str) or not near.strip() or len(near) > MAX_QUERY_LENGTH:
                raise BadField(f"near must be a city or a postal code, at most {MAX_QUERY_LENGTH} characters.", "near")
            places = self.places.find(near, 1, language=language)
            if not places:
                raise BadField(
                    "We could not find this place. Try a city, such as Amsterdam or Boston, MA, or a postal code,"
                    " such as 1066 CX or 02115.",
                    "near",
                )
            point, label = places[0].point, places[0].label
        request = MatchRequest(
            patient,
            today,
            statuses=_statuses(payload),
            point=point,
            radius_km=_radius(payload),
            limit=_limit(payload),
            language=language,
            answers=_answers(payload),
        )
        results = match(database=self.database, request=request, vocabulary=Vocabulary.bundled())
        return msgspec.convert(results_json(results, near=label), MatchResults)


def _patient(payload: dict[str, Any], language: str, today: date) -> Patient:
    try:
        if "text" in payload:
            text = payload["text"]
            if not isinstance(text, str) or len(text) > MAX_MATCH_TEXT:
                raise BadField(f"text must be a description, at most {MAX_MATCH_TEXT:,} characters.", "text")
            return patient_from_text(text, language=language, today=today)
        if not isinstance(payload["fhir"], dict):
            raise BadField("fhir must be a FHIR Bundle (a JSON object).", "fhir")
        return patient_from_fhir(payload["fhir"])
    except EmptyDescription as error:
        raise BadField(str(error), "text" if "text" in payload else "fhir") from None


def _statuses(payload: dict[str, Any]) -> tuple[RecruitmentStatus, ...]:
    if "status" not in payload:
        return DEFAULT_STATUSES
    values = payload["status"]
    known = [status.value for status in RecruitmentStatus]
    if (
        not isinstance(values, list)
        or not 1 <= len(values) <= MAX_VALUES
        or not all(isinstance(value, str) and value in known for value in values)
    ):
        raise BadField(f"status must be a list of 1 to {MAX_VALUES} of {', '.join(known)}.", "status")
    return tuple(dict.fromkeys(RecruitmentStatus(value) for value in values))


def _radius(payload: dict[str, Any]) -> float:
    radius = payload.get("radius_km", DEFAULT_RADIUS)
    if not _is_number(radius) or not 0 < radius <= MAX_RADIUS_KM:
        raise BadField(f"radius_km must be more than 0 and at most {MAX_RADIUS_KM:,.0f}.", "radius_km")
    return float(radius)


def _limit(payload: dict[str, Any]) -> int:
    limit = payload.get("limit", DEFAULT_LIMIT)
    if not _is_number(limit) or limit != int(limit) or not 1 <= limit <= MAX_RESULTS:
        raise BadField(f"limit must be a whole number from 1 to {MAX_RESULTS}.", "limit")
    return int(limit)


def _answers(payload: dict[str, Any]) -> dict[str, str] | None:
    answers = payload.get("answers", {})
    if not isinstance(answers, dict) or not all(
        _is_number(value) or isinstance(value, str) for value in answers.values()
    ):
        raise BadField("answers must be an object of field names and string values.", "answers")
    return {key: str(value) for key, value in answers.items()} or None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
