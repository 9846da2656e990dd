"""Notifications 通知: one row per user and message, shown in the notification centre and e-mailed once.

A notification with a ``key`` is unique per (user, key): reminder jobs can run every hour and each person
still hears about "contract CT-2026-0001 renewal decision due" exactly once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from waibao.core import texts


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("接收人"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    kind = models.CharField(_("类型"), max_length=60, db_index=True)
    title = models.CharField(_("标题"), max_length=300)
    body = models.TextField(_("内容"), blank=True)
    # The generated texts as messages (core.texts), shown in the reader's language; title and body keep
    # the text as first rendered for the recipient (rows from before, and the same text for searches).
    title_message = models.JSONField(_("标题消息"), null=True, blank=True)
    body_message = models.JSONField(_("内容消息"), null=True, blank=True)
    url = models.CharField(_("链接"), max_length=500, blank=True)
    key = models.CharField(_("去重键"), max_length=200, null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), db_index=True)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("邮件发送时间"), null=True, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("model", "通知")  # one object (English is plural in lists)
        verbose_name_plural = _("通知")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"], condition=Q(key__isnull=False), name="notification_user_key_unique"
            ),
        ]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.shown_title

    @property
    def shown_title(self) -> str:
        return texts.render(self.title_message, self.title)

    @property
    def shown_body(self) -> str:
        return texts.render(self.body_message, self.body)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
