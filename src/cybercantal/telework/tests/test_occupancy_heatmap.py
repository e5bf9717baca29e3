"""The heat map weekday × hour: local wall-clock hours, also on the days the clocks change
(the last Sunday of March and of October), and its table as a person reads it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from ..models import BookingStatus, ResourceKind
from ..queries import occupancy as q
from .factories import ResourceFactory, TelecentreFactory
from .factories_occupancy import book, commuter

TODAY = dt.date(2026, 11, 26)
MARCH, OCTOBER = dt.date(2025, 3, 1), dt.date(2025, 10, 1)
SUNDAY, SATURDAY = 7, 6
SPRING_FORWARD = dt.date(2025, 3, 30)  # 2 h -> 3 h
FALL_BACK = dt.date(2025, 10, 26)  # 3 h -> 2 h


@pytest.fixture
def seat(db):
    telecentre = TelecentreFactory(opens_on=dt.date(2025, 1, 1), place__name="Télécentre du Lioran")
    return ResourceFactory(telecentre=telecentre, name="Poste", kind=ResourceKind.SEAT_POOL, capacity=1)


def test_dst_days_keep_their_local_hours(seat):
    person = commuter()
    book(seat, person, SPRING_FORWARD, 8, 13, checked_in=True)
    book(seat, person, dt.date(2025, 3, 29), 8, 13)  # the Saturday before, still winter time
    book(seat, person, FALL_BACK, 13, 19)
    march = q.telecentre_occupancy(telecentre=seat.telecentre, first_month=MARCH, last_month=MARCH, today=TODAY)
    heat = march.heat
    assert heat.hours == list(range(8, 19))
    # March 2025 has 5 Sundays and 5 Saturdays: 5 × 60 seat-minutes in each of their hours.
    for hour in range(8, 13):
        assert heat.cell(SUNDAY, hour).capacity_minutes == 300
        assert heat.cell(SUNDAY, hour).booked_minutes == 60
        assert heat.cell(SUNDAY, hour).used_minutes == 60
        assert heat.cell(SUNDAY, hour).booked_rate == Decimal("0.2000")
        assert heat.cell(SATURDAY, hour).booked_rate == Decimal("0.2000")
        assert heat.cell(SATURDAY, hour).used_rate == 0
    for hour in (*range(13, 19),):
        assert heat.cell(SUNDAY, hour).booked_minutes == 0
    assert march.total.capacity_minutes == 31 * 11 * 60  # the DST Sunday is 11 hours too

    october = q.telecentre_occupancy(telecentre=seat.telecentre, first_month=OCTOBER, last_month=OCTOBER, today=TODAY)
    for hour in range(13, 19):  # 4 Sundays in October 2025
        assert october.heat.cell(SUNDAY, hour).booked_rate == Decimal("0.2500")
        assert october.heat.cell(SUNDAY, hour).used_rate == 0
    assert october.heat.cell(SUNDAY, 12).booked_minutes == 0
    assert october.total.booked_minutes == 6 * 60


def test_half_hours_are_spread_over_the_hours(db):
    telecentre = TelecentreFactory(opens_on=dt.date(2025, 1, 1))
    room = ResourceFactory(telecentre=telecentre, kind=ResourceKind.MEETING_ROOM)
    from .factories_occupancy import at

    person = commuter()
    booking = book(room, person, dt.date(2025, 3, 3), 9, 11)  # Monday
    booking.starts_at, booking.ends_at = at(dt.date(2025, 3, 3), 9, 30), at(dt.date(2025, 3, 3), 11, 15)
    booking.blocked_until = booking.ends_at
    booking.save()
    heat = q.telecentre_occupancy(telecentre=telecentre, first_month=MARCH, last_month=MARCH, today=TODAY).heat
    assert [heat.cell(1, hour).booked_minutes for hour in (9, 10, 11, 12)] == [30, 60, 15, 0]


def test_cancelled_bookings_stay_out_of_the_heat_map(seat):
    book(seat, commuter(), SPRING_FORWARD, 8, 19, status=BookingStatus.CANCELLED)
    heat = q.telecentre_occupancy(telecentre=seat.telecentre, first_month=MARCH, last_month=MARCH, today=TODAY).heat
    assert all(cell.booked_minutes == 0 for cell in heat.cells.values())


def test_heat_map_table_writes_the_rate_in_each_cell(client, staff, seat):
    from cybercantal.accounts.models import Role

    book(seat, commuter(), SPRING_FORWARD, 8, 13, checked_in=True)
    client.force_login(staff(Role.TELECENTRE_MANAGER, seat.telecentre.place))
    response = client.get(
        f"/telecentres/gestion/{seat.telecentre.slug}/occupation/", {"du": "2025-03", "au": "2025-03"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Taux réservé par jour et par heure" in html
    assert "Taux occupé (arrivées pointées) par jour et par heure" in html
    # The Sunday row: 20 % from 8 h to 12 h, then 0 % (the rate in text, the colour as a bonus).
    sunday_row = html.split('<th scope="row">Dimanche</th>')[1].split("</tr>")[0]
    cells = [cell.split(">", 1)[1] for cell in sunday_row.split("</td>") if "<td" in cell]
    assert cells[:5] == ["20\u00a0%"] * 5
    assert cells[5:] == ["0\u00a0%"] * 6
    assert 'class="heat-2"' in sunday_row
    assert 'class="heat-0"' in sunday_row
    assert "Légende des couleurs" in html
