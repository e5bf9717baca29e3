"""Reminders the day before, the 12-month retention of registrations, "Mes données"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from cybercantal.accounts import personal_data
from cybercantal.accounts.models import Role
from cybercantal.core.scheduler import registered_jobs
from cybercantal.mediation import tasks
from cybercantal.mediation.models import Registration, RegistrationStatus, Session
from cybercantal.mediation.services import registrations as services

from .factories import SessionFactory


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def make_session(place, day: dt.date, capacity: int = 5) -> Session:
    return SessionFactory(place=place, starts_at=at(day, 14), ends_at=at(day, 16), capacity=capacity)


def register(session, n, **extra):
    fields = {"first_name": f"P{n}", "last_name": "Test", "phone": f"04 71 00 00 {n:02d}"} | extra
    return services.registration_create(actor=None, session=session, **fields)


def test_reminders_go_to_tomorrows_confirmed_registrants_with_an_email_once(epn, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    tomorrow = make_session(epn, today + dt.timedelta(days=1), capacity=2)
    later = make_session(epn, today + dt.timedelta(days=3))
    with django_capture_on_commit_callbacks(execute=True):
        reminded = register(tomorrow, 1, email="un@exemple.fr")
        no_email = register(tomorrow, 2)
        waiting = register(tomorrow, 3, email="attente@exemple.fr")
        register(later, 4, email="plus-tard@exemple.fr")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_workshop_reminders.call() == 1
    assert [m.to for m in mail.outbox] == [["un@exemple.fr"]]
    assert "Rappel" in mail.outbox[0].subject
    assert f"/ateliers/annulation/{reminded.token}/" in mail.outbox[0].body
    reminded.refresh_from_db()
    assert reminded.reminder_sent_at is not None
    no_email.refresh_from_db()
    assert no_email.reminder_sent_at is None
    assert waiting.status == RegistrationStatus.WAITLISTED

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_workshop_reminders.call() == 0  # idempotent
    assert len(mail.outbox) == 1


def test_reminders_skip_cancelled_sessions_and_registrations(epn):
    tomorrow = make_session(epn, timezone.localdate() + dt.timedelta(days=1))
    cancelled = register(tomorrow, 1, email="annule@exemple.fr")
    services.registration_cancel(actor=None, registration=cancelled)
    other = make_session(epn, timezone.localdate() + dt.timedelta(days=1))
    register(other, 2, email="seance-annulee@exemple.fr")
    Session.objects.filter(pk=other.pk).update(status="cancelled")
    assert services.registrations_send_reminders() == 0


def test_periodic_jobs_are_registered():
    names = {job.task.name for job in registered_jobs()}
    assert {"send_workshop_reminders", "anonymise_old_registrations"} <= {n.rsplit(".", 1)[-1] for n in names}


def test_retention_blanks_old_registrations_and_keeps_the_counts(epn, staff):
    citizen = staff(Role.CITIZEN)
    old = make_session(epn, timezone.localdate() + dt.timedelta(days=2))
    recent = make_session(epn, timezone.localdate() + dt.timedelta(days=2))
    old_one = services.registration_create(
        actor=citizen, session=old, first_name="Ancien", last_name="Inscrit", email="ancien@exemple.fr", user=citizen
    )
    register(old, 2)
    kept = register(recent, 3, email="recent@exemple.fr")
    thirteen_months_ago = timezone.now() - dt.timedelta(days=400)
    Session.objects.filter(pk=old.pk).update(
        starts_at=thirteen_months_ago, ends_at=thirteen_months_ago + dt.timedelta(hours=2)
    )
    Registration.objects.filter(pk=old_one.pk).update(attended=True)
    eleven_months_ago = timezone.now() - dt.timedelta(days=330)
    Session.objects.filter(pk=recent.pk).update(
        starts_at=eleven_months_ago, ends_at=eleven_months_ago + dt.timedelta(hours=2)
    )

    assert tasks.anonymise_old_registrations.call() == 2
    old_one.refresh_from_db()
    assert (old_one.first_name, old_one.last_name, old_one.phone, old_one.email, old_one.user) == ("", "", "", "", None)
    assert old_one.status == RegistrationStatus.CONFIRMED
    assert old_one.attended is True
    assert Registration.objects.filter(session=old).count() == 2
    old.refresh_from_db()
    assert old.confirmed_count == 2
    kept.refresh_from_db()
    assert kept.first_name == "P3"
    assert kept.email == "recent@exemple.fr"
    assert services.registrations_anonymise_old() == 0  # nothing left to do


def test_personal_data_lists_and_erases_a_persons_registrations(epn, staff):
    citizen = staff(Role.CITIZEN)
    session = make_session(epn, timezone.localdate() + dt.timedelta(days=5), capacity=1)
    mine = services.registration_create(
        actor=citizen, session=session, first_name="Jeanne", last_name="Vidal", email="jeanne@exemple.fr", user=citizen
    )
    waiting = register(session, 2)
    exported = personal_data.collect(citizen)["sections"]["inscriptions_ateliers"]
    assert len(exported) == 1
    assert exported[0]["prenom"] == "Jeanne"
    assert exported[0]["lieu"] == "EPN du Pays Vert"
    assert "token" not in str(exported)
    assert mine.token not in str(exported)

    personal_data.erase(citizen)
    mine.refresh_from_db()
    assert (mine.first_name, mine.email, mine.user) == ("", "", None)
    assert mine.status == RegistrationStatus.CANCELLED  # the seat goes to the waitlist
    waiting.refresh_from_db()
    assert waiting.status == RegistrationStatus.CONFIRMED
    assert personal_data.collect(citizen)["sections"]["inscriptions_ateliers"] == []


@pytest.mark.parametrize("section", ["inscriptions_ateliers"])
def test_section_is_registered_once(section):
    assert [s.name for s in personal_data.sections()].count(section) == 1
