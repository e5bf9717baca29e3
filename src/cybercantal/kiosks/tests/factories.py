"""factory_boy factories of the kiosks app (parts add theirs in ``factories_<part>.py``)."""

from __future__ import annotations

import factory

from cybercantal.kiosks import models as m
from cybercantal.places.tests.factories import PlaceFactory


class KioskFactory(factory.django.DjangoModelFactory):
    """A kiosk in service at a place (its canton copied from the place)."""

    class Meta:
        model = m.Kiosk

    code = factory.Sequence(lambda n: f"borne-{n}")
    place = factory.SubFactory(PlaceFactory)
    canton = factory.LazyAttribute(lambda o: o.place.canton)
    hardware_model = "Borne tactile 22 pouces"
    status = m.KioskStatus.IN_SERVICE
    help_location = "Au guichet d'accueil"


class ProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Procedure

    slug = factory.Sequence(lambda n: f"demarche-{n}")
    title = factory.Sequence(lambda n: f"Démarche {n}")
    category = m.Category.IDENTITY
    summary = "Demander ou renouveler sa carte d'identité. Prendre rendez-vous en mairie."
    documents = "Une photo d'identité récente\nUn justificatif de domicile"
    official_url = "https://example.org/demarche"
    official_name = "Service en ligne"


__all__ = ["KioskFactory", "PlaceFactory", "ProcedureFactory"]
