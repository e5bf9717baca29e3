"""Import of the ARCEP « Ma connexion internet » files: the sample, every kind of bad file (row
by row report, nothing half-imported), re-import, the current edition, the command."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from cybercantal.accounts.models import Role
from cybercantal.accounts.services import NotAllowed
from cybercantal.core.models import JournalEntry

from ..demo import coverage as demo
from ..models import Building, CommuneCoverage, CoverageEdition
from ..services import coverage as services
from ..services.coverage import CoverageFile, CoverageImportError, coverage_import
from .factories_coverage import (
    ACTUEL_HEADER,
    BASE_IMB_HEADER,
    COMMUNE_HEADER,
    actuel_row,
    building_row,
    commune,
    commune_row,
    csv_file,
    import_sample,
)

pytestmark = pytest.mark.django_db

NEUVEGLISE = "15142"


def small_files(*, rows=None, lines=None, **options):  # type: ignore[no-untyped-def]
    buildings = csv_file(
        "base_imb_15.csv",
        BASE_IMB_HEADER,
        rows or [building_row("1", NEUVEGLISE, 3, "Le Bousquet"), building_row("2", NEUVEGLISE, 1, "Rue du Pont")],
        **options,
    )
    eligibility = csv_file(
        "actuel_15.csv",
        ACTUEL_HEADER,
        lines or [actuel_row("1", "CU", "HD05"), actuel_row("2", "FO", "THD1G"), actuel_row("2", "CU", "BHD8")],
        **options,
    )
    return {"buildings": buildings, "eligibility": eligibility}


def refused(**kwargs) -> CoverageImportError:  # type: ignore[no-untyped-def]
    with pytest.raises(CoverageImportError) as caught:
        coverage_import(actor=None, quarter=kwargs.pop("quarter", "2026T2"), **kwargs)
    return caught.value


# --- Happy path -------------------------------------------------------------------------------------


def test_sample_imports_with_counts_classes_and_coordinates(territory):
    report = import_sample()
    edition = CoverageEdition.objects.get(quarter="2026T2")
    assert edition.is_current
    assert (edition.building_count, edition.commune_count) == (381, 15)
    assert report.buildings == 381
    assert report.communes == 15
    assert report.eligibility_lines == 3041
    assert {s["kind"] for s in edition.source_files} == {"communes", "immeubles", "actuel"}
    sawmill = Building.objects.get(edition=edition, street="Le Bousquet", number="3")
    # Satellite (THD100) and fixed 4G are in the file but never count: only wired lines do.
    assert (sawmill.best_class, sawmill.best_technology) == ("HD05", "CU")
    assert sawmill.lines == [{"techno": "CU", "classe": "HD05"}]
    assert sawmill.street_key == " bousquet "
    assert 44.9 < sawmill.latitude < 44.97
    assert 2.93 < sawmill.longitude < 3.03  # EPSG:3857 -> degrees
    hamlet = Building.objects.filter(edition=edition, street="Fraissinet")
    assert hamlet.count() == 5
    assert {b.best_class for b in hamlet} == {"INEL"}
    assert {b.number for b in hamlet} == {""}
    fibre = Building.objects.get(edition=edition, street="Place de l'Église", number="1")
    assert fibre.best_class == "THD1G"
    assert fibre.best_technology == "FO"
    stats = CommuneCoverage.objects.get(edition=edition, commune=commune("Lavigerie"))
    assert stats.premises == 89
    assert stats.by_class["INEL"] == 31
    assert stats.by_class["HD05"] == 58
    journal = JournalEntry.objects.get(action="grants.coverage.imported")
    assert journal.data["buildings"] == 381


def test_latin1_comma_separated_and_gzipped_files_are_accepted(territory):
    rows = [building_row("1", NEUVEGLISE, 3, "Le Bousquet"), building_row("2", NEUVEGLISE, 1, "Rue de l'Église")]
    report = coverage_import(
        actor=None, quarter="2026T2", **small_files(rows=rows, sep=",", encoding="latin-1", gzip=True)
    )
    assert report.buildings == 2
    assert Building.objects.filter(street="Rue de l'Église", street_key=" rue eglise ").exists()


def test_commune_statistics_are_derived_from_buildings_without_a_communes_file(territory):
    report = coverage_import(actor=None, quarter="2026T2", **small_files())
    assert report.derived_communes
    stats = CommuneCoverage.objects.get(commune=commune("Neuvéglise-sur-Truyère"))
    assert stats.by_class == {"HD05": 1, "THD1G": 1}
    assert stats.premises == 2


def test_commune_file_without_inel_column_keeps_the_slow_classes_together(territory):
    header = [c for c in COMMUNE_HEADER if c != "inel_hd"]
    row = commune_row(NEUVEGLISE, {"INEL": 10, "HD05": 20, "THD1G": 70})
    row.pop(COMMUNE_HEADER.index("inel_hd"))
    coverage_import(actor=None, quarter="2026T2", communes=csv_file("commune_debit_filaire.csv", header, [row]))
    stats = CommuneCoverage.objects.get()
    assert stats.by_class["INEL-HD05"] == 30
    assert stats.by_class["THD1G"] == 70


def test_one_column_per_class_is_accepted_too(territory):
    header = ["code_insee", "nbr", "inel", "hd05", "hd3", "bhd8", "thd30", "thd100", "thd1g", "elig_ftth"]
    coverage_import(
        actor=None,
        quarter="2026T2",
        communes=csv_file("communes.csv", header, [[NEUVEGLISE, 100, 5, 10, 0, 0, 0, 0, 85, 85]]),
    )
    stats = CommuneCoverage.objects.get()
    assert stats.by_class == {"INEL": 5, "HD05": 10, "HD3": 0, "BHD8": 0, "THD30": 0, "THD100": 0, "THD1G": 85}
    assert stats.by_technology == {"ftth": 85}


def test_buildings_go_in_batches(territory, monkeypatch):
    monkeypatch.setattr(services, "BATCH_SIZE", 100)
    rows = [building_row(str(n), NEUVEGLISE, n, "Route du Bourg") for n in range(1, 451)]
    lines = [actuel_row(str(n), "CU", "HD3") for n in range(1, 451)]
    report = coverage_import(actor=None, quarter="2026T2", **small_files(rows=rows, lines=lines))
    assert report.buildings == 450 == Building.objects.count()


def test_a_former_commune_code_goes_to_its_current_commune(territory):
    from cybercantal.territory.models import Commune

    former = (
        Commune.objects.exclude(kind=Commune.Kind.ACTUELLE)
        .exclude(parent=None)
        .exclude(insee_code__in=Commune.objects.current().values("insee_code"))
    )
    former_commune = former.select_related("parent").first()
    if former_commune is None:
        pytest.skip("no former commune with its own code in the reference data")
    coverage_import(
        actor=None,
        quarter="2026T2",
        **small_files(
            rows=[building_row("1", former_commune.insee_code, 1, "Le Bourg")], lines=[actuel_row("1", "CU", "HD05")]
        ),
    )
    assert Building.objects.get().commune == former_commune.parent


# --- Bad files: a French report line by line, nothing imported -----------------------------------------


def test_unknown_insee_code_class_and_technology_are_reported_by_line(territory):
    rows = [
        building_row("1", NEUVEGLISE, 3, "Le Bousquet"),
        building_row("2", "63113", 1, "Rue Blatin"),  # Clermont-Ferrand: not in the Cantal
        building_row("3", "15999", 1, "Rue X"),
    ]
    lines = [actuel_row("1", "CU", "HD05"), actuel_row("2", "CU", "TURBO"), actuel_row("3", "ADSL", "HD05")]
    error = refused(**small_files(rows=rows, lines=lines))
    texts = [issue.text() for issue in error.issues]
    assert "actuel_15.csv, ligne 3 : classe de débit inconnue : « TURBO »" in texts[0]
    assert "actuel_15.csv, ligne 4 : technologie inconnue : « ADSL »" in texts[1]
    assert any("base_imb_15.csv, ligne 3 : la commune 63113 n'est pas dans le département 15" in t for t in texts)
    assert any("base_imb_15.csv, ligne 4 : code INSEE inconnu dans le département : 15999" in t for t in texts)
    assert "rien n'a été importé" in error.summary
    assert not CoverageEdition.objects.exists()
    assert not Building.objects.exists()


def test_missing_column_is_reported(territory):
    header = [c for c in BASE_IMB_HEADER if c != "addr_nom_voie"]
    row = building_row("1", NEUVEGLISE, 3, "Le Bousquet")
    row.pop(BASE_IMB_HEADER.index("addr_nom_voie"))
    error = refused(
        buildings=csv_file("base_imb_15.csv", header, [row]),
        eligibility=csv_file("actuel_15.csv", ACTUEL_HEADER, [actuel_row("1", "CU", "HD05")]),
    )
    assert (
        error.issues[0].text() == "base_imb_15.csv : colonne(s) manquante(s) : addr_nom_voie (séparateur lu : « ; »)."
    )
    communes = refused(communes=csv_file("c.csv", ["code_insee", "nbr"], [[NEUVEGLISE, 10]]))
    assert "elig_hd3" in communes.issues[0].message


def test_wrong_encoding_empty_file_and_broken_gzip_are_refused(territory):
    utf16 = CoverageFile("base_imb_15.csv", io.BytesIO(";".join(BASE_IMB_HEADER).encode("utf-16")))
    error = refused(
        buildings=utf16, eligibility=csv_file("actuel_15.csv", ACTUEL_HEADER, [actuel_row("1", "CU", "HD05")])
    )
    assert "UTF-8 ou Latin-1" in error.issues[0].message
    assert "octets nuls" in error.issues[0].message
    empty = refused(communes=CoverageFile("c.csv", io.BytesIO(b"")))
    assert "vide" in empty.issues[0].message
    broken = refused(communes=CoverageFile("c.csv.gz", io.BytesIO(b"\x1f\x8b\x08\x00garbage")))
    assert "gzip" in broken.issues[0].message
    no_separator = refused(communes=CoverageFile("c.csv", io.BytesIO(b"hello world\n1 2\n")))
    assert "séparateur" in no_separator.issues[0].message


def test_bad_counts_duplicates_and_contradictions_are_reported(territory):
    rows = [
        commune_row(NEUVEGLISE, {"HD05": 10}),
        commune_row(NEUVEGLISE, {"HD05": 10}),
        commune_row("15014", {"THD1G": 10}, nbr="beaucoup"),
        commune_row("15187", {"THD1G": 10}, elig_thd1g=50),  # more gigabit than 3 Mbit/s
    ]
    error = refused(communes=csv_file("commune_debit_filaire.csv", COMMUNE_HEADER, rows))
    messages = [issue.text() for issue in error.issues]
    assert messages[0] == "commune_debit_filaire.csv, ligne 3 : commune en double (déjà ligne 2)."
    assert "« beaucoup » n'est pas un nombre de locaux (colonne nbr)" in messages[1]
    assert "ne s'additionnent pas" in messages[2]
    duplicate_buildings = refused(
        **small_files(rows=[building_row("1", NEUVEGLISE, 1, "A"), building_row("1", NEUVEGLISE, 2, "A")])
    )
    assert "immeuble en double : 1" in duplicate_buildings.issues[0].message
    bad_number = refused(**small_files(rows=[building_row("1", NEUVEGLISE, "douze", "A")]))
    assert "numéro illisible" in bad_number.issues[0].message
    bad_point = refused(**small_files(rows=[building_row("1", NEUVEGLISE, 1, "A", imb_x="nord")]))
    assert "coordonnées illisibles" in bad_point.issues[0].message


def test_report_lists_the_first_problems_and_counts_them_all(territory):
    rows = [building_row(str(n), "99999", 1, "A") for n in range(1, 301)]
    error = refused(**small_files(rows=rows, lines=[actuel_row("1", "CU", "HD05")]))
    assert len(error.issues) == services.MAX_ISSUES
    assert error.total == 300
    assert "300 problème(s)" in error.summary


def test_a_refused_file_leaves_the_current_edition_untouched(territory):
    import_sample()
    before = Building.objects.count()
    rows = [building_row("1", NEUVEGLISE, 1, "A"), building_row("2", "00000", 1, "A")]
    refused(quarter="2026T2", **small_files(rows=rows))  # same quarter: would have replaced it
    refused(quarter="2026T3", **small_files(rows=rows))  # new quarter: would have become current
    assert Building.objects.count() == before
    assert list(CoverageEdition.objects.values_list("quarter", "is_current")) == [("2026T2", True)]


def test_arguments_are_checked(territory, staff):
    with pytest.raises(ValidationError, match="par exemple 2026T2"):
        coverage_import(actor=None, quarter="2026-T2", **small_files())
    with pytest.raises(ValidationError, match="au moins un fichier"):
        coverage_import(actor=None, quarter="2026T2")
    with pytest.raises(ValidationError, match="vont ensemble"):
        coverage_import(actor=None, quarter="2026T2", buildings=small_files()["buildings"])
    with pytest.raises(NotAllowed, match="réservé aux chargés de programme"):
        coverage_import(actor=staff(Role.GRANT_INSTRUCTOR), quarter="2026T2", **small_files())
    assert not CoverageEdition.objects.exists()


# --- Re-import, current edition, demo, command -------------------------------------------------------


def test_reimporting_the_same_quarter_replaces_the_given_parts(territory, staff):
    manager = staff(Role.PROGRAMME_MANAGER)
    import_sample(actor=manager)
    report = coverage_import(actor=manager, quarter="2026T2", **small_files())
    assert report.replaced
    edition = CoverageEdition.objects.get()
    assert Building.objects.count() == 2 == edition.building_count
    # The communes file was not given again: its statistics stay (not replaced by derived ones).
    assert edition.commune_count == 15
    assert not report.derived_communes
    assert {s["kind"] for s in edition.source_files} == {"communes", "immeubles", "actuel"}
    assert edition.imported_by == manager


def test_importing_makes_the_edition_current_and_only_one_is(territory):
    import_sample(quarter="2026T1")
    coverage_import(actor=None, quarter="2026T2", **small_files())
    assert list(CoverageEdition.objects.filter(is_current=True).values_list("quarter", flat=True)) == ["2026T2"]
    older = CoverageEdition.objects.get(quarter="2026T1")
    services.coverage_edition_make_current(actor=None, edition=older)
    assert list(CoverageEdition.objects.filter(is_current=True).values_list("quarter", flat=True)) == ["2026T1"]
    with pytest.raises(IntegrityError), transaction.atomic():
        CoverageEdition.objects.filter(quarter="2026T2").update(is_current=True)


def test_demo_is_idempotent(territory):
    assert demo.load() == {"immeubles (couverture)": 381}
    assert demo.load() == {"immeubles (couverture)": 0}
    assert CoverageEdition.objects.count() == 1
    assert Building.objects.count() == 381


def test_command_imports_and_reports_bad_files(territory, tmp_path, capsys):
    files = demo.sample_files()
    call_command(
        "grants_import_coverage",
        "--edition",
        "2026T2",
        "--communes",
        str(files["communes"]),
        "--immeubles",
        str(files["buildings"]),
        "--actuel",
        str(files["eligibility"]),
    )
    assert "381 immeubles" in capsys.readouterr().out
    bad = tmp_path / "commune_debit_filaire.csv"
    bad.write_text(";".join(COMMUNE_HEADER) + "\n" + ";".join(map(str, commune_row("63113", {"HD05": 1}))) + "\n")
    with pytest.raises(CommandError, match="rien n'a été importé"):
        call_command("grants_import_coverage", "--edition", "2026T3", "--communes", str(bad))
    assert "n'est pas dans le département" in capsys.readouterr().err
    with pytest.raises(CommandError, match="introuvable"):
        call_command("grants_import_coverage", "--edition", "2026T3", "--communes", str(tmp_path / "absent.csv"))
    with pytest.raises(CommandError, match="vont ensemble"):
        call_command("grants_import_coverage", "--edition", "2026T3", "--immeubles", str(files["buildings"]))
    assert CoverageEdition.objects.get(is_current=True).quarter == "2026T2"
