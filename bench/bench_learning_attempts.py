"""Server time of the ENT's attempt pages with 1 million answers stored.

    .venv/bin/python bench/generate_learning.py                   # once: cc_bench_learning
    .venv/bin/python bench/bench_learning_attempts.py              # every case, 100 calls each
    .venv/bin/python bench/bench_learning_attempts.py --samples 300 --cases "question"
    .venv/bin/python bench/bench_learning_attempts.py --explain    # plans of the slowest queries

On the database built by ``generate_learning.py`` (PostgreSQL, a name starting with
``cc_bench``; never the developer's ``var/`` database), in this process pinned to one core
(``--no-pin`` to leave it free), through Django's test ``Client`` (every middleware, the
view, the queries, the template; no network), each case is called ``--samples`` times after
``--warmup`` calls not counted:

- a pupil's side: ``--pupils`` pupils drawn at random (seed ``--seed``) over every class
  start « l'exercice du lundi » (``services.attempts.attempt_start``, as the page does) and
  are signed in (``Client.force_login``). Then: the question page
  ``/ent/tentatives/<id>/?q=<slot>`` (pupils and slots in turn); saving an answer, as a plain
  form POST (``/ent/tentatives/<id>/questions/<slot>/``: a redirection) and as the page's
  ``fetch`` (``Accept: application/json``), with an answer drawn from the question's own
  fields; the « Rendre » page; the review of one of the pupil's past attempts; « Mes
  exercices » (a year of assignments); the ENT home page;
- a teacher's side (the maths teacher of a class drawn at random): the results page of a
  past assignment of that class (``/ent/exercices-donnes/<id>/resultats/``: grades, state of
  every pupil, success rate per question), its CSV (``resultats.csv``), the attempts to
  grade (``/ent/a-corriger/``: the essays waiting for a mark over all their classes), the ENT
  home page;
- the sign-in itself (``POST /ent/connexion/``: the ENT login, the check of the
  password), fewer calls (``--sign-ins``): it is what the rush pays once per pupil.

Printed per case: p50, p95 and max of the elapsed time, p50 and p95 of this process's CPU
time (without PostgreSQL's own work, which is in ``SQL ms``), SQL queries per call, SQL time
per call (median). ``--explain`` prints ``EXPLAIN (ANALYZE, BUFFERS)`` of the three slowest
queries of each case (``--explain-cases`` to choose). The attempts started here are deleted at
the end (those of « l'exercice du lundi » only).

``--proposed-index`` then measures the teacher's « à corriger » case again with the index
proposed in ``docs/performances-ent.md`` (``PROPOSED_INDEX``: a partial index of the answers
still waiting for a mark), created in the bench database only, with its plans, and drops it.
Figures are printed; nothing here is a test.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import benchlib
from bench_directory import database_version

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_learning"
TARGET_MS = 300.0
# The index proposed for ``Answer`` (docs/performances-ent.md): the answers given and not graded
# yet — in practice the essays waiting for the teacher, a few per cent of the table. As a model
# index: ``models.Index(fields=["attempt"], condition=Q(response__isnull=False,
# mark__isnull=True, override_mark__isnull=True), name="answer_to_grade")``.
PROPOSED_INDEX = (
    "CREATE INDEX bench_answer_to_grade ON learning_answer (attempt_id) "
    "WHERE response IS NOT NULL AND mark IS NULL AND override_mark IS NULL"
)


@dataclass
class Case:
    name: str
    call: Callable[[int], Any]  # sample number -> response
    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    samples: int = 0  # 0: the common --samples


def database_url(arg: str) -> str:
    if arg:
        return arg
    env = os.environ.get("DATABASE_URL", "")
    return env if env.rsplit("/", 1)[-1].startswith("cc_bench_learning") else DEFAULT_URL


def form_data(snapshot: dict[str, Any], prefix: str, rng: random.Random) -> dict[str, Any]:
    """What the question's form sends for an answer a pupil may give (field names of
    ``learning.questionui``: positions, never ids)."""
    qtype = snapshot.get("qtype")
    data = snapshot.get("data") or {}
    if qtype == "single":
        return {f"{prefix}-choice": str(rng.randrange(len(data["choices"])))}
    if qtype == "multiple":
        count = len(data["choices"])
        return {f"{prefix}-choices": [str(i) for i in rng.sample(range(count), rng.randint(1, count))]}
    if qtype == "truefalse":
        return {f"{prefix}-value": rng.choice(["true", "false"])}
    if qtype in {"short", "essay"}:
        return {f"{prefix}-text": rng.choice(["Aurillac", "Paris", "Une réponse plus longue, en deux phrases. Voilà."])}
    if qtype == "numerical":
        return {f"{prefix}-value": rng.choice(["3,14", "3", "2,5"])}
    if qtype == "matching":
        rights = len(snapshot.get("display", {}).get("rights", [])) or len(data["pairs"])
        return {f"{prefix}-match-{i}": str(rng.randrange(rights)) for i in range(len(data["pairs"]))}
    if qtype == "ordering":
        size = len(data["items"])
        order = list(range(1, size + 1))
        rng.shuffle(order)
        fields = {f"{prefix}-pos-{i}": str(p) for i, p in enumerate(order)}
        fields.update({f"{prefix}-at-{i}": str(i + 1) for i in range(size)})
        return fields
    if qtype == "cloze":
        fields = {}
        for i, blank in enumerate(data["blanks"]):
            if blank.get("mode") == "choice":
                fields[f"{prefix}-blank-{i}"] = str(rng.randrange(len(blank["answers"])))
            else:
                fields[f"{prefix}-blank-{i}"] = rng.choice(["Aurillac", "aurillac", "Murat"])
        return fields
    return {}


def build_cases(*, pupils: int, samples: int, sign_ins: int, seed: int) -> tuple[list[Case], dict[str, Any]]:
    from django.test import Client
    from generate_learning import PASSWORD
    from load_learning import rush_assignments

    from cybercantal.learning.models import Answer, Assignment, Attempt, Enrolment, EntAccount, Teaching
    from cybercantal.learning.services import attempts as services

    rng = random.Random(seed)
    rush = rush_assignments()
    class_ids = sorted(rush)
    enrolled: dict[int, list[int]] = {}
    for student_id, class_id in Enrolment.objects.filter(school_class_id__in=class_ids).values_list(
        "student_id", "school_class_id"
    ):
        enrolled.setdefault(class_id, []).append(student_id)
    from cybercantal.accounts.models import User

    chosen_classes = [rng.choice(class_ids) for _ in range(pupils)]
    pupil_ids = list(dict.fromkeys(rng.choice(enrolled[c]) for c in chosen_classes))
    users = {u.pk: u for u in User.objects.filter(pk__in=pupil_ids)}
    class_of = dict(Enrolment.objects.filter(student_id__in=pupil_ids).values_list("student_id", "school_class_id"))
    pupil_clients = []
    for pk in pupil_ids:
        user = users[pk]
        assignment = Assignment.objects.select_related("exercise").get(pk=rush[class_of[pk]])
        attempt = services.attempt_start(actor=user, assignment=assignment)
        client = Client(HTTP_ACCEPT_LANGUAGE="fr")
        client.force_login(user)
        past = (
            Attempt.objects.filter(student=user, state=Attempt.State.SUBMITTED)
            .order_by("-submitted_at")
            .values_list("pk", flat=True)
            .first()
        )
        snapshots = dict(Answer.objects.filter(attempt=attempt).values_list("slot", "snapshot"))
        pupil_clients.append({"client": client, "attempt": attempt.pk, "past": past, "snapshots": snapshots})
    teachers: dict[int, Any] = {}
    teacher_clients = []
    past_assignments = list(
        Assignment.objects.filter(school_class_id__in=class_ids)
        .exclude(pk__in=list(rush.values()))
        .values_list("pk", "school_class_id")
    )
    rng.shuffle(past_assignments)
    for assignment_id, class_id in past_assignments[: max(pupils, 10)]:
        teaching = Teaching.objects.filter(school_class_id=class_id).select_related("teacher").first()
        if teaching is None:
            continue
        client = teachers.get(teaching.teacher_id)
        if client is None:
            client = teachers[teaching.teacher_id] = Client(HTTP_ACCEPT_LANGUAGE="fr")
            client.force_login(teaching.teacher)
        teacher_clients.append({"client": client, "assignment": assignment_id})
    logins = list(
        EntAccount.objects.filter(user_id__in=[rng.choice(enrolled[c]) for c in rng.sample(class_ids, 20)]).values_list(
            "login", flat=True
        )
    )
    answer_rng = random.Random(seed + 1)

    def pupil(n: int) -> dict[str, Any]:
        return pupil_clients[n % len(pupil_clients)]

    def teacher(n: int) -> dict[str, Any]:
        return teacher_clients[n % len(teacher_clients)]

    def expect(response: Any, status: int, what: str) -> Any:
        if response.status_code != status:
            raise SystemExit(f"{what} : réponse {response.status_code} au lieu de {status}")
        return response

    def question_page(n: int) -> Any:
        item = pupil(n)
        slot = 1 + (n // len(pupil_clients)) % len(item["snapshots"])
        return expect(item["client"].get(f"/ent/tentatives/{item['attempt']}/", {"q": slot}), 200, "question")

    def save(json_: bool) -> Callable[[int], Any]:
        def call(n: int) -> Any:
            item = pupil(n)
            slot = 1 + (n // len(pupil_clients)) % len(item["snapshots"])
            data = form_data(item["snapshots"][slot], f"q{slot}", answer_rng)
            data["go"] = str(slot)
            extra = {"HTTP_ACCEPT": "application/json"} if json_ else {}
            response = item["client"].post(f"/ent/tentatives/{item['attempt']}/questions/{slot}/", data, **extra)
            return expect(response, 200 if json_ else 302, "enregistrer une réponse")

        return call

    def sign_in(n: int) -> Any:
        client = Client(HTTP_ACCEPT_LANGUAGE="fr")
        response = client.post("/ent/connexion/", {"identifier": logins[n % len(logins)], "password": PASSWORD})
        return expect(response, 302, "connexion")

    cases = [
        Case("élève — page d'une question (?q=…)", question_page),
        Case("élève — enregistrer une réponse (formulaire, redirection)", save(False)),
        Case("élève — enregistrer une réponse (fetch, JSON)", save(True)),
        Case(
            "élève — page « Rendre »",
            lambda n: expect(pupil(n)["client"].get(f"/ent/tentatives/{pupil(n)['attempt']}/rendre/"), 200, "rendre"),
        ),
        Case(
            "élève — bilan d'une tentative rendue",
            lambda n: expect(pupil(n)["client"].get(f"/ent/tentatives/{pupil(n)['past']}/bilan/"), 200, "bilan"),
        ),
        Case("élève — mes exercices", lambda n: expect(pupil(n)["client"].get("/ent/mes-exercices/"), 200, "mes ex.")),
        Case("élève — accueil ENT", lambda n: expect(pupil(n)["client"].get("/ent/"), 200, "accueil")),
        Case(
            "enseignant — résultats d'un exercice donné",
            lambda n: expect(
                teacher(n)["client"].get(f"/ent/exercices-donnes/{teacher(n)['assignment']}/resultats/"),
                200,
                "résultats",
            ),
        ),
        Case(
            "enseignant — résultats CSV",
            lambda n: expect(
                teacher(n)["client"].get(f"/ent/exercices-donnes/{teacher(n)['assignment']}/resultats.csv"), 200, "CSV"
            ),
        ),
        Case(
            "enseignant — à corriger", lambda n: expect(teacher(n)["client"].get("/ent/a-corriger/"), 200, "à corriger")
        ),
        Case("enseignant — accueil ENT", lambda n: expect(teacher(n)["client"].get("/ent/"), 200, "accueil")),
        Case("connexion /ent/connexion/ (contrôle du mot de passe)", sign_in, samples=sign_ins),
    ]
    info = {
        "answers": Answer.objects.count(),
        "attempts": Attempt.objects.count(),
        "pupils": len(pupil_clients),
        "teachers": len(teachers),
        "assignments": len({t["assignment"] for t in teacher_clients}),
        "rush": list(rush.values()),
    }
    return cases, info


class Counter:
    """``execute_wrapper`` that counts queries and their time."""

    def __init__(self) -> None:
        self.queries = 0
        self.ms = 0.0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.ms += (time.perf_counter() - start) * 1000
            self.queries += 1


def measure(case: Case, *, samples: int, warmup: int, budget: float) -> None:
    from django.db import close_old_connections, connection

    for n in range(warmup):
        case.call(n)
        close_old_connections()
    started = time.monotonic()
    for n in range(warmup, warmup + (case.samples or samples)):
        counter = Counter()
        with connection.execute_wrapper(counter):
            cpu = time.process_time()
            begin = time.perf_counter()
            case.call(n)
            case.times.append((time.perf_counter() - begin) * 1000)
            case.cpu.append((time.process_time() - cpu) * 1000)
        case.queries.append(counter.queries)
        case.sql_ms.append(counter.ms)
        close_old_connections()
        if time.monotonic() - started > budget:
            break


def explain(case: Case, *, top: int = 3) -> None:
    """The ``top`` slowest queries of one call of ``case``, with ``EXPLAIN (ANALYZE, BUFFERS)``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        case.call(10_000)
    slowest = sorted(captured.captured_queries, key=lambda q: -float(q["time"]))[:top]
    print(f"\n### {case.name} : {len(captured.captured_queries)} requêtes, les {len(slowest)} plus lentes\n")
    for query in slowest:
        sql = query["sql"]
        print(f"{float(query['time']) * 1000:.1f} ms :\n\n```sql\n{sql[:3000]}\n```\n")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("```\n" + "\n".join(row[0] for row in cursor.fetchall()) + "\n```\n")


