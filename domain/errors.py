"""Rule violations raised by aggregates; the HTTP layer maps each kind to one status code."""

from __future__ import annotations


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


class InvalidFields(InvalidCommand):
    """Named inputs are invalid (HTTP 422, one entry per field): e.g. an address's fields."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors))
        self.errors = errors

    def under(self, prefix: str) -> InvalidFields:
        """The same errors with their fields named under `prefix` (shipping_address.city)."""
        return InvalidFields([(f"{prefix}.{field}", message) for field, message in self.errors])
