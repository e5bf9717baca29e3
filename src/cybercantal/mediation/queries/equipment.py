"""Reads of the equipment inventory: the scoped list, one item's history, the renewal forecast.

Renewal forecast (issue 4 §3): every item still in the inventory (in service or in repair;
retired items are out) is planned for renewal ``years`` after its purchase year. Items already
past that age are planned for the current year and counted as overdue, so the table is a budget
from this year on. The cost is the sum of the purchase prices (a replacement is assumed to cost
what the item cost); items bought without a known price are counted and shown apart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from cybercantal.accounts.models import Role
from cybercantal.accounts.permissions import is_platform_manager
from cybercantal.accounts.queries import objects_in_scope
from cybercantal.core.spreadsheet import csv_text, decimal_fr
from cybercantal.mediation.models import Equipment, EquipmentEvent, EquipmentStatus
from cybercantal.mediation.services.equipment import eligible_places_q, normalise_serial
from cybercantal.places.models import Place, PlaceKind, PlaceOffer

DEFAULT_RENEWAL_YEARS = 5


class PlaceType:
    """The « collèges / EPN » filter of the list and the forecast."""

    COLLEGES = "colleges"
    EPN = "epn"


def colleges_q(prefix: str = "") -> Q:
    """A collège, or a place with a CyberCantal room."""
    return Q(**{f"{prefix}kind": PlaceKind.COLLEGE}) | Q(**{f"{prefix}offers__has": PlaceOffer.CYBER_ROOM})


def sees_whole_network(user: Any) -> bool:
    """Programme managers, administrators and superusers see every place's equipment."""
    return bool(is_platform_manager.test(user))


def eligible_places() -> QuerySet[Place]:
    """Places that may hold equipment (EPN and collèges)."""
    return Place.objects.filter(eligible_places_q()).select_related("commune").order_by("name")


def managed_places(user: Any) -> QuerySet[Place]:
    """Places whose equipment ``user`` manages: all eligible ones for the programme team,
    the places of their mediator memberships for a mediator, none otherwise."""
    places = eligible_places()
    if sees_whole_network(user):
        return places
    return objects_in_scope(user, places, roles=[Role.MEDIATOR])


def inventory(
    *,
    user: Any,
    place: Place | None = None,
    kind: str = "",
    status: str = "",
    place_type: str = "",
    text: str = "",
) -> QuerySet[Equipment]:
    """The inventory ``user`` may see, filtered; one query per page (places and buyers joined)."""
    queryset = Equipment.objects.select_related("place", "place__commune", "bought_by")
    if not sees_whole_network(user):
        queryset = queryset.filter(place__in=managed_places(user).values("pk"))
    if place is not None:
        queryset = queryset.filter(place=place)
    if kind:
        queryset = queryset.filter(kind=kind)
    if status:
        queryset = queryset.filter(status=status)
    if place_type == PlaceType.COLLEGES:
        queryset = queryset.filter(colleges_q("place__"))
    elif place_type == PlaceType.EPN:
        queryset = queryset.exclude(colleges_q("place__"))
    for term in text.split()[:6]:
        serial = normalise_serial(term)
        queryset = queryset.filter(
            Q(serial_number__contains=serial) | Q(model_name__icontains=term) | Q(inventory_number__icontains=term)
        )
    return queryset.order_by("place__name", "kind", "serial_number")


def history(equipment: Equipment) -> list[EquipmentEvent]:
    """The timeline of one item, oldest first (places and people joined)."""
    return list(equipment.events.select_related("from_place", "to_place", "actor").order_by("on", "pk"))


# --- Renewal forecast ---------------------------------------------------------------------------


@dataclass
class Cell:
    count: int = 0
    cost: Decimal = Decimal("0.00")
    overdue: int = 0
    unpriced: int = 0

    def add(self, other: Cell) -> None:
        self.count += other.count
        self.cost += other.cost
        self.overdue += other.overdue
        self.unpriced += other.unpriced


