"""Arrivals at a telecentre, no-shows, reminders, and the secrets of the poster and the feed.

Telecentres are small and often unstaffed: a person confirms their arrival themself, by
scanning the poster at the entrance (``via="poster"``) or typing their booking's code
(``via="code"``); a manager may do it for them at the desk (``via="desk"``).

- Check-in is possible from ``CHECKIN_EARLY`` (30 minutes) before the start to the end.
- A confirmed booking nobody checked in for is released ``no_show_release_minutes`` after it
  started (0: never). The clock starts at the start, or at the booking's creation when it was
  made once the period was under way (a walk-in at the desk, a seat given by the waiting list),
  so that such a booking is not released at once. Its credits are NOT refunded and its usage
  price stays due: the place was held for the person until then, and nobody else could take it
  (the same rule as a late cancellation). The seat freed in a pool goes to the first person on
  the waiting list, in the same transaction.
- Reminders go the day before, from ``REMINDER_HOUR``, for bookings made before that moment
  (a booking made later has just had its confirmation). ``reminder_sent_at`` is set by a
  conditional update: an hourly job that runs twice sends each reminder once.

Concurrency: the release locks the pool row (like ``booking_cancel``, same order: resource,
then booking) and changes the booking with a conditional ``UPDATE`` (still confirmed, not
checked in): two jobs running at once release a booking once; an arrival checked in at the
same moment wins or loses cleanly, never both.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit
from cybercantal.places import hours

from ..models import Booking, BookingStatus, MemberProfile, Resource, ResourceKind, Telecentre, new_token
from .booking import cancellation_is_free, describe_period

CHECKIN_EARLY = dt.timedelta(minutes=30)
REMINDER_HOUR = 17  # local time, the day before

VIA_POSTER = "poster"
VIA_CODE = "code"
VIA_DESK = "desk"
VIAS = (VIA_POSTER, VIA_CODE, VIA_DESK)


class CheckinError(ValidationError):
    """A check-in refused (French message). ``code``: ``forbidden``, ``too_early``, ``ended``,
    ``cancelled``, ``released``."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message, code=code)
        self.code = code


# --- reading the rules -------------------------------------------------------------------------


def checkin_opens_at(booking: Booking) -> dt.datetime:
    return booking.starts_at - CHECKIN_EARLY


def in_checkin_window(booking: Booking, now: dt.datetime) -> bool:
    return checkin_opens_at(booking) <= now < booking.ends_at


def release_deadline(booking: Booking) -> dt.datetime | None:
    """When the booking is released if nobody checks in (None: never)."""
    minutes = booking.resource.telecentre.no_show_release_minutes
    if not minutes:
        return None
    start = max(booking.starts_at, booking.created_at) if booking.created_at else booking.starts_at
    return start + dt.timedelta(minutes=minutes)


