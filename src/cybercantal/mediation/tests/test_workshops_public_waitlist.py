"""The waitlist's public service ``waitlist_promote`` and the arrival order it keeps, whoever
frees the seats (a cancellation, a larger capacity, a seat left free by mistake)."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.utils import timezone

from cybercantal.core.models import JournalEntry
from cybercantal.mediation.models import Registration, RegistrationStatus, Session
from cybercantal.mediation.services import registrations as services
from cybercantal.mediation.services import workshops as workshop_services

from .factories import SessionFactory


def register(session, n, **extra):
    fields = {"first_name": f"Prénom{n}", "last_name": f"Nom{n}", "phone": f"04 71 00 00 {n:02d}"} | extra
    return services.registration_create(actor=None, session=session, **fields)


def statuses(*registrations):
    rows = dict(Registration.objects.filter(pk__in=[r.pk for r in registrations]).values_list("pk", "status"))
    return [rows[r.pk] for r in registrations]


def test_waitlist_promote_gives_the_free_seats_in_arrival_order(epn, mediator, django_capture_on_commit_callbacks):
    session = SessionFactory(place=epn, capacity=1)
    register(session, 1)
    first = register(session, 2, email="deux@exemple.fr")
    second = register(session, 3)
    third = register(session, 4)
    Session.objects.filter(pk=session.pk).update(capacity=3)  # seats added behind the service's back
    session.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        promoted = services.waitlist_promote(actor=mediator.user, session=session)

    assert [p.pk for p in promoted] == [first.pk, second.pk]
    assert statuses(first, second, third) == ["confirmed", "confirmed", "waitlisted"]
    assert session.confirmed_count == 3
    assert Session.objects.get(pk=session.pk).confirmed_count == 3
    assert [m.to for m in mail.outbox] == [["deux@exemple.fr"]]
    assert "Une place s'est libérée" in mail.outbox[0].subject
    entries = JournalEntry.objects.filter(action="registration.promoted").order_by("pk")
    assert [e.actor_id for e in entries] == [mediator.user.pk] * 2
    # No name, phone or email in the journal.
    for entry in entries:
        text = f"{entry.target_repr} {entry.data}"
        assert "Prénom" not in text
        assert "04 71" not in text
        assert "@" not in text


def test_waitlist_promote_twice_promotes_nobody_more(epn):
    session = SessionFactory(place=epn, capacity=1)
    register(session, 1)
    waiting = register(session, 2)
    Session.objects.filter(pk=session.pk).update(capacity=2)
    assert [p.pk for p in services.waitlist_promote(actor=None, session=session)] == [waiting.pk]
    assert services.waitlist_promote(actor=None, session=session) == []
    assert Session.objects.get(pk=session.pk).confirmed_count == 2


def test_waitlist_promote_leaves_a_started_session_alone(epn):
    session = SessionFactory(place=epn, capacity=1)
    register(session, 1)
    waiting = register(session, 2)
    start = timezone.now() - dt.timedelta(minutes=10)
    Session.objects.filter(pk=session.pk).update(capacity=2, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    assert services.waitlist_promote(actor=None, session=session) == []
    assert statuses(waiting) == ["waitlisted"]


def test_a_free_seat_goes_to_the_waitlist_before_a_newcomer(epn):
    session = SessionFactory(place=epn, capacity=1)
    register(session, 1)
    waiting = register(session, 2)
    Session.objects.filter(pk=session.pk).update(capacity=2)  # the seat was never handed out

    newcomer = register(session, 3)

    assert statuses(waiting) == ["confirmed"]
    assert newcomer.status == RegistrationStatus.WAITLISTED
    assert Session.objects.get(pk=session.pk).confirmed_count == 2


def test_raising_the_capacity_goes_through_waitlist_promote(epn, mediator, monkeypatch):
    session = SessionFactory(place=epn, capacity=1)
    register(session, 1)
    waiting = register(session, 2)
    calls = []
    real = services.waitlist_promote

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(workshop_services, "waitlist_promote", spy)
    updated = workshop_services.session_update(actor=mediator.user, session=session, capacity=2)
    assert len(calls) == 1
    assert calls[0]["actor"] == mediator.user
    assert statuses(waiting) == ["confirmed"]
    assert updated.confirmed_count == 2  # the returned session is up to date


def test_cancelling_two_seats_at_once_promotes_two(epn):
    """After a cancellation the freed seat, and any other one left free, go to the waitlist."""
    session = SessionFactory(place=epn, capacity=2)
    leaving = register(session, 1)
    register(session, 2)
    first, second = register(session, 3), register(session, 4)
    Session.objects.filter(pk=session.pk).update(capacity=3)
    services.registration_cancel(actor=None, registration=leaving)
    assert statuses(first, second) == ["confirmed", "confirmed"]
    assert Session.objects.get(pk=session.pk).confirmed_count == 3


def test_cancelling_the_session_promotes_nobody_and_empties_it(epn, mediator, django_capture_on_commit_callbacks):
    session = SessionFactory(place=epn, capacity=1)
    register(session, 1, email="un@exemple.fr")
    waiting = register(session, 2, email="deux@exemple.fr")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        workshop_services.session_cancel(actor=mediator.user, session=session, reason="Animateur malade")
    assert statuses(waiting) == ["cancelled"]
    assert services.waitlist_promote(actor=None, session=session) == []
    assert not any("Une place s'est libérée" in m.subject for m in mail.outbox)
    assert sorted(m.to[0] for m in mail.outbox) == ["deux@exemple.fr", "un@exemple.fr"]
