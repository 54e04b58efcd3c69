"""The optional language-model generator: any OpenAI-compatible chat-completions endpoint an operator runs.

The prompt gives the model the record's fields, each under its name, and asks for short sentences in the page's
language, each naming the fields it used, as JSON. What comes back is checked before anyone sees it
(`check_output`): no number, drug or condition that the record does not contain, every sentence with a source
among the fields given, and a length limit. Anything wrong (an HTTP error, a time-out, malformed JSON, a failed
check) raises `ModelError`; `trialfinder.overview.generate_overview` then falls back to the built-in generator.

Nothing of the exchange is logged: the caller logs the NCT id and the kind of failure.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from trialfinder.domain.overview import LANGUAGE_MODEL, SECTION_HEADINGS, SECTION_KEYS, Overview, Section, Sentence
from trialfinder.domain.trial import Trial
from trialfinder.overview import builtin
from trialfinder.overview.lexicon import Lexicon, default_lexicon

if TYPE_CHECKING:
    import httpx

MAX_WORDS = 400
MAX_SENTENCE_WORDS = 40
FIELD_CHARS = 3000  # a field longer than this is cut in the prompt (criteria can run to pages)

_LANGUAGE_NAMES = {"en": "English", "nl": "Dutch (Nederlands), addressing the reader as 'u'"}

# Endings of international non-proprietary names (WHO INN stems): a word ending so is taken for a drug.
_DRUG_STEM = re.compile(
    r"\b\w{2,}(?:mab|nib|platin|taxel|rubicin|mycin|micin|cillin|vir|vudine|azole|statin|pril|sartan|olol|parin|"
    r"fosfamide|trexate|tecan|poside|gliptin|gliflozin|semide|prazole|oxetine|triptan|zepam|zolam|barbital|"
    r"citabine|uridine|uracil|dronate|lukast|cycline|floxacin|profen|sone|lone|tide|limus|parib|ciclib|lisib)\b",
    re.IGNORECASE,
)
# Endings of disease names, in English and Dutch spelling: -oma (-oom), -itis, -emia (-emie), -osis (-ose), -pathy
# (-pathie), and Dutch compounds of kanker.
_CONDITION_STEM = re.compile(
    r"\b\w{3,}(?:omas?|oom|itis|emia|aemia|emie|osis|oses|pathy|pathie|kanker|cancers?)\b", re.IGNORECASE
)
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*")


class ModelError(Exception):
    """The model's answer cannot be used; the message says why in one line (never the answer itself)."""


@dataclass(frozen=True)
class ModelEndpoint:
    """Where the operator's model answers: the API's base URL (`http://127.0.0.1:8080/v1`) or its full
    chat-completions URL, the model's name, an optional API key, and how long to wait for an answer."""

    url: str
    model: str
    api_key: str | None = None
    timeout: float = 30.0

    @property
    def completions_url(self) -> str:
        url = self.url.rstrip("/")
        return url if url.endswith("/chat/completions") else f"{url}/chat/completions"


@dataclass(frozen=True, slots=True)
class OutputCheck:
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


