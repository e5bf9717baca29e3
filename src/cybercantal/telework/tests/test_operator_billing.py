"""An operator's invoicing details (``services.operators.operator_billing_save`` and the page
``telework:operator_billing``): the rules of each field, the prefix frozen after a first invoice,
who reaches the page, bad input, and the journey that matters: a telecentre added with a new
operator gets its details through the page, then its month is invoiced."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry

from ..models import Invoice, OperatorBilling, ResourceKind, TelecentreStatus
from ..services import billing
from ..services import network as network_services
from ..services.operators import operator_billing_save
from .factories import OperatorFactory, ResourceFactory, TelecentreFactory, UserFactory
from .factories_billing import last_month, past_booking
from .factories_network import telecentre_place

pytestmark = pytest.mark.django_db

SIRET = "55210055400013"  # SIREN 552 100 554
VAT = "FR96552100554"
IBAN = "FR7630006000011234567890189"
OTHER_VAT = "FR44732829320"  # valid, but SIREN 732 829 320


def details(**overrides):
    values = {
        "legal_name": "SCIC Volcans Numériques",
        "legal_form": "SCIC SAS au capital variable",
        "address": "2 place de l'Hôtel de Ville\n15300 Murat",
        "siret": SIRET,
        "vat_number": VAT,
        "vat_exempt": False,
        "invoice_prefix": "VN",
        "payment_terms_days": 30,
        "late_penalty_rate": "3 fois le taux d'intérêt légal",
        "iban": IBAN,
    }
    values.update(overrides)
    return values


def new_operator():
    """An operator organisation without invoicing details (as ``telecentre_create`` makes one)."""
    telecentre = TelecentreFactory(operator=OperatorFactory(name="SCIC Volcans Numériques"))
    OperatorBilling.objects.filter(operator=telecentre.operator).delete()
    return telecentre


def errors_of(caught):
    return caught.value.message_dict


@pytest.fixture
def centre():
    return new_operator()


@pytest.fixture
def operator(centre):
    return centre.operator


# --- the service ---------------------------------------------------------------------------------


def test_creates_normalised_details_and_journals(programme_manager, operator):
    saved = operator_billing_save(
        actor=programme_manager,
        operator=operator,
        **details(
            legal_name="  SCIC   Volcans Numériques ",
            address=" 2 place de l'Hôtel de Ville \r\n\r\n 15300   Murat ",
            siret="552 100 554 00013",
            vat_number="fr 96 552 100 554",
            iban="fr76 3000 6000 0112 3456 7890 189",
            invoice_prefix="vn-mur",
            payment_terms_days="45",
        ),
    )
    saved.refresh_from_db()
    assert saved.operator == operator
    assert saved.legal_name == "SCIC Volcans Numériques"
    assert saved.address == "2 place de l'Hôtel de Ville\n15300 Murat"
    assert saved.siret == SIRET
    assert saved.vat_number == VAT
    assert saved.iban == IBAN
    assert saved.invoice_prefix == "VN-MUR"
    assert saved.payment_terms_days == 45
    entry = JournalEntry.objects.get(action="telework.operator_billing.created")
    assert "iban" in entry.data["fields"]
    assert IBAN not in str(entry.data)


def test_updates_in_place_and_journals_only_changes(programme_manager, operator):
    first = operator_billing_save(actor=programme_manager, operator=operator, **details())
    second = operator_billing_save(actor=programme_manager, operator=operator, payment_terms_days=15)
    assert second.pk == first.pk
    assert OperatorBilling.objects.get(operator=operator).payment_terms_days == 15
    assert OperatorBilling.objects.get(operator=operator).legal_name == "SCIC Volcans Numériques"
    updated = JournalEntry.objects.get(action="telework.operator_billing.updated")
    assert updated.data == {"fields": ["payment_terms_days"]}
    operator_billing_save(actor=programme_manager, operator=operator, payment_terms_days=15)  # no change
    assert JournalEntry.objects.filter(action="telework.operator_billing.updated").count() == 1


def test_vat_exempt_operator_needs_no_vat_number(programme_manager, operator):
    saved = operator_billing_save(
        actor=programme_manager, operator=operator, **details(vat_exempt=True, vat_number="", iban="")
    )
    assert saved.vat_exempt
    assert saved.vat_number == ""
    assert saved.iban == ""


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"legal_name": "   "}, "legal_name", "raison sociale"),
        ({"legal_name": "x" * 201}, "legal_name", "200 caractères au plus"),
        ({"address": " \n "}, "address", "adresse du siège"),
        ({"address": "a\nb\nc\nd\ne\nf\ng"}, "address", "6 lignes au plus"),
        ({"address": "x" * 501}, "address", "500 caractères au plus"),
        ({"siret": ""}, "siret", "Indiquez le SIRET"),
        ({"siret": "5521005540001"}, "siret", "14 chiffres (vous en avez saisi 13)"),
        ({"siret": "5521005540001A"}, "siret", "que des chiffres"),
        ({"siret": "55210055400014"}, "siret", "clé de contrôle"),
        ({"vat_number": ""}, "vat_number", "art. 293 B du CGI"),
        ({"vat_number": "FR9655210055"}, "vat_number", "11 caractères"),
        ({"vat_number": "FR97552100554"}, "vat_number", "clé ne correspond pas"),
        ({"vat_number": OTHER_VAT}, "vat_number", "SIREN 732829320"),
        ({"iban": "FR7630006000011234567890188"}, "iban", "clé de contrôle"),
        ({"iban": "FR76300060000112345678"}, "iban", "longueur"),
        ({"iban": "FR76 3000 6000 0112 3456 7890 18é"}, "iban", "IBAN"),
        ({"invoice_prefix": ""}, "invoice_prefix", "Indiquez le préfixe"),
        ({"invoice_prefix": "ABCDEFGHIJK"}, "invoice_prefix", "1 à 10"),
        ({"invoice_prefix": "FAC_1"}, "invoice_prefix", "1 à 10"),
        ({"invoice_prefix": "FÉC"}, "invoice_prefix", "sans accent"),
        ({"invoice_prefix": "FAC-"}, "invoice_prefix", "sans tiret au début ni à la fin"),
        ({"payment_terms_days": 61}, "payment_terms_days", "60 jours"),
        ({"payment_terms_days": -1}, "payment_terms_days", "60 jours"),
        ({"payment_terms_days": "trente"}, "payment_terms_days", "nombre de jours"),
        ({"payment_terms_days": None}, "payment_terms_days", "nombre de jours"),
        ({"late_penalty_rate": ""}, "late_penalty_rate", "pénalités de retard"),
        ({"legal_form": "SAS\x00"}, "legal_form", "caractères invisibles"),
    ],
)
def test_each_bad_value_is_refused_next_to_its_field(programme_manager, operator, overrides, field, text):
    with pytest.raises(ValidationError) as caught:
        operator_billing_save(actor=programme_manager, operator=operator, **details(**overrides))
    messages = errors_of(caught)
    assert list(messages) == [field]
    assert text in messages[field][0]
    assert not OperatorBilling.objects.filter(operator=operator).exists()
    assert not JournalEntry.objects.filter(action__startswith="telework.operator_billing").exists()


def test_all_errors_are_given_at_once(programme_manager, operator):
    with pytest.raises(ValidationError) as caught:
        operator_billing_save(
            actor=programme_manager,
            operator=operator,
            **details(legal_name="", address="", siret="1", invoice_prefix="", payment_terms_days=90),
        )
    assert set(errors_of(caught)) == {"legal_name", "address", "siret", "invoice_prefix", "payment_terms_days"}


def test_a_failed_update_keeps_the_saved_details(programme_manager, operator):
    operator_billing_save(actor=programme_manager, operator=operator, **details())
    with pytest.raises(ValidationError):
        operator_billing_save(actor=programme_manager, operator=operator, legal_name="Autre", siret="123")
    assert OperatorBilling.objects.get(operator=operator).legal_name == "SCIC Volcans Numériques"


def test_vat_number_alone_is_checked_without_siret_consistency_when_siret_is_wrong(programme_manager, operator):
    with pytest.raises(ValidationError) as caught:
        operator_billing_save(actor=programme_manager, operator=operator, **details(siret="55210055400014"))
    assert list(errors_of(caught)) == ["siret"]  # not a second, misleading error on the VAT number


def test_unknown_fields_are_a_programming_error(programme_manager, operator):
    with pytest.raises(TypeError):
        operator_billing_save(actor=programme_manager, operator=operator, colour="red")


def test_only_the_operator_managers_and_the_programme_team(staff, centre, operator):
    other = staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)
    for actor in (None, UserFactory(), staff(Role.TELEWORKER), other):
        with pytest.raises(ValidationError) as caught:
            operator_billing_save(actor=actor, operator=operator, **details())
        assert caught.value.code == "forbidden"
    for actor in (staff(Role.TELECENTRE_MANAGER, centre.place), staff(Role.TELECENTRE_MANAGER, operator)):
        operator_billing_save(actor=actor, operator=operator, **details())
    assert OperatorBilling.objects.filter(operator=operator).count() == 1


# --- the prefix is frozen once an invoice is issued ------------------------------------------------


def billable_month(telecentre):
    """A member's booking at 18 € HT last month at ``telecentre``: something to invoice."""
    year, month = last_month()
    pool = ResourceFactory(telecentre=telecentre, name="Open space", kind=ResourceKind.SEAT_POOL)
    member = UserFactory(first_name="Léa", last_name="Chabrier")
    past_booking(resource=pool, member=member, day=dt.date(year, month, 3), price="18")
    return year, month, member


