"""HTTP client for the live ClinicalTrials.gov API v2: paged study search, single studies, the data version.

The API's contract, from its OpenAPI spec ("ClinicalTrials.gov REST API", ctg-oas-v2):

- `GET /studies` answers `{"studies": [...], "nextPageToken"?: str, "totalCount"?: int}`. A page without
  `nextPageToken` is the last one; a page may have an empty `studies` array and still a token. Every later page
  must repeat the first page's parameters, except `countTotal`, `pageSize` and `pageToken`; `totalCount` comes
  with the first page only, and only when `countTotal=true`.
- `sort` is a list of `Field[:asc|:desc]` (at most two); a date field sorts `desc` unless told otherwise, and
  studies without the field come last.
- `filter.overallStatus` takes a comma- or pipe-separated list of statuses.
- `GET /version` answers `{"apiVersion": str, "dataTimestamp": "yyyy-MM-ddTHH:mm:ss"}` (UTC): the sync cursor.
- Errors (400, 404) come as `text/plain` messages such as "`filter.phase` is unknown parameter".

Failures that pass (429, 5xx, timeouts, dropped connections, a 200 whose body is cut short) are retried with
exponential backoff and jitter, honouring `Retry-After`; failures that would repeat (other 4xx) are not.
Only the URL path goes into messages and logs, never the query: search terms may be what a person typed.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import httpx
import msgspec

from trialfinder import __version__
from trialfinder.domain.errors import DomainError
from trialfinder.domain.trial import RecruitmentStatus
from trialfinder.domain.values import nct_id as canonical_nct_id
from trialfinder.registries.ctgov_v2.errors import (
    RegistryError,
    RegistryRequestRejected,
    RegistryUnavailable,
    StudyNotFound,
    UnexpectedResponse,
)
from trialfinder.registries.json_split import NESTED_TOO_DEEPLY, UnreadableStudy, split_array

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "Backoff",
    "CtgovClient",
    "RegistryError",
    "RegistryRequestRejected",
    "RegistryUnavailable",
    "StudyNotFound",
    "StudyPage",
    "UnexpectedResponse",
    "VersionInfo",
    "parse_retry_after",
    "study_search_params",
]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://clinicaltrials.gov/api/v2"
USER_AGENT = f"trialfinder/{__version__} (+https://github.com/trialfinder)"
# A full page (1000 complete records) is tens of megabytes; the read timeout applies to each read, not the whole.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
MAX_PAGE_SIZE = 1000  # the API coerces larger values down to 1000
# Ascending, so that an interrupted sync has seen everything up to the last record it stored.
# The direction must be explicit: a date field sorts descending by default.
STUDY_SORT = "LastUpdatePostDate:asc"
ERROR_TEXT_LIMIT = 200

# Transport failures worth another try. LocalProtocolError and UnsupportedProtocol are our own mistakes.
_TRANSIENT_TRANSPORT_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
# RFC 9110 §10.2.3: Retry-After accompanies 429 and 503.
_RETRY_AFTER_STATUSES = frozenset({429, 503})


# --- values ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VersionInfo:
    """`GET /version`: the API's semantic version and the UTC time of the data snapshot (the sync cursor)."""

    api_version: str
    data_timestamp: str | None


@dataclass(frozen=True, slots=True)
class StudyPage:
    """One page of `GET /studies`: the study records as the API sent them, and where the paging stands."""

    studies: list[dict[str, Any] | UnreadableStudy]
    next_page_token: str | None
    total_count: int | None  # only on the first page
    page_number: int  # 1 for the first page


class _PagedStudies(msgspec.Struct, rename="camel"):
    studies: list[dict[str, Any]]
    next_page_token: str | None = None
    total_count: int | None = None


class _Version(msgspec.Struct, rename="camel"):
    api_version: str
    data_timestamp: str | None = None


_Wire = TypeVar("_Wire")


