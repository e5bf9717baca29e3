"""A small hand-built data set for the statistics tests, with figures known by heart.

Year 2025 (all in the past), EPN A (``epn``, Ydes) and EPN B (``other_epn``, Murat):

- sessions: S1 at A (workshop themes email + security), 10 seats, attendance taken, 4
  confirmed (2 present, 2 absent), 1 waitlisted, 1 cancelled; S2 at A (banking), 5 seats,
  attendance not taken, 1 confirmed marked absent (not a no-show); S3 at A cancelled (3
  confirmed, never counted); S4 at B (banking), 10 seats, attendance taken, 5 present.
- accompaniments: at A a1 (individual, 30 min, email + security, know-how, partly autonomous),
  a2 (individual, 45 min, email, admin money, no equipment, completed), a3 (collective, 120
  min, 6 people, security); at B b1 (procedure, 60 min, admin money + housing, trust) and b0
  in 2024 (outside the year).
- free-access visits: A 7 + 5 in March 2025, B 3 in May 2025.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from cybercantal.mediation import models as m

from .factories import MediatorFactory, WorkshopFactory


def at(day: dt.date, hour: int = 14) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)))


def session(workshop, place, day: dt.date, *, capacity: int, taken: bool = False, cancelled: bool = False):
    return m.Session.objects.create(
        workshop=workshop,
        place=place,
        starts_at=at(day),
        ends_at=at(day, 16),
        capacity=capacity,
        status=m.SessionStatus.CANCELLED if cancelled else m.SessionStatus.SCHEDULED,
        attendance_taken_at=at(day, 16) if taken else None,
    )


def registrations(session, *attended: bool | None, waitlisted: int = 0, cancelled: int = 0) -> None:
    now = timezone.now()
    rows = [
        m.Registration(session=session, first_name="P", last_name=f"C{i}", status="confirmed", attended=value)
        for i, value in enumerate(attended)
    ]
    rows += [
        m.Registration(session=session, first_name="P", last_name=f"W{i}", status="waitlisted", waitlisted_at=now)
        for i in range(waitlisted)
    ]
    rows += [
        m.Registration(session=session, first_name="P", last_name=f"X{i}", status="cancelled", cancelled_at=now)
        for i in range(cancelled)
    ]
    m.Registration.objects.bulk_create(rows)
    m.Session.objects.filter(pk=session.pk).update(confirmed_count=len(attended))


def accompaniment(place, author, day: dt.date, **fields: Any) -> m.Accompaniment:
    fields.setdefault("kind", m.AccompanimentKind.INDIVIDUAL)
    if fields["kind"] == m.AccompanimentKind.COLLECTIVE:
        n = fields["participants"]
        fields.update(gender_unknown=n, age_unknown=n, status_unknown=n)
    return m.Accompaniment.objects.create(place=place, author=author, date=day, **fields)


def build(epn, other_epn, author=None) -> dict[str, Any]:
    author = author or MediatorFactory().user
    email = WorkshopFactory(themes=[m.DigitalTheme.EMAIL, m.DigitalTheme.SECURITY])
    bank = WorkshopFactory(themes=[m.DigitalTheme.BANKING])
    s1 = session(email, epn, dt.date(2025, 3, 10), capacity=10, taken=True)
    registrations(s1, True, True, False, False, waitlisted=1, cancelled=1)
    s2 = session(bank, epn, dt.date(2025, 3, 20), capacity=5)
    registrations(s2, False)
    s3 = session(email, epn, dt.date(2025, 4, 1), capacity=8, cancelled=True)
    registrations(s3, None, None, None)
    s4 = session(bank, other_epn, dt.date(2025, 5, 5), capacity=10, taken=True)
    registrations(s4, True, True, True, True, True)

    accompaniment(
        epn,
        author,
        dt.date(2025, 3, 2),
        duration_minutes=30,
        themes=["email", "security"],
        help_reason="know_how",
        autonomy="partly",
    )
    accompaniment(
        epn,
        author,
        dt.date(2025, 3, 15),
        duration_minutes=45,
        themes=["email"],
        admin_themes=["money"],
        help_reason="no_equipment",
        outcome="completed",
    )
    accompaniment(
        epn,
        author,
        dt.date(2025, 6, 1),
        kind=m.AccompanimentKind.COLLECTIVE,
        duration_minutes=120,
        participants=6,
        themes=["security"],
    )
    accompaniment(
        other_epn,
        author,
        dt.date(2025, 5, 5),
        kind=m.AccompanimentKind.PROCEDURE,
        duration_minutes=60,
        admin_themes=["money", "housing"],
        help_reason="trust",
    )
    accompaniment(other_epn, author, dt.date(2024, 12, 31), duration_minutes=90, themes=["email"])

    m.FreeAccessVisit.objects.bulk_create(
        [
            m.FreeAccessVisit(place=epn, date=dt.date(2025, 3, 2), slot="morning", count=7),
            m.FreeAccessVisit(place=epn, date=dt.date(2025, 3, 2), slot="afternoon", count=5),
            m.FreeAccessVisit(place=other_epn, date=dt.date(2025, 5, 5), slot="morning", count=3),
        ]
    )
    return {"author": author, "sessions": [s1, s2, s3, s4], "workshops": [email, bank]}
