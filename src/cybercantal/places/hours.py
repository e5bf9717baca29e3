"""Opening hours: OSM ``opening_hours`` text, read with the real parser, said in plain French.

The stored form is the OpenStreetMap syntax (what the LMN schema's ``horaires`` carries).
Parsing and evaluation are done by opening-hours-py (``opening_hours.OpeningHours``); this
module only turns its answers into French and into weekly slots.

Public holidays: the parser knows the French calendar (``country="FR"``), so ``PH off`` is
applied exactly on display (``status_line``, ``week_table``, ``is_open``). Only the
metropolitan holidays are known: the Cantal needs nothing more. The weekly slots derived for
SQL filtering (``weekly_slots``) deliberately ignore holidays and dated exceptions: they are
the regular week.

Datetimes: every function takes an aware datetime (or uses ``timezone.now()``) and works in
local time (``TIME_ZONE``, Europe/Paris); the parser gets naive local datetimes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from opening_hours import OpeningHours, ParserError  # type: ignore[attr-defined]

COUNTRY = "FR"
MINUTES_PER_DAY = 24 * 60
OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
# A status line looks this far ahead for the next change (a place closed for a month says
# "Fermé · ouvre le lundi 3 août à 9 h"; further than that, just "Fermé").
LOOKAHEAD = timedelta(days=32)

Slot = tuple[int, int]  # (opens, closes) in minutes of the day, closes may be 1440


def weekday_names() -> list[str]:
    """French day names, Monday first (translated at call time)."""
    return [_("lundi"), _("mardi"), _("mercredi"), _("jeudi"), _("vendredi"), _("samedi"), _("dimanche")]


# --- parsing ---------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _parsed(value: str, with_holidays: bool) -> OpeningHours:
    if with_holidays:
        return OpeningHours(value, country=COUNTRY)
    return OpeningHours(value)


def parse(value: str | None, *, with_holidays: bool = True) -> OpeningHours | None:
    """The parsed expression, or None when ``value`` is empty or invalid."""
    if not value or not value.strip():
        return None
    try:
        return _parsed(value.strip(), with_holidays)
    except (ParserError, ValueError, TypeError):
        return None


def parse_error(value: str | None) -> str:
    """A French message if ``value`` is not a valid expression, else ``""`` (empty is valid)."""
    if not value or not value.strip():
        return ""
    try:
        _parsed(value.strip(), True)
    except (ParserError, ValueError, TypeError) as exc:
        where = _error_column(str(exc))
        if where:
            return _(
                "Horaires illisibles : la syntaxe OpenStreetMap n'est pas respectée (vers le caractère %(col)s). "
                "Exemple valide : Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00"
            ) % {"col": where}
        return _(
            "Horaires illisibles : la syntaxe OpenStreetMap n'est pas respectée. "
            "Exemple valide : Mo-Fr 09:00-12:00,14:00-17:30; Sa 09:00-12:00"
        )
    return ""


def _error_column(message: str) -> str:
    """The column the parser points at (its message reads `` --> 1:4``)."""
    marker = "--> "
    if marker not in message:
        return ""
    position = message.split(marker, 1)[1].split()[0]
    _line, _sep, column = position.partition(":")
    return column if column.isdigit() else ""


def normalise(value: str) -> str:
    """The parser's canonical form of a valid expression (used to compare two expressions)."""
    parsed = parse(value, with_holidays=False)
    return str(parsed.normalize()) if parsed is not None else ""


# --- evaluation ------------------------------------------------------------------------


def _local_naive(at: datetime | None) -> datetime:
    at = at or timezone.now()
    if timezone.is_aware(at):
        at = timezone.localtime(at)
    return at.replace(tzinfo=None, second=0, microsecond=0)


def _state(state: object) -> str:
    """``State.OPEN`` -> ``"open"`` (the enum is exposed by the Rust extension)."""
    return str(state).rsplit(".", 1)[-1].lower()


def is_open(value: str | None, at: datetime | None = None) -> bool:
    """True when the place is open at ``at`` (now by default), holidays included."""
    parsed = parse(value)
    if parsed is None:
        return False
    return bool(parsed.is_open(_local_naive(at)))


def _merged_intervals(parsed: OpeningHours, start: datetime, end: datetime) -> list[tuple[datetime, datetime, str]]:
    """Intervals of the same state glued together (comments may split them)."""
    out: list[tuple[datetime, datetime, str]] = []
    for begin, finish, state, _comment in parsed.intervals(start, end):
        label = _state(state)
        finish = finish or end
        if out and out[-1][2] == label and out[-1][1] == begin:
            out[-1] = (out[-1][0], finish, label)
        else:
            out.append((begin, finish, label))
        if finish >= end:
            break
    return out


