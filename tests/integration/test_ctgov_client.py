"""The ClinicalTrials.gov API v2 client, over real HTTP against the replay server on localhost.

The recorded pages in tests/fixtures/ctgov_api/ wrap real study records (see make_pages.py there). The last
section holds unit tests of the pure parts: the backoff policy, Retry-After parsing and the search parameters.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from support.replay_server import ABSENT, ReplayServer, Reply

from trialfinder import __version__
from trialfinder.domain.errors import DomainError
from trialfinder.registries.ctgov_v2.client import (
    Backoff,
    CtgovClient,
    RegistryRequestRejected,
    RegistryUnavailable,
    StudyNotFound,
    StudyPage,
    UnexpectedResponse,
    VersionInfo,
    parse_retry_after,
    study_search_params,
)
from trialfinder.registries.ctgov_v2.mapping import to_trial

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PAGES = FIXTURES / "ctgov_api"
RECORDS = FIXTURES / "ctgov_v2"
PAGE_1 = PAGES / "page1.json"
PAGE_2 = PAGES / "page2.json"
VERSION = PAGES / "version.json"
TOKEN = json.loads(PAGE_1.read_text())["nextPageToken"]
STUDIES = "/api/v2/studies"
# A real error text of the API (quoted in snap-stanford/Biomni pull request #328, checked against the live API).
UNKNOWN_PARAMETER = "`filter.phase` is unknown parameter"


class Sleeps(list[float]):
    """An injected `sleep` that records how long it was asked to wait, and does not wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as replay:
        yield replay


@pytest.fixture
def client(server: ReplayServer, sleeps: Sleeps) -> Iterator[CtgovClient]:
    with make_client(server, sleeps) as ctgov:
        yield ctgov


def make_client(server: ReplayServer, sleeps: Sleeps, **options: object) -> CtgovClient:
    settings: dict = {"max_retries": 3, "timeout": 5.0, "rng": lambda: 0.0, **options}
    # An explicit transport: the real one, minus any proxy from the environment, so that tests stay on localhost.
    return CtgovClient(f"{server.url}/api/v2", transport=httpx.HTTPTransport(), sleep=sleeps, **settings)


def nct_ids(page: StudyPage) -> list[str]:
    return [study["protocolSection"]["identificationModule"]["nctId"] for study in page.studies]


# --- paging ---------------------------------------------------------------------------------------------------


def test_pages_are_followed_until_a_page_comes_without_a_token(server, client):
    server.add(Reply.file(PAGE_1), Reply.file(PAGE_2))

    pages = list(client.iter_study_pages(page_size=2))

    assert [page.page_number for page in pages] == [1, 2]
    assert nct_ids(pages[0]) == ["NCT05052671", "NCT06898385"]
    assert nct_ids(pages[1]) == ["NCT06857773", "NCT03745326"]
    assert [page.total_count for page in pages] == [4, None]
    assert [page.next_page_token for page in pages] == [TOKEN, None]
    assert len(server.requests) == 2


def test_the_records_come_as_the_api_sent_them(server, client):
    server.add(Reply.file(PAGE_1), Reply.file(PAGE_2))

    studies = [study for page in client.iter_study_pages(page_size=2) for study in page.studies]

    for study in studies:
        nct_id = study["protocolSection"]["identificationModule"]["nctId"]
        assert study == json.loads((RECORDS / f"{nct_id}.json").read_text())
        assert to_trial(study).nct_id == nct_id


def test_the_query_parameters_of_an_incremental_sync(server, client):
    server.add(Reply.file(PAGE_1), Reply.file(PAGE_2))

    list(
        client.iter_study_pages(
            updated_since="2025-11-20T09:00:05",
            query_cond="pancreatic cancer",
            statuses=["RECRUITING", "not_yet_recruiting"],
            page_size=2,
        )
    )

    first, second = server.requests
    shared = {
        "format": "json",
        "pageSize": "2",
        "sort": "LastUpdatePostDate:asc",
        "query.cond": "pancreatic cancer",
        "filter.overallStatus": "RECRUITING,NOT_YET_RECRUITING",
        "filter.advanced": "AREA[LastUpdatePostDate]RANGE[2025-11-20,MAX]",
    }
    assert (first.method, first.path) == ("GET", STUDIES)
    assert first.params == {**shared, "countTotal": "true"}
    assert (second.method, second.path) == ("GET", STUDIES)
    assert second.params == {**shared, "pageToken": TOKEN}
    # Every parameter sent once only.
    assert all(len(values) == 1 for request in (first, second) for values in request.query.values())


