"""Every write about mediators, the département's hiring aid and the labels of places.

- A mediator's EPN are their role memberships (role ``mediator`` scoped to a place): this
  module grants and ends them through ``accounts.services.role_grant`` / ``role_end``, so
  permissions and the profile read one source of truth.
- Hiring aid: the amount committed is the yearly amount prorated by whole months of the
  period (``committed_for``), rounded half-up to the cent once; payments never exceed it
  (the aid row is locked while the total is checked).
- Labels: the history is the rows of ``PlaceLabel``; the labels valid today are copied into
  the place's LMN fields (``dispositif_programmes_nationaux``, ``autres_formations_labels``)
  through ``places.services.place_update``, so the national export carries them.

Refusals are ``ValidationError`` (French message, keyed by field when one is concerned) or
``NotAllowed`` (the actor may not do this). ``actor=None`` is the platform itself (demo data,
periodic jobs).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts import services as accounts_services
from cybercantal.accounts.models import Organisation, Role, RoleMembership, User
from cybercantal.accounts.services import NotAllowed, require_permission
from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.money import format_euros, round_cents
from cybercantal.mediation.models import (
    HiringAid,
    HiringAidPayment,
    LabelKind,
    Mediator,
    PlaceLabel,
    Qualification,
)
from cybercantal.places import services as places_services
from cybercantal.places.models import Place, PlaceKind, PlaceOffer
from cybercantal.places.schema import DispositifProgrammeNational

__all__ = [
    "EPN_ONLY_LABELS",
    "NotAllowed",
    "committed_for",
    "hiring_aid_cancel",
    "hiring_aid_create",
    "hiring_aid_end",
    "hiring_aid_payment_record",
    "is_epn_like",
    "mediator_create",
    "mediator_set_places",
    "mediator_update",
    "place_label_add",
    "place_label_end",
    "place_label_remove",
    "place_labels_sync_lmn",
    "whole_months",
]

_UNSET: Any = object()

# Employers of mediators: the kinds of organisation the programme subsidises.
EMPLOYER_KINDS = (Organisation.Kind.COMMUNE, Organisation.Kind.EPCI, Organisation.Kind.ASSOCIATION)


_require = require_permission


def _date(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def is_epn_like(place: Place) -> bool:
    """An EPN by kind, or a place that offers an EPN (a médiathèque with an EPN room)."""
    return place.kind == PlaceKind.EPN or PlaceOffer.EPN in (place.offers or [])


# --- Mediators -------------------------------------------------------------------------------


def _check_qualifications(qualifications: Iterable[str]) -> list[str]:
    values = list(dict.fromkeys(qualifications))
    unknown = [value for value in values if value not in Qualification.values]
    if unknown:
        raise ValidationError(
            {"qualifications": _("Qualification inconnue : %(values)s.") % {"values": ", ".join(unknown)}}
        )
    return values


def _check_places(places: Iterable[Place]) -> list[Place]:
    places = list(dict.fromkeys(places))
    wrong = [place.name for place in places if not is_epn_like(place)]
    if wrong:
        raise ValidationError(
            {
                "places": _("Un médiateur travaille dans un EPN : « %(names)s » n'en est pas un.")
                % {"names": ", ".join(wrong)}
            }
        )
    return places


def _check_employer(employer: Organisation | None) -> None:
    if employer is not None and employer.kind not in EMPLOYER_KINDS:
        raise ValidationError(
            {"employer": _("L'employeur doit être une commune, une communauté de communes ou une association.")}
        )


def _new_user(*, email: str, first_name: str, last_name: str) -> User:
    """Create the person through accounts' ``user_save`` (journal ``account.created``).

    The platform is the actor of that entry: creating a person in general is an administrator's
    right, creating one *as a mediator* is the programme manager's, checked by the caller and
    journalled as ``mediator.created``.
    """
    email = (email or "").strip().lower()
    errors: dict[str, str] = {}
    if not email:
        errors["email"] = _("Indiquez l'adresse électronique du médiateur.")
    else:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Cette adresse électronique n'est pas valide.")
    if not (first_name or "").strip():
        errors["first_name"] = _("Indiquez le prénom.")
    if not (last_name or "").strip():
        errors["last_name"] = _("Indiquez le nom.")
    if errors:
        raise ValidationError(errors)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("Une personne a déjà un compte avec cette adresse.")})
    user = User(email=email, first_name=first_name.strip(), last_name=last_name.strip())
    user.set_unusable_password()  # they choose one with "mot de passe oublié"
    try:
        with transaction.atomic():
            accounts_services.user_save(
                actor=None, user=user, created=True, fields=["email", "first_name", "last_name"]
            )
    except IntegrityError as exc:  # the same address typed at the same moment elsewhere
        raise ValidationError({"email": _("Une personne a déjà un compte avec cette adresse.")}) from exc
    return user


def _active_place_memberships(user: User, on: dt.date | None = None) -> list[RoleMembership]:
    from django.contrib.contenttypes.models import ContentType

    place_type = ContentType.objects.get_for_model(Place)
    return list(
        RoleMembership.objects.filter(user=user, role=Role.MEDIATOR, scope_type=place_type)
        .active(on or timezone.localdate())
        .order_by("pk")
    )


def _grant_places(actor: User | None, user: User, places: Iterable[Place], starts_on: dt.date) -> list[int]:
    held = {m.scope_id for m in _active_place_memberships(user)}
    granted = []
    for place in places:
        if place.pk in held:
            continue
        accounts_services.role_grant(actor=actor, user=user, role=Role.MEDIATOR, scope=place, starts_on=starts_on)
        granted.append(place.pk)
    return granted


@transaction.atomic
def mediator_create(
    *,
    actor: User | None,
    user: User | None = None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    employer: Organisation | None = None,
    qualifications: Iterable[str] = (),
    qualifications_other: str = "",
    professional_phone: str = "",
    started_on: dt.date | None = None,
    places: Iterable[Place] = (),
) -> Mediator:
    """Create a mediator's profile and give them the role mediator on each EPN of ``places``.

    ``user`` is an existing person; without one, a person is created from ``email`` and names.
    """
    _require(actor, "mediation.manage_mediators")
    qualifications = _check_qualifications(qualifications)
    places = _check_places(places)
    _check_employer(employer)
    if user is None:
        user = _new_user(email=email, first_name=first_name, last_name=last_name)
        user_created = True
    else:
        User.objects.select_for_update().filter(pk=user.pk).first()
        user_created = False
        if Mediator.objects.filter(user=user).exists():
            raise ValidationError({"email": _("Cette personne a déjà un profil de médiateur.")})
    try:
        with transaction.atomic():
            mediator = Mediator.objects.create(
                user=user,
                employer=employer,
                qualifications=qualifications,  # type: ignore[misc]  # MultiChoiceField takes a list
                qualifications_other=qualifications_other.strip(),
                professional_phone=professional_phone.strip(),
                started_on=started_on,
            )
    except IntegrityError as exc:
        raise ValidationError({"email": _("Cette personne a déjà un profil de médiateur.")}) from exc
    granted = _grant_places(actor, user, places, started_on or timezone.localdate())
    journal.record(
        actor=actor,
        action="mediator.created",
        target=mediator,
        data={"user_id": user.pk, "user_created": user_created, "places": granted},
    )
    return mediator


@transaction.atomic
def mediator_update(
    *,
    actor: User | None,
    mediator: Mediator,
    employer: Organisation | None = _UNSET,
    qualifications: Iterable[str] = _UNSET,
    qualifications_other: str = _UNSET,
    professional_phone: str = _UNSET,
    started_on: dt.date | None = _UNSET,
) -> Mediator:
    """Change the given fields of a profile (the others stay). No journal entry when nothing changed."""
    _require(actor, "mediation.manage_mediators")
    locked = Mediator.objects.select_for_update().get(pk=mediator.pk)
    changes: dict[str, Any] = {}
    if employer is not _UNSET:
        _check_employer(employer)
        changes["employer"] = employer
    if qualifications is not _UNSET:
        changes["qualifications"] = _check_qualifications(qualifications)
    if qualifications_other is not _UNSET:
        changes["qualifications_other"] = qualifications_other.strip()
    if professional_phone is not _UNSET:
        changes["professional_phone"] = professional_phone.strip()
    if started_on is not _UNSET:
        changes["started_on"] = started_on
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, changes[name])
    if changed:
        locked.save()
        journal.record(actor=actor, action="mediator.updated", target=locked, data={"fields": sorted(changed)})
    return locked


@transaction.atomic
def mediator_set_places(
    *, actor: User | None, mediator: Mediator, places: Iterable[Place], on: dt.date | None = None
) -> Mediator:
    """Make ``places`` the EPN the mediator works in from ``on`` (today).

    A new place gets a membership starting ``on``; a place left gets its membership ended the
    day before ``on`` (its last day), or on its own first day when it only started then.
    """
    _require(actor, "mediation.manage_mediators")
    places = _check_places(places)
    on = on or timezone.localdate()
    user = User.objects.select_for_update().get(pk=mediator.user_id)
    wanted = {place.pk for place in places}
    ended = []
    for membership in _active_place_memberships(user, on):
        if membership.scope_id not in wanted:
            last_day = max(membership.starts_on, on - dt.timedelta(days=1))
            accounts_services.role_end(actor=actor, membership=membership, on=last_day)
            ended.append(membership.scope_id)
    granted = _grant_places(actor, user, places, on)
    if granted or ended:
        journal.record(
            actor=actor,
            action="mediator.places_set",
            target=mediator,
            data={"added": granted, "removed": ended, "on": on.isoformat()},
        )
    return mediator


# --- Hiring aid ------------------------------------------------------------------------------


def whole_months(starts_on: dt.date, ends_on: dt.date) -> int:
    """Whole months in the period from ``starts_on`` to ``ends_on`` (both included).

    A month counts when the period covers it from the day of ``starts_on`` to the day before
    the same day of the next month: 1 January – 31 December is 12, 1 January – 30 June of the
    next year is 18, 15 March – 14 October is 7. A started month that is not whole does not
    count (the aid pays for whole months of work).
    """
    after = ends_on + dt.timedelta(days=1)  # the first day not covered
    months = (after.year - starts_on.year) * 12 + (after.month - starts_on.month)
    if after.day < starts_on.day:
        months -= 1
    return max(months, 0)


def committed_for(amount_per_year: Decimal, starts_on: dt.date, ends_on: dt.date) -> Decimal:
    """The amount committed for an aid: ``amount_per_year × whole months ÷ 12``, rounded half-up
    to the cent once (never the monthly amount rounded then multiplied).

    15 000 € a year over 12 months is 15 000,00 €; over 18 months 22 500,00 €; 10 000 € a
    year over 7 months is 5 833,33 €.
    """
    return round_cents(Decimal(amount_per_year) * whole_months(starts_on, ends_on) / 12)


def _money(value: Any, field: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError("Money is never a float.")
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise ValidationError({field: _("Indiquez un montant en euros, par exemple 15000 ou 1250,50.")}) from exc
    if not amount.is_finite():
        raise ValidationError({field: _("Indiquez un montant en euros, par exemple 15000 ou 1250,50.")})
    if amount != round_cents(amount):
        raise ValidationError({field: _("Un montant a au plus deux chiffres après la virgule.")})
    if amount <= 0:
        raise ValidationError({field: _("Le montant doit être supérieur à zéro.")})
    if amount >= Decimal("10000000"):
        raise ValidationError({field: _("Ce montant est trop élevé.")})
    return amount


@transaction.atomic
def hiring_aid_create(
    *,
    actor: User | None,
    mediator: Mediator,
    employer: Organisation,
    amount_per_year: Decimal,
    starts_on: dt.date,
    ends_on: dt.date,
    conditions: str = "",
    decided_on: dt.date | None = None,
) -> HiringAid:
    """Record the département's decision to subsidise ``employer`` for hiring ``mediator``.

    The committed amount is ``committed_for(...)``. Two aids for the same mediator may not
    cover the same days (the mediator's row is locked while this is checked).
    """
    _require(actor, "mediation.manage_hiring_aid")
    amount_per_year = _money(amount_per_year, "amount_per_year")
    if employer is None:
        raise ValidationError({"employer": _("Indiquez l'employeur aidé.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("La fin doit être postérieure ou égale au début.")})
    if whole_months(starts_on, ends_on) < 1:
        raise ValidationError({"ends_on": _("La période doit couvrir au moins un mois entier.")})
    lock_for_update(Mediator.objects.filter(pk=mediator.pk)).first()
    overlapping = (
        HiringAid.objects.filter(mediator=mediator, starts_on__lte=ends_on, ends_on__gte=starts_on)
        .exclude(status=HiringAid.Status.CANCELLED)
        .first()
    )
    if overlapping is not None:
        raise ValidationError(
            {
                "starts_on": _("Une aide couvre déjà ce médiateur du %(start)s au %(end)s.")
                % {"start": _date(overlapping.starts_on), "end": _date(overlapping.ends_on)}
            }
        )
    try:
        with transaction.atomic():
            aid = HiringAid.objects.create(
                mediator=mediator,
                employer=employer,
                amount_per_year=amount_per_year,
                starts_on=starts_on,
                ends_on=ends_on,
                committed_amount=committed_for(amount_per_year, starts_on, ends_on),
                conditions=conditions.strip(),
                decided_on=decided_on,
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("L'aide n'a pas pu être enregistrée : les montants ou les dates sont incohérents.")
        ) from exc
    journal.record(
        actor=actor,
        action="hiring_aid.created",
        target=aid,
        data={
            "mediator_id": mediator.pk,
            "employer_id": employer.pk,
            "amount_per_year": str(amount_per_year),
            "committed_amount": str(aid.committed_amount),
            "starts_on": starts_on.isoformat(),
            "ends_on": ends_on.isoformat(),
        },
    )
    return aid


def _paid(aid: HiringAid) -> Decimal:
    return HiringAidPayment.objects.filter(aid=aid).aggregate(total=Sum("amount"))["total"] or Decimal("0.00")


@transaction.atomic
def hiring_aid_payment_record(
    *, actor: User | None, aid: HiringAid, paid_on: dt.date, amount: Decimal, reference: str = ""
) -> HiringAidPayment:
    """Record a payment of the aid. The total paid never exceeds the committed amount: the aid
    row is locked, so two simultaneous payments are checked one after the other."""
    _require(actor, "mediation.manage_hiring_aid")
    amount = _money(amount, "amount")
    if paid_on is None:
        raise ValidationError({"paid_on": _("Indiquez la date du versement.")})
    locked = lock_for_update(HiringAid.objects.filter(pk=aid.pk)).get()
    if locked.status == HiringAid.Status.CANCELLED:
        raise ValidationError(_("Cette aide est annulée : on ne peut plus rien y verser."))
    remaining = locked.committed_amount - _paid(locked)
    if amount > remaining:
        raise ValidationError(
            {
                "amount": _("Ce versement dépasserait le montant engagé : il reste %(remaining)s à verser.")
                % {"remaining": format_euros(remaining)}
            }
        )
    payment = HiringAidPayment.objects.create(
        aid=locked, paid_on=paid_on, amount=amount, reference=reference.strip(), recorded_by=actor
    )
    journal.record(
        actor=actor,
        action="hiring_aid.payment_recorded",
        target=locked,
        data={"payment_id": payment.pk, "amount": str(amount), "paid_on": paid_on.isoformat()},
    )
    return payment


@transaction.atomic
def hiring_aid_end(*, actor: User | None, aid: HiringAid, on: dt.date) -> HiringAid:
    """End the aid early: ``on`` becomes its last day and the committed amount is prorated to
    the shortened period (refused when more has already been paid)."""
    _require(actor, "mediation.manage_hiring_aid")
    locked = lock_for_update(HiringAid.objects.filter(pk=aid.pk)).get()
    if locked.status == HiringAid.Status.CANCELLED:
        raise ValidationError(_("Cette aide est annulée."))
    if on < locked.starts_on:
        raise ValidationError(
            {"on": _("La fin ne peut pas précéder le début de l'aide (%(date)s).") % {"date": _date(locked.starts_on)}}
        )
    if on > locked.ends_on:
        raise ValidationError({"on": _("L'aide se termine déjà le %(date)s.") % {"date": _date(locked.ends_on)}})
    committed = committed_for(locked.amount_per_year, locked.starts_on, on)
    paid = _paid(locked)
    if paid > committed:
        raise ValidationError(
            {
                "on": _("Les versements déjà faits (%(paid)s) dépassent le montant dû jusqu'à cette date (%(due)s).")
                % {"paid": format_euros(paid), "due": format_euros(committed)}
            }
        )
    previous = {"ends_on": locked.ends_on.isoformat(), "committed_amount": str(locked.committed_amount)}
    locked.ends_on = on
    locked.committed_amount = committed
    locked.status = HiringAid.Status.ENDED
    locked.save(update_fields=["ends_on", "committed_amount", "status"])
    journal.record(
        actor=actor,
        action="hiring_aid.ended",
        target=locked,
        data={"ends_on": on.isoformat(), "committed_amount": str(committed), "previous": previous},
    )
    return locked


@transaction.atomic
def hiring_aid_cancel(*, actor: User | None, aid: HiringAid) -> HiringAid:
    """Cancel an aid decided by mistake (nothing paid yet): it no longer counts as committed."""
    _require(actor, "mediation.manage_hiring_aid")
    locked = lock_for_update(HiringAid.objects.filter(pk=aid.pk)).get()
    if locked.status == HiringAid.Status.CANCELLED:
        return locked
    if HiringAidPayment.objects.filter(aid=locked).exists():
        raise ValidationError(_("Des versements ont déjà été faits : mettez fin à l'aide plutôt que de l'annuler."))
    locked.status = HiringAid.Status.CANCELLED
    locked.save(update_fields=["status"])
    journal.record(actor=actor, action="hiring_aid.cancelled", target=locked)
    return locked


# --- Labels --------------------------------------------------------------------------------------

# Labels of the EPN network itself: only an EPN (or a place offering one) carries them.
EPN_ONLY_LABELS = frozenset({LabelKind.EPN, LabelKind.NETPUBLIC})

# Label -> value of the LMN schema's ``dispositif_programmes_nationaux``.
LMN_PROGRAMMES: dict[str, str] = {
    LabelKind.FRANCE_SERVICES: DispositifProgrammeNational.FRANCE_SERVICES,
    LabelKind.AIDANTS_CONNECT: DispositifProgrammeNational.AIDANTS_CONNECT,
    LabelKind.CONSEILLERS_NUMERIQUES: DispositifProgrammeNational.CONSEILLERS_NUMERIQUES,
    LabelKind.PIX: DispositifProgrammeNational.CERTIFICATION_P_I_X,
    LabelKind.CAF: DispositifProgrammeNational.POINT_NUMERIQUE_C_A_F,
}
# Labels the schema has no value for: written as free text in ``autres_formations_labels``.
LMN_OTHER_TEXT: dict[str, str] = {LabelKind.EPN: "Label EPN", LabelKind.NETPUBLIC: "Charte NetPublic"}


def _label_text(kind: str, name: str) -> str | None:
    """The free text of a label for ``autres_formations_labels`` (None for a schema value)."""
    if kind in LMN_OTHER_TEXT:
        return LMN_OTHER_TEXT[kind]
    if kind == LabelKind.OTHER:
        return " ".join(name.replace("|", " ").split()) or None
    return None


def _current(labels: Iterable[PlaceLabel], on: dt.date) -> list[PlaceLabel]:
    return [label for label in labels if label.since <= on and (label.until is None or label.until >= on)]


def _sync_lmn(actor: User | None, place: Place, *, touched: Iterable[tuple[str, str]] = ()) -> Place:
    """Copy the labels valid today into the place's LMN fields.

    Only the values that a label of this place maps to (or ``touched``: a label just removed)
    are managed here; a value set by hand or by an import with no label row stays as it is.
    """
    on = timezone.localdate()
    labels = list(PlaceLabel.objects.filter(place=place))
    current = _current(labels, on)
    kinds_names = {(label.kind, label.name) for label in labels} | set(touched)
    managed_programmes = {LMN_PROGRAMMES[kind] for kind, _name in kinds_names if kind in LMN_PROGRAMMES}
    wanted_programmes = {LMN_PROGRAMMES[label.kind] for label in current if label.kind in LMN_PROGRAMMES}
    managed_texts = {text for kind, name in kinds_names if (text := _label_text(kind, name))}
    wanted_texts = [text for label in current if (text := _label_text(label.kind, label.name))]

    fresh = Place.objects.get(pk=place.pk)
    programmes = [v for v in fresh.dispositif_programmes_nationaux if v not in managed_programmes]
    programmes += [v for v in wanted_programmes if v not in programmes]
    order = {value: index for index, value in enumerate(DispositifProgrammeNational.values)}
    programmes.sort(key=lambda value: order.get(value, len(order)))
    texts = [t.strip() for t in fresh.autres_formations_labels.split("|") if t.strip()]
    texts = [t for t in texts if t not in managed_texts]
    for text in wanted_texts:
        if text not in texts:
            texts.append(text)
    changes: dict[str, Any] = {}
    if programmes != list(fresh.dispositif_programmes_nationaux):
        changes["dispositif_programmes_nationaux"] = programmes
    if "|".join(texts) != fresh.autres_formations_labels:
        changes["autres_formations_labels"] = "|".join(texts)
    if not changes:
        return fresh
    return places_services.place_update(actor=actor, place=fresh, **changes)


def _check_label(place: Place, kind: str, name: str, since: dt.date | None, until: dt.date | None) -> None:
    if kind not in LabelKind.values:
        raise ValidationError({"kind": _("Ce label n'existe pas.")})
    if since is None:
        raise ValidationError({"since": _("Indiquez depuis quand le lieu a ce label.")})
    if kind == LabelKind.OTHER and not name:
        raise ValidationError({"name": _("Indiquez le nom de ce label.")})
    if until is not None and until < since:
        raise ValidationError({"until": _("La fin doit être postérieure ou égale au début.")})
    if kind in EPN_ONLY_LABELS and not is_epn_like(place):
        raise ValidationError(
            {
                "kind": _(
                    "Le « %(label)s » est réservé aux espaces publics numériques : « %(place)s » n'en est pas un."
                )
                % {"label": LabelKind(kind).label, "place": place.name}
            }
        )


@transaction.atomic
def place_label_add(
    *,
    actor: User | None,
    place: Place,
    kind: str,
    since: dt.date,
    until: dt.date | None = None,
    name: str = "",
    reference: str = "",
) -> PlaceLabel:
    """Record that ``place`` holds a label from ``since`` (to ``until``, open when None).

    The same label may not be held twice over the same days; the place row is locked while
    this is checked. The LMN fields of the place follow.
    """
    _require(actor, "mediation.manage_labels")
    name = " ".join((name or "").split()) if kind == LabelKind.OTHER else ""
    _check_label(place, kind, name, since, until)
    lock_for_update(Place.objects.filter(pk=place.pk)).first()
    same = PlaceLabel.objects.filter(place=place, kind=kind, name=name)
    same = same.filter(Q(until__isnull=True) | Q(until__gte=since))
    if until is not None:
        same = same.filter(since__lte=until)
    if same.exists():
        raise ValidationError(
            {"since": _("Ce lieu a déjà ce label sur une partie de ces dates : mettez fin au précédent d'abord.")}
        )
    try:
        with transaction.atomic():
            label = PlaceLabel.objects.create(
                place=place, kind=kind, name=name, since=since, until=until, reference=reference.strip()
            )
    except IntegrityError as exc:
        raise ValidationError(_("Le label n'a pas pu être enregistré : les dates sont incohérentes.")) from exc
    journal.record(
        actor=actor,
        action="place_label.added",
        target=place,
        data={
            "label_id": label.pk,
            "kind": kind,
            "since": since.isoformat(),
            "until": until.isoformat() if until else None,
        },
    )
    _sync_lmn(actor, place)
    return label


@transaction.atomic
def place_label_end(*, actor: User | None, label: PlaceLabel, on: dt.date) -> PlaceLabel:
    """The place loses the label: ``on`` is its last day with it."""
    _require(actor, "mediation.manage_labels")
    locked = lock_for_update(PlaceLabel.objects.filter(pk=label.pk).select_related("place")).get()
    if on is None:
        raise ValidationError({"on": _("Indiquez le dernier jour du label.")})
    if on < locked.since:
        raise ValidationError(
            {"on": _("La fin ne peut pas précéder le début du label (%(date)s).") % {"date": _date(locked.since)}}
        )
    if locked.until is not None and locked.until < on:
        raise ValidationError({"on": _("Ce label a déjà pris fin le %(date)s.") % {"date": _date(locked.until)}})
    previous = locked.until
    locked.until = on
    locked.save(update_fields=["until"])
    journal.record(
        actor=actor,
        action="place_label.ended",
        target=locked.place,
        data={"label_id": locked.pk, "until": on.isoformat(), "previous": previous.isoformat() if previous else None},
    )
    _sync_lmn(actor, locked.place)
    return locked


@transaction.atomic
def place_label_remove(*, actor: User | None, label: PlaceLabel) -> None:
    """Delete a label row entered by mistake (a label that ended is ended, not removed)."""
    _require(actor, "mediation.manage_labels")
    locked = PlaceLabel.objects.select_related("place").filter(pk=label.pk).first()
    if locked is None:
        return
    place, kind, name = locked.place, locked.kind, locked.name
    data = {"label_id": locked.pk, "kind": kind, "since": locked.since.isoformat()}
    locked.delete()
    journal.record(actor=actor, action="place_label.removed", target=place, data=data)
    _sync_lmn(actor, place, touched=[(kind, name)])


def place_labels_sync_lmn(*, actor: User | None = None) -> int:
    """Bring the LMN fields of every labelled place in step with the labels valid today (a label
    starts or ends on a date, with nobody clicking then). Returns how many places changed."""
    changed = 0
    place_ids = PlaceLabel.objects.values_list("place_id", flat=True).distinct()
    for place in Place.objects.filter(pk__in=place_ids).order_by("pk"):
        with transaction.atomic():
            before = (list(place.dispositif_programmes_nationaux), place.autres_formations_labels)
            after_place = _sync_lmn(actor, place)
            if (list(after_place.dispositif_programmes_nationaux), after_place.autres_formations_labels) != before:
                changed += 1
    return changed
