"""The language-model generator against a real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions
protocol: good answers are shown, invented numbers or drugs and time-outs fall back to the built-in generator,
and model overviews are stored per record version (on both databases)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import FIXTURES
from support.chat_server import ANSWERS, ChatServer, answer, good

from trialfinder.actions.importing import import_path
from trialfinder.actions.overviews import overview_for_page, write_overviews
from trialfinder.overview import BUILTIN, LANGUAGE_MODEL, generate_overview
from trialfinder.overview.language_model import ChatClient, LanguageModelGenerator, ModelEndpoint
from trialfinder.registries.ctgov_v2.mapping import to_trial
from trialfinder.settings import Settings
from trialfinder.storage.overviews import OverviewStore

REFERENCE = FIXTURES / "ctgov_v2" / "NCT06857773.json"

def generator_for(
    server: ChatServer, *, timeout: float = 5.0, api_key: str | None = "local-key"
) -> LanguageModelGenerator:
    return LanguageModelGenerator(ChatClient(ModelEndpoint(server.url, "test-model", api_key=api_key, timeout=timeout)))


@pytest.fixture(scope="module")
def trial():
    return to_trial(json.loads(REFERENCE.read_text()))


@pytest.mark.parametrize("language", ["en", "nl"])
def test_a_good_answer_is_shown_with_its_sources_and_label(trial, language):
    with ChatServer(good) as server:
        generator = generator_for(server)
        overview = generate_overview(trial, language=language, generator=generator)
        generator.client.close()
    assert overview.generator == LANGUAGE_MODEL and overview.generator_version == "test-model"
    assert [s.text for s in overview.sentences] == [text for _, text, _ in ANSWERS[language]]
    assert overview.sentences[2].source_fields == ("arms[0]", "interventions[1]")
    assert "test-model" in overview.generator_label["en"] and "taalmodel" in overview.generator_label["nl"]
    ((headers, body),) = server.requests
    assert headers["Authorization"] == "Bearer local-key"
    assert body["model"] == "test-model" and body["temperature"] == 0
    assert ("Dutch" in body["messages"][0]["content"]) == (language == "nl")
    assert "[eligibility.criteria] Inclusion Criteria:" in body["messages"][1]["content"]


@pytest.mark.parametrize(
    "bad_sentence",
    [
        ("who", "You can join if you are 21 or older.", ["eligibility.ages"]),  # 21 is in the record (a date)...
        ("who", "About 400 people take part.", ["enrollment"]),  # an invented number
        ("do", "The other group gets oxaliplatin.", ["arms[1]"]),  # an invented drug
        ("what", "It is also for breast cancer.", ["conditions"]),  # an invented condition
    ],
)
def test_an_answer_that_invents_falls_back_to_the_builtin_overview(trial, bad_sentence):
    def respond(body: dict) -> tuple[int, str, float]:
        return 200, answer([*ANSWERS["en"], bad_sentence]), 0.0

    with ChatServer(respond) as server:
        generator = generator_for(server)
        overview = generate_overview(trial, language="en", generator=generator)
        generator.client.close()
    assert len(server.requests) == 1
    if "21" in bad_sentence[1]:
        # A number the record has (the start date's day) cannot be told from an invented one: it passes.
        assert overview.generator == LANGUAGE_MODEL
        return
    assert overview.generator == BUILTIN
    assert overview == generate_overview(trial, language="en")


def test_time_out_and_server_errors_fall_back(trial):
    with ChatServer(lambda body: (200, answer(ANSWERS["en"]), 1.5)) as server:
        generator = generator_for(server, timeout=0.3)
        started = time.monotonic()
        overview = generate_overview(trial, language="en", generator=generator)
        waited = time.monotonic() - started
        generator.client.close()
    assert overview.generator == BUILTIN and waited < 1.2
    with ChatServer(lambda body: (500, "", 0.0)) as server:
        generator = generator_for(server)
        assert generate_overview(trial, language="nl", generator=generator).generator == BUILTIN
        generator.client.close()
    with ChatServer(lambda body: (200, "Sorry, I can only answer in prose.", 0.0)) as server:
        generator = generator_for(server, api_key=None)
        assert generate_overview(trial, language="en", generator=generator).generator == BUILTIN
        generator.client.close()
        assert "Authorization" not in server.requests[0][0]


def test_model_overviews_are_cached_per_record_version(database, tmp_path: Path):
    import_path(database=database, path=REFERENCE)
    with ChatServer(good) as server:
        generator = generator_for(server)
        first = write_overviews(database=database, generator=generator)
        assert (first.written[LANGUAGE_MODEL], len(server.requests)) == (2, 2)  # English and Dutch
        again = write_overviews(database=database, generator=generator)
        assert (again.written[LANGUAGE_MODEL], again.current, len(server.requests)) == (0, 2, 2)
        page = overview_for_page(database=database, nct_id="NCT06857773", language="nl")
        assert page.generator == LANGUAGE_MODEL and page.sentences[0].text == ANSWERS["nl"][0][1]

        # A new version of the record: the stored overviews are stale, the model is asked again.
        record = json.loads(REFERENCE.read_text())
        record["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2026-01-05"
        record["protocolSection"]["descriptionModule"]["briefSummary"] += "\n\nUpdated."
        changed = tmp_path / "NCT06857773.json"
        changed.write_text(json.dumps(record))
        import_path(database=database, path=changed)
        assert overview_for_page(database=database, nct_id="NCT06857773", language="nl").generator == BUILTIN
        third = write_overviews(database=database, generator=generator, languages=["nl"])
        generator.client.close()
    assert (third.written[LANGUAGE_MODEL], len(server.requests)) == (1, 3)
    with database.connect() as conn:
        version = conn.scalar("SELECT content_hash FROM trials WHERE nct_id = $1", ("NCT06857773",))
        stored = OverviewStore(conn).get("NCT06857773", language="nl", generator=LANGUAGE_MODEL, record_version=version)
    assert stored is not None and stored.record_version == version


def test_settings_name_the_endpoint():
    settings = Settings.from_env(
        {
            "TRIALFINDER_OVERVIEW_MODEL_URL": "http://127.0.0.1:8080/v1/",
            "TRIALFINDER_OVERVIEW_MODEL_NAME": "llama",
            "TRIALFINDER_OVERVIEW_MODEL_TIMEOUT": "12",
        }
    )
    from trialfinder.overview.language_model import endpoint_from_settings

    endpoint = endpoint_from_settings(settings)
    assert endpoint == ModelEndpoint("http://127.0.0.1:8080/v1", "llama", None, 12.0)
    assert endpoint_from_settings(Settings.from_env({})) is None
