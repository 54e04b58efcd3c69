"""What every email the site writes shares: its templates, the key that signs its links, its From address and the
site's address for links made outside a request. Built once from the settings by `create_app` or a command, so that
the website, its background jobs and the command line write the same emails with the same links. Writing is not
sending: an email goes into the outbox, and `actions.outbox` hands it to a sender (SMTP, or the mail folder).
"""

from __future__ import annotations

from dataclasses import dataclass

from trialfinder.notifications.rendering import EmailRenderer
from trialfinder.settings import Settings, secret_key
from trialfinder.signing import Signer
from trialfinder.views.i18n import Catalogs

# Where `serve` listens by default: the address of links made outside a request when no public address is set.
DEFAULT_BASE_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class EmailWriter:
    templates: EmailRenderer
    signer: Signer  # signs the links in emails (and whatever else the site signs: one key)
    sender_address: str  # From:
    base_url: str  # the site's address for links made outside a request (jobs, commands)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, catalogs: Catalogs | None = None, base_url: str | None = None
    ) -> EmailWriter:
        """`catalogs`, when the caller has loaded them already; `base_url`, the address for links when the settings
        name no public one."""
        return cls(
            templates=EmailRenderer(catalogs or Catalogs()),
            signer=Signer(secret_key(settings)),
            sender_address=settings.mail_from,
            base_url=settings.public_url or base_url or DEFAULT_BASE_URL,
        )
