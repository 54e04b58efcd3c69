"""Signed, expiring tokens for the links in emails (withdraw a referral, mark it contacted, and so on).

A token is `<purpose-free payload>.<expiry>.<signature>`, URL-safe. The signature is HMAC-SHA256 over the purpose,
the payload and the expiry, with the operator's secret key: a token made for one purpose never opens another,
and changing any character breaks it. Tokens carry an opaque id, never personal data.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime


class TokenError(Exception):
    """A link's token cannot be used."""


class TokenInvalid(TokenError):
    """Forged, tampered with, cut short, or made for another purpose."""


class TokenExpired(TokenError):
    """Genuine, but past its expiry."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class Signer:
    def __init__(self, secret_key: bytes):
        if len(secret_key) < 32:
            raise ValueError("the secret key must be at least 32 bytes")
        self._key = secret_key

    def _signature(self, purpose: str, payload: str, expires: int) -> str:
        message = f"{purpose}\x1f{payload}\x1f{expires}".encode()
        return _b64(hmac.new(self._key, message, hashlib.sha256).digest())

    def sign(self, purpose: str, payload: str, *, expires_at: datetime) -> str:
        if "." in payload or not payload:
            raise ValueError("a token's payload is a non-empty id without dots")
        expires = int(expires_at.timestamp())
        return f"{payload}.{expires}.{self._signature(purpose, payload, expires)}"

    def verify(self, purpose: str, token: str, *, now: datetime) -> str:
        """The payload of a genuine, unexpired token made for `purpose`; TokenInvalid or TokenExpired otherwise."""
        parts = token.split(".")
        if len(token) > 200 or len(parts) != 3 or not parts[1].isdigit():
            raise TokenInvalid("malformed token")
        payload, expires_text, signature = parts
        expires = int(expires_text)
        expected = self._signature(purpose, payload, expires)
        if not hmac.compare_digest(expected.encode(), signature.encode()):
            raise TokenInvalid("bad signature")
        if now.timestamp() >= expires:
            raise TokenExpired("expired")
        return payload


    def fingerprint(self, purpose: str, value: str) -> str:
        """A keyed hash of `value` (HMAC-SHA256 with the secret key, hex): equal values give equal fingerprints, and
        without the key nobody can tell from one which value it was made from (an address cannot be guessed back)."""
        return hmac.new(self._key, f"fingerprint\x1f{purpose}\x1f{value}".encode(), hashlib.sha256).hexdigest()


def random_id(nbytes: int = 16) -> str:
    """An unguessable URL-safe id (128 bits by default)."""
    return secrets.token_urlsafe(nbytes)
