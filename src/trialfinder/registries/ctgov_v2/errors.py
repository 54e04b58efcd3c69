"""What can go wrong when asking the live registry: apart from the client, so that code which only reports these
errors (the CLI) need not load an HTTP library to name them."""

from __future__ import annotations


class RegistryError(Exception):
    """The registry could not give what was asked; the message is one line, fit for a user."""


class RegistryUnavailable(RegistryError):
    """The registry kept failing in ways that usually pass (rate limit, server error, network); we gave up."""

    def __init__(self, message: str, *, path: str, attempts: int, status: int | None) -> None:
        super().__init__(message)
        self.path = path
        self.attempts = attempts
        self.status = status


class RegistryRequestRejected(RegistryError):
    """The registry refused the request itself (a 4xx other than 429); asking again would not help."""

    def __init__(self, message: str, *, path: str, status: int, error_text: str) -> None:
        super().__init__(message)
        self.path = path
        self.status = status
        self.error_text = error_text


class StudyNotFound(RegistryRequestRejected):
    """`GET /studies/{nctId}` answered 404: the registry has no study with that NCT id."""


class UnexpectedResponse(RegistryError):
    """The registry answered with complete JSON of the wrong shape, or a status we do not know how to treat."""
