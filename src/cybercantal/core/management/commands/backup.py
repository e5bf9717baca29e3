"""``cybercantal backup --output DIR``: one archive of the database, the media and the private files.

See docs/sauvegarde.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cybercantal.core.backup import BackupError, create_backup

FORMAT_LABELS = {
    "sqlite": "copie SQLite par l'API de sauvegarde en ligne",
    "pg_dump": "pg_dump au format custom",
    "dumpdata": "dumpdata Django (JSON) — pg_dump absent ou format forcé",
}


class Command(BaseCommand):
    help = (
        "Écrit une archive horodatée (tar.gz) : base de données, médias, fichiers privés et manifeste avec "
        "sommes de contrôle."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--output", required=True, type=Path, help="Dossier où écrire l'archive.")
        parser.add_argument(
            "--format",
            choices=["auto", "native", "dumpdata"],
            default="auto",
            help="auto : SQLite ou pg_dump, dumpdata si pg_dump manque ; native : jamais dumpdata ; "
            "dumpdata : forcer dumpdata.",
        )
        parser.add_argument("--no-media", action="store_true", help="Ne pas inclure les médias ni les fichiers privés.")
        parser.add_argument("--database", default="default", help="Alias de la base (default).")

    def handle(self, *args: Any, output: Path, format: str, no_media: bool, database: str, **options: Any) -> None:
        try:
            path, manifest = create_backup(
                output_dir=output, using=database, dump_format=format, include_media=not no_media
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        fmt = manifest["database"]["format"]
        rows = sum(manifest["row_counts"].values())
        media = manifest["media"]
        self.stdout.write(self.style.SUCCESS(f"Sauvegarde écrite : {path}"))
        self.stdout.write(f"Base : {FORMAT_LABELS[fmt]} ; {len(manifest['row_counts'])} tables, {rows} lignes.")
        if media["included"]:
            self.stdout.write(f"Médias : {media['files']} fichier(s), {media['bytes']} octets.")
        else:
            self.stdout.write("Médias : non inclus (--no-media).")
        private = manifest["private"]
        if private["included"]:
            self.stdout.write(f"Fichiers privés : {private['files']} fichier(s), {private['bytes']} octets.")
        elif media["included"]:
            self.stdout.write("Fichiers privés : non inclus (aucun stockage « private » configuré).")
        else:
            self.stdout.write("Fichiers privés : non inclus (--no-media).")
        self.stdout.write(f"Pour prouver qu'elle se restaure : cybercantal restore_check {path}")
