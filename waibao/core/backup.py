"""Backup and restore of a whole installation: its database and its uploaded files, in one archive.

    waibao backup              → var/backups/waibao-20260131T020000Z.tar.gz (mode 0600)
        database.sqlite3         SQLite: a copy made with SQLite's online backup API (consistent while the
                                 web server and the worker keep writing), or
        database.pgdump          PostgreSQL: `pg_dump --format=custom`, taken in the same snapshot as the
                                 row counts below
        media/…                  every uploaded file, under its stored name
        manifest.json            format, Waibao version, engine, applied migrations, every table's row
                                 count, and the sha256 and size of every other member

    waibao restore ARCHIVE
        1. unpack into a staging folder beside the media folder, checking every member against the
           manifest — a damaged or altered archive is refused, naming the member, before anything is touched
        2. refuse a backup of the other database engine, one made by a newer Waibao, or a target
           installation that is not empty
        3. load the database, move the files in, count every table again against the manifest

The manifest's checksums find damage and tampering with the members; they are no signature (whoever can
rewrite the archive can rewrite the manifest), so keep the copies where only operators can write.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader

from waibao.core import clock

FORMAT = "waibao-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MEDIA = "media"
DB_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
#: Tables that a fresh `waibao migrate` fills by itself (reference data, not anyone's work): a target
#: holding rows only in these still counts as an empty installation.
MIGRATE_FILLS = frozenset(
    {"django_migrations", "django_content_type", "auth_permission", "contracts_clausetemplate"}
)
NAME_RE = re.compile(r"^waibao-\d{8}T\d{6}Z(?:-\d+)?\.tar\.gz$")
CHUNK = 1024 * 1024
LOCK_WAIT_SECONDS = 60.0
SQLITE_BUSY, SQLITE_LOCKED = 5, 6  # result codes sqlite3's backup() reports to its progress callback


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


@dataclass
class BackupResult:
    path: Path
    size: int
    engine: str
    tables: dict[str, int]
    files: int
    file_bytes: int
    pruned: list[Path] = field(default_factory=list)


@dataclass
class RestoreResult:
    engine: str
    tables: dict[str, int]
    files: int
    file_bytes: int
    created_at: str
    migrate_needed: bool


# --- backup --------------------------------------------------------------------------------------


def backup_dir() -> Path:
    return Path(settings.WAIBAO_BACKUP_DIR)


def default_output() -> Path:
    stamp = clock.now().strftime("%Y%m%dT%H%M%SZ")
    folder = backup_dir()
    path = folder / f"waibao-{stamp}.tar.gz"
    n = 1
    while path.exists():
        path = folder / f"waibao-{stamp}-{n}.tar.gz"
        n += 1
    return path


def create_backup(output: Path | None = None, *, keep: int | None = None) -> BackupResult:
    """Write one archive of the database and the uploaded files; the archive appears only when complete."""
    media_root = Path(settings.MEDIA_ROOT).resolve()
    out = Path(output) if output else default_output()
    out = out.parent.resolve() / out.name
    if out.exists():
        raise BackupError(f"{out} already exists; choose another --output.")
    if out.parent == media_root or media_root in out.parents:
        raise BackupError(f"{out} is inside the media folder {media_root}; write the backup elsewhere.")
    engine = _engine()
    tool = _pg_tool("pg_dump") if engine == "postgresql" else None
    if connection.in_atomic_block:
        raise BackupError(
            "A backup cannot run inside a database transaction: it would miss or hold its writes."
        )
    out.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = out.with_name(f".{out.name}.partial-{os.getpid()}")
    try:
        with tempfile.TemporaryDirectory(prefix=".waibao-backup-", dir=out.parent) as work:
            db_path = Path(work) / DB_FILES[engine]
            if tool is None:
                database, tables, migrations = _dump_sqlite(db_path)
            else:
                database, tables, migrations = _dump_postgres(db_path, tool)
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
                entry = _add_file(tar, db_path, db_path.name)
                database.update(file=db_path.name, sha256=entry["sha256"], size=entry["size"])
                files = []
                for rel, path in _media_files(media_root):
                    files.append(_add_file(tar, path, f"{MEDIA}/{rel}"))
                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "created_at": clock.now().isoformat(),
                    "waibao_version": _version(),
                    "database": database,
                    "migrations": migrations,
                    "tables": tables,
                    "files": files,
                }
                _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
                tar.close()
                raw.flush()
                os.fsync(raw.fileno())
        os.replace(partial, out)
        _fsync_dir(out.parent)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    pruned = prune(out.parent, keep) if keep else []
    return BackupResult(
        path=out,
        size=out.stat().st_size,
        engine=engine,
        tables=tables,
        files=len(files),
        file_bytes=sum(f["size"] for f in files),
        pruned=pruned,
    )


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete all but the newest `keep` archives named like `waibao backup` names them in `folder`."""
    archives = sorted(p for p in folder.iterdir() if p.is_file() and NAME_RE.match(p.name))
    doomed = archives[:-keep] if keep > 0 else []
    for p in doomed:
        p.unlink()
    return doomed


