"""Plans, memberships and the credits they bring; the member's profile.

Rules held here (each raises a ``ValidationError`` with a French message, keyed by field when
it concerns one):

- a plan's VAT rate is one of the French rates (0, 5,5, 10 or 20 %); a telecentre has at most
  one active day pass, which has a day price; a carnet includes days, a meeting-room pack
  hours; a monthly plan includes credits renewed each month (valid the month only); a plan in
  use is deactivated, never deleted, and its type no longer changes;
- one open membership per person and telecentre (``membership_one_open``): changing plan
  ends the open one the day before and carries its unspent credits over (same expiry), so
  nothing paid for is lost; a double submit gets a French error, never a second membership;
- credits: a carnet or an hours pack is a PURCHASE grant dated the day of purchase (billing
  invoices it at the plan's price); a monthly plan gets one RENEWAL grant per month
  (``credit_grant_one_renewal`` makes renewals idempotent, even run twice at once); a day
  pass has no credits (each day is billed at its price).

Writes go through ``services.credits`` (the ledger); locks are taken in the order of the
booking service: membership row, then its grants.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from cybercantal.core import journal
from cybercantal.core.db import lock_for_update
from cybercantal.core.links import absolute_url
from cybercantal.core.tasks import email_on_commit
from cybercantal.territory.models import Commune

from ..models import (
    MONTHLY_PLAN_KINDS,
    Booking,
    BookingStatus,
    CreditGrant,
    CreditMovement,
    CreditUnit,
    MemberProfile,
    Membership,
    Plan,
    PlanKind,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
)
from . import credits
from .roles import grant_teleworker_role

ZERO = Decimal("0")
VAT_RATES = (Decimal("0"), Decimal("5.5"), Decimal("10"), Decimal("20"))
PACK_KINDS = (PlanKind.CARNET, PlanKind.MEETING_HOURS)
DAY_KINDS: tuple[str, ...] = (ResourceKind.SEAT_POOL.value, ResourceKind.OFFICE.value)
ROOM_KINDS: list[str] = [ResourceKind.MEETING_ROOM.value]
PLAN_FIELDS = (
    "name",
    "kind",
    "description",
    "price_excl_tax",
    "vat_rate",
    "credit_days",
    "credit_hours",
    "eligible_kinds",
    "credit_validity_days",
    "days_per_week",
    "usage_price_day",
    "usage_price_hour",
    "is_public",
    "is_active",
)
MAX_GESTURE = Decimal("100")


# --- dates ------------------------------------------------------------------------------------


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def next_month_start(day: dt.date) -> dt.date:
    return month_end(day) + dt.timedelta(days=1)


def pack_expiry(plan: Plan, granted_on: dt.date) -> dt.date:
    """A carnet bought on 3 March 2026 valid 365 days is valid until 2 March 2027 included."""
    return granted_on + dt.timedelta(days=max(plan.credit_validity_days, 1) - 1)


def _actor(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


def _may_manage(actor: Any, telecentre: Telecentre) -> bool:
    return bool(getattr(actor, "is_authenticated", False)) and actor.has_perm("telework.manage_memberships", telecentre)


# --- plans ------------------------------------------------------------------------------------


def _check_plan(plan: Plan) -> None:
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    if plan.kind not in PlanKind.values:
        add("kind", _("Choisissez le type de formule."))
    if plan.vat_rate not in VAT_RATES:
        add("vat_rate", _("Le taux de TVA doit être 0 %, 5,5 %, 10 % ou 20 %."))
    if plan.price_excl_tax is None or plan.price_excl_tax < 0:
        add("price_excl_tax", _("Le prix ne peut pas être négatif."))
    for field in ("credit_days", "credit_hours"):
        if getattr(plan, field) < 0:
            add(field, _("Ce nombre ne peut pas être négatif."))
    for field in ("usage_price_day", "usage_price_hour"):
        value = getattr(plan, field)
        if value is not None and value < 0:
            add(field, _("Le prix ne peut pas être négatif."))
    kinds = set(plan.eligible_kinds or [])
    if plan.kind == PlanKind.DAY_PASS:
        if not plan.price_excl_tax or plan.price_excl_tax <= 0:
            add("price_excl_tax", _("Un pass journée a un prix à la journée : indiquez-le."))
        if plan.credit_days or plan.credit_hours:
            add("credit_days", _("Un pass journée se paie à l'usage : il ne comprend pas de crédits."))
        if plan.is_active:
            other = (
                Plan.objects.filter(telecentre_id=plan.telecentre_id, kind=PlanKind.DAY_PASS, is_active=True)
                .exclude(pk=plan.pk)
                .first()
            )
            if other is not None:
                add(
                    "kind",
                    _("Ce télécentre a déjà un pass journée actif (« %(name)s ») : désactivez-le d'abord.")
                    % {"name": other.name},
                )
    if plan.kind == PlanKind.CARNET and plan.credit_days <= 0:
        add("credit_days", _("Un carnet comprend des journées : indiquez combien."))
    if plan.kind == PlanKind.MEETING_HOURS and plan.credit_hours <= 0:
        add("credit_hours", _("Un forfait de salle comprend des heures : indiquez combien."))
    if plan.kind in MONTHLY_PLAN_KINDS:
        if plan.credit_days <= 0 and plan.credit_hours <= 0:
            add(
                "credit_days",
                _("Un abonnement mensuel comprend des journées renouvelées chaque mois : indiquez combien."),
            )
        if plan.credit_validity_days > 31:
            add(
                "credit_validity_days",
                _("Un abonnement mensuel se renouvelle chaque mois : ses crédits valent le mois, 31 jours au plus."),
            )
    if plan.kind in PACK_KINDS and plan.credit_validity_days < 1:
        add("credit_validity_days", _("Indiquez combien de jours les crédits restent valables."))
    if plan.credit_validity_days > 1096:
        add("credit_validity_days", _("Des crédits valent trois ans au plus."))
    if plan.credit_days > 0 and not kinds & set(DAY_KINDS):
        add("eligible_kinds", _("Indiquez les ressources que couvrent les journées incluses (postes, bureaux)."))
    if plan.days_per_week is not None and not 1 <= plan.days_per_week <= 7:
        add("days_per_week", _("Entre 1 et 7 jours par semaine."))
    if errors:
        raise ValidationError(errors)


def _save_plan(plan: Plan) -> Plan:
    # Lock the telecentre: two managers cannot both make "the" active day pass at once.
    list(lock_for_update(Telecentre.objects.filter(pk=plan.telecentre_id)))
    if plan.kind == PlanKind.MEETING_HOURS and ResourceKind.MEETING_ROOM not in (plan.eligible_kinds or []):
        plan.eligible_kinds = [*(plan.eligible_kinds or []), ResourceKind.MEETING_ROOM]  # type: ignore[assignment]
    _check_plan(plan)
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as exc:
        if Plan.objects.filter(telecentre_id=plan.telecentre_id, name=plan.name).exclude(pk=plan.pk).exists():
            raise ValidationError({"name": [_("Une autre formule de ce télécentre porte déjà ce nom.")]}) from exc
        raise ValidationError(_("La formule n'a pas pu être enregistrée : vérifiez les valeurs.")) from exc
    return plan


@transaction.atomic
def plan_create(*, actor: Any, telecentre: Telecentre, **fields: Any) -> Plan:
    """A new plan for ``telecentre`` (fields: ``PLAN_FIELDS``)."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown plan fields: {sorted(unknown)}")
    plan = Plan(telecentre=telecentre, **fields)
    _save_plan(plan)
    journal.record(actor=actor, action="telework.plan.created", target=plan, data={"kind": plan.kind})
    return plan


