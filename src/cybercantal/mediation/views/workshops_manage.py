"""The mediators' workspace under ``/mediation/``: home, workshop catalogue, sessions (one-off
or weekly series), a session's registrations and waitlist, cancellation, attendance.

Who may use each page:
- workspace home: mediators (their EPN) and the programme team (the whole network);
- catalogue: ``mediation.manage_workshops`` (mediators and the programme team);
- sessions: ``mediation.manage_session`` on the session's place (the mediators of that
  place, the programme team); attendance: ``mediation.take_attendance`` on the session.
A mediator of another EPN gets 403 on a session that is not theirs.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object, role_required
from cybercantal.accounts.forms import add_service_errors
from cybercantal.accounts.models import Role

from ..forms.workshops_manage import SessionCancelForm, SessionEditForm, SessionFilterForm, SessionForm, WorkshopForm
from ..models import Registration, RegistrationStatus, Session, SessionStatus, Workshop
from ..queries import workshops_manage as queries
from ..services import workshops as services

PAGE_SIZE = 20
WORKSPACE_ROLES = (Role.MEDIATOR, Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR)


def _optional_url(name: str, *args: Any) -> str:
    """A URL of another part of the app, or "" while that part is not built yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _page(request: HttpRequest, queryset: Any) -> Any:
    paginator = Paginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _session(request: HttpRequest, pk: int) -> Session:
    return get_object_or_404(Session.objects.select_related("workshop", "place", "mediator__user"), pk=pk)


def _fill_text(session: Session) -> str:
    """« 8/10 inscrits, 2 en attente »."""
    text = ngettext("%(count)s/%(capacity)s inscrit", "%(count)s/%(capacity)s inscrits", session.confirmed_count) % {
        "count": session.confirmed_count,
        "capacity": session.capacity,
    }
    waitlisted = getattr(session, "waitlisted", 0)
    if waitlisted:
        text += ", " + ngettext("%(count)s en attente", "%(count)s en attente", waitlisted) % {"count": waitlisted}
    return text


def _rows(sessions: Any) -> list[dict[str, Any]]:
    return [{"session": session, "fill": _fill_text(session)} for session in sessions]


# --- workspace home ---------------------------------------------------------------------------


@role_required(*WORKSPACE_ROLES)
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Mediators: today's and next sessions of their EPN, people to phone, big buttons."""
    user = request.user
    sessions = queries.home_sessions(user)
    context = {
        "network": queries.sees_network(user),
        "places": list(queries.managed_places(user)[:50]) if not queries.sees_network(user) else [],
        "today_rows": _rows(sessions["today"]),
        "upcoming_rows": _rows(sessions["upcoming"]),
        "to_phone": list(queries.promoted_to_phone(user)[:50]),
        "reminders_to_phone": list(queries.reminders_to_phone(user)[:100]),
        "accompaniment_url": _optional_url("mediation:accompaniment_create") or "/mediation/accompagnements/nouveau/",
        "statistics_url": _optional_url("mediation:statistics") or "/mediation/statistiques/",
        "now": timezone.now(),
    }
    return render(request, "mediation/workshops_manage/home.html", context)


@role_required(*WORKSPACE_ROLES)
@require_POST
def promotion_notified(request: HttpRequest, pk: int) -> HttpResponse:
    """The mediator has phoned a person promoted from the waitlist: tick them off."""
    from ..services import registrations as registration_services

    registration = get_object_or_404(Registration.objects.select_related("session"), pk=pk)
    if not request.user.has_perm("mediation.manage_session", registration.session):
        raise PermissionDenied(_("Vous n'avez pas accès à cette séance."))
    try:
        registration_services.registration_mark_notified(actor=request.user, registration=registration)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(name)s est noté(e) comme prévenu(e).")
            % {"name": f"{registration.first_name} {registration.last_name}"},
        )
    return redirect("mediation:home")


@role_required(*WORKSPACE_ROLES)
@require_POST
def reminder_called(request: HttpRequest, pk: int) -> HttpResponse:
    """The mediator has phoned a person without email to remind them of their session."""
    from ..services import registrations as registration_services

    registration = get_object_or_404(Registration.objects.select_related("session"), pk=pk)
    if not request.user.has_perm("mediation.manage_session", registration.session):
        raise PermissionDenied(_("Vous n'avez pas accès à cette séance."))
    try:
        registration_services.registration_mark_reminded(actor=request.user, registration=registration)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Rappel noté pour %(name)s.") % {"name": f"{registration.first_name} {registration.last_name}"},
        )
    return redirect("mediation:home")


# --- catalogue --------------------------------------------------------------------------------


