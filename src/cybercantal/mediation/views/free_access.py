"""Free access: public computers bookable by slot (``/ateliers/postes/``) and the staff
pages of each place (``/mediation/acces-libre/``): computers, bookings, visit counter.

Public pages need no account. Staff pages need ``mediation.manage_free_access`` on the place
(its mediators, the programme team).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object, role_required
from cybercantal.accounts.forms import add_service_errors
from cybercantal.accounts.models import Role
from cybercantal.mediation.forms.free_access import BookingForm, ComputerForm, DayForm, VisitSetForm
from cybercantal.mediation.models import ComputerBooking, PublicComputer, VisitSlot
from cybercantal.mediation.queries import free_access as queries
from cybercantal.mediation.services import free_access as services
from cybercantal.places.models import Place, PlaceStatus
from cybercantal.territory.models import Canton

PAGE_SIZE = 50
PERM = "mediation.manage_free_access"


def _page(request: HttpRequest, object_list: Any, size: int = PAGE_SIZE) -> Any:
    paginator = Paginator(object_list, size)
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    return page


def _public_place(request: HttpRequest, slug: str) -> Place:
    place = Place.objects.select_related("commune", "canton").filter(slug=slug).first()
    if place is None:
        raise Http404(_("Ce lieu n'existe pas."))
    if place.status != PlaceStatus.PUBLISHED and not request.user.has_perm(PERM, place):
        raise Http404(_("Ce lieu n'existe pas."))
    return place


def _staff_place(request: HttpRequest, slug: str, **kwargs: Any) -> Place:
    return get_object_or_404(Place.objects.select_related("commune", "canton"), slug=slug)


def _current_slot(now: dt.datetime) -> str:
    hour = timezone.localtime(now).hour
    return VisitSlot.MORNING if hour < 12 else VisitSlot.AFTERNOON if hour < 18 else VisitSlot.EVENING


# --- public pages -------------------------------------------------------------------------------


@login_not_required
@require_GET
def places_list(request: HttpRequest) -> HttpResponse:
    """Everyone: the EPN with computers to book, by canton."""
    cantons = Canton.objects.filter(pk__in=queries.bookable_places().values("canton_id").order_by()).order_by("name")
    canton = None
    problem = ""
    wanted = (request.GET.get("canton") or "").strip()
    if wanted:
        canton = next((c for c in cantons if c.slug == wanted), None)
        if canton is None:
            problem = _("Aucun lieu de ce canton ne propose de poste à réserver : voici tous les lieux.")
    page = _page(request, queries.bookable_places(canton=canton))
    context = {
        "page": page,
        "cantons": cantons,
        "canton": canton,
        "problem": problem,
        "query": f"canton={canton.slug}" if canton else "",
    }
    return render(request, "mediation/free_access/places.html", context)


def _chosen_day(request: HttpRequest) -> tuple[dt.date, str, DayForm]:
    today = timezone.localdate()
    last = today + dt.timedelta(days=queries.MAX_DAYS_AHEAD)
    form = DayForm(request.GET or None)
    problem = ""
    day = today
    if form.is_bound and form.is_valid() and form.cleaned_data.get("date"):
        day = form.cleaned_data["date"]
        if day < today:
            problem = _("Ce jour est passé : voici les créneaux d'aujourd'hui.")
            day = today
        elif day > last:
            problem = _("On ne peut réserver que %(days)s jours à l'avance : voici le dernier jour possible.") % {
                "days": queries.MAX_DAYS_AHEAD
            }
            day = last
    elif form.is_bound and not form.is_valid():
        problem = " ".join(str(e) for e in form.errors.get("date", [])) + " " + _("Voici les créneaux d'aujourd'hui.")
    if problem:
        form = DayForm(initial={"date": day})
    return day, problem, form


@login_not_required
@require_GET
def day(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone: the day grid of a place (computers x slots), each free slot a link."""
    place = _public_place(request, slug)
    the_day, problem, form = _chosen_day(request)
    staff = services.can_manage(request.user, place)
    grid = queries.day_grid(place, the_day, staff=staff)
    today = timezone.localdate()
    last = today + dt.timedelta(days=queries.MAX_DAYS_AHEAD)
    if not grid.computers:
        raise Http404(_("Ce lieu ne propose pas de poste à réserver."))
    next_open = queries.next_open_day(place, the_day) if not grid.rows else None
    context = {
        "place": place,
        "grid": grid,
        "day": the_day,
        "day_label": queries.long_date(the_day),
        "form": form,
        "problem": problem,
        "previous_day": the_day - dt.timedelta(days=1) if the_day > today else None,
        "next_day": the_day + dt.timedelta(days=1) if the_day < last else None,
        "next_open": next_open,
        "next_open_label": queries.long_date(next_open) if next_open else "",
        "staff": staff,
        "is_today": the_day == today,
    }
    return render(request, "mediation/free_access/day.html", context)