@transaction.atomic
def plan_update(*, actor: Any, plan: Plan, **fields: Any) -> Plan:
    """Change a plan. Its type is fixed once members use it (create another plan instead);
    a new price applies from the next invoice."""
    unknown = set(fields) - set(PLAN_FIELDS)
    if unknown:
        raise TypeError(f"Unknown plan fields: {sorted(unknown)}")
    fresh = lock_for_update(Plan.objects.filter(pk=plan.pk)).get()
    if "kind" in fields and fields["kind"] != fresh.kind and fresh.memberships.exists():
        raise ValidationError(
            {"kind": [_("Des membres ont choisi cette formule : son type ne change plus. Créez une autre formule.")]}
        )
    changed = sorted(name for name, value in fields.items() if getattr(fresh, name) != value)
    for name, value in fields.items():
        setattr(fresh, name, value)
    _save_plan(fresh)
    journal.record(actor=actor, action="telework.plan.updated", target=fresh, data={"changed": changed})
    return fresh


@transaction.atomic
def plan_delete(*, actor: Any, plan: Plan) -> bool:
    """Delete a plan nobody chose; a plan in use is deactivated instead (its memberships, grants
    and invoices point to it). Returns True when deleted, False when deactivated."""
    fresh = lock_for_update(Plan.objects.filter(pk=plan.pk)).get()
    if fresh.memberships.exists():
        if fresh.is_active:
            fresh.is_active = False
            fresh.save(update_fields=["is_active"])
        journal.record(actor=actor, action="telework.plan.deactivated", target=fresh)
        return False
    journal.record(actor=actor, action="telework.plan.deleted", target=fresh, data={"name": fresh.name})
    fresh.delete()
    return True


