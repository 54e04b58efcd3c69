"""`trialfinder match` as a user runs it (issue #18): a description or a FHIR record in a file, the answer readable or
as JSON, mistakes as one line and a non-zero exit status; on a catalogue of the API v2 fixtures (both databases)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import FIXTURES
from support.fhir import colon_cancer_bundle

from trialfinder.actions.importing import import_path
from trialfinder.geo.gazetteer import SiteGeocoder

REFERENCE = "NCT06857773"
DESCRIPTION = "62-year-old man with colorectal cancer and liver metastases, ECOG 1, after FOLFOX.\n"


@pytest.fixture(scope="session")
def match_seed(gazetteer_cache):
    def catalogue(database) -> None:
        import_path(database=database, path=FIXTURES / "ctgov_v2", geocode=SiteGeocoder(gazetteer_cache))

    return catalogue


@pytest.fixture
def database_seed(match_seed):
    return match_seed


@pytest.fixture
def env(tmp_path, database, gazetteer_cache) -> dict[str, str]:
    return {
        **os.environ,
        "TRIALFINDER_DATA_DIR": str(tmp_path / "data"),
        "TRIALFINDER_CACHE_DIR": str(gazetteer_cache),
        "TRIALFINDER_DATABASE_URL": database.url.url,
        "TRIALFINDER_LOAD_STARTER_CATALOGUE": "false",
    }


def run(*args: str, env: dict[str, str], stdin: str | None = None) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "trialfinder", "match", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        input=stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    return done


@pytest.fixture
def description(tmp_path) -> Path:
    path = tmp_path / "note.txt"
    path.write_text(DESCRIPTION, encoding="utf-8")
    return path


def test_a_description_gives_readable_ranked_trials(env, description):
    done = run("--text", str(description), env=env)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(
        "Searched for: Colorectal Neoplasms, Liver Neoplasms. Read: 62-year-old (age); man (sex)"
    )
    assert "(recruiting, not yet recruiting)" in lines[1]
    first = lines.index(next(line for line in lines if line.startswith("1. ")))
    assert lines[first].startswith(f"1. {REFERENCE}  Induction Treatment for Initially Unresectable Colorectal")
    assert lines[first + 1].startswith("   Recruiting; score ")
    assert ", does not meet 0, unknown " in lines[first + 1] and "meets 0," not in lines[first + 1]
    assert "   Ask your doctor about:" in lines and any(line.startswith("   - ") for line in lines)
    assert "Nearest open site" not in done.stdout  # no place was given


def test_json_has_the_shape_of_the_api(env, description):
    done = run("--text", str(description), "--json", env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert set(data) == {"results", "facts", "searched", "problems", "candidates", "statuses", "near"}
    assert data["statuses"] == ["RECRUITING", "NOT_YET_RECRUITING"] and data["near"] is None
    trial = next(item for item in data["results"] if item["nct_id"] == REFERENCE)
    assert set(trial) == {
        "nct_id", "title", "status", "score", "relevance", "criteria", "not_met_because", "ask", "nearest_site", "url",
    }  # fmt: skip
    assert set(trial["criteria"]) == {"met", "not_met", "unknown"} and trial["url"] == f"/trials/{REFERENCE}"
    for fact in data["facts"]:
        start, end = fact["span"]
        assert DESCRIPTION[start:end] == fact["text"]
    assert any(fact["kind"] == "metastasis" and fact["text"] == "liver metastases" for fact in data["facts"])


def test_standard_input_and_a_place(env):
    done = run("--text", "-", "--near", "Amsterdam", "--radius", "25", "--limit", "1", env=env, stdin=DESCRIPTION)
    assert done.returncode == 0, done.stderr
    assert f"1. {REFERENCE}" in done.stdout and "2. " not in done.stdout
    assert "within 25 km of Amsterdam, The Netherlands" in done.stdout
    assert "   Nearest open site: The Netherlands Cancer Institute, Amsterdam, Netherlands (" in done.stdout


def test_a_fhir_record(env, tmp_path):
    record = tmp_path / "record.json"
    record.write_text(json.dumps(colon_cancer_bundle()))
    done = run("--fhir", str(record), env=env)
    assert done.returncode == 0, done.stderr
    assert f"1. {REFERENCE}" in done.stdout and "2. " not in done.stdout  # over 72: not the GI trial
    mcode = run("--fhir", str(FIXTURES / "patients" / "TrialMatching_Patient02.json"), "--json", env=env)
    assert mcode.returncode == 0, mcode.stderr
    assert "Breast Neoplasms" in json.loads(mcode.stdout)["searched"]
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"resourceType": "Patient", "gender": "female", "birthDate": "1970-01-01"}))
    done = run("--fhir", str(unknown), env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "Searched for: no condition was recognised."


def test_mistakes_are_one_line_and_a_non_zero_status(env, tmp_path, description):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    done = run("--text", str(empty), env=env)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip() == (
        "Error: The description is empty: describe the person, their illness and its treatment."
    )
    bundle = tmp_path / "bundle.json"
    bundle.write_text('{"resourceType": "Bundle"}', encoding="utf-8")
    done = run("--fhir", str(bundle), env=env)
    assert done.returncode == 1 and done.stderr.startswith("Error: The FHIR bundle could not be used")
    done = run("--text", str(description), "--near", "Qwzxyvillebergen", env=env)
    assert done.returncode == 1 and "no place called 'Qwzxyvillebergen' is known" in done.stderr
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("Patiënt met darmkanker".encode("latin-1"))
    done = run("--text", str(latin1), env=env)
    assert done.returncode == 1 and done.stderr.strip() == f"Error: {latin1} is not UTF-8 text."
    for args in (
        [],
        ["--text", str(description), "--fhir", str(bundle)],
        ["--text", str(description), "--radius", "9"],
    ):
        done = run(*args, env=env)
        assert done.returncode == 2 and "Error:" in done.stderr
    done = run("--text", str(description), "--status", "finished", env=env)
    assert done.returncode == 2 and "is not a ClinicalTrials.gov status" in done.stderr


def test_the_limit_is_the_queries(env):
    from trialfinder.cli import MAX_MATCH_RESULTS
    from trialfinder.queries.match import MAX_RESULTS

    assert MAX_MATCH_RESULTS == MAX_RESULTS
