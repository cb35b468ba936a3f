"""Rule violations raised by aggregates; the HTTP layer maps each kind to one status code."""


class DomainError(Exception):
    """A command broke a business rule."""


class InvalidCommand(DomainError):
    """The command's values are not acceptable (HTTP 422)."""


class StateConflict(DomainError):
    """The command does not fit the aggregate's current state (HTTP 409)."""


class NotFound(DomainError):
    """The aggregate does not exist, or the caller may not know that it does (HTTP 404)."""


class ConcurrentUpdate(StateConflict):
    """Someone else saved the aggregate between our load and our save (HTTP 409)."""


class VersionRequired(DomainError):
    """The change is only safe against a known version: send If-Match (HTTP 428)."""


class StaleVersion(DomainError):
    """The client's If-Match names a version that is no longer current (HTTP 412)."""
