"""Part "checkin": arrival by QR code or code, the member's calendar feed.

Who may use each page:
- ``checkin_poster`` (``gestion/<slug>/affiche/``): ``telework.manage_telecentre`` on the
  telecentre (its managers, the programme team): the printable poster, and a new secret.
- ``checkin_scan`` (``<slug>/arrivee/<token>/``): anyone signed in who holds the poster's
  secret; they see and check in their own bookings at this telecentre. A wrong slug or secret
  is a 404.
- ``checkin_code`` (``arrivee/``): anyone signed in: type a booking's code.
- ``checkin_by_code`` (``arrivee/<code>/``, the QR code on each booking's page): the booking's
  member or a manager of its telecentre (and the programme team); anyone else gets a 404, so
  that a code reveals nothing. Wrong codes are counted per person and per address (cache
  counter, ``CODE_FAILURES_*``): past the limit, 429 until the window ends.
- ``calendar_feed`` (``calendrier/<token>.ics``): public, the secret address is the key.
- ``calendar_settings`` (``mon-espace/calendrier/``): anyone signed in, for their own feed.
- ``booking_ics`` (``reservations/<pk>/agenda.ics``): ``telework.view_booking``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import icalendar
import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.core.journal import client_ip
from cybercantal.core.links import absolute_url

from ..forms.checkin import CheckinCodeForm, ConfirmForm
from ..models import Booking, BookingStatus, Telecentre
from ..queries import checkin as queries
from ..services import checkin as services
from ..services.booking import describe_period

CODE_FAILURES_WINDOW = 15 * 60  # seconds
CODE_FAILURES_PER_USER = 10
CODE_FAILURES_PER_IP = 30


# --- helpers -------------------------------------------------------------------------------------


def _telecentre(request: HttpRequest, slug: str) -> Telecentre:
    return get_object_or_404(Telecentre.objects.select_related("place__commune"), place__slug=slug)


def _booking(request: HttpRequest, pk: int) -> Booking:
    return get_object_or_404(Booking.objects.select_related("resource__telecentre__place__commune", "member"), pk=pk)


def qr_svg(url: str, *, label: str) -> SafeString:
    """An inline SVG QR code of ``url`` (made here: no external request), labelled for
    assistive technologies; its size comes from the CSS."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=4)
    svg = image.to_string(encoding="unicode")
    svg = svg.replace('width="', 'data-width="', 1).replace('height="', 'data-height="', 1)
    svg = svg.replace('id="qr-path" ', "", 1)
    svg = svg.replace("<svg ", f'<svg class="checkin-qr__code" role="img" aria-label="{escape(label)}" ', 1)
    # Made by qrcode from our own URL; the only text, the label, is escaped above.
    return mark_safe(svg)


def scan_url(telecentre: Telecentre) -> str:
    return absolute_url(reverse("telework:checkin_scan", args=[telecentre.slug, telecentre.checkin_token]))


def _address(place: Any) -> str:
    commune = place.commune.name if place.commune_id else ""
    parts = [place.name, place.address, place.address_complement, f"{place.postal_code} {commune}".strip()]
    return ", ".join(part for part in parts if part)


def _row(booking: Booking, now: dt.datetime) -> dict[str, Any]:
    """What the arrival pages show of a booking."""
    deadline = services.release_deadline(booking)
    return {
        "booking": booking,
        "period": describe_period(booking.starts_at, booking.ends_at, booking.part),
        "arrived": booking.checked_in_at is not None,
        "open": services.in_checkin_window(booking, now) and booking.status == BookingStatus.CONFIRMED,
        "arrived_at": services.time_text(booking.checked_in_at) if booking.checked_in_at else "",
        "opens_at": services.time_text(services.checkin_opens_at(booking)),
        "deadline": services.time_text(deadline) if deadline else "",
    }


def _failure_keys(request: HttpRequest) -> list[tuple[str, int]]:
    return [
        (f"telework:checkin-code:user:{request.user.pk}", CODE_FAILURES_PER_USER),
        (f"telework:checkin-code:ip:{client_ip(request) or 'unknown'}", CODE_FAILURES_PER_IP),
    ]


def _rate_limited(request: HttpRequest) -> bool:
    """Too many wrong codes lately from this person or this address (a simple cache counter:
    per process with the local-memory cache, shared with Redis)."""
    return any((cache.get(key) or 0) >= limit for key, limit in _failure_keys(request))


def _count_failure(request: HttpRequest) -> None:
    for key, _limit in _failure_keys(request):
        cache.add(key, 0, CODE_FAILURES_WINDOW)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, CODE_FAILURES_WINDOW)


def _refusal(request: HttpRequest, *, status: int, title: str, text: str) -> HttpResponse:
    return render(
        request, "telework/checkin/refusal.html", {"title": title, "text": text, "status": status}, status=status
    )


def _too_many(request: HttpRequest) -> HttpResponse:
    return _refusal(
        request,
        status=429,
        title=_("Trop d'essais"),
        text=_(
            "Trop de codes erronés ont été saisis : réessayez dans un quart d'heure, ou scannez l'affiche "
            "à l'entrée du télécentre."
        ),
    )


