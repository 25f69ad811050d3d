"""Errors a service raises for the user to read (messages in Chinese)."""

from __future__ import annotations

from qingdan.core.tenancy.scope import NotFound, TenantRequired

__all__ = ["ConflictError", "DomainError", "NotFound", "PermissionDenied", "TenantRequired"]


class DomainError(ValueError):
    """Bad input or a rule refused; ``field`` names the element or field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConflictError(DomainError):
    """Someone else changed the row first; reload and try again."""


class PermissionDenied(DomainError):
    """The user's role or scope does not allow this."""
