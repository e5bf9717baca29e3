"""Registrations to workshop sessions: register (online, by phone, at the desk), cancel,
promote from the waitlist, remind, anonymise after the retention period.

The rules that involve several rows (capacity, waitlist order, duplicates) are decided
inside one transaction holding the session row locked (``core.db.lock_for_update``: a row
lock on PostgreSQL, the ``BEGIN IMMEDIATE`` transaction on SQLite). ``Session.confirmed_count``
moves with ``F()`` in that same transaction, and the database check ``session_not_overbooked``
is the last guard: its ``IntegrityError`` becomes a ``RegistrationConflictError`` with a
French message, so a race never ends in a 500.

Authorisation is the views' job (the cancellation link's token, or
``mediation.register_someone`` on the session), except for ``registration_mark_notified``
which is only ever called by staff.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cybercantal.accounts import personal_data
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit
from cybercantal.mediation.models import (
    Channel,
    Registration,
    RegistrationStatus,
    Session,
    SessionStatus,
)

# Registrations of sessions older than this are anonymised (names, phone, email blanked).
RETENTION = timedelta(days=365)
NAME_MAX = 80
PHONE_MAX = 30
EMAIL_MAX = 254
_PHONE_CHARS = re.compile(r"[\s.\-/()]")
_PHONE_OK = re.compile(r"^\+?\d{6,15}$")
ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class RegistrationError(ValidationError):
    """A registration rule said no (French message, keyed by field when one is to blame)."""


class SessionClosedError(RegistrationError):
    """The session is cancelled or already started: nobody can register any more."""


class DuplicateRegistrationError(RegistrationError):
    """The person is already registered (or on the waitlist); ``existing`` is that row."""

    def __init__(self, existing: Registration, message: str, field: str) -> None:
        self.existing = existing
        super().__init__({field: [message]})


class RegistrationConflictError(RegistrationError):
    """The database refused the write (a race the lock should have prevented)."""


# --- helpers ------------------------------------------------------------------------------


def normalise_phone(phone: str) -> str:
    """``06.12.34.56.78`` -> ``06 12 34 56 78``; other numbers keep their digits (and +).

    Raises ``ValidationError`` (field ``phone``) when it is not a phone number.
    """
    compact = _PHONE_CHARS.sub("", phone or "")
    if not compact:
        return ""
    if not _PHONE_OK.match(compact):
        raise ValidationError(
            {"phone": [_("Ce numéro de téléphone n'est pas lisible : tapez par exemple 04 71 12 34 56.")]}
        )
    if compact.startswith("+33") and len(compact) == 12:
        compact = "0" + compact[3:]
    if len(compact) == 10 and compact.startswith("0"):
        return " ".join(compact[i : i + 2] for i in range(0, 10, 2))
    return compact


def _clean_text(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or "\x00" in value:
        raise RegistrationError(_("Valeur non valide."))
    return " ".join(value.split())


def _validate_person(
    *, first_name: Any, last_name: Any, phone: Any, email: Any, channel: Any
) -> tuple[str, str, str, str]:
    errors: dict[str, list[str]] = {}
    first_name, last_name = _clean_text(first_name), _clean_text(last_name)
    phone, email = _clean_text(phone), _clean_text(email).lower()
    for field, value, label in (("first_name", first_name, _("prénom")), ("last_name", last_name, _("nom"))):
        if not value:
            errors[field] = [_("Indiquez votre %(field)s.") % {"field": label}]
        elif len(value) > NAME_MAX:
            errors[field] = [_("%(max)s caractères au plus.") % {"max": NAME_MAX}]
    if len(phone) > PHONE_MAX * 2:
        errors["phone"] = [_("Ce numéro de téléphone est trop long.")]
    else:
        try:
            phone = normalise_phone(phone)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        if len(phone) > PHONE_MAX:
            errors["phone"] = [_("Ce numéro de téléphone est trop long.")]
    if email:
        try:
            if len(email) > EMAIL_MAX:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("Cette adresse électronique n'est pas valide : elle ressemble à nom@exemple.fr.")]
    if not phone and not email and "phone" not in errors and "email" not in errors:
        errors["phone"] = [
            _("Indiquez un numéro de téléphone ou une adresse électronique : l'EPN doit pouvoir vous prévenir.")
        ]
    if channel not in Channel.values:
        errors["channel"] = [_("Canal d'inscription inconnu.")]
    if errors:
        raise RegistrationError(errors)
    return first_name, last_name, phone, email


def _is_signed_in(actor: Any) -> bool:
    return actor is not None and getattr(actor, "is_authenticated", False)


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first person on the waitlist (arrival order ``waitlisted_at, pk``)."""
    if registration.status != RegistrationStatus.WAITLISTED or registration.waitlisted_at is None:
        return None
    ahead = Registration.objects.filter(
        session_id=registration.session_id, status=RegistrationStatus.WAITLISTED
    ).filter(
        Q(waitlisted_at__lt=registration.waitlisted_at)
        | Q(waitlisted_at=registration.waitlisted_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def _locked_session(session: Session) -> Session:
    locked = lock_for_update(Session.objects.filter(pk=session.pk)).first()
    if locked is None:
        raise SessionClosedError(_("Cette séance n'existe plus."))
    # The related rows are read after the lock (select_for_update with joins would lock them too).
    locked.workshop = session.workshop if session.workshop_id == locked.workshop_id else locked.workshop
    locked.place = session.place if session.place_id == locked.place_id else locked.place
    return locked


def _change_count(session: Session, delta: int) -> None:
    """Move ``confirmed_count`` by ``delta`` in the database; the check constraint is the last guard."""
    try:
        with transaction.atomic():
            Session.objects.filter(pk=session.pk).update(confirmed_count=F("confirmed_count") + delta)
    except IntegrityError as exc:
        raise RegistrationConflictError(
            _("La séance vient d'être complétée par une autre inscription : réessayez, vous serez en liste d'attente.")
        ) from exc
    session.confirmed_count += delta


# --- emails -------------------------------------------------------------------------------


def cancel_url(registration: Registration) -> str:
    return absolute_url(f"/ateliers/annulation/{registration.token}/")


def _when(session: Session) -> str:
    start = timezone.localtime(session.starts_at)
    end = timezone.localtime(session.ends_at)
    day = formats.date_format(start, "l j F Y")
    return _("le %(day)s de %(start)s à %(end)s") % {
        "day": day,
        "start": formats.time_format(start, "H\\hi"),
        "end": formats.time_format(end, "H\\hi"),
    }


def _where(session: Session) -> str:
    place = session.place
    parts = [place.name, place.address, place.address_complement, f"{place.postal_code} {place.commune.name}"]
    return ", ".join(part.strip() for part in parts if part and part.strip())


def _email_body(registration: Registration, intro: str) -> str:
    session = registration.session
    lines = [
        _("Bonjour %(name)s,") % {"name": registration.first_name},
        "",
        intro,
        "",
        _("Atelier : %(title)s") % {"title": session.workshop.title},
        _("Date : %(when)s") % {"when": _when(session)},
        _("Lieu : %(where)s") % {"where": _where(session)},
    ]
    if session.notes:
        lines.append(_("Informations pratiques : %(notes)s") % {"notes": session.notes})
    if registration.status != RegistrationStatus.CANCELLED:
        lines += [
            "",
            _("Si vous ne pouvez pas venir, annulez votre inscription pour laisser la place à une autre personne :"),
            cancel_url(registration),
        ]
    if session.place.phone:
        lines += ["", _("Pour joindre l'EPN : %(phone)s") % {"phone": session.place.phone}]
    lines += ["", _("À bientôt,"), _("L'équipe %(platform)s") % {"platform": settings.PLATFORM_NAME}]
    return "\n".join(lines)


def _send(registration: Registration, subject: str, intro: str) -> None:
    if not registration.email:
        return
    with translation.override(settings.LANGUAGE_CODE):
        email_on_commit(subject=str(subject), body=_email_body(registration, str(intro)), to=[registration.email])


def _email_registered(registration: Registration, position: int | None) -> None:
    title = registration.session.workshop.title
    with translation.override(settings.LANGUAGE_CODE):
        if registration.status == RegistrationStatus.CONFIRMED:
            subject = _("Inscription confirmée : %(title)s") % {"title": title}
            intro = _("Votre inscription à l'atelier est confirmée. Nous vous attendons !")
        else:
            subject = _("Liste d'attente : %(title)s") % {"title": title}
            intro = _(
                "L'atelier est complet : vous êtes en liste d'attente (position %(position)s). Si une place se "
                "libère, vous serez inscrit(e) automatiquement et nous vous préviendrons."
            ) % {"position": position}
        _send(registration, subject, intro)


# --- services -----------------------------------------------------------------------------


@transaction.atomic
def registration_create(
    *,
    actor: Any,
    session: Session,
    first_name: str,
    last_name: str,
    phone: str = "",
    email: str = "",
    channel: str = Channel.ONLINE,
    user: Any = None,
) -> Registration:
    """Register a person to ``session``: confirmed while seats remain, else on the waitlist.

    ``actor`` is None (or anonymous) for a person registering online, the mediator for a
    registration taken by phone or at the desk (then ``registered_by``). Raises
    ``RegistrationError`` (bad data), ``SessionClosedError``, ``DuplicateRegistrationError``
    or ``RegistrationConflictError``; nothing is saved then.
    """
    first_name, last_name, phone, email = _validate_person(
        first_name=first_name, last_name=last_name, phone=phone, email=email, channel=channel
    )
    session = _locked_session(session)
    now = timezone.now()
    if session.status == SessionStatus.CANCELLED:
        raise SessionClosedError(_("Cette séance est annulée : les inscriptions sont fermées."))
    if session.starts_at <= now:
        raise SessionClosedError(_("Cette séance a déjà commencé : les inscriptions sont fermées."))

    active = Registration.objects.filter(session=session, status__in=ACTIVE)
    if email:
        existing = active.filter(email__iexact=email).order_by("pk").first()
        if existing is not None:
            raise DuplicateRegistrationError(
                existing, _("Une inscription à cette séance existe déjà avec cette adresse électronique."), "email"
            )
    if phone:
        existing = (
            active.filter(phone=phone, first_name__iexact=first_name, last_name__iexact=last_name)
            .order_by("pk")
            .first()
        )
        if existing is not None:
            raise DuplicateRegistrationError(
                existing, _("Cette personne est déjà inscrite à cette séance avec ce numéro de téléphone."), "phone"
            )

    # Free seats belong to the waitlist first (arrival order), should any be left unfilled.
    _fill_from_waitlist(session, now, actor)
    registration = Registration(
        session=session,
        user=user if _is_signed_in(user) else None,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        email=email,
        channel=channel,
        registered_by=actor if _is_signed_in(actor) else None,
    )
    if session.confirmed_count < session.capacity:
        registration.status = RegistrationStatus.CONFIRMED
        _change_count(session, +1)
    else:
        registration.status = RegistrationStatus.WAITLISTED
        registration.waitlisted_at = now
    try:
        with transaction.atomic():
            registration.save()
    except IntegrityError as exc:
        raise RegistrationConflictError(
            _("L'inscription n'a pas pu être enregistrée : réessayez dans un instant.")
        ) from exc
    registration.session = session
    position = waitlist_position(registration)
    journal.record(
        actor=actor if _is_signed_in(actor) else None,
        action="registration.created",
        target=registration,
        data={"session": session.pk, "status": registration.status, "channel": channel, "position": position},
    )
    _email_registered(registration, position)
    return registration


def _promote_next(session: Session, now: datetime, actor: Any = None) -> Registration | None:
    """Give one freed seat to the first person on the waitlist (arrival order ``waitlisted_at, pk``).

    The caller holds the session row locked (``_locked_session``). Nobody is promoted to a
    cancelled or full session, nor to one that has started (the email would come too late).
    """
    if (
        session.status == SessionStatus.CANCELLED
        or session.confirmed_count >= session.capacity
        or session.starts_at <= now
    ):
        return None
    promoted = (
        Registration.objects.filter(session=session, status=RegistrationStatus.WAITLISTED)
        .order_by("waitlisted_at", "pk")
        .first()
    )
    if promoted is None:
        return None
    _change_count(session, +1)
    promoted.status = RegistrationStatus.CONFIRMED
    promoted.promoted_at = now
    # An email tells them at once; without one, the mediator must phone them (then ticks it off).
    promoted.promotion_notified_at = now if promoted.email else None
    promoted.save(update_fields=["status", "promoted_at", "promotion_notified_at"])
    promoted.session = session
    journal.record(
        actor=actor if _is_signed_in(actor) else None,
        action="registration.promoted",
        target=promoted,
        data={"session": session.pk, "by_email": bool(promoted.email)},
    )
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            promoted,
            _("Une place s'est libérée : %(title)s") % {"title": session.workshop.title},
            _("Bonne nouvelle : une place s'est libérée et vous êtes maintenant inscrit(e) à l'atelier."),
        )
    return promoted


def _fill_from_waitlist(session: Session, now: datetime, actor: Any = None) -> list[Registration]:
    """Every free seat of the (locked) session to the waitlist, in arrival order."""
    promoted: list[Registration] = []
    while (person := _promote_next(session, now, actor)) is not None:
        promoted.append(person)
    return promoted


@transaction.atomic
def waitlist_promote(*, actor: Any, session: Session) -> list[Registration]:
    """Give the free seats of ``session`` to the people of its waitlist, first come first served.

    Called when seats free up outside a cancellation (the capacity was raised). Each person
    promoted is emailed after commit, or listed for a phone call when they gave no email
    (``promotion_notified_at`` empty). Runs with the session row locked; ``session`` gets the
    new ``confirmed_count``. Returns the people promoted, in order (none for a cancelled,
    started or full session).
    """
    locked = _locked_session(session)
    promoted = _fill_from_waitlist(locked, timezone.now(), actor)
    session.confirmed_count = locked.confirmed_count
    return promoted


@transaction.atomic
def registration_cancel(*, actor: Any, registration: Registration) -> Registration:
    """Cancel a registration (by its link or by staff); idempotent.

    A freed seat goes to the first person of the waitlist in the same transaction
    (``promoted_at``), emailed after commit, or listed for a phone call when they gave no
    email. Raises ``SessionClosedError`` once the session has started.
    """
    session = _locked_session(registration.session)
    current = Registration.objects.filter(pk=registration.pk).first()
    if current is None:
        raise RegistrationError(_("Cette inscription n'existe plus."))
    current.session = session
    if current.status == RegistrationStatus.CANCELLED:
        return current
    now = timezone.now()
    if session.starts_at <= now:
        raise SessionClosedError(_("Cette séance a déjà commencé : l'inscription ne peut plus être annulée."))
    was_confirmed = current.status == RegistrationStatus.CONFIRMED
    current.status = RegistrationStatus.CANCELLED
    current.cancelled_at = now
    current.save(update_fields=["status", "cancelled_at"])
    promoted: list[Registration] = []
    if was_confirmed:
        _change_count(session, -1)
        promoted = _fill_from_waitlist(session, now, actor)
    journal.record(
        actor=actor if _is_signed_in(actor) else None,
        action="registration.cancelled",
        target=current,
        data={
            "session": session.pk,
            "was": RegistrationStatus.CONFIRMED if was_confirmed else RegistrationStatus.WAITLISTED,
            "promoted": promoted[0].pk if promoted else None,
        },
    )
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            current,
            _("Inscription annulée : %(title)s") % {"title": session.workshop.title},
            _("Votre inscription à cet atelier est annulée. Merci d'avoir prévenu !"),
        )
    registration.status, registration.cancelled_at = current.status, current.cancelled_at
    return current


