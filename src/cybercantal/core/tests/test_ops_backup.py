"""backup, restore and restore_check, on SQLite and PostgreSQL, in each database format."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import shutil
import stat
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage, storages
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from cybercantal.core import backup, journal
from cybercantal.core.models import JournalEntry

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump and the backup API read committed data

needs_pg_dump = pytest.mark.skipif(
    shutil.which("pg_dump") is None or shutil.which("pg_restore") is None,
    reason="pg_dump/pg_restore are not installed on this machine",
)


QUOTE = b"%PDF-1.4 devis de l'entreprise"
INVOICE = b"%PDF-1.4 facture acquittee"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def private_root(settings):
    """The private storage, in a folder of its own under the test settings' PRIVATE_ROOT.

    Other tests (grants) leave files in PRIVATE_ROOT and may run at the same time: a folder per
    test keeps the archives' content exact and never touches their files. Removed afterwards.
    """
    location = Path(settings.PRIVATE_ROOT) / f"sauvegarde-{secrets.token_hex(6)}"
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": location}},
    }
    yield location
    shutil.rmtree(location, ignore_errors=True)


@pytest.fixture
def platform_data():
    """Rows in several tables, a journal, two media files and two private files; the counts before."""
    before = table_counts()
    user = get_user_model().objects.create_user(email="claire@example.org", password="x" * 12)
    Group.objects.create(name="Animateurs")
    for action in ("place.created", "place.updated", "role.granted"):
        journal.record(actor=user, action=action, data={"n": action})
    default_storage.save("lieux/photo.jpg", ContentFile(b"\xff\xd8 une photo"))
    default_storage.save("documents/compte-rendu.txt", ContentFile(b"Compte rendu de l'atelier"))
    storages["private"].save("grants/2026/11/devis.pdf", ContentFile(QUOTE))
    storages["private"].save("grants/2026/11/facture.pdf", ContentFile(INVOICE))
    return before


def run_backup(tmp_path: Path, *args: str) -> Path:
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path / "sauvegardes"), *args, stdout=out)
    archives = sorted((tmp_path / "sauvegardes").glob("cybercantal-*.tar.gz"))
    assert len(archives) == 1, out.getvalue()
    return archives[0]


def read_archive(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]


def rewrite_archive(path: Path, change: Callable[[str, bytes], bytes | None]) -> Path:
    """A copy of the archive where ``change`` may alter (or drop, returning None) each member."""
    target = path.with_name("modifiee.tar.gz")
    with tarfile.open(target, "w:gz") as tar:
        for name, data in read_archive(path).items():
            new = change(name, data)
            if new is None:
                continue
            info = tarfile.TarInfo(name)
            info.size = len(new)
            tar.addfile(info, io.BytesIO(new))
    return target


def restore_check(path: Path) -> tuple[bool, str]:
    out = io.StringIO()
    try:
        call_command("restore_check", str(path), stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def as_old_archive(path: Path) -> Path:
    """The archive as written before the private storage was backed up: no private/ member."""

    def drop_private(name: str, data: bytes) -> bytes | None:
        if name.startswith("private/"):
            return None
        if name == "manifest.json":
            manifest = json.loads(data)
            del manifest["private"]
            manifest["members"] = {k: v for k, v in manifest["members"].items() if not k.startswith("private/")}
            return json.dumps(manifest).encode()
        return data

    return rewrite_archive(path, drop_private)


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        return backup.read_state(cursor, connection.vendor)[0]


# --- backup ------------------------------------------------------------------------------------


def test_backup_writes_a_private_archive_with_database_media_and_manifest(tmp_path, platform_data):
    archive = run_backup(tmp_path)

    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    members = read_archive(archive)
    manifest = json.loads(members["manifest.json"])
    expected_db = "database/cybercantal.sqlite3" if connection.vendor == "sqlite" else "database/cybercantal.pgdump"
    assert set(members) == {
        "manifest.json",
        expected_db,
        "media/lieux/photo.jpg",
        "media/documents/compte-rendu.txt",
        "private/grants/2026/11/devis.pdf",
        "private/grants/2026/11/facture.pdf",
    }
    assert members["private/grants/2026/11/devis.pdf"] == QUOTE
    assert manifest["format"] == 1
    assert manifest["version"] == backup.app_version()
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["database"]["format"] == ("sqlite" if connection.vendor == "sqlite" else "pg_dump")
    assert manifest["row_counts"]["core_journalentry"] == platform_data["core_journalentry"] + 3
    assert manifest["row_counts"]["auth_group"] == platform_data["auth_group"] + 1
    assert manifest["row_counts"] == table_counts()
    assert "0003_scheduledjob" in manifest["migrations"]["core"]
    assert manifest["media"] == {
        "included": True,
        "storage": "django.core.files.storage.FileSystemStorage",
        "files": 2,
        "bytes": len(b"\xff\xd8 une photo") + len(b"Compte rendu de l'atelier"),
    }
    assert manifest["private"] == {
        "included": True,
        "storage": "django.core.files.storage.FileSystemStorage",
        "files": 2,
        "bytes": len(QUOTE) + len(INVOICE),
    }
    for name, data in members.items():
        if name != "manifest.json":
            assert manifest["members"][name]["sha256"] == hashlib.sha256(data).hexdigest()
            assert manifest["members"][name]["size"] == len(data)


def test_backup_without_media(tmp_path, platform_data):
    archive = run_backup(tmp_path, "--no-media")

    members = read_archive(archive)
    assert not any(name.startswith(("media/", "private/")) for name in members)
    manifest = json.loads(members["manifest.json"])
    assert manifest["private"]["included"] is False
    ok, report = restore_check(archive)
    assert ok, report
    assert "Médias : non inclus dans cette archive (sauvegarde faite avec --no-media)" in report
    assert "Fichiers privés : non inclus dans cette archive (sauvegarde faite avec --no-media)" in report


def test_two_backups_in_the_same_second_do_not_overwrite_each_other(tmp_path, platform_data):
    first, _ = backup.create_backup(output_dir=tmp_path, include_media=False)
    second, _ = backup.create_backup(output_dir=tmp_path, include_media=False)
    assert first != second
    assert first.exists()
    assert second.exists()


# --- restore_check -------------------------------------------------------------------------------


def test_restore_check_proves_a_good_archive(tmp_path, platform_data):
    archive = run_backup(tmp_path)

    ok, report = restore_check(archive)

    assert ok, report
    assert "Restauration prouvée" in report
    assert "les 5 membre(s) sont conformes au manifeste" in report
    assert f"Fichiers privés : 2 fichier(s), {len(QUOTE) + len(INVOICE)} octets dans l'archive." in report
    assert "Migrations : état identique au manifeste" in report
    assert "ÉCART" not in report


def test_restore_check_fails_on_a_changed_media_file(tmp_path, platform_data):
    archive = run_backup(tmp_path)
    tampered = rewrite_archive(archive, lambda name, data: b"autre" if name == "media/lieux/photo.jpg" else data)

    ok, report = restore_check(tampered)

    assert not ok
    assert "ÉCART : somme de contrôle différente : media/lieux/photo.jpg" in report
    assert "Restauration NON prouvée : 1 écart(s)" in report


def test_restore_check_fails_on_a_changed_private_file(tmp_path, platform_data):
    archive = run_backup(tmp_path)
    name = "private/grants/2026/11/devis.pdf"
    tampered = rewrite_archive(archive, lambda member, data: b"%PDF-1.4 faux" if member == name else data)

    ok, report = restore_check(tampered)

    assert not ok
    assert f"ÉCART : somme de contrôle différente : {name}" in report


def test_restore_check_fails_when_the_private_file_count_differs_from_the_manifest(tmp_path, platform_data):
    archive = run_backup(tmp_path)

    def lie_about_the_private_files(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["private"]["files"] += 1
        return json.dumps(manifest).encode()

    ok, report = restore_check(rewrite_archive(archive, lie_about_the_private_files))

    assert not ok
    assert "ÉCART : fichiers privés : le manifeste annonce 3 fichier(s)" in report
    assert "ses membres private/… en comptent 2" in report


def test_restore_check_fails_when_the_rows_differ_from_the_manifest(tmp_path, platform_data):
    archive = run_backup(tmp_path)

    def lie_about_the_journal(name: str, data: bytes) -> bytes:
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["row_counts"]["core_journalentry"] += 1
        manifest["row_counts"]["table_disparue"] = 1
        return json.dumps(manifest).encode()

    ok, report = restore_check(rewrite_archive(archive, lie_about_the_journal))

    assert not ok
    journal_rows = platform_data["core_journalentry"] + 3
    assert f"table core_journalentry : {journal_rows} lignes au lieu de {journal_rows + 1}" in report
    assert "table table_disparue absente après restauration" in report


def test_restore_check_fails_on_a_missing_or_unlisted_member(tmp_path, platform_data):
    archive = run_backup(tmp_path)

    def drop_and_add(name: str, data: bytes) -> bytes | None:
        return None if name == "media/documents/compte-rendu.txt" else data

    tampered = rewrite_archive(archive, drop_and_add)
    with tarfile.open(tampered, "r:gz") as tar:
        assert "media/documents/compte-rendu.txt" not in tar.getnames()

    ok, report = restore_check(tampered)

    assert not ok
    assert "membre manquant : media/documents/compte-rendu.txt" in report


def test_restore_check_refuses_what_is_not_an_archive(tmp_path):
    bogus = tmp_path / "pas-une-archive.tar.gz"
    bogus.write_bytes(b"bonjour")

    with pytest.raises(CommandError, match="Archive illisible"):
        call_command("restore_check", str(bogus), stdout=io.StringIO())

    no_manifest = tmp_path / "sans-manifeste.tar.gz"
    with tarfile.open(no_manifest, "w:gz") as tar:
        info = tarfile.TarInfo("database/cybercantal.sqlite3")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    with pytest.raises(CommandError, match="manifeste"):
        call_command("restore_check", str(no_manifest), stdout=io.StringIO())


def test_restore_check_refuses_unsafe_member_names(tmp_path, platform_data):
    archive = run_backup(tmp_path, "--no-media")
    unsafe = tmp_path / "dangereuse.tar.gz"
    with tarfile.open(unsafe, "w:gz") as tar:
        for name, data in read_archive(archive).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("../../evasion.txt")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"oups"))

    ok, report = restore_check(unsafe)

    assert not ok
    assert "nom de membre refusé : ../../evasion.txt" in report
    assert not (tmp_path.parent / "evasion.txt").exists()


# --- restore -------------------------------------------------------------------------------------


def test_restore_needs_yes(tmp_path, platform_data):
    archive = run_backup(tmp_path)
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(archive), stdout=io.StringIO())
    assert JournalEntry.objects.count() == platform_data["core_journalentry"] + 3


def test_restore_brings_back_the_database_and_the_media(tmp_path, platform_data, media_root):
    archive = run_backup(tmp_path)
    before = table_counts()
    # Life goes on after the backup: rows and files change.
    Group.objects.all().delete()
    get_user_model().objects.create_user(email="nouveau@example.org", password="x" * 12)
    journal.record(actor=None, action="after.backup")
    default_storage.delete("lieux/photo.jpg")
    (media_root / "documents" / "compte-rendu.txt").write_text("modifié")

    out = io.StringIO()
    call_command("restore", str(archive), "--yes", stdout=out)

    assert "Restauration terminée et conforme au manifeste" in out.getvalue()
    assert table_counts() == before
    assert Group.objects.filter(name="Animateurs").exists()
    assert not get_user_model().objects.filter(email="nouveau@example.org").exists()
    assert not JournalEntry.objects.filter(action="after.backup").exists()
    assert (media_root / "lieux" / "photo.jpg").read_bytes() == b"\xff\xd8 une photo"
    assert (media_root / "documents" / "compte-rendu.txt").read_text() == "Compte rendu de l'atelier"


def test_restore_brings_back_the_private_files(tmp_path, platform_data, private_root):
    archive = run_backup(tmp_path)
    # The private storage is lost, then life goes on: a new quote arrives.
    shutil.rmtree(private_root)
    storages["private"].save("grants/2026/12/nouveau.pdf", ContentFile(b"%PDF-1.4 nouveau"))

    out = io.StringIO()
    call_command("restore", str(archive), "--yes", stdout=out)

    assert "Fichiers privés restaurés : 2 fichier(s)." in out.getvalue()
    assert "Restauration terminée et conforme au manifeste" in out.getvalue()
    assert (private_root / "grants" / "2026" / "11" / "devis.pdf").read_bytes() == QUOTE
    assert (private_root / "grants" / "2026" / "11" / "facture.pdf").read_bytes() == INVOICE
    with storages["private"].open("grants/2026/11/devis.pdf", "rb") as handle:
        assert handle.read() == QUOTE
    # Files that are not in the archive are left in place, as for the media.
    assert (private_root / "grants" / "2026" / "12" / "nouveau.pdf").exists()


def test_an_archive_without_private_files_still_verifies_and_restores(tmp_path, platform_data, private_root):
    old = as_old_archive(run_backup(tmp_path))
    assert not any(name.startswith("private/") for name in read_archive(old))
    assert "private" not in json.loads(read_archive(old)["manifest.json"])

    ok, report = restore_check(old)
    assert ok, report
    assert "Fichiers privés : aucun dans cette archive (antérieure à leur sauvegarde)." in report

    Group.objects.create(name="Après la sauvegarde")
    out = io.StringIO()
    call_command("restore", str(old), "--yes", stdout=out)

    assert "Restauration terminée et conforme au manifeste" in out.getvalue()
    assert "le stockage privé n'a pas été modifié" in out.getvalue()
    assert not Group.objects.filter(name="Après la sauvegarde").exists()
    assert (private_root / "grants" / "2026" / "11" / "devis.pdf").read_bytes() == QUOTE  # untouched


def test_private_files_inside_the_media_folder_are_archived_once(tmp_path, settings, media_root, private_root):
    """As on S3, where the private prefix is a folder of the media bucket."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": media_root / "prive"},
        },
    }
    default_storage.save("lieux/photo.jpg", ContentFile(b"photo"))
    storages["private"].save("grants/devis.pdf", ContentFile(QUOTE))

    _, manifest = backup.create_backup(output_dir=tmp_path / "sauvegardes")

    assert sorted(name for name in manifest["members"] if not name.startswith("database/")) == [
        "media/lieux/photo.jpg",
        "private/grants/devis.pdf",
    ]
    assert (manifest["media"]["files"], manifest["private"]["files"]) == (1, 1)


