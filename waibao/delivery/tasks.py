"""Background work: file imports run off the request path (django-tasks; database backend in production)."""

from __future__ import annotations

from django_tasks import task


@task()
def run_import_job(job_id: int) -> None:
    from waibao.delivery import services

    try:
        services.run_job(job_id)
    except Exception:  # the job row already says failed; the task result keeps the traceback
        raise
