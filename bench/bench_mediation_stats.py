"""Server time of the EPN statistics page over 5 years of a network of 100 EPN.

    .venv/bin/python bench/bench_mediation_stats.py                        # SQLite (/tmp/cc_bench/mediation.sqlite3)
    .venv/bin/python bench/bench_mediation_stats.py --database postgres    # cc_bench_mediation
    .venv/bin/python bench/bench_mediation_stats.py --database sqlite,postgres --samples 40
    .venv/bin/python bench/bench_mediation_stats.py --explain "canton"     # SQL and plans of one case

The databases come from ``generate_mediation.py``. For each database a fresh process, pinned
to ONE core, signs in the programme manager (or a mediator) with Django's test Client and
times whole requests in-process (middleware, view, queries, template; no network), after
one request per case and a full garbage collection (``warm_up_process``) and warm-up requests
per case; one more request counts the SQL queries. Cases: the network this year (the
page's default), the network over one full year, one canton over one year, one EPN over
5 years, the whole network over 5 years, a mediator's page, and the exports (CSV, ODS) and
the yearly PDF report. Target: p95 < 200 ms for the page. Figures are printed; not a test.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import benchlib
from bench_directory import QueryTimer, database_version
from generate_mediation import MANAGER_EMAIL, MEDIATOR_EMAIL, default_url

TARGET_P95_MS = 200.0
PAGE = "/mediation/statistiques/"


def build_cases() -> list[tuple[str, str, str]]:
    """(name, user email, path) of each case."""
    from django.db.models import Count
    from django.utils import timezone

    from cybercantal.places.models import Place
    from cybercantal.territory.models import Canton

    today = timezone.localdate()
    last_year = today.year - 1
    first_year = today.year - 4
    canton = Canton.objects.annotate(n=Count("places")).order_by("-n", "code").first()
    place = Place.objects.order_by("pk").first()
    five_years = {"du": f"{first_year}-01", "au": f"{today:%Y-%m}"}

    def page(**params: Any) -> str:
        return f"{PAGE}?{urlencode(params)}" if params else PAGE

    manager, mediator = MANAGER_EMAIL, MEDIATOR_EMAIL.format(n=0)
    return [
        ("réseau, année en cours (page par défaut)", manager, page()),
        (f"réseau, année {last_year}", manager, page(annee=last_year)),
        (f"un canton ({canton.name}), année {last_year}", manager, page(annee=last_year, canton=canton.slug)),
        ("un EPN sur 5 ans", manager, page(lieu=place.pk, **five_years)),
        ("réseau sur 5 ans", manager, page(**five_years)),
        ("réseau, une thématique, année " + str(last_year), manager, page(annee=last_year, theme="email")),
        ("médiateur (son EPN), année " + str(last_year), mediator, page(annee=last_year)),
        ("export CSV par lieu, réseau, année", manager, page(annee=last_year, format="csv", tableau="lieux")),
        ("export ODS, réseau, année", manager, page(annee=last_year, format="ods")),
        (f"rapport PDF {last_year}", manager, f"{PAGE}rapport-{last_year}.pdf"),
    ]


def run_case(client: Any, path: str, *, warmup: int, samples: int, budget: float) -> dict[str, Any]:
    from django.db import close_old_connections, connection

    statuses: set[int] = set()
    times: list[float] = []
    started = time.perf_counter()
    for _ in range(warmup):
        client.get(path)
        close_old_connections()
    for _ in range(samples):
        if times and time.perf_counter() - started > budget:
            break
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        statuses.add(response.status_code)
        close_old_connections()
    timer = QueryTimer()
    with connection.execute_wrapper(timer):
        client.get(path)
    close_old_connections()
    slowest = max(timer.queries, key=lambda q: q[1], default=("", 0.0))
    return {
        "samples": len(times),
        "p50": benchlib.percentile(times, 0.5),
        "p95": benchlib.percentile(times, 0.95),
        "max": max(times),
        "queries": len(timer.queries),
        "sql_ms": sum(ms for _sql, ms in timer.queries),
        "slowest_ms": slowest[1],
        "statuses": sorted(statuses),
    }


def worker(args: argparse.Namespace) -> dict[str, Any]:
    pinned = benchlib.pin_to_one_core(0)
    benchlib.configure_django(args.database_url)
    from django.db import connection
    from django.test import Client

    from cybercantal.accounts.models import User
    from cybercantal.mediation.models import Accompaniment, Registration, Session

    if not User.objects.filter(email=MANAGER_EMAIL).exists():
        raise SystemExit(f"La base {args.database_url} est vide : lancez d'abord bench/generate_mediation.py.")
    clients: dict[str, Any] = {}
    cases = build_cases()
    for _name, email, _path in cases:
        if email not in clients:
            clients[email] = Client()
            clients[email].force_login(User.objects.get(email=email))
    if not args.explain:
        warm_up_process(clients, cases)
    results = []
    for name, email, path in cases:
        if args.explain and args.explain.lower() not in name.lower():
            continue
        if args.explain:
            explain(clients[email], path, name)
            continue
        result = run_case(clients[email], path, warmup=args.warmup, samples=args.samples, budget=args.case_budget)
        results.append({"name": name, "path": path, **result})
    return {
        "url": args.database_url,
        "engine": benchlib.engine_label(args.database_url),
        "version": database_version(connection),
        "pinned": pinned,
        "rows": {
            "séances": Session.objects.count(),
            "inscriptions": Registration.objects.count(),
            "accompagnements": Accompaniment.objects.count(),
        },
        "cases": results,
    }


def warm_up_process(clients: dict[str, Any], cases: list[tuple[str, str, str]]) -> None:
    """One request per case, then a full garbage collection: the process is then like a
    server worker that has served its first requests. A fresh process fills its caches
    (templates, translations, URLs) during its first dozen requests, which triggers its first
    full collection (~100 ms of CPU, once per worker: gunicorn recycles them every 2,000
    requests); without this, that one-off cost lands in the p95 of whichever case comes first."""
    import gc

    from django.db import close_old_connections

    for _name, email, path in cases:
        clients[email].get(path)
        close_old_connections()
    gc.collect()


def explain(client: Any, path: str, name: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    print(f"\n### {name} : {len(captured.captured_queries)} requêtes\n")
    for number, query in enumerate(captured.captured_queries, 1):
        sql = query["sql"]
        print(f"-- {number}. {float(query['time']) * 1000:.1f} ms\n{sql[:600]}\n")
        if sql.lstrip().upper().startswith("SELECT") and float(query["time"]) > 0.005:
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
            with connection.cursor() as cursor:
                cursor.execute(prefix + sql)
                for row in cursor.fetchall():
                    print("   ", " ".join(str(cell) for cell in row))


def print_result(result: dict[str, Any]) -> None:
    n = benchlib.number
    rows = ", ".join(f"{n(v)} {k}" for k, v in result["rows"].items())
    print(f"\n## {result['engine']} ({result['version']}) — 100 EPN, {rows}; {result['pinned']}\n")
    table = []
    for case in result["cases"]:
        page = case["path"].startswith(PAGE + "?") or case["path"] == PAGE
        is_export = "format=" in case["path"] or case["path"].endswith(".pdf")
        ok = case["statuses"] == [200]
        verdict = ("oui" if case["p95"] < TARGET_P95_MS else "NON") if page and not is_export else "(export)"
        table.append(
            [
                case["name"],
                case["samples"],
                benchlib.ms(case["p50"]),
                benchlib.ms(case["p95"]),
                benchlib.ms(case["max"]),
                case["queries"],
                benchlib.ms(case["sql_ms"]),
                benchlib.ms(case["slowest_ms"]),
                verdict if ok else f"ERREUR {case['statuses']}",
            ]
        )
    headers = ["cas", "n", "p50 ms", "p95 ms", "max ms", "requêtes", "SQL ms", "plus lente ms"]
    print(benchlib.table([*headers, f"p95 < {TARGET_P95_MS:.0f} ms"], table))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite,postgres", help="sqlite, postgres (liste)")
    parser.add_argument("--database-url", default="", help="URL d'une base de bench (remplace --database)")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--case-budget", type=float, default=20.0)
    parser.add_argument("--explain", default="", help="requêtes et plans des cas dont le nom contient ce texte")
    parser.add_argument("--json", default="", help="écrit aussi les résultats dans ce fichier JSON")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        result = worker(args)
        if args.json:
            Path(args.json).write_text(json.dumps(result, ensure_ascii=False))
        return 0
    urls = [args.database_url] if args.database_url else [default_url(d.strip()) for d in args.database.split(",")]
    results = []
    for url in urls:
        benchlib.check_bench_database(url)
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, "--worker", "--database-url", url, "--json", out.name]
            command += ["--samples", str(args.samples), "--warmup", str(args.warmup)]
            command += ["--case-budget", str(args.case_budget)]
            if args.explain:
                command += ["--explain", args.explain]
            completed = subprocess.run(command, check=False)
            if completed.returncode != 0:
                print(f"(échec sur {url})")
                continue
            if args.explain:
                continue
            result = json.loads(Path(out.name).read_text())
        print_result(result)
        results.append(result)
    if args.json and results:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
