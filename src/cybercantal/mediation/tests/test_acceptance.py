"""The acceptance story of issue 4, through the pages, as the people in it would go.

A retired farmer in Ydes finds a "first steps with email" workshop near him, registers by
phone through the mediator, is promoted from the waitlist and receives the reminder; the
mediator takes attendance on a tablet and records two individual accompaniments; the
programme manager downloads the monthly statistics and the equipment renewal forecast for
all collèges.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cybercantal.mediation.models import (
    Accompaniment,
    AccompanimentKind,
    DigitalTheme,
    Registration,
    RegistrationStatus,
)
from cybercantal.mediation.services import registrations as registration_services
from cybercantal.places.models import PlaceKind, PlaceOffer

from .factories import EquipmentFactory, PlaceFactory, SessionFactory, WorkshopFactory

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_farmer_of_ydes_the_mediator_and_the_programme_manager(
    client, epn, mediator, manager, other_epn, django_capture_on_commit_callbacks
):
    workshop = WorkshopFactory(title="Premiers pas avec le courriel", themes=[DigitalTheme.EMAIL])
    session = SessionFactory(workshop=workshop, place=epn, mediator=mediator, capacity=1)
    elsewhere = SessionFactory(place=other_epn, capacity=5, workshop=WorkshopFactory(title="Le courriel au Lioran"))
    # The only seat is taken by a neighbour who registered online.
    neighbour = registration_services.registration_create(
        actor=None, session=session, first_name="Josette", last_name="Vidal", email="josette@example.fr"
    )
    assert neighbour.status == RegistrationStatus.CONFIRMED

    # 1. He (or his daughter) looks for workshops in his canton about email.
    canton = epn.canton
    assert canton is not None
    response = client.get(reverse("mediation:calendar"), {"canton": canton.slug, "thematique": DigitalTheme.EMAIL})
    assert response.status_code == 200
    page = _text(response)
    assert "Premiers pas avec le courriel" in page
    assert "EPN du Pays Vert" in page
    assert elsewhere.workshop.title not in page  # another canton

    # 2. He phones the EPN; the mediator registers him: the session is full, he is waitlisted.
    client.force_login(mediator.user)
    response = client.post(
        reverse("mediation:register_someone", args=[session.pk]),
        {
            "first_name": "Marcel",
            "last_name": "Bouygues",
            "phone": "04 71 40 12 34",
            "email": "marcel.bouygues@example.fr",
            "channel": "phone",
        },
    )
    assert response.status_code in (200, 302)
    marcel = Registration.objects.get(session=session, last_name="Bouygues")
    assert marcel.status == RegistrationStatus.WAITLISTED
    assert marcel.channel == "phone"
    assert marcel.registered_by == mediator.user
    client.logout()

    # 3. The neighbour cancels through the link of her email: Marcel is promoted and told.
    mail.outbox.clear()
    cancel_url = reverse("mediation:cancel_registration", args=[neighbour.token])
    assert client.get(cancel_url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        client.post(cancel_url)
    marcel.refresh_from_db()
    assert marcel.status == RegistrationStatus.CONFIRMED
    assert marcel.promoted_at is not None
    assert any("marcel.bouygues@example.fr" in message.to for message in mail.outbox)

    # 4. The day before, the reminder.
    mail.outbox.clear()
    session.refresh_from_db()
    day_before = timezone.localtime(session.starts_at).date() - dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert registration_services.registrations_send_reminders(today=day_before) >= 1
    reminders = [m for m in mail.outbox if "marcel.bouygues@example.fr" in m.to]
    assert len(reminders) == 1
    assert "Premiers pas avec le courriel" in reminders[0].subject + reminders[0].body
    assert registration_services.registrations_send_reminders(today=day_before) == 0  # once only

    # 5. The session takes place (time passes): the mediator takes attendance on a tablet.
    started = timezone.now() - dt.timedelta(hours=1)
    type(session).objects.filter(pk=session.pk).update(starts_at=started, ends_at=started + dt.timedelta(hours=2))
    client.force_login(mediator.user)
    attendance_url = reverse("mediation:attendance", args=[session.pk])
    assert client.get(attendance_url).status_code == 200
    client.post(attendance_url, {"present": [str(marcel.pk)]})
    marcel.refresh_from_db()
    assert marcel.attended is True

    # 6. Two individual accompaniments, each one form.
    create_url = reverse("mediation:accompaniment_create")
    form = client.get(create_url)
    assert form.status_code == 200
    token = re.search(r'name="jeton" value="([^"]+)"', form.content.decode())
    for minutes, theme in ((30, DigitalTheme.EMAIL), (45, DigitalTheme.ONLINE_PROCEDURES)):
        data = {
            "kind": AccompanimentKind.INDIVIDUAL,
            "place": str(epn.pk),
            "date": timezone.localdate().isoformat(),
            "duration": str(minutes),
            "place_type": "on_site",
            "themes": [theme],
            "autonomy": "partly",
        }
        if token:
            data["jeton"] = f"{token.group(1)}-{minutes}"
        response = client.post(create_url, data)
        assert response.status_code in (200, 302), _text(response)[:2000]
    records = Accompaniment.objects.filter(author=mediator.user, place=epn, kind=AccompanimentKind.INDIVIDUAL)
    assert sorted(records.values_list("duration_minutes", flat=True)) == [30, 45]
    assert all(record.beneficiary_id is None for record in records)  # anonymous by default
    client.logout()

    # 7. The programme manager: monthly statistics and the renewal forecast of the collèges.
    college = PlaceFactory(
        name="Collège des Gorges de la Sumène", kind=PlaceKind.COLLEGE, offers=[PlaceOffer.CYBER_ROOM]
    )
    for _ in range(10):
        EquipmentFactory(place=college, bought_on=dt.date(2019, 9, 1))
    client.force_login(manager)
    month = timezone.localdate().strftime("%Y-%m")
    stats = client.get(reverse("mediation:statistics"), {"du": month, "au": month, "format": "ods"})
    assert stats.status_code == 200
    with zipfile.ZipFile(io.BytesIO(stats.content)) as ods:
        content = ods.read("content.xml").decode()
    assert "EPN du Pays Vert" in content
    forecast = client.get(reverse("mediation:equipment_forecast_csv"), {"annees": 5, "colleges": "on"})
    assert forecast.status_code == 200
    csv_text = forecast.content.decode("utf-8-sig")
    assert "Collège des Gorges de la Sumène" in csv_text
    assert "EPN du Pays Vert" not in csv_text
