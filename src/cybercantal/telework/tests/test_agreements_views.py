"""The agreements' pages, per role: the programme team, a telecentre manager (read-only, their
telecentres only), the employer's manager and the manager of ANOTHER employer, a teleworker,
anonymous people; forms with bad input, double submits, query counts, the CSV import."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role

from ..models import AgreementEmployee, AgreementStatus, BookingStatus, EmployerAgreement, Membership
from .factories import (
    AgreementFactory,
    EmployeeFactory,
    MembershipFactory,
    ResourceFactory,
    TelecentreFactory,
    UserFactory,
    next_weekday,
)
from .factories_agreements import agreement_in_force, book_day, employer_with_manager, joined_employee


@pytest.fixture
def setup(telecentre):
    return agreement_in_force(telecentre)


@pytest.fixture
def other_employer_manager(db):
    return employer_with_manager("Concurrent SA")[1]


def signed_in(client, user):
    client.force_login(user)
    return client


def agreement_urls(agreement, employee=None):
    pk = agreement.pk
    urls = [
        reverse("telework:agreement_detail", args=[pk]),
        reverse("telework:employer_agreement", args=[pk]),
        reverse("telework:employee_add", args=[pk]),
        reverse("telework:employer_employee_add", args=[pk]),
        reverse("telework:employees_import", args=[pk]),
        reverse("telework:employer_employees_import", args=[pk]),
    ]
    if employee is not None:
        urls += [
            reverse("telework:employee_remove", args=[pk, employee.pk]),
            reverse("telework:employer_employee_remove", args=[pk, employee.pk]),
        ]
    return urls


# --- access, per role -------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in(client, setup):
    employee = EmployeeFactory(agreement=setup.agreement)
    urls = [
        reverse("telework:agreement_list"),
        reverse("telework:agreement_create"),
        reverse("telework:agreement_edit", args=[setup.agreement.pk]),
        reverse("telework:employer_home"),
        reverse("telework:join"),
        reverse("telework:join_confirm", args=[employee.pk]),
        *agreement_urls(setup.agreement, employee),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/compte/" in response["Location"] or "login" in response["Location"], url


def test_the_programme_team_sees_everything(client, programme_manager, setup):
    employee = EmployeeFactory(agreement=setup.agreement)
    signed_in(client, programme_manager)
    for url in [
        reverse("telework:agreement_list"),
        reverse("telework:agreement_create"),
        reverse("telework:agreement_edit", args=[setup.agreement.pk]),
        *agreement_urls(setup.agreement, employee),
    ]:
        assert client.get(url).status_code == 200, url


def test_the_employer_manager_sees_their_space_but_not_the_programme_pages(client, setup):
    employee = EmployeeFactory(agreement=setup.agreement)
    signed_in(client, setup.employer_manager)
    for url in [reverse("telework:employer_home"), *agreement_urls(setup.agreement, employee)]:
        assert client.get(url).status_code == 200, url
    for url in [
        reverse("telework:agreement_list"),
        reverse("telework:agreement_create"),
        reverse("telework:agreement_edit", args=[setup.agreement.pk]),
    ]:
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("telework:agreement_activate", args=[setup.agreement.pk]), {"signed_on": "2026-01-01"}
    )
    assert response.status_code == 403


def test_the_manager_of_another_employer_sees_nothing_of_it(client, setup, other_employer_manager):
    employee = EmployeeFactory(agreement=setup.agreement)
    signed_in(client, other_employer_manager)
    for url in agreement_urls(setup.agreement, employee):
        assert client.get(url).status_code in (403, 404), url
    response = client.post(
        reverse("telework:employer_employee_add", args=[setup.agreement.pk]),
        {"first_name": "Intrus", "last_name": "X", "email": "intrus@ex.org"},
    )
    assert response.status_code == 403
    response = client.post(reverse("telework:employer_employee_remove", args=[setup.agreement.pk, employee.pk]))
    assert response.status_code == 403
    employee.refresh_from_db()
    assert employee.removed_on is None
    assert AgreementEmployee.objects.count() == 1
    home = client.get(reverse("telework:employer_home"))
    assert home.status_code == 200
    assert setup.agreement.reference not in home.text


def test_a_telecentre_manager_reads_the_agreements_of_their_telecentres_only(client, manager, setup):
    elsewhere = AgreementFactory(telecentres=[TelecentreFactory()])
    employee = EmployeeFactory(agreement=setup.agreement)
    signed_in(client, manager)
    listing = client.get(reverse("telework:agreement_list"))
    assert listing.status_code == 200
    assert setup.agreement.reference in listing.text
    assert elsewhere.reference not in listing.text
    assert "Nouvelle convention" not in listing.text
    detail = client.get(reverse("telework:agreement_detail", args=[setup.agreement.pk]))
    assert detail.status_code == 200
    assert "Lecture seule" in detail.text
    assert "Ajouter le salarié" not in detail.text
    assert client.get(reverse("telework:agreement_detail", args=[elsewhere.pk])).status_code == 403
    assert client.get(reverse("telework:employee_add", args=[setup.agreement.pk])).status_code == 403
    assert client.post(reverse("telework:employee_remove", args=[setup.agreement.pk, employee.pk])).status_code == 403
    assert client.get(reverse("telework:agreement_create")).status_code == 403


def test_a_teleworker_gets_403_on_every_management_page(client, setup, staff):
    signed_in(client, staff(Role.TELEWORKER))
    for url in [
        reverse("telework:agreement_list"),
        reverse("telework:agreement_create"),
        reverse("telework:employer_home"),
        *agreement_urls(setup.agreement),
    ]:
        assert client.get(url).status_code == 403, url


def test_unknown_agreements_and_employees_are_404(client, programme_manager, setup):
    signed_in(client, programme_manager)
    assert client.get(reverse("telework:agreement_detail", args=[999999])).status_code == 404
    other = EmployeeFactory(agreement=AgreementFactory())
    assert client.get(reverse("telework:employee_remove", args=[setup.agreement.pk, other.pk])).status_code == 404


# --- the programme team's forms ----------------------------------------------------------------------


def creation_data(telecentre, **overrides):
    data = {
        "employer": "",
        "employer_name": "Mutuelle Atlantique Services",
        "employer_siret": "442 116 703 00012",
        "telecentres": [telecentre.pk],
        "starts_on": timezone.localdate().isoformat(),
        "ends_on": "",
        "days_per_week": "2",
        "day_price_excl_tax": "16,00 €",
        "monthly_fee_excl_tax": "0",
        "vat_rate": "20",
        "billing_address": "12 quai de la Fosse\n44000 Nantes",
        "notes": "",
        "submission": "jeton-1",
    }
    data.update(overrides)
    return data


def test_the_programme_team_creates_signs_and_ends_an_agreement(client, programme_manager, telecentre):
    signed_in(client, programme_manager)
    month_ago = (timezone.localdate() - dt.timedelta(days=30)).isoformat()
    response = client.post(reverse("telework:agreement_create"), creation_data(telecentre, starts_on=month_ago))
    agreement = EmployerAgreement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("telework:agreement_detail", args=[agreement.pk])
    assert agreement.employer.siret == "44211670300012"
    assert agreement.day_price_excl_tax == Decimal("16.00")
    # The same form sent again (double click): still one agreement.
    again = client.post(reverse("telework:agreement_create"), creation_data(telecentre, starts_on=month_ago))
    assert again.status_code == 302
    assert EmployerAgreement.objects.count() == 1
    page = client.get(response["Location"])
    assert "En préparation" in page.text
    assert agreement.reference in page.text
    # Signature.
    bad = client.post(reverse("telework:agreement_activate", args=[agreement.pk]), {"signed_on": "pas une date"})
    assert bad.status_code == 400
    assert "Indiquez une date valide" in bad.text
    client.post(
        reverse("telework:agreement_activate", args=[agreement.pk]), {"signed_on": timezone.localdate().isoformat()}
    )
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ACTIVE
    # Edit.
    edit = client.get(reverse("telework:agreement_edit", args=[agreement.pk]))
    assert edit.status_code == 200
    assert 'name="employer"' not in edit.text
    client.post(
        reverse("telework:agreement_edit", args=[agreement.pk]),
        {**creation_data(telecentre, starts_on=month_ago), "days_per_week": "3", "notes": "Avenant n° 1"},
    )
    agreement.refresh_from_db()
    assert agreement.days_per_week == 3
    assert agreement.notes == "Avenant n° 1"
    # End.
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    client.post(reverse("telework:agreement_end", args=[agreement.pk]), {"ends_on": yesterday.isoformat()})
    agreement.refresh_from_db()
    assert agreement.status == AgreementStatus.ENDED


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"employer_name": "", "employer_siret": ""}, "Choisissez l&#x27;employeur"),
        ({"employer_siret": "442 116 703 00013"}, "clé de contrôle"),
        ({"telecentres": []}, "Choisissez au moins un télécentre."),
        ({"starts_on": "31/02/2026"}, "Indiquez une date valide"),
        ({"days_per_week": "7"}, "Sélectionnez un choix valide"),
        ({"day_price_excl_tax": "seize"}, "Indiquez un nombre"),
        ({"day_price_excl_tax": "1" * 50}, "Indiquez un nombre"),
        ({"day_price_excl_tax": "-3"}, "supérieure ou égale à 0"),
        ({"vat_rate": "55"}, "inférieure ou égale à 30"),
        ({"telecentres": ["999999999999999999999999"]}, "Sélectionnez un choix valide"),
        ({"employer": "\x00"}, "Sélectionnez un choix valide"),
        ({"notes": "x" * 6000}, "5000 caractères"),
    ],
)
def test_bad_agreement_input_gets_a_french_message_and_saves_nothing(
    client, programme_manager, telecentre, overrides, message
):
    signed_in(client, programme_manager)
    response = client.post(reverse("telework:agreement_create"), creation_data(telecentre, **overrides))
    assert response.status_code == 200
    assert message in response.text
    assert 'role="alert"' in response.text
    assert not EmployerAgreement.objects.exists()


def test_the_list_filters_and_paginates(client, programme_manager, telecentre, django_assert_max_num_queries):
    employer, _manager = employer_with_manager("Fromagerie Filtrée")
    AgreementFactory(employer=employer, telecentres=[telecentre], reference="CONV-2026-900")
    for n in range(35):
        AgreementFactory(telecentres=[telecentre, TelecentreFactory()], reference=f"CONV-2025-{n:03d}")
    AgreementFactory(status=AgreementStatus.DRAFT, signed_on=None, reference="CONV-2026-901")
    signed_in(client, programme_manager)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("telework:agreement_list"))
    assert response.status_code == 200
    assert "37 conventions" in response.text
    assert "Page 1 sur 2" in response.text
    page2 = client.get(reverse("telework:agreement_list"), {"page": 2, "statut": "active"})
    assert "36 conventions" in page2.text
    assert "statut=active&amp;page=1" in page2.text
    assert "CONV-2026-901" in client.get(reverse("telework:agreement_list"), {"statut": "draft"}).text
    only = client.get(reverse("telework:agreement_list"), {"employeur": employer.pk})
    assert "1 convention" in only.text
    assert "CONV-2026-900" in only.text
    assert "CONV-2026-900" in client.get(reverse("telework:agreement_list"), {"q": "filtrée"}).text


@pytest.mark.parametrize(
    "params",
    [
        {"page": "x" * 500},
        {"page": "-1"},
        {"telecentre": "99999999999999999999999"},
        {"employeur": "\x00"},
        {"statut": "n'importe"},
        {"q": "é" * 500},
    ],
)
def test_junk_filters_never_break_the_list(client, programme_manager, setup, params):
    signed_in(client, programme_manager)
    assert client.get(reverse("telework:agreement_list"), params).status_code == 200


# --- employees, in the employer's space ---------------------------------------------------------------


def test_the_employer_adds_and_removes_an_employee(
    client, setup, telecentre, pool, django_capture_on_commit_callbacks, mailoutbox
):
    signed_in(client, setup.employer_manager)
    url = reverse("telework:employer_employee_add", args=[setup.agreement.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"first_name": "Claire", "last_name": "Vidal", "email": "Claire.Vidal@Laiterie.fr"})
    assert response.status_code == 302
    assert response["Location"] == reverse("telework:employer_agreement", args=[setup.agreement.pk])
    assert mailoutbox[0].to == ["claire.vidal@laiterie.fr"]
    duplicate = client.post(url, {"first_name": "Claire", "last_name": "Vidal", "email": "claire.vidal@laiterie.fr"})
    assert duplicate.status_code == 400
    assert "déjà celle d&#x27;un salarié" in duplicate.text
    assert 'aria-describedby="id_email_helptext id_email_error"' in duplicate.text
    empty = client.post(url, {"first_name": "", "last_name": "", "email": ""})
    assert empty.status_code == 400
    assert "Indiquez le prénom." in empty.text
    # Joined, with a booking next week; the removal cancels it.
    employee = AgreementEmployee.objects.get()
    user = UserFactory(email="claire.vidal@laiterie.fr")
    from ..services.agreements import agreement_join

    agreement_join(actor=user, employee=employee, telecentre=telecentre)
    booking = book_day(user, pool, next_weekday(2, weeks=1))
    page = client.get(reverse("telework:employer_agreement", args=[setup.agreement.pk]))
    assert "A rejoint le" in page.text
    assert telecentre.place.name in page.text
    remove_url = reverse("telework:employer_employee_remove", args=[setup.agreement.pk, employee.pk])
    confirm = client.get(remove_url)
    assert "Sa réservation à venir est annulée." in confirm.text
    done = client.post(remove_url, follow=True)
    assert "1 réservations à venir sont annulées" in done.text or "réservations à venir sont annulées" in done.text
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert client.post(remove_url).status_code == 302  # twice: nothing more happens
    # Re-add.
    readd = client.post(
        reverse("telework:employer_employee_readd", args=[setup.agreement.pk, employee.pk]), follow=True
    )
    assert "est de nouveau salarié" in readd.text
    assert AgreementEmployee.objects.filter(removed_on__isnull=True).count() == 1


def test_the_employer_page_shows_no_private_detail(client, setup, telecentre, pool):
    employee, _membership = joined_employee(setup.agreement, telecentre)
    MembershipFactory(member=employee.user)  # an own membership elsewhere: not the employer's business
    booking = book_day(employee.user, pool, next_weekday(1))
    signed_in(client, setup.employer_manager)
    page = client.get(reverse("telework:employer_agreement", args=[setup.agreement.pk])).text
    assert employee.email in page
    assert timezone.localtime(booking.starts_at).strftime("%H:%M") not in page
    assert " h " not in page.replace("&nbsp;", " ")
    assert "Carnet" not in page
    assert "trajet" not in page.lower()
    assert "Notes internes" not in page


def test_the_employer_page_counts_its_queries(client, setup, telecentre, django_assert_max_num_queries):
    pool = ResourceFactory(telecentre=telecentre, capacity=20)
    for _ in range(8):
        employee, _membership = joined_employee(setup.agreement, telecentre)
        book_day(employee.user, pool, next_weekday(1))
    EmployeeFactory.create_batch(5, agreement=setup.agreement)
    signed_in(client, setup.employer_manager)
    with django_assert_max_num_queries(16):
        response = client.get(reverse("telework:employer_agreement", args=[setup.agreement.pk]))
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(reverse("telework:employer_home")).status_code == 200


# --- the CSV import -------------------------------------------------------------------------------------


def test_a_pasted_list_adds_everyone(client, setup):
    signed_in(client, setup.employer_manager)
    url = reverse("telework:employer_employees_import", args=[setup.agreement.pk])
    text = "prénom;nom;email\nClaire;Vidal;claire@ex.org\n\nÉric;Bonnet;eric@ex.org\n"
    response = client.post(url, {"text": text})
    assert response.status_code == 302
    assert sorted(AgreementEmployee.objects.values_list("email", flat=True)) == ["claire@ex.org", "eric@ex.org"]


def test_a_latin1_csv_file_from_excel_is_read(client, setup):
    from django.core.files.uploadedfile import SimpleUploadedFile

    signed_in(client, setup.employer_manager)
    content = "Prénom;Nom;Email\r\nHélène;Fabre;helene@ex.org\r\nJérôme;Crozet;jerome@ex.org\r\n".encode("cp1252")
    upload = SimpleUploadedFile("salaries.csv", content, content_type="text/csv")
    response = client.post(reverse("telework:employer_employees_import", args=[setup.agreement.pk]), {"file": upload})
    assert response.status_code == 302
    assert sorted(AgreementEmployee.objects.values_list("first_name", flat=True)) == ["Hélène", "Jérôme"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Claire;Vidal;claire@ex.org\nÉric;Bonnet\n", "Ligne 2 : 3 colonnes attendues"),
        ("Claire;Vidal;claire@ex.org\n;Bonnet;eric@ex.org\n", "Ligne 2 : Indiquez le prénom."),
        ("Claire;Vidal;pas-une-adresse\n", "Ligne 1 : Cette adresse électronique n&#x27;est pas valide"),
        ("Claire;Vidal;c@ex.org\nClaire;Vidal;C@ex.org\n", "Ligne 2 : c@ex.org figure déjà ligne 1."),
        ("", "Collez la liste ou choisissez un fichier."),
        ("prénom;nom;email\n", "Aucun salarié dans cette liste"),
    ],
)
def test_a_wrong_list_adds_nobody_and_says_which_line(client, setup, text, message):
    signed_in(client, setup.employer_manager)
    response = client.post(reverse("telework:employer_employees_import", args=[setup.agreement.pk]), {"text": text})
    assert response.status_code == 400
    assert message in response.text
    assert not AgreementEmployee.objects.exists()


def test_a_binary_file_is_refused(client, setup):
    from django.core.files.uploadedfile import SimpleUploadedFile

    signed_in(client, setup.employer_manager)
    upload = SimpleUploadedFile("photo.csv", b"\x89PNG\r\n\x00\x00binary", content_type="text/csv")
    response = client.post(reverse("telework:employer_employees_import", args=[setup.agreement.pk]), {"file": upload})
    assert response.status_code == 400
    assert "pas un fichier texte CSV" in response.text
    assert not AgreementEmployee.objects.exists()


# --- joining -----------------------------------------------------------------------------------------------


def test_joining_through_the_pages(client, telecentre):
    other = TelecentreFactory()
    setup = agreement_in_force(telecentre, other)
    user = UserFactory()
    employee = EmployeeFactory(agreement=setup.agreement, email=user.email)
    signed_in(client, user)
    page = client.get(reverse("telework:join"))
    assert setup.employer.name in page.text
    assert telecentre.place.name in page.text
    confirm_url = reverse("telework:join_confirm", args=[employee.pk])
    form = client.get(confirm_url)
    assert form.status_code == 200
    assert "Dans quel télécentre" in form.text
    missing = client.post(confirm_url, {})
    assert missing.status_code == 400
    assert "Choisissez le télécentre" in missing.text
    outside = client.post(confirm_url, {"telecentre": TelecentreFactory().pk})
    assert outside.status_code == 400
    done = client.post(confirm_url, {"telecentre": telecentre.pk})
    assert done.status_code == 302
    assert Membership.objects.get(member=user).agreement == setup.agreement
    # Double submit: the membership stays one.
    client.post(confirm_url, {"telecentre": telecentre.pk})
    assert Membership.objects.filter(member=user).count() == 1
    mine = client.get(reverse("telework:join"))
    assert "Ajouter un télécentre" in mine.text


def test_an_unverified_address_is_explained(client, setup):
    user = UserFactory(verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    employee = EmployeeFactory(agreement=setup.agreement, email=user.email)
    signed_in(client, user)
    page = client.get(reverse("telework:join"))
    assert "pas encore vérifiée" in page.text
    assert reverse("account_email") in page.text
    assert client.get(reverse("telework:join_confirm", args=[employee.pk])).status_code == 404
    assert client.post(reverse("telework:join_confirm", args=[employee.pk]), {"telecentre": 1}).status_code == 404
    assert not Membership.objects.exists()


def test_an_own_membership_is_explained_and_ended_only_on_request(client, telecentre, member):
    setup = agreement_in_force(telecentre)
    employee = EmployeeFactory(agreement=setup.agreement, email=member.email)
    signed_in(client, member)
    url = reverse("telework:join_confirm", args=[employee.pk])
    page = client.get(url)
    assert "Vous avez déjà une adhésion en cours" in page.text
    refused = client.post(url, {"telecentre": telecentre.pk})
    assert refused.status_code == 400
    assert "doit prendre fin" in refused.text
    assert Membership.objects.filter(member=member, ends_on__isnull=True).get().plan is not None
    client.post(url, {"telecentre": telecentre.pk, "end_existing": "on"})
    assert Membership.objects.get(member=member, ends_on__isnull=True).agreement == setup.agreement


def test_nobody_opens_someone_elses_invitation(client, setup):
    employee = EmployeeFactory(agreement=setup.agreement)
    signed_in(client, UserFactory())
    assert client.get(reverse("telework:join_confirm", args=[employee.pk])).status_code == 404
    assert "Aucune invitation ne vous attend" in client.get(reverse("telework:join")).text


def test_join_page_query_count(client, telecentre, django_assert_max_num_queries):
    user = UserFactory()
    for _ in range(4):
        setup = agreement_in_force(telecentre, TelecentreFactory())
        EmployeeFactory(agreement=setup.agreement, email=user.email)
    signed_in(client, user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("telework:join"))
    assert response.status_code == 200
    assert response.text.count("Rejoindre<span") == 4


def test_agreement_detail_lists_usage_and_invoices_link(client, programme_manager, setup, telecentre, pool):
    employee, _membership = joined_employee(setup.agreement, telecentre)
    book_day(employee.user, pool, next_weekday(1))
    signed_in(client, programme_manager)
    page = client.get(reverse("telework:agreement_detail", args=[setup.agreement.pk])).text
    assert "Jours utilisés par salarié et par mois" in page
    assert "Plafond par salarié" in page
    assert '<td class="num">1</td>' in page
    assert "Aucune facture émise" in page


def test_another_organisation_kind_is_not_offered_as_employer(client, programme_manager, telecentre):
    Organisation.objects.create(name="Collège des Volcans", slug="college-volcans", kind=Organisation.Kind.SCHOOL)
    employer_with_manager("Laiterie offerte")
    signed_in(client, programme_manager)
    page = client.get(reverse("telework:agreement_create")).text
    assert "Laiterie offerte" in page
    assert "Collège des Volcans" not in page


NASTY = [
    "",
    " ",
    "\x00",
    "a" * 10_000,
    "<script>alert(1)</script>",
    "'; DROP TABLE telework_agreementemployee; --",
    "é" * 300,
    "\u202e\ufeff",
    "9" * 40,
    "@",
    "a@b",
    "😀@😀.fr",
]


@pytest.mark.parametrize("value", NASTY)
def test_fuzzing_the_employee_forms_never_gives_a_500(client, setup, value):
    signed_in(client, setup.employer_manager)
    pk = setup.agreement.pk
    for data in (
        {"first_name": value, "last_name": "Vidal", "email": "claire@ex.org"},
        {"first_name": "Claire", "last_name": value, "email": "claire2@ex.org"},
        {"first_name": "Claire", "last_name": "Vidal", "email": value},
    ):
        response = client.post(reverse("telework:employer_employee_add", args=[pk]), data)
        assert response.status_code in (302, 400), data
    response = client.post(reverse("telework:employer_employees_import", args=[pk]), {"text": value})
    assert response.status_code in (302, 400)
    assert "<script>alert(1)</script>" not in response.text
    for employee in AgreementEmployee.objects.all():
        assert "\x00" not in employee.first_name + employee.last_name + employee.email
        assert len(employee.first_name) <= 100