def test_a_full_sync_sends_no_filter_and_the_default_page_size(server, client):
    server.add(Reply.file(PAGE_2))

    list(client.iter_study_pages())

    assert server.requests[0].params == {
        "format": "json",
        "pageSize": "1000",
        "sort": "LastUpdatePostDate:asc",
        "countTotal": "true",
    }


def test_requests_say_who_is_asking(server, client):
    server.add(Reply.file(VERSION))

    client.version()

    headers = server.requests[0].headers
    assert headers["user-agent"] == f"trialfinder/{__version__} (+https://github.com/trialfinder)"
    assert headers["accept"] == "application/json"


def test_a_scripted_expectation_checks_the_token_of_each_page(server, client):
    server.add(
        Reply.file(PAGE_1).expect(STUDIES, {"countTotal": "true", "pageToken": ABSENT}),
        Reply.file(PAGE_2).expect(STUDIES, {"countTotal": ABSENT, "pageToken": TOKEN}),
    )

    assert sum(len(page.studies) for page in client.iter_study_pages(page_size=2)) == 4


def test_an_empty_page_with_a_token_is_not_the_end(server, client):
    # The spec: "A page may have empty `studies` array"; only the missing token ends the search.
    server.add(Reply.json({"totalCount": 2, "studies": [], "nextPageToken": "t1"}), Reply.file(PAGE_1))
    server.add(Reply.file(PAGE_2))

    pages = list(client.iter_study_pages(page_size=2))

    assert [len(page.studies) for page in pages] == [0, 2, 2]
    assert [request.params.get("pageToken") for request in server.requests] == [None, "t1", TOKEN]


def test_nothing_is_requested_before_the_first_page_is_asked_for(server, client):
    pages = client.iter_study_pages()

    assert server.requests == []
    with pytest.raises(DomainError):  # but the arguments are checked at once
        client.iter_study_pages(updated_since="yesterday")
    server.add(Reply.file(PAGE_2))
    assert nct_ids(next(pages)) == ["NCT06857773", "NCT03745326"]


def test_a_token_sent_twice_stops_the_paging(server, client):
    server.add(Reply.file(PAGE_1), Reply.file(PAGE_1))

    with pytest.raises(UnexpectedResponse, match="same nextPageToken twice"):
        list(client.iter_study_pages(page_size=2))


# --- retries --------------------------------------------------------------------------------------------------


def test_a_429_is_retried_after_the_seconds_of_its_retry_after(server, client, sleeps):
    server.add(Reply.text("Too Many Requests", 429).with_headers(Retry_After="7"), Reply.file(VERSION))

    assert client.version() == VersionInfo(api_version="2.0.5", data_timestamp="2025-11-20T09:00:05")
    assert sleeps == [7.0]
    assert len(server.requests) == 2


def test_a_retry_after_given_as_a_date_is_measured_from_the_servers_date(server, client, sleeps):
    busy = Reply.text("Too Many Requests", 429).with_headers(
        Date="Thu, 20 Nov 2025 09:00:00 GMT", Retry_After="Thu, 20 Nov 2025 09:00:12 GMT"
    )
    server.add(busy, Reply.file(VERSION))

    client.version()

    assert sleeps == [12.0]


def test_a_long_retry_after_is_capped(server, sleeps):
    server.add(Reply.text("down for maintenance", 503).with_headers(Retry_After="86400"), Reply.file(VERSION))

    with make_client(server, sleeps, backoff=Backoff(max_retry_after=30.0)) as client:
        client.version()

    assert sleeps == [30.0]


