"""Courses, their ordered lessons and the lessons' resources (documents and links).

Rules held here (each refusal is a ``ValidationError`` with a French message, keyed by
field when it concerns one, or ``NotAllowed``):

- who writes: the class's teachers, in a subject they teach it (``learning.edit_course`` on
  the course; for a new course on an unsaved ``Course(school_class, subject)``, so that a
  teacher of history in 5e B cannot open a mathematics course there);
- what pupils see: a lesson is visible to the class's pupils and their parents only when
  both the course and the lesson are published (``learning.view_course``);
- order: lesson positions are 1..n, dense and unique in a course; resource positions are
  1..n in a lesson. Every change of order takes a row lock on the course first (the same
  lock for lessons and resources), reads the order again, and renumbers in two steps (away
  to high numbers, then to the final ones) so that the unique constraint holds at every
  row, even on PostgreSQL where it is checked row by row. Two teachers of the class adding
  lessons at the same moment get positions n+1 and n+2;
- rich text (course summary, lesson body) goes through ``learning.richtext.clean`` before it
  is stored;
- a document attached to a lesson comes from the teacher's own space
  (``learning.manage_document``); a link is http or https only.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Case, F, IntegerField, Max, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update

from .. import richtext
from ..models import Course, Document, Lesson, LessonResource, SchoolClass, Subject

TITLE_MAX = 200
URL_MAX = 500
# Positions are moved above this while renumbering (a course never has that many lessons).
PARKING_OFFSET = 1_000_000
PUBLISHED = Course.Status.PUBLISHED
DRAFT = Course.Status.DRAFT


class OrderConflictError(ValidationError):
    """Two changes of order met (only if the lock was bypassed); the person retries."""


# --- helpers ------------------------------------------------------------------------------------


def _require_edit(actor: Any, course: Course) -> None:
    require_permission(
        actor,
        "learning.edit_course",
        course,
        _("Seuls les enseignants de la classe dans cette matière peuvent modifier ce cours."),
    )


def _clean_title(title: Any, *, field: str = "title") -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise ValidationError({field: _("Donnez un titre.")})
    if len(text) > TITLE_MAX:
        raise ValidationError({field: _("Le titre est trop long (%(max)s caractères au plus).") % {"max": TITLE_MAX}})
    return text


def _clean_rich(html: Any, *, field: str) -> str:
    text = str(html or "")
    if len(text) > richtext.MAX_LENGTH:
        raise ValidationError(
            {field: _("Le texte est trop long (%(max)s caractères au plus).") % {"max": f"{richtext.MAX_LENGTH:,}"}}
        )
    cleaned = richtext.clean(text)
    # A body that is only empty paragraphs (what an emptied editor leaves) is no body.
    return cleaned if richtext.plain(cleaned) or "<img" in cleaned else ""


def _lock_course(course: Course) -> Course:
    """The course row, locked (PostgreSQL) for the rest of the transaction."""
    try:
        return lock_for_update(Course.objects.filter(pk=course.pk)).get()
    except Course.DoesNotExist:
        raise ValidationError(_("Ce cours n'existe plus.")) from None


def _renumber(model: type[Lesson] | type[LessonResource], parent_field: str, parent_id: int, ids: list[int]) -> None:
    """Give ``ids`` the positions 1..n, in two statements that never break uniqueness."""
    rows = model.objects.filter(**{parent_field: parent_id})
    rows.update(position=F("position") + PARKING_OFFSET)
    if ids:
        rows.filter(pk__in=ids).update(
            position=Case(
                *[When(pk=pk, then=Value(index)) for index, pk in enumerate(ids, start=1)],
                output_field=IntegerField(),
            )
        )


def _next_position(model: type[Lesson] | type[LessonResource], parent_field: str, parent_id: int) -> int:
    top = model.objects.filter(**{parent_field: parent_id}).aggregate(top=Max("position"))["top"]
    return (top or 0) + 1


def _moved(ids: list[int], pk: int, *, direction: str | None, position: int | None) -> list[int]:
    """The order after moving ``pk`` one step up/down, or to ``position`` (1-based, clamped)."""
    if pk not in ids:
        raise ValidationError(_("Cet élément n'est plus dans la liste : rechargez la page."))
    index = ids.index(pk)
    if position is not None:
        target = min(max(int(position), 1), len(ids)) - 1
    elif direction == "up":
        target = max(index - 1, 0)
    elif direction == "down":
        target = min(index + 1, len(ids) - 1)
    else:
        raise ValidationError(_("Indiquez où déplacer l'élément."))
    order = [other for other in ids if other != pk]
    order.insert(target, pk)
    return order


# --- courses ------------------------------------------------------------------------------------


@transaction.atomic
def course_create(*, actor: Any, school_class: SchoolClass, subject: Subject, title: str, summary: str = "") -> Course:
    """A new draft course of ``school_class`` in ``subject`` (a subject the actor teaches there)."""
    probe = Course(school_class=school_class, subject=subject)
    require_permission(
        actor,
        "learning.edit_course",
        probe,
        _("Vous n'enseignez pas cette matière dans cette classe : vous ne pouvez pas y créer de cours."),
    )
    course = Course.objects.create(
        school_class=school_class,
        subject=subject,
        author=actor if getattr(actor, "pk", None) else None,
        title=_clean_title(title),
        summary=_clean_rich(summary, field="summary"),
        status=DRAFT,
    )
    journal.record(actor=actor, action="learning.course.created", target=course, data={"class": school_class.pk})
    return course


@transaction.atomic
def course_update(*, actor: Any, course: Course, title: str, summary: str = "") -> Course:
    _require_edit(actor, course)
    fresh = _lock_course(course)
    fresh.title = _clean_title(title)
    fresh.summary = _clean_rich(summary, field="summary")
    fresh.save(update_fields=["title", "summary", "updated_at"])
    journal.record(actor=actor, action="learning.course.updated", target=fresh)
    return fresh


@transaction.atomic
def course_publish(*, actor: Any, course: Course) -> Course:
    """Pupils and parents see the course's published lessons from now on."""
    _require_edit(actor, course)
    fresh = _lock_course(course)
    if fresh.status != PUBLISHED:
        fresh.status = PUBLISHED
        fresh.published_at = timezone.now()
        fresh.save(update_fields=["status", "published_at", "updated_at"])
        journal.record(actor=actor, action="learning.course.published", target=fresh)
    return fresh


