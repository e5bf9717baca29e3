"""Pages of the question bank: who may open each, the bank's filters and its query count,
bulk actions, sharing between colleagues, delete protection, the preview with its grade,
fuzzing of every form, and the demo."""

from __future__ import annotations

import pytest
from django.urls import reverse

from cybercantal.learning.models import ExerciseQuestion, Question, QuestionCategory, QuestionType
from cybercantal.learning.services import questions as services
from cybercantal.learning.views.questions import _preview_snapshot

from .factories import QUESTION_DATA, ExerciseFactory, QuestionFactory, UserFactory, make_teacher
from .factories_questions import CategoryFactory, form_values


@pytest.fixture
def colleague(klass):
    return make_teacher(klass, first_name="Paul", last_name="Vidal")


@pytest.fixture
def question(teacher, school):
    return QuestionFactory(owner=teacher, school=school, qtype="single", name="Préfecture du Cantal")


def _people(request, names):
    return {name: request.getfixturevalue(name) if name != "anonymous" else None for name in names}


ROLES = ["anonymous", "student", "parent", "teacher", "colleague", "outsider_teacher", "school_staff", "head"]


def _status(client, user, method, url, data=None):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.post(url, data or {}) if method == "post" else client.get(url)
    return response.status_code


@pytest.mark.parametrize(
    ("url_name", "method", "allowed"),
    [
        ("questions", "get", {"teacher", "colleague", "outsider_teacher"}),
        ("question_new", "get", {"teacher", "colleague", "outsider_teacher"}),
        ("question_categories", "get", {"teacher", "colleague", "outsider_teacher"}),
        ("question_edit", "get", {"teacher"}),
        ("question_delete", "get", {"teacher"}),
        ("question_preview", "get", {"teacher"}),  # not shared yet
        ("question_copy", "post", {"teacher"}),
        ("question_share", "post", {"teacher"}),
        ("question_retire", "post", {"teacher"}),
    ],
)
def test_access_per_role(request, client, question, url_name, method, allowed):
    people = _people(request, ROLES)
    kwargs = (
        {"question_id": question.pk}
        if url_name.startswith("question_") and url_name not in {"question_new", "question_categories"}
        else {}
    )
    url = reverse(f"learning:{url_name}", kwargs=kwargs)
    for role, user in people.items():
        status = _status(client, user, method, url)
        if role == "anonymous":
            assert status == 302, (role, url)
        elif role in allowed:
            assert status in (200, 302), (role, url, status)
        else:
            assert status == 403, (role, url, status)


def test_a_shared_question_is_seen_and_copied_by_colleagues_only(
    client, question, colleague, outsider_teacher, student
):
    services.question_share(actor=question.owner, question=question)
    preview = reverse("learning:question_preview", args=[question.pk])
    client.force_login(colleague)
    assert client.get(preview).status_code == 200
    page = client.get(reverse("learning:questions") + "?portee=shared").content.decode()
    assert "Préfecture du Cantal" in page
    assert "Partagée par Claire Bonnefoy" in page
    response = client.post(reverse("learning:question_copy", args=[question.pk]))
    copy = Question.objects.get(owner=colleague)
    assert response.url == reverse("learning:question_edit", args=[copy.pk])
    assert client.get(reverse("learning:question_edit", args=[question.pk])).status_code == 403
    for other in (outsider_teacher, student):
        client.force_login(other)
        assert client.get(preview).status_code == 403
        assert client.post(reverse("learning:question_copy", args=[question.pk])).status_code == 403
    client.force_login(outsider_teacher)
    assert "Préfecture du Cantal" not in client.get(reverse("learning:questions") + "?portee=all").content.decode()
    assert client.get(reverse("learning:question_preview", args=[999_999])).status_code == 404


