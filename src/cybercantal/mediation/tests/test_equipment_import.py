"""CSV import of the equipment inventory: encodings, separators, row errors, all or nothing."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from cybercantal.accounts.models import Organisation, Role
from cybercantal.accounts.tests.factories import OrganisationFactory
from cybercantal.core.models import JournalEntry
from cybercantal.mediation.models import Equipment, EquipmentEvent, EquipmentKind, EquipmentStatus
from cybercantal.mediation.services import equipment as services

from .factories_equipment import make_college, make_equipment, make_mairie

pytestmark = pytest.mark.django_db

HEADER = "type;marque_modele;numero_serie;numero_inventaire;achete_par;date_achat;prix;fin_garantie;lieu;etat"


@pytest.fixture
def cd15(db):
    return OrganisationFactory(
        name="Conseil départemental du Cantal", kind=Organisation.Kind.DEPARTEMENT, siret="22150001500013"
    )


@pytest.fixture
def college(territory):
    return make_college()


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8", delimiter: str = ";") -> bytes:
    text = "\n".join([header, *lines]) + "\n"
    if delimiter != ";":
        text = text.replace(";", delimiter)
    return text.encode(encoding)


def good_lines(epn, college) -> list[str]:
    return [
        "ordinateur fixe;Dell OptiPlex 7010;ab 001;INV-1;22150001500013;01/09/2019;749,90;01/09/2022;"
        f"{epn.slug};en service",
        f"Imprimante;HP LaserJet;AB002;;Conseil départemental du Cantal;2020-03-15;199;;{college.name};",
        f"vidéoprojecteur;Epson EB-X06;AB003;;;15/06/2021;1 099,00 €;;{college.slug};en réparation",
    ]


def run(actor, content: bytes, **kwargs):
    return services.equipment_import(actor=actor, file=io.BytesIO(content), **kwargs)


def test_good_file_creates_everything(manager, epn, college, cd15):
    report = run(manager, csv_bytes(*good_lines(epn, college)))
    assert report.errors == []
    assert report.saved
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    desktop = Equipment.objects.get(serial_number="AB001")
    assert desktop.kind == EquipmentKind.DESKTOP
    assert desktop.price == Decimal("749.90")
    assert desktop.bought_by == cd15
    assert desktop.bought_on == dt.date(2019, 9, 1)
    assert desktop.warranty_ends_on == dt.date(2022, 9, 1)
    printer = Equipment.objects.get(serial_number="AB002")
    assert (printer.place, printer.bought_by, printer.price) == (college, cd15, Decimal("199.00"))
    projector = Equipment.objects.get(serial_number="AB003")
    assert projector.price == Decimal("1099.00")
    assert projector.status == EquipmentStatus.IN_REPAIR
    assert projector.bought_by is None
    assert EquipmentEvent.objects.filter(kind="acquired").count() == 3
    assert JournalEntry.objects.get(action="equipment.imported").data["created"] == 3


def test_dry_run_saves_nothing_but_says_what_would_happen(manager, epn, college, cd15):
    report = run(manager, csv_bytes(*good_lines(epn, college)), dry_run=True)
    assert report.ok
    assert not report.saved
    assert report.created == 3
    assert [line.action for line in report.lines] == ["create", "create", "create"]
    assert Equipment.objects.count() == 0
    assert not JournalEntry.objects.filter(action__startswith="equipment").exists()


def test_reimport_is_idempotent_and_updates_by_serial(manager, epn, college, cd15):
    content = csv_bytes(*good_lines(epn, college))
    run(manager, content)
    events = EquipmentEvent.objects.count()
    again = run(manager, content)
    assert again.saved
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert Equipment.objects.count() == 3
    assert EquipmentEvent.objects.count() == events
    changed = csv_bytes(
        "ordinateur fixe;Dell OptiPlex 7010;AB 001;INV-1;22150001500013;01/09/2019;699,00;01/09/2022;"
        f"{college.slug};réformé"
    )
    report = run(manager, changed)
    assert (report.created, report.updated) == (0, 1)
    item = Equipment.objects.get(serial_number="AB001")
    assert (item.price, item.place, item.status) == (Decimal("699.00"), college, EquipmentStatus.RETIRED)
    kinds = list(item.events.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["acquired", "moved", "retired"]


def test_windows_1252_file_with_accents(manager, epn, college, cd15):
    report = run(manager, csv_bytes(*good_lines(epn, college), encoding="cp1252"))
    assert report.saved, report.errors
    assert report.encoding == "windows-1252"
    assert any("Windows-1252" in notice for notice in report.notices)
    assert Equipment.objects.get(serial_number="AB002").bought_by == cd15  # "départemental" read right


def test_utf8_with_bom_and_commas(manager, epn, college, cd15):
    lines = [
        f'ordinateur fixe,Dell,BOM1,,,01/09/2019,"749,90",,{epn.slug},',
        f"tablette,iPad,BOM2,,,2022-01-10,329.00,,{college.slug},en service",
    ]
    content = "\ufeff".encode() + csv_bytes(*lines, header=HEADER.replace(";", ","))
    report = run(manager, content)
    assert report.saved, report.errors
    assert report.delimiter == ","
    assert Equipment.objects.get(serial_number="BOM1").price == Decimal("749.90")
    assert Equipment.objects.get(serial_number="BOM2").kind == EquipmentKind.TABLET


def test_semicolons_and_column_aliases_in_any_order(manager, epn):
    header = "Lieu;Numéro de série;Date achat;Type;Prix"
    content = f"{header}\n{epn.name};S1;01/02/2020;portable;1000\n".encode()
    report = run(manager, content)
    assert report.saved, report.errors
    assert report.delimiter == ";"
    assert Equipment.objects.get(serial_number="S1").kind == EquipmentKind.LAPTOP


@pytest.mark.parametrize(
    ("line", "column", "message"),
    [
        ("fusée;X;E1;;;01/09/2019;10;;{slug};", "type", "Type inconnu"),
        ("pc;X;;;;01/09/2019;10;;{slug};", "numero_serie", "obligatoire"),
        ("pc;X;E1;;;31/02/2019;10;;{slug};", "date_achat", "n'est pas une date"),
        ("pc;X;E1;;;;10;;{slug};", "date_achat", "obligatoire"),
        ("pc;X;E1;;;01/09/2019;douze;;{slug};", "prix", "n'est pas un prix"),
        ("pc;X;E1;;;01/09/2019;-10;;{slug};", "prix", "négatif"),
        ("pc;X;E1;;;01/09/2019;10;01/01/2019;{slug};", "fin_garantie", "avant la date d'achat"),
        ("pc;X;E1;;;01/09/2019;10;;epn-qui-n-existe-pas;", "lieu", "Lieu inconnu"),
        ("pc;X;E1;;;01/09/2019;10;;;", "lieu", "obligatoire"),
        ("pc;X;E1;;;01/09/2019;10;;{slug};cassé", "etat", "État inconnu"),
        ("pc;X;E1;;12345;01/09/2019;10;;{slug};", "achete_par", "14 chiffres"),
        ("pc;X;E1;;99999999999999;01/09/2019;10;;{slug};", "achete_par", "Aucune organisation"),
        ("pc;X;E1;;Inconnue SA;01/09/2019;10;;{slug};", "achete_par", "Organisation inconnue"),
        ("pc;X;E1;;;01/09/2099;10;;{slug};", "date_achat", "futur"),
        ("pc;X;E1;;;01/09/2019;10;;{slug};;en trop;encore", "", "plus de cellules"),
    ],
)
def test_each_bad_row_is_reported_with_line_and_column_and_nothing_saved(manager, epn, line, column, message):
    content = csv_bytes(f"pc;ok;OK1;;;01/09/2019;10;;{epn.slug};", line.format(slug=epn.slug))
    report = run(manager, content)
    assert not report.saved
    assert len(report.errors) >= 1
    error = report.errors[0]
    assert error.line == 3
    assert error.column == column
    assert message in error.message
    assert Equipment.objects.count() == 0


def test_unknown_place_and_place_that_is_not_an_epn(manager, territory):
    mairie = make_mairie()
    report = run(manager, csv_bytes(f"pc;X;M1;;;01/09/2019;10;;{mairie.slug};", "pc;X;M2;;;01/09/2019;10;;Nulle part;"))
    assert [(e.line, e.column) for e in report.errors] == [(2, "lieu"), (3, "lieu")]
    assert "ni un EPN ni un collège" in report.errors[0].message
    assert "Lieu inconnu" in report.errors[1].message


def test_duplicate_serial_in_the_file(manager, epn):
    report = run(manager, csv_bytes(f"pc;X;D 1;;;01/09/2019;10;;{epn.slug};", f"pc;X;d1;;;01/09/2019;10;;{epn.slug};"))
    assert [(e.line, e.column) for e in report.errors] == [(3, "numero_serie")]
    assert "déjà ligne 2" in report.errors[0].message
    assert Equipment.objects.count() == 0


def test_all_or_nothing_with_errors_on_several_lines(manager, epn, college):
    lines = [f"pc;X;G{i};;;01/09/2019;10;;{epn.slug};" for i in range(50)]
    lines[10] = f"pc;X;BAD1;;;01/09/2019;abc;;{epn.slug};"
    lines[40] = f"pc;X;BAD2;;;01/09/2019;10;;{epn.slug};perdu"
    report = run(manager, csv_bytes(*lines))
    assert {e.line for e in report.errors} == {12, 42}
    assert report.error_lines == 2
    assert Equipment.objects.count() == 0
    assert not EquipmentEvent.objects.exists()


def test_a_service_refusal_during_the_write_rolls_everything_back(manager, epn, monkeypatch):
    make_equipment(place=epn, serial_number="RETIRED1")
    services.equipment_retire(actor=manager, equipment=Equipment.objects.get(), on=dt.date.today())  # noqa: DTZ011
    content = csv_bytes(
        f"pc;X;NEW1;;;01/09/2019;10;;{epn.slug};", f"pc;X;RETIRED1;;;01/09/2020;10;;{epn.slug};en service"
    )
    report = run(manager, content)
    assert not report.saved
    assert [(e.line, e.column) for e in report.errors] == [(3, "etat")]
    assert "réformé" in report.errors[0].message
    assert not Equipment.objects.filter(serial_number="NEW1").exists()


def test_too_big_files_are_refused(manager, epn, monkeypatch):
    huge = b"x" * (services.MAX_IMPORT_BYTES + 1)
    with pytest.raises(services.ImportFileError, match="5 Mo"):
        run(manager, huge)
    monkeypatch.setattr(services, "MAX_IMPORT_ROWS", 3)
    lines = [f"pc;X;R{i};;;01/09/2019;10;;{epn.slug};" for i in range(4)]
    with pytest.raises(services.ImportFileError, match="plus de"):
        run(manager, csv_bytes(*lines))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00rest of a zip", "classeur"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "pas un fichier texte"),
        (b"\xff\xfet\x00y\x00p\x00e\x00", "UTF-16"),
        (b"type;numero\x01;x\n", "caractères de contrôle"),
        (b"", "vide"),
        (b"nom;adresse\nfoo;bar\n", "Colonnes obligatoires absentes"),
        (HEADER.encode() + b"\n", "aucune ligne"),
        (b"type;type;numero_serie;date_achat;lieu\n", "en double"),
    ],
)
def test_binary_junk_and_unusable_files_are_refused_clearly(manager, content, message):
    with pytest.raises(services.ImportFileError, match=message):
        run(manager, content)


def test_only_the_programme_team_imports(epn, mediator, staff):
    with pytest.raises(PermissionDenied):
        run(mediator.user, csv_bytes(f"pc;X;P1;;;01/09/2019;10;;{epn.slug};"))
    with pytest.raises(PermissionDenied):
        run(staff(Role.CITIZEN), csv_bytes(f"pc;X;P1;;;01/09/2019;10;;{epn.slug};"))
    assert Equipment.objects.count() == 0


def test_template_is_itself_a_valid_import(manager, epn, cd15):
    report = run(manager, services.equipment_import_template().encode())
    assert report.saved, report.errors
    assert Equipment.objects.get().serial_number == "ABC123XYZ"