def test_prefix_is_frozen_after_a_first_invoice(programme_manager, centre, operator):
    operator_billing_save(actor=programme_manager, operator=operator, **details())
    year, month, _member = billable_month(centre)
    result = billing.invoices_issue_month(actor=None, operator=operator, year=year, month=month)
    assert result.issued[0].number.startswith("VN-")
    with pytest.raises(ValidationError) as caught:
        operator_billing_save(actor=programme_manager, operator=operator, invoice_prefix="NEW")
    message = errors_of(caught)["invoice_prefix"][0]
    assert "« VN »" in message
    assert "en cours d'année" in message
    assert OperatorBilling.objects.get(operator=operator).invoice_prefix == "VN"
    # The other details still change (an address, the terms), the prefix given unchanged or not.
    operator_billing_save(actor=programme_manager, operator=operator, invoice_prefix="vn", payment_terms_days=45)
    operator_billing_save(actor=programme_manager, operator=operator, address="1 rue Neuve\n15300 Murat")
    saved = OperatorBilling.objects.get(operator=operator)
    assert (saved.invoice_prefix, saved.payment_terms_days, saved.address) == ("VN", 45, "1 rue Neuve\n15300 Murat")


def test_details_typed_again_keep_the_prefix_of_the_issued_numbers(programme_manager, centre, operator):
    operator_billing_save(actor=programme_manager, operator=operator, **details(invoice_prefix="VN-MUR"))
    year, month, _member = billable_month(centre)
    billing.invoices_issue_month(actor=None, operator=operator, year=year, month=month)
    OperatorBilling.objects.filter(operator=operator).delete()  # e.g. removed in the admin
    with pytest.raises(ValidationError) as caught:
        operator_billing_save(actor=programme_manager, operator=operator, **details(invoice_prefix="FAC"))
    assert "« VN-MUR »" in errors_of(caught)["invoice_prefix"][0]
    operator_billing_save(actor=programme_manager, operator=operator, **details(invoice_prefix="VN-MUR"))


