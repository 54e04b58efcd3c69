"""Signed links: genuine tokens open, anything else is refused with the right reason."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trialfinder.signing import Signer, TokenExpired, TokenInvalid

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def signer():
    return Signer(b"k" * 32)


def test_a_genuine_token_gives_back_its_payload(signer):
    token = signer.sign("withdraw", "abc123", expires_at=NOW + timedelta(days=1))
    assert signer.verify("withdraw", token, now=NOW) == "abc123"


def test_a_token_for_one_purpose_does_not_open_another(signer):
    token = signer.sign("withdraw", "abc123", expires_at=NOW + timedelta(days=1))
    with pytest.raises(TokenInvalid):
        signer.verify("contacted", token, now=NOW)


@pytest.mark.parametrize("position", [0, 3, 7, -1, -5])
def test_changing_any_character_breaks_the_token(signer, position):
    token = signer.sign("withdraw", "abc123", expires_at=NOW + timedelta(days=1))
    changed = list(token)
    changed[position] = "A" if changed[position] != "A" else "B"
    with pytest.raises((TokenInvalid, TokenExpired)) as raised:
        signer.verify("withdraw", "".join(changed), now=NOW)
    assert raised.type is TokenInvalid


def test_a_later_expiry_cannot_be_forged(signer):
    token = signer.sign("withdraw", "abc123", expires_at=NOW + timedelta(days=1))
    payload, expires, signature = token.split(".")
    with pytest.raises(TokenInvalid):
        signer.verify("withdraw", f"{payload}.{int(expires) + 86400}.{signature}", now=NOW)


def test_an_expired_token_says_so(signer):
    token = signer.sign("withdraw", "abc123", expires_at=NOW + timedelta(days=1))
    with pytest.raises(TokenExpired):
        signer.verify("withdraw", token, now=NOW + timedelta(days=1, seconds=1))


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "a.1.", "x" * 500, "abc.99999999999.sig.extra"])
def test_malformed_tokens_are_invalid(signer, token):
    with pytest.raises(TokenInvalid):
        signer.verify("withdraw", token, now=NOW)


def test_another_key_refuses_the_token(signer):
    token = signer.sign("withdraw", "abc123", expires_at=NOW + timedelta(days=1))
    with pytest.raises(TokenInvalid):
        Signer(b"z" * 32).verify("withdraw", token, now=NOW)
