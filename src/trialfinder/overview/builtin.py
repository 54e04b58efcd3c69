"""The built-in overview generator: offline, deterministic, English and Dutch.

It writes its own short sentences from the record's structured fields (conditions, purpose, phase, arms,
interventions, ages, sex, dates, sites), puts the record's words into them through the lay-terms lexicon, and
says the common eligibility criteria in plain words (`data/plain_criteria.json`). In English it may also quote a
sentence or two of the registry's summary, with lay terms, when they are short and plain already. Every sentence
names the fields it came from. Nothing depends on the clock or on chance: the same record gives the same text.

Sentences are kept short on purpose (one idea each): the goal is a reading grade of 8 or lower.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from trialfinder.domain.overview import BUILTIN, SECTION_HEADINGS, Overview, Section, Sentence
from trialfinder.domain.trial import Arm, Phase, RecruitmentStatus, Sex, Site, StudyType, Trial
from trialfinder.domain.values import Age
from trialfinder.overview.decisive import Decisive, decisive_conditions
from trialfinder.overview.lexicon import Lexicon, default_lexicon
from trialfinder.overview.places import country_name, date_text
from trialfinder.overview.readability import flesch_kincaid_grade

# Bump when the rules below change, so that stored overviews are written again.
RULES_VERSION = "3"

MAX_CONDITIONS = 3
MAX_ARMS = 4
MAX_ITEMS = 4
MAX_CRITERIA = 4
MAX_COUNTRIES = 5
MAX_SUMMARY_SENTENCES = 2
# A registry sentence is quoted only if it is at most this long and reads at this grade or lower: the level
# the overview as a whole aims for.
QUOTE_MAX_WORDS = 20
QUOTE_MAX_GRADE = 8.0

_T: dict[str, dict[str, str]] = {
    "en": {
        "about": "This study is about {what}.",
        "observational": "It is an observational study: researchers watch and measure, but do not choose your treatment.",
        "aim": "The aim is {aim}.",
        "phase": "This is a phase {phase} study: it {clause}.",
        "outcome": "The main thing the researchers measure is {measure}.",
        "ages_min": "You can join if you are {minimum} or older.",
        "ages_max": "You can join if you are {maximum} or younger.",
        "ages_both": "You can join if you are between {minimum} and {maximum}.",
        "ages_none": "There is no age limit.",
        "sex_all": "Both men and women can join.",
        "sex_female": "Only women can join.",
        "sex_male": "Only men can join.",
        "healthy_yes": "Healthy volunteers can also join.",
        "healthy_no": "Healthy volunteers cannot join.",
        "all_criteria": "The registry record lists all the rules for who can join.",
        "ages_min_closed": "People who could take part had to be {minimum} or older.",
        "ages_max_closed": "People who could take part had to be {maximum} or younger.",
        "ages_both_closed": "People who could take part had to be between {minimum} and {maximum}.",
        "ages_none_closed": "There was no age limit.",
        "sex_all_closed": "Both men and women could take part.",
        "sex_female_closed": "Only women could take part.",
        "sex_male_closed": "Only men could take part.",
        "healthy_yes_closed": "Healthy volunteers could also take part.",
        "healthy_no_closed": "Healthy volunteers could not take part.",
        "all_criteria_closed": "The registry record lists all the rules for who could take part.",
        "no_longer": "It is no longer looking for participants.",
        "maybe_no_longer": "It may no longer be looking for participants.",
        "not_now": "It is not looking for participants now.",
        "enrolment_estimated": "The study plans to include about {count} people.",
        "enrolment_actual": "The number of people who took part was {count}.",
        "groups": "There are {count} groups.",
        "one_group": "Everyone gets the same treatment.",
        "randomized": "Chance decides which group you are in, like tossing a coin.",
        "masked_double": "You and your doctor will not know which group you are in.",
        "masked_single": "You will not know which group you are in.",
        "arm": "Group {number}{label} gets {role}{items}.",
        "arm_single": "Everyone gets {role}{items}.",
        "tests": "The study tests {items}.",
        "dates": "The study runs from {start} to {end}.",
        "burden_arm": "For group {number}, taking part means {items}.",
        "burden_all": "Taking part means {items}.",
        "operation": "an operation",
        "operation_device": "an operation to put in the {device}",
        "biopsy": "taking a small piece of tissue (a biopsy)",
        "scope": "a look inside the body with a thin tube and camera (endoscopy)",
        "every_arm": "Group {number} has treatment or visits every {amount}.",
        "every_all": "There is treatment or a visit every {amount}.",
        "period_arm": "In group {number}, treatment lasts {amount}.",
        "period_all": "Treatment lasts {amount}.",
        "visits": "There are {count} study visits.",
        "follow_up": "Each person is followed for up to {amount}.",
        "whole_study": "The whole study runs from {start} to {end}.",
        "start": "The study start date is {start}.",
        "end": "The planned end date is {end}.",
        "years": "That is about {count} years.",
        "months": "That is about {count} months.",
        "time_frame": "The main results are measured over up to {amount}.",
        "no_sites": "The registry record does not say where the study takes place.",
        "one_site": "The study takes place at {facility}{place}.",
        "sites_one_country": "The study takes place at {count} sites in {country}.",
        "sites_few": "The study takes place at {count} sites: {places}.",
        "sites_countries": "The study takes place at {count} sites in {countries} countries: {names}.",
        "nearest": "The nearest site to you is {facility}{place}.",
        "sponsor": "The study is run by {sponsor}.",
        "and": "and",
        "and_more": "and {count} more",
        "in": " in ",
    },
    "nl": {
        "about": "Dit onderzoek gaat over {what}.",
        "observational": "Het is een observationeel onderzoek: de onderzoekers kijken en meten, maar kiezen uw behandeling niet.",
        "aim": "Het doel is {aim}.",
        "phase": "Dit is een fase {phase}-onderzoek: het {clause}.",
        "outcome": "Het belangrijkste dat de onderzoekers meten is {measure}.",
        "ages_min": "U kunt meedoen als u {minimum} of ouder bent.",
        "ages_max": "U kunt meedoen als u {maximum} of jonger bent.",
        "ages_both": "U kunt meedoen als u tussen {minimum} en {maximum} bent.",
        "ages_none": "Er is geen leeftijdsgrens.",
        "sex_all": "Zowel mannen als vrouwen kunnen meedoen.",
        "sex_female": "Alleen vrouwen kunnen meedoen.",
        "sex_male": "Alleen mannen kunnen meedoen.",
        "healthy_yes": "Ook gezonde vrijwilligers kunnen meedoen.",
        "healthy_no": "Gezonde vrijwilligers kunnen niet meedoen.",
        "all_criteria": "In de registratie staan alle voorwaarden om mee te doen.",
        "ages_min_closed": "Mensen die konden meedoen, moesten {minimum} of ouder zijn.",
        "ages_max_closed": "Mensen die konden meedoen, moesten {maximum} of jonger zijn.",
        "ages_both_closed": "Mensen die konden meedoen, moesten tussen {minimum} en {maximum} zijn.",
        "ages_none_closed": "Er was geen leeftijdsgrens.",
        "sex_all_closed": "Zowel mannen als vrouwen konden meedoen.",
        "sex_female_closed": "Alleen vrouwen konden meedoen.",
        "sex_male_closed": "Alleen mannen konden meedoen.",
        "healthy_yes_closed": "Ook gezonde vrijwilligers konden meedoen.",
        "healthy_no_closed": "Gezonde vrijwilligers konden niet meedoen.",
        "all_criteria_closed": "In de registratie staan alle voorwaarden die golden om mee te doen.",
        "no_longer": "Het zoekt geen deelnemers meer.",
        "maybe_no_longer": "Misschien zoekt het geen deelnemers meer.",
        "not_now": "Het zoekt nu geen deelnemers.",
        "enrolment_estimated": "Het onderzoek wil ongeveer {count} mensen laten meedoen.",
        "enrolment_actual": "Het aantal deelnemers was {count}.",
        "groups": "Er zijn {count} groepen.",
        "one_group": "Iedereen krijgt dezelfde behandeling.",
        "randomized": "Het toeval bepaalt in welke groep u komt, zoals bij het opgooien van een munt.",
        "masked_double": "U en uw arts weten niet in welke groep u zit.",
        "masked_single": "U weet niet in welke groep u zit.",
        "arm": "Groep {number}{label} krijgt {role}{items}.",
        "arm_single": "Iedereen krijgt {role}{items}.",
        "tests": "Het onderzoek test {items}.",
        "dates": "Het onderzoek loopt van {start} tot {end}.",
        "burden_arm": "Voor groep {number} betekent meedoen {items}.",
        "burden_all": "Meedoen betekent {items}.",
        "operation": "een operatie",
        "operation_device": "een operatie om het hulpmiddel te plaatsen ({device})",
        "biopsy": "het afnemen van een stukje weefsel (biopt)",
        "scope": "een kijkonderzoek met een dun slangetje met camera (endoscopie)",
        "every_arm": "Groep {number} heeft elke {amount} een behandeling of bezoek.",
        "every_all": "Er is elke {amount} een behandeling of bezoek.",
        "period_arm": "In groep {number} duurt de behandeling {amount}.",
        "period_all": "De behandeling duurt {amount}.",
        "visits": "Er zijn {count} bezoeken voor het onderzoek.",
        "follow_up": "Elke deelnemer wordt tot {amount} gevolgd.",
        "whole_study": "Het hele onderzoek loopt van {start} tot {end}.",
        "start": "De startdatum is {start}.",
        "end": "De geplande einddatum is {end}.",
        "years": "Dat is ongeveer {count} jaar.",
        "months": "Dat is ongeveer {count} maanden.",
        "time_frame": "De belangrijkste uitkomsten worden gemeten over een periode tot {amount}.",
        "no_sites": "De registratie vermeldt niet waar het onderzoek plaatsvindt.",
        "one_site": "Het onderzoek vindt plaats bij {facility}{place}.",
        "sites_one_country": "Het onderzoek vindt plaats op {count} locaties in {country}.",
        "sites_few": "Het onderzoek vindt plaats op {count} locaties: {places}.",
        "sites_countries": "Het onderzoek vindt plaats op {count} locaties in {countries} landen: {names}.",
        "nearest": "De locatie het dichtst bij u is {facility}{place}.",
        "sponsor": "Het onderzoek wordt geleid door {sponsor}.",
        "and": "en",
        "and_more": "en nog {count}",
        "in": " in ",
    },
}

_AIMS = {
    "TREATMENT": {"en": "to find out how well a treatment works", "nl": "uit te zoeken hoe goed een behandeling werkt"},
    "PREVENTION": {
        "en": "to find out if a disease can be prevented",
        "nl": "uit te zoeken of een ziekte kan worden voorkomen",
    },
    "DIAGNOSTIC": {
        "en": "to find better ways to detect a disease",
        "nl": "betere manieren te vinden om een ziekte op te sporen",
    },
    "SUPPORTIVE_CARE": {
        "en": "to help people feel better during an illness or its treatment",
        "nl": "mensen te helpen zich beter te voelen tijdens een ziekte of de behandeling ervan",
    },
    "SCREENING": {
        "en": "to test ways to find a disease early",
        "nl": "manieren te testen om een ziekte vroeg te ontdekken",
    },
    "HEALTH_SERVICES_RESEARCH": {
        "en": "to improve the way care is given",
        "nl": "de manier waarop zorg wordt gegeven te verbeteren",
    },
    "BASIC_SCIENCE": {
        "en": "to learn how the body or a disease works",
        "nl": "te leren hoe het lichaam of een ziekte werkt",
    },
    "DEVICE_FEASIBILITY": {
        "en": "to test if a device works as planned",
        "nl": "te testen of een hulpmiddel werkt zoals bedoeld",
    },
    "ECT": {
        "en": "to test a way of teaching, coaching or training",
        "nl": "een manier van voorlichting, begeleiding of training te testen",
    },
}

# What a study of each phase does, said of the highest phase a study has.
_PHASE_CLAUSES = {
    Phase.EARLY_PHASE1: {
        "en": "tries a treatment in a very small group for the first time",
        "nl": "probeert een behandeling voor het eerst uit bij een heel kleine groep",
    },
    Phase.PHASE1: {
        "en": "checks if a treatment is safe and looks for the right dose",
        "nl": "kijkt of een behandeling veilig is en zoekt de juiste dosis",
    },
    Phase.PHASE2: {
        "en": "checks how well a treatment works and how safe it is",
        "nl": "kijkt hoe goed een behandeling werkt en hoe veilig die is",
    },
    Phase.PHASE3: {
        "en": "compares a treatment with the usual one in a large group",
        "nl": "vergelijkt een behandeling met de gebruikelijke in een grote groep",
    },
    Phase.PHASE4: {
        "en": "follows a treatment that is already approved",
        "nl": "volgt een behandeling die al is goedgekeurd",
    },
}
_PHASE_NUMBERS = {Phase.EARLY_PHASE1: "0", Phase.PHASE1: "1", Phase.PHASE2: "2", Phase.PHASE3: "3", Phase.PHASE4: "4"}

_ARM_ROLES = {
    "EXPERIMENTAL": {"en": "the treatment being tested", "nl": "de behandeling die wordt getest"},
    "ACTIVE_COMPARATOR": {
        "en": "a known treatment to compare with",
        "nl": "een bekende behandeling om mee te vergelijken",
    },
    "PLACEBO_COMPARATOR": {
        "en": "a placebo (a dummy treatment) to compare with",
        "nl": "een placebo (een nepmiddel) om mee te vergelijken",
    },
    "SHAM_COMPARATOR": {"en": "a fake procedure to compare with", "nl": "een nepbehandeling om mee te vergelijken"},
    "NO_INTERVENTION": {"en": "no study treatment", "nl": "geen onderzoeksbehandeling"},
}

_STATUS = {
    RecruitmentStatus.RECRUITING: {
        "en": "The study is looking for people to join now.",
        "nl": "Het onderzoek zoekt nu deelnemers.",
    },
    RecruitmentStatus.NOT_YET_RECRUITING: {
        "en": "The study is not yet looking for people to join.",
        "nl": "Het onderzoek zoekt nog geen deelnemers.",
    },
    RecruitmentStatus.ENROLLING_BY_INVITATION: {
        "en": "Only people who are invited can join.",
        "nl": "Alleen mensen die worden uitgenodigd, kunnen meedoen.",
    },
    RecruitmentStatus.ACTIVE_NOT_RECRUITING: {
        "en": "The study is running, but it takes no new people.",
        "nl": "Het onderzoek loopt, maar neemt geen nieuwe deelnemers aan.",
    },
    RecruitmentStatus.COMPLETED: {"en": "The study has ended.", "nl": "Het onderzoek is afgelopen."},
    RecruitmentStatus.SUSPENDED: {"en": "The study is paused for now.", "nl": "Het onderzoek ligt op dit moment stil."},
    RecruitmentStatus.TERMINATED: {"en": "The study was stopped early.", "nl": "Het onderzoek is voortijdig gestopt."},
    RecruitmentStatus.WITHDRAWN: {
        "en": "The study was stopped before anyone joined.",
        "nl": "Het onderzoek is gestopt voordat iemand meedeed.",
    },
    RecruitmentStatus.UNKNOWN: {
        "en": "The registry does not say if the study is still running.",
        "nl": "De registratie zegt niet of het onderzoek nog loopt.",
    },
    RecruitmentStatus.AVAILABLE: {
        "en": "The treatment can be asked for outside a study.",
        "nl": "De behandeling kan buiten een onderzoek worden aangevraagd.",
    },
    RecruitmentStatus.NO_LONGER_AVAILABLE: {
        "en": "The treatment can no longer be asked for outside a study.",
        "nl": "De behandeling kan niet meer buiten een onderzoek worden aangevraagd.",
    },
    RecruitmentStatus.TEMPORARILY_NOT_AVAILABLE: {
        "en": "For now, the treatment cannot be asked for outside a study.",
        "nl": "De behandeling kan op dit moment niet buiten een onderzoek worden aangevraagd.",
    },
    RecruitmentStatus.APPROVED_FOR_MARKETING: {
        "en": "The treatment has been approved for use.",
        "nl": "De behandeling is goedgekeurd voor gebruik.",
    },
}

# Statuses under which a person may still join (or ask to): "who can join" is said to them ("You can join if
# ..."). Under every other status the same facts are told in the past ("People who could take part had to be
# ..."), and a sentence after the status says the study no longer looks for people.
OPEN_STATUSES = frozenset(
    {
        RecruitmentStatus.RECRUITING,
        RecruitmentStatus.NOT_YET_RECRUITING,
        RecruitmentStatus.ENROLLING_BY_INVITATION,
        RecruitmentStatus.AVAILABLE,
    }
)
_AFTER_STATUS = {
    RecruitmentStatus.COMPLETED: "no_longer",
    RecruitmentStatus.TERMINATED: "no_longer",
    RecruitmentStatus.WITHDRAWN: "no_longer",
    RecruitmentStatus.NO_LONGER_AVAILABLE: "no_longer",
    RecruitmentStatus.APPROVED_FOR_MARKETING: "no_longer",
    RecruitmentStatus.WITHHELD: "no_longer",
    RecruitmentStatus.UNKNOWN: "maybe_no_longer",
    RecruitmentStatus.SUSPENDED: "not_now",
    RecruitmentStatus.TEMPORARILY_NOT_AVAILABLE: "not_now",
}
_CLOSED_WHO_HEADING = {"en": "Who could take part", "nl": "Wie kon meedoen"}

_UNITS = {
    "en": {
        "day": ("day", "days"),
        "week": ("week", "weeks"),
        "month": ("month", "months"),
        "year": ("year", "years"),
        "hour": ("hour", "hours"),
        "minute": ("minute", "minutes"),
    },
    "nl": {
        "day": ("dag", "dagen"),
        "week": ("week", "weken"),
        "month": ("maand", "maanden"),
        "year": ("jaar", "jaar"),
        "hour": ("uur", "uur"),
        "minute": ("minuut", "minuten"),
    },
}
_DAYS = {"minute": 1 / 1440, "hour": 1 / 24, "day": 1, "week": 7, "month": 30.44, "year": 365.25}
_DURATION = re.compile(r"\b(\d{1,4}(?:\.\d+)?)\s*-?\s*(minute|hour|day|week|month|year)s?\b", re.IGNORECASE)

_GIVEN_AS = re.compile(r"\b(infusion|injection|instillation)\s+(?=([\w-]+))", re.IGNORECASE)
_OF = {"en": "of", "nl": "met"}
_TYPE_PREFIX = re.compile(r"^\s*[A-Za-z_ ]{2,30}:\s+")
# A bracketed abbreviation after a name: "Floxuridine (FUDR)", "Hepatic arterial infusion pump (HAIP)".
_BRACKETED_ABBREVIATION = re.compile(r"\s*\((?=[^)]*[A-Z]{2})[A-Za-z0-9 /+-]{2,15}\)")
_BRACKETED = re.compile(r"\s*\([^()]*\)")
_HEADING = re.compile(r"^\s*(?:#+\s*)?(inclusion|exclusion)\b[^:\n]*:?\s*$", re.IGNORECASE)
_SUMMARY_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class _Rule:
    id: str
    section: str
    pattern: re.Pattern[str]
    text: dict[str, str]


@lru_cache(maxsize=1)
def _criteria_rules() -> tuple[_Rule, ...]:
    data = json.loads(resources.files("trialfinder.overview").joinpath("data/plain_criteria.json").read_text("utf-8"))
    return tuple(
        _Rule(
            rule["id"],
            rule["section"],
            re.compile(rule["pattern"], re.IGNORECASE),
            {key: rule[key] for key in ("en", "nl", "en_closed", "nl_closed")},
        )
        for rule in data["rules"]
    )


def generator_version(lexicon: Lexicon | None = None) -> str:
    """The rules' version and the lexicon's: a stored overview older than either is written again."""
    return f"{RULES_VERSION}.{(lexicon or default_lexicon()).version}"


@dataclass
class _Writer:
    trial: Trial
    language: str
    lexicon: Lexicon
    explained: set[str] = field(default_factory=set)

    @property
    def open(self) -> bool:
        """Whether the trial takes people now (or will): "who can join" is then said to the reader."""
        return self.trial.overall_status in OPEN_STATUSES

    def t(self, key: str, **values: object) -> str:
        """Our sentence `key`; for a trial that is not open, its past-tense form (`key_closed`) when it has one."""
        table = _T[self.language]
        if not self.open and f"{key}_closed" in table:
            key = f"{key}_closed"
        return table[key].format(**values)

    def lay(self, text: str) -> str:
        """A registry phrase in lay words, to be put inside one of our sentences."""
        return self.lexicon.apply(text, self.language, explained=self.explained, sentence_start=False)

    def lay_name(self, name: str) -> str:
        """An intervention's name in lay words: "Intra-arterial infusion floxuridine" reads "drip into an artery
        of floxuridine" (a drug named after a way of giving it takes "of")."""
        name = self.lexicon.without_salts(_clean(name))

        def link(match: re.Match[str]) -> str:
            entry = self.lexicon.lookup(match.group(2))
            if entry is not None and entry[0].kind == "drug":
                return f"{match.group(1)} {_OF[self.language]} "
            return match.group()

        return self.lay(_GIVEN_AS.sub(link, name))

    def join(self, items: list[str]) -> str:
        if len(items) <= 1:
            return "".join(items)
        return f"{', '.join(items[:-1])} {self.t('and')} {items[-1]}"

    def number(self, value: int) -> str:
        text = f"{value:,}"
        return text.replace(",", ".") if self.language == "nl" else text

    def age(self, age: Age) -> str:
        number = int(age.value) if float(age.value).is_integer() else age.value
        unit = age.unit.value.lower().rstrip("s")
        singular, plural = _UNITS[self.language].get(unit, (unit, unit + "s"))
        return f"{number} {singular if number == 1 else plural}"

    def amount(self, number: str, unit: str) -> str:
        singular, plural = _UNITS[self.language][unit.lower().rstrip("s")]
        return f"{number} {singular if number == '1' else plural}"


