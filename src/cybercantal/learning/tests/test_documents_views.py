"""The pages of the document space, per role, and what they refuse: someone else's file
is never sent, the private files are not under MEDIA_URL or STATIC_URL, bad ids are 404."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cybercantal.core.tests import samples

from ..models import Document, DocumentSpace, Folder
from ..services import documents as services
from .factories import make_student
from .factories_documents import folder, upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _responses_keep_the_test_connection():
    """Closing a response sends ``request_finished``, which closes the database connection
    (on PostgreSQL, the test's transaction with it): as the test client does, not here."""
    from django.core.signals import request_finished
    from django.db import close_old_connections

    request_finished.disconnect(close_old_connections)
    yield
    request_finished.connect(close_old_connections)


ROLES = [
    "anonymous",
    "owner",
    "classmate",
    "outsider_student",
    "teacher",
    "outsider_teacher",
    "parent",
    "staff",
    "head",
]


@pytest.fixture
def people(student, klass, teacher, outsider_teacher, outsider_student, parent, school_staff, head):
    return {
        "anonymous": None,
        "owner": student,
        "classmate": make_student(klass),
        "outsider_student": outsider_student,
        "teacher": teacher,
        "outsider_teacher": outsider_teacher,
        "parent": parent,
        "staff": school_staff,
        "head": head,
    }


def _client(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 302),
        ("owner", 200),
        ("classmate", 200),
        ("teacher", 200),
        ("outsider_teacher", 200),
        ("parent", 403),
        ("staff", 200),
        ("head", 200),
    ],
)
def test_every_person_of_a_college_has_a_space_parents_do_not(client, people, role, status):
    response = _client(client, people[role]).get(reverse("learning:documents"))
    assert response.status_code == status
    if role == "parent":
        assert "Les parents n’ont pas d’espace de documents" in response.content.decode()
    if status == 200:
        assert DocumentSpace.objects.filter(owner=people[role]).exists()


def test_a_person_of_no_college_gets_403(client):
    from .factories import UserFactory

    response = _client(client, UserFactory()).get(reverse("learning:documents"))
    assert response.status_code == 403


@pytest.mark.parametrize("role", ROLES)
def test_only_the_owner_reaches_a_document_and_its_pages(client, people, role):
    document = upload(people["owner"], samples.wav(), name="dictée.wav")
    box = folder(people["owner"], "Exposés")
    urls = [
        reverse("learning:document", args=[document.pk]),
        reverse("learning:document_download", args=[document.pk, "dictée.wav"]),
        reverse("learning:document_rename", args=[document.pk]),
        reverse("learning:document_move", args=[document.pk]),
        reverse("learning:document_delete", args=[document.pk]),
        reverse("learning:folder", args=[box.pk]),
        reverse("learning:folder_rename", args=[box.pk]),
        reverse("learning:folder_move", args=[box.pk]),
        reverse("learning:folder_delete", args=[box.pk]),
    ]
    c = _client(client, people[role])
    content = document.file.read()
    document.file.close()
    for url in urls:
        response = c.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if role == "anonymous":
            assert response.status_code == 302
            assert "/compte/" in response["Location"] or "login" in response["Location"]
        elif role == "owner":
            assert response.status_code == 200, url
        else:
            assert response.status_code == 403, url
            assert content not in body
    # Nobody but the owner deletes.
    if role != "owner":
        c.post(reverse("learning:document_delete", args=[document.pk]))
        c.post(reverse("learning:folder_delete", args=[box.pk]))
        assert Document.objects.filter(pk=document.pk).exists()
        assert Folder.objects.filter(pk=box.pk).exists()


def test_the_space_page_shows_figures_in_words(client, student):
    box = folder(student, "Exposés")
    upload(student, samples.pdf(), name="exposé.pdf")
    page = _client(client, student).get(reverse("learning:documents")).content.decode()
    assert "ko utilisés sur 200\u00a0Mo (0 %) : il reste 200\u00a0Mo." in page
    assert "il reste" in page
    assert "<progress" in page
    assert "exposé.pdf" in page
    assert reverse("learning:folder", args=[box.pk]) in page
    assert "<caption>" in page


