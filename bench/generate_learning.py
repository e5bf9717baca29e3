"""Bench database of the ENT: 22 collèges, ≈ 230 classes, ≈ 5,500 pupils, 1 million answers.

    .venv/bin/python bench/generate_learning.py                      # cc_bench_learning, 1,000,000 answers
    .venv/bin/python bench/generate_learning.py --answers 100000     # a smaller history
    .venv/bin/python bench/generate_learning.py --database-url postgres://postgres@127.0.0.1:5432/cc_bench_learning_b

PostgreSQL only (a database whose name starts with ``cc_bench``, on 127.0.0.1; never the
developer's ``var/`` database): it is dropped, then created from the base ``cc_bench_learning_socle``
(migrated, loaded with the territory and the demo places, whose 22 collèges become the
schools: 3 minutes on a busy machine, so built once and kept; ``--rebuild-base`` builds it
again), migrated (nothing to do unless a migration came since), then filled:

- this school year (``queries.schools.current_year``), the national subjects of the demo;
- one ``School`` per demo collège (its organisation, a UAI ``01500NNL``);
- ``--classes`` classes (230: 6e to 3e, A, B, C… spread over the schools, 10 or 11 each) of
  22 to 26 pupils, ``--pupils`` in all (5,500). Each pupil: a ``User`` without email
  (``<login>@ent.invalid``), an activated ``EntAccount`` whose login is ``banc.<n>``
  (``n`` from 0), the password ``PASSWORD`` — hashed ONCE by the project's hasher (Argon2id, ADR 0013)
  and that hash given to every pupil —, the school membership, the enrolment in the class
  and the ``student`` role scoped to the school's organisation (what ``make_student`` does);
- maths teachers (one per five classes of a school: ``prof.<uai>.<k>@colleges.bench``, same
  password), teaching their classes (``Teaching``), the ``teacher`` role; a published course
  of three lessons and three homework items this week per class (the pupil's home page);
- per school, questions of the ten types of ``learning.tests.factories.QUESTION_DATA``
  (description, single, multiple, truefalse, short, numerical, matching, ordering, cloze,
  essay: 9 points) and four exercises of those ten questions: « l'exercice du lundi » —
  assigned to every class, open since an hour ago, closing in a week, one attempt, the
  correction after the attempt, answers shuffled: the one the load test starts — and three
  exercises for the history;
- history: past assignments of those exercises to every class (closed; one attempt for most,
  three allowed for one in four with the best retained, a training one in six), one per class
  and round, rounds going back from last week (a few days apart) until the answers reach
  ``--answers``: 92 % of the pupils made an attempt, a third of those allowed more made a
  second one; each attempt holds its 10 answers (the snapshot drawn by ``grading.snapshot``,
  six display orders per question, as a real start does), responses right or wrong per the
  pupil's level (``demo.attempts.response_for``), graded by ``grading.grade``, 4 % left
  blank; essays graded by the teacher (``override_mark``) for 95 % of the attempts, the
  others still « à corriger » (``needs_grading``, no score).

Fast: the attempts and answers go through PostgreSQL ``COPY`` (ids of the attempts drawn
here, the sequence set after; no foreign-key trigger per row during that copy — the rows are
consistent by construction), the rest through ``bulk_create``; no journal entry (a bulk load
is not a person's action); ``VACUUM ANALYZE`` at the end. Same ``--seed`` on the same day =
same data. Prints the time of each step, the counts and the size of the tables. Nothing here
is a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import sys
import time
from decimal import Decimal
from typing import Any

import benchlib

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_learning"
BASE_NAME = "cc_bench_learning_socle"  # the same base for every ENT bench database
PASSWORD = "banc-ent-2026-lundi"  # noqa: S105 - bench accounts on a bench database only
PUPIL_LOGIN = "banc.{n}"
TEACHER_DOMAIN = "colleges.bench"
RUSH_TITLE = "Exercice du lundi (banc)"
HISTORY_TITLES = ["Révisions : le Cantal (banc)", "Entraînement : fractions (banc)", "Bilan de séquence (banc)"]
QTYPES = [
    "description", "single", "multiple", "truefalse", "short", "numerical", "matching", "ordering", "cloze", "essay",
]  # fmt: skip
LEVELS = ["6e", "5e", "4e", "3e"]
LETTERS = "ABCDEFGH"
SNAPSHOT_VARIANTS = 6
PARTICIPATION = 0.92
SECOND_ATTEMPT = 0.33
BLANK = 0.04
ESSAY_GRADED = 0.95
ROUND_DAYS = 4
FIRST_NAMES = [
    "Léa", "Lucas", "Emma", "Nathan", "Chloé", "Louis", "Manon", "Hugo", "Camille", "Tom", "Inès", "Jules",
    "Jade", "Théo", "Louise", "Raphaël", "Zoé", "Arthur", "Lina", "Paul", "Clara", "Enzo", "Alice", "Maël",
]  # fmt: skip
LAST_NAMES = [
    "Aymard", "Bastide", "Bouygues", "Brunhes", "Chabrol", "Chambon", "Delpuech", "Escalier", "Fabre", "Falgoux",
    "Gaillard", "Garric", "Lacoste", "Lafon", "Lapeyre", "Malbec", "Mazeyrac", "Meallet", "Montarnal", "Pouget",
]  # fmt: skip
STEMS = {
    "description": "Lisez bien chaque question : vos réponses sont enregistrées au fur et à mesure.",
    "single": "Quelle est la capitale de la France ?",
    "multiple": "Quels nombres sont premiers ?",
    "truefalse": "Le Cantal est en Auvergne.",
    "short": "Quelle est la préfecture du Cantal ?",
    "numerical": "Donnez une valeur approchée de pi au centième.",
    "matching": "Associez chaque département à sa préfecture.",
    "ordering": "Remettez ces périodes dans l'ordre chronologique.",
    "cloze": "Complétez la phrase.",
    "essay": "Décrivez en quelques lignes le paysage de votre commune.",
}


def database_url(arg: str) -> str:
    if arg:
        return arg
    env = os.environ.get("DATABASE_URL", "")
    return env if env.rsplit("/", 1)[-1].startswith("cc_bench_learning") else DEFAULT_URL


def prepare_database(url: str, *, rebuild_base: bool) -> str:
    """Drop and create the bench database from the base ``BASE_NAME`` (migrated, territory and
    demo places loaded: 3 minutes on a busy machine, made once and kept), built here if missing."""
    import psycopg
    from psycopg import sql

    benchlib.check_bench_database(url)
    name = url.rsplit("/", 1)[1].split("?")[0]
    base = BASE_NAME
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [base]).fetchone()
    if exists is None or rebuild_base:
        import subprocess

        started = time.perf_counter()
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(base)))
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(base)))
        base_url = url.rsplit("/", 1)[0] + f"/{base}"
        code = (
            f"import sys; sys.path.insert(0, {str(benchlib.BENCH_DIR)!r}); import benchlib; "
            f"benchlib.configure_django({base_url!r})\n"
            "from django.core.management import call_command\n"
            "from cybercantal.places.demo import load_demo_places\n"
            "call_command('migrate', verbosity=0, interactive=False, skip_checks=True)\n"
            "call_command('territory_import', verbosity=0, skip_checks=True)\n"
            "load_demo_places()\n"
        )
        subprocess.run([sys.executable, "-c", code], check=True)
        print(f"  base {base} (migrations, territoire, lieux de la démo) : {time.perf_counter() - started:.1f} s")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(base)))
    return base


def class_sizes(classes: int, pupils: int, rng: random.Random) -> list[int]:
    """``classes`` sizes of 22 to 26 pupils adding up to ``pupils`` (one of 25 at least: the burst)."""
    if not 18 * classes <= pupils <= 32 * classes:
        raise SystemExit(f"{pupils} élèves pour {classes} classes : entre 18 et 32 par classe, s'il vous plaît.")
    sizes = [rng.randint(22, 26) for _ in range(classes)]
    while sum(sizes) != pupils:
        i = rng.randrange(classes)
        if sum(sizes) < pupils and sizes[i] < 32:
            sizes[i] += 1
        elif sum(sizes) > pupils and sizes[i] > 18:
            sizes[i] -= 1
    if 25 not in sizes:
        sizes[0], sizes[1] = 25, sizes[1] + sizes[0] - 25
    return sizes


class Generator:
    def __init__(self, *, classes: int, pupils: int, answers: int, seed: int) -> None:
        self.class_count = classes
        self.pupil_count = pupils
        self.target = answers
        self.rng = random.Random(seed)
        self.timings: dict[str, float] = {}

    def step(self, name: str, started: float) -> None:
        self.timings[name] = time.perf_counter() - started
        print(f"  {name} : {self.timings[name]:.1f} s", flush=True)

    # --- the schools, their classes and people ---------------------------------------------------

    def schools(self) -> None:
        from django.contrib.auth.hashers import make_password
        from django.core.management import call_command
        from django.utils import timezone

        from cybercantal.accounts.models import Organisation
        from cybercantal.learning.demo.schools import SUBJECTS
        from cybercantal.learning.models import School, SchoolClass, Subject
        from cybercantal.learning.queries.schools import current_year
        from cybercantal.places.demo import load_demo_places
        from cybercantal.places.models import Place, PlaceKind

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
        if not Place.objects.filter(kind=PlaceKind.COLLEGE).exists():
            call_command("territory_import", verbosity=0, skip_checks=True)
            load_demo_places()
        self.step("migrations, territoire, lieux de la démo", started)

        started = time.perf_counter()
        self.now = timezone.now()
        self.year = current_year()
        Subject.objects.bulk_create([Subject(code=c, name=n, short_name=s) for c, n, s in SUBJECTS])
        self.maths = Subject.objects.get(code="MATHS")
        places = sorted(Place.objects.filter(kind=PlaceKind.COLLEGE), key=lambda p: p.name)
        places = places[: self.class_count]  # a school has one class at least
        organisations = Organisation.objects.bulk_create(
            [
                Organisation(name=place.name, slug=f"banc-ent-{n}", kind=Organisation.Kind.SCHOOL)
                for n, place in enumerate(places, start=1)
            ]
        )
        self.school_list = School.objects.bulk_create(
            [
                School(
                    place=place,
                    organisation=organisation,
                    uai=f"01500{n:02d}{'ABCDEFGHJKLMNPRSTUVWXYZ'[n % 23]}",
                    name=place.name,
                )
                for n, (place, organisation) in enumerate(zip(places, organisations, strict=True), start=1)
            ]
        )
        for school, organisation in zip(self.school_list, organisations, strict=True):
            school.organisation = organisation
        per_school = [
            self.class_count // len(places) + (1 if n < self.class_count % len(places) else 0)
            for n in range(len(places))
        ]
        rows = []
        for school, count in zip(self.school_list, per_school, strict=True):
            letters = math.ceil(count / len(LEVELS))
            names = [f"{level} {LETTERS[k]}" for level in LEVELS for k in range(letters)][:count]
            rows += [
                SchoolClass(school=school, year=self.year, name=name, kind=SchoolClass.Kind.CLASS, level=name[:2])
                for name in names
            ]
        self.classes = SchoolClass.objects.bulk_create(rows)
        started_hash = time.perf_counter()
        self.hashed = make_password(PASSWORD)  # ONCE: the same hash for every bench account
        self.hash_seconds = time.perf_counter() - started_hash
        self.step(
            f"année {self.year.label}, {len(self.school_list)} collèges, {len(self.classes)} classes "
            f"(un hachage du mot de passe : {self.hash_seconds * 1000:.0f} ms)",
            started,
        )

    def people(self) -> None:
        from allauth.account.models import EmailAddress
        from django.contrib.contenttypes.models import ContentType

        from cybercantal.accounts.models import Organisation, Role, RoleMembership, User
        from cybercantal.learning.models import Enrolment, EntAccount, SchoolMember, Teaching

        started = time.perf_counter()
        rng = self.rng
        sizes = class_sizes(len(self.classes), self.pupil_count, rng)
        org_type = ContentType.objects.get_for_model(Organisation)
        users = []
        placement = []  # (class, login)
        n = 0
        for school_class, size in zip(self.classes, sizes, strict=True):
            for _ in range(size):
                login = PUPIL_LOGIN.format(n=n)
                users.append(
                    User(
                        email=f"{login}@ent.invalid",
                        first_name=rng.choice(FIRST_NAMES),
                        last_name=rng.choice(LAST_NAMES),
                        password=self.hashed,
                    )
                )
                placement.append((school_class, login))
                n += 1
        users = User.objects.bulk_create(users, batch_size=2000)
        today = self.now.date()
        EntAccount.objects.bulk_create(
            [
                EntAccount(user=user, login=login, activated_at=self.now)
                for user, (_c, login) in zip(users, placement, strict=True)
            ],
            batch_size=2000,
        )
        SchoolMember.objects.bulk_create(
            [
                SchoolMember(school_id=c.school_id, user=user, kind=SchoolMember.Kind.STUDENT, joined_on=today)
                for user, (c, _l) in zip(users, placement, strict=True)
            ],
            batch_size=2000,
        )
        Enrolment.objects.bulk_create(
            [
                Enrolment(student=user, school_class=c, year=self.year, is_group=False)
                for user, (c, _l) in zip(users, placement, strict=True)
            ],
            batch_size=2000,
        )
        organisation_of = {s.pk: s.organisation_id for s in self.school_list}
        RoleMembership.objects.bulk_create(
            [
                RoleMembership(
                    user=user,
                    role=Role.STUDENT,
                    scope_type=org_type,
                    scope_id=organisation_of[c.school_id],
                    starts_on=self.year.starts_on,
                )
                for user, (c, _l) in zip(users, placement, strict=True)
            ],
            batch_size=2000,
        )
        self.pupils_of: dict[int, list[Any]] = {}
        for user, (c, _l) in zip(users, placement, strict=True):
            self.pupils_of.setdefault(c.pk, []).append(user)
        self.step(f"{len(users)} élèves (comptes ENT activés, inscriptions, rôles)", started)

        started = time.perf_counter()
        teachers = []
        taught: list[tuple[int, int]] = []  # (teacher index, class)
        by_school: dict[int, list[Any]] = {}
        for c in self.classes:
            by_school.setdefault(c.school_id, []).append(c)
        for school in self.school_list:
            classes = by_school.get(school.pk, [])
            for k in range(math.ceil(len(classes) / 5)):
                teachers.append(
                    User(
                        email=f"prof.{school.uai.lower()}.{k + 1}@{TEACHER_DOMAIN}",
                        first_name=rng.choice(FIRST_NAMES),
                        last_name=rng.choice(LAST_NAMES),
                        password=self.hashed,
                    )
                )
                taught += [(len(teachers) - 1, c.pk) for c in classes[5 * k : 5 * k + 5]]
        teachers = User.objects.bulk_create(teachers)
        EmailAddress.objects.bulk_create(
            [EmailAddress(user=t, email=t.email, verified=True, primary=True) for t in teachers]
        )
        class_by_pk = {c.pk: c for c in self.classes}
        self.teacher_of: dict[int, Any] = {}
        for index, class_id in taught:
            self.teacher_of[class_id] = teachers[index]
        Teaching.objects.bulk_create(
            [
                Teaching(teacher=teachers[index], school_class_id=class_id, subject=self.maths, is_main_teacher=True)
                for index, class_id in taught
            ]
        )
        members = {(teachers[index].pk, class_by_pk[class_id].school_id) for index, class_id in taught}
        SchoolMember.objects.bulk_create(
            [
                SchoolMember(school_id=school_id, user_id=user_id, kind=SchoolMember.Kind.TEACHER, joined_on=today)
                for user_id, school_id in sorted(members)
            ]
        )
        RoleMembership.objects.bulk_create(
            [
                RoleMembership(
                    user_id=user_id,
                    role=Role.TEACHER,
                    scope_type=org_type,
                    scope_id=organisation_of[school_id],
                    starts_on=self.year.starts_on,
                )
                for user_id, school_id in sorted(members)
            ]
        )
        self.teachers = teachers
        self.step(f"{len(teachers)} enseignants de mathématiques", started)

    def courses_and_homework(self) -> None:
        from cybercantal.learning.models import Course, Homework, Lesson

        started = time.perf_counter()
        courses = Course.objects.bulk_create(
            [
                Course(
                    school_class=c,
                    subject=self.maths,
                    author=self.teacher_of[c.pk],
                    title="Nombres et calculs",
                    summary="Les fractions, les nombres relatifs.",
                    status=Course.Status.PUBLISHED,
                    published_at=self.now - dt.timedelta(days=30),
                )
                for c in self.classes
            ]
        )
        Lesson.objects.bulk_create(
            [
                Lesson(
                    course=course,
                    position=k,
                    title=f"Leçon {k}",
                    body="<p>Une fraction est un quotient.</p>",
                    status=Course.Status.PUBLISHED,
                    published_at=self.now - dt.timedelta(days=30 - k),
                )
                for course in courses
                for k in (1, 2, 3)
            ]
        )
        today = self.now.date()
        Homework.objects.bulk_create(
            [
                Homework(
                    school_class=c,
                    subject=self.maths,
                    teacher=self.teacher_of[c.pk],
                    given_on=today,
                    due_on=today + dt.timedelta(days=k),
                    title=f"Exercices {k} page {40 + k}",
                    estimated_minutes=20,
                )
                for c in self.classes
                for k in (0, 2, 4)
            ]
        )
        self.step("cours (3 leçons) et devoirs de la semaine par classe", started)

    # --- questions, exercises, assignments -------------------------------------------------------

    def exercises(self) -> None:
        from cybercantal.learning import grading
        from cybercantal.learning.models import Assignment, Exercise, ExerciseQuestion, FeedbackTiming, Question
        from cybercantal.learning.tests.factories import QUESTION_DATA

        started = time.perf_counter()
        owner_of = {}
        for c in self.classes:
            owner_of.setdefault(c.school_id, self.teacher_of[c.pk])
        titles = [RUSH_TITLE, *HISTORY_TITLES]
        self.school_list = [s for s in self.school_list if s.pk in owner_of]
        exercises = Exercise.objects.bulk_create(
            [
                Exercise(
                    owner=owner_of[school.pk],
                    school=school,
                    subject=self.maths,
                    title=title,
                    instructions="Répondez aux dix questions, puis rendez l'exercice.",
                )
                for school in self.school_list
                for title in titles
            ]
        )
        questions = Question.objects.bulk_create(
            [
                Question(
                    owner=exercise.owner,
                    school=exercise.school,
                    qtype=qtype,
                    name=f"{exercise.title[:40]} — {qtype}",
                    text=STEMS[qtype],
                    data=QUESTION_DATA[qtype],
                    default_mark=Decimal("0") if qtype == "description" else Decimal("1"),
                    search_text=STEMS[qtype].lower(),
                )
                for exercise in exercises
                for qtype in QTYPES
            ]
        )
        items = []
        for e, exercise in enumerate(exercises):
            for position, question in enumerate(questions[e * len(QTYPES) : (e + 1) * len(QTYPES)], start=1):
                mark = Decimal("0") if question.qtype == "description" else Decimal("1")
                items.append(ExerciseQuestion(exercise=exercise, question=question, position=position, mark=mark))
        ExerciseQuestion.objects.bulk_create(items)
        self.exercise_items: dict[int, list[Any]] = {}
        for item in items:
            self.exercise_items.setdefault(item.exercise_id, []).append(item)
        self.rush_of: dict[int, Any] = {}
        self.history_of: dict[int, list[Any]] = {}
        for exercise in exercises:
            if exercise.title == RUSH_TITLE:
                self.rush_of[exercise.school_id] = exercise
            else:
                self.history_of.setdefault(exercise.school_id, []).append(exercise)
        self.rush = Assignment.objects.bulk_create(
            [
                Assignment(
                    exercise=self.rush_of[c.school_id],
                    school_class=c,
                    created_by=self.teacher_of[c.pk],
                    opens_at=self.now - dt.timedelta(hours=1),
                    closes_at=self.now + dt.timedelta(days=7),
                    attempts_allowed=1,
                    feedback_timing=FeedbackTiming.AFTER_SUBMIT,
                    shuffle_answers=True,
                )
                for c in self.classes
            ]
        )
        # What an attempt freezes: a few display orders per question (a real start draws one
        # per attempt) and the responses a pupil may give, graded once here.
        from cybercantal.learning.demo.attempts import response_for

        self.snapshots: dict[int, list[str]] = {}
        self.responses: dict[int, tuple[list[tuple[str, Decimal]], list[tuple[str, Decimal]]]] = {}
        rng = random.Random(7)
        for question in questions:
            self.snapshots[question.pk] = [
                json.dumps(
                    grading.snapshot(question, shuffle_answers=True, rng=random.Random(f"{question.pk}:{v}")),
                    ensure_ascii=False,
                )
                for v in range(SNAPSHOT_VARIANTS)
            ]
            snapshot = grading.snapshot(question)
            right, wrong = [], []
            for good, bucket in ((True, right), (False, wrong)):
                for _ in range(1 if good else 3):
                    response = response_for(snapshot, right=good, rng=rng)
                    if response is None:
                        continue
                    fraction = (
                        grading.grade(question.qtype, question.data, response).fraction
                        if question.qtype in grading.AUTO_GRADED
                        else None
                    )
                    bucket.append((json.dumps(response, ensure_ascii=False), fraction))
            self.responses[question.pk] = (right, wrong)
        self.step(
            f"{len(questions)} questions, {len(exercises)} exercices, l'exercice du lundi donné aux "
            f"{len(self.rush)} classes",
            started,
        )

    # --- history: past assignments, attempts, answers --------------------------------------------

    def history(self) -> tuple[int, int, int]:
        from django.db import connection

        from cybercantal.learning.models import Assignment, FeedbackTiming, GradingMethod

        started = time.perf_counter()
        rng = self.rng
        per_round = self.pupil_count * PARTICIPATION * (1 + SECOND_ATTEMPT / 4) * len(QTYPES)
        rounds = max(1, math.ceil(self.target / per_round))
        span = (self.now - dt.timedelta(days=7)) - dt.datetime.combine(
            self.year.starts_on + dt.timedelta(days=5), dt.time(8), tzinfo=self.now.tzinfo
        )
        spacing = min(dt.timedelta(days=ROUND_DAYS), span / max(rounds, 1))
        assignments = []
        for r in range(rounds + 2):  # a margin: the last round stops at the target
            opens = self.now - dt.timedelta(days=7) - spacing * (r + 1)
            for c in self.classes:
                kind = rng.random()
                training = kind < 1 / 6
                allowed = 0 if training else (3 if kind > 0.75 else 1)
                assignments.append(
                    Assignment(
                        exercise=self.history_of[c.school_id][r % len(HISTORY_TITLES)],
                        school_class=c,
                        created_by=self.teacher_of[c.pk],
                        opens_at=opens,
                        closes_at=opens + dt.timedelta(days=5),
                        attempts_allowed=allowed,
                        grading_method=GradingMethod.HIGHEST,
                        feedback_timing=FeedbackTiming.AFTER_CLOSE if kind > 0.9 else FeedbackTiming.AFTER_SUBMIT,
                        shuffle_answers=True,
                        training=training,
                    )
                )
        assignments = Assignment.objects.bulk_create(assignments, batch_size=2000)
        skill = {u.pk: rng.uniform(0.35, 0.95) for pupils in self.pupils_of.values() for u in pupils}
        with connection.cursor() as cursor:
            cursor.execute("SELECT coalesce(max(id), 0) FROM learning_attempt")
            next_id = cursor.fetchone()[0] + 1
        attempts_rows: list[tuple[Any, ...]] = []
        answers_made = 0
        used_assignments = set()
        raw = connection.connection  # psycopg: COPY
        attempt_columns = (
            "id, assignment_id, student_id, number, state, started_at, deadline_at, submitted_at, last_slot, "
            "score, max_score, needs_grading"
        )
        answer_columns = (
            "attempt_id, slot, question_id, snapshot, max_mark, response, answered_at, checked_at, fraction, mark, "
            "override_mark, override_comment, graded_by_id, graded_at"
        )
        with connection.cursor() as cursor:
            # The rows are consistent by construction: no foreign-key trigger per row during
            # the load (this transaction only; the bench connects as the superuser postgres).
            cursor.execute("SET LOCAL session_replication_role = replica")
        with raw.cursor() as cur, cur.copy(f"COPY learning_answer ({answer_columns}) FROM STDIN") as copy:
            for assignment in assignments:
                if answers_made >= self.target:
                    break
                used_assignments.add(assignment.pk)
                items = self.exercise_items[assignment.exercise_id]
                teacher_id = assignment.created_by_id
                for pupil in self.pupils_of[assignment.school_class_id]:
                    if answers_made >= self.target:
                        break
                    if rng.random() > PARTICIPATION:
                        continue
                    tries = 1
                    if assignment.attempts_allowed != 1 and rng.random() < SECOND_ATTEMPT:
                        tries = 2
                    for number in range(1, tries + 1):
                        begin = assignment.opens_at + dt.timedelta(
                            hours=rng.uniform(2, 90) + (number - 1) * rng.uniform(1, 20)
                        )
                        moment = begin
                        score = Decimal("0")
                        pending = False
                        level = skill[pupil.pk] + (0.1 if number > 1 else 0)
                        for slot, item in enumerate(items, start=1):
                            qid = item.question_id
                            qtype = QTYPES[(item.position - 1) % len(QTYPES)]
                            snapshot = self.snapshots[qid][rng.randrange(SNAPSHOT_VARIANTS)]
                            right, wrong = self.responses[qid]
                            response = answered = fraction = mark = override = graded_at = grader = None
                            comment = ""
                            moment += dt.timedelta(seconds=rng.uniform(15, 120))
                            if qtype == "description":
                                pass
                            elif rng.random() < BLANK:  # left blank: worth 0 once handed in (``_finish``)
                                fraction, mark = Decimal("0"), Decimal("0.00")
                            else:
                                response, fraction = (
                                    right[0] if rng.random() < level or not wrong else rng.choice(wrong)
                                )
                                answered = moment
                                if qtype == "essay":
                                    fraction = None
                                    if rng.random() < ESSAY_GRADED or assignment.training:
                                        override = Decimal(rng.choice(["0", "0.5", "1"]))
                                        comment = rng.choice(["Bien expliqué.", "Développe davantage.", ""])
                                        grader, graded_at = teacher_id, assignment.closes_at + dt.timedelta(days=1)
                                    else:
                                        pending = True
                                else:
                                    mark = max(Decimal("0"), fraction * item.mark).quantize(Decimal("0.01"))
                            final = override if override is not None else mark
                            score += final or Decimal("0")
                            copy.write_row(
                                (
                                    next_id,
                                    slot,
                                    qid,
                                    snapshot,
                                    item.mark,
                                    response,
                                    answered,
                                    None,
                                    fraction,
                                    mark,
                                    override,
                                    comment,
                                    grader,
                                    graded_at,
                                )
                            )
                            answers_made += 1
                        submitted = moment + dt.timedelta(seconds=rng.uniform(10, 60))
                        attempts_rows.append(
                            (
                                next_id,
                                assignment.pk,
                                pupil.pk,
                                number,
                                "submitted",
                                begin,
                                assignment.closes_at,
                                submitted,
                                len(items),
                                None if pending else score.quantize(Decimal("0.01")),
                                sum((i.mark for i in items), Decimal("0")),
                                pending,
                            )
                        )
                        next_id += 1
        with raw.cursor() as cur, cur.copy(f"COPY learning_attempt ({attempt_columns}) FROM STDIN") as copy:
            for row in attempts_rows:
                copy.write_row(row)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = origin")
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence('learning_attempt', 'id'), "
                "(SELECT coalesce(max(id), 1) FROM learning_attempt))"
            )
        unused = [a.pk for a in assignments if a.pk not in used_assignments]
        Assignment.objects.filter(pk__in=unused).delete()
        self.step(
            f"historique : {len(used_assignments)} exercices donnés passés, {len(attempts_rows)} tentatives, "
            f"{answers_made} réponses (COPY)",
            started,
        )
        return len(used_assignments), len(attempts_rows), answers_made


def table_sizes() -> list[list[Any]]:
    from django.db import connection

    rows = []
    with connection.cursor() as cursor:
        for table in (
            "learning_answer",
            "learning_attempt",
            "learning_assignment",
            "accounts_user",
            "learning_entaccount",
            "learning_enrolment",
        ):
            cursor.execute(
                "SELECT (SELECT count(*) FROM " + table + "), pg_table_size(%s), pg_indexes_size(%s), "  # noqa: S608
                "pg_total_relation_size(%s)",
                [table, table, table],
            )
            count, data, index, total = cursor.fetchone()
            rows.append(
                [f"`{table}`", benchlib.number(count), f"{data / 1e6:.1f}", f"{index / 1e6:.1f}", f"{total / 1e6:.1f}"]
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help=f"une base PostgreSQL cc_bench… (défaut : {DEFAULT_URL})")
    parser.add_argument("--answers", type=int, default=1_000_000, help="réponses enregistrées visées (historique)")
    parser.add_argument("--pupils", type=int, default=5500)
    parser.add_argument("--classes", type=int, default=230)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--rebuild-base", action="store_true", help=f"refait aussi la base {BASE_NAME}")
    args = parser.parse_args(argv)
    if not 0 <= args.answers <= 5_000_000 or not 100 <= args.pupils <= 20_000 or not 4 <= args.classes <= 800:
        parser.error("--answers entre 0 et 5 000 000, --pupils entre 100 et 20 000, --classes entre 4 et 800")
    url = database_url(args.database_url)
    if not url.startswith(("postgres", "pgsql")):
        raise SystemExit("Ce générateur veut PostgreSQL (une base cc_bench…).")
    started = time.perf_counter()
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"# Génération de {url.rsplit('/', 1)[-1]} — charge moyenne au départ {load}, {os.cpu_count()} cœurs",
        flush=True,
    )
    prepare_database(url, rebuild_base=args.rebuild_base)
    benchlib.configure_django(url)
    from django.db import connection, transaction

    generator = Generator(classes=args.classes, pupils=args.pupils, answers=args.answers, seed=args.seed)
    generator.schools()
    with transaction.atomic():
        generator.people()
        generator.courses_and_homework()
        generator.exercises()
    with transaction.atomic():
        past, attempts, answers = generator.history()
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    generator.step("VACUUM ANALYZE", step)
    total = time.perf_counter() - started
    print(
        f"\n{len(generator.school_list)} collèges, {len(generator.classes)} classes, {benchlib.number(args.pupils)} "
        f"élèves (identifiants banc.0 à banc.{args.pupils - 1}, mot de passe « {PASSWORD} »), "
        f"{len(generator.teachers)} enseignants ; l'exercice du lundi donné à {len(generator.rush)} classes ; "
        f"historique : {benchlib.number(past)} exercices donnés, {benchlib.number(attempts)} tentatives, "
        f"{benchlib.number(answers)} réponses ; en {total:.0f} s au total. Un hachage du mot de passe : "
        f"{generator.hash_seconds * 1000:.0f} ms (fait une fois, pas {args.pupils}).\n"
    )
    print(benchlib.table(["table", "lignes", "données Mo", "index Mo", "total Mo"], table_sizes()))
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"\nCharge moyenne à la fin : {load}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