def generate(
    trial: Trial,
    *,
    language: str,
    record_version: str,
    near: Site | None = None,
    lexicon: Lexicon | None = None,
) -> Overview:
    """The built-in overview of `trial` in `language` ("en" or "nl")."""
    if language not in _T:
        raise ValueError(f"unsupported language {language!r}")
    lexicon = lexicon or default_lexicon()
    writer = _Writer(trial, language, lexicon)
    parts = {
        "what": _what(writer),
        "who": _who(writer),
        "do": _participation(writer),
        "when": _duration(writer),
        "where": _where(writer, near),
    }
    headings = {key: SECTION_HEADINGS[key][language] for key in parts}
    if not writer.open:
        headings["who"] = _CLOSED_WHO_HEADING[language]
    sections = tuple(Section(key, headings[key], tuple(sentences)) for key, sentences in parts.items() if sentences)
    return Overview(
        nct_id=trial.nct_id,
        language=language,
        generator=BUILTIN,
        generator_version=generator_version(lexicon),
        record_version=record_version,
        sections=sections,
        registry_url=trial.registry_url,
    )


def nearest_site_sentence(site: Site, language: str) -> Sentence:
    """The sentence naming the site nearest to the reader, to add to a stored overview on a page."""
    writer = _Writer(Trial(nct_id="NCT00000000", brief_title="", source_format=""), language, default_lexicon())
    return Sentence(writer.t("nearest", facility=_site_name(site), place=_site_place(writer, site)), ("sites",))


