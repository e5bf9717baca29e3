"""Public workshop pages (``/ateliers/``): calendar, session and registration, cancellation
link, iCal feeds; and the registration a mediator takes by phone or at the desk.

Thin views: the rules live in ``services.registrations``, the reads in
``queries.workshops_public``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import icalendar
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors
from cybercantal.core.journal import client_ip
from cybercantal.mediation.forms.workshops_public import CalendarForm, RegistrationForm, StaffRegistrationForm
from cybercantal.mediation.models import Channel, Registration, RegistrationStatus, Session, SessionStatus
from cybercantal.mediation.queries import workshops_public as queries
from cybercantal.mediation.services import registrations as services

PAGE_SIZE = 20
ICS_MAX_EVENTS = 500
# Online registrations accepted from one address in RATE_WINDOW seconds (floods, not families).
RATE_LIMIT = 10
RATE_WINDOW = 600
SESSION_KEY = "mediation_registrations"
KEPT_IN_SESSION = 20


# --- helpers ------------------------------------------------------------------------------


def _page(request: HttpRequest, queryset: Any) -> Any:
    """One page; a page number that is not one gives the nearest page and a French ``problem``."""
    paginator = Paginator(queryset, PAGE_SIZE)
    raw = request.GET.get("page", "").strip()
    problem = ""
    try:
        number = int(raw) if raw else 1
    except ValueError:
        number = 1
        problem = _("Ce n'est pas un numéro de page : voici la première page.")
    if number < 1:
        number, problem = 1, _("Les pages commencent à 1 : voici la première page.")
    elif number > paginator.num_pages:
        number, problem = paginator.num_pages, _("Cette page n'existe pas : voici la dernière page.")
    page = paginator.page(number)
    page.problem = problem
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _calendar_filters(request: HttpRequest) -> tuple[CalendarForm, dict[str, Any]]:
    form = CalendarForm(request.GET or None)
    form.is_valid()  # bad values are reported next to their field; the valid ones still apply
    data: dict[str, Any] = getattr(form, "cleaned_data", {})
    filters = {
        "canton": data.get("canton"),
        "theme": data.get("thematique") or None,
        "date_from": data.get("du"),
        "date_to": data.get("au"),
        "text": data.get("q", ""),
    }
    return form, filters


def _public_session_or_404(pk: int) -> Session:
    try:
        return queries.session_detail(pk)
    except Session.DoesNotExist as exc:
        raise Http404(_("Cette séance n'existe pas.")) from exc


def _staff_session_or_404(request: HttpRequest, pk: int) -> Session:
    return get_object_or_404(Session.objects.select_related("workshop", "place__commune"), pk=pk)


def _rate_limited(request: HttpRequest) -> bool:
    """True when this address has registered too often lately (counted on each attempt)."""
    key = f"mediation:registration-rate:{client_ip(request) or 'unknown'}"
    cache.add(key, 0, RATE_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW)
        count = 1
    return count > RATE_LIMIT


def _remember(request: HttpRequest, registration: Registration) -> None:
    kept = [pk for pk in request.session.get(SESSION_KEY, []) if pk != registration.pk]
    request.session[SESSION_KEY] = [*kept, registration.pk][-KEPT_IN_SESSION:]


def _registration_open(session: Session) -> bool:
    return session.status == SessionStatus.SCHEDULED and session.starts_at > timezone.now()


# --- calendar -----------------------------------------------------------------------------


@login_not_required
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    """Everyone: upcoming workshop sessions, filterable by canton, theme, dates and text."""
    form, filters = _calendar_filters(request)
    page = _page(request, queries.calendar(**filters))
    context = {
        "form": form,
        "page": page,
        "query": _query_without_page(request),
        "searched": bool(request.GET.keys() - {"page"}),
        "ics_query": _query_without_page(request),
    }
    return render(request, "mediation/workshops_public/calendar.html", context)


@login_not_required
@require_http_methods(["GET", "POST"])
def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone: a session and its registration form (no account needed)."""
    session = _public_session_or_404(pk)
    is_open = _registration_open(session)
    form = RegistrationForm(request.POST if request.method == "POST" else None)
    problem = ""
    status = 200
    if request.method == "POST":
        if not is_open:
            problem = _("Les inscriptions à cette séance sont fermées.")
        elif form.is_robot():
            # Say nothing useful to a robot; a person never sees the field.
            problem = _("Votre inscription n'a pas pu être enregistrée.")
        elif _rate_limited(request):
            problem = _("Trop d'inscriptions depuis votre connexion : réessayez dans quelques minutes.")
            status = 429
        elif form.is_valid():
            user = request.user if request.user.is_authenticated else None
            try:
                registration = services.registration_create(
                    actor=user, session=session, channel=Channel.ONLINE, user=user, **form.service_fields()
                )
            except services.DuplicateRegistrationError as exc:
                if exc.existing.pk in request.session.get(SESSION_KEY, []):  # a double submit
                    return redirect("mediation:registration_done", pk=exc.existing.pk)
                add_service_errors(form, exc)
            except services.RegistrationError as exc:
                add_service_errors(form, exc)
            else:
                _remember(request, registration)
                return redirect("mediation:registration_done", pk=registration.pk)
    context = {"session": session, "form": form, "is_open": is_open, "problem": problem}
    return render(request, "mediation/workshops_public/session.html", context, status=status)


