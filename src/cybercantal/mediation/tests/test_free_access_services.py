"""Free access: slots from the opening hours, bookings (overlaps, limits, window, cancel)
and the visit counter, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from cybercantal.core.models import JournalEntry
from cybercantal.mediation.models import ComputerBooking, FreeAccessVisit, PublicComputer
from cybercantal.mediation.queries import free_access as queries
from cybercantal.mediation.services import free_access as services
from cybercantal.places.tests.factories import PlaceFactory

from .factories import EquipmentFactory, PublicComputerFactory
from .factories_free_access import at, bookable_day, weekend_day

pytestmark = pytest.mark.django_db


@pytest.fixture
def poste1(epn):
    return PublicComputerFactory(place=epn, label="Poste 1")


@pytest.fixture
def poste2(epn):
    return PublicComputerFactory(place=epn, label="Poste 2")


def book(computer, day, start, end, *, name="Jean Dupont", phone="", email="jean@example.fr", actor=None, **kw):
    from django.contrib.auth.models import AnonymousUser

    return services.computer_booking_create(
        actor=actor or AnonymousUser(),
        computer=computer,
        starts_at=at(day, start),
        ends_at=at(day, end),
        name=name,
        phone=phone,
        email=email,
        **kw,
    )


# --- slots ---------------------------------------------------------------------------------------


def test_day_slots_follow_the_opening_hours(epn):
    day = bookable_day()
    labels = [f"{queries.hhmm(a)}-{queries.hhmm(b)}" for a, b in queries.day_slots(epn, day)]
    # 09:00-12:00 and 14:00-17:30: hours, then a last half hour.
    assert labels == [
        "09:00-10:00",
        "10:00-11:00",
        "11:00-12:00",
        "14:00-15:00",
        "15:00-16:00",
        "16:00-17:00",
        "17:00-17:30",
    ]


def test_no_slot_on_a_closed_day_nor_on_a_public_holiday(epn):
    assert queries.day_slots(epn, weekend_day()) == []
    christmas = dt.date(timezone.localdate().year, 12, 25)
    assert queries.day_slots(epn, christmas) == []


def test_slots_of_a_place_opening_at_half_past(db, territory):
    place = PlaceFactory(opening_hours="Mo-Su 09:30-11:00")
    day = timezone.localdate() + dt.timedelta(days=3)
    labels = [f"{queries.hhmm(a)}-{queries.hhmm(b)}" for a, b in queries.day_slots(place, day)]
    assert labels == ["09:30-10:30", "10:30-11:00"]


def test_a_place_without_hours_has_no_slot(db, territory):
    place = PlaceFactory(opening_hours="")
    assert queries.day_slots(place, timezone.localdate() + dt.timedelta(days=3)) == []


# --- bookings ------------------------------------------------------------------------------------


def test_book_a_slot(poste1, django_capture_on_commit_callbacks):
    day = bookable_day()
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(poste1, day, "14:00", "15:00", phone="04 71 00 00 00")
    assert booking.status == ComputerBooking.Status.CONFIRMED
    assert booking.phone == "0471000000"
    assert booking.booked_by is None
    assert JournalEntry.objects.filter(action="mediation.computer_booking.created", target_id=str(booking.pk)).exists()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jean@example.fr"]
    assert f"/ateliers/postes/annulation/{booking.token}/" in message.body
    assert queries.long_date(day) in message.body


def test_half_hour_booking_and_no_email_without_address(poste1, django_capture_on_commit_callbacks):
    day = bookable_day()
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(poste1, day, "17:00", "17:30", email="", phone="0612345678")
    assert booking.ends_at - booking.starts_at == dt.timedelta(minutes=30)
    assert mail.outbox == []


def test_phone_or_email_is_required_from_the_public(poste1):
    with pytest.raises(ValidationError) as excinfo:
        book(poste1, bookable_day(), "14:00", "15:00", email="", phone="")
    assert "téléphone ou une adresse électronique" in excinfo.value.message_dict["phone"][0]


def test_mediator_books_for_someone_at_the_desk_without_contact(poste1, mediator):
    booking = book(poste1, bookable_day(), "09:00", "10:00", email="", phone="", actor=mediator.user)
    assert booking.booked_by == mediator.user
    assert booking.user is None


@pytest.mark.parametrize(
    ("phone", "email", "field"),
    [("12", "", "phone"), ("04 71 00 00 00 00 00 00 00 00 00 00 00 00", "", "phone"), ("", "pas-une-adresse", "email")],
)
def test_bad_contact_details_are_refused_in_french(poste1, phone, email, field):
    with pytest.raises(ValidationError) as excinfo:
        book(poste1, bookable_day(), "14:00", "15:00", phone=phone, email=email)
    assert field in excinfo.value.message_dict
    assert ComputerBooking.objects.count() == 0


def test_huge_name_is_refused(poste1):
    with pytest.raises(ValidationError) as excinfo:
        book(poste1, bookable_day(), "14:00", "15:00", name="x" * 5000)
    assert "120 caractères" in excinfo.value.message_dict["name"][0]


@pytest.mark.parametrize(
    ("start", "end"),
    [("12:00", "13:00"), ("08:30", "09:30"), ("17:00", "18:00"), ("14:00", "15:30"), ("14:10", "15:10")],
)
def test_slot_outside_hours_or_of_the_wrong_length_is_refused(poste1, start, end):
    with pytest.raises(ValidationError) as excinfo:
        book(poste1, bookable_day(), start, end)
    message = excinfo.value.message_dict["starts_at"][0]
    assert "horaires d'ouverture" in message or "30 minutes ou 1 heure" in message


def test_closed_day_is_refused(poste1):
    with pytest.raises(ValidationError) as excinfo:
        book(poste1, weekend_day(), "14:00", "15:00")
    assert "horaires d'ouverture" in excinfo.value.message_dict["starts_at"][0]


def test_past_slot_is_refused(poste1):
    day = timezone.localdate() - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        book(poste1, day, "14:00", "15:00")
    assert "déjà passé" in excinfo.value.message_dict["starts_at"][0]


def test_more_than_thirty_days_ahead_is_refused(poste1):
    day = bookable_day(start_in=31)
    with pytest.raises(ValidationError) as excinfo:
        book(poste1, day, "14:00", "15:00")
    assert "30 jours" in excinfo.value.message_dict["starts_at"][0]


def test_overlap_is_refused_with_the_nearest_free_slots(poste1, poste2):
    day = bookable_day()
    book(poste1, day, "14:00", "15:00", email="a@example.fr")
    book(poste2, day, "14:00", "15:00", email="b@example.fr")
    with pytest.raises(services.BookingConflictError) as excinfo:
        book(poste1, day, "14:30", "15:30", email="c@example.fr")
    alternatives = excinfo.value.alternatives
    assert alternatives, "free slots are proposed"
    starts = [queries.hhmm(a["starts_at"]) for a in alternatives]
    assert starts[:2] == ["15:00", "15:00"]  # both computers, right after the taken hour
    for alternative in alternatives:
        assert not queries.overlapping(
            alternative["computer"], alternative["starts_at"], alternative["ends_at"]
        ).exists()
    assert "Créneaux libres les plus proches" in excinfo.value.messages[0]
    assert "Poste" in excinfo.value.messages[0]
    assert ComputerBooking.objects.count() == 2


def test_conflict_when_nothing_else_is_free_says_so(db, territory):
    place = PlaceFactory(opening_hours="Mo-Su 10:00-11:00")
    computer = PublicComputerFactory(place=place, label="Poste 1")
    day = timezone.localdate() + dt.timedelta(days=2)
    book(computer, day, "10:00", "11:00", email="a@example.fr")
    assert queries.nearest_free_slots(place, at(day, "10:00"), 60, days=0) == []
    with pytest.raises(services.BookingConflictError) as excinfo:
        book(computer, day, "10:00", "11:00", email="b@example.fr")
    # Other days are free: they are proposed.
    assert excinfo.value.alternatives[0]["starts_at"].date() > day


def test_overlap_refused_by_the_database_on_postgresql(poste1, is_postgres):
    """Even when the service's own check is skipped (a race), the database says no."""
    from django.db import IntegrityError, transaction

    day = bookable_day()
    book(poste1, day, "14:00", "15:00")
    if not is_postgres:
        pytest.skip("the exclusion constraint exists on PostgreSQL only")
    with pytest.raises(IntegrityError), transaction.atomic():
        ComputerBooking.objects.create(
            computer=poste1, starts_at=at(day, "14:30"), ends_at=at(day, "15:30"), name="X", email="x@example.fr"
        )