# --- What is being studied, and why ---------------------------------------------------------------------------


def _what(w: _Writer) -> list[Sentence]:
    trial = w.trial
    out: list[Sentence] = []
    conditions, source = _condition_phrases(w)
    if conditions:
        out.append(Sentence(w.t("about", what=w.join(conditions)), (source,)))
    if trial.study_type is StudyType.OBSERVATIONAL:
        out.append(Sentence(w.t("observational"), ("study_type",)))
    elif trial.primary_purpose in _AIMS:
        out.append(Sentence(w.t("aim", aim=_AIMS[trial.primary_purpose][w.language]), ("primary_purpose",)))
    phases = [phase for phase in trial.phases if phase in _PHASE_CLAUSES]
    if phases:
        numbers = "/".join(_PHASE_NUMBERS[phase] for phase in phases)
        if phases == [Phase.EARLY_PHASE1]:
            numbers = "0" if w.language == "nl" else "early 1"
        out.append(Sentence(w.t("phase", phase=numbers, clause=_PHASE_CLAUSES[phases[-1]][w.language]), ("phases",)))
    for index, outcome in enumerate(trial.primary_outcomes[:1]):
        measure = _outcome_phrase(w, outcome.measure)
        if measure:
            out.append(Sentence(w.t("outcome", measure=measure), (f"primary_outcomes[{index}].measure",)))
    if w.language == "en" and trial.brief_summary:
        out.extend(Sentence(text, ("brief_summary",)) for text in _plain_summary_sentences(w, trial.brief_summary))
    return out


