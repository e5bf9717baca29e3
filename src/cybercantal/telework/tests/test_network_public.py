"""The public pages of the network: the list of telecentres and a telecentre's page, seen by
anyone (no sign-in), with a fixed number of queries whatever the number of telecentres."""

from __future__ import annotations

import datetime as dt
import html
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from cybercantal.places.models import PlaceStatus

from ..models import Closure, PlanKind, ResourceAccess, ResourceKind, TelecentreStatus
from ..queries import network as queries
from .factories import PlanFactory, ResourceFactory, TelecentreFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def text_of(response) -> str:
    """The page as a person reads it: entities decoded, white space collapsed."""
    return " ".join(html.unescape(response.content.decode()).split())


def furnish(telecentre, *, seats=10):
    ResourceFactory(telecentre=telecentre, name="Espace partagé", kind=ResourceKind.SEAT_POOL, capacity=seats)
    ResourceFactory(telecentre=telecentre, name="Bureau A", kind=ResourceKind.OFFICE, capacity=1)
    ResourceFactory(telecentre=telecentre, name="Bureau B", kind=ResourceKind.OFFICE, capacity=2)
    ResourceFactory(
        telecentre=telecentre,
        name="Salle du Plomb",
        kind=ResourceKind.MEETING_ROOM,
        capacity=8,
        equipment=["visio", "ecran"],
        access=ResourceAccess.ANYONE,
        min_minutes=60,
        max_minutes=240,
        step_minutes=30,
        buffer_minutes=15,
        booking_window_days=60,
    )
    PlanFactory(telecentre=telecentre, name="Pass journée", kind=PlanKind.DAY_PASS, price_excl_tax=Decimal("15.00"))
    PlanFactory(telecentre=telecentre, name="Carnet 10 jours", price_excl_tax=Decimal("120.00"), credit_days=10)
    PlanFactory(
        telecentre=telecentre,
        name="Forfait salle",
        kind=PlanKind.MEETING_HOURS,
        price_excl_tax=Decimal("5.00"),
        credit_days=0,
        credit_hours=5,
    )
    return telecentre


def test_index_says_status_hours_offer_and_price(client):
    opened = furnish(TelecentreFactory(opens_on=dt.date(2025, 3, 3)))
    planned = TelecentreFactory(status=TelecentreStatus.PLANNED, opens_on=TODAY() + dt.timedelta(days=60))
    response = client.get(reverse("telework:index"))
    assert response.status_code == 200
    content = text_of(response)
    assert opened.name in content
    assert "Ouvert depuis le 3 mars 2025" in content
    assert "Aujourd'hui : 8 h – 19 h" in content
    assert "10 postes en espace partagé" in content
    assert "2 bureaux fermés" in content
    assert "Salle de réunion « Salle du Plomb » (8 pers.) : Visioconférence, Grand écran" in content
    # 120 € for 10 days is 12 € a day, cheaper than the 15 € day pass; room hours do not count.
    assert "À partir de 12,00 € HT/jour" in content
    assert reverse("telework:telecentre", args=[opened.slug]) in content
    # The planned one is listed apart.
    assert [card["telecentre"] for card in response.context["planned"]] == [planned]
    assert planned not in [card["telecentre"] for card in response.context["cards"]]
    assert "Ouverture prévue le" in content
    assert "Bientôt ouverts" in content


def test_index_hides_unpublished_places_and_inactive_plans(client):
    hidden = TelecentreFactory()
    hidden.place.status = PlaceStatus.DRAFT
    hidden.place.save()
    shown = TelecentreFactory()
    PlanFactory(telecentre=shown, kind=PlanKind.DAY_PASS, price_excl_tax=Decimal("1.00"), is_active=False)
    response = client.get(reverse("telework:index"))
    content = response.content.decode()
    assert hidden.name not in content
    assert shown.name in content
    assert "À partir de" not in content


def test_index_queries_do_not_grow_with_the_telecentres(client, django_assert_max_num_queries):
    for _ in range(2):
        furnish(TelecentreFactory())
    TelecentreFactory(status=TelecentreStatus.PLANNED)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("telework:index"))
    for _ in range(10):
        furnish(TelecentreFactory())
    TelecentreFactory(status=TelecentreStatus.PLANNED)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("telework:index"))
    assert len(response.context["cards"]) == 12
    assert len(few.captured_queries) <= 7  # count, page, 2 prefetches, planned + 2 prefetches


def test_index_paginates(client):
    for _ in range(23):
        TelecentreFactory()
    assert len(client.get(reverse("telework:index")).context["cards"]) == 20
    second = client.get(reverse("telework:index") + "?page=2")
    assert len(second.context["cards"]) == 3
    assert second.context["planned"] == []
    assert client.get(reverse("telework:index") + "?page=abc").status_code == 200


