from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarsConfig(AppConfig):
    name = "waibao.calendars"
    label = "calendars"
    verbose_name = _("工作日历")

    def ready(self) -> None:
        from waibao.calendars import hooks

        hooks.register()