def test_the_space_page_does_not_grow_in_queries(client, student, django_assert_max_num_queries):
    c = _client(client, student)
    box = folder(student, "Exposés")
    upload(student, samples.pdf())
    c.get(reverse("learning:documents"))
    for index in range(15):
        upload(student, samples.pdf(), name=f"fiche {index}.pdf")
        folder(student, f"Dossier {index}")
    upload(student, samples.pdf(), folder=box)
    with django_assert_max_num_queries(14):
        response = c.get(reverse("learning:documents"))
    assert response.status_code == 200


def test_upload_several_files_without_javascript(client, student):
    box = folder(student, "Exposés")
    c = _client(client, student)
    response = c.post(
        reverse("learning:document_upload"),
        {
            "dossier": box.pk,
            "files": [
                SimpleUploadedFile("exposé.pdf", samples.pdf()),
                SimpleUploadedFile("son.ogg", samples.ogg()),
            ],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("learning:folder", args=[box.pk])
    assert set(Document.objects.filter(folder=box).values_list("name", flat=True)) == {"exposé.pdf", "son.ogg"}
    page = c.get(response["Location"]).content.decode()
    assert "« exposé.pdf » est enregistré" in page


def test_a_bad_file_is_reported_next_to_the_field_and_the_good_one_kept(client, student):
    c = _client(client, student)
    response = c.post(
        reverse("learning:document_upload"),
        {"files": [SimpleUploadedFile("chanson.mp3", samples.HTML), SimpleUploadedFile("bon.wav", samples.wav())]},
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "n'est pas un fichier" in page
    assert 'aria-describedby="id_files_helptext id_files_error"' in page or "id_files_error" in page
    assert list(Document.objects.values_list("name", flat=True)) == ["bon.wav"]


def test_upload_answers_json_for_the_progress_script(client, student):
    c = _client(client, student)
    response = c.post(
        reverse("learning:document_upload"),
        {"files": [SimpleUploadedFile("x.mp3", samples.EXECUTABLE)]},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "programme" in response.json()["errors"][0]
    response = c.post(
        reverse("learning:document_upload"),
        {"files": [SimpleUploadedFile("x.wav", samples.wav())]},
        headers={"Accept": "application/json"},
    )
    assert response.json() == {"sent": ["x.wav"], "errors": [], "redirect": reverse("learning:documents")}


def test_an_empty_post_says_a_file_is_needed(client, student):
    response = _client(client, student).post(reverse("learning:document_upload"), {})
    assert response.status_code == 400
    assert "Choisissez au moins un fichier" in response.content.decode()


def test_quota_full_is_said_in_french(client, student):
    space = services.space_for(student)
    DocumentSpace.objects.filter(pk=space.pk).update(quota_bytes=1000)
    response = _client(client, student).post(
        reverse("learning:document_upload"), {"files": [SimpleUploadedFile("a.pdf", samples.pdf())]}
    )
    assert "Votre espace est plein" in response.content.decode()
    assert not Document.objects.exists()


def test_uploading_into_someone_elses_folder_is_refused(client, student, teacher):
    theirs = folder(teacher, "Cours")
    response = _client(client, student).post(
        reverse("learning:document_upload"),
        {"dossier": theirs.pk, "files": [SimpleUploadedFile("a.pdf", samples.pdf())]},
    )
    assert response.status_code == 403
    assert not Document.objects.exists()


def test_folder_pages_create_rename_move_delete(client, student):
    c = _client(client, student)
    response = c.post(reverse("learning:folder_create"), {"name": "Histoire"})
    assert response.status_code == 302
    history = Folder.objects.get(name="Histoire")
    c.post(reverse("learning:folder_create"), {"name": "Rome", "dossier": history.pk})
    rome = Folder.objects.get(name="Rome")
    assert rome.parent == history
    response = c.post(reverse("learning:folder_create"), {"name": "histoire"})
    assert response.status_code == 400
    assert "existe déjà" in response.content.decode()
    response = c.post(reverse("learning:folder_move", args=[history.pk]), {"destination": rome.pk})
    assert response.status_code == 400
    assert (
        "ni dans l’un de ses sous-dossiers" in response.content.decode() or "sous-dossiers" in response.content.decode()
    )
    c.post(reverse("learning:folder_rename", args=[rome.pk]), {"name": "Rome antique"})
    assert Folder.objects.get(pk=rome.pk).name == "Rome antique"
    c.post(reverse("learning:folder_move", args=[rome.pk]), {"destination": "racine"})
    assert Folder.objects.get(pk=rome.pk).parent is None
    page = c.get(reverse("learning:folder_delete", args=[history.pk])).content.decode()
    assert "Supprimer définitivement" in page
    c.post(reverse("learning:folder_delete", args=[history.pk]))
    assert not Folder.objects.filter(pk=history.pk).exists()


def test_document_pages_play_show_and_delete(client, student, klass):
    c = _client(client, student)
    sound = upload(student, samples.wav(), name="dictée.wav")
    video = upload(student, samples.webm(), name="film.webm")
    picture = upload(student, samples.image("PNG"), name="figure.png")
    sheet = upload(student, samples.pdf(), name="fiche.pdf")
    text = upload(student, samples.text(), name="notes.txt")
    assert "<audio controls" in c.get(reverse("learning:document", args=[sound.pk])).content.decode()
    assert "<video controls" in c.get(reverse("learning:document", args=[video.pk])).content.decode()
    assert '<img src="' in c.get(reverse("learning:document", args=[picture.pk])).content.decode()
    assert "Ouvrir le PDF" in c.get(reverse("learning:document", args=[sheet.pk])).content.decode()
    assert "téléchargez-le" in c.get(reverse("learning:document", args=[text.pk])).content.decode()
    response = c.get(
        reverse("learning:document_download", args=[sound.pk, "dictée.wav"]), headers={"Range": "bytes=0-3"}
    )
    assert response.status_code == 206
    assert b"".join(response.streaming_content) == b"RIFF"
    response = c.get(reverse("learning:document_download", args=[sound.pk, "x"]) + "?telecharger=1")
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content).startswith(b"RIFF")  # read to the end: the client closes it
    c.post(reverse("learning:document_rename", args=[sound.pk]), {"name": "Dictée du lundi"})
    assert Document.objects.get(pk=sound.pk).name == "Dictée du lundi.wav"
    box = folder(student, "Sons")
    c.post(reverse("learning:document_move", args=[sound.pk]), {"destination": box.pk})
    assert Document.objects.get(pk=sound.pk).folder == box
    response = c.post(reverse("learning:document_move", args=[sound.pk]), {"destination": "999999"})
    assert response.status_code == 400
    c.post(reverse("learning:document_delete", args=[sound.pk]))
    assert not Document.objects.filter(pk=sound.pk).exists()


def test_a_used_document_cannot_be_deleted_from_its_page(client, teacher, klass):
    from .factories import HomeworkFactory

    document = upload(teacher, samples.pdf(), name="fiche.pdf")
    HomeworkFactory(school_class=klass, title="Exercices p. 42").attachments.add(document)
    c = _client(client, teacher)
    page = c.get(reverse("learning:document_delete", args=[document.pk])).content.decode()
    assert "Exercices p. 42" in page
    assert "Supprimer définitivement" not in page
    response = c.post(reverse("learning:document_delete", args=[document.pk]))
    assert response.status_code == 400
    assert Document.objects.filter(pk=document.pk).exists()


@pytest.mark.parametrize("bad", ["0", "99999999", "999999999999999999"])
def test_ids_that_do_not_exist_are_404(client, student, bad):
    c = _client(client, student)
    for name in ("learning:document", "learning:document_delete", "learning:folder", "learning:folder_rename"):
        assert c.get(reverse(name, args=[bad])).status_code == 404
    assert c.get(f"/ent/documents/{bad}9999/x.pdf").status_code == 404
    assert c.post(reverse("learning:document_upload"), {"dossier": "1e5"}).status_code == 404
    assert c.post(reverse("learning:document_upload"), {"dossier": "\x00"}).status_code == 404


def test_private_files_are_not_under_media_or_static(client, student):
    document = upload(student, samples.pdf())
    stored = Path(document.file.path).resolve()
    for root in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        assert Path(root).resolve() not in stored.parents
    for prefix in (settings.MEDIA_URL, settings.STATIC_URL, "/private/"):
        response = _client(client, student).get(f"{prefix}{document.file.name}")
        assert response.status_code == 404
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert not body.startswith(b"%PDF")
