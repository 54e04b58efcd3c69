"""Real records for the overview tests: the fixtures every test run has (tests/fixtures)."""

from __future__ import annotations

import json
from pathlib import Path

from trialfinder.domain.trial import Trial
from trialfinder.registries.ctgov_v2.mapping import to_trial
from trialfinder.registries.ctgov_xml.mapping import to_trial as xml_to_trial

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def load_v2(name: str) -> Trial:
    return to_trial(json.loads((FIXTURES / "ctgov_v2" / f"{name}.json").read_text()))


def every_fixture() -> list[Trial]:
    trials = [to_trial(json.loads(path.read_text())) for path in sorted((FIXTURES / "ctgov_v2").glob("*.json"))]
    trials += [xml_to_trial(path.read_bytes()) for path in sorted((FIXTURES / "ctgov_xml").glob("*.xml"))]
    return trials
