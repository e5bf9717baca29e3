"""Reminders of people without email: the "to phone" list of the mediator's home lists the
confirmed registrations without email of sessions in the next one to two days, with the
phone number and « Rappel fait » (issue 4 §4, acceptance story: the retired farmer
registered by phone is promoted from the waitlist and receives the reminder)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.mediation import models as m
from cybercantal.mediation.queries import workshops_manage as queries
from cybercantal.mediation.services import registrations as services
from cybercantal.mediation.services.workshops import session_update

from .factories import SessionFactory, WorkshopFactory
from .factories_workshops_manage import register

pytestmark = pytest.mark.django_db


def _at(days: int, hour: int = 14) -> dt.datetime:
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def _session(place, days: int, title: str = "Premiers pas avec le courriel", **kwargs) -> m.Session:
    starts = _at(days)
    return SessionFactory(
        place=place,
        workshop=WorkshopFactory(title=title),
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        capacity=10,
        **kwargs,
    )


@pytest.fixture
def farmer_session(epn):
    return _session(epn, 1)


def test_list_holds_people_without_email_of_the_next_two_days(mediator, epn, other_epn, farmer_session):
    farmer = register(farmer_session, first_name="Gaston", last_name="Roumégoux", phone="04 71 40 00 00")
    register(farmer_session, first_name="Avec", last_name="Courriel", email="avec@example.fr")
    register(farmer_session, first_name="En", last_name="Attente", status=m.RegistrationStatus.WAITLISTED)
    register(
        farmer_session,
        first_name="Plus",
        last_name="Inscrit",
        status=m.RegistrationStatus.CANCELLED,
        cancelled_at=timezone.now(),
    )
    in_two_days = register(_session(epn, 2, "Tablette"), first_name="Marie", last_name="Delpuech")
    register(_session(epn, 3, "Trop tard"), first_name="Pas", last_name="Encore")
    register(_session(epn, 1, "Annulée", status=m.SessionStatus.CANCELLED), first_name="Séance", last_name="Annulée")
    register(_session(other_epn, 1, "Ailleurs"), first_name="Autre", last_name="Lieu")
    rows = list(queries.reminders_to_phone(mediator.user))
    assert rows == [farmer, in_two_days]


def test_a_session_later_today_is_listed_a_past_one_is_not(mediator, epn):
    now = timezone.now()
    later = SessionFactory(place=epn, starts_at=now + dt.timedelta(minutes=30), ends_at=now + dt.timedelta(hours=2))
    earlier = SessionFactory(place=epn, starts_at=now - dt.timedelta(minutes=30), ends_at=now + dt.timedelta(hours=1))
    listed = register(later)
    register(earlier)
    assert list(queries.reminders_to_phone(mediator.user, now=now)) == [listed]


def test_manager_sees_the_whole_network(manager, epn, other_epn):
    register(_session(epn, 1))
    register(_session(other_epn, 2, "Ailleurs"))
    assert queries.reminders_to_phone(manager).count() == 2


def test_rappel_fait_records_once_and_is_journalled(mediator, farmer_session):
    farmer = register(farmer_session)
    services.registration_mark_reminded(actor=mediator.user, registration=farmer)
    farmer.refresh_from_db()
    first = farmer.reminder_called_at
    assert first is not None
    services.registration_mark_reminded(actor=mediator.user, registration=farmer)  # idempotent
    farmer.refresh_from_db()
    assert farmer.reminder_called_at == first
    assert JournalEntry.objects.filter(action="registration.reminder_called").count() == 1
    assert list(queries.reminders_to_phone(mediator.user)) == []


def test_rappel_fait_refused_for_a_waitlisted_person_and_an_outsider(staff, mediator, other_epn, farmer_session):
    waiting = register(farmer_session, status=m.RegistrationStatus.WAITLISTED)
    with pytest.raises(ValidationError):
        services.registration_mark_reminded(actor=mediator.user, registration=waiting)
    confirmed = register(farmer_session)
    with pytest.raises(PermissionDenied):
        services.registration_mark_reminded(actor=staff(Role.MEDIATOR, other_epn), registration=confirmed)
    confirmed.refresh_from_db()
    assert confirmed.reminder_called_at is None


def test_promoted_person_is_phoned_once(mediator, farmer_session):
    """Promoted from the waitlist the day before the session: the promotion call is the
    reminder. Promoted a week before: the reminder call comes in its window."""
    promoted = register(farmer_session, promoted_at=timezone.now())
    assert list(queries.reminders_to_phone(mediator.user)) == []  # in the promotion list
    assert list(queries.promoted_to_phone(mediator.user)) == [promoted]
    services.registration_mark_notified(actor=mediator.user, registration=promoted)
    promoted.refresh_from_db()
    assert promoted.reminder_called_at is not None
    assert list(queries.reminders_to_phone(mediator.user)) == []


def test_promotion_call_long_before_is_not_the_reminder(mediator, epn):
    later = _session(epn, 6)
    promoted = register(later, promoted_at=timezone.now())
    services.registration_mark_notified(actor=mediator.user, registration=promoted)
    promoted.refresh_from_db()
    assert promoted.reminder_called_at is None
    assert list(queries.reminders_to_phone(mediator.user, now=_at(5, 9))) == [promoted]


def test_moving_the_session_asks_for_a_new_call(mediator, farmer_session):
    farmer = register(farmer_session)
    services.registration_mark_reminded(actor=mediator.user, registration=farmer)
    new_start = _at(2, 10)
    session_update(actor=mediator.user, session=farmer_session, starts_at=new_start)
    farmer.refresh_from_db()
    assert farmer.reminder_called_at is None
    assert list(queries.reminders_to_phone(mediator.user)) == [farmer]


def test_email_reminders_still_skip_people_without_email(farmer_session, django_capture_on_commit_callbacks):
    register(farmer_session)
    with_email = register(farmer_session, email="personne@example.fr")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.registrations_send_reminders() == 1
    assert mail.outbox[0].to == [with_email.email]


def test_home_page_lists_and_ticks_off(client, mediator, farmer_session, django_assert_max_num_queries):
    farmer = register(farmer_session, first_name="Gaston", last_name="Roumégoux", phone="04 71 40 00 00")
    register(_session(farmer_session.place, 2, "Tablette"), first_name="Marie", last_name="Delpuech")
    client.force_login(mediator.user)
    client.get("/mediation/")
    with django_assert_max_num_queries(25):
        text = client.get("/mediation/").content.decode()
    assert "Rappels à faire par téléphone" in text
    assert "Gaston Roumégoux" in text
    assert 'href="tel:04 71 40 00 00"' in text
    assert f'action="/mediation/inscriptions/{farmer.pk}/rappel-fait/"' in text
    response = client.post(f"/mediation/inscriptions/{farmer.pk}/rappel-fait/")
    assert response.status_code == 302
    farmer.refresh_from_db()
    assert farmer.reminder_called_at is not None
    text = client.get("/mediation/").content.decode()
    assert "Rappel noté pour Gaston Roumégoux." in text
    assert f"/mediation/inscriptions/{farmer.pk}/rappel-fait/" not in text
    assert "Marie Delpuech" in text


def test_home_rappel_fait_refused_elsewhere_and_get(client, staff, other_epn, farmer_session):
    farmer = register(farmer_session)
    client.force_login(staff(Role.MEDIATOR, other_epn))
    assert client.post(f"/mediation/inscriptions/{farmer.pk}/rappel-fait/").status_code == 403
    assert client.get(f"/mediation/inscriptions/{farmer.pk}/rappel-fait/").status_code == 405
    client.logout()
    assert client.post(f"/mediation/inscriptions/{farmer.pk}/rappel-fait/").status_code == 302
    farmer.refresh_from_db()
    assert farmer.reminder_called_at is None
