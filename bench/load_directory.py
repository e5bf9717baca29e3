"""Load benchmark: gunicorn on loopback, directory pages next to a bare Django view.

    .venv/bin/python bench/load_directory.py                         # 100x (35,000 places), SQLite
    .venv/bin/python bench/load_directory.py --database postgres --scale 100
    .venv/bin/python bench/load_directory.py --duration 5 --concurrency 4

It starts gunicorn itself on 127.0.0.1 (``--port``, 8108 by default), with ``--workers`` sync
workers (2), ``bench_settings`` and the bench database of ``--scale``; sends requests only to
that address, in phases: the bare view ``/bench/bare/`` (same middleware stack, no template,
no query), ``/lieux/``, ``/lieux/?q=…`` (several searches in turn), ``/lieux/<slug>/``
(several places in turn), then the bare view again (to see any drift during the run). Each
phase: ``--warmup`` seconds not counted, then ``--duration`` seconds (or ``--max-requests``)
with ``--concurrency`` client threads, each sending one request at a time (closed loop, one
TCP connection per request, as gunicorn's sync workers close it). It prints requests/s and
the latency seen by the client (p50, p95, max), and the ratio of each page to the bare view:
the figure to follow. gunicorn is stopped at the end, whatever happens.

The client runs on the same 2-core machine as gunicorn: it takes CPU from the server, the
same for every phase (the ratio cancels most of it). Figures are printed; not a test.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import benchlib

HOST = "127.0.0.1"  # loopback only: this benchmark never sends traffic elsewhere
SEARCHES = ["riom es montagnes", "aurillac", "epn", "mediatheque", "st flour", "mairie de salers"]


@dataclass
class Phase:
    label: str
    paths: list[str]
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    elapsed: float = 0.0
    client_cpu: float = 0.0  # CPU seconds the load generator itself used while measuring


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex((HOST, port)) == 0


def get(port: int, path: str, timeout: float = 30.0) -> tuple[int, int]:
    """One GET on loopback: (status, body length)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Connection": "close", "Accept-Language": "fr"})
        response = connection.getresponse()
        body = response.read()
        return response.status, len(body)
    finally:
        connection.close()


