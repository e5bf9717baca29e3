"""Twenty people press « Confirmer » on the last three seats at the same moment, through the
pages (Django test client, one real connection each, PostgreSQL): three bookings, seventeen
clean conflict pages, no 500."""

from __future__ import annotations

import pytest
from django.test import Client

from cybercantal.core.db import is_postgres
from cybercantal.core.testing import run_in_parallel

from ..models import Booking, BookingStatus, DayPart
from .factories import MembershipFactory, ResourceFactory, give_credits, next_weekday


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_parallel_posts_on_a_pool_of_three():
    assert is_postgres()
    pool = ResourceFactory(capacity=3)
    telecentre = pool.telecentre
    day = next_weekday(2, weeks=1)
    clients = []
    for _ in range(20):
        membership = MembershipFactory(telecentre=telecentre)
        give_credits(membership, "5")
        client = Client()
        client.force_login(membership.member)
        clients.append(client)
    url = f"/telecentres/{telecentre.slug}/reserver/"
    data = {"ressource": pool.pk, "jour": day.isoformat(), "moment": DayPart.DAY}

    def press(client: Client) -> str:
        response = client.post(url, data)
        if response.status_code == 302:
            return "ok"
        if response.status_code == 409 and "Tous les postes" in response.content.decode():
            return "conflict"
        return f"error {response.status_code}"

    results = run_in_parallel(press, clients, timeout=120)
    assert results.count("ok") == 3, results
    assert results.count("conflict") == 17, results
    assert Booking.objects.filter(resource=pool, status=BookingStatus.CONFIRMED).count() == 3
