"""The booking pages, per role: availability (public), booking in two steps with the cost said
before confirming, conflicts with alternatives, double submits, booking on someone's behalf,
my bookings, a booking's page (QR code), its cancellation, the day's planning."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.places.models import PlaceStatus

from ..models import Booking, BookingStatus, DayPart, ResourceKind
from ..services import booking as service
from .factories import MembershipFactory, ResourceFactory, TelecentreFactory, UserFactory, give_credits, next_weekday

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def new_member(telecentre, amount="10", **kwargs):
    membership = MembershipFactory(telecentre=telecentre, **({"member": UserFactory(**kwargs)} if kwargs else {}))
    give_credits(membership, amount)
    return membership.member


def _exists(name: str, *args) -> bool:
    try:
        reverse(name, args=args)
    except NoReverseMatch:
        return False
    return True


@pytest.fixture
def other_manager(staff):
    """The manager of ANOTHER telecentre."""
    return staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)


@pytest.fixture
def day():
    return next_weekday(1, weeks=1)


# --- availability ---------------------------------------------------------------------------------


def test_week_view_is_a_table_with_links_to_book(client, telecentre, pool, office, day):
    response = client.get(f"/telecentres/{telecentre.slug}/disponibilites/?jour={day}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<caption" in html
    assert 'scope="col"' in html
    assert 'scope="row"' in html
    assert "4 postes libres sur 4" in html
    book = reverse("telework:book", args=[telecentre.slug])
    assert f'{book}?ressource={pool.pk}&amp;jour={day}&amp;moment=morning"' in html
    assert f"{book}?ressource={office.pk}&amp;jour={day}&amp;debut=08%3A00&amp;fin=09%3A00" in html
    assert "Semaine suivante" in html
    assert "Semaine précédente" in html
    monday = day - dt.timedelta(days=day.weekday())
    assert f"jour={monday + dt.timedelta(days=7)}" in html


def test_day_view_and_closed_day(client, telecentre, pool, office, day):
    from ..models import Closure

    response = client.get(f"/telecentres/{telecentre.slug}/disponibilites/?vue=jour&jour={day}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Bureaux et salles, créneau par créneau" in html
    assert "Libre" in html
    assert "Jour suivant" in html
    Closure.objects.create(telecentre=telecentre, starts_on=day, ends_on=day, reason="Pont de l'Ascension")
    html = client.get(f"/telecentres/{telecentre.slug}/disponibilites/?vue=jour&jour={day}").content.decode()
    assert "Le télécentre est fermé ce jour (Pont de l&#x27;Ascension)" in html


def test_full_pool_says_complet(client, telecentre, pool, day):
    pool.capacity = 1
    pool.save()
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.MORNING)
    html = client.get(f"/telecentres/{telecentre.slug}/disponibilites/?jour={day}").content.decode()
    assert "Complet" in html
    assert "Autres créneaux" in html


def test_bad_day_falls_back_to_today(client, telecentre, pool):
    for value in ("2026-13-45", "x" * 500, "99999-01-01", "1900-01-01"):
        response = client.get(f"/telecentres/{telecentre.slug}/disponibilites/", {"jour": value})
        assert response.status_code == 200
        assert "Date non reconnue" in response.content.decode()


def test_unpublished_telecentre_only_for_its_managers(client, telecentre, pool, manager, other_manager):
    place = telecentre.place
    place.status = PlaceStatus.DRAFT
    place.save()
    url = f"/telecentres/{telecentre.slug}/disponibilites/"
    assert client.get(url).status_code == 404
    client.force_login(other_manager)
    assert client.get(url).status_code == 404
    client.force_login(manager)
    assert client.get(url).status_code == 200
    assert client.get("/telecentres/nowhere/disponibilites/").status_code == 404


def test_week_view_query_count_does_not_grow(client, telecentre, day, django_assert_max_num_queries):
    url = f"/telecentres/{telecentre.slug}/disponibilites/?jour={day}"
    ResourceFactory(telecentre=telecentre, name="Plateau")
    client.get(url)
    with django_assert_max_num_queries(6) as small:
        client.get(url)
    for i in range(4):
        resource = ResourceFactory(telecentre=telecentre, name=f"Salle {i}", kind=ResourceKind.MEETING_ROOM)
        for offset in range(3):
            service.booking_create(
                actor=new_member(telecentre),
                resource=resource,
                starts_at=at(day + dt.timedelta(days=offset), 9),
                ends_at=at(day + dt.timedelta(days=offset), 10),
                notify=False,
            )
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(url)


def test_resource_page_shows_fourteen_days(client, telecentre, pool, office):
    response = client.get(f"/telecentres/{telecentre.slug}/ressources/{pool.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('<th scope="row">') == 14
    assert "14 jours suivants" in html
    assert client.get(f"/telecentres/{telecentre.slug}/ressources/{office.pk}/").status_code == 200
    other = ResourceFactory()
    assert client.get(f"/telecentres/{telecentre.slug}/ressources/{other.pk}/").status_code == 404
    office.is_active = False
    office.save()
    assert client.get(f"/telecentres/{telecentre.slug}/ressources/{office.pk}/").status_code == 404


# --- booking --------------------------------------------------------------------------------------


def _book_url(telecentre, **params):
    from urllib.parse import urlencode

    return f"/telecentres/{telecentre.slug}/reserver/?{urlencode(params)}"


def test_anonymous_is_sent_to_sign_in(client, telecentre, pool, day):
    response = client.get(_book_url(telecentre, ressource=pool.pk, jour=day, moment="morning"))
    assert response.status_code == 302
    assert "/compte/" in response["Location"] or "login" in response["Location"]
    assert client.post(_book_url(telecentre), {"ressource": pool.pk}).status_code == 302


def test_form_is_prefilled_from_the_grid(client, telecentre, pool, office, member, day):
    client.force_login(member)
    html = client.get(_book_url(telecentre, ressource=office.pk, jour=day, debut="09:00", fin="10:30")).content.decode()
    assert re.search(rf'<option value="{office.pk}" [^>]*selected', html)
    assert 'data-kind="office"' in html
    assert 'data-kind="seat_pool"' in html
    assert f'value="{day}"' in html
    assert 'value="09:00"' in html
    assert 'value="10:30"' in html
    assert "membre" not in html  # only managers book for others
    # An ISO date-time works too.
    html = client.get(_book_url(telecentre, ressource=office.pk, debut=f"{day}T14:00:00+01:00")).content.decode()
    assert f'value="{day}"' in html
    assert 'value="14:00"' in html


def test_confirmation_says_the_cost_then_books(client, telecentre, pool, member, day, mailoutbox):
    client.force_login(member)
    response = client.get(_book_url(telecentre, ressource=pool.pk, jour=day, moment="morning", etape="verifier"))
    html = response.content.decode()
    assert "Vérifiez et confirmez" in html
    assert "0,5 jour pris sur le solde de crédits (10) ; il en restera 9,5." in html
    assert "Gratuite jusqu’au" in html
    assert Booking.objects.count() == 0
    response = client.post(_book_url(telecentre), {"ressource": pool.pk, "jour": day, "moment": "morning"})
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("telework:booking_detail", args=[booking.pk])
    assert (booking.member, booking.part, booking.credits_used) == (member, "morning", Decimal("0.5"))


def test_confirmation_says_the_price_without_credits(client, telecentre, office, day):
    membership = MembershipFactory(telecentre=telecentre)
    client.force_login(membership.member)
    response = client.get(
        _book_url(telecentre, ressource=office.pk, jour=day, debut="09:00", fin="11:00", etape="verifier")
    )
    html = response.content.decode()
    assert "9,00\xa0€ HT, soit 10,80\xa0€ TTC (TVA 20,00 %)" in html


def test_a_price_in_the_form_is_ignored(client, telecentre, office, day):
    membership = MembershipFactory(telecentre=telecentre)
    client.force_login(membership.member)
    client.post(
        _book_url(telecentre),
        {"ressource": office.pk, "jour": day, "debut": "09:00", "fin": "11:00", "price_excl_tax": "0.01", "prix": "0"},
    )
    assert Booking.objects.get().price_excl_tax == Decimal("9.00")


def test_rule_errors_are_next_to_the_field(client, telecentre, office, pool, member):
    client.force_login(member)
    past = timezone.localdate() - dt.timedelta(days=2)
    response = client.get(
        _book_url(telecentre, ressource=office.pk, jour=past, debut="09:00", fin="10:00", etape="verifier")
    )
    html = response.content.decode()
    assert "Rien n’est envoyé" in html
    assert "Ce créneau est déjà passé." in html
    assert 'aria-describedby="id_debut_error"' in html or 'id="id_debut_error"' in html
    response = client.post(
        _book_url(telecentre), {"ressource": office.pk, "jour": next_weekday(2), "debut": "18:00", "fin": "20:00"}
    )
    assert "dépasse les horaires d&#x27;ouverture" in response.content.decode()
    response = client.post(_book_url(telecentre), {"ressource": pool.pk, "jour": next_weekday(2)})
    assert "Choisissez le matin, l&#x27;après-midi ou la journée." in response.content.decode()
    assert Booking.objects.count() == 0


def test_conflict_page_offers_alternatives_that_book_directly(client, telecentre, pool, day):
    pool.capacity = 1
    pool.save()
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.MORNING)
    member = new_member(telecentre)
    client.force_login(member)
    response = client.post(_book_url(telecentre), {"ressource": pool.pk, "jour": day, "moment": "morning"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "Tous les postes de « Open space » sont réservés sur ce créneau." in html
    buttons = re.findall(r"Réserver : ([^<]+)", html)
    assert buttons
    assert "Open space" in buttons[0]
    if _exists("telework:waitlist_join"):
        assert "M’inscrire sur la liste d’attente" in html
        assert 'name="part" value="morning"' in html
    # The first alternative, in one click.
    main = html.split('<main id="contenu"')[1]
    form = re.search(r'<form method="post"[^>]*>(.*?)</form>', main, re.S).group(1)
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form))
    response = client.post(_book_url(telecentre), fields)
    assert response.status_code == 302
    assert Booking.objects.filter(member=member, status=BookingStatus.CONFIRMED).count() == 1


def test_conflict_is_said_already_at_the_confirmation_step(client, telecentre, office, day):
    service.booking_create(actor=new_member(telecentre), resource=office, starts_at=at(day, 9), ends_at=at(day, 11))
    client.force_login(new_member(telecentre))
    response = client.get(
        _book_url(telecentre, ressource=office.pk, jour=day, debut="10:00", fin="12:00", etape="verifier")
    )
    assert response.status_code == 409
    assert "« Bureau 1 » est déjà réservé sur ce créneau." in response.content.decode()


def test_double_submit_shows_the_same_booking(client, telecentre, pool, member, day):
    client.force_login(member)
    data = {"ressource": pool.pk, "jour": day, "moment": "afternoon"}
    first = client.post(_book_url(telecentre), data)
    second = client.post(_book_url(telecentre), data, follow=True)
    booking = Booking.objects.get()
    assert first["Location"] == second.redirect_chain[0][0]
    assert "Cette réservation est déjà enregistrée : la voici." in second.content.decode()
    assert booking.credits_used == Decimal("0.5")
    # Another booking at the same time: said next to the field, with a link to it.
    response = client.post(_book_url(telecentre), {"ressource": pool.pk, "jour": day, "moment": "day"})
    html = response.content.decode()
    assert "Vous avez déjà une réservation à ce moment-là" in html
    assert reverse("telework:booking_detail", args=[booking.pk]) in html
    assert Booking.objects.count() == 1


def test_manager_books_for_a_member_found_by_name(client, telecentre, pool, manager, day, mailoutbox):
    member = new_member(telecentre, first_name="Thomas", last_name="Delmas", email="thomas.delmas@example.org")
    new_member(telecentre, first_name="Thomas", last_name="Vidal", email="t.vidal@example.org")
    client.force_login(manager)
    html = client.get(_book_url(telecentre, ressource=pool.pk, jour=day, moment="day")).content.decode()
    assert "Réserver pour un membre" in html
    # Two people named Thomas: choose.
    html = client.get(
        _book_url(telecentre, ressource=pool.pk, jour=day, moment="day", membre="thomas", etape="verifier")
    ).content.decode()
    assert "Plusieurs membres correspondent" in html
    assert "Thomas Delmas (thomas.delmas@example.org)" in html
    html = client.get(
        _book_url(telecentre, ressource=pool.pk, jour=day, moment="day", membre="delmas thomas", etape="verifier")
    ).content.decode()
    assert "Vérifiez et confirmez" in html
    assert "Thomas Delmas" in html
    response = client.post(
        _book_url(telecentre), {"ressource": pool.pk, "jour": day, "moment": "day", "membre_id": member.pk}
    )
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert (booking.member, booking.created_by) == (member, manager)
    html = client.get(
        _book_url(telecentre, ressource=pool.pk, jour=day, moment="day", membre="personne", etape="verifier")
    ).content.decode()
    assert "Aucun membre de ce télécentre ne correspond à « personne »." in html


def test_others_cannot_book_for_someone(client, telecentre, pool, other_manager, day):
    member = new_member(telecentre)
    intruder = new_member(telecentre)
    for user in (intruder, other_manager):
        client.force_login(user)
        html = client.get(_book_url(telecentre, ressource=pool.pk, jour=day, moment="day")).content.decode()
        assert "Réserver pour un membre" not in html
        client.post(_book_url(telecentre), {"ressource": pool.pk, "jour": day, "moment": "day", "membre_id": member.pk})
    assert not Booking.objects.filter(member=member).exists()


def test_manager_cannot_pick_someone_outside_the_telecentre(client, telecentre, pool, manager, day):
    stranger = new_member(TelecentreFactory())
    client.force_login(manager)
    response = client.post(
        _book_url(telecentre), {"ressource": pool.pk, "jour": day, "moment": "day", "membre_id": stranger.pk}
    )
    assert "n&#x27;est pas membre de ce télécentre" in response.content.decode()
    assert not Booking.objects.exists()


# --- my bookings ----------------------------------------------------------------------------------


def test_my_bookings_lists_mine_only_and_paginates(
    client, telecentre, pool, office, member, day, django_assert_max_num_queries
):
    other = new_member(telecentre)
    service.booking_create(actor=other, resource=pool, day=day, part=DayPart.DAY)
    for offset in range(22):
        d = day + dt.timedelta(days=offset)
        service.booking_create(actor=member, resource=office, starts_at=at(d, 9), ends_at=at(d, 10), notify=False)
    cancelled = service.booking_create(actor=member, resource=pool, day=day, part=DayPart.AFTERNOON)
    service.booking_cancel(actor=member, booking=cancelled)
    client.force_login(member)
    with django_assert_max_num_queries(8):
        response = client.get("/telecentres/mes-reservations/")
    html = response.content.decode()
    assert "22 réservations à venir" in html
    assert "Page 1 sur 2" in html
    assert "1 réservation passée ou annulée" in html
    assert "Annulée" in html
    assert other.email not in html
    html = client.get("/telecentres/mes-reservations/?page=2").content.decode()
    assert html.count('<th scope="row">') == 2 + 1  # 2 upcoming left, 1 cancelled


def test_my_bookings_needs_sign_in(client):
    assert client.get("/telecentres/mes-reservations/").status_code == 302


# --- one booking ----------------------------------------------------------------------------------


@pytest.fixture
def booking(pool, member, day):
    return service.booking_create(actor=member, resource=pool, day=day, part=DayPart.MORNING)


def test_booking_page_has_the_code_and_an_inline_qr(client, booking, member):
    client.force_login(member)
    html = client.get(f"/telecentres/reservations/{booking.pk}/").content.decode()
    assert booking.checkin_code in html
    if _exists("telework:checkin_by_code", booking.checkin_code):
        assert '<svg class="booking-qr__code" role="img" aria-label="QR code d’arrivée' in html
        assert "<img" not in html.split("<main")[1]
    if _exists("telework:booking_ics", booking.pk):
        assert "Ajouter à mon agenda" in html
    assert "0,5 jour pris sur vos crédits." in html
    assert "Annuler la réservation" in html
    assert "Comment s’y rendre" in html
    assert booking.resource.telecentre.place.address in html


@pytest.mark.parametrize(
    ("who", "status"),
    [("member", 200), ("intruder", 403), ("manager", 200), ("other_manager", 403), ("programme_manager", 200)],
)
def test_booking_page_per_role(client, booking, telecentre, request, who, status):
    user = new_member(telecentre) if who == "intruder" else request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(f"/telecentres/reservations/{booking.pk}/").status_code == status
    assert client.get(f"/telecentres/reservations/{booking.pk}/annuler/").status_code == status


def test_booking_pages_anonymous_and_missing(client, booking, member):
    assert client.get(f"/telecentres/reservations/{booking.pk}/").status_code == 302
    assert client.get(f"/telecentres/reservations/{booking.pk}/annuler/").status_code == 302
    client.force_login(member)
    assert client.get("/telecentres/reservations/999999/").status_code == 404


# --- cancelling -----------------------------------------------------------------------------------


def test_cancel_in_time_gives_the_credits_back(client, booking, member):
    client.force_login(member)
    html = client.get(f"/telecentres/reservations/{booking.pk}/annuler/").content.decode()
    assert re.search(r"Annulation gratuite jusqu’au \w+ \d+(er)? \w+ à 8 h : vos crédits vous seront rendus", html)
    response = client.post(f"/telecentres/reservations/{booking.pk}/annuler/", follow=True)
    assert "Réservation annulée." in response.content.decode()
    booking.refresh_from_db()
    assert (booking.status, booking.late_cancellation) == (BookingStatus.CANCELLED, False)


def test_late_cancellation_says_it_stays_due(client, telecentre, pool, member):
    soon = timezone.localdate() + dt.timedelta(days=1)
    telecentre.cancellation_notice_hours = 72
    telecentre.save()
    booking = service.booking_create(actor=member, resource=pool, day=soon, part=DayPart.AFTERNOON)
    client.force_login(member)
    html = client.get(f"/telecentres/reservations/{booking.pk}/annuler/").content.decode()
    assert "Hors délai" in html
    assert "la réservation reste due" in html
    assert "Les crédits utilisés ne seront pas rendus." in html
    client.post(f"/telecentres/reservations/{booking.pk}/annuler/")
    booking.refresh_from_db()
    assert booking.late_cancellation
    # Cancelled already: said, no form.
    html = client.get(f"/telecentres/reservations/{booking.pk}/annuler/").content.decode()
    assert "Cette réservation est déjà annulée." in html


def test_cancel_refused_to_others(client, booking, telecentre, other_manager):
    for user in (new_member(telecentre), other_manager):
        client.force_login(user)
        assert client.post(f"/telecentres/reservations/{booking.pk}/annuler/").status_code == 403
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


def test_manager_cancels_from_the_planning_and_goes_back(client, booking, manager, day):
    client.force_login(manager)
    back = f"/telecentres/gestion/{booking.resource.telecentre.slug}/planning/?jour={day}"
    html = client.get(f"/telecentres/reservations/{booking.pk}/annuler/?retour={back}").content.decode()
    assert "Annulée par le télécentre" in html
    response = client.post(f"/telecentres/reservations/{booking.pk}/annuler/", {"retour": back})
    assert response["Location"] == back
    # An outside address is not followed.
    other = service.booking_create(actor=booking.member, resource=booking.resource, day=day, part=DayPart.AFTERNOON)
    response = client.post(f"/telecentres/reservations/{other.pk}/annuler/", {"retour": "https://evil.example/"})
    assert response["Location"] == reverse("telework:booking_detail", args=[other.pk])


# --- planning -------------------------------------------------------------------------------------


def test_planning_shows_the_day_with_arrivals(client, telecentre, pool, office, manager, day):
    thomas = new_member(telecentre, first_name="Thomas", last_name="Delmas")
    claire = new_member(telecentre, first_name="Claire", last_name="Roux")
    arrived = service.booking_create(actor=thomas, resource=pool, day=day, part=DayPart.DAY)
    Booking.objects.filter(pk=arrived.pk).update(checked_in_at=at(day, 8, 12))
    service.booking_create(actor=claire, resource=office, starts_at=at(day, 14), ends_at=at(day, 16))
    cancelled = service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.MORNING)
    service.booking_cancel(actor=cancelled.member, booking=cancelled)
    client.force_login(manager)
    html = client.get(f"/telecentres/gestion/{telecentre.slug}/planning/?jour={day}").content.decode()
    assert "Thomas Delmas" in html
    assert "Arrivé·e à 08:12" in html
    assert "Claire Roux" in html
    assert "Attendu·e" in html
    assert cancelled.member.email not in html
    assert "2 réservations" in html
    assert "1 arrivée pointée" in html
    assert "Réserver pour un membre" in html


@pytest.mark.parametrize(
    ("who", "status"), [("member", 403), ("other_manager", 403), ("manager", 200), ("programme_manager", 200)]
)
def test_planning_per_role(client, telecentre, pool, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(f"/telecentres/gestion/{telecentre.slug}/planning/").status_code == status


def test_planning_anonymous_and_query_count(client, telecentre, pool, manager, day, django_assert_max_num_queries):
    url = f"/telecentres/gestion/{telecentre.slug}/planning/?jour={day}"
    assert client.get(url).status_code == 302
    client.force_login(manager)
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    for _ in range(4):
        service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.DAY, notify=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(url)
