"""The GIFT pages per role, the preview → import journey, bad uploads, and the export."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cybercantal.learning import gift
from cybercantal.learning.forms.gift import sign_text
from cybercantal.learning.models import Question, QuestionCategory

from .factories import QuestionFactory, make_teacher

IMPORT = "/ent/questions/gift/importer/"
EXPORT = "/ent/questions/gift/exporter/"
MOODLE_FILE = Path(__file__).parent / "data" / "gift" / "moodle_5e.gift.txt"
TEXT = "::Bonne::Le Cantal est en Auvergne.{T}\n\n::Cassée::Quelle couleur ?\n{=bleu ~rouge\n\n::Autre::2+2 ?{#4}\n"


def test_urls():
    assert reverse("learning:gift_import") == IMPORT
    assert reverse("learning:gift_export") == EXPORT


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("anonymous", 302),
        ("student", 403),
        ("parent", 403),
        ("school_staff", 403),
        ("head", 403),
        ("teacher", 200),
        ("outsider_teacher", 200),
    ],
)
@pytest.mark.parametrize("url", [IMPORT, EXPORT])
def test_access_per_role(db, client, request, who, expected, url):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(url)
    assert response.status_code == expected
    if who == "anonymous":
        assert "/connexion" in response["Location"] or "login" in response["Location"]
    post = client.post(url, {"text": TEXT, "etape": "apercu"})
    assert post.status_code == (200 if expected == 200 else expected)
    assert not Question.objects.exists()


def _preview(client, **data):
    response = client.post(IMPORT, {"etape": "apercu", **data})
    assert response.status_code == 200, response.content.decode()[:2000]
    return response


def _import_data(response) -> dict:
    html = response.content.decode()
    payload = re.search(r'name="payload" value="([^"]+)"', html).group(1)
    lines = re.findall(r'name="lines"\s+value="(\d+)"[^>]*checked', html)
    return {"etape": "importer", "payload": payload, "lines": lines, "duplicates": "skip", "category": ""}


def test_paste_preview_then_import_the_valid_ones(client, teacher):
    client.force_login(teacher)
    response = _preview(client, text=TEXT)
    html = response.content.decode()
    assert "Ligne 4 : accolade ouvrante sans accolade fermante." in html
    assert "Vrai ou faux" in html
    assert "Numérique" in html
    assert "Prête" in html
    assert not Question.objects.exists()
    data = _import_data(response)
    assert data["lines"] == ["1", "6"]
    done = client.post(IMPORT, data, follow=True)
    assert "2 questions importées dans votre banque." in done.content.decode()
    assert sorted(Question.objects.values_list("name", flat=True)) == ["Autre", "Bonne"]
    # the same again: duplicates are flagged and skipped
    again = _preview(client, text=TEXT)
    assert "Déjà dans votre banque" in again.content.decode()
    data = _import_data(again)
    assert data["lines"] == []  # unchecked by default
    data["lines"] = ["1"]
    client.post(IMPORT, data)
    assert Question.objects.count() == 2


def test_import_into_a_chosen_category(client, teacher):
    client.force_login(teacher)
    target = QuestionCategory.objects.create(owner=teacher, name="Import")
    data = _import_data(_preview(client, text=TEXT))
    data["category"] = str(target.pk)
    client.post(IMPORT, data)
    assert Question.objects.filter(category=target).count() == 2


def test_someone_elses_category_is_refused(client, teacher, outsider_teacher):
    client.force_login(teacher)
    theirs = QuestionCategory.objects.create(owner=outsider_teacher, name="À eux")
    data = _import_data(_preview(client, text=TEXT))
    data["category"] = str(theirs.pk)
    response = client.post(IMPORT, data)
    assert response.status_code == 400
    assert not Question.objects.exists()


def test_no_question_ticked(client, teacher):
    client.force_login(teacher)
    data = _import_data(_preview(client, text=TEXT))
    data["lines"] = []
    response = client.post(IMPORT, data)
    assert response.status_code == 400
    assert "Cochez au moins une question" in response.content.decode()


@pytest.mark.parametrize("payload", ["", "forged", None])
def test_forged_or_foreign_payload_is_refused(client, teacher, outsider_teacher, payload):
    client.force_login(teacher)
    if payload is None:
        payload = sign_text(TEXT, outsider_teacher.pk)
    response = client.post(IMPORT, {"etape": "importer", "payload": payload, "lines": ["1"], "duplicates": "skip"})
    assert response.status_code == 400
    assert "relisez le fichier" in response.content.decode()
    assert not Question.objects.exists()


def test_upload_the_moodle_file_then_import_everything(client, teacher):
    client.force_login(teacher)
    upload = SimpleUploadedFile("banque.txt", MOODLE_FILE.read_bytes(), content_type="text/plain")
    response = _preview(client, file=upload)
    html = response.content.decode()
    assert "20 questions lues dans le texte" in html
    assert "Erreurs à corriger" not in html
    client.post(IMPORT, _import_data(response))
    assert Question.objects.filter(owner=teacher).count() == 20


def test_latin1_upload_is_converted_and_said(client, teacher):
    client.force_login(teacher)
    upload = SimpleUploadedFile("vieux.gift", "::Été::Il fait chaud.{T}\n".encode("latin-1"))
    html = _preview(client, file=upload).content.decode()
    assert "Latin-1" in html
    assert "Été" in html


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(500), "pas un fichier texte"),
        ("vide.txt", b"   \n", "est vide"),
        ("questions.docx", b"PK\x03\x04", "fichier .txt ou .gift"),
        ("gros.txt", b"A{T}\n\n" * (5 * 1024 * 1024 // 6), "trop gros"),
    ],
)
def test_bad_uploads_get_a_french_message(client, teacher, name, content, message):
    client.force_login(teacher)
    response = client.post(IMPORT, {"etape": "apercu", "file": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_empty_text_and_garbage(client, teacher):
    client.force_login(teacher)
    assert client.post(IMPORT, {"etape": "apercu", "text": "  "}).status_code == 400
    for text in ["{" * 10_000, "}{" * 5000, "::" * 3000, "\x00abc", "$CATEGORY:\n\n{T}"]:
        response = client.post(IMPORT, {"etape": "apercu", "text": text})
        assert response.status_code in (200, 400), text[:20]


def test_huge_preview_is_cut_and_imports_everything(client, teacher):
    client.force_login(teacher)
    text = "".join(f"::Q{n}::Question {n}{{T}}\n\n" for n in range(350))
    response = _preview(client, text=text)
    html = response.content.decode()
    assert "les 300 premières" in html
    assert 'name="lines"' not in html
    data = _import_data(response)
    client.post(IMPORT, data)
    assert Question.objects.count() == 350


# --- export ------------------------------------------------------------------------------------------


def test_export_by_ids_downloads_a_gift_file(client, teacher, school):
    client.force_login(teacher)
    question = QuestionFactory(owner=teacher, school=school, qtype="single", name="Capitale")
    response = client.get(EXPORT, {"ids": str(question.pk)})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert 'filename="questions.gift.txt"' in response["Content-Disposition"]
    parsed = gift.parse(response.content.decode("utf-8"))
    assert [q.name for q in parsed.questions] == ["Capitale"]


def test_export_by_category_and_whole_bank(client, teacher, school):
    client.force_login(teacher)
    five = QuestionCategory.objects.create(owner=teacher, name="5e")
    sub = QuestionCategory.objects.create(owner=teacher, name="Fractions", parent=five)
    QuestionFactory(owner=teacher, school=school, qtype="truefalse", name="Dans sub", category=sub)
    QuestionFactory(owner=teacher, school=school, qtype="truefalse", name="Ailleurs")
    text = client.get(EXPORT, {"category": five.pk}).content.decode()
    assert "$CATEGORY: $course$/top/5e/Fractions" in text
    assert "Dans sub" in text
    assert "Ailleurs" not in text
    text = client.get(EXPORT, {"category": "tout"}).content.decode()
    assert "Dans sub" in text
    assert "Ailleurs" in text


def test_export_from_the_bank_checkboxes(client, teacher, school):
    client.force_login(teacher)
    first = QuestionFactory(owner=teacher, school=school, qtype="short", name="Un")
    second = QuestionFactory(owner=teacher, school=school, qtype="numerical", name="Deux")
    response = client.post(EXPORT, {"question": [first.pk, second.pk]})
    assert response.status_code == 200
    assert [q.name for q in gift.parse(response.content.decode()).questions] == ["Deux", "Un"]


def test_a_teacher_cannot_export_a_colleagues_unshared_question(client, teacher, school, klass, outsider_teacher):
    colleague = make_teacher(klass)
    private = QuestionFactory(owner=colleague, school=school)
    shared = QuestionFactory(owner=colleague, school=school, shared=True)
    client.force_login(teacher)
    assert client.get(EXPORT, {"ids": str(private.pk)}).status_code == 404
    assert client.get(EXPORT, {"ids": f"{shared.pk},{private.pk}"}).status_code == 404
    assert client.get(EXPORT, {"ids": str(shared.pk)}).status_code == 200
    client.force_login(outsider_teacher)
    assert client.get(EXPORT, {"ids": str(shared.pk)}).status_code == 404


def test_someone_elses_category_is_404(client, teacher, outsider_teacher):
    theirs = QuestionCategory.objects.create(owner=outsider_teacher, name="À eux")
    client.force_login(teacher)
    assert client.get(EXPORT, {"category": theirs.pk}).status_code == 404


@pytest.mark.parametrize("ids", ["abc", "1;x", "9" * 30, "-1", ",".join(["1"] * 2000)])
def test_bad_ids_are_404(client, teacher, ids):
    client.force_login(teacher)
    assert client.get(EXPORT, {"ids": ids}).status_code == 404


def test_export_lists_what_gift_cannot_carry_before_download(client, teacher, school):
    client.force_login(teacher)
    ordering = QuestionFactory(owner=teacher, school=school, qtype="ordering", name="Chronologie")
    single = QuestionFactory(owner=teacher, school=school, name="Capitale")
    response = client.get(EXPORT, {"ids": f"{ordering.pk},{single.pk}"})
    html = response.content.decode()
    assert response["Content-Type"].startswith("text/html")
    assert "Chronologie" in html
    assert "GIFT n&#x27;a pas de question de remise en ordre" in html
    download = client.get(EXPORT, {"ids": f"{ordering.pk},{single.pk}", "telecharger": "1"})
    assert download["Content-Type"] == "text/plain; charset=utf-8"
    assert "// Question non exportée « Chronologie »" in download.content.decode()


def test_empty_selection(client, teacher):
    client.force_login(teacher)
    response = client.get(EXPORT, {"category": "tout"})
    assert response.status_code == 200
    assert "Aucune question à exporter" in response.content.decode()
