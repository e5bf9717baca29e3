"""Server time of the directory, nearest places and place page at 1x, 10x, 100x data.

    .venv/bin/python bench/bench_directory.py --scales 1,10,100                # SQLite
    .venv/bin/python bench/bench_directory.py --scales 100 --database postgres
    .venv/bin/python bench/bench_directory.py --database-url postgres://postgres@127.0.0.1:5432/cc_bench_{places}
    .venv/bin/python bench/bench_directory.py --scales 100 --profile "aurillac"   # cProfile of one case
    .venv/bin/python bench/bench_directory.py --scales 100 --explain "ouvert"     # SQL and query plans

The databases come from ``generate_places.py`` (same ``--database``/``--scales``). For each
scale a fresh process, pinned to ONE core (``os.sched_setaffinity``), sends requests through
Django's test Client in-process: the time measured is the whole request/response cycle in
the view stack (middleware, view, queries, template), without any network. After each
request the process does what the WSGI handler does at the end of a request
(``close_old_connections``: SQLite reopens its file, PostgreSQL keeps its connection).

Each case: warm-up requests, then ``--samples`` timed requests (rotating over several slugs
or points where the case has them); one more request counts the SQL queries. The clock is
frozen (``--at``, a Tuesday at 10:30 by default) so that "open now" is the busy case of the
day and the figures are reproducible; ``--at now`` keeps the real clock. Figures are printed
(Markdown tables); nothing here is a test. Target: p95 under 100 ms at 100x (35,000 places).
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import math
import os
import pstats
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import benchlib

DEFAULT_AT = "2026-03-10T10:30"  # a Tuesday, no public holiday
SERVICE = "Aide aux démarches administratives"


@dataclass
class Case:
    """One measured request (``paths`` are rotated), or one call of a query function."""

    name: str
    paths: list[str] = field(default_factory=list)
    call: Callable[[int], Any] | None = None
    results: int | None = None  # how many places match (for the directory cases)


def build_cases(rng: random.Random, timeout: float) -> list[Case]:
    from django.db.models import Count, Q

    from cybercantal.places import queries
    from cybercantal.places.models import Place
    from cybercantal.territory.models import Canton, Commune

    published = Place.objects.published()
    total = published.count()

    def found(**filters: Any) -> int:
        """How many published places match (-1 when counting takes longer than ``timeout``)."""
        try:
            with deadline(timeout):
                return queries.directory(**filters).count()
        except RequestTimeoutError:
            return -1

    def lieux(**params: Any) -> str:
        return "/lieux/?" + urlencode(params) if params else "/lieux/"

    aurillac = Commune.objects.current().filter(name="Aurillac").first()
    mauriac = Commune.objects.current().filter(name="Mauriac").first()
    canton = (
        Canton.objects.annotate(n=Count("places", filter=Q(places__status="published"))).order_by("-n", "code").first()
    )
    last_page = max(1, math.ceil(total / 20))
    all_slugs = list(published.order_by("pk").values_list("slug", flat=True))
    slugs = rng.sample(all_slugs, min(50, len(all_slugs)))
    communes = list(Commune.objects.current().exclude(latitude=None).values_list("latitude", "longitude"))
    points = rng.sample(communes, min(50, len(communes)))

    cases = [
        Case("vue nue /bench/bare/ (référence)", ["/bench/bare/"]),
        Case("annuaire /lieux/", [lieux()], results=total),
        Case("texte « riom es montagnes »", [lieux(q="riom es montagnes")], results=found(text="riom es montagnes")),
        Case("texte « aurillac »", [lieux(q="aurillac")], results=found(text="aurillac")),
        Case("texte « epn »", [lieux(q="epn")], results=found(text="epn")),
        Case(
            "texte « st flour mediatheque »",
            [lieux(q="st flour mediatheque")],
            results=found(text="st flour mediatheque"),
        ),
    ]
    if canton is not None:
        cases.append(Case("canton le plus fourni", [lieux(canton=canton.slug)], results=found(canton=canton)))
    cases += [
        Case("service (aide aux démarches)", [lieux(service=SERVICE)], results=found(service=SERVICE)),
        Case("ouvert maintenant", [lieux(ouvert="on")], results=found(open_now=True)),
    ]
    if mauriac is not None:
        cases.append(Case("près de Mauriac (tri par distance)", [lieux(pres_de="Mauriac")], results=total))
    if aurillac is not None:
        cases.append(
            Case(
                "« epn » + ouvert + près d'Aurillac",
                [lieux(q="epn", ouvert="on", pres_de="Aurillac")],
                results=found(text="epn", open_now=True),
            )
        )
    cases.append(Case("dernière page de l'annuaire", [lieux(page=last_page)], results=total))
    if points:
        cases.append(
            Case("nearest() 10 lieux (fonction)", call=lambda i: queries.nearest(*points[i % len(points)], 10))
        )
        cases.append(
            Case(
                "API /api/lieux/proches",
                [f"/api/lieux/proches?{urlencode({'lat': lat, 'lon': lon, 'limit': 10})}" for lat, lon in points],
            )
        )
    if slugs:
        cases.append(Case("fiche d'un lieu /lieux/<slug>/", [f"/lieux/{slug}/" for slug in slugs]))
    return cases


class QueryTimer:
    """``connection.execute_wrapper`` that records each query's SQL and time (ms, microsecond precision)."""

    def __init__(self) -> None:
        self.queries: list[tuple[str, float]] = []

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((sql, (time.perf_counter() - start) * 1000))


