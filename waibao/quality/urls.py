from django.urls import path

from waibao.quality import views

app_name = "quality"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("tools/sampling/", views.sampling_tool, name="tools-sampling"),
    path("tools/spc/", views.spc_tool, name="tools-spc"),
    path("spc/<str:code>/", views.contract_spc, name="spc"),
    path("plans/", views.plan_list, name="plan-list"),
    path("plans/new/", views.plan_create, name="plan-create"),
    path("plans/<int:pk>/", views.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan-edit"),
    path("streams/<int:pk>/<str:action>/", views.stream_action, name="stream-action"),
    path("inspections/", views.inspection_list, name="inspection-list"),
    path("inspections/new/", views.inspection_create, name="inspection-create"),
    path("inspections/<str:code>/", views.inspection_detail, name="inspection-detail"),
    path("inspections/<str:code>/cancel/", views.inspection_cancel, name="inspection-cancel"),
    path("ncrs/", views.ncr_list, name="ncr-list"),
    path("ncrs/new/", views.ncr_create, name="ncr-create"),
    path("ncrs/<str:code>/", views.ncr_detail, name="ncr-detail"),
    path("ncrs/<str:code>/<str:action>/", views.ncr_action, name="ncr-action"),
    path("evidence/<int:pk>/file/", views.evidence_download, name="evidence-download"),
    path("capas/<str:code>/", views.capa_detail, name="capa-detail"),
    path("capas/<str:code>/<str:action>/", views.capa_action, name="capa-action"),
    path("deliverables/", views.deliverable_list, name="deliverable-list"),
    path("deliverables/new/", views.deliverable_create, name="deliverable-create"),
    path("deliverables/<str:code>/", views.deliverable_detail, name="deliverable-detail"),
    path("deliverables/<str:code>/<str:action>/", views.deliverable_action, name="deliverable-action"),
    path("versions/<int:pk>/file/", views.version_download, name="version-download"),
    path("complaints/", views.complaint_list, name="complaint-list"),
    path("complaints/new/", views.complaint_create, name="complaint-create"),
    path("complaints/<str:code>/", views.complaint_detail, name="complaint-detail"),
    path("complaints/<str:code>/<str:action>/", views.complaint_action, name="complaint-action"),
    path("satisfaction/", views.satisfaction, name="satisfaction"),
    path("sla/", views.sla_breaches, name="sla-breaches"),
    path("sla/<int:result_id>/ncr/", views.sla_breach_ncr, name="sla-breach-ncr"),
]
