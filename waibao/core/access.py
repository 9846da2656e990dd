"""The one way a URL id becomes an object the user may see (404 otherwise), and may change (403 otherwise).

Each app declares, once, how each of its models reaches a vendor — a table of `Rule`s registered from its
`access.py` — and every page, API endpoint, export and search asks here:

    SCOPES = access.register({
        Contract: Rule(vendor="vendor_id", code="code", related=("vendor", "owner")),
        Clause: Rule(vendor="contract__vendor_id", related=("contract",)),
    })

    def get_contract(user: User, key: object, *, write: bool = False, action: str = "contracts.write") -> Contract:
        return access.get(Contract, user, key, write=write, action=action)

Buyer users see every row; a vendor user sees only the rows whose vendor path is its own vendor (plus
whatever the rule's `vendor_filter` narrows further), and anything else answers 404, never 403, so the
existence of other vendors' records is not revealed. Writes then ask the role policy: 403 for a role that
may read but not act (the auditor). Shared reference data (calendars) has `vendor=None`: every signed-in
user reads it.

Who may read an object's history is decided here too (`history(user, obj)`): by default buyers only —
the audit trail carries internal names and notes — unless the rule says `history="all"`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from django.db.models import Model, QuerySet
from django.http import Http404

from waibao.accounts import policy
from waibao.core import audit
from waibao.core.models import AuditEvent

M = TypeVar("M", bound=Model)

#: The largest primary key any database we support stores (a signed 64-bit integer). A bigger number in a
#: URL is simply not found, instead of an overflow error on PostgreSQL.
MAX_PK = 2**63 - 1


@dataclass(frozen=True)
class Rule:
    """How one model reaches its vendor, and how it is looked up.

    vendor: the lookup path from the model to the vendor's id (``"contract__vendor_id"``; ``"pk"`` for the
        vendor itself), or None for shared reference data every signed-in user reads.
    code: the field a non-numeric key is looked up in (``"code"``), or None when only ids address it.
    related: ``select_related`` paths loaded with each object (what its page needs).
    vendor_filter: a further narrowing for vendor users only (a complaint still being triaged, an import
        started by someone else), applied after the vendor path.
    history: who reads the object's audit history: "buyers" (default) or "all" who may see the object.
    """

    vendor: str | None
    code: str | None = None
    related: tuple[str, ...] = ()
    vendor_filter: Callable[[QuerySet[Any], Any], QuerySet[Any]] | None = None
    history: Literal["buyers", "all"] = "buyers"


_RULES: dict[type[Model], Rule] = {}


def register(table: Mapping[type[M], Rule]) -> Mapping[type[M], Rule]:
    """Declare the rules of an app's models (called at import of the app's `access.py`)."""
    for model, rule in table.items():
        existing = _RULES.get(model)
        if existing is not None and existing != rule:
            raise ValueError(f"{model.__name__} already has a different access rule")
        _RULES[model] = rule
    return table


def rule_for(model: type[Model]) -> Rule:
    try:
        return _RULES[model]
    except KeyError:
        raise LookupError(
            f"{model.__name__} has no access rule: declare it in its app's access.py with core.access.register"
        ) from None


def registered() -> dict[type[Model], Rule]:
    """Every model with a rule (the access tests walk this table)."""
    return dict(_RULES)


def visible(model: type[M], user: Any) -> QuerySet[M]:
    """Every row of `model` the user may read: all for buyers, its own vendor's for a vendor user, none for
    an anonymous or inactive user."""
    rule = rule_for(model)
    if not policy.can_read(user):
        return model._default_manager.none()
    qs: QuerySet[M] = model._default_manager.all()
    scope = policy.vendor_scope(user)
    if scope is None or rule.vendor is None:
        return qs
    qs = qs.filter(**{rule.vendor: scope})
    if rule.vendor_filter is not None:
        qs = rule.vendor_filter(qs, user)
    return qs


def pk_of(key: object) -> int | None:
    """The integer id a URL key stands for, or None when it cannot be one (not a number, or too large)."""
    text = str(key).strip()
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if 0 < value <= MAX_PK else None


def get(
    model: type[M],
    user: Any,
    key: object,
    *,
    write: bool = False,
    action: str = "",
    within: Mapping[str, Any] | None = None,
    related: tuple[str, ...] | None = None,
) -> M:
    """The object `key` (an id, or its code when the rule has one) names, if the user may read it.

    Raises Http404 when it does not exist or belongs to another vendor, and PermissionDenied (403) when
    `write` is asked and the user's role may not do `action`. `within` narrows the lookup to a parent
    (``within={"contract": contract}``) so a child of another contract is a 404 in this contract's URL.
    """
    rule = rule_for(model)
    qs = visible(model, user)
    paths = rule.related if related is None else related
    if paths:
        qs = qs.select_related(*paths)
    if within:
        qs = qs.filter(**within)
    pk = pk_of(key)
    if pk is not None:
        obj = qs.filter(pk=pk).first()
    elif rule.code is not None:
        obj = qs.filter(**{rule.code: str(key).strip()}).first()
    else:
        obj = None
    if obj is None:
        raise Http404(model._meta.model_name)
    if write:
        require(user, action)
    return obj


def require(user: Any, action: str) -> None:
    """403 unless the user's role may do `action` (see accounts.policy.RULES)."""
    if not action:
        raise ValueError("a write needs the action it asks the policy for")
    policy.require(user, action)


def may_see_history(user: Any, model: type[Model]) -> bool:
    rule = rule_for(model)
    if rule.history == "all":
        return policy.can_read(user)
    return policy.is_buyer(user)


def history(user: Any, obj: Model, limit: int | None = None) -> QuerySet[AuditEvent] | list[AuditEvent]:
    """The audit history of `obj` the user may read (newest first): empty for those who may not."""
    if not may_see_history(user, type(obj)):
        return []
    events = audit.events_for(obj)
    return events[:limit] if limit is not None else events
