"""The availability grids (``queries.booking``): what they say agrees with the booking rules
(``queries.availability``), closures and closed days are said, and they cost a constant number
of queries whatever the number of resources and bookings. The cost shown before booking."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest
from django.utils import timezone

from ..models import Closure, DayPart, PlanKind, ResourceAccess, ResourceKind, TelecentreStatus
from ..queries import availability
from ..queries import booking as queries
from ..services import booking as service
from .factories import (
    AgreementFactory,
    EmployeeFactory,
    MembershipFactory,
    PlanFactory,
    ResourceFactory,
    UserFactory,
    give_credits,
    next_weekday,
)

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def new_member(telecentre, amount="10"):
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, amount)
    return membership.member


def _cell(grid, day, resource, part=""):
    row = next(r for r in grid.rows if r.day == day)
    return next(c for c in row.cells if c.resource.pk == resource.pk and c.part == part)


# --- seat pools ---------------------------------------------------------------------------------


def test_pool_seats_left_per_half_day(pool, telecentre):
    day = next_weekday(1, weeks=1)
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.DAY)
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.MORNING)
    grid = queries.week_grid(telecentre, day)
    morning = _cell(grid, day, pool, DayPart.MORNING)
    afternoon = _cell(grid, day, pool, DayPart.AFTERNOON)
    assert (morning.state, morning.free, morning.text) == ("free", 2, "2 postes libres sur 4")
    assert (afternoon.free, afternoon.text) == (3, "3 postes libres sur 4")
    assert grid.monday == day - dt.timedelta(days=day.weekday())
    assert next(r.day for r in grid.rows).weekday() == 0


def test_full_pool_says_complet_and_one_seat_left_is_singular(pool, telecentre):
    pool.capacity = 2
    pool.save()
    day = next_weekday(2, weeks=1)
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.MORNING)
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.DAY)
    grid = queries.day_grid(telecentre, day)
    morning, afternoon, whole = grid.pools[0].cells
    assert (morning.state, morning.text, morning.can_wait) == ("full", "Complet", True)
    assert afternoon.text == "1 poste libre sur 2"
    assert whole.state == "full"  # a day needs a seat in both halves


def test_closures_and_closed_days_are_said(pool, office, telecentre):
    day = next_weekday(3, weeks=1)
    Closure.objects.create(telecentre=telecentre, starts_on=day, ends_on=day, reason="Inventaire")
    Closure.objects.create(
        telecentre=telecentre, resource=office, starts_on=day + dt.timedelta(days=1), ends_on=day + dt.timedelta(days=1)
    )
    grid = queries.week_grid(telecentre, day)
    row = next(r for r in grid.rows if r.day == day)
    assert row.closed
    assert row.closed_reason == "Inventaire"
    next_day = day + dt.timedelta(days=1)
    assert _cell(grid, next_day, office).state == "closed"
    assert _cell(grid, next_day, pool, DayPart.MORNING).state == "free"
    # Hours: closed on Sundays.
    place = telecentre.place
    place.opening_hours = "Mo-Sa 08:00-19:00"
    place.save()
    sunday = grid.monday + dt.timedelta(days=6)
    grid = queries.week_grid(telecentre, day)
    assert _cell(grid, sunday, pool, DayPart.MORNING).text == "Fermé"


def test_planned_telecentre_says_when_it_opens(pool, telecentre):
    telecentre.status = TelecentreStatus.PLANNED
    telecentre.opens_on = timezone.localdate() + dt.timedelta(days=30)
    telecentre.save()
    grid = queries.week_grid(telecentre, timezone.localdate() + dt.timedelta(days=7))
    assert all(row.closed_reason.startswith("ouvre le") for row in grid.rows)


def test_past_and_beyond_the_window(pool, office, telecentre):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    grid = queries.day_grid(telecentre, yesterday)
    assert {c.state for c in grid.pools[0].cells} == {"past"}
    far = timezone.localdate() + dt.timedelta(days=pool.booking_window_days + 3)
    grid = queries.day_grid(telecentre, far)
    assert {c.state for c in grid.pools[0].cells} == {"later"}
    assert grid.exclusive_cells[0].state == "later"
    assert grid.pools[0].cells[0].text == "Pas encore réservable"


# --- offices and rooms --------------------------------------------------------------------------


def test_office_steps_and_free_runs_with_the_buffer(office, telecentre, member):
    office.buffer_minutes = 30
    office.save()
    day = next_weekday(1, weeks=1)
    service.booking_create(actor=member, resource=office, starts_at=at(day, 9), ends_at=at(day, 11))
    cell = queries.day_grid(telecentre, day).exclusive_cells[0]
    states = {timezone.localtime(s.starts_at).strftime("%H:%M"): s.state for s in cell.steps}
    assert states["08:00"] == "free"
    # A booking ending at 9 h would need its own 30 minutes of buffer: 8 h 30 is taken too.
    assert states["08:30"] == "full"
    assert states["10:30"] == "full"
    assert states["11:00"] == "full"  # the buffer after 11 h
    assert states["11:30"] == "free"
    assert [i.text for i in cell.intervals] == ["8 h – 8 h 30", "11 h 30 – 19 h"]
    assert cell.text == "Libre : 8 h – 8 h 30, 11 h 30 – 19 h"
    # A link proposes an hour (the minimum of 30 minutes fits in the first run).
    assert cell.intervals[1].book_until == at(day, 12, 30)
    assert cell.intervals[0].book_until == at(day, 8, 30)


def test_run_shorter_than_the_minimum_is_not_offered(office, telecentre, member):
    office.min_minutes = 60
    office.save()
    day = next_weekday(2, weeks=1)
    service.booking_create(actor=member, resource=office, starts_at=at(day, 8, 30), ends_at=at(day, 18, 30))
    cell = queries.day_grid(telecentre, day).exclusive_cells[0]
    assert cell.state == "full"
    assert {s.state for s in cell.steps} == {"short", "full"}
    assert not any(s.bookable for s in cell.steps)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_grid_agrees_with_the_booking_rules(seed, telecentre):
    """Random bookings; every cell of the grid says what ``queries.availability`` says."""
    rng = random.Random(seed)
    pool = ResourceFactory(telecentre=telecentre, kind=ResourceKind.SEAT_POOL, capacity=3, name="Plateau")
    office = ResourceFactory(
        telecentre=telecentre, kind=ResourceKind.OFFICE, capacity=1, name="Bureau", buffer_minutes=rng.choice([0, 30])
    )
    monday = next_weekday(0, weeks=1)
    for _ in range(25):
        day = monday + dt.timedelta(days=rng.randrange(7))
        try:
            if rng.random() < 0.5:
                service.booking_create(
                    actor=new_member(telecentre),
                    resource=pool,
                    day=day,
                    part=rng.choice(DayPart.values),
                    notify=False,
                )
            else:
                start = rng.randrange(16, 36) * 30
                length = rng.choice([30, 60, 90, 120])
                service.booking_create(
                    actor=new_member(telecentre),
                    resource=office,
                    starts_at=at(day, start // 60, start % 60),
                    ends_at=at(day, (start + length) // 60, (start + length) % 60),
                    notify=False,
                )
        except service.BookingError:
            pass
    grid = queries.week_grid(telecentre, monday)
    for row in grid.rows:
        for cell in row.cells:
            if cell.is_pool:
                taken = availability.seats_taken(pool, cell.starts_at, cell.ends_at)
                assert cell.free == pool.capacity - taken
            else:
                for step in cell.steps:
                    free = availability.is_free(office, step.starts_at, step.ends_at)
                    assert (step.state in ("free", "short")) == free, step


# --- queries --------------------------------------------------------------------------------------


def test_week_grid_costs_three_queries_whatever_its_size(telecentre, django_assert_num_queries):
    resources = [ResourceFactory(telecentre=telecentre, name=f"Plateau {i}") for i in range(3)] + [
        ResourceFactory(telecentre=telecentre, kind=ResourceKind.OFFICE, capacity=1, name=f"Bureau {i}")
        for i in range(3)
    ]
    day = next_weekday(1, weeks=1)
    for resource in resources:
        for offset in range(3):
            if resource.is_exclusive:
                service.booking_create(
                    actor=new_member(telecentre),
                    resource=resource,
                    starts_at=at(day + dt.timedelta(days=offset), 10),
                    ends_at=at(day + dt.timedelta(days=offset), 12),
                    notify=False,
                )
            else:
                service.booking_create(
                    actor=new_member(telecentre),
                    resource=resource,
                    day=day + dt.timedelta(days=offset),
                    part=DayPart.DAY,
                    notify=False,
                )
    Closure.objects.create(telecentre=telecentre, starts_on=day, ends_on=day)
    with django_assert_num_queries(3):
        queries.week_grid(telecentre, day)
    with django_assert_num_queries(3):
        queries.day_grid(telecentre, day)
    with django_assert_num_queries(2):
        queries.resource_days(resources[0], day)


def test_grid_reads_only_the_period_on_the_index(pool, telecentre, django_assert_num_queries):
    """The bookings query bounds ``starts_at`` on both sides (index range on resource, starts_at)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        queries.week_grid(telecentre, next_weekday(1))
    sql = next(q["sql"] for q in captured.captured_queries if "telework_booking" in q["sql"])
    assert sql.count('"telework_booking"."starts_at" >=') == 1
    assert sql.count('"telework_booking"."starts_at" <') == 1
    assert '"telework_booking"."resource_id" IN' in sql


