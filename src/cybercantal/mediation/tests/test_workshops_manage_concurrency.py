"""Races on PostgreSQL with real threads and their own connections: a mediator lowering a
session's capacity while people register never overfills it, and nobody gets an error page."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from cybercantal.core.testing import run_in_parallel
from cybercantal.mediation import models as m
from cybercantal.mediation.services import registrations
from cybercantal.mediation.services import workshops as services

from .factories import SessionFactory
from .factories_workshops_manage import fill

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_lowering_capacity_while_people_register(mediator, epn):
    if connection.vendor != "postgresql":
        pytest.skip("row locks: PostgreSQL only")
    session = SessionFactory(place=epn, capacity=10)
    fill(session, 5)

    def act(number):
        try:
            if number == 0:
                services.session_update(actor=None, session=session, capacity=6)
                return "capacity lowered"
            registration = registrations.registration_create(
                actor=None,
                session=session,
                first_name=f"Prénom{number}",
                last_name=f"Nom{number}",
                email=f"p{number}@example.fr",
            )
        except ValidationError as exc:
            return f"refused: {exc.messages[0][:40]}"
        except Exception as exc:  # noqa: BLE001 - a 500 in real life: the test must say which
            return f"error: {exc!r}"
        return registration.status

    results = run_in_parallel(act, list(range(9)))
    assert not [result for result in results if result.startswith("error")], results
    session.refresh_from_db()
    confirmed = m.Registration.objects.filter(session=session, status="confirmed").count()
    assert session.confirmed_count == confirmed
    assert confirmed <= session.capacity
    assert session.capacity in (6, 10)
    if session.capacity == 6:
        assert results[0] == "capacity lowered"
        assert confirmed == 6
    else:  # registrations came first: lowering was refused with a French message
        assert results[0].startswith("refused")
    assert m.Registration.objects.filter(session=session).count() == 5 + 8
