"""Security review, on PostgreSQL with real parallel connections: quotas and credits cannot be
spent twice, and the agreements' cancellations take their locks in the booking service's order
(resource, then membership, then grants), so that they never deadlock with a booking."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from decimal import Decimal

import pytest

from cybercantal.core.db import is_postgres
from cybercantal.core.testing import run_in_parallel

from ..models import Booking, BookingStatus, CreditGrant, DayPart, Membership, ResourceKind
from ..services import agreements as agreement_services
from ..services import booking as service
from .factories import MembershipFactory, ResourceFactory, TelecentreFactory, give_credits, next_weekday
from .factories_agreements import agreement_in_force, joined_employee

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WAIT = 5  # seconds: how long a thread held at a pause point waits for the other one


def _outcome(call):
    try:
        call()
    except service.BookingError as exc:
        return f"refused:{exc.code}"
    except Exception as exc:  # noqa: BLE001 - a deadlock or any crash is what we look for
        return f"error:{type(exc).__name__}:{exc}"
    return "ok"


def test_an_agreement_quota_holds_across_two_telecentres_booked_at_once(monkeypatch):
    """The agreement's days-per-week count every telecentre it covers; one person booking at
    two of them at the same moment locked two different resources and two different
    memberships: both checks passed, both bookings were written, the quota was exceeded."""
    assert is_postgres()
    murat, aurillac = TelecentreFactory(), TelecentreFactory()
    pool_murat = ResourceFactory(telecentre=murat, kind=ResourceKind.SEAT_POOL, capacity=5)
    pool_aurillac = ResourceFactory(telecentre=aurillac, kind=ResourceKind.SEAT_POOL, capacity=5)
    setup = agreement_in_force(murat, aurillac, days_per_week=1)
    employee, _m = joined_employee(setup.agreement, murat)
    agreement_services.agreement_join(actor=employee.user, employee=employee, telecentre=aurillac)
    tuesday = next_weekday(1, weeks=1)
    wednesday = tuesday + dt.timedelta(days=1)

    # Both threads pass the quota check before either writes (a pause right after the check).
    barrier = threading.Barrier(2)
    original = service._check_quota

    def paused_check(**kwargs):
        original(**kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(WAIT)

    monkeypatch.setattr(service, "_check_quota", paused_check)
    user = employee.user
    jobs = [(pool_murat, tuesday), (pool_aurillac, wednesday)]
    results = run_in_parallel(
        lambda job: _outcome(
            lambda: service.booking_create(actor=user, resource=job[0], day=job[1], part=DayPart.DAY, notify=False)
        ),
        jobs,
        timeout=60,
    )
    assert sorted(results) == ["ok", "refused:quota"], results
    assert Booking.objects.filter(member=user, status=BookingStatus.CONFIRMED).count() == 1


def test_removing_an_employee_while_they_book_neither_deadlocks_nor_leaves_a_booking(monkeypatch):
    """``employee_remove`` ended the memberships (row locks) and then cancelled the bookings
    (the pool's lock): the opposite order of ``booking_create`` (pool, then membership). A
    booking made at that moment deadlocked with the removal; PostgreSQL killed one of them (a
    500 for the employer or the employee)."""
    telecentre = TelecentreFactory()
    pool = ResourceFactory(telecentre=telecentre, kind=ResourceKind.SEAT_POOL, capacity=5)
    setup = agreement_in_force(telecentre)
    employee, _membership = joined_employee(setup.agreement, telecentre)
    user = employee.user
    first_day = next_weekday(1, weeks=1)
    later_day = next_weekday(1, weeks=2)
    service.booking_create(actor=user, resource=pool, day=first_day, part=DayPart.DAY, notify=False)

    creator_holds_pool = threading.Event()
    remover_holds_memberships = threading.Event()
    creator = {"thread": None}
    original_lock = service.lock_for_update

    def lock(queryset, *args, **kwargs):
        if threading.current_thread() is creator["thread"] and queryset.model is Membership:
            creator_holds_pool.set()  # the pool is locked; wait until the removal is under way
            remover_holds_memberships.wait(WAIT)
        return original_lock(queryset, *args, **kwargs)

    monkeypatch.setattr(service, "lock_for_update", lock)
    original_cancel = agreement_services._cancel_bookings

    def cancel(**kwargs):
        remover_holds_memberships.set()
        return original_cancel(**kwargs)

    monkeypatch.setattr(agreement_services, "_cancel_bookings", cancel)

    def run(job):
        if job == "book":
            creator["thread"] = threading.current_thread()
            return _outcome(
                lambda: service.booking_create(actor=user, resource=pool, day=later_day, part=DayPart.DAY, notify=False)
            )
        creator_holds_pool.wait(WAIT)
        return _outcome(lambda: agreement_services.employee_remove(actor=setup.employer_manager, employee=employee))

    results = run_in_parallel(run, ["book", "remove"], timeout=60)
    assert not [r for r in results if r.startswith("error")], results
    assert results[1] == "ok"
    # Whichever came first, no booking is left confirmed under the agreement after the removal.
    assert not Booking.objects.filter(member=user, status=BookingStatus.CONFIRMED).exists()


def test_ending_an_agreement_while_its_employee_books_does_not_deadlock(monkeypatch):
    """``agreement_end`` has the same shape as the removal: memberships first, then bookings."""
    telecentre = TelecentreFactory()
    pool = ResourceFactory(telecentre=telecentre, kind=ResourceKind.SEAT_POOL, capacity=5)
    setup = agreement_in_force(telecentre)
    employee, _membership = joined_employee(setup.agreement, telecentre)
    user = employee.user
    service.booking_create(actor=user, resource=pool, day=next_weekday(1, weeks=2), part=DayPart.DAY, notify=False)
    from cybercantal.accounts.models import Role
    from cybercantal.places.tests.factories import UserFactory, give_totp, grant

    programme = UserFactory()
    give_totp(programme)
    grant(programme, Role.PROGRAMME_MANAGER, None)

    creator_holds_pool = threading.Event()
    ender_holds_memberships = threading.Event()
    creator = {"thread": None}
    original_lock = service.lock_for_update

    def lock(queryset, *args, **kwargs):
        if threading.current_thread() is creator["thread"] and queryset.model is Membership:
            creator_holds_pool.set()
            ender_holds_memberships.wait(WAIT)
        return original_lock(queryset, *args, **kwargs)

    monkeypatch.setattr(service, "lock_for_update", lock)
    original_cancel = agreement_services._cancel_bookings

    def cancel(**kwargs):
        ender_holds_memberships.set()
        return original_cancel(**kwargs)

    monkeypatch.setattr(agreement_services, "_cancel_bookings", cancel)
    from django.utils import timezone

    def run(job):
        if job == "book":
            creator["thread"] = threading.current_thread()
            return _outcome(
                lambda: service.booking_create(
                    actor=user, resource=pool, day=next_weekday(3, weeks=3), part=DayPart.DAY, notify=False
                )
            )
        creator_holds_pool.wait(WAIT)
        return _outcome(
            lambda: agreement_services.agreement_end(
                actor=programme, agreement=setup.agreement, ends_on=timezone.localdate()
            )
        )

    results = run_in_parallel(run, ["book", "end"], timeout=60)
    assert not [r for r in results if r.startswith("error")], results
    assert not Booking.objects.filter(member=user, status=BookingStatus.CONFIRMED).exists()


def test_credits_are_spent_once_whatever_the_channel():
    """Ten identical requests at once (double click, two tabs, the API and the page): one
    booking, one day of credits."""
    from django.test import Client

    telecentre = TelecentreFactory()
    pool = ResourceFactory(telecentre=telecentre, kind=ResourceKind.SEAT_POOL, capacity=5)
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, "3")
    day = next_weekday(2, weeks=1)
    clients = []
    for _ in range(10):
        client = Client()
        client.force_login(membership.member)
        clients.append(client)

    def press(pair):
        index, client = pair
        if index % 2:
            response = client.post(
                "/api/telecentres/reservations",
                {"ressource": pool.pk, "jour": day.isoformat(), "moment": "day"},
                content_type="application/json",
            )
            return response.status_code
        return client.post(
            f"/telecentres/{telecentre.slug}/reserver/",
            {"ressource": pool.pk, "jour": day.isoformat(), "moment": DayPart.DAY},
        ).status_code

    results = run_in_parallel(press, list(enumerate(clients)), timeout=120)
    assert all(code in (201, 302, 409) for code in results), results
    assert Booking.objects.filter(member=membership.member, status=BookingStatus.CONFIRMED).count() == 1
    grant = CreditGrant.objects.get(membership=membership)
    assert grant.remaining == Decimal("2")


def test_cancel_twice_at_once_refunds_once():
    """The page and the API cancel the same booking at the same moment: one refund."""
    from django.test import Client

    telecentre = TelecentreFactory()
    pool = ResourceFactory(telecentre=telecentre, kind=ResourceKind.SEAT_POOL, capacity=5)
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, "3")
    booking = service.booking_create(
        actor=membership.member, resource=pool, day=next_weekday(2, weeks=1), part=DayPart.DAY, notify=False
    )
    clients = []
    for _ in range(6):
        client = Client()
        client.force_login(membership.member)
        clients.append(client)

    def press(pair):
        index, client = pair
        if index % 2:
            return client.delete(f"/api/telecentres/reservations/{booking.pk}").status_code
        return client.post(f"/telecentres/reservations/{booking.pk}/annuler/").status_code

    results = run_in_parallel(press, list(enumerate(clients)), timeout=120)
    assert all(code in (200, 302) for code in results), results
    assert CreditGrant.objects.get(membership=membership).remaining == Decimal("3")
