"""Messages translated when they are shown, not when they are made.

A notification is written for a recipient who may read English while the job that raises it runs in
Chinese: ``Later(gettext_lazy("%(code)s 已到期"), {"code": contract.code})`` keeps the message id and the
values, and ``str()`` renders it in whatever language is active then (``notifications.notify`` activates
each recipient's). Values that are themselves lazy strings or ``Later`` are rendered at the same moment.
"""

from __future__ import annotations

from collections.abc import Mapping
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
        return text % {k: str(v) if isinstance(v, Promise | Later) else v for k, v in self.params.items()}

    def __repr__(self) -> str:
        return f"Later({self.text!r}, {self.params!r})"
