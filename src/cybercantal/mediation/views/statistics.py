"""Statistics of the EPN network: the page (filters, headline figures, tables, SVG charts with
their table alternatives), its CSV and ODS exports, and the yearly activity report as a PDF.

Who: ``mediation.view_statistics`` (mediators see their places, the programme team the whole
network, see ``queries.statistics.places_in_scope``); the PDF report of the network needs
``mediation.view_network_statistics``. The figures come from ``queries.statistics``; this
module only lays them out (HTML, SVG, CSV, ODS, PDF).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.core import spreadsheet
from cybercantal.core.spreadsheet import decimal_fr

from ..forms.statistics import StatisticsFilterForm
from ..queries import statistics as queries
from ..queries.statistics import Filters, Period, Row, Statistics, Table, format_number, format_percent

FILTER_NAMES = ("annee", "du", "au", "canton", "lieu", "theme")

_allowed = permission_required_for_object("mediation.view_statistics", lambda request, **kw: None, pass_object=False)
_network = permission_required_for_object(
    "mediation.view_network_statistics", lambda request, **kw: None, pass_object=False
)


# --- Charts: horizontal bars, server-rendered SVG ------------------------------------------------


@dataclass
class Bar:
    label: str
    short_label: str
    value_text: str
    y: int
    width: float
    text_y: int
    value_x: float


def _table_html(table: Table) -> tuple[str, str]:
    """The body rows and the total row of ``table`` as HTML, built here rather than by nested
    template loops (a network table over 100 EPN has a thousand cells)."""
    body = "".join(
        f'<tr><th scope="row">{escape(label)}</th>'
        + "".join(f'<td class="num">{escape(cell)}</td>' for cell in cells)
        + "</tr>"
        for label, cells in table.display_rows()
    )
    total = table.display_total()
    total_html = (
        "".join(f'<td class="num">{escape(cell)}</td>' for cell in total) if total is not None and table.rows else ""
    )
    return mark_safe(body), mark_safe(total_html)  # every text above is escaped


@dataclass
class RenderedTable:
    table: Table
    body: str
    total: str


@dataclass
class Chart:
    slug: str
    title: str
    summary: str
    table_slug: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    bar_height: int

    def bars_svg(self) -> str:
        """The bars (label, rectangle, value) as SVG, built here: up to 60 months a chart."""
        label_x = self.label_width - 8
        parts = [
            f'<text x="{label_x}" y="{bar.text_y}" text-anchor="end" font-size="13" fill="#1b1b1b">'
            f"{escape(bar.short_label)}</text>"
            f'<rect x="{self.label_width}" y="{bar.y}" width="{bar.width}" height="{self.bar_height}" '
            f'fill="#1d5e3a"></rect>'
            f'<text x="{bar.value_x}" y="{bar.text_y}" font-size="13" fill="#1b1b1b">{escape(bar.value_text)}</text>'
            for bar in self.bars
        ]
        return mark_safe("".join(parts))  # every text above is escaped


CHART_WIDTH = 680
LABEL_WIDTH = 230
ROW_HEIGHT = 26
BAR_HEIGHT = 18
VALUE_ROOM = 70


def bar_chart(
    *, slug: str, title: str, rows: list[Row], value: Any, display: Any, table_slug: str, unit: str
) -> Chart | None:
    """A horizontal bar chart of ``value(row.figures)``; each bar carries its value as text
    (no meaning by colour), and ``summary`` says the same in one or two sentences."""
    values = [(row, value(row.figures) or 0) for row in rows]
    if not values or not any(v for _row, v in values):
        return None
    top = max(v for _row, v in values)
    room = CHART_WIDTH - LABEL_WIDTH - VALUE_ROOM
    bars = []
    for index, (row, amount) in enumerate(values):
        y = index * ROW_HEIGHT + 4
        width = float(room * amount / top) if top else 0.0
        short = row.label if len(row.label) <= 32 else row.label[:31] + "…"
        bars.append(
            Bar(
                label=row.label,
                short_label=short,
                value_text=display(amount),
                y=y,
                width=round(width, 1),
                text_y=y + BAR_HEIGHT - 5,
                value_x=round(LABEL_WIDTH + width + 6, 1),
            )
        )
    best_row, best = max(values, key=lambda pair: pair[1])
    total = sum(v for _row, v in values)
    summary = _("Total : %(total)s %(unit)s. Le plus élevé : %(label)s, avec %(best)s %(unit)s.") % {
        "total": display(total),
        "unit": unit,
        "label": best_row.label,
        "best": display(best),
    }
    return Chart(
        slug=slug,
        title=title,
        summary=summary,
        table_slug=table_slug,
        bars=bars,
        width=CHART_WIDTH,
        height=len(bars) * ROW_HEIGHT + 8,
        label_width=LABEL_WIDTH,
        bar_height=BAR_HEIGHT,
    )


def _hours(value: Decimal) -> str:
    return format_number(value, 1)


def charts_of(stats: Statistics) -> list[Chart]:
    themes = sorted(
        (row for row in stats.by_theme if row.figures.accompaniments),
        key=lambda row: (-row.figures.accompaniments, row.label),
    )
    candidates = [
        bar_chart(
            slug="accompagnements-mois",
            title=_("Accompagnements par mois"),
            rows=stats.by_month,
            value=lambda f: f.accompaniments,
            display=format_number,
            table_slug="mois",
            unit=_("accompagnements"),
        ),
        bar_chart(
            slug="participants-mois",
            title=_("Inscrits aux ateliers par mois"),
            rows=stats.by_month,
            value=lambda f: f.confirmed,
            display=format_number,
            table_slug="mois",
            unit=_("inscrits"),
        ),
        bar_chart(
            slug="heures-cantons",
            title=_("Heures d'accompagnement par canton"),
            rows=stats.by_canton,
            value=lambda f: f.hours,
            display=_hours,
            table_slug="cantons",
            unit=_("heures"),
        ),
        bar_chart(
            slug="thematiques",
            title=_("Accompagnements par thématique numérique"),
            rows=themes,
            value=lambda f: f.accompaniments,
            display=format_number,
            table_slug="thematiques",
            unit=_("accompagnements"),
        ),
        bar_chart(
            slug="raisons",
            title=_("Raisons du besoin d'aide"),
            rows=stats.reasons,
            value=lambda f: f.count,
            display=format_number,
            table_slug="raisons",
            unit=_("accompagnements"),
        ),
    ]
    return [chart for chart in candidates if chart is not None]


# --- Filters -------------------------------------------------------------------------------------


def _form(request: HttpRequest) -> StatisticsFilterForm:
    data = {name: request.GET[name] for name in FILTER_NAMES if name in request.GET}
    return StatisticsFilterForm(data, years=queries.available_years(), places=queries.epn_choices(request.user))


def _headline(stats: Statistics) -> list[tuple[str, str]]:
    total = stats.total
    return [
        (_("Séances d'ateliers tenues"), format_number(total.sessions)),
        (_("Inscrits aux séances"), format_number(total.confirmed)),
        (_("Taux de remplissage"), format_percent(total.fill_rate)),
        (_("Absents (sans prévenir)"), format_number(total.no_shows)),
        (_("Accompagnements"), format_number(total.accompaniments)),
        (_("Heures d'accompagnement"), format_number(total.hours, 1)),
        (_("Personnes accompagnées"), format_number(total.people)),
        (_("Visites en accès libre"), format_number(total.visits)),
    ]


def _slug_of(filters: Filters) -> str:
    period = filters.period
    if period.is_one_year():
        return str(period.first.year)
    return f"{period.first:%Y-%m}_{period.last:%Y-%m}"


@require_GET
@_allowed
def statistics(request: HttpRequest) -> HttpResponse:
    """Mediators (their places) and the programme team (the network): figures, charts,
    tables; ``?format=csv&tableau=<slug>`` or ``?format=ods`` downloads the same tables."""
    form = _form(request)
    if not form.is_valid():
        return render(request, "mediation/statistics/page.html", {"form": form, "stats": None}, status=200)
    filters = form.filters()
    stats = queries.network_statistics(user=request.user, filters=filters)
    wanted = request.GET.get("format", "")
    if wanted == "csv":
        return csv_response(stats, request.GET.get("tableau", "lieux"))
    if wanted == "ods":
        return ods_response(stats)
    if wanted:
        raise Http404(_("Format d'export inconnu."))
    query = urlencode({name: request.GET[name] for name in FILTER_NAMES if request.GET.get(name)})
    prefix = f"?{query}&" if query else "?"
    context = {
        "form": form,
        "stats": stats,
        "filters": filters,
        "headline": _headline(stats),
        "charts": charts_of(stats),
        "rendered_tables": [RenderedTable(table, *_table_html(table)) for table in stats.tables],
        "csv_links": [
            (table, f"{prefix}{urlencode({'format': 'csv', 'tableau': table.slug})}") for table in stats.tables
        ],
        "ods_link": f"{prefix}format=ods",
        "report_year": filters.period.first.year,
        "can_report": stats.network,
        "theme_label": queries.theme_label(filters.theme) if filters.theme else "",
    }
    return render(request, "mediation/statistics/page.html", context)


# --- CSV and ODS ---------------------------------------------------------------------------------


def _csv_value(value: Any, column_kind: str) -> Any:
    """A percentage as ``33,3`` (the header says "(%)"); other figures as they are."""
    if column_kind == "percent" and value is not None:
        return decimal_fr(Decimal(value) * 100, places=1)
    return value


def csv_response(stats: Statistics, slug: str) -> HttpResponse:
    try:
        table = stats.table(slug)
    except KeyError as exc:
        raise Http404(_("Ce tableau n'existe pas.")) from exc
    headers = [
        f"{header} (%)" if column.kind == "percent" else header
        for header, column in zip(table.headers, table.columns, strict=True)
    ]
    rows = [
        [table.first_header, *headers],
        *(
            [row.label, *[_csv_value(column.raw(row.figures), column.kind) for column in table.columns]]
            for row in [*table.rows, *([table.total] if table.total else [])]
        ),
    ]
    return spreadsheet.csv_response(f"statistiques-epn-{_slug_of(stats.filters)}-{table.slug}.csv", rows)


def ods_bytes(stats: Statistics) -> bytes:
    """One sheet per table, numbers as numbers (percentages as percentages)."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table as OdsTable
    from odf.table import TableCell, TableRow
    from odf.text import P

    document = OpenDocumentSpreadsheet()
    document.meta.addElement(_ods_title(stats))
    for table in stats.tables:
        sheet = OdsTable(name=table.caption[:31].replace("'", "’"))
        header = TableRow()
        for text in [table.first_header, *table.headers]:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=text))
            header.addElement(cell)
        sheet.addElement(header)
        for row in [*table.rows, *([table.total] if table.total else [])]:
            line = TableRow()
            cell = TableCell(valuetype="string")
            cell.addElement(P(text=row.label))
            line.addElement(cell)
            for column in table.columns:
                value = column.raw(row.figures)
                if value is None:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text="—"))
                else:
                    kind = "percentage" if column.kind == "percent" else "float"
                    cell = TableCell(valuetype=kind, value=_ods_number(value))
                    cell.addElement(P(text=column.display(row.figures)))
                line.addElement(cell)
            sheet.addElement(line)
        document.spreadsheet.addElement(sheet)
    out = io.BytesIO()
    document.write(out)
    return out.getvalue()


