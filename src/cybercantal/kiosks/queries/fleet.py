"""Reads on the kiosk fleet shared by the staff pages, the monitoring jobs and the services.

"Online" means heard in the last 3 minutes (a kiosk signals every minute). Uptime is read from
``UptimeDay`` (one row per kiosk and day, computed every night), never from the heartbeats.
Opening hours are read with ``places.hours`` (the OSM parser, French public holidays applied).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from cybercantal.kiosks.models import Incident, Kiosk, KioskStatus, KioskToken, UptimeDay
from cybercantal.places import hours
from cybercantal.places.models import Place
from cybercantal.places.queries import open_at_filter
from cybercantal.territory.models import Canton

ONLINE_WITHIN = timedelta(minutes=3)
# How far back the open minutes of a silence are counted (a kiosk silent for weeks needs no more).
SILENCE_HORIZON = timedelta(days=7)


# --- Opening hours ---------------------------------------------------------------------------


def _is_open_state(state: object) -> bool:
    return str(state).rsplit(".", 1)[-1].lower() == "open"


def _aware(moment: datetime) -> datetime:
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _local_naive(moment: datetime) -> datetime:
    return timezone.localtime(moment).replace(tzinfo=None)


def open_intervals_between(text: str | None, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The host's open periods between two aware datetimes, as aware datetimes (holidays applied)."""
    parsed = hours.parse(text)
    if parsed is None or end <= start:
        return []
    naive_start, naive_end = _local_naive(start), _local_naive(end)
    result: list[tuple[datetime, datetime]] = []
    for begin, finish, state, _comment in parsed.intervals(naive_start, naive_end):
        if not _is_open_state(state):
            continue
        begin = max(begin, naive_start)
        finish = min(finish or naive_end, naive_end)
        if finish <= begin:
            continue
        a, b = _aware(begin), _aware(finish)
        if result and result[-1][1] == a:
            result[-1] = (result[-1][0], b)
        else:
            result.append((a, b))
        if finish >= naive_end:
            break
    return result


def open_intervals(text: str | None, day: date) -> list[tuple[datetime, datetime]]:
    """The open periods of one local day."""
    start = _aware(datetime.combine(day, time()))
    end = _aware(datetime.combine(day + timedelta(days=1), time()))
    return open_intervals_between(text, start, end)


