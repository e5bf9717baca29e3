"""Employer agreements (conventions de télétravail): the programme team writes and signs them,
the employer's managers name their employees, the employees join with their own account.

Rules kept here (and tested in ``tests/test_agreements_services.py``):

- references follow each other per year (``CONV-2026-007``); two agreements created at the
  same moment never share one (the unique index refuses the second insert, which retries);
- an agreement goes draft → active (signed on a date, at least one telecentre) → ended; an
  end date in the future keeps it in force until that evening (``is_in_force``);
- an employee is named once per agreement (unique active email, compared in lower case, even
  when two managers add the same address at once); removing them ends their memberships under
  the agreement and cancels their future bookings through ``booking_cancel`` (the employer
  paid them: no credits come back);
- a person joins with an invitation whose address is one of their VERIFIED addresses only.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Length
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cybercantal.accounts.models import Organisation
from cybercantal.accounts.services import organisation_create, require_permission
from cybercantal.core import journal
from cybercantal.core.db import is_postgres, lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit

from ..models import (
    AgreementEmployee,
    AgreementStatus,
    Booking,
    BookingStatus,
    EmployerAgreement,
    Membership,
    Resource,
    ResourceKind,
    Telecentre,
)
from .booking import booking_cancel
from .roles import grant_teleworker_role

logger = logging.getLogger(__name__)

EMPLOYER_KINDS = (Organisation.Kind.EMPLOYER, Organisation.Kind.BUSINESS)
MAX_DAY_PRICE = Decimal("10000")
MAX_MONTHLY_FEE = Decimal("100000")
MAX_VAT_RATE = Decimal("30")
REFERENCE_ATTEMPTS = 20
MAX_IMPORT_ROWS = 500

_UNSET: Any = object()


# --- small helpers ----------------------------------------------------------------------------


def is_in_force(agreement: EmployerAgreement, on: dt.date | None = None) -> bool:
    """Signed, started, and not ended on ``on`` (today): employees may join and book."""
    on = on or timezone.localdate()
    return (
        agreement.status == AgreementStatus.ACTIVE
        and agreement.starts_on <= on
        and (agreement.ends_on is None or agreement.ends_on >= on)
    )


def is_over(agreement: EmployerAgreement, on: dt.date | None = None) -> bool:
    """Ended, or its end date has passed: nobody may be added or join any more."""
    on = on or timezone.localdate()
    return agreement.status == AgreementStatus.ENDED or (agreement.ends_on is not None and agreement.ends_on < on)


def normalise_email(value: str) -> str:
    """The address, trimmed and in lower case, or a French error on ``email``."""
    email = (value or "").strip().lower()
    if not email:
        raise ValidationError({"email": _("Indiquez l'adresse électronique professionnelle.")})
    if len(email) > 254:
        raise ValidationError({"email": _("Cette adresse est trop longue (254 caractères au plus).")})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError(
            {"email": _("Cette adresse électronique n'est pas valide (exemple : prenom.nom@entreprise.fr).")}
        ) from exc
    return email


def _name(value: str, field: str, label: str) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise ValidationError({field: _("Indiquez le %(label)s.") % {"label": label}})
    if len(text) > 100:
        raise ValidationError({field: _("100 caractères au plus.")})
    return text


def _telecentre_names(agreement: EmployerAgreement) -> str:
    return ", ".join(t.place.name for t in agreement.telecentres.select_related("place").order_by("place__name"))


def _today() -> dt.date:
    return timezone.localdate()


# --- references -------------------------------------------------------------------------------


def next_reference(year: int) -> str:
    """The next free reference of ``year``: ``CONV-2026-007`` after ``CONV-2026-006``."""
    prefix = f"CONV-{year}-"
    last = (
        EmployerAgreement.objects.filter(reference__startswith=prefix)
        .order_by(Length("reference").desc(), "-reference")
        .values_list("reference", flat=True)
        .first()
    )
    number = 0
    if last is not None and last[len(prefix) :].isdigit():
        number = int(last[len(prefix) :])
    return f"{prefix}{number + 1:03d}"


def _insert_with_reference(agreement: EmployerAgreement) -> None:
    """Insert under the next reference of the year; on a collision (another agreement created
    at the same moment took it), read the next one again and retry."""
    year = _today().year
    for _attempt in range(REFERENCE_ATTEMPTS):
        agreement.reference = next_reference(year)
        try:
            with transaction.atomic():  # savepoint: the outer transaction survives the collision
                agreement.save(force_insert=True)
        except IntegrityError:
            if not EmployerAgreement.objects.filter(reference=agreement.reference).exists():
                raise
            agreement.pk = None
            continue
        return
    raise ValidationError(_("Trop de conventions sont créées en même temps : réessayez dans un instant."))


# --- the terms --------------------------------------------------------------------------------


def _check_terms(
    *,
    telecentres: Sequence[Telecentre] | None,
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    days_per_week: int | None,
    day_price_excl_tax: Decimal | None,
    monthly_fee_excl_tax: Decimal | None,
    vat_rate: Decimal | None,
) -> None:
    errors: dict[str, str] = {}
    if telecentres is not None and not list(telecentres):
        errors["telecentres"] = _("Choisissez au moins un télécentre.")
    if starts_on is None:
        errors["starts_on"] = _("Indiquez la date de début.")
    elif ends_on is not None and ends_on < starts_on:
        errors["ends_on"] = _("La fin doit suivre le début (%(date)s).") % {"date": date_format(starts_on, "j F Y")}
    if days_per_week is None or not 1 <= days_per_week <= 5:
        errors["days_per_week"] = _("De 1 à 5 jours par semaine.")
    if day_price_excl_tax is None or not Decimal(0) <= day_price_excl_tax <= MAX_DAY_PRICE:
        errors["day_price_excl_tax"] = _("Un prix entre 0 et 10 000 € HT.")
    if monthly_fee_excl_tax is None or not Decimal(0) <= monthly_fee_excl_tax <= MAX_MONTHLY_FEE:
        errors["monthly_fee_excl_tax"] = _("Un forfait entre 0 et 100 000 € HT (0 : pas de forfait).")
    if vat_rate is None or not Decimal(0) <= vat_rate <= MAX_VAT_RATE:
        errors["vat_rate"] = _("Un taux entre 0 et 30 %.")
    if errors:
        raise ValidationError(errors)


def _resolve_employer(
    *, actor: Any, employer: Organisation | None, employer_name: str, employer_siret: str
) -> Organisation:
    if employer is not None:
        if employer.kind not in EMPLOYER_KINDS:
            raise ValidationError({"employer": _("Choisissez un employeur ou une entreprise.")})
        return employer
    name = " ".join((employer_name or "").split())
    if not name:
        raise ValidationError(
            {"employer": _("Choisissez l'employeur, ou indiquez le nom et le SIRET d'un nouvel employeur.")}
        )
    if not (employer_siret or "").strip():
        raise ValidationError({"employer_siret": _("Indiquez le SIRET du nouvel employeur (14 chiffres).")})
    if len(name) > 200:
        raise ValidationError({"employer_name": _("200 caractères au plus.")})
    try:
        return organisation_create(actor=actor, name=name, kind=Organisation.Kind.EMPLOYER, siret=employer_siret)
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and "siret" in exc.error_dict:
            messages = [m for error in exc.error_dict["siret"] for m in error.messages]
            digits = "".join(c for c in employer_siret if c.isdigit())
            if len(digits) == 14 and Organisation.objects.filter(siret=digits).exists():
                messages = [_("Un employeur porte déjà ce SIRET : choisissez-le dans la liste.")]
            raise ValidationError({"employer_siret": messages}) from exc
        raise


@transaction.atomic
def agreement_create(
    *,
    actor: Any,
    telecentres: Sequence[Telecentre],
    starts_on: dt.date,
    days_per_week: int,
    day_price_excl_tax: Decimal,
    employer: Organisation | None = None,
    employer_name: str = "",
    employer_siret: str = "",
    ends_on: dt.date | None = None,
    monthly_fee_excl_tax: Decimal = Decimal("0.00"),
    vat_rate: Decimal = Decimal("20.00"),
    billing_address: str = "",
    notes: str = "",
) -> EmployerAgreement:
    """A new agreement, in preparation (``draft``), under the next reference of the year. The
    employer is an existing organisation or a new one (name + SIRET checked by python-stdnum)."""
    require_permission(
        actor, "telework.manage_agreements", message=_("Seule l'équipe du programme signe les conventions.")
    )
    telecentres = list(telecentres)
    _check_terms(
        telecentres=telecentres,
        starts_on=starts_on,
        ends_on=ends_on,
        days_per_week=days_per_week,
        day_price_excl_tax=day_price_excl_tax,
        monthly_fee_excl_tax=monthly_fee_excl_tax,
        vat_rate=vat_rate,
    )
    organisation = _resolve_employer(
        actor=actor, employer=employer, employer_name=employer_name, employer_siret=employer_siret
    )
    agreement = EmployerAgreement(
        employer=organisation,
        status=AgreementStatus.DRAFT,
        starts_on=starts_on,
        ends_on=ends_on,
        days_per_week=days_per_week,
        day_price_excl_tax=day_price_excl_tax,
        monthly_fee_excl_tax=monthly_fee_excl_tax,
        vat_rate=vat_rate,
        billing_address=(billing_address or "").strip(),
        notes=(notes or "").strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _insert_with_reference(agreement)
    agreement.telecentres.set(telecentres)
    journal.record(
        actor=actor,
        action="telework.agreement.created",
        target=agreement,
        data={
            "employer": organisation.pk,
            "telecentres": sorted(t.pk for t in telecentres),
            "days_per_week": days_per_week,
            "day_price_excl_tax": str(day_price_excl_tax),
            "monthly_fee_excl_tax": str(monthly_fee_excl_tax),
        },
    )
    return agreement


def _locked(agreement: EmployerAgreement) -> EmployerAgreement:
    queryset = EmployerAgreement.objects.filter(pk=agreement.pk).select_related("employer")
    if is_postgres():
        # FOR NO KEY UPDATE: a booking written meanwhile under the agreement (its foreign key
        # takes FOR KEY SHARE on this row) is not held up, so it cannot deadlock with
        # ``agreement_end``, which then waits for that booking's seat pool.
        queryset = queryset.select_for_update(of=("self",), no_key=True)
    fresh = queryset.first()
    if fresh is None:
        raise ValidationError(_("Cette convention n'existe plus."))
    return fresh


@transaction.atomic
def agreement_update(
    *,
    actor: Any,
    agreement: EmployerAgreement,
    employer: Organisation | None = _UNSET,
    telecentres: Sequence[Telecentre] = _UNSET,
    starts_on: dt.date = _UNSET,
    ends_on: dt.date | None = _UNSET,
    days_per_week: int = _UNSET,
    day_price_excl_tax: Decimal = _UNSET,
    monthly_fee_excl_tax: Decimal = _UNSET,
    vat_rate: Decimal = _UNSET,
    billing_address: str = _UNSET,
    notes: str = _UNSET,
) -> EmployerAgreement:
    """Change the given terms. An ended agreement no longer changes; once signed, the employer
    stays the same, and a telecentre where employees are registered stays covered."""
    require_permission(
        actor, "telework.manage_agreements", message=_("Seule l'équipe du programme modifie les conventions.")
    )
    fresh = _locked(agreement)
    if fresh.status == AgreementStatus.ENDED:
        raise ValidationError(_("Cette convention est terminée : elle ne change plus."))
    values: dict[str, Any] = {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "days_per_week": days_per_week,
        "day_price_excl_tax": day_price_excl_tax,
        "monthly_fee_excl_tax": monthly_fee_excl_tax,
        "vat_rate": vat_rate,
        "billing_address": billing_address.strip() if billing_address is not _UNSET else _UNSET,
        "notes": notes.strip() if notes is not _UNSET else _UNSET,
    }
    merged: dict[str, Any] = {
        field: (getattr(fresh, field) if value is _UNSET else value) for field, value in values.items()
    }
    new_telecentres = list(telecentres) if telecentres is not _UNSET else None
    _check_terms(
        telecentres=new_telecentres,
        starts_on=merged["starts_on"],
        ends_on=merged["ends_on"],
        days_per_week=merged["days_per_week"],
        day_price_excl_tax=merged["day_price_excl_tax"],
        monthly_fee_excl_tax=merged["monthly_fee_excl_tax"],
        vat_rate=merged["vat_rate"],
    )
    changed = [field for field, value in merged.items() if getattr(fresh, field) != value]
    if employer is not _UNSET and employer is not None and employer.pk != fresh.employer_id:
        if fresh.status != AgreementStatus.DRAFT:
            raise ValidationError({"employer": _("La convention est signée : son employeur ne change plus.")})
        _resolve_employer(actor=actor, employer=employer, employer_name="", employer_siret="")
        fresh.employer = employer
        changed.append("employer")
    for field in changed:
        if field != "employer":
            setattr(fresh, field, merged[field])
    if new_telecentres is not None:
        current = set(fresh.telecentres.values_list("pk", flat=True))
        wanted = {t.pk for t in new_telecentres}
        dropped = current - wanted
        if dropped:
            busy = (
                Membership.objects.filter(agreement=fresh, telecentre_id__in=dropped, ends_on__isnull=True)
                .select_related("telecentre__place")
                .order_by("telecentre__place__name")
                .first()
            )
            if busy is not None:
                raise ValidationError(
                    {
                        "telecentres": _(
                            "Des salariés sont inscrits à « %(telecentre)s » au titre de cette convention : "
                            "retirez-les d'abord, ou gardez ce télécentre."
                        )
                        % {"telecentre": busy.telecentre.place.name}
                    }
                )
        if current != wanted:
            fresh.telecentres.set(new_telecentres)
            changed.append("telecentres")
    if not changed:
        return fresh
    try:
        with transaction.atomic():
            fresh.save()
    except IntegrityError as exc:
        raise ValidationError(_("La convention n'a pas pu être enregistrée : une donnée est incohérente.")) from exc
    journal.record(actor=actor, action="telework.agreement.updated", target=fresh, data={"fields": sorted(changed)})
    return fresh


@transaction.atomic
def agreement_activate(*, actor: Any, agreement: EmployerAgreement, signed_on: dt.date | None) -> EmployerAgreement:
    """Draft → active on the signature date. The employees already named get their invitation."""
    require_permission(
        actor, "telework.manage_agreements", message=_("Seule l'équipe du programme signe les conventions.")
    )
    fresh = _locked(agreement)
    if fresh.status == AgreementStatus.ACTIVE:
        return fresh  # a double click
    if fresh.status != AgreementStatus.DRAFT:
        raise ValidationError(_("Seule une convention en préparation peut entrer en vigueur."))
    if signed_on is None:
        raise ValidationError({"signed_on": _("Indiquez la date de signature.")})
    if signed_on > _today():
        raise ValidationError({"signed_on": _("La date de signature ne peut pas être dans le futur.")})
    if not fresh.telecentres.exists():
        raise ValidationError({"signed_on": _("Choisissez d'abord au moins un télécentre couvert.")})
    if fresh.ends_on is not None and fresh.ends_on < _today():
        raise ValidationError({"signed_on": _("La période de cette convention est déjà passée : corrigez ses dates.")})
    fresh.status = AgreementStatus.ACTIVE
    fresh.signed_on = signed_on
    fresh.save(update_fields=["status", "signed_on"])
    journal.record(
        actor=actor, action="telework.agreement.activated", target=fresh, data={"signed_on": signed_on.isoformat()}
    )
    for employee in fresh.employees.filter(removed_on__isnull=True, user__isnull=True):
        send_invitation(employee, agreement=fresh)
    return fresh


@transaction.atomic
def agreement_end(*, actor: Any, agreement: EmployerAgreement, ends_on: dt.date | None) -> EmployerAgreement:
    """End an agreement on ``ends_on``, its last covered day. A past date ends it at once
    (``ended``); today or a future date keeps it in force until that evening. Memberships under
    it end that day; bookings after it are cancelled (through the booking service)."""
    require_permission(
        actor, "telework.manage_agreements", message=_("Seule l'équipe du programme met fin aux conventions.")
    )
    fresh = _locked(agreement)
    if fresh.status == AgreementStatus.ENDED:
        return fresh
    if fresh.status != AgreementStatus.ACTIVE:
        raise ValidationError(_("Seule une convention en vigueur peut prendre fin."))
    if ends_on is None:
        raise ValidationError({"ends_on": _("Indiquez le dernier jour couvert.")})
    if ends_on < fresh.starts_on:
        raise ValidationError(
            {
                "ends_on": _("La fin ne peut pas précéder le début (%(date)s).")
                % {"date": date_format(fresh.starts_on, "j F Y")}
            }
        )
    today = _today()
    day_after = timezone.make_aware(dt.datetime.combine(ends_on + dt.timedelta(days=1), dt.time.min))
    after_end = Booking.objects.filter(agreement=fresh, status=BookingStatus.CONFIRMED).filter(
        starts_at__gte=max(day_after, timezone.now())
    )
    to_end = Membership.objects.filter(agreement=fresh).filter(Q(ends_on__isnull=True) | Q(ends_on__gt=ends_on))
    _lock_before_cancelling(bookings=after_end, memberships=to_end)
    fresh.ends_on = ends_on
    if ends_on < today:
        fresh.status = AgreementStatus.ENDED
    fresh.save(update_fields=["ends_on", "status"])
    for membership in to_end:
        membership.ends_on = max(membership.starts_on, ends_on)
        membership.save(update_fields=["ends_on"])
    cancelled = _cancel_bookings(
        actor=actor, bookings=after_end.select_related("resource__telecentre__place", "member").order_by("pk")
    )
    journal.record(
        actor=actor,
        action="telework.agreement.ended",
        target=fresh,
        data={"ends_on": ends_on.isoformat(), "cancelled_bookings": cancelled},
    )
    return fresh


def _lock_before_cancelling(*, bookings: Any, memberships: Any) -> None:
    """Take the locks of a cancellation in the booking service's order (seat pools by pk, then
    memberships by pk) BEFORE ending any membership: ``booking_create`` locks the pool, then the
    membership; ending the memberships first and cancelling after (which locks the pool)
    deadlocked with a booking made at that moment."""
    pools = (
        Resource.objects.filter(pk__in=bookings.filter(resource__kind=ResourceKind.SEAT_POOL).values("resource_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(lock_for_update(Resource.objects.filter(pk__in=list(pools)).order_by("pk")))
    list(lock_for_update(memberships.order_by("pk")))


def _cancel_bookings(*, actor: Any, bookings: Iterable[Booking]) -> int:
    """Through the booking service (waiting list, journal); the employer paid: no credits back."""
    count = 0
    for booking in bookings:
        booking_cancel(actor=actor, booking=booking, notify=False)
        count += 1
    return count


# --- employees --------------------------------------------------------------------------------


def _check_may_name_employees(actor: Any, agreement: EmployerAgreement) -> None:
    require_permission(
        actor,
        "telework.manage_agreement_employees",
        agreement,
        _("Seuls les responsables de l'employeur et l'équipe du programme nomment les salariés."),
    )
    if is_over(agreement):
        raise ValidationError(_("Cette convention est terminée : on ne peut plus y ajouter de salarié."))


@transaction.atomic
def employee_add(
    *, actor: Any, agreement: EmployerAgreement, first_name: str, last_name: str, email: str
) -> AgreementEmployee:
    """Name an employee. If the agreement is in force, the invitation email (with the link to
    join) leaves once the transaction commits; for a draft, when it is signed."""
    fresh = _locked(agreement)  # serialises two managers adding at once
    _check_may_name_employees(actor, fresh)
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    for field, value, label in (
        ("first_name", first_name, _("prénom")),
        ("last_name", last_name, _("nom")),
    ):
        try:
            values[field] = _name(value, field, label)
        except ValidationError as exc:
            errors.update({k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    try:
        values["email"] = normalise_email(email)
    except ValidationError as exc:
        errors.update({k: [m for e in v for m in e.messages] for k, v in exc.error_dict.items()})
    if errors:
        raise ValidationError(errors)
    duplicate = _duplicate_error(fresh, values["email"])
    if fresh.employees.filter(email=values["email"], removed_on__isnull=True).exists():
        raise duplicate
    try:
        with transaction.atomic():
            employee = AgreementEmployee.objects.create(
                agreement=fresh,
                first_name=values["first_name"],
                last_name=values["last_name"],
                email=values["email"],
                added_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:  # agreement_employee_unique_email: a parallel add won
        raise duplicate from exc
    journal.record(actor=actor, action="telework.agreement.employee_added", target=employee, data={})
    if fresh.status == AgreementStatus.ACTIVE:
        send_invitation(employee, agreement=fresh)
    return employee


def _duplicate_error(agreement: EmployerAgreement, email: str) -> ValidationError:
    return ValidationError(
        {"email": _("L'adresse %(email)s est déjà celle d'un salarié de cette convention.") % {"email": email}},
        code="duplicate",
    )


def send_invitation(employee: AgreementEmployee, *, agreement: EmployerAgreement | None = None) -> None:
    agreement = agreement or employee.agreement
    body = _(
        "Bonjour %(first_name)s,\n\n"
        "%(employer)s prend en charge vos journées de télétravail dans les télécentres du Cantal "
        "(%(telecentres)s), jusqu'à %(days)s jours par semaine.\n\n"
        "Pour en profiter, connectez-vous ou créez votre compte avec cette adresse (%(email)s), "
        "puis rejoignez la convention :\n%(link)s\n\n"
        "Vous pourrez ensuite réserver votre poste en quelques clics, depuis votre téléphone.\n\n"
        "Le réseau des télécentres du Cantal"
    ) % {
        "first_name": employee.first_name,
        "employer": agreement.employer.name,
        "telecentres": _telecentre_names(agreement),
        "days": agreement.days_per_week,
        "email": employee.email,
        "link": absolute_url(reverse("telework:join")),
    }
    email_on_commit(
        subject=_("%(employer)s vous ouvre les télécentres du Cantal") % {"employer": agreement.employer.name},
        body=body,
        to=[employee.email],
    )


@dataclass(frozen=True)
class Removal:
    employee: AgreementEmployee
    cancelled_bookings: int
    ended_memberships: int


def bookings_to_cancel(employee: AgreementEmployee) -> Any:
    """The employee's bookings under the agreement not begun yet (cancelled on removal)."""
    if employee.user_id is None:
        return Booking.objects.none()
    return Booking.objects.filter(
        agreement_id=employee.agreement_id,
        member_id=employee.user_id,
        status=BookingStatus.CONFIRMED,
        starts_at__gt=timezone.now(),
    )


