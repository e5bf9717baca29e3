"""Backup archives of the database and the stored files, their restore, and the proof of it.

An archive is a ``.tar.gz`` file with:

* ``database/…`` — the database dump, in one of three formats (``manifest["database"]["format"]``):

  - ``sqlite``: a copy of the SQLite file taken with the online backup API
    (``sqlite3.Connection.backup``), consistent even while the platform writes;
  - ``pg_dump``: ``pg_dump --format=custom`` of a PostgreSQL database, taken in an exported
    REPEATABLE READ snapshot so that the row counts of the manifest describe exactly the dump;
  - ``dumpdata``: Django's ``dumpdata`` (JSON, every model), the fallback when ``pg_dump`` is
    not installed. It holds the rows of the models, not the schema: a restore creates the
    schema with ``migrate`` from the code in place.

* ``media/…`` — every file of the default storage (local folder or S3 bucket);
* ``private/…`` — every file of the ``private`` storage (grant dossiers' quotes and invoices:
  ``PRIVATE_ROOT`` or a private prefix of the bucket, ADR 0009). Archives written before this
  storage existed have no ``private/`` member and no ``private`` entry in the manifest: they
  restore and verify as before, and leave the private storage alone;
* ``manifest.json`` — date, application version, migration state, rows per table, files and
  bytes per storage, and the SHA-256 of every other member.

``--no-media`` leaves out both kinds of files (``include_media=False``).

The three commands ``backup``, ``restore`` and ``restore_check`` are thin wrappers around
``create_backup``, ``restore_archive`` and ``check_archive`` (docs/sauvegarde.md).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import posixpath
import secrets
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import django
from django.conf import settings
from django.core.files import File
from django.core.files.storage import storages
from django.core.management import call_command
from django.db import connections, router, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.migrations.executor import MigrationExecutor
from django.db.utils import load_backend
from django.utils import timezone

FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
MEDIA_PREFIX = "media/"
PRIVATE_PREFIX = "private/"
PRIVATE_ALIAS = "private"
DATABASE_MEMBERS = {
    "sqlite": "database/cybercantal.sqlite3",
    "pg_dump": "database/cybercantal.pgdump",
    "dumpdata": "database/cybercantal.json",
}
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup, restore or check that cannot go on; the message is French, for the operator."""


@dataclass
class CheckReport:
    """What ``check_archive`` found: French lines to print, and the differences among them."""

    lines: list[str] = field(default_factory=list)
    differences: list[str] = field(default_factory=list)

    def info(self, text: str) -> None:
        self.lines.append(text)

    def difference(self, text: str) -> None:
        self.differences.append(text)
        self.lines.append(f"ÉCART : {text}")

    @property
    def ok(self) -> bool:
        return not self.differences


# --- Small helpers ---------------------------------------------------------------------------


def app_version() -> str:
    try:
        return importlib.metadata.version("cybercantal")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - always installed
        return "inconnue"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _table_names(cursor: Any, vendor: str) -> list[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    elif vendor == "postgresql":
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema()"
        )
    else:  # pragma: no cover - only the two supported databases
        raise BackupError(f"Base de données non prise en charge : {vendor}.")
    return sorted(row[0] for row in cursor.fetchall())


def read_state(cursor: Any, vendor: str) -> tuple[dict[str, int], dict[str, list[str]]]:
    """Rows per table and applied migrations per app, read through a DB-API cursor."""
    counts: dict[str, int] = {}
    for table in _table_names(cursor, vendor):
        cursor.execute(f"SELECT COUNT(*) FROM {_quote(table)}")  # noqa: S608 - quoted catalogue name
        counts[table] = int(cursor.fetchone()[0])
    migrations: dict[str, list[str]] = {}
    if "django_migrations" in counts:
        cursor.execute("SELECT app, name FROM django_migrations")
        for app, name in cursor.fetchall():
            migrations.setdefault(app, []).append(name)
    return counts, {app: sorted(names) for app, names in sorted(migrations.items())}


def _pg_bin(name: str) -> str | None:
    directory = getattr(settings, "PG_BIN_DIR", "")
    if directory:
        candidate = Path(directory) / name
        return str(candidate) if candidate.exists() else None
    return shutil.which(name)


