"""Helpers of the workshops_manage tests: registrations written straight to the database
(the registration services belong to the public part and are tested there)."""

from __future__ import annotations

import datetime as dt

from django.db.models import F
from django.utils import timezone

from cybercantal.mediation import models as m


def register(
    session: m.Session,
    *,
    first_name: str = "Jean",
    last_name: str = "Vidal",
    email: str = "",
    phone: str = "04 71 00 00 00",
    status: str = m.RegistrationStatus.CONFIRMED,
    channel: str = m.Channel.PHONE,
    **extra,
) -> m.Registration:
    """One registration; a confirmed one also moves ``confirmed_count``."""
    now = timezone.now()
    registration = m.Registration.objects.create(
        session=session,
        first_name=first_name,
        last_name=last_name,
        email=email,
        phone=phone,
        status=status,
        channel=channel,
        waitlisted_at=now if status == m.RegistrationStatus.WAITLISTED else None,
        **extra,
    )
    if status == m.RegistrationStatus.CONFIRMED:
        m.Session.objects.filter(pk=session.pk).update(confirmed_count=F("confirmed_count") + 1)
        session.refresh_from_db(fields=["confirmed_count"])
    return registration


def fill(session: m.Session, count: int, *, with_email: bool = True) -> list[m.Registration]:
    return [
        register(
            session,
            first_name=f"Personne{i}",
            last_name=f"Test{i}",
            email=f"personne{i}@example.fr" if with_email else "",
        )
        for i in range(count)
    ]


def started_session(session_factory, *, hours_ago: float = 1, **kwargs) -> m.Session:
    """A session that started ``hours_ago`` hours ago (factories bypass the services' date rule)."""
    starts = timezone.now() - dt.timedelta(hours=hours_ago)
    return session_factory(starts_at=starts, ends_at=starts + dt.timedelta(hours=2), **kwargs)
