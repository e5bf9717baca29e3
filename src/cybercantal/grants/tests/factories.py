"""Factories of the grants tests. Parts may add their own in ``factories_<part>.py``."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone

from cybercantal.accounts.models import Organisation
from cybercantal.accounts.tests.factories import OrganisationFactory, UserFactory

from ..models import (
    Application,
    CoverageEdition,
    Document,
    DocumentKind,
    ExpenseCategory,
    ExpenseLine,
    GrantProgramme,
    SpeedClass,
    Status,
)


def luhn_complete(digits: str) -> str:
    """``digits`` + the one digit that makes the Luhn sum a multiple of 10."""
    for last in "0123456789":
        candidate = digits + last
        total = 0
        for index, char in enumerate(reversed(candidate)):
            value = int(char)
            if index % 2 == 1:
                value *= 2
                if value > 9:
                    value -= 9
            total += value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def valid_siret(n: int) -> str:
    """A SIRET that passes the checksum (SIREN and SIRET both Luhn-valid)."""
    siren = luhn_complete(f"{(70000000 + n) % 100000000:08d}")
    return luhn_complete(f"{siren}{n % 10000:04d}")


def pdf_bytes(text: str = "Devis") -> bytes:
    """A small real PDF (one page), made with reportlab."""
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, text)
    page.showPage()
    page.save()
    return buffer.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str = "devis.pdf", content: bytes | None = None, content_type: str = "application/pdf"):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, pdf_bytes() if content is None else content, content_type=content_type)


class ProgrammeFactory(factory.django.DjangoModelFactory):
    """Auverdata-like: 50 %, cap 5,000 €, envelope 100,000 €, open now; three categories."""

    class Meta:
        model = GrantProgramme
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"dispositif-{n}")
    code = factory.Sequence(lambda n: "AU" + "".join(chr(65 + int(d)) for d in f"{n:03d}"))
    name = factory.Sequence(lambda n: f"Dispositif test {n}")
    funder = "Région Auvergne-Rhône-Alpes"
    rate_percent = Decimal("50.00")
    cap_per_application = Decimal("5000.00")
    budget = Decimal("100000.00")
    opens_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    closes_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=335))
    is_published = True
    coverage_threshold = SpeedClass.HD3
    contact_email = "aides@example.org"

    @factory.post_generation
    def categories(self, create: bool, extracted: list | None, **kwargs: object) -> None:
        if not create:
            return
        if extracted is False:
            return
        for position, (code, label, eligible) in enumerate(
            extracted
            or [
                ("equipement", "Équipement (parabole, modem, routeur)", True),
                ("installation", "Installation et mise en service", True),
                ("activation", "Frais d'activation", True),
                ("abonnement", "Abonnement mensuel", False),
            ]
        ):
            ExpenseCategory.objects.create(
                programme=self, code=code, label=label, is_eligible=eligible, position=position
            )


class BusinessFactory(OrganisationFactory):
    kind = Organisation.Kind.BUSINESS
    name = factory.Sequence(lambda n: f"Entreprise test {n}")
    slug = factory.Sequence(lambda n: f"entreprise-test-{n}")
    siret = factory.Sequence(valid_siret)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A draft with business and contact filled in (no premises, no lines)."""

    class Meta:
        model = Application

    programme = factory.SubFactory(ProgrammeFactory)
    organisation = factory.SubFactory(BusinessFactory)
    created_by = factory.SubFactory(UserFactory)
    reference = factory.Sequence(lambda n: f"TEST-2026-{n:05d}")
    status = Status.DRAFT
    business_name = factory.LazyAttribute(lambda o: o.organisation.name)
    siret = factory.LazyAttribute(lambda o: o.organisation.siret)
    contact_name = "Camille Test"
    contact_email = factory.Sequence(lambda n: f"contact{n}@example.org")


class ExpenseLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExpenseLine

    application = factory.SubFactory(ApplicationFactory)
    category = factory.LazyAttribute(lambda o: o.application.programme.categories.filter(is_eligible=True).first())
    description = "Kit satellite"
    amount = Decimal("1000.00")


class DocumentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Document

    application = factory.SubFactory(ApplicationFactory)
    kind = DocumentKind.QUOTE
    file = factory.django.FileField(filename="devis.pdf", data=factory.LazyFunction(pdf_bytes))
    original_name = "devis.pdf"
    content_type = "application/pdf"
    size = 800
    sha256 = "0" * 64


class EditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoverageEdition

    quarter = factory.Sequence(lambda n: f"{2020 + n // 4}T{n % 4 + 1}")
    departement_code = "15"
    is_current = False


def days_ago(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)
