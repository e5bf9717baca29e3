"""Demo data of part "network": the seven telecentres of the Cantal, realistic and idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from stdnum.fr import siret, tva

from cybercantal.accounts.demo import demo_email, load_demo_accounts
from cybercantal.accounts.models import Role, User
from cybercantal.places.demo import load_demo_places
from cybercantal.places.models import Place, PlaceKind

from ..demo.network import TELECENTRES, load, next_spring, siret_from, vat_number
from ..models import Closure, OperatorBilling, Resource, ResourceAccess, ResourceKind, Telecentre, TelecentreStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_ground(territory):
    load_demo_places()
    murat = Place.objects.get(name="Télécentre La Gare", kind=PlaceKind.TELECENTRE)
    load_demo_accounts(scopes={Role.TELECENTRE_MANAGER: murat})
    return murat


def test_seven_telecentres_open_one_after_another(demo_ground):
    counts = load()
    assert counts["télécentres"] == 7
    assert counts["exploitants"] == 5
    telecentres = list(Telecentre.objects.select_related("place__commune"))
    assert len(telecentres) == 7
    opened = sorted(t.opens_on for t in telecentres if t.status == TelecentreStatus.OPEN)
    assert len(opened) == 6
    assert len(set(opened)) == 6
    today = timezone.localdate()
    assert all(today - dt.timedelta(days=3 * 366) <= day <= today for day in opened)
    planned = [t for t in telecentres if t.status == TelecentreStatus.PLANNED]
    assert [t.place.commune.name for t in planned] == ["Chaudes-Aigues"]
    assert planned[0].opens_on == next_spring(today)
    assert planned[0].opens_on.month == 4
    assert planned[0].opens_on > today


def test_each_telecentre_has_its_pool_offices_and_room(demo_ground):
    load()
    for telecentre in Telecentre.objects.all():
        resources = list(telecentre.resources.all())
        pools = [r for r in resources if r.kind == ResourceKind.SEAT_POOL]
        offices = [r for r in resources if r.kind == ResourceKind.OFFICE]
        rooms = [r for r in resources if r.kind == ResourceKind.MEETING_ROOM]
        assert len(pools) == 1, telecentre
        assert 6 <= pools[0].capacity <= 14, telecentre
        assert 1 <= len(offices) <= 3, telecentre
        assert len(rooms) == 1, telecentre
        assert 6 <= rooms[0].capacity <= 12, telecentre
        assert "visio" in rooms[0].equipment
    murat = Telecentre.objects.get(place=demo_ground)
    assert murat.resources.get(kind=ResourceKind.SEAT_POOL).access == ResourceAccess.MEMBERS
    assert murat.resources.filter(kind=ResourceKind.MEETING_ROOM, access=ResourceAccess.ANYONE).count() == 1
    assert murat.welcome_text


def test_operators_have_valid_invoicing_details(demo_ground):
    load()
    scic = {t.place.commune.name for t in Telecentre.objects.filter(operator__name="SCIC Cantal Tiers-Lieux")}
    assert scic == {"Riom-ès-Montagnes", "Saint-Flour", "Chaudes-Aigues"}
    for billing in OperatorBilling.objects.filter(operator__operated_telecentres__isnull=False).distinct():
        assert siret.is_valid(billing.siret), billing
        assert tva.is_valid(billing.vat_number), billing
        assert billing.vat_number.endswith(billing.siret[:9])
        assert billing.invoice_prefix
        assert billing.address
        assert billing.legal_form
        assert billing.payment_terms_days in (30, 45)
    for spec in TELECENTRES:
        number = siret_from(spec.operator.siret_base, spec.operator.establishment)
        assert siret.is_valid(number)
        assert tva.is_valid(vat_number(number))


def test_place_organisation_is_the_operator_when_it_had_none(demo_ground):
    load()
    for telecentre in Telecentre.objects.select_related("place"):
        assert telecentre.place.organisation_id is not None


def test_a_second_run_creates_nothing(demo_ground):
    first = load()
    snapshot = (
        Telecentre.objects.count(),
        Resource.objects.count(),
        Closure.objects.count(),
        OperatorBilling.objects.count(),
        list(Telecentre.objects.order_by("pk").values_list("status", "opens_on")),
    )
    second = load()
    assert first == second
    assert snapshot == (
        Telecentre.objects.count(),
        Resource.objects.count(),
        Closure.objects.count(),
        OperatorBilling.objects.count(),
        list(Telecentre.objects.order_by("pk").values_list("status", "opens_on")),
    )


def test_demo_manager_manages_murat_only_and_public_pages_show_the_network(client, demo_ground):
    load()
    manager = User.objects.get(email=demo_email(Role.TELECENTRE_MANAGER))
    client.force_login(manager)
    rows = client.get(reverse("telework:manage_home")).context["rows"]
    assert [row["telecentre"].place for row in rows] == [demo_ground]
    client.logout()
    index = client.get(reverse("telework:index"))
    assert len(index.context["cards"]) == 6
    assert len(index.context["planned"]) == 1
    detail = client.get(reverse("telework:telecentre", args=[demo_ground.slug]))
    assert detail.status_code == 200
    assert "Salle du Plomb" in detail.content.decode()
