"""Errors as pages in the site's style (or JSON under /api/), never a stack trace.

- 404 and 405 from routing, and a trial that is not in the catalogue: `not_found` / `http_exception`;
- a query string over MAX_QUERY_STRING characters: 414, before any parsing;
- the database unreachable (down, restarting, dropped: `DatabaseUnavailable`): 503 with Retry-After, logged with
  the database's message (its URL without the password, and the driver's reason);
- any other exception a handler raises: 500, logged with its type, the request's path and the line of code it came
  from. Never the query string nor the exception's message: both can hold what a person typed.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from trialfinder.storage.database import DatabaseUnavailable
from trialfinder.views.i18n import N_, Message
from trialfinder.web.access_log import loggable_path
from trialfinder.web.api_types import Error, ErrorDetail, answer
from trialfinder.web.rendering import Renderer

log = logging.getLogger("trialfinder.web")

MAX_QUERY_STRING = 2_000  # characters; the longest sensible search is a few hundred
RETRY_AFTER_SECONDS = 60  # when the database cannot be reached: a restart or failover takes about that long

TITLES = {
    400: N_("Something in this request is not right"),
    404: N_("Page not found"),
    405: N_("This page cannot be used that way"),
    414: N_("This search is too long"),
    500: N_("Something went wrong on our side"),
    503: N_("The trial catalogue cannot be reached right now"),
}
EXPLANATIONS = {
    400: N_("Please check the address, or start a new search."),
    404: N_("There is no page at this address. It may have moved, or the address may be mistyped."),
    405: N_("This page only answers plain requests for a page. Please start from the search page."),
    414: N_("The address of this search is longer than we accept. Please use fewer or shorter words and filters."),
    500: N_("We could not show this page. The error has been noted; please try again in a moment."),
    503: N_("The catalogue of trials cannot be reached at the moment. Please try again in a few minutes."),
}


def is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def json_error(status_code: int, message: str, field: str | None = None) -> Response:
    return answer(Error(ErrorDetail(field=field, message=message)), status_code=status_code)


def error_page(renderer: Renderer, request: Request, status_code: int, detail: Message | None = None) -> Response:
    fmt = renderer.formatter(request)
    title = fmt.gettext(TITLES.get(status_code, TITLES[500]))
    explanation = fmt.message(detail) if detail else fmt.gettext(EXPLANATIONS.get(status_code, EXPLANATIONS[500]))
    if is_api(request):
        return json_error(status_code, explanation)
    return renderer.render(
        request,
        "error.html",
        {"status_code": status_code, "title": title, "explanation": explanation},
        status_code=status_code,
    )


def not_found(
    renderer: Renderer, request: Request, detail: Message | None = None, field: str | None = None
) -> Response:
    if is_api(request):
        fmt = renderer.formatter(request)
        return json_error(404, fmt.message(detail) if detail else fmt.gettext(EXPLANATIONS[404]), field)
    return error_page(renderer, request, 404, detail)


def http_exception_handler(renderer: Renderer):
    async def handle(request: Request, exc: Exception) -> Response:
        status_code = exc.status_code if isinstance(exc, HTTPException) else 500
        headers = getattr(exc, "headers", None) or {}
        response = error_page(renderer, request, status_code if status_code in TITLES else 400)
        response.headers.update(headers)
        return response

    return handle


class ErrorPagesMiddleware:
    """Inside the header and language middleware, so that error pages get both."""

    def __init__(self, app, renderer: Renderer):
        self.app = app
        self.renderer = renderer

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if len(scope.get("query_string", b"")) > MAX_QUERY_STRING:
            response = error_page(self.renderer, Request(scope), 414)
            await response(scope, receive, send)
            return
        started = False

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except DatabaseUnavailable as error:
            # Not a bug of ours: the database is down or restarting. Its message is ours (no request data in it).
            log.error("%s (%s %s)", error, scope.get("method", "?"), loggable_path(scope.get("path", "?")))
            if started:
                return
            response = error_page(self.renderer, Request(scope), 503)
            response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            await response(scope, receive, send)
        except Exception as error:
            log.error(
                "internal error %s on %s %s at %s",
                type(error).__name__,
                scope.get("method", "?"),
                loggable_path(scope.get("path", "?")),
                _origin(error),
            )
            if started:
                return  # the response is half sent: nothing better to do than end it
            await self._internal_error(scope, receive, send)

    async def _internal_error(self, scope, receive, send) -> None:
        request = Request(scope)
        try:
            response = error_page(self.renderer, request, 500)
        except Exception:  # the error page itself failed (a broken template): a plain one
            log.error("the 500 page failed to render on %s", loggable_path(scope.get("path", "?")))
            response = (
                json_error(500, "internal error")
                if is_api(request)
                else HTMLResponse("<!doctype html><title>Error</title><h1>Something went wrong</h1>", status_code=500)
            )
        await response(scope, receive, send)


def _origin(error: BaseException) -> str:
    """Where the error was raised: file name and line of the innermost frame (code, never data)."""
    frames = traceback.extract_tb(error.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno}"
