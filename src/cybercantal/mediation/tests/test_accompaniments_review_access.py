"""Access review of the staff pages of three parts (accompaniments, mediators and labels,
equipment): every page that shows or changes an object of ANOTHER EPN answers 403 or 404
(or the sign-in redirect when anonymous) to a mediator of this EPN, a kiosk agent, a
citizen and an anonymous visitor; never 200, never 500. Pages that each of them may open
(their own lists) are checked not to show the other EPN's objects."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cybercantal.accounts.models import Role
from cybercantal.accounts.tests.factories import OrganisationFactory
from cybercantal.mediation import models as m
from cybercantal.mediation.services import accompaniments as acc_services
from cybercantal.mediation.services import mediators as med_services
from cybercantal.places.models import Place

from .factories import MediatorFactory, SessionFactory
from .factories_accompaniments import make_beneficiary, record_kwargs
from .factories_equipment import make_equipment, make_mairie

pytestmark = pytest.mark.django_db

ROLES = ("mediator_here", "kiosk_agent", "citizen", "anonymous")


@pytest.fixture
def world(staff, manager, epn, other_epn):
    """Objects of ``other_epn`` (written by its own mediator) and people who must not reach them."""
    other_user = staff(Role.MEDIATOR, other_epn)
    other_mediator = MediatorFactory(user=other_user)
    beneficiary = make_beneficiary(actor=other_user, place=other_epn, last_name="Secretnom")
    record = acc_services.accompaniment_create(
        actor=other_user, beneficiary=beneficiary, **record_kwargs(other_epn, notes="note-confidentielle")
    )
    session = SessionFactory(place=other_epn)
    item = make_equipment(place=other_epn, serial_number="LIORAN-SECRET-1")
    aid = med_services.hiring_aid_create(
        actor=manager,
        mediator=other_mediator,
        employer=OrganisationFactory(),
        amount_per_year=Decimal("12000.00"),
        starts_on=dt.date(2025, 1, 1),
        ends_on=dt.date(2025, 12, 31),
    )
    label = med_services.place_label_add(
        actor=manager, place=other_epn, kind=m.LabelKind.EPN, since=dt.date(2003, 1, 1)
    )
    kiosk_place = make_mairie(name="Mairie de Saignes")
    here = staff(Role.MEDIATOR, epn)
    MediatorFactory(user=here)
    people = {
        "mediator_here": here,
        "kiosk_agent": staff(Role.KIOSK_AGENT, kiosk_place),
        "citizen": staff(Role.CITIZEN),
        "anonymous": None,
    }
    return {
        "people": people,
        "record": record,
        "beneficiary": beneficiary,
        "session": session,
        "item": item,
        "mediator": other_mediator,
        "aid": aid,
        "label": label,
        "place": other_epn,
    }


def forbidden_urls(w) -> list[tuple[str, str]]:
    """(method, url) of every page on an object of the other EPN, or reserved to the programme team."""
    r, b, i, med, aid, label = w["record"], w["beneficiary"], w["item"], w["mediator"], w["aid"], w["label"]
    return [
        # accompaniments
        ("get", reverse("mediation:accompaniment_edit", args=[r.pk])),
        ("post", reverse("mediation:accompaniment_edit", args=[r.pk])),
        ("get", reverse("mediation:accompaniment_delete", args=[r.pk])),
        ("post", reverse("mediation:accompaniment_delete", args=[r.pk])),
        ("get", reverse("mediation:beneficiary_detail", args=[b.pk])),
        ("post", reverse("mediation:beneficiary_export", args=[b.pk])),
        ("get", reverse("mediation:beneficiary_erase", args=[b.pk])),
        ("post", reverse("mediation:beneficiary_erase", args=[b.pk])),
        ("get", reverse("mediation:accompaniment_create") + f"?seance={w['session'].pk}"),
        ("post", reverse("mediation:accompaniment_create") + f"?seance={w['session'].pk}"),
        # mediators, hiring aid, labels
        ("get", reverse("mediation:mediator_list")),
        ("get", reverse("mediation:mediator_create")),
        ("post", reverse("mediation:mediator_create")),
        ("get", reverse("mediation:mediator_detail", args=[med.pk])),
        ("get", reverse("mediation:mediator_edit", args=[med.pk])),
        ("post", reverse("mediation:mediator_edit", args=[med.pk])),
        ("get", reverse("mediation:aid_create", args=[med.pk])),
        ("post", reverse("mediation:aid_create", args=[med.pk])),
        ("get", reverse("mediation:aid_programme")),
        ("get", reverse("mediation:aid_programme_csv")),
        ("get", reverse("mediation:aid_detail", args=[aid.pk])),
        ("post", reverse("mediation:aid_payment", args=[aid.pk])),
        ("post", reverse("mediation:aid_end", args=[aid.pk])),
        ("post", reverse("mediation:aid_cancel", args=[aid.pk])),
        ("get", reverse("mediation:label_list")),
        ("get", reverse("mediation:label_add", args=[w["place"].slug])),
        ("post", reverse("mediation:label_add", args=[w["place"].slug])),
        ("get", reverse("mediation:label_end", args=[label.pk])),
        ("post", reverse("mediation:label_end", args=[label.pk])),
        ("post", reverse("mediation:label_remove", args=[label.pk])),
        # equipment
        ("get", reverse("mediation:equipment_detail", args=[i.pk])),
        ("get", reverse("mediation:equipment_edit", args=[i.pk])),
        ("post", reverse("mediation:equipment_edit", args=[i.pk])),
        ("get", reverse("mediation:equipment_move", args=[i.pk])),
        ("post", reverse("mediation:equipment_move", args=[i.pk])),
        ("get", reverse("mediation:equipment_repair", args=[i.pk])),
        ("post", reverse("mediation:equipment_repair", args=[i.pk])),
        ("get", reverse("mediation:equipment_retire", args=[i.pk])),
        ("post", reverse("mediation:equipment_retire", args=[i.pk])),
        ("get", reverse("mediation:equipment_import")),
        ("post", reverse("mediation:equipment_import")),
        ("get", reverse("mediation:equipment_import_template")),
        ("get", reverse("mediation:equipment_forecast")),
        ("get", reverse("mediation:equipment_forecast_csv")),
    ]


def _client(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ROLES)
def test_no_one_outside_reaches_the_other_epn_objects(client, world, role):
    user = world["people"][role]
    client = _client(client, user)
    before = {
        "accompaniments": m.Accompaniment.objects.count(),
        "beneficiaries": m.Beneficiary.objects.count(),
        "labels": m.PlaceLabel.objects.count(),
        "aids": m.HiringAid.objects.filter(status=m.HiringAid.Status.ACTIVE).count(),
        "payments": m.HiringAidPayment.objects.count(),
        "equipment_events": m.EquipmentEvent.objects.count(),
    }
    answers = {}
    for method, url in forbidden_urls(world):
        response = getattr(client, method)(url, {} if method == "get" else {"on": "2025-06-01"})
        answers[(method, url)] = response.status_code
        if user is None:
            assert response.status_code == 302, (method, url)
            assert "/compte/" in response["Location"], (method, url)
        else:
            assert response.status_code in (403, 404), (role, method, url, response.status_code)
    after = {
        "accompaniments": m.Accompaniment.objects.count(),
        "beneficiaries": m.Beneficiary.objects.count(),
        "labels": m.PlaceLabel.objects.count(),
        "aids": m.HiringAid.objects.filter(status=m.HiringAid.Status.ACTIVE).count(),
        "payments": m.HiringAidPayment.objects.count(),
        "equipment_events": m.EquipmentEvent.objects.count(),
    }
    assert after == before
    assert len(answers) == len(forbidden_urls(world))


LIST_PAGES = (
    "mediation:accompaniment_list",
    "mediation:accompaniment_export",
    "mediation:beneficiary_list",
    "mediation:equipment_list",
    "mediation:equipment_create",
    "mediation:accompaniment_create",
    "mediation:my_profile",
)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", LIST_PAGES)
def test_own_pages_never_show_the_other_epn(client, world, role, name):
    """The lists (and their CSV) a person may open hold nothing of the other EPN."""
    user = world["people"][role]
    client = _client(client, user)
    url = reverse(name)
    response = client.get(url + ("?auteur=tous" if "accompaniment" in name else ""))
    if user is None:
        assert response.status_code == 302
        return
    assert response.status_code in (200, 403), (role, name, response.status_code)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    for secret in (b"Secretnom", b"note-confidentielle", b"LIORAN-SECRET-1", b"EPN du Lioran"):
        assert secret not in body, (role, name, secret)


def test_kiosk_agent_sees_only_own_records(client, world, staff):
    """A kiosk agent records procedure help at their kiosk and sees only what they wrote."""
    agent = world["people"]["kiosk_agent"]
    kiosk_place = Place.objects.get(name="Mairie de Saignes")
    mine = acc_services.accompaniment_create(
        actor=agent,
        **record_kwargs(
            kiosk_place,
            kind=m.AccompanimentKind.PROCEDURE,
            themes=[],
            admin_themes=[m.AdminTheme.MONEY],
            help_reason=m.HelpReason.TRUST,
            outcome=m.Outcome.COMPLETED,
            autonomy="",
        ),
    )
    colleague = staff(Role.KIOSK_AGENT, kiosk_place)
    theirs = acc_services.accompaniment_create(
        actor=colleague,
        **record_kwargs(
            kiosk_place,
            kind=m.AccompanimentKind.PROCEDURE,
            themes=[],
            admin_themes=[m.AdminTheme.HOUSING],
            help_reason=m.HelpReason.NO_EQUIPMENT,
            outcome=m.Outcome.STARTED,
            autonomy="",
            notes="note-du-collegue",
        ),
    )
    client.force_login(agent)
    response = client.get(reverse("mediation:accompaniment_export") + "?auteur=tous")
    body = b"".join(response.streaming_content).decode("utf-8")
    assert f"\n{mine.pk};" in body
    assert f"\n{theirs.pk};" not in body
    assert "note-du-collegue" not in body
    assert client.get(reverse("mediation:accompaniment_edit", args=[theirs.pk])).status_code == 403
    assert timezone.localdate() == mine.date
