""" "Could I take part?" on the site and in the API: the reference trial's own criteria as questions, answers
assessed criterion by criterion, nothing stored or logged (both databases)."""

from __future__ import annotations

import json
import logging
from datetime import date, timedelta

from conftest import FIXTURES

from .conftest import REFERENCE
from .pages import parse

RECENT = (date.today() - timedelta(days=3)).isoformat()
HB_LOW = {"lab:hemoglobin:value": "5.2", "lab:hemoglobin:unit": "mmol/L", "lab_date": RECENT}


def results_page(client, answers: dict, **params):
    response = client.post(f"/trials/{REFERENCE}/eligibility", data={**answers, "action": "assess"}, params=params)
    return response, parse(response.text)


def criterion(page, starts_with: str):
    for item in page.find_all("li", cls="criterion-result"):
        if item.find("span", cls="criterion-source").text().startswith(starts_with):
            return item
    raise AssertionError(f"no criterion {starts_with!r}")


def test_the_trial_page_offers_the_check(client):
    page = parse(client.get(f"/trials/{REFERENCE}").text)
    section = page.by_id("could-i-take-part")
    assert section.find("a", href=f"/trials/{REFERENCE}/eligibility") is not None
    assert "criteria into checks" in section.text()


def test_the_questions_come_from_the_criteria_with_units_and_i_dont_know(client):
    response = client.get(f"/trials/{REFERENCE}/eligibility")
    assert response.status_code == 200 and response.headers["cache-control"] == "private, no-store"
    page = parse(response.text)
    units = [option.attrs["value"] for option in page.find("select", name="lab:hemoglobin:unit").find_all("option")]
    assert "mmol/L" in units and "g/dL" in units
    ecog = page.find("input", name="performance:ecog", value="unknown")
    assert ecog is not None and "checked" in ecog.attrs
    mmr = [item.attrs["value"] for item in page.find_all("input", name="biomarker:mmr:deficient")]
    assert mmr == ["yes", "no", "unknown"]


def test_no_answers_is_needs_review_never_not_eligible(client):
    response, page = results_page(client, {})
    assert response.status_code == 200 and response.headers["cache-control"] == "private, no-store"
    verdict = page.find("section", cls="verdict")
    assert verdict.find("h2").text() == "We cannot tell yet"
    assert page.find("ul", cls="open-questions").find_all("li")
    assert "Not known yet" in criterion(page, "Hb ≥ 5.5 mmol/L").text()


def test_a_low_haemoglobin_in_mmol_per_litre_does_not_fit(client):
    _, page = results_page(client, HB_LOW)
    assert page.find("section", cls="verdict").find("h2").text() == "You probably cannot take part"
    hb = criterion(page, "Hb ≥ 5.5 mmol/L")
    assert "Does not fit" in hb.text() and "Your haemoglobin (Hb) is 5.2 mmol/L" in hb.text()


def test_haemoglobin_in_grams_per_decilitre_is_converted(client):
    _, page = results_page(client, {**HB_LOW, "lab:hemoglobin:value": "9.0", "lab:hemoglobin:unit": "g/dL"})
    hb = criterion(page, "Hb ≥ 5.5 mmol/L")
    assert "Fits" in hb.text() and "= 5.59 mmol/L" in hb.text()


def test_meeting_an_exclusion_criterion_rules_you_out(client):
    _, page = results_page(client, {"biomarker:mmr:deficient": "yes"})
    assert "Applies to you — this rules you out" in criterion(page, "MMR deficiency.").text()
    assert page.find("section", cls="verdict").find("h2").text() == "You probably cannot take part"


def test_an_exclusion_that_does_not_apply_never_reads_fits(client):
    # Issue #15: "Fits — MMR deficiency" reads as the opposite of what it means.
    answers = {"biomarker:mmr:deficient": "no", "pregnancy": "no", "sex": "female"}
    _, page = results_page(client, answers)
    for source in ("MMR deficiency.", "Pregnant or lactating women."):
        badge = criterion(page, source).find("span", cls="badge-effect").text()
        assert badge == "Does not apply to you", source
    assert criterion(page, "Minimum age: 18 years").find("span", cls="badge-effect").text() == "Not known yet"
    client.get("/", params={"lang": "nl"})
    _, page = results_page(client, answers)
    assert criterion(page, "MMR deficiency.").find("span", cls="badge-effect").text() == "Geldt niet voor u"


def test_the_api_words_each_criterion_by_its_section(client):
    answers = {"biomarker:mmr:deficient": "no", "biomarker:dpd:deficient": "yes", **HB_LOW}
    data = client.post(f"/api/trials/{REFERENCE}/eligibility", json={"answers": answers, "language": "nl"}).json()
    by_id = {item["id"]: item for item in data["criteria"]}
    assert (by_id["exc-5"]["outcome"], by_id["exc-5"]["label"]) == ("exclusion_does_not_apply", "Geldt niet voor u")
    assert by_id["exc-6"]["outcome"] == "exclusion_applies" and by_id["exc-6"]["effect"] == "excludes"
    hb = next(child for child in by_id["inc-13"]["children"] if child["id"] == "inc-13-1")
    assert (hb["outcome"], hb["label"]) == ("inclusion_not_met", "Past niet")
    assert by_id["inc-7"]["outcome"] == "inclusion_unknown"


def test_an_unreadable_answer_comes_back_beside_its_field(client):
    response, page = results_page(client, {"lab:hemoglobin:value": "abc", "lab:hemoglobin:unit": "mmol/L"})
    assert response.status_code == 400
    assert "Enter a number, for example 5.5." in page.find(cls="error-summary").text()
    field = page.find("input", name="lab:hemoglobin:value")
    assert field.attrs["value"] == "abc" and field.attrs["aria-invalid"] == "true"


