"""The API's bodies as types (web/api_types.py): a trial's answer keeps the promise its schema makes, every field of
the registry record in the domain's order, so a field added to the domain is a decision for the API too; and every
type an answer uses is in the OpenAPI document."""

from __future__ import annotations

import dataclasses

import msgspec
import pytest

from trialfinder.domain import trial as domain
from trialfinder.web import api_types as api
from trialfinder.web.openapi import document


def names(kind) -> list[str]:
    if isinstance(kind, type) and issubclass(kind, msgspec.Struct):
        return list(kind.__struct_fields__)
    return [item.name for item in dataclasses.fields(kind)]


@pytest.mark.parametrize(
    ("body", "record", "added"),
    [
        (api.Trial, domain.Trial, ["registry_url", "eu_ct_numbers", "site_count", "sites_page", "sites_pages", "near"]),
        (api.Site, domain.Site, ["effective_status", "open", "distance_km"]),
        (api.Eligibility, domain.Eligibility, []),
    ],
)
def test_the_api_names_every_field_of_the_record_in_its_order(body, record, added):
    assert names(body) == names(record) + added


def test_every_type_an_answer_names_is_in_the_document():
    schemas = document()["components"]["schemas"]
    for body in api.SCHEMAS:
        assert body.__name__ in schemas
    referenced = {ref.rsplit("/", 1)[1] for ref in _refs(document())}
    assert referenced <= set(schemas), referenced - set(schemas)
    assert {"RecruitmentStatus", "Phase", "Contact", "GeoPoint", "CriterionResult"} <= referenced


def test_the_engines_bodies_refuse_a_field_their_type_does_not_name():
    """So that nothing the eligibility engine adds to its JSON is sent undocumented."""
    with pytest.raises(msgspec.ValidationError, match="unknown field `extra`"):
        msgspec.convert({"language": "en", "questions": [], "extra": 1}, api.EligibilityQuestions)


def _refs(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)