# --- who reaches the page ------------------------------------------------------------------------


def url_of(operator):
    return reverse("telework:operator_billing", args=[operator.pk])


def test_page_per_role(client, staff, centre, operator):
    url = url_of(operator)
    assert url == f"/telecentres/gestion/exploitants/{operator.pk}/facturation/"
    people = {
        "teleworker": (staff(Role.TELEWORKER), 403),
        "employer_manager": (staff(Role.EMPLOYER_MANAGER, OperatorFactory()), 403),
        "other_operator_manager": (staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place), 403),
        "other_operator_org_manager": (staff(Role.TELECENTRE_MANAGER, OperatorFactory()), 403),
        "telecentre_manager": (staff(Role.TELECENTRE_MANAGER, centre.place), 200),
        "operator_manager": (staff(Role.TELECENTRE_MANAGER, operator), 200),
        "programme": (staff(Role.PROGRAMME_MANAGER), 200),
    }
    response = client.get(url)
    assert response.status_code == 302
    assert "/compte/login/" in response["Location"]
    assert client.post(url, details()).status_code == 302
    for name, (user, expected) in people.items():
        client.force_login(user)
        assert client.get(url).status_code == expected, name
        if expected == 403:
            assert client.post(url, details()).status_code == 403, name
    assert not OperatorBilling.objects.filter(operator=operator).exists()


