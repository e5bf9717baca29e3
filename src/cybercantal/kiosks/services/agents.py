"""Writes of the agents' side of the kiosks (issue 5 §5): training sessions and their
attendees, taking a help request, and the one-minute record of the help given.

The help an agent gives is recorded with the EPN network's accompaniment record
(``mediation.services.accompaniments.accompaniment_create``, kind ``procedure``): its rules
apply (the agent must be a kiosk agent of the host place, the date is today...). The help
request only keeps the id of that record.

Who may do what (``accounts/permissions.py``, section "Kiosks"):
- training sessions: ``kiosks.manage_training`` (the programme team);
- help requests: ``kiosks.handle_help_request`` on the request (a kiosk agent of its host place).

Taking a request locks its row (PostgreSQL; on SQLite the IMMEDIATE transaction serialises
writers): when two agents press "Je m'en occupe" at once, one takes it, the other is told who did.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.models import Role, RoleMembership, User
from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.mediation.models import AccompanimentKind, EquipmentUsed
from cybercantal.mediation.services.accompaniments import accompaniment_create
from cybercantal.places.models import Place

from ..models import HelpRequest, HelpRequestStatus, Kiosk, TrainingAttendance, TrainingSession

DEFAULT_REFRESHER_MONTHS = 24
# Durations offered as big buttons on the record form (minutes).
RECORD_DURATIONS = (5, 10, 15, 20, 30, 45, 60)
# A help request nobody closed within this delay is cancelled by the periodic job.
STALE_AFTER = dt.timedelta(hours=4)
# How far ahead a training session may be planned.
MAX_PLANNED_DAYS = 365


class TrainingError(ValidationError):
    """A rule of the training sessions said no (French message, keyed by field)."""


class HelpRequestUnavailableError(Exception):
    """The help request cannot be taken or recorded any more (someone else has it, or it is
    closed). ``message`` is French and names who took it."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


def refresher_months() -> int:
    return int(getattr(settings, "KIOSKS_TRAINING_REFRESHER_MONTHS", DEFAULT_REFRESHER_MONTHS))


def agent_user_ids(user_ids: Iterable[int] | None = None, *, on: dt.date | None = None) -> set[int]:
    """Ids of people holding an active kiosk-agent role (any scope), among ``user_ids``."""
    memberships = RoleMembership.objects.active(on).filter(role=Role.KIOSK_AGENT)
    if user_ids is not None:
        memberships = memberships.filter(user_id__in=list(user_ids))
    return set(memberships.values_list("user_id", flat=True))


