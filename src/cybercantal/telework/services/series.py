"""Recurring bookings (RFC 5545 RRULE) and the waiting-list request of a full seat pool.

A series is a rule (``FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270301``) from a first day, with a
half-day or day (seat pool) or times (office, meeting room). Its occurrences are real
``Booking`` rows made by ``booking_create`` one by one, each in its own savepoint: the
rules, credits and weekly quotas apply to each date as if it were booked alone, and a date
refused (taken, closed, quota reached, no credits...) goes into ``series.report`` with the
reason instead of stopping the others. One summary email is sent at the end.

Limits, so that a series stays something a person can read and a telecentre can plan for:
a rule must end (``UNTIL`` or ``COUNT``), give at most ``MAX_OCCURRENCES`` dates, all within
the resource's booking window; occurrences are whole days (``FREQ`` daily at the finest, no
``BYHOUR``); the times come from the form, not from the rule.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import islice
from typing import Any

from dateutil import rrule as du
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit

from ..models import Booking, BookingSeries, BookingStatus, DayPart, Resource, ResourceKind, WaitlistEntry
from ..queries import availability
from . import booking as booking_service
from . import slots
from .booking import BookingConflictError, BookingError
from .waitlist import waitlist_join

MAX_OCCURRENCES = 120
# An identical series submitted again within this delay is the same request (double click).
REPEAT_WINDOW = dt.timedelta(minutes=10)
# How far past the booking window we look for occurrences of a rule ending later.
_LOOKAHEAD = dt.timedelta(days=800)
_UNTIL = re.compile(r"UNTIL=(\d{8})(?:T\d{6})?Z?", re.IGNORECASE)
_INVALID = re.compile(r"invalid '?([A-Z]+)'?", re.IGNORECASE)
_FINEST_FREQ = du.DAILY  # YEARLY=0 < MONTHLY < WEEKLY < DAILY=3 < HOURLY...

WEEKDAYS = (du.MO, du.TU, du.WE, du.TH, du.FR, du.SA, du.SU)
WEEKDAY_CODES = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class SeriesError(BookingError):
    """A series refused as a whole (rule, limits, or no date could be booked)."""


@dataclass(frozen=True)
class SeriesPlan:
    """A rule checked against a resource: its normalised text and its dates."""

    rule: str
    dates: list[dt.date]


@dataclass
class CancelResult:
    """What ``series_cancel`` did, for the message shown to the person."""

    cancelled: int = 0
    late: int = 0  # cancelled too late: still due, credits kept
    refunded: Decimal = Decimal("0")
    past: int = 0  # already started or over: left alone
    refused: list[str] = field(default_factory=list)


# --- rules ------------------------------------------------------------------------------------


def _error(message: str, code: str = "rule") -> SeriesError:
    return SeriesError({"rrule": [message]}, code=code)


def weekly_rule(
    *,
    first_day: dt.date,
    weekdays: list[int],
    interval: int = 1,
    until: dt.date | None = None,
    count: int | None = None,
) -> str:
    """The RRULE text of « every Tuesday and Thursday until … » built from the simple form."""
    if not weekdays:
        raise _error(_("Cochez au moins un jour de la semaine."), code="weekdays")
    if (until is None) == (count is None):
        raise _error(_("Indiquez soit une date de fin, soit un nombre de fois."), code="no_end")
    rule = du.rrule(
        du.WEEKLY,
        dtstart=dt.datetime.combine(first_day, dt.time()),
        interval=interval,
        byweekday=[WEEKDAYS[d] for d in sorted(set(weekdays))],
        until=dt.datetime.combine(until, dt.time(23, 59, 59)) if until else None,
        count=count,
    )
    return _rule_text(rule)


def _rule_text(rule: du.rrule) -> str:
    for line in str(rule).splitlines():
        if line.startswith("RRULE:"):
            return line.removeprefix("RRULE:")
    return str(rule)  # pragma: no cover - str(rrule) always has an RRULE line


def parse_rule(text: str, *, first_day: dt.date) -> du.rrule:
    """Parse one RRULE (with or without the ``RRULE:`` prefix), starting on ``first_day``.
    Raises ``SeriesError`` with a French message for anything we do not book."""
    text = (text or "").strip()
    if not text:
        raise _error(_("Indiquez une règle, par exemple FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270301."), code="empty")
    if len(text) > 300:
        raise _error(_("Cette règle est trop longue (300 caractères au plus)."), code="too_long")
    text = re.sub(r"^RRULE:", "", text, flags=re.IGNORECASE).strip()
    if "\n" in text or "\r" in text or ":" in text:
        raise _error(
            _(
                "Une seule règle RRULE, sans DTSTART ni EXDATE (le premier jour se choisit à part), "
                "par exemple FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270301."
            ),
            code="syntax",
        )
    if re.search(r"(^|;)\s*COUNT\s*=", text, re.IGNORECASE) and re.search(r"(^|;)\s*UNTIL\s*=", text, re.IGNORECASE):
        raise _error(
            _("Une règle a soit COUNT (nombre de fois), soit UNTIL (date de fin), pas les deux."), code="syntax"
        )
    for value in re.findall(r"UNTIL=([^;]*)", text, re.IGNORECASE):
        if not re.fullmatch(r"\d{8}(T\d{6}Z?)?", value.strip(), re.IGNORECASE):
            raise _error(_("UNTIL s'écrit AAAAMMJJ, par exemple UNTIL=20270301."), code="syntax")
    # Occurrences are days: an UNTIL is the last day included, in local time, whatever its
    # time or its « Z ».
    text = _UNTIL.sub(lambda m: f"UNTIL={m.group(1)}T235959", text.upper())
    try:
        rule = du.rrulestr(text, dtstart=dt.datetime.combine(first_day, dt.time()))
    except (ValueError, TypeError, OverflowError, IndexError, KeyError) as exc:
        wrong = _INVALID.search(str(exc))
        if wrong:
            detail = _("la valeur de %(part)s n'est pas valable") % {"part": wrong.group(1).upper()}
        else:
            detail = _("elle ne suit pas la syntaxe RFC 5545")
        raise _error(
            _("Règle illisible : %(detail)s. Exemple : FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20270301.") % {"detail": detail},
            code="syntax",
        ) from exc
    if not isinstance(rule, du.rrule):  # pragma: no cover - one RRULE line gives an rrule
        raise _error(_("Une seule règle à la fois."), code="syntax")
    original = rule._original_rule  # what the text said (dateutil fills the rest from DTSTART)
    if rule._freq > _FINEST_FREQ or any(original.get(key) for key in ("byhour", "byminute", "bysecond", "byeaster")):
        raise _error(
            _(
                "Une série se réserve par jours : FREQ vaut DAILY, WEEKLY, MONTHLY ou YEARLY, sans BYHOUR "
                "(les heures se choisissent à part)."
            ),
            code="frequency",
        )
    if rule._interval < 1:
        raise _error(_("INTERVAL doit valoir au moins 1."), code="syntax")
    if rule._count is not None and rule._until is not None:
        raise _error(
            _("Une règle a soit COUNT (nombre de fois), soit UNTIL (date de fin), pas les deux."), code="syntax"
        )
    if rule._count is None and rule._until is None:
        raise _error(
            _(
                "Cette règle n'a pas de fin : ajoutez UNTIL=AAAAMMJJ (jusqu'au) ou COUNT=n (nombre de fois), "
                "par exemple FREQ=WEEKLY;BYDAY=TU;COUNT=10."
            ),
            code="unbounded",
        )
    if rule._count is not None and rule._count < 1:
        raise _error(_("COUNT doit valoir au moins 1."), code="syntax")
    if rule._count is not None and rule._count > MAX_OCCURRENCES:
        raise _error(
            _("Une série compte au plus %(max)s dates ; cette règle en demande %(count)s.")
            % {"max": MAX_OCCURRENCES, "count": rule._count},
            code="too_many",
        )
    return rule


def plan_dates(*, rrule: str, first_day: dt.date, resource: Resource, today: dt.date | None = None) -> SeriesPlan:
    """Check a rule against ``resource`` and list its dates (at most ``MAX_OCCURRENCES``, all
    within the booking window). Raises ``SeriesError`` (field ``rrule`` or ``first_day``)."""
    today = today or timezone.localdate()
    last_day = today + dt.timedelta(days=resource.booking_window_days)
    if first_day < today:
        raise SeriesError({"first_day": [_("Le premier jour est déjà passé.")]}, code="past")
    if first_day > last_day:
        raise SeriesError(
            {
                "first_day": [
                    _("Cette ressource se réserve au plus %(days)s jours à l'avance, soit jusqu'au %(last)s.")
                    % {"days": resource.booking_window_days, "last": date_format(last_day, "l j F Y")}
                ]
            },
            code="window",
        )
    rule = parse_rule(rrule, first_day=first_day)
    horizon = dt.datetime.combine(last_day, dt.time(23, 59, 59))
    until = rule._until
    # The dates up to the end of the window: for a COUNT rule, its first COUNT dates are the
    # first COUNT of these when they all fall in the window. Iteration never goes far past it.
    found = list(islice(_iterate(rule, min(until, horizon) if until else horizon), MAX_OCCURRENCES + 1))
    beyond = False
    if rule._count is not None:
        beyond = len(found) < rule._count
        found = found[: rule._count]
    elif until is not None and until > horizon:
        later = _iterate(rule, min(until, horizon + _LOOKAHEAD))
        beyond = any(day > last_day for day in later)
    dates = sorted(set(found))
    if len(dates) > MAX_OCCURRENCES:
        raise _error(
            _("Une série compte au plus %(max)s dates : raccourcissez la période ou choisissez moins de jours.")
            % {"max": MAX_OCCURRENCES},
            code="too_many",
        )
    if not dates:
        raise _error(_("Cette règle ne donne aucune date à partir du premier jour choisi."), code="empty")
    if beyond:
        raise _error(
            _(
                "Cette série va au-delà de ce qui se réserve : « %(resource)s » se réserve au plus %(days)s jours "
                "à l'avance, soit jusqu'au %(last)s. Choisissez une fin avant cette date."
            )
            % {
                "resource": resource.name,
                "days": resource.booking_window_days,
                "last": date_format(last_day, "l j F Y"),
            },
            code="window",
        )
    return SeriesPlan(rule=_rule_text(rule), dates=dates)


def _iterate(rule: du.rrule, until: dt.datetime) -> Iterator[dt.date]:
    """The days of ``rule`` (COUNT ignored) up to ``until``, computed 400 years later.

    dateutil checks UNTIL only on dates that match: a rule matching no date at all (« every
    30 February ») spins day after day up to the year 9999, seconds of CPU. The Gregorian
    calendar repeats exactly every 400 years (weekdays, leap years, ISO weeks), so the same
    rule started 400·n years later gives the same dates shifted, and runs out within a few
    centuries."""
    shift = max(0, (dt.MAXYEAR - 5 - until.year) // 400 * 400)
    start = rule._dtstart
    shifted = rule.replace(
        dtstart=start.replace(year=start.year + shift), until=until.replace(year=until.year + shift), count=None
    )
    for occurrence in shifted:
        yield occurrence.date().replace(year=occurrence.year - shift)


def describe_rule(series: BookingSeries) -> str:
    """« tous les mardis et jeudis » for a weekly rule of the simple form, else the rule."""
    try:
        rule = parse_rule(series.rrule, first_day=series.first_day)
    except SeriesError:
        return series.rrule
    original = rule._original_rule
    days = original.get("byweekday")
    if rule._freq != du.WEEKLY or not days or set(original) - {"byweekday", "until", "count"}:
        return series.rrule
    ordered = sorted(days, key=lambda d: d.weekday)
    if rule._interval > 1 and len(ordered) == 1:
        return _("un %(day)s sur %(n)s") % {"day": _weekday_name(ordered[0].weekday), "n": rule._interval}
    names = [_weekday_plural(d.weekday) for d in ordered]
    listed = (
        names[0]
        if len(names) == 1
        else _("%(first)s et %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}
    )
    if rule._interval > 1:
        return _("les %(days)s, une semaine sur %(n)s") % {"days": listed, "n": rule._interval}
    return _("tous les %(days)s") % {"days": listed}


def _weekday_name(weekday: int) -> str:
    return [_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi"), _("samedi"), _("dimanche")][weekday]


def _weekday_plural(weekday: int) -> str:
    return [_("lundis"), _("mardis"), _("mercredis"), _("jeudis"), _("vendredis"), _("samedis"), _("dimanches")][
        weekday
    ]


# --- create -----------------------------------------------------------------------------------


def _period_kwargs(
    resource: Resource, day: dt.date, part: str, start_time: dt.time | None, end_time: dt.time | None
) -> dict[str, Any]:
    if resource.kind == ResourceKind.SEAT_POOL:
        return {"day": day, "part": part}
    if start_time is None or end_time is None:  # pragma: no cover - checked by series_create
        raise SeriesError({"start_time": [_("Indiquez l'heure de début et l'heure de fin.")]}, code="times")
    return {
        "starts_at": timezone.make_aware(dt.datetime.combine(day, start_time)),
        "ends_at": timezone.make_aware(dt.datetime.combine(day, end_time)),
    }


def _refusal(resource: Resource, day: dt.date, exc: BookingError) -> dict[str, Any]:
    """One line of the report: the date, a code, the reason in French; for a taken slot, the
    nearest free alternative and whether the person may wait for a seat."""
    entry: dict[str, Any] = {"date": day.isoformat(), "code": exc.code or "rule", "reason": " ".join(exc.messages)}
    if isinstance(exc, BookingConflictError):
        entry["code"] = "conflict"
        entry["reason"] = (
            _("tous les postes sont réservés")
            if resource.kind == ResourceKind.SEAT_POOL
            else _("« %(resource)s » est déjà réservé") % {"resource": resource.name}
        )
        entry["can_wait"] = exc.can_wait
        if exc.alternatives:
            first = exc.alternatives[0]
            local_start = timezone.localtime(first.starts_at)
            entry["alternative"] = {
                "text": first.describe(),
                "resource": first.resource.pk,
                "day": local_start.date().isoformat(),
                "part": first.part,
                "start": local_start.strftime("%H:%M"),
                "end": timezone.localtime(first.ends_at).strftime("%H:%M"),
            }
    elif not slots.open_slots(resource, day):
        closure = slots.closure_on(resource, day)
        entry["code"] = "closed"
        entry["reason"] = (
            _("le télécentre est fermé (%(reason)s)") % {"reason": closure.reason}
            if closure is not None and closure.reason
            else _("le télécentre est fermé")
        )
    return entry


def describe_report_line(line: dict[str, Any]) -> str:
    """« jeudi 24 décembre 2026 — le télécentre est fermé »."""
    try:
        day = dt.date.fromisoformat(str(line.get("date", "")))
    except ValueError:
        return str(line.get("reason", ""))
    return f"{date_format(day, 'l j F Y')} — {line.get('reason', '')}"


def summary(booked: int, refused: list[dict[str, Any]]) -> str:
    """« 12 réservées, 1 non réservée : jeudi 24 décembre 2026 — le télécentre est fermé »."""
    text = ngettext("%(n)s réservée", "%(n)s réservées", booked) % {"n": booked}
    if refused:
        text += ", " + ngettext("%(n)s non réservée", "%(n)s non réservées", len(refused)) % {"n": len(refused)}
        text += " : " + " ; ".join(describe_report_line(line) for line in refused[:5])
        if len(refused) > 5:
            text += " ; …"
    return text


@transaction.atomic
def series_create(
    *,
    actor: Any,
    resource: Resource,
    rrule: str,
    first_day: dt.date,
    part: str = "",
    start_time: dt.time | None = None,
    end_time: dt.time | None = None,
    member: Any | None = None,
    notify: bool = True,
) -> BookingSeries:
    """Book every date of ``rrule`` from ``first_day`` for ``member`` (the actor by default; a
    telecentre manager may book for someone). Each date is a real booking, made with the same
    rules as one booked alone; the refused dates are in ``series.report``. Refused as a whole
    (``SeriesError``) when the rule is invalid or when no date at all could be booked.

    Submitting the same series again within a few minutes returns the first one. ``notify``:
    the summary email (the demo loader turns it off)."""
    from cybercantal.accounts.models import User

    member = member or actor
    resource = Resource.objects.select_related("telecentre__place").get(pk=resource.pk)
    if getattr(member, "pk", None) != getattr(actor, "pk", None) and not (
        getattr(actor, "is_authenticated", False) and actor.has_perm("telework.book_for_others", resource.telecentre)
    ):
        raise SeriesError(_("Vous ne pouvez réserver que pour vous-même."), code="forbidden")
    if resource.kind == ResourceKind.SEAT_POOL:
        if part not in DayPart.values:
            raise SeriesError({"part": [_("Choisissez le matin, l'après-midi ou la journée.")]}, code="part")
        start_time = end_time = None
    else:
        if start_time is None or end_time is None:
            raise SeriesError({"start_time": [_("Indiquez l'heure de début et l'heure de fin.")]}, code="times")
        if end_time <= start_time:
            raise SeriesError({"end_time": [_("L'heure de fin doit suivre l'heure de début.")]}, code="times")
        part = ""
    plan = plan_dates(rrule=rrule, first_day=first_day, resource=resource)

    # One series at a time per person: a double click waits here, then finds the first one.
    list(lock_for_update(User.objects.filter(pk=member.pk)))
    repeat = (
        BookingSeries.objects.filter(
            member=member,
            resource=resource,
            rrule=plan.rule,
            first_day=first_day,
            part=part,
            start_time=start_time,
            end_time=end_time,
            created_at__gte=timezone.now() - REPEAT_WINDOW,
        )
        .filter(Exists(Booking.objects.filter(series=OuterRef("pk"), status=BookingStatus.CONFIRMED)))
        .order_by("-pk")
        .first()
    )
    if repeat is not None:
        return repeat

    series = BookingSeries.objects.create(
        member=member,
        resource=resource,
        rrule=plan.rule,
        first_day=first_day,
        part=part,
        start_time=start_time,
        end_time=end_time,
    )
    booked: list[Booking] = []
    refused: list[dict[str, Any]] = []
    for day in plan.dates:
        try:
            with transaction.atomic():  # savepoint: a refused date leaves no trace
                booked.append(
                    booking_service.booking_create(
                        actor=actor,
                        resource=resource,
                        member=member,
                        series=series,
                        notify=False,
                        **_period_kwargs(resource, day, part, start_time, end_time),
                    )
                )
        except BookingError as exc:
            refused.append(_refusal(resource, day, exc))
    if not booked:
        reasons = list(dict.fromkeys(line["reason"] for line in refused))
        raise SeriesError(
            _("Aucune date n'a pu être réservée : %(reasons)s")
            % {"reasons": " ; ".join(str(r).rstrip(".") for r in reasons[:3]) + "."},
            code="nothing_booked",
        )
    series.report = refused
    series.save(update_fields=["report"])
    journal.record(
        actor=actor,
        action="telework.series.created",
        target=series,
        data={
            "resource": resource.pk,
            "member": member.pk,
            "rrule": plan.rule,
            "first_day": first_day.isoformat(),
            "booked": len(booked),
            "refused": [line["date"] for line in refused],
        },
    )
    email: str = getattr(member, "email", "") or ""
    if notify and email:
        _send_summary(series, booked, refused)
    return series


def _send_summary(series: BookingSeries, booked: list[Booking], refused: list[dict[str, Any]]) -> None:
    resource = series.resource
    place = resource.telecentre.place
    lines = [
        booking_service.describe_period(b.starts_at, b.ends_at, b.part) + f" — {_('code d’arrivée')} {b.checkin_code}"
        for b in booked
    ]
    body = _(
        "Bonjour,\n\n"
        "Votre série de réservations à %(place)s (%(resource)s, %(rule)s) est enregistrée : %(summary)s.\n\n"
        "Dates réservées :\n%(dates)s\n\n"
        "%(refused)s"
        "Pour voir la série, réserver une autre date ou en annuler une partie :\n%(link)s\n\n"
        "Annulation gratuite jusqu'à %(hours)s heures avant chaque date.\n\n"
        "À bientôt,\n%(place)s"
    ) % {
        "place": place.name,
        "resource": resource.name,
        "rule": describe_rule(series),
        "summary": ngettext("%(n)s date réservée", "%(n)s dates réservées", len(booked)) % {"n": len(booked)},
        "dates": "\n".join(f"- {line}" for line in lines),
        "refused": (
            _("Dates non réservées :\n%(lines)s\n\n")
            % {"lines": "\n".join(f"- {describe_report_line(line)}" for line in refused)}
            if refused
            else ""
        ),
        "link": absolute_url(reverse("telework:series_detail", kwargs={"pk": series.pk})),
        "hours": resource.telecentre.cancellation_notice_hours,
    }
    subject = _("Réservations récurrentes : %(summary)s") % {
        "summary": ngettext("%(n)s réservée", "%(n)s réservées", len(booked)) % {"n": len(booked)}
        + (
            ", " + ngettext("%(n)s non réservée", "%(n)s non réservées", len(refused)) % {"n": len(refused)}
            if refused
            else ""
        )
    }
    email_on_commit(subject=subject, body=body, to=[series.member.email])


# --- cancel -----------------------------------------------------------------------------------


def occurrences_between(series: BookingSeries, from_day: dt.date | None = None, to_day: dt.date | None = None) -> Any:
    """The series' confirmed bookings whose day lies in [from_day, to_day] (both optional)."""
    qs = series.bookings.filter(status=BookingStatus.CONFIRMED)
    if from_day is not None:
        qs = qs.filter(starts_at__gte=slots.local(from_day, 0))
    if to_day is not None:
        qs = qs.filter(starts_at__lt=slots.local(to_day + dt.timedelta(days=1), 0))
    return qs.order_by("starts_at")


