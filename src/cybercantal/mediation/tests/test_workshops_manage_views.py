"""Pages of the mediators' workspace, per role, with bad input and query counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.mediation import models as m

from .factories import MediatorFactory, SessionFactory, WorkshopFactory
from .factories_workshops_manage import fill, register, started_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(epn):
    return SessionFactory(place=epn, workshop=WorkshopFactory(title="Premiers pas avec le courriel"), capacity=10)


@pytest.fixture
def people(staff, epn, other_epn, mediator, manager):
    """Each role of the role table: None is anonymous."""
    return {
        "anonymous": None,
        "citizen": staff(Role.CITIZEN),
        "mediator_here": mediator.user,
        "mediator_elsewhere": staff(Role.MEDIATOR, other_epn),
        "manager": manager,
    }


def _get(client, user, url):
    if user is not None:
        client.force_login(user)
    return client.get(url)


SESSION_PAGES = ["/mediation/seances/{pk}/", "/mediation/seances/{pk}/modifier/", "/mediation/seances/{pk}/annuler/"]


@pytest.mark.parametrize("url", SESSION_PAGES)
@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("citizen", 403), ("mediator_here", 200), ("mediator_elsewhere", 403), ("manager", 200)],
)
def test_session_pages_per_role(client, people, session, url, role, expected):
    response = _get(client, people[role], url.format(pk=session.pk))
    assert response.status_code == expected
    if role == "anonymous":
        assert "/compte/login/" in response["Location"]


@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("citizen", 403), ("mediator_here", 200), ("mediator_elsewhere", 403), ("manager", 200)],
)
def test_attendance_page_per_role(client, people, epn, role, expected):
    started = started_session(SessionFactory, place=epn)
    response = _get(client, people[role], f"/mediation/seances/{started.pk}/presences/")
    assert response.status_code == expected


@pytest.mark.parametrize(
    "url",
    [
        "/mediation/",
        "/mediation/ateliers/",
        "/mediation/ateliers/nouveau/",
        "/mediation/seances/",
        "/mediation/seances/nouvelle/",
    ],
)
@pytest.mark.parametrize(
    ("role", "expected"),
    [("anonymous", 302), ("citizen", 403), ("mediator_here", 200), ("mediator_elsewhere", 200), ("manager", 200)],
)
def test_workspace_pages_per_role(client, people, url, role, expected):
    assert _get(client, people[role], url).status_code == expected


def test_unknown_session_is_404(client, mediator):
    client.force_login(mediator.user)
    assert client.get("/mediation/seances/999999/").status_code == 404


def test_home_shows_fill_and_people_to_phone(client, mediator, epn, other_epn):
    session = SessionFactory(place=epn, capacity=10, starts_at=timezone.now() + dt.timedelta(days=2))
    session.ends_at = session.starts_at + dt.timedelta(hours=2)
    session.save()
    fill(session, 8)
    register(session, status=m.RegistrationStatus.WAITLISTED)
    register(session, status=m.RegistrationStatus.WAITLISTED)
    promoted = register(
        session,
        first_name="Gaston",
        last_name="Roumégoux",
        email="",
        phone="04 71 40 00 00",
        promoted_at=timezone.now(),
    )
    elsewhere = SessionFactory(place=other_epn, workshop=WorkshopFactory(title="Atelier du Lioran"))
    client.force_login(mediator.user)
    response = client.get("/mediation/")
    text = response.content.decode()
    assert "9/10 inscrits, 2 en attente" in text
    assert "Gaston Roumégoux" in text
    assert "04 71 40 00 00" in text
    assert elsewhere.workshop.title not in text
    assert "Nouvel accompagnement" in text
    # The button ticks the person off (through the registrations service).
    response = client.post(f"/mediation/inscriptions/{promoted.pk}/prevenu/")
    assert response.status_code == 302
    promoted.refresh_from_db()
    assert promoted.promotion_notified_at is not None
    text = client.get("/mediation/").content.decode()
    assert "Gaston Roumégoux est noté(e) comme prévenu(e)." in text
    assert "Personnes à prévenir par téléphone" not in text


def test_mark_notified_refused_to_a_mediator_of_another_epn(client, staff, other_epn, session):
    promoted = register(session, email="", promoted_at=timezone.now())
    client.force_login(staff(Role.MEDIATOR, other_epn))
    assert client.post(f"/mediation/inscriptions/{promoted.pk}/prevenu/").status_code == 403
    promoted.refresh_from_db()
    assert promoted.promotion_notified_at is None


def test_manager_home_sees_the_whole_network(client, manager, epn, other_epn):
    SessionFactory(place=other_epn, workshop=WorkshopFactory(title="Atelier du Lioran"))
    client.force_login(manager)
    assert "Atelier du Lioran" in client.get("/mediation/").content.decode()


def test_sessions_list_filters_by_place_and_period(client, manager, epn, other_epn):
    SessionFactory(place=epn, workshop=WorkshopFactory(title="Atelier à venir Ydes"))
    SessionFactory(place=other_epn, workshop=WorkshopFactory(title="Atelier à venir Murat"))
    started_session(SessionFactory, place=epn, hours_ago=48, workshop=WorkshopFactory(title="Atelier passé Ydes"))
    client.force_login(manager)
    table = client.get(f"/mediation/seances/?lieu={epn.pk}").content.decode().split("<table")[-1]
    assert "Atelier à venir Ydes" in table
    assert "Murat" not in table
    assert "passé" not in table
    table = client.get(f"/mediation/seances/?lieu={epn.pk}&periode=past").content.decode().split("<table")[-1]
    assert "Atelier passé Ydes" in table
    assert "Atelier à venir" not in table
    response = client.get("/mediation/seances/?lieu=abc&periode=demain&page=zz")
    assert response.status_code == 200
    assert (
        "Ce lieu n&#x27;est pas dans la liste" in response.content.decode() or "Ce lieu n" in response.content.decode()
    )


def test_mediator_cannot_filter_on_another_epn(client, mediator, other_epn):
    SessionFactory(place=other_epn, workshop=WorkshopFactory(title="Atelier du Lioran"))
    client.force_login(mediator.user)
    text = client.get(f"/mediation/seances/?lieu={other_epn.pk}").content.decode()
    assert "Atelier du Lioran" not in text


def test_sessions_list_query_count(client, mediator, epn, django_assert_max_num_queries):
    workshops = [WorkshopFactory() for _ in range(3)]
    for index in range(25):
        session = SessionFactory(
            place=epn,
            workshop=workshops[index % 3],
            mediator=mediator,
            starts_at=timezone.now() + dt.timedelta(days=index + 1, hours=1),
        )
        fill(session, 2)
        register(session, status=m.RegistrationStatus.WAITLISTED)
    client.force_login(mediator.user)
    client.get("/mediation/seances/")  # warm the caches (content types)
    with django_assert_max_num_queries(9):
        response = client.get("/mediation/seances/")
    assert response.status_code == 200
    assert response.content.decode().count("2/8 inscrits, 1 en attente") == 20
    with django_assert_max_num_queries(9):
        assert client.get("/mediation/seances/?page=2").status_code == 200


def test_home_query_count(client, mediator, epn, django_assert_max_num_queries):
    for index in range(15):
        session = SessionFactory(place=epn, starts_at=timezone.now() + dt.timedelta(hours=3 + index * 20))
        fill(session, 1, with_email=False)
        register(session, email="", promoted_at=timezone.now())
    client.force_login(mediator.user)
    client.get("/mediation/")
    with django_assert_max_num_queries(10):
        response = client.get("/mediation/")
    assert response.status_code == 200


def test_catalogue_query_count(client, manager, django_assert_max_num_queries):
    for _ in range(30):
        WorkshopFactory()
    client.force_login(manager)
    client.get("/mediation/ateliers/")
    with django_assert_max_num_queries(8):
        response = client.get("/mediation/ateliers/")
    assert "30 ateliers au catalogue" in response.content.decode()


# --- forms ------------------------------------------------------------------------------------


def test_create_workshop_then_bad_input_is_reported_next_to_fields(client, mediator):
    client.force_login(mediator.user)
    response = client.post(
        "/mediation/ateliers/nouveau/",
        {
            "title": "Échanger en visio avec ses petits-enfants",
            "summary": "Appeler en vidéo.",
            "themes": ["social"],
            "level": "beginner",
            "duration_minutes": "120",
            "publics": ["seniors"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    workshop = m.Workshop.objects.get()
    assert workshop.slug == "echanger-en-visio-avec-ses-petits-enfants"
    response = client.post(
        "/mediation/ateliers/nouveau/",
        {
            "title": "Échanger en visio avec ses petits-enfants",
            "summary": "",
            "themes": [],
            "level": "expert",
            "duration_minutes": "mille",
        },
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "Choisissez au moins une thématique." in text
    assert "Indiquez une durée en minutes" in text
    assert m.Workshop.objects.count() == 1


def test_edit_workshop(client, manager):
    workshop = WorkshopFactory(title="Courriel")
    client.force_login(manager)
    assert client.get(f"/mediation/ateliers/{workshop.pk}/modifier/").status_code == 200
    response = client.post(
        f"/mediation/ateliers/{workshop.pk}/modifier/",
        {
            "title": "Courriel, les bases",
            "summary": "Les bases.",
            "themes": ["email"],
            "level": "beginner",
            "duration_minutes": "90",
        },
    )
    assert response.status_code == 302
    workshop.refresh_from_db()
    assert (workshop.title, workshop.duration_minutes, workshop.is_active) == ("Courriel, les bases", 90, False)


def _session_post(workshop, place, day, **extra):
    return {
        "workshop": workshop.pk,
        "place": place.pk,
        "date": day.isoformat(),
        "time": "14:00",
        "capacity": "6",
        "weeks": "1",
        "notes": "",
        **extra,
    }


def test_create_a_weekly_series_through_the_form(client, mediator, epn):
    workshop = WorkshopFactory()
    client.force_login(mediator.user)
    day = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(
        "/mediation/seances/nouvelle/", _session_post(workshop, epn, day, weeks="4", mediator=mediator.pk)
    )
    assert response.status_code == 302
    sessions = list(m.Session.objects.order_by("starts_at"))
    assert len(sessions) == 4
    assert len({s.series for s in sessions}) == 1
    assert response["Location"] == f"/mediation/seances/{sessions[0].pk}/"


def test_create_session_bad_input(client, mediator, epn, other_epn):
    workshop = WorkshopFactory()
    client.force_login(mediator.user)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    response = client.post("/mediation/seances/nouvelle/", _session_post(workshop, epn, yesterday, capacity="0"))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Une séance a au moins 1 place." in text
    response = client.post("/mediation/seances/nouvelle/", _session_post(workshop, epn, yesterday))
    assert "La date de début est passée" in response.content.decode()
    # Another EPN is not among the mediator's places.
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = client.post("/mediation/seances/nouvelle/", _session_post(workshop, other_epn, tomorrow))
    assert "Choisissez un de vos lieux." in response.content.decode()
    response = client.post(
        "/mediation/seances/nouvelle/",
        {"workshop": "x", "place": "", "date": "31/02/2026", "time": "25:00", "capacity": "beaucoup"},
    )
    text = response.content.decode()
    assert "Indiquez une date" in text
    assert "Indiquez une heure" in text
    assert "Indiquez un nombre de places" in text
    assert not m.Session.objects.exists()


def test_edit_session_capacity_below_confirmed_is_refused(client, mediator, session):
    fill(session, 5)
    client.force_login(mediator.user)
    local = timezone.localtime(session.starts_at)
    response = client.post(
        f"/mediation/seances/{session.pk}/modifier/",
        {"date": local.date().isoformat(), "time": local.strftime("%H:%M"), "capacity": "4", "notes": ""},
    )
    assert response.status_code == 200
    assert "5 personnes sont déjà inscrites" in response.content.decode()
    session.refresh_from_db()
    assert session.capacity == 10


def test_cancel_session_page_lists_people_to_phone(client, mediator, session):
    register(session, first_name="Gaston", email="", phone="04 71 40 00 00")
    register(session, first_name="Marie", email="marie@example.fr")
    client.force_login(mediator.user)
    response = client.post(f"/mediation/seances/{session.pk}/annuler/", {"reason": ""})
    assert "Indiquez la raison" in response.content.decode()
    response = client.post(f"/mediation/seances/{session.pk}/annuler/", {"reason": "Panne de réseau"})
    text = response.content.decode()
    assert "La séance est annulée." in text
    assert "Gaston" in text
    assert "04 71 40 00 00" in text
    session.refresh_from_db()
    assert session.status == "cancelled"


def test_session_page_shows_registrations_waitlist_and_links(client, mediator, session):
    register(session, first_name="Marie", last_name="Delpuech", email="marie@example.fr", channel=m.Channel.ONLINE)
    register(session, first_name="Zoé", status=m.RegistrationStatus.WAITLISTED)
    register(session, first_name="Aline", status=m.RegistrationStatus.WAITLISTED)
    client.force_login(mediator.user)
    text = client.get(f"/mediation/seances/{session.pk}/").content.decode()
    assert "Marie Delpuech" in text
    assert "marie@example.fr" in text
    assert "En ligne" in text
    assert text.index("Zoé") < text.index("Aline")  # waitlist in arrival order, not by name
    assert "1/10 inscrit, 2 en attente" in text
    assert f"/mediation/seances/{session.pk}/presences/" in text
    assert f"/mediation/seances/{session.pk}/inscrire/" in text  # « Inscrire une personne »


def test_attendance_form_saves_and_shows_summary(client, mediator, epn):
    started = started_session(SessionFactory, place=epn)
    people = fill(started, 8)
    client.force_login(mediator.user)
    page = client.get(f"/mediation/seances/{started.pk}/presences/").content.decode()
    assert page.count('type="checkbox" name="present"') == 8
    response = client.post(
        f"/mediation/seances/{started.pk}/presences/", {"present": [str(p.pk) for p in people[:7]]}, follow=True
    )
    assert "7 présents, 1 absent" in response.content.decode()
    assert m.Registration.objects.filter(attended=False).count() == 1


def test_attendance_bad_input(client, mediator, epn, session):
    started = started_session(SessionFactory, place=epn)
    fill(started, 2)
    client.force_login(mediator.user)
    response = client.post(f"/mediation/seances/{started.pk}/presences/", {"present": ["abc"]})
    assert response.status_code == 400
    assert "illisible" in response.content.decode()
    response = client.post(f"/mediation/seances/{started.pk}/presences/", {"present": ["999999"]})
    assert response.status_code == 400
    # Not started yet: the page says when, saving is refused.
    assert "à partir du début" in client.get(f"/mediation/seances/{session.pk}/presences/").content.decode()
    assert client.post(f"/mediation/seances/{session.pk}/presences/", {}).status_code == 400
    assert not m.Registration.objects.filter(attended__isnull=False).exists()


def test_mediator_choices_are_people_of_the_place(client, mediator, epn, other_epn, staff):
    outsider = staff(Role.MEDIATOR, other_epn)
    outsider.first_name = "Ailleurs"
    outsider.save()
    MediatorFactory(user=outsider)
    client.force_login(mediator.user)
    text = client.get("/mediation/seances/nouvelle/").content.decode()
    assert mediator.user.get_full_name() in text
    assert "Ailleurs" not in text
