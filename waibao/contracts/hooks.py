"""Registration with the shell (navigation, panels, demo, schedule); filled in by the contracts app."""

from __future__ import annotations


def register() -> None:
    pass