def _can_manage_workshops(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


@permission_required_for_object("mediation.manage_workshops", _can_manage_workshops, pass_object=False)
@require_GET
def catalogue(request: HttpRequest) -> HttpResponse:
    page = _page(request, queries.catalogue())
    return render(request, "mediation/workshops_manage/catalogue.html", {"page": page, "query": ""})


def _workshop_form_view(request: HttpRequest, workshop: Workshop | None) -> HttpResponse:
    if request.method == "POST":
        form = WorkshopForm(request.POST)
        if form.is_valid():
            try:
                if workshop is None:
                    workshop = services.workshop_create(actor=request.user, **form.cleaned_data)
                    messages.success(
                        request, _("L'atelier « %(title)s » est au catalogue.") % {"title": workshop.title}
                    )
                else:
                    workshop = services.workshop_update(actor=request.user, workshop=workshop, **form.cleaned_data)
                    messages.success(request, _("L'atelier « %(title)s » est enregistré.") % {"title": workshop.title})
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("mediation:catalogue")
    else:
        form = WorkshopForm(initial=WorkshopForm.initial_from(workshop) if workshop else None)
    return render(request, "mediation/workshops_manage/workshop_form.html", {"form": form, "workshop": workshop})


@permission_required_for_object("mediation.manage_workshops", _can_manage_workshops, pass_object=False)
@require_http_methods(["GET", "POST"])
def workshop_create(request: HttpRequest) -> HttpResponse:
    return _workshop_form_view(request, None)


@permission_required_for_object("mediation.manage_workshops", _can_manage_workshops, pass_object=False)
@require_http_methods(["GET", "POST"])
def workshop_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _workshop_form_view(request, get_object_or_404(Workshop, pk=pk))


# --- sessions ---------------------------------------------------------------------------------


@role_required(*WORKSPACE_ROLES)
@require_GET
def sessions(request: HttpRequest) -> HttpResponse:
    """The sessions of the person's places (the whole network for the programme team)."""
    places = queries.managed_places(request.user)
    form = SessionFilterForm(request.GET or None, places=places)
    form.is_valid()  # a bad filter is reported next to it; the others still apply
    data = getattr(form, "cleaned_data", {})
    period = data.get("periode") or "upcoming"
    page = _page(request, queries.sessions_for(request.user, place=data.get("lieu"), period=period))
    context = {
        "form": form,
        "page": page,
        "rows": _rows(page.object_list),
        "period": period,
        "query": _query_without_page(request),
    }
    return render(request, "mediation/workshops_manage/sessions.html", context)


@permission_required_for_object("mediation.manage_workshops", _can_manage_workshops, pass_object=False)
@require_http_methods(["GET", "POST"])
def session_create(request: HttpRequest) -> HttpResponse:
    places = queries.schedulable_places(request.user)
    mediators = queries.mediators_for(places.values("pk")).order_by("user__last_name", "user__first_name")
    if request.method == "POST":
        form = SessionForm(request.POST, places=places, mediators=mediators)
        if form.is_valid():
            try:
                created = services.session_create(actor=request.user, **form.service_kwargs())
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "starts_at" in exc.error_dict:
                    exc.error_dict["date"] = exc.error_dict.pop("starts_at")
                if hasattr(exc, "error_dict") and "repeat_weekly" in exc.error_dict:
                    exc.error_dict["weeks"] = exc.error_dict.pop("repeat_weekly")
                add_service_errors(form, exc)
            except PermissionDenied:
                form.add_error("place", _("Vous ne pouvez pas programmer de séance dans ce lieu."))
            else:
                first = created[0]
                if len(created) > 1:
                    messages.success(
                        request,
                        _("%(count)s séances hebdomadaires sont programmées, à partir du %(when)s.")
                        % {"count": len(created), "when": services.local_datetime_text(first.starts_at)},
                    )
                else:
                    messages.success(
                        request,
                        _("La séance du %(when)s est programmée.")
                        % {"when": services.local_datetime_text(first.starts_at)},
                    )
                return redirect("mediation:manage_session", pk=first.pk)
    else:
        initial: dict[str, Any] = {"weeks": 1, "capacity": 10}
        workshop_id = request.GET.get("atelier", "")
        if workshop_id.isdigit():
            initial["workshop"] = int(workshop_id)
        only_place = list(places[:2])
        if len(only_place) == 1:
            initial["place"] = only_place[0].pk
        mediator = getattr(request.user, "mediator", None)  # None when the person has no profile
        if mediator is not None:
            initial["mediator"] = mediator.pk
        form = SessionForm(initial=initial, places=places, mediators=mediators)
    return render(request, "mediation/workshops_manage/session_form.html", {"form": form, "session": None})


def _get_session(request: HttpRequest, pk: int) -> Session:
    return _session(request, pk)


@permission_required_for_object("mediation.manage_session", _get_session)
@require_GET
def session_detail(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    session = obj
    people = queries.session_people(session)
    waitlisted = len(people["waitlist"])
    session.waitlisted = waitlisted  # type: ignore[attr-defined]
    now = timezone.now()
    context = {
        "session": session,
        "people": people,
        "fill": _fill_text(session),
        "register_url": _optional_url("mediation:register_someone", session.pk),
        "public_url": _optional_url("mediation:public_session", session.pk),
        "report_url": (_optional_url("mediation:accompaniment_create") or "/mediation/accompagnements/nouveau/")
        + f"?seance={session.pk}",
        "attendance_open": services.attendance_open(session, now),
        "started": session.starts_at <= now,
        "can_attend": request.user.has_perm("mediation.take_attendance", session),
        "no_shows": sum(1 for row in people["confirmed"] if row.attended is False),
        "present": sum(1 for row in people["confirmed"] if row.attended is True),
    }
    return render(request, "mediation/workshops_manage/session_detail.html", context)


@permission_required_for_object("mediation.manage_session", _get_session)
@require_http_methods(["GET", "POST"])
def session_edit(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    session = obj
    if session.status == SessionStatus.CANCELLED:
        messages.error(request, _("Cette séance est annulée : elle ne peut plus être modifiée."))
        return redirect("mediation:manage_session", pk=session.pk)
    mediators = queries.mediators_for([session.place_id]).order_by("user__last_name", "user__first_name")
    if request.method == "POST":
        form = SessionEditForm(request.POST, mediators=mediators)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.session_update(
                    actor=request.user,
                    session=session,
                    starts_at=form.starts_at(),
                    capacity=data["capacity"],
                    mediator=data.get("mediator"),
                    notes=data.get("notes", ""),
                )
            except ValidationError as exc:
                if hasattr(exc, "error_dict") and "starts_at" in exc.error_dict:
                    exc.error_dict["date"] = exc.error_dict.pop("starts_at")
                add_service_errors(form, exc)
            else:
                messages.success(request, _("La séance est enregistrée."))
                return redirect("mediation:manage_session", pk=session.pk)
    else:
        form = SessionEditForm(initial=SessionEditForm.initial_from(session), mediators=mediators)
    return render(request, "mediation/workshops_manage/session_form.html", {"form": form, "session": session})


@permission_required_for_object("mediation.manage_session", _get_session)
@require_http_methods(["GET", "POST"])
def session_cancel(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    session = obj
    result = None
    if request.method == "POST":
        form = SessionCancelForm(request.POST)
        if form.is_valid():
            try:
                result = services.session_cancel(
                    actor=request.user, session=session, reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                session.refresh_from_db()
    else:
        form = SessionCancelForm()
    confirmed = session.registrations.filter(
        status__in=[RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]
    ).count()
    context = {"session": session, "form": form, "result": result, "reachable": confirmed}
    return render(request, "mediation/workshops_manage/session_cancel.html", context)


# --- attendance -------------------------------------------------------------------------------


@permission_required_for_object("mediation.take_attendance", _get_session)
@require_http_methods(["GET", "POST"])
def attendance(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    """One large toggle per confirmed person; saving gives « 7 présents, 1 absent »."""
    session = obj
    error = ""
    if request.method == "POST":
        raw = request.POST.getlist("present")
        if not all(value.isdigit() for value in raw):
            error = _("La liste des présents est illisible : rechargez la page.")
        else:
            try:
                summary = services.attendance_record(
                    actor=request.user, session=session, present_ids={int(value) for value in raw}
                )
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                messages.success(request, _summary_text(summary.present, summary.absent))
                return redirect("mediation:attendance", pk=session.pk)
    confirmed = list(
        session.registrations.filter(status=RegistrationStatus.CONFIRMED).order_by("last_name", "first_name", "pk")
    )
    session.refresh_from_db(fields=["attendance_taken_at", "status"])
    taken = session.attendance_taken_at is not None
    present = sum(1 for row in confirmed if row.attended is True)
    context = {
        "session": session,
        "confirmed": confirmed,
        "open": services.attendance_open(session),
        "not_yet": session.starts_at > timezone.now(),
        "taken": taken,
        "summary": _summary_text(present, len(confirmed) - present) if taken else "",
        "error": error,
        "posted": set(request.POST.getlist("present")) if request.method == "POST" else None,
    }
    status = 400 if error else 200
    return render(request, "mediation/workshops_manage/attendance.html", context, status=status)


def _summary_text(present: int, absent: int) -> str:
    return (
        ngettext("%(count)s présent", "%(count)s présents", present) % {"count": present}
        + ", "
        + ngettext("%(count)s absent", "%(count)s absents", absent) % {"count": absent}
    )


urlpatterns = [
    path("mediation/", home, name="home"),
    path("mediation/inscriptions/<int:pk>/prevenu/", promotion_notified, name="promotion_notified"),
    path("mediation/inscriptions/<int:pk>/rappel-fait/", reminder_called, name="reminder_called"),
    path("mediation/ateliers/", catalogue, name="catalogue"),
    path("mediation/ateliers/nouveau/", workshop_create, name="workshop_create"),
    path("mediation/ateliers/<int:pk>/modifier/", workshop_edit, name="workshop_edit"),
    path("mediation/seances/", sessions, name="manage_sessions"),
    path("mediation/seances/nouvelle/", session_create, name="manage_session_create"),
    path("mediation/seances/<int:pk>/", session_detail, name="manage_session"),
    path("mediation/seances/<int:pk>/modifier/", session_edit, name="manage_session_edit"),
    path("mediation/seances/<int:pk>/annuler/", session_cancel, name="manage_session_cancel"),
    path("mediation/seances/<int:pk>/presences/", attendance, name="attendance"),
]