def _ods_number(value: Any) -> str:
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _ods_title(stats: Statistics) -> Any:
    from odf.dc import Title

    return Title(text=_("Statistiques du réseau des EPN — %(period)s") % {"period": stats.filters.period.label()})


def ods_response(stats: Statistics) -> HttpResponse:
    response = HttpResponse(ods_bytes(stats), content_type="application/vnd.oasis.opendocument.spreadsheet")
    name = f"statistiques-epn-{_slug_of(stats.filters)}.ods"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- The yearly report (PDF) -----------------------------------------------------------------------


def _pdf_text(text: str) -> str:
    """The standard PDF fonts have no narrow no-break space: a no-break space instead."""
    return text.replace("\u202f", "\u00a0")


def _departement_name() -> str:
    from cybercantal.territory.models import Departement

    name = Departement.objects.filter(code=settings.DEPARTEMENT_CODE).values_list("name", flat=True).first()
    return name or settings.DEPARTEMENT_CODE


def key_figures_text(stats: Statistics, year: int) -> list[str]:
    """The key figures in words, for the report's first page."""
    total = stats.total
    lines = [
        _(
            "En %(year)s, %(places)s lieux du réseau ont tenu %(sessions)s séances d'ateliers collectifs, "
            "qui ont accueilli %(confirmed)s inscrits (taux de remplissage : %(fill)s)."
        )
        % {
            "year": year,
            "places": format_number(stats.places_count),
            "sessions": format_number(total.sessions),
            "confirmed": format_number(total.confirmed),
            "fill": format_percent(total.fill_rate),
        },
        _(
            "Les médiateurs ont réalisé %(accompaniments)s accompagnements, soit %(hours)s heures "
            "consacrées à %(people)s personnes."
        )
        % {
            "accompaniments": format_number(total.accompaniments),
            "hours": format_number(total.hours, 1),
            "people": format_number(total.people),
        },
        _("Les postes en accès libre ont reçu %(visits)s visites.") % {"visits": format_number(total.visits)},
    ]
    reasons = [row for row in stats.reasons if row.key and row.figures.count]
    if reasons:
        first = max(reasons, key=lambda row: row.figures.count)
        lines.append(
            _("La première raison du besoin d'aide est « %(reason)s » (%(share)s des accompagnements).")
            % {"reason": first.label, "share": format_percent(first.figures.share)}
        )
    return [_pdf_text(line) for line in lines]


