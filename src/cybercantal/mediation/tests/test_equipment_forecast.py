"""Renewal forecast: figures per year and per place, overdue items, collèges filter, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from cybercantal.mediation.queries import equipment as queries
from cybercantal.mediation.services import equipment as services

from .factories_equipment import make_college, make_equipment

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 3)


@pytest.fixture
def fleet(epn, territory):
    college = make_college()
    for index in range(3):
        make_equipment(
            place=college, bought_on=dt.date(2019, 9, 1), price=Decimal("700.00"), serial_number=f"C19-{index}"
        )
    for index in range(2):
        make_equipment(
            place=college, bought_on=dt.date(2022, 9, 1), price=Decimal("800.50"), serial_number=f"C22-{index}"
        )
    make_equipment(place=college, bought_on=dt.date(2023, 1, 5), price=None, serial_number="C23-NOPRICE")
    make_equipment(place=epn, bought_on=dt.date(2021, 5, 1), price=Decimal("500.00"), serial_number="E21")
    make_equipment(place=epn, bought_on=dt.date(2024, 5, 1), price=Decimal("300.00"), serial_number="E24")
    retired = make_equipment(place=epn, bought_on=dt.date(2018, 5, 1), price=Decimal("999.00"), serial_number="E18")
    services.equipment_retire(actor=None, equipment=retired, on=dt.date(2024, 1, 1))
    in_repair = make_equipment(place=epn, bought_on=dt.date(2020, 5, 1), price=Decimal("400.00"), serial_number="E20")
    services.equipment_repair_start(actor=None, equipment=in_repair, on=dt.date(2024, 1, 1))
    return {"college": college, "epn": epn}


def test_forecast_figures_per_year_with_overdue_in_this_year(fleet):
    forecast = queries.renewal_forecast(years=5, on=ON)
    # 2019+5=2024 and 2020+5=2025 are overdue in 2026; 2021+5=2026 due this year.
    assert forecast.years == [2026, 2027, 2028, 2029]
    by_year = dict(forecast.year_rows())
    assert by_year[2026].count == 5  # 3 collège 2019, in-repair 2020, EPN 2021
    assert by_year[2026].overdue == 4
    assert by_year[2026].cost == Decimal("3000.00")  # 3×700 + 400 + 500
    assert by_year[2027].count == 2
    assert by_year[2027].cost == Decimal("1601.00")
    assert (by_year[2028].count, by_year[2028].cost, by_year[2028].unpriced) == (1, Decimal("0.00"), 1)
    assert (by_year[2029].count, by_year[2029].cost) == (1, Decimal("300.00"))
    assert forecast.total.count == 9  # retired item left out
    assert forecast.total.cost == Decimal("4901.00")


def test_forecast_per_place(fleet):
    forecast = queries.renewal_forecast(years=5, on=ON)
    rows = {row.place.pk: row for row in forecast.places}
    college_row = rows[fleet["college"].pk]
    assert college_row.total.count == 6
    assert college_row.cells[2026].count == 3
    assert [cell.count for cell in college_row.cell_list(forecast.years)] == [3, 2, 1, 0]
    epn_row = rows[fleet["epn"].pk]
    assert epn_row.total.cost == Decimal("1200.00")


def test_forecast_colleges_only_and_other_horizon(fleet):
    forecast = queries.renewal_forecast(years=8, colleges_only=True, on=ON)
    assert [row.place for row in forecast.places] == [fleet["college"]]
    assert forecast.years == [2027, 2030, 2031]
    assert forecast.total.count == 6
    assert forecast.total.overdue == 0


def test_forecast_costs_two_queries(fleet, django_assert_num_queries):
    with django_assert_num_queries(2):
        queries.renewal_forecast(years=5, on=ON)


def test_forecast_csv(fleet):
    text = queries.forecast_csv(queries.renewal_forecast(years=5, on=ON))
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:4] == ["lieu", "commune", "type de lieu", "annee_renouvellement"]
    college_2026 = next(row for row in rows if row[0] == "Collège de la Jordanne" and row[3] == "2026")
    assert college_2026[4:7] == ["3", "3", "2100,00"]
    assert rows[-1] == ["Total", "", "", "toutes", "9", "4", "4901,00", "1"]


def test_empty_forecast(db):
    forecast = queries.renewal_forecast(on=ON)
    assert forecast.years == []
    assert forecast.total.count == 0