def test_a_500_is_retried_with_backoff(server, client, sleeps):
    server.add(Reply.text("Internal Server Error", 500), Reply.text("Bad Gateway", 502), Reply.file(VERSION))

    assert client.version().api_version == "2.0.5"
    assert sleeps == [1.0, 2.0]


def test_the_jitter_shortens_the_wait(server, sleeps):
    server.add(Reply.text("Internal Server Error", 500), Reply.file(VERSION))

    with make_client(server, sleeps, rng=lambda: 0.5) as client:
        client.version()

    assert sleeps == [0.75]  # 1 s, less half of the 0.5 jitter


def test_a_body_shorter_than_its_content_length_is_retried(server, client, sleeps):
    server.add(Reply.file(PAGE_1).truncated(5000), Reply.file(PAGE_1), Reply.file(PAGE_2))

    pages = list(client.iter_study_pages(page_size=2))

    assert sum(len(page.studies) for page in pages) == 4
    assert sleeps == [1.0]
    # The retry asks for the same page again: the first one, with countTotal and without a token.
    assert server.requests[0].params == server.requests[1].params
    assert "pageToken" not in server.requests[1].params


def test_a_cut_json_body_ended_by_closing_the_connection_is_retried(server, client, sleeps):
    # Without a Content-Length the cut body looks complete to HTTP; only the JSON decoder sees it is not.
    server.add(Reply.file(PAGE_1), Reply.file(PAGE_2).truncated(3000, content_length=False), Reply.file(PAGE_2))

    pages = list(client.iter_study_pages(page_size=2))

    assert nct_ids(pages[-1]) == ["NCT06857773", "NCT03745326"]
    assert sleeps == [1.0]
    assert [request.params.get("pageToken") for request in server.requests] == [None, TOKEN, TOKEN]


def test_a_connection_dropped_without_an_answer_is_retried(server, client, sleeps):
    server.add(Reply.dropped(), Reply.file(VERSION))

    assert client.version().data_timestamp == "2025-11-20T09:00:05"
    assert sleeps == [1.0]


def test_a_read_timeout_is_retried(server, sleeps):
    server.add(Reply.file(VERSION).delayed(0.6), Reply.file(VERSION))

    with make_client(server, sleeps, timeout=0.15) as client:
        assert client.version().api_version == "2.0.5"

    assert sleeps == [1.0]


def test_giving_up_after_max_retries_says_what_failed_in_one_line(server, client, sleeps):
    server.add(*[Reply.text("Service Unavailable", 503)] * 4)

    with pytest.raises(RegistryUnavailable) as caught:
        list(client.iter_study_pages(query_cond="pancreatic cancer"))

    message = str(caught.value)
    assert message == (
        "ClinicalTrials.gov is unavailable: GET /api/v2/studies answered 503 Service Unavailable"
        " (gave up after 4 attempts)"
    )
    assert "\n" not in message and "pancreatic" not in message  # the query may be what a person typed
    assert (caught.value.status, caught.value.path, caught.value.attempts) == (503, STUDIES, 4)
    assert sleeps == [1.0, 2.0, 4.0]
    assert len(server.requests) == 4


def test_giving_up_on_bodies_that_never_arrive_whole(server, sleeps):
    server.add(*[Reply.file(VERSION).truncated(10, content_length=False)] * 2)

    with make_client(server, sleeps, max_retries=1) as client, pytest.raises(RegistryUnavailable) as caught:
        client.version()

    assert str(caught.value) == (
        "ClinicalTrials.gov is unavailable: GET /api/v2/version answered 200 with a body that is not complete JSON"
        " (10 bytes) (gave up after 2 attempts)"
    )


def test_giving_up_on_a_network_failure_names_it(server, sleeps):
    server.add(Reply.dropped())

    with make_client(server, sleeps, max_retries=0) as client, pytest.raises(RegistryUnavailable) as caught:
        client.version()

    assert str(caught.value) == (
        "ClinicalTrials.gov is unavailable: GET /api/v2/version failed: RemoteProtocolError:"
        " Server disconnected without sending a response. (gave up after 1 attempt)"
    )
    assert caught.value.status is None
    assert sleeps == []