def human_size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    value = n / 1024
    for unit in ("KB", "MB"):
        if value < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


def _give_up_when_locked(what: str, seconds: float = LOCK_WAIT_SECONDS) -> Callable[[int, int, int], None]:
    """A progress callback for sqlite3's backup(), which otherwise waits for a lock forever."""
    started = time.monotonic()

    def progress(status: int, remaining: int, total: int) -> None:
        if status in (SQLITE_BUSY, SQLITE_LOCKED) and time.monotonic() - started > seconds:
            raise BackupError(
                f"Could not {what} the database: another process kept it locked for {seconds:.0f} seconds "
                "(stop the web server and the worker, or try again later). Nothing was changed."
            )

    return progress


def _engine() -> str:
    vendor = connection.vendor
    if vendor not in DB_FILES:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _version() -> str:
    try:
        return importlib.metadata.version("waibao")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def _dump_sqlite(dest: Path) -> tuple[dict[str, Any], dict[str, int], dict[str, list[str]]]:
    connection.ensure_connection()
    source = connection.connection
    copy = sqlite3.connect(dest)
    try:
        # One step (pages=-1): the whole database as of one moment, even while others write (WAL).
        source.backup(copy, progress=_give_up_when_locked("back up"))
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        check = copy.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The database copy fails SQLite's check ({check}); nothing was written.")
        tables = {t: _count(copy, t) for t in _sqlite_tables(copy)}
        migrations = _migrations(
            copy.execute("SELECT app, name FROM django_migrations").fetchall()
            if "django_migrations" in tables
            else []
        )
    finally:
        copy.close()
    return {"engine": "sqlite", "server_version": sqlite3.sqlite_version}, tables, migrations


def _dump_postgres(dest: Path, tool: _Tool) -> tuple[dict[str, Any], dict[str, int], dict[str, list[str]]]:
    import psycopg

    params = _libpq_params()
    # Row counts and the dump read the same snapshot: this transaction exports it and stays open until
    # pg_dump has finished, so the manifest describes exactly what the dump holds.
    with psycopg.connect(**params) as snap:
        snap.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        snap.read_only = True
        with snap.cursor() as cur:
            cur.execute("SELECT pg_export_snapshot(), current_setting('server_version_num')::int")
            snapshot, server = cur.fetchone()  # type: ignore[misc]
            if tool.major < server // 10000:
                raise BackupError(
                    f"{tool.version} cannot dump this PostgreSQL {server // 10000} server: install the "
                    f"PostgreSQL {server // 10000} client tools (or newer) and try again."
                )
            tables = {t: _count(cur, t) for t in _pg_tables(cur)}
            if "django_migrations" in tables:
                cur.execute("SELECT app, name FROM django_migrations")
            migrations = _migrations(cur.fetchall() if "django_migrations" in tables else [])
            _run(
                [
                    tool.path,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    f"--file={dest}",
                    f"--dbname={_conninfo(params)}",
                ],
                params,
                what="pg_dump",
            )
        snap.rollback()
    database = {
        "engine": "postgresql",
        "server_version_num": server,
        "dump_tool": tool.version,
        "dump_tool_major": tool.major,
    }
    return database, tables, migrations


def _media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """Every regular file under the media folder, sorted; links are not followed."""
    if not root.is_dir():
        return
    found = []
    for folder, dirs, names in os.walk(root):
        dirs.sort()
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found.append((path.relative_to(root).as_posix(), path))
    yield from sorted(found)


