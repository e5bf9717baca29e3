"""Billing pages: who reaches each page (member, employer managers, operator managers, the
programme team, and those of ANOTHER employer or operator), the lists and their filters, the
PDF download, issuing a month, a credit note, bad input, query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from cybercantal.accounts.models import Role

from ..models import Invoice, InvoiceKind
from ..services import billing
from .factories import OperatorFactory, TelecentreFactory, UserFactory
from .factories_billing import Scenario

pytestmark = pytest.mark.django_db


@pytest.fixture
def month():
    return Scenario()


@pytest.fixture
def issued(month):
    billing.invoices_issue_month(actor=None, operator=month.operator, year=month.year, month=month.month)
    billing.invoices_issue_month(actor=None, operator=month.other_operator, year=month.year, month=month.month)
    return month


@pytest.fixture
def people(issued, staff):
    other_employer = UserFactory()
    from cybercantal.accounts.tests.factories import OrganisationFactory

    employer_manager = staff(Role.EMPLOYER_MANAGER, issued.employer)
    other_employer = staff(Role.EMPLOYER_MANAGER, OrganisationFactory(name="Autre employeur"))
    return {
        "anonymous": None,
        "payer": issued.bruno,
        "other_member": issued.anne,
        "employer": employer_manager,
        "other_employer": other_employer,
        "manager": staff(Role.TELECENTRE_MANAGER, issued.telecentre.place),
        "operator_manager": staff(Role.TELECENTRE_MANAGER, issued.operator),
        "other_manager": staff(Role.TELECENTRE_MANAGER, TelecentreFactory(operator=OperatorFactory()).place),
        "programme": staff(Role.PROGRAMME_MANAGER),
    }


def get_as(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    response = client.get(url)
    close_file(response)
    return response


def close_file(response):
    """Close a served file (``response.close()`` would also close the test's connection)."""
    from django.core.files import File

    for closer in getattr(response, "_resource_closers", []):
        if isinstance(getattr(closer, "__self__", None), File):
            closer()


# --- who reaches what ------------------------------------------------------------------------------


def test_invoice_pages_per_role(client, issued, people):
    member_invoice = Invoice.objects.get(payer_user=issued.bruno, operator=issued.operator)
    employer_invoice = Invoice.objects.get(payer_organisation=issued.employer)
    cases = [
        (
            member_invoice,
            {
                "anonymous": 302,
                "payer": 200,
                "other_member": 403,
                "employer": 403,
                "other_employer": 403,
                "manager": 200,
                "operator_manager": 200,
                "other_manager": 403,
                "programme": 200,
            },
        ),
        (
            employer_invoice,
            {
                "anonymous": 302,
                "payer": 403,
                "other_member": 403,
                "employer": 200,
                "other_employer": 403,
                "manager": 200,
                "operator_manager": 200,
                "other_manager": 403,
                "programme": 200,
            },
        ),
    ]
    for invoice, expected in cases:
        for name in ("invoice_detail", "invoice_pdf"):
            url = reverse(f"telework:{name}", args=[invoice.pk])
            for who, status in expected.items():
                response = get_as(client, people[who], url)
                assert response.status_code == status, (name, who)
                if status == 302:
                    assert "/compte/" in response["Location"]


def test_list_pages_per_role(client, people):
    expected = {
        "my_invoices": {"anonymous": 302, "payer": 200, "employer": 200, "manager": 200},
        "employer_invoices": {
            "anonymous": 302,
            "payer": 403,
            "employer": 200,
            "other_employer": 200,
            "manager": 403,
            "programme": 403,
        },
        "operator_invoices": {
            "anonymous": 302,
            "payer": 403,
            "employer": 403,
            "manager": 200,
            "other_manager": 200,
            "programme": 200,
        },
        "invoices_issue": {"anonymous": 302, "payer": 403, "employer": 403, "manager": 200, "programme": 200},
        "invoices_export": {
            "anonymous": 302,
            "payer": 403,
            "other_member": 403,
            "employer": 200,
            "manager": 200,
            "programme": 200,
        },
    }
    for name, statuses in expected.items():
        url = reverse(f"telework:{name}")
        for who, status in statuses.items():
            assert get_as(client, people[who], url).status_code == status, (name, who)


def test_unknown_invoice_is_404(client, people):
    client.force_login(people["programme"])
    assert client.get(reverse("telework:invoice_detail", args=[999999])).status_code == 404
    assert client.get("/telecentres/factures/99999999999999999999999/").status_code == 404


# --- the lists ----------------------------------------------------------------------------------------


def test_member_sees_only_their_invoices(client, issued):
    client.force_login(issued.bruno)
    page = client.get(reverse("telework:my_invoices")).content.decode()
    mine = Invoice.objects.filter(payer_user=issued.bruno)
    assert mine.count() == 2  # this operator and the other one
    for invoice in mine:
        assert invoice.number in page
    assert Invoice.objects.get(payer_user=issued.anne).number not in page
    assert "234,00" in page


def test_employer_manager_sees_their_organisations_invoices_only(client, issued, people):
    client.force_login(people["employer"])
    page = client.get(reverse("telework:employer_invoices")).content.decode()
    assert Invoice.objects.get(payer_organisation=issued.employer).number in page
    assert Invoice.objects.get(payer_user=issued.bruno, operator=issued.operator).number not in page
    assert "66,00" in page
    client.force_login(people["other_employer"])
    page = client.get(reverse("telework:employer_invoices")).content.decode()
    assert "Aucune facture" in page


def test_manager_sees_their_operators_invoices_with_filters(client, issued, people):
    client.force_login(people["manager"])
    url = reverse("telework:operator_invoices")
    page = client.get(url).content.decode()
    numbers = {i.number: i for i in Invoice.objects.all()}
    mine = [n for n, i in numbers.items() if i.operator_id == issued.operator.pk]
    theirs = [n for n, i in numbers.items() if i.operator_id != issued.operator.pk]
    assert all(n in page for n in mine)
    # The other operator uses the same prefix and numbers: check by payer instead.
    assert len(mine) == 3
    assert len(theirs) == 1
    month = f"{issued.year}-{issued.month:02d}"
    page = client.get(url, {"mois": month, "client": "fromagerie"}).content.decode()
    assert "Fromagerie du Lioran" in page
    assert "Bruno Teyssèdre" not in page
    page = client.get(url, {"client": "TEYSSEDRE"}).content.decode()  # accents and case folded
    assert "Bruno Teyssèdre" in page
    assert "1 facture ou avoir" in page
    anne = Invoice.objects.get(payer_user=issued.anne)
    page = client.get(url, {"client": anne.number}).content.decode()
    assert "Anne Mazet" in page
    assert "1 facture ou avoir" in page
    page = client.get(url, {"client": "bruno"}).content.decode()
    assert "Bruno Teyssèdre" in page
    assert "1 facture ou avoir" in page
    from django.utils import timezone

    page = client.get(url, {"mois": timezone.localdate().strftime("%Y-%m")}).content.decode()
    assert "Aucune facture" in page
    # Junk filters: no 500.
    for junk in ({"mois": "x\x00"}, {"exploitant": "9" * 40}, {"type": "autre"}, {"client": "é" * 500}):
        assert client.get(url, junk).status_code == 200


def test_programme_team_sees_every_operator(client, issued, people):
    client.force_login(people["programme"])
    page = client.get(reverse("telework:operator_invoices")).content.decode()
    assert "4 factures et avoirs" in page
    page = client.get(reverse("telework:operator_invoices"), {"exploitant": issued.other_operator.pk}).content.decode()
    assert "1 facture ou avoir" in page


def test_list_pages_query_counts(client, issued, people, django_assert_max_num_queries):
    for _ in range(30):  # more than a page
        user = UserFactory()
        from .factories import MembershipFactory
        from .factories_billing import past_booking

        membership = MembershipFactory(member=user, telecentre=issued.telecentre, plan=issued.bruno_membership.plan)
        import datetime as dt

        past_booking(
            resource=issued.pool,
            member=user,
            membership=membership,
            day=dt.date(issued.year, issued.month, 12),
            part="morning" if _ % 2 else "afternoon",
            price="9.00",
        )
    billing.invoices_issue_month(actor=None, operator=issued.operator, year=issued.year, month=issued.month)
    client.force_login(people["manager"])
    with django_assert_max_num_queries(12):
        response = client.get(reverse("telework:operator_invoices"))
    assert "Page 1 sur 2" in response.content.decode()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("telework:operator_invoices"), {"page": 2, "client": "a"}).status_code == 200
    client.force_login(people["employer"])
    with django_assert_max_num_queries(10):
        client.get(reverse("telework:employer_invoices"))
    client.force_login(issued.bruno)
    with django_assert_max_num_queries(8):
        client.get(reverse("telework:my_invoices"))
    invoice = Invoice.objects.get(payer_user=issued.bruno, operator=issued.operator)
    client.force_login(people["manager"])
    with django_assert_max_num_queries(14):
        client.get(reverse("telework:invoice_detail", args=[invoice.pk]))


