"""Every staff URL of the parts workshops_public, workshops_manage and free_access that names
an object of one EPN (a session, a registration, a place, a computer, a booking), tried by
people who must not use it: anonymous (sent to sign in), a citizen and a mediator of another
EPN (403 or 404). Nothing may change on a refused POST. The catalogue (``/mediation/ateliers/``)
is shared by the whole network on purpose and is not in the list."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.mediation.models import ComputerBooking, FreeAccessVisit, PublicComputer, Registration, Session

from .factories import MediatorFactory, PublicComputerFactory, SessionFactory
from .factories_free_access import at, bookable_day
from .factories_workshops_manage import register, started_session

pytestmark = pytest.mark.django_db


@pytest.fixture
def objects(epn):
    """One of each object of ``epn`` that a staff URL can name."""
    session = SessionFactory(place=epn, capacity=1)
    register(session, first_name="Inscrite", email="inscrite@exemple.fr")
    promoted = register(session, first_name="Promue", status="waitlisted")
    Registration.objects.filter(pk=promoted.pk).update(status="confirmed", promoted_at=session.created_at)
    started = started_session(SessionFactory, place=epn)
    register(started, first_name="Présente")
    computer = PublicComputerFactory(place=epn, label="Poste 1")
    day = bookable_day()
    booking = ComputerBooking.objects.create(
        computer=computer, starts_at=at(day, "14:00"), ends_at=at(day, "15:00"), name="Réservante", phone="0471000000"
    )
    return {
        "session": session,
        "started": started,
        "registration": promoted,
        "place": epn,
        "computer": computer,
        "booking": booking,
    }


# (url name, kwargs from the objects, method, POST data)
STAFF_URLS = [
    ("mediation:register_someone", lambda o: {"pk": o["session"].pk}, "get", None),
    (
        "mediation:register_someone",
        lambda o: {"pk": o["session"].pk},
        "post",
        {"first_name": "Intrus", "last_name": "Dehors", "phone": "0471999999", "channel": "phone"},
    ),
    ("mediation:promotion_notified", lambda o: {"pk": o["registration"].pk}, "post", {}),
    ("mediation:manage_session", lambda o: {"pk": o["session"].pk}, "get", None),
    ("mediation:manage_session_edit", lambda o: {"pk": o["session"].pk}, "get", None),
    (
        "mediation:manage_session_edit",
        lambda o: {"pk": o["session"].pk},
        "post",
        {"date": "2030-01-08", "time": "10:00", "capacity": "50", "notes": "changé"},
    ),
    ("mediation:manage_session_cancel", lambda o: {"pk": o["session"].pk}, "get", None),
    ("mediation:manage_session_cancel", lambda o: {"pk": o["session"].pk}, "post", {"reason": "Intrusion"}),
    ("mediation:attendance", lambda o: {"pk": o["started"].pk}, "get", None),
    ("mediation:attendance", lambda o: {"pk": o["started"].pk}, "post", {"present": []}),
    ("mediation:free_access_place", lambda o: {"slug": o["place"].slug}, "get", None),
    ("mediation:free_access_count", lambda o: {"slug": o["place"].slug}, "post", {"slot": "morning", "delta": "1"}),
    ("mediation:free_access_visits", lambda o: {"slug": o["place"].slug}, "get", None),
    (
        "mediation:free_access_visits",
        lambda o: {"slug": o["place"].slug},
        "post",
        {"date": "2024-01-08", "slot": "morning", "count": "99"},
    ),
    ("mediation:free_access_computer_add", lambda o: {"slug": o["place"].slug}, "get", None),
    ("mediation:free_access_computer_add", lambda o: {"slug": o["place"].slug}, "post", {"label": "Poste intrus"}),
    (
        "mediation:free_access_computer_edit",
        lambda o: {"slug": o["place"].slug, "pk": o["computer"].pk},
        "post",
        {"label": "Renommé", "is_active": ""},
    ),
    (
        "mediation:free_access_booking_cancel",
        lambda o: {"slug": o["place"].slug, "pk": o["booking"].pk},
        "post",
        {},
    ),
]
IDS = [f"{method}-{name.split(':')[1]}" for name, _kwargs, method, _data in STAFF_URLS]


def snapshot():
    """What a refused request must not change."""
    return (
        list(Session.objects.order_by("pk").values_list("pk", "capacity", "status", "notes", "starts_at")),
        list(
            Registration.objects.order_by("pk").values_list(
                "pk", "status", "attended", "promotion_notified_at", "first_name"
            )
        ),
        list(PublicComputer.objects.order_by("pk").values_list("pk", "label", "is_active")),
        list(ComputerBooking.objects.order_by("pk").values_list("pk", "status")),
        list(FreeAccessVisit.objects.order_by("pk").values_list("pk", "count")),
        JournalEntry.objects.count(),
    )


def call(client, name, kwargs, method, data, objects):
    url = reverse(name, kwargs=kwargs(objects))
    return client.post(url, data) if method == "post" else client.get(url)


@pytest.fixture
def outsider(staff, other_epn):
    """A mediator of another EPN, with a profile and a computer of their own."""
    user = staff(Role.MEDIATOR, other_epn)
    MediatorFactory(user=user)
    return user


@pytest.mark.parametrize(("name", "kwargs", "method", "data"), STAFF_URLS, ids=IDS)
def test_a_mediator_of_another_epn_is_refused_and_changes_nothing(
    client, objects, outsider, name, kwargs, method, data
):
    client.force_login(outsider)
    before = snapshot()
    response = call(client, name, kwargs, method, data, objects)
    assert response.status_code in (403, 404), (name, method, response.status_code)
    assert snapshot() == before
    body = response.content.decode()
    for secret in ("Inscrite", "inscrite@exemple.fr", "Réservante", "0471000000", "04 71 00 00 00"):
        assert secret not in body


@pytest.mark.parametrize(("name", "kwargs", "method", "data"), STAFF_URLS, ids=IDS)
def test_a_citizen_is_refused_and_changes_nothing(client, objects, staff, name, kwargs, method, data):
    client.force_login(staff(Role.CITIZEN))
    before = snapshot()
    response = call(client, name, kwargs, method, data, objects)
    assert response.status_code in (403, 404)
    assert snapshot() == before


@pytest.mark.parametrize(("name", "kwargs", "method", "data"), STAFF_URLS, ids=IDS)
def test_anonymous_is_sent_to_sign_in_and_changes_nothing(client, objects, name, kwargs, method, data):
    before = snapshot()
    response = call(client, name, kwargs, method, data, objects)
    assert response.status_code == 302
    assert "/compte/" in response["Location"] or "login" in response["Location"]
    assert snapshot() == before


@pytest.mark.parametrize("view", ["mediation:free_access_computer_edit", "mediation:free_access_booking_cancel"])
def test_own_place_slug_with_an_object_of_another_epn_is_a_404(client, objects, outsider, other_epn, view):
    """The outsider may manage their own place, but not reach this EPN's computer or booking
    through their own place's URL."""
    client.force_login(outsider)
    pk = objects["computer"].pk if view.endswith("edit") else objects["booking"].pk
    before = snapshot()
    response = client.post(reverse(view, kwargs={"slug": other_epn.slug, "pk": pk}), {"label": "Volé"})
    assert response.status_code == 404
    assert snapshot() == before


