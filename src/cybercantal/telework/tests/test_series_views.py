"""Pages of part "series": the recurring booking form (form, dates, report), the series page
(report, occurrences, cancellation), the waiting-list pages; each role on each page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role

from ..models import Booking, BookingSeries, BookingStatus, DayPart, WaitlistEntry
from ..services import booking as booking_service
from ..services import series as service
from .factories import ResourceFactory, TelecentreFactory
from .factories_series import carnet_member, monday_in

pytestmark = pytest.mark.django_db


def create_url(telecentre):
    return reverse("telework:series_create", kwargs={"slug": telecentre.slug})


def detail_url(series):
    return reverse("telework:series_detail", kwargs={"pk": series.pk})


def cancel_url(series):
    return reverse("telework:series_cancel", kwargs={"pk": series.pk})


def form_data(resource, **extra):
    monday = monday_in(1)
    data = {
        "resource": resource.pk,
        "weekdays": ["1", "3"],
        "interval": "1",
        "part": DayPart.DAY,
        "start_time": "",
        "end_time": "",
        "first_day": monday.isoformat(),
        "end": "1m",
        "until": "",
        "count": "",
        "rrule": "",
        "action": "preview",
    }
    data.update(extra)
    return data


@pytest.fixture
def series(pool, member):
    monday = monday_in(1)
    return service.series_create(
        actor=member,
        resource=pool,
        rrule=f"FREQ=WEEKLY;BYDAY=TU,TH;UNTIL={monday + dt.timedelta(days=27):%Y%m%d}",
        first_day=monday,
        part=DayPart.DAY,
    )


# --- access -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, series, telecentre):
    for url in (create_url(telecentre), detail_url(series), reverse("telework:my_waitlist")):
        response = client.get(url)
        assert response.status_code == 302
        assert "/connexion" in response.url or "login" in response.url
    for url in (cancel_url(series), reverse("telework:waitlist_join")):
        response = client.post(url, {})
        assert response.status_code == 302
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 8


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 200),
        ("other_member", 403),
        ("manager", 200),
        ("operator_manager", 200),
        ("other_manager", 403),
        ("programme_manager", 200),
        ("employer_manager", 403),
        ("citizen", 403),
    ],
)
def test_series_page_per_role(client, series, staff, telecentre, member, who, status):
    people = {
        "member": lambda: member,
        "other_member": lambda: carnet_member(telecentre),
        "manager": lambda: staff(Role.TELECENTRE_MANAGER, telecentre.place),
        "operator_manager": lambda: staff(Role.TELECENTRE_MANAGER, telecentre.operator),
        "other_manager": lambda: staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place),
        "programme_manager": lambda: staff(Role.PROGRAMME_MANAGER),
        "employer_manager": lambda: staff(Role.EMPLOYER_MANAGER, TelecentreFactory().operator),
        "citizen": lambda: staff(Role.CITIZEN),
    }
    client.force_login(people[who]())
    assert client.get(detail_url(series)).status_code == status
    # The cancellation follows the same rule and changes nothing when refused.
    response = client.post(
        cancel_url(series), {"mode": "following", "from_day": monday_in(0).isoformat(), "confirm": "1"}
    )
    assert response.status_code == (302 if status == 200 else 403)
    expected = 0 if status == 200 else 8
    assert series.bookings.filter(status=BookingStatus.CONFIRMED).count() == expected


def test_unknown_series_and_telecentre_are_404(client, member):
    client.force_login(member)
    assert client.get(reverse("telework:series_detail", kwargs={"pk": 999999})).status_code == 404
    assert client.get(reverse("telework:series_create", kwargs={"slug": "nulle-part"})).status_code == 404


def test_methods(client, member, series):
    client.force_login(member)
    assert client.get(reverse("telework:waitlist_join")).status_code == 405
    assert client.get(cancel_url(series)).status_code == 405
    assert client.post(detail_url(series)).status_code == 405


# --- create -------------------------------------------------------------------------------------


def test_form_is_labelled_and_preselects_the_resource(client, member, pool, office, telecentre):
    client.force_login(member)
    response = client.get(create_url(telecentre), {"ressource": office.pk})
    assert response.status_code == 200
    html = response.content.decode()
    for label in ("mardi", "jeudi", "Espace, bureau ou salle", "À partir du", "pendant 3 mois", "RRULE"):
        assert label in html
    assert f'<option value="{office.pk}" selected>' in html
    assert 'for="id_first_day"' in html


def test_preview_lists_the_dates_then_confirm_books_them(client, member, pool, telecentre, mailoutbox):
    client.force_login(member)
    data = form_data(pool)
    response = client.post(create_url(telecentre), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Vérifiez les dates" in html
    assert "Réserver ces 9 dates" in html or "Réserver ces 8 dates" in html
    assert not BookingSeries.objects.exists()
    tuesday = monday_in(1) + dt.timedelta(days=1)
    assert tuesday.strftime("%d").lstrip("0") in html

    response = client.post(create_url(telecentre), data | {"action": "confirm"})
    series = BookingSeries.objects.get()
    assert response.status_code == 302
    assert response.url == detail_url(series)
    assert series.bookings.count() >= 8
    page = client.get(response.url).content.decode()
    assert "Votre série est enregistrée" in page
    assert "tous les mardis et jeudis" in page
    # Sent twice: still one series.
    client.post(create_url(telecentre), data | {"action": "confirm"})
    assert BookingSeries.objects.count() == 1


def test_preview_marks_full_and_closed_dates(client, member, pool, telecentre):
    pool.capacity = 1
    pool.save()
    tuesday = monday_in(1) + dt.timedelta(days=1)
    booking_service.booking_create(actor=carnet_member(telecentre), resource=pool, day=tuesday, part=DayPart.DAY)
    client.force_login(member)
    html = client.post(create_url(telecentre), form_data(pool)).content.decode()
    assert "complet" in html


def test_edit_goes_back_to_the_filled_form(client, member, pool, telecentre):
    client.force_login(member)
    response = client.post(create_url(telecentre), form_data(pool, action="edit"))
    html = response.content.decode()
    assert "Réserver les mêmes jours chaque semaine" in html
    assert 'id="id_weekdays_1" checked' in html
    assert 'id="id_weekdays_3" checked' in html


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"weekdays": []}, "weekdays", "Cochez au moins un jour"),
        ({"first_day": ""}, "first_day", "Indiquez le premier jour"),
        ({"first_day": "2020-01-01"}, "first_day", "déjà passé"),
        ({"end": "until"}, "until", "Indiquez la date de fin"),
        ({"end": "count", "count": "500"}, "count", "au plus 120 dates"),
        ({"end": "6m"}, "end", "au plus 90 jours à l"),
        ({"rrule": "FREQ=WEEKLY;BYDAY=TU"}, "rrule", "pas de fin"),
        ({"rrule": "FREQ=DAILY;COUNT=121"}, "rrule", "au plus 120 dates"),
        ({"rrule": "n'importe quoi"}, "rrule", "Règle illisible"),
        ({"part": ""}, "part", "Choisissez le matin"),
    ],
)
def test_errors_are_next_to_their_field(client, member, pool, telecentre, extra, field, message):
    client.force_login(member)
    response = client.post(create_url(telecentre), form_data(pool, **extra))
    assert response.status_code == 200
    html = response.content.decode()
    assert message.replace("'", "&#x27;") in html
    assert f'id="id_{field}_error"' in html
    assert "Rien n’est envoyé" in html
    assert not BookingSeries.objects.exists()


def test_office_needs_times(client, member, office, telecentre):
    client.force_login(member)
    html = client.post(create_url(telecentre), form_data(office, part="")).content.decode()
    assert "Indiquez l&#x27;heure de début" in html
    response = client.post(
        create_url(telecentre), form_data(office, part="", start_time="09:00", end_time="12:00", action="confirm")
    )
    assert response.status_code == 302
    series = BookingSeries.objects.get()
    assert {timezone.localtime(b.starts_at).hour for b in series.bookings.all()} == {9}


def test_nothing_bookable_is_said_on_the_form(client, pool, telecentre, staff):
    client.force_login(staff(Role.TELEWORKER))
    response = client.post(create_url(telecentre), form_data(pool, action="confirm"))
    assert response.status_code == 200
    assert "Aucune date n&#x27;a pu être réservée" in response.content.decode()
    assert not BookingSeries.objects.exists()


# --- detail and cancel ------------------------------------------------------------------------


def test_detail_shows_the_report_and_the_dates(client, member, pool, telecentre):
    pool.capacity = 1
    pool.save()
    monday = monday_in(1)
    booking_service.booking_create(
        actor=carnet_member(telecentre), resource=pool, day=monday + dt.timedelta(days=3), part=DayPart.DAY
    )
    series = service.series_create(
        actor=member, resource=pool, rrule="FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4", first_day=monday, part=DayPart.DAY
    )
    client.force_login(member)
    html = client.get(detail_url(series)).content.decode()
    assert "3 réservées, 1 non réservée" in html
    assert "tous les postes sont réservés" in html
    assert "Attendre une place le jeudi" in html
    assert "<caption>" in html
    assert html.count("Annuler le ") == 3


def test_cancel_one_date_in_two_steps(client, member, series):
    client.force_login(member)
    first = series.bookings.order_by("starts_at").first()
    day = timezone.localtime(first.starts_at).date()
    response = client.post(cancel_url(series), {"mode": "one", "from_day": day.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Confirmer l’annulation" in html
    assert "Annuler cette réservation" in html
    assert "gratuite : crédits rendus" in html
    first.refresh_from_db()
    assert first.status == BookingStatus.CONFIRMED

    data = {"mode": "one", "from_day": day.isoformat(), "to_day": "", "confirm": "1"}
    response = client.post(cancel_url(series), data, follow=True)
    html = response.content.decode()
    assert "1 réservation annulée. Crédits rendus : 1." in html
    first.refresh_from_db()
    assert first.status == BookingStatus.CANCELLED
    # A second submit cancels nothing more and says so.
    html = client.post(cancel_url(series), data, follow=True).content.decode()
    assert "Aucune réservation à annuler à ces dates" in html
    assert series.bookings.filter(status=BookingStatus.CANCELLED).count() == 1


def test_cancel_a_range(client, member, series):
    client.force_login(member)
    monday = monday_in(1)
    data = {
        "mode": "range",
        "from_day": (monday + dt.timedelta(days=7)).isoformat(),
        "to_day": (monday + dt.timedelta(days=13)).isoformat(),
        "confirm": "1",
    }
    html = client.post(cancel_url(series), data, follow=True).content.decode()
    assert "2 réservations annulées" in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"mode": "range", "from_day": "2030-01-10", "to_day": "2030-01-01"}, "La fin de la période doit suivre"),
        ({"mode": "range", "from_day": "2030-01-10"}, "Indiquez la fin de la période"),
        ({"mode": "one", "from_day": ""}, "Indiquez la date"),
        ({"mode": "autre", "from_day": "2030-01-10"}, "Choisissez une date, une période"),
        ({"mode": "one", "from_day": "10/13/2030"}, "Date illisible"),
    ],
)
def test_cancel_form_errors(client, member, series, data, message):
    client.force_login(member)
    response = client.post(cancel_url(series), data | {"confirm": "1"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert series.bookings.filter(status=BookingStatus.CONFIRMED).count() == 8


# --- waiting list ---------------------------------------------------------------------------------


@pytest.fixture
def full_tuesday(pool, telecentre):
    pool.capacity = 1
    pool.save()
    day = monday_in(1) + dt.timedelta(days=1)
    booking_service.booking_create(actor=carnet_member(telecentre), resource=pool, day=day, part=DayPart.DAY)
    return day


def test_join_says_the_position(client, pool, telecentre, full_tuesday):
    for _ in range(2):
        client.force_login(carnet_member(telecentre))
        data = {"resource": pool.pk, "day": full_tuesday.isoformat(), "part": DayPart.DAY}
        response = client.post(reverse("telework:waitlist_join"), data, follow=True)
        html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("telework:my_waitlist")
    assert "Vous êtes 2e sur la liste d&#x27;attente de « Open space »" in html
    assert WaitlistEntry.objects.count() == 2


def test_join_refusals_are_messages(client, member, pool, office, full_tuesday):
    client.force_login(member)
    url = reverse("telework:waitlist_join")
    cases = [
        (
            {"resource": pool.pk, "day": (full_tuesday + dt.timedelta(days=1)).isoformat(), "part": "day"},
            "Il reste une place",
        ),
        (
            {"resource": office.pk, "day": full_tuesday.isoformat(), "part": "day"},
            "Cet espace partagé n&#x27;existe pas",
        ),
        ({"resource": pool.pk, "day": "demain", "part": "day"}, "Date illisible"),
        ({"resource": pool.pk, "day": full_tuesday.isoformat(), "part": "nuit"}, "Choisissez le matin"),
        ({"resource": pool.pk, "day": str(timezone.localdate() - dt.timedelta(days=1)), "part": "day"}, "déjà passé"),
    ]
    for data, message in cases:
        html = client.post(url, data, follow=True).content.decode()
        assert message in html, data
    assert not WaitlistEntry.objects.exists()


def test_join_returns_to_a_safe_next_only(client, member, pool, telecentre, full_tuesday):
    client.force_login(carnet_member(telecentre))
    data = {"resource": pool.pk, "day": full_tuesday.isoformat(), "part": "day", "next": "https://evil.example/"}
    assert client.post(reverse("telework:waitlist_join"), data).url == reverse("telework:my_waitlist")
    client.force_login(carnet_member(telecentre))
    assert client.post(reverse("telework:waitlist_join"), data | {"next": "/telecentres/"}).url == "/telecentres/"


def test_my_waitlist_and_leaving(client, pool, telecentre, full_tuesday):
    person = carnet_member(telecentre)
    entry = service.waitlist_request(actor=person, resource=pool, day=full_tuesday, part=DayPart.DAY)
    client.force_login(person)
    html = client.get(reverse("telework:my_waitlist")).content.decode()
    assert "Vous êtes en tête de la liste d&#x27;attente" in html
    assert "Me retirer" in html
    # Another person cannot remove it.
    client.force_login(carnet_member(telecentre))
    assert client.post(reverse("telework:waitlist_leave", kwargs={"pk": entry.pk})).status_code == 404
    client.force_login(person)
    html = client.post(reverse("telework:waitlist_leave", kwargs={"pk": entry.pk}), follow=True).content.decode()
    assert "Vous n&#x27;êtes plus sur la liste d&#x27;attente" in html
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.CANCELLED
    assert "Retirée" in html


def test_my_waitlist_shows_the_booking_obtained(client, pool, telecentre, full_tuesday):
    holder_booking = Booking.objects.get(resource=pool)
    person = carnet_member(telecentre)
    entry = service.waitlist_request(actor=person, resource=pool, day=full_tuesday, part=DayPart.DAY)
    booking_service.booking_cancel(actor=holder_booking.member, booking=holder_booking)
    entry.refresh_from_db()
    client.force_login(person)
    html = client.get(reverse("telework:my_waitlist")).content.decode()
    assert "Place attribuée" in html
    assert reverse("telework:booking_detail", kwargs={"pk": entry.booking_id}) in html


def test_my_waitlist_empty(client, member):
    client.force_login(member)
    assert "Vous n’êtes sur aucune liste d’attente" in client.get(reverse("telework:my_waitlist")).content.decode()


# --- query counts ------------------------------------------------------------------------------


def _series_of(member, pool, count):
    return service.series_create(
        actor=member, resource=pool, rrule=f"FREQ=DAILY;COUNT={count}", first_day=monday_in(1), part=DayPart.MORNING
    )


@pytest.mark.parametrize("who", ["member", "manager"])
def test_series_page_query_count_does_not_grow_with_dates(
    client, member, manager, pool, telecentre, django_assert_max_num_queries, who
):
    from ..models import Membership

    give = Membership.objects.get(member=member).credit_grants.get()
    give.amount = give.remaining = 100
    give.save()
    small = _series_of(member, pool, 3)
    large = _series_of(member, ResourceFactory(telecentre=telecentre, name="Open space 2"), 40)
    assert large.bookings.count() == 40 or large.report
    client.force_login(member if who == "member" else manager)
    client.get(detail_url(small))
    with django_assert_max_num_queries(12) as small_queries:
        assert client.get(detail_url(small)).status_code == 200
    with django_assert_max_num_queries(12) as large_queries:
        assert client.get(detail_url(large)).status_code == 200
    assert len(large_queries.captured_queries) == len(small_queries.captured_queries)


def test_my_waitlist_query_count(client, telecentre, django_assert_max_num_queries):
    person = carnet_member(telecentre)
    for index in range(25):
        pool = ResourceFactory(telecentre=telecentre, capacity=1, name=f"Espace {index}")
        day = monday_in(1) + dt.timedelta(days=index % 7)
        booking_service.booking_create(actor=carnet_member(telecentre), resource=pool, day=day, part=DayPart.DAY)
        service.waitlist_request(actor=person, resource=pool, day=day, part=DayPart.DAY)
    client.force_login(person)
    client.get(reverse("telework:my_waitlist"))
    with django_assert_max_num_queries(8):
        response = client.get(reverse("telework:my_waitlist"))
    assert response.content.decode().count("Me retirer") == 20
    assert "Page 1 sur 2" in response.content.decode()
