"""Demo data of part "network": the seven telecentres of the Cantal, their operators (a SCIC
for three of them, communautés de communes for the others) with their invoicing details, their
opening one after another over the last three years (Chaudes-Aigues opens next spring), their
resources (a seat pool, offices, a meeting room) and a few closures.

Idempotent: a telecentre is keyed by its place, an operator by its name, a resource by
(telecentre, name), a closure by (telecentre, resource, reason). A second run creates nothing
and changes nothing (dates are computed once, at creation).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from stdnum import luhn

from cybercantal.accounts import services as accounts_services
from cybercantal.accounts.models import Organisation
from cybercantal.places import services as places_services
from cybercantal.places.models import Place, PlaceKind

from ..models import (
    Closure,
    Equipment,
    OperatorBilling,
    Resource,
    ResourceAccess,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
)
from ..services import network as services

E = Equipment
K = ResourceKind
A = ResourceAccess


def siret_from(base: str, establishment: str) -> str:
    """A SIRET with valid check digits: ``base`` (8 digits) gets its SIREN key, then the whole
    14 digits get theirs (Luhn)."""
    siren = base + luhn.calc_check_digit(base)
    head = siren + establishment
    return head + luhn.calc_check_digit(head)


def vat_number(siret: str) -> str:
    """The French intra-community VAT number of the company: FR + key + SIREN."""
    siren = siret[:9]
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"


@dataclass(frozen=True)
class OperatorSpec:
    name: str
    kind: str
    legal_form: str
    address: str
    siret_base: str  # 8 digits; the SIREN key and the SIRET key are computed
    establishment: str  # 4 digits of the NIC before its key
    invoice_prefix: str
    payment_terms_days: int
    vat_exempt: bool = False


SCIC = OperatorSpec(
    name="SCIC Cantal Tiers-Lieux",
    kind=Organisation.Kind.TELECENTRE_OPERATOR,
    legal_form="SCIC SAS à capital variable",
    address="8 place d'Armes\n15100 Saint-Flour",
    siret_base="89124537",
    establishment="0001",
    invoice_prefix="CTL",
    payment_terms_days=30,
)
HAUTES_TERRES = OperatorSpec(
    name="Hautes Terres Communauté",
    kind=Organisation.Kind.TELECENTRE_OPERATOR,
    legal_form="Communauté de communes (établissement public de coopération intercommunale)",
    address="4 rue du Faubourg Notre-Dame\n15300 Murat",
    siret_base="20006992",
    establishment="0001",
    invoice_prefix="HTC",
    payment_terms_days=30,
)
CHATAIGNERAIE = OperatorSpec(
    name="Communauté de communes de la Châtaigneraie cantalienne",
    kind=Organisation.Kind.TELECENTRE_OPERATOR,
    legal_form="Communauté de communes (établissement public de coopération intercommunale)",
    address="Avenue du 8 mai 1945\n15600 Maurs",
    siret_base="20006993",
    establishment="0002",
    invoice_prefix="CCC",
    payment_terms_days=45,
)
CARLADES = OperatorSpec(
    name="Communauté de communes Cère et Goul en Carladès",
    kind=Organisation.Kind.TELECENTRE_OPERATOR,
    legal_form="Communauté de communes (établissement public de coopération intercommunale)",
    address="Rue Paul Doumer\n15800 Vic-sur-Cère",
    siret_base="24150045",
    establishment="0003",
    invoice_prefix="CGC",
    payment_terms_days=30,
)
SUMENE = OperatorSpec(
    name="Communauté de communes Sumène Artense",
    kind=Organisation.Kind.TELECENTRE_OPERATOR,
    legal_form="Communauté de communes (établissement public de coopération intercommunale)",
    address="Place de la Mairie\n15210 Ydes",
    siret_base="24150038",
    establishment="0001",
    invoice_prefix="CSA",
    payment_terms_days=30,
)


@dataclass(frozen=True)
class ResourceSpec:
    name: str
    kind: str
    capacity: int
    description: str
    equipment: tuple[str, ...] = ()
    access: str = A.MEMBERS
    min_minutes: int = 60
    max_minutes: int = 600
    step_minutes: int = 30
    buffer_minutes: int = 0
    booking_window_days: int = 90
    opening_hours: str = ""


def _pool(seats: int, name: str = "Espace partagé", extra: str = "") -> ResourceSpec:
    return ResourceSpec(
        name=name,
        kind=K.SEAT_POOL,
        capacity=seats,
        description=f"Open space lumineux, {seats} postes avec écran externe, fibre et café à volonté.{extra}",
        equipment=(E.SECOND_SCREEN, E.PRINTER, E.PHONE, E.ACCESSIBLE),
        min_minutes=240,
        max_minutes=660,
        step_minutes=30,
    )


def _office(name: str, people: int = 1, equipment: tuple[str, ...] = (E.SECOND_SCREEN,)) -> ResourceSpec:
    return ResourceSpec(
        name=name,
        kind=K.OFFICE,
        capacity=people,
        description="Bureau fermé et insonorisé, pour les appels et le travail au calme.",
        equipment=equipment,
        access=A.PARTNERS if people == 1 else A.MEMBERS,
        min_minutes=60,
        max_minutes=660,
        step_minutes=30,
    )


def _room(name: str, people: int, access: str = A.MEMBERS, *, hours: str = "") -> ResourceSpec:
    return ResourceSpec(
        name=name,
        kind=K.MEETING_ROOM,
        capacity=people,
        description=f"Salle de réunion pour {people} personnes, visioconférence prête à l'emploi.",
        equipment=(E.VIDEO, E.SCREEN, E.WHITEBOARD, E.ACCESSIBLE),
        access=access,
        min_minutes=30,
        max_minutes=480,
        step_minutes=30,
        buffer_minutes=15,
        booking_window_days=180,
        opening_hours=hours,
    )


@dataclass(frozen=True)
class TelecentreSpec:
    place: str
    commune: str
    operator: OperatorSpec
    opened_days_ago: int | None  # None: planned for next spring
    welcome: str
    resources: list[ResourceSpec] = field(default_factory=list)


TELECENTRES = [
    TelecentreSpec(
        "Télécentre La Gare",
        "Murat",
        HAUTES_TERRES,
        1060,
        "Dans l'ancienne gare, côté quai, à deux minutes du train Clermont–Aurillac. Entrée par le badge "
        "remis à l'adhésion (code de secours envoyé par courriel avec chaque réservation). Wifi « LaGare-Membres ». "
        "Stationnement gratuit place de la Gare.",
        [
            _pool(12, extra=" Vue sur le Plomb du Cantal."),
            _office("Bureau Bonnevie"),
            _office("Bureau du Lioran", people=2),
            _room("Salle du Plomb", 10, access=A.ANYONE, hours="Mo-Fr 08:30-18:30; PH off"),
        ],
    ),
    TelecentreSpec(
        "Télécentre La Grange",
        "Riom-ès-Montagnes",
        SCIC,
        880,
        "Grange rénovée en bordure du bourg. Boîte à clés à l'entrée : le code est envoyé avec chaque "
        "réservation. Wifi « LaGrange ». Parking vélo couvert et recharge pour voitures électriques.",
        [
            _pool(10),
            _office("Bureau Gentiane"),
            _room("Salle du Cézallier", 8),
        ],
    ),
    TelecentreSpec(
        "Télécentre Le Relais",
        "Maurs",
        CHATAIGNERAIE,
        700,
        "Au rez-de-chaussée de l'ancien relais de poste, accessible de plain-pied. Accueil par l'équipe de la "
        "communauté de communes le matin ; l'après-midi, badge d'accès. Wifi « LeRelais ».",
        [
            _pool(8),
            _office("Bureau Châtaigneraie"),
            _office("Bureau de la Rance", people=2),
            _room("Salle des Chênes", 6),
        ],
    ),
    TelecentreSpec(
        "Télécentre La Halle aux Grains",
        "Saint-Flour",
        SCIC,
        530,
        "Sous la halle de la ville haute. Interphone à l'entrée, code remis par courriel avec chaque "
        "réservation. Wifi « HalleAuxGrains ». Parking des Remparts à 200 m.",
        [
            _pool(14, extra=" Cabine téléphonique à disposition."),
            _office("Bureau des Orgues"),
            _office("Bureau de la Planèze"),
            _office("Bureau Margeride", people=3),
            _room("Salle de la Truyère", 12),
        ],
    ),
    TelecentreSpec(
        "Télécentre du Carladès",
        "Vic-sur-Cère",
        CARLADES,
        350,
        "À l'étage de la maison des services, ascenseur. Badge remis à l'adhésion. Wifi « Carlades-Pro ». "
        "Gare de Vic-sur-Cère à 5 minutes à pied.",
        [
            _pool(8),
            _office("Bureau du Goul"),
            _room("Salle du Carladès", 8),
        ],
    ),
    TelecentreSpec(
        "Télécentre Le Quai",
        "Ydes",
        SUMENE,
        140,
        "Sur le quai de l'ancienne gare de marchandises. Code de la porte envoyé avec chaque réservation. "
        "Wifi « LeQuai ». Stationnement le long de la voie verte.",
        [
            _pool(6),
            _office("Bureau de la Sumène"),
            _room("Salle de l'Artense", 6),
        ],
    ),
    TelecentreSpec(
        "Télécentre Les Thermes",
        "Chaudes-Aigues",
        SCIC,
        None,
        "Dans l'ancien établissement thermal, face à la source du Par. Ouverture prévue au printemps : "
        "adhésions ouvertes dès l'annonce de la date.",
        [
            _pool(8),
            _office("Bureau du Par"),
            _room("Salle de la Source", 10),
        ],
    ),
]


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def next_spring(today: dt.date) -> dt.date:
    """The first Monday of April to come (at least a month away)."""
    year = today.year if today < dt.date(today.year, 3, 1) else today.year + 1
    april = dt.date(year, 4, 1)
    return april + dt.timedelta(days=(7 - april.weekday()) % 7)


def _operator(spec: OperatorSpec) -> Organisation:
    """The operator organisation (found by name, created with a valid SIRET) and its
    invoicing details."""
    siret = siret_from(spec.siret_base, spec.establishment)
    operator = Organisation.objects.filter(name=spec.name).order_by("pk").first()
    if operator is None:
        taken = Organisation.objects.filter(siret=siret).exists()
        operator = accounts_services.organisation_create(
            actor=None, name=spec.name, kind=spec.kind, siret="" if taken else siret
        )
    OperatorBilling.objects.get_or_create(
        operator=operator,
        defaults={
            "legal_name": spec.name,
            "legal_form": spec.legal_form,
            "address": spec.address,
            "siret": siret,
            "vat_number": "" if spec.vat_exempt else vat_number(siret),
            "vat_exempt": spec.vat_exempt,
            "invoice_prefix": spec.invoice_prefix,
            "payment_terms_days": spec.payment_terms_days,
        },
    )
    return operator


def _telecentre(spec: TelecentreSpec, place: Place, operator: Organisation, today: dt.date) -> Telecentre:
    existing = Telecentre.objects.filter(place=place).first()
    if existing is not None:
        return existing
    telecentre = services.telecentre_create(actor=None, place=place, operator=operator, welcome_text=spec.welcome)
    if spec.opened_days_ago is None:
        return services.telecentre_update(actor=None, telecentre=telecentre, opens_on=next_spring(today))
    opened = _monday(today - dt.timedelta(days=spec.opened_days_ago))
    return services.telecentre_update(actor=None, telecentre=telecentre, status=TelecentreStatus.OPEN, opens_on=opened)


def _resources(telecentre: Telecentre, specs: list[ResourceSpec]) -> None:
    existing = set(Resource.objects.filter(telecentre=telecentre).values_list("name", flat=True))
    for position, spec in enumerate(specs):
        if spec.name in existing:
            continue
        services.resource_create(
            actor=None,
            telecentre=telecentre,
            name=spec.name,
            kind=spec.kind,
            capacity=spec.capacity,
            description=spec.description,
            equipment=list(spec.equipment),
            access=spec.access,
            booking_window_days=spec.booking_window_days,
            min_minutes=spec.min_minutes,
            max_minutes=spec.max_minutes,
            step_minutes=spec.step_minutes,
            buffer_minutes=spec.buffer_minutes,
            opening_hours=spec.opening_hours,
            is_active=True,
            position=position,
        )


def _closures(by_commune: dict[str, Telecentre], today: dt.date) -> None:
    """A summer break at Saint-Flour, Christmas at Riom-ès-Montagnes (none at Murat, where the
    acceptance journey books)."""
    august = dt.date(today.year if today < dt.date(today.year, 7, 1) else today.year + 1, 8, 10)
    christmas = dt.date(today.year, 12, 24) if today < dt.date(today.year, 12, 1) else dt.date(today.year + 1, 12, 24)
    wanted = [
        ("Saint-Flour", None, _monday(august), _monday(august) + dt.timedelta(days=11), "Congés d'été"),
        ("Riom-ès-Montagnes", None, christmas, christmas + dt.timedelta(days=8), "Fêtes de fin d'année"),
    ]
    for commune, resource, starts_on, ends_on, reason in wanted:
        telecentre = by_commune.get(commune)
        if telecentre is None or telecentre.status != TelecentreStatus.OPEN:
            continue
        if Closure.objects.filter(telecentre=telecentre, resource=resource, reason=reason).exists():
            continue  # keyed by reason too: a run next year does not add a second one
        services.closure_create(
            actor=None, telecentre=telecentre, resource=resource, starts_on=starts_on, ends_on=ends_on, reason=reason
        )


@transaction.atomic
def load() -> dict[str, int]:
    today = timezone.localdate()
    by_commune: dict[str, Telecentre] = {}
    operators: set[int] = set()
    for spec in TELECENTRES:
        place = (
            Place.objects.filter(name=spec.place, kind=PlaceKind.TELECENTRE, commune__name=spec.commune)
            .order_by("pk")
            .first()
        )
        if place is None:
            continue  # the places demo was not loaded: nothing to attach to
        operator = _operator(spec.operator)
        operators.add(operator.pk)
        telecentre = _telecentre(spec, place, operator, today)
        if place.organisation_id is None:
            places_services.place_update(actor=None, place=place, organisation=operator)
        _resources(telecentre, spec.resources)
        by_commune[spec.commune] = telecentre
    _closures(by_commune, today)
    ids = [t.pk for t in by_commune.values()]
    return {
        "télécentres": len(ids),
        "exploitants": len(operators),
        "ressources": Resource.objects.filter(telecentre_id__in=ids).count(),
        "fermetures": Closure.objects.filter(telecentre_id__in=ids).count(),
    }
