"""Opening a signed token: the link in an email, or a key the site gave a browser, read into a state the pages show.

Tokens are made and read in the application layer only (`signing.Signer`, with a purpose each): the emails' links
by the actions that write them (`referral_emails`, `subscription_emails`, `notes`), the browser's keys and their
checks beside them (`referrals`, `notes`), and the pages get a value (`OpenedToken`, or a link's own result with
what it found) that says which page to show, never a token error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from trialfinder.signing import Signer, TokenExpired, TokenInvalid


class TokenState(StrEnum):
    OPENED = "opened"  # genuine, unexpired, made for this purpose (and what it names, where looked up, is there)
    EXPIRED = "expired"  # genuine, but past its expiry
    INVALID = "invalid"  # forged, tampered with, cut short, or made for another purpose
    GONE = "gone"  # genuine, but what it names no longer exists (deleted, purged)


@dataclass(frozen=True, slots=True)
class OpenedToken:
    state: TokenState
    id: str | None = None  # the opaque id it carries, when OPENED


def open_token(*, signer: Signer, purpose: str, token: str, now: datetime) -> OpenedToken:
    """What a token made for `purpose` says at `now`: OPENED with its id, EXPIRED or INVALID (never GONE: nothing
    is looked up here)."""
    try:
        return OpenedToken(TokenState.OPENED, signer.verify(purpose, token, now=now))
    except TokenExpired:
        return OpenedToken(TokenState.EXPIRED)
    except TokenInvalid:
        return OpenedToken(TokenState.INVALID)
