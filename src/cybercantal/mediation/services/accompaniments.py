"""Every write on accompaniments (the national CRA) and on followed beneficiaries.

Each function is keyword-only, runs in one transaction and writes one journal entry.
Invalid data raises ``django.core.exceptions.ValidationError`` with French messages keyed
by field, so that a view can show them next to the fields; nothing is half-saved.

Who may do what (``accounts/permissions.py``, section "Mediation"):
- record: a mediator or a kiosk agent of the place (``mediation.record_accompaniment``);
- change or delete: the author within ``EDIT_WINDOW_DAYS`` days, or the programme team;
- follow a person (beneficiary): a mediator of the place, with the person's recorded consent;
- export or erase a followed person's data: a mediator of their place, or the programme team.

Followed people are kept ``MEDIATION_BENEFICIARY_RETENTION_MONTHS`` months (default 24)
after their last accompaniment; ``beneficiary_purge_expired`` (a nightly task) deletes the
others, their accompaniments staying as anonymous records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.models import User
from cybercantal.accounts.permissions import is_platform_manager
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.models import JournalEntry
from cybercantal.places.models import Place
from cybercantal.territory.models import Commune

from ..models import (
    Accompaniment,
    AccompanimentKind,
    AdminTheme,
    Autonomy,
    Beneficiary,
    DigitalTheme,
    EquipmentUsed,
    HelpReason,
    Outcome,
    PlaceType,
    RegistrationStatus,
    Session,
)

# The durations the quick form offers as buttons; any whole number of minutes in
# ``MIN_DURATION..MAX_DURATION`` is accepted as "autre".
PRESET_DURATIONS = (15, 30, 45, 60, 90, 120)
MIN_DURATION, MAX_DURATION = 1, 600
# How far back a record may be dated.
MAX_AGE_DAYS = 365
# How long the author may still change or delete their record.
EDIT_WINDOW_DAYS = 30
# A repeated form token within this delay is a double submit, not a new record.
DOUBLE_SUBMIT_WINDOW = dt.timedelta(hours=12)
DEFAULT_RETENTION_MONTHS = 24

# The anonymous counts of a collective workshop, by dimension (each sums to ``participants``).
COUNT_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "gender": Accompaniment.GENDER_FIELDS,
    "age": Accompaniment.AGE_FIELDS,
    "status": Accompaniment.STATUS_FIELDS,
}
COUNT_FIELDS: tuple[str, ...] = (*Accompaniment.GENDER_FIELDS, *Accompaniment.AGE_FIELDS, *Accompaniment.STATUS_FIELDS)


def dimension_label(dimension: str) -> str:
    return {
        "gender": _("genre"),
        "age": _("tranche d'âge"),
        "status": _("statut social"),
    }[dimension]


# The fields a caller may set (``accompaniment_create`` / ``accompaniment_update``).
EDITABLE_FIELDS = frozenset(
    {
        "kind",
        "place",
        "date",
        "duration_minutes",
        "place_type",
        "themes",
        "admin_themes",
        "equipment_used",
        "autonomy",
        "oriented_to",
        "help_reason",
        "outcome",
        "kiosk_id",
        "beneficiary",
        "session",
        "notes",
        "participants",
        *COUNT_FIELDS,
    }
)


class AccompanimentError(ValidationError):
    """A rule of the CRA said no (French message, keyed by field when there is one)."""


# --- helpers -----------------------------------------------------------------------------------


def retention_months() -> int:
    return int(getattr(settings, "MEDIATION_BENEFICIARY_RETENTION_MONTHS", DEFAULT_RETENTION_MONTHS))


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (29 February → 28 February when needed)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=min(day.day, candidate))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


def retention_date(last_activity: dt.date) -> dt.date:
    return add_months(last_activity, retention_months())


def is_manager(user: Any) -> bool:
    return bool(is_platform_manager.test(user))


def may_record(user: Any, place: Place) -> bool:
    return bool(user is not None and user.has_perm("mediation.record_accompaniment", place))


def may_change(user: Any, accompaniment: Accompaniment, *, today: dt.date | None = None) -> bool:
    """The programme team always; the author within ``EDIT_WINDOW_DAYS`` days of writing it."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if is_manager(user):
        return True
    if accompaniment.author_id != user.pk:
        return False
    today = today or timezone.localdate()
    written = timezone.localdate(accompaniment.created_at) if accompaniment.created_at else today
    return (today - written).days <= EDIT_WINDOW_DAYS