def test_detail_page_shows_lines_totals_and_credit_notes(client, issued, people):
    invoice = Invoice.objects.get(payer_user=issued.bruno, operator=issued.operator)
    note = billing.invoice_credit(
        actor=None, invoice=invoice, reason="Journée offerte", lines=[invoice.lines.get(booking=issued.b_day)]
    )
    client.force_login(issued.bruno)
    page = client.get(reverse("telework:invoice_detail", args=[invoice.pk])).content.decode()
    assert "Open space" in page
    assert "TVA 20 % sur 195,00" in page
    assert "234,00" in page
    assert f"Annulée par l’avoir {note.number}" in page
    assert "Émettre un avoir" not in page  # the member may not
    page = client.get(reverse("telework:invoice_detail", args=[note.pk])).content.decode()
    assert "Avoir se rapportant à la facture" in page
    assert invoice.number in page
    assert "Journée offerte" in page


def test_pdf_is_served_as_a_download(client, issued):
    invoice = Invoice.objects.get(payer_user=issued.bruno, operator=issued.operator)
    client.force_login(issued.bruno)
    response = client.get(reverse("telework:invoice_pdf", args=[invoice.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="facture-{invoice.number}.pdf"' in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    close_file(response)


# --- issuing ----------------------------------------------------------------------------------------


def test_manager_issues_a_month_then_nothing_twice(client, month, staff):
    manager = staff(Role.TELECENTRE_MANAGER, month.telecentre.place)
    client.force_login(manager)
    url = reverse("telework:invoices_issue")
    page = client.get(url).content.decode()
    assert "Émettre les factures" in page
    data = {"operator": month.operator.pk, "month": f"{month.year}-{month.month:02d}"}
    page = client.post(url, data).content.decode()
    assert "3 factures émises" in page
    assert "Fromagerie du Lioran" in page
    assert Invoice.objects.filter(operator=month.operator).count() == 3
    page = client.post(url, data).content.decode()  # double submit
    assert "Rien de nouveau à facturer" in page
    assert "3 clients avaient déjà leur facture" in page
    assert Invoice.objects.filter(operator=month.operator).count() == 3


def test_issue_form_refuses_bad_input(client, month, staff):
    manager = staff(Role.TELECENTRE_MANAGER, month.telecentre.place)
    client.force_login(manager)
    url = reverse("telework:invoices_issue")
    from django.utils import timezone

    today = timezone.localdate()
    for data, text in (
        ({}, "Choisissez l&#x27;exploitant."),
        ({"operator": month.operator.pk, "month": today.strftime("%Y-%m")}, "Choisissez un mois terminé."),
        (
            {"operator": month.other_operator.pk, "month": f"{month.year}-{month.month:02d}"},
            "Choisissez l&#x27;exploitant.",
        ),
        ({"operator": "9" * 30, "month": "x\x00"}, "Choisissez l&#x27;exploitant."),
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert text in response.content.decode()
    assert not Invoice.objects.exists()


def test_programme_team_issues_for_any_operator(client, month, staff):
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    response = client.post(
        reverse("telework:invoices_issue"),
        {"operator": month.other_operator.pk, "month": f"{month.year}-{month.month:02d}"},
    )
    assert "1 facture émise" in response.content.decode()


# --- credit notes -----------------------------------------------------------------------------------


def test_manager_issues_a_partial_credit_note(client, issued, people):
    invoice = Invoice.objects.get(payer_user=issued.bruno, operator=issued.operator)
    url = reverse("telework:invoice_credit", args=[invoice.pk])
    for who, status in {
        "anonymous": 302,
        "payer": 403,
        "employer": 403,
        "other_manager": 403,
        "manager": 200,
        "programme": 200,
    }.items():
        assert get_as(client, people[who], url).status_code == status, who
    client.force_login(people["manager"])
    page = client.get(url).content.decode()
    assert "Lignes à annuler" in page
    assert "Open space" in page
    late = invoice.lines.get(booking=issued.b_late)
    response = client.post(url, {"reason": "Neige : route du Lioran fermée", "lines": [late.pk]})
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert response.status_code == 302
    assert response["Location"] == reverse("telework:invoice_detail", args=[note.pk])
    assert note.total_excl_tax == Decimal("-18.00")
    # The credited line is no longer offered; choosing it anyway is refused.
    page = client.get(url).content.decode()
    assert f'value="{late.pk}"' not in page
    response = client.post(url, {"reason": "encore", "lines": [late.pk]})
    assert "déjà annulée" in response.content.decode()
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).count() == 1


def test_credit_form_bad_input(client, issued, people):
    invoice = Invoice.objects.get(payer_user=issued.bruno, operator=issued.operator)
    url = reverse("telework:invoice_credit", args=[invoice.pk])
    client.force_login(people["manager"])
    for data, text in (
        ({"reason": "", "lines": []}, "Indiquez le motif de l&#x27;avoir."),
        ({"reason": "erreur"}, "Choisissez au moins une ligne à annuler."),
        ({"reason": "x" * 301, "lines": [invoice.lines.first().pk]}, "300 caractères au plus"),
        ({"reason": "erreur", "lines": ["abc"]}, "déjà annulée ou n&#x27;est pas de cette facture"),
        ({"reason": "erreur", "lines": ["9" * 40]}, "déjà annulée ou n&#x27;est pas de cette facture"),
    ):
        response = client.post(url, data)
        assert response.status_code == 200
        assert text in response.content.decode(), data
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()


def test_credit_note_of_a_credit_note_redirects(client, issued, people):
    invoice = Invoice.objects.get(payer_user=issued.bruno, operator=issued.operator)
    note = billing.invoice_credit(actor=None, invoice=invoice, reason="Tout annuler")
    client.force_login(people["manager"])
    response = client.get(reverse("telework:invoice_credit", args=[note.pk]), follow=True)
    assert "Un avoir ne se corrige pas" in response.content.decode()
    response = client.get(reverse("telework:invoice_credit", args=[invoice.pk]), follow=True)
    assert "déjà entièrement annulée" in response.content.decode()


# --- the sales journal --------------------------------------------------------------------------------


def rows_of(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return [line.split(";") for line in text[1:].split("\r\n") if line]


def test_sales_journal_one_row_per_invoice_and_rate(client, month):
    import datetime as dt

    from .factories import ResourceFactory
    from .factories_billing import past_booking

    room = ResourceFactory(telecentre=month.telecentre, name="Salle du Plomb", kind="meeting_room", capacity=8)
    past_booking(
        resource=room,
        member=month.bruno,
        membership=month.bruno_membership,
        day=dt.date(month.year, month.month, 9),
        price="24.00",
        vat_rate="5.50",
        part="morning",
    )
    billing.invoices_issue_month(actor=None, operator=month.operator, year=month.year, month=month.month)
    invoice = Invoice.objects.get(payer_user=month.bruno)
    note = billing.invoice_credit(
        actor=None, invoice=invoice, reason="Erreur", lines=[invoice.lines.get(booking=month.b_day)]
    )
    from cybercantal.places.tests.factories import give_totp, grant

    manager = UserFactory()
    give_totp(manager)
    grant(manager, Role.TELECENTRE_MANAGER, month.telecentre.place)
    client.force_login(manager)
    response = client.get(reverse("telework:invoices_export"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = rows_of(response)
    assert rows[0][:3] == ["Date", "Numéro", "Type"]
    bruno = [row for row in rows if row[1] == invoice.number]
    assert [(row[7], row[8], row[9], row[10]) for row in bruno] == [
        ("5,50", "24,00", "1,32", "25,32"),
        ("20,00", "195,00", "39,00", "234,00"),
    ]
    [credit] = [row for row in rows if row[1] == note.number]
    assert credit[2:4] == ["Avoir", invoice.number]
    assert credit[8:11] == ["-18,00", "-3,60", "-21,60"]
    assert len(rows) == 1 + 4 + 1  # header, Anne, Bruno (2 rates), employer, credit note
    # Filters apply.
    rows = rows_of(client.get(reverse("telework:invoices_export"), {"client": "fromagerie"}))
    assert len(rows) == 2
    assert rows[1][5] == "Fromagerie du Lioran"


def test_sales_journal_is_scoped(client, issued, people):
    client.force_login(people["other_manager"])
    assert len(rows_of(client.get(reverse("telework:invoices_export")))) == 1  # header only
    client.force_login(people["employer"])
    rows = rows_of(client.get(reverse("telework:invoices_export")))
    assert [row[5] for row in rows[1:]] == ["Fromagerie du Lioran"]
    client.force_login(people["programme"])
    assert len(rows_of(client.get(reverse("telework:invoices_export")))) == 1 + 4