def _condition_phrases(w: _Writer) -> tuple[list[str], str]:
    trial = w.trial
    names = [item.name.lower() for item in trial.interventions]
    phrases: list[str] = []
    seen: set[str] = set()
    source = "conditions"
    candidates = list(trial.conditions)
    if not candidates:
        candidates, source = [mesh.term for mesh in trial.mesh_terms], "mesh_terms"
    for condition in candidates:
        entry = w.lexicon.lookup(condition)
        if entry is not None and entry[0].kind in ("drug", "device", "procedure"):
            continue  # registries sometimes list the treatment among the conditions; it is told under "do"
        if any(condition.lower() in name for name in names):
            continue
        text = w.lay(_clean(condition if entry else _uninvert(condition)))
        if text and text.lower() not in seen:
            seen.add(text.lower())
            phrases.append(text)
        if len(phrases) == MAX_CONDITIONS:
            break
    return phrases, source


# Words that end a disease's name: "Breast cancer, prostate cancer" is a list, not an inverted MeSH heading.
_HEAD_NOUNS = re.compile(
    r"\b(?:cancers?|diseases?|disorders?|syndromes?|tumou?rs?|infections?|neoplasms?|carcinomas?)$", re.I
)


def _uninvert(condition: str) -> str:
    """MeSH writes headings inverted ("Leukemia, Myeloid, Acute"); say them in reading order ("Acute Myeloid
    Leukemia"). Only short parts that do not name a disease themselves are moved."""
    parts = [part.strip() for part in condition.split(",")]
    if len(parts) < 2 or len(parts) > 3 or any(not part or len(part.split()) > 3 for part in parts):
        return condition
    if any(_HEAD_NOUNS.search(part) or " and " in part or " or " in part for part in parts[1:]):
        return condition
    return " ".join(reversed(parts))