class Gunicorn:
    """gunicorn started by this script, stopped by it (SIGTERM, then SIGKILL after 15 s)."""

    def __init__(self, url: str, port: int, workers: int, threads: int, log: Path) -> None:
        self.url, self.port, self.workers, self.threads, self.log = url, port, workers, threads, log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        if port_in_use(self.port):
            raise SystemExit(f"Le port {HOST}:{self.port} est déjà pris : choisissez --port.")
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            "cybercantal.wsgi:application",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(self.workers),
            "--worker-class",
            "sync" if self.threads <= 1 else "gthread",
            "--threads",
            str(self.threads),
            "--timeout",
            "60",
            "--graceful-timeout",
            "5",
            "--pythonpath",
            str(benchlib.BENCH_DIR),
            "--no-control-socket",
        ]
        env = benchlib.bench_env(self.url)
        env["BENCH_LOG_FILE"] = str(self.log.with_suffix(".requests.log"))
        handle = self.log.open("wb")
        self.process = subprocess.Popen(command, env=env, stdout=handle, stderr=subprocess.STDOUT)
        handle.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn s'est arrêté au démarrage :\n{self.tail()}")
            try:
                status, _size = get(self.port, "/bench/bare/", timeout=5)
            except OSError:
                time.sleep(0.3)
                continue
            if status == 200:
                return
            raise SystemExit(f"/bench/bare/ répond {status} :\n{self.tail()}")
        raise SystemExit(f"gunicorn ne répond pas après 60 s :\n{self.tail()}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def run_phase(phase: Phase, *, port: int, concurrency: int, warmup: float, duration: float, limit: int) -> None:
    """Closed loop: ``concurrency`` threads, bounded by ``duration`` seconds and ``limit`` requests."""
    lock = threading.Lock()
    counter = iter(range(10**9))
    state = {"measuring": False, "sent": 0}

    def worker(stop_at: float) -> None:
        while time.monotonic() < stop_at:
            with lock:
                if state["measuring"] and state["sent"] >= limit:
                    return
                number = next(counter)
                if state["measuring"]:
                    state["sent"] += 1
                measuring = state["measuring"]
            path = phase.paths[number % len(phase.paths)]
            start = time.perf_counter()
            try:
                status, _size = get(port, path)
                problem = "" if status == 200 else f"HTTP {status}"
            except OSError as exc:
                problem = type(exc).__name__
            took = (time.perf_counter() - start) * 1000
            if measuring:
                with lock:
                    if problem:
                        phase.errors[problem] = phase.errors.get(problem, 0) + 1
                    else:
                        phase.latencies.append(took)

    def wave(seconds: float) -> float:
        stop_at = time.monotonic() + seconds
        threads = [threading.Thread(target=worker, args=(stop_at,), daemon=True) for _ in range(concurrency)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 60)
        return time.perf_counter() - started

    if warmup > 0:
        wave(warmup)
    state["measuring"] = True
    cpu_start = time.process_time()
    phase.elapsed = wave(duration)
    phase.client_cpu = time.process_time() - cpu_start


def slugs_and_checks(url: str, count: int) -> tuple[int, list[str]]:
    benchlib.configure_django(url)
    from cybercantal.places.models import Place

    places = Place.objects.count()
    if places == 0:
        raise SystemExit(f"La base {url} est vide : lancez d'abord bench/generate_places.py.")
    published = Place.objects.published()
    rng = random.Random(15)
    slugs = list(published.order_by("pk").values_list("slug", flat=True))
    rng.shuffle(slugs)
    from django.db import connections

    connections.close_all()
    return places, slugs[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=100, help="échelle de la base (1x = 350 lieux)")
    parser.add_argument("--database", default="sqlite", help="sqlite, postgres ou un modèle d'URL avec {places}")
    parser.add_argument("--database-url", default="", help="URL d'une base de bench (remplace --database/--scale)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="1 : workers sync ; plus : gthread (comme deploy/)")
    parser.add_argument("--concurrency", type=int, default=4, help="clients simultanés")
    parser.add_argument("--duration", type=float, default=10.0, help="secondes mesurées par phase")
    parser.add_argument("--warmup", type=float, default=2.0, help="secondes de chauffe par phase")
    parser.add_argument("--max-requests", type=int, default=50000, help="requêtes mesurées au plus par phase")
    parser.add_argument("--port", type=int, default=benchlib.GUNICORN_PORT)
    parser.add_argument("--json", default="", help="écrit aussi les résultats dans ce fichier JSON")
    args = parser.parse_args(argv)
    # Bounded whatever the options say.
    args.concurrency = max(1, min(args.concurrency, 32))
    args.duration = max(1.0, min(args.duration, 120.0))
    args.warmup = max(0.0, min(args.warmup, 30.0))
    args.max_requests = max(1, min(args.max_requests, 200000))
    args.workers = max(1, min(args.workers, 8))
    args.threads = max(1, min(args.threads, 16))

    template = args.database_url or benchlib.template_for(args.database)
    url = benchlib.database_url(template, benchlib.places_for(args.scale))
    places, slugs = slugs_and_checks(url, 200)
    phases = [
        Phase("vue nue /bench/bare/", ["/bench/bare/"]),
        Phase("annuaire /lieux/", ["/lieux/"]),
        Phase("recherche /lieux/?q=…", ["/lieux/?" + urlencode({"q": text}) for text in SEARCHES]),
        Phase("fiche /lieux/<slug>/", [f"/lieux/{slug}/" for slug in slugs]),
        Phase("vue nue (fin de série)", ["/bench/bare/"]),
    ]
    log = benchlib.VAR_DIR / f"gunicorn-{args.port}.log"
    server = Gunicorn(url, args.port, args.workers, args.threads, log)

    def interrupted(signum: int, _frame: Any) -> None:
        server.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    try:
        server.start()
        for phase in phases:
            run_phase(
                phase,
                port=args.port,
                concurrency=args.concurrency,
                warmup=args.warmup,
                duration=args.duration,
                limit=args.max_requests,
            )
    finally:
        server.stop()

    bare = [p for p in phases if p.label.startswith("vue nue")]
    bare_rps = sum(len(p.latencies) / p.elapsed for p in bare) / len(bare)
    bare_p50 = sum(benchlib.percentile(p.latencies, 0.5) for p in bare) / len(bare)
    rows = []
    results = []
    for phase in phases:
        rps = len(phase.latencies) / phase.elapsed if phase.elapsed else 0.0
        p50 = benchlib.percentile(phase.latencies, 0.50)
        p95 = benchlib.percentile(phase.latencies, 0.95)
        errors = ", ".join(f"{k}×{v}" for k, v in phase.errors.items()) or "0"
        rows.append(
            [
                phase.label,
                benchlib.number(len(phase.latencies)),
                errors,
                f"{rps:.1f}",
                benchlib.ms(p50),
                benchlib.ms(p95),
                benchlib.ms(max(phase.latencies, default=float("nan"))),
                f"{rps / bare_rps:.3f}" if bare_rps else "—",
                f"×{p50 / bare_p50:.1f}" if bare_p50 else "—",
                f"{100 * phase.client_cpu / phase.elapsed:.0f} %" if phase.elapsed else "—",
            ]
        )
        results.append({"phase": phase.label, "requests": len(phase.latencies), "errors": phase.errors, "rps": rps})
        results[-1].update(p50=p50, p95=p95, client_cpu=phase.client_cpu, elapsed=phase.elapsed)
    print(
        f"\n## Charge — gunicorn {args.workers} workers "
        f"{'sync' if args.threads == 1 else f'gthread × {args.threads} threads'} sur {HOST}:{args.port}, "
        f"{benchlib.engine_label(url)}, {benchlib.number(places)} lieux, {args.concurrency} clients, "
        f"{args.duration:g} s mesurées par phase après {args.warmup:g} s de chauffe, "
        f"charge moyenne au départ {load}\n"
    )
    print(
        benchlib.table(
            [
                "phase",
                "requêtes",
                "erreurs",
                "req/s",
                "p50 ms",
                "p95 ms",
                "max ms",
                "req/s ÷ nue",
                "p50 ÷ nue",
                "CPU du client",
            ],
            rows,
        )
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1))
    failed = any(p.errors for p in phases)
    if failed:
        print(f"\nDes requêtes ont échoué ; fin du journal de gunicorn ({log}) :\n{server.tail()}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
