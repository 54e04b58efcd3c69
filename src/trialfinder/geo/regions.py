"""Countries (names, aliases, ISO codes) and their first-level divisions (admin1: US states and territories,
Canadian provinces, ...), keyed by their normalised names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from trialfinder.geo.names import normalise


@dataclass(frozen=True, slots=True)
class Regions:
    """Country names and aliases, and admin1 names, all keyed by their normalised form."""

    country_names: dict[str, str]  # ISO code -> GeoNames name
    countries: dict[str, tuple[str, ...]]  # normalised name or alias -> ISO codes
    country_codes: dict[str, str]  # normalised ISO alpha-2 or alpha-3 code -> ISO alpha-2
    admin1: dict[str, dict[str, str]]  # ISO code -> normalised division name or abbreviation -> admin1 code
    us_territories: dict[str, str]  # normalised name or postal abbreviation -> ISO code

    @classmethod
    def load(cls, data_dir: Path) -> Regions:
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
