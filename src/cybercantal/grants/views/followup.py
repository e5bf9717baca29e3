"""The programme dashboard (issue 7 §6), for the instructors and the programme team
(``grants.view_dashboard``).

- ``/aides/tableau-de-bord/``: the envelope of the programme, the map of the dossiers per
  canton with its table, the amounts requested, decided and paid, the dossiers per state and
  the processing times; filters: programme (default: the most recent open one), year of first
  submission, canton.
- ``/aides/tableau-de-bord/export.csv``: one row per dossier (drafts left out), same filters,
  streamed.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.core.money import format_euros
from cybercantal.core.spreadsheet import csv_response, decimal_fr
from cybercantal.territory import maps

from ..forms.followup import DashboardFilterForm, DashboardFilters
from ..models import EligibilityAnswer, GrantProgramme, Status
from ..queries import followup as queries

_dashboard_perm = permission_required_for_object(
    "grants.view_dashboard", lambda request, *args, **kwargs: None, pass_object=False
)

#: Width of the envelope bar, in SVG units.
BAR_WIDTH = 600
#: Colours of the envelope bar (the text next to it says the same figures).
PAID_COLOUR = "#1d4e89"
COMMITTED_COLOUR = "#7fa7d6"
REMAINING_COLOUR = "#ffffff"
NO_DOSSIER_FILL = "#ffffff"


def _url_or_empty(name: str, *args: Any) -> str:
    """The URL of another part's page, or "" while that part is not there."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _filters(request: HttpRequest) -> tuple[DashboardFilterForm, DashboardFilters]:
    form = DashboardFilterForm(request.GET or None, default=queries.default_programme())
    return form, form.filters()


def _dashboard_url(filters: DashboardFilters, **changes: Any) -> str:
    params = {**filters.query(), **changes}
    params = {key: value for key, value in params.items() if value}
    return reverse("grants:dashboard") + (f"?{urlencode(params)}" if params else "")


def _envelope_bar(envelope: Any) -> dict[str, Any]:
    """Widths of the three parts of the bar: paid, committed not yet paid, remaining."""
    budget = envelope.budget
    if budget <= 0:
        return {"width": BAR_WIDTH, "paid": 0, "committed": 0, "remaining": BAR_WIDTH}

    def width(amount: Decimal) -> int:
        share = min(max(amount, Decimal(0)), budget) / budget
        return int((share * BAR_WIDTH).to_integral_value())

    paid = width(min(envelope.paid, envelope.committed) if envelope.committed else envelope.paid)
    committed = max(width(envelope.committed) - paid, 0)
    return {
        "width": BAR_WIDTH,
        "paid": paid,
        "committed": committed,
        "committed_x": paid,
        "remaining": BAR_WIDTH - paid - committed,
        "remaining_x": paid + committed,
        "paid_percent": int(envelope.paid * 100 / budget),
        "overcommitted": envelope.committed > budget,
    }


def _money_cell(amount: Decimal) -> maps.Cell:
    return maps.Cell(text=format_euros(amount), numeric=True)


def _dossiers_text(count: int) -> str:
    return ngettext("%(count)s dossier", "%(count)s dossiers", count) % {"count": count}


def _canton_map(data: queries.Dashboard, filters: DashboardFilters) -> maps.RenderedMap:
    """The cantons coloured by number of dossiers, each a link that filters the page on it; the
    table gives every canton (zeros included), the dossiers outside any canton and the total."""
    rows: list[list[Any]] = []
    titles, urls = {}, {}
    for figures in data.per_canton:
        canton = figures.canton
        if canton is None:  # pragma: no cover - per_canton rows always have their canton
            continue
        url = _dashboard_url(filters, canton=canton.slug)
        urls[canton.code] = url
        name = canton.name
        if filters.canton is not None and filters.canton.pk == canton.pk:
            name = _("%(name)s (canton choisi)") % {"name": canton.name}
        titles[canton.code] = _(
            "Canton n° %(number)s : %(name)s — %(dossiers)s, demandé %(requested)s, accordé %(decided)s, versé %(paid)s"
        ) % {
            "number": canton.number,
            "name": canton.name,
            "dossiers": _dossiers_text(figures.dossiers),
            "requested": format_euros(figures.requested),
            "decided": format_euros(figures.decided),
            "paid": format_euros(figures.paid),
        }
        rows.append(
            [
                maps.Link(name, url),
                canton.number,
                figures.dossiers,
                _money_cell(figures.requested),
                _money_cell(figures.decided),
                _money_cell(figures.paid),
            ]
        )
    if data.unknown_canton is not None:
        unknown = data.unknown_canton
        rows.append(
            [
                _("Canton non renseigné"),
                None,
                unknown.dossiers,
                _money_cell(unknown.requested),
                _money_cell(unknown.decided),
                _money_cell(unknown.paid),
            ]
        )
    total = data.canton_total
    rows.append(
        [
            _("Total"),
            None,
            total.dossiers,
            _money_cell(total.requested),
            _money_cell(total.decided),
            _money_cell(total.paid),
        ]
    )
    year = str(data.year) if data.year else _("toutes années")
    table = maps.MapTable.build(
        caption=_("Dossiers et montants par canton — %(programme)s, %(year)s")
        % {"programme": data.programme.name, "year": year},
        columns=[
            _("Canton"),
            maps.Column(_("N°"), numeric=True),
            maps.Column(_("Dossiers déposés"), numeric=True),
            maps.Column(_("Aide demandée"), numeric=True),
            maps.Column(_("Aide accordée"), numeric=True),
            maps.Column(_("Aide versée"), numeric=True),
        ],
        rows=rows,
        footnote=_(
            "Dossiers déposés et au-delà (brouillons exclus). Aide demandée : aide calculée des dossiers "
            "déposés ; accordée : dossiers acceptés ou payés ; versée : paiements ordonnés."
        ),
    )
    counts = {f.canton.code: f.dossiers for f in data.per_canton if f.canton is not None and f.dossiers}
    # The lightest shade is left out: it would look like the white of the cantons without dossier.
    choropleth = maps.class_choropleth(counts, unit=_("dossier(s)"), palette=maps.SEQUENTIAL_PALETTE[1:])
    return maps.render_map(
        map_id="carte-dossiers",
        title=_("Carte des dossiers par canton : %(programme)s") % {"programme": data.programme.name},
        description=_(
            "Chaque canton porte son numéro et est coloré selon le nombre de dossiers déposés ; un canton "
            "blanc n'en a aucun. Choisir un canton filtre le tableau de bord sur lui. Le tableau qui suit "
            "la carte donne les mêmes chiffres avec les montants."
        ),
        table=table,
        choropleth=choropleth,
        default_fill=(NO_DOSSIER_FILL, _("aucun dossier")),
        canton_urls=urls,
        canton_titles=titles,
        highlight=filters.canton.code if filters.canton is not None else None,
    )