def _pg_env(settings_dict: dict[str, Any], name: str | None = None) -> dict[str, str]:
    """libpq environment for pg_dump / pg_restore: the password never goes on a command line."""
    env = dict(os.environ)
    values = {
        "PGDATABASE": name or settings_dict.get("NAME"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
    }
    options = settings_dict.get("OPTIONS") or {}
    for option in ("sslmode", "sslrootcert", "sslcert", "sslkey", "passfile", "service"):
        if options.get(option):
            values[f"PG{option.upper()}"] = options[option]
    env.update({key: str(value) for key, value in values.items() if value})
    return env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    completed = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if completed.returncode != 0:
        raise BackupError(f"{what} a échoué (code {completed.returncode}) : {completed.stderr.strip()[-2000:]}")


@contextmanager
def _without_routers() -> Iterator[None]:
    """Let migrate and loaddata write to a scratch alias even when the replica router is on.

    ``ReadReplicaRouter.allow_migrate`` only allows ``default``; the scratch database of
    ``restore_check`` is neither, so the routers are set aside while it is filled.
    """
    saved = router.routers
    router.routers = []
    try:
        yield
    finally:
        router.routers = saved


# --- Backup ----------------------------------------------------------------------------------


def _dump_sqlite(connection: BaseDatabaseWrapper, target: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    connection.ensure_connection()
    with closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)
        # One self-contained file: no -wal companion inside the archive.
        copy.execute("PRAGMA journal_mode=DELETE")
        return read_state(copy.cursor(), "sqlite")


def _dump_postgresql(
    connection: BaseDatabaseWrapper, target: Path, pg_dump: str
) -> tuple[dict[str, int], dict[str, list[str]]]:
    # A second connection holds a REPEATABLE READ snapshot; pg_dump dumps that very snapshot
    # and the row counts are read in it, so the manifest describes exactly what was dumped.
    snapshot = connections.create_connection(connection.alias)
    try:
        snapshot.ensure_connection()
        snapshot.set_autocommit(False)
        with snapshot.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot_id = cursor.fetchone()[0]
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot_id}",
                    f"--file={target}",
                ],
                _pg_env(connection.settings_dict),
                "pg_dump",
            )
            state = read_state(cursor, "postgresql")
        snapshot.rollback()
        return state
    finally:
        snapshot.close()


def _dump_dumpdata(connection: BaseDatabaseWrapper, target: Path) -> tuple[dict[str, int], dict[str, list[str]]]:
    outermost = not connection.in_atomic_block
    with transaction.atomic(using=connection.alias):
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the first statement of the transaction
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        call_command(
            "dumpdata", use_base_manager=True, format="json", output=str(target), database=connection.alias, verbosity=0
        )
        with connection.cursor() as cursor:
            return read_state(cursor, connection.vendor)


def _media_names(storage: Any, path: str = "", skip: frozenset[str] = frozenset()) -> Iterator[str]:
    """Every file of ``storage`` below ``path``, except in the folders ``skip``."""
    try:
        directories, files = storage.listdir(path)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield posixpath.join(path, name) if path else name
    for directory in sorted(directories):
        sub = posixpath.join(path, directory) if path else directory
        if sub not in skip:
            yield from _media_names(storage, sub, skip)


def _backend(alias: str) -> str | None:
    """The backend class of a storage alias, as configured (``None`` when it is not)."""
    config: Any = settings.STORAGES.get(alias)
    return str(config["BACKEND"]) if config else None


def _storage_root(storage: Any) -> str | None:
    """Where a storage keeps its files, as one comparable string (``None`` when unknown)."""
    bucket = getattr(storage, "bucket_name", None)
    if bucket:  # S3: the key prefix inside a bucket of an endpoint
        endpoint = getattr(storage, "endpoint_url", None) or ""
        prefix = str(getattr(storage, "location", "") or "").strip("/")
        return f"s3://{endpoint}/{bucket}/{prefix}".rstrip("/")
    location = getattr(storage, "location", None)
    if location and hasattr(storage, "path"):  # a local folder
        return "file://" + Path(location).resolve().as_posix().rstrip("/")
    return None


def _nested_folder(outer: Any, inner: Any) -> str | None:
    """The folder of ``outer`` that holds the files of ``inner``, when ``inner`` lies inside it.

    With the S3 settings, the private prefix (``private``) is a folder of the media bucket
    (location ``""``): walking the media would archive the private files a second time, as media.
    """
    outer_root, inner_root = _storage_root(outer), _storage_root(inner)
    if outer_root is None or inner_root is None or not inner_root.startswith(outer_root + "/"):
        return None
    return inner_root[len(outer_root) + 1 :].strip("/") or None


