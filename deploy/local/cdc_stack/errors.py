"""Errors of the local stack, in the project's one tree (drawn in ``cdc_core.errors``).

    cdc_core.errors.StackError
     ├── ResolveError        a Maven artifact or a binary could not be had
     └── ServiceStartError   a service did not become ready; carries its log tail
"""

from __future__ import annotations

from cdc_core.errors import StackError

__all__ = ["ResolveError", "ServiceStartError", "StackError"]


class ResolveError(StackError):
    """A dependency (Maven artifact, PostgreSQL binaries, java) is missing."""

    def __init__(self, what: str, detail: str) -> None:
        super().__init__(f"could not resolve {what}: {detail}")
        self.what = what
        self.detail = detail


class ServiceStartError(StackError):
    """A service exited or did not answer its readiness probe in time."""

    def __init__(self, service: str, reason: str, log_tail: str) -> None:
        super().__init__(
            f"{service} failed to start: {reason}\n--- last lines of its log ---\n{log_tail}")
        self.service = service
        self.reason = reason
        self.log_tail = log_tail
