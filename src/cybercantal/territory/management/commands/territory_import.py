"""``territory_import``: load or refresh the reference geography of a département."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cybercantal.territory.services import MIN_CANTON_SHARE, TerritoryImportError, territory_import


class Command(BaseCommand):
    help = (
        "Charge (ou met à jour) région, département, arrondissements, EPCI, cantons et communes "
        "depuis les fichiers de référence. Idempotent : relancer ne change rien ni ne perd rien."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            type=Path,
            default=None,
            help="Dossier des fichiers (par défaut : les données livrées, territory/data/<code>/).",
        )
        parser.add_argument(
            "--departement",
            default=None,
            help="Code INSEE du département (par défaut : settings.DEPARTEMENT_CODE).",
        )
        parser.add_argument(
            "--min-share",
            type=float,
            default=MIN_CANTON_SHARE,
            help=f"Part minimale de la surface d'une commune pour la rattacher à un canton ({MIN_CANTON_SHARE}).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["departement"] or settings.DEPARTEMENT_CODE
        if not 0 < options["min_share"] < 1:
            raise CommandError("--min-share doit être compris entre 0 et 1 (exclus).")
        try:
            report = territory_import(
                source_dir=options["source"], departement_code=code, min_canton_share=options["min_share"]
            )
        except TerritoryImportError as exc:
            raise CommandError(str(exc)) from exc
        if options["verbosity"] >= 1:
            for line in report.lines():
                style = self.style.WARNING if line.lstrip().startswith("ATTENTION") else (lambda text: text)
                self.stdout.write(style(line))
        if report.current_without_canton:
            self.stderr.write(
                self.style.ERROR(
                    f"{len(report.current_without_canton)} commune(s) actuelle(s) sans canton : "
                    + ", ".join(report.current_without_canton)
                )
            )