def _clean(text: str) -> str:
    """A registry name without its type prefix ("Drug: "), a bracketed abbreviation or a chemical salt."""
    text = _TYPE_PREFIX.sub("", text.strip())
    text = _BRACKETED_ABBREVIATION.sub("", text)
    text = re.sub(r"\s+", " ", text).strip(" .;,")
    return text


def _outcome_phrase(w: _Writer, measure: str) -> str | None:
    """A primary outcome in lay words, when it is short; in Dutch only when the lexicon knows all of it (an
    English measure in a Dutch sentence helps nobody)."""
    plain = _BRACKETED.sub("", _clean(measure)).strip()
    if not plain:
        return None
    if w.language == "nl":
        found = w.lexicon.lookup(plain)
        if found is None or found[0].lay.get("nl") is None:
            return None
    text = w.lay(plain)
    if len(text.split()) > 12:
        return None
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _plain_summary_sentences(w: _Writer, summary: str) -> list[str]:
    """Up to two sentences of the registry's summary that, with lay terms, are short and plain already."""
    chosen: list[str] = []
    for paragraph in summary.split("\n"):
        paragraph = paragraph.strip()
        if not paragraph or paragraph.startswith(("*", "-", "#")):
            continue
        for sentence in _SUMMARY_SENTENCE.split(paragraph):
            sentence = sentence.strip()
            words = sentence.split()
            if not (5 <= len(words) <= QUOTE_MAX_WORDS) or not sentence.endswith(".") or ":" in sentence:
                continue
            # "To compare the safety of ..." is a heading's fragment, not a sentence.
            if not sentence[:1].isupper() or sentence.startswith("To ") or re.search(r"[\[\]{}<>=≥≤]", sentence):
                continue
            candidate = w.lexicon.apply(sentence, "en", explained=set(w.explained))
            grade = flesch_kincaid_grade(candidate)
            if grade is None or grade > QUOTE_MAX_GRADE or len(candidate.split()) > QUOTE_MAX_WORDS + 8:
                continue
            chosen.append(w.lexicon.apply(sentence, "en", explained=w.explained))
            if len(chosen) == MAX_SUMMARY_SENTENCES:
                return chosen
    return chosen


# --- Who can join -----------------------------------------------------------------------------------------------