def test_a_refused_connection_is_retried_then_given_up(sleeps):
    with ReplayServer() as stopped:
        pass  # its port is closed now

    with make_client(stopped, sleeps, max_retries=2) as client, pytest.raises(RegistryUnavailable) as caught:
        client.version()

    assert "failed: ConnectError" in str(caught.value)
    assert str(caught.value).endswith("(gave up after 3 attempts)")
    assert sleeps == [1.0, 2.0]


# --- refusals -------------------------------------------------------------------------------------------------


def test_a_400_is_rejected_at_once_with_the_apis_error_text(server, client, sleeps):
    server.add(Reply.text(UNKNOWN_PARAMETER, 400))

    with pytest.raises(RegistryRequestRejected) as caught:
        list(client.iter_study_pages())

    assert str(caught.value) == (
        f"ClinicalTrials.gov rejected GET /api/v2/studies (400 Bad Request): {UNKNOWN_PARAMETER}"
    )
    assert caught.value.status == 400
    assert caught.value.error_text == UNKNOWN_PARAMETER
    assert sleeps == []
    assert len(server.requests) == 1


def test_a_long_error_text_is_cut_to_one_short_line(server, client):
    server.add(Reply.text("Parameter 'fields' contains invalid field name:\n" + "x" * 5000, 400))

    with pytest.raises(RegistryRequestRejected) as caught:
        client.version()

    message = str(caught.value)
    assert "\n" not in message
    assert len(caught.value.error_text) == 200 and caught.value.error_text.endswith("…")
    assert "Parameter 'fields' contains invalid field name: xxx" in message


def test_complete_json_of_the_wrong_shape_is_not_retried(server, client, sleeps):
    server.add(Reply.json({"studies": "none"}))

    with pytest.raises(UnexpectedResponse, match=r"GET /api/v2/studies: Expected `array`, got `str` - at `\$.studies`"):
        list(client.iter_study_pages())

    assert sleeps == []


# --- single study and version ---------------------------------------------------------------------------------


def test_version(server, client):
    server.add(Reply.file(VERSION).expect("/api/v2/version"))

    assert client.version() == VersionInfo(api_version="2.0.5", data_timestamp="2025-11-20T09:00:05")


def test_get_study(server, client):
    server.add(Reply.file(RECORDS / "NCT03745326.json").expect("/api/v2/studies/NCT03745326", {"format": "json"}))

    study = client.get_study("nct03745326")

    assert study == json.loads((RECORDS / "NCT03745326.json").read_text())


def test_get_study_of_an_unknown_id(server, client, sleeps):
    server.add(Reply.text("Study not found", 404))

    with pytest.raises(StudyNotFound, match=r"^ClinicalTrials.gov has no study NCT00000000 \(404\)$") as caught:
        client.get_study("NCT00000000")

    assert isinstance(caught.value, RegistryRequestRejected)
    assert sleeps == []


def test_get_study_refuses_what_is_not_an_nct_id_before_asking(server, client):
    with pytest.raises(DomainError):
        client.get_study("../version")

    assert server.requests == []


# --- the replay server itself ---------------------------------------------------------------------------------


def test_a_request_the_script_did_not_expect_fails_the_test(sleeps):
    with pytest.raises(AssertionError, match="does not match the script: expected path /api/v2/version"):
        with ReplayServer([Reply.file(VERSION).expect("/api/v2/version")]) as server:
            with make_client(server, sleeps) as client, pytest.raises(RegistryRequestRejected, match="418"):
                client.get_study("NCT03745326")


def test_a_request_after_the_end_of_the_script_fails_the_test(sleeps):
    with pytest.raises(AssertionError, match="came after the script was exhausted"):
        with ReplayServer() as server:
            with make_client(server, sleeps) as client, pytest.raises(RegistryRequestRejected):
                client.version()