@transaction.atomic
def series_cancel(
    *, actor: Any, series: BookingSeries, from_day: dt.date | None = None, to_day: dt.date | None = None
) -> CancelResult:
    """Cancel the series' bookings from ``from_day`` to ``to_day`` (inclusive; open ends mean
    the whole series or « all the following »), each through ``booking_cancel``: credits back
    when in time, the seat offered to the waiting list. An occurrence already started or over
    is left alone. Submitting twice cancels nothing more."""
    if not (getattr(actor, "is_authenticated", False) and actor.has_perm("telework.cancel_booking", series)):
        raise SeriesError(_("Vous ne pouvez pas annuler cette série."), code="forbidden")
    if from_day is not None and to_day is not None and to_day < from_day:
        raise SeriesError({"to_day": [_("La fin de la période doit suivre son début.")]}, code="range")
    # One cancellation of a series at a time (a double submit waits, then finds nothing left).
    list(lock_for_update(BookingSeries.objects.filter(pk=series.pk)))
    now = timezone.now()
    result = CancelResult()
    for booking in occurrences_between(series, from_day, to_day).select_related("resource__telecentre", "member"):
        if booking.starts_at <= now:
            result.past += 1
            continue
        before = booking.credits_used
        try:
            with transaction.atomic():
                fresh = booking_service.booking_cancel(actor=actor, booking=booking, notify=False)
        except BookingError as exc:
            result.refused.append(
                f"{booking_service.describe_period(booking.starts_at, booking.ends_at, booking.part)} : "
                + " ".join(exc.messages)
            )
            continue
        if fresh.status != BookingStatus.CANCELLED or fresh.cancelled_at is None or fresh.cancelled_at < now:
            continue  # cancelled meanwhile by someone else
        result.cancelled += 1
        if fresh.late_cancellation:
            result.late += 1
        else:
            result.refunded += before
    if result.cancelled:
        journal.record(
            actor=actor,
            action="telework.series.cancelled",
            target=series,
            data={
                "from": from_day.isoformat() if from_day else None,
                "to": to_day.isoformat() if to_day else None,
                "cancelled": result.cancelled,
                "late": result.late,
            },
        )
        if actor.pk != series.member_id and series.member.email:
            email_on_commit(
                subject=_("Réservations annulées par le télécentre"),
                body=_(
                    "Bonjour,\n\n%(place)s a annulé %(count)s de vos réservations récurrentes (%(resource)s). "
                    "Vos crédits vous ont été rendus.\n\nLa série :\n%(link)s\n"
                )
                % {
                    "place": series.resource.telecentre.place.name,
                    "count": result.cancelled,
                    "resource": series.resource.name,
                    "link": absolute_url(reverse("telework:series_detail", kwargs={"pk": series.pk})),
                },
                to=[series.member.email],
            )
    return result