def test_back_to_back_bookings_are_allowed(poste1):
    day = bookable_day()
    book(poste1, day, "14:00", "15:00", email="a@example.fr")
    book(poste1, day, "15:00", "16:00", email="b@example.fr")
    book(poste1, day, "11:00", "12:00", email="c@example.fr")
    assert ComputerBooking.objects.filter(computer=poste1).count() == 3


def test_same_slot_on_another_computer_is_allowed(poste1, poste2):
    day = bookable_day()
    book(poste1, day, "14:00", "15:00", email="a@example.fr")
    book(poste2, day, "14:00", "15:00", email="b@example.fr")
    assert ComputerBooking.objects.count() == 2


def test_two_hours_per_person_per_day(poste1, poste2):
    day = bookable_day()
    book(poste1, day, "09:00", "10:00", email="jean@example.fr")
    book(poste2, day, "10:00", "11:00", phone="0471000000", email="JEAN@example.fr")
    with pytest.raises(ValidationError) as excinfo:
        book(poste1, day, "14:00", "14:30", email="jean@example.fr")
    assert "Deux heures" in excinfo.value.message_dict["starts_at"][0]
    # The same phone number typed differently is the same person.
    book(poste1, day, "15:00", "16:00", email="", phone="04.71.00.00.00")
    with pytest.raises(ValidationError):
        book(poste1, day, "16:00", "16:30", email="", phone="+33 4 71 00 00 00")
    # Another day is fine.
    book(poste1, bookable_day(start_in=(day - timezone.localdate()).days + 1), "14:00", "15:00")