def report_pdf(stats: Statistics, year: int, *, departement: str, equipment: int) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, TableStyle
    from reportlab.platypus import Table as PdfTable

    styles = getSampleStyleSheet()
    title = _("Rapport d'activité %(year)s du réseau des espaces publics numériques") % {"year": year}
    out = io.BytesIO()
    document = SimpleDocTemplate(
        out,
        pagesize=A4,
        title=title,
        author=settings.PLATFORM_NAME,
        subject=_("Département : %(name)s — activité %(year)s des EPN") % {"name": departement, "year": year},
        creator=settings.PLATFORM_NAME,
        keywords=["EPN", "médiation numérique", str(year), departement],
        lang="fr-FR",
        displayDocTitle=True,
        leftMargin=2 * cm,
        rightMargin=2 * cm,
        topMargin=2 * cm,
        bottomMargin=2 * cm,
    )

    def p(text: str, style: str = "BodyText") -> Paragraph:
        return Paragraph(escape(_pdf_text(text)), styles[style])

    generated = date_format(timezone.localdate(), "l j F Y")
    story: list[Any] = [
        Spacer(1, 5 * cm),
        p(title, "Title"),
        p(_("Département : %(name)s") % {"name": departement}, "Heading2"),
        p(_("Année %(year)s") % {"year": year}, "Heading2"),
        Spacer(1, 2 * cm),
        p(_("Rapport établi le %(date)s par %(platform)s.") % {"date": generated, "platform": settings.PLATFORM_NAME}),
        PageBreak(),
        p(_("Les chiffres clés"), "Heading1"),
        *[p(line) for line in key_figures_text(stats, year)],
        p(
            _("Le parc compte aujourd'hui %(count)s équipements en service dans les lieux du programme.")
            % {"count": format_number(equipment)}
        ),
    ]

    def pdf_table(table: Table) -> list[Any]:
        rows = [[table.first_header, *table.headers], *table.display_rows()]
        total = table.display_total()
        if total is not None:
            rows.append([_("Total"), *total])
        cells = [[Paragraph(escape(_pdf_text(str(cell))), styles["BodyText"]) for cell in row] for row in rows]
        widths = [5 * cm] + [(17 * cm - 5 * cm) / len(table.headers)] * len(table.headers)
        grid = PdfTable(cells, colWidths=widths, repeatRows=1)
        grid.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                    ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e6f2ea")),
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("FONTSIZE", (0, 0), (-1, -1), 8),
                ]
            )
        )
        parts = [p(table.caption, "Heading2"), grid]
        if table.note:
            parts.append(p(table.note, "Italic"))
        return parts

    report_tables = [
        Table("cantons", _("Activité par canton"), _("Canton"), _PDF_CANTON_COLUMNS, stats.by_canton, None),
        stats.table("thematiques"),
        stats.table("demarches"),
        stats.table("types"),
        stats.table("raisons"),
    ]
    canton_table = report_tables[0]
    canton_table.total = Row("total", _("Total"), stats.total)
    for table in report_tables:
        story += [Spacer(1, 0.5 * cm), *pdf_table(table)]
    document.build(story)
    return out.getvalue()


_PDF_CANTON_COLUMNS = tuple(
    column
    for column in queries.MAIN_COLUMNS
    if column.key in {"sessions", "confirmed", "fill_rate", "accompaniments", "hours", "people", "visits"}
)


@require_GET
@_network
def yearly_report(request: HttpRequest, year: int) -> HttpResponse:
    """Programme team (``mediation.view_network_statistics``): the network's yearly report."""
    this_year = timezone.localdate().year
    if not 2000 <= year <= this_year:
        raise Http404(_("Pas de rapport pour cette année."))
    if not queries.sees_network(request.user):  # pragma: no cover - the decorator said so
        raise PermissionDenied
    stats = queries.network_statistics(user=request.user, filters=Filters(period=Period.year(year)))
    content = report_pdf(stats, year, departement=_departement_name(), equipment=queries.equipment_in_service())
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="rapport-activite-epn-{year}.pdf"'
    return response


urlpatterns = [
    path("mediation/statistiques/", statistics, name="statistics"),
    path("mediation/statistiques/rapport-<int:year>.pdf", yearly_report, name="statistics_report"),
]
