""" "Trials for me" (`/match`, issue #18) on both databases: a description or a FHIR bundle finds the reference trial
NCT06857773 (colorectal cancer with liver metastases) with its criteria counted, what was read is shown marked and
escaped, the form comes back with its mistakes and what was typed, and nothing typed is logged."""

from __future__ import annotations

import json
import logging
import re
from datetime import date, timedelta

import pytest
from starlette.testclient import TestClient

from trialfinder.matching import patient_from_text, screen
from trialfinder.queries.trials import find_trial
from trialfinder.settings import Settings, SettingsError
from trialfinder.web.app import create_app

from .conftest import REFERENCE, UTRECHT_COPY
from .pages import parse

DESCRIPTION = "I am a 58-year-old man with colorectal cancer and liver metastases. ECOG 1."
RECENT = (date.today() - timedelta(days=3)).isoformat()
HB_LOW = {"lab:hemoglobin:value": "5.2", "lab:hemoglobin:unit": "mmol/L", "lab_date": RECENT}
COUNTS = re.compile(r"Meets (\d+) · Does not meet (\d+) · Unknown (\d+)")


def csrf(client, path: str = "/match") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the form carries no CSRF token"
    return found.group(1)


def send(client, files=None, **fields):
    data = {"csrf_token": csrf(client), "description": "", "location": "", "radius": "50", **fields}
    return client.post("/match", data=data, files=files)


def match_of(page, nct: str):
    """The result of one trial on the page: the <article> labelled by its title."""
    return page.find("article", aria_labelledby=f"match-{nct}")


def counts(article) -> tuple[int, int, int]:
    found = COUNTS.search(article.find("p", cls="criteria-counts").text())
    assert found, article.text()
    return int(found.group(1)), int(found.group(2)), int(found.group(3))


def expected_counts(database, description: str, answers: dict | None = None) -> tuple[int, int, int]:
    """The reference trial's criteria evaluated on what the description says, by the matching package itself."""
    trial = find_trial(database=database, nct_id=REFERENCE)
    patient = patient_from_text(description, today=date.today())
    screening = screen(trial, patient.facts, today=date.today(), answers=answers)
    return screening.met, screening.not_met, screening.unknown


# --- the form ---------------------------------------------------------------------------------------------------------


def test_the_home_page_and_the_menu_lead_to_the_form(client):
    home = parse(client.get("/").text)
    assert home.find("p", cls="match-link").find("a", href="/match") is not None
    assert home.find("nav").find("a", href="/match").text() == "Trials for me"
    response = client.get("/match")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    page = parse(response.text)
    form = page.find("form", id="match-form")
    assert form.attrs["method"] == "post" and form.attrs["enctype"] == "multipart/form-data"
    assert page.find("textarea", name="description") is not None
    assert page.find("input", type="file", name="bundle") is not None
    assert "Nothing you type is stored" in page.by_id("f-description-hint").text()
    # Without a script the saved answers are not offered (site.js shows the box when there are some).
    assert "hidden" in page.find("p", cls="saved-answers").attrs
    assert page.find("nav").find("a", href="/match").attrs.get("aria-current") == "page"


# --- a description ------------------------------------------------------------------------------------------------------


def test_a_description_finds_the_reference_trial_with_its_criteria_counted(client, database):
    response = send(client, description=DESCRIPTION)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    page = parse(response.text)
    article = match_of(page, REFERENCE)
    assert article is not None, "the reference trial is not among the results"
    assert article.find("a", href=f"/trials/{REFERENCE}").text().startswith("Induction Treatment")
    assert article.find("li", cls="badge-status").text() == "Status: Recruiting"
    assert counts(article) == expected_counts(database, DESCRIPTION)
    assert sum(counts(article)) > 0
    assert article.find("a", href=f"/trials/{REFERENCE}/eligibility") is not None
    questions = article.find("div", cls="ask-doctor").find_all("li")
    assert 1 <= len(questions) <= 3
    assert "Colorectal Neoplasms" in page.find("section", cls="what-we-read").text()


