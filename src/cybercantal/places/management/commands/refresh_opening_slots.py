"""``cybercantal refresh_opening_slots``: rebuild the weekly opening slots for the coming week.

"Ouvert maintenant" reads ``PlaceOpeningSlot`` rows computed for seven real days; run this
every night (cron, systemd timer or the task scheduler) so that seasonal and dated hours
("Jul-Aug off") take effect on the day they say. A night without change writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from cybercantal.places import services


class Command(BaseCommand):
    help = "Recalcule les créneaux d'ouverture des sept prochains jours (à lancer chaque nuit)."

    def handle(self, *args: Any, **options: Any) -> None:
        changed = services.refresh_opening_slots()
        self.stdout.write(f"Créneaux recalculés : {changed} lieu(x) modifié(s).")
