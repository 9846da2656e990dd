"""REST API for calendars (mounted at /api/v1/calendars/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["calendars"])