def format_time(moment: time | datetime | int) -> str:
    """9 h, 17 h 30, minuit (the French way, as the typographic rules say)."""
    if isinstance(moment, int):
        hours, minutes = divmod(moment, 60)
    else:
        hours, minutes = moment.hour, moment.minute
    hours %= 24
    if hours == 0 and minutes == 0:
        return _("minuit")
    if not _french():
        suffix = "am" if hours < 12 else "pm"
        hours = hours % 12 or 12
        return f"{hours}:{minutes:02d} {suffix}" if minutes else f"{hours} {suffix}"
    return f"{hours} h {minutes:02d}" if minutes else f"{hours} h"


def _french() -> bool:
    return (get_language() or "fr").startswith("fr")


def _when(moment: datetime, now: datetime) -> str:
    """'à 17 h 30', 'demain à 9 h', 'mardi à 9 h' or 'le mardi 3 mars à 9 h'."""
    days = (moment.date() - now.date()).days
    if moment.hour == 0 and moment.minute == 0 and days == 1:
        return _("à minuit")
    hour = format_time(moment)
    if days == 0:
        return _("à %(hour)s") % {"hour": hour}
    if days == 1:
        return _("demain à %(hour)s") % {"hour": hour}
    if days < 7:
        return _("%(day)s à %(hour)s") % {"day": weekday_names()[moment.weekday()], "hour": hour}
    return _("le %(date)s à %(hour)s") % {"date": format_day(moment.date()), "hour": hour}


def format_day(day: date) -> str:
    """``mardi 3 mars``, ``mercredi 1er avril`` (the French ordinal for the first)."""
    text = date_format(day, "l j F")
    if day.day == 1 and _french():
        weekday, _number, month = text.split(" ", 2)
        text = f"{weekday} 1er {month}"
    return text


@dataclass(frozen=True)
class Status:
    """What a person wants to know now: open or not, and until / from when."""

    state: str  # "open", "closed", "unknown", "none" (no hours given)
    text: str

    @property
    def is_open(self) -> bool:
        return self.state == "open"


def status(value: str | None, at: datetime | None = None) -> Status:
    """``Status("open", "Ouvert · ferme à 17 h 30")`` and the like."""
    if not value or not value.strip():
        return Status("none", _("Horaires non renseignés"))
    parsed = parse(value)
    if parsed is None:
        return Status("unknown", _("Horaires à vérifier auprès du lieu"))
    now = _local_naive(at)
    intervals = _merged_intervals(parsed, now, now + LOOKAHEAD)
    current = intervals[0] if intervals else (now, now + LOOKAHEAD, "closed")
    following = intervals[1] if len(intervals) > 1 else None
    if current[2] == "open":
        if following is None:
            return Status("open", _("Ouvert 24 h/24"))
        return Status("open", _("Ouvert · ferme %(when)s") % {"when": _when(current[1], now)})
    if current[2] == "unknown":
        return Status("unknown", _("Ouverture incertaine · se renseigner"))
    next_open = next((item for item in intervals[1:] if item[2] == "open"), None)
    if next_open is None:
        return Status("closed", _("Fermé"))
    return Status("closed", _("Fermé · ouvre %(when)s") % {"when": _when(next_open[0], now)})


def status_line(value: str | None, at: datetime | None = None) -> str:
    return status(value, at).text


# --- days and weeks --------------------------------------------------------------------


def format_slots(slots: Iterable[Slot]) -> str:
    """``[(540, 720), (840, 1050)]`` -> ``"9 h – 12 h, 14 h – 17 h 30"``; none -> ``"Fermé"``."""
    parts = [f"{format_time(opens)} – {format_time(closes)}" for opens, closes in slots]
    return ", ".join(parts) if parts else _("Fermé")


