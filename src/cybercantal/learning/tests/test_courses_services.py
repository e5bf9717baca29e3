"""Services of the courses part: who may write, order of lessons and resources (dense and
unique, also under concurrency on PostgreSQL), publication rules, resources, sanitising."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cybercantal.core.models import JournalEntry

from ..models import Course, Lesson, LessonResource
from ..services import courses as services
from .factories import SchoolClassFactory, SubjectFactory, make_teacher, teach
from .factories_courses import PDF_BYTES, attach_link, make_course, make_document

pytestmark = pytest.mark.django_db


def positions(course: Course) -> list[tuple[str, int]]:
    return list(course.lessons.order_by("position").values_list("title", "position"))


def titles(course: Course) -> list[str]:
    return list(course.lessons.order_by("position").values_list("title", flat=True))


# --- courses ------------------------------------------------------------------------------------


def test_teacher_creates_a_draft_course_in_a_subject_they_teach(teacher, klass, maths):
    course = services.course_create(
        actor=teacher,
        school_class=klass,
        subject=maths,
        title="  Les   fractions ",
        summary="<p>Intro</p><script>x</script>",
    )
    assert course.title == "Les fractions"
    assert course.summary == "<p>Intro</p>"
    assert course.status == Course.Status.DRAFT
    assert course.author == teacher
    assert JournalEntry.objects.filter(action="learning.course.created", target_id=str(course.pk)).exists()


def test_a_subject_not_taught_in_the_class_is_refused(teacher, klass, maths, school):
    history = SubjectFactory(code="HIST", name="Histoire")
    with pytest.raises(PermissionDenied, match="Vous n'enseignez pas cette matière dans cette classe"):
        services.course_create(actor=teacher, school_class=klass, subject=history, title="Les Gaulois")
    other_class = SchoolClassFactory(school=school, name="4e A")
    with pytest.raises(PermissionDenied):
        services.course_create(actor=teacher, school_class=other_class, subject=maths, title="X")
    assert not Course.objects.exists()


@pytest.mark.parametrize("who", ["student", "parent", "school_staff", "head", "outsider_teacher"])
def test_others_cannot_create_or_edit(request, who, klass, maths):
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.course_create(actor=actor, school_class=klass, subject=maths, title="X")
    course = make_course(klass, maths, lessons=1)
    lesson = course.lessons.get()
    for call in (
        lambda: services.course_update(actor=actor, course=course, title="Y"),
        lambda: services.course_publish(actor=actor, course=course),
        lambda: services.course_unpublish(actor=actor, course=course),
        lambda: services.course_delete(actor=actor, course=course),
        lambda: services.lesson_create(actor=actor, course=course, title="Y"),
        lambda: services.lesson_update(actor=actor, lesson=lesson, title="Y"),
        lambda: services.lesson_publish(actor=actor, lesson=lesson),
        lambda: services.lesson_move(actor=actor, lesson=lesson, direction="up"),
        lambda: services.lesson_delete(actor=actor, lesson=lesson),
        lambda: services.resource_add_link(actor=actor, lesson=lesson, title="L", url="https://example.org/"),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Course.objects.get(pk=course.pk).title == course.title


def test_a_colleague_teaching_the_same_subject_may_edit(klass, maths, teacher):
    colleague = make_teacher(klass, maths)
    course = services.course_create(actor=teacher, school_class=klass, subject=maths, title="Les fractions")
    services.course_update(actor=colleague, course=course, title="Fractions", summary="")
    assert Course.objects.get(pk=course.pk).title == "Fractions"


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_titles_are_checked(teacher, klass, maths, title):
    with pytest.raises(ValidationError) as caught:
        services.course_create(actor=teacher, school_class=klass, subject=maths, title=title)
    assert "title" in caught.value.message_dict


def test_publish_unpublish_and_visibility(teacher, klass, maths, student, parent, school_staff):
    course = services.course_create(actor=teacher, school_class=klass, subject=maths, title="Les fractions")
    lesson = services.lesson_create(actor=teacher, course=course, title="Leçon 1")
    for user in (student, parent):
        assert not user.has_perm("learning.view_course", lesson)
    services.lesson_publish(actor=teacher, lesson=lesson)
    lesson = Lesson.objects.select_related("course").get(pk=lesson.pk)
    assert lesson.published_at is not None
    for user in (student, parent):
        assert not user.has_perm("learning.view_course", lesson)  # the course is still a draft
    services.course_publish(actor=teacher, course=course)
    lesson = Lesson.objects.select_related("course").get(pk=lesson.pk)
    for user in (student, parent, teacher, school_staff):
        assert user.has_perm("learning.view_course", lesson)
    services.lesson_unpublish(actor=teacher, lesson=lesson)
    lesson = Lesson.objects.select_related("course").get(pk=lesson.pk)
    assert not student.has_perm("learning.view_course", lesson)
    assert teacher.has_perm("learning.view_course", lesson)
    assert school_staff.has_perm("learning.view_course", lesson)
    services.course_unpublish(actor=teacher, course=course)
    assert Course.objects.get(pk=course.pk).status == Course.Status.DRAFT


# --- lesson order -------------------------------------------------------------------------------


def test_lessons_are_appended_moved_and_renumbered(teacher, klass, maths):
    course = services.course_create(actor=teacher, school_class=klass, subject=maths, title="C")
    a, b, c, d = (services.lesson_create(actor=teacher, course=course, title=t) for t in "ABCD")
    assert positions(course) == [("A", 1), ("B", 2), ("C", 3), ("D", 4)]
    services.lesson_move(actor=teacher, lesson=c, direction="up")
    assert titles(course) == ["A", "C", "B", "D"]
    services.lesson_move(actor=teacher, lesson=a, direction="up")  # already first: nothing
    assert titles(course) == ["A", "C", "B", "D"]
    services.lesson_move(actor=teacher, lesson=a, direction="down")
    assert titles(course) == ["C", "A", "B", "D"]
    moved = services.lesson_move(actor=teacher, lesson=d, position=1)
    assert moved.position == 1
    assert titles(course) == ["D", "C", "A", "B"]
    services.lesson_move(actor=teacher, lesson=d, position=99)  # clamped to the end
    assert titles(course) == ["C", "A", "B", "D"]
    services.lesson_delete(actor=teacher, lesson=a)
    assert positions(course) == [("C", 1), ("B", 2), ("D", 3)]
    services.lesson_move(actor=teacher, lesson=b, position=0)  # clamped to the start
    assert positions(course) == [("B", 1), ("C", 2), ("D", 3)]
    with pytest.raises(ValidationError):
        services.lesson_move(actor=teacher, lesson=b)


def test_moving_a_stale_lesson_says_so(teacher, klass, maths):
    course = make_course(klass, maths, lessons=2)
    lesson = course.lessons.first()
    Lesson.objects.filter(pk=lesson.pk).delete()
    with pytest.raises(ValidationError, match="rechargez la page"):
        services.lesson_move(actor=teacher, lesson=lesson, direction="down")


def test_the_database_refuses_two_lessons_at_one_position(klass, maths):
    from django.db import IntegrityError, transaction

    course = make_course(klass, maths, lessons=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Lesson.objects.create(course=course, position=1, title="doublon")


# --- resources ------------------------------------------------------------------------------------


def test_documents_from_own_space_only(teacher, klass, maths):
    course = make_course(klass, maths, lessons=1)
    lesson = course.lessons.get()
    mine = make_document(teacher, kind="pdf", name="Fiche.pdf")
    other = make_document(make_teacher(klass, maths), kind="pdf", name="Autre.pdf")
    resource = services.resource_add_document(actor=teacher, lesson=lesson, document=mine)
    assert (resource.kind, resource.title, resource.position) == ("document", "Fiche.pdf", 1)
    with pytest.raises(PermissionDenied, match="votre propre espace"):
        services.resource_add_document(actor=teacher, lesson=lesson, document=other)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://example.org/file",
        "file:///etc/passwd",
        "//example.org/",
        "example.org",
        "",
        "https://" + "a" * 600 + ".org/",
    ],
)
def test_links_are_http_or_https_only(teacher, klass, maths, url):
    lesson = make_course(klass, maths, lessons=1).lessons.get()
    with pytest.raises(ValidationError) as caught:
        services.resource_add_link(actor=teacher, lesson=lesson, title="Lien", url=url)
    assert "url" in caught.value.message_dict
    assert not LessonResource.objects.exists()


def test_resources_are_ordered_and_renumbered(teacher, klass, maths):
    lesson = make_course(klass, maths, lessons=1).lessons.get()
    one = services.resource_add_link(actor=teacher, lesson=lesson, title="Un", url="https://example.org/1")
    two = services.resource_add_link(actor=teacher, lesson=lesson, title="Deux", url="http://example.org/2")
    three = services.resource_add_document(actor=teacher, lesson=lesson, document=make_document(teacher), title="Trois")
    assert [r.position for r in (one, two, three)] == [1, 2, 3]
    services.resource_move(actor=teacher, resource=three, position=1)
    assert list(lesson.resources.order_by("position").values_list("title", flat=True)) == ["Trois", "Un", "Deux"]
    services.resource_move(actor=teacher, resource=three, direction="down")
    assert list(lesson.resources.order_by("position").values_list("title", flat=True)) == ["Un", "Trois", "Deux"]
    services.resource_delete(actor=teacher, resource=one)
    assert list(lesson.resources.order_by("position").values_list("title", "position")) == [("Trois", 1), ("Deux", 2)]


def test_upload_goes_to_the_teacher_space_then_the_lesson(teacher, klass, maths):
    from ..models import Document

    lesson = make_course(klass, maths, lessons=1).lessons.get()
    upload = SimpleUploadedFile("fiche.pdf", PDF_BYTES, content_type="application/pdf")
    resource = services.resource_add_upload(actor=teacher, lesson=lesson, file=upload, title="Ma fiche")
    document = Document.objects.get(pk=resource.document_id)
    assert document.space.owner == teacher
    assert resource.title == "Ma fiche"
    bad = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.resource_add_upload(actor=teacher, lesson=lesson, file=bad)
    assert lesson.resources.count() == 1


def test_deleting_a_course_keeps_the_documents(teacher, klass, maths):
    from ..models import Document

    course = make_course(klass, maths, lessons=1)
    document = make_document(teacher)
    services.resource_add_document(actor=teacher, lesson=course.lessons.get(), document=document)
    attach_link(course.lessons.get())
    services.course_delete(actor=teacher, course=course)
    assert not Course.objects.exists()
    assert not LessonResource.objects.exists()
    assert Document.objects.filter(pk=document.pk).exists()


# --- sanitising -------------------------------------------------------------------------------------

DIRTY = [
    ("<p>ok</p><script>alert(1)</script>", "<script"),
    ('<p onclick="steal()">x</p>', "onclick"),
    ('<img src="/x.png" onerror="steal()">', "onerror"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ('<a href="JAVASCRIPT:alert(1)">x</a>', "JAVASCRIPT:"),
    ('<img src="https://tracker.example/pixel.gif">', "tracker.example"),
    ('<img src="//tracker.example/pixel.gif">', "tracker.example"),
    ('<p style="background:url(https://tracker.example/x)">x</p>', "style"),
    ("<iframe src='https://evil.example'></iframe>", "iframe"),
    ("<svg><script>alert(1)</script></svg>", "script"),
    ('<p class="MsoNormal"><o:p></o:p>Texte Word<!--[if !supportLists]-->·<!--[endif]--></p>', "Mso"),
    ("<style>p{color:red}</style><p>x</p>", "color:red"),
    ('<form action="https://evil.example"><input name="p"></form>', "<form"),
]


@pytest.mark.parametrize(("dirty", "forbidden"), DIRTY)
def test_lesson_body_and_summary_are_sanitised(teacher, klass, maths, dirty, forbidden):
    course = services.course_create(actor=teacher, school_class=klass, subject=maths, title="C", summary=dirty)
    lesson = services.lesson_create(actor=teacher, course=course, title="L", body=dirty + "<p>texte</p>")
    updated = services.lesson_update(actor=teacher, lesson=lesson, title="L", body=dirty + "<p>texte</p>")
    for stored in (Course.objects.get(pk=course.pk).summary, Lesson.objects.get(pk=lesson.pk).body, updated.body):
        assert forbidden.lower() not in stored.lower()


def test_formatting_is_kept(teacher, klass, maths):
    html = (
        "<h2>Titre</h2><p><strong>gras</strong> <em>italique</em></p><ul><li>a</li></ul><ol><li>b</li></ol>"
        '<blockquote><p>citation</p></blockquote><p><a href="https://example.org/">lien</a></p>'
    )
    course = make_course(klass, maths)
    lesson = services.lesson_create(actor=teacher, course=course, title="L", body=html)
    for part in ("<h2>Titre</h2>", "<strong>gras</strong>", "<em>italique</em>", "<ul><li>a</li></ul>",
                 "<ol><li>b</li></ol>", "<blockquote><p>citation</p></blockquote>",
                 'href="https://example.org/"', 'rel="noopener noreferrer"'):  # fmt: skip
        assert part in lesson.body


def test_an_emptied_editor_stores_nothing(teacher, klass, maths):
    course = make_course(klass, maths)
    lesson = services.lesson_create(actor=teacher, course=course, title="L", body="<p><br></p><p> </p>")
    assert lesson.body == ""


def test_a_huge_body_is_refused(teacher, klass, maths):
    course = make_course(klass, maths)
    with pytest.raises(ValidationError) as caught:
        services.lesson_create(actor=teacher, course=course, title="L", body="<p>" + "a" * 250_000 + "</p>")
    assert "body" in caught.value.message_dict


# --- concurrency (PostgreSQL, real parallel connections) ------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_teachers_adding_lessons_at_once_keep_dense_unique_positions(klass, maths, teacher):
    from cybercantal.core.testing import run_in_parallel

    colleague = make_teacher(klass, maths)
    course = make_course(klass, maths, published=False, lessons=2)
    people = [teacher, colleague] * 6

    def add(index: int) -> str:
        actor = people[index]
        services.lesson_create(actor=type(actor).objects.get(pk=actor.pk), course=course, title=f"L{index}")
        return "ok"

    results = run_in_parallel(add, range(len(people)), timeout=60)
    assert results == ["ok"] * len(people)
    assert sorted(course.lessons.values_list("position", flat=True)) == list(range(1, 15))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_moves_deletes_and_additions_at_once_keep_positions_dense(klass, maths, teacher):
    from cybercantal.core.testing import run_in_parallel

    colleague = make_teacher(klass, maths)
    course = make_course(klass, maths, published=False, lessons=8)
    lessons = list(course.lessons.order_by("position"))

    def act(index: int) -> str:
        actor = type(teacher).objects.get(pk=(teacher if index % 2 else colleague).pk)
        try:
            if index < 4:
                services.lesson_move(actor=actor, lesson=lessons[index], position=8 - index)
            elif index < 6:
                services.lesson_delete(actor=actor, lesson=lessons[index])
            else:
                services.lesson_create(actor=actor, course=course, title=f"Nouvelle {index}")
        except ValidationError as exc:
            return f"refused: {exc.messages}"
        return "ok"

    results = run_in_parallel(act, range(9), timeout=60)
    assert results == ["ok"] * 9, results
    assert sorted(course.lessons.values_list("position", flat=True)) == list(range(1, 8 - 2 + 3 + 1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_resources_added_at_once_keep_dense_positions(klass, maths, teacher):
    from cybercantal.core.testing import run_in_parallel

    colleague = make_teacher(klass, maths)
    teach(colleague, klass, maths)
    lesson = make_course(klass, maths, lessons=1).lessons.get()

    def add(index: int) -> str:
        actor = type(teacher).objects.get(pk=(teacher if index % 2 else colleague).pk)
        services.resource_add_link(
            actor=actor, lesson=lesson, title=f"Lien {index}", url=f"https://example.org/{index}"
        )
        return "ok"

    assert run_in_parallel(add, range(8), timeout=60) == ["ok"] * 8
    assert sorted(lesson.resources.values_list("position", flat=True)) == list(range(1, 9))
