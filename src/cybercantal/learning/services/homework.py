"""Cahier de textes and homework: what was done in class, the work to do for a day, the
pupils' own "done" ticks, the head of school's sign-off and the homework calendar address.

Who may write: the class's teachers, in a subject they teach it (``learning.edit_homework``);
a homework's attachments are documents of the teacher's own space. Pupils tick their own
homework (``learning.view_homework`` + being enrolled). The head of school signs off a
class's cahier de textes (``learning.sign_off``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from types import EllipsisType
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.services import require_permission
from cybercantal.core import journal

from .. import richtext
from ..access import access_for
from ..models import (
    Assignment,
    Document,
    Homework,
    HomeworkDone,
    HomeworkFeed,
    LessonLog,
    LogSignOff,
    SchoolClass,
    Subject,
    new_token,
)

# How far ahead a homework may be set, and how far back a session may be written.
MAX_DAYS_AHEAD = 366
MAX_DAYS_BACK = 366


def _check_subject(actor: Any, school_class: SchoolClass, subject: Subject) -> None:
    probe = LessonLog(school_class=school_class, subject=subject)
    require_permission(
        actor,
        "learning.edit_homework",
        probe,
        _("Vous n'enseignez pas cette matière dans cette classe."),
    )


def _check_day(day: dt.date, *, field: str) -> None:
    today = timezone.localdate()
    if day > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise ValidationError({field: _("Cette date est à plus d'un an : vérifiez l'année.")})
    if day < today - dt.timedelta(days=MAX_DAYS_BACK):
        raise ValidationError({field: _("Cette date est à plus d'un an dans le passé : vérifiez l'année.")})


def _check_assignment(school_class: SchoolClass | int, assignment: Assignment | None) -> Assignment | None:
    """The exercise a homework links to must be given to the homework's own class (its
    pupils are the ones who may do it; a pupil of another class never sees the link)."""
    if assignment is None:
        return None
    class_id = school_class if isinstance(school_class, int) else school_class.pk
    if assignment.school_class_id != class_id:
        message = _("Cet exercice est donné à une autre classe : choisissez un exercice donné à cette classe.")
        raise ValidationError({"assignment": message})
    return assignment


def _own_documents(actor: Any, documents: Iterable[Document]) -> list[Document]:
    documents = list(documents)
    for document in documents:
        require_permission(
            actor,
            "learning.manage_document",
            document,
            _("Une pièce jointe doit être un document de votre espace."),
        )
    return documents


# --- Cahier de textes ----------------------------------------------------------------------------


@transaction.atomic
def lessonlog_create(
    *,
    actor: Any,
    school_class: SchoolClass,
    subject: Subject,
    date: dt.date,
    title: str,
    content: str = "",
) -> LessonLog:
    """Write what was done in class on ``date``."""
    _check_subject(actor, school_class, subject)
    _check_day(date, field="date")
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Donnez un titre à la séance.")})
    log = LessonLog.objects.create(
        school_class=school_class,
        subject=subject,
        teacher=actor,
        date=date,
        title=title[:200],
        content=richtext.clean(content),
    )
    journal.record(actor=actor, action="learning.lessonlog.created", target=log)
    return log


@transaction.atomic
def lessonlog_update(
    *, actor: Any, log: LessonLog, date: dt.date, title: str, content: str = "", subject: Subject | None = None
) -> LessonLog:
    log = LessonLog.objects.select_for_update().get(pk=log.pk)
    require_permission(actor, "learning.edit_homework", log)
    if subject is not None and subject.pk != log.subject_id:
        _check_subject(actor, log.school_class, subject)
        log.subject = subject
    _check_day(date, field="date")
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Donnez un titre à la séance.")})
    log.date, log.title, log.content = date, title[:200], richtext.clean(content)
    log.save()
    journal.record(actor=actor, action="learning.lessonlog.updated", target=log)
    return log


@transaction.atomic
def lessonlog_delete(*, actor: Any, log: LessonLog) -> None:
    """Delete a session; the homework given in it stays (it no longer points at it)."""
    require_permission(actor, "learning.edit_homework", log)
    journal.record(actor=actor, action="learning.lessonlog.deleted", target=log)
    log.delete()


# --- Homework ------------------------------------------------------------------------------------


def _homework_fields(
    *, title: str, due_on: dt.date, given_on: dt.date, estimated_minutes: int | None
) -> tuple[str, dt.date, dt.date, int | None]:
    title = (title or "").strip()
    if not title:
        raise ValidationError({"title": _("Dites en quelques mots ce qu'il faut faire.")})
    if due_on < given_on:
        raise ValidationError({"due_on": _("Le devoir ne peut pas être pour un jour avant celui où il est donné.")})
    _check_day(due_on, field="due_on")
    if estimated_minutes is not None and not (1 <= estimated_minutes <= 600):
        raise ValidationError({"estimated_minutes": _("Indiquez une durée entre 1 et 600 minutes.")})
    return title[:200], due_on, given_on, estimated_minutes


@transaction.atomic
def homework_create(
    *,
    actor: Any,
    school_class: SchoolClass,
    subject: Subject,
    due_on: dt.date,
    title: str,
    instructions: str = "",
    estimated_minutes: int | None = None,
    given_on: dt.date | None = None,
    lesson_log: LessonLog | None = None,
    attachments: Iterable[Document] = (),
    assignment: Assignment | None = None,
) -> Homework:
    """Set work for ``due_on``. ``instructions`` is rich text (cleaned). ``assignment``: the
    online exercise to do ("faire l'exercice X"), one given to the same class."""
    _check_subject(actor, school_class, subject)
    given_on = given_on or timezone.localdate()
    title, due_on, given_on, estimated_minutes = _homework_fields(
        title=title, due_on=due_on, given_on=given_on, estimated_minutes=estimated_minutes
    )
    if lesson_log is not None and lesson_log.school_class_id != school_class.pk:
        raise ValidationError(_("Cette séance est celle d'une autre classe."))
    _check_assignment(school_class, assignment)
    documents = _own_documents(actor, attachments)
    homework = Homework.objects.create(
        school_class=school_class,
        subject=subject,
        teacher=actor,
        lesson_log=lesson_log,
        given_on=given_on,
        due_on=due_on,
        title=title,
        instructions=richtext.clean(instructions),
        estimated_minutes=estimated_minutes,
        assignment=assignment,
    )
    if documents:
        homework.attachments.set(documents)
    journal.record(actor=actor, action="learning.homework.created", target=homework)
    return homework


@transaction.atomic
def homework_update(
    *,
    actor: Any,
    homework: Homework,
    due_on: dt.date,
    title: str,
    instructions: str = "",
    estimated_minutes: int | None = None,
    attachments: Iterable[Document] | None = None,
    assignment: Assignment | EllipsisType | None = ...,
) -> Homework:
    """Change a homework. ``assignment``: the exercise it links to (``None`` removes the link;
    left out, unchanged)."""
    homework = Homework.objects.select_for_update().get(pk=homework.pk)
    require_permission(actor, "learning.edit_homework", homework)
    if not isinstance(assignment, EllipsisType):
        homework.assignment = _check_assignment(homework.school_class_id, assignment)
    title, due_on, _given, estimated_minutes = _homework_fields(
        title=title, due_on=due_on, given_on=homework.given_on, estimated_minutes=estimated_minutes
    )
    homework.title, homework.due_on = title, due_on
    homework.instructions = richtext.clean(instructions)
    homework.estimated_minutes = estimated_minutes
    homework.save()
    if attachments is not None:
        # Attachments another teacher added stay; the actor changes only their own.
        kept = [d for d in homework.attachments.all() if d.space.owner_id != actor.pk]
        homework.attachments.set([*kept, *_own_documents(actor, attachments)])
    journal.record(actor=actor, action="learning.homework.updated", target=homework)
    return homework


@transaction.atomic
def homework_delete(*, actor: Any, homework: Homework) -> None:
    require_permission(actor, "learning.edit_homework", homework)
    journal.record(actor=actor, action="learning.homework.deleted", target=homework)
    homework.delete()


@transaction.atomic
def homework_mark_done(*, actor: Any, homework: Homework, done: bool) -> bool:
    """A pupil ticks (or unticks) a homework of one of their classes. Idempotent."""
    if homework.school_class_id not in access_for(actor).class_ids:
        raise ValidationError(_("Ce devoir n'est pas celui d'une de vos classes."))
    if done:
        try:
            with transaction.atomic():
                HomeworkDone.objects.get_or_create(homework=homework, student=actor)
        except IntegrityError:  # the same tick sent twice at once
            pass
    else:
        HomeworkDone.objects.filter(homework=homework, student=actor).delete()
    return done


# --- Sign-off ------------------------------------------------------------------------------------


@transaction.atomic
def sign_off(*, actor: Any, school_class: SchoolClass, up_to: dt.date, comment: str = "") -> LogSignOff:
    """The head of school has read the class's cahier de textes up to ``up_to``."""
    require_permission(
        actor, "learning.sign_off", school_class, _("Seul le chef d'établissement vise le cahier de textes.")
    )
    if up_to > timezone.localdate():
        raise ValidationError({"up_to": _("On ne vise pas un cahier de textes au-delà d'aujourd'hui.")})
    if up_to < school_class.year.starts_on:
        raise ValidationError({"up_to": _("Cette date est avant le début de l'année scolaire de la classe.")})
    comment = (comment or "").strip()
    if len(comment) > 5000:
        raise ValidationError({"comment": _("Les observations sont trop longues (5 000 caractères au plus).")})
    signed = LogSignOff.objects.create(school_class=school_class, up_to=up_to, signed_by=actor, comment=comment)
    journal.record(actor=actor, action="learning.logbook.signed", target=signed, data={"up_to": up_to.isoformat()})
    return signed


# --- The homework calendar ------------------------------------------------------------------------


def homework_feed(user: Any) -> HomeworkFeed:
    """The person's calendar address (created on first use)."""
    feed, _created = HomeworkFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def homework_feed_regenerate(*, actor: Any) -> HomeworkFeed:
    """A new secret address; the old one stops working at once."""
    feed = homework_feed(actor)
    feed.token = new_token()
    feed.save(update_fields=["token"])
    journal.record(actor=actor, action="learning.homework_feed.regenerated", target=feed)
    return feed