class RequestTimeoutError(Exception):
    """A request went past ``--request-timeout``: its SQL was interrupted."""


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Interrupt the running SQL after ``seconds`` (SQLite ``interrupt()``, PostgreSQL ``cancel()``).

    A query that the planner turns quadratic can take minutes at 35,000 places; the bench must
    stop by itself, so such a request is cut and reported as "> timeout".
    """
    from django.db import connections

    wrapper = connections["default"]  # this thread's connection wrapper
    fired = threading.Event()

    def interrupt() -> None:
        raw = wrapper.connection
        if raw is None:
            return
        fired.set()
        if wrapper.vendor == "sqlite":
            raw.interrupt()
        else:
            raw.cancel()

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield
    except Exception as exc:
        if fired.is_set():
            raise RequestTimeoutError from exc
        raise
    finally:
        timer.cancel()
    if fired.is_set():  # the interruption landed after the last query: not a timeout
        return


def run_case(client: Any, case: Case, *, warmup: int, samples: int, budget: float, timeout: float) -> dict[str, Any]:
    """Warm-up then timed requests, within ``budget`` seconds for the case (at least one sample)."""
    from django.db import close_old_connections, connection

    statuses: set[int] = set()
    size = 0

    def once(i: int) -> None:
        nonlocal size
        try:
            with deadline(timeout):
                if case.call is not None:
                    case.call(i)
                else:
                    response = client.get(case.paths[i % len(case.paths)])
                    statuses.add(response.status_code)
                    size = len(response.content)
        finally:
            close_old_connections()

    times: list[float] = []
    cpu_times: list[float] = []
    timed_out = False
    case_started = time.perf_counter()
    try:
        for i in range(warmup):
            if time.perf_counter() - case_started > budget / 4:
                break
            once(i)
        for i in range(samples):
            if times and time.perf_counter() - case_started > budget:
                break
            start, cpu_start = time.perf_counter(), time.process_time()
            once(i)
            times.append((time.perf_counter() - start) * 1000)
            cpu_times.append((time.process_time() - cpu_start) * 1000)
    except RequestTimeoutError:
        timed_out = True
        times.append(timeout * 1000)
    query_count: int | str = "?"
    sql_ms = math.nan
    slowest = None
    if not timed_out:
        timer = QueryTimer()
        with connection.execute_wrapper(timer), deadline(timeout):
            if case.call is not None:
                case.call(0)
            else:
                client.get(case.paths[0])
        close_old_connections()
        query_count = len(timer.queries)
        sql_ms = sum(ms for _sql, ms in timer.queries)
        slowest = max(timer.queries, key=lambda q: q[1], default=None)
    return {
        "name": case.name,
        "samples": len(times),
        "timed_out": timed_out,
        "p50": benchlib.percentile(times, 0.50),
        "p95": benchlib.percentile(times, 0.95),
        "max": max(times),
        "mean": sum(times) / len(times),
        "cpu_p50": benchlib.percentile(cpu_times, 0.50),
        "cpu_p95": benchlib.percentile(cpu_times, 0.95),
        "queries": query_count,
        "sql_ms": sql_ms,
        "slowest_sql": slowest[0] if slowest else "",
        "statuses": sorted(statuses),
        "bytes": size,
        "results": case.results,
    }


def frozen_clock(at: str) -> Any:
    """A patch of ``django.utils.timezone.now`` to ``at`` (Europe/Paris), or a no-op for "now"."""
    if at == "now":
        return contextlib.nullcontext()
    from django.utils import timezone

    moment = timezone.make_aware(datetime.fromisoformat(at))
    return mock.patch.object(timezone, "now", return_value=moment)


def worker(args: argparse.Namespace) -> dict[str, Any]:
    pinned = benchlib.pin_to_one_core(0)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    benchlib.configure_django(args.database_url)
    from django.db import connection
    from django.test import Client

    from cybercantal.places.models import Place, PlaceOpeningSlot

    places = Place.objects.count()
    if places == 0:
        raise SystemExit(f"La base {args.database_url} est vide : lancez d'abord bench/generate_places.py.")
    rng = random.Random(args.seed)
    client = Client()
    with frozen_clock(args.at):
        cases = build_cases(rng, args.request_timeout)
        if args.profile or args.explain:
            wanted = (args.profile or args.explain).lower()
            chosen = [case for case in cases if wanted in case.name.lower()]
            if not chosen:
                raise SystemExit(f"Aucun cas ne contient « {wanted} » : {[c.name for c in cases]}")
            for case in chosen:
                if args.profile:
                    profile_case(client, case, samples=args.samples)
                else:
                    explain_case(client, case)
            return {}
        results = [
            run_case(
                client,
                case,
                warmup=args.warmup,
                samples=args.samples,
                budget=args.case_budget,
                timeout=args.request_timeout,
            )
            for case in cases
        ]
    return {
        "url": args.database_url,
        "engine": benchlib.engine_label(args.database_url),
        "database_version": database_version(connection),
        "places": places,
        "published": Place.objects.published().count(),
        "slots": PlaceOpeningSlot.objects.count(),
        "pinned": pinned,
        "load": load,
        "at": args.at,
        "samples": args.samples,
        "warmup": args.warmup,
        "cases": results,
    }


def database_version(connection: Any) -> str:
    if connection.vendor == "sqlite":
        return "SQLite " + ".".join(map(str, connection.Database.sqlite_version_info))
    return f"PostgreSQL {connection.pg_version // 10000}.{connection.pg_version % 10000}"


def profile_case(client: Any, case: Case, *, samples: int) -> None:
    """cProfile over ``samples`` requests of ``case``: top functions by cumulative time."""
    from django.db import close_old_connections

    for i in range(5):
        client.get(case.paths[i % len(case.paths)]) if case.call is None else case.call(i)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(samples):
        client.get(case.paths[i % len(case.paths)]) if case.call is None else case.call(i)
        close_old_connections()
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    print(f"\n### Profil : {case.name} ({samples} requêtes)\n")
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(20)
    print(out.getvalue())


def explain_case(client: Any, case: Case) -> None:
    """Each SQL query of one request of ``case``, its time and its query plan."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(case.paths[0]) if case.call is None else case.call(0)
    print(f"\n### Requêtes SQL : {case.name} ({len(captured.captured_queries)} requêtes)\n")
    for number, query in enumerate(captured.captured_queries, 1):
        sql = query["sql"]
        print(f"-- {number}. {float(query['time']) * 1000:.1f} ms\n{sql}\n")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql)
            for row in cursor.fetchall():
                print("   ", " ".join(str(cell) for cell in row))
        print()


