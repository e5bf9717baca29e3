"""Demo data of the payment part: four invented Cantal businesses with an Auverdata dossier
each, three of them paid (accepted invoices, one Payment each, one already exported for the
accountant) and one accepted, with its invoices waiting for the instructor's check.

- The businesses and their dossier references (``<code>-2025-091xx``) are this part's own;
  the applying and instruction parts make other dossiers.
- The dossiers are made directly in their final state, with their status history; the
  payment amounts come from ``services.payment.payment_compute`` (never typed here).
- Loading twice creates nothing new (businesses by SIRET, dossiers by reference).
- Returns ``{"paiements d'aide": n}``, ``n`` the payments created by this run.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from stdnum import iban as stdnum_iban

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Organisation, Role, User
from cybercantal.territory.models import Commune

from ..models import (
    Application,
    EligibilityAnswer,
    ExpenseCategory,
    ExpenseLine,
    GrantProgramme,
    InvoiceStatus,
    PaidInvoice,
    Payment,
    Status,
    StatusChange,
)
from ..services import amounts, documents
from ..services.payment import payment_compute

D = Decimal

# (name, activity, employees, contact, commune, address, SIREN base (8 digits), bank account,
#  lines [(description, amount, invoiced amount)], paid?)
BUSINESSES: list[dict[str, Any]] = [
    {
        "name": "Fromagerie des Estives (démo)",
        "activity": "Fabrication de fromages AOP",
        "employees": 6,
        "contact": "Hélène Chabrier",
        "commune": "Riom-ès-Montagnes",
        "address": "Lieu-dit La Bessière",
        "siren": "81234567",
        "account": "00091015001",
        "lines": [
            ("Kit satellite (parabole, modem, routeur Wi-Fi)", D("2400.00"), D("2450.00")),
            ("Pose de la parabole et mise en service", D("800.00"), D("800.00")),
        ],
        "paid_days_ago": 75,
    },
    {
        "name": "Garage Vidalenc (démo)",
        "activity": "Entretien et réparation de véhicules",
        "employees": 3,
        "contact": "Bruno Vidalenc",
        "commune": "Chaudes-Aigues",
        "address": "12 avenue Georges Pompidou",
        "siren": "79345128",
        "account": "00091015002",
        "lines": [
            ("Antenne satellite professionnelle et modem", D("1900.00"), D("1900.00")),
            ("Installation sur le toit de l'atelier", D("600.00"), D("550.00")),
            ("Frais d'activation de la ligne", D("90.00"), D("90.00")),
        ],
        "paid_days_ago": 30,
    },
    {
        "name": "Gîtes du Plomb (démo)",
        "activity": "Hébergement touristique",
        "employees": 2,
        "contact": "Sandrine Bouygues",
        "commune": "Saint-Jacques-des-Blats",
        "address": "Hameau de Lasbros",
        "siren": "84567210",
        "account": "00091015003",
        "lines": [
            ("Équipement satellite pour les quatre gîtes", D("7600.00"), D("7600.00")),
            ("Câblage et installation", D("3400.00"), D("3400.00")),
        ],
        "paid_days_ago": 8,
    },
    {
        "name": "Scierie Lacoste (démo)",
        "activity": "Sciage et rabotage du bois",
        "employees": 9,
        "contact": "Pierre Lacoste",
        "commune": "Neuvéglise-sur-Truyère",
        "address": "Route de Lanau",
        "siren": "80765432",
        "account": "00091015004",
        "lines": [
            ("Kit satellite et routeur pour le bureau", D("2800.00"), D("2800.00")),
            ("Installation et réglage", D("650.00"), D("650.00")),
        ],
        "paid_days_ago": None,  # accepted: its invoices wait for the check
    },
]
SUPPLIER = "Sat'Cantal Installations (démo)"
BANK, BRANCH = "30006", "00001"


def _luhn_complete(digits: str) -> str:
    """``digits`` + the digit that makes the Luhn sum a multiple of 10 (SIREN, SIRET)."""
    for last in "0123456789":
        total = 0
        for index, char in enumerate(reversed(digits + last)):
            value = int(char) * (2 if index % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return digits + last
    raise AssertionError("unreachable")


def siret_for(siren_base: str) -> str:
    siren = _luhn_complete(siren_base)
    return _luhn_complete(siren + "0001")


def iban_for(account: str) -> str:
    """A French IBAN (RIB key and IBAN check digits right) for a made-up account number."""
    rib_key = 97 - ((89 * int(BANK) + 15 * int(BRANCH) + 3 * int(account)) % 97)
    bban = f"{BANK}{BRANCH}{account}{rib_key:02d}"
    return stdnum_iban.validate(f"FR{stdnum_iban.calc_check_digits('FR00' + bban)}{bban}")


def _pdf(title: str, lines: list[str]) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setTitle(title)
    y = 780
    for text in [title, "", *lines]:
        page.drawString(72, y, text)
        y -= 18
    page.showPage()
    page.save()
    return buffer.getvalue()


def _programme() -> GrantProgramme | None:
    return GrantProgramme.objects.filter(slug="auverdata").first() or GrantProgramme.objects.filter(code="AUV").first()


def _business(spec: dict[str, Any], commune: Commune | None) -> Organisation:
    siret = siret_for(spec["siren"])
    organisation = Organisation.objects.filter(siret=siret).first()
    if organisation is None:
        from cybercantal.accounts import services as account_services

        organisation = account_services.organisation_create(
            actor=None, name=spec["name"], kind=Organisation.Kind.BUSINESS, siret=siret, commune=commune
        )
    return organisation


def _history(application: Application, actor: User | None, statuses: list[str]) -> None:
    previous: str = Status.DRAFT
    for status in statuses:
        StatusChange.objects.create(application=application, from_status=previous, to_status=status, actor=actor)
        previous = status


def _dossier(
    programme: GrantProgramme,
    spec: dict[str, Any],
    number: int,
    instructor: User | None,
    categories: list[ExpenseCategory],
) -> tuple[Application, bool]:
    reference = f"{programme.code}-2025-{9100 + number:05d}"
    existing = Application.objects.filter(reference=reference).first()
    if existing is not None:
        return existing, False
    today = timezone.localdate()
    commune = Commune.objects.current().filter(name=spec["commune"]).first()
    organisation = _business(spec, commune)
    paid_days_ago = spec["paid_days_ago"]
    decided_days_ago = (paid_days_ago or 0) + 45
    now = timezone.now()
    slug = organisation.name.split(" (")[0].lower().replace(" ", ".").replace("é", "e").replace("è", "e")
    application = Application.objects.create(
        programme=programme,
        reference=reference,
        organisation=organisation,
        status=Status.UNDER_REVIEW,
        business_name=organisation.name,
        siret=organisation.siret,
        activity=spec["activity"],
        employees=spec["employees"],
        contact_name=spec["contact"],
        contact_email=f"{slug}@example.fr",
        contact_phone="04 71 00 00 00",
        iban=iban_for(spec["account"]),
        premises_address=spec["address"],
        premises_commune=commune,
        canton=commune.cantons.first() if commune is not None else None,
        eligibility=EligibilityAnswer.ELIGIBLE,
        eligibility_snapshot={"demo": True, "commune": spec["commune"]},
        de_minimis_amount=D("0.00"),
        declarations_certified=True,
        submitted_at=now - timedelta(days=decided_days_ago + 20),
        first_submitted_at=now - timedelta(days=decided_days_ago + 20),
        instructor=instructor,
    )
    for position, (description, amount, _invoiced) in enumerate(spec["lines"]):
        ExpenseLine.objects.create(
            application=application,
            category=categories[position % len(categories)],
            description=description,
            amount=amount,
            position=position,
        )
    figures = amounts.application_recompute(application=application)
    application.decided_amount = figures.aid
    application.decided_at = now - timedelta(days=decided_days_ago)
    application.decided_by = instructor
    application.status = Status.ACCEPTED
    application.save()
    _history(application, instructor, [Status.SUBMITTED, Status.UNDER_REVIEW, Status.ACCEPTED])

    invoice_day = max(programme.opens_on, today - timedelta(days=decided_days_ago - 15))
    invoice_day = min(invoice_day, today)
    for position, line in enumerate(application.lines.order_by("position")):
        invoiced = spec["lines"][position][2]
        number_text = f"FA-{reference[-5:]}-{position + 1}"
        content = _pdf(
            f"Facture {number_text}",
            [SUPPLIER, organisation.name, line.description, f"Montant HT : {invoiced} EUR", "Acquittée"],
        )
        document = documents.document_store(
            actor=None,
            application=application,
            file=ContentFile(content, name=f"facture-{number_text}.pdf"),
            kind="invoice",
        )
        paid = paid_days_ago is not None
        PaidInvoice.objects.create(
            application=application,
            line=line,
            document=document,
            supplier=SUPPLIER,
            invoice_number=number_text,
            invoice_date=invoice_day,
            amount=invoiced,
            status=InvoiceStatus.ACCEPTED if paid else InvoiceStatus.PENDING,
            accepted_amount=invoiced if paid else None,
            checked_by=instructor if paid else None,
            checked_at=now - timedelta(days=paid_days_ago) if paid else None,
        )
    return application, True


def _pay(application: Application, instructor: User | None, days_ago: int, exported: bool) -> Payment:
    figures = payment_compute(application)
    payment = Payment.objects.create(
        application=application,
        amount=figures.amount,
        paid_eligible_total=figures.paid_eligible_total,
        ordered_on=timezone.localdate() - timedelta(days=days_ago),
        iban=application.iban,
        reference=f"{application.reference}-V1",
        recorded_by=instructor,
        exported_at=timezone.now() - timedelta(days=max(days_ago - 2, 0)) if exported else None,
    )
    application.paid_amount = figures.amount
    application.status = Status.PAID
    application.save(update_fields=["paid_amount", "status", "updated_at"])
    StatusChange.objects.create(
        application=application,
        from_status=Status.ACCEPTED,
        to_status=Status.PAID,
        actor=instructor,
        comment=f"Mandat {payment.reference}",
    )
    return payment


@transaction.atomic
def load() -> dict[str, int]:
    programme = _programme()
    if programme is None:
        return {"paiements d'aide": 0}
    categories = list(programme.categories.filter(is_eligible=True).order_by("position", "pk"))
    if not categories:
        return {"paiements d'aide": 0}
    instructor = User.objects.filter(email__iexact=demo_email(Role.GRANT_INSTRUCTOR)).first()
    created = 0
    for number, spec in enumerate(BUSINESSES, start=1):
        application, new = _dossier(programme, spec, number, instructor, categories)
        if new and spec["paid_days_ago"] is not None:
            _pay(application, instructor, spec["paid_days_ago"], exported=number == 1)
            created += 1
    return {"paiements d'aide": created}
