"""Server time of the grant instructors' queue (``/aides/instruction/``) over 50,000 dossiers.

    .venv/bin/python bench/bench_grants_queue.py                         # SQLite and PostgreSQL (when reachable)
    .venv/bin/python bench/bench_grants_queue.py --database sqlite --samples 30
    .venv/bin/python bench/bench_grants_queue.py --dossiers 50000 --regenerate
    .venv/bin/python bench/bench_grants_queue.py --explain "texte"      # SQL and plans of one case

Each database is a throwaway bench database (``/tmp/cc_bench/grants-<n>.sqlite3`` or
``cc_bench_grants_<n>``), built once (``--regenerate`` to rebuild): migrated, the territory
loaded, one programme, 5,000 businesses and ``--dossiers`` dossiers spread over every canton,
every state but draft and three years of submissions, a third of them assigned to the
instructor (``instructeur@bench.test``, TOTP set up), bulk-created (a bulk load is not an
action of a person). Then a fresh process, pinned to ONE core, signs the instructor in with
Django's test Client and times whole requests in-process (middleware, view, queries,
template; no network) after warm-up requests; one more request counts the SQL queries.

Cases: the default queue (« à traiter », oldest first), one canton, a text search (accents
and case folded), a SIRET search, page 100 of every state, the largest aids first, « mes
dossiers ». Target: p95 < 200 ms. Figures are printed; not a test.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import benchlib
from bench_directory import QueryTimer, database_version
from generate_places import recreate_database

TARGET_P95_MS = 200.0
PAGE = "/aides/instruction/"
INSTRUCTOR_EMAIL = "instructeur@bench.test"
BUSINESSES = 5000
BATCH = 5000
SQLITE_TEMPLATE = f"sqlite:///{benchlib.VAR_DIR}/grants-{{n}}.sqlite3"
POSTGRES_TEMPLATE = "postgres://postgres@127.0.0.1:5432/cc_bench_grants_{n}"

WORDS_1 = ["Scierie", "Fromagerie", "Garage", "Boulangerie", "Menuiserie", "Gîte", "Ferme", "Élevage", "Café"]
WORDS_2 = ["des Planèzes", "du Lioran", "de la Truyère", "Chassang", "Lavergne", "des Estives", "du Puy Mary"]
STATES = [
    ("submitted", 10),
    ("under_review", 10),
    ("corrections", 5),
    ("accepted", 35),
    ("refused", 10),
    ("closed", 5),
    ("paid", 25),
]


def default_url(database: str, dossiers: int) -> str:
    template = {"sqlite": SQLITE_TEMPLATE, "postgres": POSTGRES_TEMPLATE, "postgresql": POSTGRES_TEMPLATE}.get(database)
    return template.replace("{n}", str(dossiers)) if template else database


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", connect_timeout=2):
            return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False


def generate(dossiers: int, *, seed: int) -> dict[str, float]:
    """Fill the (freshly migrated) bench database. Django is configured."""
    from allauth.mfa.models import Authenticator
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from cybercantal.accounts.models import Organisation, Role, RoleMembership, User
    from cybercantal.grants.models import Application, ExpenseCategory, GrantProgramme
    from cybercantal.territory.models import Canton

    timings: dict[str, float] = {}
    step = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
    call_command("territory_import", verbosity=0, skip_checks=True)
    timings["migrate + territory"] = time.perf_counter() - step
    rng = random.Random(seed)
    step = time.perf_counter()
    today = timezone.localdate()
    programme = GrantProgramme.objects.create(
        slug="auverdata",
        code="AUV",
        name="Auverdata",
        funder="Région Auvergne-Rhône-Alpes",
        rate_percent=Decimal("50.00"),
        cap_per_application=Decimal("5000.00"),
        budget=Decimal("500000000.00"),
        opens_on=today - timedelta(days=3 * 365),
        closes_on=today + timedelta(days=365),
        is_published=True,
    )
    ExpenseCategory.objects.create(programme=programme, code="equipement", label="Équipement")
    instructor = User.objects.create(email=INSTRUCTOR_EMAIL, first_name="Anne", last_name="Instructrice")
    other = User.objects.create(email="autre@bench.test", first_name="Paul", last_name="Instructeur")
    for user in (instructor, other):
        user.set_unusable_password()
        user.save()
        RoleMembership.objects.create(user=user, role=Role.GRANT_INSTRUCTOR)
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    cantons = list(Canton.objects.prefetch_related("communes").order_by("code"))
    places = []
    for canton in cantons:
        communes = [c for c in canton.communes.all() if c.kind == "actuelle"] or list(canton.communes.all())
        places.append((canton, communes))
    with transaction.atomic():
        Organisation.objects.bulk_create(
            [
                Organisation(
                    name=f"{rng.choice(WORDS_1)} {rng.choice(WORDS_2)} {n}",
                    slug=f"entreprise-bench-{n}",
                    kind=Organisation.Kind.BUSINESS,
                    siret=f"{80000000000000 + n:014d}",
                )
                for n in range(BUSINESSES)
            ],
            batch_size=BATCH,
        )
    organisations = list(
        Organisation.objects.filter(kind=Organisation.Kind.BUSINESS).values_list("pk", "name", "siret")
    )
    timings["programme, people"] = time.perf_counter() - step
    step = time.perf_counter()
    states = [state for state, weight in STATES for _ in range(weight)]
    now = timezone.now()
    rows = []
    for n in range(dossiers):
        org_pk, name, siret = organisations[n % len(organisations)]
        canton, communes = places[n % len(places)]
        status = rng.choice(states)
        eligible = Decimal(rng.randrange(50000, 1200000)) / 100
        aid = min((eligible / 2).quantize(Decimal("0.01")), Decimal("5000.00"))
        submitted = now - timedelta(minutes=rng.randrange(0, 3 * 365 * 24 * 60))
        decided = status in ("accepted", "paid", "refused", "closed")
        row = Application(
            programme=programme,
            reference=f"AUV-{submitted.year}-{n + 1:06d}",
            organisation_id=org_pk,
            status=status,
            business_name=name,
            siret=siret,
            contact_email=f"contact{n}@bench.test",
            premises_address=f"{n % 90 + 1} route du Bourg",
            premises_commune=rng.choice(communes) if communes else None,
            canton=canton,
            eligibility=rng.choice(["eligible"] * 8 + ["not_eligible", "to_check"]),
            eligible_total=eligible,
            computed_aid=aid,
            decided_amount=aid if status in ("accepted", "paid") else None,
            paid_amount=aid if status == "paid" else Decimal("0.00"),
            submitted_at=submitted,
            first_submitted_at=submitted,
            decided_at=submitted + timedelta(days=20) if decided else None,
            instructor=(instructor if n % 3 == 0 else other if n % 3 == 1 else None) if status != "submitted" else None,
        )
        rows.append(row)
        if len(rows) >= BATCH:
            with transaction.atomic():
                Application.objects.bulk_create(rows, batch_size=BATCH)
            rows.clear()
    if rows:
        with transaction.atomic():
            Application.objects.bulk_create(rows, batch_size=BATCH)
    timings["dossiers"] = time.perf_counter() - step
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return timings


def build_cases() -> list[tuple[str, str]]:
    from cybercantal.grants.models import Application
    from cybercantal.territory.models import Canton

    canton = Canton.objects.order_by("code").first()
    siret = Application.objects.order_by("pk").values_list("siret", flat=True).first() or ""

    def page(**params: Any) -> str:
        return f"{PAGE}?{urlencode(params)}" if params else PAGE

    return [
        ("à traiter, plus anciens d'abord (page par défaut)", page()),
        (f"un canton ({canton.name})", page(canton=canton.slug)),
        ("texte « planezes » (accents et casse ignorés)", page(q="planezes")),
        ("texte « boulangerie truyere », tous états", page(q="boulangerie truyere", etat="tous")),
        ("SIRET (début)", page(q=siret[:9])),
        ("tous états, page 100", page(etat="tous", page=100)),
        ("tous états, aide la plus élevée d'abord", page(etat="tous", tri="montant_desc")),
        ("mes dossiers, tous états", page(etat="tous", instructeur="moi")),
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
    url = args.database_url
    benchlib.check_bench_database(url)
    path = benchlib.sqlite_path(url)
    fresh = args.regenerate
    if path is not None and not path.exists():
        fresh = True
    if path is None and not fresh:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            fresh = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None
    if fresh:
        recreate_database(url)
    pinned = benchlib.pin_to_one_core(0)
    benchlib.configure_django(url)
    from django.db import connection
    from django.test import Client

    from cybercantal.accounts.models import User
    from cybercantal.grants.models import Application

    timings: dict[str, float] = {}
    if fresh or not User.objects.filter(email=INSTRUCTOR_EMAIL).exists():
        timings = generate(args.dossiers, seed=args.seed)
    client = Client()
    client.force_login(User.objects.get(email=INSTRUCTOR_EMAIL))
    results = []
    for name, path in build_cases():
        if args.explain:
            if args.explain.lower() in name.lower():
                explain(client, path, name)
            continue
        result = run_case(client, path, warmup=args.warmup, samples=args.samples, budget=args.case_budget)
        results.append({"name": name, "path": path, **result})
    return {
        "url": url,
        "engine": benchlib.engine_label(url),
        "version": database_version(connection),
        "pinned": pinned,
        "dossiers": Application.objects.count(),
        "generation": timings,
        "cases": results,
    }


def explain(client: Any, path: str, name: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    print(f"\n### {name} : {len(captured.captured_queries)} requêtes\n")
    for number, query in enumerate(captured.captured_queries, 1):
        sql = query["sql"]
        print(f"-- {number}. {float(query['time']) * 1000:.1f} ms\n{sql[:800]}\n")
        if sql.lstrip().upper().startswith("SELECT") and float(query["time"]) > 0.005:
            prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
            with connection.cursor() as cursor:
                cursor.execute(prefix + sql)
                for row in cursor.fetchall():
                    print("   ", " ".join(str(cell) for cell in row))


def print_result(result: dict[str, Any]) -> None:
    generation = ", ".join(f"{k} {v:.0f} s" for k, v in result["generation"].items())
    print(
        f"\n## {result['engine']} ({result['version']}) — {benchlib.number(result['dossiers'])} dossiers; "
        f"{result['pinned']}{'; génération : ' + generation if generation else ''}\n"
    )
    table = []
    for case in result["cases"]:
        ok = case["statuses"] == [200]
        verdict = "oui" if case["p95"] < TARGET_P95_MS else "NON"
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
    parser.add_argument("--dossiers", type=int, default=50000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--regenerate", action="store_true", help="reconstruit la base même si elle existe")
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
    if args.database_url:
        urls = [args.database_url]
    else:
        urls = []
        for database in (d.strip() for d in args.database.split(",") if d.strip()):
            if database.startswith("postgres") and not postgres_reachable():
                print("(PostgreSQL injoignable sur 127.0.0.1:5432 : cas ignoré)")
                continue
            urls.append(default_url(database, args.dossiers))
    results = []
    for url in urls:
        benchlib.check_bench_database(url)
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [sys.executable, __file__, "--worker", "--database-url", url, "--json", out.name]
            command += ["--samples", str(args.samples), "--warmup", str(args.warmup), "--seed", str(args.seed)]
            command += ["--case-budget", str(args.case_budget), "--dossiers", str(args.dossiers)]
            if args.regenerate:
                command.append("--regenerate")
            if args.explain:
                command += ["--explain", args.explain]
            completed = subprocess.run(command, check=False)
            if completed.returncode != 0:
                print(f"(échec sur {url})")
                continue
            if args.explain:
                continue
            result = json.loads(Path(out.name).read_text())
        results.append(result)
        print_result(result)
    if args.json and results:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