def _unknown_code(request: HttpRequest) -> HttpResponse:
    return _refusal(
        request,
        status=404,
        title=_("Code inconnu"),
        text=_("Aucune de vos réservations ne correspond à ce code. Vérifiez-le, ou scannez l'affiche à l'entrée."),
    )


def _check_in(request: HttpRequest, booking: Booking, via: str) -> None:
    try:
        done = services.booking_check_in(actor=request.user, booking=booking, via=via)
    except services.CheckinError as exc:
        messages.error(request, exc.messages[0])
        return
    if done.member_id == request.user.pk:
        messages.success(
            request,
            _("Arrivée enregistrée : votre place est à vous jusqu'à %(time)s. Bonne journée !")
            % {"time": services.time_text(done.ends_at)},
        )
    else:
        messages.success(request, _("Arrivée enregistrée pour cette réservation."))


# --- the poster (managers) ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@permission_required_for_object("telework.manage_telecentre", _telecentre)
def checkin_poster(request: HttpRequest, slug: str, obj: Telecentre) -> HttpResponse:
    telecentre = obj
    label = _("Je comprends que les affiches déjà imprimées ne fonctionneront plus.")
    if request.method == "POST":
        form = ConfirmForm(request.POST, label=label)
        if form.is_valid():
            services.telecentre_regenerate_checkin_token(actor=request.user, telecentre=telecentre)
            messages.success(
                request, _("Nouvelle affiche prête : imprimez-la et remplacez l'ancienne, qui ne fonctionne plus.")
            )
            return redirect("telework:checkin_poster", slug=telecentre.slug)
    else:
        form = ConfirmForm(label=label)
    url = scan_url(telecentre)
    return render(
        request,
        "telework/checkin/poster.html",
        {
            "telecentre": telecentre,
            "scan_url": url,
            "qr": qr_svg(url, label=_("Code QR d'arrivée de %(name)s") % {"name": telecentre.name}),
            "code_url": absolute_url(reverse("telework:checkin_code")),
            "form": form,
        },
    )


# --- arriving: the poster, the code --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def checkin_scan(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    telecentre = queries.telecentre_by_poster(slug, token)
    if telecentre is None:
        return _refusal(
            request,
            status=404,
            title=_("Affiche introuvable"),
            text=_(
                "Cette affiche n'est plus valable : le télécentre en a peut-être imprimé une nouvelle. "
                "Scannez l'affiche à l'entrée, ou saisissez le code de votre réservation."
            ),
        )
    if request.method == "POST":
        try:
            pk = int(request.POST.get("booking", ""))
        except (TypeError, ValueError):
            pk = 0
        booking = (
            Booking.objects.select_related("resource__telecentre")
            .filter(pk=pk, member_id=request.user.pk, resource__telecentre=telecentre)
            .first()
        )
        if booking is None:
            messages.error(request, _("Cette réservation n'est pas la vôtre, ou n'est pas dans ce télécentre."))
        else:
            _check_in(request, booking, services.VIA_POSTER)
        return redirect("telework:checkin_scan", slug=slug, token=token)
    now = timezone.now()
    rows = [_row(booking, now) for booking in queries.checkin_now(request.user, telecentre, now)]
    upcoming = None if rows else queries.next_booking_at(request.user, telecentre, now)
    return render(
        request,
        "telework/checkin/scan.html",
        {
            "telecentre": telecentre,
            "rows": rows,
            "upcoming": _row(upcoming, now) if upcoming else None,
            "all_arrived": bool(rows) and all(row["arrived"] for row in rows),
            "token": token,
        },
    )


@require_http_methods(["GET", "POST"])
def checkin_code(request: HttpRequest) -> HttpResponse:
    if _rate_limited(request):
        return _too_many(request)
    form = CheckinCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        booking = queries.booking_by_code(form.cleaned_data["code"])
        if booking is not None and services.may_check_in(request.user, booking):
            return redirect("telework:checkin_by_code", code=booking.checkin_code)
        _count_failure(request)
        form.add_error(
            "code", _("Aucune de vos réservations n'a ce code : vérifiez-le (il est dans le courriel de confirmation).")
        )
    elif request.method == "POST":
        _count_failure(request)
    now = timezone.now()
    current = [_row(booking, now) for booking in queries.checkin_now_anywhere(request.user, now)]
    return render(request, "telework/checkin/code.html", {"form": form, "rows": current})


@require_http_methods(["GET", "POST"])
def checkin_by_code(request: HttpRequest, code: str) -> HttpResponse:
    if _rate_limited(request):
        return _too_many(request)
    booking = queries.booking_by_code(code)
    if booking is None or not services.may_check_in(request.user, booking):
        _count_failure(request)
        return _unknown_code(request)
    if booking.checkin_code != code:  # typed in lower case or with spaces: the clean address
        return redirect("telework:checkin_by_code", code=booking.checkin_code)
    if request.method == "POST":
        via = services.VIA_CODE if booking.member_id == request.user.pk else services.VIA_DESK
        _check_in(request, booking, via)
        return redirect("telework:checkin_by_code", code=booking.checkin_code)
    now = timezone.now()
    return render(
        request,
        "telework/checkin/by_code.html",
        {
            "row": _row(booking, now),
            "booking": booking,
            "is_member": booking.member_id == request.user.pk,
            "address": _address(booking.resource.telecentre.place),
        },
    )


