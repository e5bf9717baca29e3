"""Load benchmark of the Monday-morning rush of the ENT: gunicorn on loopback, locust headless.

    .venv/bin/python bench/generate_learning.py                  # once: cc_bench_learning
    .venv/bin/python bench/load_learning.py                      # bare view, steps 25…200 users, burst
    .venv/bin/python bench/load_learning.py --only rush --login cookie --steps 25,50,100 --workers 2
    .venv/bin/python bench/load_learning.py --only rush --spawn-rate 1 --steps 25,50 --duration 120
    .venv/bin/python bench/load_learning.py --only burst --burst-rounds 5

Before each locust run, the bench database is put back as it was generated: the attempts
(and their answers) of « l'exercice du lundi » are deleted (raw ``DELETE``: the bench's own
rows), the sessions of earlier runs dropped, the exercise reopened if its dates ran out; then
the accounts file is written for locust (every pupil, in the order of their login
``banc.<n>``, so whole classes arrive together: login, password, the day's assignment of
their class, and with ``--login cookie`` a session made for them — a real session row, built
in bulk, with the hash of the password that every pupil shares).

gunicorn is started here on 127.0.0.1 (``--port``, 8108; ``--workers`` sync workers, 4, or
gthread with ``--threads``; ``bench_settings``, the bench database), like
``load_directory.py``, and stopped at the end whatever happens. Then:

1. the baseline: locust ``BareUser`` (``/bench/bare/``, no think time, ``--bare-users``) for
   ``--bare-duration`` seconds;
2. the rush: locust ``PupilMorning`` (``bench/locust_learning_rush.py``: sign-in, home,
   « Mes exercices », start, 10 questions answered one by one with think times of
   ``--think`` seconds, hand in, review: 37 requests in about 70 s; then the next pupil) at
   each user count of ``--steps`` (25, 50, 100, 200), users arriving at ``--spawn-rate`` a
   second (5: the issue's « half of the 5,500 collégiens within 10 minutes » is 4.6 a
   second), measured for ``--duration`` seconds (90) once all have arrived (locust
   ``--reset-stats``). A step is held when its p95 (all requests) is under ``--target`` ms
   (300) with no failure; the steps stop after the first one that is far from it (p95 over
   3 × the target, or more than 5 % failures). With ``--login form`` every arrival pays one
   check of the password (Argon2id since ADR 0013, about 20 ms of CPU; with the former
   PBKDF2, 0.5 s: at 5 arrivals a second, more than 2 cores); ``--login cookie`` measures
   the pages without it, and a lower
   ``--spawn-rate`` with a longer ``--duration`` the sign-in spread out;
3. the « same second » burst: the pupils of one class of ``--burst-size`` (25) pupils, each
   with their session and the « Mes exercices » page already loaded, press « Commencer » at
   the same instant (threads released by a barrier), then load their first question; then
   the same with two presses per pupil (a double click, two devices). After each round the
   database is read back: exactly one attempt per pupil, 10 answers each.

Printed: a table per step (users, req/s, p50, p95, max, failures, and per request), the
outcomes of the journeys, the server time per step (gunicorn's request log:
``duration_ms``, inside Django), the bare view's req/s and the knee: the highest req/s held
with p95 < ``--target`` ms and no failure. Load average at the start and end of each run.
The load generator runs on the same 2 cores as gunicorn and PostgreSQL (its CPU is printed).
Figures are printed; nothing here is a test.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import benchlib
from load_directory import HOST, Gunicorn

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_learning"
LOCUSTFILE = benchlib.BENCH_DIR / "locust_learning_rush.py"
STEPS = [
    ("GET /bench/bare/", "vue nue"),
    ("GET /ent/connexion/", "0a connexion (page)"),
    ("POST /ent/connexion/", "0b connexion (envoi)"),
    ("GET /ent/", "1 accueil ENT"),
    ("GET /ent/mes-exercices/", "2 mes exercices"),
    ("POST /ent/exercices-donnes/*/commencer/", "3 commencer (envoi)"),
    ("GET /ent/tentatives/*/", "4 question (page)"),
    ("POST /ent/tentatives/*/questions/*/", "5 réponse (enregistrement)"),
    ("GET /ent/tentatives/*/rendre/", "6 rendre (page)"),
    ("POST /ent/tentatives/*/rendre/", "7 rendre (envoi)"),
    ("GET /ent/tentatives/*/bilan/", "8 bilan"),
]


def database_url(arg: str) -> str:
    if arg:
        return arg
    env = os.environ.get("DATABASE_URL", "")
    return env if env.rsplit("/", 1)[-1].startswith("cc_bench_learning") else DEFAULT_URL


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


# --- the database: reset, accounts, sessions ---------------------------------------------------


def rush_assignments() -> dict[int, int]:
    """class id -> the day's assignment (« l'exercice du lundi »)."""
    from generate_learning import RUSH_TITLE

    from cybercantal.learning.models import Assignment

    found = dict(
        Assignment.objects.filter(exercise__title=RUSH_TITLE).values_list("school_class_id", "pk").order_by("pk")
    )
    if not found:
        raise SystemExit("« L'exercice du lundi » est absent : lancez d'abord bench/generate_learning.py.")
    return found


def reset(assignment_ids: list[int] | None = None) -> int:
    """Delete the attempts (and answers) of the day's assignments and every session; reopen
    the assignments. Returns how many attempts were deleted."""
    import datetime as dt

    from django.db import connection, transaction
    from django.utils import timezone

    from cybercantal.learning.models import Assignment

    ids = assignment_ids if assignment_ids is not None else list(rush_assignments().values())
    now = timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM learning_answer WHERE attempt_id IN "
            "(SELECT id FROM learning_attempt WHERE assignment_id = ANY(%s))",
            [ids],
        )
        cursor.execute("DELETE FROM learning_attempt WHERE assignment_id = ANY(%s)", [ids])
        deleted = cursor.rowcount
        if assignment_ids is None:
            cursor.execute("TRUNCATE django_session")
        Assignment.objects.filter(pk__in=ids).filter(closes_at__lt=now + dt.timedelta(days=1)).update(
            closes_at=now + dt.timedelta(days=7)
        )
        Assignment.objects.filter(pk__in=ids, opens_at__gt=now).update(opens_at=now - dt.timedelta(hours=1))
    return deleted


def make_sessions(user_ids: list[int]) -> dict[int, str]:
    """A session row per user, as ``login()`` leaves it (built in bulk; every pupil shares the
    same password hash, so the same session auth hash). Returns user id -> session key."""
    import datetime as dt

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from cybercantal.accounts.models import User

    store = SessionStore()
    users = {u.pk: u for u in User.objects.filter(pk__in=user_ids)}
    hashes: dict[str, str] = {}
    expire = timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    keys: dict[int, str] = {}
    rows = []
    for pk in user_ids:
        user = users[pk]
        auth_hash = hashes.get(user.password) or hashes.setdefault(user.password, user.get_session_auth_hash())
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(pk),
            BACKEND_SESSION_KEY: "django.contrib.auth.backends.ModelBackend",
            HASH_SESSION_KEY: auth_hash,
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expire))
        keys[pk] = key
    Session.objects.bulk_create(rows, batch_size=2000)
    return keys


def prepare(*, login: str, path: Path) -> dict[str, Any]:
    """Reset the database and write the accounts file; returns what the report says."""
    from django.conf import settings
    from django.db import connections
    from generate_learning import PASSWORD

    from cybercantal.learning.models import Answer, Enrolment, EntAccount

    started = time.perf_counter()
    rush = rush_assignments()
    deleted = reset()
    rows = list(
        EntAccount.objects.filter(login__startswith="banc.").values_list("login", "user_id").order_by("user_id")
    )
    class_of = dict(
        Enrolment.objects.filter(school_class_id__in=list(rush)).values_list("student_id", "school_class_id")
    )
    sessions = make_sessions([user_id for _login, user_id in rows]) if login == "cookie" else {}
    accounts = [
        {
            "login": login_name,
            "password": PASSWORD,
            "assignment": rush[class_of[user_id]],
            "cookie_name": settings.SESSION_COOKIE_NAME,
            "session": sessions.get(user_id, ""),
        }
        for login_name, user_id in rows
        if user_id in class_of
    ]
    path.write_text(json.dumps(accounts, ensure_ascii=False))
    info = {
        "pupils": len(accounts),
        "classes": len(rush),
        "answers": Answer.objects.count(),
        "deleted": deleted,
        "seconds": time.perf_counter() - started,
    }
    connections.close_all()
    return info


def journeys_done() -> dict[str, int]:
    from django.db import connections

    from cybercantal.learning.models import Answer, Attempt

    ids = list(rush_assignments().values())
    attempts = Attempt.objects.filter(assignment_id__in=ids)
    figures = {
        "tentatives": attempts.count(),
        "rendues": attempts.filter(state=Attempt.State.SUBMITTED).count(),
        "réponses données": Answer.objects.filter(attempt__assignment_id__in=ids, response__isnull=False).count(),
    }
    connections.close_all()
    return figures


# --- locust --------------------------------------------------------------------------------------


def run_locust(
    user_class: str, *, port: int, users: int, spawn_rate: float, duration: int, prefix: Path, env: dict[str, str]
) -> dict[str, Any]:
    """One headless locust run (stats reset once every user has arrived); the CSV rows, the
    CPU the generator used."""
    ramp = int(users / spawn_rate + 0.999)
    command = [
        str(Path(sys.executable).with_name("locust")),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(users),
        "-r",
        f"{spawn_rate:g}",
        "-t",
        f"{ramp + duration}s",
        "--reset-stats",
        "--csv",
        str(prefix),
        "--host",
        f"http://{HOST}:{port}",
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--stop-timeout",
        "5",
        user_class,
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    log = prefix.with_suffix(".log")
    start_load = load()
    with log.open("wb") as handle:
        done = subprocess.run(
            command, env=env, stdout=handle, stderr=subprocess.STDOUT, timeout=ramp + duration + 180, check=False
        )
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    stats = Path(f"{prefix}_stats.csv")
    if not stats.exists():
        raise SystemExit(f"locust n'a pas écrit {stats} (code {done.returncode}) :\n{log.read_text()[-3000:]}")
    with stats.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        "rows": rows,
        "cpu": cpu,
        "elapsed": elapsed,
        "returncode": done.returncode,
        "log": log,
        "load_start": start_load,
        "load_end": load(),
        "ramp": ramp,
    }


def number(row: dict[str, str], key: str) -> float:
    try:
        return float(row.get(key) or "nan")
    except ValueError:
        return float("nan")


def aggregated(result: dict[str, Any]) -> dict[str, str]:
    return next((row for row in result["rows"] if row["Name"] == "Aggregated"), {})


def server_times(log: Path, offset: int) -> dict[str, list[float]]:
    """Durations (ms) per step from gunicorn's request log (``RequestLogMiddleware``), after ``offset``."""
    import fnmatch

    times: dict[str, list[float]] = {}
    for entry in benchlib.request_log_entries(log, offset):
        key = f"{entry.get('method')} {entry.get('path')}"
        for pattern, step in reversed(STEPS):  # the most specific first
            if fnmatch.fnmatchcase(key, pattern):
                times.setdefault(step, []).append(float(entry.get("duration_ms", "nan")))
                break
    return times


