"""The languages trialfinder speaks: the gettext catalogs and translatable messages, for pages and emails alike.

The site's own words are English msgids translated through `locale/<lang>/LC_MESSAGES/messages.mo` (built by
`scripts/update_translations`); registry text is shown as registered. Which language a request gets is the web's
business (web/i18n.py); an email is written in the language its recipient chose.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from gettext import NullTranslations
from importlib import resources
from pathlib import Path
from typing import Any

from babel.support import Translations

LANGUAGES = ("en", "nl")
DEFAULT_LANGUAGE = "en"
# The locales used to format dates and numbers: British English writes "16 September 2025", as the
# listing page this product started from does.
FORMAT_LOCALES = {"en": "en_GB", "nl": "nl_NL"}
DOMAIN = "messages"


def N_(msgid: str) -> str:
    """Marks a string for extraction without translating it (it is translated where it is shown)."""
    return msgid


@dataclass(frozen=True, slots=True)
class Message:
    """Something the site says, translated late (when the language is known): a msgid and its values."""

    msgid: str
    values: Mapping[str, Any] = field(default_factory=dict)


def locale_dir() -> Path:
    return Path(str(resources.files(__package__).joinpath("locale")))


class Catalogs:
    """The translations of every language, loaded once when the app (or a command that sends email) starts."""

    def __init__(self, directory: Path | None = None):
        directory = directory or locale_dir()
        self._translations: dict[str, NullTranslations] = {DEFAULT_LANGUAGE: NullTranslations()}
        for language in LANGUAGES:
            if language != DEFAULT_LANGUAGE:
                loaded = Translations.load(str(directory), [language], DOMAIN)
                if not isinstance(loaded, Translations):  # babel returns NullTranslations when the .mo is missing
                    raise FileNotFoundError(f"no compiled catalog for {language!r} in {directory}")
                self._translations[language] = loaded

    def __getitem__(self, language: str) -> NullTranslations:
        return self._translations[language]
