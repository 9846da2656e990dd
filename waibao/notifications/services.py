"""Sending notifications: one row per user, e-mailed once, idempotent per (user, key)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import Promise

from waibao.core import clock, texts
from waibao.core.texts import Later
from waibao.notifications.models import Notification

log = logging.getLogger(__name__)


def _absolute(url: str) -> str:
    base = str(getattr(settings, "WAIBAO_BASE_URL", "") or "").rstrip("/")
    return f"{base}{url}" if url.startswith("/") and base else url


#: A notification text: plain text, or a message rendered once per recipient in that recipient's language
#: (``core.texts.Later``, a lazy gettext string), so an English user's notifications and e-mails are English.
Text = str | Promise | Later


def in_language_of(user: Any, text: Text) -> str:
    if type(text) is str:
        return text
    with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
        return str(text)


def notify(
    *,
    users: Iterable[Any],
    kind: str,
    title: Text,
    body: Text = "",
    url: str = "",
    key: str | None = None,
    email: bool = True,
) -> int:
    """Create one notification per user; returns how many were newly created.

    With a ``key``, a user who already has a notification with that key gets nothing new (and no second
    e-mail), so callers such as reminder jobs can run as often as they like.  E-mail goes through
    Django's mail settings (console backend in development) after the rows are committed; a failing mail
    server is logged, never breaks the caller, and leaves ``emailed_at`` empty.
    """
    created: list[Notification] = []
    now = clock.now()
    # Kept as messages too, so each reader sees them in the language they read in (core.texts).
    title_message, body_message = texts.freeze(title), texts.freeze(body)
    seen: set[int] = set()
    for user in users:
        if user is None or user.pk in seen or not getattr(user, "is_active", True):
            continue
        seen.add(user.pk)
        if key is not None and Notification.objects.filter(user=user, key=key).exists():
            continue
        try:
            with transaction.atomic():
                n = Notification.objects.create(
                    user=user,
                    kind=kind,
                    title=in_language_of(user, title)[:300],
                    body=in_language_of(user, body),
                    title_message=title_message,
                    body_message=body_message,
                    url=url,
                    key=key,
                    created_at=now,
                )
        except IntegrityError:  # the same key created concurrently: the other one wins
            continue
        created.append(n)
    if email and created:
        transaction.on_commit(lambda: _send_emails([n.pk for n in created]))
    return len(created)


def _send_emails(ids: list[int]) -> None:
    for n in Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).select_related("user"):
        if not n.user.email:
            continue
        # In the recipient's language as it is when the mail goes out.
        with translation.override(getattr(n.user, "language", "") or settings.LANGUAGE_CODE):
            subject, text = n.shown_title, n.shown_body
        if n.url:
            text = f"{text}\n\n{_absolute(n.url)}".strip()
        try:
            send_mail(f"[Waibao] {subject}", text, None, [n.user.email])
        except Exception:  # the mail server is the outside world; the notification stays
            log.exception("could not e-mail notification %s", n.pk)
            continue
        Notification.objects.filter(pk=n.pk, emailed_at__isnull=True).update(emailed_at=clock.now())


def unread_count(user: Any) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def mark_read(*, notification: Notification, actor: Any) -> Notification:
    if notification.read_at is None:
        notification.read_at = clock.now()
        notification.save(update_fields=["read_at"])
    return notification


def resolve(*, key: str) -> int:
    """The thing a keyed notification asked for is done (e.g. someone decided the approval step): mark it
    read for everyone who got it, so nobody is sent to act on it again. Returns how many were marked."""
    return Notification.objects.filter(key=key, read_at__isnull=True).update(read_at=clock.now())


def mark_all_read(*, actor: Any) -> int:
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(read_at=clock.now())


def for_user(user: Any) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user)
