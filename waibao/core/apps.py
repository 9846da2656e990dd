from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "waibao.core"
    label = "core"
    verbose_name = _("核心")

    def ready(self) -> None:
        from waibao.core import demo, registry

        registry.demo_step(15, "vendor users", demo.vendor_users)
        # Jobs whose process died are failed within a minute even if nobody opens them (core.jobs).
        registry.scheduled("sweep_jobs", 1)
