"""What every form that changes something needs: a bounded body, CSRF protection, and rate limits.

- The body is read up to `MAX_FORM_BYTES` and no further (a 10 MB "message" is refused after 64 KiB, not
  buffered), then parsed as `application/x-www-form-urlencoded`; a form that uploads a file
  (`multipart/form-data`, "Trials for me") is read by `read_form_with_files`, up to the limit its caller sets.
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
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
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
    _refuse_declared_size(request, limit)
    if _content_type(request) != "application/x-www-form-urlencoded":
        raise FormUnreadable
    return _urlencoded_fields(await _read_body(request, limit), max_fields)


@dataclass(frozen=True, slots=True)
class PostedForm:
    fields: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)  # by field name; a file input left empty sends none


async def read_form_with_files(request: Request, *, limit: int, max_fields: int = 100) -> PostedForm:
    """A form that may upload files: `multipart/form-data` (the fields and the files' contents) or, from a client
    that sends no file, `application/x-www-form-urlencoded`. Read up to `limit` bytes and no further; FormTooLarge /
    FormUnreadable as `read_form`."""
    _refuse_declared_size(request, limit)
    content_type = _content_type(request)
    if content_type == "application/x-www-form-urlencoded":
        return PostedForm(_urlencoded_fields(await _read_body(request, limit), max_fields))
    if content_type != "multipart/form-data":
        raise FormUnreadable
    body = await _read_body(request, limit)
    # The standard library's MIME parser reads form data as it reads a multipart email (RFC 7578 is built on RFC
    # 2046); every part's bytes come back as sent.
    header = request.headers["content-type"].encode("latin-1", errors="replace")
    message = BytesParser(policy=policy.HTTP).parsebytes(b"Content-Type: " + header + b"\r\n\r\n" + bytes(body))
    if not message.is_multipart():
        raise FormUnreadable
    fields: dict[str, str] = {}
    files: dict[str, bytes] = {}
    for count, part in enumerate(message.iter_parts()):
        if count >= max_fields:
            raise FormUnreadable
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        if not isinstance(name, str) or not isinstance(content, bytes):
            continue
        if part.get_filename() is not None:
            if content:
                files.setdefault(name, content)
            continue
        try:
            fields.setdefault(name, content.decode("utf-8").strip())
        except UnicodeDecodeError:
            raise FormUnreadable from None
    return PostedForm(fields, files)


def _content_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _refuse_declared_size(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise FormTooLarge


async def _read_body(request: Request, limit: int) -> bytearray:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise FormTooLarge
    return body


def _urlencoded_fields(body: bytearray, max_fields: int) -> dict[str, str]:
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
