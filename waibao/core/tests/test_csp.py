"""A strict Content-Security-Policy on every response, and templates written so that it holds.

The browser test (test_browser_csp.py) proves the pages really work under it; these check that every
kind of response carries it and that no template brings back what it forbids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

WAIBAO = Path(__file__).resolve().parents[2]


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in header.split(";")) if d}


def _strict(response) -> bool:
    p = _policy(response)
    return (
        p.get("default-src") == "'self'"
        and p.get("script-src") == "'self'"
        and p.get("style-src") == "'self'"
        and p.get("object-src") == "'none'"
        and p.get("frame-ancestors") == "'none'"
        and "unsafe" not in response.headers.get("Content-Security-Policy", "")
    )


def test_pages_portal_api_and_error_pages_carry_the_policy(
    client, as_user, api_client, manager, vendor_user_a
):
    responses = {
        "login page": client.get("/accounts/login/"),
        "redirect to login": client.get("/"),
        "health": client.get("/health"),
        "buyer home": as_user(manager).get("/"),
        "portal": as_user(vendor_user_a).get("/portal/"),
        "404 page": as_user(manager).get("/no-such-page/"),
        "403 page": as_user(vendor_user_a).get("/accounts/users/"),
        "400 page (NUL)": as_user(manager).get("/vendors/?q=a%00b"),
        "API answer": api_client(manager).get("/api/v1/accounts/me"),
        "API 401": client.get("/api/v1/accounts/me"),
        "API 404": api_client(manager).get("/api/v1/contracts/CT-0000-0000"),
        "API docs": as_user(manager).get("/api/v1/docs"),
        "OpenAPI document": as_user(manager).get("/api/v1/openapi.json"),
    }
    assert responses["403 page"].status_code == 403 and responses["404 page"].status_code == 404
    assert responses["400 page (NUL)"].status_code == 400
    missing = [name for name, r in responses.items() if not _strict(r)]
    assert missing == []


def test_a_failed_csrf_check_shows_our_page_without_inline_style(manager):
    c = Client(enforce_csrf_checks=True)
    c.force_login(manager)
    r = c.post("/accounts/logout/")
    assert r.status_code == 403 and _strict(r)
    text = r.content.decode()
    assert "<style" not in text and 'id="csrf-failure"' in text


def test_the_policy_comes_from_the_environment_setting(client, settings):
    settings.WAIBAO_CSP = "default-src 'self' https://static.example"
    assert client.get("/accounts/login/").headers["Content-Security-Policy"] == settings.WAIBAO_CSP
    settings.WAIBAO_CSP = ""
    assert "Content-Security-Policy" not in client.get("/accounts/login/").headers


FORBIDDEN = {
    "style attribute": re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.S),
    "<style> block": re.compile(r"<style[\s>]", re.I),
    "inline event handler": re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S),
    "javascript: URL": re.compile(r"javascript:", re.I),
    # a <script> with content: anything but a src= script or a JSON data block
    "inline script": re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>", re.I
    ),
}


def test_no_template_uses_what_the_policy_forbids():
    """Style attributes become classes in app.css (a width in percent: ``w-pct-{{ n }}``), behaviour goes
    to a static script, data for scripts into ``json_script``."""
    found = []
    for path in sorted(WAIBAO.glob("*/templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)  # comments may name what is forbidden
        for what, pattern in FORBIDDEN.items():
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(WAIBAO)}:{line}: {what}")
    assert found == []


def test_htmx_adds_no_style_block_and_evaluates_no_code(client):
    text = client.get("/accounts/login/").content.decode()
    assert (
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false, "allowEval": false}\'>' in text
    )
