"""Services of the question bank: categories, questions, tags, sharing and copies, the
protection of questions used by exercises, rich text cleaned, search text kept."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry
from cybercantal.learning.models import ExerciseQuestion, Question, QuestionCategory, Tag
from cybercantal.learning.services import questions as services

from .factories import QUESTION_DATA, ExerciseFactory, QuestionFactory, make_teacher
from .factories_questions import CategoryFactory


@pytest.fixture
def colleague(klass):
    return make_teacher(klass, first_name="Paul", last_name="Vidal")


def _create(actor, **extra):
    fields = {"qtype": "single", "text": "Quelle est la préfecture du Cantal ?", "data": QUESTION_DATA["single"]}
    fields.update(extra)
    return services.question_create(actor=actor, **fields)


# --- categories -----------------------------------------------------------------------------------


def test_categories_nest_and_names_are_unique_among_siblings(teacher, colleague):
    fifth = services.category_create(actor=teacher, name="  5e ")
    fractions = services.category_create(actor=teacher, name="Fractions", parent=fifth)
    assert fifth.name == "5e"
    assert fractions.parent == fifth
    with pytest.raises(ValidationError, match="existe déjà"):
        services.category_create(actor=teacher, name="fractions", parent=fifth)
    services.category_create(actor=teacher, name="Fractions")  # elsewhere: fine
    services.category_create(actor=colleague, name="5e")  # another teacher: fine
    with pytest.raises(NotAllowed):
        services.category_create(actor=colleague, name="Intrus", parent=fifth)
    with pytest.raises(ValidationError):
        services.category_create(actor=teacher, name="  ")
    assert JournalEntry.objects.filter(action="learning.category.created").count() == 4


def test_rename_and_move_never_make_a_loop(teacher, colleague):
    a = services.category_create(actor=teacher, name="A")
    b = services.category_create(actor=teacher, name="B", parent=a)
    c = services.category_create(actor=teacher, name="C", parent=b)
    with pytest.raises(ValidationError, match="elle-même"):
        services.category_move(actor=teacher, category=a, parent=c)
    with pytest.raises(ValidationError, match="elle-même"):
        services.category_move(actor=teacher, category=a, parent=a)
    services.category_move(actor=teacher, category=c, parent=None)
    c.refresh_from_db()
    assert c.parent is None
    services.category_create(actor=teacher, name="D")
    with pytest.raises(ValidationError, match="existe déjà"):
        services.category_rename(actor=teacher, category=c, name="d")
    services.category_rename(actor=teacher, category=c, name="Calcul")
    assert QuestionCategory.objects.get(pk=c.pk).name == "Calcul"
    with pytest.raises(NotAllowed):
        services.category_rename(actor=colleague, category=c, name="X")


def test_deleting_a_category_moves_its_questions_and_children_to_its_parent(teacher):
    fifth = services.category_create(actor=teacher, name="5e")
    fractions = services.category_create(actor=teacher, name="Fractions", parent=fifth)
    sub = services.category_create(actor=teacher, name="Simplifier", parent=fractions)
    question = _create(teacher, category=fractions)
    moved = services.category_delete(actor=teacher, category=fractions)
    assert moved == {"questions": 1, "subcategories": 1}
    question.refresh_from_db()
    sub.refresh_from_db()
    assert question.category == fifth
    assert sub.parent == fifth
    # At the top, questions become uncategorised, children become top categories.
    services.category_delete(actor=teacher, category=fifth)
    question.refresh_from_db()
    sub.refresh_from_db()
    assert question.category is None
    assert sub.parent is None
    assert Question.objects.filter(pk=question.pk).exists()


def test_deleting_is_refused_when_a_child_would_clash(teacher):
    top = services.category_create(actor=teacher, name="Géographie")
    services.category_create(actor=teacher, name="Cantal")
    services.category_create(actor=teacher, name="Cantal", parent=top)
    with pytest.raises(ValidationError, match="Renommez"):
        services.category_delete(actor=teacher, category=top)
    assert QuestionCategory.objects.filter(pk=top.pk).exists()


# --- questions ---------------------------------------------------------------------------------------


def test_create_validates_data_and_cleans_html(teacher, school):
    with pytest.raises(ValidationError) as error:
        _create(teacher, data={"choices": [{"id": "a", "text": "seule", "fraction": "1"}]})
    assert "Proposez au moins deux réponses." in error.value.message_dict["data"]
    data = {
        "choices": [
            {
                "id": "a",
                "text": "<b>Aurillac</b><script>alert(1)</script>",
                "fraction": "1",
                "feedback": '<a href="javascript:x()">oui</a>',
            },
            {"id": "b", "text": "Murat", "fraction": "0", "feedback": ""},
        ]
    }
    question = _create(
        teacher,
        text='<p onclick="x()">Préfecture ?</p><img src="https://pisteur.example/p.gif">',
        text_format="html",
        general_feedback="<style>p{}</style><em>Bravo</em>",
        data=data,
        tags="Géographie, CANTAL,  cantal ",
    )
    assert question.school == school
    assert question.text == "<p>Préfecture ?</p><img>"
    assert question.general_feedback == "<em>Bravo</em>"
    assert question.data["choices"][0]["text"] == "<b>Aurillac</b>"
    assert "javascript" not in question.data["choices"][0]["feedback"]
    assert sorted(question.tags.values_list("name", flat=True)) == ["cantal", "géographie"]
    assert " prefecture " in question.search_text
    assert " cantal " in question.search_text


def test_plain_text_is_kept_as_written(teacher):
    question = _create(teacher, text="2 < 3 et <b>x</b>", text_format="plain")
    assert question.text == "2 < 3 et <b>x</b>"


@pytest.mark.parametrize("mark", ["-1", "1001", "0,001", "abc", None])
def test_default_mark_is_checked(teacher, mark):
    with pytest.raises(ValidationError) as error:
        _create(teacher, default_mark=mark)
    assert "default_mark" in error.value.message_dict


def test_only_teachers_create_and_only_owners_change(teacher, colleague, student, outsider_teacher):
    with pytest.raises(NotAllowed):
        _create(student)
    question = _create(teacher, default_mark="0,5")
    assert question.default_mark == Decimal("0.5")
    for other in (colleague, outsider_teacher, student):
        with pytest.raises(NotAllowed):
            services.question_update(actor=other, question=question, text="x", data=question.data)
        with pytest.raises(NotAllowed):
            services.question_delete(actor=other, question=question)
        with pytest.raises(NotAllowed):
            services.question_share(actor=other, question=question)
    services.question_update(actor=teacher, question=question, text="Nouveau texte", data=question.data, tags=["a"])
    question.refresh_from_db()
    assert question.text == "Nouveau texte"
    assert question.search_text.startswith(" ")


def test_a_category_of_someone_else_is_refused(teacher, colleague):
    theirs = CategoryFactory(colleague, "Chez Paul")
    with pytest.raises(NotAllowed):
        _create(teacher, category=theirs)


def test_sharing_and_copying_within_the_school(teacher, colleague, outsider_teacher, student):
    question = _create(teacher, tags=["fractions"])
    with pytest.raises(NotAllowed):
        services.question_copy(actor=colleague, question=question)  # not shared yet
    services.question_share(actor=teacher, question=question)
    copy = services.question_copy(actor=colleague, question=question)
    assert copy.owner == colleague
    assert copy.copied_from == question
    assert not copy.shared
    assert copy.data == question.data
    assert list(copy.tags.values_list("name", flat=True)) == ["fractions"]
    assert copy.name == question.name
    with pytest.raises(NotAllowed):
        services.question_copy(actor=outsider_teacher, question=question)
    with pytest.raises(NotAllowed):
        services.question_copy(actor=student, question=question)
    # Copying one's own question says so.
    mine = services.question_copy(actor=teacher, question=question)
    assert mine.name.endswith("(copie)")
    services.question_unshare(actor=teacher, question=question)
    with pytest.raises(NotAllowed):
        services.question_copy(actor=colleague, question=question)


def test_a_question_in_an_exercise_cannot_be_deleted_but_can_be_retired(teacher, school):
    question = _create(teacher)
    exercise = ExerciseFactory(owner=teacher, school=school)
    ExerciseQuestion.objects.create(exercise=exercise, question=question)
    services.question_share(actor=teacher, question=question)
    with pytest.raises(services.QuestionInUse, match="retirer"):
        services.question_delete(actor=teacher, question=question)
    services.question_retire(actor=teacher, question=question)
    question.refresh_from_db()
    assert question.retired
    assert not question.shared
    with pytest.raises(ValidationError, match="retirée"):
        services.question_share(actor=teacher, question=question)
    services.question_retire(actor=teacher, question=question, retired=False)
    free = _create(teacher)
    services.question_delete(actor=teacher, question=free)
    assert not Question.objects.filter(pk=free.pk).exists()


def test_tags_are_normalised_and_limited(teacher):
    assert services.tag_names("Fractions ;  calcul   mental, fractions,, #Brevet") == [
        "fractions",
        "calcul mental",
        "brevet",
    ]
    assert services.tag_name("x" * 80) == "x" * 50
    with pytest.raises(ValidationError, match="étiquettes au plus"):
        _create(teacher, tags=[f"t{i}" for i in range(25)])
    question = _create(teacher, tags="a, b")
    services.question_tags_set(actor=teacher, question=question, tags="b, c")
    assert sorted(question.tags.values_list("name", flat=True)) == ["b", "c"]
    assert Tag.objects.filter(name="a").exists()


def test_bulk_actions_apply_to_own_questions_only(teacher, colleague):
    mine = [_create(teacher) for _ in range(3)]
    theirs = QuestionFactory(owner=colleague, school=mine[0].school)
    category = services.category_create(actor=teacher, name="Rangement")
    assert services.questions_bulk(actor=teacher, questions=mine, action="move", category=category) == 3
    assert services.questions_bulk(actor=teacher, questions=mine, action="tag", tags="brevet") == 3
    assert services.questions_bulk(actor=teacher, questions=mine, action="share") == 3
    assert Question.objects.filter(category=category, shared=True, tags__name="brevet").count() == 3
    assert services.questions_bulk(actor=teacher, questions=mine[:1], action="untag", tags="brevet") == 1
    with pytest.raises(NotAllowed):
        services.questions_bulk(actor=teacher, questions=[*mine, theirs], action="unshare")
    assert Question.objects.filter(shared=True).count() == 3  # nothing done
    with pytest.raises(ValidationError):
        services.questions_bulk(actor=teacher, questions=mine, action="explode")
    with pytest.raises(ValidationError):
        services.questions_bulk(actor=teacher, questions=mine, action="tag", tags=" , ")


# --- two people at once (PostgreSQL, real connections) ----------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_saves_of_one_category_name_give_one_category_and_french_refusals(klass, maths):
    from cybercantal.accounts.models import User
    from cybercantal.core.testing import run_in_parallel

    teacher = make_teacher(klass, maths)

    def create(_n):
        actor = User.objects.get(pk=teacher.pk)
        try:
            services.category_create(actor=actor, name="Fractions")
        except ValidationError as exc:
            return exc.message_dict["name"][0]
        return "ok"

    results = run_in_parallel(create, range(6), timeout=60)
    assert results.count("ok") == 1
    assert set(results) - {"ok"} == {"Une catégorie « Fractions » existe déjà à cet endroit."}
    assert QuestionCategory.objects.filter(owner=teacher).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_questions_with_a_new_tag_share_one_tag(klass, maths):
    from cybercantal.accounts.models import User
    from cybercantal.core.testing import run_in_parallel

    teachers = [make_teacher(klass, maths) for _ in range(6)]

    def create(teacher_id):
        actor = User.objects.get(pk=teacher_id)
        _create(actor, tags="Brevet 2027")
        return "ok"

    assert run_in_parallel(create, [t.pk for t in teachers], timeout=60) == ["ok"] * 6
    assert Tag.objects.filter(name="brevet 2027").count() == 1
    assert Question.objects.filter(tags__name="brevet 2027").count() == 6
