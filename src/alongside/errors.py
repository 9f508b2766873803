"""Errors a person can act on.

Tree::

    AlongsideError (500)
    ├── ConfigurationError (500)      the instance is set up wrongly; says what to set
    ├── InvalidInput (422)            the request or answers are malformed; names the field
    ├── NotAuthenticated (401)        no valid session or token
    ├── NotFound (404)                missing, or not visible to this actor (never 403)
    ├── Conflict (409)                the change collides with stored state
    └── TooManyRequests (429)         throttled
"""

from __future__ import annotations


class AlongsideError(Exception):
    """Base of every expected error: a message for a person and an HTTP status code."""

    status_code: int = 500

    def __init__(self, message: str, status_code: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status_code is not None:
            self.status_code = status_code


class ConfigurationError(AlongsideError):
    """The instance is configured in a way that is unsafe or cannot work."""

    status_code = 500


class InvalidInput(AlongsideError):
    """Input was malformed; the message names what to fix."""

    status_code = 422


class NotAuthenticated(AlongsideError):
    """The request carries no valid session or token."""

    status_code = 401


class NotFound(AlongsideError):
    """The resource does not exist or the actor may not see it."""

    status_code = 404


class Conflict(AlongsideError):
    """The change conflicts with what is already stored."""

    status_code = 409


class TooManyRequests(AlongsideError):
    """Too many attempts; try again later."""

    status_code = 429
