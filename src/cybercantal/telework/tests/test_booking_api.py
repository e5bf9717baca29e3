"""The booking API (``/api/telecentres/``): each status code, per role, and its OpenAPI."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.places.models import PlaceStatus

from ..models import Booking, BookingStatus, DayPart
from ..services import booking as service
from .factories import MembershipFactory, TelecentreFactory, give_credits, next_weekday

pytestmark = pytest.mark.django_db

BOOK = "/api/telecentres/reservations"


def new_member(telecentre, amount="10"):
    membership = MembershipFactory(telecentre=telecentre)
    give_credits(membership, amount)
    return membership.member


def post(client, body):
    return client.post(BOOK, body, content_type="application/json")


@pytest.fixture
def day():
    return next_weekday(1, weeks=1)


@pytest.fixture
def other_manager(staff):
    return staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)


# --- availability ---------------------------------------------------------------------------------


def test_week_availability_is_public(client, telecentre, pool, office, day, django_assert_max_num_queries):
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.MORNING)
    with django_assert_max_num_queries(5):
        response = client.get(f"/api/telecentres/{telecentre.slug}/disponibilites", {"semaine": day.isoformat()})
    assert response.status_code == 200
    body = response.json()
    assert body["semaine"] == (day - dt.timedelta(days=day.weekday())).isoformat()
    assert {r["id"] for r in body["ressources"]} == {pool.pk, office.pk}
    tuesday = next(d for d in body["jours"] if d["date"] == day.isoformat())
    entry = next(r for r in tuesday["ressources"] if r["ressource"] == pool.pk)
    morning = entry["demi_journees"][0]
    assert (morning["moment"], morning["postes_libres"], morning["texte"]) == ("morning", 3, "3 postes libres sur 4")
    assert morning["debut"].endswith(("+01:00", "+02:00"))
    office_day = next(r for r in tuesday["ressources"] if r["ressource"] == office.pk)
    assert office_day["creneaux_libres"][0]["debut"].startswith(f"{day}T08:00")


def test_week_availability_errors(client, telecentre, pool):
    assert client.get("/api/telecentres/inconnu/disponibilites").json()["code"] == "not_found"
    response = client.get(f"/api/telecentres/{telecentre.slug}/disponibilites", {"semaine": "2026-02-30"})
    assert (response.status_code, response.json()["field"]) == (422, "semaine")
    assert "AAAA-MM-JJ" in response.json()["message"]
    response = client.get(f"/api/telecentres/{telecentre.slug}/disponibilites", {"semaine": "2999-01-01"})
    assert (response.status_code, response.json()["code"]) == (422, "out_of_range")
    place = telecentre.place
    place.status = PlaceStatus.DRAFT
    place.save()
    assert client.get(f"/api/telecentres/{telecentre.slug}/disponibilites").status_code == 404


# --- create ---------------------------------------------------------------------------------------


def test_anonymous_gets_401(client, pool, day):
    response = post(client, {"ressource": pool.pk, "jour": str(day), "moment": "morning"})
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_required"
    assert client.get("/api/telecentres/mes-reservations").status_code == 401
    assert client.delete(f"{BOOK}/1").status_code == 401


def test_member_books_a_half_day(client, pool, member, day):
    client.force_login(member)
    response = post(client, {"ressource": pool.pk, "jour": str(day), "moment": "morning", "prix_ht": "0"})
    assert response.status_code == 201
    body = response.json()
    booking = Booking.objects.get()
    assert body["id"] == booking.pk
    assert (body["moment"], body["credits_utilises"], body["prix_ht"], body["statut"]) == (
        "morning",
        "0.5",
        "0.00",
        "confirmed",
    )
    assert body["code_arrivee"] == booking.checkin_code
    assert body["url"].endswith(f"/telecentres/reservations/{booking.pk}/")


def test_office_with_time_zone_and_price_from_the_plan(client, telecentre, office, day):
    membership = MembershipFactory(telecentre=telecentre)
    client.force_login(membership.member)
    response = post(client, {"ressource": office.pk, "debut": f"{day}T09:00:00+01:00", "fin": f"{day}T11:00:00+01:00"})
    assert response.status_code == 201, response.json()
    assert (response.json()["prix_ht"], response.json()["prix_ttc"]) == ("9.00", "10.80")


def test_rule_refused_is_400_with_the_field(client, office, member):
    client.force_login(member)
    past = timezone.localdate() - dt.timedelta(days=3)
    response = post(
        client, {"ressource": office.pk, "debut": f"{past}T09:00:00+01:00", "fin": f"{past}T10:00:00+01:00"}
    )
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "message": "Ce créneau est déjà passé.", "field": "debut"}
    response = post(client, {"ressource": office.pk})
    assert (response.status_code, response.json()["field"]) == (400, "debut")


def test_conflict_is_409_with_alternatives(client, telecentre, pool, day):
    pool.capacity = 1
    pool.save()
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.DAY)
    client.force_login(new_member(telecentre))
    response = post(client, {"ressource": pool.pk, "jour": str(day), "moment": "day"})
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["liste_attente"] is True
    assert body["alternatives"]
    assert body["alternatives"][0]["ressource"]["id"] == pool.pk
    assert "Créneaux libres les plus proches" in body["message"]


def test_retry_is_409_duplicate_with_the_booking(client, pool, member, day):
    client.force_login(member)
    first = post(client, {"ressource": pool.pk, "jour": str(day), "moment": "afternoon"}).json()
    response = post(client, {"ressource": pool.pk, "jour": str(day), "moment": "afternoon"})
    assert response.status_code == 409
    assert (response.json()["code"], response.json()["reservation"]) == ("duplicate", first["id"])
    assert Booking.objects.count() == 1


def test_booking_for_someone_else(client, telecentre, pool, member, manager, other_manager, day):
    body = {"ressource": pool.pk, "jour": str(day), "moment": "day", "membre": member.pk}
    for user in (new_member(telecentre), other_manager):
        client.force_login(user)
        response = post(client, body)
        assert (response.status_code, response.json()["code"]) == (403, "forbidden")
    client.force_login(manager)
    response = post(client, {**body, "membre": new_member(TelecentreFactory()).pk})
    assert (response.status_code, response.json()["field"]) == (422, "membre")
    response = post(client, body)
    assert response.status_code == 201
    assert Booking.objects.get().member == member


def test_unknown_or_inactive_resource_is_422(client, pool, member, day):
    client.force_login(member)
    response = post(client, {"ressource": 987654, "jour": str(day), "moment": "day"})
    assert (response.status_code, response.json()["field"]) == (422, "ressource")
    pool.is_active = False
    pool.save()
    assert post(client, {"ressource": pool.pk, "jour": str(day), "moment": "day"}).status_code == 422


# --- cancel ---------------------------------------------------------------------------------------


@pytest.fixture
def booking(pool, member, day):
    return service.booking_create(actor=member, resource=pool, day=day, part=DayPart.MORNING)


@pytest.mark.parametrize("method", ["delete", "post"])
def test_member_cancels(client, booking, member, method):
    client.force_login(member)
    url = f"{BOOK}/{booking.pk}" if method == "delete" else f"{BOOK}/{booking.pk}/annuler"
    response = getattr(client, method)(url)
    assert response.status_code == 200
    assert (response.json()["statut"], response.json()["annulee_hors_delai"]) == ("cancelled", False)
    again = getattr(client, method)(url)
    assert (again.status_code, again.json()["statut"]) == (200, "cancelled")


@pytest.mark.parametrize(
    ("who", "status"), [("intruder", 404), ("other_manager", 404), ("manager", 200), ("programme_manager", 200)]
)
def test_cancel_per_role(client, booking, telecentre, request, who, status):
    user = new_member(telecentre) if who == "intruder" else request.getfixturevalue(who)
    client.force_login(user)
    assert client.delete(f"{BOOK}/{booking.pk}").status_code == status
    booking.refresh_from_db()
    assert (booking.status == BookingStatus.CANCELLED) == (status == 200)


def test_cancel_missing_and_past(client, pool, member):
    client.force_login(member)
    assert client.delete(f"{BOOK}/999999").status_code == 404
    assert client.delete(f"{BOOK}/{2**40}").status_code == 404
    assert client.delete(f"{BOOK}/abc").status_code in (404, 422)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    old = Booking.objects.create(
        resource=pool,
        member=member,
        starts_at=timezone.make_aware(dt.datetime.combine(yesterday, dt.time(8))),
        ends_at=timezone.make_aware(dt.datetime.combine(yesterday, dt.time(13))),
        blocked_until=timezone.make_aware(dt.datetime.combine(yesterday, dt.time(13))),
        part=DayPart.MORNING,
        exclusive=False,
    )
    response = client.delete(f"{BOOK}/{old.pk}")
    assert (response.status_code, response.json()["code"]) == (400, "past")


# --- my bookings ----------------------------------------------------------------------------------


def test_my_bookings_paginated(client, telecentre, pool, member, day, django_assert_max_num_queries):
    service.booking_create(actor=new_member(telecentre), resource=pool, day=day, part=DayPart.DAY)
    for offset in range(5):
        service.booking_create(
            actor=member, resource=pool, day=day + dt.timedelta(days=offset), part=DayPart.DAY, notify=False
        )
    cancelled = Booking.objects.filter(member=member).last()
    service.booking_cancel(actor=member, booking=cancelled)
    client.force_login(member)
    with django_assert_max_num_queries(6):
        response = client.get("/api/telecentres/mes-reservations", {"size": 2})
    body = response.json()
    assert (body["count"], len(body["results"])) == (4, 2)
    assert body["next"].endswith("page=2")
    assert body["results"][0]["debut"] < body["results"][1]["debut"]
    past = client.get("/api/telecentres/mes-reservations", {"periode": "passees"}).json()
    assert [r["statut"] for r in past["results"]] == ["cancelled"]
    assert client.get("/api/telecentres/mes-reservations", {"page": 9}).status_code == 404
    assert client.get("/api/telecentres/mes-reservations", {"periode": "demain"}).status_code == 422


def test_credits_amounts_are_strings(client, pool, member, day):
    client.force_login(member)
    body = post(client, {"ressource": pool.pk, "jour": str(day), "moment": "day"}).json()
    assert Decimal(body["credits_utilises"]) == 1
    assert isinstance(body["prix_ttc"], str)


def test_openapi_documents_each_operation_in_french(client):
    spec = client.get("/api/openapi.json").json()
    operations = {
        op["operationId"]: op for path in spec["paths"].values() for op in path.values() if "operationId" in op
    }
    for name in (
        "telecentres_disponibilites",
        "telecentres_reserver",
        "telecentres_annuler",
        "telecentres_annuler_post",
        "telecentres_mes_reservations",
    ):
        assert operations[name]["summary"]
        assert len(operations[name]["description"]) > 80
    assert {"201", "400", "401", "403", "409", "422"} <= set(operations["telecentres_reserver"]["responses"])
