"""Text as the vocabulary compares it: case, accents, punctuation, possessives and British spellings do not count."""

from __future__ import annotations

import pytest

from trialfinder.concepts.normalise import normalise, singulars


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Colorectal Cancer", "colorectal cancer"),
        ("  colorectal   CANCER ", "colorectal cancer"),
        ("Sjögren's Syndrome", "sjogren syndrome"),
        ("Crohn's disease", "crohn disease"),
        ("Crohn’s disease", "crohn disease"),
        ("non-small-cell lung cancer", "non small cell lung cancer"),
        ("Diabetes Mellitus, Type 2", "diabetes mellitus type 2"),
        ("HIV/AIDS", "hiv aids"),
        ("COVID-19", "covid 19"),
        ("carcinoïd", "carcinoid"),
        ("Ménière", "meniere"),
        ("", ""),
        ("--", ""),
    ],
)
def test_case_accents_punctuation_and_possessives(text, expected):
    assert normalise(text) == expected


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("haemorrhage", "hemorrhage"),
        ("anaemia", "anemia"),
        ("leukaemia", "leukemia"),
        ("Acute Myeloid Leukaemia", "acute myeloid leukemia"),
        ("ischaemic stroke", "ischemic stroke"),
        ("hypoglycaemia", "hypoglycemia"),
        ("oesophageal cancer", "esophageal cancer"),
        ("oedema", "edema"),
        ("paediatric tumours", "pediatric tumors"),
        ("orthopaedic", "orthopedic"),
        ("tumour", "tumor"),
        ("foetal", "fetal"),
        ("coeliac disease", "celiac disease"),
        ("diarrhoea", "diarrhea"),
        ("dyspnoea", "dyspnea"),
        ("gynaecological", "gynecological"),
        ("anaesthesia", "anesthesia"),
        ("faecal incontinence", "fecal incontinence"),
        ("oestrogen", "estrogen"),
        ("behaviour", "behavior"),
        ("metastasised", "metastasized"),
        ("randomised", "randomized"),
        ("paralysed", "paralyzed"),
        ("morphine sulphate", "morphine sulfate"),
        ("insulin analogue", "insulin analog"),
    ],
)
def test_british_spellings_become_american(british, american):
    assert normalise(british) == american
    assert normalise(american) == american


@pytest.mark.parametrize("word", ["disease", "aerobic", "four", "hour", "exercise", "otherwise", "analysis", "crisis"])
def test_other_words_keep_their_spelling(word):
    assert normalise(word) == word


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("metastases", ("metastasis", "metastase")),
        ("allergies", ("allergy", "allergie")),
        ("tumors", ("tumor",)),
        ("cancers", ("cancer",)),
        ("diseases", ("diseasis", "disease")),
        ("diabetes", ()),
        ("lupus", ()),
        ("stress", ()),
        ("arthritis", ()),
        ("ms", ()),
        ("covid19s", ()),
    ],
)
def test_singulars(word, expected):
    assert singulars(word) == expected
