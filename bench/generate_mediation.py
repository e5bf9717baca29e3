"""Build a bench database of the EPN network: 100 EPN over 5 years of activity.

    .venv/bin/python bench/generate_mediation.py                                  # SQLite under /tmp/cc_bench
    .venv/bin/python bench/generate_mediation.py --database postgres              # cc_bench_mediation
    .venv/bin/python bench/generate_mediation.py --epn 100 --years 5 --database-url sqlite:////tmp/cc_bench/m.sqlite3

The database is built from scratch (SQLite file removed, PostgreSQL database dropped and
created), migrated, loaded with the territory (``territory_import``), then filled with
``bulk_create`` (no services, no journal: a bulk load is not an action of a person):

- ``--epn`` EPN places spread over every canton (round robin over the cantons, a commune of
  the canton drawn at random), one mediator per EPN (role mediator on it), one programme
  manager (``manager@bench.test``), each with a TOTP authenticator (staff roles need one);
- a catalogue of 24 workshops with one or two digital themes;
- ``--years`` years up to today: 2 sessions per EPN per week (8 to 12 seats, 5 % cancelled,
  attendance taken on 90 % of the past ones), their registrations (3 seats to full, a short
  waitlist when full, 85 % present);
- 15 accompaniments per EPN per week (individual 70 %, procedure 20 %, collective 10 %), with
  themes, administrative themes, help reasons, autonomy and outcomes;
- free-access visits: 3 opening days a week, morning and afternoon.

The same ``--seed`` gives the same data. The figures are printed; nothing here is a test.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from typing import Any

import benchlib
from generate_places import recreate_database

SQLITE_URL = f"sqlite:///{benchlib.VAR_DIR}/mediation.sqlite3"
POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_mediation"
MANAGER_EMAIL = "manager@bench.test"
MEDIATOR_EMAIL = "mediateur-{n}@bench.test"
BATCH = 5000


def default_url(database: str) -> str:
    return {"sqlite": SQLITE_URL, "postgres": POSTGRES_URL, "postgresql": POSTGRES_URL}.get(database, database)


def generate(url: str, *, epn: int, years: int, seed: int, analyze: bool | None) -> dict[str, Any]:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    recreate_database(url)
    benchlib.configure_django(url)

    from allauth.mfa.models import Authenticator
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone
    from django.utils.text import slugify

    from cybercantal.accounts.models import Role, RoleMembership, User
    from cybercantal.mediation import models as m
    from cybercantal.places import services as place_services
    from cybercantal.places.models import Place, PlaceKind, PlaceOffer, PlaceStatus
    from cybercantal.territory.models import Canton

    step = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
    call_command("territory_import", verbosity=0, skip_checks=True)
    timings["migrate + territory"] = time.perf_counter() - step

    rng = random.Random(seed)
    counts: dict[str, int] = {}

    def bulk(model: Any, rows: list[Any]) -> None:
        with transaction.atomic():
            model.objects.bulk_create(rows, batch_size=BATCH)
        counts[model.__name__] = counts.get(model.__name__, 0) + len(rows)
        rows.clear()

    # --- places, people ----------------------------------------------------------------------
    step = time.perf_counter()
    cantons = list(Canton.objects.prefetch_related("communes").order_by("code"))
    places = []
    for n in range(epn):
        canton = cantons[n % len(cantons)]
        communes = [c for c in canton.communes.all() if c.kind == "actuelle"] or list(canton.communes.all())
        commune = rng.choice(communes)
        name = f"EPN {n + 1} de {commune.name}"
        place = Place(
            name=name,
            slug=slugify(name),
            kind=PlaceKind.EPN,
            offers=[PlaceOffer.EPN],
            status=PlaceStatus.PUBLISHED,
            commune=commune,
            canton=canton,
            address=f"{n + 1} place de la Mairie",
            postal_code=(commune.postal_codes or ["15000"])[0],
            source="bench",
        )
        place.search_text = place_services.build_search_text(place)
        places.append(place)
    bulk(Place, places)
    places = list(Place.objects.order_by("pk"))
    now = timezone.now()
    users = [User(email=MANAGER_EMAIL, first_name="Chargée", last_name="De programme")]
    users += [User(email=MEDIATOR_EMAIL.format(n=n), first_name="Médiateur", last_name=str(n)) for n in range(epn)]
    for user in users:
        user.set_unusable_password()
    bulk(User, users)
    manager = User.objects.get(email=MANAGER_EMAIL)
    mediators = list(User.objects.exclude(pk=manager.pk).order_by("pk"))
    place_type = ContentType.objects.get_for_model(Place)
    memberships = [RoleMembership(user=manager, role=Role.PROGRAMME_MANAGER)]
    memberships += [
        RoleMembership(user=user, role=Role.MEDIATOR, scope_type=place_type, scope_id=place.pk)
        for user, place in zip(mediators, places, strict=True)
    ]
    bulk(RoleMembership, memberships)
    bulk(
        Authenticator,
        [
            Authenticator(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
            for user in [manager, *mediators]
        ],
    )
    bulk(m.Mediator, [m.Mediator(user=user) for user in mediators])
    profiles = dict(m.Mediator.objects.values_list("user_id", "pk"))
    themes = list(m.DigitalTheme.values)
    workshops = [
        m.Workshop(
            title=f"Atelier {n + 1}",
            slug=f"atelier-{n + 1}",
            summary="Atelier du banc d'essai.",
            themes=rng.sample(themes, rng.choice([1, 1, 2])),
            duration_minutes=120,
            publics=["everyone"],
        )
        for n in range(24)
    ]
    bulk(m.Workshop, workshops)
    workshops = list(m.Workshop.objects.order_by("pk"))
    timings["places, people"] = time.perf_counter() - step

    # --- sessions and registrations ---------------------------------------------------------
    step = time.perf_counter()
    today = timezone.localdate()
    first_day = dt.date(today.year - years + 1, 1, 1)
    monday = first_day - dt.timedelta(days=first_day.weekday())
    weeks = []
    while monday <= today:
        weeks.append(monday)
        monday += dt.timedelta(days=7)
    tz = timezone.get_current_timezone()
    sessions: list[Any] = []
    for place, user in zip(places, mediators, strict=True):
        for week in weeks:
            for weekday, hour in ((1, 14), (4, 10)):
                day = week + dt.timedelta(days=weekday)
                starts = dt.datetime.combine(day, dt.time(hour, 0), tzinfo=tz)
                capacity = rng.randint(8, 12)
                past = starts < now
                sessions.append(
                    m.Session(
                        workshop=rng.choice(workshops),
                        place=place,
                        mediator_id=profiles[user.pk],
                        starts_at=starts,
                        ends_at=starts + dt.timedelta(hours=2),
                        capacity=capacity,
                        confirmed_count=rng.randint(3, capacity),
                        status="cancelled" if rng.random() < 0.05 else "scheduled",
                        attendance_taken_at=starts + dt.timedelta(hours=2) if past and rng.random() < 0.9 else None,
                    )
                )
        if len(sessions) >= BATCH:
            bulk(m.Session, sessions)
    bulk(m.Session, sessions)
    registrations: list[Any] = []
    for pk, capacity, confirmed, taken in m.Session.objects.values_list(
        "pk", "capacity", "confirmed_count", "attendance_taken_at"
    ).iterator(chunk_size=BATCH):
        for i in range(confirmed):
            attended = (rng.random() < 0.85) if taken else None
            registrations.append(
                m.Registration(
                    session_id=pk, first_name="Prénom", last_name=f"N{i}", status="confirmed", attended=attended
                )
            )
        if confirmed == capacity:
            registrations.extend(
                m.Registration(
                    session_id=pk, first_name="Prénom", last_name=f"W{i}", status="waitlisted", waitlisted_at=now
                )
                for i in range(rng.randint(0, 3))
            )
        if len(registrations) >= BATCH:
            bulk(m.Registration, registrations)
    bulk(m.Registration, registrations)
    timings["sessions, registrations"] = time.perf_counter() - step

    # --- accompaniments -------------------------------------------------------------------------
    step = time.perf_counter()
    admin_themes = list(m.AdminTheme.values)
    reasons = [*m.HelpReason.values, "", ""]
    autonomy = [*m.Autonomy.values, ""]
    outcomes = [*m.Outcome.values, ""]
    durations = [15, 30, 30, 45, 60, 60, 90, 120]
    days = (today - first_day).days + 1
    rows: list[Any] = []
    for place, user in zip(places, mediators, strict=True):
        for _n in range(days * 15 // 7):
            kind = rng.choices(["individual", "procedure", "collective"], weights=[70, 20, 10])[0]
            fields: dict[str, Any] = {}
            if kind == "collective":
                people = rng.randint(3, 12)
                fields = {"participants": people, "gender_unknown": people, "age_unknown": people}
                fields["status_unknown"] = people
            rows.append(
                m.Accompaniment(
                    kind=kind,
                    author_id=user.pk,
                    place=place,
                    date=first_day + dt.timedelta(days=rng.randrange(days)),
                    duration_minutes=rng.choice(durations),
                    themes=rng.sample(themes, rng.choice([1, 1, 2, 3])),
                    admin_themes=rng.sample(admin_themes, rng.choice([1, 2])) if kind == "procedure" else [],
                    equipment_used=["computer"],
                    autonomy=rng.choice(autonomy),
                    help_reason=rng.choice(reasons),
                    outcome=rng.choice(outcomes) if kind == "procedure" else "",
                    **fields,
                )
            )
            if len(rows) >= BATCH:
                bulk(m.Accompaniment, rows)
    bulk(m.Accompaniment, rows)
    timings["accompaniments"] = time.perf_counter() - step

    # --- free-access visits ---------------------------------------------------------------------
    step = time.perf_counter()
    visits: list[Any] = []
    for place in places:
        for week in weeks:
            for weekday in (1, 2, 4):
                day = week + dt.timedelta(days=weekday)
                if first_day <= day <= today:
                    visits.extend(
                        m.FreeAccessVisit(place=place, date=day, slot=slot, count=rng.randint(0, 9))
                        for slot in ("morning", "afternoon")
                    )
        if len(visits) >= BATCH:
            bulk(m.FreeAccessVisit, visits)
    bulk(m.FreeAccessVisit, visits)
    timings["visits"] = time.perf_counter() - step

    # --- the monthly aggregate, as the nightly job leaves it ------------------------------------
    step = time.perf_counter()
    from cybercantal.mediation.services.statistics import statistics_rebuild_months

    counts["StatisticsMonth"] = statistics_rebuild_months()
    timings["monthly aggregate"] = time.perf_counter() - step

    if analyze is None:
        analyze = connection.vendor == "postgresql"
    if analyze:
        step = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        timings["analyze"] = time.perf_counter() - step
    timings["total"] = time.perf_counter() - started
    return {"url": url, "counts": counts, "timings": timings, "first_day": first_day, "today": today}


def report(result: dict[str, Any]) -> None:
    n = benchlib.number
    counts = ", ".join(f"{name} {n(value)}" for name, value in result["counts"].items())
    timings = ", ".join(f"{name} {value:.1f} s" for name, value in result["timings"].items())
    print(
        f"{benchlib.engine_label(result['url'])} {result['url']} — du {result['first_day']} au {result['today']}\n"
        f"  {counts}\n  {timings}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", help="sqlite ou postgres")
    parser.add_argument("--database-url", default="", help="URL d'une base de bench (remplace --database)")
    parser.add_argument("--epn", type=int, default=100)
    parser.add_argument("--years", type=int, default=5)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--analyze", choices=["auto", "yes", "no"], default="auto")
    args = parser.parse_args(argv)
    url = args.database_url or default_url(args.database)
    analyze = {"auto": None, "yes": True, "no": False}[args.analyze]
    report(generate(url, epn=args.epn, years=args.years, seed=args.seed, analyze=analyze))
    return 0


if __name__ == "__main__":
    sys.exit(main())