@transaction.atomic
def registration_mark_notified(*, actor: Any, registration: Registration) -> Registration:
    """The mediator has phoned a person promoted from the waitlist; idempotent."""
    if not _is_signed_in(actor) or not actor.has_perm("mediation.register_someone", registration.session):
        raise PermissionDenied(_("Vous n'avez pas accès à cette séance."))
    current = lock_for_update(Registration.objects.filter(pk=registration.pk)).first()
    if current is None:
        raise RegistrationError(_("Cette inscription n'existe plus."))
    if current.promoted_at is None:
        raise RegistrationError(_("Cette personne n'a pas été prise sur liste d'attente : rien à prévenir."))
    if current.promotion_notified_at is None:
        now = timezone.now()
        current.promotion_notified_at = now
        fields = ["promotion_notified_at"]
        # A call made in the reminder window tells the person the date too: it is the reminder.
        if current.reminder_called_at is None and current.session.starts_at < reminder_window_end(now):
            current.reminder_called_at = now
            fields.append("reminder_called_at")
        current.save(update_fields=fields)
        journal.record(actor=actor, action="registration.promotion_notified", target=current)
    registration.promotion_notified_at = current.promotion_notified_at
    registration.reminder_called_at = current.reminder_called_at
    return current


# People without email are reminded by phone: the call list holds the sessions that start
# before the end of the day after tomorrow (the next one to two days).
REMINDER_CALL_DAYS = 2