@transaction.atomic
def course_unpublish(*, actor: Any, course: Course) -> Course:
    """Back to draft: pupils and parents no longer see any of its lessons."""
    _require_edit(actor, course)
    fresh = _lock_course(course)
    if fresh.status != DRAFT:
        fresh.status = DRAFT
        fresh.save(update_fields=["status", "updated_at"])
        journal.record(actor=actor, action="learning.course.unpublished", target=fresh)
    return fresh


@transaction.atomic
def course_delete(*, actor: Any, course: Course) -> None:
    """Delete the course, its lessons and their resources; the documents stay in their
    owners' spaces."""
    _require_edit(actor, course)
    fresh = _lock_course(course)
    journal.record(
        actor=actor,
        action="learning.course.deleted",
        target=fresh,
        data={"title": fresh.title, "class": fresh.school_class_id, "lessons": fresh.lessons.count()},
    )
    fresh.delete()


# --- lessons ------------------------------------------------------------------------------------


def _fresh_lesson(lesson: Lesson) -> Lesson:
    try:
        return Lesson.objects.select_related("course").get(pk=lesson.pk, course_id=lesson.course_id)
    except Lesson.DoesNotExist:
        raise ValidationError(_("Cette leçon n'existe plus.")) from None


@transaction.atomic
def lesson_create(*, actor: Any, course: Course, title: str, body: str = "", publish: bool = False) -> Lesson:
    """A lesson at the end of the course (a draft unless ``publish``)."""
    _require_edit(actor, course)
    title = _clean_title(title)
    body = _clean_rich(body, field="body")
    locked = _lock_course(course)
    try:
        with transaction.atomic():  # savepoint: a refused position leaves the transaction usable
            lesson = Lesson.objects.create(
                course=locked,
                position=_next_position(Lesson, "course_id", locked.pk),
                title=title,
                body=body,
                status=PUBLISHED if publish else DRAFT,
                published_at=timezone.now() if publish else None,
            )
    except IntegrityError as exc:  # only without the lock (a bypassing writer): ask to retry
        raise OrderConflictError(_("Un collègue modifie ce cours en même temps : réessayez.")) from exc
    Course.objects.filter(pk=locked.pk).update(updated_at=timezone.now())
    journal.record(
        actor=actor,
        action="learning.lesson.created",
        target=lesson,
        data={"course": locked.pk, "status": lesson.status},
    )
    return lesson


