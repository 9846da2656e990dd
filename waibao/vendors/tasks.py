"""Background work: vendor list imports run off the request path (django-tasks; database backend in production)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_vendor_import(job_id: int) -> None:
    from waibao.vendors import imports

    imports.run_import(job_id)
