"""The demo registrations: added only where sessions exist, once."""

from __future__ import annotations

from cybercantal.mediation.demo import workshops_public as demo
from cybercantal.mediation.models import Registration, RegistrationStatus, Session

from .factories import SessionFactory


def test_demo_does_nothing_without_sessions(db):
    assert demo.load() == {"séances remplies": 0, "inscriptions": 0, "passages de liste d'attente": 0}


def test_demo_fills_sessions_consistently_and_is_idempotent(epn):
    for _ in range(4):
        SessionFactory(place=epn, capacity=4)
    counts = demo.load()
    assert counts["séances remplies"] == 4
    assert counts["inscriptions"] == Registration.objects.count() > 0
    for session in Session.objects.all():
        confirmed = Registration.objects.filter(session=session, status=RegistrationStatus.CONFIRMED).count()
        assert session.confirmed_count == confirmed <= session.capacity
    assert Registration.objects.filter(status=RegistrationStatus.WAITLISTED).exists()
    assert Registration.objects.filter(promoted_at__isnull=False, promotion_notified_at__isnull=True).exists()
    assert demo.load()["inscriptions"] == 0


def test_demo_counts_are_named_in_french_and_do_not_hide_other_parts(db):
    """``cybercantal load_demo`` prints these keys to French readers, merged with the other
    parts' counts (``demo.load_demo``): no English identifier, no key taken by another part."""
    from cybercantal.mediation.demo import free_access

    keys = set(demo.load()) | set(free_access.load())
    assert all("_" not in key and key == key.lower() for key in keys)
    assert keys.isdisjoint({"sessions", "registrations", "computers", "bookings", "visit_rows"})
    assert keys.isdisjoint({"ateliers", "séances", "séances créées", "médiateurs"})  # workshops_manage's
