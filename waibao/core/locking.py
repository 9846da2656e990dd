"""Optimistic locking: a save that someone else's save overtook is refused, never silently overwritten.

Every editable model carries an integer `version`. A form or API client sends back the version it loaded;
the service writes only if the row still has it:

    locking.bump_version(contract, expected_version, title=..., fee=...)

raises `ConflictError` (409, "该合同已被其他人修改，请刷新后重试。") when the row moved on, and otherwise writes the
changes, increments the version (and sets `updated_at` when the model has one) in one conditional UPDATE, and
refreshes the object. `check_version(obj, expected)` is the same check for a row already locked with
`select_for_update()` whose changes are saved by other means.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F, Model
from django.utils.translation import gettext as _

from waibao.core import clock
from waibao.core.errors import ConflictError


def conflict(obj: Model) -> ConflictError:
    """The one wording of "someone else changed it first", naming the kind of record."""
    return ConflictError(_("该%(kind)s已被其他人修改，请刷新后重试。") % {"kind": obj._meta.verbose_name})


def check_version(obj: Model, expected: int | str | None) -> None:
    """Refuse when the user loaded another version than `obj` has now (None: the caller sent none)."""
    if expected is None or expected == "":
        return
    try:
        loaded = int(expected)
    except (TypeError, ValueError):
        raise conflict(obj) from None
    current: int = obj.version  # type: ignore[attr-defined]
    if loaded != current:
        raise conflict(obj)


def bump_version(obj: Model, expected: int | str | None, **changes: Any) -> None:
    """Write `changes` and version + 1 only if the row still has the version the user loaded
    (`expected`; None means the object's in-memory version), then refresh `obj` from the database."""
    loaded: int = obj.version  # type: ignore[attr-defined]
    version = loaded if expected is None or expected == "" else expected
    try:
        version = int(version)
    except (TypeError, ValueError):
        raise conflict(obj) from None
    fields = {f.name for f in obj._meta.concrete_fields}
    if "updated_at" in fields and "updated_at" not in changes:
        changes["updated_at"] = clock.now()
    updated = (
        type(obj)
        ._default_manager.filter(pk=obj.pk, version=version)
        .update(version=F("version") + 1, **changes)
    )
    if not updated:
        raise conflict(obj)
    obj.refresh_from_db()