# --- memberships ------------------------------------------------------------------------------


def _grant_plan_credits(*, actor: Any, membership: Membership, plan: Plan, on: dt.date) -> list[CreditGrant]:
    """What choosing (or buying again) ``plan`` on ``on`` brings."""
    grants: list[CreditGrant] = []
    if plan.kind in PACK_KINDS:
        expires = pack_expiry(plan, on)
        if plan.credit_days > 0:
            grants.append(
                credits.credits_grant(
                    actor=actor,
                    membership=membership,
                    unit=CreditUnit.DAY,
                    amount=plan.credit_days,
                    granted_on=on,
                    expires_on=expires,
                    reason=CreditGrant.Reason.PURCHASE,
                    eligible_kinds=[k for k in plan.eligible_kinds if k in DAY_KINDS],
                )
            )
        if plan.credit_hours > 0:
            grants.append(
                credits.credits_grant(
                    actor=actor,
                    membership=membership,
                    unit=CreditUnit.HOUR,
                    amount=plan.credit_hours,
                    granted_on=on,
                    expires_on=expires,
                    reason=CreditGrant.Reason.PURCHASE,
                    eligible_kinds=ROOM_KINDS,
                )
            )
    elif plan.kind in MONTHLY_PLAN_KINDS:
        grants.extend(_renewal_grants(actor=actor, membership=membership, plan=plan, on=on))
    return grants


def _renewal_grants(*, actor: Any, membership: Membership, plan: Plan, on: dt.date) -> list[CreditGrant]:
    """The month's credits of a monthly plan (idempotent per month and unit)."""
    start = month_start(on)
    expires = month_end(on)
    if membership.ends_on is not None:
        expires = min(expires, membership.ends_on)
    granted_on = max(start, membership.starts_on)
    grants = []
    for unit, amount, kinds in (
        (CreditUnit.DAY, plan.credit_days, [k for k in plan.eligible_kinds if k in DAY_KINDS]),
        (CreditUnit.HOUR, plan.credit_hours, ROOM_KINDS),
    ):
        if amount <= 0 or expires < granted_on:
            continue
        grants.append(
            credits.credits_grant(
                actor=actor,
                membership=membership,
                unit=unit,
                amount=amount,
                granted_on=granted_on,
                expires_on=expires,
                reason=CreditGrant.Reason.RENEWAL,
                eligible_kinds=kinds,
                period_start=start,
            )
        )
    return grants


def _carry_over(*, actor: Any, old: Membership, new: Membership, on: dt.date) -> Decimal:
    """Move the unspent, unexpired credits of ``old`` to ``new`` (same expiry, same resources):
    the member keeps what they paid for until it expires. The ledger shows both sides."""
    moved = ZERO
    live = lock_for_update(
        CreditGrant.objects.filter(membership=old, remaining__gt=0, expires_on__gte=on).order_by("expires_on", "pk")
    )
    for grant in live:
        amount = grant.remaining
        CreditGrant.objects.filter(pk=grant.pk).update(remaining=ZERO)
        CreditMovement.objects.create(
            grant=grant, kind=CreditMovement.Kind.ADJUSTMENT, amount=-amount, by=_actor(actor)
        )
        CreditGrant.objects.create(
            membership=new,
            unit=grant.unit,
            amount=amount,
            remaining=amount,
            eligible_kinds=list(grant.eligible_kinds),  # type: ignore[misc]
            granted_on=on,
            expires_on=grant.expires_on,
            reason=CreditGrant.Reason.TRANSFER,
            note=_("Reportés de l'adhésion « %(plan)s »") % {"plan": old.plan.name if old.plan else old},
            created_by=_actor(actor),
        )
        moved += amount
    return moved


