"""Kiosk heartbeats: 1,000 kiosks signalling every minute, through the real Django stack.

    .venv/bin/python bench/bench_kiosk_heartbeats.py                        # SQLite (/tmp/cc_bench/)
    .venv/bin/python bench/bench_kiosk_heartbeats.py --database postgres    # cc_bench_kiosks
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_kiosks \\
        .venv/bin/python bench/bench_kiosk_heartbeats.py --kiosks 1000 --minutes 3 --threads 4

1,000 kiosks with their tokens (hashes stored, as the service does). For each simulated
minute every kiosk sends ``POST /api/bornes/signal`` with its bearer token and a JSON body,
from its own address (REMOTE_ADDR), through Django's test Client in this process: the whole
request/response cycle (middleware, django-ninja, rate limits in the cache, token lookup,
insert, ``last_seen_at``), without network. The clock is moved one minute per round
(``timezone.now`` patched), so 3 minutes of a fleet's life run in seconds; the rate limits
use the real clock and every kiosk stays under them (1 signal per simulated minute).

Printed: heartbeat latency p50 / p95 / max, throughput, and the process CPU time per 1,000
heartbeats (``time.process_time()``: the server's work plus the test client's, an upper bound
of the server CPU). Checked: every answer is 204 and the table holds exactly one row per
kiosk and minute. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from datetime import timedelta
from unittest import mock

import benchlib

SQLITE_URL = f"sqlite:///{benchlib.VAR_DIR}/kiosks.sqlite3"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_kiosks"


def _database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return args.database_url
    if args.database in {"postgres", "postgresql", "pg"}:
        return POSTGRES_URL
    if args.database in {"sqlite", "sqlite3"}:
        return SQLITE_URL
    return os.environ.get("DATABASE_URL", "") or SQLITE_URL


def _create_postgres_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup(url: str) -> None:
    if url.startswith("sqlite"):
        benchlib.VAR_DIR.mkdir(parents=True, exist_ok=True)
    else:
        _create_postgres_database(url)
    benchlib.configure_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _fleet(count: int) -> list[tuple[str, str]]:
    """``count`` bench kiosks (created once) with fresh tokens: ``[(token, ip), ...]``."""
    import secrets

    from django.db import transaction

    from cybercantal.kiosks.models import Heartbeat, Incident, Kiosk, KioskStatus, KioskToken
    from cybercantal.kiosks.services.fleet import token_hash, token_prefix
    from cybercantal.places.tests.factories import PlaceFactory

    with transaction.atomic():
        Heartbeat.objects.filter(kiosk__code__startswith="bench-").delete()
        Incident.objects.filter(kiosk__code__startswith="bench-").delete()
        KioskToken.objects.filter(kiosk__code__startswith="bench-").delete()
        existing = Kiosk.objects.filter(code__startswith="bench-").count()
        if existing < count:
            place = PlaceFactory(name="Mairie du bench", offers=["kiosk"])
            Kiosk.objects.bulk_create(
                [
                    Kiosk(code=f"bench-{i:05d}", place=place, canton=place.canton, status=KioskStatus.IN_SERVICE)
                    for i in range(existing, count)
                ]
            )
        kiosks = list(Kiosk.objects.filter(code__startswith="bench-").order_by("code")[:count])
        tokens = [secrets.token_urlsafe(32) for _ in kiosks]
        KioskToken.objects.bulk_create(
            [
                KioskToken(kiosk=k, token_hash=token_hash(t), prefix=token_prefix(t))
                for k, t in zip(kiosks, tokens, strict=True)
            ],
            batch_size=500,
        )
    return [(t, f"10.{i // 62500}.{i // 250 % 250}.{i % 250 + 1}") for i, t in enumerate(tokens)]


def _round(fleet: list[tuple[str, str]], threads: int) -> tuple[list[float], dict[int, int]]:
    """Every kiosk signals once; ``threads`` clients share the work. Latencies in ms."""
    from django.db import close_old_connections, connections
    from django.test import Client

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def worker(part: list[tuple[str, str]]) -> None:
        client = Client()
        mine: list[float] = []
        codes: dict[int, int] = {}
        try:
            for token, ip in part:
                begin = time.perf_counter()
                response = client.post(
                    "/api/bornes/signal",
                    '{"version": "2.4.1"}',
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {token}",
                    REMOTE_ADDR=ip,
                )
                close_old_connections()  # what the WSGI handler does at the end of a request
                mine.append((time.perf_counter() - begin) * 1000)
                codes[response.status_code] = codes.get(response.status_code, 0) + 1
        finally:
            if threads > 1:
                connections.close_all()
        with lock:
            latencies.extend(mine)
            for code, n in codes.items():
                statuses[code] = statuses.get(code, 0) + n

    parts = [fleet[i::threads] for i in range(threads)]
    if threads == 1:
        worker(parts[0])
    else:
        workers = [threading.Thread(target=worker, args=(p,)) for p in parts]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
    return latencies, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="", help="sqlite ou postgres (sinon DATABASE_URL, sinon SQLite)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--kiosks", type=int, default=1000)
    parser.add_argument("--minutes", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="clients en parallèle (1 : latence propre)")
    args = parser.parse_args()

    url = _database_url(args)
    benchlib.check_bench_database(url)
    _setup(url)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from cybercantal.kiosks.models import Heartbeat

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    fleet = _fleet(args.kiosks)
    print(f"# Signaux de vie des bornes — {benchlib.engine_label(url)} ({connection.settings_dict['NAME']})")
    print(
        f"{args.kiosks} bornes, {args.minutes} minutes simulées, {args.threads} client(s) en parallèle, "
        f"{os.cpu_count()} cœurs, Python {sys.version.split()[0]}.\n"
    )
    connection.close()
    start = timezone.now().replace(second=0, microsecond=0) + timedelta(hours=1)
    all_latencies: list[float] = []
    rows = []
    statuses_total: dict[int, int] = {}
    cpu_total = wall_total = 0.0
    for minute in range(args.minutes):
        at = start + timedelta(minutes=minute, seconds=20)
        with mock.patch("django.utils.timezone.now", return_value=at):
            cpu0, wall0 = time.process_time(), time.perf_counter()
            latencies, statuses = _round(fleet, args.threads)
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        cpu_total += cpu
        wall_total += wall
        all_latencies += latencies
        for code, n in statuses.items():
            statuses_total[code] = statuses_total.get(code, 0) + n
        rows.append(
            [
                minute + 1,
                len(latencies),
                benchlib.ms(benchlib.percentile(latencies, 0.50)),
                benchlib.ms(benchlib.percentile(latencies, 0.95)),
                benchlib.ms(max(latencies)),
                f"{cpu * 1000 / len(latencies) * 1000 / 1000:.2f} s",
                f"{len(latencies) / wall:.0f}/s",
            ]
        )
    print(
        benchlib.table(
            ["minute", "signaux", "p50 (ms)", "p95 (ms)", "max (ms)", "CPU / 1 000 signaux", "débit"],
            rows,
            align="rrrrrrr",
        )
    )
    total = len(all_latencies)
    stored = Heartbeat.objects.filter(kiosk__code__startswith="bench-", minute__gte=start).count()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"\nEnsemble : {total} signaux, p50 {benchlib.ms(benchlib.percentile(all_latencies, 0.5))} ms, "
        f"p95 {benchlib.ms(benchlib.percentile(all_latencies, 0.95))} ms, "
        f"CPU du processus {cpu_total / total * 1000:.2f} s par 1 000 signaux "
        f"(soit {cpu_total / total * 1000 / 60 * 100:.1f} % d'un cœur pour 1 000 bornes à 1 signal/minute), "
        f"débit {total / wall_total:.0f} signaux/s."
    )
    expected = args.kiosks * args.minutes
    print(f"Réponses : {dict(sorted(statuses_total.items()))} ; lignes enregistrées : {stored} (attendu {expected}).")
    print(f"Mémoire maximale du processus : {usage.ru_maxrss / 1024:.0f} Mo.")
    ok = statuses_total == {204: total} and stored == args.kiosks * args.minutes
    print("Vérification : OK" if ok else "Vérification : ÉCHEC")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