def _split(values: Any) -> list[str]:
    if values is None or values == "":
        return []
    if isinstance(values, str):
        return [v for v in values.split("|") if v]
    return [str(v) for v in values if v]


def _choices(values: Any, enum: Any, field: str, errors: dict[str, list[str]]) -> list[str]:
    items = list(dict.fromkeys(_split(values)))
    unknown = [item for item in items if item not in enum.values]
    if unknown:
        errors.setdefault(field, []).append(_("Valeur inconnue : %(values)s.") % {"values": ", ".join(unknown)})
    return [item for item in items if item in enum.values]


def _count(value: Any, field: str, errors: dict[str, list[str]]) -> int:
    if value in (None, ""):
        return 0
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors.setdefault(field, []).append(_("Saisissez un nombre entier."))
        return 0
    if number < 0:
        errors.setdefault(field, []).append(_("Un nombre de personnes ne peut pas être négatif."))
        return 0
    if number > 500:
        errors.setdefault(field, []).append(_("500 personnes au plus."))
        return 0
    return number


def _clean(values: dict[str, Any], *, actor: Any, existing: Accompaniment | None = None) -> dict[str, Any]:
    """Check every rule of a record; returns the cleaned values or raises ``ValidationError``."""
    errors: dict[str, list[str]] = {}
    data = dict(values)

    kind = data.get("kind")
    if kind not in AccompanimentKind.values:
        errors.setdefault("kind", []).append(_("Choisissez le type d'accompagnement."))

    place = data.get("place")
    if not isinstance(place, Place):
        errors.setdefault("place", []).append(_("Choisissez la structure."))
    elif not may_record(actor, place) and not (existing is not None and is_manager(actor)):
        errors.setdefault("place", []).append(
            _("Vous n'êtes ni médiateur ni agent de borne de « %(place)s ».") % {"place": place.name}
        )

    today = timezone.localdate()
    day = data.get("date")
    if isinstance(day, dt.datetime):
        day = timezone.localdate(day) if timezone.is_aware(day) else day.date()
    if not isinstance(day, dt.date):
        errors.setdefault("date", []).append(_("Saisissez une date."))
    elif day > today:
        errors.setdefault("date", []).append(_("La date ne peut pas être dans le futur."))
    elif (today - day).days > MAX_AGE_DAYS:
        errors.setdefault("date", []).append(_("La date ne peut pas remonter à plus d'un an."))
    data["date"] = day

    duration = data.get("duration_minutes")
    try:
        duration = int(duration)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        errors.setdefault("duration_minutes", []).append(_("Indiquez la durée en minutes."))
    else:
        if not MIN_DURATION <= duration <= MAX_DURATION:
            errors.setdefault("duration_minutes", []).append(
                _("La durée doit être comprise entre %(min)s et %(max)s minutes.")
                % {"min": MIN_DURATION, "max": MAX_DURATION}
            )
    data["duration_minutes"] = duration

    place_type = data.get("place_type") or PlaceType.ON_SITE
    if place_type not in PlaceType.values:
        errors.setdefault("place_type", []).append(_("Choisissez où a eu lieu l'accompagnement."))
    data["place_type"] = place_type

    data["themes"] = _choices(data.get("themes"), DigitalTheme, "themes", errors)
    data["admin_themes"] = _choices(data.get("admin_themes"), AdminTheme, "admin_themes", errors)
    data["equipment_used"] = _choices(data.get("equipment_used"), EquipmentUsed, "equipment_used", errors)
    if not data["themes"] and not data["admin_themes"] and "themes" not in errors:
        errors.setdefault("themes", []).append(_("Cochez au moins une thématique (numérique ou démarche)."))

    for field, enum, message in (
        ("autonomy", Autonomy, _("Niveau d'autonomie inconnu.")),
        ("help_reason", HelpReason, _("Raison inconnue.")),
        ("outcome", Outcome, _("Résultat inconnu.")),
    ):
        value = data.get(field) or ""
        if value and value not in enum.values:
            errors.setdefault(field, []).append(message)
        data[field] = value

    for field, limit in (("oriented_to", 200), ("notes", 500)):
        text = " ".join(str(data.get(field) or "").split())
        if len(text) > limit:
            errors.setdefault(field, []).append(_("%(limit)s caractères au plus.") % {"limit": limit})
        data[field] = text

    kiosk_id = data.get("kiosk_id")
    if kiosk_id not in (None, ""):
        try:
            kiosk_id = int(kiosk_id)
            if kiosk_id < 1:
                raise ValueError
        except (TypeError, ValueError):
            errors.setdefault("kiosk_id", []).append(_("Borne inconnue."))
            kiosk_id = None
    else:
        kiosk_id = None
    data["kiosk_id"] = kiosk_id

    if kind == AccompanimentKind.PROCEDURE:
        if not data["help_reason"]:
            errors.setdefault("help_reason", []).append(_("Indiquez pourquoi la personne avait besoin d'aide."))
        if not data["outcome"]:
            errors.setdefault("outcome", []).append(_("Indiquez le résultat de la démarche."))

    beneficiary = data.get("beneficiary")
    session = data.get("session")
    if kind == AccompanimentKind.COLLECTIVE:
        if beneficiary is not None:
            errors.setdefault("beneficiary", []).append(
                _("Un atelier collectif reste anonyme : il ne peut pas être rattaché à une personne suivie.")
            )
        participants = _count(data.get("participants"), "participants", errors)
        if participants < 1 and "participants" not in errors:
            errors.setdefault("participants", []).append(_("Il faut au moins un participant."))
        for field in COUNT_FIELDS:
            data[field] = _count(data.get(field), field, errors)
        if participants >= 1 and "participants" not in errors:
            for dimension, fields in COUNT_DIMENSIONS.items():
                total = sum(data[field] for field in fields)
                if total != participants and not any(field in errors for field in fields):
                    errors.setdefault(f"{dimension}_counts", []).append(
                        _(
                            "Répartition par %(dimension)s : %(total)s personne(s) comptée(s) "
                            "pour %(participants)s participant(s). Les deux nombres doivent être égaux."
                        )
                        % {"dimension": dimension_label(dimension), "total": total, "participants": participants}
                    )
        data["participants"] = participants
    else:
        data["participants"] = 1
        for field in COUNT_FIELDS:
            data[field] = 0
        if session is not None:
            errors.setdefault("session", []).append(_("Seul un atelier collectif se rattache à une séance."))

    if beneficiary is not None and isinstance(place, Place):
        if not isinstance(beneficiary, Beneficiary) or beneficiary.place_id != place.pk:
            errors.setdefault("beneficiary", []).append(_("Cette personne n'est pas suivie dans cette structure."))
        elif not actor.has_perm("mediation.follow_beneficiary", place) and not is_manager(actor):
            errors.setdefault("beneficiary", []).append(_("Seul un médiateur de la structure suit des personnes."))

    if session is not None and isinstance(place, Place):
        if not isinstance(session, Session) or session.place_id != place.pk:
            errors.setdefault("session", []).append(_("Cette séance n'a pas lieu dans cette structure."))
        else:
            others = Accompaniment.objects.filter(session=session, kind=AccompanimentKind.COLLECTIVE)
            if existing is not None:
                others = others.exclude(pk=existing.pk)
            if others.exists():
                errors.setdefault("session", []).append(_("Le compte-rendu de cette séance est déjà enregistré."))

    if errors:
        raise AccompanimentError(errors)
    return data


