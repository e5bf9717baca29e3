"""Registration burst: N people register at the same instant for a session of S seats.

    .venv/bin/python bench/bench_registration_burst.py                       # SQLite (/tmp/cc_bench/)
    .venv/bin/python bench/bench_registration_burst.py --database postgres   # cc_bench_registrations
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_registrations \\
        .venv/bin/python bench/bench_registration_burst.py
    .venv/bin/python bench/bench_registration_burst.py --people 200 --seats 30 --rounds 3

Each person is a thread with its own database connection; all start together (a barrier)
and call the real service ``registration_create`` (the lock on the session row, the count
in the same transaction, the database check as last guard). A web server never holds more
connections than it has workers: at most ``--max-connections`` are open at once (PostgreSQL
allows 100 by default), the others wait for one as they would wait for a worker; their
latency includes that wait.

Checked after each round: exactly S confirmed, N - S on the waitlist in arrival order
(``waitlisted_at`` then id, the order the lock was granted), positions 1..N-S, the session's
``confirmed_count`` equal to S, and no error. Printed: counts, p50 / p95 / max latency of a
registration from the common start, and the whole burst's duration. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import timedelta

import benchlib

SQLITE_URL = f"sqlite:///{benchlib.VAR_DIR}/registrations.sqlite3"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_registrations"


def _database_url(args: argparse.Namespace) -> str:
    if args.database_url:
        return args.database_url
    if args.database in {"postgres", "postgresql", "pg"}:
        return POSTGRES_URL
    if args.database in {"sqlite", "sqlite3"}:
        return SQLITE_URL
    env = os.environ.get("DATABASE_URL", "")
    return env or SQLITE_URL


def _create_postgres_database(url: str) -> None:
    """Create the bench database if it does not exist (connecting to ``postgres``)."""
    import psycopg

    parts = url.rsplit("/", 1)
    name = parts[1]
    with psycopg.connect(parts[0] + "/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _setup(url: str) -> None:
    if url.startswith("sqlite"):
        benchlib.VAR_DIR.mkdir(parents=True, exist_ok=True)
    else:
        _create_postgres_database(url)
    benchlib.configure_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _new_session(seats: int):  # type: ignore[no-untyped-def]
    """A fresh session of ``seats`` seats next week, at a bench place (created once)."""
    from django.utils import timezone

    from cybercantal.mediation.models import Session, Workshop
    from cybercantal.places.tests.factories import PlaceFactory

    place = PlaceFactory(name="EPN du bench")
    workshop, _ = Workshop.objects.get_or_create(
        slug="bench-inscriptions",
        defaults={"title": "Atelier du bench", "summary": "Rafale d'inscriptions.", "themes": ["email"]},
    )
    start = timezone.now() + timedelta(days=7)
    return Session.objects.create(
        workshop=workshop, place=place, starts_at=start, ends_at=start + timedelta(hours=2), capacity=seats
    )


def _burst(session_pk: int, people: int, max_connections: int) -> tuple[list[dict], float]:
    from django.db import connections

    from cybercantal.mediation.models import Session
    from cybercantal.mediation.services import registrations as services

    barrier = threading.Barrier(people + 1)
    gate = threading.BoundedSemaphore(max_connections)
    results: list[dict] = [{} for _ in range(people)]
    start_box: list[float] = []

    def person(index: int) -> None:
        barrier.wait()
        begin = start_box[0]
        try:
            with gate:
                try:
                    session = Session.objects.select_related("workshop", "place__commune").get(pk=session_pk)
                    registration = services.registration_create(
                        actor=None,
                        session=session,
                        first_name=f"Personne{index}",
                        last_name="Bench",
                        phone=f"04 71 {index // 100:02d} {index % 100:02d} 00",
                    )
                    results[index] = {"status": registration.status, "pk": registration.pk}
                except services.RegistrationError as exc:
                    results[index] = {"status": "refused", "error": " ".join(exc.messages)}
                except Exception as exc:  # noqa: BLE001 - counted and printed, never hidden
                    results[index] = {"status": "error", "error": repr(exc)}
                finally:
                    connections.close_all()
        finally:
            results[index]["ms"] = (time.perf_counter() - begin) * 1000

    threads = [threading.Thread(target=person, args=(i,)) for i in range(people)]
    for thread in threads:
        thread.start()
    start_box.append(time.perf_counter())
    barrier.wait()
    for thread in threads:
        thread.join()
    return results, (time.perf_counter() - start_box[0]) * 1000


def _check(session_pk: int, seats: int, people: int, results: list[dict]) -> dict[str, object]:
    from cybercantal.mediation.models import Registration, RegistrationStatus, Session

    confirmed = sum(1 for r in results if r["status"] == RegistrationStatus.CONFIRMED)
    waitlisted = sum(1 for r in results if r["status"] == RegistrationStatus.WAITLISTED)
    errors = [r for r in results if r["status"] not in (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)]
    session = Session.objects.get(pk=session_pk)
    rows = Registration.objects.filter(session_id=session_pk)
    waitlist = list(
        rows.filter(status=RegistrationStatus.WAITLISTED).order_by("waitlisted_at", "pk").values_list("pk", flat=True)
    )
    confirmed_pks = list(rows.filter(status=RegistrationStatus.CONFIRMED).values_list("pk", flat=True))
    in_order = waitlist == sorted(waitlist) and (not waitlist or not confirmed_pks or max(confirmed_pks) < waitlist[0])
    ok = (
        confirmed == seats
        and waitlisted == people - seats
        and not errors
        and session.confirmed_count == seats
        and len(confirmed_pks) == seats
        and in_order
    )
    return {
        "confirmed": confirmed,
        "waitlisted": waitlisted,
        "errors": len(errors),
        "error_samples": [e.get("error", "") for e in errors[:3]],
        "count_in_db": session.confirmed_count,
        "arrival_order": in_order,
        "ok": ok,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database", default="", help="sqlite ou postgres (sinon DATABASE_URL, sinon SQLite)")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--seats", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--max-connections", type=int, default=50)
    args = parser.parse_args()
    if not 0 < args.seats <= 500 or args.people <= 0:
        parser.error("--seats entre 1 et 500, --people positif")

    url = _database_url(args)
    _setup(url)
    from django.db import connection

    print(f"# Rafale d'inscriptions — {benchlib.engine_label(url)} ({connection.settings_dict['NAME']})")
    print(
        f"{args.people} personnes en même temps, {args.seats} places, "
        f"au plus {args.max_connections} connexions ouvertes à la fois, {os.cpu_count()} cœurs.\n"
    )
    rows = []
    all_ok = True
    for number in range(1, args.rounds + 1):
        session = _new_session(args.seats)
        connection.close()
        results, total_ms = _burst(session.pk, args.people, args.max_connections)
        check = _check(session.pk, args.seats, args.people, results)
        latencies = [r["ms"] for r in results]
        all_ok &= bool(check["ok"])
        rows.append(
            [
                number,
                check["confirmed"],
                check["waitlisted"],
                check["errors"],
                "oui" if check["arrival_order"] else "NON",
                check["count_in_db"],
                benchlib.ms(benchlib.percentile(latencies, 0.50)),
                benchlib.ms(benchlib.percentile(latencies, 0.95)),
                benchlib.ms(max(latencies)),
                benchlib.ms(total_ms),
            ]
        )
        for sample in check["error_samples"]:
            print(f"erreur : {sample}")
    print(
        benchlib.table(
            [
                "tour",
                "confirmés",
                "liste d'attente",
                "erreurs",
                "ordre d'arrivée",
                "confirmed_count",
                "p50 ms",
                "p95 ms",
                "max ms",
                "rafale ms",
            ],
            rows,
        )
    )
    print("\nRésultat :", "conforme" if all_ok else "NON CONFORME")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
