"""An import whose process died (``kill -9`` of the worker or of ``import_records``) never locks the contract:
whoever looks first — the job page, the API, a new import, a cancel, the sweep — fails it, removes its
staging rows and tells the uploader; a job that cannot start says why instead of waiting forever."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from waibao.core import clock, jobs
from waibao.delivery import ingest, services
from waibao.delivery.models import ImportJob, JobSource, ServiceRecord, StagedRecord

CSV = (
    "external_id,kind,priority,opened_at,first_response_at\nN1,ticket,P1,2026-10-08 09:00,2026-10-08 09:10\n"
)


def killed_owner() -> str:
    """The lease owner of a real process on this host, started and killed with SIGKILL (as ``kill -9`` of a
    worker mid-job leaves it)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        owner = str(jobs.Owner(socket.gethostname(), proc.pid, jobs._start_ticks(proc.pid)))
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    return owner


def running_job(contract, user, owner: str, *, lease_seconds: int = 30) -> ImportJob:
    """A job some process was running, with one staged row, as that process left it."""
    now = clock.now()
    job = ImportJob.objects.create(
        contract=contract,
        source=JobSource.FILE,
        file_name="big.csv",
        status="running",
        created_at=now,
        started_at=now,
        heartbeat_at=now,
        created_by=user,
        lease_owner=owner,
        lease_until=now + timedelta(seconds=lease_seconds),
    )
    ingest._stage([(job.pk, 2, "S1", "n", "", *ingest.EMPTY_DATA)])
    return job


def upload(client, contract, text: str = CSV):
    f = SimpleUploadedFile("records.csv", text.encode(), content_type="text/csv")
    return client.post(f"/api/v1/delivery/contracts/{contract.code}/imports", {"file": f})


def test_the_job_page_fails_a_job_whose_process_was_killed_and_says_so(contract, manager, as_user):
    job = running_job(contract, manager, killed_owner())
    r = as_user(manager).get(f"/delivery/imports/{job.pk}/")
    assert r.status_code == 200
    job.refresh_from_db()
    assert job.status == "failed" and job.finished_at is not None
    assert job.message.startswith("导入进程意外停止（进程 ") and job.message.endswith(
        "已清理，未导入任何数据；可重新导入。"
    )
    assert job.message in r.content.decode()
    assert not StagedRecord.objects.filter(job_id=job.pk).exists()


def test_a_new_import_starts_at_once_after_a_killed_one(
    contract, manager, api_client, django_capture_on_commit_callbacks
):
    dead = running_job(contract, manager, killed_owner())
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(api_client(manager), contract)
    assert r.status_code == 202, r.content
    dead.refresh_from_db()
    assert dead.status == "failed"
    assert ImportJob.objects.get(pk=r.json()["id"]).status == "succeeded"
    assert ServiceRecord.objects.filter(contract=contract, external_id="N1").exists()


def test_the_api_reports_a_job_on_another_host_whose_lease_expired_in_the_uploaders_language(
    contract, manager, api_client, travel
):
    manager.language = "en"
    manager.save(update_fields=["language"])
    job = running_job(contract, manager, "worker-2.example 4242 99", lease_seconds=30)
    client = api_client(manager)
    assert client.get(f"/api/v1/delivery/imports/{job.pk}").json()["status"] == "running"  # lease valid
    travel.shift(timedelta(seconds=45))
    body = client.get(f"/api/v1/delivery/imports/{job.pk}").json()
    assert body["status"] == "failed"
    assert body["message"] == (
        "The import process stopped unexpectedly (the process running it (host worker-2.example) has not "
        "responded for 15 seconds). It was cleaned up and nothing was imported; you can import again."
    )
    assert not StagedRecord.objects.filter(job_id=job.pk).exists()


def test_a_job_whose_lease_is_valid_still_makes_a_new_import_wait(contract, manager, api_client):
    job = running_job(contract, manager, "worker-2.example 4242 99")
    r = upload(api_client(manager), contract)
    assert r.status_code == 409 and r.json()["code"] == "busy"
    job.refresh_from_db()
    assert job.status == "running"


def test_a_live_process_on_this_host_is_never_taken_for_dead_even_with_an_old_lease(
    contract, manager, travel
):
    # (SQLite: its own long merge blocks the renewals; the process is alive, so the job is too)
    job = running_job(contract, manager, str(jobs.this_process()))
    travel.shift(timedelta(hours=2))
    assert services.reap_dead_jobs() == 0
    job.refresh_from_db()
    assert job.status == "running"


def test_cancel_ends_a_job_whose_process_is_gone_at_once(contract, manager, api_client):
    job = running_job(contract, manager, killed_owner())
    r = api_client(manager).post(f"/api/v1/delivery/imports/{job.pk}/cancel")
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "cancelled"
    assert r.json()["message"].startswith("已取消。导入进程已意外停止")
    assert not StagedRecord.objects.filter(job_id=job.pk).exists()


def test_the_sweep_fails_dead_jobs_nobody_looks_at(contract, manager, contract_b):
    dead = running_job(contract, manager, killed_owner())
    alive = running_job(contract_b, manager, str(jobs.this_process()))
    call_command("sweep_jobs")
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert (dead.status, alive.status) == ("failed", "running")
    assert not StagedRecord.objects.filter(job_id=dead.pk).exists()


