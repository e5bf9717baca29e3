"""Demo data of part "agreements" (idempotent: looked up by employer name and email).

- The demo employer manager's organisation, « Laiterie des Monts (démo) », has an agreement
  in force covering Murat (Télécentre La Gare) and Saint-Flour, 2 days a week, 16 € HT a day;
  the demo teleworker Thomas Delmas has joined it with a membership at Murat.
- Two national companies courted by the département have agreements too, with a few employees
  each (example.org addresses, password ``cantal-demo-2026``); one employee has not joined yet
  (pending invitation).

No email leaves: employees are named after the signature and join directly.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone

from cybercantal.accounts.demo import DEMO_PASSWORD, demo_email
from cybercantal.accounts.models import Organisation, Role, User
from cybercantal.accounts.services import organisation_create

from ..models import AgreementEmployee, EmployerAgreement, Membership, Telecentre
from ..services import agreements as services

logger = logging.getLogger(__name__)

LAITERIE = "Laiterie des Monts (démo)"


@dataclass(frozen=True)
class Company:
    name: str
    siret: str
    address: str
    telecentres: tuple[str, ...]  # communes of the telecentres covered
    days_per_week: int
    day_price: Decimal
    monthly_fee: Decimal
    employees: tuple[tuple[str, str, str, str], ...]  # first name, last name, email, commune ("": pending)


COMPANIES = (
    Company(
        name="Mutuelle Atlantique Services",
        siret="44211670300012",
        address="Service des ressources humaines\n12 quai de la Fosse\n44000 Nantes",
        telecentres=("Murat", "Saint-Flour", "Riom-ès-Montagnes"),
        days_per_week=3,
        day_price=Decimal("15.00"),
        monthly_fee=Decimal("20.00"),
        employees=(
            ("Camille", "Vidalenc", "camille.vidalenc@example.org", "Murat"),
            ("Julien", "Fabre", "julien.fabre@example.org", "Saint-Flour"),
            ("Sandrine", "Cayrou", "sandrine.cayrou@example.org", "Riom-ès-Montagnes"),
            ("Mathieu", "Lacoste", "mathieu.lacoste@example.org", "Murat"),
            ("Nadège", "Bouyssou", "nadege.bouyssou@example.org", ""),
        ),
    ),
    Company(
        name="Groupe Numérique de France",
        siret="52841379200011",
        address="Direction des achats\n40 rue de la Victoire\n75009 Paris",
        telecentres=("Maurs", "Vic-sur-Cère", "Saint-Flour"),
        days_per_week=2,
        day_price=Decimal("17.50"),
        monthly_fee=Decimal("0.00"),
        employees=(
            ("Antoine", "Delpuech", "antoine.delpuech@example.org", "Maurs"),
            ("Élodie", "Rouquier", "elodie.rouquier@example.org", "Vic-sur-Cère"),
            ("Karim", "Benali", "karim.benali@example.org", "Saint-Flour"),
        ),
    ),
)


def _telecentre(commune: str) -> Telecentre | None:
    return (
        Telecentre.objects.select_related("place")
        .filter(Q(place__commune__name=commune) | Q(place__name__icontains=commune))
        .order_by("pk")
        .first()
    )


def _month_start(months_ago: int) -> dt.date:
    day = timezone.localdate().replace(day=1)
    for _ in range(months_ago):
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return day


def _organisation(name: str, siret: str = "") -> Organisation:
    organisation = Organisation.objects.filter(name=name).first()
    if organisation is None and siret:
        organisation = Organisation.objects.filter(siret=siret).first()
    if organisation is None:
        organisation = organisation_create(actor=None, name=name, kind=Organisation.Kind.EMPLOYER, siret=siret)
    return organisation


def _agreement(
    employer: Organisation,
    telecentres: list[Telecentre],
    *,
    days_per_week: int,
    day_price: Decimal,
    monthly_fee: Decimal,
    address: str,
    months_ago: int,
    notes: str,
    created: dict[str, int],
) -> EmployerAgreement:
    agreement = EmployerAgreement.objects.filter(employer=employer).order_by("pk").first()
    if agreement is None:
        starts_on = _month_start(months_ago)
        agreement = services.agreement_create(
            actor=None,
            employer=employer,
            telecentres=telecentres,
            starts_on=starts_on,
            days_per_week=days_per_week,
            day_price_excl_tax=day_price,
            monthly_fee_excl_tax=monthly_fee,
            vat_rate=Decimal("20.00"),
            billing_address=address,
            notes=notes,
        )
        services.agreement_activate(actor=None, agreement=agreement, signed_on=starts_on - dt.timedelta(days=12))
        agreement.refresh_from_db()
        created["conventions"] += 1
    return agreement


def _person(first_name: str, last_name: str, email: str) -> User:
    """As the accounts demo does: a password, a verified primary address."""
    from allauth.account.models import EmailAddress

    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=DEMO_PASSWORD, first_name=first_name, last_name=last_name)
    address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
    if address is None:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    elif not address.verified:
        address.verified = True
        address.save(update_fields=["verified"])
    return user


def _employee(
    agreement: EmployerAgreement, first_name: str, last_name: str, email: str, created: dict[str, int]
) -> AgreementEmployee:
    employee = AgreementEmployee.objects.filter(agreement=agreement, email=email, removed_on__isnull=True).first()
    if employee is None:
        employee = AgreementEmployee.objects.create(
            agreement=agreement,
            first_name=first_name,
            last_name=last_name,
            email=email,
            added_on=max(agreement.starts_on, agreement.signed_on or agreement.starts_on),
        )
        created["salariés couverts"] += 1
    return employee


def _join(user: User, employee: AgreementEmployee, telecentre: Telecentre | None, created: dict[str, int]) -> None:
    if telecentre is None:
        return
    if Membership.objects.filter(member=user, telecentre=telecentre, agreement=employee.agreement).exists():
        return
    try:
        services.agreement_join(actor=user, employee=employee, telecentre=telecentre)
    except services.JoinError as exc:  # e.g. the person holds an own plan there
        logger.warning("demo: %s not joined at %s: %s", user.email, telecentre, exc.messages)
        return
    # Demo history: the employees joined when they were named, months ago, so that last
    # month already has employer-paid days to invoice (billing demo).
    Membership.objects.filter(
        member=user, telecentre=telecentre, agreement=employee.agreement, ends_on__isnull=True
    ).update(starts_on=employee.added_on)
    created["adhésions par convention"] += 1


def load() -> dict[str, int]:
    created = {"conventions": 0, "salariés couverts": 0, "adhésions par convention": 0}
    murat = _telecentre("Murat")
    saint_flour = _telecentre("Saint-Flour")
    covered = [t for t in (murat, saint_flour) if t is not None]
    if covered:
        laiterie = _organisation(LAITERIE)
        agreement = _agreement(
            laiterie,
            covered,
            days_per_week=2,
            day_price=Decimal("16.00"),
            monthly_fee=Decimal("0.00"),
            address="Laiterie des Monts\nZA du Pré Bas\n15300 Murat",
            months_ago=4,
            notes="Convention pilote : l'équipe administrative de la fromagerie télétravaille deux jours par semaine.",
            created=created,
        )
        thomas = User.objects.filter(email__iexact=demo_email(Role.TELEWORKER)).first()
        if thomas is not None:
            thomas = _person(thomas.first_name or "Thomas", thomas.last_name or "Delmas", thomas.email)
            employee = _employee(agreement, thomas.first_name, thomas.last_name, thomas.email, created)
            _join(thomas, employee, murat or saint_flour, created)
    for company in COMPANIES:
        telecentres = [t for t in (_telecentre(c) for c in company.telecentres) if t is not None]
        if not telecentres:
            continue
        employer = _organisation(company.name, company.siret)
        agreement = _agreement(
            employer,
            telecentres,
            days_per_week=company.days_per_week,
            day_price=company.day_price,
            monthly_fee=company.monthly_fee,
            address=company.address,
            months_ago=2,
            notes="Entreprise venue par la prospection du Département (salariés installés dans le Cantal).",
            created=created,
        )
        for first_name, last_name, email, commune in company.employees:
            employee = _employee(agreement, first_name, last_name, email, created)
            if not commune:
                continue  # the invitation waits
            user = _person(first_name, last_name, email)
            telecentre = _telecentre(commune)
            if telecentre is not None and agreement.telecentres.filter(pk=telecentre.pk).exists():
                _join(user, employee, telecentre, created)
    return created