@transaction.atomic
def lesson_update(*, actor: Any, lesson: Lesson, title: str, body: str = "") -> Lesson:
    _require_edit(actor, lesson.course)
    title = _clean_title(title)
    body = _clean_rich(body, field="body")
    _lock_course(lesson.course)
    fresh = _fresh_lesson(lesson)
    fresh.title = title
    fresh.body = body
    fresh.save(update_fields=["title", "body", "updated_at"])
    journal.record(actor=actor, action="learning.lesson.updated", target=fresh)
    return fresh


@transaction.atomic
def lesson_publish(*, actor: Any, lesson: Lesson) -> Lesson:
    """Published lessons of a published course are what the pupils see."""
    _require_edit(actor, lesson.course)
    _lock_course(lesson.course)
    fresh = _fresh_lesson(lesson)
    if fresh.status != PUBLISHED:
        fresh.status = PUBLISHED
        fresh.published_at = timezone.now()
        fresh.save(update_fields=["status", "published_at", "updated_at"])
        journal.record(actor=actor, action="learning.lesson.published", target=fresh)
    return fresh


@transaction.atomic
def lesson_unpublish(*, actor: Any, lesson: Lesson) -> Lesson:
    """Back to draft: only the class's teachers (and the school's staff) see it."""
    _require_edit(actor, lesson.course)
    _lock_course(lesson.course)
    fresh = _fresh_lesson(lesson)
    if fresh.status != DRAFT:
        fresh.status = DRAFT
        fresh.save(update_fields=["status", "updated_at"])
        journal.record(actor=actor, action="learning.lesson.unpublished", target=fresh)
    return fresh


@transaction.atomic
def lesson_delete(*, actor: Any, lesson: Lesson) -> None:
    _require_edit(actor, lesson.course)
    locked = _lock_course(lesson.course)
    fresh = _fresh_lesson(lesson)
    journal.record(
        actor=actor, action="learning.lesson.deleted", target=fresh, data={"title": fresh.title, "course": locked.pk}
    )
    fresh.delete()
    ids = list(Lesson.objects.filter(course_id=locked.pk).order_by("position", "pk").values_list("pk", flat=True))
    _renumber(Lesson, "course_id", locked.pk, ids)


@transaction.atomic
def lesson_move(*, actor: Any, lesson: Lesson, direction: str | None = None, position: int | None = None) -> Lesson:
    """Move a lesson one step (``direction`` "up" or "down") or to ``position`` (1 = first)."""
    _require_edit(actor, lesson.course)
    locked = _lock_course(lesson.course)
    ids = list(Lesson.objects.filter(course_id=locked.pk).order_by("position", "pk").values_list("pk", flat=True))
    order = _moved(ids, lesson.pk, direction=direction, position=position)
    if order != ids:
        _renumber(Lesson, "course_id", locked.pk, order)
        journal.record(
            actor=actor, action="learning.lesson.moved", target=lesson, data={"position": order.index(lesson.pk) + 1}
        )
    return _fresh_lesson(lesson)


# --- resources ----------------------------------------------------------------------------------


def _add_resource(*, actor: Any, lesson: Lesson, **fields: Any) -> LessonResource:
    locked = _lock_course(lesson.course)
    fresh = _fresh_lesson(lesson)
    try:
        with transaction.atomic():
            resource = LessonResource.objects.create(
                lesson=fresh, position=_next_position(LessonResource, "lesson_id", fresh.pk), **fields
            )
    except IntegrityError as exc:
        raise OrderConflictError(_("Un collègue modifie cette leçon en même temps : réessayez.")) from exc
    Lesson.objects.filter(pk=fresh.pk).update(updated_at=timezone.now())
    journal.record(
        actor=actor,
        action="learning.resource.added",
        target=resource,
        data={"lesson": fresh.pk, "course": locked.pk, "kind": resource.kind},
    )
    return resource


