"""``cybercantal lmn_export --csv PATH --json PATH``: write the public LMN exports to files.

The same rows as ``/lieux/export/lmn.csv`` and ``/lieux/export/lmn.json`` (every published
place, schema v1.0.2), read in chunks. CI validates these files with the reference npm package
(``tools/lmn-validate``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from cybercantal.places import lmn


class Command(BaseCommand):
    help = "Écrit l'export LMN (schéma des lieux de médiation numérique v1.0.2) des lieux publiés."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", dest="csv_path", help="Fichier CSV à écrire.")
        parser.add_argument("--json", dest="json_path", help="Fichier JSON à écrire.")

    def handle(self, *args: Any, csv_path: str | None = None, json_path: str | None = None, **options: Any) -> None:
        if not csv_path and not json_path:
            raise CommandError("Indiquez --csv CHEMIN et/ou --json CHEMIN.")
        for path, writer in ((csv_path, lmn.iter_csv), (json_path, lmn.iter_json)):
            if not path:
                continue
            count = 0

            def counted(rows: Any) -> Any:
                nonlocal count
                for row in rows:
                    count += 1
                    yield row

            target = Path(path)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("w", encoding="utf-8", newline="") as handle:
                for chunk in writer(counted(lmn.export_rows())):
                    handle.write(chunk)
            self.stdout.write(f"{target} : {count} lieux")
