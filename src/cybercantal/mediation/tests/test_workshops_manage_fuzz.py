"""Bad input on every form of the parts workshops_public, workshops_manage and free_access:
each field in turn gets an empty, huge, wrong-type, NUL-byte or odd value while the other
fields stay valid. Never a 500, and a refused value is never saved."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from cybercantal.accounts.models import Role
from cybercantal.mediation.models import (
    ComputerBooking,
    FreeAccessVisit,
    PublicComputer,
    Registration,
    Session,
    Workshop,
)

from .factories import MediatorFactory, PublicComputerFactory, SessionFactory, WorkshopFactory
from .factories_free_access import at, bookable_day
from .factories_workshops_manage import register, started_session

pytestmark = pytest.mark.django_db

BAD_VALUES = {
    "empty": "",
    "huge": "x" * 100_000,
    "nul": "abc\x00def",
    "negative": "-1",
    "enormous_number": "9" * 40,
    "float": "1e309",
    "impossible_date": "2026-02-30",
    "zero_date": "0000-00-00",
    "markup": "<script>alert(1)</script>",
    "unicode": "☃\u202e\ufeff",
    "spaces": "   ",
}


@pytest.fixture
def world(epn, staff):
    mediator_user = staff(Role.MEDIATOR, epn)
    mediator = MediatorFactory(user=mediator_user)
    workshop = WorkshopFactory()
    session = SessionFactory(place=epn, workshop=workshop, capacity=5)
    person = register(session, first_name="Aline", email="aline@exemple.fr")
    started = started_session(SessionFactory, place=epn)
    present = register(started, first_name="Bruno")
    computer = PublicComputerFactory(place=epn, label="Poste 1")
    registration_token = person.token
    day = bookable_day()
    booking_token = ComputerBooking.objects.create(
        computer=computer,
        starts_at=at(day, "09:00"),
        ends_at=at(day, "10:00"),
        name="Claire",
        phone="0471000000",
    ).token
    return {
        "mediator": mediator_user,
        "mediator_profile": mediator,
        "workshop": workshop,
        "session": session,
        "started": started,
        "present": present,
        "computer": computer,
        "place": epn,
        "day": day,
        "registration_token": registration_token,
        "booking_token": booking_token,
    }


def forms(w):
    """(label, url, method, valid data, signed in as the mediator?)."""
    place, session, day = w["place"], w["session"], w["day"]
    return [
        (
            "calendar",
            reverse("mediation:calendar"),
            "get",
            {"q": "courriel", "canton": "", "thematique": "email", "du": "2030-01-01", "au": "2030-02-01", "page": "1"},
            False,
        ),
        ("calendar_ics", reverse("mediation:calendar_ics"), "get", {"q": "x", "du": "2030-01-01"}, False),
        (
            "register_online",
            reverse("mediation:public_session", args=[session.pk]),
            "post",
            {"first_name": "Jean", "last_name": "Vidal", "phone": "04 71 11 22 33", "email": "", "site_web": ""},
            False,
        ),
        (
            "register_someone",
            reverse("mediation:register_someone", args=[session.pk]),
            "post",
            {"first_name": "Jean", "last_name": "Vidal", "phone": "04 71 11 22 33", "email": "", "channel": "phone"},
            True,
        ),
        (
            "cancel_registration",
            reverse("mediation:cancel_registration", args=[w["registration_token"]]),
            "post",
            {},
            False,
        ),
        (
            "workshop_create",
            reverse("mediation:workshop_create"),
            "post",
            {
                "title": "Atelier tout neuf",
                "summary": "Un résumé.",
                "themes": "email",
                "level": "beginner",
                "duration_minutes": "90",
                "publics": "seniors",
                "prerequisites": "",
                "is_active": "on",
            },
            True,
        ),
        (
            "workshop_edit",
            reverse("mediation:workshop_edit", args=[w["workshop"].pk]),
            "post",
            {
                "title": "Atelier renommé",
                "summary": "Un résumé.",
                "themes": "email",
                "level": "beginner",
                "duration_minutes": "90",
                "is_active": "on",
            },
            True,
        ),
        (
            "sessions",
            reverse("mediation:manage_sessions"),
            "get",
            {"lieu": str(place.pk), "periode": "upcoming", "page": "1"},
            True,
        ),
        (
            "session_create",
            reverse("mediation:manage_session_create"),
            "post",
            {
                "workshop": str(w["workshop"].pk),
                "place": str(place.pk),
                "date": "2030-01-08",
                "time": "14:00",
                "capacity": "8",
                "mediator": str(w["mediator_profile"].pk),
                "weeks": "1",
                "notes": "",
            },
            True,
        ),
        (
            "session_edit",
            reverse("mediation:manage_session_edit", args=[session.pk]),
            "post",
            {"date": "2030-01-09", "time": "10:00", "capacity": "6", "mediator": "", "notes": "Salle 2"},
            True,
        ),
        (
            "session_cancel",
            reverse("mediation:manage_session_cancel", args=[session.pk]),
            "post",
            {"reason": "Animateur malade"},
            True,
        ),
        (
            "attendance",
            reverse("mediation:attendance", args=[w["started"].pk]),
            "post",
            {"present": str(w["present"].pk)},
            True,
        ),
        ("free_access_places", reverse("mediation:free_access_places"), "get", {"canton": "x", "page": "1"}, False),
        (
            "free_access_day",
            reverse("mediation:free_access_day", kwargs={"slug": place.slug}),
            "get",
            {"date": f"{day:%Y-%m-%d}"},
            False,
        ),
        (
            "free_access_book_get",
            reverse("mediation:free_access_book", kwargs={"slug": place.slug}),
            "get",
            {"computer": str(w["computer"].pk), "day": f"{day:%Y-%m-%d}", "start": "14:00", "minutes": "60"},
            False,
        ),
        (
            "free_access_book",
            reverse("mediation:free_access_book", kwargs={"slug": place.slug}),
            "post",
            {
                "computer": str(w["computer"].pk),
                "day": f"{day:%Y-%m-%d}",
                "start": "14:00",
                "minutes": "60",
                "name": "Jeanne Vidal",
                "phone": "04 71 11 22 33",
                "email": "",
            },
            False,
        ),
        (
            "free_access_cancel",
            reverse("mediation:free_access_cancel", kwargs={"token": w["booking_token"]}),
            "post",
            {},
            False,
        ),
        (
            "free_access_count",
            reverse("mediation:free_access_count", kwargs={"slug": place.slug}),
            "post",
            {"slot": "morning", "delta": "1"},
            True,
        ),
        (
            "free_access_visits_get",
            reverse("mediation:free_access_visits", kwargs={"slug": place.slug}),
            "get",
            {"mois": "2024-03"},
            True,
        ),
        (
            "free_access_visits",
            reverse("mediation:free_access_visits", kwargs={"slug": place.slug}),
            "post",
            {"date": "2024-03-04", "slot": "morning", "count": "12"},
            True,
        ),
        (
            "free_access_computer_add",
            reverse("mediation:free_access_computer_add", kwargs={"slug": place.slug}),
            "post",
            {"label": "Poste 9", "features": "Grand écran", "equipment": "", "is_active": "on"},
            True,
        ),
        (
            "free_access_computer_edit",
            reverse("mediation:free_access_computer_edit", kwargs={"slug": place.slug, "pk": w["computer"].pk}),
            "post",
            {"label": "Poste 1", "features": "", "equipment": "", "is_active": "on"},
            True,
        ),
    ]


FORM_LABELS = [
    "calendar",
    "calendar_ics",
    "register_online",
    "register_someone",
    "cancel_registration",
    "workshop_create",
    "workshop_edit",
    "sessions",
    "session_create",
    "session_edit",
    "session_cancel",
    "attendance",
    "free_access_places",
    "free_access_day",
    "free_access_book_get",
    "free_access_book",
    "free_access_cancel",
    "free_access_count",
    "free_access_visits_get",
    "free_access_visits",
    "free_access_computer_add",
    "free_access_computer_edit",
]

TEXT_COLUMNS = [
    (Registration, ("first_name", "last_name", "phone", "email")),
    (Workshop, ("title", "summary", "description", "prerequisites")),
    (Session, ("notes",)),
    (PublicComputer, ("label", "features")),
    (ComputerBooking, ("name", "phone", "email")),
]


def saved_bad_text(value: str) -> list[str]:
    """Columns where a refused value (NUL byte, 100,000 characters) ended up saved."""
    if "\x00" in value and connection.vendor == "postgresql":
        return []  # PostgreSQL cannot store a NUL byte at all (and cannot be asked for one)
    return [
        f"{model.__name__}.{column}"
        for model, columns in TEXT_COLUMNS
        for column in columns
        if model.objects.filter(**{f"{column}__contains": value[:50]}).exists()
    ]


@pytest.mark.parametrize("label", FORM_LABELS)
@pytest.mark.parametrize("kind", list(BAD_VALUES))
def test_bad_values_never_give_a_500(client, world, label, kind):
    url, method, valid, as_staff = next((u, m, d, s) for name, u, m, d, s in forms(world) if name == label)
    if as_staff:
        client.force_login(world["mediator"])
    value = BAD_VALUES[kind]
    fields = list(valid) or ["unexpected"]
    for field in fields:
        data = valid | {field: value}
        response = client.post(url, data) if method == "post" else client.get(url, data)
        assert response.status_code < 500, (label, field, kind, response.status_code)
        if response.status_code == 200 and method == "post" and "errorlist" in response.content.decode():
            # A field error is in French (not Django's English default).
            body = response.content.decode()
            assert "This field" not in body
            assert "Enter a" not in body
    if kind in ("nul", "huge"):
        assert saved_bad_text(value) == [], (label, kind)


@pytest.mark.parametrize("label", ["register_online", "register_someone", "session_create", "free_access_book"])
def test_a_list_where_one_value_is_expected_is_no_500(client, world, label):
    url, _method, valid, as_staff = next((u, m, d, s) for name, u, m, d, s in forms(world) if name == label)
    if as_staff:
        client.force_login(world["mediator"])
    for field in valid:
        data = valid | {field: ["1", "2", "\x00"]}
        response = client.post(url, data)
        assert response.status_code < 500, (label, field)


def test_refused_registration_saves_nothing(client, world):
    before = Registration.objects.count()
    url = reverse("mediation:public_session", args=[world["session"].pk])
    response = client.post(url, {"first_name": "Jean\x00", "last_name": "Vidal", "phone": "0471112233"})
    assert response.status_code == 200
    assert "Le caractère nul n’est pas autorisé." in response.content.decode()
    assert Registration.objects.count() == before


def test_refused_visit_count_saves_nothing(client, world):
    client.force_login(world["mediator"])
    url = reverse("mediation:free_access_visits", kwargs={"slug": world["place"].slug})
    response = client.post(url, {"date": "2024-03-04", "slot": "morning", "count": "9" * 40})
    assert response.status_code == 400
    assert "entre 0 et 10 000" in response.content.decode()
    assert not FreeAccessVisit.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/ateliers/annulation/abc%00def/",
        "/ateliers/postes/annulation/abc%00def/",
        "/ateliers/postes/reservation/abc%00def/",
        "/ateliers/annulation/" + "a" * 5000 + "/",
        "/ateliers/postes/reservation/%E2%98%83/",
    ],
)
def test_odd_tokens_in_links_are_a_404_not_a_500(client, db, path):
    response = client.get(path)
    assert response.status_code == 404
    assert 'lang="fr"' in response.content.decode()