def test_cancel_frees_the_slot_and_is_idempotent(poste1, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import AnonymousUser

    day = bookable_day()
    booking = book(poste1, day, "14:00", "15:00")
    cancelled = services.computer_booking_cancel(actor=AnonymousUser(), booking=booking)
    assert cancelled.status == ComputerBooking.Status.CANCELLED
    again = services.computer_booking_cancel(actor=AnonymousUser(), booking=booking)
    assert again.status == ComputerBooking.Status.CANCELLED
    assert JournalEntry.objects.filter(action="mediation.computer_booking.cancelled").count() == 1
    other = book(poste1, day, "14:00", "15:00", email="other@example.fr")
    assert other.status == ComputerBooking.Status.CONFIRMED


def test_staff_cancel_tells_the_person(poste1, mediator, django_capture_on_commit_callbacks):
    booking = book(poste1, bookable_day(), "14:00", "15:00")
    with django_capture_on_commit_callbacks(execute=True):
        services.computer_booking_cancel(actor=mediator.user, booking=booking)
    assert "Réservation annulée" in mail.outbox[-1].subject


def test_a_finished_booking_cannot_be_cancelled(poste1):
    from django.contrib.auth.models import AnonymousUser

    booking = ComputerBooking.objects.create(
        computer=poste1,
        starts_at=timezone.now() - dt.timedelta(hours=3),
        ends_at=timezone.now() - dt.timedelta(hours=2),
        name="A",
        email="a@example.fr",
    )
    with pytest.raises(ValidationError) as excinfo:
        services.computer_booking_cancel(actor=AnonymousUser(), booking=booking)
    assert "terminé" in excinfo.value.messages[0]


def test_inactive_computer_cannot_be_booked(poste1, mediator):
    services.public_computer_update(actor=mediator.user, computer=poste1, label="Poste 1", is_active=False)
    poste1.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        book(poste1, bookable_day(), "14:00", "15:00")
    assert "plus proposé" in excinfo.value.message_dict["computer"][0]


# --- computers -----------------------------------------------------------------------------------


def test_create_and_update_a_computer(epn, mediator):
    equipment = EquipmentFactory(place=epn)
    computer = services.public_computer_create(
        actor=mediator.user, place=epn, label=" Poste 3 ", features="Grand écran", equipment=equipment
    )
    assert computer.label == "Poste 3"
    assert computer.equipment == equipment
    with pytest.raises(ValidationError) as excinfo:
        services.public_computer_create(actor=mediator.user, place=epn, label="poste 3", features="")
    assert "déjà ce nom" in excinfo.value.message_dict["label"][0]
    updated = services.public_computer_update(
        actor=mediator.user, computer=computer, label="Poste 4", features="", equipment=None
    )
    assert updated.label == "Poste 4"
    assert PublicComputer.objects.get(pk=computer.pk).equipment is None
    assert JournalEntry.objects.filter(action__startswith="mediation.public_computer").count() == 2


def test_equipment_from_another_place_or_not_a_computer_is_refused(epn, other_epn, mediator):
    from cybercantal.mediation.models import EquipmentKind

    elsewhere = EquipmentFactory(place=other_epn)
    printer = EquipmentFactory(place=epn, kind=EquipmentKind.PRINTER)
    for equipment in (elsewhere, printer):
        with pytest.raises(ValidationError) as excinfo:
            services.public_computer_create(actor=mediator.user, place=epn, label="Poste 9", equipment=equipment)
        assert "equipment" in excinfo.value.message_dict
    assert not PublicComputer.objects.exists()


def test_empty_or_huge_label_is_refused(epn, mediator):
    for label in ("", "   ", "P" * 61):
        with pytest.raises(ValidationError):
            services.public_computer_create(actor=mediator.user, place=epn, label=label)


# --- grid ----------------------------------------------------------------------------------------


def test_day_grid_marks_booked_partly_and_free_cells(poste1, poste2):
    day = bookable_day()
    book(poste1, day, "14:00", "15:00", email="a@example.fr")
    book(poste2, day, "14:00", "14:30", email="b@example.fr")
    grid = queries.day_grid(poste1.place, day)
    row = next(r for r in grid.rows if queries.hhmm(r.starts_at) == "14:00")
    first, second = row.cells
    assert first.state == "booked"
    assert first.options == []
    assert second.state == "partly"
    assert [o.label for o in second.options] == ["Réserver le Poste 2 de 14:30 à 15:00"]
    free = next(r for r in grid.rows if queries.hhmm(r.starts_at) == "15:00")
    assert [o.label for o in free.cells[0].options] == ["Réserver le Poste 1 de 15:00 à 16:00"]


def test_past_slots_of_today_are_not_offered_to_the_public(poste1):
    now = timezone.now()
    today = timezone.localdate()
    grid = queries.day_grid(poste1.place, today, now=now)
    for row in grid.rows:
        for cell in row.cells:
            if row.starts_at < now:
                assert cell.state == "past"


# --- visit counter -------------------------------------------------------------------------------


def test_visit_add_increments_and_never_goes_below_zero(epn, mediator):
    today = timezone.localdate()
    for _ in range(3):
        row = services.free_access_visit_add(actor=mediator.user, place=epn, date=today, slot="morning")
    assert row.count == 3
    row = services.free_access_visit_add(actor=mediator.user, place=epn, date=today, slot="morning", delta=-1)
    assert row.count == 2
    for _ in range(4):
        row = services.free_access_visit_add(actor=mediator.user, place=epn, date=today, slot="morning", delta=-1)
    assert row.count == 0
    row = services.free_access_visit_add(actor=mediator.user, place=epn, date=today, slot="evening", delta=-1)
    assert row.count == 0
    assert FreeAccessVisit.objects.filter(place=epn, date=today).count() == 2


def test_visit_set_corrects_a_count(epn, mediator):
    day = timezone.localdate() - dt.timedelta(days=3)
    services.free_access_visit_add(actor=mediator.user, place=epn, date=day, slot="afternoon")
    row = services.free_access_visit_set(actor=mediator.user, place=epn, date=day, slot="afternoon", count=12)
    assert row.count == 12
    entry = JournalEntry.objects.get(action="mediation.free_access_visit.set")
    assert entry.data["before"] == 1
    assert entry.data["after"] == 12


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"slot": "night"}, "slot"),
        ({"count": -1}, "count"),
        ({"count": 10_001}, "count"),
        ({"date": timezone.localdate() + dt.timedelta(days=1)}, "date"),
    ],
)
def test_visit_set_bad_input(epn, mediator, kwargs, field):
    values = {"date": timezone.localdate(), "slot": "morning", "count": 3} | kwargs
    with pytest.raises(ValidationError) as excinfo:
        services.free_access_visit_set(actor=mediator.user, place=epn, **values)
    assert field in excinfo.value.message_dict
    assert not FreeAccessVisit.objects.exists()


