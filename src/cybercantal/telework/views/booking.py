"""Part "booking": availability, booking, my bookings, a booking's page, its cancellation, the
day's planning of a telecentre.

Who may use each page:
- ``availability`` (``<slug>/disponibilites/``) and ``resource_availability``
  (``<slug>/ressources/<pk>/``): everyone, signed in or not (a telecentre whose place is not
  published: only its managers and the programme team; 404 for the others).
- ``book`` (``<slug>/reserver/``): any signed-in person; the booking service decides whether
  the resource is for them (members, partners' employees, anyone on a day pass). Managers of
  the telecentre (``telework.book_for_others``) may book for one of its members.
- ``my_bookings`` (``mes-reservations/``): any signed-in person, their own bookings.
- ``booking_detail`` and ``booking_cancel`` (``reservations/<pk>/…``): ``telework.view_booking``
  (and ``telework.cancel_booking`` to cancel): the member, the telecentre's managers, the
  programme team. Not the employer's managers (they see usage, never a booking's times).
- ``planning`` (``gestion/<slug>/planning/``): ``telework.manage_telecentre``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.core.money import round_cents
from cybercantal.places import hours
from cybercantal.places.models import PlaceStatus

from ..forms.booking import BookingForm
from ..models import Booking, BookingStatus, Resource, ResourceKind, Telecentre
from ..queries import availability as availability_queries
from ..queries import booking as queries
from ..services import booking as service

PAGE_SIZE = 20
# How far the grids may be moved (beyond: back to today).
GRID_PAST_DAYS = 366
GRID_FUTURE_DAYS = 2 * 366


# --- helpers ------------------------------------------------------------------------------------


def _telecentre(request: HttpRequest, slug: str) -> Telecentre:
    """The telecentre of ``slug``; one whose place is not published is shown to its managers only."""
    telecentre = get_object_or_404(Telecentre.objects.select_related("place__commune", "operator"), place__slug=slug)
    if telecentre.place.status != PlaceStatus.PUBLISHED and not request.user.has_perm(
        "telework.manage_telecentre", telecentre
    ):
        raise Http404
    return telecentre


def _managed_telecentre(request: HttpRequest, slug: str, **kwargs: Any) -> Telecentre:
    return get_object_or_404(Telecentre.objects.select_related("place__commune", "operator"), place__slug=slug)


def _parse_day(value: str | None) -> dt.date | None:
    """``AAAA-MM-JJ`` within the grids' range, else None."""
    if not value or len(value) > 10:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    today = timezone.localdate()
    if not today - dt.timedelta(days=GRID_PAST_DAYS) <= day <= today + dt.timedelta(days=GRID_FUTURE_DAYS):
        return None
    return day


def _day_from(request: HttpRequest) -> dt.date:
    raw = request.GET.get("jour")
    day = _parse_day(raw)
    if raw and day is None:
        messages.warning(request, _("Date non reconnue (format AAAA-MM-JJ) : voici aujourd'hui."))
    return day or timezone.localdate()


def _booking(request: HttpRequest, pk: int, **kwargs: Any) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("resource__telecentre__place__commune", "member", "agreement__employer"), pk=pk
    )


def _deadline_text(booking: Booking) -> str:
    """« mardi 3 mars à 9 h »: until when a cancellation is free."""
    deadline = timezone.localtime(
        booking.starts_at - dt.timedelta(hours=booking.resource.telecentre.cancellation_notice_hours)
    )
    return _("%(day)s à %(hour)s") % {"day": hours.format_day(deadline.date()), "hour": hours.format_time(deadline)}


def _book_query(resource: Resource, day: dt.date, part: str = "", start: Any = None, end: Any = None) -> str:
    """The query string of a link to ``book`` prefilled from a grid cell."""
    query = QueryDict(mutable=True)
    query["ressource"] = str(resource.pk)
    query["jour"] = day.isoformat()
    if part:
        query["moment"] = part
    if start is not None and end is not None:
        query["debut"] = timezone.localtime(start).strftime("%H:%M")
        query["fin"] = timezone.localtime(end).strftime("%H:%M")
    return query.urlencode()


# --- availability -------------------------------------------------------------------------------