def proposed_index(cases: list[Case], *, samples: int, warmup: int, budget: float) -> None:
    """« À corriger » again with ``PROPOSED_INDEX`` in the bench database, then without it."""
    from django.db import connection

    case = next(c for c in cases if "à corriger" in c.name)
    before = benchlib.percentile(case.times, 0.95) if case.times else float("nan")
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS bench_answer_to_grade")
        cursor.execute(PROPOSED_INDEX)
        cursor.execute("ANALYZE learning_answer")
        cursor.execute("SELECT pg_relation_size('bench_answer_to_grade')")
        size = cursor.fetchone()[0]
    built = time.perf_counter() - started
    try:
        again = Case(case.name + " — AVEC l'index proposé", case.call)
        measure(again, samples=samples, warmup=warmup, budget=budget)
        print(
            f"\n### Index proposé : `{PROPOSED_INDEX}`\n\n"
            f"Construit en {built:.1f} s, {size / 1e6:.2f} Mo. « À corriger » : p95 {benchlib.ms(before)} ms sans, "
            f"{benchlib.ms(benchlib.percentile(again.times, 0.95))} ms avec (p50 "
            f"{benchlib.ms(benchlib.percentile(again.times, 0.5))} ms, SQL "
            f"{benchlib.ms(statistics.median(again.sql_ms))} ms par appel au lieu de "
            f"{benchlib.ms(statistics.median(case.sql_ms)) if case.sql_ms else '—'})."
        )
        explain(again, top=2)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP INDEX IF EXISTS bench_answer_to_grade")
            cursor.execute("ANALYZE learning_answer")