def _add_file(tar: tarfile.TarFile, path: Path, arcname: str) -> dict[str, Any]:
    with path.open("rb") as f:
        info = tar.gettarinfo(arcname=arcname, fileobj=f)
        info.mode = 0o600
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        reader = _HashingReader(f)
        tar.addfile(info, reader)
    return {"path": arcname, "sha256": reader.hexdigest(), "size": info.size}


def _add_bytes(tar: tarfile.TarFile, arcname: str, data: bytes) -> None:
    import io

    info = tarfile.TarInfo(arcname)
    info.size = len(data)
    info.mode = 0o600
    info.mtime = int(clock.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


class _HashingReader:
    """A file object that hashes what tarfile reads from it (each file is read once)."""

    def __init__(self, f: IO[bytes]) -> None:
        self._f = f
        self._h = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self._f.read(size)
        self._h.update(data)
        return data

    def hexdigest(self) -> str:
        return self._h.hexdigest()


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- tables and migrations -----------------------------------------------------------------------


def _sqlite_tables(conn: Any) -> list[str]:
    rows = conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
        "ORDER BY name"
    ).fetchall()
    return [r[0] for r in rows]


def _pg_tables(cur: Any) -> list[str]:
    cur.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition "
        "AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast' "
        "AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY c.relname"
    )
    return [r[0] for r in cur.fetchall()]


def _count(conn: Any, table: str) -> int:
    quoted = '"' + table.replace('"', '""') + '"'
    # sqlite3's Connection.execute and psycopg's Cursor.execute both return the cursor.
    return int(conn.execute(f"SELECT COUNT(*) FROM {quoted}").fetchone()[0])  # noqa: S608


def live_tables() -> dict[str, int]:
    """Every table of this installation's database with its row count ({} when it has none yet)."""
    connection.ensure_connection()
    if connection.vendor == "sqlite":
        raw = connection.connection
        return {t: _count(raw, t) for t in _sqlite_tables(raw)}
    with connection.cursor() as cur:
        names = _pg_tables(cur)
        counts = {}
        for t in names:
            cur.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(t)}")  # noqa: S608
            counts[t] = int(cur.fetchone()[0])
        return counts


