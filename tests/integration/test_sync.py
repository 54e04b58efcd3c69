"""`sync` end to end against a local server replaying recorded API v2 pages, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.replay_server import ABSENT, ReplayServer, Reply

from trialfinder.actions.syncing import CURSOR_KEY, cursor_key, sync
from trialfinder.registries.ctgov_v2.client import CtgovClient, RegistryUnavailable
from trialfinder.storage.bookkeeping import KeyValues
from trialfinder.storage.trials import TrialStore

PAGES = Path(__file__).resolve().parents[1] / "fixtures" / "ctgov_api"
SNAPSHOT = json.loads((PAGES / "version.json").read_text())["dataTimestamp"]


def _client(server: ReplayServer, sleeps: list[float]) -> CtgovClient:
    return CtgovClient(server.url, sleep=sleeps.append, rng=lambda: 0.5, max_retries=4)


def _cursor(database, key: str = CURSOR_KEY) -> str | None:
    with database.connect() as conn:
        return KeyValues(conn, "sync_state").get(key)


def test_first_sync_pages_through_faults_and_stores_the_cursor(database):
    page2 = Reply.file(PAGES / "page2.json")
    script = [
        Reply.file(PAGES / "version.json").expect("/version"),
        Reply.text("slow down", 429).with_headers(Retry_After="7"),
        Reply.file(PAGES / "page1.json").expect(
            "/studies", {"pageToken": ABSENT, "filter.advanced": ABSENT, "countTotal": "true"}
        ),
        Reply.text("internal error", 500),
        page2.truncated(len(page2.body) // 3),
        page2.expect("/studies", {"pageToken": "ZVNj7o2Elu8o3lpoWM7Np6alkehQ"}),
    ]
    sleeps: list[float] = []
    with ReplayServer(script) as server:
        with _client(server, sleeps) as client:
            report = sync(database=database, client=client)
        server.assert_all_used()

    assert (report.pages, report.total) == (2, 4)
    assert (report.counts.added, report.counts.rejected) == (4, 0)
    assert report.previous_cursor is None and report.new_cursor == SNAPSHOT
    assert _cursor(database) == SNAPSHOT
    assert sleeps[0] == 7  # Retry-After was honoured
    assert len(sleeps) == 3  # one wait per fault
    with database.connect() as conn:
        trial = TrialStore(conn).get("NCT06857773")
    assert trial is not None and trial.acronym == "PUMP-IT RCT"


def test_next_sync_asks_only_for_what_changed_since_the_cursor(database):
    page1 = json.loads((PAGES / "page1.json").read_text())
    page2 = json.loads((PAGES / "page2.json").read_text())
    with ReplayServer(
        [Reply.file(PAGES / "version.json"), Reply.json(page1), Reply.json(page2)]
    ) as server, _client(server, []) as client:
        sync(database=database, client=client)

    changed = page2["studies"][0]
    changed["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": "2025-11-24", "type": "ACTUAL"}
    changed["protocolSection"]["statusModule"]["overallStatus"] = "ACTIVE_NOT_RECRUITING"
    unchanged = page2["studies"][1]
    newer_snapshot = {"apiVersion": "2.0.5", "dataTimestamp": "2025-11-25T09:00:00"}
    with ReplayServer(
        [
            Reply.json(newer_snapshot),
            Reply.json({"totalCount": 2, "studies": [changed, unchanged]}).expect(
                "/studies", {"filter.advanced": "AREA[LastUpdatePostDate]RANGE[2025-11-20,MAX]"}
            ),
        ]
    ) as server, _client(server, []) as client:
        report = sync(database=database, client=client)

    assert (report.counts.added, report.counts.updated, report.counts.unchanged) == (0, 1, 1)
    assert _cursor(database) == "2025-11-25T09:00:00"
    with database.connect() as conn:
        assert TrialStore(conn).get("NCT06857773").overall_status.value == "ACTIVE_NOT_RECRUITING"


def test_a_failed_sync_keeps_the_old_cursor_and_what_it_stored(database):
    with ReplayServer(
        [Reply.file(PAGES / "version.json"), Reply.file(PAGES / "page1.json")]
        + [Reply.text("unavailable", 503)] * 3
    ) as server, CtgovClient(server.url, sleep=lambda _: None, max_retries=2) as client:
        with pytest.raises(RegistryUnavailable):
            sync(database=database, client=client)
    assert _cursor(database) is None  # the next sync starts again from the old cursor
    with database.connect() as conn:
        assert TrialStore(conn).count() == 2  # the first page's studies are kept


def test_scoped_syncs_keep_their_own_cursors(database):
    key = cursor_key(condition="Pancreatic Cancer", statuses=["recruiting"])
    assert key == "ctgov_v2.cursor?cond=pancreatic cancer&status=RECRUITING"
    with ReplayServer(
        [
            Reply.file(PAGES / "version.json"),
            Reply.file(PAGES / "page2.json").expect(
                "/studies", {"query.cond": "Pancreatic Cancer", "filter.overallStatus": "RECRUITING"}
            ),
        ]
    ) as server, _client(server, []) as client:
        sync(database=database, client=client, condition="Pancreatic Cancer", statuses=["recruiting"])
    assert _cursor(database, key) == SNAPSHOT
    assert _cursor(database) is None


def test_unreadable_studies_in_a_page_are_rejected_not_fatal(database):
    page = json.loads((PAGES / "page2.json").read_text())
    page["studies"].append({"protocolSection": {"identificationModule": {"briefTitle": "no id"}}})
    with ReplayServer([Reply.file(PAGES / "version.json"), Reply.json(page)]) as server, _client(server, []) as client:
        report = sync(database=database, client=client)
    assert (report.counts.added, report.counts.rejected) == (2, 1)
    assert report.rejections[0].name == "page 1, study 3"
    assert "nctId is missing" in report.rejections[0].reason
