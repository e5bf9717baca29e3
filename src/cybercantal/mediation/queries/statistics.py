"""Statistics of the EPN network (issue 4, section 7): figures per place, canton, month and
theme over a period, for the statistics page, its CSV/ODS exports and the yearly PDF report.

One call of ``network_statistics`` costs a fixed number of queries whatever the number of
places or months. Closed months come from the monthly aggregate ``StatisticsMonth`` (built
nightly by ``services.statistics``), added up by the database: one ``GROUP BY`` per place, one
per month (with the breakdowns, integer columns), one per theme (the network has its own
theme rows). The months not covered yet (this month) are counted live: the held sessions (one
row each), their registrations counted per session through the registration index, the
accompaniments and free-access visits grouped by place and month, and the accompaniments
grouped by theme combination. The tables per place, canton and month are sums made in Python
over those few hundred rows; the page writes their cells in Python too (``views``).

Definitions (the same on the page, in the exports and in the report):

- a session is *held* when it is scheduled (not cancelled) and started before now;
- *participants* are the confirmed registrations of the held sessions, *present* those marked
  ``attended``; a *no-show* is a confirmed registration marked absent on a session whose
  attendance was taken; *waitlisted* counts the people left on the waitlist;
- the *fill rate* is confirmed registrations / seats of the held sessions;
- accompaniments count the activity reports (CRA); *hours* sum their durations, *people* sum
  their ``participants`` (1 for an individual accompaniment);
- a record with several themes counts once in each of its themes (so the theme table does not
  add up to the total, and says so);
- months are calendar months in Europe/Paris time (``month_case``: a ``CASE`` on the period's
  month boundaries, identical SQL on SQLite and PostgreSQL, no per-row date function).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import models
from django.db.models import Case, Count, ExpressionWrapper, Q, Sum, Value, When
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cybercantal.accounts.models import Role
from cybercantal.accounts.queries import objects_in_scope
from cybercantal.places.models import Place, PlaceKind, PlaceOffer
from cybercantal.territory.models import Canton

from ..models import (
    Accompaniment,
    AccompanimentKind,
    AdminTheme,
    Autonomy,
    DigitalTheme,
    FreeAccessVisit,
    HelpReason,
    Outcome,
    Registration,
    RegistrationStatus,
    Session,
    SessionStatus,
    StatisticsMonth,
)

NO_CANTON = 0  # key of the "no canton" row (places outside every canton)

# --- French number formatting -----------------------------------------------------------------


def format_number(value: int | Decimal | None, decimals: int = 0) -> str:
    """``12345`` -> ``12 345``; ``Decimal("3.25"), 1`` -> ``3,3`` (narrow no-break spaces)."""
    if value is None:
        return "—"
    if decimals == 0 and isinstance(value, int):  # the common case, thousands of cells a page
        return f"{value:,}".replace(",", "\u202f")
    quantum = Decimal(1).scaleb(-decimals)
    number = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if number < 0 else ""
    text = f"{abs(number):.{decimals}f}"
    units, _sep, fraction = text.partition(".")
    groups: list[str] = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    result = "\u202f".join(groups)
    return f"{sign}{result},{fraction}" if fraction else f"{sign}{result}"


def format_percent(value: Decimal | None) -> str:
    """``Decimal("0.785")`` -> ``78,5 %``; ``None`` -> ``—``."""
    if value is None:
        return "—"
    return f"{format_number(value * 100, 1)}\u00a0%"


def ratio(part: int, whole: int) -> Decimal | None:
    """``part / whole`` as a Decimal with 4 places, or None when ``whole`` is 0."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def hours_of(minutes: int) -> Decimal:
    return (Decimal(minutes) / 60).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


# --- Period -----------------------------------------------------------------------------------


