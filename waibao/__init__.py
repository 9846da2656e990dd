"""Waibao 外包 — managing outsourced services from planning to exit."""
