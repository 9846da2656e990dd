"""Registration with the shell; filled in by the notifications app."""

from __future__ import annotations


def register() -> None:
    pass