def _add_month(day: dt.date) -> dt.date:
    return dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole calendar months from ``first`` (a 1st) to ``last`` (a 1st) included; ``from_day``
    and ``to_day`` cut the first month's start and the last month's end at a day (the live
    part after the aggregate, the aggregate up to a day)."""

    first: dt.date
    last: dt.date
    from_day: dt.date | None = None
    to_day: dt.date | None = None

    @property
    def begin(self) -> dt.date:
        """The first day of the period."""
        return self.from_day or self.first

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year, 12, 1))

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        return self.to_day or _add_month(self.last)

    def months(self) -> list[dt.date]:
        months, day = [], self.first
        while day <= self.last:
            months.append(day)
            day = _add_month(day)
        return months

    def is_one_year(self) -> bool:
        return self.first.month == 1 and self.last.month == 12 and self.first.year == self.last.year

    def label(self) -> str:
        if self.is_one_year():
            return str(self.first.year)
        if self.first == self.last:
            return date_format(self.first, "F Y")
        return _("de %(first)s à %(last)s") % {
            "first": date_format(self.first, "F Y"),
            "last": date_format(self.last, "F Y"),
        }


def month_key(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def month_label(key: str) -> str:
    year, month = key.split("-")
    return date_format(dt.date(int(year), int(month), 1), "F Y")


def _aware_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def month_case(field_name: str, period: Period, *, is_datetime: bool) -> Case | Value:
    """The ``YYYY-MM`` of ``field_name`` (local time), as a CASE on the month boundaries.

    Rows are already restricted to the period; the last month is the ``default``. Portable
    (plain comparisons, the same on SQLite and PostgreSQL) and cheap: no date function per row.
    """
    months = period.months()
    whens = []
    for month in months[:-1]:
        boundary: Any = _aware_midnight(_add_month(month)) if is_datetime else _add_month(month)
        whens.append(When(**{f"{field_name}__lt": boundary}, then=Value(month_key(month))))
    default = Value(month_key(months[-1]))
    if not whens:
        return Value(month_key(months[-1]), output_field=models.CharField())
    return Case(*whens, default=default, output_field=models.CharField())


# --- Filters and scope ------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    period: Period
    canton: Canton | None = None
    place_id: int | None = None
    theme: str = ""  # a DigitalTheme or AdminTheme value


def sees_network(user: Any) -> bool:
    return bool(user.has_perm("mediation.view_network_statistics"))


def places_in_scope(user: Any) -> models.QuerySet[Place]:
    """Places whose figures ``user`` may see: all for the programme team, the mediator's own."""
    places = Place.objects.all()
    if sees_network(user):
        return places
    return objects_in_scope(user, places, roles=[Role.MEDIATOR])


def epn_choices(user: Any) -> list[tuple[int, str]]:
    """EPN (kind or offer) that ``user`` may filter on, for the form (one query)."""
    places = places_in_scope(user)
    if sees_network(user):
        places = places.filter(Q(kind=PlaceKind.EPN) | Q(offers__has=PlaceOffer.EPN))
    rows = places.order_by("name", "pk").values_list("pk", "name", "commune__name")
    return [(pk, f"{name} ({commune})") for pk, name, commune in rows]


def theme_label(value: str) -> str:
    labels = dict(DigitalTheme.choices) | dict(AdminTheme.choices)
    return str(labels.get(value, value))


# --- Result ------------------------------------------------------------------------------------


@dataclass
class Figures:
    """The figures of one row (a place, a canton, a month, or the whole selection)."""

    sessions: int = 0
    seats: int = 0
    confirmed: int = 0
    attended: int = 0
    no_shows: int = 0
    waitlisted: int = 0
    accompaniments: int = 0
    minutes: int = 0
    people: int = 0
    visits: int = 0

    def add(self, other: Figures) -> None:
        # Spelled out: called for every (place, month) row, several times per page.
        self.sessions += other.sessions
        self.seats += other.seats
        self.confirmed += other.confirmed
        self.attended += other.attended
        self.no_shows += other.no_shows
        self.waitlisted += other.waitlisted
        self.accompaniments += other.accompaniments
        self.minutes += other.minutes
        self.people += other.people
        self.visits += other.visits

    @property
    def fill_rate(self) -> Decimal | None:
        return ratio(self.confirmed, self.seats)

    @property
    def hours(self) -> Decimal:
        return hours_of(self.minutes)


