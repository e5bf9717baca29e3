"""Every write of part "network": telecentres, their resources and their closures.

Each function takes keyword arguments (the ``actor`` first), checks who may do it, runs in one
transaction, writes the journal, and refuses bad input with a ``ValidationError`` naming the
field, in French. A constraint's ``IntegrityError`` (two managers saving the same name at the
same moment) becomes such an error too, never a 500.

``actor=None`` is the platform itself (demo data, commands).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cybercantal.accounts import services as accounts_services
from cybercantal.accounts.models import Organisation
from cybercantal.accounts.services import require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.places import hours
from cybercantal.places.models import Place, PlaceKind, PlaceStatus

from ..models import (
    Closure,
    Equipment,
    Resource,
    ResourceAccess,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
)
from ..queries import network as queries

_UNSET: Any = object()

MAX_CAPACITY = 500
MAX_WINDOW_DAYS = 730
MAX_DURATION_MINUTES = 24 * 60
MIN_STEP_MINUTES = 5
MAX_STEP_MINUTES = 240
MAX_BUFFER_MINUTES = 240
MAX_NOTICE_HOURS = 30 * 24
MAX_NO_SHOW_MINUTES = 8 * 60
MAX_CLOSURE_DAYS = 366
MAX_NAME_LENGTH = 120
MAX_TEXT_LENGTH = 5000
MAX_REASON_LENGTH = 200
MAX_POSITION = 32767

RESOURCE_FIELDS = (
    "name",
    "kind",
    "capacity",
    "description",
    "equipment",
    "booking_window_days",
    "min_minutes",
    "max_minutes",
    "step_minutes",
    "buffer_minutes",
    "opening_hours",
    "access",
    "is_active",
    "position",
)


class FutureBookingsError(ValidationError):
    """A change would leave confirmed bookings to come in the air: the person must confirm.
    ``count`` and ``first`` (the first booking) say which."""

    def __init__(self, message: dict[str, list[str]], *, count: int, first: Any) -> None:
        super().__init__(message, code="future_bookings")
        self.count = count
        self.first = first


def _whole(value: Any, field: str, label: str, low: int, high: int, errors: dict[str, list[str]]) -> int | None:
    """An integer in [low, high], or an error on ``field`` (``label``: how the person calls it)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Indiquez un nombre entier pour « %(label)s ».") % {"label": label})
        return None
    if number != value and not isinstance(value, str):  # 2.5 given as a number
        errors.setdefault(field, []).append(_("Indiquez un nombre entier pour « %(label)s ».") % {"label": label})
        return None
    if not low <= number <= high:
        errors.setdefault(field, []).append(
            _("« %(label)s » doit être compris entre %(low)s et %(high)s.") % {"label": label, "low": low, "high": high}
        )
        return None
    return number


def _text(value: Any, field: str, label: str, limit: int, errors: dict[str, list[str]], *, required: bool) -> str:
    text = " ".join(str(value or "").split()) if field in ("name", "reason") else str(value or "").strip()
    if "\x00" in text:
        errors.setdefault(field, []).append(_("Ce texte contient un caractère invalide."))
        return ""
    if required and not text:
        errors.setdefault(field, []).append(_("Indiquez %(label)s.") % {"label": label})
    elif len(text) > limit:
        errors.setdefault(field, []).append(
            _("%(label)s : %(limit)s caractères au plus (vous en avez saisi %(n)s).")
            % {"label": label[:1].upper() + label[1:], "limit": limit, "n": len(text)}
        )
    return text


def _first_booking_text(booking: Any) -> str:
    return date_format(timezone.localtime(booking.starts_at).date(), "l j F Y")


# --- telecentres ------------------------------------------------------------------------------