def test_detail_page_tells_everything_a_teleworker_needs(client, django_assert_max_num_queries):
    telecentre = furnish(TelecentreFactory(welcome_text="Code de la porte envoyé par courriel.\nWifi « LaGare »."))
    Closure.objects.create(
        telecentre=telecentre,
        starts_on=TODAY() + dt.timedelta(days=5),
        ends_on=TODAY() + dt.timedelta(days=9),
        reason="Travaux",
    )
    Closure.objects.create(
        telecentre=telecentre, starts_on=TODAY() - dt.timedelta(days=30), ends_on=TODAY() - dt.timedelta(days=20)
    )
    with django_assert_max_num_queries(6):
        response = client.get(reverse("telework:telecentre", args=[telecentre.slug]))
    assert response.status_code == 200
    content = text_of(response)
    place = telecentre.place
    assert place.address in content
    assert "Horaires de cette semaine" in content
    assert "Wifi « LaGare »." in content
    assert "Ouvert depuis le" in content
    assert "Espace partagé (postes)" in content
    assert "10 postes" in content
    assert "Visioconférence, Grand écran" in content
    assert "Qui peut réserver : tout le monde (paiement à l'usage)" in content
    assert "Réservable jusqu'à 60 jours à l'avance." in content
    assert "Durée : de 1 h à 4 h, par tranches de 30 min." in content
    assert "15 min laissées libres entre deux réservations" in content
    assert "Se réserve à la demi-journée (matin ou après-midi) ou à la journée." in content
    assert "Travaux" in content
    assert len(response.context["closures"]) == 1  # the past one is not shown
    plans = {row.plan.name: row for row in response.context["plans"]}
    assert plans["Pass journée"].price_incl_tax == Decimal("18.00")
    assert plans["Carnet 10 jours"].unit == "le carnet de 10 jours"
    assert "144,00 €" in content
    assert response.context["bookable"] is True


def test_detail_links_to_the_other_parts_only_when_open(client):
    opened = TelecentreFactory()
    closed = TelecentreFactory(status=TelecentreStatus.CLOSED, closed_on=TODAY() - dt.timedelta(days=1))
    planned = TelecentreFactory(status=TelecentreStatus.PLANNED, opens_on=None)
    try:
        availability = reverse("telework:availability", args=[opened.slug])
    except NoReverseMatch:  # the booking part is not there yet
        availability = None
    page = client.get(reverse("telework:telecentre", args=[opened.slug])).content.decode()
    if availability:
        assert availability in page
    closed_page = client.get(reverse("telework:telecentre", args=[closed.slug]))
    assert closed_page.context["bookable"] is False
    assert "ne prend plus de réservation" in closed_page.content.decode()
    assert "Fermé depuis le" in closed_page.content.decode()
    planned_page = client.get(reverse("telework:telecentre", args=[planned.slug]))
    assert planned_page.context["bookable"] is False
    assert "pas encore ouvert" in planned_page.content.decode()
    assert "Ouverture en projet" in planned_page.content.decode()
    for response in (closed_page, planned_page):
        assert "Voir les disponibilités" not in response.content.decode()
        assert "Réserver chaque semaine" not in response.content.decode()


def test_unknown_slug_is_a_french_404(client):
    response = client.get(reverse("telework:telecentre", args=["telecentre-imaginaire"]))
    assert response.status_code == 404
    content = response.content.decode()
    assert "Télécentre introuvable" in content
    assert reverse("telework:index") in content


def test_unpublished_telecentre_is_shown_to_its_manager_only(client, staff, telecentre, manager):
    telecentre.place.status = PlaceStatus.DRAFT
    telecentre.place.save()
    url = reverse("telework:telecentre", args=[telecentre.slug])
    assert client.get(url).status_code == 404
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200
    assert "Gérer ce télécentre" in response.content.decode()


def test_an_inactive_resource_is_not_shown(client, telecentre):
    ResourceFactory(telecentre=telecentre, name="Bureau fermé pour travaux", is_active=False)
    content = client.get(reverse("telework:telecentre", args=[telecentre.slug])).content.decode()
    assert "Bureau fermé pour travaux" not in content


def test_vat_exempt_operator_shows_the_same_price(client, telecentre):
    billing = telecentre.operator.telework_billing
    billing.vat_exempt = True
    billing.save()
    PlanFactory(telecentre=telecentre, name="Pass", kind=PlanKind.DAY_PASS, price_excl_tax=Decimal("10.00"))
    response = client.get(reverse("telework:telecentre", args=[telecentre.slug]))
    row = response.context["plans"][0]
    assert row.price_incl_tax == Decimal("10.00")
    assert "TVA non applicable" in response.content.decode()


@pytest.mark.parametrize(("minutes", "text"), [(45, "45 min"), (60, "1 h"), (90, "1 h 30"), (605, "10 h 05")])
def test_minutes_are_said_the_french_way(minutes, text):
    assert queries.say_minutes(minutes) == text


def test_day_price_of_each_kind_of_plan(telecentre):
    assert queries.day_price(PlanFactory.build(kind=PlanKind.DAY_PASS, price_excl_tax=Decimal("15"))) == Decimal(
        "15.00"
    )
    assert queries.day_price(
        PlanFactory.build(kind=PlanKind.CARNET, price_excl_tax=Decimal("100"), credit_days=Decimal("3"))
    ) == Decimal("33.33")
    unlimited = PlanFactory.build(kind=PlanKind.FULL_TIME, price_excl_tax=Decimal("250"), credit_days=Decimal("0"))
    assert queries.day_price(unlimited) is None
    assert queries.day_price(PlanFactory.build(kind=PlanKind.MEETING_HOURS, price_excl_tax=Decimal("50"))) is None
