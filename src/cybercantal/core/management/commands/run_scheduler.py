"""``cybercantal run_scheduler``: enqueue the periodic jobs when they are due (docs/taches.md)."""

from __future__ import annotations

import signal
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import formats, timezone

from cybercantal.core import scheduler


class Command(BaseCommand):
    help = "Met en file les tâches périodiques arrivées à échéance (une passe ou en boucle)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Une seule passe, puis s'arrêter (cron, timer).")
        parser.add_argument("--list", action="store_true", help="Afficher les tâches périodiques et leur échéance.")
        parser.add_argument("--interval", type=float, default=30.0, help="Secondes entre deux passes (30 par défaut).")

    def handle(self, *args: Any, once: bool, list: bool, interval: float, **options: Any) -> None:
        self.verbosity = int(options.get("verbosity", 1))
        if list:
            self.print_jobs()
            return
        if once:
            self.run_pass()
            return
        self.running = True
        previous = {sig: signal.signal(sig, self.stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write(f"Planificateur démarré : une passe toutes les {interval:g} s.")
        try:
            while self.running:
                close_old_connections()
                self.run_pass()
                close_old_connections()
                deadline = time.monotonic() + interval
                while self.running and time.monotonic() < deadline:
                    time.sleep(min(1.0, interval))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.stdout.write("Planificateur arrêté.")

    def stop(self, signum: int, frame: FrameType | None) -> None:
        self.running = False

    def run_pass(self) -> None:
        enqueued = scheduler.run_due()
        for name in enqueued:
            self.stdout.write(f"Mise en file : {name}")
        if self.verbosity >= 2 and not enqueued:
            self.stdout.write("Aucune tâche à échéance.")

    def print_jobs(self) -> None:
        states = scheduler.job_states()
        if not states:
            self.stdout.write("Aucune tâche périodique enregistrée.")
            return
        for job, last, next_run in states:
            last_text = formats.date_format(timezone.localtime(last), "DATETIME_FORMAT") if last else "jamais"
            next_text = formats.date_format(timezone.localtime(next_run), "DATETIME_FORMAT")
            self.stdout.write(f"{job.name} — {job.describe()} — dernière : {last_text} — prochaine : {next_text}")
