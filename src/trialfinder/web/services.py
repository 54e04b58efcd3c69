"""What the handlers of the site's forms share: built once by `create_app` and handed to each. The contact form, the
notes and the subscriptions all render pages, call actions that store what a person sent and write emails (through
the `EmailWriter`, which also signs links, and the sender that delivers them), and need the time and the site's
public address."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from limits.storage import Storage
from starlette.requests import Request

from trialfinder.actions.email_writer import EmailWriter
from trialfinder.notifications.email import EmailSender
from trialfinder.settings import Settings
from trialfinder.storage.database import Database
from trialfinder.views.i18n import N_
from trialfinder.web.places import PlaceFinder
from trialfinder.web.rate_limits import RateLimiter, rate_limit_storage
from trialfinder.web.rendering import Renderer


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    renderer: Renderer
    writer: EmailWriter
    sender: EmailSender
    database: Database
    places: PlaceFinder
    settings: Settings
    clock: Callable[[], datetime] = field(default=_now)  # tests move time (link expiry)
    # Where the forms' rate limits count (TRIALFINDER_RATE_LIMIT_STORAGE); a command that takes no form counts nothing.
    rate_limits: Storage = field(default_factory=lambda: rate_limit_storage("memory://"))

    def base_url(self, request: Request | None, *, for_email: bool = True) -> str:
        """The site's address for links: the setting, else the address the request came to. A request's address
        comes from its Host header, which anyone can forge: an emailed link uses it only when the host is this
        machine or one the operator allowed (`can_email_links`), so no email ever sends a person elsewhere."""
        if self.settings.public_url:
            return self.settings.public_url
        if request is None:
            return self.writer.base_url
        if for_email and not self.can_email_links(request):
            raise UntrustedHost("no public address is set and the request's host is not an allowed one")
        return str(request.base_url).rstrip("/")

    def can_email_links(self, request: Request) -> bool:
        if self.settings.public_url:
            return True
        host = (request.url.hostname or "").lower().strip("[]")
        return host in self.settings.allowed_hosts or _is_loopback(host)


# What a person is told when an email with links cannot be sent through the address they used (the operator has not
# set the site's public address): nothing was stored or sent.
CANNOT_EMAIL = N_(
    "This site cannot send emails at the moment, so nothing was sent. Please try again later or contact the site's"
    " operator."
)


class UntrustedHost(Exception):
    """An email with links was asked for through a host the site does not know as its own."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class FormHandler:
    """The base of the handlers that take a person's details: the shared services, by name."""

    def __init__(self, services: Services):
        self.services = services
        self.renderer = services.renderer
        self.writer = services.writer
        self.sender = services.sender
        self.database = services.database
        self.places = services.places
        self.settings = services.settings
        self.signer = services.writer.signer
        self.clock = services.clock

    def base_url(self, request: Request | None, *, for_email: bool = True) -> str:
        return self.services.base_url(request, for_email=for_email)

    def rate_limiter(self, name: str, *, limit: int, window: int) -> RateLimiter:
        """At most `limit` events per `window` seconds per key, counted with every process that shares the storage."""
        return RateLimiter(self.services.rate_limits, name, limit=limit, window=window)