def may_check_in(user: Any, booking: Booking) -> bool:
    """The booking's member, or a manager of its telecentre (and the programme team)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return booking.member_id == user.pk or user.has_perm("telework.manage_telecentre", booking)


def time_text(moment: dt.datetime) -> str:
    return hours.format_time(timezone.localtime(moment).time())


# --- check-in ----------------------------------------------------------------------------------


@transaction.atomic
def booking_check_in(*, actor: Any, booking: Booking, via: str, now: dt.datetime | None = None) -> Booking:
    """Record the arrival for ``booking``. Idempotent: an arrival already recorded is returned
    as it is. Refused outside the window (30 minutes before the start to the end), for a
    cancelled or released booking, and for someone else's booking unless the actor manages
    the telecentre."""
    if via not in VIAS:
        raise ValueError(f"Unknown check-in channel: {via!r}")
    now = now or timezone.now()
    if not may_check_in(actor, booking):
        raise CheckinError(_("Cette réservation n'est pas la vôtre."), code="forbidden")
    fresh = Booking.objects.select_related("resource__telecentre").get(pk=booking.pk)
    if fresh.status == BookingStatus.CANCELLED:
        raise CheckinError(_("Cette réservation a été annulée."), code="cancelled")
    if fresh.status == BookingStatus.RELEASED:
        raise CheckinError(
            _(
                "Cette réservation a été libérée à %(time)s faute d'arrivée signalée : la place a pu être "
                "donnée à quelqu'un d'autre. Réservez à nouveau si une place est libre."
            )
            % {"time": time_text(fresh.released_at or now)},
            code="released",
        )
    if fresh.checked_in_at is not None:
        return fresh
    if now < checkin_opens_at(fresh):
        raise CheckinError(
            _("C'est un peu tôt : vous pourrez signaler votre arrivée à partir de %(time)s le %(day)s.")
            % {
                "time": time_text(checkin_opens_at(fresh)),
                "day": date_format(timezone.localtime(fresh.starts_at).date(), "l j F"),
            },
            code="too_early",
        )
    if now >= fresh.ends_at:
        raise CheckinError(_("Cette réservation est terminée."), code="ended")
    updated = Booking.objects.filter(pk=fresh.pk, status=BookingStatus.CONFIRMED, checked_in_at__isnull=True).update(
        checked_in_at=now
    )
    fresh.refresh_from_db()
    if not updated:
        # Between our read and our write: someone else checked in (fine) or the release job won.
        if fresh.checked_in_at is not None:
            return fresh
        raise CheckinError(_("Cette réservation vient d'être libérée faute d'arrivée signalée."), code="released")
    journal.record(
        actor=actor,
        action="telework.booking.checked_in",
        target=fresh,
        data={"via": via, "by_staff": actor.pk != fresh.member_id, "at": now.isoformat()},
    )
    booking.checked_in_at = fresh.checked_in_at
    return fresh


# --- secrets -----------------------------------------------------------------------------------


@transaction.atomic
def telecentre_regenerate_checkin_token(*, actor: Any, telecentre: Telecentre) -> Telecentre:
    """A new secret for the check-in poster: posters printed before stop working."""
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm("telework.manage_telecentre", telecentre)):
        raise CheckinError(_("Vous ne gérez pas ce télécentre."), code="forbidden")
    fresh = lock_for_update(Telecentre.objects.filter(pk=telecentre.pk)).get()
    fresh.checkin_token = new_token()
    fresh.save(update_fields=["checkin_token"])
    journal.record(actor=actor, action="telework.telecentre.checkin_token_regenerated", target=fresh)
    telecentre.checkin_token = fresh.checkin_token
    return fresh


def member_profile(user: Any) -> MemberProfile:
    """The person's telework profile, created empty on first need (its calendar secret with it)."""
    profile, _created = MemberProfile.objects.get_or_create(user=user)
    return profile


@transaction.atomic
def profile_regenerate_calendar_token(*, actor: Any) -> MemberProfile:
    """A new secret address for the person's calendar feed: the old address stops working."""
    if not getattr(actor, "is_authenticated", False):
        raise CheckinError(_("Connectez-vous pour gérer votre calendrier."), code="forbidden")
    profile = member_profile(actor)
    profile = lock_for_update(MemberProfile.objects.filter(pk=profile.pk)).get()
    profile.calendar_token = new_token()
    profile.save(update_fields=["calendar_token", "updated_at"])
    journal.record(actor=actor, action="telework.profile.calendar_token_regenerated", target=profile)
    return profile


# --- no-shows ----------------------------------------------------------------------------------


def bookings_release_no_shows(*, now: dt.datetime | None = None) -> int:
    """Release the confirmed bookings nobody checked in for in time; returns how many. Each
    booking is released in its own transaction (one failure does not hold back the others)."""
    now = now or timezone.now()
    candidates = (
        Booking.objects.filter(
            status=BookingStatus.CONFIRMED,
            checked_in_at__isnull=True,
            starts_at__lte=now,
            ends_at__gt=now,
            resource__telecentre__no_show_release_minutes__gt=0,
        )
        .select_related("resource__telecentre")
        .order_by("starts_at", "pk")
    )
    due = [booking.pk for booking in candidates if (deadline := release_deadline(booking)) and deadline <= now]
    return sum(1 for pk in due if booking_release(booking_id=pk, now=now))