class _HashingReader:
    """Wraps a file so that tarfile reading it also computes its SHA-256."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data


def _archive_path(output_dir: Path, now: datetime) -> Path:
    stamp = timezone.localtime(now).strftime("%Y%m%d-%H%M%S")
    path = output_dir / f"cybercantal-{stamp}.tar.gz"
    counter = 2
    while path.exists():
        path = output_dir / f"cybercantal-{stamp}-{counter}.tar.gz"
        counter += 1
    return path


def create_backup(
    *,
    output_dir: Path,
    using: str = "default",
    dump_format: str = "auto",
    include_media: bool = True,
) -> tuple[Path, dict[str, Any]]:
    """Write one archive into ``output_dir``; returns its path and its manifest.

    ``dump_format``: ``auto`` (SQLite backup API, or pg_dump when it is installed, else
    dumpdata), ``native`` (refuse to fall back) or ``dumpdata`` (force the fallback).
    """
    if dump_format not in {"auto", "native", "dumpdata"}:
        raise BackupError(f"Format de sauvegarde inconnu : {dump_format}.")
    connection = connections[using]
    if connection.vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Base de données non prise en charge : {connection.vendor}.")
    output_dir.mkdir(parents=True, exist_ok=True)
    now = timezone.now()

    # The dump is staged next to the archive, not in /tmp (often a small memory filesystem).
    with tempfile.TemporaryDirectory(dir=output_dir, prefix=".cybercantal-backup-") as tmp:
        staging = Path(tmp)
        (staging / "database").mkdir()
        if dump_format == "dumpdata":
            fmt = "dumpdata"
        elif connection.vendor == "sqlite":
            fmt = "sqlite"
        else:
            pg_dump = _pg_bin("pg_dump")
            if pg_dump:
                fmt = "pg_dump"
            elif dump_format == "native":
                raise BackupError("pg_dump est introuvable : installez le client PostgreSQL ou réglez PG_BIN_DIR.")
            else:
                fmt = "dumpdata"
        db_member = DATABASE_MEMBERS[fmt]
        db_path = staging / db_member
        if fmt == "sqlite":
            row_counts, migrations = _dump_sqlite(connection, db_path)
        elif fmt == "pg_dump":
            row_counts, migrations = _dump_postgresql(connection, db_path, pg_dump)  # type: ignore[arg-type]
        else:
            row_counts, migrations = _dump_dumpdata(connection, db_path)

        members: dict[str, dict[str, Any]] = {db_member: {"sha256": sha256_of(db_path), "size": db_path.stat().st_size}}
        media_storage = storages["default"]
        private_storage = storages[PRIVATE_ALIAS] if PRIVATE_ALIAS in settings.STORAGES else None
        media_skip: frozenset[str] = frozenset()
        if private_storage is not None:
            nested = _nested_folder(media_storage, private_storage)
            media_skip = frozenset({nested} if nested else ())
        archive_path = _archive_path(output_dir, now)
        partial = archive_path.with_name(f".{archive_path.name}.{secrets.token_hex(4)}.partiel")
        try:
            # The archive holds personal data: readable by its owner only, from the start.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as tar:
                tar.add(db_path, arcname=db_member)
                media_count = media_bytes = private_count = private_bytes = 0
                if include_media:
                    media_count, media_bytes = _add_files(tar, members, media_storage, MEDIA_PREFIX, media_skip, now)
                    if private_storage is not None:
                        private_count, private_bytes = _add_files(
                            tar, members, private_storage, PRIVATE_PREFIX, frozenset(), now
                        )
                manifest: dict[str, Any] = {
                    "format": FORMAT_VERSION,
                    "application": "cybercantal",
                    "version": app_version(),
                    "django": django.get_version(),
                    "created_at": timezone.localtime(now).isoformat(timespec="seconds"),
                    "database": {"vendor": connection.vendor, "format": fmt, "member": db_member},
                    "migrations": migrations,
                    "row_counts": row_counts,
                    "media": {
                        "included": include_media,
                        "storage": _backend("default"),
                        "files": media_count,
                        "bytes": media_bytes,
                    },
                    "private": {
                        "included": include_media and private_storage is not None,
                        "storage": _backend(PRIVATE_ALIAS),
                        "files": private_count,
                        "bytes": private_bytes,
                    },
                    "members": members,
                }
                data = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST_NAME)
                info.size = len(data)
                info.mtime = int(now.timestamp())
                info.mode = 0o600
                tar.addfile(info, _BytesReader(data))  # type: ignore[arg-type]
            partial.replace(archive_path)
        finally:
            partial.unlink(missing_ok=True)
    return archive_path, manifest


def _add_files(
    tar: tarfile.TarFile,
    members: dict[str, dict[str, Any]],
    storage: Any,
    prefix: str,
    skip: frozenset[str],
    now: datetime,
) -> tuple[int, int]:
    """Every file of ``storage`` into ``tar`` under ``prefix``; returns how many, and their bytes."""
    count = total = 0
    for name in _media_names(storage, skip=skip):
        info = tarfile.TarInfo(prefix + name)
        info.size = storage.size(name)
        info.mtime = int(now.timestamp())
        info.mode = 0o600
        with storage.open(name, "rb") as handle:
            reader = _HashingReader(handle)
            tar.addfile(info, reader)  # type: ignore[arg-type]
        members[prefix + name] = {"sha256": reader.digest.hexdigest(), "size": info.size}
        count += 1
        total += info.size
    return count, total


class _BytesReader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.offset + size
        chunk = self.data[self.offset : end]
        self.offset += len(chunk)
        return chunk


# --- Reading and verifying an archive --------------------------------------------------------


def _safe_member_name(name: str) -> bool:
    if not name or name.startswith("/") or "\\" in name:
        return False
    parts = name.split("/")
    return all(part not in {"", ".", ".."} for part in parts)


def extract_verified(archive: Path, destination: Path, report: CheckReport) -> dict[str, Any]:
    """Extract ``archive`` into ``destination``, checking every member against the manifest.

    Differences go into ``report``; raises ``BackupError`` when the archive cannot be read
    at all (not a tar.gz, no manifest, unknown format).
    """
    if not archive.is_file():
        raise BackupError(f"Archive introuvable : {archive}.")
    try:
        tar = tarfile.open(archive, mode="r:gz")  # noqa: SIM115 - closed by "with tar" below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"Archive illisible ({archive.name}) : {exc}.") from exc
    found: dict[str, str] = {}
    manifest: dict[str, Any] | None = None
    with tar:
        try:
            for member in tar:
                if not member.isfile():
                    if member.isdir():
                        continue
                    report.difference(f"membre inattendu (ni fichier ni dossier) : {member.name}")
                    continue
                if not _safe_member_name(member.name):
                    report.difference(f"nom de membre refusé : {member.name}")
                    continue
                handle = tar.extractfile(member)
                if handle is None:  # pragma: no cover - regular files always have a stream
                    continue
                if member.name == MANIFEST_NAME:
                    try:
                        manifest = json.loads(handle.read().decode())
                    except (ValueError, UnicodeDecodeError) as exc:
                        raise BackupError(f"Manifeste illisible : {exc}.") from exc
                    continue
                target = destination / member.name
                target.parent.mkdir(parents=True, exist_ok=True)
                digest = hashlib.sha256()
                with target.open("wb") as out:
                    for chunk in iter(lambda h=handle: h.read(CHUNK), b""):  # type: ignore[misc]
                        digest.update(chunk)
                        out.write(chunk)
                found[member.name] = digest.hexdigest()
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise BackupError(f"Archive abîmée ({archive.name}) : {exc}.") from exc
    if manifest is None:
        raise BackupError("L'archive ne contient pas de manifeste (manifest.json).")
    if manifest.get("format") != FORMAT_VERSION or manifest.get("application") != "cybercantal":
        raise BackupError(f"Format d'archive inconnu : {manifest.get('application')} v{manifest.get('format')}.")
    listed: dict[str, dict[str, Any]] = manifest.get("members") or {}
    for name, expected in sorted(listed.items()):
        if name not in found:
            report.difference(f"membre manquant : {name}")
        elif found[name] != expected.get("sha256"):
            report.difference(f"somme de contrôle différente : {name}")
    for name in sorted(set(found) - set(listed)):
        report.difference(f"membre absent du manifeste : {name}")
    database = manifest.get("database") or {}
    if database.get("format") not in DATABASE_MEMBERS or database.get("member") not in listed:
        raise BackupError("Le manifeste ne décrit pas de sauvegarde de base de données utilisable.")
    return manifest


def compare_state(connection: BaseDatabaseWrapper, manifest: dict[str, Any], report: CheckReport) -> None:
    """Rows per table and applied migrations of ``connection`` against the manifest."""
    with connection.cursor() as cursor:
        counts, migrations = read_state(cursor, connection.vendor)
    expected_counts: dict[str, int] = manifest.get("row_counts") or {}
    expected_migrations: dict[str, list[str]] = manifest.get("migrations") or {}

    if migrations == expected_migrations:
        total = sum(len(names) for names in migrations.values())
        report.info(f"Migrations : état identique au manifeste ({total} migrations appliquées).")
    else:
        for app in sorted(set(migrations) | set(expected_migrations)):
            missing = sorted(set(expected_migrations.get(app, [])) - set(migrations.get(app, [])))
            extra = sorted(set(migrations.get(app, [])) - set(expected_migrations.get(app, [])))
            if missing:
                report.difference(f"migrations {app} absentes après restauration : {', '.join(missing)}")
            if extra:
                report.difference(f"migrations {app} en plus après restauration : {', '.join(extra)}")

    same = 0
    for table in sorted(set(counts) | set(expected_counts)):
        if table not in counts:
            report.difference(f"table {table} absente après restauration")
        elif table not in expected_counts:
            report.difference(f"table {table} absente du manifeste ({counts[table]} lignes)")
        elif counts[table] != expected_counts[table]:
            report.difference(f"table {table} : {counts[table]} lignes au lieu de {expected_counts[table]}")
        else:
            same += 1
    total_rows = sum(expected_counts.values())
    report.info(f"Lignes : {same} table(s) sur {len(expected_counts)} conformes au manifeste ({total_rows} lignes).")


def pending_migrations(connection: BaseDatabaseWrapper) -> list[str]:
    """Migrations of the code in place that the database has not applied yet."""
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, backwards in plan if not backwards]


# --- Loading a dump into a database ------------------------------------------------------------


def _load_sqlite(source: Path, connection: BaseDatabaseWrapper) -> None:
    if connection.vendor != "sqlite":
        raise BackupError("Cette archive contient une base SQLite : la base configurée doit être SQLite.")
    if connection.in_atomic_block:
        raise BackupError("La restauration ne peut pas se faire dans une transaction ouverte.")
    connection.ensure_connection()
    with closing(sqlite3.connect(source)) as src:
        src.backup(connection.connection)


def _load_pg_dump(source: Path, connection: BaseDatabaseWrapper, *, clean: bool) -> None:
    if connection.vendor != "postgresql":
        raise BackupError("Cette archive contient un pg_dump : la base configurée doit être PostgreSQL.")
    pg_restore = _pg_bin("pg_restore")
    if not pg_restore:
        raise BackupError("pg_restore est introuvable : installez le client PostgreSQL ou réglez PG_BIN_DIR.")
    command = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if clean:
        command += ["--clean", "--if-exists"]
    connection.close()
    _run(
        [*command, f"--dbname={connection.settings_dict['NAME']}", str(source)],
        _pg_env(connection.settings_dict),
        "pg_restore",
    )


def _load_dumpdata(source: Path, connection: BaseDatabaseWrapper) -> None:
    using = connection.alias
    call_command("migrate", database=using, interactive=False, verbosity=0)
    with transaction.atomic(using=using):
        # inhibit_post_migrate: no content types or permissions recreated between flush and load.
        call_command("flush", database=using, interactive=False, inhibit_post_migrate=True, verbosity=0)
        call_command("loaddata", str(source), database=using, verbosity=0)


def _drop_tables_not_in(connection: BaseDatabaseWrapper, manifest: dict[str, Any]) -> list[str]:
    """After a pg_restore: tables created since the backup would block a later ``migrate``."""
    expected = set(manifest.get("row_counts") or {})
    with connection.cursor() as cursor:
        extra = [table for table in _table_names(cursor, connection.vendor) if table not in expected]
        for table in extra:
            cursor.execute(f"DROP TABLE IF EXISTS {_quote(table)} CASCADE")
    return extra


def restore_archive(*, archive: Path, using: str = "default") -> CheckReport:
    """Replace the configured database and media with the archive's content.

    Nothing is touched unless the archive reads back whole and matches its manifest. The
    returned report compares the restored database with the manifest.
    """
    report = CheckReport()
    connection = connections[using]
    with tempfile.TemporaryDirectory(prefix="cybercantal-restore-") as tmp:
        workdir = Path(tmp)
        manifest = extract_verified(archive, workdir, report)
        if not report.ok:
            raise BackupError("Archive refusée, rien n'a été modifié : " + " ; ".join(report.differences))
        has_private = any(name.startswith(PRIVATE_PREFIX) for name in manifest["members"])
        if has_private and PRIVATE_ALIAS not in settings.STORAGES:
            raise BackupError(
                "Archive refusée, rien n'a été modifié : elle contient des fichiers privés et aucun stockage "
                "« private » n'est configuré (STORAGES)."
            )
        report.info(f"Archive du {manifest['created_at']} (version {manifest['version']}) vérifiée.")
        database = manifest["database"]
        source = workdir / database["member"]
        if database["format"] == "sqlite":
            _load_sqlite(source, connection)
        elif database["format"] == "pg_dump":
            _load_pg_dump(source, connection, clean=True)
            dropped = _drop_tables_not_in(connection, manifest)
            if dropped:
                report.info(f"Tables postérieures à la sauvegarde supprimées : {', '.join(dropped)}.")
        else:
            _load_dumpdata(source, connection)
        report.info(f"Base de données restaurée ({database['format']}).")

        restored = _restore_files(workdir, manifest, MEDIA_PREFIX, storages["default"], "Le média")
        report.info(f"Médias restaurés : {restored} fichier(s).")
        if has_private:
            restored = _restore_files(workdir, manifest, PRIVATE_PREFIX, storages[PRIVATE_ALIAS], "Le fichier privé")
            report.info(f"Fichiers privés restaurés : {restored} fichier(s).")
        elif "private" not in manifest:
            report.info(
                "Fichiers privés : absents de cette archive (antérieure à leur sauvegarde) ; "
                "le stockage privé n'a pas été modifié."
            )
        else:
            report.info("Fichiers privés restaurés : 0 fichier(s).")
    compare_state(connection, manifest, report)
    pending = pending_migrations(connection)
    if pending:
        report.info(f"À faire : « cybercantal migrate » ({len(pending)} migration(s) du code non appliquée(s)).")
    return report


def _restore_files(workdir: Path, manifest: dict[str, Any], prefix: str, storage: Any, label: str) -> int:
    """Write the archive's members under ``prefix`` back into ``storage``; returns how many."""
    restored = 0
    for name in sorted(manifest["members"]):
        if not name.startswith(prefix):
            continue
        storage_name = name[len(prefix) :]
        if storage.exists(storage_name):
            storage.delete(storage_name)
        with (workdir / name).open("rb") as handle:
            saved = storage.save(storage_name, File(handle, name=storage_name))
        if saved != storage_name:
            raise BackupError(f"{label} {storage_name} a été enregistré sous un autre nom ({saved}).")
        restored += 1
    return restored