class ChatClient:
    """Asks an OpenAI-compatible endpoint for one chat completion; the transport is injectable for tests."""

    def __init__(self, endpoint: ModelEndpoint, *, transport: httpx.BaseTransport | None = None):
        import httpx  # here, not at the top: every command that writes overviews would pay for it at start

        self.endpoint = endpoint
        headers = {"Content-Type": "application/json"}
        if endpoint.api_key:
            headers["Authorization"] = f"Bearer {endpoint.api_key}"
        self._client = httpx.Client(timeout=httpx.Timeout(endpoint.timeout), headers=headers, transport=transport)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ChatClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def complete(self, messages: list[dict[str, str]]) -> str:
        import httpx

        body = {"model": self.endpoint.model, "messages": messages, "temperature": 0}
        try:
            response = self._client.post(self.endpoint.completions_url, json=body)
        except httpx.TimeoutException:
            raise ModelError(f"no answer within {self.endpoint.timeout:g} s") from None
        except httpx.HTTPError as error:
            raise ModelError(f"request failed: {type(error).__name__}") from None
        if response.status_code != 200:
            raise ModelError(f"the endpoint answered HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError):
            raise ModelError("the answer is not a chat completion") from None
        if not isinstance(content, str) or not content.strip():
            raise ModelError("the answer is empty")
        return content


class LanguageModelGenerator:
    """Writes an overview with the operator's model, checked against the record."""

    def __init__(self, client: ChatClient, *, lexicon: Lexicon | None = None):
        self.client = client
        self.lexicon = lexicon or default_lexicon()

    @property
    def name(self) -> str:
        return self.client.endpoint.model

    def generate(self, trial: Trial, *, language: str, record_version: str) -> Overview:
        fields = record_fields(trial)
        content = self.client.complete(build_prompt(trial, language, fields))
        sections = parse_answer(content, language, fields)
        text = " ".join(sentence.text for section in sections for sentence in section.sentences)
        check = check_output(text, trial, lexicon=self.lexicon)
        if not check.ok:
            raise ModelError("the answer failed its check: " + "; ".join(check.problems))
        return Overview(
            nct_id=trial.nct_id,
            language=language,
            generator=LANGUAGE_MODEL,
            generator_version=self.name,
            record_version=record_version,
            sections=sections,
            registry_url=trial.registry_url,
        )


def record_fields(trial: Trial) -> dict[str, str]:
    """The record as named text fields: what the prompt shows and what sentences may cite."""
    fields: dict[str, str] = {"brief_title": trial.brief_title}
    if trial.conditions:
        fields["conditions"] = "; ".join(trial.conditions)
    if trial.keywords:
        fields["keywords"] = "; ".join(trial.keywords)
    if trial.brief_summary:
        fields["brief_summary"] = trial.brief_summary
    if trial.detailed_description:
        fields["detailed_description"] = trial.detailed_description
    if trial.study_type:
        fields["study_type"] = trial.study_type.value
    if trial.primary_purpose:
        fields["primary_purpose"] = trial.primary_purpose
    if trial.phases:
        fields["phases"] = ", ".join(phase.value for phase in trial.phases)
    if trial.allocation:
        fields["allocation"] = trial.allocation
    if trial.masking:
        fields["masking"] = trial.masking
    if trial.enrollment:
        fields["enrollment"] = f"{trial.enrollment.count} ({(trial.enrollment.type or '').lower()})".replace(" ()", "")
    for index, arm in enumerate(trial.arms):
        fields[f"arms[{index}]"] = " | ".join(
            filter(None, (arm.label, arm.type, arm.description, "; ".join(arm.intervention_names)))
        )
    for index, item in enumerate(trial.interventions):
        fields[f"interventions[{index}]"] = " | ".join(filter(None, (item.type, item.name, item.description)))
    for index, outcome in enumerate(trial.primary_outcomes):
        fields[f"primary_outcomes[{index}]"] = " | ".join(filter(None, (outcome.measure, outcome.time_frame)))
    eligibility = trial.eligibility
    ages = eligibility.ages
    fields["eligibility.ages"] = f"minimum {ages.minimum or 'none'}, maximum {ages.maximum or 'none'}"
    fields["eligibility.sex"] = eligibility.sex.value
    if eligibility.healthy_volunteers is not None:
        fields["eligibility.healthy_volunteers"] = "accepted" if eligibility.healthy_volunteers else "not accepted"
    if eligibility.criteria:
        fields["eligibility.criteria"] = eligibility.criteria
    fields["overall_status"] = trial.overall_status.value
    if trial.start_date:
        fields["start_date"] = trial.start_date.isoformat()
    if trial.completion_date:
        fields["completion_date"] = trial.completion_date.isoformat()
    if trial.sites:
        places = sorted({", ".join(filter(None, (site.city, site.country))) for site in trial.sites})
        fields["sites"] = f"{len(trial.sites)} sites: " + "; ".join(places[:30])
    if trial.lead_sponsor:
        fields["lead_sponsor"] = trial.lead_sponsor.name
    return {name: value[:FIELD_CHARS] for name, value in fields.items()}


def build_prompt(trial: Trial, language: str, fields: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Chat messages asking for a plain-language overview grounded in the record's fields only."""
    fields = fields or record_fields(trial)
    sections = ", ".join(f'"{key}" ({SECTION_HEADINGS[key]["en"]})' for key in SECTION_KEYS)
    system = (
        "You explain clinical trials to patients in plain language, at a reading level a 13-year-old can follow. "
        f"Write in {_LANGUAGE_NAMES[language]}. Use short sentences of at most 15 words, one idea each. "
        "Use only facts from the record you are given: no number, drug, disease or place that is not in it, no "
        "advice, no promises of benefit. Explain medical words in everyday words. "
        f'Answer with one JSON object only: {{"sections": [{{"key": ..., "sentences": [{{"text": ..., '
        f'"sources": [field names]}}]}}]}}, with the sections {sections}, in that order. Each sentence lists '
        "the names of the record fields it is based on, exactly as they are written in the record."
    )
    record = "\n".join(f"[{name}] {value}" for name, value in fields.items())
    user = f"The registry record of {trial.nct_id}, one field per line, each after its name in brackets:\n\n{record}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def parse_answer(content: str, language: str, fields: dict[str, str]) -> tuple[Section, ...]:
    """The model's JSON answer as sections; raises ModelError when it is not the shape asked for."""
    start, end = content.find("{"), content.rfind("}")
    if start < 0 or end <= start:
        raise ModelError("the answer holds no JSON object")
    try:
        data = json.loads(content[start : end + 1])
    except ValueError:
        raise ModelError("the answer's JSON cannot be read") from None
    if not isinstance(data, dict) or not isinstance(data.get("sections"), list):
        raise ModelError("the answer has no sections")
    known = set(fields)
    by_key: dict[str, list[Sentence]] = {}
    for section in data["sections"]:
        if not isinstance(section, dict) or section.get("key") not in SECTION_KEYS:
            raise ModelError("a section has an unknown key")
        for item in section.get("sentences") or []:
            if not isinstance(item, dict) or not isinstance(item.get("text"), str) or not item["text"].strip():
                raise ModelError("a sentence has no text")
            sources = item.get("sources")
            if not isinstance(sources, list) or not sources:
                raise ModelError("a sentence names no source field")
            cited = tuple(_field_name(str(source)) for source in sources)
            if any(name not in known for name in cited):
                raise ModelError("a sentence cites a field the record does not have")
            by_key.setdefault(section["key"], []).append(Sentence(" ".join(item["text"].split()), cited))
    if not by_key:
        raise ModelError("the answer has no sentences")
    return tuple(
        Section(key, SECTION_HEADINGS[key][language], tuple(by_key[key])) for key in SECTION_KEYS if key in by_key
    )


def _field_name(source: str) -> str:
    """A cited field as the prompt names it; a model may copy the brackets around it too ("[conditions]")."""
    name = source.strip()
    if name.startswith("[") and name.endswith("]") and name.count("[") == 1:
        name = name[1:-1].strip()
    return name


def _numbers(text: str) -> set[str]:
    """Numbers as written in either language, normalised: 1,200 and 1.200 are 1200; 5,5 and 5.5 are 5.5."""
    found = set()
    for raw in _NUMBER.findall(text):
        value = re.sub(r"(?<=\d)[.,](?=\d{3}(?:\D|$))", "", raw).replace(",", ".")
        found.add(value.lstrip("0") or "0")
    return found


@lru_cache(maxsize=1)
def _lay_condition_words() -> re.Pattern[str]:
    """Every lay word of a condition in the lexicon, in both languages ('borstkanker', 'high blood pressure')."""
    phrases = {
        text.lower()
        for term in default_lexicon().terms
        if term.kind == "condition"
        for text in (*term.lay.values(), *term.lay_plural.values())
        if text and len(text) > 3
    }
    ordered = sorted(phrases, key=len, reverse=True)
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, ordered)) + r")(?![\w-])", re.IGNORECASE)


