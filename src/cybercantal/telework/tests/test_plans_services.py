"""Plans and memberships: the plan rules, what choosing a plan grants, changing plan with
credits carried over, buying again, ending, gestures, monthly renewals (idempotent, even two
runs at once on PostgreSQL), the profile."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone

from cybercantal.core.db import is_postgres
from cybercantal.core.models import JournalEntry
from cybercantal.core.testing import run_in_parallel

from ..models import (
    Booking,
    CreditGrant,
    CreditMovement,
    CreditUnit,
    DayPart,
    MemberProfile,
    Membership,
    Plan,
    PlanKind,
    ResourceKind,
    TelecentreStatus,
)
from ..services import booking as booking_service
from ..services import credits
from ..services import plans as services
from .factories import (
    AgreementFactory,
    EmployeeFactory,
    MembershipFactory,
    TelecentreFactory,
    UserFactory,
    next_weekday,
)
from .factories_plans import carnet, day_pass, full_time, hours_pack, part_time, plan_fields

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


# --- plan rules ---------------------------------------------------------------------------------


def test_plan_create_records_and_journals(telecentre, manager):
    plan = services.plan_create(actor=manager, telecentre=telecentre, **plan_fields())
    assert plan.pk
    assert plan.credit_days == 5
    assert JournalEntry.objects.filter(action="telework.plan.created").count() == 1


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"vat_rate": Decimal("19.6")}, "vat_rate", "0 %, 5,5 %, 10 % ou 20 %"),
        ({"credit_days": Decimal("0")}, "credit_days", "Un carnet comprend des journées"),
        ({"eligible_kinds": []}, "eligible_kinds", "Indiquez les ressources"),
        (
            {"kind": PlanKind.DAY_PASS, "price_excl_tax": Decimal("0"), "credit_days": Decimal("0")},
            "price_excl_tax",
            "Un pass journée a un prix à la journée",
        ),
        ({"kind": PlanKind.DAY_PASS}, "credit_days", "se paie à l'usage"),
        (
            {"kind": PlanKind.PART_TIME, "credit_validity_days": 365},
            "credit_validity_days",
            "se renouvelle chaque mois",
        ),
        (
            {"kind": PlanKind.FULL_TIME, "credit_days": Decimal("0"), "credit_validity_days": 31},
            "credit_days",
            "Un abonnement mensuel comprend des journées",
        ),
        (
            {"kind": PlanKind.MEETING_HOURS, "credit_days": Decimal("0"), "eligible_kinds": []},
            "credit_hours",
            "Un forfait de salle comprend des heures",
        ),
        ({"price_excl_tax": Decimal("-1")}, "price_excl_tax", "négatif"),
        ({"days_per_week": 9}, "days_per_week", "Entre 1 et 7"),
    ],
)
def test_plan_rules_say_what_is_wrong(telecentre, manager, overrides, field, text):
    with pytest.raises(ValidationError) as caught:
        services.plan_create(actor=manager, telecentre=telecentre, **plan_fields(**overrides))
    assert any(text in message for message in caught.value.message_dict[field])
    assert not Plan.objects.filter(telecentre=telecentre).exists()


def test_one_active_day_pass_per_telecentre(telecentre, manager):
    first = day_pass(telecentre)
    fields = plan_fields(name="Autre pass", kind=PlanKind.DAY_PASS, credit_days=Decimal("0"))
    with pytest.raises(ValidationError) as caught:
        services.plan_create(actor=manager, telecentre=telecentre, **fields)
    assert "déjà un pass journée actif (« Pass journée »)" in caught.value.message_dict["kind"][0]
    # Inactive, it is allowed; reactivating it is then refused.
    second = services.plan_create(actor=manager, telecentre=telecentre, **{**fields, "is_active": False})
    with pytest.raises(ValidationError):
        services.plan_update(actor=manager, plan=second, is_active=True)
    services.plan_update(actor=manager, plan=first, is_active=False)
    assert services.plan_update(actor=manager, plan=second, is_active=True).is_active
    # Another telecentre has its own.
    services.plan_create(actor=manager, telecentre=TelecentreFactory(), **fields)


def test_plan_names_are_unique_per_telecentre(telecentre, manager):
    services.plan_create(actor=manager, telecentre=telecentre, **plan_fields())
    with pytest.raises(ValidationError) as caught:
        services.plan_create(actor=manager, telecentre=telecentre, **plan_fields())
    assert "porte déjà ce nom" in caught.value.message_dict["name"][0]


def test_hours_pack_always_covers_meeting_rooms(telecentre, manager):
    plan = services.plan_create(
        actor=manager,
        telecentre=telecentre,
        **plan_fields(
            kind=PlanKind.MEETING_HOURS, credit_days=Decimal("0"), credit_hours=Decimal("10"), eligible_kinds=[]
        ),
    )
    assert plan.eligible_kinds == [ResourceKind.MEETING_ROOM]


def test_a_plan_in_use_is_deactivated_not_deleted_and_keeps_its_kind(telecentre, manager):
    unused = carnet(telecentre, name="Jamais choisi")
    assert services.plan_delete(actor=manager, plan=unused) is True
    assert not Plan.objects.filter(pk=unused.pk).exists()
    used = MembershipFactory(telecentre=telecentre).plan
    assert services.plan_delete(actor=manager, plan=used) is False
    used.refresh_from_db()
    assert used.is_active is False
    with pytest.raises(ValidationError) as caught:
        services.plan_update(actor=manager, plan=used, kind=PlanKind.PART_TIME, credit_validity_days=31)
    assert "son type ne change plus" in caught.value.message_dict["kind"][0]
    updated = services.plan_update(actor=manager, plan=used, price_excl_tax=Decimal("160.00"))
    assert updated.price_excl_tax == Decimal("160.00")


# --- choosing a plan ------------------------------------------------------------------------------


def test_carnet_is_a_purchase_valid_a_year(telecentre, django_capture_on_commit_callbacks):
    plan = carnet(telecentre)
    person = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        membership = services.membership_subscribe(actor=person, plan=plan, on=TODAY)
    grant = membership.credit_grants.get()
    assert (grant.reason, grant.unit, grant.amount, grant.remaining) == (
        CreditGrant.Reason.PURCHASE,
        CreditUnit.DAY,
        Decimal("10"),
        Decimal("10"),
    )
    assert grant.granted_on == TODAY  # billing invoices the purchase on this date
    assert grant.expires_on == dt.date(2027, 3, 9)
    assert sorted(grant.eligible_kinds) == ["office", "seat_pool"]
    assert membership.next_renewal_on is None
    assert credits.balance(membership, on=TODAY).days == 10
    assert len(mail.outbox) == 1
    assert "facture de ce mois-ci" in mail.outbox[0].body


def test_hours_pack_grants_hours_for_meeting_rooms(telecentre):
    membership = services.membership_subscribe(actor=UserFactory(), plan=hours_pack(telecentre), on=TODAY)
    grant = membership.credit_grants.get()
    assert (grant.unit, grant.amount, grant.eligible_kinds) == (CreditUnit.HOUR, Decimal("10"), ["meeting_room"])


def test_monthly_plan_gets_this_month_and_renews_next_month(telecentre):
    membership = services.membership_subscribe(actor=UserFactory(), plan=full_time(telecentre), on=TODAY)
    grants = {g.unit: g for g in membership.credit_grants.all()}
    assert grants[CreditUnit.DAY].amount == 22
    assert grants[CreditUnit.HOUR].eligible_kinds == ["meeting_room"]
    for grant in grants.values():
        assert grant.reason == CreditGrant.Reason.RENEWAL
        assert grant.period_start == dt.date(2026, 3, 1)
        assert grant.granted_on == TODAY
        assert grant.expires_on == dt.date(2026, 3, 31)
    assert membership.next_renewal_on == dt.date(2026, 4, 1)


def test_day_pass_grants_nothing(telecentre):
    membership = services.membership_subscribe(actor=UserFactory(), plan=day_pass(telecentre), on=TODAY)
    assert not membership.credit_grants.exists()
    assert membership.plan.kind == PlanKind.DAY_PASS


def test_subscribing_is_refused_clearly(telecentre):
    person = UserFactory()
    hidden = carnet(telecentre, name="Carnet au comptoir", is_public=False)
    with pytest.raises(ValidationError, match="n'est plus proposée"):
        services.membership_subscribe(actor=person, plan=hidden)
    planned = TelecentreFactory(status=TelecentreStatus.PLANNED, opens_on=None)
    with pytest.raises(ValidationError, match="n'est pas ouvert"):
        services.membership_subscribe(actor=person, plan=carnet(planned))
    with pytest.raises(ValidationError, match="pour vous-même"):
        services.membership_subscribe(actor=person, plan=carnet(telecentre), member=UserFactory())
    assert not Membership.objects.filter(member=person).exists()


def test_a_manager_may_subscribe_someone_at_the_desk_even_to_a_counter_plan(telecentre, manager):
    person = UserFactory()
    counter = carnet(telecentre, is_public=False)
    membership = services.membership_subscribe(actor=manager, plan=counter, member=person)
    assert membership.member == person


def test_the_same_plan_twice_is_refused(telecentre):
    person = UserFactory()
    plan = carnet(telecentre)
    services.membership_subscribe(actor=person, plan=plan, on=TODAY)
    with pytest.raises(ValidationError) as caught:
        services.membership_subscribe(actor=person, plan=plan, on=TODAY + dt.timedelta(days=3))
    assert caught.value.code == "duplicate"
    assert "rachetez" in caught.value.messages[0]
    assert Membership.objects.filter(member=person).count() == 1


def test_the_database_refuses_two_open_memberships(telecentre):
    person = UserFactory()
    services.membership_subscribe(actor=person, plan=carnet(telecentre), on=TODAY)
    with pytest.raises(IntegrityError):
        Membership.objects.create(member=person, telecentre=telecentre, plan=part_time(telecentre), starts_on=TODAY)


def test_an_employee_covered_by_an_agreement_needs_no_plan(telecentre):
    person = UserFactory()
    agreement = AgreementFactory(telecentres=[telecentre])
    EmployeeFactory(agreement=agreement, user=person, email=person.email)
    Membership.objects.create(member=person, telecentre=telecentre, agreement=agreement, starts_on=TODAY)
    with pytest.raises(ValidationError, match="Votre employeur prend en charge"):
        services.membership_subscribe(actor=person, plan=carnet(telecentre), on=TODAY + dt.timedelta(days=1))


# --- changing plan --------------------------------------------------------------------------------


def test_changing_plan_ends_the_old_one_and_carries_credits_over(telecentre, django_capture_on_commit_callbacks):
    person = UserFactory()
    old = services.membership_subscribe(actor=person, plan=carnet(telecentre), on=dt.date(2026, 1, 5))
    old_grant = old.credit_grants.get()
    CreditGrant.objects.filter(pk=old_grant.pk).update(remaining=Decimal("6.5"))
    with django_capture_on_commit_callbacks(execute=True):
        new = services.membership_subscribe(actor=person, plan=part_time(telecentre), on=TODAY)
    old.refresh_from_db()
    assert old.ends_on == TODAY - dt.timedelta(days=1)
    transferred = new.credit_grants.get(reason=CreditGrant.Reason.TRANSFER)
    assert transferred.amount == transferred.remaining == Decimal("6.5")
    assert transferred.expires_on == old_grant.expires_on  # valid until it expires
    assert "Reportés de l'adhésion « Carnet 10 jours »" in transferred.note
    old_grant.refresh_from_db()
    assert old_grant.remaining == 0
    movement = CreditMovement.objects.get(grant=old_grant)
    assert (movement.kind, movement.amount) == (CreditMovement.Kind.ADJUSTMENT, Decimal("-6.5"))
    # 9 days of the month + 6.5 carried over.
    assert credits.balance(new, on=TODAY).days == Decimal("15.5")
    assert "restent valables jusqu'à leur date d'expiration" in mail.outbox[-1].body


def test_expired_credits_are_not_carried_over(telecentre):
    person = UserFactory()
    old = services.membership_subscribe(actor=person, plan=part_time(telecentre), on=dt.date(2026, 1, 5))
    new = services.membership_subscribe(actor=person, plan=carnet(telecentre), on=TODAY)
    assert old.credit_grants.get().remaining == 9  # January's, expired: stays where it was
    assert not new.credit_grants.filter(reason=CreditGrant.Reason.TRANSFER).exists()


def test_changing_plan_the_day_it_started_is_refused(telecentre):
    person = UserFactory()
    services.membership_subscribe(actor=person, plan=carnet(telecentre), on=TODAY)
    with pytest.raises(ValidationError, match="à partir du lendemain"):
        services.membership_subscribe(actor=person, plan=part_time(telecentre), on=TODAY)


def test_carried_credits_pay_for_a_booking_under_the_new_plan(telecentre, pool):
    person = UserFactory()
    old = services.membership_subscribe(
        actor=person, plan=carnet(telecentre), on=timezone.localdate() - dt.timedelta(days=20)
    )
    new = services.membership_subscribe(actor=person, plan=day_pass(telecentre))
    assert old.pk != new.pk
    booking = booking_service.booking_create(actor=person, resource=pool, day=next_weekday(2), part=DayPart.DAY)
    assert booking.credits_used == 1
    assert booking.price_excl_tax == 0
    assert credits.balance(new).days == 9


# --- buying again, ending, gestures -----------------------------------------------------------------


def test_buy_again_adds_a_purchase_and_a_double_submit_buys_once(telecentre):
    person = UserFactory()
    membership = services.membership_subscribe(actor=person, plan=carnet(telecentre))
    services.membership_buy_again(actor=person, membership=membership, expected_purchases=1)
    with pytest.raises(ValidationError) as caught:
        services.membership_buy_again(actor=person, membership=membership, expected_purchases=1)
    assert caught.value.code == "duplicate"
    assert membership.credit_grants.filter(reason=CreditGrant.Reason.PURCHASE).count() == 2
    assert credits.balance(membership).days == 20


def test_buy_again_only_for_packs_and_for_oneself(telecentre):
    person = UserFactory()
    monthly = services.membership_subscribe(actor=person, plan=part_time(telecentre))
    with pytest.raises(ValidationError, match="Seuls un carnet"):
        services.membership_buy_again(actor=person, membership=monthly)
    other = services.membership_subscribe(actor=UserFactory(), plan=carnet(telecentre))
    with pytest.raises(ValidationError) as caught:
        services.membership_buy_again(actor=person, membership=other)
    assert caught.value.code == "forbidden"


def test_ending_a_monthly_plan_defaults_to_the_end_of_the_month(telecentre):
    person = UserFactory()
    membership = services.membership_subscribe(actor=person, plan=part_time(telecentre))
    ended = services.membership_end(actor=person, membership=membership)
    today = timezone.localdate()
    assert ended.ends_on == services.month_end(today)
    assert ended.next_renewal_on is None
    Membership.objects.filter(pk=membership.pk).update(
        starts_on=today - dt.timedelta(days=40), ends_on=today - dt.timedelta(days=1)
    )
    with pytest.raises(ValidationError, match="déjà terminée"):
        services.membership_end(actor=person, membership=ended)


def test_ending_is_refused_while_bookings_remain_after(telecentre, pool):
    person = UserFactory()
    membership = services.membership_subscribe(actor=person, plan=carnet(telecentre))
    day = next_weekday(2, weeks=1)
    booking_service.booking_create(actor=person, resource=pool, day=day, part=DayPart.MORNING)
    with pytest.raises(ValidationError) as caught:
        services.membership_end(actor=person, membership=membership, on=timezone.localdate())
    assert "1 réservation(s) restent après" in caught.value.message_dict["ends_on"][0]
    assert services.membership_end(actor=person, membership=membership, on=day).ends_on == day


def test_ending_rules(telecentre, staff):
    person = UserFactory()
    membership = services.membership_subscribe(actor=person, plan=carnet(telecentre))
    with pytest.raises(ValidationError) as caught:
        services.membership_end(actor=UserFactory(), membership=membership)
    assert caught.value.code == "forbidden"
    with pytest.raises(ValidationError, match="passée"):
        services.membership_end(actor=person, membership=membership, on=timezone.localdate() - dt.timedelta(days=2))
    other_manager = staff("telecentre_manager", TelecentreFactory().place)
    with pytest.raises(ValidationError):
        services.membership_end(actor=other_manager, membership=membership)


def test_gesture_credits_with_a_note(telecentre, manager):
    membership = services.membership_subscribe(actor=UserFactory(), plan=day_pass(telecentre))
    expires = timezone.localdate() + dt.timedelta(days=60)
    grant = services.membership_grant_gesture(
        actor=manager,
        membership=membership,
        unit=CreditUnit.DAY,
        amount=Decimal("1"),
        expires_on=expires,
        note="Wifi en panne le 3 mars",
    )
    grant.refresh_from_db()
    assert (grant.reason, grant.note, grant.created_by) == (
        CreditGrant.Reason.GESTURE,
        "Wifi en panne le 3 mars",
        manager,
    )
    assert sorted(grant.eligible_kinds) == ["office", "seat_pool"]
    with pytest.raises(ValidationError) as caught:
        services.membership_grant_gesture(
            actor=manager, membership=membership, unit="x", amount=Decimal("0.3"), expires_on=expires, note=" "
        )
    assert set(caught.value.message_dict) == {"unit", "amount", "note"}
    with pytest.raises(ValidationError) as caught:
        services.membership_grant_gesture(
            actor=membership.member,
            membership=membership,
            unit="day",
            amount=Decimal("5"),
            expires_on=expires,
            note="x",
        )
    assert caught.value.code == "forbidden"


# --- monthly renewals -------------------------------------------------------------------------------


def test_renewal_grants_the_month_once_even_run_twice(telecentre):
    person = UserFactory()
    membership = services.membership_subscribe(actor=person, plan=part_time(telecentre), on=dt.date(2026, 2, 14))
    carnet_member = services.membership_subscribe(actor=UserFactory(), plan=carnet(telecentre), on=dt.date(2026, 2, 14))
    assert services.memberships_renew(on=dt.date(2026, 3, 1)) == 1
    assert services.memberships_renew(on=dt.date(2026, 3, 1)) == 0
    assert services.memberships_renew(on=dt.date(2026, 3, 2)) == 0
    march = membership.credit_grants.get(period_start=dt.date(2026, 3, 1))
    assert (march.granted_on, march.expires_on, march.amount) == (dt.date(2026, 3, 1), dt.date(2026, 3, 31), 9)
    membership.refresh_from_db()
    assert membership.next_renewal_on == dt.date(2026, 4, 1)
    assert carnet_member.credit_grants.count() == 1
    assert services.memberships_renew(on=dt.date(2026, 4, 1)) == 1


def test_renewal_stops_with_the_membership(telecentre):
    person = UserFactory()
    membership = services.membership_subscribe(actor=person, plan=part_time(telecentre), on=dt.date(2026, 2, 14))
    Membership.objects.filter(pk=membership.pk).update(ends_on=dt.date(2026, 2, 28))
    assert services.memberships_renew(on=dt.date(2026, 3, 1)) == 0


def test_renewal_job_runs_the_service():
    from ..jobs.plans import telework_renew_memberships

    telecentre = TelecentreFactory()
    membership = MembershipFactory(telecentre=telecentre, plan=part_time(telecentre), next_renewal_on=None)
    assert telework_renew_memberships.call() == 1
    assert membership.credit_grants.filter(reason=CreditGrant.Reason.RENEWAL).count() == 1


def test_the_renewal_job_is_scheduled_every_night():
    from cybercantal.core import scheduler

    jobs = {job.name: job for job in scheduler.registered_jobs()}
    job = jobs["cybercantal.telework.jobs.plans.telework_renew_memberships"]
    assert job.describe() == "chaque jour à 00 h 20"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_parallel_renewal_runs_grant_once():
    assert is_postgres()
    telecentre = TelecentreFactory()
    plan = part_time(telecentre)
    memberships = [
        services.membership_subscribe(actor=UserFactory(), plan=plan, on=dt.date(2026, 2, 10), notify=False)
        for _ in range(20)
    ]
    results = run_in_parallel(lambda _: services.memberships_renew(on=dt.date(2026, 3, 1)), range(2), timeout=60)
    assert sum(results) == 20
    assert CreditGrant.objects.filter(period_start=dt.date(2026, 3, 1)).count() == 20
    assert all(m.credit_grants.count() == 2 for m in memberships)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submit_at_once_creates_one_membership():
    telecentre = TelecentreFactory()
    plan = carnet(telecentre)
    person = UserFactory()

    def submit(_):
        try:
            services.membership_subscribe(actor=person, plan=plan, notify=False)
        except ValidationError as exc:
            return exc.messages[0]
        return "ok"

    results = run_in_parallel(submit, range(5), timeout=60)
    assert results.count("ok") == 1
    assert all("déjà" in r for r in results if r != "ok")
    assert Membership.objects.filter(member=person).count() == 1
    assert CreditGrant.objects.filter(membership__member=person).count() == 1


# --- profile ----------------------------------------------------------------------------------------


def test_profile_update_creates_then_changes(telecentre):
    person = UserFactory()
    profile = services.profile_update(actor=person, billing_name="Camille Besse", commute_km=Decimal("118"))
    assert profile.calendar_token
    services.profile_update(actor=person, billing_name="", commute_km=None, commute_mode="train")
    profile = MemberProfile.objects.get(user=person)
    assert (profile.billing_name, profile.commute_km, profile.commute_mode) == ("", None, "train")
    with pytest.raises(ValidationError) as caught:
        services.profile_update(actor=person, commute_km=Decimal("2500"), commute_mode="fusée")
    assert set(caught.value.message_dict) == {"commute_km", "commute_mode"}


def test_booking_refund_after_plan_change_keeps_the_ledger_exact(telecentre, pool):
    person = UserFactory()
    services.membership_subscribe(actor=person, plan=carnet(telecentre), on=timezone.localdate() - dt.timedelta(days=3))
    booking = booking_service.booking_create(
        actor=person, resource=pool, day=next_weekday(3, weeks=1), part=DayPart.DAY, notify=False
    )
    booking_service.booking_cancel(actor=person, booking=booking, notify=False)
    assert Booking.objects.get(pk=booking.pk).status == "cancelled"
    assert sum(g.remaining for g in CreditGrant.objects.filter(membership__member=person)) == 10
