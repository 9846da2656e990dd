"""Every vendor-archive page and endpoint, with the personas: what each reads, vendor B gets 404 for each of
vendor A's objects, lists keep their query count (the rules: `waibao/core/tests/access_kit.py`)."""

from __future__ import annotations

import pytest

from waibao.core import clock
from waibao.core.tests import access_kit as kit
from waibao.core.tests.access_kit import access_world_built, buyer, lst, obj, own, world  # noqa: F401
from waibao.vendors.models import VendorImportJob

pytestmark = pytest.mark.django_db
pytest_generate_tests = kit.generate_tests

#: buyers who may not change the archive's vendor records (policy "vendors.write": admin, manager)
READ_ONLY = ("quality", "finance", "auditor")
#: who may not change contacts, certificates and documents ("vendors.archive.write": admin, manager, vendor)
ARCHIVE_READ_ONLY = ("quality", "finance", "auditor")


def vendor(o):
    return {"pk": o["vendor"].pk}


def import_job(o):
    """A vendor list import (made here: the world has none); it holds nothing of any one vendor's."""
    return VendorImportJob.objects.create(file_name="vendors.csv", created_at=clock.now()).pk


HTML = {
    "vendors:list": lst(),
    "vendors:create": buyer("a vendor enters the archive by a buyer", deny=READ_ONLY),
    "vendors:export": lst(),
    "vendors:import": buyer("vendors are imported by buyers", deny=READ_ONLY),
    "vendors:import-job": buyer(
        "a vendor list import is the buyer's",
        lambda o: {"pk": import_job(o)},
        deny=READ_ONLY,
        methods=("GET",),
    ),
    "vendors:import-job-cancel": buyer(
        "a vendor list import is the buyer's",
        lambda o: {"pk": import_job(o)},
        deny=READ_ONLY,
        methods=("POST",),
    ),
    "vendors:import-template": own("a blank template: it names nothing of anyone's"),
    "vendors:expiring": lst(),
    "vendors:detail": obj(vendor),
    "vendors:edit": obj(vendor, deny=(*READ_ONLY, "vendor_a")),
    "vendors:status": obj(vendor, methods=("POST",)),
    "vendors:contact-new": obj(vendor, deny=ARCHIVE_READ_ONLY),
    "vendors:contact-edit": obj(
        lambda o: {"pk": o["vendor"].pk, "contact_pk": o["contact"].pk}, deny=ARCHIVE_READ_ONLY
    ),
    "vendors:contact-delete": obj(lambda o: {"contact_pk": o["contact"].pk}, methods=("POST",)),
    "vendors:certificate-new": obj(vendor, deny=ARCHIVE_READ_ONLY),
    "vendors:certificate-edit": obj(
        lambda o: {"pk": o["vendor"].pk, "cert_pk": o["certificate"].pk}, deny=ARCHIVE_READ_ONLY
    ),
    "vendors:certificate-delete": obj(lambda o: {"cert_pk": o["certificate"].pk}, methods=("POST",)),
    "vendors:certificate-download": obj(lambda o: {"cert_pk": o["certificate"].pk}),
    "vendors:document-new": obj(vendor, deny=ARCHIVE_READ_ONLY),
    "vendors:document-download": obj(lambda o: {"doc_pk": o["vendor_document"].pk}),
    "vendors:document-delete": obj(lambda o: {"doc_pk": o["vendor_document"].pk}, methods=("POST",)),
}


def vendor_id(o):
    return {"vendor_id": o["vendor"].pk}


API = {
    "GET vendors/": lst(),
    "POST vendors/": buyer("a vendor enters the archive by a buyer"),
    "GET vendors/certificates/expiring": lst(),
    "GET vendors/imports": buyer("vendor list imports are the buyer's", deny=READ_ONLY),
    "POST vendors/imports": buyer("vendors are imported by buyers"),
    "GET vendors/imports/{job_id}": buyer(
        "a vendor list import is the buyer's", lambda o: {"job_id": import_job(o)}, deny=READ_ONLY
    ),
    "POST vendors/imports/{job_id}/cancel": buyer(
        "a vendor list import is the buyer's", lambda o: {"job_id": import_job(o)}
    ),
    "GET vendors/{vendor_id}": obj(vendor_id),
    "PATCH vendors/{vendor_id}": obj(vendor_id),
    "POST vendors/{vendor_id}/status": obj(vendor_id),
    "GET vendors/{vendor_id}/status-history": lst(vendor_id),
    "GET vendors/{vendor_id}/contacts": lst(vendor_id),
    "POST vendors/{vendor_id}/contacts": obj(vendor_id),
    "PATCH vendors/contacts/{contact_id}": obj(lambda o: {"contact_id": o["contact"].pk}),
    "DELETE vendors/contacts/{contact_id}": obj(lambda o: {"contact_id": o["contact"].pk}),
    "GET vendors/{vendor_id}/certificates": lst(vendor_id),
    "POST vendors/{vendor_id}/certificates": obj(vendor_id),
    "GET vendors/certificates/{certificate_id}": obj(lambda o: {"certificate_id": o["certificate"].pk}),
    "DELETE vendors/certificates/{certificate_id}": obj(lambda o: {"certificate_id": o["certificate"].pk}),
    "GET vendors/certificates/{certificate_id}/file": obj(lambda o: {"certificate_id": o["certificate"].pk}),
    "GET vendors/{vendor_id}/documents": lst(vendor_id),
    "POST vendors/{vendor_id}/documents": obj(vendor_id),
    "GET vendors/documents/{document_id}/file": obj(lambda o: {"document_id": o["vendor_document"].pk}),
    "DELETE vendors/documents/{document_id}": obj(lambda o: {"document_id": o["vendor_document"].pk}),
}


class TestVendorAccess(kit.AccessTests):
    namespaces = ("vendors",)
    tags = ("vendors",)
    html = HTML
    api = API
