"""Notes on a trial's text: what a note is anchored to, and finding that place again in today's text.

An **anchor** is a section (overview, procedures, eligibility, details), the exact **quote**, a little text either
side of it (**prefix**, **suffix**) and where it started (a **position hint**): the W3C Web Annotation model's
TextQuoteSelector plus a TextPositionSelector (https://www.w3.org/TR/annotation-model/#text-quote-selector). The
text is each section's plain text as the page shows it (`section_texts`), so an anchor survives re-rendering.

Finding the quote again (`resolve`), in order:

1. the exact quote; when it occurs more than once, the occurrence whose surroundings best match the prefix and
   suffix, then the one nearest the position hint;
2. the same after folding case, whitespace, typographic quotes and dashes (a record re-wrapped or re-typed);
3. a fuzzy match (difflib) of the whole quote that tolerates small edits (a word changed, a typo fixed): the note
   is then marked as on **edited** text;
4. otherwise the text has **changed**: the note keeps its original quote and says so.

Pure: no I/O; note text and quotes are personal health data and never logged by callers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from enum import StrEnum

from trialfinder.domain.control_characters import has_typed_control_characters
from trialfinder.domain.trial import Trial

SECTIONS = ("overview", "procedures", "eligibility", "details")
CONTEXT = 32  # characters of prefix and suffix kept with a quote
MIN_QUOTE = 2
MAX_QUOTE = 1_000
MAX_NOTE = 2_000
# A fuzzy match must be this similar to the quote (difflib's ratio, 2*matches / total length). Short quotes need
# more: two short strings are "similar" by chance far more easily than two sentences.
FUZZY_RATIO = 0.8
FUZZY_RATIO_SHORT = 0.9
SHORT_QUOTE = 24
_SEED = 8  # characters of the quote looked up to find where a fuzzy match could start


class Match(StrEnum):
    EXACT = "exact"  # the quote, character for character
    NORMALISED = "normalised"  # the quote, up to case, whitespace, quotes and dashes
    EDITED = "edited"  # a slightly different passage at the same place in the text
    CHANGED = "changed"  # nowhere to be found: the text has changed

    @property
    def found(self) -> bool:
        return self is not Match.CHANGED


@dataclass(frozen=True, slots=True)
class Anchor:
    section: str
    quote: str
    prefix: str = ""
    suffix: str = ""
    position: int | None = None  # where the quote started in the section text when the note was made


@dataclass(frozen=True, slots=True)
class Resolution:
    match: Match
    start: int = 0
    end: int = 0
    text: str = ""  # the passage in today's text ("" when changed)


CHANGED = Resolution(Match.CHANGED)


# --- the text of each section ---------------------------------------------------------------------------------------


_BULLET = re.compile(r"^(?:[-*+]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^#{1,6}\s+")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def plain_text(markdown: str | None) -> str:
    """Registry Markdown as the words a reader sees: one line per paragraph or bullet (nested bullets flattened),
    without bullet marks, emphasis marks, link targets or escapes. A paragraph's wrapped lines are joined."""
    if not markdown:
        return ""
    lines: list[str] = []
    joinable = False  # whether the next plain line continues the last paragraph or bullet
    for raw in markdown.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            joinable = False
            continue
        starts_item = bool(_BULLET.match(line) or _HEADING.match(line))
        line = _HEADING.sub("", _BULLET.sub("", line))
        line = _ESCAPE.sub(r"\1", _EMPHASIS.sub("", _LINK.sub(r"\1", line))).strip()
        if not line:
            continue
        if joinable and not starts_item and lines:
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
        joinable = True
    return "\n".join(lines)