def _day_slots(parsed: OpeningHours, day: date) -> list[Slot]:
    start = datetime.combine(day, time())
    end = start + timedelta(days=1)
    slots: list[Slot] = []
    for begin, finish, state in _merged_intervals(parsed, start, end):
        if state != "open":
            continue
        opens = max(0, int((begin - start).total_seconds() // 60))
        closes = min(MINUTES_PER_DAY, int((min(finish, end) - start).total_seconds() // 60))
        if closes > opens:
            slots.append((opens, closes))
    return slots


@functools.lru_cache(maxsize=16384)
def day_slots(value: str | None, day: date) -> tuple[Slot, ...]:
    """The open intervals of ``day`` (minutes since midnight, holidays applied), for
    booking rules that need a given day's hours. Cached: availability grids ask often."""
    parsed = parse(value)
    if parsed is None:
        return ()
    return tuple(_day_slots(parsed, day))


@dataclass
class DayRow:
    day: date
    name: str
    slots: list[Slot] = field(default_factory=list)
    is_today: bool = False
    holiday: bool = False

    @property
    def text(self) -> str:
        text = format_slots(self.slots)
        if self.holiday:
            return _("%(slots)s (jour férié)") % {"slots": text}
        return text


def week_table(value: str | None, at: datetime | None = None) -> list[DayRow]:
    """The current week, Monday to Sunday, as shown on a place's page (holidays applied).

    A day whose hours differ because it is a public holiday is flagged ``holiday``.
    Empty or invalid hours give an empty list.
    """
    parsed = parse(value)
    regular = parse(value, with_holidays=False)
    if parsed is None or regular is None:
        return []
    today = _local_naive(at).date()
    monday = today - timedelta(days=today.weekday())
    names = weekday_names()
    rows = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        slots = _day_slots(parsed, day)
        rows.append(
            DayRow(
                day=day,
                name=names[offset],
                slots=slots,
                is_today=day == today,
                holiday=slots != _day_slots(regular, day),
            )
        )
    return rows


def today_text(value: str | None, at: datetime | None = None) -> str:
    """Today's hours as a sentence: ``"Aujourd'hui : 9 h – 12 h, 14 h – 17 h 30"``, ``"Aujourd'hui :
    fermé"`` (holidays applied), or ``""`` when the hours are missing or unreadable."""
    parsed = parse(value)
    if parsed is None:
        return ""
    slots = _day_slots(parsed, _local_naive(at).date())
    if not slots:
        return _("Aujourd'hui : fermé")
    return _("Aujourd'hui : %(slots)s") % {"slots": format_slots(slots)}


def weekly_slots(value: str | None, on: date | None = None) -> list[tuple[int, int, int]]:
    """``(weekday, opens, closes)`` rows of the seven days from ``on`` (today), in weekday order.

    Holidays are ignored (parser without country); seasonal and dated rules apply to the
    real date of each of the seven days, so that rows rebuilt every night
    (``services.refresh_opening_slots``) are exact for today and the coming week.
    An interval that crosses midnight becomes two rows. Used for ``PlaceOpeningSlot``.
    """
    parsed = parse(value, with_holidays=False)
    if parsed is None:
        return []
    on = on or timezone.localdate()
    rows: list[tuple[int, int, int]] = []
    for offset in range(7):
        day = on + timedelta(days=offset)
        rows.extend((day.weekday(), opens, closes) for opens, closes in _day_slots(parsed, day))
    return sorted(rows)


def is_public_holiday(day: date) -> bool:
    """A French public holiday (the parser's calendar, the one ``PH`` rules follow)."""
    return bool(_parsed("PH", True).is_open(datetime.combine(day, time(12, 0))))


# --- slots <-> OSM text (the per-day form) ---------------------------------------------


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def slots_to_osm(days: dict[int, list[Slot]], *, holidays_closed: bool = True) -> str:
    """Build the OSM text from per-day slots: identical days are grouped (``Mo-Fr``, ``Mo,We``).

    ``days`` maps weekday (0 = Monday) to a list of (opens, closes) minutes; a missing or
    empty day is closed. Every day closed gives ``"closed"``.
    """
    groups: dict[tuple[Slot, ...], list[int]] = {}
    for weekday in range(7):
        slots = tuple(sorted(days.get(weekday) or []))
        if slots:
            groups.setdefault(slots, []).append(weekday)
    if not groups:
        return "closed"
    rules = []
    for slots, weekdays in sorted(groups.items(), key=lambda item: item[1][0]):
        times = ",".join(f"{_hhmm(opens)}-{_hhmm(closes)}" for opens, closes in slots)
        rules.append(f"{_day_selector(weekdays)} {times}")
    if holidays_closed:
        rules.append("PH off")
    return "; ".join(rules)


def _day_selector(weekdays: list[int]) -> str:
    """``[0, 1, 2, 4]`` -> ``"Mo-We,Fr"``."""
    runs: list[list[int]] = []
    for day in weekdays:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{OSM_DAYS[run[0]]}-{OSM_DAYS[run[-1]]}")
        else:
            parts.extend(OSM_DAYS[day] for day in run)
    return ",".join(parts)


def osm_to_slots(value: str | None, *, max_slots: int = 3) -> tuple[dict[int, list[Slot]], bool] | None:
    """The per-day slots and the "closed on holidays" flag for an expression, if it is that simple.

    Returns None when the expression says more than a plain week can (seasons, dates, comments,
    slots over midnight, more than ``max_slots`` a day...): the form then keeps the raw text.
    """
    if not value or not value.strip():
        return {}, True
    parsed = parse(value, with_holidays=False)
    if parsed is None:
        return None
    days: dict[int, list[Slot]] = {weekday: [] for weekday in range(7)}
    for weekday, opens, closes in weekly_slots(value, on=date(2001, 1, 8)):
        days[weekday].append((opens, closes))
    if any(len(slots) > max_slots for slots in days.values()):
        return None
    holidays_closed = "PH" in value
    rebuilt = slots_to_osm(days, holidays_closed=holidays_closed)
    if normalise(rebuilt) != normalise(value):
        return None
    # The same week a few months later must be identical (no seasonal rules).
    for probe in (date(2001, 4, 9), date(2001, 7, 9), date(2001, 10, 8)):
        if weekly_slots(value, on=probe) != weekly_slots(rebuilt, on=probe):
            return None
    return {weekday: slots for weekday, slots in days.items() if slots}, holidays_closed
