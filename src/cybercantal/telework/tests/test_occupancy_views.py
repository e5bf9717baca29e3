"""The occupancy pages and exports: who may see them, what they show, bad filters, and a
number of queries that does not grow with the number of bookings."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cybercantal.accounts.models import Role

from ..models import BookingStatus, MemberProfile, ResourceKind, TelecentreStatus
from .factories import AgreementFactory, MembershipFactory, ResourceFactory, TelecentreFactory
from .factories_occupancy import book, commuter

NETWORK = "/telecentres/pilotage/"
EXPORT = "/telecentres/pilotage/export.csv"
MAY = dt.date(2025, 5, 1)


def page_of(telecentre) -> str:
    return f"/telecentres/gestion/{telecentre.slug}/occupation/"


@pytest.fixture
def network(db):
    """Two open telecentres with bookings in May 2025, and a planned one."""
    murat = TelecentreFactory(opens_on=dt.date(2025, 1, 6), place__name="Télécentre de Murat")
    riom = TelecentreFactory(opens_on=dt.date(2025, 4, 1), place__name="Télécentre de Riom-ès-Montagnes")
    TelecentreFactory(status=TelecentreStatus.PLANNED, opens_on=None, place__name="Télécentre d'Allanche")
    murat_pool = ResourceFactory(telecentre=murat, name="Open space", kind=ResourceKind.SEAT_POOL, capacity=2)
    riom_pool = ResourceFactory(telecentre=riom, name="Plateau", kind=ResourceKind.SEAT_POOL, capacity=4)
    ResourceFactory(telecentre=riom, name="Salle du Puy Mary", kind=ResourceKind.MEETING_ROOM, capacity=8)
    anne = commuter("42", MemberProfile.CommuteMode.CAR, first_name="Anne")
    MembershipFactory(member=anne, telecentre=murat, starts_on=MAY)
    book(murat_pool, anne, dt.date(2025, 5, 6), 8, 19, checked_in=True)
    book(murat_pool, anne, dt.date(2025, 5, 7), 8, 19)
    book(riom_pool, anne, dt.date(2025, 5, 9), 8, 13, checked_in=True)
    AgreementFactory(starts_on=dt.date(2025, 3, 1)).telecentres.set([murat, riom])
    return {"murat": murat, "riom": riom, "murat_pool": murat_pool, "riom_pool": riom_pool, "anne": anne}


# --- Access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [NETWORK, EXPORT])
def test_network_pages_are_for_the_programme_team(client, staff, network, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/compte/" in response["Location"]
    client.force_login(commuter())  # a teleworker
    assert client.get(url).status_code == 403
    client.force_login(staff(Role.TELECENTRE_MANAGER, network["murat"].place))
    assert client.get(url).status_code == 403
    client.force_login(staff(Role.EMPLOYER_MANAGER, AgreementFactory().employer))
    assert client.get(url).status_code == 403
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    assert client.get(url).status_code == 200
    client.force_login(staff(Role.ADMINISTRATOR))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("suffix", ["", "export.csv"])
def test_telecentre_page_is_for_its_managers_and_the_programme_team(client, staff, network, suffix):
    url = page_of(network["murat"]) + suffix
    response = client.get(url)
    assert response.status_code == 302
    client.force_login(commuter())
    assert client.get(url).status_code == 403
    client.force_login(staff(Role.TELECENTRE_MANAGER, network["riom"].place))  # another telecentre
    assert client.get(url).status_code == 403
    client.force_login(staff(Role.TELECENTRE_MANAGER, network["murat"].place))
    assert client.get(url).status_code == 200
    client.force_login(staff(Role.TELECENTRE_MANAGER, network["murat"].operator))  # its operator
    assert client.get(url).status_code == 200
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    assert client.get(url).status_code == 200
    assert client.get("/telecentres/gestion/nulle-part/occupation/" + suffix).status_code == 404


def test_only_get(client, staff, network):
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    assert client.post(NETWORK).status_code == 405
    assert client.post(page_of(network["murat"])).status_code == 405


# --- What the pages show -------------------------------------------------------------------------------


def test_network_page_shows_telecentres_side_by_side(client, staff, network):
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    response = client.get(NETWORK, {"mois": "2025-05"})
    assert response.status_code == 200
    html = response.content.decode()
    data = response.context["data"]
    assert [row.telecentre for row in data.rows] == [network["murat"], network["riom"]]  # not the planned one
    assert "Télécentre d'Allanche" not in html
    # Murat, May 2025: 31 days × 11 h × 2 seats = 682; booked 22 h, used 11 h.
    murat = data.rows[0]
    assert (murat.month.booked_rate_text, murat.month.used_rate_text) == ("3,2\u00a0%", "1,6\u00a0%")
    assert "3,2\u00a0%" in html
    assert "1,6\u00a0%" in html
    assert murat.commute_month.km_text == "84"
    assert data.total.commute_month.km_text == "168"  # Anne checked in at Murat and at Riom
    assert "Taux réservé et occupé par télécentre — mai 2025" in html  # a chart ...
    assert 'href="#tableau-occupation"' in html
    assert 'id="tableau-occupation"' in html
    assert "ADEME" in html
    assert "Base Empreinte" in html
    assert "estimation" in html
    assert f'href="{page_of(network["murat"])}"' in html
    assert "/telecentres/pilotage/export.csv?du=2024-06&amp;au=2025-05" in html


def test_network_page_defaults_to_this_month_and_reports_a_bad_month(client, staff, network):
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    response = client.get(NETWORK)
    assert response.status_code == 200
    today = timezone.localdate()
    assert response.context["data"].month == today.replace(day=1)
    for bad in ("2025-13", "n'importe quoi", "2019-01", "9" * 500):
        response = client.get(NETWORK, {"mois": bad})
        assert response.status_code == 200
        form = response.context["form"]
        assert "mois" in form.errors
        assert 'aria-invalid="true"' in response.content.decode()
        assert response.context["data"].month == today.replace(day=1)


def test_telecentre_page_period_resource_and_bad_input(client, staff, network):
    client.force_login(staff(Role.TELECENTRE_MANAGER, network["riom"].place))
    url = page_of(network["riom"])
    response = client.get(url, {"du": "2025-04", "au": "2025-05"})
    assert response.status_code == 200
    data = response.context["data"]
    assert [row.month for row in data.months] == [dt.date(2025, 4, 1), MAY]
    assert {row.resource.name for row in data.resources} == {"Plateau", "Salle du Puy Mary"}
    html = response.content.decode()
    assert "Occupation par ressource" in html
    assert "Salle du Puy Mary" in html
    assert "Taux réservé et occupé, mois par mois" in html

    response = client.get(url, {"du": "2025-05", "au": "2025-05", "ressource": network["riom_pool"].pk})
    assert [row.resource for row in response.context["data"].resources] == [network["riom_pool"]]

    # The end before the start, a resource of another telecentre, a month before the opening.
    response = client.get(url, {"du": "2025-05", "au": "2025-04"})
    assert response.status_code == 200
    assert "Le dernier mois doit venir après le premier" in response.content.decode()
    response = client.get(url, {"ressource": network["murat_pool"].pk})
    assert "Choisissez une ressource de ce télécentre." in response.content.decode()
    response = client.get(url, {"du": "2025-01"})  # Riom opened in April
    assert "du" in response.context["form"].errors
    response = client.get(url, {"ressource": "abc", "du": "\x00"})
    assert response.status_code == 200


def test_planned_telecentre_page_says_so(client, staff):
    planned = TelecentreFactory(status=TelecentreStatus.PLANNED, opens_on=None)
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    response = client.get(page_of(planned))
    assert response.status_code == 200
    assert "Ce télécentre est en projet" in response.content.decode()


def test_page_without_any_booking_or_resource(client, staff):
    empty = TelecentreFactory(opens_on=dt.date(2025, 1, 1))
    client.force_login(staff(Role.TELECENTRE_MANAGER, empty.place))
    response = client.get(page_of(empty), {"du": "2025-02", "au": "2025-02"})
    assert response.status_code == 200
    assert "Aucune ressource réservable." in response.content.decode()


# --- CSV -----------------------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


def test_network_export_per_telecentre_and_month(client, staff, network):
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    response = client.get(EXPORT, {"du": "2025-04", "au": "2025-05"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "occupation-telecentres-2025-04-2025-05.csv" in response["Content-Disposition"]
    rows = _csv(response)
    header, *lines = rows
    assert header[:7] == [
        "Télécentre",
        "Mois",
        "Heures-places ouvertes",
        "Heures réservées",
        "Heures occupées (arrivée pointée)",
        "Taux réservé (%)",
        "Taux occupé (%)",
    ]
    assert [(line[0], line[1]) for line in lines] == [
        ("Télécentre de Murat", "2025-04"),
        ("Télécentre de Murat", "2025-05"),
        ("Télécentre de Riom-ès-Montagnes", "2025-04"),
        ("Télécentre de Riom-ès-Montagnes", "2025-05"),
        ("Réseau (toutes les personnes comptées une fois)", "2025-04"),
        ("Réseau (toutes les personnes comptées une fois)", "2025-05"),
    ]
    murat_may = lines[1]
    assert murat_may[2:7] == ["682,0", "22,0", "11,0", "3,2", "1,6"]
    assert murat_may[7:11] == ["2", "1", "0", "50,0"]
    assert murat_may[-3:] == ["1", "84,0", "18,3"]  # 1 day × 2 × 42 km × 0.218
    assert lines[5][11] == "1"  # one active member in the network in May


def test_telecentre_export_and_bad_period(client, staff, network):
    client.force_login(staff(Role.TELECENTRE_MANAGER, network["murat"].place))
    response = client.get(page_of(network["murat"]) + "export.csv", {"du": "2025-05", "au": "2025-05"})
    assert response.status_code == 200
    rows = _csv(response)
    assert [row[0] for row in rows[1:]] == ["Télécentre de Murat"]
    response = client.get(page_of(network["murat"]) + "export.csv", {"du": "2025-05", "au": "2025-01"})
    assert response.status_code == 400
    assert "Le dernier mois doit venir après le premier" in response.content.decode()
    response = client.get(page_of(network["murat"]) + "export.csv", {"du": "=1+1"})
    assert response.status_code == 400


# --- Query counts ---------------------------------------------------------------------------------------


def _count(client, url, params) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _more_bookings(network, count: int) -> None:
    for index in range(count):
        person = commuter(str(10 + index), MemberProfile.CommuteMode.BUS)
        MembershipFactory(member=person, telecentre=network["riom"], starts_on=MAY)
        day = dt.date(2025, 5, 1 + index % 28)
        status = BookingStatus.RELEASED if index % 5 == 0 else BookingStatus.CONFIRMED
        book(network["riom_pool"], person, day, 8, 13, checked_in=index % 2 == 0, status=status)


def test_query_counts_do_not_grow_with_bookings(client, staff, network, django_assert_max_num_queries):
    client.force_login(staff(Role.PROGRAMME_MANAGER))
    cases = [
        (NETWORK, {"mois": "2025-05"}),
        (page_of(network["riom"]), {"du": "2025-04", "au": "2025-05"}),
        (EXPORT, {"du": "2025-04", "au": "2025-05"}),
    ]
    before = [_count(client, url, params) for url, params in cases]
    _more_bookings(network, 40)
    after = [_count(client, url, params) for url, params in cases]
    assert before == after
    with django_assert_max_num_queries(20):
        client.get(NETWORK, {"mois": "2025-05"})
