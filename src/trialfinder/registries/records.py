"""From a raw record of any supported format to a Trial: the one entry point the importer calls."""

from __future__ import annotations

import msgspec

from trialfinder.domain.errors import InvalidRecord
from trialfinder.domain.trial import Trial
from trialfinder.registries.ctgov_v2 import mapping as v2
from trialfinder.registries.ctgov_xml import mapping as xml
from trialfinder.registries.fields import Warnings
from trialfinder.registries.files import V2, XML, RawRecord
from trialfinder.registries.json_split import NESTED_TOO_DEEPLY, UnreadableStudy

_json = msgspec.json.Decoder()


def to_trial(record: RawRecord, warnings: Warnings | None = None) -> Trial:
    """Map one raw record, or raise InvalidRecord with a one-line reason."""
    if record.error is not None:
        raise InvalidRecord(record.error)
    data = record.data or b""
    if not data.strip():
        raise InvalidRecord("the file is empty")
    try:
        if record.format == V2:
            try:
                raw = _json.decode(data)
            except msgspec.DecodeError as error:
                raise InvalidRecord(f"invalid JSON: {error}") from None
            return v2.to_trial(raw, warnings)
        if record.format == XML:
            return xml.to_trial(data, warnings)
    except RecursionError:
        # From the decoder (or anything after it) on a document nested deeper than Python's recursion limit.
        raise InvalidRecord(NESTED_TOO_DEEPLY) from None
    raise InvalidRecord(f"unknown record format {record.format!r}")


def from_api(raw: dict | UnreadableStudy, warnings: Warnings | None = None) -> Trial:
    """Map a study as the live API returned it (already decoded, or the reason it could not be)."""
    if isinstance(raw, UnreadableStudy):
        raise InvalidRecord(raw.reason)
    try:
        return v2.to_trial(raw, warnings)
    except RecursionError:
        raise InvalidRecord(NESTED_TOO_DEEPLY) from None
