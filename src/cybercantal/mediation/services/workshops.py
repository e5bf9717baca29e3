"""Every write of the mediators' side of the workshops: the catalogue, the sessions (one-off
or weekly series), their cancellation and the attendance taken on a tablet.

Each function is keyword-only, runs in one transaction, writes the journal and sends its
emails after the commit. Bad input raises ``django.core.exceptions.ValidationError`` with
French messages keyed by field (a view shows them next to the fields); nothing is
half-saved. A missing permission raises ``PermissionDenied``; ``actor=None`` is the system
(demo data, jobs), which may do everything.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cybercantal.accounts.models import Role
from cybercantal.accounts.queries import holds_role_on
from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.tasks import email_on_commit
from cybercantal.places.models import Place, PlaceStatus

from ..models import (
    DigitalTheme,
    Level,
    Mediator,
    Public,
    Registration,
    RegistrationStatus,
    Session,
    SessionStatus,
    Workshop,
)
from .registrations import waitlist_promote

MIN_CAPACITY = 1
MAX_CAPACITY = 500
MAX_SERIES_WEEKS = 52
# Attendance can be taken from the start of the session until this long after it.
ATTENDANCE_WINDOW = dt.timedelta(days=7)
UNSET: Any = object()


# --- helpers ----------------------------------------------------------------------------------


_require = require_permission  # actor None: the system (demo data, periodic jobs)


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def local_datetime_text(value: dt.datetime) -> str:
    """« mardi 3 mars 2026 à 14:00 » in the platform's time zone."""
    local = timezone.localtime(value)
    return _("%(day)s à %(time)s") % {"day": date_format(local, "l j F Y"), "time": local.strftime("%H:%M")}


# --- the catalogue ----------------------------------------------------------------------------

WORKSHOP_FIELDS = (
    "title",
    "summary",
    "description",
    "themes",
    "level",
    "duration_minutes",
    "publics",
    "prerequisites",
    "is_active",
)


def _others(queryset: QuerySet[Workshop], exclude_pk: int | None) -> QuerySet[Workshop]:
    return queryset.exclude(pk=exclude_pk) if exclude_pk is not None else queryset


def _clean_workshop(values: dict[str, Any], *, exclude_pk: int | None = None) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    title = " ".join(str(values.get("title") or "").split())
    summary = str(values.get("summary") or "").strip()
    if not title:
        errors.setdefault("title", []).append(_("Donnez un titre à l'atelier."))
    elif len(title) > 160:
        errors.setdefault("title", []).append(_("Le titre ne doit pas dépasser 160 caractères."))
    elif _others(Workshop.objects.filter(title__iexact=title), exclude_pk).exists():
        errors.setdefault("title", []).append(
            _("Un atelier s'appelle déjà « %(title)s » : modifiez-le ou choisissez un autre titre.") % {"title": title}
        )
    if not summary:
        errors.setdefault("summary", []).append(_("Résumez l'atelier en une ou deux phrases."))
    elif len(summary) > 280:
        errors.setdefault("summary", []).append(_("Le résumé ne doit pas dépasser 280 caractères."))
    themes = [str(theme) for theme in (values.get("themes") or [])]
    if not themes:
        errors.setdefault("themes", []).append(_("Choisissez au moins une thématique."))
    elif unknown := [theme for theme in themes if theme not in DigitalTheme.values]:
        errors.setdefault("themes", []).append(_("Thématique inconnue : %(values)s.") % {"values": ", ".join(unknown)})
    publics = [str(public) for public in (values.get("publics") or [])]
    if unknown := [public for public in publics if public not in Public.values]:
        errors.setdefault("publics", []).append(_("Public inconnu : %(values)s.") % {"values": ", ".join(unknown)})
    level = values.get("level") or Level.BEGINNER
    if level not in Level.values:
        errors.setdefault("level", []).append(_("Choisissez un niveau de la liste."))
    duration = values.get("duration_minutes")
    try:
        duration = int(duration) if duration is not None else 120
    except (TypeError, ValueError):
        duration = None
    if duration is None or not 15 <= duration <= 480:
        errors.setdefault("duration_minutes", []).append(
            _("La durée doit être comprise entre 15 et 480 minutes (8 heures).")
        )
    prerequisites = str(values.get("prerequisites") or "").strip()
    if len(prerequisites) > 280:
        errors.setdefault("prerequisites", []).append(_("Les prérequis ne doivent pas dépasser 280 caractères."))
    _raise_if(errors)
    return {
        "title": title,
        "summary": summary,
        "description": str(values.get("description") or "").strip(),
        "themes": list(dict.fromkeys(themes)),
        "level": level,
        "duration_minutes": duration,
        "publics": list(dict.fromkeys(publics)),
        "prerequisites": prerequisites,
        "is_active": bool(values.get("is_active", True)),
    }