def _durations(place: Place, form: BookingForm) -> list[int]:
    data = getattr(form, "cleaned_data", {})
    if not {"day", "start"} <= set(data):
        return list(queries.DURATIONS[::-1])
    starts_at = timezone.make_aware(dt.datetime.combine(data["day"], data["start"]))
    return [
        minutes
        for minutes in (60, 30)
        if queries.is_bookable_range(place, starts_at, starts_at + dt.timedelta(minutes=minutes))
    ]


@login_not_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, slug: str) -> HttpResponse:
    """Everyone: book the slot chosen in the grid (name and a phone or an email).

    A mediator of the place books for someone else (``booked_by``); a signed-in person books
    for themself (``user``)."""
    place = _public_place(request, slug)
    staff = services.can_manage(request.user, place)
    signed_in = request.user.is_authenticated and not staff
    conflict: services.BookingConflictError | None = None
    if request.method == "POST":
        form = BookingForm(request.POST, place=place)
        if form.is_valid():
            starts_at, ends_at = form.period()
            try:
                booking = services.computer_booking_create(
                    actor=request.user,
                    computer=form.cleaned_data["computer"],
                    starts_at=starts_at,
                    ends_at=ends_at,
                    name=form.cleaned_data["name"],
                    phone=form.cleaned_data["phone"],
                    email=form.cleaned_data["email"],
                    user=request.user if signed_in else None,
                    site_url=request.build_absolute_uri("/"),
                )
            except services.BookingConflictError as exc:
                conflict = exc
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return redirect("mediation:free_access_booked", token=booking.token)
        probe = form
    else:
        probe = BookingForm(request.GET, place=place)
        probe.is_valid()
        initial = {key: request.GET.get(key, "") for key in ("computer", "day", "start")}
        initial["minutes"] = request.GET.get("minutes") or 60
        if signed_in:
            initial.update(name=request.user.get_full_name(), email=request.user.email)
        form = BookingForm(initial=initial, place=place)
    slot_problems = probe.slot_errors()
    if request.method == "GET" and request.GET.get("minutes") and "minutes" in probe.errors:
        slot_problems += [str(error) for error in probe.errors["minutes"]]
    summary = ""
    durations: list[int] = []
    if not slot_problems:
        data = probe.cleaned_data
        starts_at = timezone.make_aware(dt.datetime.combine(data["day"], data["start"]))
        summary = _("%(computer)s, le %(date)s à partir de %(start)s") % {
            "computer": data["computer"].label,
            "date": queries.long_date(data["day"]),
            "start": queries.hhmm(starts_at),
        }
        durations = _durations(place, probe)
        if not durations:
            slot_problems = [
                _(
                    "Ce créneau est en dehors des horaires d'ouverture de %(place)s : choisissez un créneau "
                    "proposé dans le tableau du jour."
                )
                % {"place": place.name}
            ]
        elif request.method == "GET":
            wanted = data.get("minutes") if data.get("minutes") in durations else durations[0]
            try:
                services.computer_booking_check(
                    actor=request.user,
                    computer=data["computer"],
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(minutes=wanted),
                )
            except services.BookingConflictError as exc:
                conflict = exc
            except ValidationError as exc:
                slot_problems = list(exc.messages)
    if durations:
        form.fields["minutes"].choices = [c for c in form.fields["minutes"].choices if c[0] in durations]
    context = {
        "place": place,
        "form": form,
        "summary": summary,
        "slot_problems": slot_problems,
        "conflict": conflict,
        "staff": staff,
        "day_url": reverse("mediation:free_access_day", kwargs={"slug": place.slug})
        + (f"?date={probe.cleaned_data['day']:%Y-%m-%d}" if "day" in getattr(probe, "cleaned_data", {}) else ""),
    }
    return render(request, "mediation/free_access/book.html", context)


_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # url-safe base64 (``models.new_token``)


