"""Demo data of the mediators part: profiles, their employers and EPN, hiring aids with
payments, and the labels of the demo EPN (names invented, places from ``places.demo``).

Idempotent: employers are keyed by name, mediators by email, aids exist once per mediator,
labels once per place; a second run creates nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.utils import timezone

from cybercantal.accounts import services as accounts_services
from cybercantal.accounts.models import Organisation, Role, RoleMembership, User
from cybercantal.places.models import Place, PlaceKind

from ..models import HiringAid, HiringAidPayment, LabelKind, Mediator, PlaceLabel, Qualification
from ..services import mediators as services

Q = Qualification

EMPLOYERS: list[tuple[str, str]] = [
    ("Commune d'Ydes", Organisation.Kind.COMMUNE),
    ("Commune de Riom-ès-Montagnes", Organisation.Kind.COMMUNE),
    ("Commune de Maurs", Organisation.Kind.COMMUNE),
    ("Communauté de communes Sumène Artense", Organisation.Kind.EPCI),
    ("Hautes Terres Communauté", Organisation.Kind.EPCI),
    ("Communauté de communes de la Châtaigneraie cantalienne", Organisation.Kind.EPCI),
    ("Association Clic Cantal", Organisation.Kind.ASSOCIATION),
    ("Association Numérique Haute-Auvergne (démo)", Organisation.Kind.ASSOCIATION),
]

# email local part, first name, last name, employer, qualifications, started (year, month), EPN names
PEOPLE: list[tuple[str, str, str, str, list[str], tuple[int, int], list[str]]] = [
    ("sylvie.cheminade", "Sylvie", "Cheminade", "Commune d'Ydes", [Q.TP_REMN, Q.PIX], (2019, 3), ["EPN du Pays Vert"]),
    (
        "romain.bouyssou",
        "Romain",
        "Bouyssou",
        "Commune de Riom-ès-Montagnes",
        [Q.CONSEILLER_NUMERIQUE, Q.AIDANTS_CONNECT],
        (2021, 9),
        ["EPN La Fontaine", "Espace numérique du Cézallier"],
    ),
    (
        "amandine.lacoste",
        "Amandine",
        "Lacoste",
        "Commune de Maurs",
        [Q.CCP1_REMN],
        (2022, 1),
        ["EPN de la Châtaigneraie"],
    ),
    (
        "kevin.rouquier",
        "Kévin",
        "Rouquier",
        "Communauté de communes Sumène Artense",
        [Q.CONSEILLER_NUMERIQUE, Q.MON_ESPACE_SANTE],
        (2023, 2),
        ["Médiathèque de l'Artense", "EPN Les Remparts"],
    ),
    (
        "nathalie.vigier",
        "Nathalie",
        "Vigier",
        "Hautes Terres Communauté",
        [Q.PIX, Q.AIDANTS_CONNECT],
        (2020, 5),
        ["EPN du Lioran", "EPN Les Estives"],
    ),
    (
        "julien.falguieres",
        "Julien",
        "Falguières",
        "Communauté de communes de la Châtaigneraie cantalienne",
        [Q.CONSEILLER_NUMERIQUE],
        (2024, 9),
        ["EPN du Pays de Montsalvy"],
    ),
    (
        "claire.montourcy",
        "Claire",
        "Montourcy",
        "Association Clic Cantal",
        [Q.TP_REMN, Q.CONSEILLER_NUMERIQUE, Q.PIX],
        (2018, 10),
        ["EPN Le Lien", "Cyber-base de la Jordanne"],
    ),
    (
        "thierry.cabanes",
        "Thierry",
        "Cabanes",
        "Association Clic Cantal",
        [Q.OTHER],
        (2022, 6),
        ["EPN de la Planèze", "Espace numérique de la Margeride"],
    ),
]

# Mediators (by email local part) whose employer gets the département's hiring aid.
AIDED = ["sylvie.cheminade", "romain.bouyssou", "amandine.lacoste", "kevin.rouquier", "julien.falguieres"]

# EPN that carry the network's labels since its beginning (2003, 2005); the others later.
OLD_EPN = [
    "EPN du Pays Vert",
    "EPN La Fontaine",
    "EPN Le Lien",
    "EPN Les Remparts",
    "EPN de la Châtaigneraie",
    "EPN du Lioran",
    "EPN de la Planèze",
    "EPN du Carladès",
]


def _employers() -> dict[str, Organisation]:
    found = {}
    for name, kind in EMPLOYERS:
        organisation = Organisation.objects.filter(name=name).first()
        if organisation is None:
            organisation = accounts_services.organisation_create(actor=None, name=name, kind=kind)
        found[name] = organisation
    return found


def _profiles_for_role_holders(employer: Organisation) -> int:
    """A profile for each demo person holding the mediator role (``accounts.demo``)."""
    created = 0
    holders = RoleMembership.objects.active().filter(role=Role.MEDIATOR).values_list("user_id", flat=True)
    for user in User.objects.filter(pk__in=holders).exclude(mediator__isnull=False).order_by("pk"):
        Mediator.objects.create(
            user=user,
            employer=employer,
            qualifications=[Q.CONSEILLER_NUMERIQUE, Q.PIX],
            started_on=dt.date(2021, 9, 1),
        )
        created += 1
    return created


def _people(employers: dict[str, Organisation], places: dict[str, Place]) -> dict[str, Mediator]:
    mediators = {}
    for local, first, last, employer, qualifications, (year, month), epn_names in PEOPLE:
        email = f"{local}@example.fr"
        existing = Mediator.objects.filter(user__email__iexact=email).first()
        if existing is None:
            user = User.objects.filter(email__iexact=email).first()
            existing = services.mediator_create(
                actor=None,
                user=user,
                email=email,
                first_name=first,
                last_name=last,
                employer=employers[employer],
                qualifications=qualifications,
                qualifications_other="Formation « Accueillir les publics éloignés du numérique »"
                if Q.OTHER in qualifications
                else "",
                professional_phone=f"04 71 {40 + len(mediators):02d} {10 + 7 * len(mediators):02d} 00",
                started_on=dt.date(year, month, 1),
                places=[places[name] for name in epn_names if name in places],
            )
        mediators[local] = existing
    return mediators


def _aids(mediators: dict[str, Mediator], rng: random.Random) -> tuple[int, int]:
    """15 000 € a year over three years (or 10 000 € for the latest), paid year by year."""
    today = timezone.localdate()
    aids = payments = 0
    for index, local in enumerate(AIDED):
        mediator = mediators.get(local)
        if mediator is None or mediator.hiring_aids.exists():
            continue
        starts_on = mediator.started_on or dt.date(2023, 1, 1)
        starts_on = max(starts_on, dt.date(2023, 1, 1)).replace(day=1)
        amount = Decimal("10000") if index == len(AIDED) - 1 else Decimal("15000")
        ends_on = starts_on.replace(year=starts_on.year + 3) - dt.timedelta(days=1)
        aid = services.hiring_aid_create(
            actor=None,
            mediator=mediator,
            employer=mediator.employer,
            amount_per_year=amount,
            starts_on=starts_on,
            ends_on=ends_on,
            conditions="Poste à temps plein d'animateur d'EPN ; rapport d'activité annuel ; ouverture au public "
            "au moins 20 heures par semaine.",
            decided_on=starts_on - dt.timedelta(days=rng.randint(20, 60)),
        )
        aids += 1
        # One payment a year, once the year of work is done (the last one may wait).
        for year in range(3):
            paid_on = starts_on.replace(year=starts_on.year + year + 1) + dt.timedelta(days=rng.randint(15, 45))
            if paid_on > today:
                break
            services.hiring_aid_payment_record(
                actor=None,
                aid=aid,
                paid_on=paid_on,
                amount=amount,
                reference=f"M-{paid_on.year}-{rng.randint(100, 999):04d}",
            )
            payments += 1
    return aids, payments


def _labels(places: dict[str, Place], rng: random.Random) -> int:
    created = 0
    epn = [place for place in places.values() if place.kind == PlaceKind.EPN or "epn" in place.offers]
    for place in sorted(epn, key=lambda p: p.slug):
        if PlaceLabel.objects.filter(place=place).exists():
            continue
        if place.name in OLD_EPN:
            labels = [
                (LabelKind.EPN, dt.date(2003, rng.randint(3, 11), 1), None),
                (LabelKind.NETPUBLIC, dt.date(2005, rng.randint(2, 10), 1), None),
            ]
        else:
            year = rng.randint(2008, 2016)
            labels = [
                (LabelKind.EPN, dt.date(year, rng.randint(1, 12), 1), None),
                (LabelKind.NETPUBLIC, dt.date(year + rng.randint(0, 2), rng.randint(1, 12), 1), None),
            ]
        if place.name in {"EPN du Pays Vert", "EPN Le Lien", "EPN de la Planèze"}:
            labels.append((LabelKind.CONSEILLERS_NUMERIQUES, dt.date(2021, 6, 1), None))
            labels.append((LabelKind.AIDANTS_CONNECT, dt.date(2022, 3, 1), None))
        if place.name == "EPN Les Remparts":
            labels.append((LabelKind.PIX, dt.date(2016, 9, 1), dt.date(2020, 8, 31)))  # an ended one
        for kind, since, until in labels:
            services.place_label_add(
                actor=None,
                place=place,
                kind=kind,
                since=since,
                until=until,
                reference=f"{kind.upper()}-15-{place.pk:03d}",
            )
            created += 1
    return created


def load(*, rng_seed: int = 15) -> dict[str, int]:
    rng = random.Random(rng_seed)  # noqa: S311 - demo data, not security
    employers = _employers()
    places = {
        place.name: place
        for place in Place.objects.filter(kind__in=[PlaceKind.EPN, PlaceKind.MEDIATHEQUE]).order_by("slug")
        if place.kind == PlaceKind.EPN or "epn" in place.offers
    }
    _profiles_for_role_holders(employers["Association Numérique Haute-Auvergne (démo)"])
    mediators = _people(employers, places)
    _aids(mediators, rng)
    _labels(places, rng)
    return {
        "médiateurs": Mediator.objects.count(),
        "aides à l'embauche": HiringAid.objects.count(),
        "versements d'aide": HiringAidPayment.objects.count(),
        "labels": PlaceLabel.objects.count(),
    }
