"""Every concern that depends on a check's type has a rule for every check type.

Each concern (how a check is spelled, which leaves it has, how it is evaluated and said back, what is asked about it)
is a `functools.singledispatch` function or method with one rule per type. A check type added to the model without
a rule in one of them fails here, naming the concern, instead of being skipped or misread at run time.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import date

import pytest

from trialfinder.domain.trial import Sex
from trialfinder.eligibility import model
from trialfinder.eligibility.evaluate import _Evaluator
from trialfinder.eligibility.facts import PatientFacts
from trialfinder.eligibility.model import Check, Combination, Comparator, LeafCheck, Section, describe, leaves
from trialfinder.eligibility.questionnaire import _questions

LEAF_TYPES = typing.get_args(LeafCheck)
ALL_TYPES = typing.get_args(Check)

# concern -> (its dispatcher, the check types it must have a rule for)
CONCERNS = {
    "describe": (describe, ALL_TYPES),
    "leaves": (leaves, ALL_TYPES),
    "evaluate": (vars(_Evaluator)["_judged"].dispatcher, ALL_TYPES),
    "evaluate a leaf on the facts": (vars(_Evaluator)["_finding"].dispatcher, LEAF_TYPES),
    "say an answer back": (vars(_Evaluator)["_sentence_parts"].dispatcher, LEAF_TYPES),
    "questions": (_questions, LEAF_TYPES),
}


def test_the_check_unions_name_every_check_class_of_the_model():
    """A check class left out of `LeafCheck` or `Combination` would escape the tests below."""
    not_checks = {model.TimeWindow, model.Criterion, model.CriteriaTree}
    classes = {
        value
        for value in vars(model).values()
        if dataclasses.is_dataclass(value) and value.__module__ == model.__name__ and value not in not_checks
    }
    assert classes == set(ALL_TYPES)
    assert set(LEAF_TYPES) | set(typing.get_args(Combination)) == set(ALL_TYPES)
    assert not set(LEAF_TYPES) & set(typing.get_args(Combination))


@pytest.mark.parametrize("concern", CONCERNS)
def test_every_check_type_has_a_rule_of_its_own(concern):
    dispatcher, types = CONCERNS[concern]
    assert [kind.__name__ for kind in types if kind not in dispatcher.registry] == []


def test_a_stranger_is_refused_not_misread():
    class Stranger:
        key = "stranger"

    evaluator = _Evaluator(PatientFacts(), date(2025, 1, 1), "en")
    for concern in (
        describe,
        lambda check: list(leaves(check)),
        lambda check: evaluator.check(check, Section.INCLUSION),
    ):
        with pytest.raises(TypeError, match="no rule for Stranger"):
            concern(model.Not(Stranger()))  # type: ignore[arg-type]


def test_a_leaf_is_its_own_leaf_and_combinations_are_read_in_order():
    age, sex = model.AgeCheck(Comparator.GE, 18), model.SexCheck(Sex.FEMALE)
    text = model.FreeText("inc-1")
    tree = model.AllOf((model.Unless(age, text), model.AnyOf((model.Not(sex), age))))
    assert list(leaves(age)) == [age]
    assert list(leaves(tree)) == [age, text, sex, age]
