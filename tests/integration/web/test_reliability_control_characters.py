"""A note holding a NUL byte (or another control character but tab and line breaks) is refused with a clear form
error, on both databases, instead of a 500 from PostgreSQL, which cannot store NUL in text. The form comes back with
the characters removed, so saving it again works."""

from __future__ import annotations

import pytest

from trialfinder.settings import Settings
from trialfinder.web.app import create_app

from .conftest import REFERENCE, TestClient
from .pages import parse
from .test_notes import SECRET, add_note, csrf, note_id

TYPED = "Ask about my Hb\x00 of 5.1\x1b[31m\nand the pump\x7f"
CLEANED = "Ask about my Hb of 5.1[31m\nand the pump"


@pytest.fixture
def owner(catalogue, gazetteer_cache, tmp_path):
    settings = Settings(
        data_dir=tmp_path / "data", cache_dir=gazetteer_cache, database_url=catalogue.url.url, secret_key=SECRET
    )
    with TestClient(create_app(settings, catalogue)) as client:
        yield client


def _textarea(page) -> str:
    return "".join(page.by_id("n-body").children)


def _stored_bodies(database) -> list[str]:
    with database.connect() as conn:
        return [row[0] for row in conn.fetchall("SELECT body FROM notes ORDER BY created_at")]


def test_a_note_with_a_nul_byte_is_refused_beside_its_field_and_comes_back_cleaned(owner, catalogue):
    response = add_note(owner, body=TYPED)

    assert response.status_code == 400
    page = parse(response.text)
    assert "control characters" in page.by_id("n-body-error").text()
    assert page.by_id("n-body").attrs.get("aria-invalid") == "true"
    assert _textarea(page) == CLEANED
    assert _stored_bodies(catalogue) == []

    again = add_note(owner, body=_textarea(page))
    note_id(again)
    assert _stored_bodies(catalogue) == [CLEANED]


def test_an_edit_with_a_nul_byte_is_refused_and_the_note_kept(owner, catalogue):
    new = note_id(add_note(owner, body="Hb is fine"))
    response = owner.post(
        f"/trials/{REFERENCE}/notes/{new}", data={"csrf_token": csrf(owner), "action": "save", "body": TYPED}
    )
    assert response.status_code == 400
    page = parse(response.text)
    assert "control characters" in page.by_id("n-body-error").text()
    assert _textarea(page) == CLEANED
    assert _stored_bodies(catalogue) == ["Hb is fine"]
