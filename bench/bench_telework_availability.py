"""Server time of a telecentre's week availability over 5 years of about 1 million bookings.

    .venv/bin/python bench/generate_telework.py                   # once: cc_bench_telework
    .venv/bin/python bench/bench_telework_availability.py          # all the cases, 200 weeks each
    .venv/bin/python bench/bench_telework_availability.py --samples 500 --cases "fonction"
    .venv/bin/python bench/bench_telework_availability.py --explain      # plans of the week's SQL
    .venv/bin/python bench/bench_telework_availability.py --profile "page semaine (anonyme)"

On the database built by ``generate_telework.py`` (PostgreSQL, a name starting with
``cc_bench``; never the developer's ``var/`` database), in this process pinned to one core
(``--no-pin`` to leave it free), each case is called for ``--samples`` random weeks after
``--warmup`` calls not counted:

- ``queries.booking.week_grid(telecentre, monday)``, the function of the page, for a random
  telecentre and a random week of the whole span (4 years past, 1 year ahead), then for the
  busiest telecentre only (the largest pool);
- the page ``/telecentres/<slug>/disponibilites/?vue=semaine&jour=…`` through Django's test
  Client (every middleware, the view, the queries, the template; no network), anonymous and
  signed in as a member of the telecentre, for random weeks of the span the page accepts
  (a year back, up to the end of the data ahead);
- the day view ``?vue=jour&jour=…`` and ``day_grid``, for comparison.

Printed per case: p50, p95 and max of the elapsed time, p95 of this process's CPU time (it
does not count PostgreSQL's own work, which is in ``SQL ms``), SQL queries per call, SQL time
per call (p50), confirmed bookings read per week (median). Target: p95 < 50 ms.
``--explain`` prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the bookings query of a busy week;
``--profile CASE`` the top functions (cProfile) of a case. ``--proposed`` measures with the
change proposed for ``queries/booking.py`` (``PROPOSED`` below: the bookings read grouped by
period), applied in memory after checking that it gives the same grids on 60 random weeks;
``--show-diff`` prints it as a diff. Figures are printed; nothing here is a test.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import os
import pstats
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import benchlib
from bench_directory import database_version

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_telework"
TARGET_MS = 50.0
BUSIEST = "Télécentre La Halle aux Grains"


# The change proposed for ``queries/booking.py`` (docs/performances-telecentres.md): the
# bookings of the period are read grouped by resource and period with their count. A pool's
# bookings share a few periods (morning, afternoon, day): a busy pool's week is ~1,000 rows
# read, parsed and scanned by every cell, and becomes ~15 rows. Applied in memory by
# ``--proposed`` (the module is re-executed with it), never written to the file.
PROPOSED = [
    ("from django.db.models import Q, QuerySet", "from django.db.models import Count, Q, QuerySet"),
    (
        """    closures: list[Closure]
    bookings: dict[int, list[tuple[dt.datetime, dt.datetime, dt.datetime]]]
""",
        """    closures: list[Closure]
    # Per resource: (starts_at, ends_at, blocked_until, how many confirmed bookings have that period).
    bookings: dict[int, list[tuple[dt.datetime, dt.datetime, dt.datetime, int]]]
