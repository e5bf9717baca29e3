"""Demo places: a realistic Cantal for trying the platform (names invented, communes real).

``load_demo_places()`` is idempotent, keyed by slug: a place that already exists is left
as it is (someone may have edited it), a missing one is created through the services.
What it draws:

- a kiosk host in each of the 15 cantons (mairie, maison de services au public,
  communauté de communes or EPN), except two whose host has no kiosk yet
  (Neuvéglise and Ydes), so that the coverage page shows gaps;
- about 20 EPN over the cantons, none in Neuvéglise nor in Saint-Paul-des-Landes;
- 7 telecentres, 22 collèges (in the communes where the Cantal's collèges are),
  5 France Services;
- Riom-ès-Montagnes has four places (the acceptance test searches it).

Points are drawn inside the right commune (and, for the communes split over several
cantons such as Aurillac and Saint-Flour, inside the intended canton) with territory's
``random_point_in_commune``; each place has its own random generator seeded from
``rng_seed`` and its slug, so a place gets the same point whatever else exists.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.text import slugify
from stdnum import luhn

from cybercantal.territory.models import Commune

from . import services
from .models import Place, PlaceKind, PlaceOffer, PlaceStatus
from .schema import (
    DispositifProgrammeNational,
    Frais,
    Itinerance,
    ModaliteAcces,
    ModaliteAccompagnement,
    PriseEnChargeSpecifique,
    PublicSpecifiquementAdresse,
    Service,
    Typologie,
)

# --- opening hours, varied as real places are -----------------------------------------------
OFFICE = "Mo-Fr 09:00-12:00,14:00-17:00; PH off"
MORNINGS = "Mo-Fr 08:30-12:00; PH off"
CLOSED_MONDAY = "Tu-Fr 10:00-12:30,14:00-18:00; Sa 10:00-12:00; PH off"
SATURDAY_MORNING = "Mo,We,Fr 14:00-18:00; Sa 09:00-12:00; PH off"
SMALL_MAIRIE = "Mo,Th 09:00-12:00; Tu 14:00-17:00; PH off"
EVENINGS = "Tu,Th 14:00-19:00; We 09:00-12:00,14:00-18:00; Sa 09:00-12:00; PH off"
TELECENTRE = "Mo-Fr 08:00-19:00; Sa 09:00-13:00; PH off"
COLLEGE = "Mo,Tu,Th,Fr 08:00-17:30; We 08:00-12:00; PH off"
FRANCE_SERVICES = "Mo-Fr 09:00-12:00,13:30-17:00; PH off"
LIBRARY = "Tu 14:00-18:00; We 10:00-12:00,14:00-18:00; Fr 14:00-18:00; Sa 10:00-16:00; PH off"

ACCESSIBILITY = [
    "Accès de plain-pied depuis la place. Stationnement réservé devant l'entrée. Toilettes adaptées.",
    "Rez-de-chaussée accessible en fauteuil ; boucle magnétique à l'accueil.",
    "Ascenseur jusqu'au 1er étage. Places de stationnement à 50 m.",
    "Entrée par la rampe côté parking. Poste de travail à hauteur réglable et clavier à gros caractères.",
    "Une marche à l'entrée (rampe amovible sur demande). Toilettes non adaptées.",
]
STREETS = [
    "place de la Mairie",
    "rue du Commerce",
    "avenue de la Gare",
    "rue des Écoles",
    "place du Marché",
    "rue de la République",
    "boulevard du Champ de Foire",
    "rue du Docteur Mallet",
    "allée des Tilleuls",
    "rue de l'Église",
]


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str
    commune: str
    hours: str
    offers: tuple[str, ...] = ()
    canton: str = ""  # for a commune split over several cantons: the canton wanted
    extra: dict[str, Any] = field(default_factory=dict)


K = PlaceKind
O = PlaceOffer  # noqa: E741 - short alias in a table

KIOSK_HOSTS = [
    Spec("Mairie d'Arpajon-sur-Cère", K.MAIRIE, "Arpajon-sur-Cère", OFFICE, (O.KIOSK,)),
    Spec("Maison des services du Cap", K.MSAP, "Aurillac", OFFICE, (O.KIOSK,), canton="aurillac-1"),
    Spec("EPN du Cap Blanc", K.EPN, "Aurillac", EVENINGS, (O.EPN, O.KIOSK), canton="aurillac-2"),
    Spec("Mairie annexe de Marmiers", K.MAIRIE, "Aurillac", MORNINGS, (O.KIOSK,), canton="aurillac-3"),
    Spec("Communauté de communes du Pays de Mauriac", K.CC_SIEGE, "Mauriac", OFFICE, (O.KIOSK,)),
    Spec("Maison de services au public de Maurs", K.MSAP, "Maurs", OFFICE, (O.KIOSK,)),
    Spec("Communauté de communes Hautes Terres", K.CC_SIEGE, "Murat", OFFICE, (O.KIOSK,)),
    Spec("Mairie de Jussac", K.MAIRIE, "Jussac", SMALL_MAIRIE, (O.KIOSK,)),
    # Neuvéglise: the host is chosen but has no kiosk yet.
    Spec("Mairie de Chaudes-Aigues", K.MAIRIE, "Chaudes-Aigues", SMALL_MAIRIE, ()),
    Spec("Maison de services au public du Pays Gentiane", K.MSAP, "Riom-ès-Montagnes", OFFICE, (O.KIOSK,)),
    Spec("Maison de services au public de Massiac", K.MSAP, "Massiac", MORNINGS, (O.KIOSK,)),
    Spec("Mairie de Pierrefort", K.MAIRIE, "Pierrefort", SMALL_MAIRIE, (O.KIOSK,)),
    Spec("Mairie de Laroquebrou", K.MAIRIE, "Laroquebrou", SMALL_MAIRIE, (O.KIOSK,)),
    Spec("Communauté de communes Cère et Goul en Carladès", K.CC_SIEGE, "Vic-sur-Cère", OFFICE, (O.KIOSK,)),
    # Ydes: the host is chosen but has no kiosk yet.
    Spec("Mairie de Saignes", K.MAIRIE, "Saignes", SMALL_MAIRIE, ()),
]

EPNS = [
    Spec("EPN La Fontaine", K.EPN, "Riom-ès-Montagnes", CLOSED_MONDAY, (O.EPN,)),
    Spec("Espace numérique du Cézallier", K.EPN, "Condat", SATURDAY_MORNING, (O.EPN,)),
    Spec("EPN Le Lien", K.EPN, "Aurillac", CLOSED_MONDAY, (O.EPN,), canton="aurillac-1"),
    Spec("Cyber-base de la Jordanne", K.EPN, "Aurillac", EVENINGS, (O.EPN,), canton="aurillac-3"),
    Spec("Espace numérique de la Cère", K.EPN, "Arpajon-sur-Cère", SATURDAY_MORNING, (O.EPN,)),
    Spec("EPN du Pays de Montsalvy", K.EPN, "Montsalvy", MORNINGS, (O.EPN,)),
    Spec("EPN Les Remparts", K.EPN, "Mauriac", CLOSED_MONDAY, (O.EPN,)),
    Spec("Espace numérique des Gorges", K.EPN, "Pleaux", SATURDAY_MORNING, (O.EPN,)),
    Spec("EPN de la Châtaigneraie", K.EPN, "Maurs", EVENINGS, (O.EPN,)),
    Spec("EPN du Lioran", K.EPN, "Murat", CLOSED_MONDAY, (O.EPN,)),
    Spec("EPN Les Estives", K.EPN, "Allanche", SATURDAY_MORNING, (O.EPN,)),
    Spec("EPN des Volcans", K.EPN, "Naucelles", EVENINGS, (O.EPN,)),
    Spec("Espace numérique de Saint-Cernin", K.EPN, "Saint-Cernin", MORNINGS, (O.EPN,)),
    Spec("EPN de la Planèze", K.EPN, "Saint-Flour", CLOSED_MONDAY, (O.EPN,), canton="saint-flour-1"),
    Spec("EPN Alagnon", K.EPN, "Massiac", SATURDAY_MORNING, (O.EPN,)),
    Spec("Espace numérique de la Margeride", K.EPN, "Pierrefort", MORNINGS, (O.EPN,)),
    Spec("EPN du Carladès", K.EPN, "Vic-sur-Cère", EVENINGS, (O.EPN,)),
    Spec("Espace numérique de Polminhac", K.EPN, "Polminhac", SATURDAY_MORNING, (O.EPN,)),
    Spec("EPN du Pays Vert", K.EPN, "Ydes", CLOSED_MONDAY, (O.EPN,)),
    Spec("Médiathèque de l'Artense", K.MEDIATHEQUE, "Lanobre", LIBRARY, (O.EPN,)),
]

TELECENTRES = [
    Spec("Télécentre La Grange", K.TELECENTRE, "Riom-ès-Montagnes", TELECENTRE, (O.TELECENTRE,)),
    Spec("Télécentre La Gare", K.TELECENTRE, "Murat", TELECENTRE, (O.TELECENTRE,)),
    Spec("Télécentre Le Relais", K.TELECENTRE, "Maurs", TELECENTRE, (O.TELECENTRE,)),
    Spec("Télécentre La Halle aux Grains", K.TELECENTRE, "Saint-Flour", TELECENTRE, (O.TELECENTRE,)),
    Spec("Télécentre du Carladès", K.TELECENTRE, "Vic-sur-Cère", TELECENTRE, (O.TELECENTRE,)),
    Spec("Télécentre Le Quai", K.TELECENTRE, "Ydes", TELECENTRE, (O.TELECENTRE,)),
    Spec("Télécentre Les Thermes", K.TELECENTRE, "Chaudes-Aigues", TELECENTRE, (O.TELECENTRE,)),
]

_COLLEGES = [
    ("Collège des Volcans", "Aurillac", "aurillac-1"),
    ("Collège de la Jordanne", "Aurillac", "aurillac-2"),
    ("Collège du Puy Courny", "Aurillac", "aurillac-3"),
    ("Collège de la Planèze", "Saint-Flour", "saint-flour-1"),
    ("Collège des Orgues", "Saint-Flour", "saint-flour-2"),
    ("Collège du Mont Violent", "Mauriac", ""),
    ("Collège du Plomb", "Murat", ""),
    ("Collège du Pays Gentiane", "Riom-ès-Montagnes", ""),
    ("Collège de la Rance", "Maurs", ""),
    ("Collège des Gorges de la Sumène", "Ydes", ""),
    ("Collège du Carladès", "Vic-sur-Cère", ""),
    ("Collège de la Cère", "Arpajon-sur-Cère", ""),
    ("Collège de l'Enchanet", "Pleaux", ""),
    ("Collège de l'Alagnon", "Massiac", ""),
    ("Collège du Cézallier", "Allanche", ""),
    ("Collège de la Truyère", "Chaudes-Aigues", ""),
    ("Collège du Lac des Graves", "Pierrefort", ""),
    ("Collège de l'Ortolas", "Laroquebrou", ""),
    ("Collège du Pays Vert", "Saignes", ""),
    ("Collège de la Rhue", "Condat", ""),
    ("Collège de la Châtaigneraie", "Saint-Mamet-la-Salvetat", ""),
    ("Collège du Veinazès", "Montsalvy", ""),
]
COLLEGES = [
    Spec(name, K.COLLEGE, commune, COLLEGE, (O.CYBER_ROOM,), canton=canton) for name, commune, canton in _COLLEGES
]

FRANCE_SERVICES_PLACES = [
    Spec("France Services du Pays de Salers", K.FRANCE_SERVICES, "Salers", FRANCE_SERVICES, (O.FRANCE_SERVICES,)),
    Spec("France Services Sumène Artense", K.FRANCE_SERVICES, "Ydes", FRANCE_SERVICES, (O.FRANCE_SERVICES,)),
    Spec("France Services des Hautes Terres", K.FRANCE_SERVICES, "Allanche", FRANCE_SERVICES, (O.FRANCE_SERVICES,)),
    Spec(
        "France Services de la Châtaigneraie",
        K.FRANCE_SERVICES,
        "Saint-Mamet-la-Salvetat",
        FRANCE_SERVICES,
        (O.FRANCE_SERVICES,),
    ),
    Spec("France Services Caldaguès-Aubrac", K.FRANCE_SERVICES, "Chaudes-Aigues", MORNINGS, (O.FRANCE_SERVICES,)),
]

ALL_SPECS = [*KIOSK_HOSTS, *EPNS, *TELECENTRES, *COLLEGES, *FRANCE_SERVICES_PLACES]

TYPOLOGIE = {
    K.EPN: [Typologie.EPN],
    K.MAIRIE: [Typologie.MUNI],
    K.MSAP: [Typologie.MSAP],
    K.CC_SIEGE: [Typologie.CC],
    K.FRANCE_SERVICES: [Typologie.RFS],
    K.TELECENTRE: [Typologie.TIERS_LIEUX],
    K.MEDIATHEQUE: [Typologie.BIB],
    K.COLLEGE: [Typologie.AUTRE],
}

# Never used in demo data: their points fall in the shared 2018 polygon of 15141.
SHARED_POLYGON_COMMUNES = {"15031", "15035", "15047", "15171"}


def slug_for(spec: Spec) -> str:
    return slugify(f"{spec.name} {spec.commune}")[:150]


def _siret(rng: random.Random) -> str:
    """A SIRET-shaped number with a valid Luhn key (invented)."""
    body = "2" + "".join(str(rng.randint(0, 9)) for _ in range(12))
    return body + luhn.calc_check_digit(body)


def _point(commune: Commune, canton_slug: str, rng: random.Random) -> tuple[float, float] | None:
    from cybercantal.territory.queries import lookup_point, random_point_in_commune

    for _attempt in range(300):
        try:
            lat, lon = random_point_in_commune(commune, rng)
        except ValueError:
            return None
        found = lookup_point(lat, lon)
        if found.commune is None or found.commune.pk != commune.pk:
            continue
        if canton_slug and (found.canton is None or found.canton.slug != canton_slug):
            continue
        return (round(lat, 6), round(lon, 6))
    return None


def _lmn_fields(spec: Spec, rng: random.Random) -> dict[str, Any]:
    """Plausible national-schema fields for the kind of place."""
    if spec.kind == K.COLLEGE:
        return {"typologie": TYPOLOGIE[K.COLLEGE], "itinerance": [Itinerance.FIXE]}
    services_by_kind = {
        K.TELECENTRE: [Service.ACCES_INTERNET_ET_MATERIEL_INFORMATIQUE],
        K.FRANCE_SERVICES: [
            Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES,
            Service.ACCES_INTERNET_ET_MATERIEL_INFORMATIQUE,
        ],
    }
    default_services = [
        Service.AIDE_AUX_DEMARCHES_ADMINISTRATIVES,
        Service.MAITRISE_DES_OUTILS_NUMERIQUES_DU_QUOTIDIEN,
        Service.ACCES_INTERNET_ET_MATERIEL_INFORMATIQUE,
    ]
    optional_services = [
        Service.UTILISATION_SECURISEE_DU_NUMERIQUE,
        Service.PARENTALITE_ET_EDUCATION_AVEC_LE_NUMERIQUE,
        Service.LOISIRS_ET_CREATIONS_NUMERIQUES,
        Service.INSERTION_PROFESSIONNELLE_VIA_LE_NUMERIQUE,
    ]
    chosen = services_by_kind.get(spec.kind) or default_services + rng.sample(optional_services, rng.randint(0, 2))
    fields: dict[str, Any] = {
        "typologie": TYPOLOGIE.get(spec.kind, [Typologie.AUTRE]),
        "services": chosen,
        "frais_a_charge": [Frais.PAYANT] if spec.kind == K.TELECENTRE else [Frais.GRATUIT],
        "modalites_acces": [ModaliteAcces.SE_PRESENTER, ModaliteAcces.TELEPHONER],
        "modalites_accompagnement": [
            ModaliteAccompagnement.ACCOMPAGNEMENT_INDIVIDUEL,
            *([ModaliteAccompagnement.DANS_UN_ATELIER] if spec.kind == K.EPN else []),
        ],
        "itinerance": [Itinerance.FIXE],
        "source": "CyberCantal",
        "structure_parente": "Département du Cantal" if spec.kind in {K.EPN, K.MEDIATHEQUE} else "",
    }
    if spec.kind in {K.EPN, K.MEDIATHEQUE}:
        fields["publics_specifiquement_adresses"] = rng.sample(
            [
                PublicSpecifiquementAdresse.SENIORS,
                PublicSpecifiquementAdresse.JEUNES,
                PublicSpecifiquementAdresse.FAMILLES_ENFANTS,
            ],
            rng.randint(1, 2),
        )
        fields["dispositif_programmes_nationaux"] = [DispositifProgrammeNational.CONSEILLERS_NUMERIQUES]
        if rng.random() < 0.4:
            fields["prise_en_charge_specifique"] = [PriseEnChargeSpecifique.HANDICAPS_MOTEURS]
        if rng.random() < 0.3:
            fields["dispositif_programmes_nationaux"].append(DispositifProgrammeNational.AIDANTS_CONNECT)
    if spec.kind == K.FRANCE_SERVICES:
        fields["dispositif_programmes_nationaux"] = [DispositifProgrammeNational.FRANCE_SERVICES]
    return fields


def _summary(spec: Spec, commune: Commune) -> str:
    texts = {
        K.EPN: "Ordinateurs en libre accès, ateliers et aide personnalisée avec un animateur numérique.",
        K.MEDIATHEQUE: "Médiathèque avec postes en libre accès et ateliers numériques.",
        K.MAIRIE: "Accueil de la mairie.",
        K.MSAP: "Un accueil pour vos démarches auprès des services publics.",
        K.CC_SIEGE: "Siège de la communauté de communes.",
        K.TELECENTRE: "Bureaux et postes de travail à louer, fibre optique, salle de réunion.",
        K.COLLEGE: "Collège public ; salle CyberCantal réservée aux élèves et aux enseignants.",
        K.FRANCE_SERVICES: "Un guichet unique pour la CAF, les impôts, l'assurance maladie, la retraite…",
    }
    text = texts.get(spec.kind, "")
    if O.KIOSK in spec.offers:
        text += " Borne de services publics avec un agent formé pour vous aider."
    return f"{text} {commune.name}."[:280].strip()


@transaction.atomic
def load_demo_places(*, rng_seed: int = 15) -> dict[str, int]:
    """Create the demo places that do not exist yet; returns ``{"created": n, "existing": m}``."""
    names = {spec.commune for spec in ALL_SPECS}
    communes = {c.name: c for c in Commune.objects.current().filter(name__in=names)}
    missing = names - set(communes)
    if missing:
        raise ValueError(f"Communes absentes du référentiel : {', '.join(sorted(missing))}")
    existing = set(Place.objects.filter(slug__in=[slug_for(spec) for spec in ALL_SPECS]).values_list("slug", flat=True))
    created = 0
    for index, spec in enumerate(ALL_SPECS):
        slug = slug_for(spec)
        if slug in existing:
            continue
        commune = communes[spec.commune]
        rng = random.Random(f"{rng_seed}:{slug}")  # noqa: S311 - demo data, not secrets
        point = _point(commune, spec.canton, rng) if commune.insee_code not in SHARED_POLYGON_COMMUNES else None
        phone = f"04 71 {rng.randint(10, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
        services.place_create(
            actor=None,
            slug=slug,
            allow_same_name=True,
            name=spec.name,
            kind=spec.kind,
            commune=commune,
            address=f"{rng.randint(1, 40)} {STREETS[index % len(STREETS)]}",
            postal_code=commune.main_postal_code or "15000",
            latitude=point[0] if point else None,
            longitude=point[1] if point else None,
            offers=list(spec.offers),
            status=PlaceStatus.PUBLISHED,
            opening_hours=spec.hours,
            phone=phone,
            email=f"contact@{slug[:40].strip('-')}.cybercantal.test",
            presentation_summary=_summary(spec, commune),
            accessibility_details=ACCESSIBILITY[index % len(ACCESSIBILITY)],
            pivot=_siret(rng),
            **_lmn_fields(spec, rng),
            **spec.extra,
        )
        created += 1
    return {"created": created, "existing": len(existing)}