def _migrations(rows: list[tuple[str, str]]) -> dict[str, list[str]]:
    applied: dict[str, list[str]] = {}
    for app, name in rows:
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def unknown_migrations(applied: dict[str, list[str]]) -> list[str]:
    """Migrations the backup's database has that this code does not know: it came from a newer Waibao."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    known = set(loader.disk_migrations)
    for migration in loader.disk_migrations.values():
        known.update(migration.replaces)
    labels = {app for app, _name in known}
    return [
        f"{app}.{name}"
        for app, names in applied.items()
        if app in labels
        for name in names
        if (app, name) not in known
    ]


# --- restore -------------------------------------------------------------------------------------


def restore_backup(archive: Path) -> RestoreResult:
    """Check the archive, then load it into this installation, which must be empty."""
    archive = Path(archive)
    media_root = Path(settings.MEDIA_ROOT)
    media_root.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".waibao-restore-", dir=media_root.parent) as work:
        staging = Path(work)
        manifest = unpack_verified(archive, staging)
        engine = manifest["database"]["engine"]
        if engine != connection.vendor:
            raise BackupError(
                f"This backup holds a {_engine_name(engine)} database and this installation uses "
                f"{_engine_name(connection.vendor)}: restore it into a {_engine_name(engine)} installation "
                "(DATABASE_URL). Backups do not convert between engines."
            )
        newer = unknown_migrations(manifest["migrations"])
        if newer:
            raise BackupError(
                f"This backup was made by a newer Waibao (version {manifest.get('waibao_version')}; "
                f"migrations this version lacks: {', '.join(newer[:5])}). Install that version, then restore."
            )
        require_empty(media_root)
        if connection.in_atomic_block:
            raise BackupError("A restore cannot run inside a database transaction.")
        db_file = staging / manifest["database"]["file"]
        if engine == "sqlite":
            _load_sqlite(db_file)
        else:
            _load_postgres(db_file, manifest["database"])
        for entry in manifest["files"]:
            rel = PurePosixPath(entry["path"]).relative_to(MEDIA)
            target = media_root.joinpath(*rel.parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(staging / entry["path"], target)
    tables = live_tables()
    if tables != manifest["tables"]:
        diff = sorted(set(tables) ^ set(manifest["tables"])) or [
            t for t in tables if tables[t] != manifest["tables"][t]
        ]
        raise BackupError(
            f"The restored database differs from the backup's manifest ({', '.join(diff[:5])}); "
            "do not use it — restore again into a new empty database."
        )
    for entry in manifest["files"]:
        rel = PurePosixPath(entry["path"]).relative_to(MEDIA)
        path = media_root.joinpath(*rel.parts)
        if not path.is_file() or path.stat().st_size != entry["size"]:
            raise BackupError(f"{path} was not restored completely.")
    return RestoreResult(
        engine=engine,
        tables=tables,
        files=len(manifest["files"]),
        file_bytes=sum(f["size"] for f in manifest["files"]),
        created_at=manifest.get("created_at", ""),
        migrate_needed=_migrate_needed(),
    )


def unpack_verified(archive: Path, staging: Path) -> dict[str, Any]:
    """Unpack `archive` into `staging` and check every member against the manifest; return the manifest.

    Raises BackupError naming the first member that is missing, extra, unsafe or different.
    """
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file.")
    seen: dict[str, dict[str, Any]] = {}
    try:
        with tarfile.open(archive, mode="r:*") as tar:
            for member in tar:
                name = _safe_member_name(member)
                if name is None:
                    continue  # a directory entry
                if name in seen:
                    raise BackupError(
                        f"The archive holds {name} twice; it was altered. Nothing was restored."
                    )
                dest = staging.joinpath(*PurePosixPath(name).parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                source = tar.extractfile(member)
                assert source is not None  # a regular file, checked above
                h = hashlib.sha256()
                size = 0
                with dest.open("wb") as out:
                    while chunk := source.read(CHUNK):
                        h.update(chunk)
                        size += len(chunk)
                        out.write(chunk)
                seen[name] = {"sha256": h.hexdigest(), "size": size}
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(
            f"{archive} cannot be read as a Waibao backup ({exc}). Nothing was restored."
        ) from exc
    if MANIFEST not in seen:
        raise BackupError(f"{archive} has no {MANIFEST}: it is not a Waibao backup. Nothing was restored.")
    try:
        manifest = json.loads((staging / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("format") != FORMAT:
            raise ValueError("not a Waibao backup manifest")
        if manifest.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"This backup has format {manifest.get('format_version')}; this Waibao reads format "
                f"{FORMAT_VERSION}. Restore it with the Waibao version that made it."
            )
        database = manifest["database"]
        if database.get("file") != DB_FILES.get(database.get("engine")):
            raise ValueError("unknown database member")
        expected = {database["file"]: database}
        for entry in manifest["files"]:
            path = PurePosixPath(entry["path"])
            if path.parts[0] != MEDIA or ".." in path.parts or len(path.parts) < 2:
                raise ValueError(f"file path {entry['path']!r}")
            expected[entry["path"]] = entry
        manifest["tables"] = {str(k): int(v) for k, v in manifest["tables"].items()}
        manifest["migrations"] = {str(k): [str(n) for n in v] for k, v in manifest["migrations"].items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise BackupError(f"The manifest of {archive} is not valid ({exc}). Nothing was restored.") from exc
    for name, entry in expected.items():
        got = seen.get(name)
        if got is None:
            raise BackupError(
                f"{name} is listed in the manifest but missing from the archive. Nothing was restored."
            )
        if got["size"] != entry.get("size") or got["sha256"] != entry.get("sha256"):
            raise BackupError(
                f"{name} does not match its checksum in the manifest: the archive is damaged or was "
                "altered. Nothing was restored."
            )
    extra = sorted(set(seen) - set(expected) - {MANIFEST})
    if extra:
        raise BackupError(
            f"{extra[0]} is in the archive but not in its manifest; it was altered. Nothing was restored."
        )
    return manifest


def _safe_member_name(member: tarfile.TarInfo) -> str | None:
    path = PurePosixPath(member.name)
    if member.isdir():
        return None
    if not member.isfile():
        raise BackupError(
            f"The archive member {member.name} is not a regular file; refused. Nothing was restored."
        )
    if path.is_absolute() or any(p in ("..", "") for p in path.parts) or "\\" in member.name:
        raise BackupError(
            f"The archive member {member.name} points outside the backup; refused. Nothing was restored."
        )
    return path.as_posix()


def require_empty(media_root: Path) -> None:
    """Refuse to restore over anything that is someone's work: rows beyond what `migrate` writes, or files."""
    held = {t: n for t, n in live_tables().items() if n and t not in MIGRATE_FILLS}
    files = sum(1 for _ in _media_files(media_root.resolve())) if media_root.exists() else 0
    if held or files:
        parts = [f"{t} has {n} rows" for t, n in sorted(held.items(), key=lambda kv: -kv[1])[:5]]
        if len(held) > 5:
            parts.append(f"and {len(held) - 5} more tables hold rows")
        if files:
            parts.append(f"{media_root} holds {files} files")
        raise BackupError(
            "This installation is not empty (" + "; ".join(parts) + "). Restore only into a new, empty "
            "database and an empty media folder: nothing was changed."
        )


