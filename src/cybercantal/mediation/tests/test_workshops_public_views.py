"""Public workshop pages and the staff registration page: roles, bad input, iCal, query counts."""

from __future__ import annotations

import datetime as dt
import html as htmllib

import icalendar
import pytest
from django.core import mail
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.mediation.models import Channel, DigitalTheme, Registration, RegistrationStatus, SessionStatus
from cybercantal.mediation.services import registrations as services
from cybercantal.mediation.views import workshops_public as views
from cybercantal.places.models import PlaceStatus

from .factories import SessionFactory, WorkshopFactory

CALENDAR = "/ateliers/"


def text(response):
    return htmllib.unescape(response.content.decode())


@pytest.fixture
def session(epn):
    workshop = WorkshopFactory(title="Premiers pas avec le courriel", summary="Créer son adresse et écrire.")
    return SessionFactory(place=epn, workshop=workshop, capacity=2)


def form_data(**extra):
    data = {"first_name": "Marcel", "last_name": "Vidal", "phone": "04 71 40 12 34", "email": ""}
    data.update(extra)
    return data


def session_url(session):
    return f"/ateliers/seance/{session.pk}/"


# --- calendar ---------------------------------------------------------------------------


def test_calendar_lists_upcoming_sessions_with_seats(client, session, epn):
    full = SessionFactory(place=epn, capacity=1, workshop=WorkshopFactory(title="Sécurité sur internet"))
    services.registration_create(actor=None, session=full, first_name="A", last_name="B", phone="0471000001")
    past_start = timezone.now() - dt.timedelta(days=3)
    SessionFactory(
        place=epn,
        starts_at=past_start,
        ends_at=past_start + dt.timedelta(hours=2),
        workshop=WorkshopFactory(title="Atelier passé"),
    )
    SessionFactory(place=epn, status=SessionStatus.CANCELLED, workshop=WorkshopFactory(title="Atelier annulé"))
    response = client.get(CALENDAR)
    assert response.status_code == 200
    html = text(response)
    assert "Premiers pas avec le courriel" in html
    assert "2 places restantes" in html
    assert "Complet, liste d’attente" in html
    assert "Atelier passé" not in html
    assert "Atelier annulé" not in html
    assert "2 séances à venir" in html


def test_calendar_filters_by_canton_theme_dates_and_text(client, session, other_epn):
    lioran = SessionFactory(
        place=other_epn,
        workshop=WorkshopFactory(title="Déclarer ses impôts en ligne", themes=[DigitalTheme.ONLINE_PROCEDURES]),
        starts_at=session.starts_at + dt.timedelta(days=10),
        ends_at=session.ends_at + dt.timedelta(days=10),
    )

    def titles(**params):
        html = text(client.get(CALENDAR, params))
        return {title for title in ("Premiers pas avec le courriel", "Déclarer ses impôts en ligne") if title in html}

    assert titles(canton=session.place.canton.slug) == {"Premiers pas avec le courriel"}
    assert titles(canton=lioran.place.canton.slug) == {"Déclarer ses impôts en ligne"}
    assert titles(thematique=DigitalTheme.EMAIL) == {"Premiers pas avec le courriel"}
    assert titles(q="declarer impots") == {"Déclarer ses impôts en ligne"}
    assert titles(q="ydes") == {"Premiers pas avec le courriel"}
    assert titles(q="COURRIEL ydes") == {"Premiers pas avec le courriel"}
    assert titles(q="courriel murat") == set()
    day = timezone.localtime(lioran.starts_at).date()
    assert titles(du=day.isoformat()) == {"Déclarer ses impôts en ligne"}
    assert titles(au=(day - dt.timedelta(days=1)).isoformat()) == {"Premiers pas avec le courriel"}


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"canton": "nulle-part"}, "Sélectionnez un choix valide"),
        ({"thematique": "cuisine"}, "Sélectionnez un choix valide"),
        ({"du": "demain"}, "Saisissez une date valide"),
        ({"du": "2026-05-10", "au": "2026-05-01"}, "avant la date de début"),
        ({"page": "abc"}, "pas un numéro de page"),
        ({"page": "9999"}, "voici la dernière page"),
        ({"q": "x" * 5000}, "200 caractères"),
    ],
)
def test_calendar_bad_filters_get_french_messages(client, session, params, message):
    response = client.get(CALENDAR, params)
    assert response.status_code == 200
    assert message in text(response)


