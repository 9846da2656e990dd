"""HTML routes per app, the API under /api/v1/, and the health check."""

from django.urls import include, path

from waibao.api import api
from waibao.core import views as core_views

urlpatterns = [
    path("health", core_views.health, name="health"),
    path("api/v1/", api.urls),
    path("accounts/", include("waibao.accounts.urls")),
    path("vendors/", include("waibao.vendors.urls")),
    path("calendars/", include("waibao.calendars.urls")),
    path("notifications/", include("waibao.notifications.urls")),
    path("contracts/", include("waibao.contracts.urls")),
    path("delivery/", include("waibao.delivery.urls")),
    path("quality/", include("waibao.quality.urls")),
    path("portal/", include("waibao.portal.urls")),
    path("", include("waibao.core.urls")),
]

handler403 = "waibao.core.errorviews.forbidden"
handler404 = "waibao.core.errorviews.not_found"