def _integrity_error(exc: IntegrityError) -> AccompanimentError:
    text = str(exc)
    for dimension in COUNT_DIMENSIONS:
        if f"accompaniment_{dimension}_sum" in text:
            return AccompanimentError(
                {
                    f"{dimension}_counts": [
                        _("Répartition par %(dimension)s : le total ne correspond pas au nombre de participants.")
                        % {"dimension": dimension_label(dimension)}
                    ]
                }
            )
    return AccompanimentError(_("L'accompagnement n'a pas pu être enregistré : vérifiez les valeurs saisies."))


def _push_retention(beneficiary: Beneficiary | None, day: dt.date) -> None:
    if beneficiary is None:
        return
    until = retention_date(day)
    if until > beneficiary.retention_until:
        Beneficiary.objects.filter(pk=beneficiary.pk).update(retention_until=until)
        beneficiary.retention_until = until


def _replayed(actor: Any, submit_token: str) -> Accompaniment | None:
    """The record already created by this person with this form token (a double submit)."""
    if not submit_token:
        return None
    since = timezone.now() - DOUBLE_SUBMIT_WINDOW
    entry = (
        JournalEntry.objects.filter(
            actor_id=actor.pk,
            action="accompaniment.created",
            created_at__gte=since,
            data__submit_token=submit_token,
        )
        .order_by("-pk")
        .first()
    )
    if entry is None:
        return None
    return Accompaniment.objects.filter(pk=entry.target_id).first()


