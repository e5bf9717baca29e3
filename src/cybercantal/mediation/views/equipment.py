"""Equipment pages under ``/mediation/equipements/`` (thin: see services and queries).

Who may use them:
- the inventory list and the creation form: programme team and mediators
  (``mediation.view_equipment``); a mediator sees and chooses only the places they work in;
- one item's page and its forms (edit, move, repair, retire): ``mediation.manage_equipment``
  on that item (programme team, mediators of the item's place);
- the CSV import and its template: ``mediation.import_equipment`` (programme team);
- the renewal forecast and its CSV: ``mediation.view_renewal_forecast`` (programme team).

The import has two steps: the file is checked and the import run in a rolled-back transaction
(the preview is exactly what will happen), then confirmed. Between the two, the file is kept
compressed in the person's own session under a random token.
"""

from __future__ import annotations

import base64
import secrets
import zlib
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors
from cybercantal.core.money import format_euros
from cybercantal.core.spreadsheet import csv_response
from cybercantal.mediation.forms import equipment as forms
from cybercantal.mediation.models import Equipment, EquipmentStatus
from cybercantal.mediation.queries import equipment as queries
from cybercantal.mediation.services import equipment as services

PAGE_SIZE = 25
SESSION_KEY = "equipment_imports"
MAX_PENDING = 2
MAX_REPORT_LINES = 500


def _nothing(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


def _equipment(request: HttpRequest, pk: int, **kwargs: Any) -> Equipment:
    return get_object_or_404(Equipment.objects.select_related("place", "place__commune", "bought_by"), pk=pk)


def _euros(amount: Decimal | None) -> str:
    return format_euros(amount) if amount is not None else "—"


def _page(request: HttpRequest, queryset: Any) -> Any:
    paginator = Paginator(queryset, PAGE_SIZE)
    raw = request.GET.get("page", "")
    try:
        number = max(1, int(raw)) if raw else 1
    except ValueError:
        number = 1
    page = paginator.get_page(number)
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    page.problem = ""
    return page


@require_GET
@permission_required_for_object("mediation.view_equipment", _nothing, pass_object=False)
def equipment_list(request: HttpRequest) -> HttpResponse:
    """Programme team and mediators: the inventory (a mediator: their places only)."""
    form = forms.InventoryFilterForm(request.GET or None, user=request.user)
    data: dict[str, Any] = form.cleaned_data if form.is_valid() else {}
    queryset = queries.inventory(
        user=request.user,
        place=data.get("lieu"),
        kind=data.get("type", ""),
        status=data.get("etat", ""),
        place_type=data.get("lieux", ""),
        text=data.get("q", ""),
    )
    page = _page(request, queryset)
    rows = [{"item": item, "price": _euros(item.price)} for item in page.object_list]
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        "query": params.urlencode(),
        "may_import": request.user.has_perm("mediation.import_equipment"),
        "may_forecast": request.user.has_perm("mediation.view_renewal_forecast"),
    }
    return render(request, "mediation/equipment/list.html", context)


@require_GET
@permission_required_for_object("mediation.manage_equipment", _equipment)
def equipment_detail(request: HttpRequest, pk: int, obj: Equipment) -> HttpResponse:
    """Programme team and the mediators of the item's place: the record and its history."""
    events = [{"event": event, "cost": _euros(event.cost)} for event in queries.history(obj)]
    repair_costs = sum(
        (event.cost for event in obj.events.all() if event.cost and event.kind == "repair_ended"), Decimal(0)
    )
    context = {
        "item": obj,
        "price": _euros(obj.price),
        "events": events,
        "repair_costs": format_euros(repair_costs) if repair_costs else "",
        "statuses": EquipmentStatus,
    }
    return render(request, "mediation/equipment/detail.html", context)