def unique_workshop_slug(title: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(title)[:170].strip("-") or "atelier"
    taken = set(_others(Workshop.objects.filter(slug__startswith=base), exclude_pk).values_list("slug", flat=True))
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


@transaction.atomic
def workshop_create(
    *,
    actor: Any,
    title: str,
    summary: str,
    themes: Iterable[str],
    description: str = "",
    level: str = Level.BEGINNER,
    duration_minutes: int = 120,
    publics: Iterable[str] = (),
    prerequisites: str = "",
    is_active: bool = True,
) -> Workshop:
    """Add a workshop to the network's catalogue; its slug comes from the title."""
    _require(actor, "mediation.manage_workshops")
    values = _clean_workshop(
        {
            "title": title,
            "summary": summary,
            "themes": list(themes),
            "description": description,
            "level": level,
            "duration_minutes": duration_minutes,
            "publics": list(publics),
            "prerequisites": prerequisites,
            "is_active": is_active,
        }
    )
    try:
        with transaction.atomic():
            workshop = Workshop.objects.create(
                slug=unique_workshop_slug(values["title"]),
                created_by=actor if getattr(actor, "pk", None) else None,
                **values,
            )
    except IntegrityError as exc:  # two people created the same title at the same moment
        raise ValidationError(
            {"title": [_("Un atelier avec un titre très proche vient d'être créé : réessayez.")]}
        ) from exc
    journal.record(actor=actor, action="workshop.created", target=workshop, data={"slug": workshop.slug})
    return workshop


@transaction.atomic
def workshop_update(*, actor: Any, workshop: Workshop, **changes: Any) -> Workshop:
    """Change a catalogue entry. The slug stays (public links keep working)."""
    _require(actor, "mediation.manage_workshops")
    unknown = set(changes) - set(WORKSHOP_FIELDS)
    if unknown:
        raise TypeError(f"workshop_update: unknown fields {sorted(unknown)}")
    workshop = lock_for_update(Workshop.objects.filter(pk=workshop.pk)).get()
    current = {name: getattr(workshop, name) for name in WORKSHOP_FIELDS}
    values = _clean_workshop({**current, **changes}, exclude_pk=workshop.pk)
    changed = sorted(name for name in WORKSHOP_FIELDS if values[name] != current[name])
    if not changed:
        return workshop
    for name in changed:
        setattr(workshop, name, values[name])
    workshop.save(update_fields=[*changed, "updated_at"])
    journal.record(actor=actor, action="workshop.updated", target=workshop, data={"fields": changed})
    return workshop


# --- sessions ---------------------------------------------------------------------------------


def _check_place(place: Place) -> list[str]:
    if place.status == PlaceStatus.CLOSED:
        return [_("« %(place)s » est fermé définitivement : choisissez un autre lieu.") % {"place": place.name}]
    if place.status != PlaceStatus.PUBLISHED:
        return [
            _("« %(place)s » n'est pas encore publié dans l'annuaire : publiez-le avant d'y programmer une séance.")
            % {"place": place.name}
        ]
    return []


def _check_capacity(capacity: Any) -> tuple[int | None, list[str]]:
    try:
        value = int(capacity)
    except (TypeError, ValueError):
        return None, [_("Indiquez un nombre de places.")]
    if value < MIN_CAPACITY:
        return None, [_("Une séance a au moins 1 place.")]
    if value > MAX_CAPACITY:
        return None, [_("Une séance a au plus %(max)s places.") % {"max": MAX_CAPACITY}]
    return value, []


def _check_mediator(mediator: Mediator | None, place: Place) -> list[str]:
    if mediator is None:
        return []
    if not holds_role_on(mediator.user, {Role.MEDIATOR}, place):
        return [
            _("%(name)s ne travaille pas à « %(place)s » : choisissez un animateur de ce lieu.")
            % {"name": mediator.user.get_full_name() or mediator.user.email, "place": place.name}
        ]
    return []


def weekly_starts(first: dt.datetime, weeks: int) -> list[dt.datetime]:
    """The same weekday and the same local time for ``weeks`` weeks, across DST changes:
    14:00 in winter stays 14:00 in summer (the UTC time moves, the wall clock does not)."""
    local = timezone.localtime(first).replace(tzinfo=None)
    zone = timezone.get_current_timezone()
    return [timezone.make_aware(local + dt.timedelta(weeks=week), zone) for week in range(max(1, weeks))]


@transaction.atomic
def session_create(
    *,
    actor: Any,
    workshop: Workshop,
    place: Place,
    starts_at: dt.datetime,
    capacity: int,
    mediator: Mediator | None = None,
    notes: str = "",
    repeat_weekly: int = 0,
) -> list[Session]:
    """Programme a workshop at a place: one session, or ``repeat_weekly`` weekly sessions
    (same weekday, same local time) sharing a ``series`` id. Returns the sessions in order."""
    _require(actor, "mediation.manage_session", place)
    errors: dict[str, list[str]] = {}
    if not workshop.is_active:
        errors["workshop"] = [_("Cet atelier n'est plus au catalogue : réactivez-le avant de le programmer.")]
    if place_errors := _check_place(place):
        errors["place"] = place_errors
    if timezone.is_naive(starts_at):
        errors["starts_at"] = [_("Indiquez la date et l'heure de début.")]
    elif starts_at <= timezone.now():
        errors["starts_at"] = [_("La date de début est passée : choisissez une date à venir.")]
    capacity_value, capacity_errors = _check_capacity(capacity)
    if capacity_errors:
        errors["capacity"] = capacity_errors
    if mediator_errors := _check_mediator(mediator, place):
        errors["mediator"] = mediator_errors
    notes = str(notes or "").strip()
    if len(notes) > 280:
        errors["notes"] = [_("Les informations pratiques ne doivent pas dépasser 280 caractères.")]
    try:
        weeks = int(repeat_weekly or 0)
    except (TypeError, ValueError):
        weeks = -1
    if not 0 <= weeks <= MAX_SERIES_WEEKS:
        errors["repeat_weekly"] = [
            _("Une série compte de 2 à %(max)s semaines (0 ou 1 : séance unique).") % {"max": MAX_SERIES_WEEKS}
        ]
    _raise_if(errors)
    assert capacity_value is not None  # noqa: S101 - checked above
    series = uuid.uuid4() if weeks >= 2 else None
    length = dt.timedelta(minutes=workshop.duration_minutes)
    sessions = []
    for start in weekly_starts(starts_at, weeks):
        session = Session.objects.create(
            workshop=workshop,
            place=place,
            mediator=mediator,
            starts_at=start,
            ends_at=start + length,
            capacity=capacity_value,
            notes=notes,
            series=series,
        )
        journal.record(
            actor=actor,
            action="session.created",
            target=session,
            data={"series": str(series) if series else "", "place": place.pk, "workshop": workshop.pk},
        )
        sessions.append(session)
    return sessions


def _locked_session(session: Session) -> Session:
    """The session's row, locked (PostgreSQL) so that registrations wait for this change.
    Only that row: its workshop and place are read afterwards, unlocked."""
    locked = lock_for_update(Session.objects.filter(pk=session.pk)).get()
    if session.workshop_id == locked.workshop_id and "workshop" in session._state.fields_cache:
        locked.workshop = session.workshop
    if session.place_id == locked.place_id and "place" in session._state.fields_cache:
        locked.place = session.place
    return locked


def _reachable(session: Session, statuses: Iterable[str]) -> list[Registration]:
    return list(session.registrations.filter(status__in=list(statuses)).order_by("pk"))


@transaction.atomic
def session_update(
    *,
    actor: Any,
    session: Session,
    starts_at: dt.datetime | None = None,
    capacity: int | None = None,
    mediator: Any = UNSET,
    notes: str | None = None,
) -> Session:
    """Change a scheduled session: start (people with an email are told), capacity (never
    below the people already confirmed), mediator, practical information."""
    _require(actor, "mediation.manage_session", session)
    session = _locked_session(session)
    errors: dict[str, list[str]] = {}
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError(_("Cette séance est annulée : elle ne peut plus être modifiée."))
    changed: list[str] = []
    moved = False
    if starts_at is not None and starts_at != session.starts_at:
        if timezone.is_naive(starts_at):
            errors["starts_at"] = [_("Indiquez la date et l'heure de début.")]
        elif starts_at <= timezone.now():
            errors["starts_at"] = [_("La date de début est passée : choisissez une date à venir.")]
        elif session.starts_at <= timezone.now():
            errors["starts_at"] = [_("La séance a déjà commencé : son horaire ne peut plus changer.")]
        else:
            session.starts_at = starts_at
            session.ends_at = starts_at + dt.timedelta(minutes=session.workshop.duration_minutes)
            changed += ["starts_at", "ends_at"]
            moved = True
    if capacity is not None and capacity != session.capacity:
        value, capacity_errors = _check_capacity(capacity)
        if capacity_errors:
            errors["capacity"] = capacity_errors
        elif value is not None and value < session.confirmed_count:
            errors["capacity"] = [
                ngettext(
                    "%(count)s personne est déjà inscrite : la capacité ne peut pas descendre en dessous de %(count)s.",
                    "%(count)s personnes sont déjà inscrites : la capacité ne peut pas descendre en dessous "
                    "de %(count)s.",
                    session.confirmed_count,
                )
                % {"count": session.confirmed_count}
            ]
        elif value is not None:
            session.capacity = value
            changed.append("capacity")
    if mediator is not UNSET and getattr(mediator, "pk", None) != session.mediator_id:
        if mediator_errors := _check_mediator(mediator, session.place):
            errors["mediator"] = mediator_errors
        else:
            session.mediator = mediator
            changed.append("mediator")
    if notes is not None and notes.strip() != session.notes:
        if len(notes.strip()) > 280:
            errors["notes"] = [_("Les informations pratiques ne doivent pas dépasser 280 caractères.")]
        else:
            session.notes = notes.strip()
            changed.append("notes")
    _raise_if(errors)
    if not changed:
        return session
    try:
        with transaction.atomic():
            session.save(update_fields=changed)
    except IntegrityError as exc:  # a registration slipped in between: the database said no
        raise ValidationError({"capacity": [_("Des inscriptions viennent d'arriver : réessayez.")]}) from exc
    journal.record(actor=actor, action="session.updated", target=session, data={"fields": changed})
    if "capacity" in changed:
        waitlist_promote(actor=actor, session=session)  # the one place that promotes people
    if moved:
        # A reminder sent for the old date says nothing of the new one: send it again.
        session.registrations.exclude(reminder_sent_at=None).update(reminder_sent_at=None)
        session.registrations.exclude(reminder_called_at=None).update(reminder_called_at=None)
        when = local_datetime_text(session.starts_at)
        for registration in _reachable(session, [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED]):
            if registration.email:
                email_on_commit(
                    subject=_("Changement d'horaire : %(workshop)s") % {"workshop": session.workshop.title},
                    body=_(
                        "Bonjour %(name)s,\n\nL'atelier « %(workshop)s » à %(place)s a changé d'horaire : "
                        "il aura lieu le %(when)s.\n\nSi cet horaire ne vous convient pas, vous pouvez "
                        "annuler votre inscription avec le lien reçu lors de l'inscription ou en "
                        "appelant le lieu.\n"
                    )
                    % {
                        "name": registration.first_name,
                        "workshop": session.workshop.title,
                        "place": session.place.name,
                        "when": when,
                    },
                    to=registration.email,
                )
    return session


@dataclass
class Cancellation:
    """What ``session_cancel`` did: who was told by email, who must be phoned."""

    session: Session
    emailed: list[Registration] = field(default_factory=list)
    to_phone: list[Registration] = field(default_factory=list)


@transaction.atomic
def session_cancel(*, actor: Any, session: Session, reason: str) -> Cancellation:
    """Cancel a session that has not started, and every registration to it (waitlist
    included). People with an email are told by email; the others are returned to phone."""
    _require(actor, "mediation.manage_session", session)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationError({"reason": [_("Indiquez la raison de l'annulation : elle est envoyée aux inscrits.")]})
    if len(reason) > 500:
        raise ValidationError({"reason": [_("La raison ne doit pas dépasser 500 caractères.")]})
    session = _locked_session(session)
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError(_("Cette séance est déjà annulée."))
    if session.starts_at <= timezone.now():
        raise ValidationError(_("Cette séance a déjà commencé : elle ne peut plus être annulée."))
    now = timezone.now()
    people = _reachable(session, [RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED])
    Registration.objects.filter(pk__in=[person.pk for person in people]).update(
        status=RegistrationStatus.CANCELLED, cancelled_at=now
    )
    session.status = SessionStatus.CANCELLED
    session.confirmed_count = 0
    session.save(update_fields=["status", "confirmed_count"])
    result = Cancellation(session=session)
    when = local_datetime_text(session.starts_at)
    for person in people:
        if person.email:
            email_on_commit(
                subject=_("Atelier annulé : %(workshop)s") % {"workshop": session.workshop.title},
                body=_(
                    "Bonjour %(name)s,\n\nNous sommes désolés : l'atelier « %(workshop)s » prévu le %(when)s "
                    "à %(place)s est annulé.\nRaison : %(reason)s\n\nVotre inscription est annulée ; "
                    "vous n'avez rien à faire. D'autres séances sont proposées sur le calendrier des ateliers.\n"
                )
                % {
                    "name": person.first_name,
                    "workshop": session.workshop.title,
                    "when": when,
                    "place": session.place.name,
                    "reason": reason,
                },
                to=person.email,
            )
            result.emailed.append(person)
        else:
            result.to_phone.append(person)
    journal.record(
        actor=actor,
        action="session.cancelled",
        target=session,
        data={"reason": reason, "registrations": len(people), "emailed": len(result.emailed)},
    )
    return result


# --- attendance -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attendance:
    present: int
    absent: int


def attendance_window(session: Session) -> tuple[dt.datetime, dt.datetime]:
    return session.starts_at, session.starts_at + ATTENDANCE_WINDOW


def attendance_open(session: Session, now: dt.datetime | None = None) -> bool:
    now = now or timezone.now()
    opens, closes = attendance_window(session)
    return session.status == SessionStatus.SCHEDULED and opens <= now <= closes


@transaction.atomic
def attendance_record(*, actor: Any, session: Session, present_ids: set[int]) -> Attendance:
    """Mark each confirmed person present (in ``present_ids``) or absent (a no-show).

    Allowed from the start of the session until 7 days after; recording the same list twice
    changes nothing."""
    _require(actor, "mediation.take_attendance", session)
    session = _locked_session(session)
    now = timezone.now()
    if session.status == SessionStatus.CANCELLED:
        raise ValidationError(_("Cette séance est annulée : il n'y a pas de présences à relever."))
    opens, closes = attendance_window(session)
    if now < opens:
        raise ValidationError(
            _("Les présences se relèvent à partir du début de la séance (%(when)s).")
            % {"when": local_datetime_text(opens)}
        )
    if now > closes:
        raise ValidationError(_("Les présences ne peuvent plus être modifiées plus de 7 jours après la séance."))
    confirmed = dict(session.registrations.filter(status=RegistrationStatus.CONFIRMED).values_list("pk", "attended"))
    try:
        present = {int(value) for value in present_ids}
    except (TypeError, ValueError) as exc:
        raise ValidationError({"present": [_("La liste des présents est illisible : rechargez la page.")]}) from exc
    strangers = present - set(confirmed)
    if strangers:
        raise ValidationError(
            {"present": [_("Certaines personnes cochées ne sont pas inscrites à cette séance : rechargez la page.")]}
        )
    wanted = {pk: pk in present for pk in confirmed}
    changed = {pk: value for pk, value in wanted.items() if confirmed[pk] is not value}
    if changed or session.attendance_taken_at is None:
        came = [pk for pk, value in changed.items() if value]
        missed = [pk for pk, value in changed.items() if not value]
        if came:
            Registration.objects.filter(pk__in=came).update(attended=True)
        if missed:
            Registration.objects.filter(pk__in=missed).update(attended=False)
        first_time = session.attendance_taken_at is None
        session.attendance_taken_at = now
        session.save(update_fields=["attendance_taken_at"])
        journal.record(
            actor=actor,
            action="session.attendance_recorded" if first_time else "session.attendance_corrected",
            target=session,
            data={"present": len(present), "absent": len(confirmed) - len(present), "changed": len(changed)},
        )
    return Attendance(present=len(present), absent=len(confirmed) - len(present))