@transaction.atomic
def booking_release(*, booking_id: int, now: dt.datetime) -> bool:
    """Release one no-show (the system is the actor). False when it is no longer due: checked
    in, cancelled, already released by another run, or ended."""
    booking = (
        Booking.objects.select_related("resource__telecentre__place__commune", "member").filter(pk=booking_id).first()
    )
    if booking is None:
        return False
    resource = booking.resource
    if resource.kind == ResourceKind.SEAT_POOL:
        list(lock_for_update(Resource.objects.filter(pk=resource.pk)))
    deadline = release_deadline(booking)
    if deadline is None or deadline > now:
        return False
    released = Booking.objects.filter(
        pk=booking.pk, status=BookingStatus.CONFIRMED, checked_in_at__isnull=True, ends_at__gt=now
    ).update(status=BookingStatus.RELEASED, released_at=now)
    if not released:
        return False
    booking.status = BookingStatus.RELEASED
    booking.released_at = now
    telecentre = resource.telecentre
    journal.record(
        actor=None,
        action="telework.booking.released",
        target=booking,
        data={
            "minutes": telecentre.no_show_release_minutes,
            "credits_kept": str(booking.credits_used),
            "price_excl_tax": str(booking.price_excl_tax),
        },
    )
    if resource.kind == ResourceKind.SEAT_POOL:
        from .waitlist import promote_waiting

        promote_waiting(resource=resource, starts_at=booking.starts_at, ends_at=booking.ends_at)
    if booking.member.email:
        _send_released(booking)
    return True


def _send_released(booking: Booking) -> None:
    resource = booking.resource
    telecentre = resource.telecentre
    period = describe_period(booking.starts_at, booking.ends_at, booking.part)
    book_again = absolute_url(reverse("telework:booking_detail", kwargs={"pk": booking.pk}))
    body = _(
        "Bonjour,\n\n"
        "Votre réservation %(resource)s à %(place)s, %(period)s, a été libérée : votre arrivée n'a pas été "
        "signalée dans les %(minutes)s minutes qui ont suivi le début.\n\n"
        "Les crédits utilisés ne sont pas rendus (et une réservation payante reste due) : la place vous "
        "était gardée jusque-là et personne d'autre ne pouvait la prendre. C'est la même règle qu'une "
        "annulation tardive.\n\n"
        "Si vous êtes bien venu(e) mais avez oublié de signaler votre arrivée, répondez au télécentre : "
        "il pourra régulariser.\n"
        "La prochaine fois, scannez l'affiche à l'entrée ou saisissez votre code d'arrivée, dès 30 minutes "
        "avant le début.\n\n"
        "Votre réservation : %(link)s\n\n"
        "%(place)s"
    ) % {
        "resource": resource.name,
        "place": telecentre.place.name,
        "period": period,
        "minutes": telecentre.no_show_release_minutes,
        "link": book_again,
    }
    email_on_commit(
        subject=_("Réservation libérée faute d'arrivée : %(period)s") % {"period": period},
        body=body,
        to=[booking.member.email],
        reply_to=[telecentre.place.email] if telecentre.place.email else None,
    )


# --- reminders ---------------------------------------------------------------------------------


def reminder_moment(day: dt.date) -> dt.datetime:
    """When the reminders for bookings starting on ``day`` go: ``REMINDER_HOUR`` the day before."""
    before = day - dt.timedelta(days=1)
    return timezone.make_aware(dt.datetime.combine(before, dt.time(REMINDER_HOUR)))