def _ms(case: dict[str, Any], key: str) -> str:
    """Milliseconds, or "> N" for a case whose request was interrupted."""
    if case.get("timed_out") and key in {"p95", "max"}:
        return f"> {case[key]:.0f}"
    if case.get("timed_out") and case["samples"] == 1:
        return f"> {case[key]:.0f}"
    return benchlib.ms(case[key])


def print_scale(result: dict[str, Any]) -> None:
    target = benchlib.TARGET_P95_MS
    n = benchlib.number
    print(
        f"\n## {result['engine']} — {n(result['places'])} lieux ({n(result['published'])} publiés, "
        f"{n(result['slots'])} créneaux), {result['samples']} mesures par cas après {result['warmup']} "
        f"de chauffe, horloge {result['at']}, {result['pinned']}, "
        f"charge moyenne au départ (1, 5, 15 min) {result['load']}, {result['database_version']}\n"
    )
    rows = []
    for case in result["cases"]:
        ok = case["statuses"] in ([200], [])
        if not ok:
            verdict = "ERREUR " + str(case["statuses"])
        elif case["timed_out"]:
            verdict = "NON (interrompue)"
        else:
            verdict = "oui" if case["p95"] < target else "NON"
        results = {None: "", -1: "?"}.get(case["results"]) if case["results"] in {None, -1} else None
        results = results if results is not None else benchlib.number(case["results"])
        rows.append(
            [
                case["name"],
                case["samples"],
                _ms(case, "p50"),
                _ms(case, "p95"),
                _ms(case, "max"),
                benchlib.ms(case["cpu_p50"]),
                benchlib.ms(case["cpu_p95"]),
                case["queries"],
                benchlib.ms(case["sql_ms"]),
                results,
                verdict,
            ]
        )
    print(
        benchlib.table(
            [
                "cas",
                "n",
                "p50 ms",
                "p95 ms",
                "max ms",
                "CPU p50",
                "CPU p95",
                "requêtes SQL",
                "SQL ms",
                "résultats",
                f"p95 < {target:.0f} ms",
            ],
            rows,
        )
    )


