from django.urls import path

from waibao.core import search, views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("audit/", views.audit_log, name="audit-log"),
    path("search/", search.search_view, name="search"),
]
