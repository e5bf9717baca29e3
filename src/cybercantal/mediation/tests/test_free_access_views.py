"""Free-access pages: public booking without an account, staff pages per role, bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.mediation.models import ComputerBooking, FreeAccessVisit, PublicComputer
from cybercantal.places.tests.factories import PlaceFactory

from .factories import MediatorFactory, PublicComputerFactory
from .factories_free_access import at, bookable_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def poste1(epn):
    return PublicComputerFactory(place=epn, label="Poste 1", features="Grand écran")


@pytest.fixture
def poste2(epn):
    return PublicComputerFactory(place=epn, label="Poste 2")


@pytest.fixture
def other_mediator(staff, other_epn):
    user = staff(Role.MEDIATOR, other_epn)
    MediatorFactory(user=user)
    return user


@pytest.fixture
def citizen(staff):
    return staff(Role.CITIZEN)


def day_url(place, day=None):
    url = reverse("mediation:free_access_day", kwargs={"slug": place.slug})
    return f"{url}?date={day:%Y-%m-%d}" if day else url


def book_url(place):
    return reverse("mediation:free_access_book", kwargs={"slug": place.slug})


def slot_data(computer, day, start="14:00", minutes=60, **extra):
    return {"computer": computer.pk, "day": f"{day:%Y-%m-%d}", "start": start, "minutes": minutes} | extra


# --- public pages ------------------------------------------------------------------------------


def test_list_of_places_by_canton(client, poste1, other_epn):
    PublicComputerFactory(place=other_epn, label="Poste A", is_active=False)  # not bookable: not listed
    response = client.get(reverse("mediation:free_access_places"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "EPN du Pays Vert" in html
    assert "EPN du Lioran" not in html
    assert f"Canton de {poste1.place.canton.name}" in html


def test_list_filtered_by_unknown_canton_says_so(client, poste1):
    response = client.get(reverse("mediation:free_access_places"), {"canton": "nulle-part"})
    assert response.status_code == 200
    assert "Aucun lieu de ce canton" in response.content.decode()


def test_day_grid_is_an_accessible_table(client, poste1, poste2):
    day = bookable_day()
    response = client.get(day_url(poste1.place, day))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<caption>" in html
    assert '<th scope="col">Poste 2</th>' in html
    assert '<th scope="row">14:00 – 15:00</th>' in html
    assert 'aria-label="Réserver le Poste 2 de 14:00 à 15:00"' in html
    assert "Jour suivant" in html


def test_day_grid_query_count(client, poste1, poste2, django_assert_max_num_queries):
    day = bookable_day()
    for index in range(6):
        PublicComputerFactory(place=poste1.place, label=f"Poste {index + 10}")
    ComputerBooking.objects.create(
        computer=poste1, starts_at=at(day, "09:00"), ends_at=at(day, "10:00"), name="A", email="a@example.fr"
    )
    with django_assert_max_num_queries(4):  # place, computers, bookings (+ session)
        response = client.get(day_url(poste1.place, day))
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("demain", "Date illisible"),
        ("2026-02-30", "Date illisible"),
        ("1999-01-01", "Ce jour est passé"),
        ("2999-01-01", "30 jours à l'avance"),
        ("x" * 5000, "Date illisible"),
    ],
)
def test_day_grid_bad_dates_get_a_french_message(client, poste1, value, message):
    response = client.get(day_url(poste1.place), {"date": value})
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'")


def test_closed_day_points_to_the_next_open_day(client, poste1):
    day = timezone.localdate() + dt.timedelta(days=1)
    while day.weekday() != 6:
        day += dt.timedelta(days=1)
    response = client.get(day_url(poste1.place, day))
    html = response.content.decode()
    assert "est fermé ce jour-là" in html
    assert "prochain jour d’ouverture" in html


def test_unknown_place_or_place_without_computers_is_404(client, epn):
    assert client.get(day_url(epn)).status_code == 404
    response = client.get(reverse("mediation:free_access_day", kwargs={"slug": "inconnu"}))
    assert response.status_code == 404


def test_anonymous_books_publicly_then_cancels_with_the_link(client, poste1, mailoutbox, settings):
    day = bookable_day()
    response = client.get(book_url(poste1.place), slot_data(poste1, day))
    assert response.status_code == 200
    assert "Poste 1, le " in response.content.decode()
    response = client.post(
        book_url(poste1.place), slot_data(poste1, day, name="Marcel Vidal", phone="04 71 40 00 00", email="")
    )
    booking = ComputerBooking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("mediation:free_access_booked", kwargs={"token": booking.token})
    assert booking.user is None
    assert booking.booked_by is None
    page = client.get(response["Location"]).content.decode()
    assert "Réservation confirmée" in page
    assert "Marcel Vidal" in page
    cancel_url = reverse("mediation:free_access_cancel", kwargs={"token": booking.token})
    assert "Confirmez-vous" in client.get(cancel_url).content.decode()
    assert ComputerBooking.objects.get().status == "confirmed"  # GET changes nothing
    assert "est annulée" in client.post(cancel_url).content.decode()
    assert "déjà annulée" in client.post(cancel_url).content.decode()  # idempotent
    assert ComputerBooking.objects.get().status == "cancelled"


def test_confirmation_email_with_link(client, poste1, mailoutbox, django_capture_on_commit_callbacks):
    day = bookable_day()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(book_url(poste1.place), slot_data(poste1, day, name="Marcel", email="marcel@example.fr"))
    booking = ComputerBooking.objects.get()
    assert len(mailoutbox) == 1
    assert f"http://testserver/ateliers/postes/annulation/{booking.token}/" in mailoutbox[0].body


def test_unknown_token_is_404(client):
    assert client.get(reverse("mediation:free_access_cancel", kwargs={"token": "nope"})).status_code == 404


def test_citizen_books_for_themself(client, poste1, citizen):
    client.force_login(citizen)
    day = bookable_day()
    form = client.get(book_url(poste1.place), slot_data(poste1, day)).content.decode()
    assert citizen.email in form
    client.post(book_url(poste1.place), slot_data(poste1, day, name="Moi", email=citizen.email))
    booking = ComputerBooking.objects.get()
    assert booking.user == citizen
    assert booking.booked_by is None


def test_mediator_books_for_someone(client, poste1, mediator):
    client.force_login(mediator.user)
    day = bookable_day()
    response = client.post(book_url(poste1.place), slot_data(poste1, day, name="Mme Roux"))
    assert response.status_code == 302
    booking = ComputerBooking.objects.get()
    assert booking.booked_by == mediator.user
    assert booking.user is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"name": "Jean", "phone": "", "email": ""}, "un numéro de téléphone ou une adresse électronique"),
        ({"name": "", "email": "a@example.fr"}, "Indiquez votre nom"),
        ({"name": "J" * 5000, "email": "a@example.fr"}, "120 caractères"),
        ({"name": "Jean", "email": "x" * 300 + "@example.fr"}, "Adresse électronique"),
        ({"name": "Jean", "phone": "abc"}, "Numéro de téléphone invalide"),
    ],
)
def test_bad_booking_input_gets_french_messages_and_saves_nothing(client, poste1, extra, message):
    response = client.post(book_url(poste1.place), slot_data(poste1, bookable_day(), **extra))
    assert response.status_code == 200
    assert message in response.content.decode().replace("&#x27;", "'").replace("’", "'")
    assert not ComputerBooking.objects.exists()


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"computer": 999999}, "Ce poste n'existe pas"),
        ({"computer": "abc"}, "Ce poste n'existe pas"),
        ({"start": "12:30"}, "en dehors des horaires"),
        ({"start": "25:00"}, "Heure illisible"),
        ({"day": "hier"}, "Date illisible"),
        ({"minutes": 45}, "30 minutes ou 1 heure"),
    ],
)
def test_bad_slot_gets_french_messages(client, poste1, override, message):
    data = slot_data(poste1, bookable_day(), name="Jean", email="a@example.fr") | override
    for response in (client.get(book_url(poste1.place), data), client.post(book_url(poste1.place), data)):
        assert response.status_code == 200
        assert message in response.content.decode().replace("&#x27;", "'")
    assert not ComputerBooking.objects.exists()


def test_computer_of_another_place_is_refused(client, poste1, other_epn):
    elsewhere = PublicComputerFactory(place=other_epn, label="Poste A")
    data = slot_data(elsewhere, bookable_day(), name="Jean", email="a@example.fr")
    response = client.post(book_url(poste1.place), data)
    assert "Ce poste n&#x27;existe pas" in response.content.decode()
    assert not ComputerBooking.objects.exists()


def test_taken_slot_shows_alternatives(client, poste1, poste2):
    day = bookable_day()
    for computer in (poste1, poste2):
        ComputerBooking.objects.create(
            computer=computer, starts_at=at(day, "14:00"), ends_at=at(day, "15:00"), name="A", email="a@example.fr"
        )
    response = client.post(book_url(poste1.place), slot_data(poste1, day, name="Jean", email="j@example.fr"))
    html = response.content.decode()
    assert "vient d&#x27;être réservé" in html
    assert "start=15:00" in html
    assert ComputerBooking.objects.count() == 2


# --- staff pages -------------------------------------------------------------------------------


def staff_urls(place, computer):
    return [
        reverse("mediation:free_access_place", kwargs={"slug": place.slug}),
        reverse("mediation:free_access_visits", kwargs={"slug": place.slug}),
        reverse("mediation:free_access_computer_add", kwargs={"slug": place.slug}),
        reverse("mediation:free_access_computer_edit", kwargs={"slug": place.slug, "pk": computer.pk}),
    ]


def test_anonymous_is_sent_to_sign_in(client, poste1):
    for url in [reverse("mediation:free_access"), *staff_urls(poste1.place, poste1)]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/compte/" in response["Location"]


def test_citizen_is_refused(client, poste1, citizen):
    client.force_login(citizen)
    assert client.get(reverse("mediation:free_access")).status_code == 403
    for url in staff_urls(poste1.place, poste1):
        assert client.get(url).status_code == 403


def test_mediator_of_another_epn_is_refused(client, poste1, other_mediator):
    client.force_login(other_mediator)
    home = client.get(reverse("mediation:free_access")).content.decode()
    assert "EPN du Lioran" in home
    assert "EPN du Pays Vert" not in home
    for url in staff_urls(poste1.place, poste1):
        assert client.get(url).status_code == 403
    count_url = reverse("mediation:free_access_count", kwargs={"slug": poste1.place.slug})
    assert client.post(count_url, {"slot": "morning"}).status_code == 403
    booking = ComputerBooking.objects.create(
        computer=poste1,
        starts_at=at(bookable_day(), "14:00"),
        ends_at=at(bookable_day(), "15:00"),
        name="A",
        email="a@example.fr",
    )
    cancel_url = reverse("mediation:free_access_booking_cancel", kwargs={"slug": poste1.place.slug, "pk": booking.pk})
    assert client.post(cancel_url).status_code == 403
    assert not FreeAccessVisit.objects.exists()
    assert ComputerBooking.objects.get().status == "confirmed"


@pytest.mark.parametrize("who", ["mediator", "manager"])
def test_mediator_of_this_epn_and_programme_manager_use_the_staff_pages(client, poste1, mediator, manager, who):
    user = mediator.user if who == "mediator" else manager
    client.force_login(user)
    assert "EPN du Pays Vert" in client.get(reverse("mediation:free_access")).content.decode()
    for url in staff_urls(poste1.place, poste1):
        assert client.get(url).status_code == 200, url


def test_counter_buttons(client, poste1, mediator):
    client.force_login(mediator.user)
    place_url = reverse("mediation:free_access_place", kwargs={"slug": poste1.place.slug})
    count_url = reverse("mediation:free_access_count", kwargs={"slug": poste1.place.slug})
    html = client.get(place_url).content.decode()
    assert "+1 matin" in html
    assert "+1 après-midi" in html
    assert "+1 soirée" in html
    for _ in range(3):
        assert client.post(count_url, {"slot": "afternoon", "delta": "1"}).status_code == 302
    client.post(count_url, {"slot": "afternoon", "delta": "-1"})
    row = FreeAccessVisit.objects.get(place=poste1.place, date=timezone.localdate(), slot="afternoon")
    assert row.count == 2
    response = client.post(count_url, {"slot": "nuit"}, follow=True)
    assert "Créneau inconnu" in response.content.decode()
    response = client.post(count_url, {"slot": "morning", "delta": "1000"}, follow=True)
    assert "Action inconnue" in response.content.decode()
    assert FreeAccessVisit.objects.count() == 1
    assert client.get(count_url).status_code == 405


def test_visits_month_table_and_correction(client, poste1, mediator):
    client.force_login(mediator.user)
    url = reverse("mediation:free_access_visits", kwargs={"slug": poste1.place.slug})
    day = timezone.localdate() - dt.timedelta(days=40)
    response = client.post(url, {"date": f"{day:%Y-%m-%d}", "slot": "evening", "count": "7"})
    assert response.status_code == 302
    assert f"mois={day:%Y-%m}" in response["Location"]
    html = client.get(response["Location"]).content.decode()
    assert "(total : 7)" in html
    assert '<th scope="row">Total du mois</th>' in html
    response = client.post(url, {"date": f"{day:%Y-%m-%d}", "slot": "evening", "count": "-3"})
    assert response.status_code == 400
    assert "entre 0 et 10 000" in response.content.decode()
    future = timezone.localdate() + dt.timedelta(days=2)
    response = client.post(url, {"date": f"{future:%Y-%m-%d}", "slot": "evening", "count": "3"})
    assert "jour à venir" in response.content.decode()
    assert FreeAccessVisit.objects.get().count == 7
    assert "Mois illisible" in client.get(url, {"mois": "2026-13"}).content.decode()


def test_visits_page_query_count(client, poste1, mediator, django_assert_max_num_queries):
    client.force_login(mediator.user)
    url = reverse("mediation:free_access_visits", kwargs={"slug": poste1.place.slug})
    client.get(url)
    with django_assert_max_num_queries(12):
        assert client.get(url).status_code == 200


def test_manage_computers(client, poste1, mediator):
    client.force_login(mediator.user)
    add_url = reverse("mediation:free_access_computer_add", kwargs={"slug": poste1.place.slug})
    response = client.post(add_url, {"label": "Poste 3", "features": "Clavier adapté"})
    assert response.status_code == 302
    assert PublicComputer.objects.filter(place=poste1.place, label="Poste 3").exists()
    response = client.post(add_url, {"label": "Poste 1"})
    assert response.status_code == 400
    assert "Un poste porte déjà ce nom" in response.content.decode()
    response = client.post(add_url, {"label": "P" * 500})
    assert "60 caractères" in response.content.decode()
    edit_url = reverse("mediation:free_access_computer_edit", kwargs={"slug": poste1.place.slug, "pk": poste1.pk})
    client.post(edit_url, {"label": "Poste 1", "features": "", "is_active": ""})
    poste1.refresh_from_db()
    assert poste1.is_active is False


def test_computer_of_another_place_is_404_on_staff_pages(client, poste1, other_epn, manager):
    client.force_login(manager)
    elsewhere = PublicComputerFactory(place=other_epn, label="Poste A")
    url = reverse("mediation:free_access_computer_edit", kwargs={"slug": poste1.place.slug, "pk": elsewhere.pk})
    assert client.get(url).status_code == 404


def test_staff_today_bookings_and_cancel(client, poste1, mediator, mailoutbox):
    client.force_login(mediator.user)
    now = timezone.localtime()
    start = now + dt.timedelta(hours=1)
    booking = ComputerBooking.objects.create(
        computer=poste1, starts_at=start, ends_at=start + dt.timedelta(hours=1), name="Mme Roux", phone="0471"
    )
    place_url = reverse("mediation:free_access_place", kwargs={"slug": poste1.place.slug})
    if start.date() == now.date():
        assert "Mme Roux" in client.get(place_url).content.decode()
    cancel_url = reverse("mediation:free_access_booking_cancel", kwargs={"slug": poste1.place.slug, "pk": booking.pk})
    response = client.post(cancel_url, follow=True)
    assert "de nouveau libre" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == "cancelled"


def test_unpublished_place_is_hidden_from_the_public(client, territory):
    from cybercantal.places.models import PlaceStatus

    place = PlaceFactory(status=PlaceStatus.DRAFT)
    PublicComputerFactory(place=place)
    assert client.get(day_url(place)).status_code == 404


def test_list_pages_query_count(client, manager, django_assert_max_num_queries, territory):
    for index in range(12):
        place = PlaceFactory(name=f"EPN {index}")
        PublicComputerFactory(place=place)
        PublicComputerFactory(place=place)
    with django_assert_max_num_queries(3):  # cantons, count, page
        response = client.get(reverse("mediation:free_access_places"))
    assert response.content.decode().count("2 ordinateurs à réserver") == 12
    client.force_login(manager)
    client.get(reverse("mediation:free_access"))
    with django_assert_max_num_queries(8):  # session, user, roles, count, page
        response = client.get(reverse("mediation:free_access"))
    assert response.content.decode().count('<th scope="row">') == 12
