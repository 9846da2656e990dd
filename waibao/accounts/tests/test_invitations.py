"""Vendor users are invited by e-mail and set their own password through a one-time, expiring link."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from waibao.accounts import services
from waibao.accounts.models import Invitation, Role, User
from waibao.core import clock
from waibao.core.errors import DomainError

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Vendor-Pass-2026!"


class RefusingMailServer(BaseEmailBackend):
    """The outside world failing: the mail server refuses the connection."""

    def send_messages(self, email_messages):  # type: ignore[no-untyped-def]
        raise ConnectionRefusedError("mail server down")


def _link() -> str:
    body = str(mail.outbox[-1].body)
    match = re.search(r"http://testserver(/accounts/invite/[^/\s]+/)", body)
    assert match is not None
    return match.group(1)


def _invite(client, vendor, email="li.na@vendor-a.example", **extra):
    return client.post(
        f"/accounts/vendors/{vendor.pk}/users/",
        {"email": email, "full_name": "李娜", "language": "zh-hans", **extra},
        follow=True,
    )


def _accept(client, link, username="li.na@vendor-a.example", password=NEW_PASSWORD):
    return client.post(
        link, {"full_name": "李娜", "username": username, "password": password, "password2": password}
    )


def test_manager_invites_and_the_invitee_sets_a_password_and_is_logged_in(as_user, client, manager, vendor_a):
    r = _invite(as_user(manager), vendor_a)
    assert "已发送邀请至 li.na@vendor-a.example" in r.content.decode()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["li.na@vendor-a.example"]
    assert vendor_a.name in mail.outbox[0].subject
    link = _link()
    page = client.get(link)
    assert page.status_code == 200 and "li.na@vendor-a.example" in page.content.decode()
    r = _accept(client, link)
    assert r.status_code == 302
    user = User.objects.get(username="li.na@vendor-a.example")
    assert user.role == Role.VENDOR and user.vendor == vendor_a and user.check_password(NEW_PASSWORD)
    assert client.get("/").wsgi_request.user == user
    inv = Invitation.objects.get()
    assert inv.accepted_at is not None and inv.user == user


def test_link_works_only_once(as_user, client, manager, vendor_a):
    _invite(as_user(manager), vendor_a)
    link = _link()
    assert _accept(client, link).status_code == 302
    client.logout()
    r = client.get(link)
    assert r.status_code == 410 and "邀请链接无效、已使用或已过期" in r.content.decode()
    assert _accept(client, link, username="second").status_code == 410
    assert not User.objects.filter(username="second").exists()


def test_link_expires(as_user, client, manager, vendor_a):
    _invite(as_user(manager), vendor_a)
    link = _link()
    with time_machine.travel(clock.now() + timedelta(days=services.invitation_days(), hours=1)):
        assert client.get(link).status_code == 410
        assert _accept(client, link).status_code == 410
    assert not User.objects.filter(vendor=vendor_a).exists()


def test_resend_makes_a_new_link_and_the_old_one_stops_working(as_user, client, manager, vendor_a):
    c = as_user(manager)
    _invite(c, vendor_a)
    old = _link()
    inv = Invitation.objects.get()
    r = c.post(f"/accounts/invitations/{inv.pk}/resend/", follow=True)
    assert "已发送邀请" in r.content.decode() and len(mail.outbox) == 2
    new = _link()
    assert new != old
    assert client.get(old).status_code == 410
    assert client.get(new).status_code == 200


def test_revoked_invitation_link_no_longer_works(as_user, client, manager, vendor_a):
    c = as_user(manager)
    _invite(c, vendor_a)
    link = _link()
    inv = Invitation.objects.get()
    r = c.post(f"/accounts/invitations/{inv.pk}/revoke/", follow=True)
    assert "已撤销" in r.content.decode()
    assert client.get(link).status_code == 410


def test_sent_message_only_when_the_mail_was_sent(as_user, manager, vendor_a, settings):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailServer"
    r = _invite(as_user(manager), vendor_a)
    page = r.content.decode()
    assert "已发送邀请" not in page and "邮件未能发出" in page
    inv = Invitation.objects.get()
    assert inv.sent_at is None and inv.send_count == 0
    r = as_user(manager).post(f"/accounts/invitations/{inv.pk}/resend/", follow=True)
    assert "已发送邀请" not in r.content.decode()


def test_failed_invitation_form_keeps_what_was_typed(as_user, manager, vendor_a, vendor_user_a):
    r = _invite(as_user(manager), vendor_a, email=vendor_user_a.email, full_name="保留的姓名")
    page = r.content.decode()
    assert "该邮箱已有账户" in page and 'value="保留的姓名"' in page
    assert not Invitation.objects.exists()


def test_vendor_b_cannot_invite_into_vendor_a_nor_see_its_users(
    as_user, api_client, vendor_a, vendor_user_a, vendor_user_b
):
    c = as_user(vendor_user_b)
    assert c.get(f"/accounts/vendors/{vendor_a.pk}/users/").status_code == 404
    assert _invite(c, vendor_a).status_code == 404
    api = api_client(vendor_user_b)
    body = {"email": "x@example.com"}
    r = api.post(f"/api/v1/accounts/vendors/{vendor_a.pk}/invitations", body, content_type="application/json")
    assert r.status_code == 404
    assert api.get(f"/api/v1/accounts/vendors/{vendor_a.pk}/users").status_code == 404
    assert not Invitation.objects.exists() and not mail.outbox


def test_vendor_b_cannot_resend_or_revoke_vendor_a_invitations(as_user, manager, vendor_a, vendor_user_b):
    _invite(as_user(manager), vendor_a)
    inv = Invitation.objects.get()
    c = as_user(vendor_user_b)
    assert c.post(f"/accounts/invitations/{inv.pk}/resend/").status_code == 404
    assert c.post(f"/accounts/invitations/{inv.pk}/revoke/").status_code == 404
    inv.refresh_from_db()
    assert inv.revoked_at is None and inv.send_count == 1


def test_vendor_users_and_read_only_buyers_cannot_invite(as_user, auditor, vendor_a, vendor_user_a):
    assert _invite(as_user(vendor_user_a), vendor_a).status_code == 403
    assert _invite(as_user(auditor), vendor_a).status_code == 403
    with pytest.raises(Exception):
        services.invite_vendor_user(actor=vendor_user_a, vendor=vendor_a, email="x@example.com")
    assert not Invitation.objects.exists()


def test_vendor_page_lists_the_vendors_own_users(as_user, manager, vendor_a, vendor_user_a, vendor_user_b):
    page = as_user(manager).get(f"/vendors/{vendor_a.pk}/").content.decode()
    assert 'id="vendor-user-panel"' in page and vendor_user_a.email in page and vendor_user_b.email not in page
    own = as_user(vendor_user_a).get(f"/accounts/vendors/{vendor_a.pk}/users/").content.decode()
    assert vendor_user_a.username in own and 'id="invite-form"' not in own


def test_api_invites_resends_and_revokes(api_client, manager, vendor_a):
    api = api_client(manager)
    r = api.post(
        f"/api/v1/accounts/vendors/{vendor_a.pk}/invitations",
        {"email": "Wang@Vendor-A.example", "full_name": "王"},
        content_type="application/json",
    )
    assert r.status_code == 201 and r.json()["sent"] is True
    assert r.json()["invitation"]["email"] == "wang@vendor-a.example"
    assert r.json()["invitation"]["state"] == "pending"
    pk = r.json()["invitation"]["id"]
    r = api.post(f"/api/v1/accounts/invitations/{pk}/resend")
    assert r.status_code == 200 and r.json()["invitation"]["send_count"] == 2
    r = api.post(f"/api/v1/accounts/invitations/{pk}/revoke")
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    assert api.post(f"/api/v1/accounts/invitations/{pk}/resend").status_code == 409


def test_a_second_open_invitation_for_the_same_address_is_refused(manager, vendor_a):
    services.invite_vendor_user(actor=manager, vendor=vendor_a, email="a@example.com")
    with pytest.raises(DomainError):
        services.invite_vendor_user(actor=manager, vendor=vendor_a, email="A@example.com")


def test_invitation_mail_is_in_the_chosen_language(manager, vendor_a):
    services.invite_vendor_user(actor=manager, vendor=vendor_a, email="en@example.com", language="en")
    assert "set your password" in mail.outbox[-1].body.lower()



def test_set_password_page_is_in_the_invitations_language(client, manager, vendor_a):
    services.invite_vendor_user(
        actor=manager, vendor=vendor_a, email="en@example.com", language="en", link_base="http://testserver"
    )
    link = _link()
    page = client.get(link)
    html = page.content.decode()
    assert '<html lang="en">' in html and "Set your password" in html and "设置密码" not in html
    assert page.headers["Content-Language"] == "en"
    # A refused form comes back in the same language.
    html = _accept(client, link, username="en@example.com", password="short").content.decode()
    assert '<html lang="en">' in html and "设置密码" not in html


def test_set_password_page_follows_the_language_the_visitor_switched_to(client, manager, vendor_a):
    services.invite_vendor_user(
        actor=manager, vendor=vendor_a, email="en@example.com", language="en", link_base="http://testserver"
    )
    link = _link()
    client.post("/accounts/language/", {"language": "zh-hans", "next": link})
    html = client.get(link).content.decode()
    assert '<html lang="zh-CN">' in html and "设置密码" in html
