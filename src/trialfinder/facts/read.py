"""`read_facts`: the facts a free-text description states about one person, each with its span.

Rules, not a model: patterns and word lists from data/ (rules.py), conditions and drugs through the concept
vocabulary (MeSH descriptors, as search reads them), and NegEx-style context for conditions, metastases and
treatments: a negation trigger ("no", "denies", "without", "geen") up to `condition_window` words before a
mention in the same sentence, with no scope-ending word ("but") between, or a trailing one ("was ruled out") up to
`after_window` words after; history ("history of", "prior") and family ("mother had", "family history of") the same
way. Deterministic; never raises on any text; never logs (a description is personal health data).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from trialfinder.concepts.normalise import normalise
from trialfinder.concepts.vocabulary import Span, Vocabulary
from trialfinder.eligibility.units import normalise_unit
from trialfinder.facts import rules as data
from trialfinder.facts.model import (
    Age,
    Biomarker,
    Condition,
    Consent,
    Facts,
    Lab,
    Metastasis,
    NoHistory,
    Performance,
    Pregnancy,
    Sex,
    Stage,
    Treatment,
)

MAX_TEXT = 100_000  # characters read; the rest of a longer text is ignored
_WORD = re.compile(r"[^\W_]+")
_BOUNDARY = re.compile(r"[.;!?\n\r]|:\s")


@dataclass(frozen=True, slots=True)
class _Token:
    start: int
    end: int
    word: str  # as written
    norm: str  # normalised
    sentence: int


class _Text:
    """The text as tokens with offsets and sentence numbers."""

    def __init__(self, text: str) -> None:
        self.text = text
        tokens: list[_Token] = []
        sentence = 0
        previous_end = 0
        for m in _WORD.finditer(text):
            gap = text[previous_end : m.start()]
            if (
                tokens
                and _BOUNDARY.search(gap)
                and not (gap == "." and tokens[-1].word.isdigit() and m.group()[0].isdigit())
            ):
                sentence += 1
            tokens.append(_Token(m.start(), m.end(), m.group(), normalise(m.group()), sentence))
            previous_end = m.end()
        self.tokens = tokens
        self.norms = [t.norm for t in tokens]

    def sentences(self) -> Iterable[tuple[int, int]]:
        """Token ranges [i, j) of each sentence."""
        i = 0
        while i < len(self.tokens):
            j = i
            while j < len(self.tokens) and self.tokens[j].sentence == self.tokens[i].sentence:
                j += 1
            yield i, j
            i = j

    def span(self, i: int, j: int) -> tuple[int, int]:
        return self.tokens[i].start, self.tokens[j - 1].end

    def token_at(self, offset: int) -> int:
        """The index of the first token that ends after `offset`."""
        for k, token in enumerate(self.tokens):
            if token.end > offset:
                return k
        return len(self.tokens)

    def find(self, phrases: dict[tuple[str, ...], str]) -> list[tuple[int, int, str]]:
        """Non-overlapping occurrences (token ranges) of normalised phrases, longest first at each position."""
        longest = max((len(p) for p in phrases), default=0)
        found = []
        i = 0
        while i < len(self.norms):
            for n in range(min(longest, len(self.norms) - i), 0, -1):
                key = tuple(self.norms[i : i + n])
                if key in phrases and all(self.tokens[i + k].sentence == self.tokens[i].sentence for k in range(n)):
                    found.append((i, i + n, phrases[key]))
                    i += n
                    break
            else:
                i += 1
        return found


def read_facts(
    text: str, *, language: str = "en", vocabulary: Vocabulary | None = None, today: date | None = None
) -> Facts:
    """The facts `text` states about one person (English, or Dutch with `language="nl"`). `today` is the day a
    date of birth is counted to (an age is then given too); without it, only the date of birth is kept."""
    if not isinstance(text, str) or not text.strip():
        return Facts()
    text = text[:MAX_TEXT]
    vocabulary = vocabulary or Vocabulary.bundled()
    t = _Text(text)
    matches = _matches(t, vocabulary, language)
    # A trigger word inside a term is part of the term ("non-small cell lung cancer"), not a negation.
    context = _Context(t, language, {k for i, j, _ in matches for k in range(i, j)})
    age, age_sex = _age(t, today)
    labs = _labs(t, language)
    markers = _biomarkers(t, context)
    taken = [lab.span for lab in labs] + [m.span for m in markers]
    conditions, drugs = _concepts(t, matches, vocabulary, context, taken)
    return Facts(
        age=age,
        sex=age_sex or _sex(t),
        conditions=tuple(conditions),
        metastases=tuple(_metastases(t, context, language)),
        stages=tuple(_stages(t)),
        labs=tuple(labs),
        performance=tuple(_performance(t)),
        biomarkers=tuple(markers),
        pregnancy=tuple(_pregnancy(t, context)),
        treatments=tuple(sorted([*_treatments(t, context), *drugs], key=lambda f: f.span)),
        no_history=tuple(_no_history(t)),
        consent=tuple(_consent(t)),
    )


def _consent(t: _Text) -> list[Consent]:
    rows = data.rules()["consent"]
    table = {tuple(normalise(phrase).split()): str(index) for index, (phrase, _) in enumerate(rows)}
    out = []
    for i, j, index in t.find(table):
        start, end = t.span(i, j)
        out.append(Consent(bool(rows[int(index)][1]), (start, end), t.text[start:end]))
    return out


def _no_history(t: _Text) -> list[NoHistory]:
    out = []
    for i, j, _ in t.find(data.phrases("no_history")):
        start, end = t.span(i, j)
        out.append(NoHistory((start, end), t.text[start:end]))
    return out


# --- context (NegEx-style) -----------------------------------------------------------------------------------


class _Context:
    def __init__(self, t: _Text, language: str, inside: set[int]) -> None:
        self.t = t
        triggers = data.triggers(language)
        self.roles: dict[str, list[tuple[int, int]]] = {}
        for role in ("negation", "negation_after", "history", "history_after", "family", "end"):
            table = {phrase: role for phrase in getattr(triggers, role)}
            self.roles[role] = [(i, j) for i, j, _ in t.find(table) if i not in inside]
        treatments = {tuple(normalise(w).split()): kind for kind, ws in data.rules()["treatments"].items() for w in ws}
        self.mentions = inside | {k for i, j, _ in t.find(treatments) for k in range(i, j)}
        self._starts = {role: [start for start, _ in found] for role, found in self.roles.items()}
        self._ends = {role: [end for _, end in found] for role, found in self.roles.items()}
        self._end_starts = [start for start, _ in self.roles["end"]]
        self.window = int(data.rules()["condition_window"])
        self.after = int(data.rules()["after_window"])

    def before(self, role: str, i: int, window: int | None = None) -> bool:
        """A trigger of `role` ends within `window` words before token i, in its sentence, with no scope end
        between."""
        window = self.window if window is None else window
        sentence = self.t.tokens[i].sentence
        triggers = self.roles[role]
        ends = self._ends[role]
        # Triggers are in text order and do not overlap, so their ends are sorted: look only at those in reach.
        for start, end in triggers[bisect.bisect_left(ends, i - window) : bisect.bisect_right(ends, i)]:
            if self.t.tokens[start].sentence == sentence:
                # The first scope end starting at or after the trigger must end after i.
                k = bisect.bisect_left(self._end_starts, end)
                if k == len(self._end_starts) or self.roles["end"][k][1] > i:
                    return True
        return False

    def after_(self, role: str, j: int) -> bool:
        """A trigger of `role` starts within `after_window` words after token j (exclusive end of a mention)."""
        if j == 0 or j > len(self.t.tokens):
            return False
        sentence = self.t.tokens[j - 1].sentence
        starts = self._starts[role]
        return any(
            self.t.tokens[start].sentence == sentence
            for start in starts[bisect.bisect_left(starts, j) : bisect.bisect_right(starts, j + self.after)]
        )

    def history_after(self, j: int) -> bool:
        """A `history_after` trigger closes the mention's clause (Dutch "ik heb borstkanker (in 2015) gehad"): up to
        `history_after_window` words after it, no comma or other mention between ("longkanker en chemo gehad" is
        about the chemo)."""
        if j == 0 or j > len(self.t.tokens):
            return False
        window = int(data.rules()["history_after_window"])
        starts = self._starts["history_after"]
        for start in starts[bisect.bisect_left(starts, j) : bisect.bisect_right(starts, j + window)]:
            gap = self.t.text[self.t.tokens[j - 1].end : self.t.tokens[start].start]
            if self.t.tokens[start].sentence == self.t.tokens[j - 1].sentence and "," not in gap:
                if not any(k in self.mentions for k in range(j, start)):
                    return True
        return False

    def negated(self, i: int, j: int) -> bool:
        return self.before("negation", i) or self.after_("negation_after", j)


# --- age and sex ---------------------------------------------------------------------------------------------


def _age(t: _Text, today: date | None) -> tuple[Age | None, Sex | None]:
    found: list[tuple[int, Age, Sex | None]] = []
    for key in ("age", "age_sex_cased"):
        for pattern in data.compiled(key):
            for m in pattern.finditer(t.text):
                years = int(m.group("n"))
                if not 0 < years <= 120:
                    continue
                sex = None
                if "sex" in pattern.groupindex and m.group("sex"):
                    sex = Sex("female" if m.group("sex") == "F" else "male", m.span(), m.group())
                found.append((m.start(), Age(float(years), m.span(), m.group()), sex))
    for pattern in data.compiled("birth"):
        for m in pattern.finditer(t.text):
            born = _date(m.group("year"), m.group("month"), m.group("day"))
            if born is None or (today is not None and born > today):
                continue
            years = None
            if today is not None:
                years = float(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))
            found.append((m.start(), Age(years, m.span(), m.group(), birth_date=born), None))
    if today is not None:
        for pattern in data.compiled("birth_year"):
            for m in pattern.finditer(t.text):
                year = int(m.group("year"))
                if year <= today.year and not any(a.span[0] <= m.start() < a.span[1] for _, a, _ in found):
                    # The day is not known: counted as born mid-year, the likeliest age on `today`.
                    years = float(today.year - year - ((today.month, today.day) < (7, 2)))
                    found.append((m.start(), Age(max(years, 0.0), m.span(), m.group()), None))
    # An age said of someone else ("my husband is 60", "her mother, aged 45") is not the person's.
    found = [item for item in found if not _someone_else(t, t.token_at(item[0]))]
    if not found:
        return None, None
    found.sort(key=lambda item: item[0])
    return found[0][1], next((sex for _, _, sex in found if sex is not None), None)


def _date(year: str, month: str, day: str) -> date | None:
    try:
        number = int(month) if month.isdigit() else data.rules()["months"].get(month.lower().rstrip("."))
        return date(int(year), int(number), int(day)) if number else None
    except (TypeError, ValueError):
        return None


def _others(t: _Text) -> list[int]:
    """Tokens naming someone other than the person: "husband", "mother", and a sex word after a possessive
    ("mijn man", "my wife's", "zijn vrouw")."""
    possessives = {normalise(w) for w in data.rules()["possessives"]}
    others = [i for i, _, _ in t.find(data.phrases("other_people"))]
    others += [i for i, _, _ in t.find(data.phrases("sex")) if i > 0 and t.norms[i - 1] in possessives]
    return sorted(others)


def _someone_else(t: _Text, i: int) -> bool:
    """Token i is said of another person: one is named up to `other_people_window` words before it in the same
    sentence, and the person ("I", "ik") does not come between ("my husband is a 60 year old man", not "my
    husband and I: I am 58")."""
    if i >= len(t.tokens):
        return False
    window = int(data.rules()["other_people_window"])
    first_person = data.phrases("first_person")
    sentence = t.tokens[i].sentence
    for k in _others(t):
        if 0 < i - k <= window and t.tokens[k].sentence == sentence:
            if not any((t.norms[b],) in first_person for b in range(k + 1, i)):
                return True
    return False


def _sex(t: _Text) -> Sex | None:
    words = data.phrases("sex")
    found = t.find(words)
    others = _others(t)
    for i, j, sex in found:
        # Not a word about someone else: "her husband, a retired man", "mijn man" (my husband).
        if i in others or _someone_else(t, i):
            continue
        start, end = t.span(i, j)
        return Sex(sex, (start, end), t.text[start:end])
    # Pronouns only: those about the patient, not in a sentence after another person is named.
    votes: dict[str, list[int]] = {}
    for i, _, sex in t.find(data.phrases("sex_pronouns")):
        if any(k < i and t.tokens[k].sentence == t.tokens[i].sentence for k in others):
            continue
        votes.setdefault(sex, []).append(i)
    if len(votes) == 1 or (len(votes) == 2 and len(votes["female"]) != len(votes["male"])):
        sex = max(votes, key=lambda s: len(votes[s]))
        i = votes[sex][0]
        return Sex(sex, t.span(i, i + 1), t.tokens[i].word, explicit=False)
    return None


# --- conditions and drugs through the vocabulary -------------------------------------------------------------


def _matches(t: _Text, vocabulary: Vocabulary, language: str) -> list[tuple[int, int, Span]]:
    """The vocabulary's matches, sentence by sentence, as token ranges of the whole text."""
    out = []
    for first, last in t.sentences():
        for span in vocabulary.match([tok.word for tok in t.tokens[first:last]], language=language):
            out.append((first + span.start, first + span.end, span))
    return out


def _concepts(
    t: _Text,
    matches: Sequence[tuple[int, int, Span]],
    vocabulary: Vocabulary,
    context: _Context,
    taken: Sequence[tuple[int, int]],
) -> tuple[list[Condition], list[Treatment]]:
    not_drugs = {vocabulary.by_name(name) for name in data.rules()["not_drugs"]} - {None}
    conditions: list[Condition] = []
    drugs: list[Treatment] = []
    matches = _with_sites(t, matches, vocabulary)
    for i, j, span in matches:
        start, end = t.span(i, j)
        if any(s <= start and end <= e for s, e in taken):
            continue
        descriptor = vocabulary.descriptor(span.concepts[0])
        name = descriptor.name if descriptor else span.concepts[0]
        if span.kind in ("condition", "abbreviation"):
            family = context.before("family", i, window=context.window + 4)
            conditions.append(
                Condition(
                    span.concepts,
                    name,
                    (start, end),
                    t.text[start:end],
                    negated=context.negated(i, j),
                    history=context.before("history", i) or context.history_after(j),
                    family=family,
                )
            )
        elif span.kind == "intervention" and not set(span.concepts) & not_drugs:
            drugs.append(
                Treatment("drug", (start, end), t.text[start:end], span.concepts, name, negated=context.negated(i, j))
            )
    return conditions, drugs


# Words that may stand between a tumour and the organ it is in: "malignant tumour of the colon".
_SITE_JOINERS = frozenset({"of", "in", "the", "his", "her", "their", "my", "left", "right"})


def _with_sites(t: _Text, matches: Sequence[tuple[int, int, Span]], vocabulary: Vocabulary):
    """A tumour named without its organ's descriptor ("malignant tumor of colon", "a tumour in his pancreas", a
    SNOMED display) read as the organ's neoplasm (Colonic Neoplasms) when the vocabulary has one for the organ's
    name and "cancer": the matches with such pairs merged, the rest as they were."""
    generic = vocabulary.by_name("Neoplasms")
    out: list[tuple[int, int, Span]] = []
    skip = -1
    for k, (i, j, span) in enumerate(matches):
        if k == skip:
            continue
        following = matches[k + 1] if k + 1 < len(matches) else None
        if span.concepts == (generic,) and following is not None and following[2].kind == "body":
            between = [tok.word.casefold() for tok in t.tokens[j : following[0]]]
            if len(between) <= 3 and all(word in _SITE_JOINERS for word in between):
                organ = [tok.word for tok in t.tokens[following[0] : following[1]]]
                site = vocabulary.match([*organ, "cancer"])
                if len(site) == 1 and site[0].kind == "condition" and (site[0].start, site[0].end) == (0, len(organ) + 1):
                    out.append((i, following[1], replace(site[0], start=i, end=following[1])))
                    skip = k + 1
                    continue
        out.append((i, j, span))
    return out


# --- metastases and stage ------------------------------------------------------------------------------------


def _metastases(t: _Text, context: _Context, language: str) -> list[Metastasis]:
    rules = data.rules()
    words = data.phrases("metastasis_words")
    needs_site = {tuple(normalise(w).split()) for w in rules["metastasis_needs_site"]}
    subjects = {normalise(w) for w in rules["metastasis_subjects"]}
    subject: dict[int, int] = {}  # sentence -> its first token naming the disease ("it", "cancer")
    for k, norm in enumerate(t.norms):
        if norm in subjects:
            subject.setdefault(t.tokens[k].sentence, k)
    sites = {tuple(normalise(w).split()): site for site, ws in rules["sites"].items() for w in ws}
    if language == "nl":
        sites.update({tuple(normalise(w).split()): site for site, ws in rules["sites_nl"].items() for w in ws})
    site_hits = t.find(sites)
    window = int(rules["metastasis_window"])
    # "liver and bone metastases", "metastases to the liver": a site joined to the word; not the primary tumour
    # of "metastatic lung cancer" (a site after the word with no link word between).
    before = {normalise(w) for w in rules["metastasis_links_before"]}
    after = {normalise(w) for w in rules["metastasis_links_after"]}
    site_tokens = {k for si, sj, _ in site_hits for k in range(si, sj)}
    out: list[Metastasis] = []
    for i, j, _ in t.find(words):
        sentence = t.tokens[i].sentence
        near = [
            (si, sj, site)
            for si, sj, site in site_hits
            if t.tokens[si].sentence == sentence
            and (
                (0 <= i - sj <= window and all(t.norms[k] in before or k in site_tokens for k in range(sj, i)))
                or (0 < si - j <= window and all(t.norms[k] in after or k in site_tokens for k in range(j, si)))
            )
        ]
        # Sites before the word count only when adjacent or listed up to it ("liver and bone metastases"); a
        # word such as "spread" says metastases only with a site, or denied of the disease ("it has not spread",
        # not "the rash did not spread").
        if not near and tuple(t.norms[i:j]) in needs_site:
            if not (subject.get(sentence, i) < i and context.negated(i, j)):
                continue
        negated = context.negated(i, j) or any(context.negated(si, sj) for si, sj, _ in near if si < i)
        for si, sj, site in near or [(i, j, "any")]:
            a, b = min(i, si), max(j, sj)
            start, end = t.span(a, b)
            out.append(Metastasis(site, (start, end), t.text[start:end], negated=negated))
    seen: set[str] = set()
    unique = []
    for m in out:
        if (m.site, m.span) not in seen:  # type: ignore[comparison-overlap]
            seen.add((m.site, m.span))  # type: ignore[arg-type]
            unique.append(m)
    return unique


def _stages(t: _Text) -> list[Stage]:
    out = []
    numbers = data.rules()["numbers"]
    for m in (m for p in data.compiled("stage") for m in p.finditer(t.text)):
        n = m.group("n")
        n = str(numbers.get(n.lower(), n))  # "stage four": 4
        out.append(Stage((n + (m.group("sub") or "")).upper(), m.span(), m.group()))
    for m in (m for p in data.compiled("tnm_cased") for m in p.finditer(t.text)):
        out.append(Stage(m.group().replace(" ", ""), m.span(), m.group()))
    return sorted(out, key=lambda s: s.span)


# --- labs, performance, biomarkers ---------------------------------------------------------------------------

_FILLER = re.compile(
    r"(?:\s*(?:\((?:[A-Za-z]{1,6})\)|levels?|counts?|of|was|were|is|are|value|at|serum|blood|measured|:|=|-|,))*\s*",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?P<v>\d{1,3}(?:,\d{3})+(?![\d.])|\d+(?:[.,]\d+)?)")


def _number(written: str) -> float:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+", written):
        return float(written.replace(",", ""))
    return float(written.replace(",", "."))


def _labs(t: _Text, language: str) -> list[Lab]:
    hits = []
    for rule in data.lab_rules():
        for pattern in rule.names:
            for m in pattern.finditer(t.text):
                hits.append((m.start(), -(m.end() - m.start()), m.end(), rule))
    hits.sort(key=lambda h: (h[0], h[1]))
    out: list[Lab] = []
    last_end = -1
    for start, _, name_end, rule in hits:
        if start < last_end:
            continue
        filler = _FILLER.match(t.text, name_end)
        at = filler.end() if filler else name_end
        number = _NUMBER.match(t.text, at)
        if number is None or at - name_end > 25:
            continue
        value = _number(number.group("v"))
        end = number.end()
        unit_match = rule.units.match(t.text, end)
        unit: str | None = None
        if unit_match:
            written = unit_match.group().strip()
            unit = normalise_unit(written) or written
            if written.lower() == "mmol" and rule.analyte == "hemoglobin":
                unit = "mmol/L"
            end = unit_match.end()
        elif language == "en" and rule.plausible[0] <= value <= rule.plausible[1]:
            unit = normalise_unit(rule.default_unit) or rule.default_unit
        out.append(Lab(rule.analyte, value, unit, (start, end), t.text[start:end]))
        last_end = end
    for pattern in data.compiled("blood_pressure"):
        for m in pattern.finditer(t.text):
            if any(m.start() < lab.span[1] and lab.span[0] < m.end() for lab in out):
                continue
            for analyte in ("systolic_bp", "diastolic_bp"):
                out.append(Lab(analyte, float(m.group(analyte.split("_")[0])), "mmHg", m.span(), m.group()))
    return sorted(out, key=lambda lab: lab.span)


def _performance(t: _Text) -> list[Performance]:
    out: list[Performance] = []
    for scale, pattern in data.rules()["performance"]:
        for m in re.finditer(pattern, t.text, re.IGNORECASE):
            value = int(m.group("n"))
            if scale == "KARNOFSKY" and (value > 100 or value % 10):
                continue
            if any(m.start() < p.span[1] and p.span[0] < m.end() for p in out):
                continue
            out.append(Performance(scale, value, m.span(), m.group()))
    return sorted(out, key=lambda p: p.span)


def _squash(word: str) -> str:
    return re.sub(r"[\s-]+", " ", word.lower()).strip()


def _biomarkers(t: _Text, context: _Context) -> list[Biomarker]:
    rules = data.rules()
    statuses: dict[str, str] = rules["statuses"]
    by_words = {_squash(w): status for w, status in statuses.items()}
    words = sorted((w for w in statuses if w not in "+-0"), key=len, reverse=True)
    status_re = re.compile(
        r"(?<![\w])(" + "|".join(re.escape(w).replace(r"\ ", r"[\s-]+") for w in words) + r")(?![\w])", re.IGNORECASE
    )
    out: list[Biomarker] = []
    taken: dict[str, list[tuple[int, int]]] = {}
    hits = []
    for rule in data.marker_rules():
        for pattern in rule.names:
            for m in pattern.finditer(t.text):
                hits.append((m.start(), -(m.end() - m.start()), m.end(), rule))
    hits.sort(key=lambda h: (h[0], h[1]))
    for start, _, end, rule in hits:
        spans = taken.setdefault(rule.marker, [])
        if any(start < e and s < end for s, e in spans):
            continue
        status = rule.implied
        stop = end
        if status is None:
            attached = re.match(r"(\s?[+-]|\s?3\+|\s?\(\s?[+-]\s?\))(?=$|[\s/,;.)])", t.text[end:])
            if attached:
                status = "positive" if "+" in attached.group() else "negative"
                stop = end + attached.end()
            else:
                tail = t.text[end : end + 40]
                cut = _BOUNDARY.search(tail)
                tail = tail[: cut.start()] if cut else tail
                tail = tail.split(",")[0]
                percent = re.match(
                    r"[\s:]*(?:(?:tps|cps|expression|of|at|=)\s*)*(<|≥|>=|>)?\s*(\d+)\s*%", tail, re.IGNORECASE
                )
                m = status_re.search(tail)
                if percent and rule.marker == "pdl1":  # a tumour proportion score: positive from 1%
                    below = percent.group(1) == "<"
                    status = "negative" if below or int(percent.group(2)) < 1 else "positive"
                    stop = end + percent.end()
                elif m and len(tail[: m.start()].split()) <= int(rules["biomarker_window"]):
                    status = by_words.get(_squash(m.group(1)))
                    stop = end + m.end()
        if status is None:
            continue
        i = t.token_at(start)
        if i < len(t.tokens) and context.before("negation", i, window=2):
            status = {"mutated": "wild-type", "positive": "negative", "high": "stable", "deficient": "proficient"}.get(
                status, status
            )
        spans.append((start, stop))
        out.append(Biomarker(rule.marker, status, (start, stop), t.text[start:stop]))
    return sorted(out, key=lambda b: b.span)


# --- pregnancy and treatments --------------------------------------------------------------------------------


def _pregnancy(t: _Text, context: _Context) -> list[Pregnancy]:
    rows = data.rules()["pregnancy"]
    table = {tuple(normalise(phrase).split()): str(index) for index, (phrase, _, _) in enumerate(rows)}
    negative = {normalise(w) for w in data.rules()["pregnancy_negative"]}
    out = []
    for i, j, index in t.find(table):
        _, what, value = rows[int(index)]
        sentence = t.tokens[i].sentence
        near = [k for k in range(max(0, i - 3), min(len(t.tokens), j + 3)) if not i <= k < j]
        negated = context.negated(i, j) or any(
            t.norms[k] in negative and t.tokens[k].sentence == sentence for k in near
        )
        if value is None:
            if not negated:
                continue
            value = False
        elif negated:
            if not value:
                continue  # "not past menopause" does not say pregnant
            value = False
        start, end = t.span(i, j)
        out.append(Pregnancy(what, bool(value), (start, end), t.text[start:end]))
    return out


def _treatments(t: _Text, context: _Context) -> list[Treatment]:
    rules = data.rules()
    kinds: dict[tuple[str, ...], list[str]] = {}
    for kind, words in rules["treatments"].items():
        for w in words:
            kinds.setdefault(tuple(normalise(w).split()), []).append(kind)
    table = {phrase: "|".join(k) for phrase, k in kinds.items()}
    naive = {tuple(normalise(w).split()) for w in rules["naive"]}
    out: list[Treatment] = []
    for i, j, found in t.find(table):
        start, end = t.span(i, j)
        negated = context.negated(i, j) or any(tuple(t.norms[j : j + len(n)]) == n for n in naive)
        for kind in found.split("|"):
            out.append(Treatment(kind, (start, end), t.text[start:end], negated=negated))
    numbers = rules["numbers"]
    ordinals = set(rules["ordinals"])
    for pattern in data.compiled("lines"):
        for m in pattern.finditer(t.text):
            n = m.group("n").lower()
            count = int(n) if n.isdigit() else numbers.get(n)
            if count is None:
                continue
            # "second-line" is one prior line; "two prior lines" are two.
            prior = count - 1 if n in ordinals else count
            out.append(Treatment("systemic", m.span(), m.group(), lines=prior))
    return out
