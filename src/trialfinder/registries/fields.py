"""Reading untrusted registry values into domain values: shared by every registry adapter.

Registry records are large, hand-entered and sometimes broken. The rule: a record whose identity
cannot be read (no NCT id, no title) is rejected with a one-line reason; any other field that is
missing, of the wrong type or out of range is dropped and noted in the record's warnings, so that one
bad date does not cost a person the whole trial.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from enum import Enum
from typing import TypeVar

from trialfinder.domain.errors import DomainError, RecordTooLarge
from trialfinder.domain.values import Age, PartialDate

# Generous ceilings, about ten times what ClinicalTrials.gov itself accepts (brief title 300 characters,
# detailed description 32,000, criteria 20,000): a field beyond them is not a trial but a broken record.
TITLE_LIMIT = 5_000
SHORT_TEXT_LIMIT = 2_000
LONG_TEXT_LIMIT = 400_000
LIST_LIMIT = 50_000

E = TypeVar("E", bound=Enum)
T = TypeVar("T")

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Warnings(list[str]):
    """The notes an adapter makes while mapping one record (fields dropped, values it did not know)."""


def text(value: object, name: str, warnings: Warnings, *, limit: int = SHORT_TEXT_LIMIT) -> str | None:
    """Clean text or None: strings are NFC-normalised, stripped of control characters and trimmed."""
    if value is None:
        return None
    if type(value) is str and value.isascii() and value.isprintable():
        # The common case, about a million times per thousand records: printable ASCII is already NFC and
        # has no control characters, so only trimming and the length check remain.
        cleaned = value.strip()
        if len(cleaned) > limit:
            raise RecordTooLarge(f"{name} is {len(cleaned):,} characters long, over the limit of {limit:,}")
        return cleaned or None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        warnings.append(f"{name}: expected text, got {type(value).__name__}; dropped")
        return None
    cleaned = _CONTROL.sub("", unicodedata.normalize("NFC", value)).strip()
    if not cleaned:
        return None
    if len(cleaned) > limit:
        raise RecordTooLarge(f"{name} is {len(cleaned):,} characters long, over the limit of {limit:,}")
    return cleaned


def text_list(value: object, name: str, warnings: Warnings, *, limit: int = SHORT_TEXT_LIMIT) -> tuple[str, ...]:
    items = as_list(value, name, warnings)
    result: list[str] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        cleaned = text(item, f"{name}[{index}]", warnings, limit=limit)
        if cleaned and cleaned not in seen:
            seen.add(cleaned)
            result.append(cleaned)
    return tuple(result)


def as_list(value: object, name: str, warnings: Warnings) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        warnings.append(f"{name}: expected a list, got {type(value).__name__}; dropped")
        return []
    if len(value) > LIST_LIMIT:
        raise RecordTooLarge(f"{name} has {len(value):,} entries, over the limit of {LIST_LIMIT:,}")
    return value


def as_dict(value: object, name: str, warnings: Warnings) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        warnings.append(f"{name}: expected an object, got {type(value).__name__}; dropped")
        return {}
    return value


def enum_value(enum: type[E], value: object, name: str, warnings: Warnings, *, default: E | None = None) -> E | None:
    """The enum member for a registry code; an unknown code is noted and mapped to `default`."""
    if value is None or value == "":
        return default
    if isinstance(value, str):
        key = value.strip().upper().replace(" ", "_").replace("-", "_").replace(",", "")
        try:
            return enum(key)
        except ValueError:
            pass
    shown = str(value)[:40]
    fallback = f", kept as {default.value}" if default is not None else "; dropped"
    warnings.append(f"{name}: unknown value {shown!r}{fallback}")
    return default


def partial_date(value: object, name: str, warnings: Warnings) -> PartialDate | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        warnings.append(f"{name}: expected a date, got {type(value).__name__}; dropped")
        return None
    try:
        return PartialDate.parse(value)
    except DomainError as error:
        warnings.append(f"{name}: {error}; dropped")
        return None


def age(value: object, name: str, warnings: Warnings) -> Age | None:
    if value is None:
        return None
    if not isinstance(value, str):
        warnings.append(f"{name}: expected an age, got {type(value).__name__}; dropped")
        return None
    try:
        return Age.parse(value)
    except DomainError as error:
        warnings.append(f"{name}: {error}; dropped")
        return None


def integer(value: object, name: str, warnings: Warnings) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        warnings.append(f"{name}: expected a whole number, got a boolean; dropped")
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    else:
        warnings.append(f"{name}: expected a whole number, got {str(value)[:40]!r}; dropped")
        return None
    if not 0 <= number <= 100_000_000:
        warnings.append(f"{name}: {number} is out of range; dropped")
        return None
    return number


def boolean(value: object, name: str, warnings: Warnings) -> bool | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"yes", "true", "accepts healthy volunteers"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"no", "false"}:
        return False
    warnings.append(f"{name}: expected yes or no, got {str(value)[:40]!r}; dropped")
    return None


def number(value: object, name: str, warnings: Warnings) -> float | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        warnings.append(f"{name}: expected a number, got {str(value)[:40]!r}; dropped")
        return None


def each(items: list, name: str, warnings: Warnings, build: Callable[[object, str], T | None]) -> tuple[T, ...]:
    """Build a tuple from a list, skipping (and noting) the entries `build` cannot read."""
    result: list[T] = []
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if not isinstance(item, dict):
            warnings.append(f"{where}: expected an object, got {type(item).__name__}; dropped")
            continue
        try:
            built = build(item, where)
        except RecordTooLarge:
            raise
        except DomainError as error:
            warnings.append(f"{where}: {error}; dropped")
            continue
        if built is not None:
            result.append(built)
    return tuple(result)
