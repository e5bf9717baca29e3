"""The occupancy figures on a small hand-built month, every expected value computed by hand.

June 2025, a telecentre open every day 8 h – 19 h (11 hours), closed on Tuesday 10 June:
29 open days. Its seat pool has 2 seats (29 × 11 × 2 = 638 seat-hours), its office is one
unit (29 × 11 = 319 hours).

Pool bookings: Mon 2 Anne day (checked in, 11 h) and Bruno morning (checked in, 5 h);
Tue 3 Anne afternoon released (6 h, a released no-show); Wed 4 Chloé day never checked in
(11 h, paid by her employer's agreement); Thu 5 Bruno day cancelled (not counted); Fri 6
Anne morning and afternoon, both checked in (5 h + 6 h). Office: Mon 2 Bruno 14 h – 16 h,
checked in.

Booked: pool 11 + 5 + 6 + 11 + 5 + 6 = 44 h, office 2 h; used: pool 11 + 5 + 5 + 6 = 27 h,
office 2 h. Bookings 7, no-shows 2 (one released).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import override_settings

from ..models import AgreementStatus, BookingStatus, MemberProfile, ResourceKind, TelecentreStatus
from ..queries import occupancy as q
from ..queries.occupancy import Commute, Figures, Period
from .factories import AgreementFactory, MembershipFactory, ResourceFactory, TelecentreFactory
from .factories_occupancy import book, close, commuter

JUNE = dt.date(2025, 6, 1)
TODAY = dt.date(2026, 11, 26)
CAR, CARPOOL, TRAIN = MemberProfile.CommuteMode.CAR, MemberProfile.CommuteMode.CARPOOL, MemberProfile.CommuteMode.TRAIN


def day(n: int) -> dt.date:
    return dt.date(2025, 6, n)


@pytest.fixture
def june(db):
    telecentre = TelecentreFactory(opens_on=dt.date(2025, 1, 1), place__name="Télécentre de Murat")
    pool = ResourceFactory(telecentre=telecentre, name="Open space", kind=ResourceKind.SEAT_POOL, capacity=2)
    office = ResourceFactory(telecentre=telecentre, name="Bureau 1", kind=ResourceKind.OFFICE, capacity=2)
    close(telecentre, day(10))
    anne = commuter("40", CAR, first_name="Anne")
    bruno = commuter("25", CARPOOL, first_name="Bruno")
    chloe = commuter("100", TRAIN, first_name="Chloé")
    employer_agreement = AgreementFactory(starts_on=dt.date(2025, 5, 1), signed_on=dt.date(2025, 4, 20))
    employer_agreement.telecentres.set([telecentre])
    # Memberships: Anne is new in June; Bruno since March; Chloé came back (earlier one in 2024).
    MembershipFactory(member=anne, telecentre=telecentre, starts_on=day(1))
    MembershipFactory(member=bruno, telecentre=telecentre, starts_on=dt.date(2025, 3, 1))
    MembershipFactory(member=chloe, telecentre=telecentre, starts_on=dt.date(2024, 1, 1), ends_on=dt.date(2024, 6, 30))
    MembershipFactory(member=chloe, telecentre=telecentre, starts_on=day(15), plan=None, agreement=employer_agreement)

    book(pool, anne, day(2), 8, 19, checked_in=True)
    book(pool, bruno, day(2), 8, 13, checked_in=True)
    book(pool, anne, day(3), 13, 19, status=BookingStatus.RELEASED)
    book(pool, chloe, day(4), 8, 19, agreement=employer_agreement)
    book(pool, bruno, day(5), 8, 19, status=BookingStatus.CANCELLED)
    book(pool, anne, day(6), 8, 13, checked_in=True)
    book(pool, anne, day(6), 13, 19, checked_in=True)
    book(office, bruno, day(2), 14, 16, checked_in=True)
    return {"telecentre": telecentre, "pool": pool, "office": office, "anne": anne, "bruno": bruno, "chloe": chloe}


def test_capacity_rates_and_no_shows_per_resource(june):
    data = q.telecentre_occupancy(telecentre=june["telecentre"], first_month=JUNE, last_month=JUNE, today=TODAY)
    assert data.period == Period(day(1), day(30))
    by_resource = {row.resource: row.figures for row in data.resources}
    pool, office = by_resource[june["pool"]], by_resource[june["office"]]
    assert pool.capacity_minutes == 29 * 11 * 2 * 60
    assert (pool.booked_minutes, pool.used_minutes) == (44 * 60, 27 * 60)
    assert (pool.bookings, pool.no_shows, pool.released) == (6, 2, 1)
    assert pool.booked_rate == Decimal("0.0690")  # 44 / 638
    assert pool.used_rate == Decimal("0.0423")  # 27 / 638
    assert pool.no_show_rate == Decimal("0.3333")  # 2 / 6
    assert office.capacity_minutes == 29 * 11 * 60  # one unit, whatever its capacity of 2 people
    assert (office.booked_rate, office.used_rate) == (Decimal("0.0063"), Decimal("0.0063"))  # 2 / 319
    total = data.total
    assert total.capacity_hours == Decimal("957.0")
    assert total.booked_rate == Decimal("0.0481")  # 46 / 957
    assert total.used_rate == Decimal("0.0303")  # 29 / 957
    assert (total.booked_rate_text, total.used_rate_text) == ("4,8\u00a0%", "3,0\u00a0%")
    assert [row.month for row in data.months] == [JUNE]
    assert data.months[0].figures == total


def test_people_employers_and_commute(june):
    data = q.telecentre_occupancy(telecentre=june["telecentre"], first_month=JUNE, last_month=JUNE, today=TODAY)
    assert data.members == 3  # Anne, Bruno, Chloé (Bruno's cancelled day does not matter)
    assert data.new_members == 1  # Anne; Chloé had a membership here in 2024
    month = data.months[0]
    assert month.agreement_employers == 1
    assert month.booking_employers == 1  # Chloé's day was paid by her employer
    # Anne: 2 checked-in days (the 6th counts once) × 2 × 40 km by car; Bruno: 1 day (pool and
    # office the same day) × 2 × 25 km carpooling; Chloé never checked in.
    assert month.commute.days == 3
    assert month.commute.km == Decimal("210.0")
    assert month.commute.co2_kg == Decimal("160.0") * Decimal("0.218") + Decimal("50.0") * Decimal("0.109")
    assert month.commute.co2_text == "40,3"


def test_commute_arithmetic_and_factors_setting():
    factors = q.co2_factors()
    assert factors[CAR] == Decimal("0.218")
    assert factors[CARPOOL] == factors[CAR] / 2
    assert Decimal("0") < factors[TRAIN] < Decimal("0.05")
    assert Decimal("0") < factors[MemberProfile.CommuteMode.BUS] < Decimal("0.05")
    assert factors[MemberProfile.CommuteMode.OTHER] == 0
    trip = Commute.of(days=3, km_one_way=Decimal("12.5"), mode=CAR, factors=factors)
    assert (trip.days, trip.km, trip.co2_kg) == (3, Decimal("75.0"), Decimal("16.3500"))
    assert Commute.of(days=2, km_one_way=Decimal("30"), mode="", factors=factors).co2_kg == 0  # mode not declared
    with override_settings(TELEWORK_CO2_KG_PER_KM={"car": "0.2", "velo": 0}):
        custom = q.co2_factors()
    assert custom[CAR] == Decimal("0.2")
    assert custom[TRAIN] == Decimal("0.0277")  # the other defaults stay


def test_member_without_declared_commute_counts_no_km(june):
    nobody = commuter(None, "")
    book(june["pool"], nobody, day(20), 8, 19, checked_in=True)
    data = q.telecentre_occupancy(telecentre=june["telecentre"], first_month=JUNE, last_month=JUNE, today=TODAY)
    assert data.members == 4
    assert data.commute.km == Decimal("210.0")


def test_one_resource_only(june):
    data = q.telecentre_occupancy(
        telecentre=june["telecentre"], first_month=JUNE, last_month=JUNE, resource=june["office"], today=TODAY
    )
    assert [row.resource for row in data.resources] == [june["office"]]
    assert data.total.booked_minutes == 120
    assert data.members == 1


def test_network_counts_from_opening_and_leaves_planned_out(june):
    late = TelecentreFactory(opens_on=day(16), place__name="Télécentre de Riom")
    late_pool = ResourceFactory(telecentre=late, kind=ResourceKind.SEAT_POOL, capacity=1)
    book(late_pool, june["anne"], day(12), 8, 19, checked_in=True)  # before the opening: not counted
    book(late_pool, june["bruno"], day(20), 8, 19, checked_in=True)
    planned = TelecentreFactory(status=TelecentreStatus.PLANNED, opens_on=None, place__name="Télécentre d'Allanche")
    ResourceFactory(telecentre=planned)

    data = q.network_occupancy(month=JUNE, today=TODAY)
    assert [row.telecentre for row in data.rows] == [june["telecentre"], late]
    murat, riom = data.rows
    assert murat.month.booked_rate == Decimal("0.0481")
    assert riom.month.capacity_minutes == 15 * 11 * 60  # 16 to 30 June
    assert riom.month.booked_rate == Decimal("0.0667")  # 11 / 165
    total = data.total.month
    assert total.capacity_minutes == (957 + 165) * 60
    assert total.booked_rate == Decimal("0.0508")  # 57 / 1122
    assert total.used_rate == Decimal("0.0357")  # 40 / 1122
    # The 12 months end with June 2025; the telecentre opened in January.
    assert data.months[0] == dt.date(2024, 7, 1)
    assert data.months[-1] == JUNE
    assert data.year_period == Period(dt.date(2024, 7, 1), day(30))
    assert murat.year.capacity_minutes == (31 + 28 + 31 + 30 + 31 + 29) * 11 * 3 * 60  # Jan–June 2025
    assert data.total.members_month == 3  # Bruno in both telecentres counts once
    assert (murat.members_month, riom.members_month) == (3, 1)
    assert data.total.new_members_month == 1  # Anne
    assert murat.memberships_open == 3
    assert murat.agreement_employers == 1
    assert data.total.commute_month.km == Decimal("210.0") + 2 * Decimal("25")
    june_row = data.by_month[-1]
    assert june_row[0] == JUNE
    assert june_row[1].booked_minutes == 57 * 60


def test_new_members_first_membership_here_and_in_the_network(june):
    other = TelecentreFactory(opens_on=dt.date(2025, 1, 1))
    dora = commuter("10", CAR, first_name="Dora")
    MembershipFactory(member=dora, telecentre=other, starts_on=dt.date(2025, 2, 1))
    MembershipFactory(member=dora, telecentre=june["telecentre"], starts_on=day(3))
    data = q.network_occupancy(month=JUNE, today=TODAY)
    here = next(row for row in data.rows if row.telecentre == june["telecentre"])
    assert here.new_members_month == 2  # Anne and Dora are new here
    assert data.total.new_members_month == 1  # Dora was already a member of the network
    assert data.total.new_members_year == 3  # Dora in February, Bruno in March, Anne in June
    assert data.new_members[-1][2] == 1


def test_agreement_in_force_only(june):
    AgreementFactory(status=AgreementStatus.DRAFT, signed_on=None, starts_on=day(1)).telecentres.set(
        [june["telecentre"]]
    )
    AgreementFactory(
        status=AgreementStatus.ENDED, starts_on=dt.date(2025, 1, 1), ends_on=dt.date(2025, 4, 30)
    ).telecentres.set([june["telecentre"]])
    data = q.telecentre_occupancy(telecentre=june["telecentre"], first_month=JUNE, last_month=JUNE, today=TODAY)
    assert data.months[0].agreement_employers == 1
    april = q.telecentre_occupancy(
        telecentre=june["telecentre"], first_month=dt.date(2025, 4, 1), last_month=dt.date(2025, 4, 1), today=TODAY
    )
    assert april.months[0].agreement_employers == 1  # the ended one, still in force in April


def test_current_month_counts_elapsed_days_only(june):
    data = q.telecentre_occupancy(
        telecentre=june["telecentre"], first_month=JUNE, last_month=JUNE, today=day(5)
    )  # "today" is 5 June: 1–4 June count (4 open days)
    assert data.period == Period(day(1), day(4))
    assert data.total.capacity_minutes == 4 * 11 * 3 * 60
    assert data.total.booked_minutes == (11 + 5 + 2 + 6 + 11) * 60
    first_day = q.telecentre_occupancy(telecentre=june["telecentre"], first_month=JUNE, last_month=JUNE, today=day(1))
    assert first_day.period.is_empty
    assert first_day.total == Figures()
    assert first_day.total.booked_rate is None
    assert first_day.total.booked_rate_text == "—"


def test_midnight_end_counts_until_midnight(db):
    telecentre = TelecentreFactory(opens_on=dt.date(2025, 1, 1), place__opening_hours="Mo-Su 00:00-24:00")
    room = ResourceFactory(telecentre=telecentre, kind=ResourceKind.MEETING_ROOM, capacity=6)
    book(room, commuter(), day(2), 20, 24)
    data = q.telecentre_occupancy(telecentre=telecentre, first_month=JUNE, last_month=JUNE, today=TODAY)
    assert data.total.booked_minutes == 4 * 60
    assert data.total.capacity_minutes == 30 * 24 * 60
    assert data.heat.cell(1, 23).booked_minutes == 60  # Monday 23 h


def test_public_holidays_and_resource_closures_reduce_capacity(db):
    telecentre = TelecentreFactory(opens_on=dt.date(2025, 1, 1), place__opening_hours="Mo-Fr 08:00-19:00; PH off")
    pool = ResourceFactory(telecentre=telecentre, kind=ResourceKind.SEAT_POOL, capacity=2)
    office = ResourceFactory(telecentre=telecentre, kind=ResourceKind.OFFICE)
    close(telecentre, day(16), resource=office, days=5)  # the office only, Mon 16 – Fri 20
    data = q.telecentre_occupancy(telecentre=telecentre, first_month=JUNE, last_month=JUNE, today=TODAY)
    # June 2025: 21 weekdays, minus Whit Monday (9 June).
    by_resource = {row.resource: row.figures for row in data.resources}
    assert by_resource[pool].capacity_minutes == 20 * 11 * 2 * 60
    assert by_resource[office].capacity_minutes == 15 * 11 * 60