def test_what_was_read_is_marked_in_the_description_and_everything_is_escaped(client):
    typed = "Colorectal cancer <script>alert('x')</script> & <b>liver metastases</b>, 58-year-old"
    response = send(client, description=typed)
    assert response.status_code == 200
    assert "<script>alert" not in response.text and "<b>liver" not in response.text
    assert "&lt;script&gt;" in response.text
    described = re.search(r'<blockquote class="described">(.*?)</blockquote>', response.text, re.S).group(1)
    assert "<mark>Colorectal cancer</mark>" in described
    assert "<mark>58-year-old</mark>" in described
    assert "&lt;b&gt;<mark>liver metastases</mark>&lt;/b&gt;" in described
    # Nothing but <mark> is markup in it.
    assert set(re.findall(r"</?(\w+)", described)) == {"mark"}
    # The textarea holds the text as typed (escaped), for another try.
    assert parse(response.text).find("textarea", name="description").text() == typed
    facts = [item.text() for item in parse(response.text).find("ul", cls="facts-read").find_all("li")]
    assert any(line.startswith("Condition:") and "Colorectal cancer" in line for line in facts)


def test_the_facts_say_what_they_were_read_as_and_one_said_twice_is_listed_once(client):
    response = send(client, description="Colorectal cancer. My father had lung cancer. No diabetes. ECOG 1; ECOG 1.")
    described = re.search(r'<blockquote class="described">(.*?)</blockquote>', response.text, re.S).group(1)
    assert described.count("<mark>ECOG 1</mark>") == 2
    facts = [item.text() for item in parse(response.text).find("ul", cls="facts-read").find_all("li")]
    assert facts == [
        "Condition: “Colorectal cancer” (Colorectal Neoplasms)",
        "Condition: “lung cancer” (Lung Neoplasms) – read as: a relative, not you",
        "Condition: “diabetes” (Diabetes Mellitus) – read as: not you",
        "How well you manage daily activities: “ECOG 1”",
    ]


def test_a_place_gives_each_trial_its_nearest_open_site(client):
    page = parse(send(client, description=DESCRIPTION, location="Utrecht", radius="30").text)
    assert "Near Utrecht" in page.find("section", cls="what-we-read").text()
    nearest = match_of(page, UTRECHT_COPY).find("p", cls="nearest").text()
    assert nearest.startswith("Nearest site: University Medical Center Utrecht, Utrecht, Netherlands")
    # Sites beyond the radius leave their trials out: the reference trial's sites are not within 30 km of Utrecht.
    assert match_of(page, REFERENCE) is None


def test_a_dutch_description_on_the_dutch_page(client):
    client.get("/match?lang=nl")
    response = send(client, description="darmkanker met uitzaaiingen in de lever")
    assert response.status_code == 200
    page = parse(response.text)
    assert page.find("html").attrs["lang"] == "nl"
    article = match_of(page, REFERENCE)
    assert article is not None
    assert re.search(r"Voldoet aan \d+ · Voldoet niet aan \d+ · Onbekend \d+", article.text())
    assert page.find("h2", id="what-we-read-title").text() == "Wat we lazen"
    assert "<mark>darmkanker</mark>" in response.text


# --- the answers kept from "Could I take part?" ------------------------------------------------------------------------


def test_saved_answers_count_and_what_rules_the_person_out_is_quoted(client, database):
    answers = json.dumps(HB_LOW)
    page = parse(send(client, description=DESCRIPTION, use_answers="yes", answers=answers).text)
    article = match_of(page, REFERENCE)
    met, not_met, unknown = counts(article)
    assert (met, not_met, unknown) == expected_counts(database, DESCRIPTION, HB_LOW)
    assert not_met >= 1
    ruling_out = [item.text() for item in article.find("div", cls="rules-out").find_all("li")]
    # The part of the laboratory requirements that fails, not the whole group.
    assert ruling_out == [
        "Hb ≥ 5.5 mmol/L – Your haemoglobin (Hb) is 5.2 mmol/L; the study asks for at least 5.5 mmol/L."
    ]
    assert "answers you saved" in page.find("section", cls="what-we-read").text()


