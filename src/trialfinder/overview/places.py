"""Country names and dates as an overview writes them, in English or Dutch.

Registries write a country as a name ("Netherlands", "Korea, Republic of"); the overview names it in the page's
language ("Nederland", "Zuid-Korea"), through its ISO code and the CLDR names Babel ships. A name that cannot be
placed is written as the registry wrote it.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from babel import Locale

from trialfinder.domain.values import PartialDate
from trialfinder.geo.names import normalise

# Countries a sentence names with an article ("in the Netherlands", "in de Verenigde Staten").
_ARTICLE = {
    "en": {"the": {"NL", "US", "GB", "PH", "AE", "DO", "BS", "GM", "CF", "CD", "CG", "KM", "MV", "MH", "SB", "VA"}},
    "nl": {
        "de": {"US", "PH", "AE", "DO", "BS", "CF", "CD", "KM", "MV", "SB", "VA"},
        "het": {"GB", "VA"},
    },
}

MONTHS = {
    "en": ("January February March April May June July August September October November December").split(),
    "nl": ("januari februari maart april mei juni juli augustus september oktober november december").split(),
}


@lru_cache(maxsize=1)
def _codes() -> dict[str, str]:
    """Normalised country name -> ISO 3166-1 alpha-2 code, from CLDR's English names and the gazetteer's aliases."""
    codes = {
        normalise(name): code for code, name in Locale("en").territories.items() if len(code) == 2 and code.isalpha()
    }
    aliases = json.loads(resources.files("trialfinder.geo").joinpath("country_aliases.json").read_text("utf-8"))
    for name, code in aliases.get("countries", {}).items():
        if isinstance(code, str):
            codes.setdefault(normalise(name), code)
    return codes


def country_code(name: str) -> str | None:
    return _codes().get(normalise(name))


def country_name(name: str, language: str, *, article: bool = False) -> str:
    """`Netherlands` -> `Nederland` (nl) or `the Netherlands` (en, with `article`)."""
    code = country_code(name)
    if code is None:
        return name
    local = Locale(language).territories.get(code, name)
    if article:
        for word, codes in _ARTICLE.get(language, {}).items():
            if code in codes:
                return f"{word} {local}"
    return local


def date_text(date: PartialDate, language: str) -> str:
    """`November 2024` / `november 2024`; the day is left out (a month is precise enough for a plan)."""
    if date.month is None:
        return str(date.year)
    return f"{MONTHS[language][date.month - 1]} {date.year}"


def months_between(start: PartialDate, end: PartialDate) -> int | None:
    if start.month is None or end.month is None:
        return None
    return (end.year - start.year) * 12 + (end.month - start.month)