def _require(actor: Any, perm: str, obj: Any = None) -> None:
    """Training and help records always have a person behind them: no system actor here."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Vous n'avez pas le droit de faire cela."))
    require_permission(actor, perm, obj)


# --- Training sessions ---------------------------------------------------------------------------


def _clean_training(
    *,
    date: Any,
    trainer: Any,
    topics: Any,
    duration_minutes: Any,
    place: Any,
    is_refresher: Any,
    attendees: Iterable[Any],
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if isinstance(date, dt.datetime):
        date = date.date()
    if not isinstance(date, dt.date):
        errors.setdefault("date", []).append(_("Saisissez une date."))
    elif (date - today).days > MAX_PLANNED_DAYS:
        errors.setdefault("date", []).append(_("La date ne peut pas être à plus d'un an."))
    trainer = " ".join(str(trainer or "").split())
    if not trainer:
        errors.setdefault("trainer", []).append(_("Indiquez le formateur."))
    elif len(trainer) > 160:
        errors.setdefault("trainer", []).append(_("160 caractères au plus."))
    topics = str(topics or "").strip()
    if not topics:
        errors.setdefault("topics", []).append(_("Indiquez les contenus de la formation."))
    elif len(topics) > 5000:
        errors.setdefault("topics", []).append(_("5000 caractères au plus."))
    try:
        duration = int(duration_minutes)
    except (TypeError, ValueError):
        errors.setdefault("duration_minutes", []).append(_("Indiquez la durée en minutes."))
        duration = 0
    else:
        if not 15 <= duration <= 2400:
            errors.setdefault("duration_minutes", []).append(_("La durée doit être comprise entre 15 et 2400 minutes."))
    if place is not None and not isinstance(place, Place):
        errors.setdefault("place", []).append(_("Lieu inconnu."))
    people: list[User] = []
    for person in attendees or ():
        if not isinstance(person, User):
            errors.setdefault("attendees", []).append(_("Participant inconnu."))
            break
        if person not in people:
            people.append(person)
    if people and "attendees" not in errors:
        agents = agent_user_ids([p.pk for p in people])
        outsiders = [p for p in people if p.pk not in agents]
        if outsiders:
            errors.setdefault("attendees", []).append(
                _("Ces personnes ne sont pas agents de borne : %(names)s.")
                % {"names": ", ".join(p.get_full_name() or p.email for p in outsiders)}
            )
    if errors:
        raise TrainingError(errors)
    return {
        "date": date,
        "trainer": trainer,
        "topics": topics,
        "duration_minutes": duration,
        "place": place,
        "is_refresher": bool(is_refresher),
        "attendees": people,
    }


def _set_attendees(session: TrainingSession, people: list[User]) -> tuple[list[int], list[int]]:
    """Make the attendees exactly ``people``; an attendee kept keeps their ``attended`` flag."""
    wanted = {p.pk for p in people}
    current = set(session.attendances.values_list("user_id", flat=True))
    removed = sorted(current - wanted)
    added = sorted(wanted - current)
    if removed:
        session.attendances.filter(user_id__in=removed).delete()
    if added:
        TrainingAttendance.objects.bulk_create(
            [TrainingAttendance(session=session, user_id=pk, attended=True) for pk in added]
        )
    return added, removed


@transaction.atomic
def training_session_create(
    *,
    actor: User,
    date: dt.date,
    trainer: str,
    topics: str,
    duration_minutes: int,
    place: Place | None = None,
    is_refresher: bool = False,
    attendees: Iterable[User] = (),
) -> TrainingSession:
    """Record a training session of kiosk agents (the programme team)."""
    _require(actor, "kiosks.manage_training")
    data = _clean_training(
        date=date,
        trainer=trainer,
        topics=topics,
        duration_minutes=duration_minutes,
        place=place,
        is_refresher=is_refresher,
        attendees=attendees,
    )
    people = data.pop("attendees")
    try:
        with transaction.atomic():
            session = TrainingSession.objects.create(**data)
            _set_attendees(session, people)
    except IntegrityError as exc:
        raise TrainingError(_("La session n'a pas pu être enregistrée : vérifiez les valeurs.")) from exc
    journal.record(
        actor=actor,
        action="kiosks.training.created",
        target=session,
        data={"attendees": [p.pk for p in people], "is_refresher": session.is_refresher},
    )
    return session


@transaction.atomic
def training_session_update(
    *,
    actor: User,
    session: TrainingSession,
    date: dt.date,
    trainer: str,
    topics: str,
    duration_minutes: int,
    place: Place | None = None,
    is_refresher: bool = False,
    attendees: Iterable[User] = (),
) -> TrainingSession:
    """Change a training session and its list of attendees."""
    _require(actor, "kiosks.manage_training")
    locked = lock_for_update(TrainingSession.objects.filter(pk=session.pk)).first()
    if locked is None:
        raise TrainingError(_("Cette session a été supprimée entre-temps."))
    data = _clean_training(
        date=date,
        trainer=trainer,
        topics=topics,
        duration_minutes=duration_minutes,
        place=place,
        is_refresher=is_refresher,
        attendees=attendees,
    )
    people = data.pop("attendees")
    changed = sorted(field for field, value in data.items() if getattr(locked, field) != value)
    for field, value in data.items():
        setattr(locked, field, value)
    try:
        with transaction.atomic():
            locked.save()
            added, removed = _set_attendees(locked, people)
    except IntegrityError as exc:
        raise TrainingError(_("La session n'a pas pu être enregistrée : vérifiez les valeurs.")) from exc
    journal.record(
        actor=actor,
        action="kiosks.training.updated",
        target=locked,
        data={"fields": changed, "added": added, "removed": removed},
    )
    session.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def training_attendance_set(*, actor: User, session: TrainingSession, user: User, attended: bool) -> TrainingAttendance:
    """Mark an attendee of ``session`` present or absent (an absent person is not trained by it)."""
    _require(actor, "kiosks.manage_training")
    attendance = lock_for_update(TrainingAttendance.objects.filter(session=session, user=user)).first()
    if attendance is None:
        raise TrainingError({"attendees": [_("Cette personne n'est pas inscrite à cette session.")]})
    if attendance.attended != bool(attended):
        attendance.attended = bool(attended)
        attendance.save(update_fields=["attended"])
        journal.record(
            actor=actor,
            action="kiosks.training.attendance",
            target=session,
            data={"user": user.pk, "attended": attendance.attended},
        )
    return attendance


# --- Help requests -----------------------------------------------------------------------------


def _taken_message(help_request: HelpRequest) -> str:
    if help_request.status == HelpRequestStatus.TAKEN and help_request.taken_by is not None:
        name = help_request.taken_by.first_name or help_request.taken_by.get_short_name() or _("un collègue")
        return _("Cette demande est déjà prise par %(name)s.") % {"name": name}
    if help_request.status == HelpRequestStatus.DONE:
        return _("Cette demande est déjà terminée.")
    return _("Cette demande a été annulée.")


def _locked_request(help_request: HelpRequest) -> HelpRequest:
    locked = lock_for_update(HelpRequest.objects.filter(pk=help_request.pk)).select_related("kiosk__place").first()
    if locked is None:
        raise HelpRequestUnavailableError(_("Cette demande n'existe plus."))
    return locked


@transaction.atomic
def help_request_take(*, actor: User, help_request: HelpRequest) -> HelpRequest:
    """ "Je m'en occupe": the request becomes the agent's. Raises ``HelpRequestUnavailableError``
    when another agent took it first (the row is locked: only one wins)."""
    _require(actor, "kiosks.handle_help_request", help_request)
    locked = _locked_request(help_request)
    if locked.status == HelpRequestStatus.TAKEN and locked.taken_by_id == actor.pk:
        return locked
    if locked.status != HelpRequestStatus.OPEN:
        if locked.taken_by_id is not None:
            locked.taken_by = User.objects.filter(pk=locked.taken_by_id).first()
        raise HelpRequestUnavailableError(_taken_message(locked))
    locked.status = HelpRequestStatus.TAKEN
    locked.taken_by = actor
    locked.taken_at = timezone.now()
    locked.save(update_fields=["status", "taken_by", "taken_at"])
    journal.record(actor=actor, action="kiosks.help_request.taken", target=locked, data={"kiosk": locked.kiosk_id})
    help_request.__dict__.update({k: v for k, v in locked.__dict__.items() if k != "_state"})
    return locked


def _record(
    *,
    actor: User,
    kiosk: Kiosk,
    duration_minutes: int,
    admin_themes: Iterable[str],
    help_reason: str,
    outcome: str,
    oriented_to: str = "",
    submit_token: str = "",
) -> Any:
    return accompaniment_create(
        actor=actor,
        place=kiosk.place,
        kind=AccompanimentKind.PROCEDURE,
        date=timezone.localdate(),
        duration_minutes=duration_minutes,
        admin_themes=list(admin_themes),
        help_reason=help_reason,
        outcome=outcome,
        oriented_to=oriented_to,
        kiosk_id=kiosk.pk,
        equipment_used=[EquipmentUsed.KIOSK],
        submit_token=submit_token,
    )


@transaction.atomic
def help_request_record(
    *,
    actor: User,
    help_request: HelpRequest,
    duration_minutes: int,
    admin_themes: Iterable[str],
    help_reason: str,
    outcome: str,
    oriented_to: str = "",
) -> Any:
    """ "Noter l'aide apportée": write the accompaniment record (kind ``procedure``) of the help
    given for ``help_request``, keep its id on the request and close it.

    An open request is taken on the way; one taken by someone else, or closed, raises
    ``HelpRequestUnavailableError``. Invalid values raise the accompaniment's ``ValidationError``
    and change nothing. Returns the accompaniment."""
    _require(actor, "kiosks.handle_help_request", help_request)
    locked = _locked_request(help_request)
    mine = locked.status == HelpRequestStatus.TAKEN and locked.taken_by_id == actor.pk
    if not mine and locked.status != HelpRequestStatus.OPEN:
        if locked.taken_by_id is not None:
            locked.taken_by = User.objects.filter(pk=locked.taken_by_id).first()
        raise HelpRequestUnavailableError(_taken_message(locked))
    accompaniment = _record(
        actor=actor,
        kiosk=locked.kiosk,
        duration_minutes=duration_minutes,
        admin_themes=admin_themes,
        help_reason=help_reason,
        outcome=outcome,
        oriented_to=oriented_to,
    )
    now = timezone.now()
    if not mine:
        locked.taken_by = actor
        locked.taken_at = now
    locked.status = HelpRequestStatus.DONE
    locked.closed_at = now
    locked.accompaniment_id = accompaniment.pk
    locked.save(update_fields=["status", "taken_by", "taken_at", "closed_at", "accompaniment_id"])
    journal.record(
        actor=actor,
        action="kiosks.help_request.done",
        target=locked,
        data={"kiosk": locked.kiosk_id, "accompaniment": accompaniment.pk},
    )
    help_request.__dict__.update({k: v for k, v in locked.__dict__.items() if k != "_state"})
    return accompaniment


@transaction.atomic
def assisted_session_record(
    *,
    actor: User,
    kiosk: Kiosk,
    duration_minutes: int,
    admin_themes: Iterable[str],
    help_reason: str,
    outcome: str,
    oriented_to: str = "",
    submit_token: str = "",
) -> Any:
    """Record help given at ``kiosk`` without a help request (someone who came to the desk).
    ``submit_token`` makes a repeated POST of the same form return the first record."""
    _require(actor, "kiosks.handle_help_request", kiosk)
    return _record(
        actor=actor,
        kiosk=kiosk,
        duration_minutes=duration_minutes,
        admin_themes=admin_themes,
        help_reason=help_reason,
        outcome=outcome,
        oriented_to=oriented_to,
        submit_token=submit_token,
    )


def help_requests_cancel_stale(*, now: dt.datetime | None = None) -> int:
    """Cancel the help requests still open (or taken but never recorded) more than four hours
    after they were made. Returns how many. Journalled once, as the system."""
    now = now or timezone.now()
    with transaction.atomic():
        stale = HelpRequest.objects.filter(
            status__in=[HelpRequestStatus.OPEN, HelpRequestStatus.TAKEN], created_at__lt=now - STALE_AFTER
        )
        ids = list(lock_for_update(stale).values_list("pk", flat=True))
        if not ids:
            return 0
        count = HelpRequest.objects.filter(
            pk__in=ids, status__in=[HelpRequestStatus.OPEN, HelpRequestStatus.TAKEN]
        ).update(status=HelpRequestStatus.CANCELLED, closed_at=now)
        journal.record(
            actor=None, action="kiosks.help_request.cancelled_stale", data={"count": count, "ids": ids[:200]}
        )
    return count
