from django.urls import path

from waibao.contracts import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="list"),
    path("new/", views.contract_create, name="create"),
    path("settings/", views.contract_settings, name="settings"),
    path("vendor/<int:vendor_pk>/", views.vendor_contracts, name="vendor"),
    path("<str:code>/", views.contract_detail, name="detail"),
    path("<str:code>/edit/", views.contract_edit, name="edit"),
    path("<str:code>/submit/", views.contract_submit, name="submit"),
    path("<str:code>/decide/", views.contract_decide, name="decide"),
    path("<str:code>/status/", views.contract_status, name="status"),
    path("<str:code>/renewal/", views.contract_renewal, name="renewal"),
    path("<str:code>/clauses/new/", views.clause_add, name="clause-new"),
    path("<str:code>/clauses/<int:pk>/edit/", views.clause_edit, name="clause-edit"),
    path("<str:code>/clauses/<int:pk>/delete/", views.clause_delete, name="clause-delete"),
    path("<str:code>/sla/new/", views.metric_edit, name="metric-new"),
    path("<str:code>/sla/<int:pk>/", views.metric_edit, name="metric-edit"),
    path("<str:code>/sla/<int:pk>/delete/", views.metric_delete, name="metric-delete"),
    path("<str:code>/sla/<int:pk>/preview/", views.metric_preview, name="metric-preview"),
    path("<str:code>/milestones/new/", views.milestone_add, name="milestone-new"),
    path("<str:code>/milestones/<int:pk>/", views.milestone_action, name="milestone-action"),
    path("<str:code>/milestones/<int:pk>/edit/", views.milestone_edit, name="milestone-edit"),
    path("<str:code>/milestones/<int:pk>/delete/", views.milestone_delete, name="milestone-delete"),
    path("<str:code>/price/new/", views.price_clause_add, name="price-new"),
    path("<str:code>/price/<int:pk>/edit/", views.price_clause_edit, name="price-edit"),
    path("<str:code>/price/<int:pk>/values/", views.index_value_add, name="index-value"),
    path("<str:code>/amendments/new/", views.amendment_new, name="amendment-new"),
    path("<str:code>/amendments/<int:pk>/", views.amendment_detail, name="amendment"),
    path("<str:code>/amendments/<int:pk>/submit/", views.amendment_submit, name="amendment-submit"),
    path("<str:code>/versions/diff/", views.version_diff, name="diff"),
    path("<str:code>/documents/new/", views.document_upload, name="document-new"),
    path("<str:code>/documents/<int:pk>/", views.document_download, name="document-download"),
    path("<str:code>/documents/<int:pk>/delete/", views.document_delete, name="document-delete"),
]
