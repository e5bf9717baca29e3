"""Views of the agents' side of the kiosks (issue 5 §5).

- ``/bornes/agent/``: the agent screen (``kiosks.use_agent_screen``): today's help requests of
  the kiosks of the person's places, "Je m'en occupe", then the one-minute record. When
  JavaScript runs, a polite status region polls ``/bornes/agent/nouvelles/`` every 20 s and says
  how many requests came since the page was displayed, with « Afficher » to reload the list: the
  list is never replaced under the agent's keyboard focus.
- ``/bornes/formations/``, ``/bornes/agents/``: training sessions and who is trained
  (``kiosks.manage_training``).
- ``/bornes/statistiques/``: reasons, outcomes and categories of the help given at kiosks per
  canton, and the anonymous usage counts (``kiosks.view_statistics``), with a CSV export.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.core.spreadsheet import csv_response
from cybercantal.mediation.models import AdminTheme, HelpReason, Outcome

from ..forms.agents import HelpRecordForm, StatisticsFilterForm, TrainingSessionForm
from ..models import HelpRequestStatus, TrainingSession
from ..queries import agents as queries
from ..services import agents as services
from ..services.fleet import host_places_q


def _perm(perm: str) -> Any:
    return permission_required_for_object(perm, lambda request, *a, **kw: None, pass_object=False)


_agent = _perm("kiosks.use_agent_screen")
_training = _perm("kiosks.manage_training")
_statistics = _perm("kiosks.view_statistics")

PAGE_SIZE = 50


# --- Agent screen --------------------------------------------------------------------------------


def _poll_seconds() -> int:
    return int(getattr(settings, "KIOSKS_AGENT_POLL_SECONDS", 20))


def _news_url(*, shown_up_to: int, shown_open: list[int], seen: str) -> str:
    query = urlencode({"apres": shown_up_to, "ouvertes": ",".join(map(str, shown_open)), "vu": seen})
    return f"{reverse('kiosks:agent_news')}?{query}"


def _screen_context(request: HttpRequest) -> dict[str, Any]:
    kiosks = list(queries.agent_kiosks(request.user))
    requests = list(queries.todays_help_requests(request.user))
    shown_open = sorted(r.pk for r in requests if r.status == HelpRequestStatus.OPEN)
    return {
        "kiosks": kiosks,
        "help_requests": requests,
        "open_count": len(shown_open),
        "today": timezone.localdate(),
        "now": timezone.localtime(),
        "news_url": _news_url(shown_up_to=max((r.pk for r in requests), default=0), shown_open=shown_open, seen="0-0"),
        "new_count": 0,
        "gone_count": 0,
        "poll_seconds": _poll_seconds(),
    }


@require_GET
@_agent
def agent_screen(request: HttpRequest) -> HttpResponse:
    return render(request, "kiosks/agents/agent_screen.html", _screen_context(request))


MAX_SHOWN_OPEN = 500


def _int(value: str) -> int | None:
    value = value.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 12:
        return None
    return int(value)


@require_GET
@_agent
def agent_news(request: HttpRequest) -> HttpResponse:
    """The status region of the agent screen, polled by htmx: how many requests came (or were
    taken by a colleague) since the page was displayed. The list itself is never swapped under
    the person's focus: they choose to reload it with « Afficher ». Answers 204 (htmx leaves the
    region alone, nothing is announced again) when nothing changed since the last poll."""
    if not getattr(request, "htmx", False):
        return redirect("kiosks:agent_screen")
    shown_up_to = _int(request.GET.get("apres", "")) or 0
    shown_open = [
        n for n in (_int(v) for v in request.GET.get("ouvertes", "").split(",")[:MAX_SHOWN_OPEN]) if n is not None
    ]
    new, gone = queries.help_request_news(request.user, shown_up_to=shown_up_to, shown_open=set(shown_open))
    seen = f"{new}-{gone}"
    if request.GET.get("vu", "") == seen:
        return HttpResponse(status=204)
    context = {
        "news_url": _news_url(shown_up_to=shown_up_to, shown_open=shown_open, seen=seen),
        "new_count": new,
        "gone_count": gone,
        "poll_seconds": _poll_seconds(),
        # « Afficher » must reload the page: a link differing only by its #fragment would not.
        "reload_url": f"{reverse('kiosks:agent_screen')}?maj={int(timezone.now().timestamp())}#demandes",
    }
    return render(request, "kiosks/agents/_news.html", context)


@require_POST
@_agent
def help_request_take(request: HttpRequest, pk: int) -> HttpResponse:
    help_request = queries.help_request_for_agent(request.user, pk)
    try:
        services.help_request_take(actor=request.user, help_request=help_request)
    except services.HelpRequestUnavailableError as exc:
        messages.error(request, exc.message)
        return redirect("kiosks:agent_screen")
    messages.success(
        request, _("Vous vous occupez de la demande de la borne « %(code)s ».") % {"code": help_request.kiosk.code}
    )
    return redirect("kiosks:help_request_record", pk=help_request.pk)


@require_http_methods(["GET", "POST"])
@_agent
def help_request_record(request: HttpRequest, pk: int) -> HttpResponse:
    help_request = queries.help_request_for_agent(request.user, pk)
    if not request.user.has_perm("kiosks.handle_help_request", help_request):
        raise PermissionDenied(_("Vous n'avez pas accès à cette demande."))
    unavailable = help_request.status in (HelpRequestStatus.DONE, HelpRequestStatus.CANCELLED) or (
        help_request.status == HelpRequestStatus.TAKEN and help_request.taken_by_id != request.user.pk
    )
    if unavailable:
        messages.error(request, services._taken_message(help_request))
        return redirect("kiosks:agent_screen")
    form = HelpRecordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.help_request_record(actor=request.user, help_request=help_request, **form.service_values())
        except services.HelpRequestUnavailableError as exc:
            messages.error(request, exc.message)
            return redirect("kiosks:agent_screen")
        except ValidationError as exc:
            form.add_service_errors(exc, {"duration_minutes": "duration"})
        else:
            messages.success(request, _("L'aide apportée est enregistrée. Merci !"))
            return redirect("kiosks:agent_screen")
    return render(
        request,
        "kiosks/agents/record.html",
        {"form": form, "help_request": help_request, "title": _("Noter l'aide apportée")},
    )


@require_http_methods(["GET", "POST"])
@_agent
def assisted_record(request: HttpRequest) -> HttpResponse:
    """Record help given at a kiosk to someone who came to the desk (no help request)."""
    kiosks = queries.agent_kiosks(request.user)
    form = HelpRecordForm(request.POST or None, kiosks=kiosks)
    if request.method == "POST" and form.is_valid():
        kiosk = form.cleaned_data["kiosk"]
        try:
            services.assisted_session_record(
                actor=request.user,
                kiosk=kiosk,
                submit_token=form.cleaned_data.get("jeton") or "",
                **form.service_values(),
            )
        except PermissionDenied:
            form.add_error("kiosk", _("Vous n'êtes pas agent de cette borne."))
        except ValidationError as exc:
            form.add_service_errors(exc, {"duration_minutes": "duration", "place": "kiosk", "kiosk_id": "kiosk"})
        else:
            messages.success(request, _("L'aide apportée est enregistrée. Merci !"))
            return redirect("kiosks:agent_screen")
    return render(
        request,
        "kiosks/agents/record.html",
        {"form": form, "help_request": None, "title": _("Noter une aide sans demande à la borne")},
    )


# --- Trainings -----------------------------------------------------------------------------------


def _training_form(request: HttpRequest, session: TrainingSession | None) -> TrainingSessionForm:
    from cybercantal.places.models import Place

    initial: dict[str, Any] = {}
    if session is not None:
        initial = {
            "date": session.date,
            "trainer": session.trainer,
            "topics": session.topics,
            "duration_minutes": session.duration_minutes,
            "place": session.place_id,
            "is_refresher": session.is_refresher,
            "attendees": list(session.attendances.values_list("user_id", flat=True)),
        }
    return TrainingSessionForm(
        request.POST or None,
        initial=initial,
        agents=queries.agent_users(),
        places=Place.objects.filter(host_places_q()).order_by("name"),
    )


def _attendee_groups(form: TrainingSessionForm) -> list[dict[str, Any]]:
    """The attendee checkboxes grouped by host place (an agent of several places is listed
    under the first); agents scoped to an organisation come last."""
    if form.is_bound:
        selected = {str(v) for v in form.data.getlist("attendees")} if hasattr(form.data, "getlist") else set()
    else:
        selected = {str(v) for v in form.initial.get("attendees", [])}
    groups: list[dict[str, Any]] = []
    placed: set[int] = set()
    for place, users in queries.agents_by_place():
        people = [u for u in users if u.pk not in placed]
        placed.update(u.pk for u in people)
        if people:
            groups.append({"label": place.name, "people": people})
    others = [u for u in form.fields["attendees"].queryset if u.pk not in placed]
    if others:
        groups.append({"label": _("Autres agents de borne"), "people": others})
    for group in groups:
        group["people"] = [
            {"user": u, "checked": str(u.pk) in selected, "label": u.get_full_name() or u.email}
            for u in group["people"]
        ]
    return groups


def _training_page(request: HttpRequest, session: TrainingSession | None) -> HttpResponse:
    form = _training_form(request, session)
    if request.method == "POST" and form.is_valid():
        try:
            if session is None:
                services.training_session_create(actor=request.user, **form.service_values())
            else:
                services.training_session_update(actor=request.user, session=session, **form.service_values())
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(request, _("La session de formation est enregistrée."))
            return redirect("kiosks:trainings")
    return render(
        request,
        "kiosks/agents/training_form.html",
        {"form": form, "session": session, "groups": _attendee_groups(form)},
    )


@require_GET
@_training
def trainings(request: HttpRequest) -> HttpResponse:
    page = Paginator(queries.training_sessions(), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "kiosks/agents/trainings.html", {"page": page})


@require_http_methods(["GET", "POST"])
@_training
def training_create(request: HttpRequest) -> HttpResponse:
    return _training_page(request, None)


@require_http_methods(["GET", "POST"])
@_training
def training_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _training_page(request, get_object_or_404(TrainingSession, pk=pk))


@require_GET
@_training
def agents(request: HttpRequest) -> HttpResponse:
    rows = queries.agent_rows()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "kiosks/agents/agents.html",
        {
            "page": page,
            "untrained": list(queries.untrained_kiosks()),
            "months": services.refresher_months(),
            "total": len(rows),
            "overdue_count": sum(1 for r in rows if r.overdue),
            "untrained_count": sum(1 for r in rows if not r.trained),
        },
    )


# --- Statistics ----------------------------------------------------------------------------------

CHART_WIDTH, LABEL_WIDTH, ROW_HEIGHT, BAR_HEIGHT = 640, 220, 30, 20


def reasons_chart(stats: queries.KioskStatistics) -> str:
    """Horizontal bars of the reasons, each with its number written next to it (SVG, escaped)."""
    overall = stats.overall
    top = max(overall.reasons.values(), default=0) or 1
    room = CHART_WIDTH - LABEL_WIDTH - 110
    parts = []
    for index, (value, label) in enumerate(HelpReason.choices):
        count = overall.reasons.get(value, 0)
        y = index * ROW_HEIGHT + 5
        width = round(room * count / top, 1)
        text = f"{count} ({queries.percent(count, overall.total)})"
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" font-size="14" fill="#1b1b1b">'
            f"{escape(label)}</text>"
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{width}" height="{BAR_HEIGHT}" fill="#1d4e89"></rect>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{y + 15}" font-size="14" fill="#1b1b1b">{escape(text)}</text>'
        )
    return mark_safe("".join(parts))  # every text above is escaped


def _table(choices: Any, counts: dict[str, int], total: int) -> list[tuple[str, int, str]]:
    return [
        (str(label), counts.get(value, 0), queries.percent(counts.get(value, 0), total)) for value, label in choices
    ]


MONTH_NAMES = (
    gettext_lazy("janvier"),
    gettext_lazy("février"),
    gettext_lazy("mars"),
    gettext_lazy("avril"),
    gettext_lazy("mai"),
    gettext_lazy("juin"),
    gettext_lazy("juillet"),
    gettext_lazy("août"),
    gettext_lazy("septembre"),
    gettext_lazy("octobre"),
    gettext_lazy("novembre"),
    gettext_lazy("décembre"),
)


def _month_values(row: queries.MonthRow) -> list[int]:
    return [row.sessions, row.categories, row.procedures, row.help_requests]


def _month_rows(table: queries.MonthTable | None) -> list[tuple[str, list[int]]]:
    """``(month name, [sessions, categories, procedures, help requests])`` for the template."""
    if table is None:
        return []
    return [(MONTH_NAMES[row.month - 1], _month_values(row)) for row in table.months]


def _statistics_data(request: HttpRequest) -> tuple[StatisticsFilterForm, queries.KioskStatistics]:
    form = StatisticsFilterForm(request.GET or None)
    values = form.values()
    return form, queries.statistics(**values)


@require_GET
@_statistics
def statistics(request: HttpRequest) -> HttpResponse:
    form, stats = _statistics_data(request)
    overall = stats.overall
    query = urlencode({k: v for k, v in request.GET.items() if k in ("annee", "mois", "canton", "borne") and v})
    return render(
        request,
        "kiosks/agents/statistics.html",
        {
            "form": form,
            "stats": stats,
            "period_last": stats.period.end - timedelta(days=1),
            "reasons": _table(HelpReason.choices, overall.reasons, overall.total),
            "outcomes": _table(Outcome.choices, overall.outcomes, overall.total),
            "themes": _table(AdminTheme.choices, overall.themes, overall.total),
            "reason_labels": [str(label) for _v, label in HelpReason.choices],
            "outcome_labels": [str(label) for _v, label in Outcome.choices],
            "canton_rows": [
                {
                    "label": b.label,
                    "total": b.total,
                    "reasons": [(b.reasons[v], queries.percent(b.reasons[v], b.total)) for v in HelpReason.values],
                    "outcomes": [(b.outcomes[v], queries.percent(b.outcomes[v], b.total)) for v in Outcome.values],
                }
                for b in stats.per_canton
            ],
            "chart_svg": reasons_chart(stats),
            "chart_height": len(HelpReason.choices) * ROW_HEIGHT + 10,
            "chart_width": CHART_WIDTH,
            "csv_url": reverse("kiosks:statistics_csv") + (f"?{query}" if query else ""),
            "months": _month_rows(stats.months),
            "month_groups": [
                (
                    _("Mois par mois, par canton"),
                    [(t, _month_rows(t)) for t in stats.months_per_canton],
                ),
                (
                    _("Mois par mois, par borne"),
                    [(t, _month_rows(t)) for t in stats.months_per_kiosk],
                ),
            ],
        },
    )


@require_GET
@_statistics
def statistics_csv(request: HttpRequest) -> HttpResponse:
    _form, stats = _statistics_data(request)
    header = [
        _("Canton"),
        _("Aides à la borne"),
        _("Minutes"),
        *[f"{_('Raison')} : {label}" for _v, label in HelpReason.choices],
        *[f"{_('Résultat')} : {label}" for _v, label in Outcome.choices],
        *[f"{_('Catégorie')} : {label}" for _v, label in AdminTheme.choices],
    ]

    def line(b: queries.Breakdown) -> list[Any]:
        return [
            b.label,
            b.total,
            b.minutes,
            *[b.reasons[v] for v in HelpReason.values],
            *[b.outcomes[v] for v in Outcome.values],
            *[b.themes[v] for v in AdminTheme.values],
        ]

    rows: list[list[Any]] = [header, *[line(b) for b in stats.per_canton], line(stats.overall)]
    rows.append([])
    rows.append(
        [
            _("Borne"),
            _("Canton"),
            _("Sessions"),
            _("Demandes d'aide"),
            _("Catégories consultées"),
            _("Démarches consultées"),
        ]
    )
    rows.extend(
        [u.label, u.canton, u.sessions, u.help_requests, u.categories, u.procedures] for u in stats.usage_per_kiosk
    )
    rows.append([])
    rows.append([_("Catégorie consultée"), _("Consultations")])
    rows.extend([v.label, v.count] for v in stats.categories_viewed)
    rows.append([])
    rows.append([_("Démarche consultée"), _("Identifiant"), _("Consultations")])
    rows.extend([v.label, v.key, v.count] for v in stats.procedures_viewed)
    rows.append([])
    month_header = [
        _("Mois"),
        _("Sessions"),
        _("Catégories consultées"),
        _("Démarches consultées"),
        _("Demandes d'aide"),
    ]
    rows.append([_("Portée"), _("Canton"), *month_header])

    def month_lines(kind: str, table: queries.MonthTable | None) -> list[list[Any]]:
        if table is None:
            return []
        return [[kind, table.canton, f"{stats.year}-{m.month:02d}", *_month_values(m)] for m in table.months]

    scope = stats.months.label if stats.months else ""
    rows.extend(month_lines(f"{_('Sélection')} : {scope}", stats.months))
    for table in stats.months_per_canton:
        rows.extend(month_lines(f"{_('Canton')} : {table.label}", table))
    for table in stats.months_per_kiosk:
        rows.extend(month_lines(f"{_('Borne')} : {table.label}", table))
    name = f"bornes-statistiques-{stats.period.start:%Y-%m}.csv"
    return csv_response(name, rows)


urlpatterns = [
    path("bornes/agent/", agent_screen, name="agent_screen"),
    path("bornes/agent/nouvelles/", agent_news, name="agent_news"),
    path("bornes/agent/demandes/<int:pk>/prendre/", help_request_take, name="help_request_take"),
    path("bornes/agent/demandes/<int:pk>/noter/", help_request_record, name="help_request_record"),
    path("bornes/agent/aide-au-guichet/", assisted_record, name="assisted_record"),
    path("bornes/formations/", trainings, name="trainings"),
    path("bornes/formations/nouvelle/", training_create, name="training_create"),
    path("bornes/formations/<int:pk>/modifier/", training_edit, name="training_edit"),
    path("bornes/agents/", agents, name="agents"),
    path("bornes/statistiques/", statistics, name="statistics"),
    path("bornes/statistiques/export.csv", statistics_csv, name="statistics_csv"),
]
