"""Text as the vocabulary compares it: `normalise` (case, accents, punctuation, British spellings) and `singulars`.

Both the vocabulary's terms (when the shipped file is built) and what a person types go through the same function,
so that "Oesophageal Cancer", "oesophageal cancer" and "esophageal cancer" meet, and "Crohn's disease" meets MeSH's
"Crohn Disease". Pure.
"""

from __future__ import annotations

import re
import unicodedata

# British spellings of medical words, rewritten to the American spelling MeSH uses. Rules on known stems (so
# "aerobic", "four" and "disease" are left alone), applied anywhere in a word: haemorrhage, leukaemia, anaemia,
# ischaemic, septicaemia, hypoglycaemia...
_BRITISH: dict[str, str] = {
    "aem": "em",  # haem-, anaem-, leukaem-, ischaem-, -aemia, -aemic
    "oesophag": "esophag",
    "oestr": "estr",
    "oedem": "edem",
    "foet": "fet",
    "coeliac": "celiac",
    "rrhoea": "rrhea",  # diarrhoea, gonorrhoea, amenorrhoea, seborrhoea
    "pnoea": "pnea",  # apnoea, dyspnoea
    "amoeb": "ameb",
    "homoeo": "homeo",
    "paed": "ped",  # paediatric, orthopaedic
    "gynaec": "gynec",
    "anaesth": "anesth",
    "faec": "fec",
    "caesar": "cesar",
    "aetiol": "etiol",
    "tumour": "tumor",
    "behaviour": "behavior",
    "humour": "humor",
    "colour": "color",
    "labour": "labor",
    "odour": "odor",
    "sulph": "sulf",
    "centre": "center",
    "fibre": "fiber",
    "litre": "liter",
    "analogue": "analog",
    "ageing": "aging",
    "aluminium": "aluminum",
    "grey": "gray",
    "disk": "disc",  # MeSH writes the spine's discs with a c ("Intervertebral Disc"); people write both
}
_BRITISH_RE = re.compile("|".join(sorted(_BRITISH, key=len, reverse=True)))
# -ise/-isation on stems that medicine writes with -ize (metastasised, immunisation, randomised...).
_ISE = re.compile(
    r"\b(metastas|immun|hospital|random|steril|vaccin|anesthet|sensit|desensit|catheter|revascular|vascular|optim"
    r"|normal|stabil|visual|personal|organ|crystal|hypnot|neutral|mobil|minim)is(e|ed|es|ing|ation|ations)\b"
)
_YSE = re.compile(r"\b(anal|paral|dial|hydrol|catal)ys(e|ed|es|ing)\b")
_POSSESSIVE = re.compile(r"(?<=\w)['’`]s\b")
_NOT_WORD = re.compile(r"[^\w]+|_+")
_PLAIN = re.compile(r"[a-z0-9 ]*")


def normalise(text: str) -> str:
    """Lowercase words separated by single spaces: case folded, accents removed, possessives dropped ("Crohn's" is
    "crohn"), hyphens, slashes, apostrophes and other punctuation made spaces, British spellings made American."""
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    text = text.casefold()
    if not _PLAIN.fullmatch(text):
        text = _POSSESSIVE.sub("", text)
        text = _NOT_WORD.sub(" ", text)
    text = _BRITISH_RE.sub(lambda m: _BRITISH[m.group()], text)
    if "is" in text or "ys" in text:
        text = _ISE.sub(r"\1iz\2", text)
        text = _YSE.sub(r"\1yz\2", text)
    return " ".join(text.split())


_INVARIANT_ENDINGS = ("ss", "us", "is", "ous", "ics", "sis", "itis")


def singulars(word: str) -> tuple[str, ...]:
    """The singular forms a plural (normalised) word may have, most likely first; () when it looks singular:
    metastases -> metastasis, metastase; allergies -> allergy; tumors -> tumor; diabetes, lupus, stress -> ()."""
    if len(word) < 4 or not word.endswith("s") or word.endswith(_INVARIANT_ENDINGS) or not word.isalpha():
        return ()
    if word.endswith("ses") and len(word) > 5:
        return (word[:-2] + "is", word[:-1])  # metastases -> metastasis; diseases -> disease
    if word.endswith("ies") and len(word) > 4:
        return (word[:-3] + "y", word[:-1])  # allergies -> allergy; rabies stays reachable as is
    if word.endswith("xes") or word.endswith("ches") or word.endswith("shes"):
        return (word[:-2], word[:-1])
    if word.endswith("etes"):  # diabetes
        return ()
    return (word[:-1],)