@dataclass(frozen=True)
class Column:
    key: str
    header: Any  # lazy French text
    kind: str = "int"  # int, hours, percent

    def raw(self, figures: Any) -> Any:
        return getattr(figures, self.key)

    def display(self, figures: Any) -> str:
        value = self.raw(figures)
        if self.kind == "percent":
            return format_percent(value)
        if self.kind == "hours":
            return format_number(value, 1)
        return format_number(value)


MAIN_COLUMNS = (
    Column("sessions", gettext_lazy("Séances tenues")),
    Column("confirmed", gettext_lazy("Inscrits")),
    Column("attended", gettext_lazy("Présents")),
    Column("no_shows", gettext_lazy("Absents")),
    Column("waitlisted", gettext_lazy("Restés en liste d'attente")),
    Column("fill_rate", gettext_lazy("Taux de remplissage"), "percent"),
    Column("accompaniments", gettext_lazy("Accompagnements")),
    Column("hours", gettext_lazy("Heures d'accompagnement"), "hours"),
    Column("people", gettext_lazy("Personnes accompagnées")),
    Column("visits", gettext_lazy("Visites en accès libre")),
)


@dataclass
class ThemeFigures:
    sessions: int = 0
    confirmed: int = 0
    accompaniments: int = 0
    minutes: int = 0
    people: int = 0

    @property
    def hours(self) -> Decimal:
        return hours_of(self.minutes)


THEME_COLUMNS = (
    Column("sessions", gettext_lazy("Séances tenues")),
    Column("confirmed", gettext_lazy("Inscrits")),
    Column("accompaniments", gettext_lazy("Accompagnements")),
    Column("hours", gettext_lazy("Heures"), "hours"),
    Column("people", gettext_lazy("Personnes accompagnées")),
)


@dataclass
class Share:
    count: int = 0
    share: Decimal | None = None


SHARE_COLUMNS = (
    Column("count", gettext_lazy("Accompagnements")),
    Column("share", gettext_lazy("Part"), "percent"),
)


@dataclass
class Row:
    key: Any
    label: str
    figures: Any

    def cells(self, columns: Iterable[Column]) -> list[str]:
        return [column.display(self.figures) for column in columns]


@dataclass
class Table:
    """A table of the page, and the sheet or file of the exports (same rows, same columns)."""

    slug: str
    caption: str
    first_header: str
    columns: tuple[Column, ...]
    rows: list[Row]
    total: Row | None = None
    note: str = ""

    @property
    def headers(self) -> list[str]:
        return [str(column.header) for column in self.columns]

    def display_rows(self) -> list[tuple[str, list[str]]]:
        return [(row.label, row.cells(self.columns)) for row in self.rows]

    def display_total(self) -> list[str] | None:
        return self.total.cells(self.columns) if self.total else None


@dataclass
class Statistics:
    filters: Filters
    network: bool
    total: Figures
    by_place: list[Row]
    by_canton: list[Row]
    by_month: list[Row]
    by_theme: list[Row]
    by_admin_theme: list[Row]
    by_kind: list[Row]
    reasons: list[Row]
    autonomy: list[Row]
    outcomes: list[Row]
    places_count: int = 0
    tables: list[Table] = field(default_factory=list)

    def table(self, slug: str) -> Table:
        for table in self.tables:
            if table.slug == slug:
                return table
        raise KeyError(slug)


# --- The queries ---------------------------------------------------------------------------------


