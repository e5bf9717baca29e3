"""A teacher imports the pupils of the classes she teaches and prints their activation
letters; the school's staff keep every other import. Per role: the class's teacher
(allowed), a teacher of another class (row errors, letters refused), a teacher of another
school, a pupil, a parent (403), the staff (unchanged)."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from cybercantal.accounts.services import NotAllowed

from ..imports import ImportFileError, parse
from ..models import Enrolment, ImportRun, SchoolMember
from ..services import provisioning as services
from .factories import SchoolClassFactory, make_student, make_teacher
from .factories_provisioning import group, students_csv, teachers_csv

User = get_user_model()

MY_CLASS = [
    ["4512", "Teyssedou", "Hugo", "5e B", "", ""],
    ["4513", "Vermenouze", "Léa", "5e B", "", ""],
]


@pytest.fixture
def quatre_a(school):
    return SchoolClassFactory(school=school, name="4e A", level="4e")


@pytest.fixture
def latin(school):
    return group(school, "Latin 5e")


@pytest.fixture
def colleague(quatre_a, maths):
    """A teacher of the same school who teaches 4e A, not 5e B."""
    return make_teacher(quatre_a, maths, first_name="Paul", last_name="Rouchy")


def upload(client, school, data: bytes, kind: str = "students"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/ent/etablissements/{school.uai}/imports/",
        {"action": "upload", "kind": kind, "file": SimpleUploadedFile("5eB.csv", data, content_type="text/csv")},
    )


def confirm(client, school, preview, **extra):  # type: ignore[no-untyped-def]
    token = preview.context["form"]["token"].value()
    return client.post(
        f"/ent/etablissements/{school.uai}/imports/", {"action": "confirm", "token": token, **extra}, follow=True
    )


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    """The page as read: entities decoded, runs of white space as one space."""
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


# --- the class's teacher -----------------------------------------------------------------------------


def test_teacher_imports_her_class_then_prints_its_letters(client, teacher, school, klass, student) -> None:
    client.force_login(teacher)
    page = client.get(f"/ent/etablissements/{school.uai}/imports/")
    assert page.status_code == 200
    text = text_of(page)
    assert "Chaque ligne doit nommer une de vos classes" in text
    assert 'value="students"' in text
    assert 'value="teachers"' not in text
    assert 'value="parents"' not in text
    assert "Modèle élèves" in text
    assert "Modèle enseignants" not in text
    assert "Lettres de 5e B" in text

    preview = upload(client, school, students_csv(MY_CLASS))
    assert preview.status_code == 200
    text = text_of(preview)
    assert "Aperçu de l'import" in text
    assert "Léa Vermenouze (5e B)" in text
    assert "absents du fichier" not in text  # a teacher's file is not the whole school
    assert not User.objects.filter(last_name="Vermenouze").exists()
    done = confirm(client, school, preview, mark_leavers="on")
    assert "Import terminé (5eB.csv) : 2 créés, 0 mis à jour, 0 inchangés, 0 départs." in text_of(done)
    # The pupil of the fixture was not in the file: still there (no departure from a teacher).
    assert SchoolMember.objects.get(user=student).left_on is None
    lea = SchoolMember.objects.get(school=school, external_id="4513").user
    assert set(Enrolment.objects.filter(student=lea).values_list("school_class", flat=True)) == {klass.pk}
    run = ImportRun.objects.get()
    assert (run.actor, run.created) == (teacher, 2)

    # Idempotent: the same file again changes nothing.
    again = confirm(client, school, upload(client, school, students_csv(MY_CLASS)))
    assert "0 créés, 0 mis à jour, 2 inchangés" in text_of(again)
    assert User.objects.filter(last_name="Vermenouze").count() == 1

    letters = client.post(
        f"/ent/classes/{klass.pk}/lettres/", {"audience": "students", "scope": "new", "confirm": "on"}
    )
    assert letters.status_code == 200
    assert letters["Content-Type"] == "application/pdf"
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(letters.content)).pages]
    assert len(pages) == 2  # the two new pupils; the fixture's pupil is already activated
    assert "léa.vermenouze" not in pages[1]
    assert "lea.vermenouze" in pages[1]
    assert "Hugo Teyssedou" in pages[0]


def test_row_naming_a_class_she_does_not_teach(client, teacher, school, klass, quatre_a) -> None:
    client.force_login(teacher)
    rows = [*MY_CLASS, ["4390", "Delort", "Mathis", "4e A", "", ""]]
    response = upload(client, school, students_csv(rows))
    assert response.status_code == 400
    text = text_of(response)
    assert "Rien n'est importé" in text
    assert re.search(r"<td> 4 </td> <td>Classe</td> <td>vous n'enseignez pas en « 4e A »", text)
    assert not User.objects.filter(last_name__in=["Vermenouze", "Delort"]).exists()  # all or nothing
    assert not ImportRun.objects.exists()


def test_moving_a_pupil_of_another_class_is_refused(client, teacher, school, klass, quatre_a) -> None:
    other = make_student(quatre_a, first_name="Mathis", last_name="Delort")
    SchoolMember.objects.filter(user=other).update(external_id="4390")
    client.force_login(teacher)
    response = upload(client, school, students_csv([["4390", "Delort", "Mathis", "5e B", "", ""]]))
    assert response.status_code == 400
    text = text_of(response)
    assert "l'élève n° 4390 est inscrit dans une autre classe" in text
    assert "4e A" not in text.split("import-problems", 1)[1].split("</table>", 1)[0]  # nothing told of the other class
    assert set(Enrolment.objects.filter(student=other).values_list("school_class", flat=True)) == {quatre_a.pk}


def test_departures_and_groups_stay_with_the_staff(teacher, school, klass, latin) -> None:
    with pytest.raises(ImportFileError) as caught:
        services.import_plan(
            actor=teacher,
            school=school,
            parsed=parse("students", students_csv([["1", "A", "B", "5e B", "", "01/01/2027"]])),
        )
    assert caught.value.problems[0].column == "Date de sortie"
    assert caught.value.problems[0].line == 2
    with pytest.raises(ImportFileError, match="vous n'enseignez pas en « Latin 5e »"):
        services.import_plan(
            actor=teacher,
            school=school,
            parsed=parse("students", students_csv([["1", "A", "B", "5e B", "Latin 5e", ""]])),
        )
    with pytest.raises(NotAllowed):
        services.import_plan(
            actor=teacher,
            school=school,
            parsed=parse("teachers", teachers_csv([["E1", "Rouchy", "Paul", "p@example.fr", "MATHS", "5e B", ""]])),
        )


def test_her_import_keeps_the_groups_she_does_not_teach(teacher, school_staff, school, klass, latin) -> None:
    services.people_import(
        actor=school_staff,
        school=school,
        parsed=parse("students", students_csv([["4512", "Teyssedou", "Hugo", "5e B", "Latin 5e", ""]])),
        file_name="college.csv",
    )
    run = services.people_import(
        actor=teacher,
        school=school,
        parsed=parse("students", students_csv([["4512", "Teyssèdou", "Hugo", "5e B", "", ""]])),
        file_name="5eB.csv",
        mark_leavers=True,
    )
    assert (run.created, run.updated, run.left) == (0, 1, 0)  # the name only
    hugo = SchoolMember.objects.get(external_id="4512").user
    assert hugo.last_name == "Teyssèdou"
    assert set(Enrolment.objects.filter(student=hugo).values_list("school_class", flat=True)) == {klass.pk, latin.pk}


def test_teacher_sees_only_her_imports_and_classes(client, teacher, school_staff, school, klass, quatre_a) -> None:
    ImportRun.objects.create(school=school, kind="teachers", file_name="sts-web.csv", actor=school_staff)
    client.force_login(teacher)
    text = text_of(client.get(f"/ent/etablissements/{school.uai}/imports/"))
    assert "sts-web.csv" not in text
    assert "Lettres de 5e B" in text
    assert "Lettres de 4e A" not in text
    client.force_login(school_staff)
    text = text_of(client.get(f"/ent/etablissements/{school.uai}/imports/"))
    assert "sts-web.csv" in text
    assert "Lettres de 4e A" in text


def test_links_from_her_home_and_class_page(client, teacher, school, klass) -> None:
    client.force_login(teacher)
    home = text_of(client.get("/ent/"))
    assert f'href="/ent/etablissements/{school.uai}/imports/"' in home
    assert "Importer la liste de 5e B" in home
    assert f'href="/ent/classes/{klass.pk}/lettres/"' in home
    class_page = text_of(client.get(f"/ent/classes/{klass.pk}/"))
    assert "Importer la liste des élèves" in class_page
    assert f'href="/ent/etablissements/{school.uai}/imports/"' in class_page


# --- other roles -------------------------------------------------------------------------------------


def test_teacher_of_another_class(client, colleague, school, klass, quatre_a) -> None:
    client.force_login(colleague)
    assert client.get(f"/ent/etablissements/{school.uai}/imports/").status_code == 200
    response = upload(client, school, students_csv(MY_CLASS))
    assert response.status_code == 400
    text = text_of(response)
    for line in (2, 3):
        assert re.search(rf"<td> {line} </td> <td>Classe</td> <td>vous n'enseignez pas en « 5e B »", text)
    assert client.get(f"/ent/classes/{klass.pk}/lettres/").status_code == 403
    post = client.post(f"/ent/classes/{klass.pk}/lettres/", {"audience": "students", "scope": "all", "confirm": "on"})
    assert post.status_code == 403
    assert client.get(f"/ent/classes/{quatre_a.pk}/lettres/").status_code == 200


@pytest.mark.parametrize("role", ["student", "parent", "outsider_teacher"])
def test_pupil_parent_and_outsider_are_refused(request, client, role, school, klass) -> None:
    client.force_login(request.getfixturevalue(role))
    assert client.get(f"/ent/etablissements/{school.uai}/imports/").status_code == 403
    assert upload(client, school, students_csv(MY_CLASS)).status_code == 403
    assert client.get(f"/ent/classes/{klass.pk}/lettres/").status_code == 403
    post = client.post(f"/ent/classes/{klass.pk}/lettres/", {"audience": "students", "scope": "all", "confirm": "on"})
    assert post.status_code == 403
    assert not User.objects.filter(last_name="Vermenouze").exists()


def test_teacher_posting_another_kind_is_refused(client, teacher, school, klass) -> None:
    client.force_login(teacher)
    data = teachers_csv([["E1", "Rouchy", "Paul", "p@example.fr", "MATHS", "5e B", ""]])
    response = upload(client, school, data, kind="teachers")
    assert response.status_code == 400
    assert not User.objects.filter(email="p@example.fr").exists()


def test_staff_unchanged(client, school_staff, school, klass, quatre_a, student) -> None:
    SchoolMember.objects.filter(user=student).update(external_id="1")
    client.force_login(school_staff)
    text = text_of(client.get(f"/ent/etablissements/{school.uai}/imports/"))
    assert 'value="teachers"' in text
    assert 'value="parents"' in text
    preview = upload(client, school, students_csv([*MY_CLASS, ["4390", "Delort", "Mathis", "4e A", "", ""]]))
    assert preview.status_code == 200
    assert "1 élève du collège n'est pas dans ce fichier" in text_of(preview)
    done = confirm(client, school, preview, mark_leavers="on")
    assert "3 créés, 0 mis à jour, 0 inchangés, 1 départs" in text_of(done)
    assert SchoolMember.objects.get(user=student).left_on is not None
    assert client.get(f"/ent/classes/{quatre_a.pk}/lettres/").status_code == 200