def test_bank_filters(client, teacher, school, colleague):
    fifth = CategoryFactory(teacher, "5e")
    fractions = CategoryFactory(teacher, "Fractions", fifth)
    services.question_create(
        actor=teacher,
        qtype="short",
        text="Écris 12/18 simplifiée",
        name="Simplifier",
        data=QUESTION_DATA["short"],
        category=fractions,
        tags="fractions",
    )
    services.question_create(
        actor=teacher,
        qtype="truefalse",
        text="Le Cantal est en Auvergne",
        name="Région",
        data=QUESTION_DATA["truefalse"],
        tags="géographie",
    )
    QuestionFactory(owner=colleague, school=school, name="De Paul", shared=True)
    client.force_login(teacher)
    url = reverse("learning:questions")

    def names(query):
        html = client.get(url + query).content.decode()
        return {n for n in ("Simplifier", "Région", "De Paul") if n in html}

    assert names("") == {"Simplifier", "Région"}
    assert names(f"?categorie={fifth.pk}") == {"Simplifier"}  # subcategories included
    assert names("?etiquette=géographie") == {"Région"}
    assert names("?type=short") == {"Simplifier"}
    assert names("?q=REGION") == {"Région"}  # accents and case folded
    assert names("?q=auvergne cantal") == {"Région"}
    assert names("?q=simplif") == {"Simplifier"}
    assert names("?portee=shared") == {"De Paul"}
    assert names("?portee=all") == {"Simplifier", "Région", "De Paul"}
    assert names("?q=introuvable") == set()
    # Junk filters are ignored, never a 500.
    for junk in [
        "?categorie=abc",
        "?categorie=99999999999999999999999",
        "?type=zzz",
        "?page=-1",
        "?q=" + "é" * 500,
        "?portee=\x00",
        "?etiquette=%00",
    ]:
        assert client.get(url + junk).status_code == 200


def test_bank_query_count_does_not_grow_with_the_page(client, teacher, school, django_assert_max_num_queries):
    category = CategoryFactory(teacher, "5e")
    for index in range(25):
        services.question_create(
            actor=teacher,
            qtype="single",
            text=f"Question {index}",
            data=QUESTION_DATA["single"],
            category=category,
            tags=["a", f"t{index}"],
        )
    client.force_login(teacher)
    client.get(reverse("learning:questions"))
    with django_assert_max_num_queries(14) as context:
        response = client.get(reverse("learning:questions"))
    assert response.status_code == 200
    assert response.content.decode().count('name="question"') == 20
    count = len(context.captured_queries)
    for index in range(10):
        services.question_create(
            actor=teacher, qtype="multiple", text=f"Autre {index}", data=QUESTION_DATA["multiple"], tags=["b"]
        )
    with django_assert_max_num_queries(count):
        client.get(reverse("learning:questions") + "?page=2")


def test_bulk_actions_through_the_page(client, teacher, colleague, school):
    mine = [QuestionFactory(owner=teacher, school=school) for _ in range(2)]
    theirs = QuestionFactory(owner=colleague, school=school, shared=True)
    category = CategoryFactory(teacher, "Rangées")
    client.force_login(teacher)
    url = reverse("learning:questions_bulk")
    response = client.post(url, {"action": "move", "category": category.pk, "question": [q.pk for q in mine]})
    assert response.status_code == 302
    assert Question.objects.filter(category=category).count() == 2
    client.post(url, {"action": "share", "question": [mine[0].pk, theirs.pk]})
    assert not Question.objects.get(pk=mine[0].pk).shared  # nothing done: not all mine
    response = client.post(url, {"action": "tag", "tags": "brevet", "question": [mine[0].pk]}, follow=True)
    assert "1 question(s) modifiée(s)." in response.content.decode()
    for junk in [
        {},
        {"action": "move"},
        {"action": "zzz", "question": mine[0].pk},
        {"action": "move", "question": "abc"},
        {"action": "move", "category": "99", "question": mine[0].pk},
        {"action": "tag", "question": mine[0].pk, "tags": ""},
    ]:
        assert client.post(url, junk).status_code == 302


