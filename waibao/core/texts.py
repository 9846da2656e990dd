"""Messages translated when they are shown, not when they are made.

A notification is written for a recipient who may read English while the job that raises it runs in
Chinese: ``Later(gettext_lazy("%(code)s 已到期"), {"code": contract.code})`` keeps the message id and the
values, and ``str()`` renders it in whatever language is active then (``notifications.notify`` activates
each recipient's). Values that are themselves lazy strings or ``Later`` are rendered at the same moment.

What is kept for later readers (a notification, an NCR's generated title) is stored as a message:
``freeze(text)`` gives its JSON form, ``render(message, fallback)`` shows it in the active language.
Lists are joined in the reader's language: ``join_list`` / ``join_clauses`` now, ``Joined`` when shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.utils.functional import Promise


class Later:
    __slots__ = ("params", "text")

    def __init__(self, text: str | Promise, params: Mapping[str, Any] | None = None) -> None:
        self.text = text
        self.params = dict(params or {})

    def __str__(self) -> str:
        text = str(self.text)
        if not self.params:
            return text
        shown = (Promise, Later, Joined)
        return text % {k: str(v) if isinstance(v, shown) else v for k, v in self.params.items()}

    def __repr__(self) -> str:
        return f"Later({self.text!r}, {self.params!r})"


# --- lists joined in the reader's language --------------------------------------------------------


def _separator(kind: str) -> str:
    from django.utils.translation import pgettext

    if kind == "clauses":
        # Translators: between whole clauses or error messages ("；" in Chinese, "; " in English).
        return pgettext("clause separator", "；")
    # Translators: between the items of a list ("、" in Chinese, ", " in English).
    return pgettext("list separator", "、")


def join_list(items: Iterable[Any]) -> str:
    """``a、b、c`` in Chinese, ``a, b, c`` in English (items rendered in the active language)."""
    return _separator("list").join(str(i) for i in items)


def join_clauses(items: Iterable[Any]) -> str:
    """``甲；乙`` in Chinese, ``a; b`` in English."""
    return _separator("clauses").join(str(i) for i in items)


class Joined:
    """A list joined when it is shown (``Later`` parameter): the separator and lazy items follow the reader."""

    __slots__ = ("items", "kind")

    def __init__(self, items: Iterable[Any], kind: str = "list") -> None:
        self.items = list(items)
        self.kind = kind

    def __str__(self) -> str:
        return _separator(self.kind).join(str(i) for i in self.items)

    def __repr__(self) -> str:
        return f"Joined({self.items!r}, {self.kind!r})"


# --- stored messages -------------------------------------------------------------------------------
#
# A generated text is stored as a message: ``{"id": msgid, "ctx": context, "params": {...}}`` (JSON), so
# whoever reads it later sees it in their own language. Parameter values are plain JSON values, nested
# messages (dicts) or joined lists (``{"join": "list", "items": [...]}``). Text a person typed has no
# message (``freeze`` returns None) and is shown as typed.

Message = dict[str, Any]


def _lazy_parts(text: Promise) -> Message | None:
    from django.utils import translation

    try:
        func, args, kwargs = text.__reduce__()[1][:3]  # type: ignore[index,misc]
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    if kwargs:
        return None
    if func is translation.gettext and len(args) == 1:
        return {"id": str(args[0])}
    if func is translation.pgettext and len(args) == 2:
        return {"ctx": str(args[0]), "id": str(args[1])}
    return None


def _freeze_value(value: Any) -> Any:
    from waibao.core import formats

    if isinstance(value, Later | Promise):
        frozen = freeze(value)
        return frozen if frozen is not None else str(value)
    if isinstance(value, Joined):
        return {"join": value.kind, "items": [_freeze_value(v) for v in value.items]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, datetime):
        return formats.moment(value)
    if isinstance(value, date):
        return formats.day(value)
    return str(value)


def freeze(text: Any) -> Message | None:
    """The stored form of a generated text; None for plain text (typed by a person, stored as typed)."""
    if isinstance(text, Later):
        if isinstance(text.text, Promise):
            message = _lazy_parts(text.text)
            if message is None:
                return None
        else:
            message = {"text": str(text.text)}
        if text.params:
            message["params"] = {k: _freeze_value(v) for k, v in text.params.items()}
        elif "text" in message:
            return None
        return message
    if isinstance(text, Promise):
        return _lazy_parts(text)
    return None


def _thaw_value(value: Any) -> Any:
    if isinstance(value, dict):
        if "join" in value:
            return Joined([_thaw_value(v) for v in value.get("items") or []], str(value["join"]))
        return thaw(value)
    return value


def thaw(message: Message) -> Later:
    """The message as a ``Later`` again (to render now, or to pass on inside another message)."""
    from django.utils.translation import gettext_lazy, pgettext_lazy

    if "id" in message:
        ctx = message.get("ctx")
        text: str | Promise = pgettext_lazy(ctx, message["id"]) if ctx else gettext_lazy(message["id"])
    else:
        text = str(message.get("text", ""))
    return Later(text, {k: _thaw_value(v) for k, v in (message.get("params") or {}).items()})


def render(message: Message | None, fallback: str = "") -> str:
    """The message in the active language; the stored text when there is none or it cannot be rendered
    (a message id whose parameters changed since it was stored)."""
    if not message:
        return fallback
    try:
        return str(thaw(message))
    except (KeyError, TypeError, ValueError):
        return fallback


def is_message(value: Any) -> bool:
    """A stored message (as ``freeze`` makes them), e.g. a generated title kept in an audit entry."""
    return isinstance(value, dict) and "id" in value and set(value) <= {"id", "ctx", "params"}


def stored(message: Message | None, fallback: str) -> Later | str:
    """A stored text to pass on inside another message: the message when there is one, else the text."""
    return thaw(message) if message else fallback
