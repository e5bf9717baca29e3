"""Part "homework": the cahier de textes of a class and the homework.

Who may use each page:
- ``homework_class`` (``/ent/classes/<id>/cahier-de-textes/``): ``learning.view_homework`` on
  the class — its pupils, their parents, its teachers, the school's staff.
- ``lessonlog_create``, ``homework_create`` (per class) and ``lessonlog_edit``,
  ``lessonlog_delete``, ``homework_edit``, ``homework_delete``: ``learning.edit_homework``,
  the class's teachers in a subject they teach it.
- ``homework_attachment``: ``learning.view_homework`` on the homework, and the document
  must be one of its attachments.
- ``my_homework`` (``/ent/devoirs/``): a pupil (their homework to come, with their ticks),
  a parent (each child's, read only), a teacher (their classes). Others: 403.
- ``homework_done`` (POST): a pupil of the homework's class, for themself.
- ``workload`` (``/ent/classes/<id>/charge/``): ``learning.view_workload``, the class's
  teachers and the school's staff.
- ``sign_off`` (``/ent/classes/<id>/cahier-de-textes/viser/``): ``learning.sign_off``, the
  head of school; ``sign_off_overview`` (``/ent/cahiers-de-textes/visa/``): heads of school.
- ``calendar_link`` (``/ent/agenda/``): a pupil or a parent, for their own address;
  ``calendar_feed`` (``/ent/agenda/<token>.ics``): public, the secret address is the key.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.links import absolute_url

from .. import richtext
from ..access import access_for
from ..forms.homework import ConfirmForm, HomeworkForm, LessonLogForm, SignOffForm, default_due_on
from ..models import Document, Homework, LessonLog, SchoolClass, Subject
from ..queries import homework as queries
from ..services import homework as services


def _class(request: HttpRequest, class_id: int, **kwargs: Any) -> SchoolClass:
    return get_object_or_404(SchoolClass.objects.select_related("school", "year"), pk=class_id)


def _log(request: HttpRequest, log_id: int, **kwargs: Any) -> LessonLog:
    return get_object_or_404(LessonLog.objects.select_related("school_class", "subject"), pk=log_id)


def _homework(request: HttpRequest, homework_id: int, **kwargs: Any) -> Homework:
    return get_object_or_404(Homework.objects.select_related("school_class", "subject"), pk=homework_id)


def _taught_subjects(user: Any, school_class: SchoolClass) -> Any:
    return Subject.objects.filter(pk__in=access_for(user).taught.get(school_class.pk, ())).order_by("name")


def _apply_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _week_links(request: HttpRequest, monday: dt.date, name: str, args: list[Any]) -> dict[str, str]:
    base = reverse(name, args=args)
    extra = {k: v for k, v in request.GET.items() if k in {"matiere"} and v}

    def at(day: dt.date) -> str:
        return f"{base}?{urlencode({**extra, 'semaine': day.isoformat()})}"

    return {
        "previous": at(monday - dt.timedelta(days=7)),
        "next": at(monday + dt.timedelta(days=7)),
        "today": at(queries.week_start(timezone.localdate())),
    }


# --- A class's cahier de textes -----------------------------------------------------------------


@require_safe
@permission_required_for_object("learning.view_homework", _class)
def homework_class(request: HttpRequest, class_id: int, obj: SchoolClass) -> HttpResponse:
    monday = queries.parse_week(request.GET.get("semaine"))
    subject_id = request.GET.get("matiere") or ""
    subject_id_int = int(subject_id) if subject_id.isdigit() and len(subject_id) < 10 else None
    days = queries.class_week(obj, monday, subject_id=subject_id_int)
    can_edit = request.user.has_perm("learning.edit_homework", obj)
    access = access_for(request.user)
    homework_ids = [h.pk for day in days for h in day.due] + [
        h.pk for day in days for s in day.sessions for h in s.homework.all()
    ]
    context = {
        "school_class": obj,
        "monday": monday,
        "saturday": monday + dt.timedelta(days=5),
        "days": days,
        "weeks": _week_links(request, monday, "learning:homework_class", [obj.pk]),
        "subjects": Subject.objects.filter(
            Q(pk__in=LessonLog.objects.filter(school_class=obj).values("subject_id"))
            | Q(pk__in=Homework.objects.filter(school_class=obj).values("subject_id"))
        ).order_by("name"),
        "subject_id": subject_id_int,
        "can_edit": can_edit,
        "is_pupil": access.is_student and obj.pk in access.class_ids,
        "can_sign": request.user.has_perm("learning.sign_off", obj),
        "can_see_workload": request.user.has_perm("learning.view_workload", obj),
        "last_sign_off": queries.last_sign_off(obj),
        "done_counts": queries.done_counts(homework_ids) if can_edit else {},
    }
    return render(request, "learning/homework/class.html", context)


@require_http_methods(["GET", "POST"])
@permission_required_for_object("learning.edit_homework", _class)
def lessonlog_create(request: HttpRequest, class_id: int, obj: SchoolClass) -> HttpResponse:
    subjects = _taught_subjects(request.user, obj)
    form = LessonLogForm(request.POST or None, subjects=subjects)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            log = services.lessonlog_create(
                actor=request.user,
                school_class=obj,
                subject=data["subject"],
                date=data["date"],
                title=data["title"],
                content=data["content"],
            )
            if data.get("homework_title"):
                services.homework_create(
                    actor=request.user,
                    school_class=obj,
                    subject=data["subject"],
                    due_on=data["homework_due_on"],
                    title=data["homework_title"],
                    estimated_minutes=data.get("homework_minutes"),
                    given_on=min(data["date"], data["homework_due_on"]),
                    lesson_log=log,
                )
        except ValidationError as error:
            _apply_errors(form, error)
        except NotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("La séance est inscrite au cahier de textes."))
            week = queries.week_start(log.date).isoformat()
            return redirect(f"{reverse('learning:homework_class', args=[obj.pk])}?semaine={week}")
    return render(
        request,
        "learning/homework/lessonlog_form.html",
        {
            "school_class": obj,
            "form": form,
            "log": None,
            "workload": queries.workload(obj, queries.week_start(timezone.localdate())),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("learning.edit_homework", _log)
def lessonlog_edit(request: HttpRequest, log_id: int, obj: LessonLog) -> HttpResponse:
    subjects = _taught_subjects(request.user, obj.school_class)
    initial = {"subject": obj.subject_id, "date": obj.date, "title": obj.title, "content": obj.content}
    form = LessonLogForm(request.POST or None, subjects=subjects, initial=initial)
    for name in ("homework_title", "homework_due_on", "homework_minutes"):
        del form.fields[name]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.lessonlog_update(
                actor=request.user,
                log=obj,
                subject=data["subject"],
                date=data["date"],
                title=data["title"],
                content=data["content"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        except NotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("La séance est modifiée."))
            week = queries.week_start(data["date"]).isoformat()
            return redirect(f"{reverse('learning:homework_class', args=[obj.school_class_id])}?semaine={week}")
    return render(
        request,
        "learning/homework/lessonlog_form.html",
        {"school_class": obj.school_class, "form": form, "log": obj, "workload": None},
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("learning.edit_homework", _log)
def lessonlog_delete(request: HttpRequest, log_id: int, obj: LessonLog) -> HttpResponse:
    back = f"{reverse('learning:homework_class', args=[obj.school_class_id])}?semaine={queries.week_start(obj.date)}"
    if request.method == "POST":
        services.lessonlog_delete(actor=request.user, log=obj)
        messages.success(request, _("La séance est supprimée du cahier de textes."))
        return redirect(back)
    return render(
        request,
        "learning/homework/confirm_delete.html",
        {
            "title": _("Supprimer la séance « %(title)s » ?") % {"title": obj.title},
            "explanation": _("Le travail donné pendant cette séance reste dans le cahier de textes."),
            "back": back,
        },
    )


# --- Homework -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required_for_object("learning.edit_homework", _class)
def homework_create(request: HttpRequest, class_id: int, obj: SchoolClass) -> HttpResponse:
    subjects = _taught_subjects(request.user, obj)
    form = HomeworkForm(
        request.POST or None,
        subjects=subjects,
        owner=request.user,
        school_class=obj,
        initial={"due_on": default_due_on()},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            homework = services.homework_create(
                actor=request.user,
                school_class=obj,
                subject=data["subject"],
                due_on=data["due_on"],
                title=data["title"],
                instructions=data["instructions"],
                estimated_minutes=data.get("estimated_minutes"),
                attachments=data["attachments"],
                assignment=data.get("assignment"),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        except NotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(
                request,
                _("Le travail est donné pour le %(day)s.") % {"day": date_format(homework.due_on, "l j F Y")},
            )
            week = queries.week_start(homework.due_on).isoformat()
            return redirect(f"{reverse('learning:homework_class', args=[obj.pk])}?semaine={week}")
    monday = queries.week_start(timezone.localdate())
    return render(
        request,
        "learning/homework/homework_form.html",
        {"school_class": obj, "form": form, "homework": None, "workload": queries.workload(obj, monday)},
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("learning.edit_homework", _homework)
def homework_edit(request: HttpRequest, homework_id: int, obj: Homework) -> HttpResponse:
    initial = {
        "due_on": obj.due_on,
        "title": obj.title,
        "instructions": obj.instructions,
        "estimated_minutes": obj.estimated_minutes,
        "attachments": [d.pk for d in obj.attachments.all()],
        "assignment": obj.assignment_id,
    }
    form = HomeworkForm(
        request.POST or None,
        subjects=Subject.objects.none(),
        owner=request.user,
        school_class=obj.school_class,
        with_subject=False,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.homework_update(
                actor=request.user,
                homework=obj,
                due_on=data["due_on"],
                title=data["title"],
                instructions=data["instructions"],
                estimated_minutes=data.get("estimated_minutes"),
                attachments=data["attachments"],
                assignment=data.get("assignment"),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        except NotAllowed as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Le travail à faire est modifié."))
            week = queries.week_start(data["due_on"]).isoformat()
            return redirect(f"{reverse('learning:homework_class', args=[obj.school_class_id])}?semaine={week}")
    monday = queries.week_start(timezone.localdate())
    return render(
        request,
        "learning/homework/homework_form.html",
        {
            "school_class": obj.school_class,
            "form": form,
            "homework": obj,
            "workload": queries.workload(obj.school_class, monday),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("learning.edit_homework", _homework)
def homework_delete(request: HttpRequest, homework_id: int, obj: Homework) -> HttpResponse:
    back = f"{reverse('learning:homework_class', args=[obj.school_class_id])}?semaine={queries.week_start(obj.due_on)}"
    if request.method == "POST":
        services.homework_delete(actor=request.user, homework=obj)
        messages.success(request, _("Le travail à faire est supprimé."))
        return redirect(back)
    return render(
        request,
        "learning/homework/confirm_delete.html",
        {
            "title": _("Supprimer le travail « %(title)s » ?") % {"title": obj.title},
            "explanation": _("Les élèves et leurs parents ne le verront plus."),
            "back": back,
        },
    )


@require_safe
@permission_required_for_object("learning.view_homework", _homework)
def homework_attachment(request: HttpRequest, homework_id: int, document_id: int, obj: Homework) -> HttpResponse:
    document = get_object_or_404(obj.attachments.all(), pk=document_id)
    return _serve(request, document)


def _serve(request: HttpRequest, document: Document) -> HttpResponse:
    try:
        from .documents import serve_document  # the documents part: range requests, caching
    except ImportError:  # pragma: no cover - while the documents part is not there
        from cybercantal.core.uploads import serve

        return serve(document.file, content_type=document.content_type, filename=document.name, inline=True)
    return serve_document(request, document, inline=True)


# --- A person's homework -----------------------------------------------------------------------


@require_safe
def my_homework(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    today = timezone.localdate()
    if access.is_student:
        days = queries.homework_due(class_ids=access.class_ids, student=request.user, start=today)
        return render(
            request,
            "learning/homework/mine.html",
            {"days": days, "child": None, "children": [], "today": today, "can_tick": True},
        )
    if access.is_parent:
        children = queries.children_of(request.user)
        wanted = request.GET.get("enfant", "")
        child = next((c for c in children if str(c.pk) == wanted), children[0] if children else None)
        days = (
            queries.homework_due(
                class_ids=access.child_class_ids.get(child.pk, frozenset()), student=child, start=today
            )
            if child
            else []
        )
        return render(
            request,
            "learning/homework/mine.html",
            {"days": days, "child": child, "children": children, "today": today, "can_tick": False},
        )
    if access.is_teacher or access.head_school_ids:
        return render(
            request,
            "learning/homework/teacher.html",
            {"classes": queries.teacher_classes(request.user), "is_head": bool(access.head_school_ids)},
        )
    raise PermissionDenied(_("Cette page est celle des élèves, de leurs parents et de leurs enseignants."))


@require_POST
def homework_done(request: HttpRequest, homework_id: int) -> HttpResponse:
    homework = get_object_or_404(Homework, pk=homework_id)
    if homework.school_class_id not in access_for(request.user).class_ids:
        raise PermissionDenied(_("Ce devoir n'est pas celui d'une de vos classes."))
    done = request.POST.get("done") == "1"
    services.homework_mark_done(actor=request.user, homework=homework, done=done)
    if request.headers.get("Accept", "").startswith("application/json"):
        from django.http import JsonResponse

        return JsonResponse({"done": done})
    messages.success(
        request,
        _("« %(title)s » : marqué comme fait.") % {"title": homework.title}
        if done
        else _("« %(title)s » : marqué comme à faire.") % {"title": homework.title},
    )
    return redirect("learning:my_homework")


# --- Workload and sign-off -----------------------------------------------------------------------


@require_safe
@permission_required_for_object("learning.view_workload", _class)
def workload(request: HttpRequest, class_id: int, obj: SchoolClass) -> HttpResponse:
    monday = queries.parse_week(request.GET.get("semaine"))
    return render(
        request,
        "learning/homework/workload.html",
        {
            "school_class": obj,
            "weeks_rows": queries.workload(obj, monday, weeks=2),
            "weeks": _week_links(request, monday, "learning:workload", [obj.pk]),
            "monday": monday,
            "heavy_count": queries.HEAVY_COUNT,
            "heavy_minutes": queries.HEAVY_MINUTES,
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("learning.sign_off", _class)
def sign_off(request: HttpRequest, class_id: int, obj: SchoolClass) -> HttpResponse:
    form = SignOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_off(
                actor=request.user,
                school_class=obj,
                up_to=form.cleaned_data["up_to"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("Le cahier de textes de %(name)s est visé jusqu’au %(day)s.")
                % {"name": obj.name, "day": date_format(form.cleaned_data["up_to"], "l j F Y")},
            )
            return redirect("learning:sign_off_overview")
    return render(
        request,
        "learning/homework/sign_off.html",
        {"school_class": obj, "form": form, "last_sign_off": queries.last_sign_off(obj)},
    )


@require_safe
def sign_off_overview(request: HttpRequest) -> HttpResponse:
    if not access_for(request.user).head_school_ids:
        raise PermissionDenied(_("Cette page est celle des chefs d'établissement."))
    rows = queries.sign_off_overview(queries.head_classes(request.user))
    return render(request, "learning/homework/sign_off_overview.html", {"rows": rows})


# --- The homework calendar ------------------------------------------------------------------------


def _uid_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "cybercantal"


def calendar_bytes(homework: list[Homework], *, name: str, now: dt.datetime) -> bytes:
    """An iCalendar (RFC 5545): one all-day event per homework on its due day."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//CyberCantal//Devoirs//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for item in homework:
        event = icalendar.Event()
        event.add("uid", f"devoir-{item.pk}@{_uid_host()}")
        event.add("dtstamp", now.astimezone(dt.UTC))
        event.add("dtstart", item.due_on)
        event.add("dtend", item.due_on + dt.timedelta(days=1))
        event.add("summary", f"{item.subject.name} ({item.school_class.name}) : {item.title}")
        lines = [richtext.plain(item.instructions)] if item.instructions else []
        if item.estimated_minutes:
            lines.append(_("Durée estimée : %(minutes)s min") % {"minutes": item.estimated_minutes})
        url = absolute_url(reverse("learning:homework_class", args=[item.school_class_id]))
        lines.append(url)
        event.add("description", "\n".join(lines))
        event.add("url", url)
        event.add("transp", "TRANSPARENT")
        event.add("last-modified", item.updated_at.astimezone(dt.UTC))
        cal.add_component(event)
    return cal.to_ical()