def test_the_replay_server_leaves_no_thread_behind(sleeps):
    before = set(threading.enumerate())

    with ReplayServer([Reply.file(PAGE_1), Reply.file(PAGE_2).truncated(100), Reply.file(PAGE_2)]) as server:
        with make_client(server, sleeps) as client:
            list(client.iter_study_pages(page_size=2))
        server.assert_all_used()

    assert set(threading.enumerate()) == before


# --- unit: backoff, Retry-After, search parameters ------------------------------------------------------------


def test_backoff_doubles_up_to_its_ceiling():
    backoff = Backoff(initial=1.0, multiplier=2.0, max_delay=60.0)

    assert [backoff.delay(retry) for retry in range(1, 9)] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert backoff.delay(10_000) == 60.0  # no overflow however long the run


@pytest.mark.parametrize(
    ("jitter", "draw", "expected"),
    [(0.5, 0.0, 8.0), (0.5, 0.5, 6.0), (0.5, 0.999, 4.004), (1.0, 0.5, 4.0), (0.0, 0.9, 8.0)],
)
def test_backoff_jitter_takes_off_at_most_its_share(jitter, draw, expected):
    assert Backoff(jitter=jitter).delay(4, draw=draw) == pytest.approx(expected)


def test_backoff_honours_retry_after_up_to_its_cap():
    backoff = Backoff(max_retry_after=120.0)

    assert backoff.delay(1, retry_after=7.0) == 7.0
    assert backoff.delay(5, retry_after=0.0) == 0.0  # the server's word, even when our backoff would wait longer
    assert backoff.delay(1, retry_after=3600.0) == 120.0
    assert backoff.delay(1, retry_after=-5.0) == 0.0


@pytest.mark.parametrize(
    "settings",
    [{"initial": 0}, {"multiplier": 0.5}, {"initial": 10, "max_delay": 5}, {"jitter": 1.5}, {"max_retry_after": -1}],
)
def test_backoff_refuses_settings_that_make_no_sense(settings):
    with pytest.raises(ValueError):
        Backoff(**settings)


def test_backoff_retries_are_numbered_from_one():
    with pytest.raises(ValueError):
        Backoff().delay(0)


NOW = datetime(2025, 11, 20, 9, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("0", 0.0),
        ("Thu, 20 Nov 2025 09:00:30 GMT", 30.0),
        ("Thursday, 20-Nov-25 09:01:00 GMT", 60.0),  # the obsolete RFC 850 form, still valid to receive
        ("Thu, 20 Nov 2025 08:00:00 GMT", 0.0),  # already past
        (None, None),
        ("", None),
        ("soon", None),
        ("-3", None),
        ("nan", None),
        ("inf", None),
    ],
)
def test_parse_retry_after(header, expected):
    assert parse_retry_after(header, now=NOW) == expected


def test_search_parameters_accept_a_date_or_a_data_timestamp():
    by_date = study_search_params(updated_since="2025-01-15")
    by_timestamp = study_search_params(updated_since="2025-01-15T09:00:05")

    expected = "AREA[LastUpdatePostDate]RANGE[2025-01-15,MAX]"
    assert by_date["filter.advanced"] == by_timestamp["filter.advanced"] == expected


@pytest.mark.parametrize(
    "arguments",
    [
        {"page_size": 0},
        {"page_size": 1001},
        {"statuses": ["RECRUITING", "OPEN"]},
        {"updated_since": "last week"},
        {"updated_since": "2025-13-01"},
    ],
)
def test_search_parameters_refuse_what_the_api_would_reject(arguments):
    # A DomainError: the CLI reports it as a user's mistake, not a crash.
    with pytest.raises(DomainError):
        study_search_params(**arguments)


def test_blank_queries_are_not_sent():
    assert study_search_params(query_cond="  ", query_term="", statuses=[]) == {
        "format": "json",
        "pageSize": "1000",
        "sort": "LastUpdatePostDate:asc",
    }
