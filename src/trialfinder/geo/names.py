"""Place names and typed text: the normalised form names are compared in, input read as text, and the forms a
registry's city field is looked up by."""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_LENGTH = 200

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
LETTER = re.compile("[a-z]")
# Combining marks of the Latin script (what NFKD splits accents into); other scripts' names are not indexed.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
# Abbreviations written both ways in place names ("St. Louis" / "Saint Louis", "Ft. Worth", "Mt. Pleasant").
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "mt": "mount", "ft": "fort"}
_ABBREVIATION = re.compile(r"\b(?:st|ste|mt|ft)\b")
# Letters beyond Latin (and its extensions, and the quotation marks above): such a name cannot normalise to ASCII.
NOT_LATIN = re.compile("[^\x00-\u024f\u1e00-\u1eff\u2018-\u201f\u0300-\u036f\u02b9-\u02ff]")


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


def input_text(value: object) -> str | None:
    """Input as stripped text, or None when it is not text (a number is no place name), empty or too long."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value or len(value) > MAX_QUERY_LENGTH:
        return None
    return value


# --- city fields ---------------------------------------------------------------------------------------------------

PARENTHESES = re.compile(r"\s*[(\[].*?[)\]]\s*")
CEDEX = re.compile(r"\b(cedex|cdx)\b.*$", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_SPLIT = re.compile(r"\s*(?:[,;/]|\s-\s)\s*")
# Words that do not name a place on their own, so are not tried alone as part of a longer city field.
_GENERIC_WORDS = frozenset(
    """north south east west new old saint sainte san santa santo sao city ciudad town village de del la le les el
    los las di da do dos du van von der den port mount fort upper lower great little region province county district
    central centre center hospital university medical clinic nord sud est ouest bad sankt""".split()
)


def city_variants(city: str) -> tuple[list[str], list[str]]:
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
    cleaned = CEDEX.sub("", PARENTHESES.sub(" ", city)).strip()
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