def _load_sqlite(db_file: Path) -> None:
    connection.ensure_connection()
    source = sqlite3.connect(db_file)
    try:
        # Page by page into the open database file, replacing every table with the backup's.
        source.backup(connection.connection, progress=_give_up_when_locked("restore into"))
    finally:
        source.close()
    connection.close()


def _load_postgres(db_file: Path, database: dict[str, Any]) -> None:
    params = _libpq_params()
    tool = _pg_tool("pg_restore")
    if tool.major < int(database.get("dump_tool_major", 0)):
        raise BackupError(
            f"This dump was written by {database['dump_tool']}; {tool.version} cannot read it. Install "
            "PostgreSQL client tools of that version or newer."
        )
    # The target holds no one's work (checked above); drop what `migrate` may have created there, so the
    # database ends up exactly as it was backed up.
    with connection.cursor() as cur:
        tables = _pg_tables(cur)
        if tables:
            cur.execute("DROP TABLE " + ", ".join(connection.ops.quote_name(t) for t in tables) + " CASCADE")
    connection.close()
    try:
        _run(
            [
                tool.path,
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={_conninfo(params)}",
                str(db_file),
            ],
            params,
            what="pg_restore",
        )
    except BackupError as exc:
        raise BackupError(
            f"{exc} The database is left without tables; fix the cause and restore again."
        ) from exc


def _migrate_needed() -> bool:
    executor = MigrationExecutor(connection)
    return bool(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def _engine_name(vendor: str) -> str:
    return {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(vendor, vendor)


# --- PostgreSQL client tools ---------------------------------------------------------------------


@dataclass
class _Tool:
    path: str
    version: str
    major: int


def _pg_tool(name: str) -> _Tool:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools (Debian: apt-get install "
            "postgresql-client), of the server's major version or newer."
        )
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    found = re.search(r"\)\s*(\d+)", version)  # "pg_dump (PostgreSQL) 15.20 (Debian …)"
    return _Tool(path=path, version=version or name, major=int(found.group(1)) if found else 0)


def _libpq_params() -> dict[str, Any]:
    """This installation's connection parameters as libpq keywords (the password among them)."""
    from psycopg import pq

    keywords = {o.keyword.decode() for o in pq.Conninfo.get_defaults()}
    params = connection.get_connection_params()
    return {
        k: v for k, v in params.items() if k in keywords and v not in (None, "") and k != "client_encoding"
    }


def _conninfo(params: dict[str, Any]) -> str:
    """The connection string for a command line: never the password (that goes in PGPASSWORD)."""
    from psycopg.conninfo import make_conninfo

    return make_conninfo(**{k: v for k, v in params.items() if k != "password"})


def _run(argv: list[str], params: dict[str, Any], *, what: str) -> None:
    env = {**os.environ}
    if params.get("password"):
        env["PGPASSWORD"] = str(params["password"])
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise BackupError(f"{what} failed: {' '.join(detail[-3:]) or f'exit status {done.returncode}'}.")
