"""Helpers of the equipment tests: places of each kind and equipment created through the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from cybercantal.mediation.models import EquipmentKind
from cybercantal.mediation.services import equipment as services
from cybercantal.places.models import PlaceKind, PlaceOffer
from cybercantal.places.tests.factories import PlaceFactory


def make_college(**kwargs: Any) -> Any:
    kwargs.setdefault("name", "Collège de la Jordanne")
    return PlaceFactory(kind=PlaceKind.COLLEGE, offers=[PlaceOffer.CYBER_ROOM], **kwargs)


def make_mairie(**kwargs: Any) -> Any:
    kwargs.setdefault("name", "Mairie de Test")
    return PlaceFactory(kind=PlaceKind.MAIRIE, offers=[PlaceOffer.KIOSK], **kwargs)


def make_equipment(*, place: Any, actor: Any = None, **kwargs: Any) -> Any:
    """An item created through ``equipment_create`` (so it has its ``acquired`` event)."""
    values: dict[str, Any] = {
        "kind": EquipmentKind.DESKTOP,
        "serial_number": f"SN-{make_equipment.counter:06d}",
        "bought_on": dt.date(2020, 9, 1),
        "price": Decimal("749.90"),
        "model_name": "Dell OptiPlex 7010",
    }
    make_equipment.counter += 1
    values.update(kwargs)
    return services.equipment_create(actor=actor, place=place, **values)


make_equipment.counter = 1  # type: ignore[attr-defined]