@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    feed = queries.feed_by_token(token)
    if feed is None:
        raise Http404(_("Cet agenda n'existe pas ou son adresse a été changée."))
    now = timezone.now()
    content = calendar_bytes(queries.feed_homework(feed.user, now=now), name=_("Devoirs"), now=now)
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_http_methods(["GET", "POST"])
def calendar_link(request: HttpRequest) -> HttpResponse:
    access = access_for(request.user)
    if not (access.is_student or access.is_parent):
        raise PermissionDenied(_("L'agenda des devoirs est celui des élèves et de leurs parents."))
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.homework_feed_regenerate(actor=request.user)
        messages.success(request, _("Nouvelle adresse créée : l'ancienne ne fonctionne plus."))
        return redirect("learning:calendar_link")
    feed = services.homework_feed(request.user)
    url = absolute_url(reverse("learning:calendar_feed", args=[feed.token]))
    return render(
        request,
        "learning/homework/calendar_link.html",
        {"form": form, "feed_url": url, "webcal_url": "webcal://" + url.split("://", 1)[-1]},
    )


urlpatterns = [
    path("classes/<int:class_id>/cahier-de-textes/", homework_class, name="homework_class"),
    path("classes/<int:class_id>/cahier-de-textes/nouvelle-seance/", lessonlog_create, name="lessonlog_create"),
    path("classes/<int:class_id>/cahier-de-textes/viser/", sign_off, name="sign_off"),
    path("cahier-de-textes/<int:log_id>/modifier/", lessonlog_edit, name="lessonlog_edit"),
    path("cahier-de-textes/<int:log_id>/supprimer/", lessonlog_delete, name="lessonlog_delete"),
    path("cahiers-de-textes/visa/", sign_off_overview, name="sign_off_overview"),
    path("classes/<int:class_id>/devoirs/nouveau/", homework_create, name="homework_create"),
    path("classes/<int:class_id>/charge/", workload, name="workload"),
    path("devoirs/", my_homework, name="my_homework"),
    path("devoirs/<int:homework_id>/modifier/", homework_edit, name="homework_edit"),
    path("devoirs/<int:homework_id>/supprimer/", homework_delete, name="homework_delete"),
    path("devoirs/<int:homework_id>/fait/", homework_done, name="homework_done"),
    path(
        "devoirs/<int:homework_id>/pieces-jointes/<int:document_id>/",
        homework_attachment,
        name="homework_attachment",
    ),
    path("agenda/", calendar_link, name="calendar_link"),
    path("agenda/<str:token>.ics", calendar_feed, name="calendar_feed"),
]
