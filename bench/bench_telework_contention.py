"""Booking under contention: N clients book the same seat-pool half-day, then the same office slot.

    .venv/bin/python bench/bench_telework_contention.py                # cc_bench_telework_contention (made here)
    .venv/bin/python bench/bench_telework_contention.py --database-url \\
        postgres://postgres@127.0.0.1:5432/cc_bench_telework         # beside the 1 million bookings
    .venv/bin/python bench/bench_telework_contention.py --clients 50 --seats 12 --rounds 5
    .venv/bin/python bench/bench_telework_contention.py --proposed     # with the proposed lock (see below)

PostgreSQL only (the guarantee under test is PostgreSQL's: the pool's row lock and count, the
office's exclusion constraint), on a database whose name starts with ``cc_bench`` (created and
migrated when missing; never the developer's ``var/`` database).

Each run adds to the database a telecentre « Télécentre du banc de concurrence » (once) open
every day 8 h – 19 h, a seat pool of ``--seats`` seats and an office (new ones per run: the
previous run's are deactivated and their bookings cancelled), and ``--clients`` members with
a carnet and credits (reused by later runs). First, without contention, the same calls one
after the other (the cost of one booking and of one refusal, and their SQL queries). Then,
per round:

1. pool: every client is a thread with its own database connection; all start together (a
   barrier) and call the real service ``services.booking.booking_create`` for the same
   morning of the pool (a new day per round), as the booking view does (``notify`` on: the
   confirmation email is queued on commit);
2. office: the same, all for the same office from 9 h to 12 h (another day).

A web server never holds more connections than it has workers: at most ``--max-connections``
calls run at once (PostgreSQL allows 100 by default); the others wait for one, and that wait
is in their latency, measured from the common start to the end of the call.

Counted: successes (must be the capacity: ``--seats``, then 1), clean conflicts
(``BookingConflictError``), other refusals (``BookingError``: must be 0 here), errors (any other
exception: must be 0), the confirmed bookings in the database afterwards. Printed per round,
with p50 / p95 / max latency, then over all rounds. Nothing here is a test.

``--proposed``: the office is first locked (``SELECT … FOR UPDATE`` of its row) in the same
transaction, then the service is called: what the change proposed for ``booking_create``
(lock the resource whatever its kind; docs/performances-telecentres.md § 5.4) would do. Without
it, the office's concurrent inserts may end in PostgreSQL's "deadlock detected" (counted as
errors).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import threading
import time
from collections import Counter
from decimal import Decimal
from typing import Any

import benchlib

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_telework_contention"
TELECENTRE_NAME = "Télécentre du banc de concurrence"
MEMBER_EMAIL = "concurrence{n}@telecentres.bench"


def database_url(arg: str) -> str:
    if arg:
        return arg
    env = os.environ.get("DATABASE_URL", "")
    return env if env.rsplit("/", 1)[-1].startswith("cc_bench_telework") else DEFAULT_URL


def create_database(url: str) -> None:
    """Create the bench database if it does not exist (connecting to ``postgres``)."""
    import psycopg
    from psycopg import sql

    benchlib.check_bench_database(url)
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def prepare(clients: int, seats: int) -> dict[str, Any]:
    """The bench telecentre, this run's pool and office, and ``clients`` members with credits."""
    from django.db import transaction
    from django.utils import timezone

    from cybercantal.accounts.models import User
    from cybercantal.telework.models import (
        Booking,
        BookingStatus,
        CreditGrant,
        CreditUnit,
        Membership,
        Resource,
        ResourceKind,
        Telecentre,
    )
    from cybercantal.telework.services import credits
    from cybercantal.telework.tests.factories import PlanFactory, ResourceFactory, TelecentreFactory

    with transaction.atomic():
        telecentre = Telecentre.objects.filter(place__name=TELECENTRE_NAME).first()
        if telecentre is None:
            telecentre = TelecentreFactory(place__name=TELECENTRE_NAME)
        plan = telecentre.plans.order_by("pk").first() or PlanFactory(telecentre=telecentre, name="Carnet du banc")
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M:%S")
        # The previous runs' resources leave the catalogue (they would be offered as alternatives)
        # and their bookings are cancelled (their members would hold a seat on the same days).
        Resource.objects.filter(telecentre=telecentre).update(is_active=False)
        Booking.objects.filter(resource__telecentre=telecentre, status=BookingStatus.CONFIRMED).update(
            status=BookingStatus.CANCELLED, cancelled_at=timezone.now()
        )
        pool = ResourceFactory(telecentre=telecentre, name=f"Espace partagé {stamp}", capacity=seats)
        office = ResourceFactory(
            telecentre=telecentre, name=f"Bureau {stamp}", kind=ResourceKind.OFFICE, capacity=1, min_minutes=60
        )
        today = timezone.localdate()
        members = []
        for n in range(clients):
            user, created = User.objects.get_or_create(
                email=MEMBER_EMAIL.format(n=n), defaults={"first_name": "Client", "last_name": f"Concurrent {n}"}
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            membership = Membership.objects.filter(member=user, telecentre=telecentre, ends_on__isnull=True).first()
            if membership is None:
                membership = Membership.objects.create(
                    member=user, telecentre=telecentre, plan=plan, starts_on=today - dt.timedelta(days=30)
                )
            if credits.balance(membership).days < 20:
                credits.credits_grant(
                    actor=None,
                    membership=membership,
                    unit=CreditUnit.DAY,
                    amount=Decimal("100"),
                    granted_on=today - dt.timedelta(days=1),
                    expires_on=today + dt.timedelta(days=365),
                    reason=CreditGrant.Reason.PURCHASE,
                )
            members.append(user)
    return {"telecentre": telecentre, "pool": pool, "office": office, "members": members}


def burst(call: Any, members: list[Any], max_connections: int) -> tuple[list[dict[str, Any]], float]:
    """``call(member)`` in one thread per member, all released together; (results, burst ms)."""
    from django.db import connections

    from cybercantal.telework.services import booking as service

    barrier = threading.Barrier(len(members) + 1)
    gate = threading.BoundedSemaphore(max_connections)
    results: list[dict[str, Any]] = [{} for _ in members]
    start_box: list[float] = []

    def client(index: int, member: Any) -> None:
        barrier.wait()
        begin = start_box[0]
        try:
            with gate:
                try:
                    booking = call(member)
                    results[index] = {"outcome": "success", "pk": booking.pk}
                except service.BookingConflictError as exc:
                    results[index] = {"outcome": "conflict", "alternatives": len(exc.alternatives)}
                except service.BookingError as exc:
                    results[index] = {"outcome": "refused", "error": f"{exc.code}: {' '.join(exc.messages)}"}
                except Exception as exc:  # noqa: BLE001 - counted and printed, never hidden
                    results[index] = {"outcome": "error", "error": repr(exc)}
                finally:
                    connections.close_all()
        finally:
            results[index]["ms"] = (time.perf_counter() - begin) * 1000

    threads = [threading.Thread(target=client, args=(i, m)) for i, m in enumerate(members)]
    for thread in threads:
        thread.start()
    start_box.append(time.perf_counter())
    barrier.wait()
    for thread in threads:
        thread.join()
    return results, (time.perf_counter() - start_box[0]) * 1000


def make_call(resource: Any, *, notify: bool, proposed: bool, **period: Any) -> Any:
    """``call(member)``: book ``period`` of ``resource`` through the service. ``proposed``: an
    office is first locked in the same transaction, as the change proposed for the service
    would do (docs/performances-telecentres.md)."""
    from django.db import transaction

    from cybercantal.core.db import lock_for_update
    from cybercantal.telework.models import Resource
    from cybercantal.telework.services import booking as service

    def call(member: Any) -> Any:
        if proposed and resource.is_exclusive:
            with transaction.atomic():
                list(lock_for_update(Resource.objects.filter(pk=resource.pk)))
                return service.booking_create(actor=member, resource=resource, notify=notify, **period)
        return service.booking_create(actor=member, resource=resource, notify=notify, **period)

    return call


def alone(call: Any, members: list[Any]) -> list[tuple[str, float, int]]:
    """The same calls one after the other (no contention): (outcome, ms, SQL queries) each."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cybercantal.telework.services import booking as service

    done = []
    for member in members:
        with CaptureQueriesContext(connection) as queries:
            begin = time.perf_counter()
            try:
                call(member)
                outcome = "success"
            except service.BookingConflictError:
                outcome = "conflict"
            except service.BookingError as exc:
                outcome = f"refused ({exc.code})"
            took = (time.perf_counter() - begin) * 1000
        done.append((outcome, took, len(queries.captured_queries)))
    return done


def in_database(resource: Any, starts_at: dt.datetime, ends_at: dt.datetime) -> tuple[int, int]:
    """(confirmed bookings of the period, seats taken at the peak) read back from the database."""
    from cybercantal.telework.queries import availability

    confirmed = availability.overlapping(resource, starts_at, ends_at).count()
    return confirmed, availability.seats_taken(resource, starts_at, ends_at)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="", help=f"une base PostgreSQL cc_bench… (défaut : {DEFAULT_URL})")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seats", type=int, default=12, help="postes de l'espace partagé (12 : celui de Murat)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--max-connections", type=int, default=50)
    parser.add_argument("--no-notify", action="store_true", help="sans le courriel de confirmation mis en file")
    parser.add_argument(
        "--proposed",
        action="store_true",
        help="verrouille d'abord le bureau dans la même transaction (la correction proposée du service)",
    )
    args = parser.parse_args(argv)
    if not 2 <= args.clients <= 200 or not 1 <= args.seats <= 500 or not 1 <= args.rounds <= 20:
        parser.error("--clients entre 2 et 200, --seats entre 1 et 500, --rounds entre 1 et 20")
    url = database_url(args.database_url)
    if not url.startswith(("postgres", "pgsql")):
        raise SystemExit("Ce banc d'essai veut PostgreSQL (une base cc_bench…).")
    create_database(url)
    benchlib.configure_django(url)
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from cybercantal.telework.models import Booking, DayPart
    from cybercantal.telework.services import slots

    call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
    setup = prepare(args.clients, args.seats)
    pool, office, members = setup["pool"], setup["office"], setup["members"]
    bookings_before = Booking.objects.count()
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"# Réservations en concurrence — PostgreSQL ({connection.settings_dict['NAME']})")
    print(
        f"{args.clients} clients en même temps (un fil et une connexion chacun, au plus {args.max_connections} "
        f"à la fois), {args.rounds} tours ; espace partagé de {args.seats} postes, puis un bureau ; "
        f"{benchlib.number(bookings_before)} réservations déjà en base ; {os.cpu_count()} cœurs, "
        f"charge moyenne au départ {load}"
        + (" ; AVEC la correction proposée (verrou du bureau)" if args.proposed else "")
        + ".\n"
    )
    today = timezone.localdate()
    notify = not args.no_notify
    # Without contention first: the cost of one booking, and of one refusal, one after the other.
    base_day = today + dt.timedelta(days=60)
    alone_rows = []
    for label, capacity, call in (
        (
            "espace partagé",
            args.seats,
            make_call(pool, notify=notify, proposed=args.proposed, day=base_day, part=DayPart.MORNING),
        ),
        (
            "bureau",
            1,
            make_call(
                office,
                notify=notify,
                proposed=args.proposed,
                starts_at=slots.local(base_day + dt.timedelta(days=1), 9 * 60),
                ends_at=slots.local(base_day + dt.timedelta(days=1), 12 * 60),
            ),
        ),
    ):
        done = alone(call, members[: min(len(members), capacity + 10)])
        for outcome in ("success", "conflict"):
            times = [ms for o, ms, _q in done if o == outcome]
            queries = sorted(q for o, _ms, q in done if o == outcome)
            alone_rows.append(
                [
                    f"{label}, {'réussies' if outcome == 'success' else 'conflits'}",
                    len(times),
                    benchlib.ms(benchlib.percentile(times, 0.5)),
                    benchlib.ms(max(times, default=float("nan"))),
                    queries[len(queries) // 2] if queries else "—",
                ]
            )
        alone_rows += [
            [f"{label}, {o}", 1, benchlib.ms(ms), benchlib.ms(ms), q]
            for o, ms, q in done
            if o not in ("success", "conflict")
        ]
    print("Sans concurrence (un appel après l'autre, même service) :\n")
    print(benchlib.table(["réservations", "appels", "p50 ms", "max ms", "requêtes SQL"], alone_rows))
    print()
    connection.close()
    rows = []
    all_ok = True
    latencies: dict[str, list[float]] = {"pool": [], "office": []}
    by_outcome: dict[tuple[str, str], list[float]] = {}
    samples: list[str] = []
    for number in range(1, args.rounds + 1):
        pool_day = today + dt.timedelta(days=1 + number)
        office_day = today + dt.timedelta(days=30 + number)
        office_start, office_end = slots.local(office_day, 9 * 60), slots.local(office_day, 12 * 60)
        cases = [
            (
                "pool",
                f"espace partagé, matin du {pool_day:%d/%m}",
                pool,
                args.seats,
                make_call(pool, notify=notify, proposed=args.proposed, day=pool_day, part=DayPart.MORNING),
                slots.pool_period(pool, pool_day, DayPart.MORNING),
            ),
            (
                "office",
                f"bureau, {office_day:%d/%m} 9 h – 12 h",
                office,
                1,
                make_call(office, notify=notify, proposed=args.proposed, starts_at=office_start, ends_at=office_end),
                (office_start, office_end),
            ),
        ]
        for kind, label, resource, capacity, call, period in cases:
            results, total_ms = burst(call, members, args.max_connections)
            counts = Counter(r["outcome"] for r in results)
            confirmed, peak = in_database(resource, *period)
            connection.close()
            expected_conflicts = args.clients - min(capacity, args.clients)
            ok = (
                counts["success"] == min(capacity, args.clients)
                and counts["conflict"] == expected_conflicts
                and not counts["refused"]
                and not counts["error"]
                and confirmed == counts["success"]
                and peak <= capacity
            )
            all_ok &= ok
            times = [r["ms"] for r in results]
            latencies[kind] += times
            for r in results:
                by_outcome.setdefault((kind, r["outcome"]), []).append(r["ms"])
            samples += [r["error"] for r in results if "error" in r][:3]
            rows.append(
                [
                    number,
                    label,
                    capacity,
                    counts["success"],
                    counts["conflict"],
                    counts["refused"],
                    counts["error"],
                    confirmed,
                    benchlib.ms(benchlib.percentile(times, 0.50)),
                    benchlib.ms(benchlib.percentile(times, 0.95)),
                    benchlib.ms(max(times)),
                    f"{total_ms:.0f}",
                    "oui" if ok else "NON",
                ]
            )
    print(
        benchlib.table(
            [
                "tour",
                "cas",
                "capacité",
                "réussies",
                "conflits",
                "autres refus",
                "erreurs",
                "en base",
                "p50 ms",
                "p95 ms",
                "max ms",
                "rafale ms",
                "conforme",
            ],
            rows,
            align="ll",
        )
    )
    for sample in dict.fromkeys(samples):
        print(f"erreur ou refus : {sample}")
    summary = []
    labels = {"pool": "espace partagé", "office": "bureau"}
    for kind, label in labels.items():
        times = latencies[kind]
        summary.append(
            [
                f"{label}, tous",
                benchlib.number(len(times)),
                benchlib.ms(benchlib.percentile(times, 0.5)),
                benchlib.ms(benchlib.percentile(times, 0.95)),
                benchlib.ms(max(times, default=float("nan"))),
            ]
        )
        for outcome, name in (("success", "réussies"), ("conflict", "conflits")):
            times = by_outcome.get((kind, outcome), [])
            summary.append(
                [
                    f"{label}, {name}",
                    benchlib.number(len(times)),
                    benchlib.ms(benchlib.percentile(times, 0.5)),
                    benchlib.ms(benchlib.percentile(times, 0.95)),
                    benchlib.ms(max(times, default=float("nan"))),
                ]
            )
    print(f"\nSur les {args.rounds} tours (latence depuis le départ commun, attente du verrou comprise) :\n")
    print(benchlib.table(["réservations", "appels", "p50 ms", "p95 ms", "max ms"], summary))
    print("\nRésultat :", "conforme" if all_ok else "NON CONFORME")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
