"""The pages of the part "provisioning": who may open each (per role), the import in two
steps (preview, confirm), letters and resets as PDF, activation and sign-in with their
rate limits."""

from __future__ import annotations

import html
import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from ..imports import MAX_BYTES
from ..models import EntAccount, ImportRun, SchoolMember
from ..services import provisioning as services
from .factories_provisioning import students_csv

User = get_user_model()
PASSWORD = "girafe-volcan-tartine"
ROLES = ["anonymous", "student", "parent", "teacher", "outsider_teacher", "school_staff", "head"]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def as_role(request, client, role: str):  # type: ignore[no-untyped-def]
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return client


# --- per-role access ---------------------------------------------------------------------------

# A teacher of the school imports the pupils of her classes (test_provisioning_teacher.py).
IMPORT = {"anonymous": 302, "student": 403, "parent": 403, "teacher": 200, "outsider_teacher": 403,
          "school_staff": 200, "head": 200}  # fmt: skip
LETTERS = {**IMPORT, "teacher": 200}
RESET = {**IMPORT, "teacher": 200}


@pytest.mark.parametrize("role", ROLES)
def test_access_table(request, client, role, school, klass, student, parent, teacher) -> None:
    as_role(request, client, role)
    assert client.get(f"/ent/etablissements/{school.uai}/imports/").status_code == IMPORT[role]
    assert client.get(f"/ent/classes/{klass.pk}/lettres/").status_code == LETTERS[role]
    assert client.get(f"/ent/eleves/{student.pk}/reinitialiser/").status_code == RESET[role]
    assert client.get("/ent/imports/modele-eleves.csv").status_code == 200
    sign_in = client.get("/ent/connexion/").status_code
    assert sign_in == (200 if role == "anonymous" else 302)
    assert client.get("/ent/activer/").status_code == 200


NOT_FOUND = [
    "/ent/etablissements/0000000Z/imports/",
    "/ent/etablissements/" + "9" * 50 + "/imports/",
    "/ent/classes/999999/lettres/",
    "/ent/eleves/999999/reinitialiser/",
    "/ent/imports/modele-autre.csv",
]


@pytest.mark.parametrize("path", NOT_FOUND)
def test_not_found(client, school_staff, path) -> None:
    client.force_login(school_staff)
    assert client.get(path).status_code == 404


def test_reset_page_of_a_non_pupil_is_404(client, school_staff, teacher) -> None:
    client.force_login(school_staff)
    assert client.get(f"/ent/eleves/{teacher.pk}/reinitialiser/").status_code == 404


def test_template_files(client) -> None:
    response = client.get("/ent/imports/modele-enseignants.csv")
    body = response.content.decode("utf-8")
    assert response["Content-Type"].startswith("text/csv")
    assert body.startswith("\ufeffIdentifiant;Nom;Prénom;Adresse électronique;Matières;Classes;Professeur principal")
    assert "5e B:HIST-GEO" in body


# --- the import, preview then confirm ----------------------------------------------------------------


