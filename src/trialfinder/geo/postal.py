"""Postal codes: US ZIP codes and their territories, how other countries' codes are written and stored (compacted,
shortened, prefixed), and the order countries are tried in when a code exists in several."""

from __future__ import annotations

import re

from trialfinder.geo.names import input_text

# Territories with US ZIP codes; GeoNames counts them as countries of their own.
ZIP_COUNTRIES = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
ZIP = re.compile(r"^(\d{5})(?:[-\s]?\d{4})?$")
TRAILING_ZIP = re.compile(r"[\s,]+(\d{5})(?:-\d{4})?$")

# Postal codes outside the US are compared compacted: upper case, letters and digits only (`1066 cx` -> `1066CX`).
_NOT_CODE = re.compile(r"[^0-9A-Z]+")
CODE_WORD = re.compile(r"[^\s,;]+")
COUNTRY_PREFIX = re.compile(r"^[A-Z]{1,3}\s?-\s?(?=\d)")  # "D-10117", "NL-1066 CX", "CH-8001"
# Countries whose GeoNames postal codes are a shortened form of what people write: the full (compacted) code to the
# stored one. NL: `1066CX` -> `1066`; the UK and its crown dependencies: `SW1A1AA` -> `SW1A`; CA: `M5V3L9` -> `M5V`;
# IE: the Eircode `D02X285` -> `D02`; MT: `VLT1117` -> `VLT`; AR: the CPA `C1425ABC` -> `1425`. A match is
# distinctive enough to select the country.
_OUTWARD = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\d[A-Z]{2}$")
SHORTENED: dict[str, re.Pattern[str]] = {
    "NL": re.compile(r"^(\d{4})[A-Z]{2}$"),
    "GB": _OUTWARD,
    "GG": _OUTWARD,
    "JE": _OUTWARD,
    "IM": _OUTWARD,
    "CA": re.compile(r"^([A-Z]\d[A-Z])\d[A-Z]\d$"),
    "IE": re.compile(r"^([AC-FHKNPRTV-Y]\d{2}|D6W)[0-9AC-FHKNPRTV-Y]{4}$"),
    "MT": re.compile(r"^([A-Z]{3})\d{4}$"),
    "AR": re.compile(r"^[A-Z](\d{4})[A-Z]{3}$"),
}
# Countries whose stored codes carry a prefix that people often leave out (`4968` for Luxembourg's `L-4968`).
PREFIXED = {"LU": "L", "LV": "LV", "MD": "MD", "AZ": "AZ"}
# When a code exists in several countries and nothing in the query or page tells them apart: the countries with the
# most trial sites first (roughly, from ClinicalTrials.gov), then the rest alphabetically.
POSTAL_COUNTRY_ORDER = {
    code: i
    for i, code in enumerate(
        "US FR DE ES IT GB CA NL BE PL AU JP KR CN CH AT SE DK NO FI IE PT CZ HU IL BR MX AR IN TR RU".split()
    )
}


def compact_code(text: str) -> str:
    return _NOT_CODE.sub("", text.upper())


def stored_codes(country: str, compact: str) -> list[str]:
    """The forms a (compacted) code a person wrote may be stored in for `country`: as written, then shortened."""
    forms = [compact]
    pattern = SHORTENED.get(country)
    if pattern is not None and (match := pattern.match(compact)):
        forms.append(match.group(1))
    prefix = PREFIXED.get(country)
    if prefix is not None and compact.isdigit():
        forms.append(prefix + compact)
    return forms


_SITE_ZIP = re.compile(r"^(\d{4,5})(?:[-\s]?\d{4})?$")


def zip_code(value: object) -> int | None:
    """A site's US ZIP code as an int, else None. ZIP+4 is accepted, and so are a number or four digits: a ZIP code
    that went through a spreadsheet has lost its leading zero (New England's 02115 becomes 2115)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= 99999 else None
    text = input_text(value)
    if text is None:
        return None
    match = _SITE_ZIP.match(text)
    return int(match.group(1)) if match else None