def test_unknown_or_non_operator_organisation_is_404(client, programme_manager):
    client.force_login(programme_manager)
    employer = OperatorFactory(name="Pas un exploitant")  # has details from the factory...
    OperatorBilling.objects.filter(operator=employer).delete()  # ...and now none, and no telecentre
    assert client.get(url_of(employer)).status_code == 404
    assert client.get("/telecentres/gestion/exploitants/999999999/facturation/").status_code == 404
    assert client.get("/telecentres/gestion/exploitants/99999999999999999999/facturation/").status_code == 404


def test_page_prefills_a_new_operator_and_saves(client, programme_manager, operator):
    operator.siret = SIRET
    operator.save(update_fields=["siret"])
    client.force_login(programme_manager)
    page = client.get(url_of(operator))
    content = page.content.decode()
    assert "ne sont pas encore renseignées" in content
    assert f'value="{SIRET}"' in content
    assert 'value="SCIC Volcans Numériques"' in content
    assert f"Prochain numéro de facture : FAC-{timezone.localdate().year}-00001" in content
    response = client.post(url_of(operator), details(vat_exempt="on", vat_number=""), follow=True)
    assert response.redirect_chain == [(url_of(operator), 302)]
    assert "sont enregistrées" in response.content.decode()
    saved = OperatorBilling.objects.get(operator=operator)
    assert saved.vat_exempt
    assert saved.invoice_prefix == "VN"


def test_page_shows_service_errors_next_to_fields(client, programme_manager, operator):
    client.force_login(programme_manager)
    response = client.post(url_of(operator), details(siret="55210055400014", vat_number=OTHER_VAT))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Rien n’est envoyé" in content
    assert "clé de contrôle" in content
    assert 'href="#id_siret"' in content
    assert 'aria-invalid="true"' in content
    assert not OperatorBilling.objects.filter(operator=operator).exists()


def test_page_freezes_the_prefix_field_after_an_invoice(client, programme_manager, centre, operator):
    operator_billing_save(actor=programme_manager, operator=operator, **details())
    year, month, _member = billable_month(centre)
    billing.invoices_issue_month(actor=None, operator=operator, year=year, month=month)
    client.force_login(programme_manager)
    content = client.get(url_of(operator)).content.decode()
    assert "Figé" in content
    assert "disabled" in content
    assert f"Prochain numéro de facture : VN-{timezone.localdate().year}-00002" in content
    response = client.post(url_of(operator), details(invoice_prefix="HACK", payment_terms_days=20))
    assert response.status_code == 302  # the posted prefix is ignored (disabled field)
    saved = OperatorBilling.objects.get(operator=operator)
    assert (saved.invoice_prefix, saved.payment_terms_days) == ("VN", 20)


# --- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {},
        dict.fromkeys(details(), ""),
        dict.fromkeys(details(), "x" * 100000),
        dict.fromkeys(details(), "VN\x00"),
        details(payment_terms_days="9" * 5000),
        details(payment_terms_days="1e3"),
        details(payment_terms_days="30\x00"),
        details(siret="\x00" * 14),
        details(iban="FR76\x00"),
        details(address="\x00\n\x00"),
        details(vat_exempt="\x00"),
        details(legal_name="é" * 201),
    ],
)
def test_fuzz_the_form_never_500_and_saves_nothing(client, programme_manager, operator, data):
    client.force_login(programme_manager)
    response = client.post(url_of(operator), data)
    if data.get("vat_exempt") == "\x00":  # a checkbox: any value means checked, the rest is valid
        assert response.status_code == 302
        return
    assert response.status_code == 200
    assert "Rien n’est envoyé" in response.content.decode()
    assert not OperatorBilling.objects.filter(operator=operator).exists()


