"""Views of the payment part: who reaches each page, the business's invoices, the instructor's
check and payment order, the accountant's list and CSV, bad and junk input (French messages,
nothing lost, never a 500), double submission, query counts."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ..models import InvoiceStatus, PaidInvoice, Payment, Status
from .factories import BusinessFactory, png_bytes, upload
from .factories_payment import (
    IBAN,
    accepted_application,
    make_invoice,
    make_payment,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def accepted(programme, business, applicant):
    """The sawmill's accepted dossier: one 3,200 € installation line, 1,600 € decided."""
    return accepted_application(programme=programme, organisation=business, created_by=applicant)


@pytest.fixture
def line(accepted):
    return accepted.lines.get()


def _invoice_post(line, **overrides):
    data = {
        "line": str(line.pk),
        "supplier": "Sat'Auvergne",
        "invoice_number": "F-2026-017",
        "invoice_date": (timezone.localdate() - timedelta(days=2)).isoformat(),
        "amount": "3 200,00",
        "file": upload("facture.pdf"),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _people(applicant, other_applicant, instructor, manager):
    return {"applicant": applicant, "other": other_applicant, "instructor": instructor, "manager": manager}


# --- Who reaches what ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "expected"),
    [
        ("invoices", {"anonymous": 302, "applicant": 200, "other": 404, "instructor": 403, "manager": 403}),
        ("payment", {"anonymous": 302, "applicant": 403, "other": 404, "instructor": 200, "manager": 200}),
        ("payments", {"anonymous": 302, "applicant": 403, "other": 403, "instructor": 200, "manager": 200}),
        ("payments_export", {"anonymous": 302, "applicant": 403, "other": 403, "instructor": 200, "manager": 200}),
    ],
)
def test_each_role_on_each_page(client, accepted, applicant, other_applicant, instructor, manager, url_name, expected):
    args = [accepted.reference] if url_name in ("invoices", "payment") else []
    url = reverse(f"grants:{url_name}", args=args)
    people = _people(applicant, other_applicant, instructor, manager)
    for who, status in expected.items():
        client.logout()
        if who != "anonymous":
            client.force_login(people[who])
        response = client.get(url)
        assert response.status_code == status, (who, response.status_code)
        if status == 302:
            assert "/compte/" in response["Location"] or "login" in response["Location"]


@pytest.mark.parametrize(
    ("url_name", "extra", "expected"),
    [
        ("invoice_remove", True, {"applicant": 302, "other": 404, "instructor": 403}),
        ("payment_request", False, {"applicant": 302, "other": 404, "instructor": 403}),
        ("invoice_accept", True, {"applicant": 403, "other": 404, "instructor": 302}),
        ("invoice_reject", True, {"applicant": 403, "other": 404, "instructor": 200}),
        ("payment_order", False, {"applicant": 403, "other": 404, "instructor": 200}),
    ],
)
def test_each_role_on_each_action(
    client, accepted, line, applicant, other_applicant, instructor, manager, url_name, extra, expected
):
    invoice = make_invoice(line, D("100.00"), status=InvoiceStatus.ACCEPTED)
    args = [accepted.reference, invoice.pk] if extra else [accepted.reference]
    url = reverse(f"grants:{url_name}", args=args)
    people = _people(applicant, other_applicant, instructor, manager)
    data = {f"f{invoice.pk}-accepted_amount": "100"}
    for who, status in expected.items():
        client.force_login(people[who])
        response = client.post(url, data)
        assert response.status_code == status, (who, response.status_code)
    assert client.get(url).status_code == 405


def test_unknown_or_junk_reference_is_404(client, instructor, applicant):
    for person in (instructor, applicant):
        client.force_login(person)
        for ref in ("AUV-2026-99999", "x" * 300):
            assert client.get(reverse("grants:invoices", args=[ref])).status_code == 404
            assert client.get(reverse("grants:payment", args=[ref])).status_code == 404