@transaction.atomic
def employee_remove(*, actor: Any, employee: AgreementEmployee) -> Removal:
    """The employer no longer covers this person from today: their membership under the
    agreement ends today, their bookings not begun yet are cancelled (through the booking
    service, with ``actor``). Idempotent: removing twice changes nothing."""
    require_permission(
        actor,
        "telework.manage_agreement_employees",
        employee.agreement,
        _("Seuls les responsables de l'employeur et l'équipe du programme retirent des salariés."),
    )
    fresh = lock_for_update(AgreementEmployee.objects.filter(pk=employee.pk)).first()
    if fresh is None:
        raise ValidationError(_("Ce salarié n'existe plus."))
    if fresh.removed_on is not None:
        return Removal(fresh, 0, 0)
    today = _today()
    open_memberships = Membership.objects.filter(
        agreement_id=fresh.agreement_id, member_id=fresh.user_id, ends_on__isnull=True
    )
    if fresh.user_id is not None:
        _lock_before_cancelling(bookings=bookings_to_cancel(fresh), memberships=open_memberships)
    fresh.removed_on = today
    fresh.save(update_fields=["removed_on"])
    employee.removed_on = today
    ended = 0
    cancelled = 0
    if fresh.user_id is not None:
        for membership in open_memberships:
            membership.ends_on = max(membership.starts_on, today)
            membership.save(update_fields=["ends_on"])
            ended += 1
        cancelled = _cancel_bookings(
            actor=actor, bookings=bookings_to_cancel(fresh).select_related("resource__telecentre__place", "member")
        )
    journal.record(
        actor=actor,
        action="telework.agreement.employee_removed",
        target=fresh,
        data={"ended_memberships": ended, "cancelled_bookings": cancelled},
    )
    agreement = EmployerAgreement.objects.select_related("employer").get(pk=fresh.agreement_id)
    lines = [
        _("Bonjour %(first_name)s,") % {"first_name": fresh.first_name},
        "",
        _("%(employer)s ne prend plus en charge vos journées dans les télécentres du Cantal à partir du %(date)s.")
        % {"employer": agreement.employer.name, "date": date_format(today, "j F Y")},
    ]
    if cancelled:
        lines.append(
            _("Vos %(count)s réservations à venir au titre de cette convention sont annulées.") % {"count": cancelled}
        )
    lines += [
        "",
        _("Pour toute question, adressez-vous à votre employeur."),
        "",
        _("Le réseau des télécentres du Cantal"),
    ]
    email_on_commit(
        subject=_("Fin de la prise en charge par %(employer)s") % {"employer": agreement.employer.name},
        body="\n".join(lines),
        to=[fresh.email],
    )
    return Removal(fresh, cancelled, ended)