def section_texts(trial: Trial) -> dict[str, str]:
    """Each anchorable section's registry text, as the trial page shows it, one line per paragraph or item."""
    overview = [plain_text(trial.brief_summary), plain_text(trial.detailed_description)]
    procedures: list[str] = []
    for arm in trial.arms:
        procedures += [arm.label, plain_text(arm.description), *arm.intervention_names]
    for item in trial.interventions:
        procedures += [item.name, ", ".join(item.other_names), plain_text(item.description)]
    for outcome in trial.primary_outcomes:
        procedures += [outcome.measure, outcome.time_frame or ""]
    details = [
        *trial.conditions,
        *trial.keywords,
        *(item.name for item in trial.interventions),
        trial.org_study_id or "",
        *(other.id for other in trial.other_ids),
        trial.lead_sponsor.name if trial.lead_sponsor else "",
        *(org.name for org in trial.collaborators),
    ]
    texts = {
        "overview": overview,
        "procedures": procedures,
        "eligibility": [plain_text(trial.eligibility.criteria)],
        "details": details,
    }
    return {name: "\n".join(part.strip() for part in parts if part and part.strip()) for name, parts in texts.items()}


# --- anchoring ------------------------------------------------------------------------------------------------------

_FOLD = str.maketrans({"‘": "'", "’": "'", "‚": "'", "“": '"', "”": '"', "„": '"', "–": "-", "—": "-", "‐": "-"})


def normalise(text: str) -> tuple[str, list[int]]:
    """Text folded for comparison (lower case, one space for any whitespace, plain quotes and dashes), and for each
    character of the result the index of the character it came from."""
    chars: list[str] = []
    origin: list[int] = []
    in_space = False
    for index, char in enumerate(text):
        if char.isspace():
            if not in_space:
                chars.append(" ")
                origin.append(index)
            in_space = True
            continue
        in_space = False
        for folded in char.translate(_FOLD).lower():
            chars.append(folded)
            origin.append(index)
    return "".join(chars), origin


def _fold(text: str) -> str:
    return normalise(text)[0]


def _common_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count


def _context_score(text: str, start: int, end: int, anchor: Anchor) -> float:
    """How well the text around [start, end) agrees with the anchor's prefix and suffix, in matching characters; the
    distance from the position hint breaks ties (it never outweighs a single matching character)."""
    prefix, suffix = _fold(anchor.prefix), _fold(anchor.suffix)
    before = _fold(text[max(0, start - 2 * len(anchor.prefix) - 8) : start])
    after = _fold(text[end : end + 2 * len(anchor.suffix) + 8])
    score = float(
        _common_prefix(before.rstrip()[::-1], prefix.rstrip()[::-1]) + _common_prefix(after.lstrip(), suffix.lstrip())
    )
    hint = anchor.position if anchor.position is not None else 0
    return score - abs(start - hint) / (len(text) + 1)


def _best(text: str, spans: list[tuple[int, int]], anchor: Anchor) -> tuple[int, int]:
    return max(spans, key=lambda span: (_context_score(text, span[0], span[1], anchor), -span[0]))


def _occurrences(haystack: str, needle: str) -> list[int]:
    found, index = [], haystack.find(needle)
    while index != -1 and len(found) < 1_000:
        found.append(index)
        index = haystack.find(needle, index + 1)
    return found


def resolve(anchor: Anchor, text: str) -> Resolution:
    """Where the anchored passage is in `text` (the section's current text), and how it was found."""
    quote = anchor.quote.strip()
    if not quote or not text:
        return CHANGED
    spans = [(start, start + len(quote)) for start in _occurrences(text, quote)]
    if spans:
        start, end = _best(text, spans, anchor)
        return Resolution(Match.EXACT, start, end, text[start:end])
    folded_text, origin = normalise(text)
    folded_quote = _fold(quote).strip()
    if not folded_quote:
        return CHANGED
    spans = [
        (origin[start], origin[start + len(folded_quote) - 1] + 1) for start in _occurrences(folded_text, folded_quote)
    ]
    if spans:
        start, end = _best(text, spans, anchor)
        return Resolution(Match.NORMALISED, start, end, text[start:end])
    fuzzy = _fuzzy(folded_text, folded_quote)
    if not fuzzy:
        return CHANGED
    spans = [(origin[start], origin[end - 1] + 1) for start, end in fuzzy]
    start, end = _best(text, spans, anchor)
    return Resolution(Match.EDITED, start, end, text[start:end])