def test_nested_folder_of_s3_storages():
    class Bucket:
        def __init__(self, bucket_name: str, location: str) -> None:
            self.bucket_name = bucket_name
            self.location = location

    assert backup._nested_folder(Bucket("cc", ""), Bucket("cc", "private")) == "private"
    assert backup._nested_folder(Bucket("cc", "media"), Bucket("cc", "media/prive/")) == "prive"
    assert backup._nested_folder(Bucket("cc", "media"), Bucket("cc", "private")) is None
    assert backup._nested_folder(Bucket("cc", ""), Bucket("autre", "private")) is None
    assert backup._nested_folder(Bucket("cc", "private"), Bucket("cc", "private")) is None


def test_restore_refuses_a_damaged_archive_and_changes_nothing(tmp_path, platform_data):
    archive = run_backup(tmp_path)
    db_member = next(name for name in read_archive(archive) if name.startswith("database/"))
    tampered = rewrite_archive(archive, lambda name, data: data + b"!" if name == db_member else data)
    Group.objects.create(name="Après la sauvegarde")

    with pytest.raises(CommandError, match="Archive refusée, rien n'a été modifié"):
        call_command("restore", str(tampered), "--yes", stdout=io.StringIO())

    assert Group.objects.filter(name="Après la sauvegarde").exists()