def _form_page(
    request: HttpRequest, *, form: Any, title: str, item: Equipment | None, submit: str, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "mediation/equipment/form.html",
        {"form": form, "title": title, "item": item, "submit": submit},
        status=status,
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("mediation.view_equipment", _nothing, pass_object=False)
def equipment_create(request: HttpRequest) -> HttpResponse:
    """Programme team and mediators: add an item to one of the places they manage."""
    form = forms.EquipmentForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            item = services.equipment_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("place", str(exc))
        else:
            messages.success(request, _("L'équipement est enregistré."))
            return redirect("mediation:equipment_detail", pk=item.pk)
    status = 400 if request.method == "POST" else 200
    return _form_page(
        request, form=form, title=_("Ajouter un équipement"), item=None, submit=_("Enregistrer"), status=status
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("mediation.manage_equipment", _equipment)
def equipment_edit(request: HttpRequest, pk: int, obj: Equipment) -> HttpResponse:
    initial = {name: getattr(obj, name) for name in services.EDITABLE_FIELDS}
    if obj.price is not None:
        initial["price"] = f"{obj.price:.2f}".replace(".", ",")
    form = forms.EquipmentForm(request.POST or None, user=request.user, with_place=False, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.equipment_update(actor=request.user, equipment=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Les modifications sont enregistrées."))
            return redirect("mediation:equipment_detail", pk=obj.pk)
    status = 400 if request.method == "POST" else 200
    return _form_page(
        request, form=form, title=_("Modifier l'équipement"), item=obj, submit=_("Enregistrer"), status=status
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("mediation.manage_equipment", _equipment)
def equipment_move(request: HttpRequest, pk: int, obj: Equipment) -> HttpResponse:
    form = forms.MoveForm(request.POST or None, user=request.user, equipment=obj)
    if request.method == "POST" and form.is_valid():
        try:
            services.equipment_move(actor=request.user, equipment=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("to_place", str(exc))
        else:
            messages.success(request, _("Le déplacement est enregistré."))
            return redirect("mediation:equipment_detail", pk=obj.pk)
    status = 400 if request.method == "POST" else 200
    return _form_page(
        request, form=form, title=_("Déplacer l'équipement"), item=obj, submit=_("Déplacer"), status=status
    )


@require_http_methods(["GET", "POST"])
@permission_required_for_object("mediation.manage_equipment", _equipment)
def equipment_repair(request: HttpRequest, pk: int, obj: Equipment) -> HttpResponse:
    """Sends an item in service to repair, or brings an item in repair back (with its cost)."""
    ending = obj.status == EquipmentStatus.IN_REPAIR
    if obj.status == EquipmentStatus.RETIRED:
        messages.error(request, _("Un équipement réformé ne part plus en réparation."))
        return redirect("mediation:equipment_detail", pk=obj.pk)
    form_class = forms.RepairEndForm if ending else forms.EventForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service = services.equipment_repair_end if ending else services.equipment_repair_start
        try:
            service(actor=request.user, equipment=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Le retour de réparation est enregistré.")
                if ending
                else _("Le départ en réparation est enregistré."),
            )
            return redirect("mediation:equipment_detail", pk=obj.pk)
    title = _("Retour de réparation") if ending else _("Départ en réparation")
    status = 400 if request.method == "POST" else 200
    return _form_page(request, form=form, title=title, item=obj, submit=_("Enregistrer"), status=status)


@require_http_methods(["GET", "POST"])
@permission_required_for_object("mediation.manage_equipment", _equipment)
def equipment_retire(request: HttpRequest, pk: int, obj: Equipment) -> HttpResponse:
    form = forms.EventForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.equipment_retire(actor=request.user, equipment=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("L'équipement est réformé."))
            return redirect("mediation:equipment_detail", pk=obj.pk)
    status = 400 if request.method == "POST" else 200
    return _form_page(
        request, form=form, title=_("Réformer l'équipement"), item=obj, submit=_("Réformer"), status=status
    )


# --- Import -----------------------------------------------------------------------------------


def _pending(request: HttpRequest) -> dict[str, dict[str, Any]]:
    return dict(request.session.get(SESSION_KEY, {}))


def _keep(request: HttpRequest, *, name: str, content: bytes) -> str:
    pending = _pending(request)
    while len(pending) >= MAX_PENDING:
        del pending[min(pending, key=lambda key: pending[key]["created"])]
    token = secrets.token_urlsafe(24)
    pending[token] = {
        "name": name[:200],
        "created": timezone.now().isoformat(),
        "payload": base64.b64encode(zlib.compress(content, level=6)).decode("ascii"),
    }
    request.session[SESSION_KEY] = pending
    return token


def _content(entry: dict[str, Any]) -> bytes:
    return zlib.decompress(base64.b64decode(entry["payload"]), bufsize=services.MAX_IMPORT_BYTES + 1)


def _report_context(report: services.ImportReport) -> dict[str, Any]:
    labels = {"create": _("Création"), "update": _("Mise à jour"), "unchanged": _("Inchangé")}
    return {
        "report": report,
        "errors": report.errors[:MAX_REPORT_LINES],
        "more_errors": max(0, len(report.errors) - MAX_REPORT_LINES),
        "lines": [
            {"line": line, "action": labels[line.action], "changes": ", ".join(line.changes)}
            for line in report.lines[:MAX_REPORT_LINES]
            if line.action != "unchanged"
        ],
    }


@require_http_methods(["GET", "POST"])
@permission_required_for_object("mediation.import_equipment", _nothing, pass_object=False)
def equipment_import(request: HttpRequest) -> HttpResponse:
    """Programme team: upload a CSV (checked, previewed), then confirm (``etape=importer``)."""
    step = request.POST.get("etape", "")
    if request.method == "POST" and step in {"importer", "annuler"}:
        token = request.POST.get("jeton", "")
        pending = _pending(request)
        entry = pending.pop(token, None)
        request.session[SESSION_KEY] = pending
        if entry is None:
            messages.warning(request, _("Ce fichier n'est plus en attente : envoyez-le à nouveau."))
            return redirect("mediation:equipment_import")
        if step == "annuler":
            messages.info(request, _("L'import est annulé : rien n'a été enregistré."))
            return redirect("mediation:equipment_import")
        report = services.equipment_import(actor=request.user, file=_content(entry), filename=entry["name"])
        if report.saved:
            messages.success(
                request,
                _(
                    "Import terminé : %(created)s équipement(s) créé(s), %(updated)s mis à jour, "
                    "%(unchanged)s inchangé(s)."
                )
                % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged},
            )
            return redirect("mediation:equipment_list")
        context = {"form": forms.ImportForm(), "columns": services.import_columns_help(), **_report_context(report)}
        return render(request, "mediation/equipment/import.html", context, status=400)
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form, "columns": services.import_columns_help()}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "mediation/equipment/import.html", context, status=400)
        upload = form.cleaned_data["fichier"]
        try:
            report = services.equipment_import(
                actor=request.user, file=form.content, filename=upload.name or "", dry_run=True
            )
        except services.ImportFileError as exc:
            form.add_error("fichier", exc.message)
            return render(request, "mediation/equipment/import.html", context, status=400)
        context.update(_report_context(report))
        if report.ok:
            context["token"] = _keep(request, name=upload.name or "", content=form.content)
            context["form"] = None
        return render(request, "mediation/equipment/import.html", context, status=200 if report.ok else 400)
    return render(request, "mediation/equipment/import.html", context)


@require_GET
@permission_required_for_object("mediation.import_equipment", _nothing, pass_object=False)
def equipment_import_template(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("\ufeff" + services.equipment_import_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modele-inventaire-materiel.csv"'
    return response


# --- Renewal forecast -------------------------------------------------------------------------

CHART_WIDTH = 640
CHART_HEIGHT = 260
CHART_TOP = 30
CHART_BOTTOM = 40


def _chart(forecast: queries.Forecast) -> dict[str, Any]:
    """Bars of the cost per renewal year, computed here so the template only draws."""
    rows = forecast.year_rows()
    if not rows:
        return {"bars": [], "width": CHART_WIDTH, "height": CHART_HEIGHT}
    highest = max((cell.cost for _year, cell in rows), default=Decimal(0)) or Decimal(1)
    slot = CHART_WIDTH / len(rows)
    usable = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bars = []
    for index, (year, cell) in enumerate(rows):
        height = round(float(cell.cost / highest) * usable, 1) if cell.cost else 0
        x = round(index * slot + slot * 0.15, 1)
        bars.append(
            {
                "year": year,
                "x": x,
                "y": round(CHART_TOP + usable - height, 1),
                "width": round(slot * 0.7, 1),
                "height": height,
                "label_x": round(x + slot * 0.35, 1),
                "value_y": round(CHART_TOP + usable - height - 6, 1),
                "year_y": CHART_HEIGHT - CHART_BOTTOM + 18,
                "cost": format_euros(cell.cost),
                "count": cell.count,
            }
        )
    return {"bars": bars, "width": CHART_WIDTH, "height": CHART_HEIGHT, "baseline": CHART_HEIGHT - CHART_BOTTOM}


@require_GET
@permission_required_for_object("mediation.view_renewal_forecast", _nothing, pass_object=False)
def equipment_forecast(request: HttpRequest) -> HttpResponse:
    """Programme team: equipment to renew per year and per place, with its cost."""
    form = forms.ForecastForm(request.GET or None)
    forecast = queries.renewal_forecast(years=form.years(), colleges_only=form.colleges_only())
    years = forecast.years
    place_rows = [
        {
            "place": row.place,
            "cells": [
                {"count": cell.count, "cost": format_euros(cell.cost) if cell.count else ""}
                for cell in row.cell_list(years)
            ],
            "total_count": row.total.count,
            "total_cost": format_euros(row.total.cost),
        }
        for row in forecast.places
    ]
    year_rows = [
        {
            "year": year,
            "count": cell.count,
            "overdue": cell.overdue,
            "unpriced": cell.unpriced,
            "cost": format_euros(cell.cost),
        }
        for year, cell in forecast.year_rows()
    ]
    params = request.GET.copy()
    context = {
        "form": form,
        "forecast": forecast,
        "years": years,
        "year_rows": year_rows,
        "place_rows": place_rows,
        "year_totals": [{"count": cell.count, "cost": format_euros(cell.cost)} for _y, cell in forecast.year_rows()],
        "total_cost": format_euros(forecast.total.cost),
        "chart": _chart(forecast),
        "csv_url": reverse("mediation:equipment_forecast_csv") + (f"?{params.urlencode()}" if params else ""),
    }
    return render(request, "mediation/equipment/forecast.html", context)


@require_GET
@permission_required_for_object("mediation.view_renewal_forecast", _nothing, pass_object=False)
def equipment_forecast_csv(request: HttpRequest) -> HttpResponse:
    form = forms.ForecastForm(request.GET or None)
    forecast = queries.renewal_forecast(years=form.years(), colleges_only=form.colleges_only())
    scope = "colleges" if forecast.colleges_only else "reseau"
    name = f"renouvellement-materiel-{scope}-{forecast.renewal_years}ans-{timezone.localdate():%Y%m%d}.csv"
    return csv_response(name, queries.forecast_csv_rows(forecast))


urlpatterns = [
    path("mediation/equipements/", equipment_list, name="equipment_list"),
    path("mediation/equipements/nouveau/", equipment_create, name="equipment_create"),
    path("mediation/equipements/import/", equipment_import, name="equipment_import"),
    path("mediation/equipements/import/modele.csv", equipment_import_template, name="equipment_import_template"),
    path("mediation/equipements/renouvellement/", equipment_forecast, name="equipment_forecast"),
    path("mediation/equipements/renouvellement.csv", equipment_forecast_csv, name="equipment_forecast_csv"),
    path("mediation/equipements/<int:pk>/", equipment_detail, name="equipment_detail"),
    path("mediation/equipements/<int:pk>/modifier/", equipment_edit, name="equipment_edit"),
    path("mediation/equipements/<int:pk>/deplacer/", equipment_move, name="equipment_move"),
    path("mediation/equipements/<int:pk>/reparation/", equipment_repair, name="equipment_repair"),
    path("mediation/equipements/<int:pk>/reformer/", equipment_retire, name="equipment_retire"),
]