@transaction.atomic
def employee_readd(*, actor: Any, employee: AgreementEmployee) -> AgreementEmployee:
    """Name again a removed employee (a new line: the old one keeps its history). They receive
    a new invitation and join again."""
    fresh = AgreementEmployee.objects.select_related("agreement").get(pk=employee.pk)
    if fresh.removed_on is None:
        raise ValidationError(_("Ce salarié fait déjà partie de la convention."))
    return employee_add(
        actor=actor,
        agreement=fresh.agreement,
        first_name=fresh.first_name,
        last_name=fresh.last_name,
        email=fresh.email,
    )


@dataclass(frozen=True)
class EmployeeRow:
    """One line of an imported list (``line``: its number in the file, for the messages)."""

    line: int
    first_name: str
    last_name: str
    email: str


@transaction.atomic
def employees_import(
    *, actor: Any, agreement: EmployerAgreement, rows: Sequence[EmployeeRow]
) -> list[AgreementEmployee]:
    """Add several employees at once: all of them, or none if one line is wrong (the error
    lists every wrong line, « Ligne 3 : … »)."""
    fresh = _locked(agreement)
    _check_may_name_employees(actor, fresh)
    if not rows:
        raise ValidationError(_("La liste est vide : une ligne par salarié, « prénom;nom;email »."))
    if len(rows) > MAX_IMPORT_ROWS:
        raise ValidationError(
            _("%(count)s lignes : importez au plus %(max)s salariés à la fois.")
            % {"count": len(rows), "max": MAX_IMPORT_ROWS}
        )
    problems: list[str] = []
    seen: dict[str, int] = {}
    existing = set(fresh.employees.filter(removed_on__isnull=True).values_list("email", flat=True))
    for row in rows:
        messages: list[str] = []
        for field, value, label in (
            ("first_name", row.first_name, _("prénom")),
            ("last_name", row.last_name, _("nom")),
        ):
            try:
                _name(value, field, label)
            except ValidationError as exc:
                messages += [m for e in exc.error_dict.values() for err in e for m in err.messages]
        try:
            email = normalise_email(row.email)
        except ValidationError as exc:
            messages += [m for e in exc.error_dict.values() for err in e for m in err.messages]
        else:
            if email in existing:
                messages.append(_("%(email)s est déjà salarié de cette convention.") % {"email": email})
            elif email in seen:
                messages.append(_("%(email)s figure déjà ligne %(line)s.") % {"email": email, "line": seen[email]})
            else:
                seen[email] = row.line
        if messages:
            problems.append(_("Ligne %(line)s : %(problems)s") % {"line": row.line, "problems": " ".join(messages)})
    if problems:
        raise ValidationError(problems, code="import")
    added = [
        employee_add(actor=actor, agreement=fresh, first_name=row.first_name, last_name=row.last_name, email=row.email)
        for row in rows
    ]
    journal.record(
        actor=actor, action="telework.agreement.employees_imported", target=fresh, data={"count": len(added)}
    )
    return added