""",
    ),
    (
        """    bookings: dict[int, list[tuple[dt.datetime, dt.datetime, dt.datetime]]] = defaultdict(list)
    if resources:""",
        """    bookings: dict[int, list[tuple[dt.datetime, dt.datetime, dt.datetime, int]]] = defaultdict(list)
    if resources:""",
    ),
    (
        """            .filter(blocked_until__gt=start)
            .values_list("resource_id", "starts_at", "ends_at", "blocked_until")
        )
        for resource_id, starts_at, ends_at, blocked_until in rows:
            bookings[resource_id].append((starts_at, ends_at, blocked_until))""",
        """            .filter(blocked_until__gt=start)
            # A pool's bookings share a few periods (morning, afternoon, day): one row per
            # resource and period with its count, not one per booking (~1,000 a week in a busy pool).
            .values("resource_id", "starts_at", "ends_at", "blocked_until")
            .annotate(n=Count("pk"))
            .order_by()
            .values_list("resource_id", "starts_at", "ends_at", "blocked_until", "n")
        )
        for resource_id, starts_at, ends_at, blocked_until, n in rows:
            bookings[resource_id].append((starts_at, ends_at, blocked_until, n))""",
    ),
    (
        """    taken: list[tuple[dt.datetime, dt.datetime, dt.datetime]], start: dt.datetime, end: dt.datetime
) -> int:
    \"\"\"Same count as ``availability.seats_taken``: the peak over the period.\"\"\"
    inside = [(s, e) for s, e, _b in taken if s < end and e > start]
    if not inside:
        return 0
    instants = {start} | {s for s, _e in inside if start <= s < end}
    return max(sum(1 for s, e in inside if s <= instant < e) for instant in instants)""",
        """    taken: list[tuple[dt.datetime, dt.datetime, dt.datetime, int]], start: dt.datetime, end: dt.datetime
) -> int:
    \"\"\"Same count as ``availability.seats_taken``: the peak over the period.\"\"\"
    inside = [(s, e, n) for s, e, _b, n in taken if s < end and e > start]
    if not inside:
        return 0
    instants = {start} | {s for s, _e, _n in inside if start <= s < end}
    return max(sum(n for s, e, n in inside if s <= instant < e) for instant in instants)""",
    ),
    (
        "elif any(s < end + buffer and b > start for s, _e, b in taken):",
        "elif any(s < end + buffer and b > start for s, _e, b, _n in taken):",
    ),
]


def grid_signature(weeks_of: list[tuple[Any, dt.date]], now: dt.datetime) -> list[Any]:
    """What a person reads in the week grids: each cell's state, seats left and free runs."""
    from cybercantal.telework.queries import booking as queries

    signature = []
    for telecentre, monday in weeks_of:
        grid = queries.week_grid(telecentre, monday, now=now)
        for row in grid.rows:
            for cell in row.cells:
                runs = tuple((i.starts_at, i.ends_at) for i in getattr(cell, "intervals", []))
                steps = tuple(step.state for step in getattr(cell, "steps", []))
                signature.append((row.day, cell.label, cell.state, getattr(cell, "free", None), runs, steps))
    return signature


def apply_proposed(show: bool, *, check_weeks: int = 60) -> None:
    """Re-execute ``queries.booking`` with ``PROPOSED`` (in memory) after checking that it gives the
    same grids as the code in place for ``check_weeks`` weeks; print the diff if ``show``."""
    import difflib
    import importlib

    from django.utils import timezone

    from cybercantal.telework.models import Telecentre

    rng = random.Random(7)
    today = timezone.localdate()
    now = timezone.now()
    from cybercantal.telework.demo.network import TELECENTRES

    names = [spec.place for spec in TELECENTRES]
    telecentres = list(Telecentre.objects.select_related("place").filter(place__name__in=names).order_by("pk"))
    sample = [
        (rng.choice(telecentres), today + dt.timedelta(days=rng.randint(-4 * 365, 365))) for _ in range(check_weeks)
    ]
    before = grid_signature(sample, now)
    module = importlib.import_module("cybercantal.telework.queries.booking")
    path = module.__file__ or ""
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    patched = source
    for old, new in PROPOSED:
        if patched.count(old) != 1:
            raise SystemExit(f"--proposed : le module a changé, ce passage n'y est plus tel quel :\n{old}")
        patched = patched.replace(old, new)
    exec(compile(patched, path, "exec"), module.__dict__)  # noqa: S102 - our own module, in memory
    after = grid_signature(sample, now)
    if before != after:
        raise SystemExit("--proposed : les grilles diffèrent de celles du code en place ; changement refusé.")
    print(f"Changement proposé : grilles identiques à celles du code en place sur {check_weeks} semaines.\n")
    if show:
        diff = difflib.unified_diff(
            source.splitlines(keepends=True),
            patched.splitlines(keepends=True),
            "a/src/cybercantal/telework/queries/booking.py",
            "b/src/cybercantal/telework/queries/booking.py",
        )
        print("### Changement proposé (appliqué en mémoire)\n\n```diff\n" + "".join(diff) + "```\n")


