"""The email writer of tests that queue emails without a website: the product's templates and catalogs, a fixed
signing key, and links to https://trials.example."""

from __future__ import annotations

from trialfinder.actions.email_writer import EmailWriter
from trialfinder.notifications.rendering import EmailRenderer
from trialfinder.signing import Signer
from trialfinder.views.i18n import Catalogs

SENDER = "trialfinder <no-reply@trials.example>"

WRITER = EmailWriter(
    templates=EmailRenderer(Catalogs()),
    signer=Signer(b"k" * 32),
    sender_address=SENDER,
    base_url="https://trials.example",
)
