"""The trial as JSON: the compact form the catalogue stores (storage/trials.py) and `trialfinder show --json`
prints, and the hash that says whether it changed, which is also the record version an overview is written for
(overview/)."""

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
