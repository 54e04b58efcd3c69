"""Rate limits on the forms, counted by the `limits` library in the storage TRIALFINDER_RATE_LIMIT_STORAGE names.

`memory://` (the default) counts in the server process: right for one process, but several processes (uvicorn's
`--workers`, or servers behind one proxy) would each allow the whole limit. `redis://host:6379` (with the `redis`
extra installed) shares the counts between every process that names the same Redis.

Each limit is a moving window: an event counts for exactly `window` seconds after it happened, as the log of their
times, so a burst at the end of one window and the start of the next is not allowed twice.

A storage that cannot be reached (Redis stopped) lets the event through and logs one warning line without the key:
a person's request to a study team must not be lost because the abuse counter is down.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from limits import RateLimitItemPerSecond
from limits.errors import ConfigurationError
from limits.storage import MovingWindowSupport, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from trialfinder.settings import PREFIX, SettingsError

log = logging.getLogger(__name__)


def rate_limit_storage(uri: str) -> Storage:
    """The storage the setting names; a SettingsError naming the setting when it cannot be used (an unknown
    scheme, a scheme without moving windows, or the `redis` package missing). Nothing is connected yet."""
    scheme = urlsplit(uri).scheme
    try:
        storage = storage_from_string(uri)
    except ConfigurationError as error:
        hint = " (install trialfinder[redis])" if scheme.startswith("redis") else ""
        raise SettingsError(f"{PREFIX}RATE_LIMIT_STORAGE cannot be used: {error}{hint}") from None
    if not isinstance(storage, MovingWindowSupport):
        raise SettingsError(f"{PREFIX}RATE_LIMIT_STORAGE: {scheme}:// cannot count moving windows; use memory or redis")
    return storage


class RateLimiter:
    """At most `limit` events per `window` seconds for each key (a client's address, or an email address's hash).
    `name` keeps apart two limits that count the same keys in one storage (the contact form's and the sign-up's)."""

    def __init__(self, storage: Storage, name: str, *, limit: int, window: int):
        self.name = name
        self._item = RateLimitItemPerSecond(limit, window)
        self._strategy = MovingWindowRateLimiter(storage)

    def hit(self, key: str) -> bool:
        """Record one event for `key`; False (and nothing recorded) when the limit is reached. True, uncounted,
        when the storage cannot be reached."""
        try:
            return self._strategy.hit(self._item, self.name, key)
        except Exception as error:  # the storage's client raises its own errors (redis.ConnectionError, ...)
            log.warning("rate limit %s not counted: its storage failed (%s)", self.name, type(error).__name__)
            return True
