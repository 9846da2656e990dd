from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Schema


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    url: str
    created_at: datetime
    read_at: datetime | None

    # Generated texts in the caller's language (core.texts), like the notification centre shows them.
    @staticmethod
    def resolve_title(obj: Any) -> str:
        return str(obj.shown_title)

    @staticmethod
    def resolve_body(obj: Any) -> str:
        return str(obj.shown_body)


class MarkedOut(Schema):
    marked: int