def test_answers_that_are_not_json_of_strings_are_ignored(client, database):
    without = expected_counts(database, DESCRIPTION)
    for answers in ("{not json", '["a"]', '{"lab:hemoglobin:value": 5.2}', "null"):
        response = send(client, description=DESCRIPTION, use_answers="yes", answers=answers)
        assert response.status_code == 200, answers
        page = parse(response.text)
        assert counts(match_of(page, REFERENCE)) == without, answers
        assert "answers you saved" not in page.find("section", cls="what-we-read").text()


# --- a FHIR bundle ------------------------------------------------------------------------------------------------------


def bundle(*resources: dict) -> bytes:
    return json.dumps(
        {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}
    ).encode()


PATIENT = {"resourceType": "Patient", "id": "p1", "gender": "female", "birthDate": "1966-04-02"}
COLORECTAL = {
    "resourceType": "Condition",
    "id": "c1",
    "subject": {"reference": "Patient/p1"},
    "clinicalStatus": {
        "coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]
    },
    "code": {"text": "Colorectal cancer"},
}


def test_a_fhir_bundle_finds_the_reference_trial(client):
    files = {"bundle": ("record.json", bundle(PATIENT, COLORECTAL), "application/json")}
    response = send(client, files=files)
    assert response.status_code == 200
    page = parse(response.text)
    assert match_of(page, REFERENCE) is not None
    assert "Colorectal Neoplasms" in page.find("section", cls="what-we-read").text()
    assert page.find("blockquote", cls="described") is None  # nothing was typed


def test_a_file_that_is_not_a_usable_bundle_comes_back_with_a_message(client):
    for content in (b"not json at all", bundle(), b"[1, 2]", b"[" * 100_000, b"\xff\xfe"):
        files = {"bundle": ("record.json", content, "application/json")}
        response = send(client, files=files, location="Utrecht")
        assert response.status_code == 400, content
        page = parse(response.text)
        assert "could not use this file" in page.find(cls="error-summary").text()
        assert page.find("a", href="#f-bundle") is not None
        assert page.find("input", name="bundle").attrs.get("aria-invalid") == "true"
        assert page.find("input", name="location").attrs["value"] == "Utrecht"


def test_a_description_and_a_file_at_once_is_a_mistake_and_keeps_the_description(client):
    files = {"bundle": ("record.json", bundle(PATIENT, COLORECTAL), "application/json")}
    response = send(client, files=files, description=DESCRIPTION)
    assert response.status_code == 400
    page = parse(response.text)
    assert "not both" in page.find(cls="error-summary").text()
    assert page.find("textarea", name="description").text() == DESCRIPTION


# --- mistakes ------------------------------------------------------------------------------------------------------------


def test_an_empty_description_is_a_field_error_and_keeps_what_was_typed(client):
    response = send(client, description="", location="Utrecht")
    assert response.status_code == 400
    page = parse(response.text)
    summary = page.find(cls="error-summary")
    assert "Describe yourself" in summary.text()
    assert summary.find("a", href="#f-description") is not None
    textarea = page.find("textarea", name="description")
    assert textarea.attrs.get("aria-invalid") == "true"
    assert "f-description-error" in textarea.attrs["aria-describedby"]
    assert page.find("input", name="location").attrs["value"] == "Utrecht"
    assert page.find("section", cls="results") is None


def test_a_description_with_nothing_to_read_keeps_the_text(client):
    response = send(client, description="?? !! ...")
    assert response.status_code == 400
    page = parse(response.text)
    assert "could not read anything about you" in page.find(cls="error-summary").text()
    assert page.find("textarea", name="description").text() == "?? !! ..."


def test_a_place_that_cannot_be_found_keeps_the_description(client):
    response = send(client, description=DESCRIPTION, location="Xyzzyqwertyville")
    assert response.status_code == 400
    page = parse(response.text)
    assert "We could not find this place" in page.find(cls="error-summary").text()
    assert page.find("input", name="location").attrs.get("aria-invalid") == "true"
    assert page.find("textarea", name="description").text() == DESCRIPTION


