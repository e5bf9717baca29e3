"""Part "series": recurring bookings and the waiting lists of full seat pools.

Who may use each page (everyone must be signed in):
- ``series_create`` (``<slug>/reserver/recurrent/``): anyone signed in; the booking rules
  (membership, agreement, credits, quotas) are applied to each date by the service.
- ``series_detail`` (``series/<pk>/``) and ``series_cancel`` (``series/<pk>/annuler/``, POST):
  ``telework.view_booking`` / ``telework.cancel_booking`` on the series: its member, the
  telecentre's managers, the programme team.
- ``waitlist_join`` (``liste-attente/rejoindre/``, POST), ``my_waitlist``
  (``liste-attente/``), ``waitlist_leave`` (``liste-attente/<pk>/retirer/``, POST): the person
  signed in, for their own entries only.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors

from ..forms.series import CancelForm, SeriesForm, WaitlistJoinForm, default_first_day
from ..models import BookingSeries, BookingStatus, DayPart, ResourceKind, Telecentre, WaitlistEntry
from ..queries import availability
from ..queries import series as queries
from ..services import booking as booking_service
from ..services import series as service
from ..services import slots
from ..services.waitlist import waitlist_leave as waitlist_leave_service

PAGE_SIZE = 20


def _telecentre(slug: str) -> Telecentre:
    telecentre = Telecentre.objects.select_related("place").filter(place__slug=slug).first()
    if telecentre is None:
        raise Http404(_("Ce télécentre n'existe pas."))
    return telecentre


def _series(request: HttpRequest, pk: int) -> BookingSeries:
    return get_object_or_404(queries.series_with_place(), pk=pk)


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value or "")
    except ValueError:
        return None


# --- create -----------------------------------------------------------------------------------


def _preview_rows(form: SeriesForm, user: Any) -> list[dict[str, Any]]:
    """The dates of the rule, each with what can be seen now: closed, full, already booked."""
    assert form.plan is not None  # noqa: S101 - a valid form has its plan
    resource = form.cleaned_data["resource"]
    part = form.cleaned_data.get("part") or ""
    now = timezone.now()
    rows = []
    for day in form.plan.dates:
        label = date_format(day, "l j F Y")
        note = ""
        if resource.kind == ResourceKind.SEAT_POOL:
            period = slots.pool_period(resource, day, part)
        else:
            start = timezone.make_aware(dt.datetime.combine(day, form.cleaned_data["start_time"]))
            end = timezone.make_aware(dt.datetime.combine(day, form.cleaned_data["end_time"]))
            period = (start, end) if slots.within_hours(resource, start, end) else None
        if period is None:
            note = _("fermé")
        elif period[0] <= now:
            note = _("déjà commencé")
        elif availability.member_overlaps(user.pk, resource, *period).exists():
            note = _("vous y avez déjà une réservation")
        elif not availability.is_free(resource, *period):
            note = _("complet")
        rows.append({"day": day, "label": label, "note": note})
    return rows


@require_http_methods(["GET", "POST"])
def series_create(request: HttpRequest, slug: str) -> HttpResponse:
    """Anyone signed in: a recurring booking in three steps (the form, the list of dates, the
    report). The service applies the booking rules date by date."""
    telecentre = _telecentre(slug)
    action = request.POST.get("action", "preview") if request.method == "POST" else ""
    if request.method == "POST":
        form = SeriesForm(request.POST, telecentre=telecentre)
    else:
        initial: dict[str, Any] = {"first_day": default_first_day(), "part": DayPart.DAY, "end": "1m", "interval": 1}
        form = SeriesForm(initial=initial, telecentre=telecentre)
        wanted = request.GET.get("ressource", "")
        resources = list(form.resource_queryset())
        chosen = next((r for r in resources if wanted.isdigit() and str(r.pk) == wanted), None)
        # By default the shared space: what most people come for, a seat by the day.
        chosen = chosen or next((r for r in resources if r.kind == ResourceKind.SEAT_POOL), None)
        if chosen is not None:
            form.initial["resource"] = chosen.pk
    if request.method == "POST" and action in ("preview", "confirm") and form.is_valid():
        if action == "confirm":
            data = form.cleaned_data
            assert form.plan is not None  # noqa: S101
            try:
                created = service.series_create(
                    actor=request.user,
                    resource=data["resource"],
                    rrule=form.plan.rule,
                    first_day=data["first_day"],
                    part=data.get("part") or "",
                    start_time=data.get("start_time"),
                    end_time=data.get("end_time"),
                )
            except service.SeriesError as exc:
                add_service_errors(form, exc)
            else:
                booked = created.bookings.count()
                report = created.report or []
                text = service.summary(booked, report)
                (messages.warning if report else messages.success)(
                    request, _("Votre série est enregistrée : %(summary)s.") % {"summary": text}
                )
                return redirect("telework:series_detail", pk=created.pk)
        else:
            return render(
                request,
                "telework/series/preview.html",
                {
                    "telecentre": telecentre,
                    "form": form,
                    "rows": _preview_rows(form, request.user),
                    "rule": form.plan.rule if form.plan else "",
                    "period_text": form.period_text(),
                },
            )
    kinds = {str(r.pk): r.kind for r in form.resource_queryset()}
    return render(
        request,
        "telework/series/create.html",
        {
            "telecentre": telecentre,
            "form": form,
            "kinds_json": json.dumps(kinds),
            "max_occurrences": service.MAX_OCCURRENCES,
        },
    )


# --- detail and cancel ------------------------------------------------------------------------


def _detail_context(request: HttpRequest, series: BookingSeries, cancel_form: CancelForm) -> dict[str, Any]:
    bookings = queries.occurrences(series)
    now = timezone.now()
    rows = []
    for booking in bookings:
        start = timezone.localtime(booking.starts_at)
        rows.append(
            {
                "booking": booking,
                "day": start.date(),
                "when": booking_service.describe_period(booking.starts_at, booking.ends_at, booking.part),
                "cancellable": booking.status == BookingStatus.CONFIRMED and booking.starts_at > now,
                "past": booking.ends_at <= now,
            }
        )
    report = []
    today = timezone.localdate()
    for line in series.report or []:
        day = _date(line.get("date"))
        alternative = line.get("alternative") or None
        report.append(
            {
                "text": service.describe_report_line(line),
                "day": day,
                "can_wait": bool(line.get("can_wait")) and day is not None and day >= today,
                "alternative": alternative,
            }
        )
    counts = queries.counts(bookings)
    return {
        "series": series,
        "telecentre": series.resource.telecentre,
        "rule_text": service.describe_rule(series),
        "period_text": _period_text(series),
        "rows": rows,
        "report": report,
        "counts": counts,
        "summary": service.summary(counts["total"], series.report or []),
        "cancel_form": cancel_form,
        "can_cancel": request.user.has_perm("telework.cancel_booking", series) and any(r["cancellable"] for r in rows),
        "is_member": request.user.pk == series.member_id,
        "first_day_label": date_format(rows[0]["day"] if rows else series.first_day, "l j F Y"),
        "last_day_label": date_format(rows[-1]["day"], "l j F Y") if rows else "",
    }


def _period_text(series: BookingSeries) -> str:
    if series.part:
        return str(DayPart(series.part).label).lower()
    if series.start_time and series.end_time:
        return f"{series.start_time:%H:%M} – {series.end_time:%H:%M}"
    return ""


@require_GET
@permission_required_for_object("telework.view_booking", _series)
def series_detail(request: HttpRequest, pk: int, obj: BookingSeries) -> HttpResponse:
    """The series' member, the telecentre's managers, the programme team: the report, the
    occurrences, and the cancellation of one date, a period or all the following."""
    context = _detail_context(request, obj, CancelForm(initial={"mode": "one"}))
    rows = context["rows"]
    upcoming = next((r["day"] for r in rows if r["cancellable"]), None)
    if upcoming:
        context["cancel_form"] = CancelForm(initial={"mode": "one", "from_day": upcoming})
    return render(request, "telework/series/detail.html", context)


@require_POST
@permission_required_for_object("telework.cancel_booking", _series)
def series_cancel(request: HttpRequest, pk: int, obj: BookingSeries) -> HttpResponse:
    """Step 1 (no ``confirm``): which bookings would be cancelled, with or without refund.
    Step 2 (``confirm``): cancel them; the counts are shown on the series page."""
    form = CancelForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, obj, form)
        return render(request, "telework/series/detail.html", context, status=400)
    from_day, to_day = form.bounds()
    if request.POST.get("confirm") != "1":
        now = timezone.now()
        staff = request.user.pk != obj.member_id
        targets = []
        past = 0
        for booking in service.occurrences_between(obj, from_day, to_day):
            if booking.starts_at <= now:
                past += 1
                continue
            targets.append(
                {
                    "when": booking_service.describe_period(booking.starts_at, booking.ends_at, booking.part),
                    "free": staff or booking_service.cancellation_is_free(booking, now=now),
                    "credits": booking.credits_used,
                }
            )
        return render(
            request,
            "telework/series/cancel_confirm.html",
            {
                "series": obj,
                "form": form,
                "targets": targets,
                "past": past,
                "late": sum(1 for t in targets if not t["free"]),
                "from_label": date_format(from_day, "l j F Y"),
                "to_label": date_format(to_day, "l j F Y") if to_day else "",
                "mode": form.cleaned_data["mode"],
            },
        )
    try:
        result = service.series_cancel(actor=request.user, series=obj, from_day=from_day, to_day=to_day)
    except service.SeriesError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("telework:series_detail", pk=obj.pk)
    _cancel_messages(request, result, obj)
    return redirect("telework:series_detail", pk=obj.pk)


def _number(value: Any) -> str:
    return f"{value.normalize():f}".replace(".", ",")


def _cancel_messages(request: HttpRequest, result: service.CancelResult, series: BookingSeries) -> None:
    if not result.cancelled and not result.refused:
        messages.info(request, _("Aucune réservation à annuler à ces dates : elles le sont déjà ou sont passées."))
    if result.cancelled:
        text = ngettext("%(n)s réservation annulée.", "%(n)s réservations annulées.", result.cancelled) % {
            "n": result.cancelled
        }
        if result.refunded:
            text += " " + _("Crédits rendus : %(n)s.") % {"n": _number(result.refunded)}
        if result.late:
            text += " " + ngettext(
                "%(n)s annulée moins de %(hours)s heures avant : elle reste due.",
                "%(n)s annulées moins de %(hours)s heures avant : elles restent dues.",
                result.late,
            ) % {"n": result.late, "hours": series.resource.telecentre.cancellation_notice_hours}
        messages.success(request, text)
    if result.past:
        messages.info(
            request,
            ngettext(
                "%(n)s date déjà commencée ou passée est laissée telle quelle.",
                "%(n)s dates déjà commencées ou passées sont laissées telles quelles.",
                result.past,
            )
            % {"n": result.past},
        )
    for line in result.refused:
        messages.error(request, line)


# --- waiting list -----------------------------------------------------------------------------


def _safe_next(request: HttpRequest, value: str) -> str:
    if value.startswith("/") and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=False
    ):
        return value
    return reverse("telework:my_waitlist")


@require_POST
def waitlist_join(request: HttpRequest) -> HttpResponse:
    """The person signed in joins the waiting list of a full pool for a day part; told their
    position in line. Sent from the booking conflict message or a series report."""
    form = WaitlistJoinForm(request.POST)
    if not form.is_valid():
        problems = [str(e) for name in ("resource", "day", "part") for e in form.errors.get(name, [])]
        messages.error(request, " ".join(problems) or _("Demande incomplète."))
        return HttpResponseRedirect(_safe_next(request, request.POST.get("next", "")))
    data = form.cleaned_data
    back = _safe_next(request, data.get("next", ""))
    try:
        entry = service.waitlist_request(
            actor=request.user, resource=data["resource"], day=data["day"], part=data["part"]
        )
    except booking_service.BookingError as exc:
        messages.error(request, " ".join(exc.messages))
        return HttpResponseRedirect(back)
    position = service.waitlist_position(entry)
    messages.success(
        request,
        _(
            "%(position)s de « %(resource)s » pour le %(when)s. Si une place se libère, elle vous est "
            "réservée automatiquement et vous recevez un courriel."
        )
        % {
            "position": service.position_text(position),
            "resource": entry.resource.name,
            "when": booking_service.describe_period(entry.starts_at, entry.ends_at, entry.part),
        },
    )
    return HttpResponseRedirect(back)


@require_GET
def my_waitlist(request: HttpRequest) -> HttpResponse:
    """The person signed in: their waiting-list entries (position, status, booking obtained)."""
    paginator = Paginator(queries.my_waitlist(request.user), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    now = timezone.now()
    entries = []
    for entry in page.object_list:
        waiting = entry.status == WaitlistEntry.Status.WAITING and entry.ends_at > now
        if waiting:
            status = service.position_text(getattr(entry, "position", 0))
        elif entry.status == WaitlistEntry.Status.WAITING:
            status = str(WaitlistEntry.Status.EXPIRED.label)
        else:
            status = entry.get_status_display()
        entries.append(
            {
                "entry": entry,
                "when": booking_service.describe_period(entry.starts_at, entry.ends_at, entry.part),
                "waiting": waiting,
                "status": status,
            }
        )
    return render(request, "telework/series/waitlist.html", {"page": page, "entries": entries})


@require_POST
def waitlist_leave(request: HttpRequest, pk: int) -> HttpResponse:
    """The person signed in leaves one of their own waiting lists (others: 404)."""
    entry = get_object_or_404(WaitlistEntry.objects.select_related("resource"), pk=pk, member=request.user)
    was_waiting = entry.status == WaitlistEntry.Status.WAITING
    waitlist_leave_service(actor=request.user, entry=entry)
    if was_waiting:
        messages.success(
            request,
            _("Vous n'êtes plus sur la liste d'attente de « %(resource)s » pour le %(when)s.")
            % {
                "resource": entry.resource.name,
                "when": booking_service.describe_period(entry.starts_at, entry.ends_at, entry.part),
            },
        )
    else:
        messages.info(request, _("Cette inscription n'était plus en attente."))
    return redirect("telework:my_waitlist")


urlpatterns = [
    path("<slug:slug>/reserver/recurrent/", series_create, name="series_create"),
    path("series/<int:pk>/", series_detail, name="series_detail"),
    path("series/<int:pk>/annuler/", series_cancel, name="series_cancel"),
    path("liste-attente/", my_waitlist, name="my_waitlist"),
    path("liste-attente/rejoindre/", waitlist_join, name="waitlist_join"),
    path("liste-attente/<int:pk>/retirer/", waitlist_leave, name="waitlist_leave"),
]
