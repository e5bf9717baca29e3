"""The agreements demo: the Laiterie des Monts covers Thomas Delmas at Murat, two national
companies have their employees, one invitation waits; a second run creates nothing."""

from __future__ import annotations

from cybercantal.accounts.demo import demo_email, load_demo_accounts
from cybercantal.accounts.models import Role
from cybercantal.territory.models import Commune

from ..demo import agreements as demo
from ..models import AgreementEmployee, AgreementStatus, EmployerAgreement, Membership
from .factories import TelecentreFactory


def test_demo_is_complete_and_idempotent(territory, mailoutbox):
    # The real communes (the territory may be loaded in this worker already: factories must not
    # create a second "Murat").
    load_demo_accounts()
    communes = ("Murat", "Saint-Flour", "Riom-ès-Montagnes", "Maurs", "Vic-sur-Cère")
    names = (
        "Télécentre La Gare",
        "Télécentre La Halle aux Grains",
        "Télécentre La Grange",
        "Télécentre Le Relais",
        "Télécentre du Carladès",
    )
    telecentres = {
        commune: TelecentreFactory(
            place__name=name, place__commune=Commune.objects.get(name=commune, kind=Commune.Kind.ACTUELLE)
        )
        for commune, name in zip(communes, names, strict=True)
    }
    counts = demo.load()
    assert counts == {"conventions": 3, "salariés couverts": 9, "adhésions par convention": 8}
    laiterie = EmployerAgreement.objects.get(employer__name="Laiterie des Monts (démo)")
    assert laiterie.status == AgreementStatus.ACTIVE
    assert laiterie.signed_on is not None
    assert laiterie.days_per_week == 2
    assert str(laiterie.day_price_excl_tax) == "16.00"
    assert set(laiterie.telecentres.all()) == {telecentres["Murat"], telecentres["Saint-Flour"]}
    thomas = Membership.objects.get(member__email=demo_email(Role.TELEWORKER))
    assert (thomas.telecentre, thomas.agreement, thomas.plan) == (telecentres["Murat"], laiterie, None)
    pending = AgreementEmployee.objects.filter(user__isnull=True)
    assert [e.email for e in pending] == ["nadege.bouyssou@example.org"]
    assert mailoutbox == []
    assert demo.load() == {"conventions": 0, "salariés couverts": 0, "adhésions par convention": 0}


def test_demo_without_telecentres_creates_nothing(db):
    assert demo.load() == {"conventions": 0, "salariés couverts": 0, "adhésions par convention": 0}
