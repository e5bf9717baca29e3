"""Bench database of the telecentres: 7 telecentres, 5 years, about 1 million bookings.

    .venv/bin/python bench/generate_telework.py                       # cc_bench_telework, 1,000,000
    .venv/bin/python bench/generate_telework.py --bookings 100000     # a smaller network
    .venv/bin/python bench/generate_telework.py --database-url postgres://postgres@127.0.0.1:5432/cc_bench_telework_b

PostgreSQL only (a database whose name starts with ``cc_bench``, on 127.0.0.1; never the
developer's ``var/`` database): it is dropped, created, migrated, loaded with the territory,
then filled:

- the telecentres of the demo (``places.demo`` then ``telework.demo.network``: operators with
  their invoicing details, places, seat pools, offices, meeting rooms with their own rules,
  hours, buffers and access), all seven open one after another, four months apart, from the
  first day of the span; their seat pools scaled up by one factor so that the bookings asked
  for fit at about ``--occupancy`` (75 %) of the seats (the demo's 6 to 14 seats hold far
  fewer than 1 million bookings in 5 years: that factor is printed);
- closures: the demo's, plus a Christmas week every year at four telecentres and two weeks of
  summer at two;
- the demo's plans in every telecentre; ``--members`` members (a profile with a commute, one
  membership each at a home telecentre, starting at its opening or later), 30 % of them
  salaried employees of 15 employers whose agreements (2 or 3 days a week) cover one to three
  telecentres;
- bookings on every open day of the span, 4 years past and 1 year ahead (``--future-days``):
  pools by half-day or day, offices and rooms by runs of 30 minutes to a day. Past: 89 %
  confirmed, 8 % cancelled, 3 % released (no-show), 80 % of the confirmed checked in;
  future: 92 % confirmed, 8 % cancelled. Prices from the plan or the agreement (credits used
  for plans that include days; the credit ledger itself is not generated).

The invariants hold, and the database checks the first two while loading:
no overlap on an office or a room, buffer included (the ``booking_no_overlap`` exclusion
constraint is in place during the load); ``blocked_until = ends_at + buffer``; ``exclusive``
copied from the kind; a pool never holds more confirmed (or released) bookings than its
seats in a half-day, a day booking taking a seat in both; one seat or office at a time per
person and telecentre; weekly quotas of the part-time plan and of the agreements;
partners-only offices booked by agreement employees only; nothing on a closure, a public
holiday or outside the hours; nothing before the telecentre opens or the membership starts.

Fast: bookings go through PostgreSQL ``COPY`` (one per telecentre and kind of resource), the
rest through ``bulk_create``; no journal entry (a bulk load is not a person's action);
``VACUUM ANALYZE`` at the end. Same ``--seed`` on the same day = same data. Prints the time
of each step and the size of the tables. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import os
import random
import sys
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import benchlib

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/cc_bench_telework"
YEARS = 5
OPENING_GAP_DAYS = 120  # the seven telecentres open one after another
EMPLOYERS = 15
AGREEMENT_SHARE = 0.30
CHECKIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Weekday factors of the demand (Monday..Saturday) and month factors (January..December).
WEEKDAY = [0.85, 1.1, 0.95, 1.1, 0.75, 0.6, 0.0]
MONTH = [0.95, 1.0, 1.05, 1.05, 1.0, 1.0, 0.8, 0.6, 1.05, 1.1, 1.1, 0.85]
DAY_SHARE = 0.3  # of the seats taken in a pool's day, the share taken by whole-day bookings
OFFICE_MINUTES = [60, 90, 120, 180, 180, 240, 240, 300, 660]
ROOM_MINUTES = [30, 60, 60, 90, 120, 120, 180, 240]
GAPS = [0, 0, 30, 30, 60, 90, 120]
FIRST_NAMES = [
    "Camille", "Mathieu", "Aurélie", "Romain", "Sandrine", "Julie", "Nicolas", "Émilie", "Baptiste", "Laure",
    "Guillaume", "Manon", "Pierre", "Claire", "Thomas", "Léa", "Antoine", "Marion", "Julien", "Chloé",
]  # fmt: skip
LAST_NAMES = [
    "Besse", "Lacoste", "Vaissier", "Cabanes", "Falgoux", "Delpuech", "Rouquier", "Chassang", "Montel", "Bouygues",
    "Tournadre", "Servant", "Delmas", "Lafon", "Vidal", "Roux", "Bonnefoy", "Chabrier", "Lavergne", "Teyssèdre",
]  # fmt: skip
EMPLOYER_NAMES = [
    "Laiterie des Monts", "Banque Populaire Auvergne", "Groupe Altitude Conseil", "Scierie du Lioran",
    "Mutuelle des Volcans", "Ingénierie Cantal Numérique", "Transports Delmas", "Cabinet Vidal Architectes",
    "Fromagerie de Salers", "Assurances Planèze", "Informatique Sumène", "Bureau d'études Cère",
    "Coopérative Margeride", "Agence Web Châtaigneraie", "Expertise comptable Artense",
]  # fmt: skip


@dataclass
class Member:
    pk: int
    membership: int
    starts_on: dt.date
    plan: Any = None
    agreement: Any = None
    limit: Decimal | None = None  # days per week

    @property
    def partner(self) -> bool:
        return self.agreement is not None


@dataclass
class Site:
    telecentre: Any
    pools: list[Any]
    exclusive: list[Any]
    members: list[Member] = field(default_factory=list)
    starts: list[dt.date] = field(default_factory=list)  # members' starts_on, sorted
    closures: list[Any] = field(default_factory=list)
    day_pass: Any = None
    # Left by the offices' pass for the pools' pass: who holds an office on a day, and the
    # days counted per member in a week (quotas span both).
    office_takers: dict[dt.date, set[int]] = field(default_factory=dict)
    week_used: dict[dt.date, dict[int, Decimal]] = field(default_factory=dict)


def database_url(arg: str) -> str:
    if arg:
        return arg
    env = os.environ.get("DATABASE_URL", "")
    return env if env.rsplit("/", 1)[-1].startswith("cc_bench_telework") else DEFAULT_URL


def checkin_code(n: int) -> str:
    """Unique per ``n`` (a bijection of 40 bits), 8 characters of the check-in alphabet."""
    value = (n * 0x9E3779B97F) % (1 << 40)
    return "".join(CHECKIN_ALPHABET[(value >> (5 * i)) & 31] for i in range(8))


def demand(day: dt.date) -> float:
    return WEEKDAY[day.weekday()] * MONTH[day.month - 1]


class Generator:
    def __init__(self, *, bookings: int, members: int, seed: int, occupancy: float, future_days: int) -> None:
        self.target = bookings
        self.member_count = members
        self.rng = random.Random(seed)
        self.occupancy = occupancy
        self.future_days = future_days
        self.timings: dict[str, float] = {}
        self.counter = 0
        self.cache: dict[tuple[dt.date, int], dt.datetime] = {}

    # --- steps -------------------------------------------------------------------------------------

    def step(self, name: str, started: float) -> None:
        self.timings[name] = time.perf_counter() - started
        print(f"  {name} : {self.timings[name]:.1f} s", flush=True)

    def at(self, day: dt.date, minutes: int) -> dt.datetime:
        key = (day, minutes)
        value = self.cache.get(key)
        if value is None:
            from cybercantal.telework.services.slots import local

            value = self.cache[key] = local(day, minutes)
        return value

    def network(self) -> list[Site]:
        from django.core.management import call_command
        from django.utils import timezone

        from cybercantal.places.demo import load_demo_places
        from cybercantal.telework import models as tw
        from cybercantal.telework.demo import network

        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False, skip_checks=True)
        call_command("territory_import", verbosity=0, skip_checks=True)
        self.step("migrate + territoire", started)
        started = time.perf_counter()
        load_demo_places()
        network.load()
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.end = self.today + dt.timedelta(days=self.future_days)
        self.start = self.end - dt.timedelta(days=365 * YEARS)
        self.start -= dt.timedelta(days=self.start.weekday())  # a Monday
        sites = []
        telecentres = {t.place.name: t for t in tw.Telecentre.objects.select_related("place")}
        for index, spec in enumerate(network.TELECENTRES):
            telecentre = telecentres[spec.place]
            telecentre.status = tw.TelecentreStatus.OPEN
            telecentre.opens_on = self.start + dt.timedelta(days=OPENING_GAP_DAYS * index)
            telecentre.save(update_fields=["status", "opens_on"])
            resources = list(tw.Resource.objects.filter(telecentre=telecentre).order_by("position", "pk"))
            for resource in resources:
                resource.telecentre = telecentre
            sites.append(
                Site(
                    telecentre,
                    [r for r in resources if r.kind == tw.ResourceKind.SEAT_POOL],
                    [r for r in resources if r.kind != tw.ResourceKind.SEAT_POOL],
                )
            )
        self.closures(sites)
        self.step("télécentres, ressources, fermetures (démo)", started)
        return sites

    def closures(self, sites: list[Site]) -> None:
        from cybercantal.telework import models as tw

        rows = []
        for index, site in enumerate(sites):
            existing = list(tw.Closure.objects.filter(telecentre=site.telecentre))
            for year in range(self.start.year, self.end.year + 1):
                wanted = []
                if index % 2 == 0:
                    wanted.append((dt.date(year, 12, 24), dt.date(year, 12, 31), "Fêtes de fin d'année"))
                if index in (2, 3):
                    august = dt.date(year, 8, 10) - dt.timedelta(days=dt.date(year, 8, 10).weekday())
                    wanted.append((august, august + dt.timedelta(days=13), "Congés d'été"))
                for starts_on, ends_on, reason in wanted:
                    if any(c.starts_on <= ends_on and c.ends_on >= starts_on for c in existing):
                        continue
                    rows.append(
                        tw.Closure(telecentre=site.telecentre, starts_on=starts_on, ends_on=ends_on, reason=reason)
                    )
        if sites and sites[0].exclusive:  # an office under works for a week, once
            office = sites[0].exclusive[0]
            monday = self.today - dt.timedelta(days=self.today.weekday() + 7 * 30)
            rows.append(
                tw.Closure(
                    telecentre=sites[0].telecentre,
                    resource=office,
                    starts_on=monday,
                    ends_on=monday + dt.timedelta(days=4),
                    reason="Travaux d'insonorisation",
                )
            )
        tw.Closure.objects.bulk_create(rows)
        for site in sites:
            site.closures = list(tw.Closure.objects.filter(telecentre=site.telecentre))

    def people(self, sites: list[Site]) -> None:
        from django.db import transaction

        from cybercantal.accounts.models import Organisation, User
        from cybercantal.telework import models as tw
        from cybercantal.telework.demo.plans import PLANS

        started = time.perf_counter()
        rng = self.rng
        plans: dict[int, dict[str, Any]] = {}
        with transaction.atomic():
            for site in sites:
                rows = [
                    tw.Plan(
                        telecentre=site.telecentre,
                        name=name,
                        kind=kind,
                        price_excl_tax=Decimal(price),
                        vat_rate=Decimal("20"),
                        **fields,
                    )
                    for name, kind, price, fields in PLANS
                ]
                tw.Plan.objects.bulk_create(rows)
                plans[site.telecentre.pk] = {p.kind: p for p in tw.Plan.objects.filter(telecentre=site.telecentre)}
                site.day_pass = plans[site.telecentre.pk].get(tw.PlanKind.DAY_PASS)

            # Employers and their agreements (one to three telecentres each).
            employers = Organisation.objects.bulk_create(
                [
                    Organisation(name=f"{name} (banc)", slug=f"banc-employeur-{n}", kind=Organisation.Kind.EMPLOYER)
                    for n, name in enumerate(EMPLOYER_NAMES[:EMPLOYERS])
                ]
            )
            agreements = []
            covered: dict[int, list[Any]] = {site.telecentre.pk: [] for site in sites}
            for n, employer in enumerate(employers):
                chosen = rng.sample(sites, rng.randint(1, 3))
                opens = max(s.telecentre.opens_on for s in chosen)
                agreement = tw.EmployerAgreement.objects.create(
                    reference=f"CONV-BANC-{n + 1:03d}",
                    employer=employer,
                    status=tw.AgreementStatus.ACTIVE,
                    signed_on=opens - dt.timedelta(days=20),
                    starts_on=opens + dt.timedelta(days=rng.randint(0, 120)),
                    days_per_week=rng.choice([2, 2, 3]),
                    day_price_excl_tax=Decimal(rng.choice(["14.00", "15.00", "16.00"])),
                    monthly_fee_excl_tax=Decimal("0.00"),
                    billing_address=f"Service RH\n{employer.name}",
                )
                agreement.telecentres.set([s.telecentre for s in chosen])
                agreements.append(agreement)
                for site in chosen:
                    covered[site.telecentre.pk].append(agreement)

            # Members, spread over the telecentres by the size of their pools.
            users = []
            for n in range(self.member_count):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                users.append(User(email=f"membre{n}@telecentres.bench", first_name=first, last_name=last))
            for user in users:
                user.set_unusable_password()
            User.objects.bulk_create(users, batch_size=5000)
            users = list(User.objects.filter(email__endswith="@telecentres.bench").order_by("pk"))
            modes = [m for m, _label in tw.MemberProfile.CommuteMode.choices]
            tw.MemberProfile.objects.bulk_create(
                [
                    tw.MemberProfile(
                        user=user,
                        commute_km=Decimal(rng.randint(8, 180)) if rng.random() < 0.85 else None,
                        commute_mode=rng.choices(modes, weights=[60, 12, 12, 10, 6])[0],
                        calendar_token=f"banc-{user.pk}-{rng.getrandbits(64):016x}",
                    )
                    for user in users
                ],
                batch_size=5000,
            )
            weights = [sum(p.capacity for p in site.pools) or 1 for site in sites]
            memberships = []
            employees = []
            kinds = [tw.PlanKind.CARNET, tw.PlanKind.PART_TIME, tw.PlanKind.FULL_TIME, tw.PlanKind.DAY_PASS]
            for user in users:
                site = rng.choices(sites, weights=weights)[0]
                span = max(1, (self.end - site.telecentre.opens_on).days - 30)
                # A third there from the opening, the others join over the years.
                offset = 0 if rng.random() < 0.35 else int(span * rng.random() ** 1.5)
                starts_on = site.telecentre.opens_on + dt.timedelta(days=offset)
                agreement = None
                if covered[site.telecentre.pk] and rng.random() < AGREEMENT_SHARE:
                    agreement = rng.choice(covered[site.telecentre.pk])
                    starts_on = max(starts_on, agreement.starts_on)
                    employees.append(
                        tw.AgreementEmployee(
                            agreement=agreement,
                            first_name=user.first_name,
                            last_name=user.last_name,
                            email=user.email,
                            user=user,
                            added_on=starts_on - dt.timedelta(days=3),
                            joined_at=self.at(starts_on - dt.timedelta(days=2), 10 * 60),
                        )
                    )
                    plan = None
                else:
                    plan = plans[site.telecentre.pk][rng.choices(kinds, weights=[35, 30, 20, 15])[0]]
                memberships.append(
                    tw.Membership(
                        member=user,
                        telecentre=site.telecentre,
                        plan=plan,
                        agreement=agreement,
                        starts_on=starts_on,
                        next_renewal_on=None,
                    )
                )
            tw.Membership.objects.bulk_create(memberships, batch_size=5000)
            tw.AgreementEmployee.objects.bulk_create(employees, batch_size=5000)
        by_site = {site.telecentre.pk: site for site in sites}
        for membership in tw.Membership.objects.select_related("plan", "agreement").order_by("starts_on", "pk"):
            site = by_site[membership.telecentre_id]
            limit = None
            if membership.agreement is not None:
                limit = Decimal(membership.agreement.days_per_week)
            elif membership.plan is not None and membership.plan.days_per_week:
                limit = Decimal(membership.plan.days_per_week)
            site.members.append(
                Member(
                    membership.member_id,
                    membership.pk,
                    membership.starts_on,
                    membership.plan,
                    membership.agreement,
                    limit,
                )
            )
            site.starts.append(membership.starts_on)
        self.step(f"formules, {EMPLOYERS} employeurs, {len(users)} membres et adhésions", started)

    # --- bookings -----------------------------------------------------------------------------------

    def open_days(self, site: Site, resource: Any) -> list[tuple[dt.date, tuple[tuple[int, int], ...]]]:
        """(day, open slots) of ``resource`` from the telecentre's opening to the end of the span."""
        from cybercantal.telework.services import slots

        days = []
        day = site.telecentre.opens_on
        while day < self.end:
            day_slots = slots.open_slots(resource, day, closures=site.closures)
            if day_slots:
                days.append((day, day_slots))
            day += dt.timedelta(days=1)
        return days

    def scale_pools(self, sites: list[Site], exclusive_rows: int) -> float:
        """The factor on the demo's pool sizes that makes the pools hold what is left of the target."""
        from cybercantal.telework.services import slots

        budget = max(0, self.target - exclusive_rows)
        per_seat = 0.0  # bookings per demo seat over the span, at the factor 1
        for site in sites:
            for pool in site.pools:
                for day, day_slots in self.open_days(site, pool):
                    halves = sum(1 for part in ("morning", "afternoon") if slots.part_bounds(day_slots, part))
                    seats = self.occupancy * min(1.0, demand(day))
                    rows = seats * (2 - DAY_SHARE) if halves == 2 else seats
                    per_seat += pool.capacity * rows / 0.92  # 8 % more, cancelled
        factor = budget / per_seat if per_seat else 1.0
        from cybercantal.telework.models import Resource

        for site in sites:
            for pool in site.pools:
                pool.capacity = max(1, min(500, round(pool.capacity * factor)))
                Resource.objects.filter(pk=pool.pk).update(capacity=pool.capacity)
        return factor

    def bookings(self, sites: list[Site]) -> int:
        from django.db import transaction

        started = time.perf_counter()
        made = 0
        with transaction.atomic():
            for site in sites:
                made += self.copy(site, exclusive=True)
        self.step(f"réservations des bureaux et salles : {benchlib.number(made)}", started)
        started = time.perf_counter()
        factor = self.scale_pools(sites, made)
        sizes = ", ".join(f"{p.capacity}" for s in sites for p in s.pools)
        print(f"  espaces partagés : tailles de la démo × {factor:.2f} = {sizes} postes", flush=True)
        pools = 0
        with transaction.atomic():
            for site in sites:
                pools += self.copy(site, exclusive=False)
        self.step(f"réservations des espaces partagés : {benchlib.number(pools)}", started)
        return made + pools

    def copy(self, site: Site, *, exclusive: bool) -> int:
        """One COPY of the bookings of ``site``'s offices and rooms, or of its pools."""
        from django.db import connection

        from cybercantal.telework.models import Booking

        columns = [f.column for f in Booking._meta.concrete_fields if f.column != "id"]
        count = 0
        rows = self.exclusive_rows(site) if exclusive else self.pool_rows(site)
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor: COPY
            sql = f"COPY telework_booking ({', '.join(columns)}) FROM STDIN"
            with raw.copy(sql) as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
                    count += 1
        return count

    def eligible(self, site: Site, day: dt.date) -> int:
        return bisect.bisect_right(site.starts, day)

    def pick(
        self,
        site: Site,
        day: dt.date,
        taken: set[int],
        used: dict[int, Decimal],
        counted: Decimal,
        *,
        partner: bool = False,
    ) -> Member | None:
        """A member who may book on ``day``: joined, not already booked at that time, within quota."""
        limit = self.eligible(site, day)
        if not limit:
            return None
        rng = self.rng
        for _ in range(40):
            member = site.members[rng.randrange(limit)]
            if member.pk in taken or (partner and not member.partner):
                continue
            if member.limit is not None and used.get(member.pk, Decimal(0)) + counted > member.limit:
                continue
            if member.agreement is not None and member.agreement.starts_on > day:
                continue
            return member
        return None

    def row(
        self,
        *,
        site: Site,
        resource: Any,
        member: Member,
        start: dt.datetime,
        end: dt.datetime,
        part: str,
        status: str,
        units: Decimal,
        counted: Decimal,
    ) -> dict[str, Any]:
        from cybercantal.telework.models import BookingStatus, PlanKind, ResourceKind

        rng = self.rng
        self.counter += 1
        zero = Decimal("0.00")
        price, credits_used, vat = zero, Decimal("0.0"), Decimal("20.00")
        if resource.kind == ResourceKind.MEETING_ROOM:
            hourly = (member.plan.usage_price_hour if member.plan else None) or site.day_pass.usage_price_hour
            price = (hourly * units).quantize(Decimal("0.01"))
        elif member.agreement is not None:
            price = (member.agreement.day_price_excl_tax * units).quantize(Decimal("0.01"))
            vat = member.agreement.vat_rate
        elif member.plan.kind == PlanKind.DAY_PASS:
            price = (member.plan.price_excl_tax * units).quantize(Decimal("0.01"))
        else:
            credits_used = units
        lead = dt.timedelta(minutes=rng.randint(60, 30 * 24 * 60))
        created = min(start - lead, self.now - dt.timedelta(minutes=rng.randint(1, 600)))
        cancelled_at = checked_in = released = reminder = None
        late = False
        if status == BookingStatus.CANCELLED:
            cancelled_at = created + (start - created) * rng.random()
            late = start - cancelled_at < dt.timedelta(hours=site.telecentre.cancellation_notice_hours)
            if not late:  # cancelled in time: credits refunded, nothing billed
                price, credits_used = zero, Decimal("0.0")
        elif start < self.now:
            reminder = start - dt.timedelta(hours=18) if start - dt.timedelta(hours=18) > created else None
            if status == BookingStatus.RELEASED:
                released = start + dt.timedelta(minutes=site.telecentre.no_show_release_minutes)
            elif rng.random() < 0.8:
                checked_in = start + dt.timedelta(minutes=rng.randint(-10, 40))
        return {
            "resource_id": resource.pk,
            "member_id": member.pk,
            "membership_id": member.membership,
            "agreement_id": member.agreement.pk if member.agreement is not None else None,
            "series_id": None,
            "starts_at": start,
            "ends_at": end,
            "blocked_until": end + dt.timedelta(minutes=resource.buffer_minutes),
            "part": part,
            "exclusive": resource.kind != ResourceKind.SEAT_POOL,
            "status": status,
            "price_excl_tax": price,
            "vat_rate": vat,
            "credits_used": credits_used,
            "days_counted": counted,
            "checkin_code": checkin_code(self.counter),
            "checked_in_at": checked_in,
            "cancelled_at": cancelled_at,
            "cancelled_by_id": member.pk if cancelled_at else None,
            "late_cancellation": late,
            "released_at": released,
            "reminder_sent_at": reminder,
            "created_by_id": member.pk,
            "created_at": created,
        }

    def status(self, start: dt.datetime) -> str:
        draw = self.rng.random()
        if draw < 0.08:
            return "cancelled"
        if start < self.now and draw < 0.11:
            return "released"
        return "confirmed"

    def exclusive_rows(self, site: Site):  # type: ignore[no-untyped-def]
        """Offices and rooms: runs of bookings through the day, never overlapping (buffer included)."""
        from cybercantal.telework.models import ResourceAccess, ResourceKind
        from cybercantal.telework.services import slots

        rng = self.rng
        by_day: dict[dt.date, list[tuple[Any, tuple[tuple[int, int], ...]]]] = {}
        for resource in site.exclusive:
            for day, day_slots in self.open_days(site, resource):
                by_day.setdefault(day, []).append((resource, day_slots))
        week: dt.date | None = None
        used: dict[int, Decimal] = {}
        for day in sorted(by_day):
            monday = day - dt.timedelta(days=day.weekday())
            if monday != week:
                week, used = monday, {}
                site.week_used[monday] = used
            keep = min(1.0, 0.8 * demand(day))
            taken: set[int] = set()  # one office at a time per person (rooms are apart)
            for resource, day_slots in by_day[day]:
                is_room = resource.kind == ResourceKind.MEETING_ROOM
                durations = ROOM_MINUTES if is_room else OFFICE_MINUTES
                step = resource.step_minutes
                for opens, closes in day_slots:
                    cursor = -(-opens // step) * step
                    while True:
                        begin = cursor + rng.choice(GAPS)
                        minutes = rng.choice(durations)
                        minutes = max(resource.min_minutes, min(minutes, resource.max_minutes, closes - begin))
                        minutes -= minutes % step
                        if minutes < resource.min_minutes or begin + minutes > closes:
                            break
                        end_minute = begin + minutes
                        blocked = end_minute + resource.buffer_minutes
                        cursor = -(-blocked // step) * step
                        if rng.random() > keep:
                            continue
                        start, end = self.at(day, begin), self.at(day, end_minute)
                        counted = slots.days_counted(resource, start, end)
                        units = slots.credit_units(resource, start, end)
                        member = self.pick(
                            site,
                            day,
                            set() if is_room else taken,
                            used,
                            counted,
                            partner=resource.access == ResourceAccess.PARTNERS,
                        )
                        if member is None:
                            continue
                        status = self.status(start)
                        if not is_room and status != "cancelled":
                            taken.add(member.pk)
                            used[member.pk] = used.get(member.pk, Decimal(0)) + counted
                        yield self.row(
                            site=site,
                            resource=resource,
                            member=member,
                            start=start,
                            end=end,
                            part="",
                            status=status,
                            units=units,
                            counted=counted,
                        )
            site.office_takers[day] = taken

    def pool_rows(self, site: Site):  # type: ignore[no-untyped-def]
        """Pools: per half-day, seats taken at about ``occupancy`` × the day's demand, never above
        the capacity (confirmed and released), plus the cancelled ones."""
        from cybercantal.telework.services import slots

        rng = self.rng
        half = Decimal("0.5")
        one = Decimal("1")
        by_day: dict[dt.date, list[tuple[Any, tuple[tuple[int, int], ...]]]] = {}
        for pool in site.pools:
            for day, day_slots in self.open_days(site, pool):
                by_day.setdefault(day, []).append((pool, day_slots))
        week: dt.date | None = None
        used: dict[int, Decimal] = {}
        for day in sorted(by_day):
            monday = day - dt.timedelta(days=day.weekday())
            if monday != week:
                week, used = monday, dict(site.week_used.get(monday, {}))
            taken = set(site.office_takers.get(day, ()))
            rate = self.occupancy * min(1.0, demand(day))
            for pool, day_slots in by_day[day]:
                bounds = {part: slots.part_bounds(day_slots, part) for part in ("morning", "afternoon", "day")}
                capacity = pool.capacity
                want = {
                    part: min(capacity, round(capacity * rate * rng.uniform(0.85, 1.15)))
                    for part in ("morning", "afternoon")
                    if bounds[part] is not None
                }
                whole = 0
                if len(want) == 2:
                    whole = round(min(want.values()) * DAY_SHARE)
                plan = [("day", whole)] + [(part, seats - whole) for part, seats in want.items()]
                for part, seats in plan:
                    if seats <= 0:
                        continue
                    begin, end_minute = bounds[part]  # type: ignore[misc]
                    start, end = self.at(day, begin), self.at(day, end_minute)
                    counted = one if part == "day" else half
                    placed = 0
                    # The cancelled ones come on top: their seats were taken again.
                    cancelled = sum(1 for _ in range(seats) if rng.random() < 0.087)
                    for index in range(seats + cancelled):
                        member = self.pick(site, day, taken, used, counted)
                        if member is None:
                            break
                        status = (
                            "cancelled"
                            if index >= seats
                            else ("released" if start < self.now and rng.random() < 0.033 else "confirmed")
                        )
                        if status != "cancelled":
                            taken.add(member.pk)
                            used[member.pk] = used.get(member.pk, Decimal(0)) + counted
                            placed += 1
                        yield self.row(
                            site=site,
                            resource=pool,
                            member=member,
                            start=start,
                            end=end,
                            part=part,
                            status=status,
                            units=counted,
                            counted=counted,
                        )


def table_sizes() -> list[list[Any]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.reltuples::bigint, pg_relation_size(c.oid), pg_indexes_size(c.oid),
                   pg_total_relation_size(c.oid)
            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = 'public' AND c.relkind = 'r'
              AND (c.relname LIKE 'telework_%%' OR c.relname IN ('accounts_user', 'core_journalentry'))
            ORDER BY pg_total_relation_size(c.oid) DESC
            LIMIT 12
            """
        )
        tables = cursor.fetchall()
        cursor.execute(
            """
            SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes
            WHERE relname = 'telework_booking' ORDER BY pg_relation_size(indexrelid) DESC
            """
        )
        indexes = cursor.fetchall()
    mb = 1024 * 1024
    rows = [
        [name, benchlib.number(max(0, n)), f"{data / mb:.1f}", f"{idx / mb:.1f}", f"{total / mb:.1f}"]
        for name, n, data, idx, total in tables
    ]
    rows += [[f"  index {name}", "", "", f"{size / mb:.1f}", ""] for name, size in indexes]
    return rows


def check(sites: list[Site]) -> list[str]:
    """The invariants, asked of the database (not trusted from the generator)."""
    from django.db import connection

    problems = []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT count(*) FROM telework_booking b JOIN telework_resource r ON r.id = b.resource_id
            WHERE b.blocked_until <> b.ends_at + make_interval(mins => r.buffer_minutes)
               OR b.exclusive <> (r.kind <> 'seat_pool')
            """
        )
        if cursor.fetchone()[0]:
            problems.append("blocked_until ou exclusive incohérents")
        # Seats: the peak of a half-day = its half-day bookings + the day bookings.
        cursor.execute(
            """
            WITH per AS (
                SELECT b.resource_id, (b.starts_at AT TIME ZONE 'Europe/Paris')::date AS day, b.part, count(*) AS n
                FROM telework_booking b
                WHERE b.exclusive = false AND b.status IN ('confirmed', 'released')
                GROUP BY 1, 2, 3
            )
            SELECT count(*) FROM (
                SELECT p.resource_id, p.day,
                       coalesce(max(n) FILTER (WHERE part = 'day'), 0)
                       + greatest(coalesce(max(n) FILTER (WHERE part = 'morning'), 0),
                                  coalesce(max(n) FILTER (WHERE part = 'afternoon'), 0)) AS peak
                FROM per p GROUP BY 1, 2
            ) x JOIN telework_resource r ON r.id = x.resource_id WHERE x.peak > r.capacity
            """
        )
        if cursor.fetchone()[0]:
            problems.append("un espace partagé dépasse sa capacité")
        cursor.execute(
            """
            SELECT count(*) FROM (
                SELECT b.starts_at, max(b.ends_at) OVER (
                    PARTITION BY b.member_id, r.telecentre_id ORDER BY b.starts_at, b.id
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                ) AS previous_end
                FROM telework_booking b JOIN telework_resource r ON r.id = b.resource_id
                WHERE b.status = 'confirmed' AND r.kind <> 'meeting_room'
            ) x WHERE x.previous_end > x.starts_at
            """
        )
        if cursor.fetchone()[0]:
            problems.append("une personne a deux places en même temps")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default="", help=f"une base PostgreSQL cc_bench… (défaut : {DEFAULT_URL})")
    parser.add_argument("--bookings", type=int, default=1_000_000, help="réservations visées (à 1 %% près)")
    parser.add_argument("--members", type=int, default=10000)
    parser.add_argument(
        "--occupancy", type=float, default=0.75, help="part des postes réservés un jour de forte demande"
    )
    parser.add_argument("--future-days", type=int, default=365, help="jours à venir dans les 5 ans")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--no-check", action="store_true", help="sans la vérification finale des invariants")
    args = parser.parse_args(argv)
    if not 1000 <= args.bookings <= 5_000_000 or not 100 <= args.members <= 100_000:
        parser.error("--bookings entre 1 000 et 5 000 000, --members entre 100 et 100 000")
    if not 0.05 <= args.occupancy <= 1 or not 0 <= args.future_days <= 730:
        parser.error("--occupancy entre 0,05 et 1, --future-days entre 0 et 730")
    url = database_url(args.database_url)
    if not url.startswith(("postgres", "pgsql")):
        raise SystemExit("Ce générateur veut PostgreSQL (une base cc_bench…).")
    from generate_places import recreate_database

    started = time.perf_counter()
    load = " ".join(f"{v:.2f}" for v in os.getloadavg())
    print(
        f"# Génération de {url.rsplit('/', 1)[-1]} — charge moyenne au départ {load}, {os.cpu_count()} cœurs",
        flush=True,
    )
    recreate_database(url)
    benchlib.configure_django(url)
    from django.db import connection

    generator = Generator(
        bookings=args.bookings,
        members=args.members,
        seed=args.seed,
        occupancy=args.occupancy,
        future_days=args.future_days,
    )
    sites = generator.network()
    generator.people(sites)
    made = generator.bookings(sites)
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    generator.step("VACUUM ANALYZE", step)
    problems: list[str] = []
    if not args.no_check:
        step = time.perf_counter()
        problems = check(sites)
        generator.step("vérification des invariants", step)
    total = time.perf_counter() - started
    print(
        f"\n{benchlib.number(made)} réservations sur {len(sites)} télécentres, du "
        f"{generator.start:%d/%m/%Y} au {generator.end:%d/%m/%Y} (aujourd'hui {generator.today:%d/%m/%Y}), "
        f"en {total:.0f} s au total ({made / max(total, 1e-9):.0f} réservations/s, tout compris).\n"
    )
    print(benchlib.table(["table", "lignes", "données Mo", "index Mo", "total Mo"], table_sizes()))
    if problems:
        print("\nINVARIANTS NON RESPECTÉS : " + " ; ".join(problems))
        return 1
    if not args.no_check:
        print("\nInvariants vérifiés par la base : aucun chevauchement, capacités, une place à la fois par personne.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
