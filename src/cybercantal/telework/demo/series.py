"""Demo data of part "series" (idempotent): recurring bookings and a waiting list.

- The acceptance story: the demo teleworker Thomas Delmas, covered by the agreement of
  « Laiterie des Monts (démo) » at Murat (Télécentre La Gare), comes every Tuesday and
  Thursday for the coming month, whole days, in the shared space. Skipped (without failing)
  when the agreements demo has not given him a membership there.
- Three other members come regularly elsewhere (Monday and Wednesday, Friday mornings, an
  office on Tuesday mornings).
- The smallest shared space of the network is full next week on Wednesday, with two people on
  its waiting list (day-pass members are added to that telecentre if it has too few).

Runs after network, plans, agreements and booking. A series is looked up by member, resource
and rule; a member who already has a series with future bookings on that resource gets no
other one, so a run on a later day adds nothing either.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from cybercantal.accounts.demo import demo_email
from cybercantal.accounts.models import Role, User

from ..models import (
    BookingSeries,
    BookingStatus,
    DayPart,
    Membership,
    Plan,
    PlanKind,
    Resource,
    ResourceAccess,
    ResourceKind,
    Telecentre,
    TelecentreStatus,
    WaitlistEntry,
)
from ..services import booking as booking_service
from ..services import series as service
from ..services import slots
from ..services.waitlist import waitlist_join

logger = logging.getLogger(__name__)

MURAT = "Télécentre La Gare"

# Day-pass members added to the telecentre whose shared space is filled (first, last name).
NEIGHBOURS = [
    ("Hélène", "Couderc"),
    ("Pierre", "Lafarge"),
    ("Sylvie", "Mouret"),
    ("Jérôme", "Veyrières"),
    ("Odile", "Chambon"),
    ("Yannick", "Bouscarat"),
    ("Martine", "Rigal"),
    ("Cédric", "Fontanges"),
    ("Agnès", "Lavaurs"),
    ("Fabien", "Delrieu"),
    ("Christelle", "Puech"),
    ("Loïc", "Salat"),
    ("Nathalie", "Cayrol"),
    ("Benoît", "Vermenouze"),
    ("Isabelle", "Tixier"),
    ("Damien", "Roumégoux"),
]


def _next_monday(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=7 - today.weekday())


def _pool(telecentre: Telecentre) -> Resource | None:
    return (
        Resource.objects.filter(telecentre=telecentre, kind=ResourceKind.SEAT_POOL, is_active=True)
        .order_by("position", "pk")
        .first()
    )


def _has_running_series(member: Any, resource: Resource, rule: str) -> bool:
    if BookingSeries.objects.filter(member=member, resource=resource, rrule=rule).exists():
        return True
    return BookingSeries.objects.filter(
        member=member,
        resource=resource,
        bookings__status=BookingStatus.CONFIRMED,
        bookings__starts_at__gte=timezone.now(),
    ).exists()


def _series(
    member: Any,
    resource: Resource,
    rule: str,
    first_day: dt.date,
    counts: dict[str, int],
    **period: Any,
) -> bool:
    """One series (unless the member has one running there). True when it exists afterwards."""
    try:
        normalised = service.plan_dates(rrule=rule, first_day=first_day, resource=resource).rule
    except service.SeriesError as exc:
        logger.warning("demo series: rule refused for %s: %s", resource, exc.messages)
        return False
    if _has_running_series(member, resource, normalised):
        return True
    try:
        series = service.series_create(
            actor=member, resource=resource, rrule=normalised, first_day=first_day, notify=False, **period
        )
    except service.SeriesError as exc:
        logger.warning("demo series: nothing booked for %s at %s: %s", member, resource, exc.messages)
        return False
    counts["séries de réservations"] += 1
    counts["réservations récurrentes"] += series.bookings.count()
    return True


def _thomas(today: dt.date, counts: dict[str, int]) -> None:
    thomas = User.objects.filter(email__iexact=demo_email(Role.TELEWORKER)).first()
    murat = Telecentre.objects.select_related("place").filter(place__name=MURAT).order_by("pk").first()
    if thomas is None or murat is None:
        return
    membership = booking_service.active_membership(thomas, murat, today + dt.timedelta(days=1))
    pool = _pool(murat)
    if membership is None or pool is None:
        logger.debug("demo series: Thomas Delmas has no membership at Murat yet; his series is skipped")
        return
    first_day = today + dt.timedelta(days=1)
    last_day = today + relativedelta(months=1)
    _series(
        thomas,
        pool,
        f"FREQ=WEEKLY;BYDAY=TU,TH;UNTIL={last_day:%Y%m%d}",
        first_day,
        counts,
        part=DayPart.DAY,
    )


def _others(today: dt.date, counts: dict[str, int], exclude: set[int]) -> None:
    """Regulars elsewhere: three members of other open telecentres, three rhythms."""
    monday = _next_monday(today)
    patterns: list[tuple[str, str, dict[str, Any]]] = [
        (ResourceKind.SEAT_POOL, "FREQ=WEEKLY;BYDAY=MO,WE;COUNT=8", {"part": DayPart.DAY}),
        (ResourceKind.SEAT_POOL, "FREQ=WEEKLY;BYDAY=FR;COUNT=4", {"part": DayPart.MORNING}),
        (ResourceKind.OFFICE, "FREQ=WEEKLY;BYDAY=TU;COUNT=4", {"start_time": dt.time(9), "end_time": dt.time(12, 30)}),
    ]
    telecentres = list(
        Telecentre.objects.filter(status=TelecentreStatus.OPEN)
        .exclude(place__name=MURAT)
        .select_related("place")
        .order_by("opens_on", "pk")
    )
    used: set[int] = set(exclude)
    for index, (kind, rule, period) in enumerate(patterns):
        for telecentre in telecentres[index:] + telecentres[:index]:
            resource = (
                Resource.objects.filter(telecentre=telecentre, kind=kind, is_active=True)
                .exclude(access=ResourceAccess.PARTNERS)
                .order_by("position", "pk")
                .first()
            )
            if resource is None:
                continue
            members = (
                Membership.objects.filter(telecentre=telecentre, plan__isnull=False, starts_on__lte=today)
                .filter(Q(ends_on__isnull=True) | Q(ends_on__gt=today))
                .exclude(member_id__in=used)
                .exclude(plan__kind=PlanKind.MEETING_HOURS)
                .order_by("pk")
                .values_list("member_id", flat=True)
            )
            done = False
            for member_id in members[:3]:
                member = User.objects.get(pk=member_id)
                if _series(member, resource, rule, monday, counts, **period):
                    used.add(member_id)
                    done = True
                    break
            if done:
                break


def _neighbour(index: int, telecentre: Telecentre, plan: Plan, counts: dict[str, int]) -> Any | None:
    from ..services import plans as plans_service

    first, last = NEIGHBOURS[index % len(NEIGHBOURS)]
    slug = telecentre.slug
    email = f"{first}.{last}.{slug}@example.fr".lower().replace("é", "e").replace("è", "e").replace("ï", "i")
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email, None, first_name=first, last_name=last)
    if not Membership.objects.filter(member=user, telecentre=telecentre, ends_on__isnull=True).exists():
        try:
            plans_service.membership_subscribe(actor=None, member=user, plan=plan, notify=False)
        except ValidationError as exc:
            logger.warning("demo series: %s not subscribed: %s", email, exc.messages)
            return None
        counts["membres au pass journée"] += 1
    return user


def _full_day(today: dt.date, counts: dict[str, int], exclude: set[int]) -> None:
    """The smallest open shared space, full next week on Wednesday, two people waiting."""
    pools = (
        Resource.objects.filter(kind=ResourceKind.SEAT_POOL, is_active=True, telecentre__status=TelecentreStatus.OPEN)
        .exclude(telecentre__place__name=MURAT)  # Thomas's mornings there stay easy to book
        .select_related("telecentre__place")
        .order_by("capacity", "pk")
    )
    pool = pools.first()
    if pool is None:
        return
    if (
        WaitlistEntry.objects.filter(
            resource=pool, status=WaitlistEntry.Status.WAITING, starts_at__gte=timezone.now()
        ).count()
        >= 2
    ):
        return
    telecentre = pool.telecentre
    day = _next_monday(today) + dt.timedelta(days=2)
    for _ in range(7):
        if slots.pool_period(pool, day, DayPart.DAY) is not None:
            break
        day += dt.timedelta(days=1)
    period = slots.pool_period(pool, day, DayPart.DAY)
    day_pass = booking_service.day_pass_plan(telecentre)
    if period is None or day_pass is None:
        return
    members = list(
        Membership.objects.filter(telecentre=telecentre, starts_on__lte=day)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=day))
        .exclude(member_id__in=exclude)
        .order_by("pk")
        .values_list("member_id", flat=True)
        .distinct()
    )

    def people() -> Any:
        """The telecentre's members, then day-pass neighbours as many as needed."""
        seen: set[int] = set()
        for pk in dict.fromkeys(members):
            seen.add(pk)
            yield User.objects.get(pk=pk)
        for index in range(len(NEIGHBOURS)):
            neighbour = _neighbour(index, telecentre, day_pass, counts)
            if neighbour is not None and neighbour.pk not in seen:
                seen.add(neighbour.pk)
                yield neighbour

    candidates = people()
    waiting: list[Any] = []
    for person in candidates:
        if not booking_service.availability.is_free(pool, *period):
            waiting.append(person)
            break
        try:
            booking_service.booking_create(actor=person, resource=pool, day=day, part=DayPart.DAY, notify=False)
            counts["réservations (journée complète)"] += 1
        except booking_service.BookingError as exc:
            logger.debug("demo series: %s not booked on the full day: %s", person, exc.messages)
    if booking_service.availability.is_free(pool, *period):
        logger.warning("demo series: %s could not be filled on %s", pool, day)
        return
    for person in candidates:
        if len(waiting) >= 2:
            break
        waiting.append(person)
    for person in waiting[:2]:
        try:
            waitlist_join(actor=person, resource=pool, day=day, part=DayPart.DAY)
        except booking_service.BookingError as exc:
            logger.debug("demo series: %s not on the waiting list: %s", person, exc.messages)
            continue
        counts["inscriptions en liste d'attente"] += 1


def load() -> dict[str, int]:
    counts = {
        "séries de réservations": 0,
        "réservations récurrentes": 0,
        "membres au pass journée": 0,
        "réservations (journée complète)": 0,
        "inscriptions en liste d'attente": 0,
    }
    today = timezone.localdate()
    thomas = User.objects.filter(email__iexact=demo_email(Role.TELEWORKER)).values_list("pk", flat=True).first()
    exclude = {thomas} if thomas else set()
    _thomas(today, counts)
    _others(today, counts, exclude)
    _full_day(today, counts, exclude)
    return counts