def _one_open_error() -> ValidationError:
    return ValidationError(
        _("Vous avez déjà une adhésion en cours dans ce télécentre : elle vient d'être enregistrée."),
        code="duplicate",
    )


@transaction.atomic
def membership_subscribe(
    *, actor: Any, plan: Plan, member: Any | None = None, on: dt.date | None = None, notify: bool = True
) -> Membership:
    """``member`` (the actor themself; a telecentre manager may subscribe someone) chooses
    ``plan``. An open membership at the same telecentre ends the day before, its unspent
    credits carried over until they expire. Grants the plan's credits (see module docstring)."""
    member = member or actor
    today = on or timezone.localdate()
    plan = Plan.objects.select_related("telecentre__place").get(pk=plan.pk)
    telecentre = plan.telecentre
    staff = actor is None or _may_manage(actor, telecentre)  # None: the system (demo, imports)
    if getattr(member, "pk", None) != getattr(actor, "pk", None) and not staff:
        raise ValidationError(_("Vous ne pouvez adhérer que pour vous-même."), code="forbidden")
    if not plan.is_active or (not plan.is_public and not staff):
        raise ValidationError(_("Cette formule n'est plus proposée."), code="inactive")
    if telecentre.status != TelecentreStatus.OPEN:
        raise ValidationError(_("Ce télécentre n'est pas ouvert : il n'accepte pas encore d'adhésions."), code="closed")

    # The person's open membership here, locked: two submits are serialised (and the
    # ``membership_one_open`` constraint refuses the second insert if they were not).
    current = (
        lock_for_update(
            Membership.objects.filter(member=member, telecentre=telecentre, ends_on__isnull=True).select_related(
                "plan", "agreement"
            ),
            of=("self",),
        )
        .order_by("-starts_on")
        .first()
    )
    if current is not None:
        if current.agreement_id is not None:
            raise ValidationError(
                _(
                    "Votre employeur prend en charge vos journées dans ce télécentre (convention %(reference)s) : "
                    "vous n'avez pas besoin d'une formule."
                )
                % {"reference": current.agreement.reference if current.agreement else ""},
                code="agreement",
            )
        if current.plan_id == plan.pk:
            if plan.kind in PACK_KINDS:
                message = _("Vous avez déjà cette formule : rachetez un carnet ou un forfait depuis votre espace.")
            else:
                message = _("Vous avez déjà cette formule dans ce télécentre.")
            raise ValidationError(message, code="duplicate")
        if current.starts_on >= today:
            raise ValidationError(
                _(
                    "Votre adhésion « %(plan)s » commence le %(date)s : vous pourrez changer de formule "
                    "à partir du lendemain."
                )
                % {"plan": current.plan.name if current.plan else "", "date": date_format(current.starts_on, "j F Y")},
                code="too_soon",
            )
    previous = current
    if previous is not None:
        previous.ends_on = today - dt.timedelta(days=1)
        previous.next_renewal_on = None
        previous.save(update_fields=["ends_on", "next_renewal_on"])
    try:
        with transaction.atomic():
            membership = Membership.objects.create(
                member=member,
                telecentre=telecentre,
                plan=plan,
                starts_on=today,
                next_renewal_on=next_month_start(today) if plan.kind in MONTHLY_PLAN_KINDS else None,
            )
    except IntegrityError as exc:  # membership_one_open: a parallel submit won
        raise _one_open_error() from exc
    carried = _carry_over(actor=actor, old=previous, new=membership, on=today) if previous is not None else ZERO
    grants = _grant_plan_credits(actor=actor, membership=membership, plan=plan, on=today)
    journal.record(
        actor=actor,
        action="telework.membership.subscribed",
        target=membership,
        data={
            "plan": plan.pk,
            "previous": previous.pk if previous else None,
            "carried_over": str(carried),
            "grants": [g.pk for g in grants],
        },
    )
    if notify and member.email:
        email_on_commit(
            subject=_("Votre adhésion au %(telecentre)s : %(plan)s")
            % {"telecentre": telecentre.name, "plan": plan.name},
            body=_subscription_email(membership, previous=previous, carried=carried),
            to=member.email,
        )
    grant_teleworker_role(member)
    return membership


