from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class PortalConfig(AppConfig):
    """The vendor-facing pages. No models: it calls the same services with the vendor's scope."""

    name = "waibao.portal"
    label = "portal"
    verbose_name = _("供应商门户")

    def ready(self) -> None:
        from waibao.core import registry

        registry.nav_item("vendor", pgettext_lazy("menu", "我的档案"), "portal:profile", 5, match="/vendors/")
        registry.panel("home", "portal/_todo_panel.html", 1, todo_panel)
        registry.panel("home", "portal/_home_panel.html", 5, home_panel)


def home_panel(request, **kwargs):  # type: ignore[no-untyped-def]
    from waibao.accounts import policy
    from waibao.core import clock
    from waibao.vendors import queries

    if not policy.is_vendor_user(request.user):
        return None
    vendor = request.user.vendor
    today = clock.today()
    certs = [(c, c.state(today, queries.warn_days())) for c in vendor.certificates.all()]
    return {"vendor": vendor, "certificates": certs}


def todo_panel(request, **kwargs):  # type: ignore[no-untyped-def]
    """What the vendor must do now: 8D steps due, deliverables returned, disputes answered."""
    from waibao.portal.queries import vendor_todo

    todo = vendor_todo(request.user)
    return None if todo is None else {"todo": todo}
