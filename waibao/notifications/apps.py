from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "waibao.notifications"
    label = "notifications"
    verbose_name = _("通知")

    def ready(self) -> None:
        from waibao.notifications import hooks

        hooks.register()