@transaction.atomic
def resource_add_document(*, actor: Any, lesson: Lesson, document: Document, title: str = "") -> LessonResource:
    """Embed a document of the actor's own space in the lesson (shown after the text)."""
    _require_edit(actor, lesson.course)
    require_permission(
        actor,
        "learning.manage_document",
        document,
        _("Vous ne pouvez joindre qu'un document de votre propre espace."),
    )
    return _add_resource(
        actor=actor,
        lesson=lesson,
        kind=LessonResource.Kind.DOCUMENT,
        title=_clean_title(title or document.name),
        document=document,
        url="",
    )


@transaction.atomic
def resource_add_upload(*, actor: Any, lesson: Lesson, file: Any, title: str = "") -> LessonResource:
    """Upload ``file`` into the actor's document space (checked by content, counted in the
    quota) and embed it in the lesson, all or nothing."""
    _require_edit(actor, lesson.course)
    from . import documents as document_services  # the documents part (written alongside)

    if title:
        title = _clean_title(title)
    space = document_services.space_for(actor)
    document = document_services.document_upload(actor=actor, space=space, folder=None, file=file)
    try:
        return resource_add_document(actor=actor, lesson=lesson, document=document, title=title)
    except BaseException:
        # The row goes with the transaction; the stored file must go too.
        if document.file.name:
            document.file.storage.delete(document.file.name)
        raise


def clean_link_url(url: Any) -> str:
    text = str(url or "").strip()
    if not text:
        raise ValidationError({"url": _("Indiquez l'adresse du lien.")})
    if len(text) > URL_MAX:
        raise ValidationError({"url": _("L'adresse est trop longue (%(max)s caractères au plus).") % {"max": URL_MAX}})
    try:
        URLValidator(schemes=["http", "https"])(text)
    except ValidationError:
        raise ValidationError(
            {"url": _("Indiquez une adresse web complète qui commence par https:// (ou http://).")}
        ) from None
    return text


@transaction.atomic
def resource_add_link(*, actor: Any, lesson: Lesson, title: str, url: str) -> LessonResource:
    """A link to a web page (http or https only), shown with its address."""
    _require_edit(actor, lesson.course)
    clean_url = clean_link_url(url)
    return _add_resource(
        actor=actor,
        lesson=lesson,
        kind=LessonResource.Kind.LINK,
        title=_clean_title(title),
        document=None,
        url=clean_url,
    )


def _fresh_resource(resource: LessonResource) -> LessonResource:
    try:
        return LessonResource.objects.get(pk=resource.pk, lesson_id=resource.lesson_id)
    except LessonResource.DoesNotExist:
        raise ValidationError(_("Cette ressource n'existe plus.")) from None


@transaction.atomic
def resource_move(
    *, actor: Any, resource: LessonResource, direction: str | None = None, position: int | None = None
) -> LessonResource:
    _require_edit(actor, resource.lesson.course)
    _lock_course(resource.lesson.course)
    lesson_id = resource.lesson_id
    ids = list(
        LessonResource.objects.filter(lesson_id=lesson_id).order_by("position", "pk").values_list("pk", flat=True)
    )
    order = _moved(ids, resource.pk, direction=direction, position=position)
    if order != ids:
        _renumber(LessonResource, "lesson_id", lesson_id, order)
        journal.record(
            actor=actor,
            action="learning.resource.moved",
            target=resource,
            data={"position": order.index(resource.pk) + 1},
        )
    return _fresh_resource(resource)


@transaction.atomic
def resource_delete(*, actor: Any, resource: LessonResource) -> None:
    """Remove the resource from the lesson; a document stays in its owner's space."""
    _require_edit(actor, resource.lesson.course)
    _lock_course(resource.lesson.course)
    fresh = _fresh_resource(resource)
    lesson_id = fresh.lesson_id
    journal.record(
        actor=actor,
        action="learning.resource.deleted",
        target=fresh,
        data={"lesson": lesson_id, "title": fresh.title},
    )
    fresh.delete()
    ids = list(
        LessonResource.objects.filter(lesson_id=lesson_id).order_by("position", "pk").values_list("pk", flat=True)
    )
    _renumber(LessonResource, "lesson_id", lesson_id, ids)
