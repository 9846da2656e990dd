"""Registration with the shell (navigation, dashboard panel); filled in by the calendars app."""

from __future__ import annotations


def register() -> None:
    pass
