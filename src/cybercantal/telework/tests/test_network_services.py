"""Services of part "network": telecentres (creation, status and rules), resources (rules,
unique names even in a race, deactivation with bookings to come), closures (the bookings they
cover are listed, never cancelled)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry
from cybercantal.core.testing import run_in_parallel

from ..models import Booking, BookingStatus, Closure, DayPart, Resource, ResourceKind, Telecentre, TelecentreStatus
from ..queries import network as queries
from ..services import booking as booking_service
from ..services import network as services
from .factories import OperatorFactory, ResourceFactory, TelecentreFactory, next_weekday
from .factories_network import VALID_SIRET, book_pool, telecentre_place

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def errors_of(caught: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return caught.value.message_dict


def resource_fields(**overrides):
    fields = {
        "name": "Salle du Puy Mary",
        "kind": ResourceKind.MEETING_ROOM,
        "capacity": 8,
        "description": "",
        "equipment": ["visio", "ecran"],
        "booking_window_days": 60,
        "min_minutes": 60,
        "max_minutes": 240,
        "step_minutes": 30,
        "buffer_minutes": 15,
        "opening_hours": "",
        "access": "members",
        "is_active": True,
    }
    fields.update(overrides)
    return fields


# --- telecentre_create ------------------------------------------------------------------------


def test_programme_team_adds_a_place_with_an_existing_operator(programme_manager):
    place = telecentre_place(name="Télécentre de Pleaux")
    operator = OperatorFactory()
    telecentre = services.telecentre_create(actor=programme_manager, place=place, operator=operator)
    assert telecentre.status == TelecentreStatus.PLANNED
    assert telecentre.operator == operator
    assert JournalEntry.objects.filter(action="telecentre.created", target_id=str(telecentre.pk)).exists()


def test_a_new_operator_is_created_with_its_checked_siret(programme_manager):
    place = telecentre_place()
    telecentre = services.telecentre_create(
        actor=programme_manager, place=place, operator_name="SCIC  Les Volcans", operator_siret="732 829 320 00074"
    )
    operator = telecentre.operator
    assert operator.name == "SCIC Les Volcans"
    assert operator.kind == Organisation.Kind.TELECENTRE_OPERATOR
    assert operator.siret == VALID_SIRET


def test_a_wrong_siret_saves_nothing(programme_manager):
    place = telecentre_place()
    before = Organisation.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.telecentre_create(
            actor=programme_manager, place=place, operator_name="SCIC Test", operator_siret="73282932000075"
        )
    assert "clé de contrôle" in errors_of(caught)["operator_siret"][0]
    assert Organisation.objects.count() == before
    assert not Telecentre.objects.filter(place=place).exists()


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({}, "operator", "Choisissez l'exploitant"),
        ({"operator_name": "SCIC X"}, "operator_siret", "Indiquez le SIRET"),
        ({"operator_siret": "1234"}, "operator", "Choisissez l'exploitant"),
    ],
)
def test_operator_is_required_one_way(programme_manager, kwargs, field, text):
    with pytest.raises(ValidationError) as caught:
        services.telecentre_create(actor=programme_manager, place=telecentre_place(), **kwargs)
    assert text in errors_of(caught)[field][0]


def test_operator_existing_and_new_at_once_is_refused(programme_manager):
    with pytest.raises(ValidationError) as caught:
        services.telecentre_create(
            actor=programme_manager, place=telecentre_place(), operator=OperatorFactory(), operator_name="Autre"
        )
    assert "pas les deux" in errors_of(caught)["operator"][0]


def test_place_must_be_a_telecentre_not_yet_in_the_network(programme_manager, telecentre):
    epn = telecentre_place(kind="epn", offers=["epn"])
    with pytest.raises(ValidationError) as caught:
        services.telecentre_create(actor=programme_manager, place=epn, operator=OperatorFactory())
    assert "n'est pas un télécentre" in errors_of(caught)["place"][0]
    with pytest.raises(ValidationError) as caught:
        services.telecentre_create(actor=programme_manager, place=telecentre.place, operator=OperatorFactory())
    assert "déjà un télécentre" in errors_of(caught)["place"][0]


def test_only_the_programme_team_adds_telecentres(manager):
    with pytest.raises(NotAllowed):
        services.telecentre_create(actor=manager, place=telecentre_place(), operator=OperatorFactory())


# --- telecentre_update ------------------------------------------------------------------------


def test_status_rules_are_said_in_french(manager, telecentre):
    with pytest.raises(ValidationError) as caught:
        services.telecentre_update(actor=manager, telecentre=telecentre, status="open", opens_on=None)
    assert errors_of(caught)["opens_on"] == ["Indiquez la date d'ouverture du télécentre."]
    with pytest.raises(ValidationError) as caught:
        services.telecentre_update(actor=manager, telecentre=telecentre, status="closed", closed_on=None)
    assert errors_of(caught)["closed_on"] == ["Indiquez la date de fermeture du télécentre."]
    with pytest.raises(ValidationError) as caught:
        services.telecentre_update(
            actor=manager, telecentre=telecentre, status="closed", closed_on=TODAY() + dt.timedelta(days=3)
        )
    assert "le jour venu" in errors_of(caught)["closed_on"][0]
    with pytest.raises(ValidationError) as caught:
        services.telecentre_update(
            actor=manager,
            telecentre=telecentre,
            status="closed",
            opens_on=TODAY() - dt.timedelta(days=3),
            closed_on=TODAY() - dt.timedelta(days=10),
        )
    assert "ne peut pas précéder" in errors_of(caught)["closed_on"][0]
    with pytest.raises(ValidationError) as caught:
        services.telecentre_update(
            actor=manager, telecentre=telecentre, status="planned", opens_on=TODAY() - dt.timedelta(days=1)
        )
    assert "à venir" in errors_of(caught)["opens_on"][0]
    telecentre.refresh_from_db()
    assert telecentre.status == TelecentreStatus.OPEN


def test_open_from_a_date_to_come_takes_bookings_ahead(manager, telecentre):
    day = TODAY() + dt.timedelta(days=20)
    updated = services.telecentre_update(actor=manager, telecentre=telecentre, status="open", opens_on=day)
    assert queries.status_sentence(updated).startswith("Ouverture le ")
    assert queries.is_bookable(updated)


def test_planned_then_open_then_closed_then_reopened(manager, telecentre):
    planned_on = TODAY() + dt.timedelta(days=40)
    updated = services.telecentre_update(actor=manager, telecentre=telecentre, status="planned", opens_on=planned_on)
    assert queries.status_sentence(updated).startswith("Ouverture prévue le ")
    opened = TODAY() - dt.timedelta(days=2)
    updated = services.telecentre_update(actor=manager, telecentre=telecentre, status="open", opens_on=opened)
    assert queries.status_sentence(updated).startswith("Ouvert depuis le ")
    updated = services.telecentre_update(actor=manager, telecentre=telecentre, status="closed", closed_on=TODAY())
    assert updated.closed_on == TODAY()
    assert queries.status_sentence(updated).startswith("Fermé")
    updated = services.telecentre_update(actor=manager, telecentre=telecentre, status="open", closed_on=TODAY())
    assert updated.closed_on is None  # a closing date is kept only while closed
    assert JournalEntry.objects.filter(action="telecentre.updated", target_id=str(telecentre.pk)).count() == 4


def test_closing_with_bookings_to_come_asks_to_confirm_and_cancels_nothing(manager, pool):
    booking = book_pool(pool)
    with pytest.raises(services.FutureBookingsError) as caught:
        services.telecentre_update(actor=manager, telecentre=pool.telecentre, status="closed", closed_on=TODAY())
    assert caught.value.count == 1
    assert "1 réservation confirmée est à venir" in errors_of(caught)["status"][0]
    services.telecentre_update(
        actor=manager, telecentre=pool.telecentre, status="closed", closed_on=TODAY(), confirm_closing=True
    )
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("cancellation_notice_hours", -1),
        ("cancellation_notice_hours", 721),
        ("no_show_release_minutes", 10_000),
        ("no_show_release_minutes", "beaucoup"),
        ("welcome_text", "x" * 5001),
    ],
)
def test_rules_out_of_range(manager, telecentre, field, value):
    with pytest.raises(ValidationError) as caught:
        services.telecentre_update(actor=manager, telecentre=telecentre, **{field: value})
    assert field in errors_of(caught)


def test_saving_twice_writes_the_journal_once(manager, telecentre):
    services.telecentre_update(actor=manager, telecentre=telecentre, welcome_text="Code 1234")
    services.telecentre_update(actor=manager, telecentre=telecentre, welcome_text="Code 1234")
    assert JournalEntry.objects.filter(action="telecentre.updated").count() == 1


def test_manager_of_another_telecentre_may_not_update(staff, telecentre):
    other = staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)
    with pytest.raises(NotAllowed):
        services.telecentre_update(actor=other, telecentre=telecentre, welcome_text="Intrus")


def test_manager_scoped_to_the_operator_may_update(staff, telecentre):
    by_operator = staff(Role.TELECENTRE_MANAGER, telecentre.operator)
    services.telecentre_update(actor=by_operator, telecentre=telecentre, no_show_release_minutes=30)
    telecentre.refresh_from_db()
    assert telecentre.no_show_release_minutes == 30


# --- resources --------------------------------------------------------------------------------


def test_resource_create_normalises_and_journals(manager, telecentre):
    resource = services.resource_create(
        actor=manager,
        telecentre=telecentre,
        **resource_fields(
            name="  Salle   du Puy Mary ", opening_hours=" Mo-Fr   08:30-18:00 ", equipment=["ecran", "visio"]
        ),
    )
    assert resource.name == "Salle du Puy Mary"
    assert resource.opening_hours == "Mo-Fr 08:30-18:00"
    assert resource.equipment == ["visio", "ecran"]
    assert resource.position == 0
    second = services.resource_create(actor=manager, telecentre=telecentre, **resource_fields(name="Bureau 2"))
    assert second.position == 1
    assert JournalEntry.objects.filter(action="resource.created").count() == 2


@pytest.mark.parametrize(
    ("overrides", "field", "text"),
    [
        ({"min_minutes": 120, "max_minutes": 60}, "max_minutes", "ne peut pas être plus courte"),
        ({"min_minutes": 45, "step_minutes": 30}, "step_minutes", "doit diviser la durée minimale"),
        ({"capacity": 0}, "capacity", "entre 1 et 500"),
        ({"capacity": 501}, "capacity", "entre 1 et 500"),
        ({"capacity": "douze"}, "capacity", "nombre entier"),
        ({"booking_window_days": 0}, "booking_window_days", "entre 1 et 730"),
        ({"step_minutes": 2}, "step_minutes", "entre 5 et 240"),
        ({"buffer_minutes": -5}, "buffer_minutes", "entre 0 et 240"),
        ({"max_minutes": 2000}, "max_minutes", "entre 5 et 1440"),
        ({"opening_hours": "lundi 9h-12h"}, "opening_hours", "Horaires illisibles"),
        ({"name": "   "}, "name", "Indiquez le nom"),
        ({"name": "x" * 121}, "name", "120 caractères au plus"),
        ({"kind": "garage"}, "kind", "type de ressource"),
        ({"access": "vip"}, "access", "qui peut réserver"),
        ({"equipment": ["jacuzzi"]}, "equipment", "équipements"),
    ],
)
def test_resource_rules_refused_with_french_messages(manager, telecentre, overrides, field, text):
    with pytest.raises(ValidationError) as caught:
        services.resource_create(actor=manager, telecentre=telecentre, **resource_fields(**overrides))
    assert text in " ".join(errors_of(caught)[field])
    assert not Resource.objects.filter(telecentre=telecentre).exists()


def test_resource_name_is_unique_per_telecentre_case_insensitive(manager, telecentre):
    services.resource_create(actor=manager, telecentre=telecentre, **resource_fields(name="Salle du Plomb"))
    with pytest.raises(ValidationError) as caught:
        services.resource_create(actor=manager, telecentre=telecentre, **resource_fields(name="salle du plomb"))
    assert "déjà une ressource de ce nom" in errors_of(caught)["name"][0]
    # Another telecentre may use the name.
    other = TelecentreFactory()
    services.resource_create(actor=None, telecentre=other, **resource_fields(name="Salle du Plomb"))


def test_the_constraint_catches_a_name_the_check_missed(telecentre):
    """Two managers saving the same name at once: the second insert hits the unique
    constraint; the IntegrityError becomes the same field error."""
    ResourceFactory(telecentre=telecentre, name="Bureau 1")
    twin = Resource(telecentre=telecentre, name="Bureau 1", kind=ResourceKind.OFFICE, capacity=1)
    with pytest.raises(ValidationError) as caught:
        services._save_resource(twin)
    assert "déjà une ressource de ce nom" in errors_of(caught)["name"][0]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_managers_create_the_same_name_at_once():
    telecentre = TelecentreFactory()

    def create(_):
        try:
            services.resource_create(actor=None, telecentre=telecentre, **resource_fields(name="Salle jumelle"))
        except ValidationError as exc:
            return "refused" if "name" in exc.message_dict else "other"
        return "ok"

    results = run_in_parallel(create, range(8))
    assert results.count("ok") == 1
    assert results.count("refused") == 7
    assert Resource.objects.filter(telecentre=telecentre, name="Salle jumelle").count() == 1


def test_kind_cannot_change_once_booked(manager, pool):
    book_pool(pool)
    with pytest.raises(ValidationError) as caught:
        services.resource_update(actor=manager, resource=pool, kind=ResourceKind.OFFICE)
    assert "ne peut plus changer" in errors_of(caught)["kind"][0]


def test_pool_cannot_shrink_below_the_seats_booked(manager, pool):
    day = next_weekday(2)
    book_pool(pool, day=day)
    book_pool(pool, day=day, part=DayPart.MORNING)
    book_pool(pool, day=day, part=DayPart.AFTERNOON)
    with pytest.raises(ValidationError) as caught:
        services.resource_update(actor=manager, resource=pool, capacity=1)
    assert "2 postes sont déjà réservés" in errors_of(caught)["capacity"][0]
    updated = services.resource_update(actor=manager, resource=pool, capacity=2)
    assert updated.capacity == 2


def test_deactivating_with_bookings_to_come_asks_to_confirm(manager, pool):
    booking = book_pool(pool)
    with pytest.raises(services.FutureBookingsError) as caught:
        services.resource_update(actor=manager, resource=pool, is_active=False)
    assert caught.value.count == 1
    assert caught.value.first == booking
    assert "1 réservation confirmée à venir" in errors_of(caught)["is_active"][0]
    pool.refresh_from_db()
    assert pool.is_active
    updated = services.resource_update(actor=manager, resource=pool, is_active=False, confirm_deactivation=True)
    assert not updated.is_active
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    entry = JournalEntry.objects.filter(action="resource.updated").latest("pk")
    assert entry.data["is_active"] is False


def test_deactivating_without_bookings_needs_no_confirmation(manager, office):
    assert not services.resource_update(actor=manager, resource=office, is_active=False).is_active


def test_an_inactive_resource_is_no_longer_bookable(manager, pool, member):
    services.resource_update(actor=manager, resource=pool, is_active=False)
    with pytest.raises(booking_service.BookingError):
        booking_service.booking_create(actor=member, resource=pool, day=next_weekday(1), part=DayPart.DAY)


def test_resource_update_checks_the_rules_together(manager, room):
    services.resource_update(actor=manager, resource=room, min_minutes=90)  # step is 30: fine
    with pytest.raises(ValidationError) as caught:
        services.resource_update(actor=manager, resource=room, max_minutes=60)
    assert "ne peut pas être plus courte" in errors_of(caught)["max_minutes"][0]
    with pytest.raises(ValidationError) as caught:
        services.resource_update(actor=manager, resource=room, step_minutes=60)
    assert "doit diviser" in errors_of(caught)["step_minutes"][0]


def test_manager_of_another_telecentre_may_not_touch_resources(staff, pool):
    other = staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)
    with pytest.raises(NotAllowed):
        services.resource_update(actor=other, resource=pool, capacity=10)
    with pytest.raises(NotAllowed):
        services.resource_create(actor=other, telecentre=pool.telecentre, **resource_fields())


# --- closures ---------------------------------------------------------------------------------


def test_closure_lists_the_bookings_it_covers_and_cancels_none(manager, pool, office):
    day = next_weekday(1)
    covered = book_pool(pool, day=day)
    elsewhere = book_pool(pool, day=day + dt.timedelta(days=7))
    closure = services.closure_create(
        actor=manager, telecentre=pool.telecentre, starts_on=day, ends_on=day + dt.timedelta(days=2), reason="Travaux"
    )
    assert list(queries.bookings_during(closure)) == [covered]
    assert Booking.objects.filter(status=BookingStatus.CONFIRMED).count() == 2
    entry = JournalEntry.objects.get(action="closure.created")
    assert entry.data["bookings_covered"] == 1
    # A closure of the office alone does not cover the pool's bookings.
    office_closure = services.closure_create(
        actor=manager, telecentre=pool.telecentre, resource=office, starts_on=day, ends_on=day
    )
    assert not queries.bookings_during(office_closure).exists()
    assert elsewhere.status == BookingStatus.CONFIRMED


def test_a_closed_day_cannot_be_booked_any_more(manager, office, member):
    day = next_weekday(3)
    services.closure_create(actor=manager, telecentre=office.telecentre, starts_on=day, ends_on=day, reason="Pont")
    starts_at = timezone.make_aware(dt.datetime.combine(day, dt.time(10)))
    with pytest.raises(booking_service.BookingError) as caught:
        booking_service.booking_create(
            actor=member, resource=office, starts_at=starts_at, ends_at=starts_at + dt.timedelta(hours=2)
        )
    assert "fermé ce jour-là (Pont)" in caught.value.messages[0]


@pytest.mark.parametrize(
    ("offset_start", "offset_end", "field", "text"),
    [
        (5, 3, "ends_on", "ne peut pas précéder"),
        (-10, -2, "ends_on", "déjà passée"),
        (1, 400, "ends_on", "366 jours au plus"),
    ],
)
def test_closure_dates_are_checked(manager, telecentre, offset_start, offset_end, field, text):
    with pytest.raises(ValidationError) as caught:
        services.closure_create(
            actor=manager,
            telecentre=telecentre,
            starts_on=TODAY() + dt.timedelta(days=offset_start),
            ends_on=TODAY() + dt.timedelta(days=offset_end),
        )
    assert text in errors_of(caught)[field][0]
    assert not Closure.objects.exists()


def test_closure_of_a_resource_of_another_telecentre_is_refused(manager, telecentre):
    foreign = ResourceFactory()
    with pytest.raises(ValidationError) as caught:
        services.closure_create(
            actor=manager, telecentre=telecentre, resource=foreign, starts_on=TODAY(), ends_on=TODAY()
        )
    assert "n'appartient pas" in errors_of(caught)["resource"][0]


def test_closure_double_submit_creates_one_and_delete_twice_is_harmless(manager, telecentre):
    kwargs = {"starts_on": TODAY(), "ends_on": TODAY() + dt.timedelta(days=1), "reason": "Inventaire"}
    first = services.closure_create(actor=manager, telecentre=telecentre, **kwargs)
    second = services.closure_create(actor=manager, telecentre=telecentre, **kwargs)
    assert first.pk == second.pk
    services.closure_delete(actor=manager, closure=first)
    services.closure_delete(actor=manager, closure=first)
    assert not Closure.objects.exists()
    assert JournalEntry.objects.filter(action="closure.deleted").count() == 1


def test_manager_of_another_telecentre_may_not_close_it(staff, telecentre):
    other = staff(Role.TELECENTRE_MANAGER, TelecentreFactory().place)
    with pytest.raises(NotAllowed):
        services.closure_create(actor=other, telecentre=telecentre, starts_on=TODAY(), ends_on=TODAY())
