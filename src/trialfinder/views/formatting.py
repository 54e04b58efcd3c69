"""Words and numbers in one language (a page's or an email's): translated messages, registry codes, dates, ages,
distances."""

from __future__ import annotations

import datetime as dt
import math
from enum import Enum
from gettext import NullTranslations
from typing import TYPE_CHECKING, Any, Protocol

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.numbers import format_decimal

from trialfinder.domain.trial import Phase
from trialfinder.domain.values import KM_PER_MILE, AgeRange, AgeUnit, PartialDate
from trialfinder.views import vocabulary
from trialfinder.views.i18n import FORMAT_LOCALES, Message

if TYPE_CHECKING:
    from trialfinder.geo.gazetteer import Place


class Located(Protocol):
    """Where a search is centred (web.params.Location): a place from the gazetteer, or only coordinates."""

    place: Place | None


DAYS_PER_YEAR = 365.25  # as domain.values counts an age in years
DAYS_PER_MONTH = DAYS_PER_YEAR / 12

# Each unit's words, singular and plural, with `%(n)s` for the number (already formatted).
_UNIT_WORDS = {
    AgeUnit.YEARS: lambda t, count: t.ngettext("%(n)s year", "%(n)s years", count),
    AgeUnit.MONTHS: lambda t, count: t.ngettext("%(n)s month", "%(n)s months", count),
    AgeUnit.WEEKS: lambda t, count: t.ngettext("%(n)s week", "%(n)s weeks", count),
    AgeUnit.DAYS: lambda t, count: t.ngettext("%(n)s day", "%(n)s days", count),
    AgeUnit.HOURS: lambda t, count: t.ngettext("%(n)s hour", "%(n)s hours", count),
    AgeUnit.MINUTES: lambda t, count: t.ngettext("%(n)s minute", "%(n)s minutes", count),
}


class Formatter:
    """Everything a page or an email needs to say in one language. Made per request or email (cheap: it holds two
    references)."""

    def __init__(self, language: str, translations: NullTranslations):
        self.language = language
        self.translations = translations
        self.locale = Locale.parse(FORMAT_LOCALES[language])

    # --- messages ---

    def gettext(self, msgid: str, **values: Any) -> str:
        text = self.translations.gettext(msgid)
        return text % values if values else text

    def message(self, message: Message) -> str:
        """A late-translated message; numbers among its values are written the local way (2,000 / 2.000)."""
        values = {
            key: self.number(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value
            for key, value in message.values.items()
        }
        return self.gettext(message.msgid, **values)

    def label(self, vocabulary_name: str, code: Any) -> str:
        """The word for a registry code (`status`, RECRUITING -> "Recruiting"), or the code as registered."""
        if code is None:
            return ""
        words = vocabulary.VOCABULARIES[vocabulary_name]
        # Keys are enums or code strings; str-valued enums equal their codes, and legacy records may differ in case.
        key = code.value if isinstance(code, Enum) else str(code)
        for candidate in (key, key.upper()):
            if candidate in words:
                return self.gettext(words[candidate])
        return key

    def phases(self, phases: tuple[Phase, ...]) -> str:
        """`Phase 1/Phase 2` as registries write a combined phase."""
        if not phases:
            return self.gettext(vocabulary.NO_PHASE)
        return "/".join(self.label("phase", phase) for phase in phases)

    # --- numbers, distances, dates ---

    def number(self, value: float, digits: int = 0) -> str:
        if isinstance(value, float) and digits == 0 and not value.is_integer():
            digits = 1
        return format_decimal(round(value, digits), format=None, locale=self.locale, decimal_quantization=False)

    def distance(self, km: float, unit: str = "km") -> str:
        """`12 km`, `1.5 km`, `7.4 mi`: one decimal under ten, whole numbers beyond."""
        value = km / KM_PER_MILE if unit == "mi" else km
        shown = round(value, 1) if value < 10 else round(value)
        text = format_decimal(shown, locale=self.locale)
        return (
            self.gettext("%(distance)s mi", distance=text)
            if unit == "mi"
            else self.gettext("%(distance)s km", distance=text)
        )

    def site_distance(self, km: float, unit: str = "km") -> str:
        """How far a site is: `distance`, but `less than 1 km` (or mi) rather than `0 km` or `0.4 km`: a site's
        position is a building's at best, and often its postal code area's or its town's."""
        value = km / KM_PER_MILE if unit == "mi" else km
        if value < 1:
            return self.gettext("less than 1 mi") if unit == "mi" else self.gettext("less than 1 km")
        return self.distance(km, unit)

    def date(self, value: PartialDate | str | None) -> str:
        """`16 September 2025` (en) / `16 september 2025` (nl); `January 2035` when the day is not known."""
        if value is None or value == "":
            return ""
        if isinstance(value, str):
            try:
                value = PartialDate.parse(value)
            except ValueError:
                return value
        if value.month is None:
            return str(value.year)
        if value.day is None:
            return format_skeleton("yMMMM", dt.date(value.year, value.month, 1), locale=self.locale)
        return format_date(dt.date(value.year, value.month, value.day), format="long", locale=self.locale)

    def country(self, code: str | None, fallback: str | None) -> str | None:
        """A country's name in this language from its ISO code (babel's CLDR data), else as given."""
        if code:
            return self.locale.territories.get(code.upper(), fallback)
        return fallback

    # --- ages ---

    def age(self, value: float, unit: AgeUnit) -> str:
        shown = int(value) if float(value).is_integer() else value
        count = shown if isinstance(shown, int) else math.ceil(shown)  # "1.5 years", plural
        return _UNIT_WORDS[unit](self.translations, count) % {"n": self.number(shown)}

    def age_from_days(self, days: float) -> str:
        """An age limit stored in days, back in the unit it was most likely registered in."""
        for unit, length in ((AgeUnit.YEARS, DAYS_PER_YEAR), (AgeUnit.MONTHS, DAYS_PER_MONTH), (AgeUnit.WEEKS, 7.0)):
            count = days / length
            if count >= 1 and abs(count - round(count)) < 1e-6:
                return self.age(round(count), unit)
        return self.age(round(days, 1), AgeUnit.DAYS)

    def age_range(self, ages: AgeRange) -> str:
        """`18 years and older`, `18 years to 72 years`, `up to 75 years`, `any age` (as `views.trial_text`)."""
        low = self.age(ages.minimum.value, ages.minimum.unit) if ages.minimum else None
        high = self.age(ages.maximum.value, ages.maximum.unit) if ages.maximum else None
        return self._range(low, high)

    def age_range_days(self, min_days: float | None, max_days: float | None) -> str:
        low = self.age_from_days(min_days) if min_days is not None else None
        high = self.age_from_days(max_days) if max_days is not None else None
        return self._range(low, high)

    def _range(self, low: str | None, high: str | None) -> str:
        if low and high:
            return self.gettext("%(low)s to %(high)s", low=low, high=high)
        if low:
            return self.gettext("%(low)s and older", low=low)
        if high:
            return self.gettext("up to %(high)s", high=high)
        return self.gettext("any age")

    # --- places ---

    def place(self, place: Place) -> str:
        """`Amsterdam, Nederland`, `Springfield, IL, Verenigde Staten`, `02115 Boston, MA, United States`."""
        name = f"{place.postal_code} {place.name}" if place.postal_code else place.name
        state = place.admin1 if place.country_code == "US" else None
        country = self.country(place.country_code, place.country_name)
        return ", ".join(part for part in (name, state, country) if part)

    def location(self, location: Located | None) -> str | None:
        if location is None:
            return None
        if location.place is not None:
            return self.place(location.place)
        return self.gettext("your location")