def test_a_process_that_finds_its_job_taken_stops_and_leaves_it_failed(
    contract, manager, tickets, monkeypatch
):
    """A worker on another host that was only slow, after someone failed its job: it stores nothing and
    does not write its own end over the failure."""
    monkeypatch.setattr(ingest, "CHUNK", 2)
    job = ImportJob.objects.create(contract=contract, source=JobSource.API, created_at=clock.now())

    def rows_then_taken():
        for i, t in enumerate(tickets, start=1):
            if i == 3:  # after the first chunk: someone else found the lease expired and failed the job
                ImportJob.objects.filter(pk=job.pk).update(status="failed", message="taken")
            yield i, t

    ingest.run(job, rows_then_taken(), headers=[], mapping=None, actor=manager, workers=1)
    job.refresh_from_db()
    assert (job.status, job.message) == ("failed", "taken")
    assert not ServiceRecord.objects.exists() and not StagedRecord.objects.exists()


# --- jobs that never start ------------------------------------------------------------------------


def queued_file_job(contract, user, text: str = CSV) -> ImportJob:
    job = services.create_file_job(
        contract=contract,
        actor=user,
        upload=services.Upload("records.csv", io.BytesIO(text.encode())),
        enqueue=False,
    )
    assert job.status == "queued"
    return job


def test_a_queued_job_refused_as_busy_fails_and_says_why(contract, manager):
    job = queued_file_job(contract, manager)
    running_job(contract, manager, "worker-2.example 4242 99")  # another import started meanwhile
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.message == "未开始：该合同已有另一个导入任务在进行中。请在它完成后重新导入。"


def test_a_queued_job_whose_file_is_gone_fails_and_says_why(contract, manager):
    job = queued_file_job(contract, manager)
    os.unlink(job.file.path)
    services.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed"
    assert job.message == "导入的文件已不存在或无法读取，未导入任何数据。请重新上传。"


def test_a_job_started_before_leases_is_dead_after_thirty_silent_minutes(contract, manager, travel):
    job = running_job(contract, manager, "")
    ImportJob.objects.filter(pk=job.pk).update(lease_until=None)
    travel.shift(timedelta(minutes=29))
    assert services.reap_dead_jobs() == 0
    travel.shift(timedelta(minutes=2))
    assert services.reap_dead_jobs() == 1


@pytest.fixture
def tickets():
    return [
        {
            "external_id": f"T{i}",
            "kind": "ticket",
            "priority": "P1",
            "opened_at": "2026-10-08 09:00",
            "first_response_at": "2026-10-08 09:10",
        }
        for i in range(1, 6)
    ]


# --- the real thing: kill -9 of import_records mid-job --------------------------------------------


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the test database must be shared with a second process (PostgreSQL)",
)
@pytest.mark.django_db(transaction=True)
def test_kill_9_of_import_records_mid_job_frees_the_contract_at_once(
    vendor_a, manager, as_user, tmp_path, django_capture_on_commit_callbacks, settings
):
    """A second process imports a large file into the same database; it is killed with SIGKILL while the
    job runs. The job page then says what happened, nothing is left staged, and the next import runs."""
    import time
    from pathlib import Path

    from django.db import connection

    import waibao
    from waibao.delivery.tests.factories import make_contract

    contract = make_contract(vendor_a, owner=manager)
    path = tmp_path / "big.csv"
    path.write_text(
        "external_id,kind,priority,opened_at,first_response_at\n"
        + "".join(f"K{i},ticket,P1,2026-10-08 09:00,2026-10-08 09:10\n" for i in range(200_000)),
        encoding="utf-8",
    )
    db = connection.settings_dict
    env = {
        **os.environ,
        "WAIBAO_DEBUG": "1",
        "DATABASE_URL": f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "WAIBAO_MEDIA_ROOT": str(tmp_path / "media"),
        "WAIBAO_IMPORT_WORKERS": "1",
    }
    manage = Path(waibao.__file__).parent / "manage.py"
    proc = subprocess.Popen(
        [sys.executable, str(manage), "import_records", str(path), "--contract", contract.code],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(1200):  # until the job has started (at most a minute on a busy machine)
            if ImportJob.objects.filter(contract=contract, status="running").exists():
                break
            if proc.poll() is not None:
                pytest.fail("import_records ended before it could be killed")
            time.sleep(0.05)
        else:
            pytest.fail("the import never started")
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    job = ImportJob.objects.get(contract=contract)
    assert job.status == "running"

    r = as_user(manager).get(f"/delivery/imports/{job.pk}/")
    job.refresh_from_db()
    assert job.status == "failed" and job.message.startswith("导入进程意外停止（进程 ")
    assert job.message in r.content.decode()
    assert not StagedRecord.objects.exists() and not ServiceRecord.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        again = upload(as_user(manager), contract)  # the page's client posts to the API as well
    assert again.status_code == 202, again.content
    assert ImportJob.objects.get(pk=again.json()["id"]).status == "succeeded"