def grounding_text(trial: Trial, lexicon: Lexicon | None = None) -> str:
    """Everything an overview may say about `trial`, lower-cased: the record's text, that text in lay words of
    both languages, and the built-in overviews (whose counts and durations are worked out from the record)."""
    lexicon = lexicon or default_lexicon()
    text = "\n".join(record_fields(trial).values())
    text += "\n" + "\n".join(
        part for part in (*trial.conditions, *(m.term for m in trial.mesh_terms), *trial.keywords) if part
    )
    parts = [text, lexicon.apply(text, "en"), lexicon.apply(text, "nl")]
    for language in ("en", "nl"):
        parts.append(builtin.generate(trial, language=language, record_version="", lexicon=lexicon).text)
    return "\n".join(parts).lower()


def _mentions(grounding: str, phrase: str) -> bool:
    """`phrase` is in the (lower-cased) grounding text as whole words: "melanoma" is not in "nonmelanomatous"."""
    words = r"[\s-]+".join(map(re.escape, phrase.lower().split()))
    return re.search(rf"(?<![\w]){words}(?![\w])", grounding) is not None


def check_output(text: str, trial: Trial, *, lexicon: Lexicon | None = None, max_words: int = MAX_WORDS) -> OutputCheck:
    """Problems that keep a model's overview from being shown: an empty or overlong text, an overlong sentence,
    and any number, drug name or condition that is not in the record (in its words or their lay terms)."""
    lexicon = lexicon or default_lexicon()
    problems: list[str] = []
    words = text.split()
    if not words:
        return OutputCheck(("the text is empty",))
    if len(words) > max_words:
        problems.append(f"{len(words)} words, more than {max_words}")
    longest = max((len(s.split()) for s in re.split(r"(?<=[.!?])\s+", text)), default=0)
    if longest > MAX_SENTENCE_WORDS:
        problems.append(f"a sentence of {longest} words")
    grounding = grounding_text(trial, lexicon)
    invented = sorted(_numbers(text) - _numbers(grounding), key=lambda n: (len(n), n))
    if invented:
        problems.append("numbers not in the record: " + ", ".join(invented[:5]))
    unknown_drugs: set[str] = set()
    unknown_conditions: set[str] = set()
    for match in lexicon.find(text):
        if match.term.kind in ("drug", "condition") and not _mentions(grounding, match.text):
            (unknown_drugs if match.term.kind == "drug" else unknown_conditions).add(match.text.lower())
    for word in _DRUG_STEM.findall(text):
        if not _mentions(grounding, word):
            unknown_drugs.add(word.lower())
    for phrase in _lay_condition_words().findall(text):
        if not _mentions(grounding, phrase):
            unknown_conditions.add(phrase.lower())
    for word in _CONDITION_STEM.findall(text):
        if not _mentions(grounding, word):
            unknown_conditions.add(word.lower())
    if unknown_drugs:
        problems.append("drugs not in the record: " + ", ".join(sorted(unknown_drugs)[:5]))
    if unknown_conditions:
        problems.append("conditions not in the record: " + ", ".join(sorted(unknown_conditions)[:5]))
    return OutputCheck(tuple(problems))


def endpoint_from_settings(settings: object) -> ModelEndpoint | None:
    """The operator's model from `Settings` (its overview_model_* fields), or None when none is set."""
    url = getattr(settings, "overview_model_url", None)
    name = getattr(settings, "overview_model_name", None)
    if not url or not name:
        return None
    return ModelEndpoint(
        url=url,
        model=name,
        api_key=getattr(settings, "overview_model_api_key", None),
        timeout=float(getattr(settings, "overview_model_timeout", 30)),
    )
