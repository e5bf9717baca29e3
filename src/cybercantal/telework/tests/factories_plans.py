"""Plans of every kind, for the tests of part "plans"."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..models import Plan, PlanKind, ResourceKind
from .factories import PlanFactory

SEATS = [ResourceKind.SEAT_POOL, ResourceKind.OFFICE]


def day_pass(telecentre: Any, **kwargs: Any) -> Plan:
    values = {
        "name": "Pass journée",
        "kind": PlanKind.DAY_PASS,
        "price_excl_tax": Decimal("18.00"),
        "credit_days": Decimal("0"),
        "credit_validity_days": 31,
        "usage_price_day": None,
        "usage_price_hour": Decimal("12.00"),
    }
    return PlanFactory(telecentre=telecentre, **{**values, **kwargs})


def carnet(telecentre: Any, **kwargs: Any) -> Plan:
    return PlanFactory(telecentre=telecentre, **{"name": "Carnet 10 jours", **kwargs})


def part_time(telecentre: Any, **kwargs: Any) -> Plan:
    values = {
        "name": "Temps partiel 2 j/semaine",
        "kind": PlanKind.PART_TIME,
        "price_excl_tax": Decimal("120.00"),
        "credit_days": Decimal("9"),
        "credit_validity_days": 31,
        "days_per_week": 2,
    }
    return PlanFactory(telecentre=telecentre, **{**values, **kwargs})


def full_time(telecentre: Any, **kwargs: Any) -> Plan:
    values = {
        "name": "Temps plein",
        "kind": PlanKind.FULL_TIME,
        "price_excl_tax": Decimal("220.00"),
        "credit_days": Decimal("22"),
        "credit_hours": Decimal("2"),
        "credit_validity_days": 31,
    }
    return PlanFactory(telecentre=telecentre, **{**values, **kwargs})


def hours_pack(telecentre: Any, **kwargs: Any) -> Plan:
    values = {
        "name": "Forfait 10 h de salle",
        "kind": PlanKind.MEETING_HOURS,
        "price_excl_tax": Decimal("90.00"),
        "credit_days": Decimal("0"),
        "credit_hours": Decimal("10"),
        "eligible_kinds": [ResourceKind.MEETING_ROOM],
        "credit_validity_days": 365,
    }
    return PlanFactory(telecentre=telecentre, **{**values, **kwargs})


def plan_fields(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments of ``plan_create`` for a valid carnet."""
    values: dict[str, Any] = {
        "name": "Carnet 5 jours",
        "kind": PlanKind.CARNET,
        "description": "",
        "price_excl_tax": Decimal("80.00"),
        "vat_rate": Decimal("20"),
        "credit_days": Decimal("5"),
        "credit_hours": Decimal("0"),
        "eligible_kinds": list(SEATS),
        "credit_validity_days": 180,
        "days_per_week": None,
        "usage_price_day": Decimal("18.00"),
        "usage_price_hour": None,
        "is_public": True,
        "is_active": True,
    }
    values.update(overrides)
    return values


def plan_post(**overrides: Any) -> dict[str, Any]:
    """What the plan form posts for a valid carnet (French typing)."""
    data: dict[str, Any] = {
        "name": "Carnet 5 jours",
        "kind": PlanKind.CARNET,
        "description": "Cinq journées pour essayer.",
        "price_excl_tax": "80,00",
        "vat_rate": "20",
        "credit_days": "5",
        "credit_hours": "0",
        "eligible_kinds": ["seat_pool", "office"],
        "credit_validity_days": "180",
        "days_per_week": "",
        "usage_price_day": "18",
        "usage_price_hour": "",
        "is_public": "on",
        "is_active": "on",
    }
    data.update(overrides)
    return data