def test_a_radius_out_of_bounds_is_a_field_error(client):
    response = send(client, description=DESCRIPTION, location="Utrecht", radius="5000")
    assert response.status_code == 400
    assert "at most 2,000 km" in parse(response.text).find(cls="error-summary").text()


def test_without_the_csrf_token_nothing_is_read_and_the_text_is_kept(client):
    client.get("/match")  # the cookie is there; the form's token is not
    response = client.post("/match", data={"description": DESCRIPTION})
    assert response.status_code == 403
    page = parse(response.text)
    assert "expired" in page.find(cls="notice").text()
    assert page.find("section", cls="results") is None
    assert page.find("textarea", name="description").text() == DESCRIPTION


def test_a_post_from_another_site_is_refused(client):
    token = csrf(client)
    response = client.post(
        "/match", data={"csrf_token": token, "description": DESCRIPTION}, headers={"origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert parse(response.text).find("section", cls="results") is None


def test_a_body_over_the_limit_is_refused_without_a_stack_trace(client):
    files = {"bundle": ("big.json", b" " * (3 * 1024 * 1024), "application/json")}
    response = send(client, files=files)
    assert response.status_code == 413
    assert "larger than we accept" in parse(response.text).find(cls="notice").text()


def test_a_description_over_the_limit_is_a_field_error(client):
    response = send(client, description="colon cancer " * 2000)
    assert response.status_code == 400
    assert "at most 20,000 characters" in parse(response.text).find(cls="error-summary").text()


def test_the_description_is_never_in_a_url_or_a_cookie(client):
    response = send(client, description=DESCRIPTION)
    assert response.status_code == 200 and response.url.path == "/match" and not response.url.query
    assert all("colorectal" not in value.lower() for value in response.headers.get_list("set-cookie"))
    assert all("colorectal" not in value.lower() for value in client.cookies.values())


# --- privacy -------------------------------------------------------------------------------------------------------------


def test_nothing_a_person_typed_is_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    private = "I am Wilhelmina Quackenbush, 61, with colorectal cancer and liver metastases"
    assert send(client, description=private, location="Utrecht", answers=json.dumps(HB_LOW)).status_code == 200
    assert send(client, description="", location="Zwartewaterklooster").status_code == 400
    files = {"bundle": ("record.json", bundle(PATIENT, COLORECTAL), "application/json")}
    assert send(client, files=files).status_code == 200
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("trialfinder"))
    assert "POST /match 200" in logged and "POST /match 400" in logged
    for word in (
        "Wilhelmina",
        "Quackenbush",
        "colorectal",
        "metastases",
        "Utrecht",
        "Zwartewaterklooster",
        "5.2",
        "1966",
    ):
        assert word not in logged, word


def test_matches_are_rate_limited_per_client_across_the_page_and_the_api(client):
    # Each request to the API counts, even one it refuses (so a flood of them costs the client, not the server).
    for _ in range(Settings.matches_per_client):
        assert client.post("/api/match", json={"text": ""}).status_code == 400
    refused = client.post("/api/match", json={"text": "colorectal cancer"})
    assert refused.status_code == 429 and "wait" in refused.json()["error"]["message"]
    page = send(client, description="colorectal cancer")
    assert page.status_code == 429
    assert "colorectal cancer" in page.text  # what was typed comes back, to send again later
    assert REFERENCE not in page.text


def test_the_limit_is_a_setting_and_zero_turns_it_off(catalogue, gazetteer_cache, tmp_path):
    assert Settings.from_env({"TRIALFINDER_MATCHES_PER_CLIENT": "0"}).matches_per_client == 0
    assert Settings.from_env({}).matches_per_client == 30
    with pytest.raises(SettingsError, match="MATCHES_PER_CLIENT"):
        Settings.from_env({"TRIALFINDER_MATCHES_PER_CLIENT": "many"})
    settings = Settings(
        data_dir=tmp_path / "data", cache_dir=gazetteer_cache, database_url=catalogue.url.url, matches_per_client=0
    )
    with TestClient(create_app(settings, catalogue)) as unlimited:
        for _ in range(Settings.matches_per_client + 1):
            assert unlimited.post("/api/match", json={"text": ""}).status_code == 400