@login_not_required
@require_GET
def availability(request: HttpRequest, slug: str) -> HttpResponse:
    telecentre = _telecentre(request, slug)
    day = _day_from(request)
    view = "jour" if request.GET.get("vue") == "jour" else "semaine"
    context: dict[str, Any] = {"telecentre": telecentre, "view": view, "day": day, "today": timezone.localdate()}
    book_url = reverse("telework:book", kwargs={"slug": telecentre.slug})
    if view == "jour":
        grid = queries.day_grid(telecentre, day)
        for row in grid.pools:
            for pool_cell in row.cells:
                pool_cell.url = f"{book_url}?{_book_query(row.resource, day, pool_cell.part)}"  # type: ignore[attr-defined]
        for step_row in grid.step_rows:
            for index, step in enumerate(step_row.cells):
                if step is not None and step.bookable:
                    resource = grid.exclusive[index]
                    step.url = f"{book_url}?{_book_query(resource, day, '', step.starts_at, step.book_until)}"  # type: ignore[attr-defined]
                    step.resource_name = resource.name  # type: ignore[attr-defined]
        context.update({"grid": grid, "previous": grid.previous, "next": grid.next})
    else:
        grid_week = queries.week_grid(telecentre, day)
        for day_row in grid_week.rows:
            for cell in day_row.cells:
                if isinstance(cell, queries.PoolCell):
                    cell.url = f"{book_url}?{_book_query(cell.resource, day_row.day, cell.part)}"  # type: ignore[attr-defined]
                else:
                    cell.links = [  # type: ignore[attr-defined]
                        (i, f"{book_url}?{_book_query(cell.resource, day_row.day, '', i.starts_at, i.book_until)}")
                        for i in cell.intervals
                    ]
        context.update({"grid": grid_week, "previous": grid_week.previous, "next": grid_week.next})
    return render(request, "telework/booking/availability.html", context)


