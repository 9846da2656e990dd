from django.urls import path

from waibao.delivery import views

app_name = "delivery"
urlpatterns = [
    path("", views.portfolio, name="portfolio"),
    path("export.xlsx", views.portfolio_export, name="portfolio-export"),
    path("disputes/", views.dispute_list, name="disputes"),
    path("disputes/<int:pk>/decide/", views.dispute_decide, name="dispute-decide"),
    path("contracts/<str:code>/", views.contract_page, name="contract"),
    path("contracts/<str:code>/results.xlsx", views.results_export, name="results-export"),
    path("contracts/<str:code>/close/", views.close_period, name="close-period"),
    path("contracts/<str:code>/records/", views.record_list, name="records"),
    path("contracts/<str:code>/records/new/", views.record_edit, name="record-new"),
    path("contracts/<str:code>/missed/<int:metric_id>/<str:period>/", views.missed, name="missed"),
    path(
        "contracts/<str:code>/missed/<int:metric_id>/<str:period>/export.<str:fmt>",
        views.missed_export,
        name="missed-export",
    ),
    path("contracts/<str:code>/manual/<int:metric_id>/", views.manual_enter, name="manual-enter"),
    path("manual/<int:pk>/decide/", views.manual_decide, name="manual-decide"),
    path("contracts/<str:code>/import/", views.import_start, name="import"),
    path("contracts/<str:code>/import/template.csv", views.import_template, name="import-template"),
    path("contracts/<str:code>/import/template.xlsx", views.import_template_xlsx, name="import-template-xlsx"),
    path("records/<int:pk>/", views.record_detail, name="record"),
    path("records/<int:pk>/edit/", views.record_edit_existing, name="record-edit"),
    path("records/<int:pk>/dispute/", views.dispute_raise, name="dispute-raise"),
    path("imports/<int:pk>/", views.job_detail, name="job"),
    path("imports/<int:pk>/mapping/", views.job_mapping, name="job-mapping"),
    path("imports/<int:pk>/cancel/", views.job_cancel, name="job-cancel"),
    path("imports/<int:pk>/errors.csv", views.job_errors, name="job-errors"),
]