def test_visit_month_table_totals(epn, mediator):
    last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
    first = last_month.replace(day=1)
    services.free_access_visit_set(actor=mediator.user, place=epn, date=first, slot="morning", count=4)
    services.free_access_visit_set(actor=mediator.user, place=epn, date=first, slot="evening", count=1)
    services.free_access_visit_add(actor=mediator.user, place=epn, date=last_month, slot="afternoon")
    table = queries.visit_month(epn, first.year, first.month)
    assert len(table.rows) == last_month.day
    assert table.rows[0]["counts"] == [4, 0, 1]
    assert table.rows[0]["total"] == 5
    assert table.rows[-1]["counts"] == [0, 1, 0]
    assert table.totals == {"morning": 4, "afternoon": 1, "evening": 1}
    assert table.total == 6


def test_old_bookings_are_anonymised_after_a_month(poste1, citizen_user):
    old = ComputerBooking.objects.create(
        computer=poste1,
        starts_at=timezone.now() - dt.timedelta(days=40, hours=1),
        ends_at=timezone.now() - dt.timedelta(days=40),
        name="Jean",
        phone="0471000000",
        email="jean@example.fr",
        user=citizen_user,
    )
    recent = book(poste1, bookable_day(), "14:00", "15:00")
    from cybercantal.mediation.tasks import anonymise_old_computer_bookings

    assert anonymise_old_computer_bookings.call() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.name, old.phone, old.email, old.user) == ("", "", "", None)
    assert recent.name == "Jean Dupont"
    assert services.computer_bookings_anonymise_old() == 0


@pytest.fixture
def citizen_user(staff):
    from cybercantal.accounts.models import Role

    return staff(Role.CITIZEN)
