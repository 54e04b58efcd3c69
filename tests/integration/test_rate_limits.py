"""The forms' rate limits (web/rate_limits.py), counted by `limits` in each storage the setting takes: in memory
(one process) and in a real Redis on localhost (several processes share the counts). The forms' own limits are
tested through the forms (test_contact.py, test_notes.py, test_subscriptions.py)."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from conftest import IN_CI

from trialfinder.settings import SettingsError
from trialfinder.web.rate_limits import RateLimiter, rate_limit_storage

REDIS_URL = os.environ.get("TRIALFINDER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_or_skip() -> None:
    try:
        import redis
    except ImportError:
        reason = "the redis package is not installed (pip install -e '.[redis]')"
    else:
        try:
            redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
            return
        except redis.RedisError as error:
            reason = f"Redis is not reachable at {REDIS_URL}: {error}"
    if IN_CI:
        pytest.fail(reason + " (CI=true: the Redis tests must run)")
    pytest.skip(reason)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def storage_uri(request) -> str:
    if request.param == "memory":
        return "memory://"
    _redis_or_skip()
    return REDIS_URL


@pytest.fixture
def name() -> str:
    """A limit of its own: Redis outlives a test, and other test runs may share it."""
    return f"test.{uuid.uuid4().hex}"


def test_a_limit_allows_its_events_then_refuses_and_a_refusal_counts_nothing(storage_uri, name):
    limiter = RateLimiter(rate_limit_storage(storage_uri), name, limit=3, window=1)
    assert [limiter.hit("203.0.113.7") for _ in range(5)] == [True, True, True, False, False]
    assert limiter.hit("198.51.100.2")  # another client counts apart
    time.sleep(1.05)  # a window after the first events, all of them have left it (refusals were never counted)
    assert [limiter.hit("203.0.113.7") for _ in range(4)] == [True, True, True, False]


def test_two_limits_on_the_same_keys_count_apart(storage_uri, name):
    storage = rate_limit_storage(storage_uri)
    sign_ups = RateLimiter(storage, f"{name}.sign_ups", limit=1, window=600)
    contact = RateLimiter(storage, f"{name}.contact", limit=1, window=600)
    assert sign_ups.hit("203.0.113.7") and contact.hit("203.0.113.7")
    assert not sign_ups.hit("203.0.113.7") and not contact.hit("203.0.113.7")


@pytest.mark.redis
def test_server_processes_that_name_one_redis_share_the_counts(name):
    _redis_or_skip()
    # Each process builds its own storage from the same setting.
    first, second = (RateLimiter(rate_limit_storage(REDIS_URL), name, limit=2, window=600) for _ in range(2))
    assert first.hit("203.0.113.7") and second.hit("203.0.113.7")
    assert not first.hit("203.0.113.7") and not second.hit("203.0.113.7")


def test_in_memory_each_process_counts_alone(name):
    first, second = (RateLimiter(rate_limit_storage("memory://"), name, limit=1, window=600) for _ in range(2))
    assert first.hit("203.0.113.7") and second.hit("203.0.113.7")


@pytest.mark.parametrize("uri", ["nosuch://localhost", "memcached://localhost:11211"])
def test_a_storage_that_cannot_count_moving_windows_is_a_settings_error_naming_the_setting(uri):
    with pytest.raises(SettingsError, match="TRIALFINDER_RATE_LIMIT_STORAGE"):
        rate_limit_storage(uri)


@pytest.mark.redis
def test_a_storage_that_cannot_be_reached_lets_the_event_through_and_says_so(name, caplog):
    _redis_or_skip()  # the redis package is needed to even try; nothing listens on port 1
    limiter = RateLimiter(rate_limit_storage("redis://127.0.0.1:1/0"), name, limit=1, window=600)
    assert [limiter.hit("203.0.113.7") for _ in range(3)] == [True, True, True]
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert warnings and all(f"rate limit {name} not counted" in line for line in warnings)
    assert not any("203.0.113.7" in record.getMessage() for record in caplog.records)