@dataclass
class Case:
    name: str
    call: Callable[[int], Any]  # sample number -> response or grid
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)


def database_url(arg: str) -> str:
    if arg:
        return arg
    env = os.environ.get("DATABASE_URL", "")
    return env if env.rsplit("/", 1)[-1].startswith("cc_bench_telework") else DEFAULT_URL


def weeks(first: dt.date, last: dt.date, count: int, rng: random.Random) -> list[dt.date]:
    """``count`` random Mondays with their whole week between ``first`` and ``last``."""
    monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    mondays = []
    while monday + dt.timedelta(days=6) <= last:
        mondays.append(monday)
        monday += dt.timedelta(days=7)
    if not mondays:
        raise SystemExit(f"Aucune semaine entière entre le {first} et le {last}.")
    return [rng.choice(mondays) for _ in range(count)]


def build_cases(*, samples: int, warmup: int, seed: int) -> tuple[list[Case], dict[str, Any]]:
    from django.db.models import Max, Min
    from django.test import Client
    from django.utils import timezone

    from cybercantal.telework.demo.network import TELECENTRES
    from cybercantal.telework.models import Booking, Membership, Telecentre
    from cybercantal.telework.queries import booking as queries

    # The generator's seven (not the one bench_telework_contention.py may have added).
    names = [spec.place for spec in TELECENTRES]
    telecentres = list(Telecentre.objects.select_related("place", "operator").filter(place__name__in=names))
    telecentres = [t for t in sorted(telecentres, key=lambda t: names.index(t.place.name)) if t.resources.exists()]
    if not telecentres:
        raise SystemExit("La base est vide : lancez d'abord bench/generate_telework.py.")
    span = Booking.objects.aggregate(first=Min("starts_at"), last=Max("starts_at"))
    first = timezone.localtime(span["first"]).date()
    last = timezone.localtime(span["last"]).date()
    today = timezone.localdate()
    busiest = next((t for t in telecentres if t.place.name == BUSIEST), telecentres[0])
    rng = random.Random(seed)
    total = samples + warmup
    # The page accepts a day within a year back and two years ahead (views.booking._parse_day).
    page_first, page_last = max(first, today - dt.timedelta(days=360)), min(last, today + dt.timedelta(days=725))
    all_weeks = weeks(first, last, total, rng)
    page_weeks = weeks(page_first, page_last, total, rng)
    pick = [rng.choice(telecentres) for _ in range(total)]
    pick_page = [rng.choice(telecentres) for _ in range(total)]
    anonymous = Client(HTTP_ACCEPT_LANGUAGE="fr")
    members = {}
    for telecentre in telecentres:
        membership = Membership.objects.filter(telecentre=telecentre).select_related("member").order_by("pk").first()
        client = Client(HTTP_ACCEPT_LANGUAGE="fr")
        if membership is not None:
            client.force_login(membership.member)
        members[telecentre.pk] = client

    def page(client_of: Callable[[Any], Any], view: str, day_of: Callable[[int], dt.date]) -> Callable[[int], Any]:
        def call(n: int) -> Any:
            telecentre = pick_page[n]
            response = client_of(telecentre).get(
                f"/telecentres/{telecentre.slug}/disponibilites/", {"vue": view, "jour": day_of(n).isoformat()}
            )
            if response.status_code != 200 or b"booking-" not in response.content:
                raise SystemExit(f"{telecentre.slug} {day_of(n)} : réponse {response.status_code} inattendue")
            return response

        return call

    def random_day(n: int) -> dt.date:
        return page_weeks[n] + dt.timedelta(days=n % 5)

    cases = [
        Case("fonction week_grid, 7 télécentres, 5 ans", lambda n: queries.week_grid(pick[n], all_weeks[n])),
        Case(f"fonction week_grid, {busiest.place.name}", lambda n: queries.week_grid(busiest, all_weeks[n])),
        Case("page semaine (anonyme)", page(lambda t: anonymous, "semaine", lambda n: page_weeks[n])),
        Case("page semaine (membre connecté)", page(lambda t: members[t.pk], "semaine", lambda n: page_weeks[n])),
        Case("fonction day_grid, 7 télécentres", lambda n: queries.day_grid(pick_page[n], random_day(n))),
        Case("page jour (anonyme)", page(lambda t: anonymous, "jour", random_day)),
    ]
    info = {
        "telecentres": telecentres,
        "busiest": busiest,
        "first": first,
        "last": last,
        "page_first": page_first,
        "page_last": page_last,
        "bookings": Booking.objects.count(),
        "pools": {t.place.name: [r.capacity for r in t.resources.all() if r.kind == "seat_pool"] for t in telecentres},
    }
    return cases, info


