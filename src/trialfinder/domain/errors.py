"""Errors the domain raises; the CLI and web translate them at the boundary."""


class DomainError(ValueError):
    """A value broke a rule of the domain (an id that is not an NCT id, an impossible date)."""


class InvalidRecord(DomainError):
    """A registry record cannot become a trial; the message says why in one line."""


class RecordTooLarge(InvalidRecord):
    """A field of a record is far beyond anything a registry accepts: the record is broken, not long."""