def _fuzzy(text: str, quote: str) -> list[tuple[int, int]]:
    """Spans of `text` (folded) similar enough to `quote` (folded), best first. Candidate starts come from short
    seeds of the quote found verbatim in the text; each candidate is then aligned with difflib."""
    if len(quote) < MIN_QUOTE + 2:
        return []
    threshold = FUZZY_RATIO_SHORT if len(quote) < SHORT_QUOTE else FUZZY_RATIO
    seed = min(_SEED, max(3, len(quote) // 3))
    slack = max(4, len(quote) // 4)
    starts: set[int] = set()
    for offset in range(0, max(1, len(quote) - seed + 1), max(1, seed // 2)):
        for found in _occurrences(text, quote[offset : offset + seed])[:50]:
            starts.add(max(0, found - offset))
        if len(starts) > 200:
            break
    scored: dict[tuple[int, int], float] = {}
    for guess in sorted(starts):
        low = max(0, guess - slack)
        window = text[low : guess + len(quote) + slack]
        blocks = [
            block for block in SequenceMatcher(None, quote, window, autojunk=False).get_matching_blocks() if block.size
        ]
        if not blocks:
            continue
        # Where the quote's first and last characters would fall, aligned on the first and last matching blocks.
        start = low + blocks[0].b - blocks[0].a
        end = low + blocks[-1].b + len(quote) - blocks[-1].a
        start, end = _to_words(text, max(0, start), min(len(text), end))
        if end <= start:
            continue
        ratio = SequenceMatcher(None, quote, text[start:end], autojunk=False).ratio()
        if ratio >= threshold:
            scored[(start, end)] = max(ratio, scored.get((start, end), 0.0))
    best = max(scored.values(), default=0.0)
    # Only the best-scoring spans compete on context: a worse match never wins because of its neighbours.
    return [span for span, ratio in scored.items() if ratio >= best - 0.02]


def _to_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen a span so that it starts and ends on word boundaries, and trim spaces at its edges."""
    while 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while 0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def make_anchor(
    texts: dict[str, str],
    *,
    section: str | None,
    quote: str,
    prefix: str = "",
    suffix: str = "",
    position: int | None = None,
) -> Anchor | None:
    """The anchor for a passage a person chose (selected, or typed into the form without JavaScript), taken from
    today's text itself: its quote, prefix and suffix as they are in `texts`. `section` None: the first section
    where the passage is found. None when the passage is in no section (or too short or long)."""
    quote = " ".join(quote.split()) if "\n" in quote or "\r" in quote else quote.strip()
    if not (MIN_QUOTE <= len(quote) <= MAX_QUOTE):
        return None
    sections = [section] if section else list(SECTIONS)
    found: list[tuple[str, Resolution]] = []
    for name in sections:
        if name not in texts:
            continue
        resolution = resolve(Anchor(name, quote, prefix[-CONTEXT * 2 :], suffix[: CONTEXT * 2], position), texts[name])
        if resolution.match.found:
            found.append((name, resolution))
    if not found:
        return None
    # A verbatim match anywhere beats an approximate one in an earlier section.
    name, resolution = min(found, key=lambda item: list(Match).index(item[1].match))
    text = texts[name]
    return Anchor(
        section=name,
        quote=resolution.text,
        prefix=text[max(0, resolution.start - CONTEXT) : resolution.start],
        suffix=text[resolution.end : resolution.end + CONTEXT],
        position=resolution.start,
    )


def note_text_problem(body: str) -> str | None:
    """Why a note's text cannot be stored ("required", "control_characters", "too_long"), or None.

    Control characters other than tab and line breaks are refused: nobody types them, and PostgreSQL cannot store a
    NUL byte in text. The form offers the text back without them (`without_typed_control_characters`)."""
    if not body.strip():
        return "required"
    if has_typed_control_characters(body):
        return "control_characters"
    if len(body) > MAX_NOTE:
        return "too_long"
    return None