# --- joining ----------------------------------------------------------------------------------


def verified_emails(user: Any) -> set[str]:
    """The person's verified addresses (allauth), in lower case."""
    from allauth.account.models import EmailAddress

    if not getattr(user, "pk", None):
        return set()
    return {
        e.lower() for e in EmailAddress.objects.filter(user_id=user.pk, verified=True).values_list("email", flat=True)
    }


class JoinError(ValidationError):
    """Joining refused; ``code`` says why (``has_membership`` lets the person end the other one)."""

    def __init__(self, message: Any, code: str | None = None, membership: Membership | None = None) -> None:
        super().__init__(message, code=code)
        self.code = code
        self.membership = membership


@transaction.atomic
def agreement_join(
    *, actor: Any, employee: AgreementEmployee, telecentre: Telecentre, end_existing: bool = False
) -> Membership:
    """The invited person accepts: the employee line is theirs (``user``, ``joined_at``) and a
    membership under the agreement starts at ``telecentre`` (no plan: the employer pays).

    An open membership of theirs at that telecentre (own plan, another agreement) is refused
    with ``code="has_membership"`` unless ``end_existing``: it then ends today (yesterday if
    possible) and the new one starts. Joining twice returns the membership already made."""
    if not getattr(actor, "pk", None):
        raise JoinError(_("Connectez-vous pour rejoindre une convention."), code="anonymous")
    fresh = lock_for_update(AgreementEmployee.objects.filter(pk=employee.pk)).first()
    if fresh is None or fresh.removed_on is not None:
        raise JoinError(_("Cette invitation n'est plus valable : votre employeur l'a retirée."), code="removed")
    agreement = EmployerAgreement.objects.select_related("employer").get(pk=fresh.agreement_id)
    if fresh.user_id is not None and fresh.user_id != actor.pk:
        raise JoinError(_("Cette invitation a déjà été acceptée par une autre personne."), code="taken")
    if fresh.user_id is None and fresh.email.lower() not in verified_emails(actor):
        raise JoinError(
            _("Cette invitation est adressée à %(email)s : ajoutez et vérifiez cette adresse dans votre compte.")
            % {"email": fresh.email},
            code="unverified",
        )
    today = _today()
    if agreement.status != AgreementStatus.ACTIVE or is_over(agreement, today):
        raise JoinError(_("Cette convention n'est pas en vigueur."), code="not_in_force")
    if not agreement.telecentres.filter(pk=telecentre.pk).exists():
        raise JoinError({"telecentre": [_("Ce télécentre n'est pas couvert par la convention.")]}, code="telecentre")
    starts_on = max(today, agreement.starts_on)

    open_here = lock_for_update(
        Membership.objects.filter(member_id=actor.pk, telecentre=telecentre, ends_on__isnull=True).select_related(
            "plan", "agreement"
        ),
        of=("self",),
    ).first()
    if open_here is not None and open_here.agreement_id == agreement.pk:
        return open_here  # a double click, or joined already
    if open_here is not None:
        if not end_existing:
            raise JoinError(
                _(
                    "Vous avez déjà une adhésion en cours à ce télécentre (%(what)s). Pour passer à la prise en "
                    "charge par votre employeur, cette adhésion doit prendre fin."
                )
                % {"what": open_here.plan.name if open_here.plan else str(open_here.agreement)},
                code="has_membership",
                membership=open_here,
            )
        open_here.ends_on = max(open_here.starts_on, starts_on - dt.timedelta(days=1))
        open_here.save(update_fields=["ends_on"])
        journal.record(
            actor=actor,
            action="telework.membership.ended",
            target=open_here,
            data={"ends_on": open_here.ends_on.isoformat(), "reason": "agreement_join"},
        )

    if fresh.user_id is None:
        fresh.user = actor
        fresh.joined_at = timezone.now()
        fresh.save(update_fields=["user", "joined_at"])
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                member=actor, telecentre=telecentre, plan=None, agreement=agreement, starts_on=starts_on
            )
    except IntegrityError as exc:  # membership_one_open: the other tab was faster
        existing = Membership.objects.filter(
            member_id=actor.pk, telecentre=telecentre, ends_on__isnull=True, agreement=agreement
        ).first()
        if existing is not None:
            return existing
        raise JoinError(_("Votre adhésion n'a pas pu être enregistrée : réessayez."), code="conflict") from exc
    journal.record(
        actor=actor,
        action="telework.agreement.joined",
        target=membership,
        data={"agreement": agreement.pk, "employee": fresh.pk, "telecentre": telecentre.pk},
    )
    grant_teleworker_role(actor)
    return membership
