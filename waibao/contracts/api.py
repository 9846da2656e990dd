"""REST API for contracts (mounted at /api/v1/contracts/)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["contracts"])
