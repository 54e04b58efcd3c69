"""Email addresses as people type them, and as mail servers take them.

One reader for every form that asks for an address (contact, subscriptions, "email me a link") and for the
addresses registries publish. Internationalised addresses are real addresses (RFC 6531/6532): `josé@example.nl`
and `info@zürich.example` are accepted. A non-ASCII domain is written in IDNA's ASCII form (`xn--…`) for mail
servers, so it needs nothing of them; a non-ASCII local part can only be delivered by a server that offers
SMTPUTF8, which the sender checks (`needs_smtputf8`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import idna

MAX_LENGTH = 254  # RFC 5321's limit for a forward path
MAX_LOCAL_OCTETS = 64

# What a local part may not hold (unquoted form; quoted local parts are legal but nobody types them in a form):
# white space, control characters, and the specials that would make it a list, a comment or a route.
_LOCAL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f\u0080-\u009f\u2028\u2029<>(),;:\"\[\]\\@]")
_DOMAIN_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f<>(),;:\"\[\]\\@]")


@dataclass(frozen=True, slots=True)
class EmailAddress:
    local: str  # as typed (NFC)
    domain: str  # as typed, lower-cased (may hold non-ASCII letters)
    ascii_domain: str  # the domain in IDNA's ASCII form, for mail servers

    def __str__(self) -> str:
        return f"{self.local}@{self.domain}"

    @property
    def for_smtp(self) -> str:
        """The address a mail server is given: the domain in ASCII, the local part as it is."""
        return f"{self.local}@{self.ascii_domain}"

    @property
    def needs_smtputf8(self) -> bool:
        """Whether only a server offering SMTPUTF8 can deliver it (a local part with non-ASCII characters)."""
        return not self.local.isascii()


def parse_email(value: str) -> EmailAddress | None:
    """The address in `value` (trimmed), or None when it is not one a mail server could deliver to."""
    value = unicodedata.normalize("NFC", value.strip())
    if not value or len(value) > MAX_LENGTH:
        return None
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        return None
    if len(local.encode("utf-8")) > MAX_LOCAL_OCTETS or _LOCAL_FORBIDDEN.search(local):
        return None
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return None
    domain = domain.lower()
    if _DOMAIN_FORBIDDEN.search(domain):
        return None
    try:
        ascii_domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        return None
    labels = ascii_domain.split(".")
    # A public address names a domain with at least two labels and a top-level label that is not all digits.
    if len(labels) < 2 or len(labels[-1]) < 2 or labels[-1].isdigit() or len(ascii_domain) > 253:
        return None
    if len(f"{local}@{ascii_domain}") > MAX_LENGTH:
        return None
    return EmailAddress(local, domain, ascii_domain)