def open_minutes(text: str | None, day: date) -> int:
    return sum(int((b - a).total_seconds() // 60) for a, b in open_intervals(text, day))


def silence(text: str | None, since: datetime, now: datetime) -> tuple[datetime | None, int]:
    """For a kiosk last heard at ``since``: when the silence began during opening hours (the
    first open moment after ``since``) and how many open minutes it has lasted until ``now``."""
    since = max(since, now - SILENCE_HORIZON)
    intervals = open_intervals_between(text, since, now)
    if not intervals:
        return None, 0
    minutes = sum(int((b - a).total_seconds() // 60) for a, b in intervals)
    return intervals[0][0], minutes


def silent_open_kiosks(*, now: datetime, silent_for: timedelta) -> QuerySet[Kiosk]:
    """Kiosks in service, whose host place is open at ``now``, not heard for ``silent_for``
    (wall time; the caller counts the open minutes) and without an open incident."""
    threshold = now - silent_for
    open_places = Place.objects.filter(open_at_filter(now)).values("pk")
    return (
        Kiosk.objects.filter(status=KioskStatus.IN_SERVICE, place__in=open_places)
        .filter(Q(last_seen_at__lt=threshold) | Q(last_seen_at__isnull=True, created_at__lt=threshold))
        .exclude(Exists(Incident.objects.filter(kiosk=OuterRef("pk"), ended_at__isnull=True)))
        .select_related("place")
        .order_by("code")
    )


# --- Dashboard -------------------------------------------------------------------------------


def month_start(day: date, shift: int = 0) -> date:
    """First day of ``day``'s month, moved ``shift`` months."""
    index = day.year * 12 + day.month - 1 + shift
    return date(index // 12, index % 12 + 1, 1)


def _uptime_sum(column: str, start: date, end: date) -> Coalesce:
    rows = (
        UptimeDay.objects.filter(kiosk=OuterRef("pk"), date__gte=start, date__lt=end)
        .order_by()
        .values("kiosk")
        .annotate(total=Sum(column))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))


def percent(online: int, total: int) -> float | None:
    return round(100 * online / total, 1) if total else None


def dashboard(*, now: datetime | None = None, canton: Canton | None = None, status: str = "") -> QuerySet[Kiosk]:
    """Every kiosk with its place, canton, open incidents and uptime of this month and the
    previous one (open minutes, heard open minutes): one query per page."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    this_month, previous, nxt = month_start(today), month_start(today, -1), month_start(today, 1)
    qs = (
        Kiosk.objects.select_related("place", "place__commune", "canton")
        .defer(
            "place__search_text",
            "place__presentation_detail",
            "place__commune__boundary",
            "place__commune__search_text",
            "canton__boundary",
        )
        .annotate(
            open_incidents=Count("incidents", filter=Q(incidents__ended_at__isnull=True)),
            month_open=_uptime_sum("open_minutes", this_month, nxt),
            month_online=_uptime_sum("online_open_minutes", this_month, nxt),
            previous_open=_uptime_sum("open_minutes", previous, this_month),
            previous_online=_uptime_sum("online_open_minutes", previous, this_month),
        )
        .order_by("code")
    )
    if canton is not None:
        qs = qs.filter(canton=canton)
    if status:
        qs = qs.filter(status=status)
    return qs


def is_online(kiosk: Kiosk, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return kiosk.last_seen_at is not None and now - kiosk.last_seen_at <= ONLINE_WITHIN


# --- Detail ----------------------------------------------------------------------------------


def kiosk_for_page(code: str) -> QuerySet[Kiosk]:
    return (
        Kiosk.objects.select_related("place", "place__commune", "canton")
        .defer("place__search_text", "place__commune__boundary", "place__commune__search_text", "canton__boundary")
        .filter(code=code)
    )


def active_token(kiosk: Kiosk) -> KioskToken | None:
    return KioskToken.objects.filter(kiosk=kiosk, revoked_at__isnull=True).select_related("created_by").first()


def recent_incidents(kiosk: Kiosk, limit: int = 20) -> list[Incident]:
    return list(Incident.objects.filter(kiosk=kiosk).order_by("-started_at")[:limit])


@dataclass
class MonthUptime:
    month: date
    open_minutes: int
    online_minutes: int

    @property
    def percent(self) -> float | None:
        return percent(self.online_minutes, self.open_minutes)


def monthly_uptime(kiosk: Kiosk, months: int = 12, today: date | None = None) -> list[MonthUptime]:
    """The last ``months`` months, newest first (months without a row are left out)."""
    today = today or timezone.localdate()
    start = month_start(today, -(months - 1))
    rows = (
        UptimeDay.objects.filter(kiosk=kiosk, date__gte=start)
        .annotate(month=TruncMonth("date"))
        .order_by()
        .values("month")
        .annotate(open=Sum("open_minutes"), online=Sum("online_open_minutes"))
        .order_by("-month")
    )
    result = []
    for row in rows:
        month = row["month"]
        if isinstance(month, datetime):
            month = month.date()
        result.append(MonthUptime(month=month, open_minutes=row["open"] or 0, online_minutes=row["online"] or 0))
    return result


# --- Coverage --------------------------------------------------------------------------------


@dataclass
class CantonKiosks:
    canton: Canton
    kiosks: list[Kiosk] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)  # "none", "out_of_service", "offline"


def coverage(*, now: datetime | None = None) -> list[CantonKiosks]:
    """Each canton with its kiosks (retired ones left out) and what is wrong: two queries."""
    now = now or timezone.now()
    kiosks = (
        Kiosk.objects.exclude(status=KioskStatus.RETIRED)
        .select_related("place")
        .only("code", "status", "status_note", "last_seen_at", "canton_id", "place__name", "place__slug")
        .order_by("code")
    )
    cantons = (
        Canton.objects.defer("boundary")
        .order_by("number", "name")
        .prefetch_related(Prefetch("kiosks", queryset=kiosks, to_attr="active_kiosks"))
    )
    result = []
    for canton in cantons:
        entry = CantonKiosks(canton=canton, kiosks=list(canton.active_kiosks))
        in_service = [k for k in entry.kiosks if k.status == KioskStatus.IN_SERVICE]
        if not entry.kiosks:
            entry.flags.append("none")
        if any(k.status == KioskStatus.OUT_OF_SERVICE for k in entry.kiosks):
            entry.flags.append("out_of_service")
        if any(not is_online(k, now) for k in in_service):
            entry.flags.append("offline")
        for kiosk in entry.kiosks:
            kiosk.online = is_online(kiosk, now)  # type: ignore[attr-defined]
        result.append(entry)
    return result


# --- Incidents of a day ----------------------------------------------------------------------


def incidents_of_day(day: date) -> QuerySet[Incident]:
    """Incidents that overlap the local day ``day`` (started before its end, not ended before its start)."""
    start = _aware(datetime.combine(day, time()))
    end = _aware(datetime.combine(day + timedelta(days=1), time()))
    return (
        Incident.objects.filter(started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=start))
        .select_related("kiosk", "kiosk__place", "kiosk__canton")
        .defer("kiosk__place__search_text", "kiosk__place__presentation_detail", "kiosk__canton__boundary")
        .order_by("started_at", "pk")
    )


def incident_for_kiosk(kiosk: Kiosk, pk: int) -> Any:
    return Incident.objects.select_related("kiosk", "kiosk__place").filter(kiosk=kiosk, pk=pk)