@login_not_required
@require_GET
def registration_done(request: HttpRequest, pk: int) -> HttpResponse:
    """The person who just registered (the registration is remembered in their browser session)."""
    if pk not in request.session.get(SESSION_KEY, []):
        raise Http404(_("Cette inscription n'existe pas ou n'a pas été faite depuis ce navigateur."))
    registration = get_object_or_404(
        Registration.objects.select_related("session__workshop", "session__place__commune"), pk=pk
    )
    context = {
        "registration": registration,
        "session": registration.session,
        "position": services.waitlist_position(registration),
        "cancel_path": reverse("mediation:cancel_registration", args=[registration.token]),
    }
    return render(request, "mediation/workshops_public/done.html", context)


@login_not_required
@require_http_methods(["GET", "POST"])
def cancel_registration(request: HttpRequest, token: str) -> HttpResponse:
    """Whoever holds the link: GET asks for confirmation, POST cancels (twice is harmless)."""
    try:
        registration = queries.registration_by_token(token)
    except Registration.DoesNotExist:
        return render(request, "mediation/workshops_public/cancel_unknown.html", status=404)
    problem = ""
    if request.method == "POST" and registration.status != RegistrationStatus.CANCELLED:
        try:
            registration = services.registration_cancel(
                actor=request.user if request.user.is_authenticated else None, registration=registration
            )
        except services.RegistrationError as exc:
            problem = " ".join(exc.messages)
        else:
            messages.success(request, _("Votre inscription est annulée. Merci d'avoir libéré la place."))
            return redirect("mediation:cancel_registration", token=token)
    context = {
        "registration": registration,
        "session": registration.session,
        "problem": problem,
        "is_open": registration.session.starts_at > timezone.now(),
    }
    return render(request, "mediation/workshops_public/cancel.html", context)


# --- iCalendar ----------------------------------------------------------------------------


def _event(request: HttpRequest, session: Session, stamp: datetime) -> icalendar.Event:
    place = session.place
    event = icalendar.Event()
    event.add("uid", f"seance-{session.pk}@{request.get_host().split(':')[0]}")
    event.add("dtstamp", stamp)
    event.add("dtstart", timezone.localtime(session.starts_at))
    event.add("dtend", timezone.localtime(session.ends_at))
    event.add("summary", session.workshop.title)
    description = [session.workshop.summary]
    if session.notes:
        description.append(session.notes)
    event.add("description", "\n\n".join(description))
    event.add(
        "location",
        ", ".join(p for p in [place.name, place.address, f"{place.postal_code} {place.commune.name}"] if p.strip()),
    )
    event.add("url", request.build_absolute_uri(reverse("mediation:public_session", args=[session.pk])))
    event.add("status", "CANCELLED" if session.status == SessionStatus.CANCELLED else "CONFIRMED")
    return event


def _ics_response(request: HttpRequest, sessions: Any, *, name: str, filename: str | None = None) -> HttpResponse:
    cal = icalendar.Calendar()
    cal.add("prodid", "-//CyberCantal//Ateliers des EPN//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    cal.add("x-wr-timezone", timezone.get_current_timezone_name())
    stamp = timezone.now()
    for session in sessions:
        cal.add_component(_event(request, session, stamp))
    cal.add_missing_timezones()
    response = HttpResponse(cal.to_ical(), content_type="text/calendar; charset=utf-8")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_not_required
@require_GET
def calendar_ics(request: HttpRequest) -> HttpResponse:
    """Everyone: the calendar (same filters) as an iCalendar feed to subscribe to."""
    _form, filters = _calendar_filters(request)
    sessions = queries.calendar(**filters)[:ICS_MAX_EVENTS]
    return _ics_response(request, sessions, name=_("Ateliers des EPN du Cantal"))


@login_not_required
@require_GET
def session_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """Everyone: one session as an iCalendar file, to add it to one's own agenda."""
    session = _public_session_or_404(pk)
    return _ics_response(request, [session], name=session.workshop.title, filename=f"atelier-{session.pk}.ics")


# --- staff: registration by phone or at the desk ------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required_for_object("mediation.register_someone", _staff_session_or_404)
def register_someone(request: HttpRequest, pk: int, obj: Session) -> HttpResponse:
    """The session's mediators and programme managers (``mediation.register_someone``)."""
    session = obj
    form = StaffRegistrationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            registration = services.registration_create(
                actor=request.user, session=session, channel=form.cleaned_data["channel"], **form.service_fields()
            )
        except services.RegistrationError as exc:
            add_service_errors(form, exc)
        else:
            name = f"{registration.first_name} {registration.last_name}"
            if registration.status == RegistrationStatus.CONFIRMED:
                messages.success(request, _("%(name)s est inscrit(e) à la séance.") % {"name": name})
            else:
                messages.warning(
                    request,
                    _("La séance est complète : %(name)s est en liste d'attente (position %(position)s).")
                    % {"name": name, "position": services.waitlist_position(registration)},
                )
            return redirect("mediation:register_someone", pk=session.pk)
    session.refresh_from_db(fields=["confirmed_count", "status"])
    context = {
        "session": session,
        "form": form,
        "is_open": _registration_open(session),
        "waitlisted": queries.active_registrations(session).filter(status=RegistrationStatus.WAITLISTED).count(),
    }
    return render(request, "mediation/workshops_public/register_someone.html", context)


urlpatterns = [
    path("ateliers/", calendar, name="calendar"),
    path("ateliers/calendrier.ics", calendar_ics, name="calendar_ics"),
    path("ateliers/seance/<int:pk>/", session_detail, name="public_session"),
    path("ateliers/seance/<int:pk>.ics", session_ics, name="public_session_ics"),
    path("ateliers/inscription/<int:pk>/", registration_done, name="registration_done"),
    path("ateliers/annulation/<str:token>/", cancel_registration, name="cancel_registration"),
    path("mediation/seances/<int:pk>/inscrire/", register_someone, name="register_someone"),
]
