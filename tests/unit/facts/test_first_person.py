"""Facts from a person's own words (the "Trials for me" page): first-person age, sex, spread, negation, Dutch."""

from __future__ import annotations

from datetime import date

import pytest

from trialfinder.facts import read_facts

TODAY = date(2026, 1, 1)


def at(text: str, fact) -> str:
    """The text a fact's span points at; must equal the fact's own text."""
    start, end = fact.span
    assert text[start:end] == fact.text
    return fact.text


def language(text: str) -> str:
    return (
        "nl"
        if any(
            w in text.lower().split()
            for w in ("ik", "jaar", "mijn", "een", "de", "van", "het", "niet", "geen", "verder")
        )
        else "en"
    )


# --- age -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "years", "written"),
    [
        ("I am 58", 58, "I am 58"),
        ("I'm 58, male", 58, "I'm 58"),
        ("I’m 58 and have lung cancer", 58, "I’m 58"),
        ("Im 58.", 58, "Im 58"),
        ("I am 58 years old", 58, "I am 58 years old"),
        ("I'm a 58 year old man", 58, "58 year old"),
        ("aged 58", 58, "aged 58"),
        ("58 yo", 58, "58 yo"),
        ("58y/o", 58, "58y/o"),
        ("my age is 58", 58, "age is 58"),
        ("I turned 58 last month", 58, "I turned 58"),
        ("I've just turned 58.", 58, "I've just turned 58"),
        ("A woman of 58 with asthma", 58, "woman of 58"),
        ("ik ben 58", 58, "ik ben 58"),
        ("Ik ben 58 jaar en heb darmkanker", 58, "Ik ben 58 jaar"),
        ("ik ben net 58 geworden", 58, "ik ben net 58 geworden"),
        ("58 jaar oud", 58, "58 jaar oud"),
        ("Ik ben een man van 67, met diabetes", 67, "man van 67"),
    ],
)
def test_first_person_age(text, years, written):
    facts = read_facts(text, language=language(text))
    assert facts.age is not None and facts.age.years == years
    assert at(text, facts.age) == written


@pytest.mark.parametrize(
    "text",
    [
        "I am 58 kg",
        "I'm 58kg",
        "58 mg",
        "stage 4",
        "I have 2 children",
        "for 3 years",
        "58 cm tumour",
        "I am 20 weeks pregnant",
        "I am 2 days post surgery",
        "I am 5 foot 4",
        "I'm 3 years out from surgery",
        "ik ben 58 kg",
        "ik heb 2 kinderen",
        "ik ben 3 keer geopereerd",
        "sinds 3 jaar",
        "al 3 jaar diabetes",
        "ik ben 2 jaar geleden geopereerd",
        "3 jaar geleden kreeg ik chemo",
        "een vrouw van 80 kg",
    ],
)
def test_no_first_person_age(text):
    assert read_facts(text, language=language(text), today=TODAY).age is None


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("I was born in 1966.", "born in 1966"),
        ("born 1966", "born 1966"),
        ("geboren in 1966", "geboren in 1966"),
        ("Ik ben in 1966 geboren.", "in 1966 geboren"),
    ],
)
def test_age_from_year_of_birth_counts_from_mid_year(text, written):
    facts = read_facts(text, language=language(text), today=TODAY)
    assert facts.age is not None and facts.age.birth_date is None
    assert facts.age.years == 59  # on 1 January 2026 someone born in 1966 is most likely still 59
    assert at(text, facts.age) == written
    assert read_facts(text, language=language(text), today=date(2026, 9, 1)).age.years == 60
    assert read_facts(text, language=language(text)).age is None  # no today: no age from a year alone


def test_a_full_date_of_birth_is_not_read_as_a_year():
    facts = read_facts("born 1966-03-12", today=TODAY)
    assert facts.age.birth_date == date(1966, 3, 12)


@pytest.mark.parametrize(
    "text",
    [
        "My husband is a 60 year old man.",
        "My mother was diagnosed aged 45. I have colon cancer.",
        "Mijn man is 60 jaar.",
        "My father was born in 1940.",
    ],
)
def test_someone_elses_age_and_sex_are_not_the_persons(text):
    facts = read_facts(text, language=language(text), today=TODAY)
    assert facts.age is None
    assert facts.sex is None


