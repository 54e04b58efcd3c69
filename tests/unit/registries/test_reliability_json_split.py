"""Taking a page apart without decoding it: each study's bytes, whatever its strings hold."""

from __future__ import annotations

import json

import msgspec

from trialfinder.registries.json_split import split_array

DEEP = b"[" * 100_000 + b"]" * 100_000


def test_the_studies_of_a_page_come_out_whole_and_the_rest_decodes():
    tricky = {"text": 'brackets ] [ } { , : and an escaped quote \\" inside', "n": [1, {"a": []}]}
    page = b'{"totalCount": 3, "studies": [' + json.dumps(tricky).encode() + b", " + DEEP + b', {}], "nextPageToken": "t"}'
    split = split_array(page, "studies")
    assert split is not None
    assert json.loads(split.items[0]) == tricky
    assert split.items[1] == DEEP
    assert split.items[2] == b"{}"
    assert msgspec.json.decode(split.rest) == {"totalCount": 3, "studies": [], "nextPageToken": "t"}


def test_a_top_level_list_and_an_empty_one():
    split = split_array(b' [ {"a": 1} , ' + DEEP + b" ] ")
    assert split is not None and split.items == [b'{"a": 1}', DEEP]
    empty = split_array(b"[]")
    assert empty is not None and empty.items == []


def test_what_is_not_such_an_array_is_none():
    assert split_array(b'{"studies": [1, 2]', "studies") is None  # not closed
    assert split_array(b'{"studies": [1, 2]} trailing', "studies") is None
    assert split_array(b'{"other": [1, 2]}', "studies") is None
    assert split_array(b'{"a": {"studies": [1]}}', "studies") is None  # only the top-level member counts
    assert split_array(b'[1, 2]', "studies") is None
    assert split_array(b'{"studies": [1]}') is None
    assert split_array(b"[1, 2]]") is None