@dataclass
class PlaceForecast:
    place: Place
    cells: dict[int, Cell] = field(default_factory=dict)
    total: Cell = field(default_factory=Cell)

    def cell_list(self, years: list[int]) -> list[Cell]:
        return [self.cells.get(year, Cell()) for year in years]


@dataclass
class Forecast:
    renewal_years: int
    colleges_only: bool
    this_year: int
    years: list[int] = field(default_factory=list)
    per_year: dict[int, Cell] = field(default_factory=dict)
    places: list[PlaceForecast] = field(default_factory=list)
    total: Cell = field(default_factory=Cell)

    def year_rows(self) -> list[tuple[int, Cell]]:
        return [(year, self.per_year[year]) for year in self.years]


def renewal_forecast(
    *, years: int = DEFAULT_RENEWAL_YEARS, colleges_only: bool = False, on: dt.date | None = None
) -> Forecast:
    """Equipment to renew, per place and per year of renewal (purchase year + ``years``).

    Two queries: one aggregate (place, purchase year) and the places' names.
    """
    this_year = (on or timezone.localdate()).year
    queryset = Equipment.objects.exclude(status=EquipmentStatus.RETIRED)
    if colleges_only:
        queryset = queryset.filter(colleges_q("place__"))
    groups = (
        queryset.values("place_id", "bought_on__year")
        .annotate(count=Count("pk"), cost=Sum("price"), unpriced=Count("pk", filter=Q(price__isnull=True)))
        .order_by()
    )
    forecast = Forecast(renewal_years=years, colleges_only=colleges_only, this_year=this_year)
    by_place: dict[int, dict[int, Cell]] = {}
    for group in groups:
        due = group["bought_on__year"] + years
        year = max(due, this_year)
        cell = Cell(
            count=group["count"],
            cost=group["cost"] or Decimal("0.00"),
            overdue=group["count"] if due < this_year else 0,
            unpriced=group["unpriced"],
        )
        by_place.setdefault(group["place_id"], {}).setdefault(year, Cell()).add(cell)
    places = Place.objects.select_related("commune").in_bulk(list(by_place))
    all_years: set[int] = set()
    for place_id, cells in by_place.items():
        row = PlaceForecast(place=places[place_id], cells=cells)
        for year, cell in cells.items():
            row.total.add(cell)
            forecast.per_year.setdefault(year, Cell()).add(cell)
            all_years.add(year)
        forecast.total.add(row.total)
        forecast.places.append(row)
    forecast.places.sort(key=lambda row: (row.place.name, row.place.pk))
    forecast.years = sorted(all_years)
    return forecast


def forecast_csv_rows(forecast: Forecast) -> Iterator[list[Any]]:
    """The forecast as CSV rows: one per place and renewal year, then the totals per year.

    Raw values: the writer (``core.spreadsheet``) makes every text cell safe."""
    yield [
        _("lieu"),
        _("commune"),
        _("type de lieu"),
        _("annee_renouvellement"),
        _("nombre"),
        _("dont_en_retard"),
        _("cout_euros"),
        _("sans_prix"),
    ]
    for row in forecast.places:
        for year in forecast.years:
            cell = row.cells.get(year)
            if cell is None:
                continue
            yield [
                row.place.name,
                row.place.commune.name,
                row.place.get_kind_display(),
                year,
                cell.count,
                cell.overdue,
                decimal_fr(cell.cost),
                cell.unpriced,
            ]
    for year, cell in forecast.year_rows():
        yield [
            _("Total"),
            "",
            "",
            year,
            cell.count,
            cell.overdue,
            decimal_fr(cell.cost),
            cell.unpriced,
        ]
    total = forecast.total
    yield [
        _("Total"),
        "",
        "",
        _("toutes"),
        total.count,
        total.overdue,
        decimal_fr(total.cost),
        total.unpriced,
    ]


def forecast_csv(forecast: Forecast) -> str:
    """``;``-separated, French decimals, UTF-8 with BOM: opens as-is in a French spreadsheet."""
    return csv_text(forecast_csv_rows(forecast))
