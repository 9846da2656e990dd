from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "waibao.contracts"
    label = "contracts"
    verbose_name = _("合同与服务水平")

    def ready(self) -> None:
        from waibao.contracts import hooks

        hooks.register()