def reminder_window_end(now: datetime | None = None) -> datetime:
    """The end of the reminder-call window: midnight after the day after tomorrow (local)."""
    today = timezone.localdate(now or timezone.now())
    return timezone.make_aware(datetime.combine(today + timedelta(days=REMINDER_CALL_DAYS + 1), datetime.min.time()))


@transaction.atomic
def registration_mark_reminded(*, actor: Any, registration: Registration) -> Registration:
    """The mediator has phoned a confirmed person without email to remind them of the
    session ("Rappel fait"); idempotent, journalled."""
    if not _is_signed_in(actor) or not actor.has_perm("mediation.register_someone", registration.session):
        raise PermissionDenied(_("Vous n'avez pas accès à cette séance."))
    current = lock_for_update(Registration.objects.filter(pk=registration.pk)).first()
    if current is None:
        raise RegistrationError(_("Cette inscription n'existe plus."))
    if current.status != RegistrationStatus.CONFIRMED:
        raise RegistrationError(_("Cette personne n'est pas inscrite à la séance : pas de rappel à faire."))
    if current.reminder_called_at is None:
        current.reminder_called_at = timezone.now()
        current.save(update_fields=["reminder_called_at"])
        journal.record(actor=actor, action="registration.reminder_called", target=current)
    registration.reminder_called_at = current.reminder_called_at
    return current