def test_delete_is_refused_with_a_french_message_and_retire_is_offered(client, question, school):
    exercise = ExerciseFactory(owner=question.owner, school=school)
    ExerciseQuestion.objects.create(exercise=exercise, question=question)
    client.force_login(question.owner)
    url = reverse("learning:question_delete", args=[question.pk])
    page = client.get(url).content.decode()
    assert "ne peut pas être supprimée" in page
    assert "Retirer de la banque" in page
    response = client.post(url, follow=True)
    assert "ne peut pas être supprimée" in response.content.decode()
    assert Question.objects.filter(pk=question.pk).exists()
    client.post(reverse("learning:question_retire", args=[question.pk]), {"retired": "1"})
    question.refresh_from_db()
    assert question.retired
    assert "Préfecture du Cantal" not in client.get(reverse("learning:questions")).content.decode()
    assert "Préfecture du Cantal" in client.get(reverse("learning:questions") + "?retirees=on").content.decode()
    free = QuestionFactory(owner=question.owner, school=school)
    client.post(reverse("learning:question_delete", args=[free.pk]))
    assert not Question.objects.filter(pk=free.pk).exists()


def test_create_shows_errors_next_to_fields_and_saves_once(client, teacher):
    client.force_login(teacher)
    url = reverse("learning:question_create", args=["multiple"])
    values = form_values(client.get(url).content.decode())
    values.update(
        {"rows-0-text": "2", "rows-0-weight": "0.5", "rows-1-text": "4", "rows-1-weight": "-1", "default_mark": "deux"}
    )
    html = client.post(url, values).content.decode()
    assert "Rien n’est enregistré" in html
    assert "Écrivez l&#x27;énoncé de la question." in html
    assert "Écrivez un nombre, par exemple 3,14." in html
    assert "100 % au total (ici 50 %)" in html
    assert 'aria-describedby="id_text_error"' in html
    values.update(
        {
            "text": "Quels nombres sont premiers ?",
            "default_mark": "1,5",
            "rows-2-text": "3",
            "rows-2-weight": "0.5",
            "tags": "Premiers, calcul",
        }
    )
    response = client.post(url, values)
    assert response.status_code == 302
    question = Question.objects.get()
    assert str(question.default_mark) == "1.50"
    assert [c["fraction"] for c in question.data["choices"]] == ["0.5", "-1", "0.5"]
    # The same form sent twice: one question.
    client.post(url, values)
    assert Question.objects.count() == 1


def test_unknown_type_goes_back_to_the_list_of_types(client, teacher):
    client.force_login(teacher)
    response = client.get("/ent/questions/nouvelle/dessin/")
    assert response.status_code == 302
    assert response.url == reverse("learning:question_new")


@pytest.mark.parametrize("qtype", QuestionType.values)
def test_fuzzed_editor_posts_never_fail(client, teacher, school, qtype):
    client.force_login(teacher)
    url = reverse("learning:question_create", args=[qtype])
    junk_values = [
        "",
        "x" * 60_000,
        "\x00",
        "☃" * 10,
        "-1",
        "99999999999999999999999999",
        "1e999",
        "<script>",
        "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "NaN",
    ]
    base = form_values(client.get(url).content.decode())
    names = [
        *base,
        "rows-TOTAL_FORMS",
        "rows-0-weight",
        "opt-correct",
        "opt-cloze",
        "opt-answer",
        "category",
        "opt-min_words",
    ]
    for junk in junk_values:
        post = {**base, **{name: junk for name in names if name != "csrfmiddlewaretoken"}}
        assert client.post(url, post).status_code in (200, 302)
    for post in [
        {},
        {"rows-TOTAL_FORMS": "100000"},
        {"rows-TOTAL_FORMS": "-5", "add_rows": "1"},
        {**base, "rows-TOTAL_FORMS": "1000", "add_rows": "1"},
        {"text": ["a", "b"]},
    ]:
        assert client.post(url, post).status_code in (200, 302)
    question = QuestionFactory(owner=teacher, school=school, qtype=qtype)
    edit = reverse("learning:question_edit", args=[question.pk])
    assert client.post(edit, {"rows-TOTAL_FORMS": "3", "text": "x", "default_mark": "1"}).status_code == 200