def _subscription_email(membership: Membership, *, previous: Membership | None, carried: Decimal) -> str:
    plan = membership.plan
    assert plan is not None  # noqa: S101 - a subscription always has a plan
    lines = [
        _("Bonjour,"),
        "",
        _("Votre adhésion « %(plan)s » au %(telecentre)s commence le %(date)s.")
        % {
            "plan": plan.name,
            "telecentre": membership.telecentre.name,
            "date": date_format(membership.starts_on, "l j F Y"),
        },
    ]
    if plan.kind in PACK_KINDS:
        lines.append(_("Elle figurera sur votre facture de ce mois-ci."))
    elif plan.kind in MONTHLY_PLAN_KINDS:
        lines.append(_("Elle est facturée chaque mois ; vos crédits sont renouvelés le 1er de chaque mois."))
    else:
        lines.append(_("Chaque journée réservée est facturée à la fin du mois."))
    if previous is not None:
        lines.append(
            _("Votre formule précédente « %(plan)s » a pris fin le %(date)s.")
            % {
                "plan": previous.plan.name if previous.plan else "",
                "date": date_format(previous.ends_on or membership.starts_on, "j F Y"),
            }
        )
    if carried > 0:
        lines.append(
            _("Vos crédits non utilisés (%(amount)s) restent valables jusqu'à leur date d'expiration.")
            % {"amount": f"{carried.normalize():f}".replace(".", ",")}
        )
    lines += ["", _("Votre solde et vos réservations : %(url)s") % {"url": absolute_url(reverse("telework:my_space"))}]
    return "\n".join(lines)


@transaction.atomic
def membership_buy_again(
    *, actor: Any, membership: Membership, expected_purchases: int | None = None
) -> list[CreditGrant]:
    """Another carnet or hours pack on the same membership (a PURCHASE grant, billed on this
    month's invoice). ``expected_purchases``: the number of purchases the person saw; if one
    was recorded since (a double submit), nothing is bought twice."""
    fresh = lock_for_update(Membership.objects.filter(pk=membership.pk).select_related("plan"), of=("self",)).get()
    if not (getattr(actor, "pk", None) == fresh.member_id or _may_manage(actor, fresh.telecentre)):
        raise ValidationError(_("Vous ne pouvez acheter des crédits que pour vous-même."), code="forbidden")
    plan = fresh.plan
    today = timezone.localdate()
    if plan is None or plan.kind not in PACK_KINDS:
        raise ValidationError(_("Seuls un carnet ou un forfait d'heures se rachètent."), code="not_pack")
    if fresh.ends_on is not None and fresh.ends_on < today:
        raise ValidationError(_("Cette adhésion est terminée : choisissez une formule."), code="ended")
    if not plan.is_active:
        raise ValidationError(_("Cette formule n'est plus proposée : choisissez-en une autre."), code="inactive")
    purchases = CreditGrant.objects.filter(membership=fresh, reason=CreditGrant.Reason.PURCHASE)
    if expected_purchases is not None and purchases.count() != expected_purchases:
        raise ValidationError(_("Cet achat vient déjà d'être enregistré : vérifiez votre solde."), code="duplicate")
    grants = _grant_plan_credits(actor=actor, membership=fresh, plan=plan, on=today)
    journal.record(
        actor=actor, action="telework.membership.bought_again", target=fresh, data={"grants": [g.pk for g in grants]}
    )
    return grants


def default_end(membership: Membership, today: dt.date | None = None) -> dt.date:
    """A monthly plan ends with the month under way (it is paid); anything else today."""
    today = today or timezone.localdate()
    if membership.plan is not None and membership.plan.kind in MONTHLY_PLAN_KINDS:
        return max(month_end(today), membership.starts_on)
    return max(today, membership.starts_on)


