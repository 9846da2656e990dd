"""`waibao backup` and `waibao restore`: one archive of the database and the uploaded files, restored into an
empty installation with every table's row count and every file's checksum intact."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tarfile
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from waibao.contracts import services as contract_services
from waibao.core import backup
from waibao.core.files import Upload
from waibao.delivery import services as delivery_services
from waibao.delivery.tests.conftest import TICKETS
from waibao.delivery.tests.factories import make_contract
from waibao.vendors import services as vendor_services
from waibao.vendors.demo import tiny_pdf

ON_SQLITE = connection.vendor == "sqlite"


def pdf(name: str, title: str) -> Upload:
    data = tiny_pdf(title)
    return Upload(name=name, stream=io.BytesIO(data), size=len(data))


def populate(manager: Any, vendor: Any) -> None:
    """A vendor with a certificate and a document, a contract with a signed copy and service records."""
    vendor_services.add_certificate(
        vendor=vendor,
        actor=manager,
        upload=pdf("ISO9001 证书.pdf", "iso"),
        type="iso9001",
        number="Q-1",
        valid_until=date(2028, 3, 1),
    )
    vendor_services.upload_document(
        vendor=vendor, actor=manager, upload=pdf("营业执照.pdf", "lic"), type="other"
    )
    contract = make_contract(vendor, owner=manager)
    contract_services.upload_document(
        contract=contract, actor=manager, upload=pdf("合同 签字版.pdf", "signed")
    )
    delivery_services.import_batch(contract=contract, actor=manager, records=[dict(t) for t in TICKETS])


def file_checksums(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(Path(root).rglob("*"))
        if p.is_file()
    }


def source_counts() -> dict[str, int]:
    with connection.cursor() as cur:
        counts = {}
        for table in connection.introspection.table_names(cur):
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cur.fetchone()[0]
    return counts


def read_manifest(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive) as tar:
        f = tar.extractfile("manifest.json")
        assert f is not None
        return json.load(f)


def rewrite(archive: Path, out: Path, change: Callable[[dict[str, bytes], dict[str, Any]], None]) -> Path:
    """A copy of `archive` whose members and manifest `change` has edited in place."""
    with tarfile.open(archive) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    manifest = json.loads(members.pop("manifest.json"))
    change(members, manifest)
    members["manifest.json"] = json.dumps(manifest).encode()
    with tarfile.open(out, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out


def waibao(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The `waibao` console command in its own process, for another installation."""
    return subprocess.run(
        [sys.executable, "-m", "waibao.manage", *args],
        env={**os.environ, "WAIBAO_TESTING": "1", **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


class Target:
    """Another, empty installation: its own database and media folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir()
        self.media = root / "media"
        self.pg_name = ""
        if ON_SQLITE:
            self.sqlite = root / "waibao.sqlite3"
            url = f"sqlite:///{self.sqlite}"
        else:
            s = connection.settings_dict
            self.pg_name = f"waibao_restore_{uuid.uuid4().hex[:12]}"
            with connection.cursor() as cur:
                cur.execute(f'CREATE DATABASE "{self.pg_name}"')
            auth = quote(s["USER"] or "") + (":" + quote(s["PASSWORD"]) if s["PASSWORD"] else "")
            url = f"postgres://{auth}@{s['HOST'] or 'localhost'}:{s['PORT'] or 5432}/{self.pg_name}"
        self.env = {"DATABASE_URL": url, "WAIBAO_VAR_DIR": str(root), "WAIBAO_MEDIA_ROOT": str(self.media)}

    def _pg(self) -> Any:
        import psycopg

        s = connection.settings_dict
        return psycopg.connect(
            dbname=self.pg_name,
            user=s["USER"] or None,
            password=s["PASSWORD"] or None,
            host=s["HOST"] or None,
            port=s["PORT"] or None,
            autocommit=True,
        )

    def execute(self, *statements: str) -> None:
        if ON_SQLITE:
            with sqlite3.connect(self.sqlite) as db:
                for sql in statements:
                    db.execute(sql)
            return
        with self._pg() as db:
            for sql in statements:
                db.execute(sql)

    def counts(self) -> dict[str, int]:
        if ON_SQLITE:
            with sqlite3.connect(self.sqlite) as db:
                names = [
                    r[0]
                    for r in db.execute(
                        "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
                    )
                ]
                return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in names}  # noqa: S608
        with self._pg() as db:
            names = [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
            return {t: db.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in names}  # type: ignore[index]  # noqa: S608

    def drop(self) -> None:
        if self.pg_name:
            with connection.cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{self.pg_name}" WITH (FORCE)')


@pytest.fixture
def targets(tmp_path):
    made: list[Target] = []

    def make(name: str) -> Target:
        made.append(Target(tmp_path / name))
        return made[-1]

    yield make
    for t in made:
        t.drop()


@pytest.fixture(scope="module")
def archive(django_db_setup, django_db_blocker, tmp_path_factory):
    """One real backup for the refusal tests, made outside any test's transaction (as `waibao backup`
    always runs): the test database as `migrate` left it, and three uploaded files."""
    from django.test import override_settings

    root = tmp_path_factory.mktemp("archive")
    media = root / "media"
    for rel, data in [
        ("vendors/1/a", tiny_pdf("a")),
        ("vendors/2/b", tiny_pdf("b")),
        ("contracts/1/c", b"c"),
    ]:
        (media / rel).parent.mkdir(parents=True, exist_ok=True)
        (media / rel).write_bytes(data)
    path = root / "backups" / "waibao.tar.gz"
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        call_command("backup", output=str(path), stdout=io.StringIO())
    return path


# --- the round trip ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_installation_with_every_row_and_file(
    manager, vendor_a, settings, tmp_path, targets
):
    populate(manager, vendor_a)
    out = io.StringIO()
    call_command("backup", output=str(tmp_path / "b.tar.gz"), stdout=out)
    assert "Backup written" in out.getvalue()
    archive = tmp_path / "b.tar.gz"
    assert archive.stat().st_mode & 0o077 == 0  # it holds password hashes: operators only

    counts, files = source_counts(), file_checksums(settings.MEDIA_ROOT)
    assert counts["vendors_certificate"] == 1 and counts["delivery_servicerecord"] == len(TICKETS)
    assert len(files) == 3
    manifest = read_manifest(archive)
    assert manifest["database"]["engine"] == connection.vendor
    assert manifest["tables"] == counts
    assert {f["path"].removeprefix("media/"): f["sha256"] for f in manifest["files"]} == files

    new = targets("new")  # a database without tables
    migrated = targets("migrated")  # what `waibao migrate` leaves: tables and their history, no one's work
    migrated.execute(
        "CREATE TABLE django_migrations (id integer, app varchar(255), name varchar(255))",
        "INSERT INTO django_migrations VALUES (1, 'contenttypes', '0001_initial')",
        "CREATE TABLE leftover_from_a_newer_version (id integer)",
    )
    for target in (new, migrated):
        done = waibao("restore", str(archive), env=target.env)
        assert done.returncode == 0, done.stderr
        assert "every count matches the manifest" in done.stdout
        assert target.counts() == counts  # every table, every row count; nothing left over
        assert file_checksums(target.media) == files  # every file, byte for byte


# --- refusals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "damage, named",
    [
        ("file", "media/"),
        ("database", "database."),
        ("extra", "media/vendors/planted.pdf"),
        ("missing", "media/"),
        ("traversal", "../outside.txt"),
    ],
)
def test_restore_refuses_a_damaged_or_altered_archive_naming_the_member_and_changes_nothing(
    db, archive, tmp_path, settings, damage, named
):
    def alter(members: dict[str, bytes], manifest: dict[str, Any]) -> None:
        first = manifest["files"][0]["path"]
        if damage == "file":
            members[first] = members[first][:-1] + b"X"
        elif damage == "database":
            name = manifest["database"]["file"]
            members[name] = members[name] + b"\0"
        elif damage == "extra":
            members["media/vendors/planted.pdf"] = b"%PDF-1.4 not in the manifest"
        elif damage == "missing":
            del members[first]
        else:
            members["../outside.txt"] = b"escape"

    bad = rewrite(archive, tmp_path / "bad.tar.gz", alter)
    before_rows, before_files = source_counts(), file_checksums(settings.MEDIA_ROOT)
    with pytest.raises(CommandError) as exc:
        call_command("restore", str(bad))
    message = str(exc.value)
    assert named in message and "Nothing was restored" in message
    assert "not empty" not in message  # the archive is checked before the installation
    with pytest.raises(CommandError, match="Nothing was restored"):
        call_command("restore", str(bad), check=True)
    assert source_counts() == before_rows and file_checksums(settings.MEDIA_ROOT) == before_files
    assert not (tmp_path / "outside.txt").exists()


def test_restore_check_vouches_for_an_intact_archive(db, archive):
    out = io.StringIO()
    call_command("restore", str(archive), check=True, stdout=out)
    assert "is complete: every member matches the manifest" in out.getvalue()


def test_restore_refuses_an_installation_that_is_not_empty(archive, manager, vendor_a, settings):
    populate(manager, vendor_a)
    before = source_counts()
    with pytest.raises(CommandError) as exc:
        call_command("restore", str(archive))
    message = str(exc.value)
    assert (
        "not empty" in message
        and "core_auditevent has 7 rows" in message
        and "more tables hold rows" in message
    )
    assert f"{settings.MEDIA_ROOT} holds 3 files" in message
    assert source_counts() == before


def test_uploaded_files_alone_make_an_installation_not_empty(db, tmp_path):
    media = tmp_path / "media"
    (media / "vendors").mkdir(parents=True)
    backup.require_empty(media)  # folders without files are fine
    (media / "vendors" / "left.pdf").write_bytes(b"%PDF")
    with pytest.raises(backup.BackupError, match="holds 1 files"):
        backup.require_empty(media)


def test_a_freshly_migrated_installation_counts_as_empty(db, tmp_path):
    """What `waibao migrate` writes by itself (this test database was made by it) is no one's work."""
    held = {t for t, n in backup.live_tables().items() if n}
    assert held <= backup.MIGRATE_FILLS, (
        f"seeded by a migration? add to MIGRATE_FILLS: {held - backup.MIGRATE_FILLS}"
    )
    backup.require_empty(tmp_path / "media")


def test_restore_refuses_a_backup_of_the_other_database_engine(db, archive, tmp_path):
    other = "postgresql" if ON_SQLITE else "sqlite"

    def to_other_engine(members: dict[str, bytes], manifest: dict[str, Any]) -> None:
        old = manifest["database"]["file"]
        manifest["database"].update(engine=other, file=backup.DB_FILES[other])
        members[backup.DB_FILES[other]] = members.pop(old)

    with pytest.raises(CommandError, match="Backups do not convert between engines"):
        call_command("restore", str(rewrite(archive, tmp_path / "other.tar.gz", to_other_engine)))


def test_restore_refuses_a_backup_made_by_a_newer_version(db, archive, tmp_path):
    def from_the_future(members: dict[str, bytes], manifest: dict[str, Any]) -> None:
        manifest["migrations"]["contracts"].append("9999_from_the_future")

    with pytest.raises(CommandError, match=r"newer Waibao.*contracts\.9999_from_the_future"):
        call_command("restore", str(rewrite(archive, tmp_path / "newer.tar.gz", from_the_future)))


def test_restore_refuses_a_file_that_is_not_a_backup(db, tmp_path):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    with pytest.raises(CommandError, match="cannot be read as a Waibao backup"):
        call_command("restore", str(junk))


# --- the archive on disk -------------------------------------------------------------------------


def test_backup_goes_to_the_backup_folder_and_keeps_the_newest(transactional_db, settings, tmp_path):
    settings.WAIBAO_BACKUP_DIR = tmp_path / "backups"
    settings.WAIBAO_BACKUP_DIR.mkdir()
    old = [
        "waibao-20260101T020000Z.tar.gz",
        "waibao-20260102T020000Z.tar.gz",
        "waibao-20260103T020000Z.tar.gz",
    ]
    for name in [*old, "notes.txt"]:
        (settings.WAIBAO_BACKUP_DIR / name).write_bytes(b"x")
    out = io.StringIO()
    call_command("backup", keep=2, stdout=out)
    left = sorted(p.name for p in settings.WAIBAO_BACKUP_DIR.iterdir())
    assert len(left) == 3 and left[0] == "notes.txt" and left[1] == old[-1]
    assert backup.NAME_RE.match(left[2]) and "Deleted old backup" in out.getvalue()
    assert not list(tmp_path.rglob("*partial*"))


def test_backup_refuses_to_overwrite_or_to_write_into_the_media_folder(db, settings, tmp_path):
    existing = tmp_path / "b.tar.gz"
    existing.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="already exists"):
        call_command("backup", output=str(existing))
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(CommandError, match="inside the media folder"):
        call_command("backup", output=str(Path(settings.MEDIA_ROOT) / "b.tar.gz"))


@pytest.mark.skipif(ON_SQLITE, reason="pg_dump is for PostgreSQL installations")
def test_backup_without_pg_dump_says_what_to_install(db, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CommandError, match="pg_dump is not installed"):
        call_command("backup", output=str(tmp_path / "b.tar.gz"))
    assert not list(tmp_path.glob("*.tar.gz*"))


def test_backup_refuses_to_run_inside_a_transaction(db, tmp_path):
    with pytest.raises(CommandError, match="inside a database transaction"):
        call_command("backup", output=str(tmp_path / "b.tar.gz"))
    assert not list(tmp_path.iterdir())