def test_an_impossible_haemoglobin_is_questioned_beside_its_field_not_assessed(client):
    response, page = results_page(client, {**HB_LOW, "lab:hemoglobin:value": "65"})
    assert response.status_code == 400
    summary = page.find(cls="error-summary").text()
    assert "65 mmol/L cannot be right for haemoglobin (Hb)" in summary and "perhaps in g/L?" in summary
    field = page.find("input", name="lab:hemoglobin:value")
    assert field.attrs["value"] == "65" and field.attrs["aria-invalid"] == "true"
    api = client.post(f"/api/trials/{REFERENCE}/eligibility", json={"answers": {**HB_LOW, "lab:hemoglobin:value": 65}})
    assert api.status_code == 400 and api.json()["error"]["field"] == "answers.lab:hemoglobin:value"
    assert "check the number and the unit" in api.json()["error"]["message"]


def test_change_my_answers_brings_them_back_without_storing_them(client, catalogue):
    _, page = results_page(client, HB_LOW)
    form = page.find("form", method="post")
    hidden = {item.attrs["name"]: item.attrs["value"] for item in form.find_all("input", type="hidden")}
    assert hidden == HB_LOW
    again = parse(client.post(f"/trials/{REFERENCE}/eligibility", data={**hidden, "action": "edit"}).text)
    assert again.find("input", name="lab:hemoglobin:value").attrs["value"] == "5.2"
    if catalogue.dialect == "sqlite":  # nothing of the answers reached the database file or its journal
        results_page(client, {**HB_LOW, "lab:hemoglobin:value": "4.321", "birth_date": "1961-07-13"})
        path = catalogue.url.path
        stored = b"".join(p.read_bytes() for p in (path, path.with_name(path.name + "-wal")) if p.exists())
        assert b"4.321" not in stored and b"1961-07-13" not in stored


def test_in_dutch_the_questions_and_the_verdict_are_dutch(client):
    client.get("/", params={"lang": "nl"})
    form = parse(client.get(f"/trials/{REFERENCE}/eligibility").text)
    assert form.find("h1").text() == "Kan ik meedoen?"
    _, page = results_page(client, {})
    assert page.find("section", cls="verdict").find("h2").text() == "We kunnen het nog niet zeggen"


def test_answers_are_never_logged(client, caplog):
    caplog.set_level(logging.DEBUG)
    results_page(client, {**HB_LOW, "lab:hemoglobin:value": "4.321", "birth_date": "1961-07-13"})
    logged = "\n".join(record.getMessage() for record in caplog.records if record.name.startswith("trialfinder"))
    assert f"POST /trials/{REFERENCE}/eligibility 200" in logged
    assert "4.321" not in logged and "1961-07-13" not in logged


# --- the API --------------------------------------------------------------------------------------------------------


def test_the_api_gives_the_questions(client):
    data = client.get(f"/api/trials/{REFERENCE}/eligibility/questions", params={"lang": "nl"}).json()
    assert data["language"] == "nl"
    lab = next(question for question in data["questions"] if question["id"] == "lab:hemoglobin")
    assert lab["fields"] == ["lab:hemoglobin:value", "lab:hemoglobin:unit"] and lab["kind"] == "lab"


def test_the_api_assesses_answers_with_a_research_subject_status(client):
    response = client.post(
        f"/api/trials/{REFERENCE}/eligibility", json={"answers": HB_LOW, "today": date.today().isoformat()}
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["verdict"], data["research_subject_status"]) == ("not-eligible", "ineligible")
    assert data["because"][0]["reason"].startswith("Your haemoglobin (Hb) is 5.2 mmol/L")
    empty = client.post(f"/api/trials/{REFERENCE}/eligibility", json={}).json()
    assert (empty["verdict"], empty["research_subject_status"]) == ("needs-review", "potential-candidate")


def test_the_api_reads_a_fhir_bundle_leniently(client):
    bundle = json.loads(
        (FIXTURES / "patients" / "patient_data_missing_birthdate_invalid_ecog_karnofsky.json").read_text()
    )
    for body in ({"fhir": bundle, "language": "en"}, bundle):
        response = client.post(f"/api/trials/{REFERENCE}/eligibility", json=body)
        assert response.status_code == 200
        data = response.json()
        assert data["research_subject_status"] in ("ineligible", "potential-candidate")
        assert data["fhir_problems"], "the invalid ECOG/Karnofsky resources are reported"


def test_the_api_explains_bad_requests(client):
    url = f"/api/trials/{REFERENCE}/eligibility"
    assert client.post(url, content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
    unknown = client.post(url, json={"facts": {}})
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "facts"
    bad = client.post(url, json={"answers": {"lab:hemoglobin:value": "abc", "lab:hemoglobin:unit": "mmol/L"}})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "answers.lab:hemoglobin:value"
    assert client.post(url, json={"today": "yesterday"}).json()["error"]["field"] == "today"
    assert client.post("/api/trials/NCT00000000/eligibility", json={}).status_code == 404


def test_a_long_questionnaire_is_read_whole(client):
    # Some trials ask well over a hundred questions (NCT00000826 in the starter catalogue: 133 fields).
    many = {f"inc-{number}": "unknown" for number in range(300)}
    response, page = results_page(client, {**many, **HB_LOW})
    assert response.status_code == 200
    assert "Does not fit" in criterion(page, "Hb ≥ 5.5 mmol/L").text()