def test_the_sessions_list_filtered_on_another_epn_shows_none_of_its_sessions(client, objects, outsider, epn):
    client.force_login(outsider)
    response = client.get(reverse("mediation:manage_sessions"), {"lieu": epn.pk, "periode": "upcoming"})
    assert response.status_code == 200
    assert reverse("mediation:manage_session", args=[objects["session"].pk]) not in response.content.decode()


def test_the_mediator_of_this_epn_reaches_every_page(client, objects, mediator):
    """The same list works for the right person (so the refusals above are not 404 by accident)."""
    client.force_login(mediator.user)
    for name, kwargs, method, _data in STAFF_URLS:
        if method == "get":
            response = client.get(reverse(name, kwargs=kwargs(objects)))
            assert response.status_code == 200, name


def test_the_programme_manager_reaches_every_page(client, objects, manager):
    client.force_login(manager)
    for name, kwargs, method, _data in STAFF_URLS:
        if method == "get":
            assert client.get(reverse(name, kwargs=kwargs(objects))).status_code == 200, name


def test_a_promoted_registration_of_another_epn_cannot_be_ticked(client, objects, outsider):
    client.force_login(outsider)
    response = client.post(reverse("mediation:promotion_notified", args=[objects["registration"].pk]))
    assert response.status_code == 403
    assert Registration.objects.get(pk=objects["registration"].pk).promotion_notified_at is None


def test_public_pages_show_no_registrant_nor_booker(client, objects, epn):
    """The calendar, a session page, its iCal file, the day grid and the booking page name
    nobody who registered or booked, nor their contact."""
    session, computer = objects["session"], objects["computer"]
    day = timezone.localdate(objects["booking"].starts_at)
    pages = [
        reverse("mediation:calendar"),
        reverse("mediation:calendar_ics"),
        reverse("mediation:public_session", args=[session.pk]),
        reverse("mediation:public_session_ics", args=[session.pk]),
        reverse("mediation:free_access_day", kwargs={"slug": epn.slug}) + f"?date={day:%Y-%m-%d}",
        reverse("mediation:free_access_book", kwargs={"slug": epn.slug})
        + f"?computer={computer.pk}&day={day:%Y-%m-%d}&start=14:00&minutes=60",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for secret in ("Inscrite", "Promue", "inscrite@exemple.fr", "Réservante", "0471000000", "04 71 00 00 00"):
            assert secret not in body, (url, secret)
