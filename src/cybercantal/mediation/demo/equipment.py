"""Demo equipment on top of the demo places (idempotent: serial numbers are derived from the
place's slug, an item that exists is left alone).

- each collège (``kind="college"``): 10 PCs, 1 printer and 1 projector in its CyberCantal room,
  bought by the Département, in 2019..2024 cohorts (so the renewal forecast has content);
- each EPN: 4 to 8 items; a few in repair, a few retired, a few moved between EPN.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from cybercantal.accounts.models import Organisation
from cybercantal.mediation.models import Equipment, EquipmentKind
from cybercantal.mediation.services import equipment as services
from cybercantal.places.models import Place, PlaceKind, PlaceOffer

DEPARTEMENT_NAME = "Conseil départemental du Cantal"
COHORTS = (2019, 2020, 2021, 2022, 2023, 2024)
PC_MODELS = ("Dell OptiPlex 7010", "HP ProDesk 400 G7", "Lenovo ThinkCentre M70q")
EPN_ITEMS = (
    (EquipmentKind.DESKTOP, "Dell OptiPlex 7010", "690.00"),
    (EquipmentKind.DESKTOP, "HP ProDesk 400 G7", "720.00"),
    (EquipmentKind.LAPTOP, "Lenovo ThinkPad E14", "849.90"),
    (EquipmentKind.TABLET, "Samsung Galaxy Tab A8", "229.00"),
    (EquipmentKind.PRINTER, "Brother MFC-L2710DW", "249.00"),
    (EquipmentKind.SCANNER, "Canon CanoScan LiDE 300", "79.90"),
    (EquipmentKind.SCREEN, "Iiyama ProLite 24", "139.00"),
    (EquipmentKind.PROJECTOR, "Epson EB-W49", "649.00"),
)


def departement() -> Organisation:
    organisation, _created = Organisation.objects.get_or_create(
        name=DEPARTEMENT_NAME,
        kind=Organisation.Kind.DEPARTEMENT,
        defaults={"slug": slugify(DEPARTEMENT_NAME)},
    )
    return organisation


def _code(place: Place) -> str:
    return hashlib.sha1(place.slug.encode(), usedforsecurity=False).hexdigest()[:8].upper()


def _create(place: Place, serial: str, **values: object) -> Equipment | None:
    """The item, created if its serial number is new; ``None`` when it existed already."""
    if Equipment.objects.filter(serial_number=serial).exists():
        return None
    return services.equipment_create(actor=None, place=place, serial_number=serial, **values)


@transaction.atomic
def load(*, rng_seed: int = 15) -> dict[str, int]:
    # Printed by ``cybercantal load_demo`` to French users: the keys are French words.
    counts = {"équipements": 0, "réparations": 0, "réformés": 0, "déplacements": 0}
    buyer = departement()
    today = timezone.localdate()
    colleges = list(Place.objects.filter(kind=PlaceKind.COLLEGE).order_by("slug"))
    for place in colleges:
        rng = random.Random(f"{rng_seed}-{place.slug}")  # noqa: S311 - demo data, not security
        year = rng.choice(COHORTS)
        bought_on = dt.date(year, 9, rng.randint(1, 20))
        model = rng.choice(PC_MODELS)
        code = _code(place)
        items = [(EquipmentKind.DESKTOP, model, "749.90", f"CD15-{code}-PC{n:02d}") for n in range(1, 11)]
        items.append((EquipmentKind.PRINTER, "HP LaserJet Pro M404dn", "289.00", f"CD15-{code}-IMP01"))
        items.append((EquipmentKind.PROJECTOR, "Epson EB-X49", "599.00", f"CD15-{code}-VP01"))
        for index, (kind, model_name, price, serial) in enumerate(items, start=1):
            created = _create(
                place,
                serial,
                kind=kind,
                model_name=model_name,
                bought_on=bought_on,
                price=Decimal(price),
                warranty_ends_on=bought_on.replace(year=bought_on.year + 3),
                bought_by=buyer,
                inventory_number=f"CD15-{year}-{code[:4]}-{index:02d}",
            )
            if created is None:
                continue
            counts["équipements"] += 1
            if index == 3 and rng.random() < 0.3:
                services.equipment_repair_start(
                    actor=None, equipment=created, on=today - dt.timedelta(days=12), description="Ne démarre plus"
                )
                counts["réparations"] += 1
    epns = list(
        Place.objects.filter(Q(kind=PlaceKind.EPN) | Q(offers__has=PlaceOffer.EPN))
        .exclude(kind=PlaceKind.COLLEGE)
        .order_by("slug")
    )
    moved_from: list[tuple[Equipment, Place]] = []
    for position, place in enumerate(epns):
        rng = random.Random(f"{rng_seed}-{place.slug}")  # noqa: S311 - demo data
        code = _code(place)
        how_many = rng.randint(4, 8)
        for index in range(how_many):
            kind, model_name, price = EPN_ITEMS[index % len(EPN_ITEMS)]
            bought_on = dt.date(rng.choice((*COHORTS[:-1], 2025)), rng.randint(1, 12), rng.randint(1, 28))
            bought_on = min(bought_on, today - dt.timedelta(days=60))
            created = _create(
                place,
                f"EPN-{code}-{index + 1:02d}",
                kind=kind,
                model_name=model_name,
                bought_on=bought_on,
                price=Decimal(price),
                warranty_ends_on=bought_on.replace(year=bought_on.year + 2),
                bought_by=place.organisation,
            )
            if created is None:
                continue
            counts["équipements"] += 1
            event_day = max(bought_on + dt.timedelta(days=30), today - dt.timedelta(days=rng.randint(5, 60)))
            if index == 0 and position % 4 == 1:
                services.equipment_repair_start(
                    actor=None, equipment=created, on=event_day, description="Écran qui clignote"
                )
                counts["réparations"] += 1
            elif index == 1 and position % 3 == 0:
                services.equipment_repair_start(actor=None, equipment=created, on=event_day, description="Disque dur")
                services.equipment_repair_end(
                    actor=None,
                    equipment=created,
                    on=min(today, event_day + dt.timedelta(days=10)),
                    cost=Decimal("95.00"),
                )
                counts["réparations"] += 1
            elif index == 3 and position % 5 == 2:
                services.equipment_retire(actor=None, equipment=created, on=event_day, description="Irréparable")
                counts["réformés"] += 1
            elif index == 2 and position % 6 == 4:
                moved_from.append((created, place))
    for number, (item, origin) in enumerate(moved_from):
        others = [place for place in epns if place.pk != origin.pk]
        if not others:
            break
        target = others[(number * 7) % len(others)]
        on = max(item.bought_on, today - dt.timedelta(days=20))
        services.equipment_move(actor=None, equipment=item, to_place=target, on=on, description="Prêt pour un atelier")
        counts["déplacements"] += 1
    return counts