def registrations_send_reminders(*, today: date | None = None) -> int:
    """Email tomorrow's confirmed registrants who gave an address; each at most once.

    The row is marked (``reminder_sent_at``) by a conditional update before the email is
    queued, so two overlapping runs never send the same reminder twice. Returns how many
    reminders were sent.
    """
    today = today or timezone.localdate()
    tomorrow = today + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, datetime.min.time()))
    end = timezone.make_aware(datetime.combine(tomorrow + timedelta(days=1), datetime.min.time()))
    due = (
        Registration.objects.filter(
            status=RegistrationStatus.CONFIRMED,
            reminder_sent_at__isnull=True,
            session__status=SessionStatus.SCHEDULED,
            session__starts_at__gte=start,
            session__starts_at__lt=end,
        )
        .exclude(email="")
        .select_related("session__workshop", "session__place__commune")
        .order_by("pk")
    )
    sent = 0
    for registration in due:
        with transaction.atomic():
            marked = Registration.objects.filter(pk=registration.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=timezone.now()
            )
            if not marked:
                continue
            with translation.override(settings.LANGUAGE_CODE):
                _send(
                    registration,
                    _("Rappel : %(title)s demain") % {"title": registration.session.workshop.title},
                    _("Petit rappel : vous êtes inscrit(e) à l'atelier de demain."),
                )
            sent += 1
    return sent


