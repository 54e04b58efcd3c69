"""What every form that changes something needs: a bounded body, CSRF protection, and rate limits.

- The body is read up to `MAX_FORM_BYTES` and no further (a 10 MB "message" is refused after 64 KiB, not
  buffered), then parsed as `application/x-www-form-urlencoded`.
- CSRF: the double-submit pattern. A random token lives in an HttpOnly, SameSite=Strict cookie and in a hidden
  field of each form; a POST is accepted only when the two match. A request from another site can neither read
  the cookie nor, with SameSite=Strict, send it. An `Origin` header naming another site is refused as well.
- Rate limits count recent events per key: a client's address (`client_key`), or an email address's hash
  (`email_key`); `rate_limits.py` counts them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import Response

MAX_FORM_BYTES = 64 * 1024
CSRF_COOKIE = "csrf"
CSRF_FIELD = "csrf_token"
HONEYPOT_FIELD = "website"  # hidden from people (CSS and aria-hidden); a bot that fills every field fills it


class FieldErrors:
    """What the templates ask of any form shown back with mistakes (`ui.field_error`, `ui.described`): its errors
    (each with a `field` and a `message`), by field."""

    __slots__ = ()
    errors: tuple | list

    @property
    def error_fields(self) -> tuple[str, ...]:
        return tuple(error.field for error in self.errors)

    def error(self, name: str):
        return next((error for error in self.errors if error.field == name), None)


class FormTooLarge(Exception):
    pass


class FormUnreadable(Exception):
    pass


async def read_form(request: Request, *, limit: int = MAX_FORM_BYTES, max_fields: int = 100) -> dict[str, str]:
    """The posted fields (first value of each), or FormTooLarge / FormUnreadable."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FormTooLarge
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise FormUnreadable
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise FormTooLarge
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=max_fields)
    except (UnicodeDecodeError, ValueError):
        raise FormUnreadable from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        fields.setdefault(key, value.strip() if key != "message" else value)
    return fields


# --- CSRF -----------------------------------------------------------------------------------------------------------


def csrf_token(request: Request) -> tuple[str, bool]:
    """The token for this visitor's forms, and whether it is new (so the response must set the cookie)."""
    made = getattr(request.state, "csrf_token", None)
    if made is not None:  # made earlier in this request: the page and its cookie must agree
        return made, True
    existing = request.cookies.get(CSRF_COOKIE, "")
    if 20 <= len(existing) <= 100 and existing.replace("-", "").replace("_", "").isalnum():
        return existing, False
    request.state.csrf_token = secrets.token_urlsafe(32)
    return request.state.csrf_token, True


def set_csrf_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        CSRF_COOKIE,
        token,
        max_age=7 * 24 * 3600,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def csrf_ok(request: Request, fields: dict[str, str]) -> bool:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = urlsplit(origin).netloc
        if host != request.headers.get("host", ""):
            return False
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = fields.get(CSRF_FIELD, "")
    return bool(cookie) and hmac.compare_digest(cookie.encode(), sent.encode())


# --- rate-limit keys ------------------------------------------------------------------------------------------------


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def email_key(email: str) -> str:
    """Rate-limit key for an email address: a hash, so that the address itself is never held in the counts' storage."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()