def _booking_by_token(token: str) -> ComputerBooking:
    # Anything else (a NUL byte, which PostgreSQL refuses, a truncated link) is unknown at once.
    booking = (
        ComputerBooking.objects.select_related("computer__place__commune").filter(token=token).first()
        if _TOKEN.match(token or "")
        else None
    )
    if booking is None:
        raise Http404(_("Cette réservation n'existe pas : vérifiez le lien reçu."))
    return booking


def _booking_context(booking: ComputerBooking) -> dict[str, Any]:
    start = timezone.localtime(booking.starts_at)
    return {
        "booking": booking,
        "place": booking.computer.place,
        "date_label": queries.long_date(start.date()),
        "start": queries.hhmm(booking.starts_at),
        "end": queries.hhmm(booking.ends_at),
        "is_past": booking.ends_at <= timezone.now(),
    }


@login_not_required
@require_GET
def booked(request: HttpRequest, token: str) -> HttpResponse:
    """The person holding the link: the booking, and how to cancel it."""
    booking = _booking_by_token(token)
    return render(request, "mediation/free_access/booked.html", _booking_context(booking))


@login_not_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, token: str) -> HttpResponse:
    """The person holding the link: GET asks for confirmation, POST cancels (idempotent)."""
    booking = _booking_by_token(token)
    error = ""
    done = False
    if request.method == "POST" and booking.status == ComputerBooking.Status.CONFIRMED:
        try:
            booking = services.computer_booking_cancel(actor=request.user, booking=booking)
            done = True
        except ValidationError as exc:
            error = " ".join(exc.messages)
    context = _booking_context(booking) | {"error": error, "done": done}
    return render(request, "mediation/free_access/cancel.html", context)


# --- staff pages --------------------------------------------------------------------------------


@require_GET
@role_required(Role.MEDIATOR, Role.PROGRAMME_MANAGER, Role.ADMINISTRATOR)
def staff_home(request: HttpRequest) -> HttpResponse:
    """Mediators and the programme team: the places whose free access they manage."""
    page = _page(request, queries.managed_places(request.user))
    return render(request, "mediation/free_access/staff_home.html", {"page": page, "query": ""})


@require_GET
@permission_required_for_object(PERM, _staff_place)
def staff_place(request: HttpRequest, slug: str, obj: Place) -> HttpResponse:
    """The place's free access today: visit counter, bookings, computers."""
    now = timezone.now()
    today = timezone.localdate()
    counts = queries.visit_counts(obj, today)
    current = _current_slot(now)
    buttons = [
        {"slot": value, "label": label, "count": counts[value], "current": value == current}
        for value, label in VisitSlot.choices
    ]
    context = {
        "place": obj,
        "today_label": queries.long_date(today),
        "buttons": buttons,
        "total_today": sum(counts.values()),
        "bookings": list(queries.bookings_of_day(obj, today)),
        "computers": list(PublicComputer.objects.filter(place=obj).select_related("equipment").order_by("label")),
        "now": now,
    }
    return render(request, "mediation/free_access/staff_place.html", context)


@require_POST
@permission_required_for_object(PERM, _staff_place)
def visit_count(request: HttpRequest, slug: str, obj: Place) -> HttpResponse:
    """The counter's buttons: +1 (or -1 to correct) for today's slot. POST, no JS needed."""
    slot = request.POST.get("slot", "")
    try:
        delta = int(request.POST.get("delta", "1"))
    except ValueError:
        delta = 0
    if delta not in (1, -1):
        messages.error(request, _("Action inconnue : utilisez les boutons +1 ou −1."))
        return redirect("mediation:free_access_place", slug=obj.slug)
    try:
        row = services.free_access_visit_add(
            actor=request.user, place=obj, date=timezone.localdate(), slot=slot, delta=delta
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("%(slot)s : %(count)s visite(s) aujourd'hui.") % {"slot": row.get_slot_display(), "count": row.count},
        )
    return redirect("mediation:free_access_place", slug=obj.slug)


def _month(request: HttpRequest) -> tuple[int, int, str]:
    today = timezone.localdate()
    raw = (request.GET.get("mois") or "").strip()
    if not raw:
        return today.year, today.month, ""
    try:
        year_text, month_text = raw.split("-")
        chosen = dt.date(int(year_text), int(month_text), 1)
        if len(raw) != 7 or not (2000 <= chosen.year <= today.year + 1):
            raise ValueError
    except ValueError:
        return (
            today.year,
            today.month,
            _("Mois illisible : utilisez le format AAAA-MM, par exemple 2026-03. Voici le mois en cours."),
        )
    return chosen.year, chosen.month, ""