def upload(client, school, data: bytes, kind: str = "students", name: str = "eleves.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/ent/etablissements/{school.uai}/imports/",
        {"action": "upload", "kind": kind, "file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


def test_upload_with_an_error_then_fixed_then_confirmed(client, school_staff, school, klass) -> None:
    client.force_login(school_staff)
    wrong = students_csv([["1", "Vermenouze", "Léa", "5e B", "", ""], ["2", "Delort", "Mathis", "5e Z", "", ""]])
    response = upload(client, school, wrong)
    assert response.status_code == 400
    text = response.content.decode()
    assert "Rien n&#x27;est importé" in text or "Rien n'est importé" in text
    assert re.search(r"<td>\s*3\s*</td>\s*<td>Classe</td>", text)
    assert "« 5e Z » n&#x27;existe pas" in text
    assert not User.objects.filter(last_name="Vermenouze").exists()

    fixed = students_csv([["1", "Vermenouze", "Léa", "5e B", "", ""], ["2", "Delort", "Mathis", "5e B", "", ""]])
    preview = upload(client, school, fixed)
    assert preview.status_code == 200
    assert "Aperçu de l" in preview.content.decode()
    assert not User.objects.filter(last_name="Vermenouze").exists()  # nothing yet
    token = preview.context["form"]["token"].value()
    done = client.post(f"/ent/etablissements/{school.uai}/imports/", {"action": "confirm", "token": token})
    assert done.status_code == 302
    assert ImportRun.objects.get().created == 2
    page = client.get(done["Location"]).content.decode()
    assert "2 créés" in page
    assert "Lettres de 5e B" in page
    # A second click on "Confirmer" imports nothing more.
    again = client.post(
        f"/ent/etablissements/{school.uai}/imports/", {"action": "confirm", "token": token}, follow=True
    )
    assert "déjà importé" in again.content.decode()
    assert ImportRun.objects.count() == 1


def test_leavers_checkbox(client, school_staff, school, klass) -> None:
    client.force_login(school_staff)
    rows = [["1", "Vermenouze", "Léa", "5e B", "", ""], ["2", "Delort", "Mathis", "5e B", "", ""]]
    token = upload(client, school, students_csv(rows)).context["form"]["token"].value()
    client.post(f"/ent/etablissements/{school.uai}/imports/", {"action": "confirm", "token": token})
    preview = upload(client, school, students_csv(rows[:1]))
    text = html.unescape(preview.content.decode())
    assert "1 élève du collège n'est pas dans ce fichier" in text
    assert "Les élèves absents du fichier ont quitté l'établissement" in text
    token = preview.context["form"]["token"].value()
    client.post(
        f"/ent/etablissements/{school.uai}/imports/", {"action": "confirm", "token": token, "mark_leavers": "on"}
    )
    assert SchoolMember.objects.get(external_id="2").left_on is not None


def test_expired_preview(client, school_staff, school) -> None:
    client.force_login(school_staff)
    response = client.post(
        f"/ent/etablissements/{school.uai}/imports/", {"action": "confirm", "token": "nope"}, follow=True
    )
    assert "L&#x27;aperçu a expiré" in response.content.decode()


def test_upload_too_big_or_missing(client, school_staff, school) -> None:
    client.force_login(school_staff)
    response = upload(client, school, b"x" * (MAX_BYTES + 10))
    assert response.status_code == 400
    assert "le maximum est 2048 ko" in response.content.decode()
    response = client.post(f"/ent/etablissements/{school.uai}/imports/", {"action": "upload", "kind": "students"})
    assert response.status_code == 400


def test_import_page_queries_do_not_grow(client, school_staff, school, klass, django_assert_max_num_queries) -> None:
    for i in range(25):
        ImportRun.objects.create(school=school, kind="students", file_name=f"f{i}.csv", actor=school_staff)
    client.force_login(school_staff)
    with django_assert_max_num_queries(14):
        response = client.get(f"/ent/etablissements/{school.uai}/imports/")
    assert response.status_code == 200
    assert "Page 1 sur 2" in response.content.decode()


# --- letters and resets ----------------------------------------------------------------------------


def test_letters_need_the_confirmation(client, teacher, klass, student) -> None:
    EntAccount.objects.filter(user=student).update(activated_at=None)
    client.force_login(teacher)
    response = client.post(f"/ent/classes/{klass.pk}/lettres/", {"audience": "students", "scope": "new"})
    assert response.status_code == 400
    assert "Cochez cette case" in response.content.decode()
    response = client.post(
        f"/ent/classes/{klass.pk}/lettres/", {"audience": "students", "scope": "new", "confirm": "on"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    [page] = PdfReader(io.BytesIO(response.content)).pages
    assert "hugo.teyssedou" in page.extract_text()


def test_no_letter_when_all_are_activated(client, school_staff, klass, student) -> None:
    client.force_login(school_staff)
    response = client.post(
        f"/ent/classes/{klass.pk}/lettres/", {"audience": "students", "scope": "new", "confirm": "on"}
    )
    assert response.status_code == 400
    assert "Aucune lettre à imprimer" in response.content.decode()


def test_reset_gives_a_one_page_pdf(client, teacher, student) -> None:
    client.force_login(teacher)
    assert client.post(f"/ent/eleves/{student.pk}/reinitialiser/", {}).status_code == 400
    response = client.post(f"/ent/eleves/{student.pk}/reinitialiser/", {"confirm": "on"})
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="lettre-hugo.teyssedou.pdf"' in response["Content-Disposition"]
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1


def test_reset_refused_to_a_teacher_of_another_school(client, outsider_teacher, student) -> None:
    client.force_login(outsider_teacher)
    assert client.post(f"/ent/eleves/{student.pk}/reinitialiser/", {"confirm": "on"}).status_code == 403
    student.refresh_from_db()
    assert student.has_usable_password()


# --- activation and sign-in --------------------------------------------------------------------------


@pytest.fixture
def letter(teacher, student):
    return services.student_password_reset(actor=teacher, student=student)


def test_activation_in_two_steps(client, letter, student) -> None:
    response = client.post("/ent/activer/", {"step": "code", "login": "hugo.teyssedou", "code": "AAAA-BBBB-CC"})
    assert response.status_code == 400
    assert "ne vont pas ensemble" in response.content.decode()
    response = client.post("/ent/activer/", {"step": "code", "login": " Hugo.Teyssedou", "code": letter.code.lower()})
    assert response.status_code == 302
    assert response["Location"] == "/ent/activer/?etape=mot-de-passe"
    page = client.get(response["Location"])
    assert "Choisir mon mot de passe" in page.content.decode()
    weak = client.post(
        "/ent/activer/?etape=mot-de-passe", {"step": "password", "password1": "azerty", "password2": "azerty"}
    )
    assert weak.status_code == 400
    different = client.post(
        "/ent/activer/?etape=mot-de-passe", {"step": "password", "password1": PASSWORD, "password2": PASSWORD + "x"}
    )
    assert "pas pareils" in different.content.decode()
    done = client.post(
        "/ent/activer/?etape=mot-de-passe", {"step": "password", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert done.status_code == 302
    assert client.session["_auth_user_id"] == str(student.pk)
    student.refresh_from_db()
    assert student.check_password(PASSWORD)
    # The same code again: already used.
    client.logout()
    again = client.post("/ent/activer/", {"step": "code", "login": "hugo.teyssedou", "code": letter.code})
    assert "déjà servi" in again.content.decode()


def test_password_step_without_the_code_step(client) -> None:
    response = client.get("/ent/activer/?etape=mot-de-passe", follow=True)
    assert "Recommence" in response.content.decode()


def test_activation_rate_limited(client, letter) -> None:
    for _ in range(services.MAX_FAILURES_PER_LOGIN):
        client.post("/ent/activer/", {"step": "code", "login": "hugo.teyssedou", "code": "AAAA-BBBB-CC"})
    response = client.post("/ent/activer/", {"step": "code", "login": "hugo.teyssedou", "code": letter.code})
    assert response.status_code == 429
    assert "Trop d&#x27;essais ratés" in response.content.decode()


def test_activation_rate_limited_per_address(client, letter, settings) -> None:
    for i in range(services.MAX_FAILURES_PER_IP):
        client.post("/ent/activer/", {"step": "code", "login": f"eleve{i}", "code": "AAAA-BBBB-CC"})
    response = client.post("/ent/activer/", {"step": "code", "login": "hugo.teyssedou", "code": letter.code})
    assert response.status_code == 429


def test_sign_in_with_the_ent_login(client, student) -> None:
    student.set_password(PASSWORD)
    student.save()
    wrong = client.post("/ent/connexion/", {"identifier": "hugo.teyssedou", "password": "nope"})
    assert wrong.status_code == 400
    assert "Activer mon compte" in wrong.content.decode()
    response = client.post(
        "/ent/connexion/", {"identifier": "Hugo.Teyssedou", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/ent/")
    assert client.session["_auth_user_id"] == str(student.pk)


def test_sign_in_with_an_address_and_next(client, teacher) -> None:
    teacher.set_password(PASSWORD)
    teacher.save()
    response = client.post(
        "/ent/connexion/", {"identifier": teacher.email, "password": PASSWORD, "next": "/ent/activer/"}
    )
    assert response["Location"] == "/ent/activer/"


def test_sign_in_rate_limited(client, student) -> None:
    student.set_password(PASSWORD)
    student.save()
    for _ in range(services.MAX_FAILURES_PER_LOGIN):
        client.post("/ent/connexion/", {"identifier": "hugo.teyssedou", "password": "nope"})
    response = client.post("/ent/connexion/", {"identifier": "hugo.teyssedou", "password": PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_not_activated_pupil_cannot_sign_in(client, letter) -> None:
    response = client.post("/ent/connexion/", {"identifier": "hugo.teyssedou", "password": ""})
    assert response.status_code == 400
