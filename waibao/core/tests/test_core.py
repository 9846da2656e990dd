import os
import subprocess
import sys
from unittest import mock

import pytest
from django.db import connection

from waibao.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_health_is_ok_with_the_database(client):
    r = client.get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_without_the_database(client):
    with mock.patch.object(connection, "cursor", side_effect=Exception("down")):
        r = client.get("/health")
    assert r.status_code == 503


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("auditor", 200), ("manager", 403), ("vendor_a", 403)]
)
def test_audit_log_page_is_for_admins_and_auditors(personas, as_user, role, status):
    assert as_user(personas[role]).get("/audit/").status_code == status


@pytest.mark.parametrize(
    ("role", "status"), [("admin", 200), ("auditor", 200), ("finance", 403), ("vendor_b", 403)]
)
def test_audit_api_is_for_admins_and_auditors(personas, api_client, role, status):
    assert api_client(personas[role]).get("/api/v1/audit/events").status_code == status


def test_audit_log_filters(personas, as_user, vendor_a):
    from waibao.vendors import services

    services.update_vendor(vendor=vendor_a, actor=personas["manager"], city="南京")
    body = as_user(personas["auditor"]).get("/audit/?verb=updated").content.decode()
    assert "南京" in body
    assert AuditEvent.objects.filter(verb="vendors.vendor.updated").count() == 1


def test_home_shows_vendor_counts_and_expiring_certificates(personas, as_user, vendor_a):
    body = as_user(personas["manager"]).get("/").content.decode()
    assert "vendor-status-counts" in body and "证书到期提醒" in body


def test_home_for_a_vendor_user_shows_only_its_vendor(personas, as_user, vendor_a, vendor_b):
    body = as_user(personas["vendor_a"]).get("/").content.decode()
    assert vendor_a.name in body and vendor_b.name not in body


def test_openapi_document_and_docs_need_login(client, manager):
    assert client.get("/api/v1/docs").status_code == 302
    client.force_login(manager)
    assert client.get("/api/v1/docs").status_code == 200
    schema = client.get("/api/v1/openapi.json").json()
    responses = schema["paths"]["/api/v1/vendors/{vendor_id}"]["get"]["responses"]
    assert {"401", "403", "404", "422"} <= set(responses)


def test_production_settings_pass_the_deploy_check(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WAIBAO_", "DJANGO_", "PYTEST"))},
        "WAIBAO_DEBUG": "0",
        "WAIBAO_TESTING": "0",
        "SECRET_KEY": "k" * 30 + "-production-like-secret-" + "x" * 30,
        "ALLOWED_HOSTS": "waibao.example.com",
        "WAIBAO_VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "waibao.settings",
    }
    result = subprocess.run(
        [sys.executable, "-m", "waibao.manage", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_secret_key_is_required_without_debug(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("WAIBAO_", "SECRET_KEY", "PYTEST"))},
        "WAIBAO_DEBUG": "0",
        "WAIBAO_TESTING": "0",
        "WAIBAO_VAR_DIR": str(tmp_path),
    }
    env.pop("SECRET_KEY_FILE", None)
    result = subprocess.run(
        [sys.executable, "-m", "waibao.manage", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 20000
    from django.conf import settings

    assert "journal_mode=WAL" in settings.DATABASES["default"]["OPTIONS"]["init_command"]


def test_audit_history_shows_structured_values_as_readable_text(personas, as_user, vendor_a):
    from waibao.core import audit

    audit.record(
        personas["manager"],
        "vendors.vendor.updated",
        vendor_a,
        changes={
            "definition": [
                {"kind": "share_within", "target": "95", "filter": [["priority", "eq", "P1"]]},
                {"kind": "share_within", "target": "90", "filter": [["priority", "eq", "P1"]]},
            ],
            "tags": [["IT", "7x24"], ["IT"]],
        },
    )
    body = as_user(personas["auditor"]).get("/audit/?verb=updated").content.decode()
    assert "definition · target:</span> <del>95</del> → 90" in body  # only the key that changed
    assert "share_within" not in body  # unchanged keys are left out
    assert "<del>IT, 7x24</del> → IT" in body
    assert "{&#x27;" not in body and "[&#x27;" not in body  # no Python/JSON reprs


def test_require_transition_names_both_states_and_the_allowed_ones():
    from waibao.core.errors import DomainError, require_transition
    from waibao.delivery.models import JOB_TRANSITIONS, JobStatus

    require_transition(JOB_TRANSITIONS, JobStatus.QUEUED, JobStatus.RUNNING, JobStatus)  # allowed: no error
    with pytest.raises(DomainError) as info:
        require_transition(JOB_TRANSITIONS, JobStatus.SUCCEEDED, JobStatus.RUNNING, JobStatus, status=409)
    e = info.value
    assert e.message == "不能从“已完成”变更为“进行中”。允许：无。" and e.status == 409
    assert e.fields == {"status": "不允许的状态变更。"}
    with pytest.raises(DomainError, match="允许：已取消、排队中"):
        require_transition(JOB_TRANSITIONS, JobStatus.MAPPING, JobStatus.SUCCEEDED, JobStatus)