# --- backoff --------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Backoff:
    """How long to wait before each retry.

    Without a usable `Retry-After`, retry n waits `min(max_delay, initial * multiplier**(n-1))` shortened by a
    random part of up to `jitter` of it ("equal jitter" when jitter is 0.5), so that clients that failed
    together do not come back together. With one, the server's wait is honoured, capped at `max_retry_after`.
    """

    initial: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 60.0
    jitter: float = 0.5
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if not self.initial > 0:
            raise ValueError(f"initial delay must be positive, not {self.initial}")
        if not self.multiplier >= 1:
            raise ValueError(f"multiplier must be at least 1, not {self.multiplier}")
        if not self.max_delay >= self.initial:
            raise ValueError(f"max_delay ({self.max_delay}) must be at least the initial delay ({self.initial})")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"jitter must be between 0 and 1, not {self.jitter}")
        if not self.max_retry_after >= 0:
            raise ValueError(f"max_retry_after must not be negative, not {self.max_retry_after}")

    def delay(self, retry: int, *, retry_after: float | None = None, draw: float = 0.0) -> float:
        """Seconds to wait before retry number `retry` (1 for the first retry).

        `draw` is a random number in [0, 1): 0 waits the full exponential delay, values near 1 the shortest.
        """
        if retry < 1:
            raise ValueError(f"retries are numbered from 1, not {retry}")
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        # The exponent is bounded so that a very long run of retries cannot overflow a float.
        ceiling = min(self.max_delay, self.initial * self.multiplier ** min(retry - 1, 64))
        return ceiling * (1.0 - self.jitter * draw)


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header: delay-seconds or an HTTP-date (RFC 9110 §10.2.3).

    `now` is the time the HTTP-date is measured from (the response's own `Date` when it has one, since the
    server's clock and ours may differ). None when the header is absent or unreadable; a date in the past is 0.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)  # the RFC says digits only; a decimal is accepted rather than discarded
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # HTTP-dates are always GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


# --- client ---------------------------------------------------------------------------------------------------


class CtgovClient:
    """The ClinicalTrials.gov API v2. Use as a context manager, or call `close()`.

    `transport` replaces httpx's network transport (an injected transport also disables proxies from the
    environment). `sleep` and `rng` (random numbers in [0, 1), for the jitter) are there so that tests neither
    wait nor depend on chance. `max_retries` counts the tries after the first: 5 means up to 6 requests.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_retries: int = 5,
        backoff: Backoff | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must not be negative, not {max_retries}")
        self.max_retries = max_retries
        self.backoff = backoff if backoff is not None else Backoff()
        self._sleep = sleep
        self._rng = rng
        self._http = httpx.Client(
            base_url=base_url,
            transport=transport,
            timeout=timeout,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> CtgovClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # --- endpoints ---

    def version(self) -> VersionInfo:
        """`GET /version`: the API version and the timestamp of the data snapshot."""
        wire = self._get_json("version", None, _Version)
        return VersionInfo(api_version=wire.api_version, data_timestamp=wire.data_timestamp)

    def iter_study_pages(
        self,
        *,
        updated_since: str | None = None,
        query_cond: str | None = None,
        query_term: str | None = None,
        statuses: Sequence[str] | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[StudyPage]:
        """Every page of `GET /studies` for the search, oldest update first, until a page has no token.

        `updated_since` is a date (`2025-01-15`) or a `dataTimestamp` (`2025-01-15T09:00:05`, of which the date
        is used): studies whose last update was posted on or after that day. The day is inclusive, so a sync
        from the previous cursor sees some records again; storing them by NCT id makes that harmless.
        Nothing is requested until the first page is asked for.
        """
        params = study_search_params(
            updated_since=updated_since,
            query_cond=query_cond,
            query_term=query_term,
            statuses=statuses,
            page_size=page_size,
        )
        return self._pages(params)

    def get_study(self, nct_id: str) -> dict[str, Any]:
        """`GET /studies/{nctId}`: one study record as the API sends it; StudyNotFound when there is none."""
        study_id = canonical_nct_id(nct_id)  # also keeps anything but an id out of the URL path
        try:
            return self._get_json(f"studies/{study_id}", {"format": "json"}, dict[str, Any])
        except RegistryRequestRejected as error:
            if error.status != 404:
                raise
            raise StudyNotFound(
                f"ClinicalTrials.gov has no study {study_id} (404)",
                path=error.path,
                status=error.status,
                error_text=error.error_text,
            ) from None

    # --- paging and retries ---

    def _pages(self, params: dict[str, str]) -> Iterator[StudyPage]:
        token: str | None = None
        page_number = 0
        while True:
            page_number += 1
            request_params = dict(params)
            if token is None:
                request_params["countTotal"] = "true"  # the API ignores it after the first page; so do we
            else:
                request_params["pageToken"] = token
            wire = self._get_json("studies", request_params, _PagedStudies)
            next_token = wire.next_page_token or None
            yield StudyPage(
                studies=wire.studies,
                next_page_token=next_token,
                total_count=wire.total_count,
                page_number=page_number,
            )
            if next_token is None:
                return
            if next_token == token:
                # The same token again would page forever.
                raise UnexpectedResponse(
                    f"ClinicalTrials.gov sent the same nextPageToken twice (page {page_number}); stopped paging"
                )
            token = next_token

    def _get_json(self, path: str, params: dict[str, str] | None, wire_type: type[_Wire]) -> _Wire:
        """GET `path` (relative to the base URL) and decode the JSON body as `wire_type`, retrying what passes."""
        attempts = self.max_retries + 1
        status: int | None = None
        failure = ""
        url_path = path
        for attempt in range(1, attempts + 1):
            request = self._http.build_request("GET", path, params=params)
            url_path = request.url.path
            retry_after: float | None = None
            try:
                response = self._http.send(request)
            except _TRANSIENT_TRANSPORT_ERRORS as error:
                status = None
                failure = f"failed: {_describe(error)}"
            else:
                status = response.status_code
                if status == 200:
                    try:
                        return msgspec.json.decode(response.content, type=wire_type)
                    except msgspec.ValidationError as error:  # complete JSON, wrong shape: would not pass
                        raise UnexpectedResponse(
                            f"ClinicalTrials.gov sent an unexpected response to GET {url_path}: {error}"
                        ) from None
                    except msgspec.DecodeError:  # cut short or not JSON at all (a proxy's error page)
                        failure = f"answered 200 with a body that is not complete JSON ({len(response.content)} bytes)"
                    except RecursionError:  # complete, but nested deeper than any decoder goes: would not pass
                        page = _page_studies_one_by_one(response.content) if wire_type is _PagedStudies else None
                        if page is None:
                            raise UnexpectedResponse(
                                f"ClinicalTrials.gov sent an unexpected response to GET {url_path}: {NESTED_TOO_DEEPLY}"
                            ) from None
                        return page  # type: ignore[return-value]
                elif status == 429 or 500 <= status <= 599:
                    failure = f"answered {status} {response.reason_phrase}".rstrip()
                    if status in _RETRY_AFTER_STATUSES:
                        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=_server_now(response))
                elif 400 <= status <= 499:
                    raise _rejection(url_path, response)
                else:
                    raise UnexpectedResponse(
                        f"ClinicalTrials.gov answered GET {url_path} with an unexpected status {status}"
                    )
            if attempt == attempts:
                break
            delay = self.backoff.delay(attempt, retry_after=retry_after, draw=self._rng())
            log.warning(
                "ClinicalTrials.gov GET %s %s (attempt %d of %d); retrying in %.1f s",
                url_path,
                failure,
                attempt,
                attempts,
                delay,
            )
            self._sleep(delay)
        raise RegistryUnavailable(
            f"ClinicalTrials.gov is unavailable: GET {url_path} {failure} (gave up after {_attempts(attempts)})",
            path=url_path,
            attempts=attempts,
            status=status,
        )


def study_search_params(
    *,
    updated_since: str | None = None,
    query_cond: str | None = None,
    query_term: str | None = None,
    statuses: Sequence[str] | None = None,
    page_size: int = MAX_PAGE_SIZE,
) -> dict[str, str]:
    """The query parameters shared by every page of a study search (not `countTotal` nor `pageToken`).

    Raises DomainError (a ValueError) for what the API would reject: these values often come from a user.
    """
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise DomainError(f"page_size must be between 1 and {MAX_PAGE_SIZE}, not {page_size}")
    params = {"format": "json", "pageSize": str(page_size), "sort": STUDY_SORT}
    if query_cond is not None and query_cond.strip():
        params["query.cond"] = query_cond.strip()
    if query_term is not None and query_term.strip():
        params["query.term"] = query_term.strip()
    if statuses:
        params["filter.overallStatus"] = ",".join(_status(value) for value in statuses)
    if updated_since is not None:
        # Essie syntax; RANGE bounds are inclusive and MAX leaves the upper end open.
        params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{_day(updated_since)},MAX]"
    return params


def _status(value: str) -> str:
    try:
        return RecruitmentStatus(value.strip().upper()).value
    except ValueError:
        known = ", ".join(status.value for status in RecruitmentStatus)
        raise DomainError(f"not an overall status: {value!r} (one of {known})") from None


def _day(value: str) -> str:
    text = value.strip()
    try:
        day = datetime.fromisoformat(text).date() if "T" in text else date.fromisoformat(text)
    except ValueError:
        raise DomainError(
            f"updated_since must be a date (YYYY-MM-DD) or a dataTimestamp (YYYY-MM-DDTHH:MM:SS), not {value!r}"
        ) from None
    return day.isoformat()


def _page_studies_one_by_one(content: bytes) -> _PagedStudies | None:
    """A `/studies` page one of whose studies is nested too deeply to decode: the page with each study decoded on
    its own, and an UnreadableStudy in place of each that cannot be; None when the page itself is not readable."""
    split = split_array(content, "studies")
    if split is None:
        return None
    try:
        page = msgspec.json.decode(split.rest, type=_PagedStudies)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    for item in split.items:
        try:
            page.studies.append(msgspec.json.decode(item, type=dict[str, Any]))
        except RecursionError:
            page.studies.append(UnreadableStudy(NESTED_TOO_DEEPLY))
        except (msgspec.DecodeError, msgspec.ValidationError) as error:
            page.studies.append(UnreadableStudy(f"invalid JSON: {error}"))
    return page


def _server_now(response: httpx.Response) -> datetime:
    """The response's `Date`, to measure an HTTP-date `Retry-After` against; our clock when it has none."""
    header = response.headers.get("Date")
    if header:
        try:
            when = email.utils.parsedate_to_datetime(header)
        except (TypeError, ValueError, IndexError):
            pass
        else:
            return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _rejection(url_path: str, response: httpx.Response) -> RegistryRequestRejected:
    text = " ".join(response.text.split())  # the API's message is text/plain; keep it to one line
    if len(text) > ERROR_TEXT_LIMIT:
        text = text[: ERROR_TEXT_LIMIT - 1] + "…"
    status_text = f"{response.status_code} {response.reason_phrase}".rstrip()
    return RegistryRequestRejected(
        f"ClinicalTrials.gov rejected GET {url_path} ({status_text}): {text or '(no error text)'}",
        path=url_path,
        status=response.status_code,
        error_text=text,
    )


def _describe(error: Exception) -> str:
    """`ReadTimeout: The read operation timed out`, on one short line (httpx's messages carry no URL)."""
    detail = " ".join(str(error).split())
    if len(detail) > ERROR_TEXT_LIMIT:
        detail = detail[: ERROR_TEXT_LIMIT - 1] + "…"
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"