# --- Proving a restore -------------------------------------------------------------------------


@contextmanager
def _scratch_alias(settings_dict: dict[str, Any]) -> Iterator[BaseDatabaseWrapper]:
    alias = f"restore_check_{secrets.token_hex(4)}"
    full = {
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "OPTIONS": {},
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {"CHARSET": None, "COLLATION": None, "MIGRATE": True, "MIRROR": None, "NAME": None},
        **settings_dict,
    }
    # The wrapper is registered for this thread only (``connections[alias]`` finds it, so that
    # migrate and loaddata accept ``database=alias``), not in ``settings.DATABASES``: nothing
    # else (close_all, the test runner, the routers) ever sees the scratch database.
    wrapper = load_backend(full["ENGINE"]).DatabaseWrapper(full, alias)
    setattr(connections._connections, alias, wrapper)  # type: ignore[attr-defined]
    try:
        yield wrapper
    finally:
        wrapper.close()
        del connections[alias]


@contextmanager
def _scratch_database(vendor: str, workdir: Path, report: CheckReport) -> Iterator[BaseDatabaseWrapper]:
    """A temporary database: a SQLite file in ``workdir``, or a PostgreSQL database created and dropped."""
    if vendor == "sqlite":
        path = workdir / "verification.sqlite3"
        report.info(f"Base temporaire : fichier SQLite {path}.")
        with _scratch_alias({"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}) as connection:
            yield connection
        return
    default = connections["default"]
    if default.vendor != "postgresql":
        raise BackupError(
            "Cette archive contient un pg_dump : il faut une base PostgreSQL configurée pour la vérifier."
        )
    base = str(default.settings_dict["NAME"] or "cybercantal")[:40]
    name = f"{base}_verif_{secrets.token_hex(4)}"
    with default._nodb_cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {_quote(name)}")
    report.info(f"Base temporaire : base PostgreSQL {name} (supprimée après la vérification).")
    try:
        settings_dict = {key: value for key, value in default.settings_dict.items() if key != "TEST"}
        settings_dict["NAME"] = name
        settings_dict["OPTIONS"] = dict(settings_dict.get("OPTIONS") or {})
        with _scratch_alias(settings_dict) as connection:
            yield connection
    finally:
        with default._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {_quote(name)} WITH (FORCE)")


def _check_files(report: CheckReport, manifest: dict[str, Any], key: str, prefix: str, label: str) -> None:
    """One line on the files of a storage, and a difference if their count or size disagrees."""
    members = manifest.get("members") or {}
    listed = [entry for name, entry in members.items() if name.startswith(prefix)]
    if key not in manifest and not listed:
        report.info(f"{label} : aucun dans cette archive (antérieure à leur sauvegarde).")
        return
    section = manifest.get(key) or {}
    if not section.get("included", True):
        media_included = (manifest.get("media") or {}).get("included", True)
        reason = (
            "stockage non configuré lors de la sauvegarde" if media_included else "sauvegarde faite avec --no-media"
        )
        report.info(f"{label} : non inclus dans cette archive ({reason}).")
        return
    files, size = section.get("files", 0), section.get("bytes", 0)
    report.info(f"{label} : {files} fichier(s), {size} octets dans l'archive.")
    actual_size = sum(int(entry.get("size") or 0) for entry in listed)
    if key in manifest and (len(listed) != files or actual_size != size):
        report.difference(
            f"{label.lower()} : le manifeste annonce {files} fichier(s) et {size} octets, "
            f"ses membres {prefix}… en comptent {len(listed)} et {actual_size} octets"
        )


def check_archive(*, archive: Path) -> CheckReport:
    """Prove that ``archive`` restores: into a scratch database, compared with its manifest."""
    report = CheckReport()
    with tempfile.TemporaryDirectory(prefix="cybercantal-verification-") as tmp:
        workdir = Path(tmp)
        manifest = extract_verified(archive, workdir / "archive", report)
        archive_differences = len(report.differences)
        members = manifest.get("members") or {}
        report.lines.insert(
            0,
            f"Archive {archive.name} : sauvegarde du {manifest.get('created_at')}, version {manifest.get('version')}, "
            f"base {manifest['database'].get('vendor')} au format {manifest['database']['format']}.",
        )
        if archive_differences:
            report.info(f"Sommes de contrôle : {archive_differences} écart(s) sur {len(members)} membre(s).")
        else:
            report.info(f"Sommes de contrôle : les {len(members)} membre(s) sont conformes au manifeste.")
        _check_files(report, manifest, "media", MEDIA_PREFIX, "Médias")
        _check_files(report, manifest, "private", PRIVATE_PREFIX, "Fichiers privés")

        database = manifest["database"]
        source = workdir / "archive" / database["member"]
        fmt = database["format"]
        if fmt == "sqlite":
            vendor = "sqlite"
        elif fmt == "pg_dump":
            vendor = "postgresql"
        else:  # dumpdata loads into the kind of database configured here
            vendor = connections["default"].vendor
        if not source.exists():
            report.difference("la sauvegarde de la base est absente : restauration impossible")
            return report
        with _scratch_database(vendor, workdir, report) as scratch, _without_routers():
            try:
                if fmt == "sqlite":
                    _load_sqlite(source, scratch)
                elif fmt == "pg_dump":
                    _load_pg_dump(source, scratch, clean=False)
                else:
                    _load_dumpdata(source, scratch)
            except Exception as exc:  # noqa: BLE001 - whatever the cause, the restore is not proven
                report.difference(f"la restauration dans la base temporaire a échoué : {exc}")
                return report
            report.info("Restauration dans la base temporaire : réussie.")
            compare_state(scratch, manifest, report)
            pending = pending_migrations(scratch)
            if pending:
                report.info(
                    f"Migrations du code non appliquées dans la sauvegarde : {len(pending)} "
                    "(« cybercantal migrate » les appliquera après une restauration)."
                )
            else:
                report.info("Migrations du code : toutes appliquées dans la sauvegarde.")
    return report
