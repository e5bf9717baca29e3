"""Server time of the occupancy pages over 5 years of 7 telecentres and about 1 million bookings.

    .venv/bin/python bench/bench_telework_occupancy.py                    # build the database, measure
    .venv/bin/python bench/bench_telework_occupancy.py --reuse            # measure the database already built
    .venv/bin/python bench/bench_telework_occupancy.py --bookings 200000  # a smaller network
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_tw .venv/bin/python bench/bench_telework_occupancy.py

The database (PostgreSQL, name starting with ``cc_bench``; ``DATABASE_URL`` when it names one)
is dropped, created, migrated and filled with ``bulk_create`` (no services: a bulk load is not
an action of a person): seven telecentres of the Cantal opening one after another over the
first two years, open Monday to Friday 8 h – 19 h (public holidays off), each with a seat pool
sized for about 75 % of its seat-halves booked, three offices and a meeting room; 5,000 members
with a declared commute (80 %) and a membership; 15 employers with agreements; bookings on every
open day until yesterday: pool half-days and days, offices by half-day, the room by two hours;
8 % cancelled, 3 % released no-shows, 70 % of the others checked in, 30 % paid by an agreement.

Then, in this process pinned to one core, the programme manager's requests are timed with
Django's test Client (middleware, view, queries, template; no network) after warm-up: the
network page (this month and its 12 months, then a month a year ago), the busiest
telecentre's page (heat map, resources, months; 12 months, then 5 years), the CSV export
(12 months). One more request of each counts the SQL queries and their time. Figures are
printed; nothing here is a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from decimal import Decimal
from typing import Any

import benchlib
from bench_directory import QueryTimer, database_version

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_telework_occupancy"
MANAGER_EMAIL = "pilotage@bench.test"
YEARS = 5
TELECENTRES = [
    ("Télécentre de Murat", 0),
    ("Télécentre de Riom-ès-Montagnes", 90),
    ("Télécentre d'Allanche", 180),
    ("Télécentre de Condat", 300),
    ("Télécentre de Saint-Flour", 420),
    ("Télécentre de Mauriac", 560),
    ("Télécentre de Maurs", 700),
]  # name, days after the network's start when it opens
HOURS = "Mo-Fr 08:00-19:00; PH off"
CHUNK = 20_000


def database_url(arg: str) -> str:
    if arg:
        return arg
    env = os.environ.get("DATABASE_URL", "")
    return env if env.rsplit("/", 1)[-1].startswith("cc_bench") else DEFAULT_URL


def generate(url: str, *, bookings: int, seed: int) -> dict[str, Any]:
    from generate_places import recreate_database

    started = time.perf_counter()
    recreate_database(url)
    benchlib.configure_django(url)

    from allauth.mfa.models import Authenticator
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from cybercantal.accounts.models import Organisation, Role, RoleMembership, User
    from cybercantal.places import hours
    from cybercantal.telework import models as tw
    from cybercantal.telework.services.slots import local
    from cybercantal.telework.tests.factories import ResourceFactory, TelecentreFactory

    call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
    migrated = time.perf_counter() - started
    rng = random.Random(seed)
    today = timezone.localdate()
    start = today - dt.timedelta(days=365 * YEARS)

    telecentres = []
    for name, offset in TELECENTRES:
        telecentres.append(
            TelecentreFactory(opens_on=start + dt.timedelta(days=offset), place__name=name, place__opening_hours=HOURS)
        )
    # Open days per telecentre (public holidays off), then the pool size for ~75 % booked.
    open_days = {
        t.pk: [
            start + dt.timedelta(days=n)
            for n in range((today - start).days)
            if start + dt.timedelta(days=n) >= t.opens_on and hours.day_slots(HOURS, start + dt.timedelta(days=n))
        ]
        for t in telecentres
    }
    total_days = sum(len(days) for days in open_days.values())
    per_day = max(14, bookings // max(1, total_days))
    pool_per_day = per_day - 3 * 2 - 4  # offices: morning and afternoon; the room: four slots
    seats = min(500, max(4, round(pool_per_day * 1.15 / 2 / 0.75)))
    resources = {}
    for telecentre in telecentres:
        resources[telecentre.pk] = {
            "pool": ResourceFactory(telecentre=telecentre, name="Open space", capacity=seats),
            "offices": [
                ResourceFactory(telecentre=telecentre, name=f"Bureau {n}", kind=tw.ResourceKind.OFFICE)
                for n in (1, 2, 3)
            ],
            "room": ResourceFactory(
                telecentre=telecentre, name="Salle de réunion", kind=tw.ResourceKind.MEETING_ROOM, capacity=8
            ),
        }

    users = [User(email=MANAGER_EMAIL, first_name="Chargée", last_name="De programme")]
    users += [User(email=f"membre-{n}@bench.test", first_name="Membre", last_name=str(n)) for n in range(5000)]
    for user in users:
        user.set_unusable_password()
    with transaction.atomic():
        User.objects.bulk_create(users, batch_size=5000)
    manager = User.objects.get(email=MANAGER_EMAIL)
    RoleMembership.objects.create(user=manager, role=Role.PROGRAMME_MANAGER)
    Authenticator.objects.create(user=manager, type=Authenticator.Type.TOTP, data={"secret": "x"})
    members = list(User.objects.exclude(pk=manager.pk).values_list("pk", flat=True))
    modes = [m for m, _label in tw.MemberProfile.CommuteMode.choices]
    profiles = [
        tw.MemberProfile(
            user_id=pk,
            commute_km=Decimal(rng.randint(5, 120)) if rng.random() < 0.8 else None,
            commute_mode=rng.choices(modes, weights=[60, 10, 10, 10, 10])[0],
        )
        for pk in members
    ]
    employers = [
        Organisation(name=f"Employeur {n}", slug=f"employeur-bench-{n}", kind=Organisation.Kind.EMPLOYER)
        for n in range(15)
    ]
    with transaction.atomic():
        tw.MemberProfile.objects.bulk_create(profiles, batch_size=5000)
        Organisation.objects.bulk_create(employers)
    agreements = []
    for n, employer in enumerate(Organisation.objects.filter(slug__startswith="employeur-bench-")):
        agreement = tw.EmployerAgreement.objects.create(
            reference=f"CONV-BENCH-{n}",
            employer=employer,
            status=tw.AgreementStatus.ACTIVE,
            signed_on=start,
            starts_on=start + dt.timedelta(days=60 * n),
            day_price_excl_tax=Decimal("15.00"),
        )
        agreement.telecentres.set(rng.sample(telecentres, rng.randint(1, 3)))
        agreements.append(agreement)
    home = {pk: rng.choice(telecentres) for pk in members}
    plans = {
        t.pk: tw.Plan.objects.create(telecentre=t, name="Carnet", kind=tw.PlanKind.CARNET, price_excl_tax=150)
        for t in telecentres
    }
    memberships = [
        tw.Membership(
            member_id=pk,
            telecentre=home[pk],
            plan=plans[home[pk].pk],
            starts_on=home[pk].opens_on + dt.timedelta(days=rng.randint(0, max(1, (today - home[pk].opens_on).days))),
        )
        for pk in members
    ]
    with transaction.atomic():
        tw.Membership.objects.bulk_create(memberships, batch_size=5000)
    by_telecentre: dict[int, list[int]] = {t.pk: [] for t in telecentres}
    for pk, telecentre in home.items():
        by_telecentre[telecentre.pk].append(pk)

    made = 0
    rows: list[Any] = []
    statuses = (tw.BookingStatus.CONFIRMED, tw.BookingStatus.CANCELLED, tw.BookingStatus.RELEASED)

    def flush() -> None:
        nonlocal made
        with transaction.atomic():
            tw.Booking.objects.bulk_create(rows, batch_size=5000)
        made += len(rows)
        rows.clear()

    bounds: dict[tuple[dt.date, int], dt.datetime] = {}

    def at(day: dt.date, minutes: int) -> dt.datetime:
        if (day, minutes) not in bounds:
            bounds[(day, minutes)] = local(day, minutes)
        return bounds[(day, minutes)]

    def add(resource: Any, member: int, day: dt.date, begin: int, end: int, part: str) -> None:
        draw = rng.random()
        status = statuses[0] if draw < 0.89 else statuses[1] if draw < 0.97 else statuses[2]
        starts_at, ends_at = at(day, begin), at(day, end)
        rows.append(
            tw.Booking(
                resource=resource,
                member_id=member,
                agreement=rng.choice(agreements) if rng.random() < 0.3 else None,
                starts_at=starts_at,
                ends_at=ends_at,
                blocked_until=ends_at,
                part=part,
                exclusive=resource.kind != tw.ResourceKind.SEAT_POOL,
                status=status,
                checkin_code=f"K{made + len(rows):011d}",
                checked_in_at=starts_at + dt.timedelta(minutes=7)
                if status == tw.BookingStatus.CONFIRMED and rng.random() < 0.7
                else None,
                released_at=starts_at + dt.timedelta(hours=1) if status == tw.BookingStatus.RELEASED else None,
                cancelled_at=starts_at - dt.timedelta(days=2) if status == tw.BookingStatus.CANCELLED else None,
            )
        )
        if len(rows) >= CHUNK:
            flush()

    parts = [(tw.DayPart.MORNING, 480, 780), (tw.DayPart.AFTERNOON, 780, 1140), (tw.DayPart.DAY, 480, 1140)]
    for telecentre in telecentres:
        own = resources[telecentre.pk]
        people = by_telecentre[telecentre.pk] or members
        for day in open_days[telecentre.pk]:
            for _ in range(pool_per_day):
                part, begin, end = rng.choices(parts, weights=[40, 40, 20])[0]
                add(own["pool"], rng.choice(people), day, begin, end, part)
            for office in own["offices"]:
                add(office, rng.choice(people), day, 480, 780, "")
                add(office, rng.choice(people), day, 780, 1140, "")
            for begin in (480, 600, 840, 960):
                add(own["room"], rng.choice(people), day, begin, begin + 120, "")
    if rows:
        flush()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    return {
        "url": url,
        "bookings": made,
        "seats": seats,
        "open_days": total_days,
        "migrate_s": migrated,
        "total_s": time.perf_counter() - started,
    }


def measure(*, samples: int, warmup: int) -> list[dict[str, Any]]:
    from django.db import close_old_connections, connection
    from django.db.models import Count
    from django.test import Client
    from django.utils import timezone

    from cybercantal.accounts.models import User
    from cybercantal.telework.models import Booking, Telecentre
    from cybercantal.telework.queries.occupancy import add_months

    client = Client()
    client.force_login(User.objects.get(email=MANAGER_EMAIL))
    busiest = Telecentre.objects.annotate(n=Count("resources__bookings")).order_by("-n").select_related("place").first()
    month = timezone.localdate().replace(day=1)
    year_ago = add_months(month, -12)
    five_years = {"du": f"{add_months(month, -59):%Y-%m}", "au": f"{month:%Y-%m}"}
    page = f"/telecentres/gestion/{busiest.slug}/occupation/"
    cases = [
        ("réseau : ce mois et ses 12 mois (page par défaut)", "/telecentres/pilotage/", {}),
        (f"réseau : {year_ago:%m/%Y} et ses 12 mois", "/telecentres/pilotage/", {"mois": f"{year_ago:%Y-%m}"}),
        (f"{busiest.name} : carte jour × heure, 12 mois", page, {}),
        (f"{busiest.name} : carte jour × heure, 5 ans", page, five_years),
        (
            "export CSV du réseau, 12 mois",
            "/telecentres/pilotage/export.csv",
            {"du": f"{add_months(month, -11):%Y-%m}", "au": f"{month:%Y-%m}"},
        ),
    ]
    results = []
    print(f"Réservations : {benchlib.number(Booking.objects.count())} ; base : {database_version(connection)}")
    for name, url, params in cases:
        for _ in range(warmup):
            client.get(url, params)
            close_old_connections()
        times = []
        for _ in range(samples):
            begin = time.perf_counter()
            response = client.get(url, params)
            times.append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            close_old_connections()
        timer = QueryTimer()
        with connection.execute_wrapper(timer):
            client.get(url, params)
        slowest = max(timer.queries, key=lambda q: q[1], default=("", 0.0))
        results.append(
            {
                "name": name,
                "p50": benchlib.percentile(times, 0.5),
                "p95": benchlib.percentile(times, 0.95),
                "queries": len(timer.queries),
                "sql_ms": sum(ms for _sql, ms in timer.queries),
                "slowest_ms": slowest[1],
            }
        )
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help="une base PostgreSQL cc_bench… (défaut : DATABASE_URL)")
    parser.add_argument("--bookings", type=int, default=1_000_000, help="réservations visées (environ)")
    parser.add_argument("--samples", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="mesurer la base déjà construite")
    args = parser.parse_args(argv)
    url = database_url(args.database_url)
    if not url.startswith(("postgres", "pgsql")):
        raise SystemExit("Ce banc d'essai veut PostgreSQL (une base cc_bench…).")
    pinned = benchlib.pin_to_one_core(0)
    if args.reuse:
        benchlib.configure_django(url)
    else:
        built = generate(url, bookings=args.bookings, seed=args.seed)
        print(
            f"Base construite en {built['total_s']:.0f} s (dont migrations {built['migrate_s']:.0f} s) : "
            f"{benchlib.number(built['bookings'])} réservations, {benchlib.number(built['open_days'])} jours ouverts "
            f"(télécentre × jour), espaces partagés de {built['seats']} postes."
        )
    print(f"Mesures : {pinned}, {args.samples} requêtes par cas après {args.warmup} d'échauffement.\n")
    results = measure(samples=args.samples, warmup=args.warmup)
    print(
        benchlib.table(
            ["cas", "p50 (ms)", "p95 (ms)", "requêtes SQL", "SQL (ms)", "plus lente (ms)"],
            [
                [
                    r["name"],
                    benchlib.ms(r["p50"]),
                    benchlib.ms(r["p95"]),
                    r["queries"],
                    benchlib.ms(r["sql_ms"]),
                    benchlib.ms(r["slowest_ms"]),
                ]
                for r in results
            ],
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