def _held_sessions(filters: Filters, scope: Any, prefix: str = "", period: Period | None = None) -> Q:
    """Conditions on sessions (``prefix`` = "session__" from registrations)."""
    period = period or filters.period
    now = timezone.now()
    end = min(_aware_midnight(period.end), now)
    q = Q(
        **{
            f"{prefix}status": SessionStatus.SCHEDULED,
            f"{prefix}starts_at__gte": _aware_midnight(period.begin),
            f"{prefix}starts_at__lt": end,
        }
    )
    if scope is not None:
        q &= Q(**{f"{prefix}place__in": scope})
    if filters.place_id is not None:
        q &= Q(**{f"{prefix}place_id": filters.place_id})
    if filters.canton is not None:
        q &= Q(**{f"{prefix}place__canton_id": filters.canton.pk})
    if filters.theme:
        q &= Q(**{f"{prefix}workshop__themes__has": filters.theme})
    return q


def _place_conditions(filters: Filters, scope: models.QuerySet[Place] | None) -> Q:
    q = Q()
    if scope is not None:
        q &= Q(place__in=scope)
    if filters.place_id is not None:
        q &= Q(place_id=filters.place_id)
    if filters.canton is not None:
        q &= Q(place__canton_id=filters.canton.pk)
    return q


def _accompaniments(filters: Filters, scope: Any, period: Period) -> models.QuerySet[Accompaniment]:
    qs = Accompaniment.objects.filter(_place_conditions(filters, scope), date__gte=period.begin, date__lt=period.end)
    if filters.theme in DigitalTheme.values:
        qs = qs.filter(themes__has=filters.theme)
    elif filters.theme in AdminTheme.values:
        qs = qs.filter(admin_themes__has=filters.theme)
    return qs.order_by()


BREAKDOWNS: dict[str, list[tuple[str, Any]]] = {
    "kind": [(v, label) for v, label in AccompanimentKind.choices],
    "reason": [(v, label) for v, label in HelpReason.choices],
    "autonomy": [(v, label) for v, label in Autonomy.choices],
    "outcome": [(v, label) for v, label in Outcome.choices],
}
_BREAKDOWN_FIELDS = {"kind": "kind", "reason": "help_reason", "autonomy": "autonomy", "outcome": "outcome"}


def _breakdown_aggregates() -> dict[str, Any]:
    """Counts per kind, reason, autonomy and outcome (and minutes, people per kind), in one
    scan; the keys are the integer columns of ``StatisticsMonth`` (``BREAKDOWN_COLUMNS``)."""
    extra: dict[str, Any] = {}
    for group, items in BREAKDOWNS.items():
        for value, _label in items:
            condition = Q(**{_BREAKDOWN_FIELDS[group]: value})
            extra[f"{group}_{value}"] = Count("pk", filter=condition)
            if group == "kind":
                extra[f"kind_{value}_minutes"] = Sum("duration_minutes", filter=condition)
                extra[f"kind_{value}_people"] = Sum("participants", filter=condition)
    return extra


BREAKDOWN_COLUMNS = tuple(_breakdown_aggregates())
FIGURE_FIELDS = tuple(Figures.__dataclass_fields__)
THEME_FIELDS = tuple(ThemeFigures.__dataclass_fields__)
THEME_VALUES = (*DigitalTheme.values, *AdminTheme.values)

Key = tuple[int | None, str, str]  # (place id, "YYYY-MM", theme or "")


@dataclass
class Parts:
    """Live figures per (place, month, theme) with their breakdown counts (``_collect``)."""

    figures: dict[Key, Figures] = field(default_factory=lambda: defaultdict(Figures))
    counted: dict[Key, dict[str, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))


