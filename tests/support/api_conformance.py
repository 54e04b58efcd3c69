"""Schemathesis over the JSON API, as its command line runs it, with every check on: the shared runner of
tests/integration/web/test_reliability_openapi.py (the app in process, few examples) and bench/api_conformance.py
(a real server, many examples).

Schemathesis's engine is used directly rather than its pytest plugin: the plugin's fixture-based schemas do not run
on this project's pytest, and the engine reports the same figures as `schemathesis run` (cases, failures, errors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from schemathesis.engine.statistic import Statistic

# Every check that applies to a read-only API without authentication, named so that a check added to schemathesis
# later is a decision, not a surprise.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "positive_data_acceptance",
    "negative_data_rejection",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
)


@dataclass
class ConformanceReport:
    cases: int = 0
    operations: set[str] = field(default_factory=set)
    server_errors: int = 0
    failures: list[str] = field(default_factory=list)  # one readable block per failing case
    errors: list[str] = field(default_factory=list)  # the run itself went wrong (schema, transport)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.cases:,} cases over {len(self.operations)} operations in {self.seconds:.1f} s: "
            f"{len(self.failures)} failing, {self.server_errors} server errors, {len(self.errors)} errors"
        )


# A request the schema calls invalid must be refused; 413 and 414 (too large, too long) are refusals too.
REFUSED = ["400", "404", "405", "406", "413", "414", "415", "422"]
# A request the schema calls valid must be accepted, except where the API also checks the input against data or
# rules no schema can hold: a place against the gazetteer, `lat` without `lon`, `sort=distance` without a place,
# answers against the trial's own questions, a description or a FHIR Bundle with nothing in it to match on. Those
# answer 400 with the field named (a documented answer, whose body is still checked against the Error schema).
CHECKED_AGAINST_DATA = ("searchTrials", "getTrial", "assessEligibility", "matchTrials")
ACCEPTED = ["2XX", "404"]


def config(*, max_examples: int, seed: int | None = None) -> SchemathesisConfig:
    checks: dict[str, Any] = {"enabled": False, **{name: {"enabled": True} for name in CHECKS}}
    checks["negative_data_rejection"] = {"enabled": True, "expected-statuses": REFUSED}
    checks["positive_data_acceptance"] = {"enabled": True, "expected-statuses": ACCEPTED}
    data: dict[str, Any] = {
        "generation": {"max-examples": max_examples, "database": "none"},
        "checks": checks,
        "phases": {"examples": {"enabled": True}, "coverage": {"enabled": True}, "fuzzing": {"enabled": True}},
        "suppress-health-check": ["all"],
        "operations": [
            {
                "include-operation-id": operation_id,
                "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
            }
            for operation_id in CHECKED_AGAINST_DATA
        ],
    }
    if seed is not None:
        data["seed"] = seed
    return SchemathesisConfig.from_dict(data)


def run_against_app(app: Any, *, max_examples: int, seed: int | None = None) -> ConformanceReport:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app, config=config(max_examples=max_examples, seed=seed))
    return _run(schema)


def run_against_url(base_url: str, *, max_examples: int, seed: int | None = None) -> ConformanceReport:
    schema = schemathesis.openapi.from_url(
        f"{base_url}/api/openapi.json", config=config(max_examples=max_examples, seed=seed)
    )
    schema.config.update(base_url=base_url)
    return _run(schema)


def _run(schema) -> ConformanceReport:
    report = ConformanceReport()
    statistic = Statistic()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.is_test_scenario:
            statistic.on_scenario_finished(event.recorder)
            for node in event.recorder.cases.values():
                report.operations.add(node.value.operation.label)
            for interaction in event.recorder.interactions.values():
                if interaction.response is not None and interaction.response.status_code >= 500:
                    report.server_errors += 1
        elif isinstance(event, events.NonFatalError | events.FatalError):
            report.errors.append(f"{type(event).__name__}: {getattr(event, 'value', event)!r}")
        elif isinstance(event, events.EngineFinished):
            report.seconds = event.running_time
    report.cases = statistic.total_cases
    for label, grouped in statistic.failures.items():
        for group in grouped.values():
            titles = "; ".join(f"{failure.title}: {failure.message}".strip() for failure in group.failures)
            response = group.response
            status = response.status_code if response is not None else "-"
            report.failures.append(f"{label} -> {status}: {titles}\n    {group.code_sample or ''}")
    return report