@require_http_methods(["GET", "POST"])
@permission_required_for_object(PERM, _staff_place)
def visits(request: HttpRequest, slug: str, obj: Place) -> HttpResponse:
    """Counts by day and slot for a month, with totals; a form to correct one count."""
    year, month, problem = _month(request)
    form = VisitSetForm(request.POST or None, initial={"date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.free_access_visit_set(
                actor=request.user,
                place=obj,
                date=form.cleaned_data["date"],
                slot=form.cleaned_data["slot"],
                count=form.cleaned_data["count"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Le nombre de visites est corrigé."))
            chosen = form.cleaned_data["date"]
            return redirect(
                reverse("mediation:free_access_visits", kwargs={"slug": obj.slug}) + f"?mois={chosen:%Y-%m}"
            )
    table = queries.visit_month(obj, year, month)
    first = dt.date(year, month, 1)
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    context = {
        "place": obj,
        "table": table,
        "slots": VisitSlot.choices,
        "form": form,
        "problem": problem,
        "month_value": f"{year:04d}-{month:02d}",
        "previous": f"{previous:%Y-%m}",
        "following": f"{following:%Y-%m}" if following <= timezone.localdate() else "",
    }
    return render(request, "mediation/free_access/visits.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@permission_required_for_object(PERM, _staff_place)
def computer_edit(request: HttpRequest, slug: str, obj: Place, pk: int | None = None) -> HttpResponse:
    """Add a computer, or rename / describe / withdraw one."""
    computer = get_object_or_404(PublicComputer, pk=pk, place=obj) if pk is not None else None
    initial = (
        {
            "label": computer.label,
            "features": computer.features,
            "equipment": computer.equipment_id,
            "is_active": computer.is_active,
        }
        if computer
        else {"is_active": True}
    )
    form = ComputerForm(request.POST or None, initial=initial, place=obj)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if computer is None:
                services.public_computer_create(
                    actor=request.user,
                    place=obj,
                    label=data["label"],
                    features=data["features"],
                    equipment=data["equipment"],
                )
            else:
                services.public_computer_update(
                    actor=request.user,
                    computer=computer,
                    label=data["label"],
                    features=data["features"],
                    equipment=data["equipment"],
                    is_active=data["is_active"],
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Le poste « %(label)s » est enregistré.") % {"label": data["label"]})
            return redirect("mediation:free_access_place", slug=obj.slug)
    context = {"place": obj, "form": form, "computer": computer}
    return render(request, "mediation/free_access/computer_form.html", context, status=400 if form.errors else 200)


@require_POST
@permission_required_for_object(PERM, _staff_place)
def booking_cancel(request: HttpRequest, slug: str, obj: Place, pk: int) -> HttpResponse:
    """Staff: cancel a booking of the place (the person is told by email if they gave one)."""
    booking = get_object_or_404(ComputerBooking, pk=pk, computer__place=obj)
    try:
        services.computer_booking_cancel(actor=request.user, booking=booking)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("La réservation est annulée : le poste est de nouveau libre."))
    return redirect("mediation:free_access_place", slug=obj.slug)


urlpatterns = [
    path("ateliers/postes/", places_list, name="free_access_places"),
    path("ateliers/postes/annulation/<str:token>/", cancel, name="free_access_cancel"),
    path("ateliers/postes/reservation/<str:token>/", booked, name="free_access_booked"),
    path("ateliers/postes/<slug:slug>/", day, name="free_access_day"),
    path("ateliers/postes/<slug:slug>/reserver/", book, name="free_access_book"),
    path("mediation/acces-libre/", staff_home, name="free_access"),
    path("mediation/acces-libre/<slug:slug>/", staff_place, name="free_access_place"),
    path("mediation/acces-libre/<slug:slug>/compter/", visit_count, name="free_access_count"),
    path("mediation/acces-libre/<slug:slug>/visites/", visits, name="free_access_visits"),
    path("mediation/acces-libre/<slug:slug>/postes/nouveau/", computer_edit, name="free_access_computer_add"),
    path("mediation/acces-libre/<slug:slug>/postes/<int:pk>/", computer_edit, name="free_access_computer_edit"),
    path(
        "mediation/acces-libre/<slug:slug>/reservations/<int:pk>/annuler/",
        booking_cancel,
        name="free_access_booking_cancel",
    ),
]
