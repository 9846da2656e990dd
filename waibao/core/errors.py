"""One error type for broken business rules, shared by services, views and the API."""

from __future__ import annotations

from collections.abc import Mapping
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


def require_transition(
    table: Mapping[str, set[str]],
    current: str,
    to: str,
    choices: Any,
    *,
    field: str = "status",
    code: str = "invalid",
    status: int = 422,
) -> None:
    """Refuse a status change the lifecycle ``table`` (state → allowed next states) does not allow, with a
    message naming both states and the allowed ones. ``choices`` is the TextChoices class of the states."""
    allowed = table.get(current, set())
    if to in allowed:
        return
    from django.utils.translation import gettext as _

    names = "、".join(str(choices(s).label) for s in sorted(allowed)) or _("无")
    raise DomainError(
        _("不能从“%(a)s”变更为“%(b)s”。允许：%(allowed)s。")
        % {"a": choices(current).label, "b": choices(to).label, "allowed": names},
        fields={field: _("不允许的状态变更。")},
        code=code,
        status=status,
    )
