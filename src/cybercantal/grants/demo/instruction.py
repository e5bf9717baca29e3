"""Demo data of the instruction part: a dozen Auverdata dossiers of invented businesses across
the Cantal's cantons, at every stage of the instruction (submitted, under review, corrections,
accepted, refused, closed), some assigned to the demo instructor (instructeur@…). Accepted,
refused and closed dossiers have their decision letter.

Created directly (a demo load is not an action of a person); loading twice adds nothing (the
dossiers are found by their reference). Needs the programme (``demo.programmes``) and the
territory; without them, nothing is created.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Organisation, Role, User
from cybercantal.territory.models import Commune

from ..models import (
    Application,
    Document,
    DocumentKind,
    EligibilityAnswer,
    ExpenseLine,
    GrantProgramme,
    Message,
    ReviewNote,
    Status,
    StatusChange,
)
from ..services import amounts
from ..services.decision_letter import decision_letter_store

KEY = "dossiers d'aide (instruction)"

# (business, activity, commune, status, assigned to the demo instructor, lines, days since submission, extra)
# lines: (category index among the eligible ones, or -1 for the first non-eligible one, description, amount)
DOSSIERS: list[dict[str, Any]] = [
    {
        "name": "Scierie du Bois de Lanau",
        "activity": "Sciage et rabotage du bois",
        "commune": "Neuvéglise-sur-Truyère",
        "address": "Lieu-dit Lanau",
        "status": Status.SUBMITTED,
        "mine": False,
        "days": 2,
        "lines": [(0, "Kit satellite (parabole, modem, routeur)", "2400.00"), (1, "Pose et mise en service", "800.00")],
    },
    {
        "name": "Fromagerie Chassang",
        "activity": "Fabrication de fromages AOP",
        "commune": "Riom-ès-Montagnes",
        "address": "12 route de Cheylade",
        "status": Status.SUBMITTED,
        "mine": False,
        "days": 6,
        "lines": [(0, "Terminal satellite professionnel", "3100.00"), (1, "Installation sur mât", "650.00")],
    },
    {
        "name": "Élevage Delpuech",
        "activity": "Élevage de bovins Salers",
        "commune": "Montsalvy",
        "address": "La Borie Haute",
        "status": Status.SUBMITTED,
        "mine": False,
        "days": 11,
        "eligibility": EligibilityAnswer.TO_CHECK,
        "lines": [(0, "Kit satellite", "1900.00"), (2, "Frais d'activation", "99.00")],
    },
    {
        "name": "Gîte des Estives",
        "activity": "Hébergement touristique",
        "commune": "Allanche",
        "address": "Le Bourg",
        "status": Status.UNDER_REVIEW,
        "mine": True,
        "days": 14,
        "lines": [(0, "Kit satellite et routeur Wi-Fi", "2100.00"), (1, "Installation", "500.00")],
        "note": "Vérifier que le gîte n'est pas déjà raccordé à la fibre (travaux 2025 sur la commune).",
    },
    {
        "name": "Garage Lavergne",
        "activity": "Entretien et réparation automobile",
        "commune": "Pleaux",
        "address": "Avenue du Général de Gaulle",
        "status": Status.UNDER_REVIEW,
        "mine": True,
        "days": 20,
        "lines": [
            (0, "Antenne et modem satellite", "2600.00"),
            (1, "Pose en façade", "700.00"),
            (-1, "Abonnement 12 mois", "720.00"),
        ],
        "set_aside": ("Pose en façade", "Devis au nom d'une autre entreprise : à remplacer."),
    },
    {
        "name": "Camping Les Genêts",
        "activity": "Terrain de camping",
        "commune": "Massiac",
        "address": "Route de l'Alagnon",
        "status": Status.UNDER_REVIEW,
        "mine": False,
        "days": 9,
        "lines": [(0, "Deux kits satellite", "5400.00"), (1, "Installation et câblage", "1800.00")],
    },
    {
        "name": "Ferme-auberge du Puy Mary",
        "activity": "Restauration à la ferme",
        "commune": "Salers",
        "address": "Col de Neronne",
        "status": Status.CORRECTIONS,
        "mine": True,
        "days": 25,
        "lines": [(0, "Kit satellite", "2300.00"), (1, "Mise en service", "450.00")],
        "corrections": "Le devis de l'installateur n'est pas signé : joignez un devis daté et signé.",
    },
    {
        "name": "Menuiserie Bouyssou",
        "activity": "Menuiserie bois et aluminium",
        "commune": "Maurs",
        "address": "Zone artisanale du Barry",
        "status": Status.ACCEPTED,
        "mine": True,
        "days": 40,
        "lines": [(0, "Kit satellite professionnel", "2800.00"), (1, "Installation", "600.00")],
    },
    {
        "name": "Boulangerie des Planèzes",
        "activity": "Boulangerie-pâtisserie",
        "commune": "Saint-Flour",
        "address": "3 rue des Lacs",
        "status": Status.ACCEPTED,
        "mine": False,
        "days": 52,
        "lines": [(0, "Kit satellite", "1500.00"), (2, "Frais d'activation", "120.00")],
    },
    {
        "name": "Auberge de la Truyère",
        "activity": "Hôtel-restaurant",
        "commune": "Pierrefort",
        "address": "Place de l'Église",
        "status": Status.ACCEPTED,
        "mine": True,
        "days": 61,
        "lines": [(0, "Terminal satellite et routeur", "8200.00"), (1, "Installation sur toiture", "2400.00")],
    },
    {
        "name": "Coutellerie Rouquet",
        "activity": "Fabrication de couteaux",
        "commune": "Chaudes-Aigues",
        "address": "Rue du Par",
        "status": Status.REFUSED,
        "mine": True,
        "days": 45,
        "lines": [(0, "Kit satellite", "2000.00")],
        "reason": "Les locaux sont raccordables à la fibre (classe THD100 à l'adresse) : ils ne sont pas en zone "
        "sans ADSL.",
        "eligibility": EligibilityAnswer.NOT_ELIGIBLE,
    },
    {
        "name": "Taxi Vermenouze",
        "activity": "Transport de voyageurs",
        "commune": "Condat",
        "address": "Le Bourg",
        "status": Status.CLOSED,
        "mine": False,
        "days": 90,
        "lines": [(0, "Kit satellite", "1700.00")],
        "reason": "Sans réponse du demandeur à la demande de corrections depuis deux mois.",
    },
]


def _luhn_complete(digits: str) -> str:
    for last in "0123456789":
        candidate = digits + last
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char)
            if index % 2 == 1:
                value = value * 2 - 9 if value * 2 > 9 else value * 2
            total += value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def demo_siret(n: int) -> str:
    """A valid, invented SIRET (SIREN and SIRET both Luhn-valid)."""
    siren = _luhn_complete(f"{84215000 + n:08d}")
    return _luhn_complete(f"{siren}{1 + n % 9:04d}")


def _quote_pdf(business: str, description: str, amount: str) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.setTitle(f"Devis — {description}")
    page.drawString(72, 760, "Satellites du Massif central (démo) — DEVIS")
    page.drawString(72, 730, f"Client : {business}")
    page.drawString(72, 700, f"{description} : {amount} € HT")
    page.showPage()
    page.save()
    return buffer.getvalue()


def _store_quote(application: Application, description: str, amount: str) -> Document:
    content = _quote_pdf(application.business_name, description, amount)
    document = Document(
        application=application,
        kind=DocumentKind.QUOTE,
        original_name=f"devis-{slugify(description)[:40]}.pdf",
        content_type="application/pdf",
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
    )
    document.file.save(f"{secrets.token_hex(16)}.pdf", ContentFile(content), save=False)
    document.save()
    return document


def _business(n: int, spec: dict[str, Any], commune: Commune | None) -> Organisation:
    siret = demo_siret(n)
    organisation = Organisation.objects.filter(siret=siret).first()
    if organisation is None:
        name = f"{spec['name']} (démo)"
        slug, k = slugify(name)[:200], 2
        while Organisation.objects.filter(slug=slug).exists():
            slug, k = f"{slugify(name)[:195]}-{k}", k + 1
        organisation = Organisation.objects.create(
            name=name, slug=slug, kind=Organisation.Kind.BUSINESS, siret=siret, commune=commune
        )
    return organisation


def _snapshot(answer: str, commune: str) -> dict[str, Any]:
    explanations = {
        EligibilityAnswer.ELIGIBLE: f"À {commune}, le meilleur débit filaire de ces locaux est inférieur à 3 Mbit/s : "
        "les locaux sont éligibles.",
        EligibilityAnswer.NOT_ELIGIBLE: "Ces locaux ont accès à un débit filaire de 100 Mbit/s ou plus : ils ne sont "
        "pas éligibles.",
        EligibilityAnswer.TO_CHECK: "Adresse introuvable dans les données par immeuble : l'instructeur vérifiera.",
    }
    classes = {
        EligibilityAnswer.ELIGIBLE: "HD05",
        EligibilityAnswer.NOT_ELIGIBLE: "THD100",
        EligibilityAnswer.TO_CHECK: "",
    }
    return {
        "answer": answer,
        "explanation": explanations[answer],
        "basis": "building" if answer != EligibilityAnswer.TO_CHECK else "commune",
        "edition": "2026T2",
        "data": {"meilleure_classe": classes[answer]} if classes[answer] else {"commune": commune},
        "checked_at": "",
    }


def _timeline(application: Application, status: str, instructor: User | None, start: Any, spec: dict[str, Any]) -> None:
    steps = [(Status.DRAFT, Status.SUBMITTED, None, "", start)]
    if status != Status.SUBMITTED and not (status == Status.CLOSED and not spec.get("mine")):
        steps.append((Status.SUBMITTED, Status.UNDER_REVIEW, instructor, "", start + timedelta(days=2)))
    if status == Status.CORRECTIONS:
        steps.append(
            (
                Status.UNDER_REVIEW,
                Status.CORRECTIONS,
                instructor,
                spec.get("corrections", ""),
                start + timedelta(days=5),
            )
        )
    if status in (Status.ACCEPTED, Status.REFUSED):
        steps.append((Status.UNDER_REVIEW, status, instructor, spec.get("reason", ""), start + timedelta(days=12)))
    if status == Status.CLOSED:
        steps.append((Status.SUBMITTED, Status.CLOSED, instructor, spec.get("reason", ""), start + timedelta(days=60)))
    for from_status, to_status, actor, comment, at in steps:
        change = StatusChange.objects.create(
            application=application, from_status=from_status, to_status=to_status, actor=actor, comment=comment
        )
        StatusChange.objects.filter(pk=change.pk).update(at=at)


@transaction.atomic
def load() -> dict[str, int]:
    programme = (
        GrantProgramme.objects.filter(slug="auverdata").first() or GrantProgramme.objects.filter(code="AUV").first()
    )
    if programme is None:
        return {KEY: 0}
    eligible = list(programme.categories.filter(is_eligible=True).order_by("position", "pk"))
    excluded = programme.categories.filter(is_eligible=False).order_by("position", "pk").first()
    if not eligible:
        return {KEY: 0}
    instructor = User.objects.filter(email=demo_email(Role.GRANT_INSTRUCTOR)).first()
    communes = {c.name: c for c in Commune.objects.current().filter(name__in=[d["commune"] for d in DOSSIERS])}
    cantons = {c.pk: c.cantons.order_by("code").first() for c in communes.values()}
    year = programme.opens_on.year
    now = timezone.now()
    created = 0
    for n, spec in enumerate(DOSSIERS, start=1):
        reference = f"{programme.code}-{year}-9{n:04d}"
        if Application.objects.filter(reference=reference).exists():
            continue
        commune = communes.get(spec["commune"])
        business = _business(n, spec, commune)
        status = spec["status"]
        mine = instructor if spec.get("mine") else None
        submitted = now - timedelta(days=spec["days"])
        answer = spec.get("eligibility", EligibilityAnswer.ELIGIBLE)
        application = Application.objects.create(
            programme=programme,
            reference=reference,
            organisation=business,
            status=Status.SUBMITTED,
            business_name=spec["name"],
            siret=business.siret,
            activity=spec["activity"],
            employees=1 + n % 7,
            contact_name="Gérant de " + spec["name"],
            contact_email=f"contact-{slugify(spec['name'])}@example.org",
            contact_phone=f"04 71 {10 + n:02d} {20 + n:02d} {30 + n:02d}",
            premises_address=spec["address"],
            premises_commune=commune,
            premises_postal_code=(commune.postal_codes or [""])[0] if commune else "",
            canton=cantons.get(commune.pk) if commune else None,
            eligibility=answer,
            eligibility_snapshot=_snapshot(answer, spec["commune"]),
            de_minimis_amount=Decimal("0.00") if n % 3 else Decimal("12500.00"),
            de_minimis_details="" if n % 3 else "Aide régionale à l'investissement 2024.",
            declarations_certified=True,
            submitted_at=submitted,
            first_submitted_at=submitted,
            instructor=mine if status != Status.SUBMITTED else None,
        )
        for position, (index, description, amount) in enumerate(spec["lines"]):
            category = excluded if index < 0 else eligible[min(index, len(eligible) - 1)]
            if category is None:
                continue
            ExpenseLine.objects.create(
                application=application,
                category=category,
                description=description,
                amount=Decimal(amount),
                quote=_store_quote(application, description, amount),
                position=position,
            )
        if "set_aside" in spec:
            description, reason = spec["set_aside"]
            application.lines.filter(description=description).update(is_ineligible=True, ineligibility_reason=reason)
        figures = amounts.application_recompute(application=application)
        _timeline(application, status, instructor, submitted, spec)
        if spec.get("note") and instructor is not None:
            ReviewNote.objects.create(application=application, author=instructor, text=spec["note"])
        if status == Status.CORRECTIONS:
            Message.objects.create(
                application=application, author=instructor, from_applicant=False, body=spec["corrections"]
            )
        decision: dict[str, Any] = {"status": status}
        if status in (Status.ACCEPTED, Status.REFUSED, Status.CLOSED):
            decision.update(decided_at=submitted + timedelta(days=12), decided_by=instructor)
            decision["decision_reason"] = spec.get("reason", "")
        if status == Status.ACCEPTED:
            decision["decided_amount"] = figures.aid
        Application.objects.filter(pk=application.pk).update(**decision)
        if status in (Status.ACCEPTED, Status.REFUSED, Status.CLOSED):
            application.refresh_from_db()
            decision_letter_store(actor=None, application=application)
        created += 1
    return {KEY: created}
