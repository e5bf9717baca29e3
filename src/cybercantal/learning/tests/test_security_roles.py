"""Security review of the cartable électronique: who may open what, object by object.

``test_matrix`` is the role × URL × object matrix: two symmetric collèges A and B, each with
its class, a sibling class, the class's teacher, a colleague who teaches the sibling class,
two pupils of the class, a pupil of the sibling class, a parent, the ENT administrator and
the head; every object (course, draft, lesson, resource, homework, exercise, assignment,
attempt, document, question...) exists in both. Each URL is opened on A's objects by every
person of A and of B, plus the anonymous visitor, a signed-in person with no place in the
ENT and the programme team: the people in ``ALLOWED`` get 200 (or the redirect written
there), everyone else 403 or 404 (anonymous: the sign-in page), and a refused download never
carries a byte of the file.

The tests after it are the specific attacks: writes (POST) across schools and classes, CSRF,
range requests, the homework calendar's token, the family's ZIP, ``next=`` redirects,
uploads checked by content, rich text cleaned where it is shown, and the holes this review
fixed (a teacher or the staff of a pupil's former school resetting the pupil's password,
images from another site slipping through the rich-text sanitiser).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from .. import richtext
from ..models import (
    Course,
    Document,
    EntAccount,
    ExerciseQuestion,
    FeedbackTiming,
    Folder,
    Homework,
    HomeworkDone,
    HomeworkFeed,
    LessonResource,
    SchoolMember,
)
from .factories import (
    HomeworkFactory,
    LessonLogFactory,
    QuestionFactory,
    SchoolClassFactory,
    SchoolFactory,
    SchoolYearFactory,
    SubjectFactory,
    UserFactory,
    enrol,
    make_parent,
    make_staff,
    make_student,
    make_teacher,
    teach,
)
from .factories_assignments import assignment_of, make_attempt
from .factories_courses import PDF_BYTES, attach, make_course, make_document, make_lesson, space_of
from .factories_questions import CategoryFactory
from .factories_schools import programme_manager

pytestmark = pytest.mark.django_db


# --- Two collèges ----------------------------------------------------------------------------------


@dataclass
class Side:
    """One collège and everything in it; ``objects`` holds the ids the URLs need."""

    people: dict[str, Any] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)


def _side(label: str) -> Side:
    school = SchoolFactory(name=f"Collège {label}")
    maths = SubjectFactory()
    klass = SchoolClassFactory(school=school, name=f"5e {label}")
    sibling = SchoolClassFactory(school=school, name=f"4e {label}")
    teacher = make_teacher(klass, maths, first_name=f"Prof{label}")
    colleague = make_teacher(sibling, maths, first_name=f"Collegue{label}")
    pupil = make_student(klass, login=f"eleve.{label.lower()}")
    classmate = make_student(klass)
    sibling_pupil = make_student(sibling)
    parent = make_parent(pupil)
    staff = make_staff(school)
    head = make_staff(school, head=True)

    course = make_course(klass, maths, author=teacher)
    lesson = make_lesson(course)
    resource = attach(lesson, make_document(teacher, name="Fiche.pdf"))
    draft_lesson = make_lesson(course, published=False)
    draft_resource = attach(draft_lesson, make_document(teacher, kind="image"))
    draft_course = make_course(klass, maths, published=False, author=teacher)
    draft_course_lesson = make_lesson(draft_course)
    draft_course_resource = attach(draft_course_lesson, make_document(teacher, kind="audio"))

    homework_doc = make_document(teacher, name="Consigne.pdf")
    homework = HomeworkFactory(school_class=klass, subject=maths, teacher=teacher, title=f"Devoir du collège {label}")
    homework.attachments.add(homework_doc)
    log = LessonLogFactory(school_class=klass, subject=maths, teacher=teacher)

    assignment = assignment_of(teacher, klass, ["single", "essay"], feedback_timing=FeedbackTiming.AFTER_SUBMIT)
    exercise = assignment.exercise
    attempt = make_attempt(assignment, pupil, [1, None])
    open_assignment = assignment_of(teacher, klass, ["single"])
    open_attempt = make_attempt(open_assignment, pupil, ["blank"], submitted=False)

    question = QuestionFactory(owner=teacher, school=school)
    shared_question = QuestionFactory(owner=colleague, school=school, shared=True)
    category = CategoryFactory(teacher, f"Fractions {label}")

    pupil_folder = Folder.objects.create(space=space_of(pupil), name="Mes cours")
    pupil_document = make_document(pupil, name="Rédaction.pdf")
    pupil_document.folder = pupil_folder
    pupil_document.save(update_fields=["folder"])

    return Side(
        people={
            "pupil": pupil,
            "classmate": classmate,
            "sibling_pupil": sibling_pupil,
            "parent": parent,
            "teacher": teacher,
            "colleague": colleague,
            "staff": staff,
            "head": head,
        },
        objects={
            "school": school,
            "uai": school.uai,
            "class": klass.pk,
            "pupil": pupil.pk,
            "course": course.pk,
            "lesson": lesson.pk,
            "resource": resource.pk,
            "draft_lesson": draft_lesson.pk,
            "draft_resource": draft_resource.pk,
            "draft_course": draft_course.pk,
            "draft_course_lesson": draft_course_lesson.pk,
            "draft_course_resource": draft_course_resource.pk,
            "homework": homework.pk,
            "homework_doc": homework_doc.pk,
            "log": log.pk,
            "exercise": exercise.pk,
            "assignment": assignment.pk,
            "attempt": attempt.pk,
            "open_assignment": open_assignment.pk,
            "open_attempt": open_attempt.pk,
            "question": question.pk,
            "shared_question": shared_question.pk,
            "category": category.pk,
            "item": exercise.items.order_by("position").values_list("pk", flat=True).first(),
            "staff_member": SchoolMember.objects.get(user=staff, school=school, kind=SchoolMember.Kind.STAFF).pk,
            "folder": pupil_folder.pk,
            "document": pupil_document.pk,
        },
    )


@dataclass
class World:
    a: Side
    b: Side
    people: dict[str, Any]


@pytest.fixture
def world(db) -> World:
    a, b = _side("A"), _side("B")
    people: dict[str, Any] = {"anonymous": None, "nobody": UserFactory(), "manager": programme_manager()}
    people.update(a.people)
    people.update({f"b_{role}": user for role, user in b.people.items()})
    return World(a=a, b=b, people=people)


ROLES = (
    "anonymous",
    "nobody",
    "manager",
    "pupil",
    "classmate",
    "sibling_pupil",
    "parent",
    "teacher",
    "colleague",
    "staff",
    "head",
    "b_pupil",
    "b_parent",
    "b_teacher",
    "b_colleague",
    "b_staff",
    "b_head",
)

# url name -> (the arguments, read from side A's objects; who gets 200; who gets a redirect).
# Everyone else: 403 or 404; anonymous people: the sign-in page.
CLASS_READERS = {"pupil", "classmate", "parent", "teacher", "staff", "head"}
CLASS_STAFF = {"teacher", "staff", "head"}
TEACHER = {"teacher"}
PUPIL = {"pupil"}
SCHOOL_ADMINS = {"staff", "head", "manager"}
# The school's own business (pupils' names): its staff only, not the programme team.
SCHOOL_OWN = {"staff", "head"}

MATRIX: dict[str, tuple[tuple[str, ...], set[str], set[str]]] = {
    # courses
    "course": (("course",), CLASS_READERS, set()),
    "lesson": (("course", "lesson"), CLASS_READERS, set()),
    "lesson_resource": (("resource",), CLASS_READERS, set()),
    "course#draft": (("draft_course",), CLASS_STAFF, set()),
    "lesson#draft": (("course", "draft_lesson"), CLASS_STAFF, set()),
    "lesson#draft_course": (("draft_course", "draft_course_lesson"), CLASS_STAFF, set()),
    "lesson_resource#draft": (("draft_resource",), CLASS_STAFF, set()),
    "lesson_resource#draft_course": (("draft_course_resource",), CLASS_STAFF, set()),
    "course_create": (("class",), TEACHER, set()),
    "course_edit": (("course",), TEACHER, set()),
    "course_delete": (("course",), TEACHER, set()),
    "lesson_create": (("course",), TEACHER, set()),
    "lesson_edit": (("course", "lesson"), TEACHER, set()),
    "lesson_delete": (("course", "lesson"), TEACHER, set()),
    # cahier de textes and homework
    "homework_class": (("class",), CLASS_READERS, set()),
    "homework_attachment": (("homework", "homework_doc"), CLASS_READERS, set()),
    "lessonlog_create": (("class",), TEACHER, set()),
    "lessonlog_edit": (("log",), TEACHER, set()),
    "lessonlog_delete": (("log",), TEACHER, set()),
    "homework_create": (("class",), TEACHER, set()),
    "homework_edit": (("homework",), TEACHER, set()),
    "homework_delete": (("homework",), TEACHER, set()),
    "workload": (("class",), CLASS_STAFF, set()),
    "sign_off": (("class",), {"head"}, set()),
    # exercises, assignments, results
    "exercise": (("exercise",), TEACHER, set()),
    "exercise_edit": (("exercise",), TEACHER, set()),
    "exercise_add": (("exercise",), TEACHER, set()),
    "exercise_delete": (("exercise",), TEACHER, set()),
    "assign": (("exercise",), TEACHER, set()),
    "assignment": (("assignment",), TEACHER, set()),
    "assignment_edit": (("assignment",), TEACHER, set()),
    "assignment_delete": (("assignment",), TEACHER, set()),
    "assignment_results": (("assignment",), TEACHER, set()),
    "assignment_results_csv": (("assignment",), TEACHER, set()),
    "attempt_grade": (("attempt",), TEACHER, set()),
    # a pupil's attempts: the pupil answers; a parent or a teacher is sent to the review
    "attempt": (("open_attempt",), PUPIL, {"parent", "teacher"}),
    "attempt_submit": (("open_attempt",), PUPIL, {"parent", "teacher"}),
    "attempt_review": (("attempt",), {"pupil", "parent", "teacher"}, set()),
    # documents: the owner only
    "document": (("document",), PUPIL, set()),
    "document_download": (("document", "name"), PUPIL, set()),
    "document_rename": (("document",), PUPIL, set()),
    "document_move": (("document",), PUPIL, set()),
    "document_delete": (("document",), PUPIL, set()),
    "folder": (("folder",), PUPIL, set()),
    "folder_rename": (("folder",), PUPIL, set()),
    "folder_move": (("folder",), PUPIL, set()),
    "folder_delete": (("folder",), PUPIL, set()),
    # question bank: the owner; a shared question, the teachers of its school
    "question_preview": (("question",), TEACHER, set()),
    "question_edit": (("question",), TEACHER, set()),
    "question_delete": (("question",), TEACHER, set()),
    "question_preview#shared": (("shared_question",), {"teacher", "colleague"}, set()),
    "question_category_edit": (("category",), TEACHER, set()),
    "question_category_delete": (("category",), TEACHER, set()),
    # schools, classes, pupils
    "school": (("uai",), SCHOOL_ADMINS, set()),
    "school_people": (("uai",), SCHOOL_OWN, set()),
    "class_create": (("uai",), SCHOOL_OWN, set()),
    "rollover": (("uai",), SCHOOL_OWN, set()),
    "staff": (("uai",), {"manager"}, set()),
    "class_detail": (("class",), CLASS_READERS, set()),
    "class_edit": (("class",), SCHOOL_OWN, set()),
    "class_members": (("class",), SCHOOL_OWN, set()),
    "student_detail": (("pupil",), CLASS_STAFF, set()),
    "reset_password": (("pupil",), CLASS_STAFF, set()),
    # home: a parent's page of the child; the family's export
    "child": (("pupil",), {"parent"}, set()),
    "student_export": (("pupil",), {"pupil", "parent", "staff", "head"}, set()),
}


LOGIN_URL = "/compte/login/"  # reverse(settings.LOGIN_URL)


def _url(name: str, side: Side) -> str:
    base = name.split("#")[0]
    args = ["Rédaction.pdf" if key == "name" else side.objects[key] for key in MATRIX[name][0]]
    return reverse(f"learning:{base}", args=args)


def _login(client: Client, user: Any) -> None:
    client.logout()
    if user is not None:
        client.force_login(user)


def _open(client: Client, user: Any, url: str) -> Any:
    _login(client, user)
    return client.get(url)


def _body(response: Any) -> bytes:
    """The body, read whole: the test client closes a streamed file once it is read (closing
    a response again would send ``request_finished`` and close the test's connection)."""
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_matrix(client, world, name):
    """Every role on side A's object, and every role of B on the same object (another
    school's people), then the same roles of A on side B's object (the mirror)."""
    _args, allowed, redirected = MATRIX[name]
    wrong: list[str] = []
    for target, prefix_ok in ((world.a, ""), (world.b, "b_")):
        url = _url(name, target)
        for role in ROLES:
            user = world.people[role]
            # The people allowed on A's object are A's people; on B's object, B's people.
            plain_role = role[len(prefix_ok) :] if prefix_ok and role.startswith(prefix_ok) else role
            same_side = (prefix_ok == "" and not role.startswith("b_")) or (prefix_ok and role.startswith("b_"))
            if role in {"anonymous", "nobody", "manager"}:
                same_side, plain_role = True, role
            response = _open(client, user, url)
            status = response.status_code
            if role == "anonymous":
                ok = status == 302 and response["Location"].startswith(LOGIN_URL + "?next=")
            elif same_side and plain_role in allowed:
                ok = status == 200
            elif same_side and plain_role in redirected:
                ok = status == 302 and "/bilan/" in response["Location"]
            else:
                ok = status in (403, 404)
            if ok and status in (403, 404):
                ok = PDF_BYTES not in _body(response)  # never a byte of the file
            _body(response)
            if not ok:
                wrong.append(f"{role} on {'A' if not prefix_ok else 'B'}: {status}")
    assert not wrong, f"{name}: {wrong}"


# --- Lists: each person sees only their own ----------------------------------------------------------


def test_lists_show_nothing_of_the_other_school(client, world):
    """The pages without an id in their address list only the person's own: nothing of
    collège B (its name, its teacher, its homework) in A's people's lists."""
    homework_b = Homework.objects.get(pk=world.b.objects["homework"])
    pages = {
        "pupil": ("home", "courses", "my_exercises", "my_homework", "documents"),
        "parent": ("home", "courses", "my_exercises", "my_homework"),
        "teacher": ("home", "courses", "my_homework", "questions", "exercises", "to_grade", "documents"),
        "staff": ("home", "courses", "schools", "documents"),
        "head": ("home", "sign_off_overview"),
    }
    for role, names in pages.items():
        for name in names:
            response = _open(client, world.people[role], reverse(f"learning:{name}"))
            assert response.status_code == 200, (role, name, response.status_code)
            body = response.content.decode()
            for marker in ("Collège B", "ProfB", "CollegueB", homework_b.title, "eleve.b"):
                assert marker not in body, (role, name, marker)


TEACHERS = {"teacher", "colleague", "b_teacher", "b_colleague"}
SCHOOL_PEOPLE = {"pupil", "classmate", "sibling_pupil", "teacher", "colleague", "staff", "head"}
SCHOOL_PEOPLE |= {f"b_{role}" for role in SCHOOL_PEOPLE}
SIGNED_IN = set(ROLES) - {"anonymous"}
# Pages without an object in their address: who may open them at all.
PAGES: dict[str, tuple[tuple[Any, ...], set[str]]] = {
    "home": ((), SIGNED_IN),
    "courses": ((), SIGNED_IN),
    "my_exercises": ((), SIGNED_IN),
    "my_homework": (
        (),
        {"pupil", "classmate", "sibling_pupil", "parent", "teacher", "colleague", "head"}
        | {"b_pupil", "b_parent", "b_teacher", "b_colleague", "b_head"},
    ),
    "calendar_link": ((), {"pupil", "classmate", "sibling_pupil", "parent", "b_pupil", "b_parent"}),
    "documents": ((), SCHOOL_PEOPLE),
    "folder_create": ((), SCHOOL_PEOPLE),
    "questions": ((), TEACHERS),
    "question_new": ((), TEACHERS),
    "question_create": (("single",), TEACHERS),
    "question_categories": ((), TEACHERS),
    "gift_import": ((), TEACHERS),
    "exercises": ((), TEACHERS),
    "exercise_create": ((), TEACHERS),
    "to_grade": ((), TEACHERS),
    "schools": ((), {"staff", "head", "manager", "b_staff", "b_head"}),
    "sign_off_overview": ((), {"head", "b_head"}),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_pages_without_object(client, world, name):
    args, allowed = PAGES[name]
    url = reverse(f"learning:{name}", args=list(args))
    wrong = []
    for role in ROLES:
        response = _open(client, world.people[role], url)
        if role == "anonymous":
            ok = response.status_code == 302 and response["Location"].startswith(LOGIN_URL + "?next=")
        else:
            ok = response.status_code == (200 if role in allowed else 403)
        if not ok:
            wrong.append(f"{role}: {response.status_code}")
    assert not wrong, f"{name}: {wrong}"


def test_question_bank_lists_only_own_and_shared_of_the_school(client, world):
    teacher = world.people["teacher"]
    client.force_login(teacher)
    body = client.get(reverse("learning:questions"), {"portee": "all"}).content.decode()
    from ..models import Question

    mine = Question.objects.get(pk=world.a.objects["question"])
    shared = Question.objects.get(pk=world.a.objects["shared_question"])
    other_school = Question.objects.get(pk=world.b.objects["shared_question"])
    colleague_private = QuestionFactory(owner=world.people["colleague"], school=world.a.objects["school"])
    assert mine.name in body
    assert shared.name in body
    assert other_school.name not in body
    assert colleague_private.name not in body


def test_gift_export_refuses_what_one_may_not_see(client, world):
    client.force_login(world.people["teacher"])
    b_shared = world.b.objects["shared_question"]
    private = QuestionFactory(owner=world.people["colleague"], school=world.a.objects["school"])
    for question_id in (b_shared, private.pk):
        response = client.get(reverse("learning:gift_export"), {"ids": str(question_id)})
        assert response.status_code == 404, question_id


def test_parent_cannot_pick_another_child(client, world):
    parent = world.people["parent"]
    other = world.people["b_pupil"]
    client.force_login(parent)
    for name, key in (("courses", "eleve"), ("my_homework", "enfant")):
        response = client.get(reverse(f"learning:{name}"), {key: other.pk})
        assert response.status_code == 200
        body = response.content.decode()
        assert other.first_name not in body or other.first_name == parent.first_name
        assert "Collège B" not in body


# --- Writes across schools and classes ----------------------------------------------------------------


def _post(client: Client, user: Any, url: str, data: dict[str, Any] | None = None, **extra: Any) -> Any:
    client.logout()
    client.force_login(user)
    return client.post(url, data or {}, **extra)


WRITES = [
    ("course_publish", ("draft_course",), {}),
    ("course_delete", ("course",), {}),
    ("lesson_publish", ("course", "draft_lesson"), {}),
    ("lesson_delete", ("course", "lesson"), {}),
    ("resource_delete", ("resource",), {}),
    ("resource_move", ("resource",), {"direction": "down"}),
    ("homework_delete", ("homework",), {}),
    ("lessonlog_delete", ("log",), {}),
    ("assignment_close", ("assignment",), {}),
    ("assignment_delete", ("assignment",), {"confirm": "1"}),
    ("exercise_copy", ("exercise",), {}),
    ("exercise_delete", ("exercise",), {}),
    ("question_delete", ("question",), {}),
    ("question_retire", ("question",), {}),
    ("question_share", ("question",), {"shared": "1"}),
    ("question_copy", ("question",), {}),
    ("document_delete", ("document",), {}),
    ("folder_delete", ("folder",), {}),
    ("class_delete", ("class",), {}),
    ("homework_done", ("homework",), {"done": "1"}),
    ("assignment_start", ("open_assignment",), {}),
    ("attempt_submit", ("open_attempt",), {}),
    ("answer_save", ("open_attempt", "slot"), {"q1-choice": "a"}),
    ("attempt_grade", ("attempt",), {"slot": "2", "s2-mark": "1", "s2-comment": "Vu."}),
    ("lesson_move", ("course", "lesson"), {"direction": "down"}),
    ("exercise_item", ("exercise", "item"), {"action": "remove"}),
    ("staff_remove", ("uai", "staff_member"), {}),
]


def _write_url(name: str, keys: tuple[str, ...], side: Side) -> str:
    return reverse(f"learning:{name}", args=[1 if key == "slot" else side.objects[key] for key in keys])


@pytest.mark.parametrize(("name", "keys", "data"), WRITES, ids=[w[0] for w in WRITES])
def test_writes_of_another_school_are_refused(client, world, name, keys, data):
    """Every person of school B posts on A's objects: refused, and nothing changed."""
    url = _write_url(name, keys, world.a)
    before = _snapshot(world.a)
    for role in ("b_pupil", "b_parent", "b_teacher", "b_colleague", "b_staff", "b_head", "nobody"):
        response = _post(client, world.people[role], url, data)
        assert response.status_code in (403, 404), (name, role, response.status_code)
    assert _snapshot(world.a) == before


@pytest.mark.parametrize(("name", "keys", "data"), WRITES, ids=[w[0] for w in WRITES])
def test_writes_within_the_school_by_the_wrong_people_are_refused(client, world, name, keys, data):
    """Same school, wrong person: a colleague who does not teach the class, a pupil of the
    sibling class, a classmate (on the pupil's things), a parent (read only)."""
    url = _write_url(name, keys, world.a)
    before = _snapshot(world.a)
    refused = {"colleague", "sibling_pupil", "parent", "classmate"}
    if name == "homework_done":
        refused = {"colleague", "sibling_pupil", "parent", "teacher", "staff"}
    if name == "assignment_start":
        refused = {"colleague", "sibling_pupil", "parent", "teacher", "staff", "head"}
    if name in {"class_delete"}:
        refused = {"colleague", "teacher", "pupil", "parent"}
    if name in {
        "homework_delete",
        "lessonlog_delete",
        "course_publish",
        "course_delete",
        "lesson_publish",
        "lesson_move",
        "resource_move",
        "resource_delete",
        "assignment_close",
        "exercise_item",
        "attempt_grade",
    }:
        refused |= {"staff", "head", "pupil"}
    if name == "staff_remove":
        refused |= {"staff", "head", "teacher"}  # the programme team only
    for role in sorted(refused):
        response = _post(client, world.people[role], url, data)
        if name in {"attempt_submit", "answer_save"} and role == "parent" and response.status_code == 302:
            assert "/bilan/" in response["Location"]  # the read-only review, nothing handed in
            continue
        assert response.status_code in (403, 404), (name, role, response.status_code)
    assert _snapshot(world.a) == before


def _snapshot(side: Side) -> dict[str, Any]:
    from ..models import Answer, Assignment, Attempt, Exercise, LessonLog, Question, SchoolClass

    objects = side.objects
    return {
        "courses": sorted(Course.objects.filter(school_class_id=objects["class"]).values_list("pk", "status")),
        "lessons": sorted(
            Course.objects.filter(school_class_id=objects["class"]).values_list("lessons__pk", "lessons__status")
        ),
        "resources": sorted(LessonResource.objects.values_list("pk", "position")),
        "homework": sorted(Homework.objects.filter(school_class_id=objects["class"]).values_list("pk", flat=True)),
        "logs": sorted(LessonLog.objects.filter(school_class_id=objects["class"]).values_list("pk", flat=True)),
        "assignments": sorted(
            Assignment.objects.filter(school_class_id=objects["class"]).values_list("pk", "closes_at")
        ),
        "exercises": Exercise.objects.count(),
        "items": sorted(ExerciseQuestion.objects.values_list("pk", "position")),
        "members": SchoolMember.objects.filter(left_on__isnull=True).count(),
        "questions": sorted(Question.objects.values_list("pk", "retired", "shared")),
        "documents": Document.objects.count(),
        "folders": Folder.objects.count(),
        "classes": SchoolClass.objects.count(),
        "done": HomeworkDone.objects.count(),
        "attempts": sorted(Attempt.objects.values_list("pk", "state")),
        "answers": sorted(
            (a.pk, json.dumps(a.response, sort_keys=True), str(a.override_mark), a.override_comment)
            for a in Answer.objects.all()
        ),
    }


def test_csrf_is_enforced_on_writes(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.people["teacher"])
    url = reverse("learning:course_publish", args=[world.a.objects["draft_course"]])
    response = client.post(url)
    assert response.status_code == 403
    assert Course.objects.get(pk=world.a.objects["draft_course"]).status == Course.Status.DRAFT
    pupil_client = Client(enforce_csrf_checks=True)
    pupil_client.force_login(world.people["pupil"])
    save = reverse("learning:answer_save", args=[world.a.objects["open_attempt"], 1])
    response = pupil_client.post(save, {"q1-choice": "a"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    export = reverse("learning:student_export", args=[world.a.objects["pupil"]])
    assert pupil_client.post(export).status_code == 403


def test_pupil_cannot_answer_a_classmates_attempt(client, world):
    classmate = world.people["classmate"]
    url = reverse("learning:answer_save", args=[world.a.objects["open_attempt"], 1])
    before = _snapshot(world.a)["answers"]
    response = _post(client, classmate, url, {"q1-choice": "a"}, HTTP_ACCEPT="application/json")
    assert response.status_code == 403
    assert response.json()["ok"] is False
    assert _snapshot(world.a)["answers"] == before


def test_exercise_add_refuses_unshared_or_foreign_questions(client, world):
    teacher = world.people["teacher"]
    exercise = world.a.objects["exercise"]
    url = reverse("learning:exercise_add", args=[exercise])
    private = QuestionFactory(owner=world.people["colleague"], school=world.a.objects["school"])
    for question_id in (private.pk, world.b.objects["shared_question"], world.b.objects["question"]):
        response = _post(client, teacher, url, {"question": [str(question_id)]})
        assert response.status_code == 403, question_id
        assert not ExerciseQuestion.objects.filter(exercise_id=exercise, question_id=question_id).exists()
    response = _post(client, teacher, url, {"question": [str(world.a.objects["shared_question"])]})
    assert response.status_code == 302
    assert ExerciseQuestion.objects.filter(
        exercise_id=exercise, question_id=world.a.objects["shared_question"]
    ).exists()


def test_assign_to_a_class_one_does_not_teach_is_refused(client, world):
    from ..models import Assignment

    teacher = world.people["teacher"]
    url = reverse("learning:assign", args=[world.a.objects["exercise"]])
    now = timezone.localtime() + dt.timedelta(days=2)
    for class_id in (world.b.objects["class"], SchoolClassFactory(school=world.a.objects["school"]).pk):
        count = Assignment.objects.count()
        response = _post(
            client,
            teacher,
            url,
            {
                "school_class": class_id,
                "opens_at_0": timezone.localdate().isoformat(),
                "opens_at_1": "08:00",
                "closes_at_0": now.date().isoformat(),
                "closes_at_1": "18:00",
                "attempts_allowed": "1",
                "grading_method": "highest",
                "feedback_timing": "after_submit",
            },
        )
        assert response.status_code == 200  # the form again, with its error
        assert Assignment.objects.count() == count


def test_lesson_resource_cannot_take_another_persons_document(client, world):
    teacher = world.people["teacher"]
    url = reverse("learning:resource_add", args=[world.a.objects["course"], world.a.objects["lesson"], "document"])
    count = LessonResource.objects.count()
    for document_id in (world.a.objects["document"], world.b.objects["homework_doc"]):
        response = _post(client, teacher, url, {"document-document": document_id, "document-title": "Volé"})
        assert response.status_code == 400
    assert LessonResource.objects.count() == count


def test_homework_cannot_attach_another_persons_document(client, world):
    teacher = world.people["teacher"]
    subject = world.a.people["teacher"]  # noqa: F841 - the teacher's subject is the class's maths
    from ..models import Teaching

    subject_id = Teaching.objects.filter(teacher=teacher).values_list("subject_id", flat=True).first()
    url = reverse("learning:homework_create", args=[world.a.objects["class"]])
    count = Homework.objects.count()
    response = _post(
        client,
        teacher,
        url,
        {
            "subject": subject_id,
            "due_on": (timezone.localdate() + dt.timedelta(days=3)).isoformat(),
            "title": "Exercice 4",
            "instructions": "",
            "attachments": [world.a.objects["document"]],
        },
    )
    assert response.status_code in (200, 400)
    assert Homework.objects.count() == count


def test_documents_cannot_be_moved_or_uploaded_into_another_space(client, world):
    pupil = world.people["pupil"]
    classmate = world.people["classmate"]
    theirs = Folder.objects.create(space=space_of(classmate), name="Privé")
    move = reverse("learning:document_move", args=[world.a.objects["document"]])
    response = _post(client, pupil, move, {"destination": str(theirs.pk)})
    assert response.status_code in (400, 403)  # not a choice of the form; the service refuses it too
    assert Document.objects.get(pk=world.a.objects["document"]).folder_id == world.a.objects["folder"]
    upload = reverse("learning:document_upload")
    file = SimpleUploadedFile("a.pdf", PDF_BYTES, content_type="application/pdf")
    response = _post(client, pupil, upload, {"dossier": str(theirs.pk), "files": [file]})
    assert response.status_code == 403
    assert not Document.objects.filter(folder=theirs).exists()


def test_uploads_are_taken_for_what_their_content_is(client, world):
    pupil = world.people["pupil"]
    url = reverse("learning:document_upload")
    count = Document.objects.count()
    for name, content in (
        ("devoir.pdf", b"<html><script>alert(1)</script></html>"),
        ("photo.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("lecon.pdf", b"MZ\x90\x00" + b"\x00" * 200),
    ):
        file = SimpleUploadedFile(name, content, content_type="application/pdf")
        response = _post(client, pupil, url, {"files": [file]})
        assert response.status_code == 400, name
    assert Document.objects.count() == count
    file = SimpleUploadedFile("vraie.txt", PDF_BYTES, content_type="text/plain")
    assert _post(client, pupil, url, {"files": [file]}).status_code == 302
    document = Document.objects.latest("pk")
    assert (document.content_type, document.name) == ("application/pdf", "vraie.pdf")


# --- serve_document: ranges and headers ---------------------------------------------------------------


def test_ranges_for_the_owner_only(client, world):
    url = reverse("learning:document_download", args=[world.a.objects["document"], "x.pdf"])
    client.force_login(world.people["pupil"])
    response = client.get(url, HTTP_RANGE="bytes=0-9")
    assert response.status_code == 206
    assert _body(response) == PDF_BYTES[:10]
    assert response["Content-Range"] == f"bytes 0-9/{len(PDF_BYTES)}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]
    response = client.get(url, HTTP_RANGE=f"bytes={len(PDF_BYTES)}-")
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(PDF_BYTES)}"
    response = client.get(url, HTTP_RANGE="bytes=-99999999999999999999999")
    assert response.status_code == 200
    assert _body(response) == PDF_BYTES
    for role in ("classmate", "parent", "teacher", "staff", "b_pupil"):
        _login(client, world.people[role])
        response = client.get(url, HTTP_RANGE="bytes=0-9")
        assert response.status_code == 403, role
        assert b"%PDF" not in _body(response), role


def test_lesson_resource_ranges_follow_the_lesson(client, world):
    url = reverse("learning:lesson_resource", args=[world.a.objects["draft_course_resource"]])
    for role in ("pupil", "parent", "b_teacher"):
        _login(client, world.people[role])
        response = client.get(url, HTTP_RANGE="bytes=0-3")
        assert response.status_code == 403, role
        _body(response)
    _login(client, world.people["teacher"])
    response = client.get(url, HTTP_RANGE="bytes=0-3")
    assert response.status_code == 206
    assert len(_body(response)) == 4


def test_homework_attachment_must_be_one_of_the_homeworks(client, world):
    """A pupil of A asks A's homework for B's document, or for the classmate's document."""
    client.force_login(world.people["pupil"])
    for document_id in (world.b.objects["homework_doc"], world.a.objects["document"]):
        url = reverse("learning:homework_attachment", args=[world.a.objects["homework"], document_id])
        response = client.get(url)
        assert response.status_code == 404
        _body(response)
    url = reverse("learning:homework_attachment", args=[world.a.objects["homework"], world.a.objects["homework_doc"]])
    response = client.get(url, HTTP_RANGE="bytes=0-3")
    assert response.status_code == 206
    assert _body(response) == PDF_BYTES[:4]


# --- The homework calendar ------------------------------------------------------------------------


def test_calendar_feed_token(client, world):
    pupil = world.people["pupil"]
    parent = world.people["parent"]
    homework_a = Homework.objects.get(pk=world.a.objects["homework"])
    homework_b = Homework.objects.get(pk=world.b.objects["homework"])
    feed = HomeworkFeed.objects.create(user=pupil)
    client.logout()
    response = client.get(reverse("learning:calendar_feed", args=[feed.token]))
    assert response.status_code == 200
    body = response.content.decode()
    assert homework_a.title in body
    assert homework_b.title not in body
    for token in ("x", feed.token[:-1], feed.token.upper() if feed.token.upper() != feed.token else "y" * 32, "a" * 70):
        assert client.get(reverse("learning:calendar_feed", args=[token])).status_code == 404
    # A new address: the old one stops at once.
    client.force_login(pupil)
    assert client.post(reverse("learning:calendar_link"), {"confirm": "1"}).status_code in (200, 302)
    client.logout()
    new = HomeworkFeed.objects.get(user=pupil)
    if new.token != feed.token:
        assert client.get(reverse("learning:calendar_feed", args=[feed.token])).status_code == 404
    # A parent's calendar has the child's homework, not another school's.
    parent_feed = HomeworkFeed.objects.create(user=parent)
    body = client.get(reverse("learning:calendar_feed", args=[parent_feed.token])).content.decode()
    assert homework_a.title in body
    assert homework_b.title not in body
    # Teachers and staff have no calendar address.
    for role in ("teacher", "staff", "nobody"):
        assert _open(client, world.people[role], reverse("learning:calendar_link")).status_code == 403, role


# --- The family's export ----------------------------------------------------------------------------


def test_export_zip_holds_only_the_pupils_data(client, world):
    pupil = world.people["pupil"]
    classmate_doc = make_document(world.people["classmate"], name="Secret du voisin.pdf")
    url = reverse("learning:student_export", args=[pupil.pk])
    for role in ("parent", "pupil", "staff"):
        response = _post(client, world.people[role], url)
        assert response.status_code == 200, role
        assert response["Content-Type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(response.content))
        names = archive.namelist()
        assert "donnees.json" in names
        assert any("Rédaction" in name for name in names)
        assert not any(classmate_doc.name in name for name in names)
        data = json.loads(archive.read("donnees.json"))
        assert data["eleve"]["identifiant"] == "eleve.a"
        assert "code" not in json.dumps(data).lower().replace("code_postal", "")
    for role in ("classmate", "teacher", "b_parent", "b_staff", "manager", "colleague"):
        assert _post(client, world.people[role], url).status_code == 403, role


# --- Redirects after sign-in ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example/", "\\\\evil.example", "javascript:alert(1)"],
)
def test_sign_in_next_is_never_another_site(client, world, target):
    pupil = world.people["pupil"]
    pupil.set_password("Cantal-2026-volcans")
    pupil.save()
    client.logout()
    response = client.post(
        reverse("learning:sign_in") + "?next=" + target,
        {"identifier": "eleve.a", "password": "Cantal-2026-volcans", "next": target},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("learning:home")
    client.logout()
    response = client.get(reverse("learning:sign_in"), {"next": target})
    assert target.encode() not in response.content


def test_bank_bulk_next_stays_on_the_bank(client, world):
    url = reverse("learning:questions_bulk")
    response = _post(client, world.people["teacher"], url, {"next": "https://evil.example/", "action": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("learning:questions"))


# --- Rich text ------------------------------------------------------------------------------------------

HOSTILE = (
    '<p>Texte</p><script>alert("x")</script><img src="https://tracker.example/p.gif" alt="t">'
    '<img src="x" onerror="alert(1)"><a href="javascript:alert(2)">lien</a>'
    '<img src="/\\tracker.example/p.gif" alt="b"><img src="/\t/tracker.example/p.gif" alt="t2">'
    '<iframe src="https://tracker.example/"></iframe><style>body{}</style>'
    '<a href="https://ok.example/" onclick="alert(3)">ok</a>'
)


def _assert_clean(body: str) -> None:
    assert "<script>alert" not in body
    assert "onerror" not in body
    assert "onclick" not in body
    assert "javascript:alert" not in body
    assert "tracker.example" not in body  # no image, frame or link to another site survived


def test_richtext_refuses_images_of_another_site():
    """The hole fixed: ``/\\host`` and ``/<tab>/host`` are read by browsers as ``//host``."""
    for src in ("/\\tracker.example/p.gif", "/\t/tracker.example/p.gif", "/\n/tracker.example/p.gif", "//t.example/"):
        assert "tracker.example" not in richtext.clean(f'<img src="{src}" alt="x">'), src
        assert "t.example" not in richtext.clean(f'<img src="{src}" alt="x">'), src
    assert richtext.clean('<img src="/media/a.png" alt="a">') == '<img src="/media/a.png" alt="a">'


def test_rich_text_is_cleaned_wherever_it_is_shown(client, world):
    """Written by another path than the forms (an import, the admin): cleaned on the way out."""
    from ..models import Lesson, LessonLog

    course = Course.objects.get(pk=world.a.objects["course"])
    Course.objects.filter(pk=course.pk).update(summary=HOSTILE)
    Lesson.objects.filter(pk=world.a.objects["lesson"]).update(body=HOSTILE)
    Homework.objects.filter(pk=world.a.objects["homework"]).update(instructions=HOSTILE)
    LessonLog.objects.filter(pk=world.a.objects["log"]).update(content=HOSTILE)
    pages = [
        ("pupil", reverse("learning:course", args=[course.pk])),
        ("pupil", reverse("learning:lesson", args=[course.pk, world.a.objects["lesson"]])),
        ("pupil", reverse("learning:homework_class", args=[world.a.objects["class"]])),
        ("pupil", reverse("learning:my_homework")),
        ("parent", reverse("learning:my_homework")),
        ("pupil", reverse("learning:home")),
        ("parent", reverse("learning:child", args=[world.a.objects["pupil"]])),
        ("teacher", reverse("learning:homework_class", args=[world.a.objects["class"]])),
    ]
    for role, url in pages:
        response = _open(client, world.people[role], url)
        assert response.status_code == 200, (role, url)
        _assert_clean(response.content.decode())


def test_question_text_is_cleaned_in_the_attempt_and_preview(client, world):
    from ..models import Answer, Question

    attempt = world.a.objects["open_attempt"]
    answer = Answer.objects.get(attempt_id=attempt, slot=1)
    snapshot = dict(answer.snapshot)
    snapshot.update(text=HOSTILE, text_format="html")
    Answer.objects.filter(pk=answer.pk).update(snapshot=snapshot)
    response = _open(client, world.people["pupil"], reverse("learning:attempt", args=[attempt]) + "?q=1")
    assert response.status_code == 200
    _assert_clean(response.content.decode())
    Question.objects.filter(pk=world.a.objects["question"]).update(text=HOSTILE, text_format="html")
    response = _open(
        client, world.people["teacher"], reverse("learning:question_preview", args=[world.a.objects["question"]])
    )
    assert response.status_code == 200
    _assert_clean(response.content.decode())


def test_no_third_party_resource_in_the_pages(client, world):
    for role, url in (
        ("pupil", reverse("learning:home")),
        ("pupil", reverse("learning:lesson", args=[world.a.objects["course"], world.a.objects["lesson"]])),
        ("teacher", reverse("learning:lesson_edit", args=[world.a.objects["course"], world.a.objects["lesson"]])),
        ("pupil", reverse("learning:attempt", args=[world.a.objects["open_attempt"]])),
    ):
        body = _open(client, world.people[role], url).content.decode()
        for marker in ('src="http', "src='http", 'href="http://', 'src="//', "@import", "url(http"):
            assert marker not in body, (role, url, marker)


# --- The holes fixed: a pupil's former school ------------------------------------------------------------


@pytest.fixture
def moved_pupil(world):
    """The pupil of A's class last year, now at collège B: A's teacher taught that class and
    A's staff ran it, but the pupil has left A."""
    a_school = world.a.objects["school"]
    last_year = SchoolYearFactory(
        starts_on=dt.date(
            timezone.localdate().year - 1 if timezone.localdate().month >= 9 else timezone.localdate().year - 2, 9, 1
        )
    )
    old_class = SchoolClassFactory(school=a_school, year=last_year, name="6e A (l'an dernier)")
    maths = SubjectFactory()
    teach(world.people["teacher"], old_class, maths)
    pupil = make_student(SchoolClassFactory(school=world.b.objects["school"], name="5e B bis"), login="parti.en.b")
    enrol(pupil, old_class)
    SchoolMember.objects.filter(user=pupil, school=a_school).update(
        left_on=timezone.localdate() - dt.timedelta(days=30)
    )
    return pupil


def test_teacher_of_last_year_in_another_school_cannot_reset_the_password(client, world, moved_pupil):
    code_hash = EntAccount.objects.get(user=moved_pupil).activation_code_hash
    for role in ("teacher", "staff", "head"):
        url = reverse("learning:reset_password", args=[moved_pupil.pk])
        response = _post(client, world.people[role], url, {"confirm": "on"})
        assert response.status_code == 403, role
        assert (
            _open(client, world.people[role], reverse("learning:student_detail", args=[moved_pupil.pk])).status_code
            == 403
        )
        assert (
            _post(client, world.people[role], reverse("learning:student_export", args=[moved_pupil.pk])).status_code
            == 403
        )
    moved_pupil.refresh_from_db()
    assert moved_pupil.has_usable_password()
    assert EntAccount.objects.get(user=moved_pupil).activation_code_hash == code_hash
    # The new school's people may.
    assert (
        _open(client, world.people["b_staff"], reverse("learning:reset_password", args=[moved_pupil.pk])).status_code
        == 200
    )


def test_teacher_of_the_pupil_this_year_may_reset_the_password(client, world):
    pupil = world.people["pupil"]
    url = reverse("learning:reset_password", args=[pupil.pk])
    response = _post(client, world.people["teacher"], url, {"confirm": "on"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pupil.refresh_from_db()
    assert not pupil.has_usable_password()


def test_programme_team_sees_no_pupils_work(client, world):
    manager = world.people["manager"]
    for url in (
        reverse("learning:attempt_review", args=[world.a.objects["attempt"]]),
        reverse("learning:assignment_results", args=[world.a.objects["assignment"]]),
        reverse("learning:document", args=[world.a.objects["document"]]),
        reverse("learning:course", args=[world.a.objects["draft_course"]]),
    ):
        assert _open(client, manager, url).status_code == 403, url


def test_every_role_of_the_matrix_is_a_distinct_person(world):
    users = [u for u in world.people.values() if u is not None]
    assert len({u.pk for u in users}) == len(users)
    assert set(ROLES) <= set(world.people)


# --- Activation codes ------------------------------------------------------------------------------------


def test_activation_code_is_locked_after_failures_and_works_once(client, world):
    from django.core.cache import cache

    from ..services import provisioning

    cache.clear()
    pupil = world.people["pupil"]
    letter = provisioning.student_password_reset(actor=world.people["teacher"], student=pupil)
    client.logout()
    url = reverse("learning:activate")
    wrong = "AAAA-AAAA-AA" if letter.code != "AAAA-AAAA-AA" else "BBBB-BBBB-BB"
    for _ in range(provisioning.MAX_FAILURES_PER_LOGIN):
        assert client.post(url, {"login": letter.login, "code": wrong}).status_code == 400
    # Locked: even the right code is refused for a while, and nothing is opened.
    response = client.post(url, {"login": letter.login, "code": letter.code})
    assert response.status_code == 429
    assert "learning_activation" not in client.session
    cache.clear()
    # Another pupil's login with this code: refused.
    other = EntAccount.objects.get(user=world.people["classmate"])
    assert client.post(url, {"login": other.login, "code": letter.code}).status_code == 400
    # The right pair opens the password step; the code then works once.
    assert client.post(url, {"login": letter.login, "code": letter.code}).status_code == 302
    step = reverse("learning:activate") + "?etape=mot-de-passe"
    password = "Volcans-du-Cantal-2026"
    response = client.post(step, {"step": "password", "password1": password, "password2": password})
    assert response.status_code == 302
    client.logout()
    assert client.post(url, {"login": letter.login, "code": letter.code}).status_code == 400


def test_an_exercise_not_yet_open_cannot_be_started(client, world):
    from ..models import Assignment, Attempt

    assignment = Assignment.objects.get(pk=world.a.objects["open_assignment"])
    Assignment.objects.filter(pk=assignment.pk).update(opens_at=timezone.now() + dt.timedelta(days=1))
    Attempt.objects.filter(assignment=assignment).delete()
    response = _post(client, world.people["pupil"], reverse("learning:assignment_start", args=[assignment.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("learning:my_exercises")
    assert not Attempt.objects.filter(assignment=assignment).exists()
