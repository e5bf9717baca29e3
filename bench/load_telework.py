"""Load benchmark of the booking journey: gunicorn on loopback, locust headless, bare view first.

    .venv/bin/python bench/generate_telework.py          # once: cc_bench_telework
    .venv/bin/python bench/load_telework.py              # bare view 60 s, then the journey 60 s
    .venv/bin/python bench/load_telework.py --users 20 --duration 30 --login form

It prepares ``--accounts`` members of the telecentre ``--telecentre`` (Murat's by default) in
the bench database (created once, kept: ``reservation<n>@telecentres.bench``, a carnet each,
a verified address and a password for the sign-in form) and a fresh session for each
(``Client.force_login``: a real session row), written to a JSON file for locust; the bookings
to come that earlier runs made for these accounts are cancelled (a bulk update). Then it
starts gunicorn itself on 127.0.0.1 (``--port``, 8108; ``--workers`` sync workers, 2;
``bench_settings``, the bench database), like ``load_directory.py``, and runs
``bench/locust_telework_booking.py`` headless (``--headless -u N -r N -t 60s --csv …``),
once with the user class ``BareUser`` (``/bench/bare/``: the baseline), once with
``BookingJourney`` (week availability, booking form, check, POST, the booking's page, « mes
réservations »). Each simulated user runs without think time (closed loop). gunicorn is
stopped at the end, whatever happens. Printed: requests/s, p50, p95, max, failures per run
and per step of the journey, the outcomes of the bookings (booked, taken, refused), and the
CPU the load generator itself used (it runs on the same 2 cores as gunicorn).

Sign-in: ``--login cookie`` (default: the prepared session cookie) or ``--login form``
(each simulated user signs in once through the real form; allauth allows 30 sign-ins a
minute per address: keep ``--users`` under 30). The request log of gunicorn (one JSON line per
request, with its duration inside Django) gives the server time of each step beside the
time locust sees (which adds the wait for a free worker). Figures are printed; nothing here is
a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import benchlib
from load_directory import HOST, Gunicorn

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_telework"
ACCOUNT_EMAIL = "reservation{n}@telecentres.bench"
PASSWORD = "banc-reservation-2026"  # noqa: S105 - bench accounts on a bench database only
LOCUSTFILE = benchlib.BENCH_DIR / "locust_telework_booking.py"


def database_url(arg: str) -> str:
    if arg:
        return arg
    env = os.environ.get("DATABASE_URL", "")
    return env if env.rsplit("/", 1)[-1].startswith("cc_bench_telework") else DEFAULT_URL


def prepare(url: str, *, count: int, telecentre_name: str, path: Path) -> dict[str, Any]:
    """The members, their sessions and the accounts file; returns what the report says."""
    benchlib.configure_django(url)
    from allauth.account.models import EmailAddress
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.db import connections, transaction
    from django.test import Client
    from django.utils import timezone

    from cybercantal.accounts.models import User
    from cybercantal.telework.models import Booking, BookingStatus, Membership, Plan, PlanKind, Telecentre

    telecentre = Telecentre.objects.select_related("place").filter(place__name=telecentre_name).first()
    if telecentre is None:
        raise SystemExit(f"« {telecentre_name} » est absent : lancez d'abord bench/generate_telework.py.")
    plan = Plan.objects.filter(telecentre=telecentre, kind=PlanKind.CARNET).order_by("pk").first()
    if plan is None:
        raise SystemExit(f"« {telecentre_name} » n'a pas de carnet : base incomplète.")
    hashed = make_password(PASSWORD)  # once: the same hash for every bench account
    accounts = []
    with transaction.atomic():
        for n in range(count):
            user, _created = User.objects.get_or_create(
                email=ACCOUNT_EMAIL.format(n=n), defaults={"first_name": "Personne", "last_name": f"Banc {n}"}
            )
            if user.password != hashed:
                User.objects.filter(pk=user.pk).update(password=hashed)
            EmailAddress.objects.update_or_create(
                user=user, email=user.email, defaults={"verified": True, "primary": True}
            )
            Membership.objects.get_or_create(
                member=user,
                telecentre=telecentre,
                ends_on=None,
                defaults={"plan": plan, "starts_on": timezone.localdate()},
            )
    users = list(User.objects.filter(email__endswith="@telecentres.bench", email__startswith="reservation"))
    users = sorted(users, key=lambda u: int(u.email.split("@")[0].removeprefix("reservation")))[:count]
    # The previous runs' bookings to come are cancelled (bench data, a bulk update): otherwise
    # each run finds more half-days already held by the same accounts, and books less.
    cancelled = Booking.objects.filter(
        member__in=users, status=BookingStatus.CONFIRMED, starts_at__gt=timezone.now()
    ).update(status=BookingStatus.CANCELLED, cancelled_at=timezone.now())
    for user in users:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        accounts.append(
            {
                "email": user.email,
                "password": PASSWORD,
                "cookie_name": cookie.key,
                "session": cookie.value,
                "slug": telecentre.slug,
            }
        )
    path.write_text(json.dumps(accounts, ensure_ascii=False, indent=1))
    info = {
        "telecentre": telecentre.place.name,
        "slug": telecentre.slug,
        "bookings": Booking.objects.count(),
        "cancelled": cancelled,
    }
    connections.close_all()
    return info


def run_locust(
    user_class: str, *, port: int, users: int, duration: int, prefix: Path, env: dict[str, str]
) -> dict[str, Any]:
    """One headless locust run; returns the CSV rows and the CPU the generator used."""
    command = [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{duration}s",
        "--csv",
        str(prefix),
        "--host",
        f"http://{HOST}:{port}",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "10",
        user_class,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    log = prefix.with_suffix(".log")
    with log.open("wb") as handle:
        done = subprocess.run(command, env=env, stdout=handle, stderr=subprocess.STDOUT, timeout=duration + 120)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise SystemExit(f"locust n'a pas écrit {stats} (code {done.returncode}) :\n{log.read_text()[-3000:]}")
    with stats.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {"rows": rows, "cpu": cpu, "elapsed": elapsed, "returncode": done.returncode, "log": log}


STEPS = [
    (re.compile(r"^GET /bench/bare/$"), "vue nue"),
    (re.compile(r"^GET /telecentres/[^/]+/disponibilites/$"), "1 disponibilités de la semaine"),
    (re.compile(r"^GET /telecentres/[^/]+/reserver/$"), "2 et 3 formulaire, vérification"),
    (re.compile(r"^POST /telecentres/[^/]+/reserver/$"), "4 réserver (envoi)"),
    (re.compile(r"^GET /telecentres/reservations/\d+/$"), "5 page de la réservation"),
    (re.compile(r"^GET /telecentres/mes-reservations/$"), "6 mes réservations"),
    (re.compile(r"^(GET|POST) /compte/login/$"), "0 connexion"),
]


def server_times(log: Path, offset: int) -> dict[str, list[float]]:
    """Durations (ms) the request log (``RequestLogMiddleware``) gives per step, after ``offset``."""
    times: dict[str, list[float]] = {}
    for entry in benchlib.request_log_entries(log, offset):
        key = f"{entry.get('method')} {entry.get('path')}"
        for pattern, step in STEPS:
            if pattern.match(key):
                times.setdefault(step, []).append(float(entry.get("duration_ms", "nan")))
                break
    return times


def number(row: dict[str, str], key: str) -> float:
    try:
        return float(row.get(key) or "nan")
    except ValueError:
        return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help=f"une base PostgreSQL cc_bench… (défaut : {DEFAULT_URL})")
    parser.add_argument("--telecentre", default="Télécentre La Gare", help="le télécentre où l'on réserve")
    parser.add_argument("--users", type=int, default=10, help="utilisateurs simulés en même temps")
    parser.add_argument("--duration", type=int, default=60, help="secondes par passage de locust")
    parser.add_argument("--accounts", type=int, default=50, help="comptes de membres préparés")
    parser.add_argument("--login", choices=["cookie", "form"], default="cookie")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="1 : workers sync ; plus : gthread (comme deploy/)")
    parser.add_argument("--port", type=int, default=benchlib.GUNICORN_PORT)
    parser.add_argument("--no-bare", action="store_true", help="sans le passage de la vue nue")
    parser.add_argument("--json", default="", help="écrit aussi les résultats dans ce fichier JSON")
    args = parser.parse_args(argv)
    args.users = max(1, min(args.users, 200))
    args.duration = max(5, min(args.duration, 600))
    args.accounts = max(args.users, min(args.accounts, 1000))
    args.workers = max(1, min(args.workers, 8))
    args.threads = max(1, min(args.threads, 16))
    url = database_url(args.database_url)
    if not url.startswith(("postgres", "pgsql")):
        raise SystemExit("Ce banc d'essai veut PostgreSQL (une base cc_bench…).")
    benchlib.VAR_DIR.mkdir(parents=True, exist_ok=True)
    accounts_file = benchlib.VAR_DIR / "telework-users.json"
    info = prepare(url, count=args.accounts, telecentre_name=args.telecentre, path=accounts_file)

    log = benchlib.VAR_DIR / f"gunicorn-telework-{args.port}.log"
    server = Gunicorn(url, args.port, args.workers, args.threads, log)

    def interrupted(signum: int, _frame: Any) -> None:
        server.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    env = dict(os.environ)
    outcomes_file = benchlib.VAR_DIR / "telework-outcomes.json"
    env.update(
        BENCH_TELEWORK_USERS=str(accounts_file),
        BENCH_TELEWORK_OUTCOMES=str(outcomes_file),
        BENCH_TELEWORK_LOGIN=args.login,
    )
    runs: list[tuple[str, str]] = [] if args.no_bare else [("vue nue", "BareUser")]
    runs.append(("parcours de réservation", "BookingJourney"))
    results = {}
    requests_log = log.with_suffix(".requests.log")
    try:
        server.start()
        for label, user_class in runs:
            offset = requests_log.stat().st_size if requests_log.exists() else 0
            if outcomes_file.exists():
                outcomes_file.unlink()
            prefix = benchlib.VAR_DIR / f"locust-telework-{user_class}"
            print(f"  locust {user_class} : {args.users} utilisateurs, {args.duration} s…", file=sys.stderr, flush=True)
            results[label] = run_locust(
                user_class, port=args.port, users=args.users, duration=args.duration, prefix=prefix, env=env
            )
            if outcomes_file.exists():
                results[label]["outcomes"] = json.loads(outcomes_file.read_text())
            results[label]["server"] = server_times(requests_log, offset)
    finally:
        server.stop()

    print(
        f"\n## Charge — parcours de réservation, gunicorn {args.workers} workers "
        f"{'sync' if args.threads == 1 else f'gthread × {args.threads} threads'} sur {HOST}:{args.port}, "
        f"PostgreSQL ({url.rsplit('/', 1)[-1]}, {benchlib.number(info['bookings'])} réservations), "
        f"{info['telecentre']} ; locust {args.users} utilisateurs sans temps de réflexion, {args.duration} s par "
        f"passage ; connexion : {'cookie de session préparé' if args.login == 'cookie' else 'formulaire'} ; "
        f"{info['cancelled']} réservations à venir des comptes du banc annulées au départ ; "
        f"{os.cpu_count()} cœurs, charge moyenne au départ {load}\n"
    )
    rows = []
    summary = []
    failed = False
    bare_rps = float("nan")
    for label, result in results.items():
        for row in result["rows"]:
            name = row["Name"]
            aggregated = name == "Aggregated"
            count = int(number(row, "Request Count"))
            failures = int(number(row, "Failure Count"))
            failed |= aggregated and failures > 0
            rps = number(row, "Requests/s")
            if not (aggregated and len(result["rows"]) == 2):  # one request name: the total says the same
                rows.append(
                    [
                        f"{label} — {'total' if aggregated else name}",
                        benchlib.number(count),
                        failures,
                        f"{rps:.1f}",
                        f"{number(row, '50%'):.0f}",
                        f"{number(row, '95%'):.0f}",
                        f"{number(row, 'Max Response Time'):.0f}",
                    ]
                )
            if aggregated:
                if label.startswith("vue nue"):
                    bare_rps = rps
                summary.append(
                    {
                        "run": label,
                        "requests": count,
                        "failures": failures,
                        "rps": rps,
                        "p50": number(row, "50%"),
                        "p95": number(row, "95%"),
                        "client_cpu": result["cpu"],
                        "elapsed": result["elapsed"],
                        "outcomes": result.get("outcomes", {}),
                    }
                )
    print(benchlib.table(["passage — requête", "requêtes", "échecs", "req/s", "p50 ms", "p95 ms", "max ms"], rows))
    server_rows = [
        [
            f"{label} — {step}",
            benchlib.number(len(times)),
            benchlib.ms(benchlib.percentile(times, 0.5)),
            benchlib.ms(benchlib.percentile(times, 0.95)),
            benchlib.ms(max(times)),
        ]
        for label, result in results.items()
        for step, times in sorted(result.get("server", {}).items())
        if times
    ]
    if server_rows:
        print(
            "\nTemps passé dans Django par requête (journal des requêtes de gunicorn, ``duration_ms`` : sous "
            "les middlewares, sans l'attente d'un worker libre ni le réseau) :\n"
        )
        print(benchlib.table(["passage — étape", "requêtes", "p50 ms", "p95 ms", "max ms"], server_rows))
    print()
    for item in summary:
        ratio = (
            f" ; {item['rps'] / bare_rps:.3f} × le débit de la vue nue"
            if bare_rps == bare_rps and not item["run"].startswith("vue nue")
            else ""
        )
        print(
            f"- {item['run']} : {item['rps']:.1f} req/s, p50 {item['p50']:.0f} ms, p95 {item['p95']:.0f} ms, "
            f"{item['failures']} échec(s) ; CPU de locust {100 * item['client_cpu'] / item['elapsed']:.0f} % d'un cœur"
            f"{ratio}."
        )
        if item["outcomes"]:
            total = sum(item["outcomes"].values())
            parts = ", ".join(f"{k} {v}" for k, v in sorted(item["outcomes"].items(), key=lambda kv: -kv[1]))
            print(f"  Parcours : {total} ; {parts}.")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, ensure_ascii=False, indent=1))
    if failed:
        print(f"\nDes requêtes ont échoué ; journaux : {log}, {benchlib.VAR_DIR}/locust-telework-*.log")
        print(server.tail())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