def test_the_person_after_someone_else():
    text = "I am 58, my husband is 60"
    assert at(text, read_facts(text).age) == "I am 58"
    text = "My husband and I: I am 58"
    assert read_facts(text).age.years == 58


# --- sex -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sex", "written"),
    [
        ("I'm a woman with breast cancer", "female", "woman"),
        ("As a man, I", "male", "man"),
        ("I am female", "female", "female"),
        ("Ik ben een vrouw", "female", "vrouw"),
        ("ik ben een man van 67", "male", "man"),
        ("Mijn vrouw zegt dat ik een man van 67 ben", "male", "man"),
    ],
)
def test_first_person_sex(text, sex, written):
    facts = read_facts(text, language=language(text))
    assert facts.sex is not None and facts.sex.sex == sex and facts.sex.explicit
    assert at(text, facts.sex) == written


def test_my_wife_is_not_the_persons_sex():
    assert read_facts("Mijn vrouw heeft diabetes", language="nl").sex is None
    assert read_facts("My wife is a woman of few words", language="en").sex is None


# --- negation in everyday words ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["I don't have diabetes", "I dont have diabetes", "I do not have diabetes", "I doesn’t have diabetes"]
)
def test_contractions_negate(text):
    c = next(c for c in read_facts(text).conditions if c.name == "Diabetes Mellitus")
    assert c.negated and at(text, c) == "diabetes"


def test_havent_had_treatment_is_none():
    facts = read_facts("I haven't had chemo")
    assert [(t.kind, t.negated) for t in facts.treatments] == [("chemotherapy", True)]


# --- spread ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "sites", "written"),
    [
        ("It has spread to my liver", ["liver"], ["spread to my liver"]),
        ("it has spread to the bones", ["bone"], ["spread to the bones"]),
        ("and it has gone to my lungs", ["lung"], ["gone to my lungs"]),
        ("prostate cancer that has spread into his bones", ["bone"], ["spread into his bones"]),
        ("secondaries in the liver", ["liver"], ["secondaries in the liver"]),
        ("liver mets", ["liver"], ["liver mets"]),
        ("mets to bone", ["bone"], ["mets to bone"]),
        ("metastatic to the brain", ["brain"], ["metastatic to the brain"]),
        ("My cancer has spread to my liver and lungs", ["liver", "lung"], None),
        ("uitgezaaid naar de lever", ["liver"], ["uitgezaaid naar de lever"]),
        ("uitzaaiingen in de botten", ["bone"], ["uitzaaiingen in de botten"]),
        ("uitzaaiingen in mijn longen", ["lung"], ["uitzaaiingen in mijn longen"]),
        ("het is uitgezaaid naar mijn lever en longen", ["liver", "lung"], None),
    ],
)
def test_spread_in_lay_words(text, sites, written):
    facts = read_facts(text, language=language(text))
    assert [m.site for m in facts.metastases] == sites
    assert not any(m.negated for m in facts.metastases)
    texts = [at(text, m) for m in facts.metastases]
    if written is not None:
        assert texts == written


@pytest.mark.parametrize(
    "text",
    [
        "cancer in my liver too",  # a tumour in the liver, not said to have spread there
        "The rash spread quickly.",
        "The rash did not spread.",
        "I have gone to the doctor",
        "I've gone to my GP twice",
        "no spread",
    ],
)
def test_no_spread(text):
    assert read_facts(text).metastases == ()


@pytest.mark.parametrize(
    ("text", "site", "written"),
    [
        ("it has not spread", "any", "spread"),
        ("My doctor says it hasn't spread.", "any", "spread"),
        ("My cancer has not spread", "any", "spread"),
        ("no spread to the liver", "liver", "spread to the liver"),
        ("It hasn't spread to my liver", "liver", "spread to my liver"),
        ("niet uitgezaaid", "any", "uitgezaaid"),
        ("Het is niet uitgezaaid.", "any", "uitgezaaid"),
        ("geen uitzaaiingen in mijn longen", "lung", "uitzaaiingen in mijn longen"),
    ],
)
def test_spread_denied(text, site, written):
    facts = read_facts(text, language=language(text))
    assert [(m.site, m.negated) for m in facts.metastases] == [(site, True)]
    assert at(text, facts.metastases[0]) == written