def _who(w: _Writer) -> list[Sentence]:
    trial = w.trial
    eligibility = trial.eligibility
    out: list[Sentence] = []
    status = _STATUS.get(trial.overall_status)
    if status:
        out.append(Sentence(status[w.language], ("overall_status",)))
    if trial.overall_status in _AFTER_STATUS:
        out.append(Sentence(w.t(_AFTER_STATUS[trial.overall_status]), ("overall_status",)))
    decisive = (
        decisive_conditions(eligibility.criteria, tuple(trial.conditions), w.language, open=w.open)
        if eligibility.criteria
        else []
    )
    out.extend(Sentence(item.text, ("eligibility.criteria",)) for item in decisive)
    ages = eligibility.ages
    if ages.minimum and ages.maximum:
        out.append(
            Sentence(w.t("ages_both", minimum=w.age(ages.minimum), maximum=w.age(ages.maximum)), ("eligibility.ages",))
        )
    elif ages.minimum and not (ages.minimum.value == 0):
        out.append(Sentence(w.t("ages_min", minimum=w.age(ages.minimum)), ("eligibility.ages",)))
    elif ages.maximum:
        out.append(Sentence(w.t("ages_max", maximum=w.age(ages.maximum)), ("eligibility.ages",)))
    elif eligibility.criteria or ages.minimum:
        out.append(Sentence(w.t("ages_none"), ("eligibility.ages",)))
    sex_key = {Sex.ALL: "sex_all", Sex.FEMALE: "sex_female", Sex.MALE: "sex_male"}[eligibility.sex]
    out.append(Sentence(w.t(sex_key), ("eligibility.sex",)))
    if eligibility.healthy_volunteers is not None:
        key = "healthy_yes" if eligibility.healthy_volunteers else "healthy_no"
        out.append(Sentence(w.t(key), ("eligibility.healthy_volunteers",)))
    if eligibility.criteria:
        out.extend(
            Sentence(text, ("eligibility.criteria",))
            for text in plain_criteria(
                eligibility.criteria,
                w.language,
                MAX_CRITERIA - 1 if decisive else MAX_CRITERIA,
                closed=not w.open,
                leave_out=_said_by(decisive),
            )
        )
        out.append(Sentence(w.t("all_criteria"), ("eligibility.criteria",)))
    return out


def _said_by(decisive: list[Decisive]) -> set[str]:
    """The common-criteria rules that a decisive sentence says more precisely."""
    kinds = {item.kind for item in decisive}
    said = set()
    if kinds & {"no_prior", "prior_required", "refractory", "naive"}:
        said.add("prior-treatment")
    if any(item.kind == "no_spread" and "brain" in item.text.lower() or "hersenen" in item.text for item in decisive):
        said.add("brain-metastases")
    return said


def criteria_lines(criteria: str) -> Iterable[tuple[str, str]]:
    """(section, line) for each line of the criteria, the section being inclusion, exclusion or any (before the
    first heading, or where the record has none)."""
    section = "any"
    for line in criteria.splitlines():
        heading = _HEADING.match(line)
        if heading:
            section = heading.group(1).lower()
            continue
        if line.strip():
            yield section, line.strip().lstrip("*-• ").strip()


def plain_criteria(
    criteria: str, language: str, limit: int = MAX_CRITERIA, *, closed: bool = False, leave_out: Iterable[str] = ()
) -> list[str]:
    """The common criteria found in `criteria`, each said once in plain words, most important first; `closed`
    says them in the past (for a trial no longer taking people); `leave_out` names rules said otherwise."""
    hits: dict[str, str] = {}
    lines = list(criteria_lines(criteria))
    skipped = set(leave_out)
    for rule in _criteria_rules():
        if rule.id in hits or rule.id in skipped:
            continue
        for section, line in lines:
            if rule.section != "any" and section not in (rule.section, "any"):
                continue
            match = rule.pattern.search(line)
            if match is None:
                continue
            values = match.groupdict()
            if "unit" in values and values["unit"]:
                singular, plural = _UNITS[language][values["unit"].lower().rstrip("s")]
                values["unit"] = singular if values.get("n") == "1" else plural
            hits[rule.id] = rule.text[f"{language}_closed" if closed else language].format(**values)
            break
    order = [rule.id for rule in _criteria_rules()]
    return [hits[key] for key in sorted(hits, key=order.index)][:limit]


# --- What participants do ------------------------------------------------------------------------------------


def _participation(w: _Writer) -> list[Sentence]:
    trial = w.trial
    out: list[Sentence] = []
    if trial.enrollment and trial.enrollment.count > 0:
        key = "enrolment_actual" if (trial.enrollment.type or "").upper() == "ACTUAL" else "enrolment_estimated"
        out.append(Sentence(w.t(key, count=w.number(trial.enrollment.count)), ("enrollment",)))
    arms = list(trial.arms)
    if len(arms) >= 2:
        out.append(Sentence(w.t("groups", count=len(arms)), ("arms",)))
        if (trial.allocation or "").upper() == "RANDOMIZED":
            out.append(Sentence(w.t("randomized"), ("allocation",)))
        masking = (trial.masking or "").upper()
        if masking in ("DOUBLE", "TRIPLE", "QUADRUPLE"):
            out.append(Sentence(w.t("masked_double"), ("masking",)))
        elif masking == "SINGLE":
            out.append(Sentence(w.t("masked_single"), ("masking",)))
    for index, arm in enumerate(arms[:MAX_ARMS]):
        sentence = _arm_sentence(w, index, arm, numbered=len(arms) >= 2)
        if sentence:
            out.append(sentence)
        elif len(arms) == 1 and trial.study_type is StudyType.INTERVENTIONAL:
            out.append(Sentence(w.t("one_group"), ("arms",)))
    if not arms and trial.interventions:
        names = _distinct([w.lay_name(item.name) for item in trial.interventions])
        if names:
            out.append(Sentence(w.t("tests", items=_items(w, names)), ("interventions",)))
    out.extend(_burden(w))
    return out


# --- The burden of taking part: operations and procedures, how often, for how long ------------------------------