@transaction.atomic
def telecentre_create(
    *,
    actor: Any,
    place: Place,
    operator: Organisation | None = None,
    operator_name: str = "",
    operator_siret: str = "",
    welcome_text: str = "",
) -> Telecentre:
    """Make ``place`` (a place of kind telecentre) a telecentre of the network, run by
    ``operator``, or by a new operator organisation (``operator_name`` + ``operator_siret``,
    the SIRET checked by python-stdnum). The telecentre starts « en projet »: its managers set
    the opening date. Programme team only (``telework.manage_network``)."""
    require_permission(actor, "telework.manage_network", message=_("Seule l'équipe du programme ajoute un télécentre."))
    errors: dict[str, list[str]] = {}
    if place.kind != PlaceKind.TELECENTRE:
        errors["place"] = [_("Ce lieu n'est pas un télécentre dans l'annuaire : changez d'abord son type.")]
    elif place.status == PlaceStatus.CLOSED:
        errors["place"] = [_("Ce lieu est fermé définitivement.")]
    elif Telecentre.objects.filter(place=place).exists():
        errors["place"] = [_("Ce lieu est déjà un télécentre du réseau.")]
    operator_name = " ".join((operator_name or "").split())
    if operator is not None and (operator_name or operator_siret):
        errors["operator"] = [
            _("Choisissez un exploitant existant ou créez-en un, pas les deux : videz le nom et le SIRET.")
        ]
    elif operator is None and not operator_name:
        errors["operator"] = [_("Choisissez l'exploitant, ou indiquez le nom et le SIRET d'un nouvel exploitant.")]
    elif operator is None and not (operator_siret or "").strip():
        errors["operator_siret"] = [_("Indiquez le SIRET du nouvel exploitant : ses factures le porteront.")]
    elif operator is not None and operator.kind not in queries.OPERATOR_KINDS:
        errors["operator"] = [_("Cette organisation ne peut pas exploiter un télécentre.")]
    welcome_text = _text(
        welcome_text, "welcome_text", _("les informations pratiques"), MAX_TEXT_LENGTH, errors, required=False
    )
    if operator is None and operator_name and len(operator_name) > 200:
        errors["operator_name"] = [_("Le nom de l'exploitant : 200 caractères au plus.")]
    if errors:
        raise ValidationError(errors)
    if operator is None:
        try:
            operator = accounts_services.organisation_create(
                actor=actor,
                name=operator_name,
                kind=Organisation.Kind.TELECENTRE_OPERATOR,
                siret=operator_siret,
                commune=place.commune,
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                renamed = {f"operator_{k}" if k in ("name", "siret") else k: v for k, v in exc.error_dict.items()}
                raise ValidationError(renamed) from exc
            raise
    telecentre = Telecentre(place=place, operator=operator, status=TelecentreStatus.PLANNED, welcome_text=welcome_text)
    try:
        with transaction.atomic():
            telecentre.save()
    except IntegrityError as exc:
        raise ValidationError({"place": [_("Ce lieu est déjà un télécentre du réseau.")]}) from exc
    journal.record(
        actor=actor,
        action="telecentre.created",
        target=telecentre,
        data={"place": place.slug, "operator": operator.pk},
    )
    return telecentre


def _check_status(
    *,
    status: str,
    opens_on: dt.date | None,
    closed_on: dt.date | None,
    opens_on_changed: bool,
    today: dt.date,
    errors: dict[str, list[str]],
) -> None:
    if status not in TelecentreStatus.values:
        errors["status"] = [_("Choisissez un statut de la liste.")]
        return
    if status == TelecentreStatus.PLANNED:
        if opens_on is not None and opens_on_changed and opens_on < today:
            errors["opens_on"] = [
                _("Une ouverture prévue est à venir. Si le télécentre a ouvert, choisissez le statut « Ouvert ».")
            ]
    elif status == TelecentreStatus.OPEN:
        if opens_on is None:
            errors["opens_on"] = [_("Indiquez la date d'ouverture du télécentre.")]
    else:  # closed
        if closed_on is None:
            errors["closed_on"] = [_("Indiquez la date de fermeture du télécentre.")]
        elif closed_on > today:
            errors["closed_on"] = [
                _(
                    "La fermeture définitive se déclare le jour venu. D'ici là, ajoutez une fermeture "
                    "temporaire pour bloquer les réservations."
                )
            ]
        elif opens_on is not None and closed_on < opens_on:
            errors["closed_on"] = [
                _("La date de fermeture ne peut pas précéder la date d'ouverture (%(date)s).")
                % {"date": date_format(opens_on, "j F Y")}
            ]


@transaction.atomic
def telecentre_update(
    *,
    actor: Any,
    telecentre: Telecentre,
    status: str = _UNSET,
    opens_on: dt.date | None = _UNSET,
    closed_on: dt.date | None = _UNSET,
    cancellation_notice_hours: int = _UNSET,
    no_show_release_minutes: int = _UNSET,
    welcome_text: str = _UNSET,
    confirm_closing: bool = False,
) -> Telecentre:
    """Change the status and rules of a telecentre (the given fields; the others stay).

    Status: « en projet » (with an optional opening date to come), « ouvert » (from a date,
    possibly to come: bookings are then taken from that day), « fermé » (on a date, today or
    past). A closing date is kept only for a closed telecentre. Closing a telecentre that has
    confirmed bookings to come raises ``FutureBookingsError`` unless ``confirm_closing``:
    the bookings are not cancelled, the managers deal with them.
    """
    require_permission(actor, "telework.manage_telecentre", telecentre)
    locked = lock_for_update(Telecentre.objects.filter(pk=telecentre.pk)).get()
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    new_status = locked.status if status is _UNSET else status
    new_opens_on = locked.opens_on if opens_on is _UNSET else opens_on
    new_closed_on = locked.closed_on if closed_on is _UNSET else closed_on
    if new_status != TelecentreStatus.CLOSED:
        new_closed_on = None
    _check_status(
        status=new_status,
        opens_on=new_opens_on,
        closed_on=new_closed_on,
        opens_on_changed=new_opens_on != locked.opens_on or new_status != locked.status,
        today=today,
        errors=errors,
    )
    changes: dict[str, Any] = {"status": new_status, "opens_on": new_opens_on, "closed_on": new_closed_on}
    if cancellation_notice_hours is not _UNSET:
        changes["cancellation_notice_hours"] = _whole(
            cancellation_notice_hours,
            "cancellation_notice_hours",
            _("annulation gratuite jusqu'à (heures avant)"),
            0,
            MAX_NOTICE_HOURS,
            errors,
        )
    if no_show_release_minutes is not _UNSET:
        changes["no_show_release_minutes"] = _whole(
            no_show_release_minutes,
            "no_show_release_minutes",
            _("libération des absents après (minutes)"),
            0,
            MAX_NO_SHOW_MINUTES,
            errors,
        )
    if welcome_text is not _UNSET:
        changes["welcome_text"] = _text(
            welcome_text, "welcome_text", _("les informations pratiques"), MAX_TEXT_LENGTH, errors, required=False
        )
    if errors:
        raise ValidationError(errors)
    if new_status == TelecentreStatus.CLOSED and locked.status != TelecentreStatus.CLOSED and not confirm_closing:
        upcoming = queries.upcoming_bookings(telecentre=locked)
        count = upcoming.count()
        if count:
            first = upcoming.first()
            raise FutureBookingsError(
                {
                    "status": [
                        ngettext(
                            "%(count)s réservation confirmée est à venir (le %(first)s). Elle ne sera pas annulée : "
                            "prévenez la personne ou annulez-la, puis confirmez la fermeture.",
                            "%(count)s réservations confirmées sont à venir (la première le %(first)s). Elles ne "
                            "seront pas annulées : prévenez les personnes ou annulez-les, puis confirmez la fermeture.",
                            count,
                        )
                        % {"count": count, "first": _first_booking_text(first)}
                    ]
                },
                count=count,
                first=first,
            )
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    for name in changed:
        setattr(locked, name, changes[name])
    try:
        with transaction.atomic():
            locked.save(update_fields=changed)
    except IntegrityError as exc:  # the database's own status/date checks
        raise ValidationError({"status": [_("Ce statut demande une date : indiquez-la.")]}) from exc
    journal.record(
        actor=actor,
        action="telecentre.updated",
        target=locked,
        data={"fields": sorted(changed), "status": locked.status},
    )
    return locked


# --- resources --------------------------------------------------------------------------------


def _clean_resource(values: dict[str, Any], *, telecentre: Telecentre, current: Resource | None) -> dict[str, Any]:
    """Check and normalise the fields of a resource. Raises ``ValidationError`` with every
    problem found, each next to its field."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    if "name" in values:
        clean["name"] = _text(
            values["name"], "name", _("le nom de la ressource"), MAX_NAME_LENGTH, errors, required=True
        )
        if clean["name"] and "name" not in errors:
            taken = Resource.objects.filter(telecentre=telecentre, name__iexact=clean["name"])
            if current is not None:
                taken = taken.exclude(pk=current.pk)
            if taken.exists():
                errors["name"] = [_("Ce télécentre a déjà une ressource de ce nom : choisissez-en un autre.")]
    if "kind" in values:
        if values["kind"] not in ResourceKind.values:
            errors["kind"] = [_("Choisissez un type de ressource de la liste.")]
        clean["kind"] = values["kind"]
    if "access" in values:
        if values["access"] not in ResourceAccess.values:
            errors["access"] = [_("Choisissez qui peut réserver dans la liste.")]
        clean["access"] = values["access"]
    if "capacity" in values:
        clean["capacity"] = _whole(values["capacity"], "capacity", _("capacité"), 1, MAX_CAPACITY, errors)
    if "description" in values:
        clean["description"] = _text(
            values["description"], "description", _("la description"), MAX_TEXT_LENGTH, errors, required=False
        )
    if "equipment" in values:
        chosen = list(values["equipment"] or [])
        unknown = [item for item in chosen if item not in Equipment.values]
        if unknown:
            errors["equipment"] = [_("Choisissez les équipements dans la liste.")]
        clean["equipment"] = [item for item in Equipment.values if item in chosen]
    if "booking_window_days" in values:
        clean["booking_window_days"] = _whole(
            values["booking_window_days"],
            "booking_window_days",
            _("réservable jusqu'à (jours à l'avance)"),
            1,
            MAX_WINDOW_DAYS,
            errors,
        )
    for field, label, low, high in (
        ("min_minutes", _("durée minimale"), MIN_STEP_MINUTES, MAX_DURATION_MINUTES),
        ("max_minutes", _("durée maximale"), MIN_STEP_MINUTES, MAX_DURATION_MINUTES),
        ("step_minutes", _("pas de réservation"), MIN_STEP_MINUTES, MAX_STEP_MINUTES),
        ("buffer_minutes", _("battement entre deux réservations"), 0, MAX_BUFFER_MINUTES),
        ("position", _("ordre d'affichage"), 0, MAX_POSITION),
    ):
        if field in values and values[field] is not None:
            clean[field] = _whole(values[field], field, label, low, high, errors)
    if "opening_hours" in values:
        text = " ".join(str(values["opening_hours"] or "").split())
        message = hours.parse_error(text)
        if message:
            errors["opening_hours"] = [message]
        clean["opening_hours"] = text
    if "is_active" in values:
        clean["is_active"] = bool(values["is_active"])
    _check_durations(clean, current=current, errors=errors)
    if errors:
        raise ValidationError(errors)
    return clean


def _check_durations(clean: dict[str, Any], *, current: Resource | None, errors: dict[str, list[str]]) -> None:
    """The rules that tie fields together, on the values the resource would have (those
    given, else its current ones, else the defaults), when each field is valid on its own."""
    defaults = current or Resource()

    def value(name: str) -> int | None:
        if name in errors:
            return None
        return clean[name] if name in clean else getattr(defaults, name)

    low, high, step = value("min_minutes"), value("max_minutes"), value("step_minutes")
    if low is not None and high is not None and low > high:
        errors.setdefault("max_minutes", []).append(
            _("La durée maximale (%(max)s) ne peut pas être plus courte que la durée minimale (%(min)s).")
            % {"max": queries.say_minutes(high), "min": queries.say_minutes(low)}
        )
    if low is not None and step is not None and low % step:
        errors.setdefault("step_minutes", []).append(
            _(
                "Le pas (%(step)s min) doit diviser la durée minimale (%(min)s min) : par exemple un pas de 30 min "
                "pour une durée minimale de 60 min."
            )
            % {"step": step, "min": low}
        )


def _save_resource(resource: Resource) -> None:
    try:
        with transaction.atomic():
            resource.save()
    except IntegrityError as exc:
        if (
            Resource.objects.filter(telecentre_id=resource.telecentre_id, name=resource.name)
            .exclude(pk=resource.pk)
            .exists()
        ):
            raise ValidationError(
                {"name": [_("Ce télécentre a déjà une ressource de ce nom : choisissez-en un autre.")]}
            ) from exc
        raise ValidationError(_("La ressource n'a pas pu être enregistrée : une donnée est en conflit.")) from exc


@transaction.atomic
def resource_create(*, actor: Any, telecentre: Telecentre, **fields: Any) -> Resource:
    """Add a resource (seat pool, office, meeting room) to ``telecentre``. ``fields`` are the
    resource's (``RESOURCE_FIELDS``); ``position`` left out puts it last."""
    require_permission(actor, "telework.manage_telecentre", telecentre)
    unknown = set(fields) - set(RESOURCE_FIELDS)
    if unknown:
        raise TypeError(f"resource_create() got unexpected fields: {sorted(unknown)}")
    fields.setdefault("name", "")
    fields.setdefault("kind", "")
    lock_for_update(Telecentre.objects.filter(pk=telecentre.pk)).get()
    clean = _clean_resource(fields, telecentre=telecentre, current=None)
    if clean.get("position") is None:
        last = Resource.objects.filter(telecentre=telecentre).aggregate(last=Max("position"))["last"]
        clean["position"] = min(MAX_POSITION, (last or 0) + 1) if last is not None else 0
    resource = Resource(telecentre=telecentre, **clean)
    _save_resource(resource)
    journal.record(
        actor=actor,
        action="resource.created",
        target=resource,
        data={"telecentre": telecentre.pk, "kind": resource.kind, "capacity": resource.capacity},
    )
    return resource


@transaction.atomic
def resource_update(*, actor: Any, resource: Resource, confirm_deactivation: bool = False, **fields: Any) -> Resource:
    """Change the given fields of ``resource``.

    - Its type cannot change once it has been booked (bookings and credits depend on it).
    - A seat pool cannot shrink below the seats already booked on a half-day to come.
    - Deactivating a resource that has confirmed bookings to come raises
      ``FutureBookingsError`` (with the count) unless ``confirm_deactivation``: the resource
      is then no longer offered, and the bookings already made stay valid (they are never
      cancelled silently: the manager cancels those that must be).
    """
    require_permission(actor, "telework.manage_telecentre", resource)
    unknown = set(fields) - set(RESOURCE_FIELDS)
    if unknown:
        raise TypeError(f"resource_update() got unexpected fields: {sorted(unknown)}")
    locked = lock_for_update(Resource.objects.filter(pk=resource.pk)).select_related("telecentre__place").get()
    clean = _clean_resource(fields, telecentre=locked.telecentre, current=locked)
    changed = [name for name, value in clean.items() if getattr(locked, name) != value]
    if not changed:
        return locked
    errors: dict[str, list[str]] = {}
    if "kind" in changed and locked.bookings.exists():
        errors["kind"] = [
            _(
                "Le type ne peut plus changer : cette ressource a déjà été réservée. "
                "Créez plutôt une nouvelle ressource."
            )
        ]
    new_kind = clean.get("kind", locked.kind)
    if "capacity" in changed and new_kind == ResourceKind.SEAT_POOL and clean["capacity"] < locked.capacity:
        peak, day = queries.pool_peak_after(locked)
        if peak > clean["capacity"]:
            errors["capacity"] = [
                ngettext(
                    "Le %(day)s, %(peak)s poste est déjà réservé : la capacité ne peut pas descendre en dessous.",
                    "Le %(day)s, %(peak)s postes sont déjà réservés : la capacité ne peut pas descendre en dessous.",
                    peak,
                )
                % {"day": date_format(day, "l j F Y") if day else "", "peak": peak}
            ]
    if errors:
        raise ValidationError(errors)
    if "is_active" in changed and not clean["is_active"] and not confirm_deactivation:
        upcoming = queries.upcoming_bookings(resource=locked)
        count = upcoming.count()
        if count:
            first = upcoming.first()
            raise FutureBookingsError(
                {
                    "is_active": [
                        ngettext(
                            "Cette ressource a %(count)s réservation confirmée à venir (le %(first)s). "
                            "Désactivée, elle ne sera plus proposée, mais cette réservation restera valable. "
                            "Cochez la confirmation pour la désactiver quand même, ou annulez d'abord la réservation.",
                            "Cette ressource a %(count)s réservations confirmées à venir (la première le %(first)s). "
                            "Désactivée, elle ne sera plus proposée, mais ces réservations resteront valables. "
                            "Cochez la confirmation pour la désactiver quand même, "
                            "ou annulez d'abord les réservations.",
                            count,
                        )
                        % {"count": count, "first": _first_booking_text(first)}
                    ]
                },
                count=count,
                first=first,
            )
    for name in changed:
        setattr(locked, name, clean[name])
    _save_resource(locked)
    data: dict[str, Any] = {"fields": sorted(changed)}
    if "is_active" in changed:
        data["is_active"] = locked.is_active
    journal.record(actor=actor, action="resource.updated", target=locked, data=data)
    return locked


# --- closures ---------------------------------------------------------------------------------


@transaction.atomic
def closure_create(
    *,
    actor: Any,
    telecentre: Telecentre,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    resource: Resource | None = None,
    reason: str = "",
) -> Closure:
    """Close the whole telecentre (or one resource) from ``starts_on`` to ``ends_on``
    (inclusive). New bookings are then refused on those days; the confirmed bookings already
    made are NOT cancelled: ``queries.bookings_during(closure)`` lists them for the manager.

    The same closure submitted twice (a double click) is created once."""
    require_permission(actor, "telework.manage_telecentre", telecentre)
    errors: dict[str, list[str]] = {}
    if starts_on is None:
        errors["starts_on"] = [_("Indiquez le premier jour de fermeture.")]
    if ends_on is None:
        errors["ends_on"] = [_("Indiquez le dernier jour de fermeture.")]
    if resource is not None and resource.telecentre_id != telecentre.pk:
        errors["resource"] = [_("Cette ressource n'appartient pas à ce télécentre.")]
    reason = _text(reason, "reason", _("le motif"), MAX_REASON_LENGTH, errors, required=False)
    if starts_on is not None and ends_on is not None:
        if ends_on < starts_on:
            errors["ends_on"] = [_("Le dernier jour ne peut pas précéder le premier.")]
        elif (ends_on - starts_on).days + 1 > MAX_CLOSURE_DAYS:
            errors["ends_on"] = [
                _("Une fermeture dure %(days)s jours au plus. Pour un arrêt définitif, changez le statut.")
                % {"days": MAX_CLOSURE_DAYS}
            ]
        elif ends_on < timezone.localdate():
            errors["ends_on"] = [
                _("Cette période est déjà passée : une fermeture se déclare pour aujourd'hui ou plus tard.")
            ]
    if errors:
        raise ValidationError(errors)
    if starts_on is None or ends_on is None:  # reported above; for the type checker
        raise ValidationError(_("Indiquez les dates de fermeture."))
    lock_for_update(Telecentre.objects.filter(pk=telecentre.pk)).get()
    existing = Closure.objects.filter(
        telecentre=telecentre, resource=resource, starts_on=starts_on, ends_on=ends_on
    ).first()
    if existing is not None:
        return existing
    closure = Closure.objects.create(
        telecentre=telecentre, resource=resource, starts_on=starts_on, ends_on=ends_on, reason=reason
    )
    affected = queries.bookings_during(closure).count()
    journal.record(
        actor=actor,
        action="closure.created",
        target=closure,
        data={
            "telecentre": telecentre.pk,
            "resource": resource.pk if resource else None,
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
            "bookings_covered": affected,
        },
    )
    return closure


@transaction.atomic
def closure_delete(*, actor: Any, closure: Closure) -> None:
    """Remove a closure: its days can be booked again. A second delete does nothing."""
    require_permission(actor, "telework.manage_telecentre", closure)
    deleted = Closure.objects.filter(pk=closure.pk).first()
    if deleted is None:
        return
    data = {
        "telecentre": deleted.telecentre_id,
        "resource": deleted.resource_id,
        "starts_on": deleted.starts_on.isoformat(),
        "ends_on": deleted.ends_on.isoformat(),
    }
    journal.record(actor=actor, action="closure.deleted", target=deleted, data=data)
    deleted.delete()
