"""Demo data of the free-access part, on top of the demo places (``places.demo``).

For each EPN: 2 to 4 public computers, a few bookings in the coming days (by phone, so
that no email leaves), and twelve months of anonymous visit counts following the place's
opening hours: busier on Wednesdays and Saturdays, quieter in August, few in the evening.

Idempotent: computers are keyed by label, bookings are drawn only for a place that has
none in the future, visit rows are inserted only where missing (``ignore_conflicts``).
Each place has its own generator seeded from ``rng_seed`` and its slug.
"""

from __future__ import annotations

import datetime as dt
import random

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cybercantal.mediation.models import ComputerBooking, FreeAccessVisit, PublicComputer, VisitSlot
from cybercantal.mediation.queries import free_access as queries
from cybercantal.mediation.services import free_access as services
from cybercantal.places import hours
from cybercantal.places.models import Place

FEATURES = ["", "", "Grand écran", "Imprimante à côté", "Clavier à grosses touches", "Scanner", "Casque audio"]
NAMES = [
    "Marcel Vidal",
    "Josette Roux",
    "Pierre Delmas",
    "Annie Boudou",
    "Louis Chabrier",
    "Odette Vermenouze",
    "Karim Benali",
    "Sophie Lacombe",
]
# Average visits per slot on an ordinary weekday, before the day and season factors.
BASE = {VisitSlot.MORNING: 3.0, VisitSlot.AFTERNOON: 4.5, VisitSlot.EVENING: 0.8}
BUSY_DAYS = {2: 1.7, 5: 1.6}  # Wednesday, Saturday
MONTH_FACTOR = {7: 0.8, 8: 0.55, 12: 0.8}


def _slot_of(opens: int, closes: int) -> set[str]:
    """Visit slots an opening interval (minutes of the day) touches."""
    slots = set()
    if opens < 12 * 60:
        slots.add(VisitSlot.MORNING)
    if opens < 18 * 60 and closes > 12 * 60:
        slots.add(VisitSlot.AFTERNOON)
    if closes > 18 * 60:
        slots.add(VisitSlot.EVENING)
    return slots


def _week(place: Place) -> dict[int, set[str]]:
    week: dict[int, set[str]] = {}
    for weekday, opens, closes in hours.weekly_slots(place.opening_hours, on=dt.date(2001, 1, 8)):
        week.setdefault(weekday, set()).update(_slot_of(opens, closes))
    return week


def _computers(place: Place, rng: random.Random) -> tuple[list[PublicComputer], int]:
    wanted = rng.randint(2, 4)
    existing = {c.label: c for c in PublicComputer.objects.filter(place=place)}
    created = 0
    for number in range(1, wanted + 1):
        label = f"Poste {number}"
        feature = rng.choice(FEATURES)
        if label not in existing:
            existing[label] = services.public_computer_create(actor=None, place=place, label=label, features=feature)
            created += 1
    return [c for c in existing.values() if c.is_active], created


def _bookings(place: Place, computers: list[PublicComputer], rng: random.Random) -> int:
    now = timezone.now()
    if ComputerBooking.objects.filter(computer__place=place, starts_at__gte=now).exists():
        return 0
    created = 0
    today = timezone.localdate()
    for offset in range(1, 11):
        day = today + dt.timedelta(days=offset)
        slots = queries.day_slots(place, day)
        if not slots:
            continue
        for start, end in rng.sample(slots, k=min(len(slots), rng.randint(0, 3))):
            name = rng.choice(NAMES)
            try:
                services.computer_booking_create(
                    actor=None,
                    computer=rng.choice(computers),
                    starts_at=start,
                    ends_at=end,
                    name=name,
                    phone=f"04 71 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                )
            except ValidationError:  # taken, or that person's two hours are used: skip
                continue
            created += 1
    return created


def _visits(place: Place, rng: random.Random) -> int:
    week = _week(place)
    if not week:
        return 0
    today = timezone.localdate()
    start = today - dt.timedelta(days=365)
    rows = []
    day = start
    while day <= today:
        slots = week.get(day.weekday(), set())
        if slots and not hours.is_public_holiday(day):
            factor = BUSY_DAYS.get(day.weekday(), 1.0) * MONTH_FACTOR.get(day.month, 1.0)
            for slot in slots:
                mean = BASE[slot] * factor
                count = max(0, round(rng.gauss(mean, mean / 2.5)))
                rows.append(FreeAccessVisit(place=place, date=day, slot=slot, count=count))
        day += dt.timedelta(days=1)
    before = FreeAccessVisit.objects.filter(place=place).count()
    FreeAccessVisit.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return FreeAccessVisit.objects.filter(place=place).count() - before


COMPUTERS = "postes en accès libre"
BOOKINGS = "réservations de postes"
VISIT_ROWS = "relevés de visites"


def load(*, rng_seed: int = 15) -> dict[str, int]:
    """Create the free-access demo data of every EPN; returns what was created."""
    # Printed by ``cybercantal load_demo`` to French readers.
    totals = {COMPUTERS: 0, BOOKINGS: 0, VISIT_ROWS: 0}
    for place in Place.objects.filter(kind="epn").select_related("commune").order_by("slug"):
        rng = random.Random(f"{rng_seed}:free_access:{place.slug}")  # noqa: S311 - demo data
        with transaction.atomic():
            computers, created = _computers(place, rng)
            totals[COMPUTERS] += created
            if computers:
                totals[BOOKINGS] += _bookings(place, computers, rng)
            totals[VISIT_ROWS] += _visits(place, rng)
    return totals
