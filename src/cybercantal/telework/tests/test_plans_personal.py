"""What the telecentres network keeps about a person: the export for "Mes données", and the
erasure when an administrator anonymises the account."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from cybercantal.accounts import personal_data
from cybercantal.accounts.models import Role
from cybercantal.accounts.services import user_anonymise

from ..models import Booking, BookingStatus, DayPart, MemberProfile, Membership, WaitlistEntry
from ..personal import SECTION, register
from ..services import booking as booking_service
from ..services import plans as services
from .factories import UserFactory, next_weekday
from .factories_plans import carnet, part_time

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered():
    """The section as the app's ``ready`` registers it (registered here if not yet)."""
    ours = SECTION not in {section.name for section in personal_data.sections()}
    if ours:
        register()
    yield
    if ours:
        personal_data.unregister(SECTION)


@pytest.fixture
def member_with_everything(telecentre, pool):
    person = UserFactory(first_name="Camille", last_name="Besse")
    services.membership_subscribe(
        actor=person, plan=carnet(telecentre), on=timezone.localdate() - dt.timedelta(days=5), notify=False
    )
    services.profile_update(
        actor=person, billing_name="Camille Besse", billing_address="3 rue du Plomb", commute_km=Decimal("118")
    )
    booking = booking_service.booking_create(
        actor=person, resource=pool, day=next_weekday(2), part=DayPart.DAY, notify=False
    )
    WaitlistEntry.objects.create(
        resource=pool,
        member=person,
        starts_at=booking.starts_at + dt.timedelta(days=7),
        ends_at=booking.ends_at + dt.timedelta(days=7),
    )
    return person


def test_export_holds_profile_memberships_bookings_waitlist_and_no_secret(registered, member_with_everything):
    data = personal_data.collect(member_with_everything)["sections"][SECTION]
    assert data["profil"]["nom_facturation"] == "Camille Besse"
    assert data["profil"]["trajet_evite_km"] == Decimal("118")
    assert data["adhesions"][0]["formule"] == "Carnet 10 jours"
    assert data["adhesions"][0]["credits"][0]["accordes"] == Decimal("10")
    assert data["adhesions"][0]["credits"][0]["restants"] == Decimal("9")
    assert len(data["reservations"]) == 1
    assert len(data["listes_attente"]) == 1
    dumped = json.dumps(data, cls=DjangoJSONEncoder)
    token = MemberProfile.objects.get(user=member_with_everything).calendar_token
    assert token not in dumped
    assert "calendar_token" not in dumped


def test_export_of_a_stranger_is_empty(registered):
    data = personal_data.collect(UserFactory())["sections"][SECTION]
    assert data == {"profil": None, "adhesions": [], "reservations": [], "listes_attente": []}


def test_erase_deletes_profile_and_waitlist_keeps_accounting_records(registered, member_with_everything, staff):
    person = member_with_everything
    monthly_person = UserFactory()
    membership = services.membership_subscribe(
        actor=monthly_person, plan=part_time(Membership.objects.get(member=person).telecentre), notify=False
    )
    admin = staff(Role.ADMINISTRATOR)
    user_anonymise(actor=admin, user=person)
    user_anonymise(actor=admin, user=monthly_person)
    assert not MemberProfile.objects.filter(user=person).exists()  # the calendar secret goes with it
    assert not WaitlistEntry.objects.filter(member=person).exists()
    assert Booking.objects.filter(member=person, status=BookingStatus.CONFIRMED).count() == 1
    kept = Membership.objects.get(member=person)
    assert kept.ends_on == timezone.localdate()
    membership.refresh_from_db()
    assert membership.ends_on == timezone.localdate()
    assert membership.next_renewal_on is None
    assert membership.credit_grants.count() == 1
