from django.urls import path

from waibao.vendors import views

app_name = "vendors"
urlpatterns = [
    path("", views.vendor_list, name="list"),
    path("new/", views.vendor_create, name="create"),
    path("export.xlsx", views.vendor_export, name="export"),
    path("import/", views.vendor_import, name="import"),
    path("import/template.xlsx", views.vendor_import_template, name="import-template"),
    path("import/<int:pk>/", views.import_job, name="import-job"),
    path("import/<int:pk>/cancel/", views.import_job_cancel, name="import-job-cancel"),
    path("certificates/expiring/", views.expiring, name="expiring"),
    path("<int:pk>/", views.vendor_detail, name="detail"),
    path("<int:pk>/edit/", views.vendor_edit, name="edit"),
    path("<int:pk>/status/", views.vendor_status, name="status"),
    path("<int:pk>/contacts/new/", views.contact_edit, name="contact-new"),
    path("<int:pk>/contacts/<int:contact_pk>/", views.contact_edit, name="contact-edit"),
    path("contacts/<int:contact_pk>/delete/", views.contact_delete, name="contact-delete"),
    path("<int:pk>/certificates/new/", views.certificate_edit, name="certificate-new"),
    path("<int:pk>/certificates/<int:cert_pk>/", views.certificate_edit, name="certificate-edit"),
    path("certificates/<int:cert_pk>/delete/", views.certificate_delete, name="certificate-delete"),
    path("certificates/<int:cert_pk>/file/", views.certificate_download, name="certificate-download"),
    path("<int:pk>/documents/new/", views.document_upload, name="document-new"),
    path("documents/<int:doc_pk>/file/", views.document_download, name="document-download"),
    path("documents/<int:doc_pk>/delete/", views.document_delete, name="document-delete"),
]
