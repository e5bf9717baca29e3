"""``grants_import_coverage``: import one quarterly edition of the ARCEP « Ma connexion internet »
open data (per-commune statistics, buildings, eligibility per building and technology)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cybercantal.grants.services.coverage import CoverageFile, CoverageImportError, coverage_import


class Command(BaseCommand):
    help = (
        "Importe une édition trimestrielle des données « Ma connexion internet » de l'Arcep et la rend "
        "en vigueur. Fichiers CSV (UTF-8 ou Latin-1, séparateur « ; » ou « , », éventuellement "
        "compressés en .gz). "
        "--communes : statistiques par commune (commune_debit_filaire.csv) : code_insee, nbr, puis "
        "elig_hd3, elig_bhd8, elig_thd30, elig_thd100, elig_thd1g (locaux ayant au moins ce débit) et "
        "facultatives inel_hd, elig_hd05, elig_<techno> ; ou une colonne par classe : inel, hd05, hd3, "
        "bhd8, thd30, thd100, thd1g. "
        "--immeubles : base_imb_<dep>.csv : imb_id, imb_code_insee, imb_nbr_logloc, addr_numero, "
        "addr_nom_voie (obligatoires), imb_x, imb_y (EPSG:3857), addr_rep, addr_nom_ld, addr_code_insee "
        "(facultatives). "
        "--actuel : actuel_<dep>.csv : imb_id, code_techno (FO, CU, COAX, SAT, 4GF, THDR, HDR), "
        "classe_debit_descendant (INEL, HD05, HD3, BHD8, THD30, THD100, THD1G). "
        "Tout ou rien : au moindre problème, rien n'est importé et chaque ligne fautive est signalée. "
        "Réimporter la même édition remplace les parties données. Détails : grants/data/arcep/LISEZMOI.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--edition", required=True, help="Trimestre des données, par exemple 2026T2.")
        parser.add_argument("--communes", type=Path, help="Statistiques par commune (commune_debit_filaire.csv).")
        parser.add_argument("--immeubles", type=Path, help="Immeubles (base_imb_<dep>.csv), avec --actuel.")
        parser.add_argument(
            "--actuel", type=Path, help="Éligibilité par immeuble (actuel_<dep>.csv), avec --immeubles."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        files: dict[str, CoverageFile | None] = {}
        opened: list[CoverageFile] = []
        try:
            for option, name in (("communes", "communes"), ("immeubles", "buildings"), ("actuel", "eligibility")):
                path: Path | None = options[option]
                if path is None:
                    files[name] = None
                    continue
                if not path.is_file():
                    raise CommandError(f"Fichier introuvable : {path}")
                files[name] = CoverageFile.from_path(path)
                opened.append(files[name])  # type: ignore[arg-type]
            try:
                report = coverage_import(actor=None, quarter=options["edition"], **files)
            except CoverageImportError as exc:
                for issue in exc.issues:
                    self.stderr.write(issue.text())
                if exc.total > len(exc.issues):
                    self.stderr.write(f"… et {exc.total - len(exc.issues)} autre(s) problème(s).")
                raise CommandError(exc.summary) from exc
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        finally:
            for file in opened:
                file.handle.close()
        if options["verbosity"] >= 1:
            for line in report.lines():
                self.stdout.write(line)
