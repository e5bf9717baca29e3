"""Demo data of the workshops (mediators' side): realistic, scoped, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cybercantal.accounts.demo import load_demo_accounts
from cybercantal.accounts.models import Role
from cybercantal.mediation import models as m
from cybercantal.mediation.demo.workshops_manage import load
from cybercantal.places.demo import load_demo_places
from cybercantal.places.models import Place

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_ground(territory):
    load_demo_places()
    ydes = Place.objects.get(name="EPN du Pays Vert")
    load_demo_accounts(scopes={Role.MEDIATOR: ydes})
    return ydes


def test_demo_catalogue_sessions_and_acceptance_session(demo_ground):
    load()
    assert m.Workshop.objects.count() >= 12
    assert m.Workshop.objects.filter(title="Sécuriser ses mots de passe").exists()
    mediator = m.Mediator.objects.get(user__email="mediateur@demo.cybercantal.fr")
    now = timezone.now()
    epns = Place.objects.filter(kind="epn")
    assert m.Session.objects.filter(place__in=epns, starts_at__lt=now - dt.timedelta(days=60)).exists()
    assert m.Session.objects.filter(place__in=epns, starts_at__gt=now + dt.timedelta(days=21)).exists()
    past = m.Session.objects.filter(ends_at__lt=now)
    assert past.exists()
    assert not past.filter(attendance_taken_at__isnull=True).exists()
    assert not m.Session.objects.filter(starts_at__lt=now - dt.timedelta(days=100)).exists()
    # The acceptance journey: next week at Ydes, 6 seats, with the demo mediator.
    today = timezone.localdate()
    next_week = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=1)
    session = m.Session.objects.get(
        place=demo_ground,
        workshop__title="Premiers pas avec le courriel",
        starts_at__date__gte=next_week,
        starts_at__date__lt=next_week + dt.timedelta(days=7),
    )
    assert session.capacity == 6
    assert session.mediator == mediator
    assert timezone.localtime(session.starts_at).strftime("%H:%M") == "14:00"
    # Every session's mediator works at the session's place.
    for row in m.Session.objects.exclude(mediator=None).select_related("mediator__user", "place"):
        assert row.mediator.user.has_perm("mediation.manage_session", row.place)


def test_demo_twice_gives_the_same_rows(demo_ground):
    load()
    before = (
        sorted(m.Workshop.objects.values_list("slug", flat=True)),
        sorted(m.Session.objects.values_list("place_id", "workshop_id", "starts_at", "capacity")),
        m.Mediator.objects.count(),
    )
    counts = load()
    after = (
        sorted(m.Workshop.objects.values_list("slug", flat=True)),
        sorted(m.Session.objects.values_list("place_id", "workshop_id", "starts_at", "capacity")),
        m.Mediator.objects.count(),
    )
    assert before == after
    assert counts["séances créées"] == 0
