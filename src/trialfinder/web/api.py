"""The JSON API under /api/: the twin of each page, with the same parameters and the same validation.

Mistakes answer 400 with `{"error": {"field": ..., "message": ...}}` (the first mistake; the message in the
request's language), an unknown trial 404 in the same shape. Every body is encoded through its type in
`api_types.py`, from which the OpenAPI document (`openapi.py`) takes its schemas.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from trialfinder.domain.values import is_nct_id, nct_id
from trialfinder.geo.gazetteer import MAX_QUERY_LENGTH
from trialfinder.queries.search import search
from trialfinder.queries.trials import find_trial
from trialfinder.storage.database import Database
from trialfinder.views.i18n import N_, Message
from trialfinder.web import openapi
from trialfinder.web.api_types import Places, answer
from trialfinder.web.errors import json_error
from trialfinder.web.params import parse_search
from trialfinder.web.places import MAX_SUGGESTIONS, PlaceFinder
from trialfinder.web.rendering import Renderer, language_of
from trialfinder.web.serialize import (
    MAX_SITES_PAGE,
    SITES_PER_API_PAGE,
    SitesWindow,
    place_body,
    results_body,
    trial_body,
)
from trialfinder.web.sites import listed_sites

MAX_JSON_DEPTH = 64  # levels of arrays and objects in a request body; a FHIR Bundle with lab results nests about ten
TOO_DEEP = f"The request body is nested more than {MAX_JSON_DEPTH} levels deep."


class UnreadableJson(ValueError):
    """A request body that is not JSON, or nests deeper than MAX_JSON_DEPTH: the message says which (a 400)."""


async def read_json_body(request: Request, limit: int) -> Any:
    """A JSON API's request body, read up to `limit` bytes, as JSON (an empty body is `{}`). Raises BodyTooLarge
    (a 413) past the limit, without reading the rest; UnreadableJson (a 400) as `read_json` does."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise BodyTooLarge(f"The request body is larger than {limit // (1024 * 1024)} MB.")
    return read_json(bytes(body) or b"{}")


class BodyTooLarge(ValueError):
    """A request body over the API's limit: the message says the limit (a 413)."""


def read_json(body: bytes) -> Any:
    """A request body as JSON. Nesting is bounded before anything walks the value: Python's parser gives up at
    about a thousand levels (RecursionError), and code that walks the result recursively could give up earlier."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise UnreadableJson(TOO_DEEP) from None
    except ValueError:  # not JSON, or not UTF-8
        raise UnreadableJson("The request body is not JSON.") from None
    if _nests_deeper_than(value, MAX_JSON_DEPTH):
        raise UnreadableJson(TOO_DEEP)
    return value


def _nests_deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than `limit` levels (the outermost is level 1); without recursion."""
    stack = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class Api:
    def __init__(self, *, renderer: Renderer, database: Database, places: PlaceFinder):
        self.renderer = renderer
        self.database = database
        self.places = places

    def _bad_request(self, request: Request, field: str, message) -> Response:
        return json_error(400, self.renderer.formatter(request).message(message), field)

    def trials(self, request: Request) -> Response:
        form = parse_search(
            request.query_params.multi_items(),
            find_place=self.places.for_language(language_of(request)),
            api=True,
            language=language_of(request),
        )
        if form.query is None:  # then there is at least one error
            first = form.errors[0]
            return self._bad_request(request, first.field, first.message)
        results = search(database=self.database, query=form.query)
        return answer(results_body(results, form.location, form.radius_km))

    def trial(self, request: Request) -> Response:
        fmt = self.renderer.formatter(request)
        raw = request.path_params["nct_id"]
        if not is_nct_id(raw):
            message = fmt.gettext(N_("This is not a ClinicalTrials.gov number (NCT followed by eight digits)."))
            return json_error(404, message, "nct_id")
        trial = find_trial(database=self.database, nct_id=nct_id(raw))
        if trial is None:
            message = fmt.gettext(N_("There is no trial %(nct_id)s in this catalogue."), nct_id=nct_id(raw))
            return json_error(404, message, "nct_id")
        form = parse_search(
            request.query_params.multi_items(),
            find_place=self.places.for_language(language_of(request)),
            api=True,
            language=language_of(request),
        )
        if form.errors:
            first = form.errors[0]
            return self._bad_request(request, first.field, first.message)
        raw_page = (request.query_params.get("sites_page") or "1").strip()
        if not raw_page.isdigit() or not 1 <= int(raw_page) <= MAX_SITES_PAGE:
            message = Message(N_("Choose a page of sites from 1 to %(most)s."), {"most": MAX_SITES_PAGE})
            return self._bad_request(request, "sites_page", message)
        sites = listed_sites(trial, near=form.location.point if form.location else None, statuses=form.statuses)
        pages = max(1, -(-len(sites) // SITES_PER_API_PAGE))
        page = min(int(raw_page), pages)  # past the last page: the last page
        first = (page - 1) * SITES_PER_API_PAGE
        window = SitesWindow(total=len(sites), page=page, pages=pages, page_size=SITES_PER_API_PAGE)
        return answer(trial_body(trial, sites[first : first + SITES_PER_API_PAGE], form.location, window))

    def place_suggestions(self, request: Request) -> Response:
        fmt = self.renderer.formatter(request)
        text = (request.query_params.get("q") or "").strip()
        if not text:
            return json_error(400, fmt.gettext(N_("Type a place to look for.")), "q")
        if len(text) > MAX_QUERY_LENGTH:
            return json_error(
                400, fmt.gettext(N_("Please use at most %(max)s characters."), max=fmt.number(MAX_QUERY_LENGTH)), "q"
            )
        limit_text = request.query_params.get("limit") or str(MAX_SUGGESTIONS)
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= MAX_SUGGESTIONS:
            return json_error(400, fmt.gettext(N_("Choose a limit from 1 to %(max)s."), max=MAX_SUGGESTIONS), "limit")
        places = self.places.find(text, limit=int(limit_text), language=language_of(request))
        return answer(Places(places=[place_body(place) for place in places]))

    def openapi(self, request: Request) -> Response:
        return JSONResponse(openapi.document())