# An implanted device means an operation to put it in.
_IMPLANT = re.compile(
    r"\b(?:pumps?|ports?|implants?|implantable|implanted|stents?|pacemakers?|stimulators?|shunts?|valves?|electrodes?|"
    r"catheters?|defibrillators?)\b",
    re.IGNORECASE,
)
_OPERATION = re.compile(
    r"\b(?:surgery|surgical|operation|operative|resection|resected|implantation|\w{3,}ectomy|\w{3,}ectomies)\b",
    re.IGNORECASE,
)
_BIOPSY = re.compile(r"\bbiops(?:y|ies)\b", re.IGNORECASE)
_SCOPE = re.compile(r"\b(?:endoscop|colonoscop|bronchoscop|gastroscop|cystoscop)\w*", re.IGNORECASE)
_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "eight": "8",
    "twelve": "12",
}
_EVERY = re.compile(
    r"\b(?:every|each|once a|once every|q)\s*(\d{1,2}|one|two|three|four|six|eight|twelve)?\s*(day|week|month)s?\b|"
    r"\b(daily|weekly|monthly)\b",
    re.IGNORECASE,
)
_PERIOD = re.compile(
    r"\bfor\s+(?:up\s+to\s+|a\s+total\s+of\s+|a\s+maximum\s+of\s+)?(\d{1,3})\s+(?:consecutive\s+)?"
    r"(day|week|month|year)s?\b",
    re.IGNORECASE,
)
_VISITS = re.compile(r"\b(\d{1,2})\s+(?:study\s+|clinic\s+|hospital\s+|outpatient\s+)?visits\b", re.IGNORECASE)
_ADVERB_UNITS = {"daily": "day", "weekly": "week", "monthly": "month"}


def _arm_interventions(trial: Trial, arm: Arm) -> list[tuple[int, object]]:
    names = {_clean(name).lower() for name in arm.intervention_names}
    return [
        (i, item)
        for i, item in enumerate(trial.interventions)
        if arm.label in item.arm_labels or _clean(item.name).lower() in names
    ]


def _burden(w: _Writer) -> list[Sentence]:
    """What taking part asks of a person, by group: an operation (a procedure, or an implanted device), a biopsy, a
    camera test; how often there is treatment or a visit, and how long treatment lasts, where the record says."""
    trial = w.trial
    out: list[Sentence] = []
    arms = list(trial.arms)[:MAX_ARMS]
    groups: list[tuple[int | None, str, list[tuple[str, str]], list[tuple[str, str]]]] = []
    # (arm index, arm label, [(field, text)] of names and types, [(field, text)] of descriptions)
    if arms:
        for index, arm in enumerate(arms):
            names = [(f"arms[{index}].intervention_names", name) for name in arm.intervention_names]
            texts = [(f"arms[{index}].description", arm.description)] if arm.description else []
            for i, item in _arm_interventions(trial, arm):
                names.append((f"interventions[{i}].name", f"{item.type or ''}: {item.name}"))
                if item.description:
                    texts.append((f"interventions[{i}].description", item.description))
            groups.append((index, arm.label, names, texts))
    elif trial.interventions:
        names = [
            (f"interventions[{i}].name", f"{item.type or ''}: {item.name}")
            for i, item in enumerate(trial.interventions)
        ]
        texts = [
            (f"interventions[{i}].description", item.description)
            for i, item in enumerate(trial.interventions)
            if item.description
        ]
        groups.append((None, "", names, texts))
    numbered = len(arms) >= 2
    for index, _, names, texts in groups:
        items: list[str] = []
        sources: list[str] = []
        for source, text in names + texts:
            kind, _, name = (
                text.partition(": ") if source.endswith(".name") or "intervention_names" in source else ("", "", text)
            )
            device = kind.upper() == "DEVICE" or _TYPE_PREFIX.match(text) and text.upper().startswith("DEVICE")
            if device and _IMPLANT.search(name) and "operation" not in {key for key, _ in items}:
                label = w.lay_name(name)
                items.append(("operation", w.t("operation_device", device=label[:1].lower() + label[1:])))
                sources.append(source)
            elif (kind.upper() == "PROCEDURE" or source.endswith("description")) and _OPERATION.search(name):
                if "operation" not in {key for key, _ in items}:
                    items.append(("operation", w.t("operation")))
                    sources.append(source)
            if _BIOPSY.search(name) and "biopsy" not in {key for key, _ in items}:
                items.append(("biopsy", w.t("biopsy")))
                sources.append(source)
            if _SCOPE.search(name) and "scope" not in {key for key, _ in items}:
                items.append(("scope", w.t("scope")))
                sources.append(source)
        if items:
            listed = w.join([text for _, text in items])
            key, extra = ("burden_arm", {"number": index + 1}) if numbered and index is not None else ("burden_all", {})
            out.append(Sentence(w.t(key, items=listed, **extra), tuple(dict.fromkeys(sources))))
        # How often and how long come from the group's own description only: a drug's description tells its dosing.
        texts = [(source, text) for source, text in texts if source.startswith("arms[")]
        for source, text in texts:
            every = _EVERY.search(text)
            if every:
                number = every.group(1) or "1"
                number = _NUMBER_WORDS.get(number.lower(), number)
                unit = (every.group(2) or _ADVERB_UNITS.get((every.group(3) or "").lower(), "day")).lower()
                amount = w.amount(number, unit) if number != "1" else _UNITS[w.language][unit][0]
                key, extra = (
                    ("every_arm", {"number": index + 1}) if numbered and index is not None else ("every_all", {})
                )
                out.append(Sentence(w.t(key, amount=amount, **extra), (source,)))
                break
        for source, text in texts:
            period = _PERIOD.search(text)
            if period:
                amount = w.amount(period.group(1), period.group(2))
                key, extra = (
                    ("period_arm", {"number": index + 1}) if numbered and index is not None else ("period_all", {})
                )
                out.append(Sentence(w.t(key, amount=amount, **extra), (source,)))
                break
    for index, arm in enumerate(arms):
        visits = _VISITS.search(arm.description or "")
        if visits:
            out.append(Sentence(w.t("visits", count=visits.group(1)), (f"arms[{index}].description",)))
            break
    return out


