"""The trial as stored: the domain model as compact JSON, and the hash that says whether it changed."""

from __future__ import annotations

import hashlib

import msgspec

from trialfinder.domain.trial import Trial

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Trial)


def encode_trial(trial: Trial) -> bytes:
    return _encoder.encode(trial)


def decode_trial(data: bytes | str) -> Trial:
    return _decoder.decode(data)


def content_hash(encoded: bytes) -> str:
    """A fingerprint of a trial's content: equal hashes mean nothing a person could see has changed."""
    return hashlib.blake2b(encoded, digest_size=16).hexdigest()