def bookings_send_reminders(*, now: dt.datetime | None = None) -> int:
    """Remind the members whose bookings start tomorrow; returns how many were sent.

    From ``REMINDER_HOUR`` (local time) to midnight, each run picks the confirmed bookings of
    the next day not reminded yet and made before that moment; each one is marked under a
    conditional update, so an hourly job (or two running at once) sends it once, and a run
    missed at 17 h is made up at the next one."""
    now = now or timezone.now()
    local_now = timezone.localtime(now)
    tomorrow = local_now.date() + dt.timedelta(days=1)
    moment = reminder_moment(tomorrow)
    if now < moment:
        return 0
    day_start = timezone.make_aware(dt.datetime.combine(tomorrow, dt.time(0)))
    day_end = timezone.make_aware(dt.datetime.combine(tomorrow + dt.timedelta(days=1), dt.time(0)))
    due = Booking.objects.filter(
        status=BookingStatus.CONFIRMED,
        reminder_sent_at__isnull=True,
        starts_at__gte=day_start,
        starts_at__lt=day_end,
        created_at__lt=moment,
    ).values_list("pk", flat=True)
    return sum(1 for pk in list(due) if booking_send_reminder(booking_id=pk, now=now))


@transaction.atomic
def booking_send_reminder(*, booking_id: int, now: dt.datetime) -> bool:
    """Mark and send one reminder; False when it was sent already (or the booking changed)."""
    marked = Booking.objects.filter(
        pk=booking_id, status=BookingStatus.CONFIRMED, reminder_sent_at__isnull=True
    ).update(reminder_sent_at=now)
    if not marked:
        return False
    booking = Booking.objects.select_related("resource__telecentre__place__commune", "member").get(pk=booking_id)
    if booking.member.email:
        _send_reminder(booking, now)
    return True


def _send_reminder(booking: Booking, now: dt.datetime) -> None:
    resource = booking.resource
    telecentre = resource.telecentre
    place = telecentre.place
    period = describe_period(booking.starts_at, booking.ends_at, booking.part)
    address = ", ".join(
        part
        for part in (
            place.address,
            place.address_complement,
            f"{place.postal_code} {place.commune.name if place.commune_id else ''}".strip(),
        )
        if part
    )
    detail = absolute_url(reverse("telework:booking_detail", kwargs={"pk": booking.pk}))
    lines = [
        _("Bonjour,"),
        "",
        _("Rappel : vous avez réservé %(resource)s à %(place)s demain, %(period)s.")
        % {"resource": resource.name, "place": place.name, "period": period},
        _("Adresse : %(address)s") % {"address": address},
        "",
        _("En arrivant, scannez l'affiche à l'entrée ou saisissez votre code d'arrivée : %(code)s")
        % {"code": booking.checkin_code},
        _("(possible dès %(time)s).") % {"time": time_text(checkin_opens_at(booking))},
    ]
    if telecentre.no_show_release_minutes:
        lines.append(
            _("Sans arrivée signalée %(minutes)s minutes après le début, la place est libérée pour quelqu'un d'autre.")
            % {"minutes": telecentre.no_show_release_minutes}
        )
    if telecentre.welcome_text.strip():
        lines += ["", _("Informations pratiques :"), telecentre.welcome_text.strip()]
    lines += ["", _("Un empêchement ? Annulez pour laisser la place à quelqu'un d'autre :"), detail]
    if cancellation_is_free(booking, now=now):
        lines.append(_("L'annulation est encore gratuite (vos crédits vous seront rendus)."))
    else:
        lines.append(
            _("L'annulation n'est plus gratuite (moins de %(hours)s heures avant), mais elle libère la place.")
            % {"hours": telecentre.cancellation_notice_hours}
        )
    lines += ["", _("À demain,"), place.name]
    email_on_commit(
        subject=_("Rappel : %(place)s demain, %(period)s") % {"place": place.name, "period": period},
        body="\n".join(str(line) for line in lines),
        to=[booking.member.email],
        reply_to=[place.email] if place.email else None,
    )