# --- accompaniments ----------------------------------------------------------------------------


@transaction.atomic
def accompaniment_create(
    *,
    actor: User,
    place: Place,
    kind: str,
    date: dt.date,
    duration_minutes: int,
    place_type: str = PlaceType.ON_SITE,
    themes: Iterable[str] = (),
    admin_themes: Iterable[str] = (),
    equipment_used: Iterable[str] = (),
    autonomy: str = "",
    oriented_to: str = "",
    help_reason: str = "",
    outcome: str = "",
    kiosk_id: int | None = None,
    beneficiary: Beneficiary | None = None,
    session: Session | None = None,
    notes: str = "",
    participants: int = 1,
    counts: dict[str, int] | None = None,
    new_beneficiary: dict[str, Any] | None = None,
    submit_token: str = "",
) -> Accompaniment:
    """Record one accompaniment (CRA) written by ``actor`` at ``place``.

    ``counts`` holds the anonymous counts of a collective workshop (``gender_female``,
    ``age_60_69``…). ``new_beneficiary`` (the keyword arguments of ``beneficiary_create``
    but actor and place) follows a new person with their consent, in the same transaction.
    ``submit_token`` (the form's one-time token) makes a repeated POST of the same form
    return the record already created (with ``replayed = True``) instead of a second one.
    """
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise PermissionDenied(_("Connectez-vous pour enregistrer un accompagnement."))
    if submit_token:
        # One writer per person at a time: a double submit waits for the first and finds it.
        list(lock_for_update(User.objects.filter(pk=actor.pk)).values_list("pk", flat=True))
        previous = _replayed(actor, submit_token)
        if previous is not None:
            previous.replayed = True  # type: ignore[attr-defined]
            return previous
    unknown = set(counts or {}) - set(COUNT_FIELDS)
    if unknown:
        raise ValueError(f"unknown counts: {sorted(unknown)}")
    arguments = {
        "kind": kind,
        "place": place,
        "date": date,
        "duration_minutes": duration_minutes,
        "place_type": place_type,
        "themes": themes,
        "admin_themes": admin_themes,
        "equipment_used": equipment_used,
        "autonomy": autonomy,
        "oriented_to": oriented_to,
        "help_reason": help_reason,
        "outcome": outcome,
        "kiosk_id": kiosk_id,
        "beneficiary": beneficiary,
        "session": session,
        "notes": notes,
        "participants": participants,
        "counts": counts,
    }
    if new_beneficiary is not None and beneficiary is None:
        if kind != AccompanimentKind.INDIVIDUAL:
            raise AccompanimentError(
                {"follow": [_("Seul un accompagnement individuel peut être rattaché à une personne suivie.")]}
            )
        # Both checked first, so that every mistake is said at once.
        errors: dict[str, list[str]] = {}
        for check in (
            lambda: _clean({**_record_values(arguments), "beneficiary": None}, actor=actor),
            lambda: _check_new_beneficiary(actor=actor, place=place, **new_beneficiary),
        ):
            try:
                check()
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    errors.setdefault(field, []).extend(messages)
        if errors:
            raise AccompanimentError(errors)
        beneficiary = beneficiary_create(actor=actor, place=place, **new_beneficiary)
        arguments["beneficiary"] = beneficiary
    data = _clean(_record_values(arguments), actor=actor)
    try:
        with transaction.atomic():
            accompaniment = Accompaniment.objects.create(author=actor, **data)
    except IntegrityError as exc:
        raise _integrity_error(exc) from exc
    _push_retention(beneficiary, accompaniment.date)
    journal.record(
        actor=actor,
        action="accompaniment.created",
        target=accompaniment,
        data={
            "kind": accompaniment.kind,
            "place": place.pk,
            "participants": accompaniment.participants,
            **({"submit_token": submit_token} if submit_token else {}),
        },
    )
    accompaniment.replayed = False  # type: ignore[attr-defined]
    return accompaniment