@dataclass
class Sums:
    """What the page shows, before names and order: figures per place and per month, the
    breakdown totals and the theme table. Read from ``StatisticsMonth`` or counted live."""

    by_place: dict[int, Figures] = field(default_factory=lambda: defaultdict(Figures))
    by_month: dict[str, Figures] = field(default_factory=lambda: defaultdict(Figures))
    counted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    themes: dict[str, ThemeFigures] = field(default_factory=lambda: defaultdict(ThemeFigures))

    def add(self, other: Sums) -> None:
        for place_id, figures in other.by_place.items():
            self.by_place[place_id].add(figures)
        for month, figures in other.by_month.items():
            self.by_month[month].add(figures)
        for name, value in other.counted.items():
            self.counted[name] += value
        for theme_value, theme in other.themes.items():
            _add_theme(self.themes[theme_value], theme)

    def theme_from_total(self, theme_value: str) -> None:
        """With a theme filter, every figure is that theme's: its row is the total."""
        theme = self.themes[theme_value]
        for figures in self.by_month.values():
            _add_theme(theme, figures)


def _add_theme(target: ThemeFigures, source: Any) -> None:
    for name in THEME_FIELDS:
        setattr(target, name, getattr(target, name) + getattr(source, name))


def _themes_of(row: Any, *names: str) -> list[str]:
    values: set[str] = set()
    for name in names:
        values.update(row[name])
    return sorted(values)


def _rows(queryset: Any) -> Iterable[dict[str, Any]]:
    """The rows of a ``values()`` query, typed plainly (one loop variable for several queries)."""
    return queryset  # type: ignore[no-any-return]


def _split(combination: str | None) -> list[str]:
    """``"|email|security|"`` -> ``["email", "security"]`` (the stored form of a MultiChoiceField)."""
    return [value for value in (combination or "").split("|") if value]


