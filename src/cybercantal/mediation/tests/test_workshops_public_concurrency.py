"""Capacity is never exceeded with simultaneous registrations (real PostgreSQL connections)."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from cybercantal.mediation.models import Registration, RegistrationStatus, Session
from cybercantal.mediation.services import registrations as services

from .factories import SessionFactory

PEOPLE = 40
SEATS = 10


def _run_in_parallel(session_pk: int, people: int) -> list[str]:
    barrier = threading.Barrier(people)
    results: list[str] = [""] * people

    def work(index: int) -> None:
        try:
            session = Session.objects.select_related("workshop", "place__commune").get(pk=session_pk)
            barrier.wait(timeout=30)
            registration = services.registration_create(
                actor=None,
                session=session,
                first_name=f"Personne{index}",
                last_name="Test",
                phone=f"04 71 00 {index // 100:02d} {index % 100:02d}",
            )
            results[index] = registration.status
        except services.RegistrationError as exc:  # a domain error is an answer, not a crash
            results[index] = f"refused: {exc.messages}"
        except Exception as exc:  # noqa: BLE001 - the test reports any escape
            results[index] = f"exception: {exc!r}"
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_forty_parallel_registrations_for_ten_seats():
    session = SessionFactory(capacity=SEATS)
    results = _run_in_parallel(session.pk, PEOPLE)

    assert [r for r in results if r not in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)] == []
    assert results.count(RegistrationStatus.CONFIRMED) == SEATS
    assert results.count(RegistrationStatus.WAITLISTED) == PEOPLE - SEATS
    session.refresh_from_db()
    assert session.confirmed_count == SEATS
    assert Registration.objects.filter(session=session, status=RegistrationStatus.CONFIRMED).count() == SEATS

    # The waitlist is in a consistent arrival order: the order of the dates is the order of
    # the rows, and the confirmed people all arrived before the first waitlisted one.
    waitlist = list(
        Registration.objects.filter(session=session, status=RegistrationStatus.WAITLISTED).order_by(
            "waitlisted_at", "pk"
        )
    )
    assert [r.pk for r in waitlist] == sorted(r.pk for r in waitlist)
    confirmed_pks = Registration.objects.filter(session=session, status=RegistrationStatus.CONFIRMED).values_list(
        "pk", flat=True
    )
    assert max(confirmed_pks) < waitlist[0].pk
    assert [services.waitlist_position(r) for r in waitlist] == list(range(1, PEOPLE - SEATS + 1))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_cancellations_promote_each_waiting_person_once():
    session = SessionFactory(capacity=3)
    people = [
        services.registration_create(
            actor=None, session=session, first_name=f"P{i}", last_name="Test", phone=f"04 71 00 00 {i:02d}"
        )
        for i in range(6)
    ]
    confirmed = people[:3]
    errors: list[str] = []

    def cancel(registration: Registration) -> None:
        try:
            services.registration_cancel(actor=None, registration=registration)
            services.registration_cancel(actor=None, registration=registration)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=cancel, args=(r,)) for r in confirmed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    session.refresh_from_db()
    assert session.confirmed_count == 3
    statuses = dict(Registration.objects.filter(session=session).values_list("pk", "status"))
    assert [statuses[r.pk] for r in people[3:]] == [RegistrationStatus.CONFIRMED] * 3
    assert Registration.objects.filter(session=session, promoted_at__isnull=False).count() == 3
