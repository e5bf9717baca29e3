"""Five agents press "Je m'en occupe" on the same help request at the same moment, on
PostgreSQL with real threads and their own connections: exactly one takes it, the others are
told who did (no 500)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cybercantal.core.testing import run_in_parallel
from cybercantal.kiosks.models import HelpRequest, HelpRequestStatus
from cybercantal.kiosks.services import agents as services
from cybercantal.places.models import PlaceOffer
from cybercantal.places.tests.factories import PlaceFactory

from .factories import KioskFactory
from .factories_agents import make_agent

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting():
    place = PlaceFactory(offers=[PlaceOffer.KIOSK])
    kiosk = KioskFactory(place=place)
    agents = [make_agent(place, first_name=f"Agent{n}") for n in range(5)]
    return kiosk, agents


def test_five_agents_take_the_same_request_one_wins(setting):
    kiosk, agents = setting
    request = HelpRequest.objects.create(kiosk=kiosk)

    def take(user):
        try:
            services.help_request_take(actor=user, help_request=HelpRequest.objects.get(pk=request.pk))
        except services.HelpRequestUnavailableError as exc:
            return "taken" if "déjà prise par Agent" in exc.message else f"odd: {exc.message}"
        except Exception as exc:  # noqa: BLE001 - a 500 in real life: the test must say which
            return f"error: {exc!r}"
        return "ok"

    results = run_in_parallel(take, agents)
    assert results.count("ok") == 1, results
    assert results.count("taken") == 4, results
    request.refresh_from_db()
    assert request.status == HelpRequestStatus.TAKEN
    assert request.taken_by_id == agents[results.index("ok")].pk


def test_five_agents_through_the_view_no_500(setting):
    kiosk, agents = setting
    request = HelpRequest.objects.create(kiosk=kiosk)
    url = reverse("kiosks:help_request_take", args=[request.pk])
    clients = []
    for user in agents:
        client = Client()
        client.force_login(user)
        clients.append(client)

    def take(client):
        response = client.post(url)
        return response.status_code, response.get("Location", "")

    results = run_in_parallel(take, clients)
    assert all(status == 302 for status, _location in results), results
    winners = [location for _status, location in results if "/noter/" in location]
    assert len(winners) == 1, results