def cleanup(rush: list[int]) -> None:
    from load_learning import reset

    reset(rush)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help=f"une base PostgreSQL cc_bench… (défaut : {DEFAULT_URL})")
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--pupils", type=int, default=40, help="élèves tirés au hasard (une tentative en cours chacun)")
    parser.add_argument("--sign-ins", type=int, default=10, help="appels du cas « connexion »")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--case-budget", type=float, default=60.0, help="secondes au plus par cas")
    parser.add_argument("--cases", default="", help="seulement les cas dont le nom contient ce texte")
    parser.add_argument("--no-pin", action="store_true", help="ne pas épingler le processus sur un cœur")
    parser.add_argument("--explain", action="store_true", help="plans des requêtes les plus lentes")
    parser.add_argument("--explain-cases", default="résultats,CSV,à corriger,question,enregistrer une réponse (fetch")
    parser.add_argument(
        "--proposed-index",
        action="store_true",
        help="mesure aussi « à corriger » avec l'index proposé (puis le retire)",
    )
    args = parser.parse_args(argv)
    args.samples = max(1, min(args.samples, 5000))
    args.warmup = max(1, min(args.warmup, 100))
    url = database_url(args.database_url)
    if not url.startswith(("postgres", "pgsql")):
        raise SystemExit("Ce banc d'essai veut PostgreSQL (une base cc_bench…).")
    pinned = "processus non épinglé" if args.no_pin else benchlib.pin_to_one_core(0)
    benchlib.configure_django(url)
    from django.db import connection

    start_load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    cases, info = build_cases(pupils=args.pupils, samples=args.samples, sign_ins=args.sign_ins, seed=args.seed)
    from django.contrib.auth.hashers import get_hasher

    hasher = get_hasher()
    iterations = getattr(hasher, "iterations", "?")
    print(
        f"# Pages des tentatives — {database_version(connection)} ({connection.settings_dict['NAME']})\n\n"
        f"{benchlib.number(info['answers'])} réponses, {benchlib.number(info['attempts'])} tentatives en base ; "
        f"{info['pupils']} élèves tirés au hasard (graine {args.seed}), une tentative de « l'exercice du lundi » "
        f"commencée chacun ; {info['teachers']} enseignants, {info['assignments']} exercices donnés passés ; "
        f"{args.samples} appels par cas après {args.warmup} de chauffe ({args.sign_ins} pour la connexion) ; "
        f"mots de passe : {hasher.algorithm}, {iterations} itérations ; {pinned} ; {os.cpu_count()} cœurs, "
        f"charge moyenne au départ {start_load} (d'autres sessions de travail tournent sur la machine).\n"
    )
    try:
        selected = [c for c in cases if args.cases.lower() in c.name.lower()]
        rows = []
        for case in selected:
            measure(case, samples=args.samples, warmup=args.warmup, budget=args.case_budget)
            p95 = benchlib.percentile(case.times, 0.95)
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
                ]
            )
            print(f"  {case.name} : p95 {benchlib.ms(p95)} ms", file=sys.stderr, flush=True)
        print(
            benchlib.table(
                ["cas", "appels", "p50 ms", "p95 ms", "max ms", "CPU p50 ms", "CPU p95 ms", "requêtes SQL", "SQL ms"],
                rows,
            )
        )
        if args.explain:
            wanted = [w.strip().lower() for w in args.explain_cases.split(",") if w.strip()]
            for case in cases:
                if any(w in case.name.lower() for w in wanted):
                    explain(case)
        if args.proposed_index:
            proposed_index(cases, samples=args.samples, warmup=args.warmup, budget=args.case_budget)
    finally:
        cleanup(info["rush"])
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nCharge moyenne à la fin : {load}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
