"""One error type for broken business rules, shared by services, views and the API."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule refused an action. `message` is already translated for the user.

    `fields` maps a field name (or "row 3: column") to its message so forms and the API can show the
    error next to what caused it. `status` is the HTTP status the API answers with.
    """

    def __init__(
        self,
        message: Any,
        *,
        fields: dict[str, Any] | None = None,
        code: str = "invalid",
        status: int = 422,
    ) -> None:
        super().__init__(str(message))
        self.message = str(message)
        self.fields = {k: str(v) for k, v in (fields or {}).items()}
        self.code = code
        self.status = status


class ConflictError(DomainError):
    """Someone else changed the record first (optimistic locking)."""

    def __init__(self, message: Any) -> None:
        super().__init__(message, code="conflict", status=409)
