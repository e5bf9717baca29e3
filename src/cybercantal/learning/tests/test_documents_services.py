"""Document spaces: quotas from the school, uploads checked by content, the quota to the
byte (and the database as the last guard), folders without cycles and with unique names,
deletes that free the quota and remove the file, and documents in use that stay."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cybercantal.core.journal import JournalEntry
from cybercantal.core.tests import samples

from ..models import Document, DocumentSpace, Folder, LessonResource
from ..services import documents as services
from .factories import HomeworkFactory, LessonFactory, UserFactory, make_staff
from .factories_documents import folder, upload

pytestmark = pytest.mark.django_db


def _file(content: bytes, name: str = "fichier") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- Spaces and quotas ---------------------------------------------------------------------------


def test_spaces_take_the_quota_of_the_school(school, teacher, student, school_staff):
    school.teacher_quota_bytes = 3_000_000
    school.student_quota_bytes = 1_000_000
    school.save()
    assert services.space_for(teacher).quota_bytes == 3_000_000
    assert services.space_for(student).quota_bytes == 1_000_000
    assert services.space_for(school_staff).quota_bytes == services.OTHER_QUOTA_BYTES
    assert services.space_for(UserFactory()).quota_bytes == services.OTHER_QUOTA_BYTES
    # Made once.
    assert services.space_for(student).pk == services.space_for(student).pk
    assert DocumentSpace.objects.filter(owner=student).count() == 1


def test_a_teacher_who_is_also_staff_gets_the_teachers_quota(school, teacher):
    make_staff(school)
    from .factories import add_member

    add_member(school, teacher, "staff")
    assert services.default_quota(teacher) == school.teacher_quota_bytes


@pytest.mark.parametrize(
    ("content", "family", "content_type"),
    [
        (samples.pdf(), "pdf", "application/pdf"),
        (samples.image("PNG"), "image", "image/png"),
        (samples.mp3(), "audio", "audio/mpeg"),
        (samples.ogg(), "audio", "audio/ogg"),
        (samples.wav(), "audio", "audio/wav"),
        (samples.m4a(), "audio", "audio/mp4"),
        (samples.mp4(), "video", "video/mp4"),
        (samples.webm(), "video", "video/webm"),
        (samples.odf(), "office", "application/vnd.oasis.opendocument.text"),
        (samples.ooxml("xlsx"), "office", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (samples.text(), "text", "text/plain; charset=utf-8"),
    ],
)
def test_each_kind_is_stored_as_what_it_is(student, content, family, content_type):
    document = upload(student, content, name="sans-extension")
    assert document.kind == family
    assert document.content_type == content_type
    assert document.size == len(content)
    assert len(document.sha256) == 64
    assert document.file.storage.exists(document.file.name)
    assert document.file.read() == content
    document.file.close()
    assert DocumentSpace.objects.get(owner=student).used_bytes == len(content)
    assert JournalEntry.objects.filter(action="learning.document.uploaded", target_id=str(document.pk)).exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("chanson.mp3", samples.HTML, "page web"),
        ("film.mp4", samples.EXECUTABLE, "programme"),
        ("cours.odt", samples.odf()[:-40], "abîmé"),
        ("vide.txt", b"", "est vide"),
        ("macro.docx", samples.ooxml("docm"), "macros"),
    ],
)
def test_impostors_are_refused_and_leave_nothing(student, name, content, message):
    space = services.space_for(student)
    with pytest.raises(ValidationError, match=message):
        services.document_upload(actor=student, space=space, folder=None, file=_file(content, name))
    assert not Document.objects.exists()
    space.refresh_from_db()
    assert space.used_bytes == 0


def test_a_wav_named_mp3_is_stored_under_its_real_extension(student):
    document = upload(student, samples.wav(), name="dictée.mp3")
    assert document.name == "dictée.wav"
    assert services.download_name(document) == "dictée.wav"


def test_the_quota_holds_to_the_byte(student):
    content = samples.pdf()
    space = services.space_for(student)
    DocumentSpace.objects.filter(pk=space.pk).update(quota_bytes=2 * len(content))
    space.refresh_from_db()
    upload(student, content)
    upload(student, content, name="deuxième.pdf")  # exactly full
    space.refresh_from_db()
    assert space.used_bytes == space.quota_bytes
    DocumentSpace.objects.filter(pk=space.pk).update(quota_bytes=3 * len(content) - 1)
    space.refresh_from_db()
    with pytest.raises(ValidationError, match="Votre espace est plein") as error:
        services.document_upload(actor=student, space=space, folder=None, file=_file(content, "troisième.pdf"))
    assert "il reste" in error.value.messages[0]
    assert Document.objects.count() == 2


def test_the_database_refuses_what_the_lock_would_have_missed(student, monkeypatch):
    """If the locked read were wrong, the check constraint still says no, in French, and the
    stored file is removed."""
    content = samples.pdf()
    space = services.space_for(student)
    DocumentSpace.objects.filter(pk=space.pk).update(quota_bytes=len(content) + 10, used_bytes=20)

    stale = DocumentSpace(pk=space.pk, owner=student, quota_bytes=len(content) + 10, used_bytes=0)

    class Stale:
        def get(self):
            return stale

    monkeypatch.setattr(services, "lock_for_update", lambda queryset: Stale())
    monkeypatch.setattr(services.secrets, "token_hex", lambda n: "course-au-quota")
    space.used_bytes = 0  # the caller's copy is stale too
    with pytest.raises(ValidationError, match="Votre espace est plein"):
        services.document_upload(actor=student, space=space, folder=None, file=_file(content, "fiche.pdf"))
    assert not Document.objects.exists()
    storage = Document._meta.get_field("file").storage
    stored = Document._meta.get_field("file").generate_filename(None, "course-au-quota.pdf")
    assert not storage.exists(stored)
    assert DocumentSpace.objects.get(pk=space.pk).used_bytes == 20


def test_one_file_has_a_size_limit(student, settings):
    settings.LEARNING_DOCUMENT_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="le maximum est"):
        upload(student, samples.pdf())


def test_only_the_owner_uploads_into_a_space(student, teacher):
    space = services.space_for(student)
    with pytest.raises(PermissionDenied):
        services.document_upload(actor=teacher, space=space, folder=None, file=_file(samples.pdf()))
    other_folder = folder(teacher, "Mes cours")
    with pytest.raises(ValidationError, match="pas dans votre espace"):
        services.document_upload(actor=student, space=space, folder=other_folder, file=_file(samples.pdf()))


# --- Folders -------------------------------------------------------------------------------------


def test_folder_names_are_unique_per_parent_whatever_the_case(teacher):
    maths = folder(teacher, "Maths")
    with pytest.raises(ValidationError, match="existe déjà"):
        folder(teacher, "MATHS")
    inside = folder(teacher, "Maths", parent=maths)  # another parent: fine
    with pytest.raises(ValidationError, match="existe déjà"):
        folder(teacher, "maths", maths)
    other = folder(teacher, "Français")
    with pytest.raises(ValidationError, match="existe déjà"):
        services.folder_rename(actor=teacher, folder=other, name="Maths")
    with pytest.raises(ValidationError, match="existe déjà"):
        services.folder_move(actor=teacher, folder=inside, parent=None)


def test_folders_never_go_into_themselves(teacher):
    a = folder(teacher, "A")
    b = folder(teacher, "B", parent=a)
    c = folder(teacher, "C", parent=b)
    for target in (a, b, c):
        with pytest.raises(ValidationError, match="ni dans l'un de ses sous-dossiers"):
            services.folder_move(actor=teacher, folder=a, parent=target)
    services.folder_move(actor=teacher, folder=c, parent=None)
    assert Folder.objects.get(pk=c.pk).parent_id is None


def test_folders_are_not_nested_without_end(teacher):
    parent = None
    for level in range(services.MAX_DEPTH):
        parent = folder(teacher, f"Niveau {level}", parent=parent)
    with pytest.raises(ValidationError, match="plus de 8 dossiers"):
        folder(teacher, "Trop loin", parent=parent)
    deep = folder(teacher, "Court")
    folder(teacher, "Dedans", parent=deep)
    with pytest.raises(ValidationError, match="plus de 8 dossiers"):
        services.folder_move(actor=teacher, folder=deep, parent=parent)


def test_one_cannot_touch_the_folders_of_someone_else(teacher, student):
    mine = folder(student, "Mes exposés")
    theirs = folder(teacher, "Cours")
    with pytest.raises(PermissionDenied):
        services.folder_rename(actor=teacher, folder=mine, name="Volé")
    with pytest.raises(PermissionDenied):
        services.folder_move(actor=student, folder=mine, parent=theirs)
    with pytest.raises(PermissionDenied):
        services.folder_delete(actor=teacher, folder=mine)


def test_deleting_a_folder_frees_its_documents_quota_and_files(teacher, django_capture_on_commit_callbacks):
    maths = folder(teacher, "Maths")
    inner = folder(teacher, "Fractions", parent=maths)
    first = upload(teacher, samples.pdf(), folder=maths)
    second = upload(teacher, samples.wav(), name="son.wav", folder=inner)
    kept = upload(teacher, samples.text(), name="notes.txt")
    names = [first.file.name, second.file.name]
    with django_capture_on_commit_callbacks(execute=True):
        assert services.folder_delete(actor=teacher, folder=maths) == 2
    assert list(Document.objects.all()) == [kept]
    assert not Folder.objects.exists()
    assert DocumentSpace.objects.get(owner=teacher).used_bytes == kept.size
    storage = kept.file.storage
    assert not any(storage.exists(name) for name in names)
    assert storage.exists(kept.file.name)


# --- Documents -----------------------------------------------------------------------------------


def test_rename_and_move_a_document(teacher):
    target = folder(teacher, "Ressources")
    document = upload(teacher, samples.pdf(), name="fiche.pdf")
    services.document_rename(actor=teacher, document=document, name="  Fiche   méthode ")
    assert Document.objects.get(pk=document.pk).name == "Fiche méthode.pdf"
    services.document_move(actor=teacher, document=document, folder=target)
    assert Document.objects.get(pk=document.pk).folder == target
    services.document_move(actor=teacher, document=document, folder=None)
    assert Document.objects.get(pk=document.pk).folder is None
    with pytest.raises(ValidationError, match="Donnez un nom"):
        services.document_rename(actor=teacher, document=document, name=" \u202e ")


def test_deleting_frees_the_quota_and_removes_the_file_after_commit(student, django_capture_on_commit_callbacks):
    document = upload(student, samples.pdf())
    storage, name = document.file.storage, document.file.name
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.document_delete(actor=student, document=document)
    assert storage.exists(name)  # not before the commit
    for callback in callbacks:
        callback()
    assert not storage.exists(name)
    assert DocumentSpace.objects.get(owner=student).used_bytes == 0
    assert JournalEntry.objects.filter(action="learning.document.deleted").exists()


def test_a_document_used_by_a_lesson_or_homework_stays(teacher, klass):
    document = upload(teacher, samples.pdf(), name="fiche.pdf")
    lesson = LessonFactory(title="Les fractions", course__title="Mathématiques 5e B", course__school_class=klass)
    LessonResource.objects.create(lesson=lesson, kind="document", title="Fiche", document=document)
    homework = HomeworkFactory(
        school_class=klass, title="Exercices p. 42", due_on=dt.date(2030, 3, 5), given_on=dt.date(2030, 3, 1)
    )
    homework.attachments.add(document)
    with pytest.raises(ValidationError) as error:
        services.document_delete(actor=teacher, document=document)
    message = error.value.messages[0]
    assert "la leçon « Les fractions » du cours « Mathématiques 5e B »" in message
    assert "le devoir « Exercices p. 42 » de la classe 5e B pour le mardi 5 mars 2030" in message
    assert Document.objects.filter(pk=document.pk).exists()
    box = folder(teacher, "Boîte")
    services.document_move(actor=teacher, document=document, folder=box)
    with pytest.raises(ValidationError, match="contient des documents utilisés"):
        services.folder_delete(actor=teacher, folder=box)
    assert Folder.objects.filter(pk=box.pk).exists()


def test_someone_else_cannot_rename_move_or_delete(student, teacher):
    document = upload(student, samples.pdf())
    for call in (
        lambda: services.document_rename(actor=teacher, document=document, name="x"),
        lambda: services.document_move(actor=teacher, document=document, folder=None),
        lambda: services.document_delete(actor=teacher, document=document),
    ):
        with pytest.raises(PermissionDenied):
            call()


# --- Names (fuzz) ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\Users\\moi\\devoir.pdf", "devoir.pdf"),
        ("facture\u202egpj.exe", "facturegpj.pdf"),  # no bidirectional override: it shows what it is
        ("\u05e9\u05dc\u05d5\u05dd.pdf", "\u05e9\u05dc\u05d5\u05dd.pdf"),  # Hebrew stays
        ("exposé\x00.pdf", "exposé.pdf"),
        ("..", "document.pdf"),
        ("", ""),
        ("  .cache  ", "cache.pdf"),
        ("🎵 ma chanson.pdf", "🎵 ma chanson.pdf"),
    ],
)
def test_names_are_cleaned(student, raw, expected):
    space = services.space_for(student)
    document = services.document_upload(
        actor=student, space=space, folder=None, file=_file(samples.pdf(), "envoi.pdf"), name=raw
    )
    assert document.name == (expected if raw else "envoi.pdf")
    if services.clean_name(raw, max_length=200):
        services.document_rename(actor=student, document=document, name=raw)
        assert Document.objects.get(pk=document.pk).name == expected
    else:
        with pytest.raises(ValidationError, match="Donnez un nom"):
            services.document_rename(actor=student, document=document, name=raw)


def test_huge_names_are_cut_keeping_the_extension(student):
    document = upload(student, samples.pdf(), name="a" * 5000 + ".pdf")
    assert len(document.name) == 200
    assert document.name.endswith(".pdf")
    with pytest.raises(ValidationError):
        folder(student, "\u200b\u202e")
    assert len(folder(student, "b" * 1000).name) == 120


def test_orphan_files_are_removed_but_not_recent_ones_nor_documents(student):
    import os
    import time

    from django.core.files.base import ContentFile

    kept = upload(student, samples.pdf())
    storage = kept.file.storage
    old = storage.save("ent/2020/01/orphelin.pdf", ContentFile(b"%PDF-1.4 orphan"))
    recent = storage.save("ent/2020/01/en-cours.pdf", ContentFile(b"%PDF-1.4 uploading"))
    past = time.time() - 3 * 86400
    os.utime(storage.path(old), (past, past))
    os.utime(storage.path(kept.file.name), (past, past))
    assert services.orphan_files_remove() >= 1
    assert not storage.exists(old)
    assert storage.exists(recent)
    assert storage.exists(kept.file.name)
    storage.delete(recent)
