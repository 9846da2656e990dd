"""Named personas for every test: a buyer of each role, and users of two vendors who must not see each other."""

from __future__ import annotations

import os

os.environ.setdefault("WAIBAO_TESTING", "1")

import pytest
from django.test import Client

from waibao.accounts.models import Role, User

PASSWORD = "Persona-Pass-2026!"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.AXES_ENABLED = False
    # Fast hashing: the suite creates many users; production keeps Django's default PBKDF2.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": []}
    }


@pytest.fixture(autouse=True)
def _language_reset():
    """Each test starts and ends with no language chosen (Chinese, the default): a request in English
    leaves English active in the thread (the language middleware activates per request), which must not
    decide the language of the next test in the same worker."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


def _user(username: str, role: str, vendor=None) -> User:
    user = User(
        username=username,
        role=role,
        vendor=vendor,
        full_name=username.title(),
        email=f"{username}@example.com",
    )
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def vendor_a(db):
    from waibao.vendors.tests.factories import VendorFactory

    return VendorFactory(name="甲供应商有限公司", status="active")


@pytest.fixture
def vendor_b(db):
    from waibao.vendors.tests.factories import VendorFactory

    return VendorFactory(name="乙供应商有限公司", status="active")


@pytest.fixture
def admin_user(db):
    return _user("admin1", Role.ADMIN)


@pytest.fixture
def manager(db):
    return _user("manager1", Role.MANAGER)


@pytest.fixture
def quality_user(db):
    return _user("quality1", Role.QUALITY)


@pytest.fixture
def finance_user(db):
    return _user("finance1", Role.FINANCE)


@pytest.fixture
def auditor(db):
    return _user("auditor1", Role.AUDITOR)


@pytest.fixture
def vendor_user_a(vendor_a):
    return _user("vendor_a1", Role.VENDOR, vendor_a)


@pytest.fixture
def vendor_user_b(vendor_b):
    return _user("vendor_b1", Role.VENDOR, vendor_b)


@pytest.fixture
def personas(admin_user, manager, quality_user, finance_user, auditor, vendor_user_a, vendor_user_b):
    return {
        "admin": admin_user,
        "manager": manager,
        "quality": quality_user,
        "finance": finance_user,
        "auditor": auditor,
        "vendor_a": vendor_user_a,
        "vendor_b": vendor_user_b,
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_user():
    """as_user(user) -> a logged-in test client (session auth)."""
    return client_for


@pytest.fixture
def api_client():
    """api_client(user) -> a client that sends `Authorization: Bearer <token>` for that user."""
    from waibao.accounts import services

    def make(user):
        _token, raw = services.create_api_token(user=user, actor=user, name="test")
        return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")

    return make


# --- browser tests -------------------------------------------------------------------------------
CHROMIUM = os.environ.get("WAIBAO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def page(live_server):
    """A Playwright page in headless Debian Chromium, with `base_url` set to the live server."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes are still
    # synchronous, so tell Django not to refuse them.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(
            base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(15000)
        pg = context.new_page()
        try:
            yield pg
        finally:
            context.close()
            browser.close()
            # Connections opened while Playwright's event loop ran live in that context: close them
            # here, or PostgreSQL cannot drop the test database at the end ("accessed by other users").
            from django.db import connections

            connections.close_all()


@pytest.fixture
def browser_login(page):
    """browser_login(user) logs the page in through the login form and returns it."""

    def do(user):
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", PASSWORD)
        page.click("#main form button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)
        return page

    return do


@pytest.fixture
def clause_library(db):
    """The clause library a fresh installation has (seeded by a migration). Transactional tests flush the
    database between tests, which empties it; this puts the same templates back."""
    import importlib

    from django.apps import apps

    importlib.import_module("waibao.contracts.migrations.0003_clause_library_defaults").seed(apps, None)