def _arm_sentence(w: _Writer, index: int, arm: Arm, *, numbered: bool) -> Sentence | None:
    trial = w.trial
    sources = [f"arms[{index}].label"]
    if arm.intervention_names:
        raw = list(arm.intervention_names)
        sources.append(f"arms[{index}].intervention_names")
    else:
        matching = [(i, item) for i, item in enumerate(trial.interventions) if arm.label in item.arm_labels]
        raw = [item.name for _, item in matching]
        sources.extend(f"interventions[{i}].name" for i, _ in matching)
    names = _distinct([w.lay_name(name) for name in raw])
    role = _ARM_ROLES.get((arm.type or "").upper(), {}).get(w.language, "")
    if arm.type:
        sources.append(f"arms[{index}].type")
    if not names and not role:
        return None
    if role and names and (arm.type or "").upper() != "NO_INTERVENTION":
        items = ": " + _items(w, names)
    elif names and (arm.type or "").upper() != "NO_INTERVENTION":
        items = _items(w, names)
    else:
        items = ""
    label = _clean(arm.label)
    label_text = (
        f" ({label})"
        if label and len(label.split()) <= 4 and not re.fullmatch(r"(?i)(arm|group|cohort)?\s*[A-Z0-9]{1,2}", label)
        else ""
    )
    if numbered:
        text = w.t("arm", number=index + 1, label=label_text, role=role, items=items)
    else:
        text = w.t("arm_single", role=role, items=items)
    return Sentence(re.sub(r"\s{2,}", " ", text), tuple(sources))


def _items(w: _Writer, names: list[str]) -> str:
    shown = names[:MAX_ITEMS]
    if len(names) > MAX_ITEMS:
        shown.append(w.t("and_more", count=len(names) - MAX_ITEMS))
        return ", ".join(shown[:-1]) + f" {shown[-1]}"
    return w.join(shown)


def _distinct(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.lower()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out


# --- How long ---------------------------------------------------------------------------------------------------


def _duration(w: _Writer) -> list[Sentence]:
    trial = w.trial
    out: list[Sentence] = []
    start = trial.start_date
    end, end_field = (trial.completion_date, "completion_date")
    if end is None:
        end, end_field = (trial.primary_completion_date, "primary_completion_date")
    if start and end and end.sort_key() > start.sort_key():
        # The whole study's span, said as such: it is not how long one person takes part.
        out.append(
            Sentence(
                w.t("whole_study", start=date_text(start, w.language), end=date_text(end, w.language)),
                ("start_date", end_field),
            )
        )
    elif start:
        out.append(Sentence(w.t("start", start=date_text(start, w.language)), ("start_date",)))
    elif end:
        out.append(Sentence(w.t("end", end=date_text(end, w.language)), (end_field,)))
    longest: tuple[float, str, str, int] | None = None
    for index, outcome in enumerate(trial.primary_outcomes):
        for number, unit in _DURATION.findall(outcome.time_frame or ""):
            days = float(number) * _DAYS[unit.lower()]
            if longest is None or days > longest[0]:
                longest = (days, number, unit, index)
    # How long one person is followed: the longest time frame of any outcome (each is measured per participant).
    follow: tuple[float, str, str, str] | None = None
    for kind in ("primary_outcomes", "secondary_outcomes"):
        for index, outcome in enumerate(getattr(trial, kind)):
            for number, unit in _DURATION.findall(outcome.time_frame or ""):
                days = float(number) * _DAYS[unit.lower()]
                if follow is None or days > follow[0]:
                    follow = (days, number, unit, f"{kind}[{index}].time_frame")
    if follow is not None and follow[0] >= 7:
        out.insert(0, Sentence(w.t("follow_up", amount=w.amount(follow[1], follow[2])), (follow[3],)))
    if longest is not None and longest[0] >= 1 and (follow is None or longest[0] < follow[0] or follow[0] < 7):
        _, number, unit, index = longest
        out.append(
            Sentence(w.t("time_frame", amount=w.amount(number, unit)), (f"primary_outcomes[{index}].time_frame",))
        )
    return out


# --- Where ------------------------------------------------------------------------------------------------------


def _site_name(site: Site) -> str:
    return site.facility or site.city or site.country or "?"


def _site_place(w: _Writer, site: Site) -> str:
    parts = [part for part in (site.city,) if part and part != site.facility]
    if site.country:
        parts.append(country_name(site.country, w.language))
    return w.t("in") + ", ".join(parts) if parts else ""


def _where(w: _Writer, near: Site | None) -> list[Sentence]:
    trial = w.trial
    sites = trial.sites
    out: list[Sentence] = []
    if not sites:
        out.append(Sentence(w.t("no_sites"), ("sites",)))
    elif len(sites) == 1:
        site = sites[0]
        out.append(Sentence(w.t("one_site", facility=_site_name(site), place=_site_place(w, site)), ("sites",)))
    else:
        countries = _distinct([country_name(site.country, w.language, article=True) for site in sites if site.country])
        if len(countries) == 1:
            country = country_name(next(s.country for s in sites if s.country) or "", w.language, article=True)
            out.append(Sentence(w.t("sites_one_country", count=w.number(len(sites)), country=country), ("sites",)))
        elif len(countries) > 1:
            shown = countries[:MAX_COUNTRIES]
            if len(countries) > MAX_COUNTRIES:
                names = ", ".join(shown) + " " + w.t("and_more", count=len(countries) - MAX_COUNTRIES)
            else:
                names = w.join(shown)
            out.append(
                Sentence(
                    w.t("sites_countries", count=w.number(len(sites)), countries=len(countries), names=names),
                    ("sites",),
                )
            )
        else:
            places = _distinct([site.city or site.facility or "" for site in sites])[:MAX_COUNTRIES]
            out.append(Sentence(w.t("sites_few", count=w.number(len(sites)), places=w.join(places)), ("sites",)))
    if trial.lead_sponsor and trial.lead_sponsor.name:
        out.append(Sentence(w.t("sponsor", sponsor=trial.lead_sponsor.name), ("lead_sponsor",)))
    if near is not None:
        out.append(Sentence(w.t("nearest", facility=_site_name(near), place=_site_place(w, near)), ("sites",)))
    return out
