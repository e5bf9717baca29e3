"""``cybercantal serve``: the web server and the task worker, started and stopped together.

``make run`` ends with this command. It starts two child processes:

- gunicorn serving ``cybercantal.wsgi`` (static files through whitenoise);
- ``cybercantal db_worker``, the django-tasks-db worker that runs background jobs;
- ``cybercantal run_scheduler``, which enqueues the periodic jobs when they are due.

Each child runs in its own process group, so a Ctrl-C in the terminal reaches this command
only; it then asks each child once to stop (SIGTERM: gunicorn and the worker both finish
what they are doing) and kills whatever is still there after a grace period. If one child
dies on its own, the other one is stopped too and the command fails: a platform whose
tasks silently stopped running would be worse than one that visibly stopped.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

GRACE_SECONDS = 15
POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    """Linux: the child gets SIGTERM if this command is killed outright (kill -9)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def bind_address(host: str, port: int) -> str:
    """gunicorn's ``--bind`` value; IPv6 addresses go in brackets."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"


def child_commands(*, host: str, port: int, workers: int, task_worker: bool) -> dict[str, list[str]]:
    """The command line of each child process, by name."""
    commands = {
        "web": [
            sys.executable,
            "-m",
            "gunicorn",
            "cybercantal.wsgi:application",
            "--bind",
            bind_address(host, port),
            "--workers",
            str(workers),
            "--graceful-timeout",
            str(GRACE_SECONDS - 5),
            # gunicorn's control socket lives in $HOME: two servers on one machine would clash.
            "--no-control-socket",
        ],
    }
    if task_worker:
        commands["tasks"] = [sys.executable, "-m", "cybercantal", "db_worker"]
        commands["scheduler"] = [sys.executable, "-m", "cybercantal", "run_scheduler"]
    return commands


class Command(BaseCommand):
    help = "Lance le serveur web (gunicorn), le worker de tâches et le planificateur ; Ctrl-C arrête le tout."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST") or "127.0.0.1", help="adresse d'écoute")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT") or 8000), help="port d'écoute")
        parser.add_argument("--workers", type=int, default=2, help="nombre de processus gunicorn")
        parser.add_argument(
            "--no-task-worker",
            action="store_false",
            dest="task_worker",
            help="ne lancer ni le worker de tâches ni le planificateur (en production, ils tournent à part)",
        )

    def handle(self, *args: Any, host: str, port: int, workers: int, task_worker: bool, **options: Any) -> None:
        commands = child_commands(host=host, port=port, workers=workers, task_worker=task_worker)
        stop_signal: list[int] = []

        def request_stop(signum: int, frame: FrameType | None) -> None:
            stop_signal.append(signum)

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        children: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name, command in commands.items():
                children[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                    command, process_group=0, preexec_fn=_die_with_parent
                )
            self.stdout.write(
                self.style.SUCCESS(f"CyberCantal est servi sur http://{bind_address(host, port)}/")
                + (" — worker de tâches et planificateur démarrés." if task_worker else ".")
                + " Ctrl-C pour arrêter."
            )
            failed = self._wait(children, stop_signal)
        finally:
            self._stop(children)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if failed:
            name, code = failed
            raise CommandError(f"Le processus « {name} » s'est arrêté de lui-même (code {code}) ; tout est arrêté.")
        self.stdout.write("Serveur, worker et planificateur arrêtés." if task_worker else "Serveur arrêté.")

    def _wait(self, children: dict[str, subprocess.Popen[bytes]], stop_signal: list[int]) -> tuple[str, int] | None:
        """Block until a stop signal arrives (None) or a child exits on its own (its name, code)."""
        while not stop_signal:
            for name, child in children.items():
                code = child.poll()
                if code is not None:
                    return name, code
            time.sleep(POLL_SECONDS)
        return None

    def _stop(self, children: dict[str, subprocess.Popen[bytes]]) -> None:
        """SIGTERM each living child once, then SIGKILL what is left after the grace period."""
        for child in children.values():
            if child.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_SECONDS
        for child in children.values():
            try:
                child.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