# --- the calendar ------------------------------------------------------------------------------


def _uid_host() -> str:
    return urlsplit(settings.SITE_URL).hostname or "cybercantal"


def _event(booking: Booking, now: dt.datetime) -> icalendar.Event:
    resource = booking.resource
    place = resource.telecentre.place
    detail = absolute_url(reverse("telework:booking_detail", args=[booking.pk]))
    confirmed = booking.status == BookingStatus.CONFIRMED
    event = icalendar.Event()
    event.add("uid", f"telecentre-reservation-{booking.pk}@{_uid_host()}")
    event.add("dtstamp", now.astimezone(dt.UTC))
    event.add("created", booking.created_at.astimezone(dt.UTC))
    event.add("dtstart", booking.starts_at.astimezone(dt.UTC))
    event.add("dtend", booking.ends_at.astimezone(dt.UTC))
    event.add("summary", _("Télécentre : %(resource)s, %(place)s") % {"resource": resource.name, "place": place.name})
    event.add("location", _address(place))
    if confirmed:
        description = [
            _("Code d'arrivée : %(code)s") % {"code": booking.checkin_code},
            _("Signalez votre arrivée en scannant l'affiche à l'entrée ou avec ce code."),
            _("Votre réservation (l'annuler) : %(url)s") % {"url": detail},
        ]
    elif booking.status == BookingStatus.RELEASED:
        description = [_("Réservation libérée faute d'arrivée signalée."), detail]
    else:
        description = [_("Réservation annulée."), detail]
    event.add("description", "\n".join(description))
    event.add("url", detail)
    event.add("status", "CONFIRMED" if confirmed else "CANCELLED")
    event.add("sequence", 0 if confirmed else 1)
    event.add("transp", "OPAQUE" if confirmed else "TRANSPARENT")
    return event


def calendar_bytes(bookings: Iterable[Booking], *, name: str, now: dt.datetime | None = None) -> bytes:
    """An iCalendar (RFC 5545) of ``bookings``: times in UTC, one stable UID per booking."""
    now = now or timezone.now()
    cal = icalendar.Calendar()
    cal.add("prodid", "-//CyberCantal//Reservations en telecentre//FR")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    cal.add("refresh-interval", dt.timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    for booking in bookings:
        cal.add_component(_event(booking, now))
    return cal.to_ical()


def _ics(content: bytes, *, filename: str | None = None) -> HttpResponse:
    response = HttpResponse(content, content_type="text/calendar; charset=utf-8")
    if filename:
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_not_required
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    profile = queries.profile_by_calendar_token(token)
    if profile is None:
        raise Http404(_("Ce calendrier n'existe pas ou son adresse a été changée."))
    now = timezone.now()
    bookings = queries.feed_bookings(profile.user_id, now)
    return _ics(calendar_bytes(bookings, name=_("Mes réservations en télécentre"), now=now))


@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    label = _("Je comprends que l'adresse actuelle ne fonctionnera plus.")
    help_text = _("Les agendas abonnés à l'ancienne adresse ne recevront plus vos réservations.")
    if request.method == "POST":
        form = ConfirmForm(request.POST, label=label, help_text=help_text)
        if form.is_valid():
            services.profile_regenerate_calendar_token(actor=request.user)
            messages.success(
                request,
                _("Nouvelle adresse créée : l'ancienne ne fonctionne plus. Abonnez vos agendas à la nouvelle."),
            )
            return redirect("telework:calendar_settings")
    else:
        form = ConfirmForm(label=label, help_text=help_text)
    profile = services.member_profile(request.user)
    return render(
        request,
        "telework/checkin/calendar_settings.html",
        {"urls": queries.feed_urls(profile.calendar_token), "form": form},
    )


@require_GET
@permission_required_for_object("telework.view_booking", _booking)
def booking_ics(request: HttpRequest, pk: int, obj: Booking) -> HttpResponse:
    name = obj.resource.telecentre.place.name
    return _ics(calendar_bytes([obj], name=name), filename=f"reservation-telecentre-{obj.pk}.ics")


urlpatterns = [
    path("gestion/<slug:slug>/affiche/", checkin_poster, name="checkin_poster"),
    path("<slug:slug>/arrivee/<str:token>/", checkin_scan, name="checkin_scan"),
    path("arrivee/", checkin_code, name="checkin_code"),
    path("arrivee/<str:code>/", checkin_by_code, name="checkin_by_code"),
    path("calendrier/<str:token>.ics", calendar_feed, name="calendar_feed"),
    path("mon-espace/calendrier/", calendar_settings, name="calendar_settings"),
    path("reservations/<int:pk>/agenda.ics", booking_ics, name="booking_ics"),
]