def _days(value: float | None) -> str:
    """Days the French way, one decimal ("12,5"); a dash when there is nothing to measure."""
    return "—" if value is None else number_format(round(value, 1), decimal_pos=1)


def _durations_row(label: str, figures: queries.Durations) -> dict[str, Any]:
    return {
        "label": label,
        "count": figures.count,
        "median": _days(figures.median),
        "mean": _days(figures.mean),
        "p90": _days(figures.p90),
    }


def _waiting_context(data: queries.Dashboard) -> dict[str, Any]:
    decision, payment = data.waiting_decision, data.waiting_payment
    return {
        "waiting_decision": decision,
        "waiting_decision_url": _url_or_empty("grants:review", decision.oldest_reference)
        if decision.oldest_reference
        else "",
        "waiting_payment": payment,
        "waiting_payment_url": _url_or_empty("grants:payment", payment.oldest_reference)
        if payment.oldest_reference
        else "",
    }


@require_GET
@_dashboard_perm
def dashboard(request: HttpRequest) -> HttpResponse:
    """The programme team and the instructors: the programme's envelope, map and figures."""
    form, filters = _filters(request)
    status = 400 if form.is_bound and form.errors else 200
    context: dict[str, Any] = {"form": form, "filters": filters, "data": None}
    if filters.programme is None:
        return render(request, "grants/followup/dashboard.html", context, status=status)
    data = queries.dashboard(programme=filters.programme, year=filters.year, canton=filters.canton)
    query = urlencode(filters.query())
    context.update(
        {
            "data": data,
            "bar": _envelope_bar(data.envelope),
            "map": _canton_map(data, filters),
            "durations": [
                _durations_row(_("Du premier dépôt à la décision"), data.to_decision),
                _durations_row(_("De la décision au premier versement"), data.to_payment),
            ],
            "csv_url": reverse("grants:dashboard_export") + (f"?{query}" if query else ""),
            "all_cantons_url": _dashboard_url(filters, canton=""),
            "programme_url": _url_or_empty("grants:programme_manage", filters.programme.slug),
            **_waiting_context(data),
        }
    )
    return render(request, "grants/followup/dashboard.html", context, status=status)


def _date(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value).date()
    return value.isoformat()


def _export_lines(filters: DashboardFilters, programme: GrantProgramme) -> Iterator[list[Any]]:
    yield [
        _("Numéro de dossier"),
        _("Dispositif"),
        _("État"),
        _("Raison sociale"),
        _("SIRET"),
        _("Commune des locaux"),
        _("Canton"),
        _("Premier dépôt"),
        _("Décision"),
        _("Premier versement"),
        _("Aide calculée (€)"),
        _("Aide accordée (€)"),
        _("Aide versée (€)"),
        _("Éligibilité"),
    ]
    states = dict(Status.choices)
    answers = dict(EligibilityAnswer.choices)
    for (
        reference,
        programme_name,
        status,
        business,
        siret,
        commune,
        canton,
        first_submitted_at,
        decided_at,
        first_payment,
        computed,
        decided,
        paid,
        eligibility,
    ) in queries.export_rows(programme=programme, year=filters.year, canton=filters.canton):
        yield [
            reference,
            programme_name,
            str(states.get(status, status)),
            business,
            siret,
            commune or "",
            canton or "",
            _date(first_submitted_at),
            _date(decided_at),
            _date(first_payment),
            decimal_fr(computed),
            decimal_fr(decided) if decided is not None else None,
            decimal_fr(paid),
            str(answers.get(eligibility, eligibility)),
        ]


@require_GET
@_dashboard_perm  # type: ignore[arg-type]  # streams: a StreamingHttpResponse
def dashboard_export(request: HttpRequest) -> HttpResponseBase:
    """The dossiers of the dashboard's filters, one row each (``;``, BOM, decimal comma)."""
    form, filters = _filters(request)
    if form.is_bound and form.errors:
        # Never a file made of other filters than those asked: the page says what is wrong.
        return redirect(f"{reverse('grants:dashboard')}?{request.GET.urlencode()}")
    if filters.programme is None:
        return redirect("grants:dashboard")
    parts = ["tableau-de-bord", filters.programme.slug]
    if filters.year is not None:
        parts.append(str(filters.year))
    if filters.canton is not None:
        parts.append(filters.canton.slug)
    return csv_response("-".join(parts) + ".csv", _export_lines(filters, filters.programme), stream=True)


urlpatterns = [
    path("tableau-de-bord/", dashboard, name="dashboard"),
    path("tableau-de-bord/export.csv", dashboard_export, name="dashboard_export"),
]
