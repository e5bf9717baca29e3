"""Equipment pages, role by role: list, detail, forms, import, forecast and its CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cybercantal.accounts.models import Role
from cybercantal.mediation.models import Equipment, EquipmentEvent, EquipmentStatus
from cybercantal.mediation.services import equipment as services

from .factories_equipment import make_college, make_equipment, make_mairie

pytestmark = pytest.mark.django_db

LIST = reverse("mediation:equipment_list")
CREATE = reverse("mediation:equipment_create")
IMPORT = reverse("mediation:equipment_import")
TEMPLATE = reverse("mediation:equipment_import_template")
FORECAST = reverse("mediation:equipment_forecast")
FORECAST_CSV = reverse("mediation:equipment_forecast_csv")


def text_of(response) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.fixture
def item(epn):
    return make_equipment(place=epn, serial_number="EPN-PC-1", model_name="Lenovo M70")


@pytest.fixture
def other_item(other_epn):
    return make_equipment(place=other_epn, serial_number="LIORAN-PC-1", model_name="HP ProDesk")


@pytest.fixture
def people(staff, mediator, manager, other_epn):
    return {
        "citizen": staff(Role.CITIZEN),
        "mediator": mediator.user,
        "other_mediator": staff(Role.MEDIATOR, other_epn),
        "manager": manager,
    }


def detail(item) -> str:
    return reverse("mediation:equipment_detail", args=[item.pk])


# --- who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [LIST, CREATE, IMPORT, TEMPLATE, FORECAST, FORECAST_CSV],
)
def test_anonymous_is_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/compte/" in response["Location"]


@pytest.mark.parametrize(
    ("who", "list_status", "import_status", "forecast_status"),
    [
        ("citizen", 403, 403, 403),
        ("mediator", 200, 403, 403),
        ("other_mediator", 200, 403, 403),
        ("manager", 200, 200, 200),
    ],
)
def test_pages_per_role(client, people, item, who, list_status, import_status, forecast_status):
    client.force_login(people[who])
    assert client.get(LIST).status_code == list_status
    assert client.get(IMPORT).status_code == import_status
    assert client.get(TEMPLATE).status_code == import_status
    assert client.get(FORECAST).status_code == forecast_status
    assert client.get(FORECAST_CSV).status_code == forecast_status


@pytest.mark.parametrize(
    ("who", "status"),
    [("citizen", 403), ("mediator", 200), ("other_mediator", 403), ("manager", 200)],
)
def test_item_pages_per_role(client, people, item, who, status):
    client.force_login(people[who])
    for suffix in ("", "modifier/", "deplacer/", "reparation/", "reformer/"):
        assert client.get(detail(item) + suffix).status_code == status, suffix


def test_anonymous_item_page_redirects(client, item):
    assert client.get(detail(item)).status_code == 302


def test_list_shows_a_mediator_their_places_only(client, people, item, other_item):
    client.force_login(people["mediator"])
    page = text_of(client.get(LIST))
    assert "EPN-PC-1" in page
    assert "LIORAN-PC-1" not in page
    client.force_login(people["other_mediator"])
    page = text_of(client.get(LIST))
    assert "LIORAN-PC-1" in page
    assert "EPN-PC-1" not in page
    client.force_login(people["manager"])
    page = text_of(client.get(LIST))
    assert "EPN-PC-1" in page
    assert "LIORAN-PC-1" in page


def test_other_mediator_cannot_post_changes(client, people, item):
    client.force_login(people["other_mediator"])
    response = client.post(detail(item) + "reformer/", {"on": dt.date.today().isoformat()})  # noqa: DTZ011
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.status == EquipmentStatus.IN_SERVICE


def test_mediator_may_not_create_in_another_epn(client, people, other_epn):
    client.force_login(people["mediator"])
    response = client.post(
        CREATE,
        {"kind": "desktop", "serial_number": "X1", "bought_on": "2024-01-10", "place": other_epn.pk},
    )
    assert response.status_code == 400
    assert "place" in response.context["form"].errors
    assert not Equipment.objects.exists()


# --- list ---------------------------------------------------------------------------------------


def test_list_filters(client, manager, epn, territory):
    college = make_college()
    make_equipment(place=epn, serial_number="AAA1", kind="printer", model_name="Brother")
    make_equipment(place=college, serial_number="BBB2", model_name="Dell")
    retired = make_equipment(place=college, serial_number="CCC3", model_name="Dell")
    services.equipment_retire(actor=None, equipment=retired, on=dt.date(2024, 1, 1))
    client.force_login(manager)

    def serials(**params) -> set[str]:
        page = text_of(client.get(LIST, params))
        return {serial for serial in ("AAA1", "BBB2", "CCC3") if serial in page}

    assert serials() == {"AAA1", "BBB2", "CCC3"}
    assert serials(lieux="colleges") == {"BBB2", "CCC3"}
    assert serials(lieux="epn") == {"AAA1"}
    assert serials(type="printer") == {"AAA1"}
    assert serials(etat="retired") == {"CCC3"}
    assert serials(lieu=epn.pk) == {"AAA1"}
    assert serials(q="bbb 2") == {"BBB2"}
    assert serials(q="dell") == {"BBB2", "CCC3"}


def test_list_bad_filter_values_do_not_break_the_page(client, manager, item):
    client.force_login(manager)
    response = client.get(LIST, {"lieu": "abc", "type": "fusée", "page": "xyz"})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_list_paginates_with_a_fixed_number_of_queries(client, manager, epn, django_assert_max_num_queries):
    for index in range(30):
        make_equipment(place=epn, serial_number=f"PAGE-{index:03d}")
    client.force_login(manager)
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert response.status_code == 200
    assert len(response.context["rows"]) == 25
    with django_assert_max_num_queries(8):
        response = client.get(LIST, {"page": 2})
    assert len(response.context["rows"]) == 5


# --- forms --------------------------------------------------------------------------------------


def test_create_through_the_form(client, people, epn):
    client.force_login(people["mediator"])
    response = client.post(
        CREATE,
        {
            "kind": "laptop",
            "model_name": "Lenovo T14",
            "serial_number": " pf 3x 9 ",
            "bought_on": "12/01/2024",
            "price": "1 049,90",
            "warranty_ends_on": "2027-01-12",
            "place": epn.pk,
        },
    )
    item = Equipment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == detail(item)
    assert item.serial_number == "PF3X9"
    assert item.price == Decimal("1049.90")
    page = text_of(client.get(detail(item)))
    assert "1 049,90 €" in page
    assert "vendredi 12 janvier 2024" in page
    assert "Mise en service" in page


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"price": "-4"}, "price"),
        ({"price": "douze"}, "price"),
        ({"warranty_ends_on": "2020-01-01"}, "warranty_ends_on"),
        ({"bought_on": "31/02/2024"}, "bought_on"),
        ({"serial_number": ""}, "serial_number"),
        ({"kind": "fusée"}, "kind"),
    ],
)
def test_create_bad_input_is_shown_next_to_the_field(client, manager, epn, data, field):
    client.force_login(manager)
    values = {"kind": "desktop", "serial_number": "OK1", "bought_on": "2024-01-10", "place": epn.pk, **data}
    response = client.post(CREATE, values)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert 'aria-invalid="true"' in response.content.decode()
    assert not Equipment.objects.exists()


def test_create_into_a_mairie_is_not_offered(client, manager, territory):
    mairie = make_mairie()
    client.force_login(manager)
    response = client.post(
        CREATE, {"kind": "desktop", "serial_number": "M1", "bought_on": "2024-01-10", "place": mairie.pk}
    )
    assert response.status_code == 400
    assert "place" in response.context["form"].errors


def test_duplicate_serial_message_next_to_the_field(client, manager, item, epn):
    client.force_login(manager)
    response = client.post(
        CREATE, {"kind": "desktop", "serial_number": " epn-pc- 1", "bought_on": "2024-01-10", "place": epn.pk}
    )
    assert response.status_code == 400
    message = response.context["form"].errors["serial_number"][0]
    assert "EPN-PC-1" in message
    assert "EPN du Pays Vert" in message


def test_edit_form(client, people, item):
    client.force_login(people["mediator"])
    response = client.get(detail(item) + "modifier/")
    assert 'value="749,90"' in response.content.decode()
    response = client.post(
        detail(item) + "modifier/",
        {
            "kind": "desktop",
            "serial_number": "EPN-PC-1",
            "bought_on": "2020-09-01",
            "price": "700",
            "model_name": "Autre",
        },
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.model_name, item.price) == ("Autre", Decimal("700.00"))


def test_move_form(client, manager, item, other_epn, epn):
    client.force_login(manager)
    response = client.post(
        detail(item) + "deplacer/", {"to_place": other_epn.pk, "on": "2025-01-15", "description": "Prêt"}
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.place == other_epn
    page = text_of(client.get(detail(item)))
    assert "De « EPN du Pays Vert » vers « EPN du Lioran »" in page
    assert "mercredi 15 janvier 2025" in page


def test_mediator_move_form_offers_only_their_places(client, people, item, other_epn):
    client.force_login(people["mediator"])
    response = client.post(detail(item) + "deplacer/", {"to_place": other_epn.pk, "on": "2025-01-15"})
    assert response.status_code == 400
    assert "to_place" in response.context["form"].errors
    item.refresh_from_db()
    assert item.place_id != other_epn.pk


def test_repair_start_and_end_forms(client, people, item):
    client.force_login(people["mediator"])
    url = detail(item) + "reparation/"
    assert client.post(url, {"on": "2024-02-01", "description": "Disque dur"}).status_code == 302
    item.refresh_from_db()
    assert item.status == EquipmentStatus.IN_REPAIR
    response = client.get(url)
    assert "Coût de la réparation" in response.content.decode()
    bad = client.post(url, {"on": "2024-02-20", "cost": "-3"})
    assert bad.status_code == 400
    assert "cost" in bad.context["form"].errors
    assert client.post(url, {"on": "2024-02-20", "cost": "120,50"}).status_code == 302
    item.refresh_from_db()
    assert item.status == EquipmentStatus.IN_SERVICE
    assert item.events.get(kind=EquipmentEvent.Kind.REPAIR_ENDED).cost == Decimal("120.50")
    assert "120,50 €" in text_of(client.get(detail(item)))


def test_retire_form_then_no_more_repair(client, manager, item):
    client.force_login(manager)
    bad = client.post(detail(item) + "reformer/", {"on": "2019-01-01"})
    assert bad.status_code == 400
    assert "on" in bad.context["form"].errors
    assert client.post(detail(item) + "reformer/", {"on": "2024-06-01"}).status_code == 302
    item.refresh_from_db()
    assert item.status == EquipmentStatus.RETIRED
    response = client.get(detail(item) + "reparation/")
    assert response.status_code == 302


# --- import -------------------------------------------------------------------------------------


def upload(content: bytes, name: str = "inventaire.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_import_preview_then_confirm(client, manager, epn):
    client.force_login(manager)
    content = f"type;numero_serie;date_achat;lieu;prix\npc;IMP1;01/09/2019;{epn.slug};749,90\n".encode()
    response = client.post(IMPORT, {"etape": "verifier", "fichier": upload(content)})
    assert response.status_code == 200
    assert "1 équipement(s) à créer" in text_of(response)
    assert not Equipment.objects.exists()
    token = response.context["token"]
    response = client.post(IMPORT, {"etape": "importer", "jeton": token})
    assert response.status_code == 302
    assert Equipment.objects.get().serial_number == "IMP1"
    # The token is used once: a second click imports nothing more.
    again = client.post(IMPORT, {"etape": "importer", "jeton": token})
    assert again.status_code == 302
    assert Equipment.objects.count() == 1


def test_import_report_shows_lines_and_saves_nothing(client, manager, epn):
    client.force_login(manager)
    content = f"type;numero_serie;date_achat;lieu\npc;OK1;01/09/2019;{epn.slug}\npc;KO1;32/13/2019;inconnu\n".encode()
    response = client.post(IMPORT, {"etape": "verifier", "fichier": upload(content)})
    assert response.status_code == 400
    page = text_of(response)
    assert "Le fichier n’est pas importé" in page
    assert "n'est pas une date" in page
    assert "Lieu inconnu" in page
    assert "token" not in response.context
    assert not Equipment.objects.exists()


def test_import_junk_file_message_next_to_the_field(client, manager):
    client.force_login(manager)
    response = client.post(IMPORT, {"etape": "verifier", "fichier": upload(b"\x89PNG\r\n\x1a\n\x00\x00", "photo.csv")})
    assert response.status_code == 400
    assert "pas un fichier texte" in response.context["form"].errors["fichier"][0]


def test_import_cancel(client, manager, epn):
    client.force_login(manager)
    content = f"type;numero_serie;date_achat;lieu\npc;C1;01/09/2019;{epn.slug}\n".encode()
    token = client.post(IMPORT, {"etape": "verifier", "fichier": upload(content)}).context["token"]
    assert client.post(IMPORT, {"etape": "annuler", "jeton": token}).status_code == 302
    assert client.post(IMPORT, {"etape": "importer", "jeton": token}).status_code == 302
    assert not Equipment.objects.exists()


def test_mediator_cannot_post_an_import(client, people, epn):
    client.force_login(people["mediator"])
    content = f"type;numero_serie;date_achat;lieu\npc;C1;01/09/2019;{epn.slug}\n".encode()
    assert client.post(IMPORT, {"etape": "verifier", "fichier": upload(content)}).status_code == 403


def test_template_download(client, manager):
    client.force_login(manager)
    response = client.get(TEMPLATE)
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.content.decode("utf-8-sig").startswith("type;marque_modele;numero_serie")


# --- forecast -----------------------------------------------------------------------------------


@pytest.fixture
def college_fleet(epn, territory):
    college = make_college()
    for index in range(10):
        make_equipment(
            place=college, serial_number=f"COL-{index}", bought_on=dt.date(2019, 9, 1), price=Decimal("650.00")
        )
    make_equipment(place=epn, serial_number="EPN-OLD", bought_on=dt.date(2018, 9, 1), price=Decimal("900.00"))
    return college


def test_forecast_page_for_colleges(client, manager, college_fleet):
    client.force_login(manager)
    response = client.get(FORECAST, {"annees": 5, "colleges": "on"})
    page = text_of(response)
    assert response.status_code == 200
    assert "Collège de la Jordanne" in page
    assert "EPN du Pays Vert" not in page
    assert "6 500,00 €" in page
    html = response.content.decode()
    assert 'role="img"' in html
    assert "<caption>" in html
    assert 'href="/mediation/equipements/renouvellement.csv?annees=5&amp;colleges=on"' in html


def test_forecast_page_whole_network_and_bad_years(client, manager, college_fleet):
    client.force_login(manager)
    page = text_of(client.get(FORECAST))
    assert "EPN du Pays Vert" in page
    assert "7 400,00 €" in page
    response = client.get(FORECAST, {"annees": "40"})
    assert response.status_code == 200
    assert "15 ans au plus" in text_of(response)
    assert response.context["forecast"].renewal_years == 5


def test_forecast_csv_download(client, manager, college_fleet):
    client.force_login(manager)
    response = client.get(FORECAST_CSV, {"annees": 5, "colleges": "on"})
    assert response.status_code == 200
    assert "colleges-5ans" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert "Collège de la Jordanne" in text
    assert "6500,00" in text
    assert "EPN du Pays Vert" not in text


def test_forecast_csv_quotes_a_place_name_that_looks_like_a_formula(client, manager, territory):
    college = make_college(name='=HYPERLINK("http://x")')
    make_equipment(place=college, serial_number="F-1", bought_on=dt.date(2019, 9, 1), price=Decimal("650.00"))
    client.force_login(manager)
    text = client.get(FORECAST_CSV, {"annees": 5, "colleges": "on"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[1][0] == '\'=HYPERLINK("http://x")'
    assert rows[1][4:7] == ["1", "1", "650,00"]