def print_growth(results: list[dict[str, Any]]) -> None:
    """p95 per case and scale, and the ratio between the largest and the smallest scale."""
    if len(results) < 2:
        return
    print(f"\n## {results[0]['engine']} — p95 (ms) selon le volume\n")
    headers = ["cas", *[benchlib.number(r["places"]) for r in results], "rapport"]
    rows = []
    for i, case in enumerate(results[0]["cases"]):
        found = [r["cases"][i] if i < len(r["cases"]) else None for r in results]
        values = [c["p95"] if c else math.nan for c in found]
        ratio = values[-1] / values[0] if values[0] else math.nan
        cells = [(_ms(c, "p95") if c else "—") for c in found]
        timed_out = any(c and c["timed_out"] for c in found)
        rows.append([case["name"], *cells, ("> " if timed_out else "") + f"×{ratio:.1f}"])
    print(benchlib.table(headers, rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="1,10,100", help="échelles (1x = 350 lieux)")
    parser.add_argument("--database", default="sqlite", help="sqlite, postgres ou un modèle d'URL avec {places}")
    parser.add_argument("--database-url", default="", help="modèle d'URL avec {places}, ou l'URL d'une seule base")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--case-budget", type=float, default=30.0, help="secondes au plus par cas (≥ 1 mesure)")
    parser.add_argument("--request-timeout", type=float, default=10.0, help="requête interrompue au-delà (s)")
    parser.add_argument("--at", default=DEFAULT_AT, help="heure figée (ISO, Europe/Paris) ou « now »")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--profile", default="", help="profile le(s) cas dont le nom contient ce texte")
    parser.add_argument("--explain", default="", help="affiche les requêtes SQL et leurs plans pour ce cas")
    parser.add_argument("--json", default="", help="écrit aussi les résultats dans ce fichier JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.samples = max(1, min(args.samples, 5000))
    args.warmup = max(0, min(args.warmup, 1000))

    if args.worker:
        result = worker(args)
        if args.json:
            Path(args.json).write_text(json.dumps(result, ensure_ascii=False))
        return 0

    template = args.database_url or benchlib.template_for(args.database)
    urls = (
        [benchlib.database_url(template, benchlib.places_for(s)) for s in benchlib.parse_scales(args.scales)]
        if "{places}" in template
        else [template]
    )
    results = []
    for url in urls:
        benchlib.check_bench_database(url)
        with tempfile.NamedTemporaryFile(
            suffix=".json", dir=benchlib.VAR_DIR if benchlib.VAR_DIR.exists() else None
        ) as out:
            command = [sys.executable, __file__, "--worker", "--database-url", url, "--json", out.name]
            command += ["--samples", str(args.samples), "--warmup", str(args.warmup), "--at", args.at]
            command += ["--seed", str(args.seed), "--case-budget", str(args.case_budget)]
            command += ["--request-timeout", str(args.request_timeout)]
            if args.profile:
                command += ["--profile", args.profile]
            if args.explain:
                command += ["--explain", args.explain]
            subprocess.run(command, check=True, timeout=1800)
            if args.profile or args.explain:
                continue
            result = json.loads(Path(out.name).read_text())
        results.append(result)
        print_scale(result)
    print_growth(results)
    if args.json and results:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