class RowCounter:
    """``execute_wrapper`` that counts queries, their time, and the booking rows fetched."""

    def __init__(self) -> None:
        self.queries = 0
        self.ms = 0.0
        self.rows = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - start) * 1000
            self.queries += 1
            if 'FROM "telework_booking"' in sql:
                cursor = context["cursor"]
                self.rows += max(0, getattr(cursor, "rowcount", 0) or 0)


def measure(case: Case, *, samples: int, warmup: int, budget: float) -> None:
    from django.db import close_old_connections, connection

    for n in range(warmup):
        case.call(n)
        close_old_connections()
    started = time.monotonic()
    for n in range(warmup, warmup + samples):
        counter = RowCounter()
        with connection.execute_wrapper(counter):
            cpu = time.process_time()
            begin = time.perf_counter()
            case.call(n)
            case.times.append((time.perf_counter() - begin) * 1000)
            case.cpu.append((time.process_time() - cpu) * 1000)
        case.queries.append(counter.queries)
        case.sql_ms.append(counter.ms)
        case.rows.append(counter.rows)
        close_old_connections()
        if time.monotonic() - started > budget:
            break


def explain(info: dict[str, Any]) -> None:
    """EXPLAIN ANALYZE of the bookings query of the busiest telecentre's busiest week ahead."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from cybercantal.telework.queries import booking as queries

    monday = timezone.localdate() + dt.timedelta(days=14)
    monday -= dt.timedelta(days=monday.weekday())
    with CaptureQueriesContext(connection) as captured:
        queries.week_grid(info["busiest"], monday)
    for query in captured.captured_queries:
        if 'FROM "telework_booking"' not in query["sql"]:
            continue
        print(f"\n### Requête des réservations, {info['busiest'].place.name}, semaine du {monday:%d/%m/%Y}\n")
        print("```sql\n" + query["sql"] + "\n```\n")
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            print("```\n" + "\n".join(row[0] for row in cursor.fetchall()) + "\n```")


def profile(case: Case, *, samples: int) -> None:
    from django.db import close_old_connections

    for n in range(5):
        case.call(n)
    profiler = cProfile.Profile()
    profiler.enable()
    for n in range(5, 5 + samples):
        case.call(n)
        close_old_connections()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(35)
    print(f"\n### Profil de « {case.name} », {samples} appels\n\n```\n{out.getvalue()}\n```")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
    print(f"```\n{out.getvalue()}\n```")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help=f"une base PostgreSQL cc_bench… (défaut : {DEFAULT_URL})")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--case-budget", type=float, default=90.0, help="secondes au plus par cas")
    parser.add_argument("--cases", default="", help="seulement les cas dont le nom contient ce texte")
    parser.add_argument("--no-pin", action="store_true", help="ne pas épingler le processus sur un cœur")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument(
        "--proposed", action="store_true", help="mesure avec le changement proposé de queries/booking.py (en mémoire)"
    )
    parser.add_argument("--show-diff", action="store_true", help="affiche ce changement (diff)")
    parser.add_argument("--profile", default="", metavar="CAS", help="profile le cas dont le nom contient CAS")
    args = parser.parse_args(argv)
    args.samples = max(1, min(args.samples, 5000))
    args.warmup = max(1, min(args.warmup, 100))
    url = database_url(args.database_url)
    if not url.startswith(("postgres", "pgsql")):
        raise SystemExit("Ce banc d'essai veut PostgreSQL (une base cc_bench…).")
    pinned = "processus non épinglé" if args.no_pin else benchlib.pin_to_one_core(0)
    benchlib.configure_django(url)
    from django.db import connection

    if args.proposed:
        apply_proposed(args.show_diff)
    cases, info = build_cases(samples=args.samples, warmup=args.warmup, seed=args.seed)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"# Disponibilités de la semaine — {database_version(connection)} ({connection.settings_dict['NAME']})\n\n"
        f"{benchlib.number(info['bookings'])} réservations, {len(info['telecentres'])} télécentres, "
        f"du {info['first']:%d/%m/%Y} au {info['last']:%d/%m/%Y} ; semaines des pages entre le "
        f"{info['page_first']:%d/%m/%Y} et le {info['page_last']:%d/%m/%Y} (ce que la page accepte). "
        f"Espaces partagés : {', '.join(f'{n} {c}' for n, c in info['pools'].items())}.\n"
        f"{args.samples} semaines tirées au hasard par cas (graine {args.seed}) après {args.warmup} appels "
        f"de chauffe ; {pinned} ; {os.cpu_count()} cœurs, charge moyenne au départ {load}"
        + (" ; AVEC le changement proposé de queries/booking.py (en mémoire)" if args.proposed else "")
        + ".\n"
    )
    if args.explain:
        explain(info)
    if args.profile:
        chosen = [c for c in cases if args.profile.lower() in c.name.lower()]
        if not chosen:
            raise SystemExit(f"Aucun cas ne contient « {args.profile} ».")
        profile(chosen[0], samples=min(args.samples, 200))
        return 0
    selected = [c for c in cases if args.cases.lower() in c.name.lower()]
    rows = []
    missed = []
    for case in selected:
        measure(case, samples=args.samples, warmup=args.warmup, budget=args.case_budget)
        p95 = benchlib.percentile(case.times, 0.95)
        if ("semaine" in case.name or "week_grid" in case.name) and p95 >= TARGET_MS:
            missed.append(case.name)
        rows.append(
            [
                case.name,
                len(case.times),
                benchlib.ms(benchlib.percentile(case.times, 0.50)),
                benchlib.ms(p95),
                benchlib.ms(max(case.times)),
                benchlib.ms(benchlib.percentile(case.cpu, 0.50)),
                benchlib.ms(benchlib.percentile(case.cpu, 0.95)),
                f"{statistics.median(case.queries):g}"
                + ("" if min(case.queries) == max(case.queries) else f" ({min(case.queries)}–{max(case.queries)})"),
                benchlib.ms(statistics.median(case.sql_ms)),
                benchlib.number(int(statistics.median(case.rows))),
            ]
        )
        print(f"  {case.name} : p95 {benchlib.ms(p95)} ms", file=sys.stderr, flush=True)
    print(
        benchlib.table(
            [
                "cas",
                "appels",
                "p50 ms",
                "p95 ms",
                "max ms",
                "CPU p50 ms",
                "CPU p95 ms",
                "requêtes SQL",
                "SQL ms",
                "réservations lues",
            ],
            rows,
        )
    )
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nCharge moyenne à la fin : {load}.")
    if missed:
        print(f"Objectif p95 < {TARGET_MS:.0f} ms MANQUÉ : {', '.join(missed)}.")
    else:
        print(f"Objectif p95 < {TARGET_MS:.0f} ms tenu pour la semaine (fonction et page).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
