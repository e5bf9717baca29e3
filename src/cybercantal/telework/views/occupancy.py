"""Part "occupancy": how full the telecentres are on paper (booked) and in practice (checked
in), who comes, and the commutes avoided (the département's indicator).

Who may use each page:
- ``occupancy`` (``/telecentres/pilotage/``) and ``occupancy_export``
  (``/telecentres/pilotage/export.csv``): ``telework.view_network_occupancy``, the programme
  team (programme managers, administrators).
- ``occupancy_telecentre`` (``/telecentres/gestion/<slug>/occupation/``) and
  ``occupancy_telecentre_export`` (its CSV): ``telework.view_occupancy`` on the telecentre,
  its managers (role scoped to its place or its operator) and the programme team.

The figures come from ``queries.occupancy`` (definitions there and on the pages); this module
lays them out: tables, SVG bar charts that carry their values in text (each with its table),
the heat map as a table with the rate written in every cell, the CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.core import spreadsheet
from cybercantal.core.spreadsheet import decimal_fr
from cybercantal.places.hours import weekday_names

from ..forms.occupancy import NetworkMonthForm, PeriodForm, TelecentrePeriodForm, month_label, month_value
from ..models import MemberProfile, Telecentre, TelecentreStatus
from ..queries import occupancy as queries
from ..queries.occupancy import ExportRow, Figures, HeatMap, format_number, format_percent


def _no_object(request: HttpRequest, **kwargs: Any) -> None:
    return None


_network = permission_required_for_object("telework.view_network_occupancy", _no_object, pass_object=False)


def _telecentre(request: HttpRequest, slug: str) -> Telecentre:
    return get_object_or_404(Telecentre.objects.select_related("place", "operator"), place__slug=slug)


_telecentre_allowed = permission_required_for_object("telework.view_occupancy", _telecentre)


# --- Charts: paired horizontal bars (booked, used), server-rendered SVG ---------------------------

CHART_WIDTH = 680
LABEL_WIDTH = 170
VALUE_ROOM = 140
BAR_HEIGHT = 14
ROW_HEIGHT = 44
LEGEND_HEIGHT = 28
BOOKED_FILL = "#1d5e3a"  # vert Cantal
USED_FILL = "#8a3b12"  # brun volcanique


@dataclass
class PairedChart:
    """Booked and used rate per row: two bars each, every bar followed by its value in words
    (« réservé 62,5 % », « occupé 40,1 % »), so nothing is told by colour alone."""

    slug: str
    title: str
    summary: str
    table_slug: str
    svg: SafeString
    width: int
    height: int


def paired_chart(
    *, slug: str, title: str, table_slug: str, rows: list[tuple[str, Decimal | None, Decimal | None]]
) -> PairedChart | None:
    """``rows``: (label, booked rate, used rate). None when there is no rate at all."""
    rows = [row for row in rows if row[1] is not None or row[2] is not None]
    if not rows:
        return None
    top = max([Decimal(1)] + [rate for _label, *rates in rows for rate in rates if rate is not None])
    room = CHART_WIDTH - LABEL_WIDTH - VALUE_ROOM
    booked_word, used_word = _("réservé"), _("occupé")
    parts = [
        f'<rect x="{LABEL_WIDTH}" y="6" width="14" height="14" fill="{BOOKED_FILL}"></rect>'
        f'<text x="{LABEL_WIDTH + 20}" y="18" font-size="13" fill="#1b1b1b">'
        f"{escape(_('réservé (sur le papier)'))}</text>"
        f'<rect x="{LABEL_WIDTH + 220}" y="6" width="14" height="14" fill="{USED_FILL}"></rect>'
        f'<text x="{LABEL_WIDTH + 240}" y="18" font-size="13" fill="#1b1b1b">'
        f"{escape(_('occupé (arrivée pointée)'))}</text>"
    ]
    for index, (label, booked, used) in enumerate(rows):
        y = LEGEND_HEIGHT + index * ROW_HEIGHT + 4
        short = label if len(label) <= 24 else label[:23] + "…"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + BAR_HEIGHT + 6}" text-anchor="end" font-size="13" '
            f'fill="#1b1b1b">{escape(short)}</text>'
        )
        for offset, rate, fill, word in ((0, booked, BOOKED_FILL, booked_word), (17, used, USED_FILL, used_word)):
            width = round(float(room * (rate or 0) / top), 1)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + offset}" width="{width}" height="{BAR_HEIGHT}" fill="{fill}"></rect>'
                f'<text x="{round(LABEL_WIDTH + width + 6, 1)}" y="{y + offset + BAR_HEIGHT - 2}" font-size="12" '
                f'fill="#1b1b1b">{escape(word)} {escape(format_percent(rate))}</text>'
            )
    height = LEGEND_HEIGHT + len(rows) * ROW_HEIGHT + 8
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="{LEGEND_HEIGHT}" x2="{LABEL_WIDTH}" y2="{height}" stroke="#4d4d4d"></line>'
    )
    best = max(rows, key=lambda row: row[1] or 0)
    summary = _(
        "Taux réservé et taux occupé de %(count)s lignes. Le plus réservé : %(label)s, "
        "avec %(booked)s réservé et %(used)s occupé."
    ) % {"count": len(rows), "label": best[0], "booked": format_percent(best[1]), "used": format_percent(best[2])}
    return PairedChart(
        slug=slug,
        title=title,
        summary=summary,
        table_slug=table_slug,
        svg=mark_safe("".join(parts)),  # every text above is escaped
        width=CHART_WIDTH,
        height=height,
    )


# --- Heat map --------------------------------------------------------------------------------------

LEVELS = [
    (Decimal("0"), "heat-0", "0 %"),
    (Decimal("0.2"), "heat-1", "moins de 20 %"),
    (Decimal("0.4"), "heat-2", "20 à 39 %"),
    (Decimal("0.6"), "heat-3", "40 à 59 %"),
    (Decimal("0.8"), "heat-4", "60 à 79 %"),
    (None, "heat-5", "80 % et plus"),
]


def heat_class(rate: Decimal | None) -> str:
    if rate is None:
        return "heat-closed"
    if rate == 0:
        return "heat-0"
    for bound, css, _label in LEVELS[1:]:
        if bound is None or rate < bound:
            return css
    return "heat-5"  # pragma: no cover - the last level has no bound


def legend() -> list[tuple[str, str]]:
    labels = [
        _("0 % (rien)"),
        _("moins de 20 %"),
        _("de 20 à 39 %"),
        _("de 40 à 59 %"),
        _("de 60 à 79 %"),
        _("80 % et plus"),
    ]
    return [(css, label) for (_bound, css, _text), label in zip(LEVELS, labels, strict=True)] + [
        ("heat-closed", _("fermé (aucune heure ouverte)"))
    ]


@dataclass
class HeatTable:
    slug: str
    caption: str
    hours: list[str]
    rows: list[tuple[str, list[tuple[str, str]]]]  # weekday, [(text, css class)]


def heat_tables(heat: HeatMap) -> list[HeatTable]:
    names = weekday_names()
    hour_labels = [_("%(hour)s h") % {"hour": hour} for hour in heat.hours]
    tables = []
    for slug, caption, rate_of in (
        ("reserve", _("Taux réservé par jour et par heure"), lambda cell: cell.booked_rate),
        ("occupe", _("Taux occupé (arrivées pointées) par jour et par heure"), lambda cell: cell.used_rate),
    ):
        rows = []
        for weekday in range(1, 8):
            cells = []
            for hour in heat.hours:
                cell = heat.cell(weekday, hour)
                rate = rate_of(cell) if cell.is_open else None
                text = format_percent(rate, 0) if rate is not None else _("fermé")
                cells.append((text, heat_class(rate)))
            rows.append((names[weekday - 1].capitalize(), cells))
        tables.append(HeatTable(slug=slug, caption=caption, hours=hour_labels, rows=rows))
    return tables


# --- Display rows ----------------------------------------------------------------------------------


def factor_rows(factors: dict[str, Decimal]) -> list[tuple[str, str]]:
    return [
        (str(label), format_number(factors.get(mode, Decimal("0")), 4))
        for mode, label in MemberProfile.CommuteMode.choices
    ]


def _period_text(period: queries.Period) -> str:
    if period.is_empty:
        return _("aucun jour écoulé")
    return _("du %(first)s au %(last)s") % {
        "first": date_format(period.first, "j F Y"),
        "last": date_format(period.last, "j F Y"),
    }


# --- Views -----------------------------------------------------------------------------------------


@require_GET
@_network
def occupancy(request: HttpRequest) -> HttpResponse:
    """Programme team: the telecentres side by side, a month and its 12 months."""
    form = NetworkMonthForm(request.GET or None, first=queries.first_month())
    month = form.month()
    data = queries.network_occupancy(month=month)
    rows = data.rows
    chart_month = paired_chart(
        slug="telecentres-mois",
        title=_("Taux réservé et occupé par télécentre — %(month)s") % {"month": month_label(month)},
        table_slug="occupation",
        rows=[(row.telecentre.name, row.month.booked_rate, row.month.used_rate) for row in rows if row.telecentre],
    )
    chart_year = paired_chart(
        slug="telecentres-12-mois",
        title=_("Taux réservé et occupé par télécentre — 12 mois"),
        table_slug="occupation",
        rows=[(row.telecentre.name, row.year.booked_rate, row.year.used_rate) for row in rows if row.telecentre],
    )
    chart_months = paired_chart(
        slug="reseau-par-mois",
        title=_("Taux réservé et occupé du réseau, mois par mois"),
        table_slug="reseau-mois",
        rows=[(month_label(m), figures.booked_rate, figures.used_rate) for m, figures in data.by_month],
    )
    export_query = urlencode({"du": month_value(data.months[0]), "au": month_value(month)})
    return render(
        request,
        "telework/occupancy/network.html",
        {
            "form": form,
            "data": data,
            "month_label": month_label(month),
            "month_period_text": _period_text(data.month_period),
            "year_period_text": _period_text(data.year_period),
            "first_month_label": month_label(data.months[0]),
            "charts": [chart for chart in (chart_month, chart_year, chart_months) if chart],
            "by_month": [(month_label(m), figures) for m, figures in data.by_month],
            "new_members": [(month_label(m), counts, total) for m, counts, total in data.new_members],
            "factors": factor_rows(data.factors),
            "co2_source": queries.CO2_SOURCE,
            "export_url": f"{request.path}export.csv?{export_query}",
        },
    )


@require_GET
@_telecentre_allowed
def occupancy_telecentre(request: HttpRequest, slug: str, obj: Telecentre) -> HttpResponse:
    """A telecentre's managers and the programme team: heat map weekday × hour, per
    resource, per month, over a range of months (the last 12 by default)."""
    telecentre = obj
    form = TelecentrePeriodForm(request.GET or None, telecentre=telecentre)
    first, last = form.months()
    resource = form.resource()
    counted = telecentre.status != TelecentreStatus.PLANNED and telecentre.opens_on is not None
    data = (
        queries.telecentre_occupancy(telecentre=telecentre, first_month=first, last_month=last, resource=resource)
        if counted
        else None
    )
    context: dict[str, Any] = {
        "telecentre": telecentre,
        "form": form,
        "data": data,
        "counted": counted,
        "first_label": month_label(first),
        "last_label": month_label(last),
        "resource": resource,
        "can_see_network": request.user.has_perm("telework.view_network_occupancy"),
        "factors": factor_rows(queries.co2_factors()),
        "co2_source": queries.CO2_SOURCE,
        "legend": legend(),
    }
    if data is not None:
        context.update(
            period_text=_period_text(data.period),
            heat_tables=heat_tables(data.heat) if data.heat.hours else [],
            months=[(month_label(row.month), row) for row in data.months],
            resource_chart=paired_chart(
                slug="ressources",
                title=_("Taux réservé et occupé par ressource"),
                table_slug="ressources",
                rows=[(row.resource.name, row.figures.booked_rate, row.figures.used_rate) for row in data.resources],
            ),
            month_chart=paired_chart(
                slug="mois",
                title=_("Taux réservé et occupé, mois par mois"),
                table_slug="mois",
                rows=[(month_label(row.month), row.figures.booked_rate, row.figures.used_rate) for row in data.months],
            ),
            export_url=f"{request.path}export.csv?{urlencode({'du': month_value(first), 'au': month_value(last)})}",
        )
    return render(request, "telework/occupancy/telecentre.html", context)


# --- CSV -------------------------------------------------------------------------------------------

CSV_HEADERS = (
    "Télécentre",
    "Mois",
    "Heures-places ouvertes",
    "Heures réservées",
    "Heures occupées (arrivée pointée)",
    "Taux réservé (%)",
    "Taux occupé (%)",
    "Réservations",
    "Absences (sans pointage)",
    "dont places libérées",
    "Taux d'absence (%)",
    "Membres actifs",
    "Nouveaux membres",
    "Employeurs conventionnés",
    "Employeurs dont des salariés ont réservé",
    "Jours pointés avec un trajet déclaré",
    "km de trajet évités (estimation)",
    "kg CO2e évités (estimation)",
)


def _rate_cell(rate: Decimal | None) -> Any:
    return decimal_fr(rate * 100, 1) if rate is not None else ""


def csv_rows(rows: list[ExportRow]) -> list[list[Any]]:
    lines: list[list[Any]] = [[_(header) for header in CSV_HEADERS]]
    for row in rows:
        figures: Figures = row.figures
        lines.append(
            [
                row.telecentre.name if row.telecentre else _("Réseau (toutes les personnes comptées une fois)"),
                month_value(row.month),
                decimal_fr(figures.capacity_hours, 1),
                decimal_fr(figures.booked_hours, 1),
                decimal_fr(figures.used_hours, 1),
                _rate_cell(figures.booked_rate),
                _rate_cell(figures.used_rate),
                figures.bookings,
                figures.no_shows,
                figures.released,
                _rate_cell(figures.no_show_rate),
                row.members,
                row.new_members,
                row.agreement_employers,
                row.booking_employers,
                row.commute.days,
                decimal_fr(row.commute.km, 1),
                decimal_fr(row.commute.co2_kg, 1),
            ]
        )
    return lines


def _export(request: HttpRequest, telecentres: list[Telecentre], form: PeriodForm, name: str) -> HttpResponse:
    if not form.is_valid():
        messages = "; ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponseBadRequest(
            _("Période invalide : %(errors)s") % {"errors": messages}, content_type="text/plain; charset=utf-8"
        )
    first, last = form.months()
    rows = queries.monthly_rows(telecentres=telecentres, first_month=first, last_month=last)
    return spreadsheet.csv_response(f"{name}-{month_value(first)}-{month_value(last)}.csv", csv_rows(rows))


@require_GET
@_network
def occupancy_export(request: HttpRequest) -> HttpResponse:
    """Programme team: figures per telecentre and month (CSV), then the network's."""
    form = PeriodForm(request.GET, first=queries.first_month())
    return _export(request, list(queries.telecentres_counted()), form, "occupation-telecentres")


@require_GET
@_telecentre_allowed
def occupancy_telecentre_export(request: HttpRequest, slug: str, obj: Telecentre) -> HttpResponse:
    """A telecentre's managers and the programme team: its figures per month (CSV)."""
    form = PeriodForm(request.GET, first=obj.opens_on)
    return _export(request, [obj], form, f"occupation-{slugify(obj.name)}")


urlpatterns = [
    path("pilotage/", occupancy, name="occupancy"),
    path("pilotage/export.csv", occupancy_export, name="occupancy_export"),
    path("gestion/<slug:slug>/occupation/", occupancy_telecentre, name="occupancy_telecentre"),
    path("gestion/<slug:slug>/occupation/export.csv", occupancy_telecentre_export, name="occupancy_telecentre_export"),
]