def test_double_submit_saves_once(client, programme_manager, operator):
    client.force_login(programme_manager)
    assert client.post(url_of(operator), details()).status_code == 302
    assert client.post(url_of(operator), details()).status_code == 302
    assert OperatorBilling.objects.filter(operator=operator).count() == 1
    assert JournalEntry.objects.filter(action__startswith="telework.operator_billing").count() == 1


# --- the links to the page -----------------------------------------------------------------------


def test_manage_telecentre_warns_and_links_when_details_are_missing(client, staff, centre, operator):
    client.force_login(staff(Role.TELECENTRE_MANAGER, centre.place))
    manage_url = reverse("telework:manage_telecentre", args=[centre.slug])
    content = client.get(manage_url).content.decode()
    assert "Mentions des factures de l’exploitant" in content
    assert "ne sont pas renseignées" in content
    assert url_of(operator) in content
    operator_billing_save(actor=staff(Role.PROGRAMME_MANAGER), operator=operator, **details())
    content = client.get(manage_url).content.decode()
    assert "ne sont pas renseignées" not in content
    assert "SIRET 55210055400013" in content
    assert "Modifier les mentions des factures" in content


def test_issue_page_points_to_the_missing_details(client, staff, centre, operator):
    manager = staff(Role.TELECENTRE_MANAGER, centre.place)
    client.force_login(manager)
    issue_url = reverse("telework:invoices_issue")
    assert url_of(operator) in client.get(issue_url).content.decode()  # listed before choosing
    year, month = last_month()
    response = client.post(issue_url, {"operator": operator.pk, "month": f"{year}-{month:02d}"})
    content = response.content.decode()
    assert response.status_code == 200
    assert "Mentions des factures" in content
    assert "ne sont pas renseignées" in content
    assert f'href="{url_of(operator)}"' in content
    assert not Invoice.objects.exists()


# --- the journey: a new operator, its details, its first month invoiced ----------------------------


def test_new_operator_filled_through_the_page_can_invoice_its_month(client, staff):
    programme = staff(Role.PROGRAMME_MANAGER)
    telecentre = network_services.telecentre_create(
        actor=programme, place=telecentre_place(), operator_name="SCIC Volcans Numériques", operator_siret=SIRET
    )
    telecentre.status = TelecentreStatus.OPEN
    telecentre.opens_on = timezone.localdate() - dt.timedelta(days=400)
    telecentre.save()
    operator = telecentre.operator
    year, month, member = billable_month(telecentre)
    with pytest.raises(ValidationError) as caught:
        billing.invoices_issue_month(actor=programme, operator=operator, year=year, month=month)
    assert caught.value.code == "no_billing_details"
    assert "« Mentions des factures »" in caught.value.messages[0]

    manager = staff(Role.TELECENTRE_MANAGER, telecentre.place)
    client.force_login(manager)
    response = client.post(url_of(operator), details(invoice_prefix="VN-MUR", payment_terms_days="15"))
    assert response.status_code == 302

    result = billing.invoices_issue_month(actor=manager, operator=operator, year=year, month=month)
    assert len(result.issued) == 1
    invoice = result.issued[0]
    assert invoice.number == f"VN-MUR-{invoice.issued_on.year}-00001"
    assert invoice.payer_user == member
    assert invoice.total_excl_tax == Decimal("18.00")
    assert invoice.seller["legal_name"] == "SCIC Volcans Numériques"
    assert invoice.seller["siret"] == SIRET
    assert invoice.seller["vat_number"] == VAT
    assert invoice.seller["iban"] == IBAN
    assert invoice.seller["payment_terms_days"] == 15
    assert invoice.due_on == invoice.issued_on + dt.timedelta(days=15)