def _chunks(values: list[int], size: int = 2000) -> Iterable[list[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _collect(
    filters: Filters,
    scope: Any,
    period: Period,
    *,
    split_themes: bool = False,
    themes: dict[str, ThemeFigures] | None = None,
) -> Parts:
    """Live figures per (place, month[, theme]) from the source rows.

    Sessions are read once (one row each: the live part is a month or so), then their
    registrations counted per session through ``session_id IN (...)`` (the registration
    index, whatever the planner thinks of the join). ``split_themes``: one entry per theme of
    each row (a row with two themes in both); otherwise the theme of the key is "".
    ``themes``: also add sessions and confirmed registrations per workshop theme there.
    """
    parts = Parts()

    def keys(place_id: int, month: str, row: Any, *names: str) -> list[Key]:
        if not split_themes:
            return [(place_id, month, "")]
        return [(place_id, month, theme) for theme in _themes_of(row, *names)]

    held = (
        Session.objects.filter(_held_sessions(filters, scope, period=period))
        .order_by()
        .annotate(month=month_case("starts_at", period, is_datetime=True))
        .values(
            "pk",
            "place_id",
            "month",
            "capacity",
            taken=ExpressionWrapper(Q(attendance_taken_at__isnull=False), output_field=models.BooleanField()),
            combination=Cast("workshop__themes", output_field=models.TextField()),  # the text: no converter
        )
    )
    sessions: dict[int, tuple[list[Key], bool, list[str]]] = {}
    for row in _rows(held):
        row["workshop__themes"] = session_themes = _split(row["combination"])
        session_keys = keys(row["place_id"], row["month"], row, "workshop__themes")
        sessions[row["pk"]] = (session_keys, bool(row["taken"]), session_themes)
        for key in session_keys:
            figures = parts.figures[key]
            figures.sessions += 1
            figures.seats += row["capacity"] or 0
        if themes is not None:
            for value in set(session_themes):
                themes[value].sessions += 1

    confirmed = Q(status=RegistrationStatus.CONFIRMED)
    for chunk in _chunks(list(sessions)):
        registrations = (
            Registration.objects.filter(session_id__in=chunk)
            .exclude(status=RegistrationStatus.CANCELLED)
            .order_by()
            .values("session_id")
            .annotate(
                n_confirmed=Count("pk", filter=confirmed),
                n_attended=Count("pk", filter=confirmed & Q(attended=True)),
                n_absent=Count("pk", filter=confirmed & Q(attended=False)),
                n_waitlisted=Count("pk", filter=Q(status=RegistrationStatus.WAITLISTED)),
            )
        )
        for row in _rows(registrations):
            session_keys, taken, session_themes = sessions[row["session_id"]]
            for key in session_keys:
                figures = parts.figures[key]
                figures.confirmed += row["n_confirmed"]
                figures.attended += row["n_attended"]
                figures.no_shows += row["n_absent"] if taken else 0  # absent when attendance was taken
                figures.waitlisted += row["n_waitlisted"]
            if themes is not None:
                for value in set(session_themes):
                    themes[value].confirmed += row["n_confirmed"]

    extra = _breakdown_aggregates()
    accompaniment_combo = ["themes", "admin_themes"] if split_themes else []
    accompaniments = (
        _accompaniments(filters, scope, period)
        .values("place_id", *accompaniment_combo, month=month_case("date", period, is_datetime=False))
        .annotate(n=Count("pk"), n_minutes=Sum("duration_minutes"), n_people=Sum("participants"), **extra)
    )
    for row in _rows(accompaniments):
        for key in keys(row["place_id"], row["month"], row, *accompaniment_combo):
            figures = parts.figures[key]
            figures.accompaniments += row["n"]
            figures.minutes += row["n_minutes"] or 0
            figures.people += row["n_people"] or 0
            counted = parts.counted[key]
            for name in extra:
                counted[name] += row[name] or 0

    if not filters.theme and not split_themes:  # visits have no theme
        visits = (
            FreeAccessVisit.objects.filter(
                _place_conditions(filters, scope), date__gte=period.begin, date__lt=period.end
            )
            .order_by()
            .values("place_id", month=month_case("date", period, is_datetime=False))
            .annotate(n=Sum("count"))
        )
        for row in _rows(visits):
            parts.figures[(row["place_id"], row["month"], "")].visits += row["n"] or 0
    return parts


def _live(filters: Filters, scope: Any, period: Period) -> Sums:
    sums = Sums()
    parts = _collect(filters, scope, period, themes=None if filters.theme else sums.themes)
    for (place_id, month, _theme), figures in parts.figures.items():
        if place_id is None:  # pragma: no cover - every source row has a place
            continue
        sums.by_place[place_id].add(figures)
        sums.by_month[month].add(figures)
    for counted in parts.counted.values():
        for name, value in counted.items():
            sums.counted[name] += value
    if filters.theme:
        sums.theme_from_total(filters.theme)
        return sums
    # The accompaniments of the theme table: grouped by the stored combination ("|email|security|")
    # and split here, so that a record with two themes counts in both. Digital and administrative
    # themes have distinct values: one query each gives a few hundred combinations, not thousands.
    for name in ("themes", "admin_themes"):
        by_combination = (
            _accompaniments(filters, scope, period)
            .values(combination=Cast(name, output_field=models.TextField()))  # the text: no converter
            .annotate(n=Count("pk"), n_minutes=Sum("duration_minutes"), n_people=Sum("participants"))
        )
        for row in _rows(by_combination):
            for theme_value in _split(row["combination"]):
                theme = sums.themes[theme_value]
                theme.accompaniments += row["n"]
                theme.minutes += row["n_minutes"] or 0
                theme.people += row["n_people"] or 0
    return sums


def _stored(filters: Filters, scope: Any, period: Period) -> Sums:
    """The same sums read from ``StatisticsMonth`` (closed months), added up by the database:
    one query per place, one per month (with the breakdowns), one for the theme table."""
    sums = Sums()
    in_period = Q(month__gte=period.first, month__lte=period.last)
    rows = StatisticsMonth.objects.filter(
        _place_conditions(filters, scope), in_period, place__isnull=False, theme=filters.theme
    ).order_by()
    figure_sums = {f"s_{name}": Sum(name) for name in FIGURE_FIELDS}
    for row in _rows(rows.values("place_id").annotate(**figure_sums)):
        sums.by_place[row["place_id"]] = Figures(*(row[f"s_{name}"] or 0 for name in FIGURE_FIELDS))
    breakdown_sums = {f"s_{name}": Sum(name) for name in BREAKDOWN_COLUMNS}
    for row in _rows(rows.values("month").annotate(**figure_sums, **breakdown_sums)):
        sums.by_month[month_key(row["month"])] = Figures(*(row[f"s_{name}"] or 0 for name in FIGURE_FIELDS))
        for name in BREAKDOWN_COLUMNS:
            sums.counted[name] += row[f"s_{name}"] or 0
    if filters.theme:
        sums.theme_from_total(filters.theme)
        return sums
    # The whole network has its own theme rows (no place): a few hundred rows, not one per place.
    network = scope is None and filters.place_id is None and filters.canton is None
    theme_rows = StatisticsMonth.objects.filter(in_period, theme__in=THEME_VALUES, place__isnull=network)
    if not network:
        theme_rows = theme_rows.filter(_place_conditions(filters, scope))
    by_theme = theme_rows.order_by().values("theme").annotate(**{f"s_{name}": Sum(name) for name in THEME_FIELDS})
    for row in _rows(by_theme):
        sums.themes[row["theme"]] = ThemeFigures(*(row[f"s_{name}"] or 0 for name in THEME_FIELDS))
    return sums


COVERAGE_MARK = "*"  # ``theme`` of the row that says how far the aggregate goes (indexed)


def covered_until() -> dt.date | None:
    """The first day that ``StatisticsMonth`` does not cover yet (None: nothing built)."""
    marks = StatisticsMonth.objects.filter(theme=COVERAGE_MARK).order_by("theme", "month")  # index order
    return marks.values_list("month", flat=True).first()


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _previous_month(day: dt.date) -> dt.date:
    return dt.date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)


def _sums(filters: Filters, scope: Any, *, use_stored: bool) -> Sums:
    """The days covered by ``StatisticsMonth`` read from it, the rest (today) counted live.

    The aggregate covers every day before ``covered_until()``: the month of that day is stored
    up to the day before, and counted live from that day on."""
    period = filters.period
    cutoff = covered_until() if use_stored else None
    if cutoff is None or cutoff <= period.first:
        return _live(filters, scope, period)
    last_stored = month_start(cutoff - dt.timedelta(days=1))
    sums = _stored(filters, scope, Period(period.first, min(period.last, last_stored)))
    if cutoff < period.end:
        sums.add(_live(filters, scope, Period(month_start(cutoff), period.last, from_day=cutoff)))
    return sums


def network_statistics(*, user: Any, filters: Filters, use_stored: bool = True) -> Statistics:
    """Every figure of the statistics page for ``user`` (their scope) and ``filters``.

    ``use_stored=False`` counts everything live (tests compare both ways)."""
    network = sees_network(user)
    scope = None if network else places_in_scope(user)
    period = filters.period
    sums = _sums(filters, scope, use_stored=use_stored)
    counted = sums.counted
    themes = sums.themes

    # Names of the places and cantons that have figures (one query each).
    places: dict[int, Any] = {
        row["pk"]: row
        for row in Place.objects.filter(pk__in=list(sums.by_place)).values("pk", "name", "commune__name", "canton_id")
    }
    cantons = dict(Canton.objects.values_list("pk", "name"))

    total = Figures()
    canton_rows: dict[int, Figures] = defaultdict(Figures)
    for place_id, figures in sums.by_place.items():
        total.add(figures)
        canton_rows[places[place_id]["canton_id"] or NO_CANTON].add(figures)
    month_rows: dict[str, Figures] = {month_key(m): Figures() for m in period.months()}
    for month, figures in sums.by_month.items():
        month_rows.setdefault(month, Figures()).add(figures)

    by_place = sorted(
        (
            Row(pk, f"{places[pk]['name']} ({places[pk]['commune__name']})", figures)
            for pk, figures in sums.by_place.items()
        ),
        key=lambda row: row.label.lower(),
    )
    by_canton = sorted(
        (Row(pk, cantons.get(pk) or _("Hors canton"), figures) for pk, figures in canton_rows.items()),
        key=lambda row: (row.key == NO_CANTON, row.label.lower()),
    )
    by_month = [Row(key, month_label(key), figures) for key, figures in sorted(month_rows.items())]
    by_theme = [
        Row(value, str(label), themes.get(value, ThemeFigures()))
        for value, label in DigitalTheme.choices
        if not filters.theme or value == filters.theme
    ]
    by_admin_theme = [
        Row(value, str(label), themes.get(value, ThemeFigures()))
        for value, label in AdminTheme.choices
        if not filters.theme or value == filters.theme
    ]

    def kind_row(value: str, label: Any) -> Row:
        figures = ThemeFigures(
            accompaniments=counted[f"kind_{value}"],
            minutes=counted[f"kind_{value}_minutes"],
            people=counted[f"kind_{value}_people"],
        )
        return Row(value, str(label), figures)

    def shares(group: str) -> list[Row]:
        rows = [Row(value, str(label), Share(counted[f"{group}_{value}"])) for value, label in BREAKDOWNS[group]]
        missing = total.accompaniments - sum(row.figures.count for row in rows)
        rows.append(Row("", _("Non renseigné"), Share(missing)))
        for row in rows:
            row.figures.share = ratio(row.figures.count, total.accompaniments)
        return rows

    stats = Statistics(
        filters=filters,
        network=network,
        total=total,
        by_place=by_place,
        by_canton=by_canton,
        by_month=by_month,
        by_theme=by_theme,
        by_admin_theme=by_admin_theme,
        by_kind=[kind_row(value, label) for value, label in BREAKDOWNS["kind"]],
        reasons=shares("reason"),
        autonomy=shares("autonomy"),
        outcomes=shares("outcome"),
        places_count=len(by_place),
    )
    stats.tables = _tables(stats)
    return stats


def _tables(stats: Statistics) -> list[Table]:
    total = Row("total", _("Total"), stats.total)
    several = _("Une séance ou un accompagnement qui a plusieurs thématiques compte dans chacune.")
    kind_columns = tuple(c for c in THEME_COLUMNS if c.key in {"accompaniments", "hours", "people"})
    return [
        Table("lieux", _("Par lieu"), _("Lieu"), MAIN_COLUMNS, stats.by_place, total),
        Table("cantons", _("Par canton"), _("Canton"), MAIN_COLUMNS, stats.by_canton, total),
        Table("mois", _("Par mois"), _("Mois"), MAIN_COLUMNS, stats.by_month, total),
        Table(
            "thematiques", _("Par thématique numérique"), _("Thématique"), THEME_COLUMNS, stats.by_theme, note=several
        ),
        Table(
            "demarches",
            _("Par démarche administrative"),
            _("Démarche"),
            THEME_COLUMNS[2:],
            stats.by_admin_theme,
            note=several,
        ),
        Table("types", _("Par type d'accompagnement"), _("Type"), kind_columns, stats.by_kind),
        Table("raisons", _("Raisons du besoin d'aide"), _("Raison"), SHARE_COLUMNS, stats.reasons),
        Table("autonomie", _("Autonomie des personnes"), _("Autonomie"), SHARE_COLUMNS, stats.autonomy),
        Table("resultats", _("Résultat des démarches"), _("Résultat"), SHARE_COLUMNS, stats.outcomes),
    ]


def available_years() -> list[int]:
    """Years offered by the filter: from the first accompaniment or session to this year."""
    this_year = timezone.localdate().year
    first = Accompaniment.objects.order_by("date").values_list("date", flat=True).first()
    first_year = first.year if first else this_year
    return list(range(this_year, max(first_year, this_year - 15) - 1, -1))


def equipment_in_service() -> int:
    from ..models import Equipment, EquipmentStatus

    return Equipment.objects.filter(status=EquipmentStatus.IN_SERVICE).count()
