"""One log line per request: method, path, status and time. Never the query string, which holds what a person
typed (uvicorn's own access log, which would write it, is turned off by `trialfinder serve`)."""

from __future__ import annotations

import logging
import re
import time

from trialfinder.domain.control_characters import printable

log = logging.getLogger("trialfinder.web.access")

# A share link's path holds its secret token (web/notes.py): logs name the route, never the token.
_SECRET_PATHS = re.compile(r"^/shared/[^/]+")


def loggable_path(path: str) -> str:
    """The path as a log may show it: without a share link's token, and with control characters escaped (the server
    decodes `%0A` to a newline, which would otherwise start a forged line)."""
    return printable(_SECRET_PATHS.sub("/shared/<token>", path))


class AccessLogMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            log.info(
                "%s %s %d %.0fms", printable(scope.get("method", "?")), loggable_path(scope.get("path", "?")), status, elapsed
            )
