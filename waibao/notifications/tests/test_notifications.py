import json

import pytest
from django.core import mail
from django.urls import reverse

from waibao.notifications.models import Notification
from waibao.notifications.services import notify

pytestmark = pytest.mark.django_db


def test_notify_creates_one_per_user_and_emails_once_per_key(
    manager, finance_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        assert notify(users=[manager, finance_user, manager], kind="t", title="提醒", key="k") == 2
        assert notify(users=[manager], kind="t", title="提醒", key="k") == 0
    assert len(mail.outbox) == 2 and Notification.objects.exclude(emailed_at=None).count() == 2


def test_notifications_without_key_are_not_deduplicated(manager):
    notify(users=[manager], kind="t", title="a", email=False)
    notify(users=[manager], kind="t", title="a", email=False)
    assert Notification.objects.filter(user=manager).count() == 2


def test_user_sees_and_marks_only_their_own(as_user, api_client, vendor_user_a, vendor_user_b):
    notify(users=[vendor_user_a], kind="t", title="甲的通知", email=False)
    notify(users=[vendor_user_b], kind="t", title="乙的通知", email=False)
    page = as_user(vendor_user_a).get("/notifications/").content.decode()
    assert "甲的通知" in page and "乙的通知" not in page
    other = Notification.objects.get(user=vendor_user_b)
    assert as_user(vendor_user_a).post(f"/notifications/{other.pk}/read/").status_code == 404
    assert api_client(vendor_user_a).post(f"/api/v1/notifications/{other.pk}/read").status_code == 404
    body = api_client(vendor_user_a).get("/api/v1/notifications/").json()
    assert [n["title"] for n in body["items"]] == ["甲的通知"]


def test_mark_read_and_read_all(as_user, api_client, manager):
    notify(users=[manager], kind="t", title="一", email=False)
    notify(users=[manager], kind="t", title="二", email=False)
    n = Notification.objects.filter(user=manager).first()
    r = api_client(manager).post(f"/api/v1/notifications/{n.pk}/read")
    assert r.status_code == 200 and r.json()["read_at"]
    assert api_client(manager).get("/api/v1/notifications/?unread=true").json()["count"] == 1
    as_user(manager).post("/notifications/read-all/")
    assert not Notification.objects.filter(user=manager, read_at=None).exists()
    assert json.loads(api_client(manager).post("/api/v1/notifications/read-all").content) == {"marked": 0}


def test_notification_list_query_count_is_flat(as_user, manager, django_assert_max_num_queries):
    client = as_user(manager)
    notify(users=[manager], kind="t", title="x", email=False)
    with django_assert_max_num_queries(30) as ctx:
        client.get("/notifications/")
    baseline = len(ctx.captured_queries)
    for i in range(5):
        notify(users=[manager], kind="t", title=f"x{i}", email=False)
    with django_assert_max_num_queries(baseline):
        client.get("/notifications/")


def test_top_bar_bell_shows_the_unread_count_and_links_to_the_centre(as_user, manager):
    page = as_user(manager).get("/").content.decode()
    assert 'id="notification-bell"' in page and 'id="unread-badge"' not in page
    for i in range(3):
        notify(users=[manager], kind="t", title=f"n{i}", email=False)
    first = Notification.objects.filter(user=manager).first()
    as_user(manager).post(f"/notifications/{first.pk}/read/")
    page = as_user(manager).get("/").content.decode()
    bell = page.split('id="notification-bell"', 1)[1].split("</li>", 1)[0]
    assert 'href="/notifications/"' in bell
    assert '<span class="badge rounded-pill text-bg-danger" id="unread-badge">2</span>' in bell


def test_bell_counts_only_the_users_own_notifications(as_user, vendor_user_a, vendor_user_b):
    notify(users=[vendor_user_b], kind="t", title="乙", email=False)
    page = as_user(vendor_user_a).get("/portal/").content.decode()
    assert 'id="notification-bell"' in page and 'id="unread-badge"' not in page


def test_bell_renders_nothing_for_anonymous_users(client):
    from django.contrib.auth.models import AnonymousUser
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = render_to_string("notifications/_bell.html", {"user": AnonymousUser()}, request=request)
    assert html.strip() == ""
    login = client.get(reverse("accounts:login"))
    assert login.status_code == 200 and "notification-bell" not in login.content.decode()


def test_unread_count_tag_costs_one_query(manager, django_assert_num_queries):
    from django.template import Context, Template

    for i in range(4):
        notify(users=[manager], kind="t", title=f"n{i}", email=False)
    tpl = Template("{% load notifications %}{% unread_count user as n %}{{ n }}")
    with django_assert_num_queries(1):
        assert tpl.render(Context({"user": manager})) == "4"


def test_each_recipient_gets_the_message_and_the_e_mail_in_their_own_language(
    manager, finance_user, django_capture_on_commit_callbacks
):
    from django.utils.translation import gettext_lazy

    from waibao.core.texts import Later

    finance_user.language = "en"
    finance_user.save()
    with django_capture_on_commit_callbacks(execute=True):
        notify(
            users=[manager, finance_user],
            kind="t",
            title=Later(gettext_lazy("%(code)s 已到期"), {"code": "CT-2026-0009"}),
            body=Later(
                gettext_lazy("%(c)s · %(m)s %(p)s %(w)s"),
                {"c": "CT-2026-0009", "m": "P1", "p": "2026-10", "w": gettext_lazy("有违约风险")},
            ),
        )
    zh = Notification.objects.get(user=manager)
    en = Notification.objects.get(user=finance_user)
    assert (zh.title, zh.body) == ("CT-2026-0009 已到期", "CT-2026-0009 · P1 2026-10 有违约风险")
    assert (en.title, en.body) == ("CT-2026-0009 has expired", "CT-2026-0009 · P1 2026-10 at risk of breach")
    assert sorted(m.subject for m in mail.outbox) == [
        "[Waibao] CT-2026-0009 has expired",
        "[Waibao] CT-2026-0009 已到期",
    ]