def test_an_invoice_of_another_dossier_is_404(client, accepted, instructor, programme, business):
    other = accepted_application(programme=programme, organisation=business)
    foreign = make_invoice(other.lines.get())
    client.force_login(instructor)
    url = reverse("grants:invoice_accept", args=[accepted.reference, foreign.pk])
    assert client.post(url, {f"f{foreign.pk}-accepted_amount": "1"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == InvoiceStatus.PENDING


# --- The business ----------------------------------------------------------------------------------------


def test_business_uploads_an_invoice_and_asks_for_the_payment(
    client, accepted, line, applicant, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    url = reverse("grants:invoices", args=[accepted.reference])
    page = client.get(url).content.decode()
    assert "Ajouter une facture acquittée" in page
    assert "Aucune facture déposée" in page
    response = client.post(url, _invoice_post(line))
    assert response.status_code == 302
    invoice = PaidInvoice.objects.get()
    assert (invoice.amount, invoice.supplier, invoice.status) == (D("3200.00"), "Sat'Auvergne", "pending")
    page = client.get(url).content.decode()
    assert "F-2026-017" in page
    assert "À vérifier" in page
    assert f"/aides/dossiers/{accepted.reference}/pieces/{invoice.document_id}/" in page
    assert reverse("grants:invoice_remove", args=[accepted.reference, invoice.pk]) in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grants:payment_request", args=[accepted.reference]), follow=True)
    assert "Votre demande de versement est envoyée" in response.content.decode()
    assert mailoutbox[-1].to == ["aides@example.org"]


def test_empty_invoice_form_gives_french_messages_next_to_the_fields(client, accepted, line, applicant):
    client.force_login(applicant)
    response = client.post(reverse("grants:invoices", args=[accepted.reference]), {})
    assert response.status_code == 200
    page = response.content.decode()
    for message in (
        "Rien n’est enregistré",
        "Choisissez la dépense que la facture concerne.",
        "Indiquez le fournisseur.",
        "Indiquez le numéro de la facture.",
        "Indiquez une date.",
        "Indiquez le montant payé hors taxes.",
        "Joignez la facture (PDF ou image).",
    ):
        assert message in page, message
    assert 'aria-invalid="true"' in page
    assert PaidInvoice.objects.count() == 0


def test_bad_invoice_keeps_what_was_typed(client, accepted, line, applicant):
    client.force_login(applicant)
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = client.post(
        reverse("grants:invoices", args=[accepted.reference]),
        _invoice_post(
            line, supplier="Satellites du Cézallier", invoice_number="FA-77", invoice_date=future, amount="-12"
        ),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "La date de la facture ne peut pas être dans le futur." in page
    assert "Le montant doit être supérieur à zéro." in page
    assert 'value="Satellites du Cézallier"' in page
    assert 'value="FA-77"' in page
    assert f'value="{future}"' in page
    assert 'value="-12"' in page
    assert f'<option value="{line.pk}" selected>' in page
    assert "choisissez-le à nouveau" in page
    assert PaidInvoice.objects.count() == 0


def test_a_file_that_is_not_a_pdf_or_an_image_is_refused(client, accepted, line, applicant):
    client.force_login(applicant)
    response = client.post(
        reverse("grants:invoices", args=[accepted.reference]),
        _invoice_post(line, file=upload("facture.pdf", b"#!/bin/sh\necho hello\n")),
    )
    assert response.status_code == 200
    assert "n&#x27;est pas un fichier PDF" in response.content.decode() or "n'est pas un fichier PDF" in (
        response.content.decode()
    )
    assert 'value="Sat&#x27;Auvergne"' in response.content.decode()
    assert PaidInvoice.objects.count() == 0


def test_amounts_typed_the_french_way(client, accepted, line, applicant):
    client.force_login(applicant)
    url = reverse("grants:invoices", args=[accepted.reference])
    for typed, expected in (("1 250,50", "1250.50"), ("1250.5", "1250.50"), ("1\u202f250,50 €", "1250.50")):
        PaidInvoice.objects.all().delete()
        response = client.post(
            url, _invoice_post(line, amount=typed, file=upload("scan.png", png_bytes(), "image/png"))
        )
        assert response.status_code == 302, typed
        assert PaidInvoice.objects.get().amount == D(expected)


def test_junk_invoice_input_never_fails(client, accepted, line, applicant):
    client.force_login(applicant)
    url = reverse("grants:invoices", args=[accepted.reference])
    junk = ["", " ", "\x00", "9" * 40, "-1", "1e999", "NaN", "Infinity", "１２", "<script>", "0x10", "1,2,3", "ééé"]
    rng = random.Random(7)
    for _attempt in range(40):
        data = {
            "line": rng.choice([*junk, str(line.pk)]),
            "supplier": rng.choice([*junk, "x" * 5000]),
            "invoice_number": rng.choice(junk),
            "invoice_date": rng.choice([*junk, "2026-02-30", "31/12/2025", "0001-01-01", "9999-12-31"]),
            "amount": rng.choice(junk),
        }
        response = client.post(url, data)
        assert response.status_code == 200, data
        assert "Rien n’est enregistré" in response.content.decode()
    assert PaidInvoice.objects.count() == 0


def test_no_form_before_acceptance_and_read_only_once_paid(client, programme, business, applicant):
    client.force_login(applicant)
    review = accepted_application(programme=programme, organisation=business, status=Status.UNDER_REVIEW)
    page = client.get(reverse("grants:invoices", args=[review.reference])).content.decode()
    assert "une fois le dossier accepté" in page
    assert "Ajouter une facture" not in page
    response = client.post(reverse("grants:invoices", args=[review.reference]), _invoice_post(review.lines.get()))
    assert response.status_code == 302
    assert PaidInvoice.objects.count() == 0
    paid = accepted_application(programme=programme, organisation=business)
    make_invoice(paid.lines.get(), D("3200.00"), status=InvoiceStatus.ACCEPTED)
    make_payment(paid, D("1600.00"))
    page = client.get(reverse("grants:invoices", args=[paid.reference])).content.decode()
    assert f"mandat {paid.reference}-V1" in page
    assert "Retirer" not in page


def test_remove_an_invoice_twice(client, accepted, line, applicant):
    invoice = make_invoice(line)
    client.force_login(applicant)
    url = reverse("grants:invoice_remove", args=[accepted.reference, invoice.pk])
    assert "est retirée" in client.post(url, follow=True).content.decode()
    assert "n’est plus dans le dossier" in client.post(url, follow=True).content.decode()
    assert PaidInvoice.objects.count() == 0


# --- The instructor ------------------------------------------------------------------------------------


def test_instructor_checks_and_orders_the_payment(
    client, accepted, line, instructor, mailoutbox, django_capture_on_commit_callbacks
):
    first = make_invoice(line, D("2500.00"), number="A-1")
    second = make_invoice(line, D("1500.00"), number="A-2")
    client.force_login(instructor)
    url = reverse("grants:payment", args=[accepted.reference])
    page = client.get(url).content.decode()
    assert f"/aides/dossiers/{accepted.reference}/pieces/{first.document_id}/" in page
    assert "Calcul du versement" in page
    response = client.post(
        reverse("grants:invoice_accept", args=[accepted.reference, first.pk]), {f"f{first.pk}-accepted_amount": "2 500"}
    )
    assert response.status_code == 302
    client.post(
        reverse("grants:invoice_accept", args=[accepted.reference, second.pk]),
        {f"f{second.pk}-accepted_amount": "1500"},
    )
    page = client.get(url).content.decode()
    assert "limitée au montant accordé de la dépense" in page  # 4,000 € invoiced on a 3,200 € line
    assert "1\u202f600,00\u00a0€" in page
    order = {
        "ordered_on": timezone.localdate().isoformat(),
        "iban": "FR76 3000 6000 0112 3456 7890 189",
        "reference": "",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("grants:payment_order", args=[accepted.reference]), order, follow=True)
    assert "Le versement de 1\u202f600,00\u00a0€ est ordonné" in response.content.decode()
    # Double click: the second finds the dossier paid.
    response = client.post(reverse("grants:payment_order", args=[accepted.reference]), order, follow=True)
    assert "déjà ordonné" in response.content.decode()
    assert Payment.objects.count() == 1
    accepted.refresh_from_db()
    assert (accepted.status, accepted.paid_amount) == (Status.PAID, D("1600.00"))
    assert any(accepted.reference in mail.subject for mail in mailoutbox)


def test_check_errors_are_shown_next_to_the_field(client, accepted, line, instructor):
    invoice = make_invoice(line, D("1000.00"))
    client.force_login(instructor)
    response = client.post(
        reverse("grants:invoice_accept", args=[accepted.reference, invoice.pk]),
        {f"f{invoice.pk}-accepted_amount": "1000,01"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "ne peut pas dépasser le montant de la facture" in page
    assert 'value="1000,01"' in page
    response = client.post(reverse("grants:invoice_reject", args=[accepted.reference, invoice.pk]), {})
    assert "Indiquez pourquoi la facture est écartée." in response.content.decode()
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING


def test_order_errors_keep_what_was_typed(client, accepted, line, instructor):
    make_invoice(line, D("3200.00"), status=InvoiceStatus.ACCEPTED)
    client.force_login(instructor)
    response = client.post(
        reverse("grants:payment_order", args=[accepted.reference]),
        {"ordered_on": "demain", "iban": "FR76 0000 0000 0000", "reference": "MANDAT 7"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Indiquez une date valide" in page
    assert "Cet IBAN n&#x27;est pas valide" in page or "Cet IBAN n'est pas valide" in page
    assert 'value="FR76 0000 0000 0000"' in page
    assert Payment.objects.count() == 0


def test_order_without_accepted_invoice_is_refused_with_a_message(client, accepted, line, instructor):
    make_invoice(line, D("3200.00"))
    client.force_login(instructor)
    response = client.post(
        reverse("grants:payment_order", args=[accepted.reference]),
        {"ordered_on": timezone.localdate().isoformat(), "iban": IBAN},
        follow=True,
    )
    assert "Aucune facture n&#x27;est retenue" in response.content.decode() or "Aucune facture n'est retenue" in (
        response.content.decode()
    )
    assert Payment.objects.count() == 0


def test_junk_check_and_order_input_never_fails(client, accepted, line, instructor):
    invoice = make_invoice(line, D("1000.00"))
    client.force_login(instructor)
    junk = ["", "\x00", "9" * 40, "-1", "1e999", "NaN", "<b>", "x" * 5000, "１２"]
    for value in junk:
        for name, data in (
            ("invoice_accept", {f"f{invoice.pk}-accepted_amount": value}),
            ("invoice_reject", {f"r{invoice.pk}-reason": value if value.strip("\x00") else ""}),
            ("payment_order", {"ordered_on": value, "iban": value, "reference": value}),
        ):
            args = [accepted.reference, invoice.pk] if name != "payment_order" else [accepted.reference]
            response = client.post(reverse(f"grants:{name}", args=args), data)
            assert response.status_code in (200, 302), (name, value, response.status_code)
    assert Payment.objects.count() == 0


def test_payment_page_query_count_does_not_grow_with_invoices(client, accepted, line, instructor):
    client.force_login(instructor)
    url = reverse("grants:payment", args=[accepted.reference])
    make_invoice(line, number="1")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(8):
        make_invoice(line, number=f"N{n}", status=InvoiceStatus.ACCEPTED if n % 2 else InvoiceStatus.PENDING)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_invoices_page_query_count_does_not_grow_with_invoices(client, accepted, line, applicant):
    client.force_login(applicant)
    url = reverse("grants:invoices", args=[accepted.reference])
    make_invoice(line, number="1")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(8):
        make_invoice(line, number=f"N{n}")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


# --- The accountant --------------------------------------------------------------------------------------


@pytest.fixture
def paid_three(programme, business):
    rows = []
    for n, amount in enumerate((D("1600.00"), D("250.50"), D("999.99"))):
        application = accepted_application(programme=programme, organisation=business, lines=[amount * 2])
        rows.append(make_payment(application, amount, days_ago=n * 40))
    return rows


def test_payments_list_with_filters_and_totals(client, paid_three, instructor, programme):
    client.force_login(instructor)
    url = reverse("grants:payments")
    page = client.get(url).content.decode()
    assert "3 paiements" in page
    assert "2\u202f850,49\u00a0€" in page
    paid_three[0].exported_at = timezone.now()
    paid_three[0].save()
    page = client.get(url, {"exporte": "non"}).content.decode()
    assert "2 paiements" in page
    assert paid_three[0].reference not in page
    since = (timezone.localdate() - timedelta(days=50)).isoformat()
    page = client.get(url, {"du": since, "dispositif": programme.slug}).content.decode()
    assert "2 paiements" in page
    page = client.get(url, {"dispositif": "autre-dispositif"}).content.decode()
    assert "Dispositif inconnu." in page  # a wrong filter is said, the others still apply


def test_payments_list_junk_filters_never_fail(client, paid_three, instructor):
    client.force_login(instructor)
    for value in ("", "\x00", "9" * 40, "2026-13-45", "<script>", "x" * 3000):
        response = client.get(
            reverse("grants:payments"), {"dispositif": value, "du": value, "au": value, "exporte": value, "page": value}
        )
        assert response.status_code == 200


def test_payments_list_query_count_is_constant(client, programme, business, instructor):
    client.force_login(instructor)
    make_payment(accepted_application(programme=programme, organisation=business), D("10.00"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("grants:payments"))
    for _n in range(6):
        make_payment(accepted_application(programme=programme, organisation=BusinessFactory()), D("10.00"))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("grants:payments"))
    assert len(many) == len(few)


def test_csv_export_content_and_formula_injection(client, programme, instructor):
    evil = BusinessFactory(name='=HYPERLINK("http://x")')
    application = accepted_application(
        programme=programme, organisation=evil, lines=[D("3200.00")], business_name='=HYPERLINK("http://x")'
    )
    make_payment(application, D("1600.00"), reference="AUV-TEST-V1")
    client.force_login(instructor)
    response = client.get(reverse("grants:payments_export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    header, row = text.lstrip("\ufeff").strip().split("\r\n")
    assert header.split(";") == [
        "Référence du mandat",
        "Date du mandat",
        "Dispositif",
        "Financeur",
        "Dossier",
        "Bénéficiaire",
        "SIRET",
        "IBAN",
        "Montant versé (€)",
        "Dépenses payées retenues HT (€)",
    ]
    cells = row.split(";")
    assert cells[0] == "AUV-TEST-V1"
    assert cells[1] == timezone.localdate().strftime("%d/%m/%Y")
    assert cells[4] == application.reference
    assert cells[5].startswith("\"'=HYPERLINK")  # quoted by csv (it holds a "), guarded by '
    assert cells[6] == evil.siret
    assert cells[7] == IBAN
    assert cells[8:] == ["1600,00", "3200,00"]
    # The plain export does not mark anything.
    assert Payment.objects.filter(exported_at__isnull=True).count() == 1


def test_export_only_new_marks_them_and_the_second_is_empty(client, paid_three, instructor, programme):
    client.force_login(instructor)
    url = reverse("grants:payments_export")
    first = client.post(url, {"nouveaux": "1", "dispositif": programme.slug}).content.decode("utf-8")
    assert first.count("\r\n") == 4  # header + 3 payments
    assert Payment.objects.filter(exported_at__isnull=True).count() == 0
    second = client.post(url, {"nouveaux": "1"}).content.decode("utf-8")
    assert second.count("\r\n") == 1  # the header only
    page = client.get(reverse("grants:payments"), {"exporte": "oui"}).content.decode()
    assert "3 paiements" in page