# --- the « same second » burst --------------------------------------------------------------------


def burst(*, port: int, size: int, rounds: int, presses: int) -> dict[str, Any]:
    """``rounds`` times: the ``size`` pupils of one class press « Commencer » together
    (``presses`` requests each), then open their first question. Reads back the attempts."""
    import requests
    from django.conf import settings
    from django.db import connections
    from django.db.models import Count

    from cybercantal.learning.models import Answer, Attempt, Enrolment

    rush = rush_assignments()
    sizes = dict(
        Enrolment.objects.filter(school_class_id__in=list(rush))
        .values("school_class_id")
        .annotate(n=Count("pk"))
        .values_list("school_class_id", "n")
    )
    class_id = max((c for c, n in sizes.items() if n == size), default=None)
    if class_id is None:
        raise SystemExit(f"Aucune classe de {size} élèves dans la base.")
    assignment_id = rush[class_id]
    pupils = list(
        Enrolment.objects.filter(school_class_id=class_id).order_by("student_id").values_list("student_id", flat=True)
    )
    base = f"http://{HOST}:{port}"
    start_times: list[float] = []
    page_times: list[float] = []
    checks = []
    errors: dict[str, int] = {}
    for _round in range(rounds):
        reset([assignment_id])
        keys = make_sessions(pupils)
        connections.close_all()
        sessions = []
        for pk in pupils:
            session = requests.Session()
            session.headers["Accept-Language"] = "fr"
            session.cookies.set(settings.SESSION_COOKIE_NAME, keys[pk])
            page = session.get(f"{base}/ent/mes-exercices/", timeout=60)
            token = page.text.split('name="csrfmiddlewaretoken" value="', 1)[-1].split('"', 1)[0]
            sessions.append((session, token))
        barrier = threading.Barrier(len(sessions) * presses)
        lock = threading.Lock()
        landed: dict[int, set[str]] = {}

        def press(
            index: int,
            session: Any,
            token: str,
            barrier: threading.Barrier = barrier,
            lock: threading.Lock = lock,
            landed: dict[int, set[str]] = landed,
        ) -> None:
            url = f"{base}/ent/exercices-donnes/{assignment_id}/commencer/"
            barrier.wait()
            began = time.perf_counter()
            try:
                response = session.post(
                    url,
                    data={"csrfmiddlewaretoken": token},
                    headers={"Referer": f"{base}/ent/mes-exercices/"},
                    allow_redirects=False,
                    timeout=120,
                )
                took = (time.perf_counter() - began) * 1000
                location = response.headers.get("Location", "")
                if response.status_code != 302 or "/tentatives/" not in location:
                    with lock:
                        errors[f"commencer {response.status_code}"] = (
                            errors.get(f"commencer {response.status_code}", 0) + 1
                        )
                    return
                page = session.get(base + location, timeout=120)
                total = (time.perf_counter() - began) * 1000
                with lock:
                    start_times.append(took)
                    if page.status_code == 200:
                        page_times.append(total)
                    else:
                        errors[f"page {page.status_code}"] = errors.get(f"page {page.status_code}", 0) + 1
                    landed.setdefault(index, set()).add(location.split("?")[0])
            except requests.RequestException as exc:
                with lock:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

        threads = [
            threading.Thread(target=press, args=(i, s, t)) for i, (s, t) in enumerate(sessions) for _ in range(presses)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        attempts = Attempt.objects.filter(assignment_id=assignment_id)
        checks.append(
            {
                "attempts": attempts.count(),
                "pupils": attempts.values("student_id").distinct().count(),
                "in_progress": attempts.filter(state=Attempt.State.IN_PROGRESS).count(),
                "answers": Answer.objects.filter(attempt__assignment_id=assignment_id).count(),
                "same_attempt": sum(1 for urls in landed.values() if len(urls) == 1),
                "load": load(),
            }
        )
        connections.close_all()
    reset([assignment_id])
    connections.close_all()
    return {
        "class_id": class_id,
        "assignment": assignment_id,
        "size": len(pupils),
        "presses": presses,
        "start": start_times,
        "page": page_times,
        "checks": checks,
        "errors": errors,
    }


# --- the report ----------------------------------------------------------------------------------


def step_rows(label: str, result: dict[str, Any]) -> list[list[Any]]:
    rows = []
    for row in result["rows"]:
        name = row["Name"]
        rows.append(
            [
                f"{label} — {'total' if name == 'Aggregated' else name}",
                benchlib.number(int(number(row, "Request Count"))),
                int(number(row, "Failure Count")),
                f"{number(row, 'Requests/s'):.1f}",
                f"{number(row, '50%'):.0f}",
                f"{number(row, '95%'):.0f}",
                f"{number(row, 'Max Response Time'):.0f}",
            ]
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help=f"une base PostgreSQL cc_bench… (défaut : {DEFAULT_URL})")
    parser.add_argument("--steps", default="25,50,100,200", help="utilisateurs simultanés, palier par palier")
    parser.add_argument("--duration", type=int, default=90, help="secondes mesurées par palier (après l'arrivée)")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="élèves qui arrivent par seconde")
    parser.add_argument("--think", default="2:6", help="temps de réflexion, min:max secondes")
    parser.add_argument("--login", choices=["form", "cookie"], default="form")
    parser.add_argument("--no-js", action="store_true", help="réponses par formulaire simple (sans le script)")
    parser.add_argument("--target", type=float, default=300.0, help="p95 visé, ms")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="1 : workers sync ; plus : gthread")
    parser.add_argument("--port", type=int, default=benchlib.GUNICORN_PORT)
    parser.add_argument("--bare-users", type=int, default=10)
    parser.add_argument("--bare-duration", type=int, default=30)
    parser.add_argument("--burst-size", type=int, default=25)
    parser.add_argument("--burst-rounds", type=int, default=3)
    parser.add_argument("--only", choices=["all", "bare", "rush", "burst"], default="all")
    parser.add_argument("--label", default="", help="un nom pour ce passage (rapport, fichiers)")
    parser.add_argument("--json", default="", help="écrit aussi les résultats dans ce fichier JSON")
    args = parser.parse_args(argv)
    steps = [max(1, min(int(s), 2000)) for s in args.steps.split(",") if s.strip()]
    args.duration = max(10, min(args.duration, 900))
    args.workers = max(1, min(args.workers, 8))
    args.threads = max(1, min(args.threads, 16))
    url = database_url(args.database_url)
    if not url.startswith(("postgres", "pgsql")):
        raise SystemExit("Ce banc d'essai veut PostgreSQL (une base cc_bench…).")
    benchlib.configure_django(url)
    benchlib.VAR_DIR.mkdir(parents=True, exist_ok=True)
    accounts_file = benchlib.VAR_DIR / "learning-users.json"
    outcomes_file = benchlib.VAR_DIR / "learning-outcomes.json"
    tag = args.label or f"w{args.workers}{'' if args.threads == 1 else f't{args.threads}'}"
    log = benchlib.VAR_DIR / f"gunicorn-learning-{args.port}.log"
    requests_log = log.with_suffix(".requests.log")
    server = Gunicorn(url, args.port, args.workers, args.threads, log)

    def interrupted(signum: int, _frame: Any) -> None:
        server.stop()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    env = dict(os.environ)
    env.update(
        BENCH_LEARNING_USERS=str(accounts_file),
        BENCH_LEARNING_OUTCOMES=str(outcomes_file),
        BENCH_LEARNING_LOGIN=args.login,
        BENCH_LEARNING_JS="0" if args.no_js else "1",
        BENCH_LEARNING_THINK=args.think,
    )
    kind = "sync" if args.threads == 1 else f"gthread × {args.threads} threads"
    print(
        f"\n## Charge — la ruée du lundi matin (ENT), gunicorn {args.workers} workers {kind} sur {HOST}:{args.port}, "
        f"PostgreSQL ({url.rsplit('/', 1)[-1]}) ; {os.cpu_count()} cœurs, charge moyenne au départ {load()} "
        f"(d'autres sessions de travail tournent sur la machine)\n",
        flush=True,
    )
    results: dict[str, Any] = {}
    bare: dict[str, Any] | None = None
    burst_result: dict[str, Any] | None = None
    info: dict[str, Any] = {}
    try:
        server.start()
        if args.only in {"all", "bare"}:
            print(f"  locust BareUser : {args.bare_users} utilisateurs, {args.bare_duration} s…", file=sys.stderr)
            bare = run_locust(
                "BareUser",
                port=args.port,
                users=args.bare_users,
                spawn_rate=args.bare_users,
                duration=args.bare_duration,
                prefix=benchlib.VAR_DIR / f"locust-learning-{tag}-bare",
                env=env,
            )
        if args.only in {"all", "rush"}:
            for users in steps:
                info = prepare(login=args.login, path=accounts_file)
                if outcomes_file.exists():
                    outcomes_file.unlink()
                offset = requests_log.stat().st_size if requests_log.exists() else 0
                print(
                    f"  locust PupilMorning : {users} utilisateurs ({args.spawn_rate:g}/s), {args.duration} s "
                    f"mesurées (remise à zéro {info['seconds']:.0f} s)…",
                    file=sys.stderr,
                    flush=True,
                )
                result = run_locust(
                    "PupilMorning",
                    port=args.port,
                    users=users,
                    spawn_rate=args.spawn_rate,
                    duration=args.duration,
                    prefix=benchlib.VAR_DIR / f"locust-learning-{tag}-{users}",
                    env=env,
                )
                if not number(aggregated(result), "Request Count"):
                    raise SystemExit(f"locust n'a envoyé aucune requête :\n{result['log'].read_text()[-3000:]}")
                result["outcomes"] = json.loads(outcomes_file.read_text()) if outcomes_file.exists() else {}
                result["server"] = server_times(requests_log, offset)
                result["database"] = journeys_done()
                results[str(users)] = result
                total = aggregated(result)
                p95, failures = number(total, "95%"), int(number(total, "Failure Count"))
                requests_total = number(total, "Request Count")
                print(
                    f"    {users} utilisateurs : {number(total, 'Requests/s'):.1f} req/s, p95 {p95:.0f} ms, "
                    f"{failures} échec(s) ; charge {result['load_end']}",
                    file=sys.stderr,
                    flush=True,
                )
                if p95 > 3 * args.target or (requests_total and failures / requests_total > 0.05):
                    break
        if args.only in {"all", "burst"}:
            print(f"  rafale : une classe de {args.burst_size} élèves…", file=sys.stderr, flush=True)
            burst_result = {
                "simple": burst(port=args.port, size=args.burst_size, rounds=args.burst_rounds, presses=1),
                "double": burst(port=args.port, size=args.burst_size, rounds=args.burst_rounds, presses=2),
            }
    finally:
        server.stop()
        if args.only in {"all", "rush"}:
            reset()

    # --- report -------------------------------------------------------------------------------
    think_min, _sep, think_max = args.think.partition(":")
    bare_rps = float("nan")
    if bare is not None:
        total = aggregated(bare)
        bare_rps = number(total, "Requests/s")
        print(
            f"### Vue nue (`/bench/bare/`, {args.bare_users} utilisateurs sans temps de réflexion, "
            f"{args.bare_duration} s ; charge {bare['load_start']} → {bare['load_end']})\n"
        )
        print(
            f"{bare_rps:.1f} req/s, p50 {number(total, '50%'):.0f} ms, p95 {number(total, '95%'):.0f} ms, "
            f"max {number(total, 'Max Response Time'):.0f} ms, {int(number(total, 'Failure Count'))} échec(s) ; "
            f"CPU de locust {100 * bare['cpu'] / bare['elapsed']:.0f} % d'un cœur.\n"
        )
    summary = []
    if results:
        sessions = "cookie de session préparé (pas de contrôle du mot de passe)"
        print(
            f"### La ruée : {info.get('pupils', 0)} élèves préparés dans {info.get('classes', 0)} classes, "
            f"{benchlib.number(info.get('answers', 0))} réponses en base ; connexion : "
            f"{'formulaire /ent/connexion/ (vrai contrôle du mot de passe)' if args.login == 'form' else sessions} ; "
            f"réponses {'par fetch (comme le script de la page)' if not args.no_js else 'par formulaire simple'} ; "
            f"temps de réflexion {think_min} à {think_max or think_min} s ; arrivées {args.spawn_rate:g}/s ; "
            f"{args.duration} s mesurées par palier après l'arrivée de tous\n"
        )
        rows = []
        for users, result in results.items():
            total = aggregated(result)
            held = number(total, "95%") < args.target and int(number(total, "Failure Count")) == 0
            rows.append(
                [
                    users,
                    f"{number(total, 'Requests/s'):.1f}",
                    f"{number(total, '50%'):.0f}",
                    f"{number(total, '95%'):.0f}",
                    f"{number(total, 'Max Response Time'):.0f}",
                    benchlib.number(int(number(total, "Request Count"))),
                    int(number(total, "Failure Count")),
                    "oui" if held else "**non**",
                    f"{100 * result['cpu'] / result['elapsed']:.0f} %",
                    f"{result['load_start']} → {result['load_end']}",
                ]
            )
            summary.append(
                {
                    "users": int(users),
                    "rps": number(total, "Requests/s"),
                    "p50": number(total, "50%"),
                    "p95": number(total, "95%"),
                    "max": number(total, "Max Response Time"),
                    "failures": int(number(total, "Failure Count")),
                    "held": held,
                    "outcomes": result["outcomes"],
                    "database": result["database"],
                    "load": [result["load_start"], result["load_end"]],
                }
            )
        print(
            benchlib.table(
                [
                    "utilisateurs",
                    "req/s",
                    "p50 ms",
                    "p95 ms",
                    "max ms",
                    "requêtes",
                    "échecs",
                    f"p95 < {args.target:.0f} ms sans échec",
                    "CPU locust",
                    "charge (début → fin)",
                ],
                rows,
            )
        )
        print()
        detail = [row for users, result in results.items() for row in step_rows(f"{users} u.", result)]
        print(benchlib.table(["palier — requête", "requêtes", "échecs", "req/s", "p50 ms", "p95 ms", "max ms"], detail))
        server_rows = [
            [
                f"{users} u. — {step}",
                benchlib.number(len(times)),
                benchlib.ms(benchlib.percentile(times, 0.5)),
                benchlib.ms(benchlib.percentile(times, 0.95)),
                benchlib.ms(max(times)),
            ]
            for users, result in results.items()
            for step, times in sorted(result["server"].items())
            if times
        ]
        if server_rows:
            print(
                "\nTemps passé dans Django par requête (journal des requêtes de gunicorn, `duration_ms` : sous "
                "les middlewares, sans l'attente d'un worker libre ni le réseau ; montée en charge comprise) :\n"
            )
            print(benchlib.table(["palier — étape", "requêtes", "p50 ms", "p95 ms", "max ms"], server_rows))
        print()
        for item in summary:
            parts = ", ".join(f"{k} {v}" for k, v in sorted(item["outcomes"].items(), key=lambda kv: -kv[1]))
            base = ", ".join(f"{k} {v}" for k, v in item["database"].items())
            print(f"- {item['users']} utilisateurs : parcours : {parts or '—'} ; en base : {base}.")
        held = [item for item in summary if item["held"]]
        knee = max(held, key=lambda item: item["rps"]) if held else None
        print()
        if knee is not None:
            print(
                f"**Coude : {knee['rps']:.1f} req/s soutenues avec un p95 de {knee['p95']:.0f} ms "
                f"(< {args.target:.0f} ms) et aucun échec, à {knee['users']} élèves simultanés**"
                + (
                    f" ; {knee['rps'] / bare_rps:.3f} × la vue nue ({bare_rps:.1f} req/s)."
                    if bare_rps == bare_rps
                    else "."
                )
            )
        else:
            print(f"**Aucun palier ne tient un p95 < {args.target:.0f} ms sans échec.**")
    if burst_result is not None:
        print("\n### « À la même seconde » : une classe commence ensemble\n")
        rows = []
        for item in burst_result.values():
            checks = item["checks"]
            ok = all(c["attempts"] == item["size"] and c["pupils"] == item["size"] for c in checks)
            rows.append(
                [
                    f"{item['size']} élèves × {item['presses']} clic{'s' if item['presses'] > 1 else ''}",
                    len(checks),
                    benchlib.number(len(item["start"])),
                    benchlib.ms(benchlib.percentile(item["start"], 0.5)),
                    benchlib.ms(benchlib.percentile(item["start"], 0.95)),
                    benchlib.ms(max(item["start"], default=float("nan"))),
                    benchlib.ms(benchlib.percentile(item["page"], 0.95)),
                    " ; ".join(
                        f"{c['attempts']} ({c['in_progress']} en cours, {c['answers']} réponses)" for c in checks
                    ),
                    "oui" if ok else "**NON**",
                    ", ".join(f"{k} {v}" for k, v in item["errors"].items()) or "0",
                    " ; ".join(c["load"] for c in checks),
                ]
            )
        print(
            benchlib.table(
                [
                    "rafale",
                    "tours",
                    "« Commencer »",
                    "p50 ms",
                    "p95 ms",
                    "max ms",
                    "p95 + 1re question ms",
                    "tentatives en base par tour",
                    "une par élève",
                    "erreurs",
                    "charge après chaque tour",
                ],
                rows,
            )
        )
        double = burst_result["double"]
        print(
            f"\nDouble clic : {sum(c['same_attempt'] for c in double['checks'])} élèves sur "
            f"{double['size'] * len(double['checks'])} renvoyés les deux fois vers la même tentative. "
            f"Classe n° {double['class_id']}, exercice donné n° {double['assignment']}."
        )
    print(f"\nCharge moyenne à la fin : {load()}.")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"bare_rps": bare_rps, "steps": summary, "burst": burst_result},
                ensure_ascii=False,
                indent=1,
                default=str,
            )
        )
    failed = any(item["failures"] for item in summary) or bool(
        burst_result and any(item["errors"] for item in burst_result.values())
    )
    if failed:
        print(f"\nDes requêtes ont échoué ; journaux : {log}, {benchlib.VAR_DIR}/locust-learning-*.log")
        print(server.tail())
    return 0


if __name__ == "__main__":
    sys.exit(main())
