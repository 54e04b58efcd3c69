"""What the handlers of the site's forms share: built once (by `create_app`, or by a command such as `notify`) and
handed to each. The contact form, the notes and the subscriptions all render pages and emails, store what a person
sent, sign links, send email through the outbox, and need the time and the site's public address."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from starlette.requests import Request

from trialfinder.notifications.email import EmailSender
from trialfinder.settings import Settings
from trialfinder.signing import Signer
from trialfinder.storage.database import Database
from trialfinder.web.emails import EmailRenderer
from trialfinder.web.places import PlaceFinder
from trialfinder.web.rendering import Renderer


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    renderer: Renderer
    emails: EmailRenderer
    database: Database
    places: PlaceFinder
    settings: Settings
    signer: Signer
    sender: EmailSender
    clock: Callable[[], datetime] = field(default=_now)  # tests move time (link expiry)
    default_base_url: str = "http://127.0.0.1:8000"  # for links made outside a request, without PUBLIC_URL

    def base_url(self, request: Request | None) -> str:
        """The site's address for links in emails: the setting, else the address the request came to."""
        if self.settings.public_url:
            return self.settings.public_url
        return str(request.base_url).rstrip("/") if request is not None else self.default_base_url


class FormHandler:
    """The base of the handlers that take a person's details: the shared services, by name."""

    def __init__(self, services: Services):
        self.services = services
        self.renderer = services.renderer
        self.emails = services.emails
        self.database = services.database
        self.places = services.places
        self.settings = services.settings
        self.signer = services.signer
        self.sender = services.sender
        self.clock = services.clock

    def base_url(self, request: Request | None) -> str:
        return self.services.base_url(request)
