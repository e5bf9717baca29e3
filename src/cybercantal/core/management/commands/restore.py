"""``cybercantal restore ARCHIVE --yes``: put an archive back into the configured database and storages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cybercantal.core.backup import BackupError, restore_archive


class Command(BaseCommand):
    help = (
        "Restaure une archive de « cybercantal backup » dans la base configurée, le stockage des médias et le "
        "stockage privé. "
        "Vérifie d'abord le manifeste et les sommes de contrôle. Remplace les données : exige --yes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("archive", type=Path, help="Archive .tar.gz écrite par « cybercantal backup ».")
        parser.add_argument("--yes", action="store_true", help="Confirmer : les données actuelles seront remplacées.")
        parser.add_argument("--database", default="default", help="Alias de la base (default).")

    def handle(self, *args: Any, archive: Path, yes: bool, database: str, **options: Any) -> None:
        if not yes:
            raise CommandError(
                "La restauration remplace la base de données, les médias et les fichiers privés actuels. "
                "Arrêtez les serveurs d'application et les workers, puis relancez avec --yes."
            )
        try:
            report = restore_archive(archive=archive, using=database)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines:
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(
                f"Restauration faite, mais {len(report.differences)} écart(s) avec le manifeste : voir ci-dessus."
            )
        self.stdout.write(self.style.SUCCESS("Restauration terminée et conforme au manifeste."))