@transaction.atomic
def registrations_anonymise_old(*, now: datetime | None = None) -> int:
    """Blank the names, phone and email of registrations to sessions older than ``RETENTION``.

    Rows, statuses, channels and attendance stay: the statistics keep their counts.
    Returns how many registrations were anonymised.
    """
    limit = (now or timezone.now()) - RETENTION
    old = Registration.objects.filter(session__starts_at__lt=limit).exclude(
        first_name="", last_name="", phone="", email="", user__isnull=True
    )
    count = old.update(first_name="", last_name="", phone="", email="", user=None)
    if count:
        journal.record(
            actor=None, action="registration.anonymised", data={"count": count, "before": limit.date().isoformat()}
        )
    return count


# --- personal data ("Mes données") ---------------------------------------------------------


def _export(user: Any) -> list[dict[str, Any]]:
    rows = (
        Registration.objects.filter(user=user)
        .select_related("session__workshop", "session__place")
        .order_by("session__starts_at", "pk")
    )
    return [
        {
            "atelier": r.session.workshop.title,
            "lieu": r.session.place.name,
            "debut": r.session.starts_at,
            "prenom": r.first_name,
            "nom": r.last_name,
            "telephone": r.phone,
            "adresse_electronique": r.email,
            "statut": str(r.get_status_display()),
            "canal": str(r.get_channel_display()),
            "inscrit_le": r.created_at,
            "annule_le": r.cancelled_at,
            "present": r.attended,
        }
        for r in rows
    ]


def registrations_erase_for_user(user: Any) -> None:
    """On a person's deletion: their future registrations are cancelled (freeing the seats for
    the waitlist), then every registration linked to them loses its names and contacts."""
    now = timezone.now()
    upcoming = Registration.objects.filter(user=user, status__in=ACTIVE, session__starts_at__gt=now).select_related(
        "session__workshop", "session__place__commune"
    )
    for registration in upcoming:
        registration.email = ""  # no goodbye email to an address being erased
        Registration.objects.filter(pk=registration.pk).update(email="")
        registration_cancel(actor=None, registration=registration)
    Registration.objects.filter(user=user).update(first_name="", last_name="", phone="", email="", user=None)


personal_data.register(
    "inscriptions_ateliers",
    _export,
    erase=registrations_erase_for_user,
    title=_lazy("Vos inscriptions aux ateliers"),
    description=_lazy(
        "Les ateliers des EPN auxquels vous vous êtes inscrit(e) en étant connecté(e), pour vous garder "
        "votre place et vous prévenir. Effacées un an après la séance."
    ),
)
