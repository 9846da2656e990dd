from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliveryConfig(AppConfig):
    name = "waibao.delivery"
    label = "delivery"
    verbose_name = _("服务交付与监控")

    def ready(self) -> None:
        from waibao.delivery import hooks

        hooks.register()
