"""Part "prospecting": the département's business-attraction team courts national companies
so that they let staff telework from the Cantal (issue 3, section 7).

Who may use each page: the programme team only (``telework.manage_prospects``: programme
managers and administrators). Anonymous people are sent to sign in; anyone else (teleworkers,
telecentre managers, employer managers...) gets 403.

- ``prospects`` (``prospection/``): the companies, searched and filtered, paginated;
  ``prospects_export`` (``prospection/export.csv``) the same list as a spreadsheet;
- ``prospect_create`` (``prospection/nouvelle/``), ``prospect_edit`` (``prospection/<pk>/modifier/``);
- ``prospect_detail`` (``prospection/<pk>/``): contacts, activities, stage history, the stage
  move (``prospect_move``), the agreement link (``prospect_link_agreement``), the contacts'
  and activities' forms (``contact_add``, ``contact_edit``, ``contact_remove``,
  ``activity_add``, ``activity_remove``);
- ``prospect_board`` (``prospection/tableau/``): the pipeline board, a small move form on each card;
- ``prospecting_figures`` (``prospection/chiffres/``): the conversion figures.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cybercantal.accounts.decorators import permission_required_for_object
from cybercantal.accounts.forms import add_service_errors
from cybercantal.core.spreadsheet import csv_response

from ..forms.prospecting import (
    ActivityForm,
    AgreementLinkForm,
    BoardFilterForm,
    BoardMoveForm,
    ContactForm,
    FilterForm,
    MoveForm,
    ProspectForm,
    person_label,
)
from ..models import PIPELINE_STAGES, Prospect, ProspectActivity, ProspectContact, ProspectStage
from ..queries import prospecting as queries
from ..services import prospecting as services

PAGE_SIZE = 25
SUBMISSION_SECONDS = 3600
BOARD = "tableau"


def _no_object(request: HttpRequest, *args: Any, **kwargs: Any) -> None:
    return None


programme_required = permission_required_for_object("telework.manage_prospects", _no_object, pass_object=False)


def _prospect(pk: int) -> Prospect:
    return get_object_or_404(Prospect.objects.select_related("owner", "source_partner", "agreement__employer"), pk=pk)


def _next_stage(stage: str) -> str:
    """The stage after ``stage`` in the pipeline ("" after the last one, or for « Perdue »)."""
    values = [s.value for s in PIPELINE_STAGES]
    if stage not in values or stage == values[-1]:
        return ""
    return values[values.index(stage) + 1]


def _row(prospect: Prospect, today: Any) -> dict[str, Any]:
    next_on = getattr(prospect, "next_step_date", None)
    return {
        "prospect": prospect,
        "days": queries.days_at_stage(prospect, today),
        "next_step": getattr(prospect, "next_step_text", "") or "",
        "next_step_on": next_on,
        "overdue": bool(next_on and next_on < today and prospect.stage != ProspectStage.LOST),
        "owner": person_label(prospect.owner) if prospect.owner else "",
        "siren": services.format_siren(prospect.siren),
    }


# --- the list -----------------------------------------------------------------------------------


@programme_required
@require_GET
def prospects(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    page = Paginator(queries.prospects(**filters), PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "telework/prospecting/list.html",
        {
            "form": form,
            "page": page,
            "rows": [_row(p, today) for p in page.object_list],
            "overdue_count": queries.overdue_count(today),
            "filtered": any(value for key, value in request.GET.items() if key not in ("page", "tri")),
            "query": query.urlencode(),
            "section": "list",
        },
    )


@programme_required
@require_GET
def prospects_export(request: HttpRequest) -> HttpResponse:
    form = FilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    today = timezone.localdate()
    header = [
        _("Entreprise"),
        _("SIREN"),
        _("Secteur d'activité"),
        _("Effectif"),
        _("Siège"),
        _("Site internet"),
        _("Étape"),
        _("À cette étape depuis le"),
        _("Jours à cette étape"),
        _("Raison de la perte"),
        _("Partenaire source"),
        _("Origine"),
        _("Salariés susceptibles de venir"),
        _("Suivie par"),
        _("Dernière action le"),
        _("Prochaine étape"),
        _("Prévue le"),
        _("Convention"),
    ]

    def rows() -> Any:
        yield header
        for prospect in queries.prospects(**filters).iterator(chunk_size=500):
            yield [
                prospect.name,
                prospect.siren,
                prospect.sector,
                prospect.get_size_band_display() if prospect.size_band else "",
                prospect.head_office,
                prospect.website,
                prospect.get_stage_display(),
                timezone.localdate(prospect.stage_changed_at).strftime("%d/%m/%Y"),
                queries.days_at_stage(prospect, today),
                prospect.lost_reason,
                prospect.source_partner.name if prospect.source_partner else "",
                prospect.source_detail,
                prospect.potential_staff,
                person_label(prospect.owner) if prospect.owner else "",
                prospect.last_activity_on.strftime("%d/%m/%Y") if prospect.last_activity_on else "",
                prospect.next_step_text or "",
                prospect.next_step_date.strftime("%d/%m/%Y") if prospect.next_step_date else "",
                prospect.agreement.reference if prospect.agreement else "",
            ]

    return csv_response(f"prospection-{today.isoformat()}.csv", rows(), stream=True)


# --- a company's form ---------------------------------------------------------------------------


def _submission_key(request: HttpRequest, token: str) -> str:
    return f"telework:prospect-create:{request.user.pk}:{token}"


@programme_required
@require_http_methods(["GET", "POST"])
def prospect_create(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ProspectForm(request.POST)
        token = (request.POST.get("submission") or "")[:64]
        key = _submission_key(request, token) if token else ""
        if key and not cache.add(key, 0, SUBMISSION_SECONDS):  # the same form sent twice
            done = cache.get(key)
            if done:
                messages.info(request, _("Cette entreprise est déjà enregistrée."))
                return redirect("telework:prospect_detail", pk=done)
            messages.info(request, _("L'enregistrement de cette entreprise est en cours : retrouvez-la dans la liste."))
            return redirect("telework:prospects")
        if form.is_valid():
            try:
                prospect = services.prospect_create(actor=request.user, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                if key:
                    cache.set(key, prospect.pk, SUBMISSION_SECONDS)
                messages.success(
                    request,
                    _("L'entreprise « %(name)s » est ajoutée à l'étape « Identifiée ».") % {"name": prospect.name},
                )
                return redirect("telework:prospect_detail", pk=prospect.pk)
        if key:
            cache.delete(key)  # not created: the corrected form may be sent again
        status = 400
    else:
        form = ProspectForm(initial={"owner": request.user.pk})
        status = 200
    token = request.POST.get("submission") if request.method == "POST" else None
    return render(
        request,
        "telework/prospecting/form.html",
        {"form": form, "prospect": None, "submission": (token or secrets.token_urlsafe(16))[:64], "section": "create"},
        status=status,
    )


@programme_required
@require_http_methods(["GET", "POST"])
def prospect_edit(request: HttpRequest, pk: int) -> HttpResponse:
    prospect = _prospect(pk)
    if request.method == "POST":
        form = ProspectForm(request.POST)
        if form.is_valid():
            try:
                services.prospect_update(actor=request.user, prospect=prospect, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("La fiche de « %(name)s » est enregistrée.") % {"name": prospect.name})
                return redirect("telework:prospect_detail", pk=prospect.pk)
    else:
        form = ProspectForm(initial=ProspectForm.initial_from(prospect))
    return render(
        request,
        "telework/prospecting/form.html",
        {"form": form, "prospect": prospect, "submission": "", "section": "detail"},
        status=400 if request.method == "POST" else 200,
    )


# --- a company's page ---------------------------------------------------------------------------


def _detail(request: HttpRequest, prospect: Prospect, *, status: int = 200, **forms: Any) -> HttpResponse:
    today = timezone.localdate()
    annotated = queries.annotated().get(pk=prospect.pk)
    context: dict[str, Any] = {
        "prospect": annotated,
        "row": _row(annotated, today),
        "contacts": list(prospect.contacts.all()),
        "activities": list(queries.activities(prospect)),
        "history": list(queries.history(prospect)),
        "move_form": MoveForm(prospect=prospect, initial={"on": today, "to_stage": _next_stage(prospect.stage)}),
        "link_form": AgreementLinkForm(prospect=prospect, initial={"agreement": prospect.agreement_id}),
        "contact_form": ContactForm(),
        "activity_form": ActivityForm(),
        "agreement_stages": [ProspectStage.PILOT.value, ProspectStage.RELOCATED.value],
        "may_link": prospect.stage in services.AGREEMENT_STAGES,
        "section": "detail",
    }
    context.update(forms)
    return render(request, "telework/prospecting/detail.html", context, status=status)


@programme_required
@require_GET
def prospect_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _prospect(pk))


def _safe_board_return(request: HttpRequest) -> bool:
    return request.POST.get("retour") == BOARD


@programme_required
@require_POST
def prospect_move(request: HttpRequest, pk: int) -> HttpResponse:
    prospect = _prospect(pk)
    from_board = _safe_board_return(request)
    form = MoveForm(request.POST, prospect=prospect)
    if form.is_valid():
        data = form.cleaned_data
        try:
            change = services.prospect_move(
                actor=request.user,
                prospect=prospect,
                to_stage=data["to_stage"],
                on=data["on"],
                reason_kind=data["reason_kind"],
                reason=data["reason"],
                agreement=data["agreement"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("« %(name)s » passe à l'étape « %(stage)s » le %(date)s.")
                % {
                    "name": prospect.name,
                    "stage": ProspectStage(change.to_stage).label,
                    "date": date_format(timezone.localdate(change.at), "j F Y"),
                },
            )
            if from_board:
                return redirect(f"{reverse('telework:prospect_board')}#entreprise-{prospect.pk}")
            return redirect(f"{reverse('telework:prospect_detail', args=[prospect.pk])}#etape")
    return _detail(request, prospect, status=400, move_form=form)


@programme_required
@require_POST
def prospect_link_agreement(request: HttpRequest, pk: int) -> HttpResponse:
    prospect = _prospect(pk)
    form = AgreementLinkForm(request.POST, prospect=prospect)
    if form.is_valid():
        agreement = form.cleaned_data["agreement"]
        try:
            services.prospect_link_agreement(actor=request.user, prospect=prospect, agreement=agreement)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if agreement is None:
                messages.success(request, _("Le lien avec la convention est retiré."))
            else:
                messages.success(
                    request,
                    _("La convention %(reference)s est liée à l'entreprise.") % {"reference": agreement.reference},
                )
            return redirect(f"{reverse('telework:prospect_detail', args=[prospect.pk])}#convention")
    return _detail(request, prospect, status=400, link_form=form)


@programme_required
@require_POST
def contact_add(request: HttpRequest, pk: int) -> HttpResponse:
    prospect = _prospect(pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            contact = services.contact_add(actor=request.user, prospect=prospect, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s est ajouté(e) aux contacts.") % {"name": contact.name})
            return redirect(f"{reverse('telework:prospect_detail', args=[prospect.pk])}#contacts")
    return _detail(request, prospect, status=400, contact_form=form)


def _contact(prospect: Prospect, contact_pk: int) -> ProspectContact:
    return get_object_or_404(ProspectContact, pk=contact_pk, prospect=prospect)


@programme_required
@require_http_methods(["GET", "POST"])
def contact_edit(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    prospect = _prospect(pk)
    contact = _contact(prospect, contact_pk)
    if request.method == "POST":
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                services.contact_update(actor=request.user, contact=contact, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Le contact %(name)s est enregistré.") % {"name": contact.name})
                return redirect(f"{reverse('telework:prospect_detail', args=[prospect.pk])}#contacts")
    else:
        form = ContactForm(initial=ContactForm.initial_from(contact))
    return render(
        request,
        "telework/prospecting/contact_form.html",
        {"form": form, "prospect": prospect, "contact": contact, "section": "detail"},
        status=400 if request.method == "POST" else 200,
    )


@programme_required
@require_http_methods(["GET", "POST"])
def contact_remove(request: HttpRequest, pk: int, contact_pk: int) -> HttpResponse:
    prospect = _prospect(pk)
    contact = _contact(prospect, contact_pk)
    if request.method == "POST":
        services.contact_remove(actor=request.user, contact=contact)
        messages.success(request, _("%(name)s ne fait plus partie des contacts.") % {"name": contact.name})
        return redirect(f"{reverse('telework:prospect_detail', args=[prospect.pk])}#contacts")
    return render(
        request,
        "telework/prospecting/confirm_remove.html",
        {
            "prospect": prospect,
            "title": _("Retirer le contact %(name)s ?") % {"name": contact.name},
            "text": _("Ses coordonnées sont effacées. Les actions déjà notées restent."),
            "button": _("Retirer le contact"),
            "section": "detail",
        },
    )


@programme_required
@require_POST
def activity_add(request: HttpRequest, pk: int) -> HttpResponse:
    prospect = _prospect(pk)
    form = ActivityForm(request.POST)
    if form.is_valid():
        try:
            activity = services.activity_add(actor=request.user, prospect=prospect, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(kind)s du %(date)s noté(e).")
                % {"kind": activity.get_kind_display(), "date": date_format(activity.happened_on, "j F Y")},
            )
            return redirect(f"{reverse('telework:prospect_detail', args=[prospect.pk])}#actions")
    return _detail(request, prospect, status=400, activity_form=form)


@programme_required
@require_http_methods(["GET", "POST"])
def activity_remove(request: HttpRequest, pk: int, activity_pk: int) -> HttpResponse:
    prospect = _prospect(pk)
    activity = get_object_or_404(ProspectActivity, pk=activity_pk, prospect=prospect)
    if request.method == "POST":
        services.activity_remove(actor=request.user, activity=activity)
        messages.success(request, _("L'action est supprimée."))
        return redirect(f"{reverse('telework:prospect_detail', args=[prospect.pk])}#actions")
    return render(
        request,
        "telework/prospecting/confirm_remove.html",
        {
            "prospect": prospect,
            "title": _("Supprimer l'action « %(kind)s » du %(date)s ?")
            % {"kind": activity.get_kind_display(), "date": date_format(activity.happened_on, "j F Y")},
            "text": activity.summary,
            "button": _("Supprimer l'action"),
            "section": "detail",
        },
    )


# --- the board ----------------------------------------------------------------------------------


@programme_required
@require_GET
def prospect_board(request: HttpRequest) -> HttpResponse:
    form = BoardFilterForm(request.GET or None)
    filters = form.filters() if request.GET else {}
    columns, lost = queries.board(**filters)
    today = timezone.localdate()
    stage_choices = [(s.value, s.label) for s in PIPELINE_STAGES]
    board_columns = [
        {
            "stage": column.stage.value,
            "label": column.label,
            "count": column.count,
            "cards": [
                {
                    **_row(p, today),
                    "choices": [(value, label) for value, label in stage_choices if value != p.stage],
                    "next": _next_stage(p.stage),
                }
                for p in column.prospects
            ],
        }
        for column in columns
    ]
    return render(
        request,
        "telework/prospecting/board.html",
        {
            "form": form,
            "columns": board_columns,
            "lost": {
                "count": lost.count,
                "cards": [{**_row(p, today), "choices": stage_choices} for p in lost.prospects],
            },
            "move_label": BoardMoveForm.base_fields["to_stage"].label,
            "filtered": any(request.GET.values()),
            "section": "board",
        },
    )


# --- the figures --------------------------------------------------------------------------------


@programme_required
@require_GET
def prospecting_figures(request: HttpRequest) -> HttpResponse:
    figures = queries.figures()
    return render(
        request,
        "telework/prospecting/figures.html",
        {
            "figures": figures,
            "chart": _funnel_chart(figures),
            "stage_labels": [s.label for s in PIPELINE_STAGES],
            "section": "figures",
        },
    )


def _funnel_chart(figures: queries.Figures) -> dict[str, Any]:
    """A horizontal bar per stage (companies that reached it); the table below says the same."""
    label_width, bar_space, row, top = 190, 330, 38, 8
    bars = []
    for index, stage in enumerate(figures.stages):
        width = round(stage.reached * bar_space / figures.max_reached) if figures.max_reached else 0
        y = top + index * row
        bars.append(
            {
                "label": stage.label,
                "reached": stage.reached,
                "y": y,
                "text_y": y + 20,
                "width": max(width, 2 if stage.reached else 0),
                "value_x": label_width + max(width, 2) + 8,
            }
        )
    summary = ", ".join(
        _("%(stage)s : %(count)s") % {"stage": stage.label, "count": stage.reached} for stage in figures.stages
    )
    return {
        "width": label_width + bar_space + 60,
        "height": top * 2 + row * len(bars),
        "label_x": label_width - 8,
        "bar_x": label_width,
        "bars": bars,
        "summary": _("Entreprises arrivées à chaque étape : %(list)s.") % {"list": summary},
    }


urlpatterns = [
    path("prospection/", prospects, name="prospects"),
    path("prospection/export.csv", prospects_export, name="prospects_export"),
    path("prospection/tableau/", prospect_board, name="prospect_board"),
    path("prospection/chiffres/", prospecting_figures, name="prospecting_figures"),
    path("prospection/nouvelle/", prospect_create, name="prospect_create"),
    path("prospection/<int:pk>/", prospect_detail, name="prospect_detail"),
    path("prospection/<int:pk>/modifier/", prospect_edit, name="prospect_edit"),
    path("prospection/<int:pk>/etape/", prospect_move, name="prospect_move"),
    path("prospection/<int:pk>/convention/", prospect_link_agreement, name="prospect_link_agreement"),
    path("prospection/<int:pk>/contacts/ajouter/", contact_add, name="prospect_contact_add"),
    path("prospection/<int:pk>/contacts/<int:contact_pk>/", contact_edit, name="prospect_contact_edit"),
    path("prospection/<int:pk>/contacts/<int:contact_pk>/retirer/", contact_remove, name="prospect_contact_remove"),
    path("prospection/<int:pk>/actions/ajouter/", activity_add, name="prospect_activity_add"),
    path("prospection/<int:pk>/actions/<int:activity_pk>/supprimer/", activity_remove, name="prospect_activity_remove"),
]
