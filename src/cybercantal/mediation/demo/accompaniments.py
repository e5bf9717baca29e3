"""Demo accompaniments: about twelve months of activity reports in the demo EPN, a few
followed people (with their consent) and kiosk-style help with procedures.

Authors are the people who hold the mediator (or kiosk agent) role on each place; a place
with nobody gets the demo mediator account (``accounts/demo.py``), or is skipped when that
account does not exist. Loading twice creates nothing new: a place that already has
accompaniments is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role, RoleMembership, User
from cybercantal.places.models import Place

from ..models import (
    Accompaniment,
    AccompanimentKind,
    AdminTheme,
    Autonomy,
    Beneficiary,
    DigitalTheme,
    EquipmentUsed,
    HelpReason,
    Outcome,
    PlaceType,
)
from ..services.accompaniments import COUNT_DIMENSIONS, retention_date

DAYS = 365
# Digital themes weighted as in the national CRA figures (email, procedures and the phone first).
THEME_WEIGHTS = {
    DigitalTheme.ONLINE_PROCEDURES: 18,
    DigitalTheme.EMAIL: 14,
    DigitalTheme.EQUIPMENT: 14,
    DigitalTheme.BROWSING: 10,
    DigitalTheme.SECURITY: 7,
    DigitalTheme.OFFICE: 6,
    DigitalTheme.HEALTH: 6,
    DigitalTheme.BANKING: 5,
    DigitalTheme.SOCIAL: 5,
    DigitalTheme.DIAGNOSTIC: 4,
    DigitalTheme.MAINTENANCE: 3,
    DigitalTheme.EMPLOYMENT: 3,
    DigitalTheme.DATA: 2,
    DigitalTheme.PARENTING: 1,
    DigitalTheme.SCHOOLING: 1,
    DigitalTheme.CREATING: 1,
    DigitalTheme.CULTURE: 1,
    DigitalTheme.AI: 1,
    DigitalTheme.ENTREPRENEURSHIP: 1,
}
ADMIN_WEIGHTS = {
    AdminTheme.MONEY: 9,
    AdminTheme.SOCIAL_HEALTH: 9,
    AdminTheme.PAPERS: 8,
    AdminTheme.WORK: 5,
    AdminTheme.FAMILY: 4,
    AdminTheme.HOUSING: 3,
    AdminTheme.TRANSPORT: 3,
    AdminTheme.FOREIGNERS: 1,
    AdminTheme.JUSTICE: 1,
    AdminTheme.LEISURE: 1,
    AdminTheme.ASSOCIATIONS: 1,
}
PEOPLE = [
    ("Marcel", "Chambon", 1946),
    ("Odette", "Bouygues", 1951),
    ("Jean-Pierre", "Lacoste", 1958),
    ("Nathalie", "Mazet", 1972),
    ("Kevin", "Rispal", 1994),
]


def _weighted(rng: random.Random, weights: dict[Any, int], k: int) -> list[str]:
    picked = rng.choices(list(weights), weights=list(weights.values()), k=k)
    return sorted({str(value) for value in picked})


def _holders(role: str, place: Place, place_type: ContentType) -> list[int]:
    return list(
        RoleMembership.objects.filter(role=role, scope_type=place_type, scope_id=place.pk)
        .active()
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )


def _split(rng: random.Random, total: int, fields: tuple[str, ...], weights: list[int]) -> dict[str, int]:
    counts = dict.fromkeys(fields, 0)
    for field in rng.choices(fields, weights=weights, k=total):
        counts[field] += 1
    return counts


def _collective(rng: random.Random, total: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    counts.update(_split(rng, total, COUNT_DIMENSIONS["gender"], [55, 43, 2]))
    counts.update(_split(rng, total, COUNT_DIMENSIONS["age"], [1, 3, 4, 10, 22, 30, 25, 5]))
    counts.update(_split(rng, total, COUNT_DIMENSIONS["status"], [5, 15, 22, 50, 8]))
    return counts


def _record(rng: random.Random, *, author: int, place: Place, day: dt.date, kind: str) -> Accompaniment:
    base: dict[str, Any] = {
        "author_id": author,
        "place": place,
        "date": day,
        "kind": kind,
        "place_type": rng.choices(PlaceType.values, weights=[85, 5, 8, 2])[0],
        "equipment_used": _weighted(
            rng,
            {EquipmentUsed.COMPUTER: 5, EquipmentUsed.PHONE: 4, EquipmentUsed.TABLET: 1, EquipmentUsed.NONE: 1},
            1,
        ),
    }
    if kind == AccompanimentKind.COLLECTIVE:
        total = rng.randint(3, 10)
        return Accompaniment(
            **base,
            duration_minutes=rng.choice([90, 120, 120, 120]),
            themes=_weighted(rng, THEME_WEIGHTS, 2),
            participants=total,
            **_collective(rng, total),
        )
    if kind == AccompanimentKind.PROCEDURE:
        base["place_type"] = PlaceType.ON_SITE
        base["equipment_used"] = [EquipmentUsed.KIOSK]
        return Accompaniment(
            **base,
            duration_minutes=rng.choice([15, 15, 30, 30, 45]),
            themes=[DigitalTheme.ONLINE_PROCEDURES],
            admin_themes=_weighted(rng, ADMIN_WEIGHTS, 1),
            help_reason=rng.choices(HelpReason.values, weights=[35, 45, 15, 5])[0],
            outcome=rng.choices(Outcome.values, weights=[70, 20, 10])[0],
        )
    admin = _weighted(rng, ADMIN_WEIGHTS, 1) if rng.random() < 0.35 else []
    return Accompaniment(
        **base,
        duration_minutes=rng.choices([15, 30, 45, 60, 90, 120, 20], weights=[10, 40, 20, 20, 5, 3, 2])[0],
        themes=_weighted(rng, THEME_WEIGHTS, rng.choice([1, 1, 2])),
        admin_themes=admin,
        autonomy=rng.choices(Autonomy.values, weights=[30, 50, 20])[0],
        help_reason=rng.choices(["", *HelpReason.values], weights=[60, 10, 20, 8, 2])[0],
        oriented_to=rng.choice(["", "", "", "", "", "France Services", "CAF du Cantal", "CPAM"]),
    )


@transaction.atomic
def load(*, rng_seed: int = 15) -> dict[str, int]:
    """Create the demo accompaniments (idempotent). Returns what was created."""
    rng = random.Random(rng_seed)  # noqa: S311 - demo data, not security
    today = timezone.localdate()
    place_type = ContentType.objects.get_for_model(Place)
    fallback = User.objects.filter(email__iexact=demo_email(Role.MEDIATOR)).values_list("pk", flat=True).first()
    kiosk_fallback = (
        User.objects.filter(email__iexact=demo_email(Role.KIOSK_AGENT)).values_list("pk", flat=True).first()
    )
    created = {"accompagnements": 0, "personnes suivies": 0, "démarches à la borne": 0}
    places = Place.objects.filter(offers__has="epn").order_by("slug")
    for place in places:
        if Accompaniment.objects.filter(place=place).exists():
            continue
        mediators = _holders(Role.MEDIATOR, place, place_type) or ([fallback] if fallback else [])
        if not mediators:
            continue
        records = []
        for offset in range(DAYS, -1, -1):
            day = today - dt.timedelta(days=offset)
            if day.weekday() == 6:
                continue
            visits = rng.choices([0, 1, 2, 3], weights=[35, 35, 20, 10])[0]
            records.extend(
                _record(rng, author=rng.choice(mediators), place=place, day=day, kind=AccompanimentKind.INDIVIDUAL)
                for _n in range(visits)
            )
            if day.weekday() in (1, 3) and rng.random() < 0.3:
                records.append(
                    _record(rng, author=rng.choice(mediators), place=place, day=day, kind=AccompanimentKind.COLLECTIVE)
                )
        Accompaniment.objects.bulk_create(records, batch_size=500)
        created["accompagnements"] += len(records)
        # A few followed people, with their consent, over several visits.
        individual = [r for r in records if r.kind == AccompanimentKind.INDIVIDUAL]
        for first_name, last_name, birth_year in rng.sample(PEOPLE, k=2):
            visits = sorted(rng.sample(individual, k=min(len(individual), rng.randint(2, 5))), key=lambda r: r.date)
            if not visits:
                continue
            person = Beneficiary.objects.create(
                first_name=first_name,
                last_name=last_name,
                birth_year=birth_year,
                commune=place.commune,
                place=place,
                consent_at=timezone.make_aware(dt.datetime.combine(visits[0].date, dt.time(10, 0))),
                consent_by_id=visits[0].author_id,
                retention_until=retention_date(visits[-1].date),
            )
            Accompaniment.objects.filter(pk__in=[visit.pk for visit in visits]).update(beneficiary=person)
            created["personnes suivies"] += 1
    for place in Place.objects.filter(offers__has="kiosk").order_by("slug"):
        if Accompaniment.objects.filter(place=place, kind=AccompanimentKind.PROCEDURE).exists():
            continue
        agents = _holders(Role.KIOSK_AGENT, place, place_type) or _holders(Role.MEDIATOR, place, place_type)
        if not agents and kiosk_fallback:
            agents = [kiosk_fallback]
        if not agents:
            continue
        records = []
        for offset in range(DAYS, -1, -1):
            day = today - dt.timedelta(days=offset)
            if day.weekday() >= 5 or rng.random() < 0.6:
                continue
            records.append(_record(rng, author=rng.choice(agents), place=place, day=day, kind="procedure"))
        Accompaniment.objects.bulk_create(records, batch_size=500)
        created["démarches à la borne"] += len(records)
    return created