def test_calendar_paginates_with_a_fixed_number_of_queries(client, epn, django_assert_max_num_queries):
    workshop = WorkshopFactory()
    for day in range(45):
        start = timezone.now() + dt.timedelta(days=day + 1)
        SessionFactory(place=epn, workshop=workshop, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    with django_assert_max_num_queries(4):  # cantons of the filter, count, page (+ session)
        response = client.get(CALENDAR)
    assert text(response).count('class="result"') == views.PAGE_SIZE
    with django_assert_max_num_queries(5):  # + the workshops matched by the text
        response = client.get(CALENDAR, {"q": "courriel", "page": "3"})
    assert text(response).count('class="result"') == 5


@pytest.mark.parametrize("role", [None, Role.CITIZEN, Role.MEDIATOR, Role.PROGRAMME_MANAGER])
def test_public_pages_are_open_to_everyone(client, staff, session, role):
    if role:
        client.force_login(staff(role))
    assert client.get(CALENDAR).status_code == 200
    assert client.get(session_url(session)).status_code == 200
    assert client.get(f"/ateliers/seance/{session.pk}.ics").status_code == 200
    assert client.get("/ateliers/calendrier.ics").status_code == 200


# --- session page and registration ---------------------------------------------------------


def test_session_page_shows_place_date_and_the_contact_rule(client, session):
    html = text(client.get(session_url(session)))
    assert "EPN du Pays Vert" in html
    assert "Place de la Mairie" in html
    assert session.starts_at.strftime("%Y") in html
    assert "un numéro de téléphone ou une adresse électronique" in html
    assert 'name="site_web"' in html
    assert "<div hidden>" in html


@pytest.mark.parametrize("pk", [999999, "abc"])
def test_unknown_session_is_a_404(client, db, pk):
    assert client.get(f"/ateliers/seance/{pk}/").status_code == 404


def test_session_of_an_unpublished_place_is_hidden(client, session):
    type(session.place).objects.filter(pk=session.place.pk).update(status=PlaceStatus.DRAFT)
    assert client.get(session_url(session)).status_code == 404


def test_online_registration_confirms_and_shows_the_result(client, session, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(session_url(session), form_data(email="marcel@exemple.fr"))
    registration = Registration.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/ateliers/inscription/{registration.pk}/"
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.channel == Channel.ONLINE
    assert registration.user is None
    assert len(mail.outbox) == 1
    html = text(client.get(response["Location"]))
    assert "Inscription confirmée" in html
    assert f"/ateliers/annulation/{registration.token}/" in html


def test_signed_in_citizen_registration_is_linked_to_the_account(client, staff, session):
    citizen = staff(Role.CITIZEN)
    client.force_login(citizen)
    client.post(session_url(session), form_data())
    registration = Registration.objects.get()
    assert registration.user == citizen
    assert registration.registered_by == citizen


def test_full_session_puts_people_on_the_waitlist_with_their_position(client, session):
    for n in range(2):
        services.registration_create(actor=None, session=session, first_name=f"P{n}", last_name="X", phone="0471000000")
    response = client.post(session_url(session), form_data())
    html = text(client.get(response["Location"]))
    assert "liste d’attente, en position 1" in html


def test_double_submit_shows_the_same_result(client, session):
    first = client.post(session_url(session), form_data())
    second = client.post(session_url(session), form_data())
    assert first["Location"] == second["Location"]
    assert Registration.objects.count() == 1


def test_duplicate_from_another_browser_is_an_error_not_the_other_persons_link(client, session):
    services.registration_create(
        actor=None, session=session, first_name="Marcel", last_name="Vidal", phone="0471401234"
    )
    response = client.post(session_url(session), form_data())
    html = text(response)
    assert response.status_code == 200
    assert "déjà inscrite" in html
    assert "/ateliers/annulation/" not in html


def test_the_result_page_is_only_for_the_browser_that_registered(client, session):
    registration = services.registration_create(
        actor=None, session=session, first_name="Marcel", last_name="Vidal", phone="0471401234"
    )
    assert client.get(f"/ateliers/inscription/{registration.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (form_data(first_name=""), "first_name", "Indiquez votre prénom"),
        (form_data(last_name=""), "last_name", "Indiquez votre nom"),
        (form_data(phone="", email=""), "phone", "un numéro de téléphone ou une adresse électronique"),
        (form_data(phone="allo"), "phone", "pas lisible"),
        (form_data(email="marcel@"), "email", "nom@exemple.fr"),
        (form_data(first_name="M" * 5000), "first_name", "80 caractères"),
        (form_data(phone="0" * 5000), "phone", "30 caractères"),
        ({}, "first_name", "Indiquez votre prénom"),
        ({"first_name": ["Jean", "Paul"], "last_name": "V", "phone": "0471000000"}, None, ""),
    ],
)
def test_bad_registration_input_gets_a_french_message_and_saves_nothing(client, session, data, field, message):
    response = client.post(session_url(session), data)
    html = text(response)
    if field is None:  # a list where a text is expected: the last value is taken, no crash
        assert response.status_code in (200, 302)
        return
    assert response.status_code == 200
    assert message in html
    assert "L’inscription n’est pas enregistrée" in html
    assert f'id="id_{field}_error"' in html or "errorlist" in html
    assert not Registration.objects.exists()


def test_honeypot_registers_nobody(client, session):
    response = client.post(session_url(session), form_data(site_web="http://spam.example"))
    assert response.status_code == 200
    assert not Registration.objects.exists()


def test_flood_from_one_address_is_rate_limited(client, session, monkeypatch):
    monkeypatch.setattr(views, "RATE_LIMIT", 3)
    for n in range(3):
        client.post(session_url(session), form_data(first_name=f"P{n}"))
    response = client.post(session_url(session), form_data(first_name="Quatrième"))
    assert response.status_code == 429
    assert "Trop d'inscriptions" in text(response)
    assert Registration.objects.count() == 3


def test_past_session_page_says_registrations_are_closed(client, epn):
    start = timezone.now() - dt.timedelta(days=1)
    session = SessionFactory(place=epn, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    html = text(client.get(session_url(session)))
    assert "inscriptions sont fermées" in html
    response = client.post(session_url(session), form_data())
    assert "fermées" in text(response)
    assert not Registration.objects.exists()


# --- cancellation link ----------------------------------------------------------------------


def test_cancellation_link_asks_then_cancels_and_is_idempotent(client, session):
    registration = services.registration_create(
        actor=None, session=session, first_name="Marcel", last_name="Vidal", phone="0471401234"
    )
    url = f"/ateliers/annulation/{registration.token}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Annuler mon inscription" in text(page)
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CONFIRMED  # GET changes nothing

    response = client.post(url)
    assert response.status_code == 302
    registration.refresh_from_db()
    assert registration.status == RegistrationStatus.CANCELLED
    again = client.post(url, follow=True)
    assert again.status_code == 200
    assert "Cette inscription est annulée" in text(again)
    session.refresh_from_db()
    assert session.confirmed_count == 0


@pytest.mark.parametrize("token", ["inconnu", "x" * 300, "%00", "abc%20def"])
def test_unknown_cancellation_token_is_a_french_404(client, db, token):
    response = client.get(f"/ateliers/annulation/{token}/")
    assert response.status_code == 404
    assert "Lien d’annulation inconnu" in text(response)


# --- iCal -----------------------------------------------------------------------------------


def test_session_ics_parses_back_with_stable_uid_timezone_location_and_url(client, session):
    first = client.get(f"/ateliers/seance/{session.pk}.ics")
    assert first["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(first.content)
    events = cal.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["summary"]) == "Premiers pas avec le courriel"
    assert event.decoded("dtstart") == session.starts_at
    assert str(event.decoded("dtstart").tzinfo) == "Europe/Paris"
    assert event.decoded("dtend") == session.ends_at
    assert "Place de la Mairie" in str(event["location"])
    assert "Ydes" in str(event["location"])
    assert str(event["url"]).endswith(f"/ateliers/seance/{session.pk}/")
    assert cal.walk("VTIMEZONE")
    second = icalendar.Calendar.from_ical(client.get(f"/ateliers/seance/{session.pk}.ics").content)
    assert str(second.walk("VEVENT")[0]["uid"]) == str(event["uid"])


def test_calendar_feed_applies_the_same_filters(client, session, other_epn):
    SessionFactory(place=other_epn, workshop=WorkshopFactory(title="Tablette"))
    cal = icalendar.Calendar.from_ical(client.get("/ateliers/calendrier.ics").content)
    assert len(cal.walk("VEVENT")) == 2
    filtered = client.get("/ateliers/calendrier.ics", {"canton": session.place.canton.slug})
    events = icalendar.Calendar.from_ical(filtered.content).walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["Premiers pas avec le courriel"]


def test_unknown_session_ics_is_a_404(client, db):
    assert client.get("/ateliers/seance/424242.ics").status_code == 404


# --- staff registration by phone or at the desk -------------------------------------------


def staff_url(session):
    return f"/mediation/seances/{session.pk}/inscrire/"


@pytest.mark.parametrize(
    ("who", "expected"),
    [("anonymous", 302), ("citizen", 403), ("mediator_here", 200), ("mediator_elsewhere", 403), ("manager", 200)],
)
def test_register_someone_per_role(client, staff, session, mediator, manager, other_epn, who, expected):
    users = {
        "citizen": lambda: staff(Role.CITIZEN),
        "mediator_here": lambda: mediator.user,
        "mediator_elsewhere": lambda: staff(Role.MEDIATOR, other_epn),
        "manager": lambda: manager,
    }
    if who in users:
        client.force_login(users[who]())
    assert client.get(staff_url(session)).status_code == expected
    response = client.post(staff_url(session), form_data(channel=Channel.DESK))
    assert response.status_code == (302 if expected == 200 else expected)
    assert Registration.objects.exists() is (expected == 200)


def test_mediator_registers_someone_by_phone_without_email(client, session, mediator):
    client.force_login(mediator.user)
    response = client.post(staff_url(session), form_data(channel=Channel.PHONE), follow=True)
    registration = Registration.objects.get()
    assert registration.channel == Channel.PHONE
    assert registration.registered_by == mediator.user
    assert registration.email == ""
    assert "Marcel Vidal est inscrit(e)" in text(response)


def test_mediator_sees_waitlist_position_when_full(client, session, mediator):
    client.force_login(mediator.user)
    for n in range(2):
        client.post(staff_url(session), form_data(first_name=f"P{n}", channel=Channel.DESK))
    response = client.post(staff_url(session), form_data(channel=Channel.DESK), follow=True)
    assert "liste d'attente (position 1)" in text(response)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (form_data(channel="online"), "Sélectionnez un choix valide"),
        (form_data(channel=Channel.PHONE, phone="", email=""), "un numéro de téléphone ou une adresse"),
        (form_data(channel=Channel.PHONE, last_name=""), "Indiquez le nom de la personne"),
    ],
)
def test_register_someone_bad_input(client, session, mediator, data, message):
    client.force_login(mediator.user)
    response = client.post(staff_url(session), data)
    assert response.status_code == 200
    assert message in text(response)
    assert not Registration.objects.exists()


def test_register_someone_unknown_session_is_a_404(client, mediator):
    client.force_login(mediator.user)
    assert client.get("/mediation/seances/999999/inscrire/").status_code == 404
