"""``cybercantal kiosks_check_links``: check the official link of every procedure.

Run it where the internet is reachable (a nightly job). It stores the result on each
procedure (shown in the staff list), prints the dead links in French and exits with
status 1 when any is dead, so that a scheduler or a monitoring can alert.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils.translation import gettext as _

from cybercantal.kiosks.services.catalogue import procedures_check_links


class Command(BaseCommand):
    help = "Vérifie les liens officiels des démarches et liste les liens morts (code de sortie 1 s'il y en a)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--timeout", type=float, default=10, help="Délai d'attente par lien, en secondes.")

    def handle(self, *args: Any, **options: Any) -> None:
        report = procedures_check_links(timeout=options["timeout"])
        dead = report.dead
        self.stdout.write(
            _("Liens vérifiés : %(checked)s. Liens morts : %(dead)s.") % {"checked": report.checked, "dead": len(dead)}
        )
        for result in dead:
            self.stdout.write(
                _("- %(title)s : %(url)s (%(status)s)")
                % {"title": result.title, "url": result.url, "status": result.status}
            )
        if dead:
            raise SystemExit(1)
