"""Helpers of the agents part's tests: training sessions, help requests and kiosk help records."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.kiosks.models import HelpRequest, TrainingAttendance, TrainingSession
from cybercantal.mediation.models import Accompaniment, AccompanimentKind
from cybercantal.places.tests.factories import UserFactory, give_totp, grant


def make_agent(place, *, first_name: str = "Agent", totp: bool = True):
    user = UserFactory(first_name=first_name)
    if totp:
        give_totp(user)
    grant(user, Role.KIOSK_AGENT, place)
    return user


def trained(user, *, on: dt.date, attended: bool = True, refresher: bool = False) -> TrainingSession:
    session = TrainingSession.objects.create(
        date=on, trainer="Formateur CD15", topics="Démarches en ligne", duration_minutes=180, is_refresher=refresher
    )
    TrainingAttendance.objects.create(session=session, user=user, attended=attended)
    return session


def help_request(kiosk, *, minutes_ago: int = 5, **fields) -> HelpRequest:
    request = HelpRequest.objects.create(kiosk=kiosk, **fields)
    created = timezone.now() - dt.timedelta(minutes=minutes_ago)
    HelpRequest.objects.filter(pk=request.pk).update(created_at=created)
    request.created_at = created
    return request


def kiosk_record(kiosk, author, *, day: dt.date, reason: str, outcome: str, themes=("papers",), minutes: int = 15):
    return Accompaniment.objects.create(
        kind=AccompanimentKind.PROCEDURE,
        author=author,
        place=kiosk.place,
        date=day,
        duration_minutes=minutes,
        admin_themes=list(themes),
        equipment_used=["kiosk"],
        help_reason=reason,
        outcome=outcome,
        kiosk_id=kiosk.pk,
    )
