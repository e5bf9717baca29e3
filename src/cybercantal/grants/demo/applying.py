"""Demo data of the applying part: the demo business « Menuiserie du Lioran (démo) » gets a
valid SIRET and its commune (Laveissière, where Le Lioran is, or Murat), and a draft Auverdata
dossier half filled in (business, premises with their eligibility, one expense line without
its quote yet). Loading twice adds nothing."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from cybercantal.accounts import services as account_services
from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Organisation, Role, User
from cybercantal.territory.models import Commune

from ..models import Application, GrantProgramme
from ..services import applying as services

BUSINESS_NAME = "Menuiserie du Lioran (démo)"
DEMO_SIRET = "81537421000012"  # made up; passes the SIREN and SIRET checksums
KEY = "dossiers d'aide (brouillons)"


def _commune() -> Commune | None:
    for name in ("Laveissière", "Murat"):
        commune = Commune.objects.current().filter(name=name).first()
        if commune is not None:
            return commune
    return None


def _programme() -> GrantProgramme | None:
    return (
        GrantProgramme.objects.filter(code="AUV").first()
        or GrantProgramme.objects.filter(slug="auverdata").first()
        or GrantProgramme.objects.filter(name__icontains="auverdata").first()
    )


@transaction.atomic
def load() -> dict[str, int]:
    business = Organisation.objects.filter(name=BUSINESS_NAME).first()
    if business is None:
        return {KEY: 0}
    commune = _commune()
    changes: dict[str, object] = {}
    if not business.siret and not Organisation.objects.filter(siret=DEMO_SIRET).exists():
        changes["siret"] = DEMO_SIRET
    if business.commune_id is None and commune is not None:
        changes["commune"] = commune
    if business.kind != Organisation.Kind.BUSINESS:
        changes["kind"] = Organisation.Kind.BUSINESS
    if changes:
        account_services.organisation_update(actor=None, organisation=business, **changes)  # type: ignore[arg-type]
    programme = _programme()
    person = User.objects.filter(email__iexact=demo_email(Role.BUSINESS_APPLICANT)).first()
    if programme is None or commune is None:
        return {KEY: 0}
    created = 0
    if not Application.objects.filter(organisation=business, programme=programme).exists():
        if not services.programme_is_open(programme):
            return {KEY: 0}
        application, _created = services.application_start(actor=person, programme=programme, organisation=business)
        created = 1
        services.application_save_business(
            actor=None,
            application=application,
            version=None,
            activity="Menuiserie, charpente",
            employees=6,
            contact_phone="04 71 00 00 00",
        )
        services.application_save_premises(
            actor=None,
            application=application,
            version=None,
            address="Route de la station, Le Lioran",
            commune=commune,
            postal_code="15300" if "15300" in (commune.postal_codes or ["15300"]) else "",
        )
        category = programme.categories.filter(is_eligible=True).order_by("position").first()
        if category is not None:
            services.expense_line_save(
                actor=None,
                application=application,
                version=None,
                category=category,
                description="Kit satellite : parabole, modem et routeur",
                amount=Decimal("1450.00"),
            )
    return {KEY: created}  # what this run added: a second run adds nothing