def test_categories_pages(client, teacher, colleague):
    client.force_login(teacher)
    url = reverse("learning:question_categories")
    assert client.post(url, {"name": "5e"}).status_code == 302
    fifth = QuestionCategory.objects.get(owner=teacher, name="5e")
    client.post(url, {"name": "Fractions", "parent": fifth.pk})
    html = client.post(url, {"name": "fractions", "parent": fifth.pk}).content.decode()
    assert "existe déjà" in html
    assert "5e › Fractions" in client.get(url).content.decode()
    fractions = QuestionCategory.objects.get(name="Fractions")
    edit = reverse("learning:question_category_edit", args=[fifth.pk])
    html = client.post(edit, {"name": "5e", "parent": fractions.pk}).content.decode()
    assert "Sélectionnez un choix valide" in html  # its own subcategory is not offered
    client.post(reverse("learning:question_category_delete", args=[fifth.pk]))
    fractions.refresh_from_db()
    assert fractions.parent is None
    client.force_login(colleague)
    assert client.get(reverse("learning:question_category_edit", args=[fractions.pk])).status_code == 403
    assert client.post(reverse("learning:question_category_delete", args=[fractions.pk])).status_code == 403


@pytest.mark.parametrize("qtype", QuestionType.values)
def test_preview_grades_like_a_pupil_attempt(client, teacher, school, qtype):
    question = QuestionFactory(owner=teacher, school=school, qtype=qtype, general_feedback="Pensez-y.")
    client.force_login(teacher)
    url = reverse("learning:question_preview", args=[question.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Les réponses (vue enseignant)" in page.content.decode() or qtype == "description"
    snapshot = _preview_snapshot(question)
    post = {}
    if qtype == "single":
        post["apercu-choice"] = str(snapshot["display"]["choices"].index("a"))
    elif qtype == "cloze":
        post["apercu-blank-1"] = "aurillac"
    elif qtype == "short":
        post["apercu-text"] = "AURILLAC"
    elif qtype == "numerical":
        post["apercu-value"] = "3,14"
    html = client.post(url, post).content.decode()
    if qtype in {"single", "short", "numerical"}:
        assert "Bonne réponse." in html
        assert "Note : 1 sur 1 (100 %)." in html
    if qtype == "cloze":
        assert "Réponse en partie juste." in html
        assert "(50 %)" in html
    for junk in [{"apercu-choice": "x" * 9000}, {"apercu-choices": ["9", "-1"]}, {"apercu-blank-0": "\x00"}]:
        assert client.post(url, junk).status_code == 200


def test_demo_twice(db):
    from cybercantal.accounts.demo import demo_email
    from cybercantal.accounts.models import Role
    from cybercantal.learning.demo import questions as demo

    from .factories import SchoolClassFactory, teach

    assert demo.load() == {"questions": 0, "catégories de questions": 0}  # no demo teacher yet
    teacher = UserFactory(email=demo_email(Role.TEACHER))
    teach(teacher, SchoolClassFactory())
    first = demo.load()
    assert first["questions"] >= 20
    assert first["catégories de questions"] == 4
    assert demo.load() == first
    questions = Question.objects.filter(owner=teacher)
    assert set(questions.values_list("qtype", flat=True)) == set(QuestionType.values)
    assert questions.filter(shared=True).exists()
    assert {q.category.name for q in questions} == {"Fractions", "Proportionnalité", "Géographie du Cantal"}
    assert len(demo.demo_questions()) == first["questions"]
