"""The sender the settings ask for: SMTP when a host is set, else the `.eml` folder (the embedded default)."""

from __future__ import annotations

from trialfinder.notifications.email import EmailSender, FolderSender, SmtpSender
from trialfinder.settings import Settings


def sender_from_settings(settings: Settings) -> EmailSender:
    if settings.smtp_host:
        return SmtpSender(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.mail_from,
        )
    return FolderSender(settings.mail_dir or settings.data_dir / "mail")