# --- waiting list -----------------------------------------------------------------------------


def waitlist_position(entry: WaitlistEntry) -> int:
    """1 for the first in line: the waiting entries for an overlapping period of the same pool
    that came before (promotion order: first come, first served)."""
    return (
        WaitlistEntry.objects.filter(
            resource_id=entry.resource_id,
            status=WaitlistEntry.Status.WAITING,
            starts_at__lt=entry.ends_at,
            ends_at__gt=entry.starts_at,
        )
        .filter(Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, pk__lte=entry.pk))
        .count()
    )


@transaction.atomic
def waitlist_request(*, actor: Any, resource: Resource, day: dt.date, part: str) -> WaitlistEntry:
    """Join the waiting list of a full pool (``waitlist.waitlist_join``), after checking that
    waiting makes sense: the pool is full at that time and the person has no seat then."""
    if resource.kind != ResourceKind.SEAT_POOL:
        raise BookingError(
            {"resource": [_("La liste d'attente n'existe que pour les espaces partagés.")]}, code="not_pool"
        )
    starts_at, ends_at, part = booking_service.resolve_period(
        resource=resource, starts_at=None, ends_at=None, day=day, part=part
    )
    booking_service.check_rules(
        resource=resource, starts_at=starts_at, ends_at=ends_at, staff=False, now=timezone.now()
    )
    if availability.member_overlaps(actor.pk, resource, starts_at, ends_at).exists():
        raise BookingError(
            {"day": [_("Vous avez déjà une réservation à ce moment-là dans ce télécentre.")]}, code="duplicate"
        )
    if availability.is_free(resource, starts_at, ends_at):
        raise BookingError(
            {"day": [_("Il reste une place ce %(when)s : réservez-la directement.") % {"when": _when(day, part)}]},
            code="free",
        )
    return waitlist_join(actor=actor, resource=resource, day=day, part=part)


def _when(day: dt.date, part: str) -> str:
    return f"{date_format(day, 'l j F Y')} ({DayPart(part).label.lower()})"


def position_text(position: int) -> str:
    if position <= 1:
        return _("Vous êtes en tête de la liste d'attente")
    return _("Vous êtes %(n)se sur la liste d'attente") % {"n": position}