# --- the cost -------------------------------------------------------------------------------------


def test_quote_from_credits_then_the_usage_price(pool, telecentre):
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, "1")
    day = next_weekday(1, weeks=1)
    start, end = at(day, 8), at(day, 19)
    cost = queries.quote(member=membership.member, resource=pool, starts_at=start, ends_at=end, part=DayPart.DAY)
    assert (cost.kind, cost.units, cost.balance, cost.balance_after) == ("credits", 1, 1, 0)
    service.booking_create(actor=membership.member, resource=pool, day=day, part=DayPart.DAY)
    other = day + dt.timedelta(days=1)
    cost = queries.quote(
        member=membership.member, resource=pool, starts_at=at(other, 8), ends_at=at(other, 13), part=DayPart.MORNING
    )
    assert (cost.kind, cost.price_excl_tax, cost.price_incl_tax) == ("price", Decimal("9.00"), Decimal("10.80"))


def test_quote_employer_day_pass_and_no_credits(pool, telecentre):
    day = next_weekday(2, weeks=1)
    start, end = at(day, 8), at(day, 13)
    agreement = AgreementFactory(telecentres=[telecentre])
    user = UserFactory()
    EmployeeFactory(agreement=agreement, user=user, email=user.email)
    MembershipFactory(member=user, telecentre=telecentre, plan=None, agreement=agreement)
    cost = queries.quote(member=user, resource=pool, starts_at=start, ends_at=end, part=DayPart.MORNING)
    assert (cost.kind, cost.price_excl_tax, cost.days_counted) == ("employer", Decimal("7.50"), Decimal("0.5"))

    pool.access = ResourceAccess.ANYONE
    pool.save()
    PlanFactory(telecentre=telecentre, kind=PlanKind.DAY_PASS, name="Pass", price_excl_tax=20, usage_price_day=None)
    cost = queries.quote(member=UserFactory(), resource=pool, starts_at=start, ends_at=end, part=DayPart.MORNING)
    assert (cost.kind, cost.price_excl_tax) == ("price", Decimal("10.00"))

    stingy = MembershipFactory(telecentre=telecentre, plan=PlanFactory(telecentre=telecentre, usage_price_day=None))
    cost = queries.quote(member=stingy.member, resource=pool, starts_at=start, ends_at=end, part=DayPart.MORNING)
    assert cost.kind == "no_credits"
    with pytest.raises(service.BookingError) as caught:
        service.booking_create(actor=stingy.member, resource=pool, day=day, part=DayPart.MORNING)
    assert caught.value.code == "no_credits"
