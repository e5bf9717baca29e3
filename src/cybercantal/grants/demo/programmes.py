"""Demo data of the programmes part: the Région's Auverdata programme (50 %, cap 2,500 € per
dossier, envelope 150,000 €, open from 5 January 2026 to 31 December 2027, threshold HD3).

Made through the service, as the programme team would; loading twice creates nothing new
(the programme is found by its slug and left as it is)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..models import GrantProgramme, SpeedClass
from ..services.programmes import CategoryInput, programme_create

SLUG = "auverdata"

AUVERDATA = {
    "slug": SLUG,
    "code": "AUV",
    "name": "Auverdata",
    "funder": "Région Auvergne-Rhône-Alpes",
    "summary": (
        "Auverdata aide les entreprises installées dans des zones sans ADSL à se connecter à internet "
        "par satellite : la Région prend en charge la moitié de l'équipement, de l'installation et de "
        "la mise en service."
    ),
    "rate_percent": Decimal("50.00"),
    "cap_per_application": Decimal("2500.00"),
    "budget": Decimal("150000.00"),
    "opens_on": date(2026, 1, 5),
    "closes_on": date(2027, 12, 31),
    "is_published": True,
    "requires_active_siret": True,
    "applicant_conditions": "\n".join(
        [
            "L'entreprise est à jour de ses obligations fiscales et sociales.",
            "Les locaux sont situés dans le Cantal.",
            "Les travaux ne sont pas commencés avant le dépôt de la demande.",
        ]
    ),
    "coverage_rule_enabled": True,
    "coverage_threshold": SpeedClass.HD3,
    "de_minimis_ceiling": Decimal("300000.00"),
    "contact_email": "aides@demo.cybercantal.fr",
}

CATEGORIES = [
    CategoryInput(
        code="equipement",
        label="Équipement satellite",
        description="Parabole, modem et routeur satellite, câbles et supports de fixation.",
        is_eligible=True,
        position=10,
    ),
    CategoryInput(
        code="installation",
        label="Installation et mise en service",
        description="Pose de la parabole par un installateur, pointage, raccordement et réglages.",
        is_eligible=True,
        position=20,
    ),
    CategoryInput(
        code="activation",
        label="Frais d'activation",
        description="Frais uniques d'ouverture de l'abonnement satellite.",
        is_eligible=True,
        position=30,
    ),
    CategoryInput(
        code="abonnement",
        label="Abonnement mensuel",
        description="Le coût mensuel de l'abonnement reste à la charge de l'entreprise.",
        is_eligible=False,
        position=40,
    ),
    CategoryInput(
        code="informatique",
        label="Matériel informatique non lié à la connexion",
        description="Ordinateurs, imprimantes, téléphones, logiciels.",
        is_eligible=False,
        position=50,
    ),
]


def load() -> dict[str, int]:
    created = 0
    if not GrantProgramme.objects.filter(slug=SLUG).exists():
        programme_create(actor=None, categories=CATEGORIES, **AUVERDATA)
        created = 1
    return {"dispositifs d'aide": created}