@transaction.atomic
def membership_end(*, actor: Any, membership: Membership, on: dt.date | None = None) -> Membership:
    """End a plan membership on ``on`` (included; by default the end of the current month for
    a monthly plan, today otherwise). The member or the telecentre's managers. Refused while
    bookings remain after that day."""
    fresh = lock_for_update(
        Membership.objects.filter(pk=membership.pk).select_related("plan", "telecentre__place"), of=("self",)
    ).get()
    staff = _may_manage(actor, fresh.telecentre)
    if not (staff or getattr(actor, "pk", None) == fresh.member_id):
        raise ValidationError(_("Vous ne pouvez pas mettre fin à cette adhésion."), code="forbidden")
    if fresh.agreement_id is not None:
        raise ValidationError(
            _("Cette adhésion dépend d'une convention employeur : c'est l'employeur qui la fait évoluer."),
            code="agreement",
        )
    today = timezone.localdate()
    if fresh.ends_on is not None and fresh.ends_on < today:
        raise ValidationError(_("Cette adhésion est déjà terminée."), code="ended")
    end = on or default_end(fresh, today)
    if end < today:
        raise ValidationError({"ends_on": [_("La date de fin ne peut pas être passée.")]})
    if end < fresh.starts_on:
        raise ValidationError({"ends_on": [_("La date de fin précède le début de l'adhésion.")]})
    if end > today + dt.timedelta(days=366):
        raise ValidationError({"ends_on": [_("Choisissez une date de fin dans l'année qui vient.")]})
    after = Booking.objects.filter(
        membership=fresh,
        status=BookingStatus.CONFIRMED,
        starts_at__gte=timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min)),
    )
    count = after.count()
    if count:
        last = timezone.localtime(after.order_by("-starts_at").values_list("starts_at", flat=True)[0]).date()
        raise ValidationError(
            {
                "ends_on": [
                    _(
                        "%(count)s réservation(s) restent après le %(date)s (la dernière le %(last)s) : "
                        "annulez-les d'abord ou choisissez une date plus tardive."
                    )
                    % {"count": count, "date": date_format(end, "j F Y"), "last": date_format(last, "j F Y")}
                ]
            },
            code="bookings_after",
        )
    fresh.ends_on = end
    if fresh.next_renewal_on is not None and fresh.next_renewal_on > end:
        fresh.next_renewal_on = None
    fresh.save(update_fields=["ends_on", "next_renewal_on"])
    journal.record(
        actor=actor,
        action="telework.membership.ended",
        target=fresh,
        data={"ends_on": end.isoformat(), "by_staff": staff},
    )
    return fresh


@transaction.atomic
def membership_grant_gesture(
    *, actor: Any, membership: Membership, unit: str, amount: Decimal, expires_on: dt.date, note: str
) -> CreditGrant:
    """A telecentre manager gives credits (GESTURE, never invoiced), with the reason why."""
    fresh = lock_for_update(Membership.objects.filter(pk=membership.pk).select_related("plan"), of=("self",)).get()
    if not _may_manage(actor, fresh.telecentre):
        raise ValidationError(_("Seule l'équipe du télécentre peut offrir des crédits."), code="forbidden")
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if unit not in CreditUnit.values:
        errors["unit"] = [_("Choisissez des journées ou des heures.")]
    if amount is None or amount <= 0 or amount > MAX_GESTURE or amount * 2 != (amount * 2).to_integral_value():
        errors["amount"] = [_("Entre 0,5 et 100, par demi-unités.")]
    if expires_on < today:
        errors["expires_on"] = [_("La date de fin de validité ne peut pas être passée.")]
    elif expires_on > today + dt.timedelta(days=731):
        errors["expires_on"] = [_("Des crédits offerts valent deux ans au plus.")]
    note = (note or "").strip()
    if not note:
        errors["note"] = [_("Dites pourquoi : le membre le lira dans son relevé.")]
    if fresh.ends_on is not None and fresh.ends_on < today:
        errors.setdefault("__all__", []).append(_("Cette adhésion est terminée."))
    if errors:
        raise ValidationError(errors)
    kinds = ROOM_KINDS if unit == CreditUnit.HOUR else None
    if kinds is None:
        plan_kinds = [k for k in (fresh.plan.eligible_kinds if fresh.plan else []) if k in DAY_KINDS]
        kinds = plan_kinds or list(DAY_KINDS)
    grant = credits.credits_grant(
        actor=actor,
        membership=fresh,
        unit=unit,
        amount=amount,
        granted_on=today,
        expires_on=expires_on,
        reason=CreditGrant.Reason.GESTURE,
        eligible_kinds=kinds,
    )
    CreditGrant.objects.filter(pk=grant.pk).update(note=note[:300])
    grant.note = note[:300]
    return grant


