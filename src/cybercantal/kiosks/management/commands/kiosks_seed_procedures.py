"""``cybercantal kiosks_seed_procedures``: add the common procedures to the catalogue.

Idempotent: a second run changes nothing, and a procedure a manager has edited is kept.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from cybercantal.kiosks.models import Procedure
from cybercantal.kiosks.services.catalogue import procedures_seed


class Command(BaseCommand):
    help = "Ajoute au catalogue les démarches courantes (sans écraser celles modifiées par l'équipe)."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = procedures_seed(actor=None)
        self.stdout.write(
            _("Démarches ajoutées ou mises à jour : %(changed)s. Démarches au catalogue : %(total)s.")
            % {"changed": changed, "total": Procedure.objects.count()}
        )
