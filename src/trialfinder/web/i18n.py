"""Which language a request gets: from `?lang=` (then remembered in the `lang` cookie), else that cookie, else the
Accept-Language header, else English. The catalogs and translatable messages themselves are `views.i18n`'s.
"""

from __future__ import annotations

import re

from starlette.requests import HTTPConnection

from trialfinder.views.i18n import DEFAULT_LANGUAGE, LANGUAGES

__all__ = ["LANGUAGE_NAMES", "LanguageMiddleware", "choose_language"]

LANGUAGE_NAMES = {"en": "English", "nl": "Nederlands"}
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


# --- choosing the language ---------------------------------------------------------------------------------------

_ACCEPT_ITEM = re.compile(r"^\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([01](?:\.\d{0,3})?))?\s*$")


def from_accept_language(header: str | None) -> str | None:
    """The best of LANGUAGES by the header's quality values (RFC 9110 section 12.5.4); None when none fits."""
    if not header:
        return None
    best: tuple[float, int, str] | None = None
    # A header is short in practice; a long one is cut rather than parsed at length.
    for position, item in enumerate(header[:500].split(",")[:20]):
        match = _ACCEPT_ITEM.match(item)
        if not match:
            continue
        language = match.group(1).lower()
        quality = float(match.group(2)) if match.group(2) else 1.0
        if language in LANGUAGES and quality > 0:
            candidate = (-quality, position, language)
            if best is None or candidate < best:
                best = candidate
    return best[2] if best else None


def choose_language(query_lang: str | None, cookie: str | None, accept_language: str | None) -> str:
    for candidate in (query_lang, cookie):
        if candidate and candidate.lower() in LANGUAGES:
            return candidate.lower()
    return from_accept_language(accept_language) or DEFAULT_LANGUAGE


class LanguageMiddleware:
    """Puts the request's language in `request.state.language`; remembers a `?lang=` choice in the `lang` cookie.

    The cookie is the site's only one: SameSite=Lax, HttpOnly (no script needs it), Secure over HTTPS.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        connection = HTTPConnection(scope)
        asked = connection.query_params.get("lang")
        asked = asked.lower() if asked and asked.lower() in LANGUAGES else None
        language = choose_language(asked, connection.cookies.get(COOKIE), connection.headers.get("accept-language"))
        scope.setdefault("state", {})["language"] = language

        async def send_with_cookie(message):
            if message["type"] == "http.response.start" and asked:
                secure = "; Secure" if scope.get("scheme") == "https" else ""
                cookie = f"{COOKIE}={asked}; Max-Age={COOKIE_MAX_AGE}; Path=/; SameSite=Lax; HttpOnly{secure}"
                message["headers"] = [*message.get("headers", []), (b"set-cookie", cookie.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie if asked else send)
