"""Pages of the mediators part, role by role; bad input; query counts; CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from cybercantal.accounts.models import Organisation, Role, RoleMembership, User
from cybercantal.mediation.models import HiringAid, HiringAidPayment, LabelKind, Mediator, PlaceLabel
from cybercantal.mediation.services import mediators as services
from cybercantal.places.models import Place
from cybercantal.places.tests.factories import grant

from .factories import MediatorFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def employer(db):
    return OrganisationFactory(name="Commune d'Ydes", kind=Organisation.Kind.COMMUNE)


@pytest.fixture
def aid(manager, mediator, employer):
    aid = services.hiring_aid_create(
        actor=manager,
        mediator=mediator,
        employer=employer,
        amount_per_year=D("15000"),
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2027, 12, 31),
        decided_on=dt.date(2024, 12, 10),
    )
    services.hiring_aid_payment_record(
        actor=manager, aid=aid, paid_on=dt.date(2025, 3, 3), amount=D("1234.56"), reference="M-2025-0042"
    )
    return aid


@pytest.fixture
def other_mediator(staff, other_epn):
    return MediatorFactory(user=staff(Role.MEDIATOR, other_epn))


@pytest.fixture
def people(staff, mediator, other_mediator, manager):
    return {
        "citizen": staff(Role.CITIZEN),
        "mediator": mediator.user,
        "other_mediator": other_mediator.user,
        "manager": manager,
        "administrator": staff(Role.ADMINISTRATOR),
    }


def _status(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url).status_code


# --- who may see what -----------------------------------------------------------------------------


def test_programme_pages_are_for_the_programme_team(client, people, aid, epn):
    urls = [
        reverse("mediation:mediator_list"),
        reverse("mediation:mediator_create"),
        reverse("mediation:mediator_edit", kwargs={"pk": aid.mediator.pk}),
        reverse("mediation:aid_create", kwargs={"pk": aid.mediator.pk}),
        reverse("mediation:aid_detail", kwargs={"pk": aid.pk}),
        reverse("mediation:aid_programme"),
        reverse("mediation:aid_programme_csv"),
        reverse("mediation:label_list"),
        reverse("mediation:label_add", kwargs={"slug": epn.slug}),
    ]
    expected = {"citizen": 403, "mediator": 403, "other_mediator": 403, "manager": 200, "administrator": 200}
    for url in urls:
        assert _status(client, None, url) == 302, url  # anonymous: to the sign-in page
        for who, status in expected.items():
            assert _status(client, people[who], url) == status, (who, url)


def test_a_mediator_sees_their_own_profile_only(client, people, mediator, other_mediator, aid):
    own = reverse("mediation:mediator_detail", kwargs={"pk": mediator.pk})
    other = reverse("mediation:mediator_detail", kwargs={"pk": other_mediator.pk})
    assert _status(client, None, own) == 302
    assert _status(client, people["citizen"], own) == 403
    assert _status(client, people["other_mediator"], own) == 403
    assert _status(client, people["mediator"], other) == 403
    assert _status(client, people["manager"], own) == 200

    client.force_login(mediator.user)
    response = client.get(own)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Mon profil de médiateur" in page
    assert "EPN du Pays Vert" in page
    assert "Aides à l’embauche" not in page  # the aid is the programme's business with the employer
    assert "Modifier le profil" not in page
    response = client.get(reverse("mediation:my_profile"))
    assert response.status_code == 200
    assert "EPN du Pays Vert" in response.content.decode()


def test_my_profile_needs_the_mediator_role(client, people, staff, epn):
    url = reverse("mediation:my_profile")
    assert _status(client, None, url) == 302
    assert _status(client, people["citizen"], url) == 403
    assert _status(client, people["manager"], url) == 403
    without_profile = staff(Role.MEDIATOR, epn)
    client.force_login(without_profile)
    response = client.get(url)
    assert response.status_code == 200
    assert "Votre profil de médiateur n’a pas encore été créé" in response.content.decode()


def test_posts_are_refused_to_mediators(client, mediator, aid, epn):
    client.force_login(mediator.user)
    posts = [
        (reverse("mediation:aid_payment", kwargs={"pk": aid.pk}), {"paid_on": "2025-05-01", "amount": "10"}),
        (reverse("mediation:aid_cancel", kwargs={"pk": aid.pk}), {}),
        (reverse("mediation:label_add", kwargs={"slug": epn.slug}), {"kind": "epn", "since": "2003-05-01"}),
        (reverse("mediation:mediator_create"), {"email": "x@example.fr", "first_name": "X", "last_name": "Y"}),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 403, url
    assert HiringAidPayment.objects.count() == 1
    assert not PlaceLabel.objects.exists()
    assert not User.objects.filter(email="x@example.fr").exists()


# --- mediators ------------------------------------------------------------------------------------


def test_mediator_list_shows_employer_epn_qualifications_and_aid(client, manager, aid):
    client.force_login(manager)
    page = client.get(reverse("mediation:mediator_list")).content.decode()
    assert aid.mediator.employer.name in page
    assert "EPN du Pays Vert" in page
    assert "Conseiller numérique" in page
    assert "15\u202f000,00\u00a0€ par an jusqu’au vendredi 31 décembre 2027" in page


def test_mediator_list_query_count_does_not_grow(client, manager, staff, epn, other_epn, django_assert_max_num_queries):
    employer = OrganisationFactory(kind=Organisation.Kind.ASSOCIATION)
    for _ in range(30):
        user = staff(Role.MEDIATOR, epn)
        grant(user, Role.MEDIATOR, other_epn)
        mediator = MediatorFactory(user=user, employer=employer)
        HiringAid.objects.create(
            mediator=mediator,
            employer=employer,
            amount_per_year=D("15000"),
            starts_on=dt.date(2024, 1, 1),
            ends_on=dt.date(2030, 12, 31),
            committed_amount=D("105000"),
        )
    client.force_login(manager)
    client.get(reverse("mediation:mediator_list"))  # warm the per-process caches (content types)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("mediation:mediator_list"))
    assert response.status_code == 200
    assert response.content.decode().count("EPN du Lioran, EPN du Pays Vert") == 25  # one page
    with django_assert_max_num_queries(12):
        assert client.get(reverse("mediation:mediator_list"), {"page": "2"}).status_code == 200


def test_create_a_mediator_through_the_form(client, manager, epn, employer):
    client.force_login(manager)
    url = reverse("mediation:mediator_create")
    response = client.post(
        url,
        {
            "email": "Paul.Vermenouze@example.fr",
            "first_name": "Paul",
            "last_name": "Vermenouze",
            "employer": employer.pk,
            "qualifications": ["conseiller_numerique", "pix"],
            "started_on": "2025-09-01",
            "places": [epn.pk],
        },
    )
    mediator = Mediator.objects.get(user__email="paul.vermenouze@example.fr")
    assert response.status_code == 302
    assert response["Location"] == reverse("mediation:mediator_detail", kwargs={"pk": mediator.pk})
    assert mediator.employer == employer
    assert RoleMembership.objects.filter(user=mediator.user, role=Role.MEDIATOR, scope_id=epn.pk).exists()


def test_create_form_bad_input_saves_nothing(client, manager, epn, staff):
    client.force_login(manager)
    url = reverse("mediation:mediator_create")
    response = client.post(url, {"email": "pas-une-adresse", "started_on": "31/02/2025", "places": ["999999"]})
    page = response.content.decode()
    assert response.status_code == 400
    assert (
        "Cette adresse électronique n’est pas valide." in page
        or "Cette adresse électronique n&#x27;est pas valide." in page
    )
    assert "Indiquez une date valide (jj/mm/aaaa)." in page
    assert "Choisissez des EPN de la liste." in page
    assert 'aria-invalid="true"' in page
    # A new person without names: the service's French messages land next to the fields.
    response = client.post(url, {"email": "nouvelle@example.fr"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Indiquez le prénom." in page
    assert "Indiquez le nom." in page
    assert not Mediator.objects.exists()
    assert not User.objects.filter(email="nouvelle@example.fr").exists()


def test_edit_profile_and_epn(client, manager, mediator, epn, other_epn, employer):
    RoleMembership.objects.filter(user_id=mediator.user_id).update(starts_on=dt.date(2025, 1, 1))
    client.force_login(manager)
    url = reverse("mediation:mediator_edit", kwargs={"pk": mediator.pk})
    assert client.get(url).context["form"].initial["places"] == [epn]
    response = client.post(
        url,
        {
            "employer": employer.pk,
            "qualifications": ["pix"],
            "professional_phone": "04 71 40 00 00",
            "places": [other_epn.pk],
        },
    )
    assert response.status_code == 302
    mediator.refresh_from_db()
    assert mediator.qualifications == ["pix"]
    assert mediator.employer == employer
    page = client.get(reverse("mediation:mediator_detail", kwargs={"pk": mediator.pk})).content.decode()
    assert "EPN du Lioran" in page
    assert "Historique des rattachements" in page


# --- hiring aid -------------------------------------------------------------------------------------


def test_aid_create_form(client, manager, mediator, employer):
    client.force_login(manager)
    url = reverse("mediation:aid_create", kwargs={"pk": mediator.pk})
    response = client.post(
        url,
        {"employer": employer.pk, "amount_per_year": "10000", "starts_on": "2025-01-01", "ends_on": "2025-07-31"},
    )
    aid = HiringAid.objects.get(mediator=mediator)
    assert response.status_code == 302
    assert aid.committed_amount == D("5833.33")
    page = client.get(response["Location"]).content.decode()
    assert "5\u202f833,33\u00a0€" in page
    assert "mercredi 1 janvier 2025" in page


def test_aid_create_bad_input(client, manager, mediator, employer):
    client.force_login(manager)
    url = reverse("mediation:aid_create", kwargs={"pk": mediator.pk})
    response = client.post(
        url,
        {
            "employer": employer.pk,
            "amount_per_year": "quinze mille",
            "starts_on": "2025-05-01",
            "ends_on": "2025-04-01",
        },
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Indiquez un montant en euros, par exemple 15000 ou 1250,50." in page
    assert "La fin doit être postérieure ou égale au début." in page
    response = client.post(
        url, {"employer": employer.pk, "amount_per_year": "15000", "starts_on": "2025-05-01", "ends_on": "2025-05-10"}
    )
    assert response.status_code == 400
    assert "La période doit couvrir au moins un mois entier." in response.content.decode()
    assert not HiringAid.objects.exists()


def test_payment_with_french_decimal_and_refusal_above_remaining(client, manager, aid):
    client.force_login(manager)
    url = reverse("mediation:aid_payment", kwargs={"pk": aid.pk})
    response = client.post(url, {"paid_on": "2025-06-02", "amount": "1000,44", "reference": "M-2025-0100"})
    assert response.status_code == 302
    assert HiringAidPayment.objects.filter(aid=aid, amount=D("1000.44")).exists()
    response = client.post(url, {"paid_on": "2025-07-01", "amount": "50000"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Ce versement dépasserait le montant engagé : il reste 42\u202f765,00\u00a0€ à verser." in page
    assert HiringAidPayment.objects.filter(aid=aid).count() == 2
    detail = client.get(reverse("mediation:aid_detail", kwargs={"pk": aid.pk})).content.decode()
    assert "lundi 3 mars 2025" in detail
    assert "1\u202f234,56\u00a0€" in detail
    assert "M-2025-0042" in detail


def test_aid_end_and_cancel(client, manager, aid, mediator, employer):
    client.force_login(manager)
    response = client.post(reverse("mediation:aid_end", kwargs={"pk": aid.pk}), {"end-on": "2025-12-31"})
    assert response.status_code == 302
    aid.refresh_from_db()
    assert (aid.status, aid.committed_amount) == ("ended", D("15000.00"))
    response = client.post(reverse("mediation:aid_cancel", kwargs={"pk": aid.pk}))
    assert response.status_code == 400
    assert "mettez fin à l" in response.content.decode()
    other = services.hiring_aid_create(
        actor=manager,
        mediator=mediator,
        employer=employer,
        amount_per_year=D("9000"),
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 12, 31),
    )
    assert client.post(reverse("mediation:aid_cancel", kwargs={"pk": other.pk})).status_code == 302
    other.refresh_from_db()
    assert other.status == "cancelled"


def test_programme_view_and_csv(client, manager, aid, django_assert_max_num_queries):
    client.force_login(manager)
    client.get(reverse("mediation:aid_programme"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("mediation:aid_programme"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "45\u202f000,00\u00a0€" in page  # committed over three years
    assert "1\u202f234,56\u00a0€" in page  # paid
    assert "43\u202f765,44\u00a0€" in page  # remaining
    assert "<caption>Engagé, versé et reste à verser par année</caption>" in page
    assert '<th scope="row">2026</th>' in page

    response = client.get(reverse("mediation:aid_programme_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:2] == ["Médiateur", "Employeur"]
    assert rows[1][1] == "Commune d'Ydes"
    assert rows[1][6:] == ["45000,00", "1234,56", "43765,44"]
    assert rows[-1][0] == "Total"


# --- labels -----------------------------------------------------------------------------------------


def test_label_pages(client, manager, epn, django_assert_max_num_queries):
    client.force_login(manager)
    add_url = reverse("mediation:label_add", kwargs={"slug": epn.slug})
    response = client.post(add_url, {"kind": LabelKind.EPN, "since": "2003-05-01", "reference": "EPN-15-007"})
    assert response.status_code == 302
    response = client.post(add_url, {"kind": LabelKind.OTHER, "since": "2003-05-01"})
    assert response.status_code == 400
    assert "Indiquez le nom de ce label." in response.content.decode()
    response = client.post(add_url, {"kind": LabelKind.EPN, "since": "2004-01-01"})
    assert response.status_code == 400
    assert "mettez fin au précédent" in response.content.decode()
    client.get(reverse("mediation:label_list"))
    with django_assert_max_num_queries(8):
        page = client.get(reverse("mediation:label_list")).content.decode()
    assert "EPN du Pays Vert" in page
    assert "depuis le jeudi 1 mai 2003" in page

    label = PlaceLabel.objects.get(place=epn)
    end_url = reverse("mediation:label_end", kwargs={"pk": label.pk})
    response = client.post(end_url, {"on": "2002-01-01"})
    assert response.status_code == 400
    assert "La fin ne peut pas précéder le début du label (01/05/2003)." in response.content.decode()
    assert client.post(end_url, {"on": "2020-12-31"}).status_code == 302
    label.refresh_from_db()
    assert label.until == dt.date(2020, 12, 31)
    assert "Label EPN" not in Place.objects.get(pk=epn.pk).autres_formations_labels
    assert client.post(reverse("mediation:label_remove", kwargs={"pk": label.pk})).status_code == 302
    assert not PlaceLabel.objects.exists()


def test_label_list_query_count_does_not_grow(client, manager, django_assert_max_num_queries):
    from cybercantal.places.tests.factories import PlaceFactory

    for number in range(30):
        place = PlaceFactory(name=f"EPN numéro {number}")
        PlaceLabel.objects.create(place=place, kind=LabelKind.EPN, since=dt.date(2003, 1, 1))
        PlaceLabel.objects.create(place=place, kind=LabelKind.NETPUBLIC, since=dt.date(2005, 1, 1))
    client.force_login(manager)
    client.get(reverse("mediation:label_list"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("mediation:label_list"))
    assert response.status_code == 200
    assert response.content.decode().count("Charte NetPublic :") == 25


def test_programme_csv_quotes_a_name_that_looks_like_a_formula(client, manager, aid, mediator, employer):
    User.objects.filter(pk=mediator.user_id).update(first_name='=HYPERLINK("http://x")', last_name="")
    Organisation.objects.filter(pk=employer.pk).update(name="+33 Mairie")
    client.force_login(manager)
    text = b"".join(client.get(reverse("mediation:aid_programme_csv")).streaming_content).decode("utf-8")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[1][:2] == ['\'=HYPERLINK("http://x")', "'+33 Mairie"]
    assert rows[1][6:] == ["45000,00", "1234,56", "43765,44"]  # amounts stay numbers