@login_not_required
@require_GET
def resource_availability(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    telecentre = _telecentre(request, slug)
    resource = get_object_or_404(Resource, pk=pk, telecentre=telecentre, is_active=True)
    resource.telecentre = telecentre
    first = _day_from(request)
    days = queries.resource_days(resource, first)
    book_url = reverse("telework:book", kwargs={"slug": telecentre.slug})
    for resource_day in days:
        for cell in resource_day.cells:
            if isinstance(cell, queries.PoolCell):
                cell.url = f"{book_url}?{_book_query(resource, resource_day.day, cell.part)}"  # type: ignore[attr-defined]
            else:
                cell.links = [  # type: ignore[attr-defined]
                    (i, f"{book_url}?{_book_query(resource, resource_day.day, '', i.starts_at, i.book_until)}")
                    for i in cell.intervals
                ]
    return render(
        request,
        "telework/booking/resource_availability.html",
        {
            "telecentre": telecentre,
            "resource": resource,
            "days": days,
            "first": first,
            "last": first + dt.timedelta(days=queries.RESOURCE_DAYS - 1),
            "previous": first - dt.timedelta(days=queries.RESOURCE_DAYS),
            "next": first + dt.timedelta(days=queries.RESOURCE_DAYS),
            "is_pool": resource.kind == ResourceKind.SEAT_POOL,
            "equipment": Resource._meta.get_field("equipment").labels(resource.equipment),  # type: ignore[attr-defined]
        },
    )


# --- booking ------------------------------------------------------------------------------------


def _prefill(params: QueryDict) -> dict[str, Any]:
    """Initial values from a grid link: ``ressource``, ``jour``, ``moment``, ``debut``/``fin``
    as ``HH:MM`` (or ISO date-times, whose date gives the day)."""
    initial: dict[str, Any] = {}
    for name in ("ressource", "jour", "moment", "membre"):
        value = params.get(name, "")
        if value and len(value) <= 200:
            initial[name] = value
    for name in ("debut", "fin"):
        value = params.get(name, "")
        if not value or len(value) > 40:
            continue
        if "T" in value:
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                continue
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            initial.setdefault("jour", moment.date().isoformat())
            initial[name] = moment.strftime("%H:%M")
        else:
            initial[name] = value
    return initial


def _form(request: HttpRequest, telecentre: Telecentre, resources: list[Resource], data: Any = None) -> BookingForm:
    for_others = request.user.has_perm("telework.book_for_others", telecentre)
    if data is not None:
        return BookingForm(data, telecentre=telecentre, resources=resources, for_others=for_others)
    return BookingForm(telecentre=telecentre, resources=resources, for_others=for_others, initial=_prefill(request.GET))


def _form_page(request: HttpRequest, telecentre: Telecentre, form: BookingForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "telework/booking/book.html",
        {"telecentre": telecentre, "form": form, "for_others": form.for_others},
        status=status,
    )


def _period(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "starts_at": data.get("starts_at"),
        "ends_at": data.get("ends_at"),
        "day": data.get("day"),
        "part": data.get("part") or "",
    }


def _conflict_page(
    request: HttpRequest,
    telecentre: Telecentre,
    exc: service.BookingConflictError,
    *,
    member: Any,
    day: dt.date | None,
    part: str,
) -> HttpResponse:
    alternatives = []
    for alternative in exc.alternatives:
        local_start = timezone.localtime(alternative.starts_at)
        alternatives.append(
            {
                "text": alternative.describe(),
                "resource": alternative.resource,
                "day": local_start.date().isoformat(),
                "part": alternative.part,
                "debut": "" if alternative.part else local_start.strftime("%H:%M"),
                "fin": "" if alternative.part else timezone.localtime(alternative.ends_at).strftime("%H:%M"),
            }
        )
    for_self = member is None or member.pk == request.user.pk
    return render(
        request,
        "telework/booking/conflict.html",
        {
            "telecentre": telecentre,
            "message": exc.messages[0],
            "alternatives": alternatives,
            "can_wait": exc.can_wait and for_self and day is not None and part,
            "resource": exc.resource,
            "day": day.isoformat() if day else "",
            "part": part,
            "member": None if for_self else member,
        },
        status=409,
    )


def _duplicate(
    request: HttpRequest, telecentre: Telecentre, form: BookingForm, exc: service.BookingError, member: Any
) -> HttpResponse:
    """The person already holds a booking at that time: a double submit (the same booking) leads
    to it; another booking at the same time is said next to the field, with a link to it."""
    data = form.cleaned_data
    resource: Resource = data["resource"]
    starts_at: Any = data.get("starts_at")
    ends_at: Any = data.get("ends_at")
    if starts_at is None:
        period = service.resolve_period(
            resource=resource, starts_at=None, ends_at=None, day=data["day"], part=data["part"]
        )
        starts_at, ends_at = period[0], period[1]
    existing = (
        availability_queries.member_overlaps(member.pk, resource, starts_at, ends_at).order_by("starts_at").first()
    )
    if existing is not None and existing.resource_id == resource.pk and existing.starts_at == starts_at:
        messages.info(request, _("Cette réservation est déjà enregistrée : la voici."))
        return redirect("telework:booking_detail", pk=existing.pk)
    form.add_service_error(exc)
    return render(
        request,
        "telework/booking/book.html",
        {"telecentre": telecentre, "form": form, "for_others": form.for_others, "existing": existing},
    )


@require_http_methods(["GET", "POST"])
def book(request: HttpRequest, slug: str) -> HttpResponse:
    telecentre = _telecentre(request, slug)
    resources = queries.active_resources(telecentre)
    if request.method == "POST":
        return _book_post(request, telecentre, resources)
    if request.GET.get("etape") != "verifier":
        return _form_page(request, telecentre, _form(request, telecentre, resources))
    form = _form(request, telecentre, resources, data=request.GET)
    if not form.is_valid():
        return _form_page(request, telecentre, form)
    data = form.cleaned_data
    member: Any = data["member"] or request.user
    resource: Resource = data["resource"]
    staff = request.user.has_perm("telework.book_for_others", telecentre)
    try:
        starts_at, ends_at, part = service.resolve_period(resource=resource, **_period(data))
        service.check_rules(resource=resource, starts_at=starts_at, ends_at=ends_at, staff=staff, now=timezone.now())
        cost = queries.quote(member=member, resource=resource, starts_at=starts_at, ends_at=ends_at, part=part)
        existing = availability_queries.member_overlaps(member.pk, resource, starts_at, ends_at).first()
        if existing is None and not availability_queries.is_free(resource, starts_at, ends_at):
            raise service.BookingConflictError(
                resource=resource,
                alternatives=availability_queries.nearest_free(resource, starts_at, ends_at, part=part),
                can_wait=resource.kind == ResourceKind.SEAT_POOL,
            )
    except service.BookingConflictError as exc:
        return _conflict_page(request, telecentre, exc, member=data["member"], day=data.get("day"), part=data["part"])
    except service.BookingError as exc:
        form.add_service_error(exc)
        return _form_page(request, telecentre, form)
    return render(
        request,
        "telework/booking/confirm.html",
        {
            "telecentre": telecentre,
            "form": form,
            "resource": resource,
            "member": data["member"],
            "period": service.describe_period(starts_at, ends_at, part),
            "quote": cost,
            "existing": existing,
            "deadline": _deadline_text(Booking(resource=resource, starts_at=starts_at)),
            "notice_hours": telecentre.cancellation_notice_hours,
            "edit_url": _edit_url(request, telecentre),
            "hidden": {
                "ressource": resource.pk,
                "jour": data["day"].isoformat(),
                "moment": part,
                "debut": "" if part else timezone.localtime(starts_at).strftime("%H:%M"),
                "fin": "" if part else timezone.localtime(ends_at).strftime("%H:%M"),
                "membre_id": data["member"].pk if data["member"] is not None else "",
            },
        },
    )


def _edit_url(request: HttpRequest, telecentre: Telecentre) -> str:
    query = request.GET.copy()
    query.pop("etape", None)
    return f"{reverse('telework:book', kwargs={'slug': telecentre.slug})}?{query.urlencode()}"


def _book_post(request: HttpRequest, telecentre: Telecentre, resources: list[Resource]) -> HttpResponse:
    form = _form(request, telecentre, resources, data=request.POST)
    if not form.is_valid():
        return _form_page(request, telecentre, form)
    data = form.cleaned_data
    member: Any = data["member"] or request.user
    try:
        booking = service.booking_create(actor=request.user, resource=data["resource"], member=member, **_period(data))
    except service.BookingConflictError as exc:
        return _conflict_page(request, telecentre, exc, member=data["member"], day=data.get("day"), part=data["part"])
    except service.BookingError as exc:
        if exc.code == "duplicate":
            return _duplicate(request, telecentre, form, exc, member)
        form.add_service_error(exc)
        return _form_page(request, telecentre, form)
    if data["member"] is not None and data["member"].pk != request.user.pk:
        messages.success(
            request,
            _("Réservation enregistrée pour %(name)s ; un courriel de confirmation lui est envoyé.")
            % {"name": member.get_full_name() or member.email},
        )
    else:
        messages.success(request, _("C'est réservé ! Un courriel de confirmation vous est envoyé."))
    return redirect("telework:booking_detail", pk=booking.pk)


# --- my bookings --------------------------------------------------------------------------------


@require_GET
def my_bookings(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    upcoming = Paginator(queries.upcoming_of(request.user, now=now), PAGE_SIZE).get_page(request.GET.get("page"))
    past = Paginator(queries.past_of(request.user, now=now), PAGE_SIZE).get_page(request.GET.get("passees"))
    return render(
        request,
        "telework/booking/my_bookings.html",
        {
            "upcoming": upcoming,
            "upcoming_rows": [_row(b) for b in upcoming.object_list],
            "past": past,
            "past_rows": [_row(b) for b in past.object_list],
        },
    )


def _row(booking: Booking) -> dict[str, Any]:
    return {"booking": booking, "period": service.describe_period(booking.starts_at, booking.ends_at, booking.part)}


# --- one booking --------------------------------------------------------------------------------


def _cost(booking: Booking) -> dict[str, Any]:
    used = booking.credits_used
    shown = f"{used.normalize():f}".replace(".", ",")
    if booking.resource.kind == ResourceKind.MEETING_ROOM:
        text = ngettext(
            "%(n)s heure de salle prise sur vos crédits.",
            "%(n)s heures de salle prises sur vos crédits.",
            2 if used >= 2 else 1,
        )
    else:
        text = ngettext("%(n)s jour pris sur vos crédits.", "%(n)s jours pris sur vos crédits.", 2 if used >= 2 else 1)
    return {
        "credits": used,
        "credits_text": text % {"n": shown},
        "price_excl_tax": booking.price_excl_tax,
        "price_incl_tax": round_cents(booking.price_excl_tax * (1 + booking.vat_rate / 100)),
        "employer": booking.agreement.employer.name if booking.agreement_id and booking.agreement else "",
    }


@require_GET
@permission_required_for_object("telework.view_booking", _booking)
def booking_detail(request: HttpRequest, pk: int, obj: Booking) -> HttpResponse:
    booking = obj
    now = timezone.now()
    place = booking.resource.telecentre.place
    return render(
        request,
        "telework/booking/detail.html",
        {
            "booking": booking,
            "place": place,
            "telecentre": booking.resource.telecentre,
            "period": service.describe_period(booking.starts_at, booking.ends_at, booking.part),
            "free_cancellation": service.cancellation_is_free(booking),
            "deadline": _deadline_text(booking),
            "cost": _cost(booking),
            "is_own": booking.member_id == request.user.pk,
            "upcoming": booking.status == BookingStatus.CONFIRMED and booking.ends_at > now,
            "can_cancel": booking.status == BookingStatus.CONFIRMED
            and booking.ends_at > now
            and request.user.has_perm("telework.cancel_booking", booking),
            "map_url": (
                f"https://www.openstreetmap.org/?mlat={place.latitude}&mlon={place.longitude}#map=17/"
                f"{place.latitude}/{place.longitude}"
                if place.latitude is not None and place.longitude is not None
                else ""
            ),
        },
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("telework.view_booking", _booking)
def booking_cancel(request: HttpRequest, pk: int, obj: Booking) -> HttpResponse:
    # ``view_booking`` first: ``cancel_booking`` also admits the employer's managers (for the
    # removal of an employee, through the agreements service), who must not see a booking's
    # times nor cancel one booking by hand.
    if not request.user.has_perm("telework.cancel_booking", obj):
        raise PermissionDenied
    booking = obj
    telecentre = booking.resource.telecentre
    back = request.POST.get("retour") or request.GET.get("retour") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=False):
        back = ""
    if request.method == "POST":
        try:
            cancelled = service.booking_cancel(actor=request.user, booking=booking)
        except service.BookingError as exc:
            messages.error(request, exc.messages[0])
            return redirect(back or reverse("telework:booking_detail", kwargs={"pk": booking.pk}))
        if cancelled.late_cancellation:
            messages.warning(request, _("Réservation annulée hors délai : elle reste due."))
        else:
            messages.success(request, _("Réservation annulée."))
        return redirect(back or reverse("telework:booking_detail", kwargs={"pk": booking.pk}))
    now = timezone.now()
    staff = booking.member_id != request.user.pk and request.user.has_perm("telework.book_for_others", telecentre)
    return render(
        request,
        "telework/booking/cancel.html",
        {
            "booking": booking,
            "telecentre": telecentre,
            "period": service.describe_period(booking.starts_at, booking.ends_at, booking.part),
            "cancellable": booking.status == BookingStatus.CONFIRMED and booking.ends_at > now,
            "free": service.cancellation_is_free(booking, now=now),
            "staff": staff,
            "deadline": _deadline_text(booking),
            "cost": _cost(booking),
            "back": back,
        },
    )


# --- the day's planning -------------------------------------------------------------------------


@require_GET
@permission_required_for_object("telework.manage_telecentre", _managed_telecentre)
def planning(request: HttpRequest, slug: str, obj: Telecentre) -> HttpResponse:
    telecentre = obj
    day = _day_from(request)
    rows = queries.planning(telecentre, day)
    now = timezone.now()
    total = sum(row.confirmed_count for row in rows)
    arrived = sum(1 for row in rows for b in row.bookings if b.checked_in_at is not None)
    return render(
        request,
        "telework/booking/planning.html",
        {
            "telecentre": telecentre,
            "day": day,
            "day_label": date_format(day, "l j F Y"),
            "rows": rows,
            "now": now,
            "total": total,
            "arrived": arrived,
            "previous": day - dt.timedelta(days=1),
            "next": day + dt.timedelta(days=1),
            "today": timezone.localdate(),
            "back": request.get_full_path(),
        },
    )


urlpatterns = [
    path("<slug:slug>/disponibilites/", availability, name="availability"),
    path("<slug:slug>/ressources/<int:pk>/", resource_availability, name="resource_availability"),
    path("<slug:slug>/reserver/", book, name="book"),
    path("mes-reservations/", my_bookings, name="my_bookings"),
    path("reservations/<int:pk>/", booking_detail, name="booking_detail"),
    path("reservations/<int:pk>/annuler/", booking_cancel, name="booking_cancel"),
    path("gestion/<slug:slug>/planning/", planning, name="planning"),
]
