"""Fleet pages under ``/bornes/`` (thin: see ``services.fleet`` and ``queries.fleet``).

Who may use them:
- the dashboard, a kiosk's page, the coverage per canton and the incidents of a day:
  ``kiosks.view_fleet`` (programme team);
- creating and editing a kiosk, issuing or revoking its token, stating an incident's cause:
  ``kiosks.manage_fleet`` (programme team).

Other parts of the app have pages under ``/bornes/`` too (``/bornes/agent/``...): a kiosk's
page is ``/bornes/<code>/`` for any code except those words (``services.fleet.RESERVED_CODES``).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, re_path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors
from cybercantal.core.links import absolute_url
from cybercantal.kiosks.forms import fleet as forms
from cybercantal.kiosks.models import Incident, Kiosk, KioskStatus
from cybercantal.kiosks.queries import agents as agent_queries
from cybercantal.kiosks.queries import fleet as queries
from cybercantal.kiosks.services import fleet as services

PAGE_SIZE = 25
INCIDENTS_PAGE_SIZE = 50
VIEW_PERM = "kiosks.view_fleet"
MANAGE_PERM = "kiosks.manage_fleet"


def _nothing(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


def _kiosk(request: HttpRequest, code: str, **kwargs: Any) -> Kiosk:
    return get_object_or_404(queries.kiosk_for_page(code))


def _page(request: HttpRequest, queryset: Any, size: int) -> Any:
    paginator = Paginator(queryset, size)
    raw = request.GET.get("page", "")
    try:
        number = max(1, int(raw)) if raw else 1
    except ValueError:
        number = 1
    page = paginator.get_page(number)
    page.elided_range = list(paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1))
    page.problem = ""
    return page


def _uptime(online: int, total: int) -> str:
    value = queries.percent(online, total)
    if value is None:
        return "—"
    return f"{value:.1f}".replace(".", ",") + " %"


@require_GET
@permission_required_for_object(VIEW_PERM, _nothing, pass_object=False)
def fleet(request: HttpRequest) -> HttpResponse:
    """Programme team: every kiosk, online or not, last seen, uptime, open incidents."""
    status = request.GET.get("etat", "")
    if status not in KioskStatus.values:
        status = ""
    now = timezone.now()
    page = _page(request, queries.dashboard(now=now, status=status), PAGE_SIZE)
    untrained = agent_queries.untrained_kiosk_ids()  # one query for the whole page
    rows = [
        {
            "kiosk": kiosk,
            "online": kiosk.status == KioskStatus.IN_SERVICE and queries.is_online(kiosk, now),
            "month": _uptime(kiosk.month_online, kiosk.month_open),
            "previous": _uptime(kiosk.previous_online, kiosk.previous_open),
            "untrained": kiosk.pk in untrained,
        }
        for kiosk in page.object_list
    ]
    today = timezone.localdate()
    context = {
        "page": page,
        "rows": rows,
        "status": status,
        "statuses": KioskStatus.choices,
        "query": f"etat={status}" if status else "",
        "month_label": queries.month_start(today),
        "previous_label": queries.month_start(today, -1),
        "may_manage": request.user.has_perm(MANAGE_PERM),
        "yesterday": (today - timedelta(days=1)).isoformat(),
    }
    return render(request, "kiosks/fleet/dashboard.html", context)


@require_GET
@never_cache
@permission_required_for_object(VIEW_PERM, _kiosk)
def kiosk_detail(request: HttpRequest, code: str, obj: Kiosk) -> HttpResponse:
    """Programme team: one kiosk, its token, incidents and monthly uptime."""
    return _detail_page(request, obj)


def _detail_page(
    request: HttpRequest, kiosk: Kiosk, *, cause_form: Any = None, cause_incident: int | None = None, status: int = 200
) -> HttpResponse:
    incidents = queries.recent_incidents(kiosk)
    rows = []
    for incident in incidents:
        form = (
            cause_form
            if cause_incident == incident.pk
            else forms.IncidentCauseForm(initial={"cause": incident.cause}, prefix=f"incident-{incident.pk}")
        )
        rows.append({"incident": incident, "form": form, "duration": _duration(incident)})
    months = [
        {
            "month": m.month,
            "open_hours": _hours(m.open_minutes),
            "online_hours": _hours(m.online_minutes),
            "percent": _uptime(m.online_minutes, m.open_minutes),
        }
        for m in queries.monthly_uptime(kiosk)
    ]
    context = {
        "kiosk": kiosk,
        "online": queries.is_online(kiosk),
        "token": queries.active_token(kiosk),
        "incidents": rows,
        "months": months,
        "may_manage": request.user.has_perm(MANAGE_PERM),
        "untrained": kiosk.pk in agent_queries.untrained_kiosk_ids(),
        "may_see_agents": request.user.has_perm("kiosks.manage_training"),
    }
    return render(request, "kiosks/fleet/detail.html", context, status=status)


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} h {rest:02d}" if rest else f"{hours} h"


def _duration(incident: Incident) -> str:
    end = incident.ended_at or timezone.now()
    minutes = max(0, int((end - incident.started_at).total_seconds() // 60))
    if minutes < 60:
        return _("%(n)s min") % {"n": minutes}
    return _hours(minutes)


def _form_page(request: HttpRequest, *, form: Any, title: str, kiosk: Kiosk | None, status: int = 200) -> HttpResponse:
    return render(request, "kiosks/fleet/form.html", {"form": form, "title": title, "kiosk": kiosk}, status=status)


@require_http_methods(["GET", "POST"])
@permission_required_for_object(MANAGE_PERM, _nothing, pass_object=False)
def kiosk_create(request: HttpRequest) -> HttpResponse:
    """Programme team: add a kiosk to the fleet."""
    form = forms.KioskForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kiosk = services.kiosk_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("La borne est enregistrée."))
            return redirect("kiosks:fleet_detail", code=kiosk.code)
    status = 400 if request.method == "POST" else 200
    return _form_page(request, form=form, title=_("Ajouter une borne"), kiosk=None, status=status)


@require_http_methods(["GET", "POST"])
@permission_required_for_object(MANAGE_PERM, _kiosk)
def kiosk_edit(request: HttpRequest, code: str, obj: Kiosk) -> HttpResponse:
    """Programme team: change a kiosk's record."""
    initial = {name: getattr(obj, name) for name in services.EDITABLE_FIELDS}
    form = forms.KioskForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            kiosk = services.kiosk_update(actor=request.user, kiosk=obj, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Les modifications sont enregistrées."))
            return redirect("kiosks:fleet_detail", code=kiosk.code)
    status = 400 if request.method == "POST" else 200
    return _form_page(request, form=form, title=_("Modifier la borne"), kiosk=obj, status=status)


@require_POST
@never_cache
@permission_required_for_object(MANAGE_PERM, _kiosk)
def token_issue(request: HttpRequest, code: str, obj: Kiosk) -> HttpResponse:
    """Programme team: a new token (the previous one stops working); shown once, never stored."""
    try:
        token = services.kiosk_token_issue(actor=request.user, kiosk=obj)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("kiosks:fleet_detail", code=obj.code)
    context = {
        "kiosk": obj,
        "token": token,
        "endpoint": absolute_url("/api/bornes/signal"),
    }
    response = render(request, "kiosks/fleet/token.html", context)
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@permission_required_for_object(MANAGE_PERM, _kiosk)
def token_revoke(request: HttpRequest, code: str, obj: Kiosk) -> HttpResponse:
    """Programme team: revoke the kiosk's token (its heartbeats are refused from now)."""
    if services.kiosk_token_revoke(actor=request.user, kiosk=obj):
        messages.success(request, _("Le jeton est révoqué : la borne ne peut plus envoyer de signal."))
    else:
        messages.info(request, _("Cette borne n'avait pas de jeton actif."))
    return redirect("kiosks:fleet_detail", code=obj.code)


@require_POST
@permission_required_for_object(MANAGE_PERM, _kiosk)
def incident_cause(request: HttpRequest, code: str, pk: int, obj: Kiosk) -> HttpResponse:
    """Programme team: say why the kiosk was offline."""
    incident = get_object_or_404(queries.incident_for_kiosk(obj, pk))
    form = forms.IncidentCauseForm(request.POST, prefix=f"incident-{incident.pk}")
    if form.is_valid():
        try:
            services.incident_set_cause(actor=request.user, incident=incident, cause=form.cleaned_data["cause"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("La cause de la coupure est enregistrée."))
            return redirect("kiosks:fleet_detail", code=obj.code)
    return _detail_page(request, obj, cause_form=form, cause_incident=incident.pk, status=400)


@require_GET
@permission_required_for_object(VIEW_PERM, _nothing, pass_object=False)
def coverage(request: HttpRequest) -> HttpResponse:
    """Programme team: each canton, its kiosk(s), and cantons without one or with one down."""
    entries = queries.coverage()
    untrained = agent_queries.untrained_kiosk_ids()  # one query for the whole page
    for entry in entries:
        for kiosk in entry.kiosks:
            kiosk.untrained = kiosk.pk in untrained  # type: ignore[attr-defined]
        if any(k.untrained for k in entry.kiosks):  # type: ignore[attr-defined]
            entry.flags.append("untrained")
    context = {
        "entries": entries,
        "untrained": sum(1 for e in entries if "untrained" in e.flags),
        "without": sum(1 for e in entries if "none" in e.flags),
        "out_of_service": sum(1 for e in entries if "out_of_service" in e.flags),
        "offline": sum(1 for e in entries if "offline" in e.flags),
    }
    return render(request, "kiosks/fleet/coverage.html", context)


@require_GET
@permission_required_for_object(VIEW_PERM, _nothing, pass_object=False)
def incidents(request: HttpRequest) -> HttpResponse:
    """Programme team: the incidents of one day (yesterday by default) and their causes."""
    yesterday = timezone.localdate() - timedelta(days=1)
    form = forms.DayForm(request.GET if "jour" in request.GET else None, initial={"jour": yesterday})
    day: date = form.cleaned_data["jour"] if form.is_valid() else yesterday
    page = _page(request, queries.incidents_of_day(day), INCIDENTS_PAGE_SIZE)
    rows = [{"incident": i, "duration": _duration(i)} for i in page.object_list]
    context = {
        "form": form,
        "day": day,
        "page": page,
        "rows": rows,
        "query": f"jour={day.isoformat()}",
        "previous_day": (day - timedelta(days=1)).isoformat(),
        "next_day": (day + timedelta(days=1)).isoformat(),
    }
    return render(request, "kiosks/fleet/incidents.html", context, status=400 if form.errors else 200)


_CODE = r"(?!(?:{})/)(?P<code>[-a-zA-Z0-9_]+)".format("|".join(services.RESERVED_CODES))

urlpatterns = [
    path("bornes/", fleet, name="fleet"),
    path("bornes/nouvelle/", kiosk_create, name="fleet_create"),
    path("bornes/couverture/", coverage, name="coverage"),
    path("bornes/incidents/", incidents, name="incidents"),
    re_path(rf"^bornes/{_CODE}/$", kiosk_detail, name="fleet_detail"),
    re_path(rf"^bornes/{_CODE}/modifier/$", kiosk_edit, name="fleet_edit"),
    re_path(rf"^bornes/{_CODE}/jeton/$", token_issue, name="fleet_token_issue"),
    re_path(rf"^bornes/{_CODE}/jeton/revoquer/$", token_revoke, name="fleet_token_revoke"),
    re_path(rf"^bornes/{_CODE}/coupures/(?P<pk>[0-9]+)/cause/$", incident_cause, name="fleet_incident_cause"),
]
