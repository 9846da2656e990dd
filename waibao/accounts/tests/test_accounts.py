import io
import time

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from waibao.accounts import services
from waibao.accounts.models import ApiToken, Role, User
from waibao.core.errors import DomainError

pytestmark = pytest.mark.django_db


def login(client, username, password=PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_login_and_logout(manager, client):
    r = login(client, "manager1")
    assert r.status_code == 302 and r["Location"] == "/"
    assert client.get("/").status_code == 200
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_wrong_password_shows_a_message(manager, client):
    r = login(client, "manager1", "wrong")
    assert r.status_code == 200 and "用户名或密码不正确" in r.content.decode()


def test_repeated_failures_lock_the_username_from_that_address(manager, client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        login(client, "manager1", "wrong")
    r = login(client, "manager1")  # right password, but locked now
    assert r.status_code in (403, 429)
    assert client.get("/").status_code == 302
    from axes.utils import reset

    reset()


def test_create_api_token_command_prints_a_working_token(manager):
    out = io.StringIO()
    call_command("create_api_token", "manager1", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("wb_")
    token = ApiToken.objects.get(user=manager)
    assert raw not in (token.key_hash, token.prefix) and token.key_hash != raw  # only a hash is stored
    assert (
        Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/accounts/me").json()["username"] == "manager1"
    )


def test_tokens_page_shows_a_new_token_once_and_revokes(manager, as_user):
    client = as_user(manager)
    body = client.post("/accounts/me/", {"name": "ERP 对接"}).content.decode()
    token = ApiToken.objects.get(user=manager)
    assert "wb_" in body and token.name == "ERP 对接"
    assert 'id="new-token"' not in client.get("/accounts/me/").content.decode()
    client.post(f"/accounts/me/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_cannot_revoke_someone_elses_token(manager, auditor, as_user):
    token, _raw = services.create_api_token(user=manager, actor=manager)
    assert as_user(auditor).post(f"/accounts/me/tokens/{token.pk}/revoke/").status_code == 404


def test_api_token_endpoints(manager, api_client):
    client = api_client(manager)
    created = client.post("/api/v1/accounts/tokens", {"name": "ci"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["token"].startswith("wb_")
    listed = client.get("/api/v1/accounts/tokens").json()
    assert {t["name"] for t in listed} == {"test", "ci"}
    assert all("token" not in t for t in listed)


def test_second_factor_is_asked_after_the_password_when_enabled(manager, client):
    device = TOTPDevice.objects.create(user=manager, name="default", confirmed=True)
    r = login(client, "manager1")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/verify/")
    assert client.get("/").status_code == 302  # not logged in yet
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    ok = client.post("/accounts/verify/", {"code": str(totp.token()).zfill(6)})
    assert ok.status_code == 302
    assert client.get("/").status_code == 200


def test_wrong_second_factor_code_is_refused(manager, client):
    TOTPDevice.objects.create(user=manager, name="default", confirmed=True)
    login(client, "manager1")
    bad = client.post("/accounts/verify/", {"code": "000000"})
    assert "验证码不正确" in bad.content.decode()
    assert client.get("/").status_code == 302


def test_admin_must_set_up_second_factor_when_required(admin_user, client, settings):
    settings.WAIBAO_REQUIRE_2FA_FOR_ADMIN = True
    login(client, "admin1")
    r = client.get("/vendors/")
    assert r.status_code == 302 and r["Location"] == "/accounts/me/two-factor/"
    setup = client.get("/accounts/me/two-factor/")
    assert setup.status_code == 200 and "data:image/svg+xml" in setup.content.decode()
    device = TOTPDevice.objects.get(user=admin_user)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    client.post("/accounts/me/two-factor/", {"code": str(totp.token()).zfill(6)})
    assert client.get("/vendors/").status_code == 200
    assert client.get("/api/v1/vendors/").status_code == 200


def test_non_admin_is_not_forced_to_use_a_second_factor(manager, client, settings):
    settings.WAIBAO_REQUIRE_2FA_FOR_ADMIN = True
    login(client, "manager1")
    assert client.get("/vendors/").status_code == 200


def test_idle_session_times_out(manager, client, settings):
    settings.WAIBAO_SESSION_IDLE_MINUTES = 30
    login(client, "manager1")
    session = client.session
    session["last_seen"] = int(time.time()) - 31 * 60
    session.save()
    r = client.get("/vendors/")
    assert r.status_code == 302 and r["Location"].startswith("/accounts/login/")


def test_language_is_chinese_by_default_and_switches_per_user(manager, client):
    login(client, "manager1")
    assert 'lang="zh-CN"' in client.get("/").content.decode()
    client.post("/accounts/language/", {"language": "en", "next": "/"})
    manager.refresh_from_db()
    assert manager.language == "en"
    fresh = Client()
    login(fresh, "manager1")
    assert 'lang="en"' in fresh.get("/").content.decode()


def test_browser_language_does_not_override_the_chinese_default(manager, client):
    login(client, "manager1")
    assert 'lang="zh-CN"' in client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()


def test_createsuperuser_gives_a_buyer_admin():
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "root@example.com")
    assert User.objects.get(username="root").role == Role.ADMIN


def test_password_rules_apply(admin_user):
    with pytest.raises(DomainError) as exc:
        services.create_user(actor=admin_user, username="weak", password="12345678", role=Role.AUDITOR)
    assert "password" in exc.value.fields


def test_vendor_user_must_belong_to_a_vendor(admin_user, vendor_a):
    with pytest.raises(DomainError):
        services.create_user(actor=admin_user, username="v", password="Long-Enough-Pass-1", role=Role.VENDOR)
    with pytest.raises(DomainError):
        services.create_user(
            actor=admin_user, username="m", password="Long-Enough-Pass-1", role=Role.MANAGER, vendor=vendor_a
        )


def test_user_admin_pages_for_admins_only(personas, as_user, vendor_a):
    assert as_user(personas["manager"]).get("/accounts/users/").status_code == 403
    client = as_user(personas["admin"])
    assert client.get("/accounts/users/").status_code == 200
    r = client.post(
        "/accounts/users/new/",
        {
            "username": "newvendor",
            "role": "vendor",
            "vendor": vendor_a.pk,
            "language": "zh-hans",
            "password": "Another-Good-Pass-9",
            "is_active": "on",
        },
    )
    assert r.status_code == 302
    assert User.objects.get(username="newvendor").vendor == vendor_a
