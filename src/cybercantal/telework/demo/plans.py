"""Demo data of part "plans" (idempotent): the plans of every open telecentre, independent
members with their profile (home commune, usual commute) and memberships started at
different dates, so that the ledgers show a few months of history (monthly renewals, a
carnet bought, a plan changed with its credits carried over).

The demo teleworker (Thomas Delmas) is covered by his employer's agreement (part
"agreements"): he gets no plan here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from cybercantal.accounts.models import User
from cybercantal.territory.models import Commune

from ..models import MemberProfile, Membership, Plan, PlanKind, ResourceKind, Telecentre, TelecentreStatus
from ..services import plans as services

MURAT = "Télécentre La Gare"
SEATS = [ResourceKind.SEAT_POOL, ResourceKind.OFFICE]

# name, kind, price HT, fields
PLANS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        "Pass journée",
        PlanKind.DAY_PASS,
        "18.00",
        {
            "description": "Pour venir de temps en temps, sans engagement : 18 € HT la journée, 9 € HT la demi.",
            "eligible_kinds": SEATS,
            "credit_validity_days": 31,
            "usage_price_hour": Decimal("12.00"),
        },
    ),
    (
        "Carnet 10 jours",
        PlanKind.CARNET,
        "150.00",
        {
            "description": "Dix journées à utiliser à votre rythme pendant un an, par journées ou demi-journées.",
            "credit_days": Decimal("10"),
            "eligible_kinds": SEATS,
            "credit_validity_days": 365,
            "usage_price_day": Decimal("18.00"),
            "usage_price_hour": Decimal("12.00"),
        },
    ),
    (
        "Temps partiel 2 j/semaine",
        PlanKind.PART_TIME,
        "120.00",
        {
            "description": "Deux jours par semaine au télécentre, le reste chez vous ou chez votre client.",
            "credit_days": Decimal("9"),
            "eligible_kinds": SEATS,
            "credit_validity_days": 31,
            "days_per_week": 2,
            "usage_price_day": Decimal("15.00"),
            "usage_price_hour": Decimal("12.00"),
        },
    ),
    (
        "Temps plein",
        PlanKind.FULL_TIME,
        "220.00",
        {
            "description": "Votre poste tous les jours ouvrés, avec deux heures de salle de réunion par mois.",
            "credit_days": Decimal("22"),
            "credit_hours": Decimal("2"),
            "eligible_kinds": SEATS,
            "credit_validity_days": 31,
            "usage_price_hour": Decimal("10.00"),
        },
    ),
    (
        "Forfait 10 h de salle",
        PlanKind.MEETING_HOURS,
        "90.00",
        {
            "description": "Dix heures de salle de réunion (visioconférence, grand écran) valables un an.",
            "credit_hours": Decimal("10"),
            "eligible_kinds": [ResourceKind.MEETING_ROOM],
            "credit_validity_days": 365,
            "usage_price_hour": Decimal("12.00"),
        },
    ),
]

# first name, last name, home commune, commute km (one way), mode, history: (plan, months ago)...
PEOPLE: list[tuple[str, str, str, str, str, list[tuple[str, int]]]] = [
    ("Camille", "Besse", "Murat", "118", "car", [("Carnet 10 jours", 9), ("Temps partiel 2 j/semaine", 3)]),
    ("Mathieu", "Lacoste", "Allanche", "95", "car", [("Temps plein", 7)]),
    ("Aurélie", "Vaissier", "Neussargues en Pinatelle", "67", "train", [("Carnet 10 jours", 2)]),
    ("Romain", "Cabanes", "Dienne", "130", "carpool", [("Pass journée", 4)]),
    (
        "Sandrine",
        "Falgoux",
        "Laveissière",
        "42",
        "car",
        [("Forfait 10 h de salle", 5), ("Temps partiel 2 j/semaine", 1)],
    ),
    ("Julie", "Delpuech", "Aurillac", "560", "train", [("Temps partiel 2 j/semaine", 6)]),
    ("Nicolas", "Rouquier", "Saint-Flour", "75", "car", [("Carnet 10 jours", 11)]),
    ("Émilie", "Chassang", "Riom-ès-Montagnes", "88", "car", [("Temps plein", 2)]),
    ("Baptiste", "Montel", "Mauriac", "54", "bus", [("Pass journée", 1)]),
    ("Laure", "Bouygues", "Salers", "112", "car", [("Temps partiel 2 j/semaine", 8)]),
    ("Guillaume", "Tournadre", "Ydes", "36", "car", [("Carnet 10 jours", 4)]),
    ("Manon", "Servant", "Maurs", "170", "train", [("Forfait 10 h de salle", 3)]),
]


def _ascii(text: str) -> str:
    import unicodedata

    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace(" ", "-")


def _plans(telecentre: Telecentre) -> tuple[dict[str, Plan], int]:
    plans: dict[str, Plan] = {}
    created = 0
    for name, kind, price, fields in PLANS:
        plan = Plan.objects.filter(telecentre=telecentre, name=name).first()
        if plan is None:
            plan = services.plan_create(
                actor=None,
                telecentre=telecentre,
                name=name,
                kind=kind,
                price_excl_tax=Decimal(price),
                vat_rate=Decimal("20"),
                **fields,
            )
            created += 1
        plans[name] = plan
    return plans, created


def _commune(name: str) -> Commune | None:
    return Commune.objects.filter(name=name, kind=Commune.Kind.ACTUELLE).first()


def _months_ago(today: dt.date, months: int) -> dt.date:
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    return dt.date(year, month + 1, min(today.day, 28))


def _person(index: int, person: tuple[str, str, str, str, str, list[tuple[str, int]]], telecentre: Telecentre):
    first, last, commune, km, mode, _history = person
    email = f"{_ascii(first)}.{_ascii(last)}.{telecentre.slug}@example.fr"[:254]
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if user is None:
        user = User.objects.create_user(email, None, first_name=first, last_name=last)
    MemberProfile.objects.get_or_create(
        user=user,
        defaults={
            "billing_name": f"{first} {last}",
            "billing_address": f"{3 + index} rue du Plomb du Cantal\n{commune}",
            "home_commune": _commune(commune),
            "commute_km": Decimal(km),
            "commute_mode": mode,
        },
    )
    return user, created


def _history(user: Any, telecentre: Telecentre, plans: dict[str, Plan], history: list[tuple[str, int]]) -> int:
    """Replays the person's plans from their start date to today (monthly renewals included)."""
    if Membership.objects.filter(member=user, telecentre=telecentre).exists():
        return 0
    today = timezone.localdate()
    opened = telecentre.opens_on or today
    count = 0
    steps = [(plans[name], max(_months_ago(today, months), opened)) for name, months in history]
    for position, (plan, starts_on) in enumerate(steps):
        if position and starts_on <= steps[position - 1][1]:
            continue  # the telecentre opened too recently for this change
        membership = services.membership_subscribe(actor=None, member=user, plan=plan, on=starts_on, notify=False)
        count += 1
        until = steps[position + 1][1] if position + 1 < len(steps) else today + dt.timedelta(days=1)
        month = services.next_month_start(starts_on)
        while month < until:
            services.membership_renew(actor=None, membership=membership, on=month)
            month = services.next_month_start(month)
    return count


def load() -> dict[str, int]:
    counts = {"formules": 0, "membres indépendants": 0, "adhésions": 0}
    telecentres = sorted(
        Telecentre.objects.filter(status=TelecentreStatus.OPEN).select_related("place"),
        key=lambda t: (t.place.name != MURAT, t.opens_on or dt.date.max, t.pk),
    )
    for position, telecentre in enumerate(telecentres):
        plans, created = _plans(telecentre)
        counts["formules"] += created
        # Murat's telecentre (La Gare), the demo manager's, has the most members.
        size = 6 if position == 0 else 3
        start = 0 if position == 0 else (6 + 3 * (position - 1)) % len(PEOPLE)
        for offset in range(size):
            index = (start + offset) % len(PEOPLE)
            user, new = _person(index, PEOPLE[index], telecentre)
            counts["membres indépendants"] += int(new)
            counts["adhésions"] += _history(user, telecentre, plans, PEOPLE[index][5])
    # Monthly memberships due today get this month's credits (as the nightly job would).
    services.memberships_renew(on=timezone.localdate())
    return counts