# --- monthly renewals ---------------------------------------------------------------------------


@transaction.atomic
def membership_renew(*, actor: Any, membership: Membership, on: dt.date) -> int:
    """Grant the month of ``on`` to one monthly membership; returns the grants created (0 when
    the month was already granted, even by a parallel run)."""
    fresh = (
        lock_for_update(Membership.objects.filter(pk=membership.pk).select_related("plan"), of=("self",))
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on), starts_on__lte=on)
        .first()
    )
    if fresh is None or fresh.plan is None or fresh.plan.kind not in MONTHLY_PLAN_KINDS:
        return 0
    before = CreditGrant.objects.filter(
        membership=fresh, reason=CreditGrant.Reason.RENEWAL, period_start=month_start(on)
    ).count()
    try:
        with transaction.atomic():
            _renewal_grants(actor=actor, membership=fresh, plan=fresh.plan, on=on)
    except IntegrityError:  # credit_grant_one_renewal: another run granted it meanwhile
        return 0
    created = (
        CreditGrant.objects.filter(
            membership=fresh, reason=CreditGrant.Reason.RENEWAL, period_start=month_start(on)
        ).count()
        - before
    )
    following = next_month_start(on)
    fresh.next_renewal_on = None if fresh.ends_on is not None and fresh.ends_on < following else following
    fresh.save(update_fields=["next_renewal_on"])
    return created


def memberships_renew(*, on: dt.date | None = None) -> int:
    """Daily job: the month's credits for every open monthly membership due (each in its own
    transaction: one problem does not hold back the others). Returns the grants created."""
    on = on or timezone.localdate()
    due = (
        Membership.objects.filter(plan__kind__in=MONTHLY_PLAN_KINDS, starts_on__lte=on)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=on))
        .filter(Q(next_renewal_on__isnull=True) | Q(next_renewal_on__lte=on))
        .order_by("pk")
    )
    return sum(membership_renew(actor=None, membership=m, on=on) for m in due)


# --- profile ----------------------------------------------------------------------------------


@transaction.atomic
def profile_update(
    *,
    actor: Any,
    billing_name: str = "",
    billing_address: str = "",
    home_commune: Commune | None = None,
    commute_km: Decimal | None = None,
    commute_mode: str = "",
) -> MemberProfile:
    """The person's own profile (created at the first save)."""
    errors: dict[str, list[str]] = {}
    if commute_km is not None and not ZERO <= commute_km <= Decimal("2000"):
        errors["commute_km"] = [_("Entre 0 et 2 000 km.")]
    if commute_mode and commute_mode not in MemberProfile.CommuteMode.values:
        errors["commute_mode"] = [_("Choisissez un moyen de transport de la liste.")]
    if len(billing_name) > 200:
        errors["billing_name"] = [_("200 caractères au plus.")]
    if len(billing_address) > 1000:
        errors["billing_address"] = [_("1 000 caractères au plus.")]
    if errors:
        raise ValidationError(errors)
    profile, _created = MemberProfile.objects.get_or_create(user=actor)
    profile = lock_for_update(MemberProfile.objects.filter(pk=profile.pk)).get()
    profile.billing_name = billing_name.strip()
    profile.billing_address = billing_address.strip()
    profile.home_commune = home_commune
    profile.commute_km = commute_km
    profile.commute_mode = commute_mode
    profile.save()
    journal.record(actor=actor, action="telework.profile.updated", target=profile)
    return profile
