"""Equipment services: create, update, move, repair, retire (rules, history, journal, permissions)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from cybercantal.accounts.models import Role
from cybercantal.core.models import JournalEntry
from cybercantal.core.testing import run_in_parallel
from cybercantal.mediation.models import Equipment, EquipmentEvent, EquipmentKind, EquipmentStatus
from cybercantal.mediation.services import equipment as services

from .factories_equipment import make_college, make_equipment, make_mairie

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()  # noqa: DTZ011 - compared with dates only


def test_normalise_serial():
    assert services.normalise_serial("  ab 12 cd\t-x ") == "AB12CD-X"
    assert services.normalise_serial(None) == ""


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("749,90", Decimal("749.90")),
        ("1 249,90 €", Decimal("1249.90")),
        ("1.249,90", Decimal("1249.90")),
        ("1,249.90", Decimal("1249.90")),
        ("749.9", Decimal("749.90")),
        ("", None),
        (Decimal("12"), Decimal("12.00")),
    ],
)
def test_parse_price_accepts_french_and_english_writing(typed, expected):
    assert services.parse_price(typed) == expected


@pytest.mark.parametrize(
    ("typed", "message"),
    [("-3", "négatif"), ("abc", "n'est pas un prix"), ("12,345", "deux chiffres"), ("1e5", "n'est pas un prix")],
)
def test_parse_price_refuses_with_a_french_message(typed, message):
    with pytest.raises(ValueError, match=message):
        services.parse_price(typed)


def test_parse_price_refuses_floats():
    with pytest.raises(TypeError):
        services.parse_price(1.5)


def test_create_normalises_serial_and_writes_event_and_journal(epn, manager):
    item = services.equipment_create(
        actor=manager,
        kind=EquipmentKind.LAPTOP,
        serial_number=" ab 123 x ",
        bought_on=dt.date(2021, 3, 2),
        place=epn,
        price=Decimal("599.00"),
        warranty_ends_on=dt.date(2024, 3, 2),
    )
    assert item.serial_number == "AB123X"
    assert item.status == EquipmentStatus.IN_SERVICE
    event = item.events.get()
    assert event.kind == EquipmentEvent.Kind.ACQUIRED
    assert event.on == dt.date(2021, 3, 2)
    assert event.to_place == epn
    assert event.actor == manager
    entry = JournalEntry.objects.get(action="equipment.created")
    assert entry.target_id == str(item.pk)
    assert entry.data["serial_number"] == "AB123X"


def test_create_refuses_duplicate_serial_naming_the_existing_item(epn, manager):
    make_equipment(place=epn, serial_number="XYZ 1", inventory_number="INV-7")
    with pytest.raises(ValidationError) as caught:
        make_equipment(place=epn, serial_number="xyz1")
    message = caught.value.message_dict["serial_number"][0]
    assert "XYZ1" in message
    assert "EPN du Pays Vert" in message
    assert "INV-7" in message
    assert Equipment.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": Decimal("-1")}, "price"),
        ({"warranty_ends_on": dt.date(2019, 1, 1)}, "warranty_ends_on"),
        ({"serial_number": "   "}, "serial_number"),
        ({"serial_number": "AB<script>"}, "serial_number"),
        ({"kind": "spaceship"}, "kind"),
        ({"bought_on": TODAY + dt.timedelta(days=3)}, "bought_on"),
        ({"model_name": "x" * 121}, "model_name"),
        ({"notes": "bad\x00null"}, "notes"),
    ],
)
def test_create_refuses_bad_values_field_by_field(epn, changes, field):
    with pytest.raises(ValidationError) as caught:
        make_equipment(place=epn, **changes)
    assert field in caught.value.message_dict
    assert Equipment.objects.count() == 0
    assert EquipmentEvent.objects.count() == 0


def test_create_refuses_a_place_that_is_neither_epn_nor_college(territory):
    mairie = make_mairie()
    with pytest.raises(ValidationError) as caught:
        make_equipment(place=mairie)
    assert "ni un EPN ni un collège" in caught.value.message_dict["place"][0]


def test_create_accepts_a_college_and_a_place_offering_epn(territory):
    college = make_college()
    assert make_equipment(place=college).place == college
    from cybercantal.places.models import PlaceKind, PlaceOffer
    from cybercantal.places.tests.factories import PlaceFactory

    library = PlaceFactory(name="Médiathèque", kind=PlaceKind.MEDIATHEQUE, offers=[PlaceOffer.EPN])
    assert make_equipment(place=library).place == library


def test_create_checks_the_actor_may_manage_the_place(epn, other_epn, mediator):
    assert make_equipment(place=epn, actor=mediator.user).place == epn
    with pytest.raises(PermissionDenied):
        make_equipment(place=other_epn, actor=mediator.user)


def test_create_race_on_serial_is_a_french_error_not_a_500(epn, monkeypatch):
    make_equipment(place=epn, serial_number="RACE1")
    # The pre-check sees nothing (as in a race): the database constraint answers.
    monkeypatch.setattr(services, "_check_fields", lambda values, **kwargs: {})
    with pytest.raises(ValidationError) as caught:
        make_equipment(place=epn, serial_number="RACE1")
    assert "déjà enregistré" in caught.value.message_dict["serial_number"][0]


def test_update_changes_fields_and_journals(epn, manager):
    item = make_equipment(place=epn)
    services.equipment_update(actor=manager, equipment=item, model_name="HP ProDesk", price="650,00")
    item.refresh_from_db()
    assert item.model_name == "HP ProDesk"
    assert item.price == Decimal("650.00")
    entry = JournalEntry.objects.get(action="equipment.updated")
    assert entry.data["fields"] == ["model_name", "price"]


def test_update_refuses_serial_of_another_item(epn, manager):
    make_equipment(place=epn, serial_number="ONE")
    item = make_equipment(place=epn, serial_number="TWO")
    with pytest.raises(ValidationError) as caught:
        services.equipment_update(actor=manager, equipment=item, serial_number="one")
    assert "ONE" in caught.value.message_dict["serial_number"][0]
    item.refresh_from_db()
    assert item.serial_number == "TWO"


def test_update_cannot_change_place_or_status(epn, other_epn, manager):
    item = make_equipment(place=epn)
    with pytest.raises(TypeError):
        services.equipment_update(actor=manager, equipment=item, place=other_epn)


def test_update_refused_to_a_mediator_of_another_epn(epn, other_epn, staff):
    item = make_equipment(place=epn)
    stranger = staff(Role.MEDIATOR, other_epn)
    with pytest.raises(PermissionDenied):
        services.equipment_update(actor=stranger, equipment=item, model_name="x")


def test_move_records_from_and_to(epn, other_epn, manager):
    item = make_equipment(place=epn)
    services.equipment_move(actor=manager, equipment=item, to_place=other_epn, on=TODAY, description="Prêt")
    item.refresh_from_db()
    assert item.place == other_epn
    event = item.events.get(kind=EquipmentEvent.Kind.MOVED)
    assert (event.from_place, event.to_place, event.description) == (epn, other_epn, "Prêt")
    assert JournalEntry.objects.get(action="equipment.moved").data == {
        "from": epn.pk,
        "to": other_epn.pk,
        "on": TODAY.isoformat(),
    }


def test_move_refusals(epn, other_epn, manager, territory):
    item = make_equipment(place=epn)
    with pytest.raises(ValidationError, match="déjà"):
        services.equipment_move(actor=manager, equipment=item, to_place=epn, on=TODAY)
    with pytest.raises(ValidationError, match="ni un EPN ni un collège"):
        services.equipment_move(actor=manager, equipment=item, to_place=make_mairie(), on=TODAY)
    with pytest.raises(ValidationError, match="précéder l'achat"):
        services.equipment_move(actor=manager, equipment=item, to_place=other_epn, on=dt.date(2019, 1, 1))
    with pytest.raises(ValidationError, match="futur"):
        services.equipment_move(actor=manager, equipment=item, to_place=other_epn, on=TODAY + dt.timedelta(days=1))
    services.equipment_retire(actor=manager, equipment=item, on=TODAY)
    with pytest.raises(ValidationError, match="réformé"):
        services.equipment_move(actor=manager, equipment=item, to_place=other_epn, on=TODAY)
    item.refresh_from_db()
    assert item.place == epn


def test_mediator_cannot_move_to_an_epn_that_is_not_theirs(epn, other_epn, mediator):
    item = make_equipment(place=epn)
    with pytest.raises(PermissionDenied):
        services.equipment_move(actor=mediator.user, equipment=item, to_place=other_epn, on=TODAY)


def test_repair_cycle_keeps_cost_on_the_end_event(epn, manager):
    item = make_equipment(place=epn)
    services.equipment_repair_start(actor=manager, equipment=item, on=dt.date(2023, 1, 10), description="Écran noir")
    item.refresh_from_db()
    assert item.status == EquipmentStatus.IN_REPAIR
    with pytest.raises(ValidationError, match="en service"):
        services.equipment_repair_start(actor=manager, equipment=item, on=dt.date(2023, 1, 11))
    with pytest.raises(ValidationError, match="départ en réparation"):
        services.equipment_repair_end(actor=manager, equipment=item, on=dt.date(2023, 1, 9))
    services.equipment_repair_end(actor=manager, equipment=item, on=dt.date(2023, 2, 1), cost="89,00")
    item.refresh_from_db()
    assert item.status == EquipmentStatus.IN_SERVICE
    end = item.events.get(kind=EquipmentEvent.Kind.REPAIR_ENDED)
    assert end.cost == Decimal("89.00")
    assert JournalEntry.objects.filter(action__startswith="equipment.repair").count() == 2
    with pytest.raises(ValidationError, match="n'est pas en réparation"):
        services.equipment_repair_end(actor=manager, equipment=item, on=TODAY)


def test_repair_end_refuses_negative_cost(epn, manager):
    item = make_equipment(place=epn)
    services.equipment_repair_start(actor=manager, equipment=item, on=TODAY)
    with pytest.raises(ValidationError) as caught:
        services.equipment_repair_end(actor=manager, equipment=item, on=TODAY, cost="-5")
    assert "cost" in caught.value.message_dict
    item.refresh_from_db()
    assert item.status == EquipmentStatus.IN_REPAIR


def test_retire_once(epn, manager):
    item = make_equipment(place=epn)
    services.equipment_retire(actor=manager, equipment=item, on=TODAY, description="Carte mère HS")
    item.refresh_from_db()
    assert item.status == EquipmentStatus.RETIRED
    with pytest.raises(ValidationError, match="déjà réformé"):
        services.equipment_retire(actor=manager, equipment=item, on=TODAY)
    with pytest.raises(ValidationError):
        services.equipment_repair_start(actor=manager, equipment=item, on=TODAY)
    kinds = list(item.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["acquired", "retired"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_creations_of_one_serial_one_wins(territory):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    from cybercantal.places.tests.factories import PlaceFactory

    place = PlaceFactory(name="EPN parallèle")

    def create(_n: int) -> str:
        try:
            make_equipment(place=place, serial_number="SAME-SERIAL")
        except ValidationError as exc:
            return "duplicate" if "serial_number" in exc.message_dict else "other"
        return "ok"

    results = run_in_parallel(create, range(6))
    assert results.count("ok") == 1
    assert results.count("duplicate") == 5
    assert Equipment.objects.filter(serial_number="SAME-SERIAL").count() == 1
