"""A session moved after its reminder was sent: the reminder goes again for the new date."""

from __future__ import annotations

import datetime as dt

from django.core import mail
from django.utils import timezone

from cybercantal.mediation.models import Registration
from cybercantal.mediation.services import registrations as registration_services
from cybercantal.mediation.services import workshops as services

from .factories import SessionFactory


def at(day: dt.date, hour: int) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def test_moving_a_reminded_session_sends_the_reminder_again(epn, mediator, django_capture_on_commit_callbacks):
    today = timezone.localdate()
    start = at(today + dt.timedelta(days=1), 14)
    session = SessionFactory(place=epn, starts_at=start, ends_at=start + dt.timedelta(hours=2))
    person = registration_services.registration_create(
        actor=None, session=session, first_name="Jean", last_name="Vidal", email="jean@exemple.fr"
    )
    assert registration_services.registrations_send_reminders(today=today) == 1

    services.session_update(actor=mediator.user, session=session, starts_at=at(today + dt.timedelta(days=5), 10))

    assert Registration.objects.get(pk=person.pk).reminder_sent_at is None
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert registration_services.registrations_send_reminders(today=today) == 0  # not tomorrow any more
        assert registration_services.registrations_send_reminders(today=today + dt.timedelta(days=4)) == 1
        assert registration_services.registrations_send_reminders(today=today + dt.timedelta(days=4)) == 0
    assert [m.to for m in mail.outbox] == [["jean@exemple.fr"]]
    assert "10h00" in mail.outbox[0].body