# --- The dumpdata fallback (both databases) and pg_dump (PostgreSQL) -------------------------------


def test_dumpdata_format_backs_up_restores_and_proves(tmp_path, platform_data):
    archive = run_backup(tmp_path, "--format", "dumpdata")
    manifest = json.loads(read_archive(archive)["manifest.json"])
    assert manifest["database"]["format"] == "dumpdata"
    assert "database/cybercantal.json" in manifest["members"]

    ok, report = restore_check(archive)
    assert ok, report

    before = table_counts()
    Group.objects.create(name="Après la sauvegarde")
    call_command("restore", str(archive), "--yes", stdout=io.StringIO())
    assert table_counts() == before
    assert not Group.objects.filter(name="Après la sauvegarde").exists()
    assert JournalEntry.objects.filter(action="role.granted").exists()


@pytest.mark.postgres
@needs_pg_dump
def test_postgresql_backup_uses_pg_dump_and_restores(tmp_path, platform_data):
    archive = run_backup(tmp_path, "--format", "native")
    manifest = json.loads(read_archive(archive)["manifest.json"])
    assert manifest["database"]["format"] == "pg_dump"
    assert read_archive(archive)["database/cybercantal.pgdump"].startswith(b"PGDMP")

    ok, report = restore_check(archive)
    assert ok, report
    assert "base PostgreSQL" in report
    assert "supprimée après la vérification" in report
    with connection.cursor() as cursor:
        cursor.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", ["%\\_verif\\_%"])
        assert cursor.fetchall() == []  # the scratch database is gone

    before = table_counts()
    journal.record(actor=None, action="after.backup")
    with connection.cursor() as cursor:  # a table created after the backup (a newer migration)
        cursor.execute("CREATE TABLE ops_test_newer (id integer)")
    call_command("restore", str(archive), "--yes", stdout=io.StringIO())

    assert table_counts() == before
    assert not JournalEntry.objects.filter(action="after.backup").exists()
    # The journal is still append-only after the restore: its trigger came back with it.
    with pytest.raises(Exception, match="ajout seul"), connection.cursor() as cursor:
        cursor.execute("UPDATE core_journalentry SET action = 'x'")


@pytest.mark.postgres
def test_native_format_on_postgresql_without_pg_dump_is_refused(tmp_path, platform_data, settings):
    settings.PG_BIN_DIR = str(tmp_path / "vide")
    with pytest.raises(CommandError, match="pg_dump est introuvable"):
        call_command("backup", "--output", str(tmp_path), "--format", "native", stdout=io.StringIO())

    archive = run_backup(tmp_path, "--format", "auto")  # auto falls back to dumpdata
    assert json.loads(read_archive(archive)["manifest.json"])["database"]["format"] == "dumpdata"
