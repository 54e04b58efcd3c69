"""Plain-language sentences in English and Dutch, from data/messages.json (not gettext: the engine is used
outside the website too, and each sentence has named placeholders that the tests check in both languages)."""

from __future__ import annotations

from typing import Any

from trialfinder.eligibility.units import lexicon

LANGUAGES = ("en", "nl")


def language(code: str | None) -> str:
    """A supported language for a code such as `nl`, `nl-BE` or `EN`; English otherwise."""
    short = (code or "en").split("-")[0].split("_")[0].lower()
    return short if short in LANGUAGES else "en"


def text(lang: str, key: str, **params: Any) -> str:
    """The sentence `key` in `lang` with its placeholders filled; `key.one` is used when `count` is 1."""
    table = lexicon("messages")[language(lang)]
    template = table.get(f"{key}.one") if params.get("count") == 1 else None
    template = template or table.get(key)
    if template is None:
        raise KeyError(f"no message {key!r} in {lang!r}")
    return template.format(**params)
