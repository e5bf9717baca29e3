"""Data for the kiosk-mode tests: a small published catalogue."""

from __future__ import annotations

from cybercantal.kiosks.models import Category

from .factories import ProcedureFactory


def small_catalogue() -> dict:
    """Two identity procedures, one housing procedure and one unpublished procedure."""
    return {
        "cni": ProcedureFactory(
            slug="carte-identite",
            title="Carte d'identité",
            category=Category.IDENTITY,
            summary="Demander ou renouveler sa carte d'identité. Prendre rendez-vous en mairie.",
            documents="Une photo d'identité récente\n- Un justificatif de domicile\n\n",
            official_url="https://ants.gouv.fr/carte-identite",
            official_name="ANTS",
            position=1,
        ),
        "passport": ProcedureFactory(
            slug="passeport", title="Passeport", category=Category.IDENTITY, position=2, documents=""
        ),
        "apl": ProcedureFactory(
            slug="aide-logement",
            title="Aide au logement",
            category=Category.HOUSING,
            summary="Demander l'APL à la CAF. La demande se fait en ligne.",
        ),
        "hidden": ProcedureFactory(
            slug="brouillon", title="Démarche en préparation", category=Category.JUSTICE, is_published=False
        ),
    }