# --- a relative's illness, then the person's -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "relative", "own"),
    [
        ("My mother had breast cancer, I have ovarian cancer.", "breast cancer", "ovarian cancer"),
        ("My mother had breast cancer and I was diagnosed with ovarian cancer.", "breast cancer", "ovarian cancer"),
        ("My father has diabetes; I have hypertension", "diabetes", "hypertension"),
        ("Mijn moeder had borstkanker, ik heb eierstokkanker.", "borstkanker", "eierstokkanker"),
        ("Mijn vader heeft diabetes, zelf heb ik hoge bloeddruk", "diabetes", "hoge bloeddruk"),
    ],
)
def test_the_person_ends_a_relatives_scope(text, relative, own):
    facts = read_facts(text, language=language(text))
    by_text = {at(text, c): c for c in facts.conditions}
    assert by_text[relative].family
    assert not by_text[own].family and not by_text[own].history and not by_text[own].negated


def test_the_person_ends_a_denial_but_not_their_own():
    facts = read_facts("No fever, I have diabetes")
    assert [(c.text, c.negated) for c in facts.conditions] == [("fever", True), ("diabetes", False)]
    assert read_facts("I have no diabetes").conditions[0].negated
    assert read_facts("I had a heart attack in 2019").conditions[0].history


# --- Dutch history after the mention -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "written", "history"),
    [
        ("Ik heb borstkanker gehad", "borstkanker", True),
        ("Ik heb in 2015 borstkanker gehad en ben geopereerd", "borstkanker", True),
        ("Ik heb borstkanker in 2015 gehad", "borstkanker", True),
        ("Ik heb astma in het verleden", "astma", True),
        ("Ik heb longkanker en chemo gehad", "longkanker", False),  # the chemo is past, not the cancer
        ("Ik heb longkanker en heb chemo gehad", "longkanker", False),
        ("I have asthma, in the past I smoked", "asthma", False),
    ],
)
def test_dutch_history_comes_after(text, written, history):
    facts = read_facts(text, language=language(text))
    c = next(c for c in facts.conditions if c.text == written)
    assert at(text, c) == written and c.history is history and not c.negated


# --- stage in words, menopause, "no other health problems" -----------------------------------------------------


@pytest.mark.parametrize(
    ("text", "stage", "written"),
    [
        ("I have stage four lung cancer", "4", "stage four"),
        ("stage two breast cancer", "2", "stage two"),
        ("Ik heb stadium vier darmkanker", "4", "stadium vier"),
        ("stage 4", "4", "stage 4"),
    ],
)
def test_stage_in_words(text, stage, written):
    facts = read_facts(text, language=language(text))
    assert [s.stage for s in facts.stages] == [stage]
    assert at(text, facts.stages[0]) == written


@pytest.mark.parametrize("text", ["at this stage one of us", "stage one of the study", "what stage two means"])
def test_no_stage_in_everyday_stage(text):
    assert read_facts(text).stages == ()


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("I went through menopause 5 years ago", "through menopause"),
        ("I'm past the menopause", "past the menopause"),
        ("ik ben na de overgang", "na de overgang"),
        ("Ik ben al in de overgang geweest", "in de overgang geweest"),
    ],
)
def test_after_menopause_is_not_pregnant(text, written):
    facts = read_facts(text, language=language(text))
    assert [(p.what, p.value) for p in facts.pregnancy] == [("pregnant", False)]
    assert at(text, facts.pregnancy[0]) == written


@pytest.mark.parametrize("text", ["I have not been through the menopause", "not postmenopausal"])
def test_denied_menopause_says_nothing_of_pregnancy(text):
    assert read_facts(text).pregnancy == ()


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Apart from that I have no other health problems.", "no other health problems"),
        ("I'm healthy otherwise", "healthy otherwise"),
        ("Ik heb geen andere ziektes", "geen andere ziektes"),
        ("Verder ben ik gezond.", "Verder ben ik gezond"),
    ],
)
def test_no_other_illnesses(text, written):
    facts = read_facts(text, language=language(text))
    assert [at(text, n) for n in facts.no_history] == [written]