def _record_values(arguments: dict[str, Any]) -> dict[str, Any]:
    """The model values of ``accompaniment_create``'s arguments."""
    names = EDITABLE_FIELDS - set(COUNT_FIELDS)
    return {**{name: arguments[name] for name in names}, **(arguments.get("counts") or {})}


@transaction.atomic
def accompaniment_update(*, actor: User, accompaniment: Accompaniment, **changes: Any) -> Accompaniment:
    """Change a record (author within ``EDIT_WINDOW_DAYS`` days, or the programme team).

    ``changes`` are model field names (``EDITABLE_FIELDS``); the whole record is checked again.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise ValueError(f"accompaniment_update cannot change {sorted(unknown)}")
    locked = lock_for_update(Accompaniment.objects.filter(pk=accompaniment.pk)).first()
    if locked is None:
        raise AccompanimentError(_("Cet accompagnement a été supprimé entre-temps."))
    if not may_change(actor, locked):
        raise PermissionDenied(_("Vous ne pouvez plus modifier cet accompagnement."))
    values = {field: getattr(locked, field) for field in EDITABLE_FIELDS}
    values.update(changes)
    data = _clean(values, actor=actor, existing=locked)
    changed = sorted(field for field in data if getattr(locked, field) != data[field])
    for field, value in data.items():
        setattr(locked, field, value)
    try:
        with transaction.atomic():
            locked.save()
    except IntegrityError as exc:
        raise _integrity_error(exc) from exc
    _push_retention(locked.beneficiary, locked.date)
    journal.record(actor=actor, action="accompaniment.updated", target=locked, data={"fields": changed})
    accompaniment.__dict__.update(locked.__dict__)
    return locked


@transaction.atomic
def accompaniment_delete(*, actor: User, accompaniment: Accompaniment) -> None:
    """Delete a record (author within ``EDIT_WINDOW_DAYS`` days, or the programme team)."""
    if not may_change(actor, accompaniment):
        raise PermissionDenied(_("Vous ne pouvez plus supprimer cet accompagnement."))
    label = journal.journal_label(accompaniment)
    pk = accompaniment.pk
    deleted, _detail = Accompaniment.objects.filter(pk=pk).delete()
    if deleted:
        journal.record(
            actor=actor,
            action="accompaniment.deleted",
            data={"accompaniment": pk, "label": label, "kind": accompaniment.kind, "place": accompaniment.place_id},
        )


def session_prefill(session: Session) -> dict[str, Any]:
    """What a collective record of ``session`` starts with: date, duration, place, themes and
    the number of people marked present (confirmed registrations with ``attended``)."""
    starts = timezone.localtime(session.starts_at)
    minutes = int((session.ends_at - session.starts_at).total_seconds() // 60)
    present = session.registrations.filter(status=RegistrationStatus.CONFIRMED, attended=True).count()
    return {
        "kind": AccompanimentKind.COLLECTIVE,
        "place": session.place,
        "date": starts.date(),
        "duration_minutes": max(MIN_DURATION, min(MAX_DURATION, minutes)),
        "themes": list(session.workshop.themes),
        "participants": present,
        "session": session,
    }


# --- beneficiaries (followed people) -------------------------------------------------------------


def _clean_beneficiary(
    *,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    email: str = "",
    commune: Commune | None = None,
    birth_year: int | None = None,
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    first_name = " ".join((first_name or "").split())
    last_name = " ".join((last_name or "").split())
    phone = " ".join((phone or "").split())
    email = (email or "").strip()
    if not first_name:
        errors.setdefault("first_name", []).append(_("Indiquez le prénom."))
    elif len(first_name) > 80:
        errors.setdefault("first_name", []).append(_("80 caractères au plus."))
    if not last_name:
        errors.setdefault("last_name", []).append(_("Indiquez le nom."))
    elif len(last_name) > 80:
        errors.setdefault("last_name", []).append(_("80 caractères au plus."))
    if phone and (len(phone) > 30 or sum(c.isdigit() for c in phone) < 6 or any(c.isalpha() for c in phone)):
        errors.setdefault("phone", []).append(_("Numéro de téléphone invalide (par exemple 04 71 00 00 00)."))
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.setdefault("email", []).append(_("Adresse électronique invalide."))
    if commune is not None and not isinstance(commune, Commune):
        errors.setdefault("commune", []).append(_("Commune inconnue."))
    if birth_year not in (None, ""):
        try:
            birth_year = int(birth_year)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            errors.setdefault("birth_year", []).append(_("Saisissez une année (par exemple 1948)."))
            birth_year = None
        else:
            this_year = timezone.localdate().year
            if not 1900 <= birth_year <= this_year:
                errors.setdefault("birth_year", []).append(
                    _("L'année de naissance doit être comprise entre 1900 et %(year)s.") % {"year": this_year}
                )
    else:
        birth_year = None
    if errors:
        raise AccompanimentError(errors)
    return {
        "first_name": first_name,
        "last_name": last_name,
        "phone": phone,
        "email": email,
        "commune": commune,
        "birth_year": birth_year,
    }


def _check_new_beneficiary(*, actor: Any, place: Place, consent: bool = True, **fields: Any) -> dict[str, Any]:
    if actor is None or not isinstance(place, Place) or not actor.has_perm("mediation.follow_beneficiary", place):
        raise AccompanimentError({"follow": [_("Seul un médiateur de la structure peut suivre une personne.")]})
    errors: dict[str, list[str]] = {}
    if consent is not True:
        errors["consent"] = [
            _("Une personne n'est suivie qu'avec son accord : cochez la case une fois l'accord recueilli.")
        ]
    try:
        data = _clean_beneficiary(**fields)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise AccompanimentError(errors)
    return data


@transaction.atomic
def beneficiary_create(
    *,
    actor: User,
    place: Place,
    first_name: str,
    last_name: str,
    phone: str = "",
    email: str = "",
    commune: Commune | None = None,
    birth_year: int | None = None,
    consent: bool = True,
) -> Beneficiary:
    """Follow a person at ``place`` (a mediator of the place, with the person's consent)."""
    if actor is None or not actor.has_perm("mediation.follow_beneficiary", place):
        raise PermissionDenied(_("Seul un médiateur de la structure peut suivre une personne."))
    data = _check_new_beneficiary(
        actor=actor,
        place=place,
        consent=consent,
        first_name=first_name,
        last_name=last_name,
        phone=phone,
        email=email,
        commune=commune,
        birth_year=birth_year,
    )
    now = timezone.now()
    beneficiary = Beneficiary.objects.create(
        **data,
        place=place,
        consent_at=now,
        consent_by=actor,
        retention_until=retention_date(timezone.localdate(now)),
    )
    journal.record(actor=actor, action="beneficiary.created", target=beneficiary, data={"place": place.pk})
    return beneficiary


def beneficiary_export(*, actor: User, beneficiary: Beneficiary) -> dict[str, Any]:
    """Everything kept about a followed person, for that person (right of access)."""
    if actor is None or not actor.has_perm("mediation.view_beneficiary", beneficiary):
        raise PermissionDenied(_("Vous n'avez pas accès à cette personne."))
    records = beneficiary.accompaniments.select_related("place").order_by("date", "pk")
    kind_labels = dict(AccompanimentKind.choices)
    theme_field = Accompaniment._meta.get_field("themes")
    admin_field = Accompaniment._meta.get_field("admin_themes")
    equipment_field = Accompaniment._meta.get_field("equipment_used")
    data = {
        "personne": {
            "prenom": beneficiary.first_name,
            "nom": beneficiary.last_name,
            "telephone": beneficiary.phone,
            "courriel": beneficiary.email,
            "commune": beneficiary.commune.name if beneficiary.commune is not None else "",
            "annee_naissance": beneficiary.birth_year,
            "lieu_de_suivi": beneficiary.place.name if beneficiary.place is not None else "",
            "consentement_recueilli_le": timezone.localtime(beneficiary.consent_at).isoformat(),
            "conserve_jusqu_au": beneficiary.retention_until.isoformat(),
        },
        "accompagnements": [
            {
                "date": record.date.isoformat(),
                "type": str(kind_labels.get(record.kind, record.kind)),
                "structure": record.place.name,
                "duree_minutes": record.duration_minutes,
                "lieu": record.get_place_type_display(),
                "thematiques": theme_field.labels(record.themes),  # type: ignore[attr-defined]
                "demarches": admin_field.labels(record.admin_themes),  # type: ignore[attr-defined]
                "materiel": equipment_field.labels(record.equipment_used),  # type: ignore[attr-defined]
                "autonomie": record.get_autonomy_display(),
                "orientation": record.oriented_to,
                "remarque": record.notes,
            }
            for record in records
        ],
        "exporte_le": timezone.localtime().isoformat(),
    }
    journal.record(actor=actor, action="beneficiary.exported", target=beneficiary)
    return data


@transaction.atomic
def beneficiary_erase(*, actor: User | None, beneficiary: Beneficiary, reason: str = "request") -> int:
    """Delete a followed person; their accompaniments stay, anonymous. Returns how many.

    The free-text remark of those accompaniments goes too: written about a named person, it
    may name them ("Mme D. revient pour…"), and nothing about the person may stay behind.
    ``actor=None`` is the system (the retention job)."""
    if actor is not None and not actor.has_perm("mediation.erase_beneficiary", beneficiary):
        raise PermissionDenied(_("Vous ne pouvez pas effacer cette personne."))
    kept = Accompaniment.objects.filter(beneficiary_id=beneficiary.pk).update(beneficiary=None, notes="")
    pk = beneficiary.pk
    label = journal.journal_label(beneficiary)
    Beneficiary.objects.filter(pk=pk).delete()
    journal.record(
        actor=actor,
        action="beneficiary.erased",
        data={"beneficiary": pk, "label": label, "anonymous_accompaniments": kept, "reason": reason},
    )
    return kept


def beneficiary_purge_expired(*, today: dt.date | None = None) -> int:
    """Erase the followed people whose retention date has passed (journalled as the system).
    Returns how many were erased. Each person is erased in their own transaction."""
    today = today or timezone.localdate()
    erased = 0
    for pk in Beneficiary.objects.filter(retention_until__lt=today).values_list("pk", flat=True).iterator():
        with transaction.atomic():
            beneficiary = lock_for_update(Beneficiary.objects.filter(pk=pk, retention_until__lt=today)).first()
            if beneficiary is None:  # pushed back or erased meanwhile
                continue
            beneficiary_erase(actor=None, beneficiary=beneficiary, reason="retention")
            erased += 1
    return erased
