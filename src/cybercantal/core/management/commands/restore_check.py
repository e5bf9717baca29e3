"""``cybercantal restore_check ARCHIVE``: prove that an archive restores, without touching anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cybercantal.core.backup import BackupError, check_archive


class Command(BaseCommand):
    help = (
        "Prouve qu'une archive se restaure : restauration dans une base temporaire (fichier SQLite ou base "
        "PostgreSQL créée puis supprimée), contrôle des migrations, des lignes par table et des sommes de "
        "contrôle. Code de sortie non nul au moindre écart."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="Archive .tar.gz écrite par « cybercantal backup ».")

    def handle(self, *args: Any, archive: Path, **options: Any) -> None:
        self.stdout.write(f"Vérification de la restauration de {archive}")
        try:
            report = check_archive(archive=archive)
        except BackupError as exc:
            raise CommandError(f"Vérification impossible : {exc}") from exc
        for line in report.lines:
            self.stdout.write(f"- {line}")
        if not report.ok:
            raise CommandError(f"Restauration NON prouvée : {len(report.differences)} écart(s).")
        self.stdout.write(
            self.style.SUCCESS(
                "Restauration prouvée : la base, les médias et les fichiers privés sont conformes au manifeste."
            )
        )
